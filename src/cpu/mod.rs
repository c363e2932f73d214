//! The CPU twin of the WGSL kernels: the same layout, the same operations in
//! the same order, in plain Rust (rayon over z-planes). Tests compare it with
//! the GPU stepper; it is not meant to be fast.
//!
//! Read it beside shaders/yee.wgsl, shaders/cpml.wgsl, shaders/sources.wgsl
//! and shaders/probes.wgsl.

use rayon::prelude::*;

use num_complex::Complex64;

use crate::error::Result;
use crate::grid::Grid;
use crate::monitor::dft::{phase_table, FLUSH_EVERY};
use crate::sim::{source_waveforms, Fields, Prepared, Stepper};

/// Neighbour access along one axis, as in yee.wgsl: out-of-range samples are
/// zero (PEC wall) unless the axis is periodic.
#[derive(Clone, Copy)]
struct Axis {
    n: usize,
    stride: usize,
    periodic: bool,
}

impl Axis {
    #[inline]
    fn fwd(&self, f: &[f32], idx: usize, coord: usize) -> f32 {
        if coord + 1 < self.n {
            f[idx + self.stride]
        } else if self.periodic {
            f[idx - (self.n - 1) * self.stride]
        } else {
            0.0
        }
    }
    #[inline]
    fn bwd(&self, f: &[f32], idx: usize, coord: usize) -> f32 {
        if coord > 0 {
            f[idx - self.stride]
        } else if self.periodic {
            f[idx + (self.n - 1) * self.stride]
        } else {
            0.0
        }
    }
}

pub struct CpuStepper {
    p: Prepared,
    /// Ex, Ey, Ez, Hx, Hy, Hz; components not evolved are empty.
    f: [Vec<f32>; 6],
    /// Per PML axis: psi_e1, psi_e2, psi_h1, psi_h2, each of the slab's size.
    psi: [Vec<f32>; 3],
    steps: usize,
    probes: Vec<Vec<f32>>,
    /// Running DFT: closed blocks and the open block (dft.wgsl `total`, `partial`).
    dft_total: Vec<[f32; 2]>,
    dft_partial: Vec<[f32; 2]>,
    snapshots: Vec<Vec<(usize, Vec<f32>)>>,
    /// (P, P-) per pole of each dispersive sample (dispersion.wgsl `state`).
    pol: Vec<[f32; 2]>,
}

impl CpuStepper {
    pub fn new(p: Prepared) -> CpuStepper {
        let n = p.grid.cells();
        let dims = p.grid.dims;
        let f = crate::grid::Component::ALL.map(|c| if c.is_active(dims) { vec![0.0f32; n] } else { Vec::new() });
        let psi = [0, 1, 2].map(|a| vec![0.0f32; 4 * slab_cells(&p.grid, a, p.pml[a].layers())]);
        let probes = vec![Vec::new(); p.probes.len()];
        let acc = p.dft.accumulators;
        let snapshots = vec![Vec::new(); p.dft.snapshot_plans().count()];
        let pol = vec![[0.0f32; 2]; p.dispersion.states];
        CpuStepper {
            p,
            f,
            psi,
            steps: 0,
            probes,
            dft_total: vec![[0.0; 2]; acc],
            dft_partial: vec![[0.0; 2]; acc],
            snapshots,
            pol,
        }
    }

    fn axes(&self) -> [Axis; 3] {
        let g = &self.p.grid;
        let s = g.strides();
        let n = g.shape();
        [0, 1, 2].map(|a| Axis {
            n: n[a],
            stride: s[a],
            periodic: a >= g.dims.count() || self.p.boundaries.periodic(a),
        })
    }

    fn step_once(&mut self) {
        let wave = source_waveforms(&self.p.profiles, &self.p.delays, self.p.grid.dt, self.steps, 1);
        self.polarize();
        self.update_h();
        for a in 0..3 {
            self.cpml_h(a);
        }
        self.inject_magnetic(&wave);
        self.update_e();
        for a in 0..3 {
            self.cpml_e(a);
        }
        self.correct_dispersion();
        self.inject_sources(&wave);
        for (p, series) in self.p.probes.iter().zip(self.probes.iter_mut()) {
            series.push(self.f[p.comp as usize][p.index as usize]);
        }
        if self.p.dft.accumulators > 0 {
            self.accumulate_dft();
            if (self.steps + 1).is_multiple_of(FLUSH_EVERY) {
                self.flush_dft();
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

    /// dispersion.wgsl `polarize`: advance P with E = E(n).
    fn polarize(&mut self) {
        let d = &self.p.dispersion;
        for s in &d.samples {
            let e = self.f[s.comp as usize][s.index as usize];
            for j in 0..s.npoles as usize {
                let c = d.coeffs[s.pole0 as usize + j];
                let st = &mut self.pol[s.state as usize + j];
                let pn = c[0] * st[0] + c[1] * st[1] + c[2] * e;
                *st = [pn, st[0]];
            }
        }
    }

    /// dispersion.wgsl `correct`: E -= cb (dx/dt) (P(n+1) - P(n)).
    fn correct_dispersion(&mut self) {
        let d = &self.p.dispersion;
        let dx_over_dt = (self.p.grid.dx / self.p.grid.dt) as f32;
        for s in &d.samples {
            let mut dp = 0.0f32;
            for j in 0..s.npoles as usize {
                let st = self.pol[s.state as usize + j];
                dp += st[0] - st[1];
            }
            let (c, i) = (s.comp as usize, s.index as usize);
            self.f[c][i] -= self.p.cb[c][i] * (dx_over_dt * dp);
        }
    }

    /// dft.wgsl `accumulate`.
    fn accumulate_dft(&mut self) {
        let phase = phase_table(&self.p.dft.freqs, self.p.grid.dt, self.steps, 1);
        for s in &self.p.dft.samples {
            let field = &self.f[s.comp as usize];
            let mut v = field[s.index as usize];
            if s.avg_stride != 0 {
                v = 0.5 * (v + field[(s.index - s.avg_stride) as usize]);
            }
            let electric = s.comp < 3;
            for f in 0..s.nfreq as usize {
                let ph = &phase[4 * (s.freq0 as usize + f)..];
                let (c, sn) = if electric { (ph[0], ph[1]) } else { (ph[2], ph[3]) };
                let acc = &mut self.dft_partial[s.acc as usize + f];
                acc[0] += v * c;
                acc[1] += v * sn;
            }
        }
    }

    /// dft.wgsl `flush`.
    fn flush_dft(&mut self) {
        for (t, p) in self.dft_total.iter_mut().zip(self.dft_partial.iter_mut()) {
            t[0] += p[0];
            t[1] += p[1];
            *p = [0.0; 2];
        }
    }

    /// H -= (dt/dx) curl E, forward differences (yee.wgsl `update_h`).
    fn update_h(&mut self) {
        let g = self.p.grid.clone();
        let [ax, ay, az] = self.axes();
        let two_d = g.dims.count() == 2;
        let ch = self.p.ch;
        let (e, h) = self.f.split_at_mut(3);
        let (ex, ey, ez) = (&e[0], &e[1], &e[2]);
        let plane = g.nx * g.ny;
        let [hx, hy, hz] = h else { unreachable!() };
        if g.dims.has_tm() {
            hx.par_chunks_mut(plane).enumerate().for_each(|(k, out)| {
                for j in 0..g.ny {
                    for i in 0..g.nx {
                        let idx = g.index(i, j, k);
                        let mut curl = ay.fwd(ez, idx, j) - ez[idx];
                        if !two_d {
                            curl -= az.fwd(ey, idx, k) - ey[idx];
                        }
                        out[i + g.nx * j] -= ch * curl;
                    }
                }
            });
            hy.par_chunks_mut(plane).enumerate().for_each(|(k, out)| {
                for j in 0..g.ny {
                    for i in 0..g.nx {
                        let idx = g.index(i, j, k);
                        let mut curl = -(ax.fwd(ez, idx, i) - ez[idx]);
                        if !two_d {
                            curl += az.fwd(ex, idx, k) - ex[idx];
                        }
                        out[i + g.nx * j] -= ch * curl;
                    }
                }
            });
        }
        if g.dims.has_te() {
            hz.par_chunks_mut(plane).enumerate().for_each(|(k, out)| {
                for j in 0..g.ny {
                    for i in 0..g.nx {
                        let idx = g.index(i, j, k);
                        let curl = (ax.fwd(ey, idx, i) - ey[idx]) - (ay.fwd(ex, idx, j) - ex[idx]);
                        out[i + g.nx * j] -= ch * curl;
                    }
                }
            });
        }
    }

    /// E = ca E + cb curl H, backward differences (yee.wgsl `update_e`).
    fn update_e(&mut self) {
        let g = self.p.grid.clone();
        let [ax, ay, az] = self.axes();
        let two_d = g.dims.count() == 2;
        let plane = g.nx * g.ny;
        let (e, h) = self.f.split_at_mut(3);
        let (hx, hy, hz) = (&h[0], &h[1], &h[2]);
        let cb = &self.p.cb;
        let ca = self.p.ca.as_ref();
        let [ex, ey, ez] = e else { unreachable!() };
        let upd = |out: &mut [f32], a: usize, k: usize, curl: &(dyn Fn(usize, usize, usize) -> f32 + Sync)| {
            for j in 0..g.ny {
                for i in 0..g.nx {
                    let idx = g.index(i, j, k);
                    let c = curl(i, j, idx);
                    let o = &mut out[i + g.nx * j];
                    let old = match ca {
                        Some(ca) => ca[a][idx] * *o,
                        None => *o,
                    };
                    *o = old + cb[a][idx] * c;
                }
            }
        };
        if g.dims.has_te() {
            ex.par_chunks_mut(plane).enumerate().for_each(|(k, out)| {
                upd(out, 0, k, &|_i, j, idx| {
                    let mut c = hz[idx] - ay.bwd(hz, idx, j);
                    if !two_d {
                        c -= hy[idx] - az.bwd(hy, idx, k);
                    }
                    c
                })
            });
            ey.par_chunks_mut(plane).enumerate().for_each(|(k, out)| {
                upd(out, 1, k, &|i, _j, idx| {
                    let mut c = -(hz[idx] - ax.bwd(hz, idx, i));
                    if !two_d {
                        c += hx[idx] - az.bwd(hx, idx, k);
                    }
                    c
                })
            });
        }
        if g.dims.has_tm() {
            ez.par_chunks_mut(plane).enumerate().for_each(|(k, out)| {
                upd(out, 2, k, &|i, j, idx| {
                    (hy[idx] - ax.bwd(hy, idx, i)) - (hx[idx] - ay.bwd(hx, idx, j))
                })
            });
        }
    }

    /// Which of the two transverse pairs along `a` are evolved:
    /// (E_{a+1}, H_{a+2}) and (E_{a+2}, H_{a+1}).
    fn pairs_on(&self, a: usize) -> (bool, bool) {
        let dims = self.p.grid.dims;
        let e = |c: usize| crate::grid::Component::electric(c % 3).is_active(dims);
        (e(a + 1), e(a + 2))
    }

    /// CPML correction of E in the slabs of axis `a` (cpml.wgsl `cpml_e`).
    fn cpml_e(&mut self, a: usize) {
        let prof = &self.p.pml[a];
        if prof.layers() == 0 {
            return;
        }
        let g = &self.p.grid;
        let (on1, on2) = self.pairs_on(a);
        let (c1, c2) = ((a + 1) % 3, (a + 2) % 3);
        let stride = g.strides()[a];
        let total = slab_cells(g, a, prof.layers());
        let psi = &mut self.psi[a];
        for t in 0..total {
            let (idx, s, coord) = slab_cell(g, a, prof, t);
            let [be, ce, ke, ..] = prof.coeffs[s];
            let bwd = |f: &[f32]| if coord > 0 { f[idx - stride] } else { 0.0 };
            if on1 {
                let h2 = &self.f[3 + c2];
                let dh2 = h2[idx] - bwd(h2);
                psi[t] = be * psi[t] + ce * dh2;
                let corr = -(ke * dh2) - psi[t];
                self.f[c1][idx] += self.p.cb[c1][idx] * corr;
            }
            if on2 {
                let h1 = &self.f[3 + c1];
                let dh1 = h1[idx] - bwd(h1);
                psi[total + t] = be * psi[total + t] + ce * dh1;
                let corr = ke * dh1 + psi[total + t];
                self.f[c2][idx] += self.p.cb[c2][idx] * corr;
            }
        }
    }

    /// CPML correction of H in the slabs of axis `a` (cpml.wgsl `cpml_h`).
    fn cpml_h(&mut self, a: usize) {
        let prof = &self.p.pml[a];
        if prof.layers() == 0 {
            return;
        }
        let g = &self.p.grid;
        let (on1, on2) = self.pairs_on(a);
        let (c1, c2) = ((a + 1) % 3, (a + 2) % 3);
        let stride = g.strides()[a];
        let n = g.shape()[a];
        let ch = self.p.ch;
        let total = slab_cells(g, a, prof.layers());
        let psi = &mut self.psi[a];
        for t in 0..total {
            let (idx, s, coord) = slab_cell(g, a, prof, t);
            let [.., bh, chh, kh] = prof.coeffs[s];
            let fwd = |f: &[f32]| if coord + 1 < n { f[idx + stride] } else { 0.0 };
            if on2 {
                // H_{a+1} gets + d E_{a+2} / d a.
                let e2 = &self.f[c2];
                let de2 = fwd(e2) - e2[idx];
                psi[2 * total + t] = bh * psi[2 * total + t] + chh * de2;
                let corr = kh * de2 + psi[2 * total + t];
                self.f[3 + c1][idx] += ch * corr;
            }
            if on1 {
                // H_{a+2} gets - d E_{a+1} / d a.
                let e1 = &self.f[c1];
                let de1 = fwd(e1) - e1[idx];
                psi[3 * total + t] = bh * psi[3 * total + t] + chh * de1;
                let corr = kh * de1 + psi[3 * total + t];
                self.f[3 + c2][idx] -= ch * corr;
            }
        }
    }

    /// Magnetic currents: H -= ch * weight * w (sources.wgsl `inject_h`).
    fn inject_magnetic(&mut self, wave: &[f32]) {
        let ch = self.p.ch;
        for layer in &self.p.magnetic_layers {
            for s in layer {
                self.f[3 + s.comp as usize][s.index as usize] -= ch * (s.weight * wave[s.profile as usize]);
            }
        }
    }

    fn inject_sources(&mut self, wave: &[f32]) {
        for layer in &self.p.source_layers {
            for s in layer {
                let c = s.comp as usize;
                let i = s.index as usize;
                self.f[c][i] -= self.p.cb[c][i] * (s.weight * wave[s.profile as usize]);
            }
        }
    }
}

/// Number of cells in the slab region of axis `a` with `layers` layers.
pub(crate) fn slab_cells(g: &Grid, a: usize, layers: usize) -> usize {
    let mut n = g.shape();
    n[a] = layers;
    n.iter().product()
}

/// Slab thread t -> (grid index, layer, coordinate along the axis); the slab
/// box is walked x-fastest like the grid (cpml.wgsl `slab_cell`).
fn slab_cell(g: &Grid, a: usize, prof: &crate::boundary::PmlProfile, t: usize) -> (usize, usize, usize) {
    let mut ext = g.shape();
    ext[a] = prof.layers();
    let u = t % ext[0];
    let v = (t / ext[0]) % ext[1];
    let w = t / (ext[0] * ext[1]);
    let mut ijk = [u, v, w];
    let s = ijk[a];
    ijk[a] = prof.cell_of_layer(s);
    (g.index(ijk[0], ijk[1], ijk[2]), s, ijk[a])
}

impl Stepper for CpuStepper {
    fn run(&mut self, steps: usize) -> Result<()> {
        for _ in 0..steps {
            self.step_once();
        }
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
