// Running DFTs of field samples, once per step after the sources and probes:
//   partial[acc + f] += v * (cos w t, sin w t) * dt
// with t the sample's own time (E: (n + 1) dt, H: (n + 1/2) dt), taken from a
// phase table written per submission (step-major, per frequency
// vec4(cos_e, sin_e, cos_h, sin_h) * dt, computed on the host in f64).
// Every FLUSH_EVERY steps `flush` adds the f32 block sums to the running total
// and clears them, so round-off grows with the block, not the run.
//
// A sample reads one component at one cell, or the average of two cells
// (index and index - avg_stride: H on a flux plane).
//
// Bindings: group 0: 0-5 Ex Ey Ez Hx Hy Hz; 6 samples; 7 phase; 8 partial;
//           9 total; 10 params. group 1: 0 step (dynamic offset).
// CPU twin: src/cpu/samples.rs (accumulate) and src/cpu/mod.rs (the flush in step_once).

// Keep in sync with DftSample in src/monitor/dft.rs.
struct DftSample {
    index: u32,
    comp: u32,
    avg_stride: u32,
    freq0: u32,
    nfreq: u32,
    acc: u32,
}

// Keep in sync with CountParams in src/gpu/stepper.rs.
struct Params {
    count: u32,      // samples (accumulate) or accumulators (flush)
    nfreq: u32,      // frequencies in the phase table per step
    _pad0: u32,
    _pad1: u32,
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
@group(0) @binding(6) var<storage, read> samples: array<DftSample>;
@group(0) @binding(7) var<storage, read> phase: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> partial: array<vec2<f32>>;
@group(0) @binding(9) var<storage, read_write> total: array<vec2<f32>>;
@group(0) @binding(10) var<uniform> P: Params;
@group(1) @binding(0) var<uniform> S: Step;

fn field(comp: u32, i: u32) -> f32 {
    switch comp {
        case 0u: { return ex[i]; }
        case 1u: { return ey[i]; }
        case 2u: { return ez[i]; }
        case 3u: { return hx[i]; }
        case 4u: { return hy[i]; }
        default: { return hz[i]; }
    }
}

fn thread_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

@compute @workgroup_size(64, 1, 1)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = thread_id(gid, nwg);
    if (t >= P.count) { return; }
    let s = samples[t];
    var v = field(s.comp, s.index);
    if (s.avg_stride != 0u) {
        v = 0.5 * (v + field(s.comp, s.index - s.avg_stride));
    }
    let base = S.n * P.nfreq + s.freq0;
    let electric = s.comp < 3u;
    for (var f = 0u; f < s.nfreq; f++) {
        let ph = phase[base + f];
        var c = ph.zw;
        if (electric) { c = ph.xy; }
        partial[s.acc + f] += v * c;
    }
}

@compute @workgroup_size(64, 1, 1)
fn flush(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = thread_id(gid, nwg);
    if (t >= P.count) { return; }
    total[t] += partial[t];
    partial[t] = vec2<f32>(0.0, 0.0);
}
