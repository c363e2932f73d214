// Yee field updates: the interior curl for every cell, both halves of a step.
//
// update_h: H -= ch * curl E       (forward differences; H at t + dt/2)
// update_e: E  = ca * E + cb * curl H   (backward differences; E at t + dt)
//
// Layout: one f32 array per component, index = i + nx * (j + ny * k), x fastest.
// Yee offsets (cells): Ex (i+1/2, j, k), Ey (i, j+1/2, k), Ez (i, j, k+1/2),
// Hx (i, j+1/2, k+1/2), Hy (i+1/2, j, k+1/2), Hz (i+1/2, j+1/2, k).
// Samples beyond the domain are zero (a PEC wall) unless the axis is periodic.
// CPML corrections are added afterwards in the boundary slabs only (cpml.wgsl).
//
// Bindings (group 0): 0 params; 1-3 Ex Ey Ez; 4-6 Hx Hy Hz; 7-9 cb; 10-12 ca.
// Components a run does not evolve, and ca when lossless, are bound to tiny
// dummy buffers and never read (the override constants remove the code).
// CPU twin: src/cpu/mod.rs (update_h, update_e).

// Keep in sync with YeeParams in src/gpu/stepper.rs.
struct Params {
    n: vec4<u32>,         // nx, ny, nz, unused
    periodic: vec4<u32>,  // per axis: 1 = periodic
    coef: vec4<f32>,      // ch = dt / dx, unused...
}

override TWO_D: bool = false;     // nz = 1, no z derivatives
override TM: bool = true;         // evolve Ez, Hx, Hy
override TE: bool = true;         // evolve Hz, Ex, Ey
override HAS_LOSS: bool = false;  // use ca (conductivity)

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

// Index of the next sample along an axis, or 0xffffffff when it is beyond a wall.
fn fwd(idx: u32, coord: u32, n: u32, stride: u32, periodic: u32) -> u32 {
    if (coord + 1u < n) { return idx + stride; }
    if (periodic != 0u) { return idx - (n - 1u) * stride; }
    return 0xffffffffu;
}

fn bwd(idx: u32, coord: u32, n: u32, stride: u32, periodic: u32) -> u32 {
    if (coord > 0u) { return idx - stride; }
    if (periodic != 0u) { return idx + (n - 1u) * stride; }
    return 0xffffffffu;
}

const NONE: u32 = 0xffffffffu;

@compute @workgroup_size(64, 4, 1)
fn update_h(@builtin(global_invocation_id) gid: vec3<u32>) {
    let nx = P.n.x;
    let ny = P.n.y;
    let nz = P.n.z;
    let i = gid.x;
    let j = gid.y;
    let k = gid.z;
    if (i >= nx || j >= ny || k >= nz) { return; }
    let sy = nx;
    let sz = nx * ny;
    let idx = i + nx * (j + ny * k);
    let ch = P.coef.x;
    let ip = fwd(idx, i, nx, 1u, P.periodic.x);
    let jp = fwd(idx, j, ny, sy, P.periodic.y);

    if (TM) {
        let ez0 = ez[idx];
        var ez_ip = 0.0;
        if (ip != NONE) { ez_ip = ez[ip]; }
        var ez_jp = 0.0;
        if (jp != NONE) { ez_jp = ez[jp]; }
        var cx = ez_jp - ez0;
        var cy = -(ez_ip - ez0);
        if (!TWO_D) {
            let kp = fwd(idx, k, nz, sz, P.periodic.z);
            var ey_kp = 0.0;
            var ex_kp = 0.0;
            if (kp != NONE) { ey_kp = ey[kp]; ex_kp = ex[kp]; }
            cx -= ey_kp - ey[idx];
            cy += ex_kp - ex[idx];
        }
        hx[idx] -= ch * cx;
        hy[idx] -= ch * cy;
    }
    if (TE) {
        var ey_ip = 0.0;
        if (ip != NONE) { ey_ip = ey[ip]; }
        var ex_jp = 0.0;
        if (jp != NONE) { ex_jp = ex[jp]; }
        let cz = (ey_ip - ey[idx]) - (ex_jp - ex[idx]);
        hz[idx] -= ch * cz;
    }
}

@compute @workgroup_size(64, 4, 1)
fn update_e(@builtin(global_invocation_id) gid: vec3<u32>) {
    let nx = P.n.x;
    let ny = P.n.y;
    let nz = P.n.z;
    let i = gid.x;
    let j = gid.y;
    let k = gid.z;
    if (i >= nx || j >= ny || k >= nz) { return; }
    let sy = nx;
    let sz = nx * ny;
    let idx = i + nx * (j + ny * k);
    let im = bwd(idx, i, nx, 1u, P.periodic.x);
    let jm = bwd(idx, j, ny, sy, P.periodic.y);

    if (TE) {
        let hz0 = hz[idx];
        var hz_im = 0.0;
        if (im != NONE) { hz_im = hz[im]; }
        var hz_jm = 0.0;
        if (jm != NONE) { hz_jm = hz[jm]; }
        var cx = hz0 - hz_jm;
        var cy = -(hz0 - hz_im);
        if (!TWO_D) {
            let km = bwd(idx, k, nz, sz, P.periodic.z);
            var hy_km = 0.0;
            var hx_km = 0.0;
            if (km != NONE) { hy_km = hy[km]; hx_km = hx[km]; }
            cx -= hy[idx] - hy_km;
            cy += hx[idx] - hx_km;
        }
        var ex0 = ex[idx];
        var ey0 = ey[idx];
        if (HAS_LOSS) {
            ex0 = cax[idx] * ex0;
            ey0 = cay[idx] * ey0;
        }
        ex[idx] = ex0 + cbx[idx] * cx;
        ey[idx] = ey0 + cby[idx] * cy;
    }
    if (TM) {
        var hy_im = 0.0;
        if (im != NONE) { hy_im = hy[im]; }
        var hx_jm = 0.0;
        if (jm != NONE) { hx_jm = hx[jm]; }
        let cz = (hy[idx] - hy_im) - (hx[idx] - hx_jm);
        var ez0 = ez[idx];
        if (HAS_LOSS) {
            ez0 = caz[idx] * ez0;
        }
        ez[idx] = ez0 + cbz[idx] * cz;
    }
}
