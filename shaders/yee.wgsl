// Yee field updates with the CPML folded in: one dispatch per half step.
//
// update_h: H -= ch * curl E             (forward differences; H at t + dt/2)
// update_e: E  = ca * E + cb * curl H    (backward differences; E at t + dt)
// then, for a cell inside the CPML slab of axis a (axes in order x, y, z), the
// CFS-PML correction (Roden and Gedney 2000) of the two transverse components,
// with e1 = E_{a+1}, e2 = E_{a+2}, h1 = H_{a+1}, h2 = H_{a+2} (indices mod 3)
// and d = the difference along a that the curl above already took:
//   psi_e1 = b_e psi_e1 + c_e d(h2);  e1 += cb1 * (-(1/kappa - 1) d(h2) - psi_e1)
//   psi_e2 = b_e psi_e2 + c_e d(h1);  e2 += cb2 * ( (1/kappa - 1) d(h1) + psi_e2)
//   psi_h1 = b_h psi_h1 + c_h d(e2);  h1 += ch  * ( (1/kappa - 1) d(e2) + psi_h1)
//   psi_h2 = b_h psi_h2 + c_h d(e1);  h2 -= ch  * ( (1/kappa - 1) d(e1) + psi_h2)
// Per cell this is the same sequence of f32 operations as a full interior pass
// followed by one CPML pass per axis (the CPU twin's order): the CPML terms of
// the E half read only H and those of the H half only E, which no thread of
// the same half step writes.
//
// Layout: one f32 array per component, index = i + nx * (j + ny * k), x fastest.
// Yee offsets (cells): Ex (i+1/2, j, k), Ey (i, j+1/2, k), Ez (i, j, k+1/2),
// Hx (i, j+1/2, k+1/2), Hy (i+1/2, j, k+1/2), Hz (i+1/2, j+1/2, k).
// Samples beyond the domain are zero (a PEC wall) unless the axis is periodic.
// Neighbour indices are chosen with select(), never with a branch: a sample
// beyond a PEC wall reads the wrapped (in-range) cell and select() replaces
// the value by 0, so every lane runs the same loads and every index is inside
// its array (the module is created without runtime bounds checks).
//
// CPML psi of axis a: one buffer per axis over its slab box (extents of the
// grid with the axis extent replaced by the layers of both slabs), x fastest,
// [psi_e1 | psi_e2 | psi_h1 | psi_h2], each `total` long; layer s of the box
// is grid coordinate s (s < lo) or n - layers + s (s >= lo).
// prof: per axis, from its offset, per layer [b_e, c_e, 1/kappa_e - 1, b_h, c_h, 1/kappa_h - 1].
//
// A dispatch covers one box of the grid (Params origin, ext): the whole grid
// on a GPU; on a CPU adapter (Mesa llvmpipe, lavapipe), which runs both sides
// of a branch under a lane mask, the interior box with a pipeline built
// without CPML (PML_* = false) and the slab boxes with the CPML pipeline.
//
// Bindings (group 0): 0 params (dynamic offset: one entry per box); 1-3 Ex Ey Ez; 4-6 Hx Hy Hz; 7-9 cb; 10-12 ca;
// 13-15 psi of the x, y, z slabs; 16 prof.
// Components a run does not evolve, ca when lossless and psi of an axis
// without CPML are bound to tiny dummy buffers and never read (the override
// constants remove the code).
// CPU twin: src/cpu/yee.rs (update_h, update_e, with the x slab), src/cpu/cpml.rs (y, z slabs).

// Keep in sync with YeeParams in src/gpu/stepper.rs.
struct Params {
    n: vec4<u32>,              // nx, ny, nz, offset of the stretch factors in prof (GRADED)
    coef: vec4<f32>,           // ch = dt / dx, unused...
    // Per axis: lo layers, first cell of the hi slab, layers of both slabs,
    // offset of the axis' profile in prof (f32 elements).
    pml: array<vec4<u32>, 3>,
    pml_total: vec4<u32>,      // psi block length (slab box cells) per axis, unused
    origin: vec4<u32>,         // first cell of this dispatch's box, unused
    ext: vec4<u32>,            // extents of this dispatch's box, unused
}

override TWO_D: bool = false;     // nz = 1, no z derivatives
override TM: bool = true;         // evolve Ez, Hx, Hy
override TE: bool = true;         // evolve Hz, Ex, Ey
override HAS_LOSS: bool = false;  // use ca (conductivity)
override PERIODIC_X: bool = false;
override PERIODIC_Y: bool = false;
override PERIODIC_Z: bool = false;
override PML_X: bool = false;     // a CPML slab on x
override PML_Y: bool = false;
override PML_Z: bool = false;
// A graded mesh (src/mesh.rs): differences along y and z are multiplied by
// the stretch factors dx / distance, stored in prof from P.n.w on as
// [y backward (ny) | y forward (ny) | z backward (nz) | z forward (nz)].
override GRADED: bool = false;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> ex: array<f32>;
@group(0) @binding(2) var<storage, read_write> ey: array<f32>;
@group(0) @binding(3) var<storage, read_write> ez: array<f32>;
@group(0) @binding(4) var<storage, read_write> hx: array<f32>;
@group(0) @binding(5) var<storage, read_write> hy: array<f32>;
@group(0) @binding(6) var<storage, read_write> hz: array<f32>;
@group(0) @binding(7) var<storage, read> cbx: array<f32>;
@group(0) @binding(8) var<storage, read> cby: array<f32>;
@group(0) @binding(9) var<storage, read> cbz: array<f32>;
@group(0) @binding(10) var<storage, read> cax: array<f32>;
@group(0) @binding(11) var<storage, read> cay: array<f32>;
@group(0) @binding(12) var<storage, read> caz: array<f32>;
@group(0) @binding(13) var<storage, read_write> psi_x: array<f32>;
@group(0) @binding(14) var<storage, read_write> psi_y: array<f32>;
@group(0) @binding(15) var<storage, read_write> psi_z: array<f32>;
@group(0) @binding(16) var<storage, read> prof: array<f32>;

// The CPML layer of `coord` along axis a, or 0xffffffff outside its slabs.
fn pml_layer(a: u32, coord: u32) -> u32 {
    let q = P.pml[a];
    if (coord < q.x) { return coord; }
    if (coord >= q.y) { return coord - q.y + q.x; }
    return 0xffffffffu;
}

const OUTSIDE: u32 = 0xffffffffu;

// One CPML auxiliary update: psi = b psi + c d, returned.
fn psi_step(b: f32, c: f32, old: f32, d: f32) -> f32 {
    return b * old + c * d;
}

@compute @workgroup_size(64, 4, 1)
fn update_h(@builtin(global_invocation_id) gid: vec3<u32>) {
    let nx = P.n.x;
    let ny = P.n.y;
    let nz = P.n.z;
    if (gid.x >= P.ext.x || gid.y >= P.ext.y || gid.z >= P.ext.z) { return; }
    let i = gid.x + P.origin.x;
    let j = gid.y + P.origin.y;
    let k = gid.z + P.origin.z;
    let sy = nx;
    let sz = nx * ny;
    let idx = i + nx * (j + ny * k);
    let ch = P.coef.x;
    // Forward neighbours; beyond the last cell the wrapped one (periodic) or
    // any in-range cell whose value select() then drops (PEC).
    let has_ip = PERIODIC_X || i + 1u < nx;
    let has_jp = PERIODIC_Y || j + 1u < ny;
    let ip = select(idx - (nx - 1u), idx + 1u, i + 1u < nx);
    let jp = select(idx - (ny - 1u) * sy, idx + sy, j + 1u < ny);
    var has_kp = false;
    var kp = idx;
    if (!TWO_D) {
        has_kp = PERIODIC_Z || k + 1u < nz;
        kp = select(idx - (nz - 1u) * sz, idx + sz, k + 1u < nz);
    }

    // Differences along each axis (forward): d<axis><component>.
    var dx_ez = 0.0; var dy_ez = 0.0; var dz_ey = 0.0; var dz_ex = 0.0;
    var dx_ey = 0.0; var dy_ex = 0.0;
    if (TM) {
        let ez0 = ez[idx];
        dx_ez = select(0.0, ez[ip], has_ip) - ez0;
        dy_ez = select(0.0, ez[jp], has_jp) - ez0;
    }
    if (TE) {
        dx_ey = select(0.0, ey[ip], has_ip) - ey[idx];
        dy_ex = select(0.0, ex[jp], has_jp) - ex[idx];
    }
    if (!TWO_D) {
        dz_ey = select(0.0, ey[kp], has_kp) - ey[idx];
        dz_ex = select(0.0, ex[kp], has_kp) - ex[idx];
    }
    if (GRADED) {
        let wy = prof[P.n.w + ny + j];
        let wz = prof[P.n.w + 2u * ny + nz + k];
        dy_ez *= wy;
        dy_ex *= wy;
        dz_ey *= wz;
        dz_ex *= wz;
    }

    var hx1 = 0.0; var hy1 = 0.0; var hz1 = 0.0;
    if (TM) {
        var cx = dy_ez;
        var cy = -dx_ez;
        if (!TWO_D) {
            cx -= dz_ey;
            cy += dz_ex;
        }
        hx1 = hx[idx] - ch * cx;
        hy1 = hy[idx] - ch * cy;
    }
    if (TE) {
        let cz = dx_ey - dy_ex;
        hz1 = hz[idx] - ch * cz;
    }

    // CPML, axes in order. Axis x: h1 = Hy (d Ez), h2 = Hz (d Ey).
    if (PML_X) {
        let s = pml_layer(0u, i);
        if (s != OUTSIDE) {
            let layers = P.pml[0].z;
            let total = P.pml_total.x;
            let t = s + layers * (j + ny * k);
            let o = P.pml[0].w + 6u * s;
            let b = prof[o + 3u];
            let c = prof[o + 4u];
            let kk = prof[o + 5u];
            if (TM) {
                let p = psi_step(b, c, psi_x[2u * total + t], dx_ez);
                psi_x[2u * total + t] = p;
                hy1 += ch * (kk * dx_ez + p);
            }
            if (TE) {
                let p = psi_step(b, c, psi_x[3u * total + t], dx_ey);
                psi_x[3u * total + t] = p;
                hz1 -= ch * (kk * dx_ey + p);
            }
        }
    }
    // Axis y: h1 = Hz (d Ex), h2 = Hx (d Ez).
    if (PML_Y) {
        let s = pml_layer(1u, j);
        if (s != OUTSIDE) {
            let layers = P.pml[1].z;
            let total = P.pml_total.y;
            let t = i + nx * (s + layers * k);
            let o = P.pml[1].w + 6u * s;
            let b = prof[o + 3u];
            let c = prof[o + 4u];
            let kk = prof[o + 5u];
            if (TE) {
                let p = psi_step(b, c, psi_y[2u * total + t], dy_ex);
                psi_y[2u * total + t] = p;
                hz1 += ch * (kk * dy_ex + p);
            }
            if (TM) {
                let p = psi_step(b, c, psi_y[3u * total + t], dy_ez);
                psi_y[3u * total + t] = p;
                hx1 -= ch * (kk * dy_ez + p);
            }
        }
    }
    // Axis z (3D only): h1 = Hx (d Ey), h2 = Hy (d Ex).
    if (PML_Z && !TWO_D) {
        let s = pml_layer(2u, k);
        if (s != OUTSIDE) {
            let layers = P.pml[2].z;
            let total = P.pml_total.z;
            let t = i + nx * (j + ny * s);
            let o = P.pml[2].w + 6u * s;
            let b = prof[o + 3u];
            let c = prof[o + 4u];
            let kk = prof[o + 5u];
            let p1 = psi_step(b, c, psi_z[2u * total + t], dz_ey);
            psi_z[2u * total + t] = p1;
            hx1 += ch * (kk * dz_ey + p1);
            let p2 = psi_step(b, c, psi_z[3u * total + t], dz_ex);
            psi_z[3u * total + t] = p2;
            hy1 -= ch * (kk * dz_ex + p2);
        }
    }

    if (TM) {
        hx[idx] = hx1;
        hy[idx] = hy1;
    }
    if (TE) {
        hz[idx] = hz1;
    }
}

@compute @workgroup_size(64, 4, 1)
fn update_e(@builtin(global_invocation_id) gid: vec3<u32>) {
    let nx = P.n.x;
    let ny = P.n.y;
    let nz = P.n.z;
    if (gid.x >= P.ext.x || gid.y >= P.ext.y || gid.z >= P.ext.z) { return; }
    let i = gid.x + P.origin.x;
    let j = gid.y + P.origin.y;
    let k = gid.z + P.origin.z;
    let sy = nx;
    let sz = nx * ny;
    let idx = i + nx * (j + ny * k);
    // Backward neighbours; before the first cell the wrapped one (periodic) or
    // an in-range cell whose value select() then drops (PEC).
    let has_im = PERIODIC_X || i > 0u;
    let has_jm = PERIODIC_Y || j > 0u;
    let im = select(idx + (nx - 1u), idx - 1u, i > 0u);
    let jm = select(idx + (ny - 1u) * sy, idx - sy, j > 0u);
    var has_km = false;
    var km = idx;
    if (!TWO_D) {
        has_km = PERIODIC_Z || k > 0u;
        km = select(idx + (nz - 1u) * sz, idx - sz, k > 0u);
    }

    // Differences along each axis (backward): d<axis><component>.
    var dx_hz = 0.0; var dy_hz = 0.0; var dx_hy = 0.0; var dy_hx = 0.0;
    var dz_hy = 0.0; var dz_hx = 0.0;
    if (TE) {
        let hz0 = hz[idx];
        dx_hz = hz0 - select(0.0, hz[im], has_im);
        dy_hz = hz0 - select(0.0, hz[jm], has_jm);
    }
    if (TM) {
        dx_hy = hy[idx] - select(0.0, hy[im], has_im);
        dy_hx = hx[idx] - select(0.0, hx[jm], has_jm);
    }
    if (!TWO_D) {
        dz_hy = hy[idx] - select(0.0, hy[km], has_km);
        dz_hx = hx[idx] - select(0.0, hx[km], has_km);
    }
    if (GRADED) {
        let wy = prof[P.n.w + j];
        let wz = prof[P.n.w + 2u * ny + k];
        dy_hz *= wy;
        dy_hx *= wy;
        dz_hy *= wz;
        dz_hx *= wz;
    }

    var ex1 = 0.0; var ey1 = 0.0; var ez1 = 0.0;
    var cbx0 = 0.0; var cby0 = 0.0; var cbz0 = 0.0;
    if (TE) {
        var cx = dy_hz;
        var cy = -dx_hz;
        if (!TWO_D) {
            cx -= dz_hy;
            cy += dz_hx;
        }
        var ex0 = ex[idx];
        var ey0 = ey[idx];
        if (HAS_LOSS) {
            ex0 = cax[idx] * ex0;
            ey0 = cay[idx] * ey0;
        }
        cbx0 = cbx[idx];
        cby0 = cby[idx];
        ex1 = ex0 + cbx0 * cx;
        ey1 = ey0 + cby0 * cy;
    }
    if (TM) {
        let cz = dx_hy - dy_hx;
        var ez0 = ez[idx];
        if (HAS_LOSS) {
            ez0 = caz[idx] * ez0;
        }
        cbz0 = cbz[idx];
        ez1 = ez0 + cbz0 * cz;
    }

    // CPML, axes in order. Axis x: e1 = Ey (d Hz), e2 = Ez (d Hy).
    if (PML_X) {
        let s = pml_layer(0u, i);
        if (s != OUTSIDE) {
            let layers = P.pml[0].z;
            let total = P.pml_total.x;
            let t = s + layers * (j + ny * k);
            let o = P.pml[0].w + 6u * s;
            let b = prof[o];
            let c = prof[o + 1u];
            let kk = prof[o + 2u];
            if (TE) {
                let p = psi_step(b, c, psi_x[t], dx_hz);
                psi_x[t] = p;
                ey1 += cby0 * (-(kk * dx_hz) - p);
            }
            if (TM) {
                let p = psi_step(b, c, psi_x[total + t], dx_hy);
                psi_x[total + t] = p;
                ez1 += cbz0 * (kk * dx_hy + p);
            }
        }
    }
    // Axis y: e1 = Ez (d Hx), e2 = Ex (d Hz).
    if (PML_Y) {
        let s = pml_layer(1u, j);
        if (s != OUTSIDE) {
            let layers = P.pml[1].z;
            let total = P.pml_total.y;
            let t = i + nx * (s + layers * k);
            let o = P.pml[1].w + 6u * s;
            let b = prof[o];
            let c = prof[o + 1u];
            let kk = prof[o + 2u];
            if (TM) {
                let p = psi_step(b, c, psi_y[t], dy_hx);
                psi_y[t] = p;
                ez1 += cbz0 * (-(kk * dy_hx) - p);
            }
            if (TE) {
                let p = psi_step(b, c, psi_y[total + t], dy_hz);
                psi_y[total + t] = p;
                ex1 += cbx0 * (kk * dy_hz + p);
            }
        }
    }
    // Axis z (3D only): e1 = Ex (d Hy), e2 = Ey (d Hx).
    if (PML_Z && !TWO_D) {
        let s = pml_layer(2u, k);
        if (s != OUTSIDE) {
            let layers = P.pml[2].z;
            let total = P.pml_total.z;
            let t = i + nx * (j + ny * s);
            let o = P.pml[2].w + 6u * s;
            let b = prof[o];
            let c = prof[o + 1u];
            let kk = prof[o + 2u];
            let p1 = psi_step(b, c, psi_z[t], dz_hy);
            psi_z[t] = p1;
            ex1 += cbx0 * (-(kk * dz_hy) - p1);
            let p2 = psi_step(b, c, psi_z[total + t], dz_hx);
            psi_z[total + t] = p2;
            ey1 += cby0 * (kk * dz_hx + p2);
        }
    }

    if (TE) {
        ex[idx] = ex1;
        ey[idx] = ey1;
    }
    if (TM) {
        ez[idx] = ez1;
    }
}
