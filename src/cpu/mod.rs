//! The native CPU engine: the same physics as the WGSL kernels, with the
//! same layout and the same operations in the same order, written to be fast
//! on a CPU. It is both a backend of its own (`--backend cpu`, and what
//! `auto` picks when the only adapters are software rasterisers) and the twin
//! the GPU stepper is tested against: there is one CPU implementation of each
//! kernel.
//!
//! Kernels, each beside its shader:
//! - [`yee`]: update_h / update_e (shaders/yee.wgsl), rows along x, rayon
//!   over blocks of rows, no per-cell boundary branches;
//! - [`cpml`]: the CPML corrections in the slabs only (the CPML terms of
//!   shaders/yee.wgsl), applied by the Yee row sweep to the rows in a slab;
//! - [`samples`]: sources, dispersive polarisation and the running DFT
//!   (shaders/sources.wgsl, dispersion.wgsl, dft.wgsl).
//!
//! One step, as in `GpuStepper::encode_step`: polarize, update_h (with its
//! CPML terms), magnetic currents, update_e (with its CPML terms), correct,
//! electric currents, probes, DFT. The CPML corrections of a row follow its
//! interior update in the same sweep, x then y then z: per cell the same
//! operations in the same order as the shader. Fields are f32. Nothing is
//! allocated in the step loop: waveforms and DFT phases are computed per
//! batch of steps into buffers made once.

mod cpml;
mod samples;
mod yee;

use std::marker::PhantomData;

use num_complex::Complex64;

use crate::error::Result;
use crate::grid::{Component, Grid};
use crate::monitor::dft::{phase_table_into, FLUSH_EVERY};
use crate::sim::{source_waveforms_into, Fields, Prepared, Stepper};

/// Steps whose waveforms and DFT phases are computed together.
const BATCH: usize = FLUSH_EVERY;

/// A slice written by several threads at places no two of them share.
/// The kernels that use it say why their places are disjoint.
pub(crate) struct Shared<'a, T> {
    ptr: *mut T,
    len: usize,
    _life: PhantomData<&'a mut [T]>,
}

// SAFETY: a Shared hands out only the disjoint sub-slices its users ask for
// (see `slice`); the data itself is Send.
unsafe impl<T: Send> Send for Shared<'_, T> {}
unsafe impl<T: Send> Sync for Shared<'_, T> {}

impl<'a, T> Shared<'a, T> {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn new(s: &'a mut [T]) -> Shared<'a, T> {
        Shared {
            ptr: s.as_mut_ptr(),
            len: s.len(),
            _life: PhantomData,
        }
    }
    /// Elements `start..start + len`.
    ///
    /// # Safety
    /// No two slices obtained from one `Shared` may overlap while both live.
    #[allow(clippy::mut_from_ref)]
    #[inline]
    pub unsafe fn slice(&self, start: usize, len: usize) -> &mut [T] {
        assert!(start + len <= self.len, "shared slice {start}+{len} beyond {}", self.len);
        // SAFETY: in bounds (checked); exclusive by the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }
    /// Apply `f` to element `i`.
    ///
    /// # Safety
    /// As for [`Shared::slice`].
    #[inline]
    pub unsafe fn at(&self, i: usize, f: impl FnOnce(&mut T)) {
        // SAFETY: forwarded to the caller.
        f(unsafe { &mut self.slice(i, 1)[0] })
    }
}

/// What the native engine runs on: threads and vector width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuInfo {
    pub threads: usize,
    /// f32 lanes of the widest vector instructions this binary's loops use.
    pub simd_lanes: usize,
    /// The instruction set those lanes come from.
    pub simd: &'static str,
    /// The CPU's model name, where the OS tells it.
    pub model: String,
}

impl CpuInfo {
    pub fn detect() -> CpuInfo {
        let (simd, simd_lanes) = compiled_simd();
        let model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        CpuInfo {
            threads: rayon::current_num_threads(),
            simd_lanes,
            simd,
            model,
        }
    }
}

impl std::fmt::Display for CpuInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "native CPU engine ({} thread{}, {} x f32 {}; {})",
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            self.simd_lanes,
            self.simd,
            self.model
        )
    }
}

/// The vector instructions the compiler was allowed to use for this binary.
fn compiled_simd() -> (&'static str, usize) {
    if cfg!(target_feature = "avx512f") {
        ("AVX-512", 16)
    } else if cfg!(target_feature = "avx2") {
        ("AVX2", 8)
    } else if cfg!(target_feature = "avx") {
        ("AVX", 8)
    } else if cfg!(target_feature = "sse2") {
        ("SSE2", 4)
    } else if cfg!(target_feature = "neon") {
        ("NEON", 4)
    } else {
        ("scalar", 1)
    }
}

pub struct CpuStepper {
    p: Prepared,
    /// Ex, Ey, Ez, Hx, Hy, Hz; components not evolved are empty.
    f: [Vec<f32>; 6],
    /// Per PML axis: [psi_e1 | psi_e2 | psi_h1 | psi_h2], each of the slab's size.
    psi: [Vec<f32>; 3],
    /// One row of zeros: the neighbour row beyond a PEC wall.
    zero: Vec<f32>,
    rows: yee::Rows,
    /// The x CPML profile by column.
    x_cols: [Vec<f32>; 6],
    steps: usize,
    probes: Vec<Vec<f32>>,
    /// Running DFT: closed blocks and the open block (dft.wgsl `total`, `partial`).
    dft_total: Vec<[f32; 2]>,
    dft_partial: Vec<[f32; 2]>,
    dft_runs: samples::Runs,
    snapshots: Vec<Vec<(usize, Vec<f32>)>>,
    /// (P, P-) per pole of each dispersive sample (dispersion.wgsl `state`).
    pol: Vec<[f32; 2]>,
    pol_runs: samples::Runs,
    /// Waveforms and DFT phases of the current batch of steps.
    wave: Vec<f32>,
    phase: Vec<f32>,
    batch_first: usize,
    batch_len: usize,
    /// Samples per parallel run of a sample list.
    run: usize,
}

/// Tasks per thread in a parallel sweep: enough for rayon to balance, few
/// enough that each is a long contiguous run.
const TASKS_PER_THREAD: usize = 8;

fn block(rows: usize) -> usize {
    rows.div_ceil(rayon::current_num_threads() * TASKS_PER_THREAD).max(1)
}

impl CpuStepper {
    pub fn new(p: Prepared) -> CpuStepper {
        Self::with_run_length(p, samples::RUN)
    }

    /// A stepper whose sample lists (dispersive cells, DFT samples) go to
    /// threads in runs of `run` samples; tests use short runs to exercise
    /// the parallel path on small scenes.
    pub fn with_run_length(p: Prepared, run: usize) -> CpuStepper {
        let run = run.max(1);
        let g = &p.grid;
        let n = g.cells();
        let dims = g.dims;
        let f = Component::ALL.map(|c| if c.is_active(dims) { zeroed(n) } else { Vec::new() });
        let psi = [0, 1, 2].map(|a| zeroed(4 * slab_cells(g, a, p.pml[a].layers())));
        let rows = yee::Rows {
            nx: g.nx,
            ny: g.ny,
            nz: g.nz,
            periodic: [0, 1, 2].map(|a| a >= dims.count() || p.boundaries.periodic(a)),
            block: block(g.ny * g.nz),
            stretch: [g.stretch(1), g.stretch(2)],
        };
        let acc = p.dft.accumulators;
        CpuStepper {
            probes: vec![Vec::new(); p.probes.len()],
            dft_total: vec![[0.0; 2]; acc],
            dft_partial: vec![[0.0; 2]; acc],
            dft_runs: samples::dft_runs(&p.dft.samples, acc, run),
            snapshots: vec![Vec::new(); p.dft.snapshot_plans().count()],
            pol: vec![[0.0f32; 2]; p.dispersion.states],
            pol_runs: samples::dispersion_runs(&p.dispersion, run),
            zero: vec![0.0; g.nx],
            wave: Vec::with_capacity(BATCH * p.profiles.len()),
            phase: Vec::with_capacity(BATCH * 4 * p.dft.freqs.len()),
            batch_first: 0,
            batch_len: 0,
            run,
            rows,
            x_cols: cpml::columns(&p.pml[0]),
            f,
            psi,
            steps: 0,
            p,
        }
    }

    /// How many parallel runs the dispersive and DFT sample lists go in.
    pub fn sample_runs(&self) -> (usize, usize) {
        (self.pol_runs.count(), self.dft_runs.count())
    }

    /// Start again from zero fields, with the sources and DFT samples of
    /// `p`, reusing every array. `p` must be this stepper's set-up with
    /// sources moved in place ([`Prepared::move_dipole`]), as for
    /// `GpuStepper::restart` (checked).
    pub fn restart(&mut self, p: &Prepared) -> Result<()> {
        self.p.check_restart(p)?;
        self.p.source_layers.clone_from(&p.source_layers);
        self.p.magnetic_layers.clone_from(&p.magnetic_layers);
        self.p.profiles.clone_from(&p.profiles);
        self.p.delays.clone_from(&p.delays);
        self.p.dft = p.dft.clone();
        self.dft_runs = samples::dft_runs(&self.p.dft.samples, self.p.dft.accumulators, self.run);
        for v in self.f.iter_mut().chain(self.psi.iter_mut()) {
            v.fill(0.0);
        }
        self.pol.fill([0.0; 2]);
        self.dft_total.fill([0.0; 2]);
        self.dft_partial.fill([0.0; 2]);
        self.probes.iter_mut().for_each(Vec::clear);
        self.snapshots.iter_mut().for_each(Vec::clear);
        self.steps = 0;
        self.batch_first = 0;
        self.batch_len = 0;
        Ok(())
    }

    /// Waveforms and DFT phases for the steps from `self.steps` on.
    fn fill_batch(&mut self, left: usize) {
        let n = left.min(BATCH);
        let dt = self.p.grid.dt;
        source_waveforms_into(&mut self.wave, &self.p.profiles, &self.p.delays, dt, self.steps, n);
        if self.p.dft.accumulators > 0 {
            phase_table_into(&mut self.phase, &self.p.dft.freqs, dt, self.steps, n);
        }
        self.batch_first = self.steps;
        self.batch_len = n;
    }

    fn step_once(&mut self) {
        let s = self.steps - self.batch_first;
        let np = self.p.profiles.len();
        let nf = self.p.dft.freqs.len();
        self.polarize();
        self.update_h();
        samples::inject_h(&self.p.magnetic_layers, &mut self.f, self.p.ch, &self.wave[s * np..(s + 1) * np]);
        samples::mirror_h(&self.p.mirror_cells, &mut self.f);
        self.update_e();
        self.correct_dispersion();
        samples::inject_e(&self.p.source_layers, &mut self.f, &self.p.cb, &self.wave[s * np..(s + 1) * np]);
        for (p, series) in self.p.probes.iter().zip(self.probes.iter_mut()) {
            series.push(self.f[p.comp as usize][p.index as usize]);
        }
        if self.p.dft.accumulators > 0 {
            let phase = &self.phase[4 * nf * s..4 * nf * (s + 1)];
            samples::accumulate(&self.p.dft.samples, &self.dft_runs, &mut self.dft_partial, &self.f, phase);
            if (self.steps + 1).is_multiple_of(FLUSH_EVERY) {
                for (t, p) in self.dft_total.iter_mut().zip(self.dft_partial.iter_mut()) {
                    t[0] += p[0];
                    t[1] += p[1];
                    *p = [0.0; 2];
                }
            }
        }
        self.steps += 1;
        for ((every, cells), frames) in self.p.dft.snapshot_plans().zip(self.snapshots.iter_mut()) {
            if self.steps.is_multiple_of(every) {
                frames.push((
                    self.steps,
                    cells.iter().map(|c| self.f[c.comp as usize][c.index as usize]).collect(),
                ));
            }
        }
    }

    fn polarize(&mut self) {
        if self.p.dispersion.samples.is_empty() {
            return;
        }
        let e = [&self.f[0][..], &self.f[1][..], &self.f[2][..]];
        samples::polarize(&self.p.dispersion, &self.pol_runs, &mut self.pol, &e);
    }

    fn correct_dispersion(&mut self) {
        if self.p.dispersion.samples.is_empty() {
            return;
        }
        let dx_over_dt = (self.p.grid.dx / self.p.grid.dt) as f32;
        let [ex, ey, ez, ..] = &mut self.f;
        samples::correct(&self.p.dispersion, &self.pol_runs, &self.pol, [ex, ey, ez], &self.p.cb, dx_over_dt);
    }

    /// The CPML slabs, corrected inside the Yee sweep; None without any.
    fn slabs<'a>(p: &'a Prepared, x_cols: &'a [Vec<f32>; 6], psi: &'a mut [Vec<f32>; 3]) -> Option<cpml::Slabs<'a>> {
        if p.pml.iter().all(|q| q.layers() == 0) {
            return None;
        }
        let [p0, p1, p2] = psi;
        let x = (p.pml[0].layers() > 0).then(|| cpml::XSlab {
            prof: &p.pml[0],
            cols: x_cols,
            psi: Shared::new(p0),
        });
        let yz = |a: usize, v: &'a mut Vec<f32>| {
            (p.pml[a].layers() > 0).then(|| cpml::YzSlab {
                axis: a,
                prof: &p.pml[a],
                psi: Shared::new(v),
            })
        };
        Some(cpml::Slabs {
            nx: p.grid.nx,
            ny: p.grid.ny,
            x,
            yz: [yz(1, p1), yz(2, p2)],
        })
    }

    /// update_h with the CPML corrections (yee.wgsl `update_h`).
    fn update_h(&mut self) {
        let two_d = self.p.grid.dims.count() == 2;
        let [ex, ey, ez, hx, hy, hz] = &mut self.f;
        let half = yee::Half {
            out: [hx, hy, hz],
            inp: [ex, ey, ez],
        };
        let slabs = Self::slabs(&self.p, &self.x_cols, &mut self.psi);
        yee::update_h(&self.rows, half, self.p.ch, two_d, &self.zero, slabs.as_ref());
    }

    /// update_e with the CPML corrections (yee.wgsl `update_e`).
    fn update_e(&mut self) {
        let two_d = self.p.grid.dims.count() == 2;
        let [ex, ey, ez, hx, hy, hz] = &mut self.f;
        let half = yee::Half {
            out: [ex, ey, ez],
            inp: [hx, hy, hz],
        };
        let cb = [&self.p.cb[0][..], &self.p.cb[1][..], &self.p.cb[2][..]];
        let ca = self.p.ca.as_ref().map(|ca| [&ca[0][..], &ca[1][..], &ca[2][..]]);
        let slabs = Self::slabs(&self.p, &self.x_cols, &mut self.psi);
        yee::update_e(&self.rows, half, cb, ca, two_d, &self.zero, slabs.as_ref());
    }
}

impl CpuStepper {}

/// `n` zeros, written once by all threads: the pages are mapped here, in
/// set-up, rather than by page faults in the first steps (a run's rate would
/// otherwise include them, and faults from two threads contend).
fn zeroed(n: usize) -> Vec<f32> {
    use rayon::prelude::*;
    let mut v = vec![0.0f32; n];
    v.par_chunks_mut(1 << 16).for_each(|c| c.fill(std::hint::black_box(0.0)));
    v
}

/// Number of cells in the slab region of axis `a` with `layers` layers.
pub(crate) fn slab_cells(g: &Grid, a: usize, layers: usize) -> usize {
    let mut n = g.shape();
    n[a] = layers;
    n.iter().product()
}

impl Stepper for CpuStepper {
    fn run(&mut self, steps: usize) -> Result<()> {
        // The loop runs on a rayon worker: its parallel sweeps then split
        // through the workers' own deques, instead of each being injected
        // into the pool from outside (a wake-up per sweep, and the injector
        // queue allocating as it goes).
        rayon::scope(|_| {
            for left in (1..=steps).rev() {
                if !(self.batch_first..self.batch_first + self.batch_len).contains(&self.steps) {
                    self.fill_batch(left);
                }
                self.step_once();
            }
        });
        Ok(())
    }
    fn steps_done(&self) -> usize {
        self.steps
    }
    fn fields(&mut self) -> Result<Fields> {
        Ok(Fields {
            grid: self.p.grid.clone(),
            comps: self.f.clone(),
        })
    }
    fn blowup(&mut self) -> Result<Option<crate::sim::Blowup>> {
        Ok(crate::sim::find_blowup(&self.p.grid, &self.f))
    }
    fn probe_series(&self) -> &[Vec<f32>] {
        &self.probes
    }
    fn dft_sums(&mut self) -> Result<Vec<Complex64>> {
        Ok(self
            .dft_total
            .iter()
            .zip(&self.dft_partial)
            .map(|(t, p)| Complex64::new(t[0] as f64 + p[0] as f64, t[1] as f64 + p[1] as f64))
            .collect())
    }
    fn snapshots(&self) -> &[Vec<(usize, Vec<f32>)>] {
        &self.snapshots
    }
    fn prepared(&self) -> &Prepared {
        &self.p
    }
}
