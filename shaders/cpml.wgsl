// CPML corrections in the boundary slabs of one axis a (CFS-PML, Roden and
// Gedney 2000). Dispatched after update_h / update_e, over the slab cells only,
// so the interior kernels carry no PML terms.
//
// The bind group of axis a binds the transverse components in cyclic order:
// e1 = E_{a+1}, e2 = E_{a+2}, h1 = H_{a+1}, h2 = H_{a+2} (indices mod 3), so
// one kernel serves all three axes. With d = difference along a:
//   psi_e1 = b_e psi_e1 + c_e d(h2);  e1 += cb1 * (-(1/kappa - 1) d(h2) - psi_e1)
//   psi_e2 = b_e psi_e2 + c_e d(h1);  e2 += cb2 * ( (1/kappa - 1) d(h1) + psi_e2)
//   psi_h1 = b_h psi_h1 + c_h d(e2);  h1 += ch  * ( (1/kappa - 1) d(e2) + psi_h1)
//   psi_h2 = b_h psi_h2 + c_h d(e1);  h2 -= ch  * ( (1/kappa - 1) d(e1) + psi_h2)
// (E uses backward and H forward differences, as in yee.wgsl.)
//
// Bindings (group 0): 0 params; 1 e1; 2 e2; 3 h1; 4 h2; 5 cb1; 6 cb2;
// 7 psi = [psi_e1 | psi_e2 | psi_h1 | psi_h2], each `total` long;
// 8 profile: per layer [b_e, c_e, 1/kappa_e - 1, b_h, c_h, 1/kappa_h - 1].
// CPU twin: src/cpu/mod.rs (cpml_e, cpml_h, slab_cell).

// Keep in sync with CpmlParams in src/gpu/stepper.rs.
struct Params {
    ext: vec4<u32>,    // slab box extents (x, y, z; the axis extent = layers), total
    axis: vec4<u32>,   // axis a, lo layers, n along a, stride along a
    flags: vec4<u32>,  // pair 1 (e1, h2) evolved, pair 2 (e2, h1) evolved, unused, unused
    coef: vec4<f32>,   // ch, unused...
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> e1: array<f32>;
@group(0) @binding(2) var<storage, read_write> e2: array<f32>;
@group(0) @binding(3) var<storage, read_write> h1: array<f32>;
@group(0) @binding(4) var<storage, read_write> h2: array<f32>;
@group(0) @binding(5) var<storage, read> cb1: array<f32>;
@group(0) @binding(6) var<storage, read> cb2: array<f32>;
@group(0) @binding(7) var<storage, read_write> psi: array<f32>;
@group(0) @binding(8) var<storage, read> prof: array<f32>;

struct SlabCell {
    idx: u32,    // grid index
    layer: u32,  // PML layer s
    coord: u32,  // cell coordinate along the axis
}

// Slab thread t -> grid cell; the slab box is walked x-fastest.
fn slab_cell(t: u32) -> SlabCell {
    let ext = P.ext.xyz;
    var c = vec3<u32>(t % ext.x, (t / ext.x) % ext.y, t / (ext.x * ext.y));
    let a = P.axis.x;
    let lo = P.axis.y;
    let n = P.axis.z;
    let layers = ext[a];
    let s = c[a];
    var coord = s;
    if (s >= lo) { coord = n - (layers - lo) + (s - lo); }
    c[a] = coord;
    // Grid extents: the slab extents with the axis extent replaced by n.
    var g = ext;
    g[a] = n;
    return SlabCell(c.x + g.x * (c.y + g.y * c.z), s, coord);
}

fn thread_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256, 1, 1)
fn cpml_e(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = thread_id(gid, nwg);
    let total = P.ext.w;
    if (t >= total) { return; }
    let sc = slab_cell(t);
    let idx = sc.idx;
    let stride = P.axis.w;
    let b = prof[6u * sc.layer];
    let c = prof[6u * sc.layer + 1u];
    let k = prof[6u * sc.layer + 2u];
    if (P.flags.x != 0u) {
        var h2m = 0.0;
        if (sc.coord > 0u) { h2m = h2[idx - stride]; }
        let dh2 = h2[idx] - h2m;
        let p = b * psi[t] + c * dh2;
        psi[t] = p;
        e1[idx] += cb1[idx] * (-(k * dh2) - p);
    }
    if (P.flags.y != 0u) {
        var h1m = 0.0;
        if (sc.coord > 0u) { h1m = h1[idx - stride]; }
        let dh1 = h1[idx] - h1m;
        let p = b * psi[total + t] + c * dh1;
        psi[total + t] = p;
        e2[idx] += cb2[idx] * (k * dh1 + p);
    }
}

@compute @workgroup_size(256, 1, 1)
fn cpml_h(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = thread_id(gid, nwg);
    let total = P.ext.w;
    if (t >= total) { return; }
    let sc = slab_cell(t);
    let idx = sc.idx;
    let stride = P.axis.w;
    let n = P.axis.z;
    let ch = P.coef.x;
    let b = prof[6u * sc.layer + 3u];
    let c = prof[6u * sc.layer + 4u];
    let k = prof[6u * sc.layer + 5u];
    if (P.flags.y != 0u) {
        var e2p = 0.0;
        if (sc.coord + 1u < n) { e2p = e2[idx + stride]; }
        let de2 = e2p - e2[idx];
        let p = b * psi[2u * total + t] + c * de2;
        psi[2u * total + t] = p;
        h1[idx] += ch * (k * de2 + p);
    }
    if (P.flags.x != 0u) {
        var e1p = 0.0;
        if (sc.coord + 1u < n) { e1p = e1[idx + stride]; }
        let de1 = e1p - e1[idx];
        let p = b * psi[3u * total + t] + c * de1;
        psi[3u * total + t] = p;
        h2[idx] -= ch * (k * de1 + p);
    }
}
