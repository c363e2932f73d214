// Dispersive media (ADE): polarisation P per pole for the E samples inside
// dispersive media only (see src/dispersion.rs for the scheme).
//
// polarize (first in a step, E = E(n)): P+ = c0 P + c1 P- + c2 E; state = (P+, P)
// correct (after update_e and cpml_e): E -= cb (dx/dt) sum over poles (P - P-)
//
// One thread per dispersive sample; it owns all the poles of its sample, so
// no two threads touch one E value.
// Bindings: 0-2 Ex Ey Ez; 3-5 cb; 6 samples; 7 pole coefficients; 8 state; 9 params.
// CPU twin: src/cpu/samples.rs (polarize, correct).

// Keep in sync with DispersiveSample in src/dispersion.rs.
struct Sample {
    index: u32,
    comp: u32,
    pole0: u32,
    npoles: u32,
    state: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// Keep in sync with DispersionParams in src/gpu/stepper.rs.
struct Params {
    count: u32,
    _pad0: u32,
    _pad1: u32,
    dx_over_dt: f32,
}

@group(0) @binding(0) var<storage, read_write> ex: array<f32>;
@group(0) @binding(1) var<storage, read_write> ey: array<f32>;
@group(0) @binding(2) var<storage, read_write> ez: array<f32>;
@group(0) @binding(3) var<storage, read> cbx: array<f32>;
@group(0) @binding(4) var<storage, read> cby: array<f32>;
@group(0) @binding(5) var<storage, read> cbz: array<f32>;
@group(0) @binding(6) var<storage, read> samples: array<Sample>;
@group(0) @binding(7) var<storage, read> coeffs: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> state: array<vec2<f32>>;
@group(0) @binding(9) var<uniform> P: Params;

fn thread_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

@compute @workgroup_size(64, 1, 1)
fn polarize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = thread_id(gid, nwg);
    if (t >= P.count) { return; }
    let s = samples[t];
    var e = 0.0;
    switch s.comp {
        case 0u: { e = ex[s.index]; }
        case 1u: { e = ey[s.index]; }
        default: { e = ez[s.index]; }
    }
    for (var j = 0u; j < s.npoles; j++) {
        let c = coeffs[s.pole0 + j];
        let st = state[s.state + j];
        let pn = c.x * st.x + c.y * st.y + c.z * e;
        state[s.state + j] = vec2<f32>(pn, st.x);
    }
}

@compute @workgroup_size(64, 1, 1)
fn correct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = thread_id(gid, nwg);
    if (t >= P.count) { return; }
    let s = samples[t];
    var dp = 0.0;
    for (var j = 0u; j < s.npoles; j++) {
        let st = state[s.state + j];
        dp += st.x - st.y;
    }
    let i = s.index;
    switch s.comp {
        case 0u: { ex[i] -= cbx[i] * (P.dx_over_dt * dp); }
        case 1u: { ey[i] -= cby[i] * (P.dx_over_dt * dp); }
        default: { ez[i] -= cbz[i] * (P.dx_over_dt * dp); }
    }
}
