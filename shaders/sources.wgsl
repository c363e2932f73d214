// Current sources: E -= cb * weight * w(t) at each source sample, after update_e
// (J is evaluated at t = (n + 1/2) dt, like curl H). Magnetic currents
// (`inject_h`, with Hx Hy Hz bound to bindings 0-2): H -= ch * weight * w(t)
// after update_h and its CPML (M at n dt: the waveform table is delayed).
//
// One dispatch per source layer; a layer touches each (cell, component) once.
// The waveform table holds w_p((n + 1/2) dt) for every step of the submission,
// step-major; the step within the submission comes from a dynamic-offset uniform.
//
// Bindings: group 0: 0-2 Ex Ey Ez; 3-5 cb; 6 cells; 7 wave; 8 params.
//           group 1: 0 step (dynamic offset).
// `mirror_h` (H bound to 0-2): a folded (mirror-symmetric) grid's ghost H
// samples are set to the images of kept ones, H[index] = weight * H[profile],
// after inject_h (src/symmetry.rs); ghost and kept cells are disjoint.
// CPU twin: src/cpu/samples.rs (inject_e, inject_h, mirror_h).

// Keep in sync with SourceCell in src/sim.rs.
struct SourceCell {
    index: u32,
    comp: u32,
    profile: u32,
    weight: f32,
}

// Keep in sync with SourceParams in src/gpu/stepper.rs.
struct Params {
    count: u32,
    profiles: u32,
    // f32 bits of ch = dt / dx (inject_h only).
    ch_bits: u32,
    _pad1: u32,
}

struct Step {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> ex: array<f32>;
@group(0) @binding(1) var<storage, read_write> ey: array<f32>;
@group(0) @binding(2) var<storage, read_write> ez: array<f32>;
@group(0) @binding(3) var<storage, read> cbx: array<f32>;
@group(0) @binding(4) var<storage, read> cby: array<f32>;
@group(0) @binding(5) var<storage, read> cbz: array<f32>;
@group(0) @binding(6) var<storage, read> cells: array<SourceCell>;
@group(0) @binding(7) var<storage, read> wave: array<f32>;
@group(0) @binding(8) var<uniform> P: Params;
@group(1) @binding(0) var<uniform> S: Step;

@compute @workgroup_size(64, 1, 1)
fn inject(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = gid.x + gid.y * nwg.x * 64u;
    if (t >= P.count) { return; }
    let s = cells[t];
    let w = wave[S.n * P.profiles + s.profile];
    let i = s.index;
    switch s.comp {
        case 0u: { ex[i] -= cbx[i] * (s.weight * w); }
        case 1u: { ey[i] -= cby[i] * (s.weight * w); }
        default: { ez[i] -= cbz[i] * (s.weight * w); }
    }
}

@compute @workgroup_size(64, 1, 1)
fn inject_h(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = gid.x + gid.y * nwg.x * 64u;
    if (t >= P.count) { return; }
    let s = cells[t];
    let w = wave[S.n * P.profiles + s.profile];
    let i = s.index;
    let ch = bitcast<f32>(P.ch_bits);
    switch s.comp {
        case 0u: { ex[i] -= ch * (s.weight * w); }
        case 1u: { ey[i] -= ch * (s.weight * w); }
        default: { ez[i] -= ch * (s.weight * w); }
    }
}

@compute @workgroup_size(64, 1, 1)
fn mirror_h(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = gid.x + gid.y * nwg.x * 64u;
    if (t >= P.count) { return; }
    let s = cells[t];
    let i = s.index;
    let src = s.profile;
    switch s.comp {
        case 0u: { ex[i] = s.weight * ex[src]; }
        case 1u: { ey[i] = s.weight * ey[src]; }
        default: { ez[i] = s.weight * ez[src]; }
    }
}
