//! The native engine's CPML corrections: the twin of the CPML terms of shaders/yee.wgsl
//! (applied per cell after the interior update), in the boundary
//! slabs only.
//!
//! For axis a, with e1 = E_{a+1}, e2 = E_{a+2}, h1 = H_{a+1}, h2 = H_{a+2}
//! and d the difference along a (backward for E, forward for H):
//!   psi_e1 = b_e psi_e1 + c_e d(h2);  e1 += cb1 * (-(1/kappa - 1) d(h2) - psi_e1)
//!   psi_e2 = b_e psi_e2 + c_e d(h1);  e2 += cb2 * ( (1/kappa - 1) d(h1) + psi_e2)
//!   psi_h1 = b_h psi_h1 + c_h d(e2);  h1 += ch  * ( (1/kappa - 1) d(e2) + psi_h1)
//!   psi_h2 = b_h psi_h2 + c_h d(e1);  h2 -= ch  * ( (1/kappa - 1) d(e1) + psi_h2)
//! Samples beyond the domain along a are zero (a CPML axis is never periodic).
//!
//! psi is laid out as on the GPU: [psi_e1 | psi_e2 | psi_h1 | psi_h2], each
//! over the slab box (the grid with the axis extent replaced by the layer
//! count), x-fastest. The slabs of y and z are walked by their rows here: a
//! slab row is a whole grid row and one layer, so the coefficients are
//! constants and the loop along x vectorises; rows go to threads in blocks.
//! Along x a slab row is the `layers` samples at both ends of a grid row:
//! those are corrected inside the Yee sweep ([`XSlab`], called from yee.rs),
//! in runs with their coefficients by column.

use rayon::prelude::*;

use crate::boundary::PmlProfile;

use super::Shared;

/// The slab of axis y or z, as the kernels walk it.
pub(super) struct Slab<'a> {
    pub axis: usize,
    pub prof: &'a PmlProfile,
    pub shape: [usize; 3],
    /// Pairs evolved: (e1, h2) and (e2, h1).
    pub on: (bool, bool),
    /// Slab rows per parallel task.
    pub block: usize,
}

/// The slab of axis x: corrected row by row inside the Yee sweep
/// (yee.rs), right after each row's interior update, while the row is in
/// cache. Per cell that is the shader's order all the same: the interior
/// update, then the x correction, then (in their own passes) y and z.
pub(super) struct XSlab<'a> {
    pub prof: &'a PmlProfile,
    /// The profile by column, [b_e, c_e, k_e, b_h, c_h, k_h][layer].
    pub cols: &'a [Vec<f32>; 6],
    /// [psi_e1 | psi_e2 | psi_h1 | psi_h2] of axis x; grid row r owns
    /// `layers` entries at r * layers of each part.
    pub psi: Shared<'a, f32>,
}

impl XSlab<'_> {
    /// x correction of the H row r: Hy (from Ez) and Hz (from Ey), each
    /// where evolved (empty rows are not).
    #[inline]
    pub fn h_row(&self, r: usize, hy: &mut [f32], hz: &mut [f32], ey: &[f32], ez: &[f32], ch: f32) {
        let l = self.prof.layers();
        let total = self.psi_len() / 4;
        let [.., b, c, k] = self.cols;
        if !ez.is_empty() {
            // SAFETY: row r's entries of psi_h1 belong to row r alone.
            let p = unsafe { self.psi.slice(2 * total + r * l, l) };
            x_slab_h(self.prof, p, hy, ez, [b, c, k], 1.0, ch);
        }
        if !ey.is_empty() {
            // SAFETY: as above, psi_h2.
            let p = unsafe { self.psi.slice(3 * total + r * l, l) };
            x_slab_h(self.prof, p, hz, ey, [b, c, k], -1.0, ch);
        }
    }
    /// x correction of the E row r: Ey (from Hz) and Ez (from Hy).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn e_row(&self, r: usize, ey: &mut [f32], ez: &mut [f32], hy: &[f32], hz: &[f32], cby: &[f32], cbz: &[f32]) {
        let l = self.prof.layers();
        let total = self.psi_len() / 4;
        let [b, c, k, ..] = self.cols;
        if !ey.is_empty() {
            // SAFETY: row r's entries of psi_e1 belong to row r alone.
            let p = unsafe { self.psi.slice(r * l, l) };
            x_slab_e(self.prof, p, ey, hz, cby, [b, c, k], -1.0);
        }
        if !ez.is_empty() {
            // SAFETY: as above, psi_e2.
            let p = unsafe { self.psi.slice(total + r * l, l) };
            x_slab_e(self.prof, p, ez, hy, cbz, [b, c, k], 1.0);
        }
    }
    fn psi_len(&self) -> usize {
        self.psi.len()
    }
}

/// A profile's coefficients by column (see [`Slab::cols`]).
pub(super) fn columns(prof: &PmlProfile) -> [Vec<f32>; 6] {
    [0, 1, 2, 3, 4, 5].map(|m| prof.coeffs.iter().map(|c| c[m]).collect())
}

impl Slab<'_> {
    /// Length of one slab row.
    fn row_len(&self) -> usize {
        self.shape[0]
    }
    /// Slab row q -> (grid row, its layer along the axis).
    #[inline]
    fn grid_row(&self, q: usize) -> (usize, usize) {
        let [_, ny, _] = self.shape;
        let layers = self.prof.layers();
        match self.axis {
            1 => {
                let (s, k) = (q % layers, q / layers);
                (self.prof.cell_of_layer(s) + ny * k, s)
            }
            _ => {
                let (j, s) = (q % ny, q / ny);
                (j + ny * self.prof.cell_of_layer(s), s)
            }
        }
    }
    /// Grid rows between a row and its neighbour along y or z.
    fn row_stride(&self) -> usize {
        if self.axis == 1 {
            1
        } else {
            self.shape[1]
        }
    }
}

/// CPML correction of E in one slab (yee.wgsl, E half): `psi` is the
/// axis's [psi_e1 | psi_e2] part, `e1`, `e2` the components corrected.
#[allow(clippy::too_many_arguments)]
pub(super) fn cpml_e(
    slab: &Slab<'_>,
    psi: &mut [f32],
    e1: &Shared<'_, f32>,
    e2: &Shared<'_, f32>,
    h1: &[f32],
    h2: &[f32],
    cb1: &[f32],
    cb2: &[f32],
) {
    let nx = slab.shape[0];
    let len = slab.row_len();
    let (pe1, pe2) = psi.split_at_mut(psi.len() / 2);
    let (on1, on2) = slab.on;
    let stride = slab.row_stride() * nx;
    pe1.par_chunks_mut(len * slab.block)
        .zip(pe2.par_chunks_mut(len * slab.block))
        .enumerate()
        .for_each(|(c, (pe1, pe2))| {
            for (q, (pe1, pe2)) in pe1.chunks_exact_mut(len).zip(pe2.chunks_exact_mut(len)).enumerate() {
                let (r, s) = slab.grid_row(c * slab.block + q);
                let base = r * nx;
                let [b, cc, k, ..] = slab.prof.coeffs[s];
                let first = slab.prof.cell_of_layer(s) == 0;
                let span = base..base + nx;
                let prev = (!first).then(|| base - stride..base - stride + nx);
                let run = |pe: &mut [f32], e: &Shared<'_, f32>, h: &[f32], cb: &[f32], sign: f32| {
                    // SAFETY: grid row r belongs to slab row q alone.
                    let e = unsafe { e.slice(base, nx) };
                    let (h0, cb) = (&h[span.clone()], &cb[span.clone()]);
                    match prev.clone() {
                        Some(pr) => {
                            let hm = &h[pr];
                            for ((((p, e), &h0), &hm), &cb) in pe.iter_mut().zip(e.iter_mut()).zip(h0).zip(hm).zip(cb) {
                                let d = h0 - hm;
                                *p = b * *p + cc * d;
                                *e += cb * correction(sign, k, d, *p);
                            }
                        }
                        None => {
                            for (((p, e), &h0), &cb) in pe.iter_mut().zip(e.iter_mut()).zip(h0).zip(cb) {
                                let d = h0 - 0.0;
                                *p = b * *p + cc * d;
                                *e += cb * correction(sign, k, d, *p);
                            }
                        }
                    }
                };
                if on1 {
                    run(pe1, e1, h2, cb1, -1.0);
                }
                if on2 {
                    run(pe2, e2, h1, cb2, 1.0);
                }
            }
        });
}

/// The bracket of the correction: -(k d) - psi for sign < 0, k d + psi for
/// sign > 0 (written out so the rounding is the shader's).
#[inline(always)]
fn correction(sign: f32, k: f32, d: f32, p: f32) -> f32 {
    if sign < 0.0 {
        -(k * d) - p
    } else {
        k * d + p
    }
}

/// CPML correction of H in one slab (yee.wgsl, H half): `psi` is the
/// axis's [psi_h1 | psi_h2] part, `h1`, `h2` the components corrected.
#[allow(clippy::too_many_arguments)]
pub(super) fn cpml_h(slab: &Slab<'_>, psi: &mut [f32], h1: &Shared<'_, f32>, h2: &Shared<'_, f32>, e1: &[f32], e2: &[f32], ch: f32) {
    let nx = slab.shape[0];
    let n = slab.prof.n;
    let len = slab.row_len();
    let (ph1, ph2) = psi.split_at_mut(psi.len() / 2);
    let (on1, on2) = slab.on;
    let stride = slab.row_stride() * nx;
    ph1.par_chunks_mut(len * slab.block)
        .zip(ph2.par_chunks_mut(len * slab.block))
        .enumerate()
        .for_each(|(c, (ph1, ph2))| {
            for (q, (ph1, ph2)) in ph1.chunks_exact_mut(len).zip(ph2.chunks_exact_mut(len)).enumerate() {
                let (r, s) = slab.grid_row(c * slab.block + q);
                let base = r * nx;
                let [.., b, cc, k] = slab.prof.coeffs[s];
                let last = slab.prof.cell_of_layer(s) + 1 == n;
                let span = base..base + nx;
                let run = |ph: &mut [f32], h: &Shared<'_, f32>, e: &[f32], sign: f32| {
                    // SAFETY: grid row r belongs to slab row q alone.
                    let h = unsafe { h.slice(base, nx) };
                    let e0 = &e[span.clone()];
                    if last {
                        for ((p, h), &e0) in ph.iter_mut().zip(h.iter_mut()).zip(e0) {
                            let d = 0.0 - e0;
                            *p = b * *p + cc * d;
                            apply_h(h, sign, ch, k, d, *p);
                        }
                    } else {
                        let ep = &e[base + stride..base + stride + nx];
                        for (((p, h), &e0), &ep) in ph.iter_mut().zip(h.iter_mut()).zip(e0).zip(ep) {
                            let d = ep - e0;
                            *p = b * *p + cc * d;
                            apply_h(h, sign, ch, k, d, *p);
                        }
                    }
                };
                if on2 {
                    run(ph1, h1, e2, 1.0);
                }
                if on1 {
                    run(ph2, h2, e1, -1.0);
                }
            }
        });
}

#[inline(always)]
fn apply_h(h: &mut f32, sign: f32, ch: f32, k: f32, d: f32, p: f32) {
    if sign > 0.0 {
        *h += ch * (k * d + p);
    } else {
        *h -= ch * (k * d + p);
    }
}

/// One grid row of the x slab, E side: the `lo` samples at its start and the
/// `hi` at its end, psi [lo | hi]. Samples from 1 on have a backward
/// neighbour in the row; sample 0 has none (zero).
fn x_slab_e(prof: &PmlProfile, psi: &mut [f32], e: &mut [f32], h: &[f32], cb: &[f32], [b, c, k]: [&Vec<f32>; 3], sign: f32) {
    let (lo, n) = (prof.lo, prof.n);
    let layers = prof.layers();
    if lo > 0 {
        let d = h[0] - 0.0;
        psi[0] = b[0] * psi[0] + c[0] * d;
        e[0] += cb[0] * correction(sign, k[0], d, psi[0]);
    }
    // (psi and coefficient range, first grid sample) of the two runs.
    for (u, i0) in [(1.min(lo)..lo, 1.min(lo)), (lo..layers, n - prof.hi)] {
        let m = u.len();
        if m == 0 {
            continue;
        }
        let (p, b, c, k) = (&mut psi[u.clone()], &b[u.clone()], &c[u.clone()], &k[u]);
        let (e, h0, hm, cb) = (&mut e[i0..i0 + m], &h[i0..i0 + m], &h[i0 - 1..i0 + m - 1], &cb[i0..i0 + m]);
        for i in 0..m {
            let d = h0[i] - hm[i];
            p[i] = b[i] * p[i] + c[i] * d;
            e[i] += cb[i] * correction(sign, k[i], d, p[i]);
        }
    }
}

/// One grid row of the x slab, H side: samples up to n - 2 have a forward
/// neighbour in the row; sample n - 1 has none (zero).
fn x_slab_h(prof: &PmlProfile, psi: &mut [f32], h: &mut [f32], e: &[f32], [b, c, k]: [&Vec<f32>; 3], sign: f32, ch: f32) {
    let (lo, hi, n) = (prof.lo, prof.hi, prof.n);
    let layers = prof.layers();
    let hi_runs = hi.saturating_sub(1);
    for (u, i0) in [(0..lo, 0), (lo..lo + hi_runs, n - hi)] {
        let m = u.len();
        if m == 0 {
            continue;
        }
        let (p, b, c, k) = (&mut psi[u.clone()], &b[u.clone()], &c[u.clone()], &k[u]);
        let (h, e0, ep) = (&mut h[i0..i0 + m], &e[i0..i0 + m], &e[i0 + 1..i0 + m + 1]);
        for i in 0..m {
            let d = ep[i] - e0[i];
            p[i] = b[i] * p[i] + c[i] * d;
            apply_h(&mut h[i], sign, ch, k[i], d, p[i]);
        }
    }
    if hi > 0 {
        let (u, i) = (layers - 1, n - 1);
        let d = 0.0 - e[i];
        psi[u] = b[u] * psi[u] + c[u] * d;
        apply_h(&mut h[i], sign, ch, k[u], d, psi[u]);
    }
}
