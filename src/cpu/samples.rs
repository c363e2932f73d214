//! The native engine's sample-list kernels: sources (shaders/sources.wgsl),
//! dispersive polarisation (shaders/dispersion.wgsl) and the running DFT
//! (shaders/dft.wgsl). Each walks a list built once by `Prepared`; long lists
//! (a metal block, a far-field box) are split over threads in runs whose
//! outputs do not overlap, checked when the stepper is made.

use rayon::prelude::*;

use crate::dispersion::DispersionPlan;
use crate::monitor::dft::DftSample;
use crate::sim::SourceCell;

use super::Shared;

/// Samples per parallel task.
pub(super) const RUN: usize = 4096;

/// A list cut into runs that can go to different threads: run r covers list
/// entries `bounds[r]..bounds[r + 1]` and writes only output entries
/// `outs[r]..outs[r + 1]`. A list whose outputs are not in increasing,
/// disjoint order is one run.
#[derive(Clone, Debug, Default)]
pub(super) struct Runs {
    bounds: Vec<usize>,
    outs: Vec<usize>,
}

impl Runs {
    /// Runs of `n` entries whose entry i writes `out(i)` (a range).
    fn new(n: usize, out: impl Fn(usize) -> std::ops::Range<usize>, total: usize, run: usize) -> Runs {
        let ordered = (1..n).all(|i| out(i - 1).end <= out(i).start);
        if !ordered || n <= run {
            return Runs::serial(n, total);
        }
        let mut bounds: Vec<usize> = (0..n).step_by(run).collect();
        bounds.push(n);
        let mut outs: Vec<usize> = bounds[..bounds.len() - 1].iter().map(|&b| out(b).start).collect();
        outs[0] = 0;
        outs.push(total);
        Runs { bounds, outs }
    }
    /// All of a list in one run.
    fn serial(n: usize, total: usize) -> Runs {
        if n == 0 {
            return Runs::default();
        }
        Runs {
            bounds: vec![0, n],
            outs: vec![0, total],
        }
    }
    pub(super) fn count(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }
}

/// Dispersive media: the runs of the sample list over the polarisation state.
pub(super) fn dispersion_runs(d: &DispersionPlan, run: usize) -> Runs {
    let s = &d.samples;
    let state = |i: usize| s[i].state as usize..(s[i].state + s[i].npoles) as usize;
    let runs = Runs::new(s.len(), state, d.states, run);
    // `correct` writes E at each sample: the parallel runs also need every
    // (component, cell) once, in increasing order.
    let unique = s.windows(2).all(|w| (w[0].comp, w[0].index) < (w[1].comp, w[1].index));
    if unique {
        runs
    } else {
        Runs::serial(s.len(), d.states)
    }
}

/// DFT: the runs of the sample list over the accumulators.
pub(super) fn dft_runs(samples: &[DftSample], accumulators: usize, run: usize) -> Runs {
    Runs::new(
        samples.len(),
        |i| samples[i].acc as usize..(samples[i].acc + samples[i].nfreq) as usize,
        accumulators,
        run,
    )
}

/// dispersion.wgsl `polarize`: P(n+1) = c0 P(n) + c1 P(n-1) + c2 E(n).
pub(super) fn polarize(d: &DispersionPlan, runs: &Runs, pol: &mut [[f32; 2]], e: &[&[f32]; 3]) {
    let pol = Shared::new(pol);
    (0..runs.count()).into_par_iter().for_each(|r| {
        let o = runs.outs[r];
        // SAFETY: run r alone writes states outs[r]..outs[r + 1] (Runs::new).
        let st = unsafe { pol.slice(o, runs.outs[r + 1] - o) };
        for s in &d.samples[runs.bounds[r]..runs.bounds[r + 1]] {
            let ef = e[s.comp as usize][s.index as usize];
            for j in 0..s.npoles as usize {
                let c = d.coeffs[s.pole0 as usize + j];
                let p = &mut st[s.state as usize + j - o];
                let pn = c[0] * p[0] + c[1] * p[1] + c[2] * ef;
                *p = [pn, p[0]];
            }
        }
    });
}

/// dispersion.wgsl `correct`: E -= cb (dx/dt) (P(n+1) - P(n)).
pub(super) fn correct(d: &DispersionPlan, runs: &Runs, pol: &[[f32; 2]], e: [&mut [f32]; 3], cb: &[Vec<f32>; 3], dx_over_dt: f32) {
    let e = e.map(Shared::new);
    (0..runs.count()).into_par_iter().for_each(|r| {
        for s in &d.samples[runs.bounds[r]..runs.bounds[r + 1]] {
            let mut dp = 0.0f32;
            for j in 0..s.npoles as usize {
                let st = pol[s.state as usize + j];
                dp += st[0] - st[1];
            }
            let (c, i) = (s.comp as usize, s.index as usize);
            // SAFETY: each (component, cell) is one sample of one run (dispersion_runs).
            unsafe { e[c].at(i, |v| *v -= cb[c][i] * (dx_over_dt * dp)) };
        }
    });
}

/// dft.wgsl `accumulate`: partial += f * (cos, sin)(w t) dt for every sample
/// and frequency; `phase` holds (cos_e, sin_e, cos_h, sin_h) per frequency.
pub(super) fn accumulate(samples: &[DftSample], runs: &Runs, partial: &mut [[f32; 2]], f: &[Vec<f32>; 6], phase: &[f32]) {
    let acc = Shared::new(partial);
    (0..runs.count()).into_par_iter().for_each(|r| {
        let o = runs.outs[r];
        // SAFETY: run r alone writes accumulators outs[r]..outs[r + 1] (Runs::new).
        let part = unsafe { acc.slice(o, runs.outs[r + 1] - o) };
        for s in &samples[runs.bounds[r]..runs.bounds[r + 1]] {
            let field = &f[s.comp as usize];
            let mut v = field[s.index as usize];
            if s.avg_stride != 0 {
                v = 0.5 * (v + field[(s.index - s.avg_stride) as usize]);
            }
            let off = if s.comp < 3 { 0 } else { 2 };
            let ph = &phase[4 * s.freq0 as usize..4 * (s.freq0 + s.nfreq) as usize];
            let out = &mut part[s.acc as usize - o..(s.acc + s.nfreq) as usize - o];
            for (a, p) in out.iter_mut().zip(ph.chunks_exact(4)) {
                a[0] += v * p[off];
                a[1] += v * p[off + 1];
            }
        }
    });
}

/// sources.wgsl `inject`: E -= cb * weight * w.
pub(super) fn inject_e(layers: &[Vec<SourceCell>], f: &mut [Vec<f32>; 6], cb: &[Vec<f32>; 3], wave: &[f32]) {
    for layer in layers {
        for s in layer {
            let (c, i) = (s.comp as usize, s.index as usize);
            f[c][i] -= cb[c][i] * (s.weight * wave[s.profile as usize]);
        }
    }
}

/// sources.wgsl `inject_h`: H -= ch * weight * w.
pub(super) fn inject_h(layers: &[Vec<SourceCell>], f: &mut [Vec<f32>; 6], ch: f32, wave: &[f32]) {
    for layer in layers {
        for s in layer {
            f[3 + s.comp as usize][s.index as usize] -= ch * (s.weight * wave[s.profile as usize]);
        }
    }
}

/// sources.wgsl `mirror_h`: a folded grid's ghost H samples are the images
/// of kept ones, H[index] = weight * H[profile] (see [`crate::symmetry`]).
pub(super) fn mirror_h(cells: &[SourceCell], f: &mut [Vec<f32>; 6]) {
    for c in cells {
        let h = &mut f[3 + c.comp as usize];
        h[c.index as usize] = c.weight * h[c.profile as usize];
    }
}
