// Point probes: copy one field sample per probe into the record buffer, once
// per step, at the end of the step (E at t + dt, H at t + dt/2).
//
// record[step_in_submission * count + p]; read back once per submission.
// Bindings: group 0: 0-5 Ex Ey Ez Hx Hy Hz; 6 cells; 7 record; 8 params.
//           group 1: 0 step (dynamic offset).

// Keep in sync with ProbeCell in src/sim.rs.
struct ProbeCell {
    index: u32,
    comp: u32,
}

struct Params {
    count: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct Step {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> ex: array<f32>;
@group(0) @binding(1) var<storage, read> ey: array<f32>;
@group(0) @binding(2) var<storage, read> ez: array<f32>;
@group(0) @binding(3) var<storage, read> hx: array<f32>;
@group(0) @binding(4) var<storage, read> hy: array<f32>;
@group(0) @binding(5) var<storage, read> hz: array<f32>;
@group(0) @binding(6) var<storage, read> cells: array<ProbeCell>;
@group(0) @binding(7) var<storage, read_write> record: array<f32>;
@group(0) @binding(8) var<uniform> P: Params;
@group(1) @binding(0) var<uniform> S: Step;

@compute @workgroup_size(64, 1, 1)
fn record_probes(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = gid.x;
    if (p >= P.count) { return; }
    let c = cells[p];
    var v = 0.0;
    switch c.comp {
        case 0u: { v = ex[c.index]; }
        case 1u: { v = ey[c.index]; }
        case 2u: { v = ez[c.index]; }
        case 3u: { v = hx[c.index]; }
        case 4u: { v = hy[c.index]; }
        default: { v = hz[c.index]; }
    }
    record[S.n * P.count + p] = v;
}
