//! The native engine's CPML corrections: the twin of the CPML terms of
//! shaders/yee.wgsl, applied in the boundary slabs only.
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
//! count), x-fastest. All of it is applied row by row inside the Yee sweep
//! (yee.rs), right after a row's interior update, while the row is in cache:
//! first x, then y, then z, as the shader does per cell. Along x a row's slab
//! samples are the `layers` at both of its ends (two runs with their
//! coefficients by column); a row inside the y or z slab is corrected whole,
//! with the layer's coefficients as constants, so the loop along x
//! vectorises.

use crate::boundary::PmlProfile;

use super::Shared;

/// The CPML slabs of a run, for the row sweep. Rows are numbered
/// r = j + ny * k; each grid row owns its own psi entries, so rows may be
/// corrected on different threads.
pub(super) struct Slabs<'a> {
    pub nx: usize,
    pub ny: usize,
    pub x: Option<XSlab<'a>>,
    /// The slabs of y and z.
    pub yz: [Option<YzSlab<'a>>; 2],
}

/// The slab of axis x.
pub(super) struct XSlab<'a> {
    pub prof: &'a PmlProfile,
    /// The profile by column, [b_e, c_e, k_e, b_h, c_h, k_h][layer].
    pub cols: &'a [Vec<f32>; 6],
    /// [psi_e1 | psi_e2 | psi_h1 | psi_h2] of axis x; grid row r owns
    /// `layers` entries at r * layers of each part.
    pub psi: Shared<'a, f32>,
}

/// The slab of axis y or z: psi rows of nx samples, one per (layer, other
/// coordinate).
pub(super) struct YzSlab<'a> {
    pub axis: usize,
    pub prof: &'a PmlProfile,
    pub psi: Shared<'a, f32>,
}

/// A component's row r, or nothing when the component is not evolved.
#[inline]
fn row(f: &[f32], r: usize, nx: usize) -> &[f32] {
    if f.is_empty() {
        f
    } else {
        &f[r * nx..(r + 1) * nx]
    }
}

impl YzSlab<'_> {
    /// The layer of grid coordinate `c` along the axis, if it is in the slab.
    #[inline]
    fn layer(&self, c: usize) -> Option<usize> {
        let p = self.prof;
        if c < p.lo {
            Some(c)
        } else if c >= p.n - p.hi {
            Some(p.lo + c - (p.n - p.hi))
        } else {
            None
        }
    }
    /// (layer, psi row, grid rows to the neighbour along the axis, coordinate)
    /// of grid row r, if it is in the slab.
    #[inline]
    fn at(&self, r: usize, ny: usize) -> Option<(usize, usize, usize, usize)> {
        let (j, k) = (r % ny, r / ny);
        match self.axis {
            1 => self.layer(j).map(|s| (s, s + self.prof.layers() * k, 1, j)),
            _ => self.layer(k).map(|s| (s, j + ny * s, ny, k)),
        }
    }
}

impl Slabs<'_> {
    /// CPML correction of the H rows r (`h`: Hx, Hy, Hz rows, empty where not
    /// evolved) from the E arrays `e` (whole), after the row's interior update.
    pub fn h_row(&self, r: usize, h: [&mut [f32]; 3], e: [&[f32]; 3], ch: f32) {
        let nx = self.nx;
        let [hx, hy, hz] = h;
        if let Some(x) = &self.x {
            x.h_row(r, hy, hz, row(e[1], r, nx), row(e[2], r, nx), ch);
        }
        let h = [hx, hy, hz];
        for sl in self.yz.iter().flatten() {
            let Some((s, q, step, coord)) = sl.at(r, self.ny) else { continue };
            let a = sl.axis;
            let (c1, c2) = ((a + 1) % 3, (a + 2) % 3);
            let [.., b, c, k] = sl.prof.coeffs[s];
            let total = sl.psi.len() / 4;
            let last = coord + 1 == sl.prof.n;
            let next =
                |f: &'_ [f32]| -> Option<std::ops::Range<usize>> { (!last && !f.is_empty()).then(|| (r + step) * nx..(r + step + 1) * nx) };
            // H_{a+1} += ch (k d(E_{a+2}) + psi_h1): where E_{a+2} is evolved.
            if !e[c2].is_empty() {
                // SAFETY: psi row q of psi_h1 belongs to grid row r alone.
                let p = unsafe { sl.psi.slice(2 * total + q * nx, nx) };
                let ep = next(e[c2]).map(|rg| &e[c2][rg]);
                yz_h(p, h[c1], row(e[c2], r, nx), ep, [b, c, k], 1.0, ch);
            }
            // H_{a+2} -= ch (k d(E_{a+1}) + psi_h2).
            if !e[c1].is_empty() {
                // SAFETY: as above, psi_h2.
                let p = unsafe { sl.psi.slice(3 * total + q * nx, nx) };
                let ep = next(e[c1]).map(|rg| &e[c1][rg]);
                yz_h(p, h[c2], row(e[c1], r, nx), ep, [b, c, k], -1.0, ch);
            }
        }
    }

    /// CPML correction of the E rows r from the H arrays `h` (whole), after
    /// the row's interior update.
    pub fn e_row(&self, r: usize, e: [&mut [f32]; 3], h: [&[f32]; 3], cb: [&[f32]; 3]) {
        let nx = self.nx;
        let [ex, ey, ez] = e;
        if let Some(x) = &self.x {
            x.e_row(r, ey, ez, row(h[1], r, nx), row(h[2], r, nx), row(cb[1], r, nx), row(cb[2], r, nx));
        }
        let e = [ex, ey, ez];
        for sl in self.yz.iter().flatten() {
            let Some((s, q, step, coord)) = sl.at(r, self.ny) else { continue };
            let a = sl.axis;
            let (c1, c2) = ((a + 1) % 3, (a + 2) % 3);
            let [b, c, k, ..] = sl.prof.coeffs[s];
            let total = sl.psi.len() / 4;
            let prev = |f: &'_ [f32]| -> Option<std::ops::Range<usize>> {
                (coord > 0 && !f.is_empty()).then(|| (r - step) * nx..(r - step + 1) * nx)
            };
            // E_{a+1} += cb (-(k d(H_{a+2})) - psi_e1).
            if !e[c1].is_empty() {
                // SAFETY: psi row q of psi_e1 belongs to grid row r alone.
                let p = unsafe { sl.psi.slice(q * nx, nx) };
                let hm = prev(h[c2]).map(|rg| &h[c2][rg]);
                yz_e(p, e[c1], row(h[c2], r, nx), hm, row(cb[c1], r, nx), [b, c, k], -1.0);
            }
            // E_{a+2} += cb (k d(H_{a+1}) + psi_e2).
            if !e[c2].is_empty() {
                // SAFETY: as above, psi_e2.
                let p = unsafe { sl.psi.slice(total + q * nx, nx) };
                let hm = prev(h[c1]).map(|rg| &h[c1][rg]);
                yz_e(p, e[c2], row(h[c1], r, nx), hm, row(cb[c2], r, nx), [b, c, k], 1.0);
            }
        }
    }
}

/// One row of a y or z slab, E side; `hm` is the previous row along the
/// axis (None at the domain's first cell: zero).
#[inline]
fn yz_e(p: &mut [f32], e: &mut [f32], h0: &[f32], hm: Option<&[f32]>, cb: &[f32], [b, c, k]: [f32; 3], sign: f32) {
    match hm {
        Some(hm) => {
            for ((((p, e), &h0), &hm), &cb) in p.iter_mut().zip(e.iter_mut()).zip(h0).zip(hm).zip(cb) {
                let d = h0 - hm;
                *p = b * *p + c * d;
                *e += cb * correction(sign, k, d, *p);
            }
        }
        None => {
            for (((p, e), &h0), &cb) in p.iter_mut().zip(e.iter_mut()).zip(h0).zip(cb) {
                let d = h0 - 0.0;
                *p = b * *p + c * d;
                *e += cb * correction(sign, k, d, *p);
            }
        }
    }
}

/// One row of a y or z slab, H side; `ep` is the next row along the axis
/// (None at the domain's last cell: zero).
#[inline]
fn yz_h(p: &mut [f32], h: &mut [f32], e0: &[f32], ep: Option<&[f32]>, [b, c, k]: [f32; 3], sign: f32, ch: f32) {
    match ep {
        Some(ep) => {
            for (((p, h), &e0), &ep) in p.iter_mut().zip(h.iter_mut()).zip(e0).zip(ep) {
                let d = ep - e0;
                *p = b * *p + c * d;
                apply_h(h, sign, ch, k, d, *p);
            }
        }
        None => {
            for ((p, h), &e0) in p.iter_mut().zip(h.iter_mut()).zip(e0) {
                let d = 0.0 - e0;
                *p = b * *p + c * d;
                apply_h(h, sign, ch, k, d, *p);
            }
        }
    }
}

impl XSlab<'_> {
    /// x correction of the H row r: Hy (from Ez) and Hz (from Ey), each
    /// where evolved (empty rows are not).
    #[inline]
    fn h_row(&self, r: usize, hy: &mut [f32], hz: &mut [f32], ey: &[f32], ez: &[f32], ch: f32) {
        let l = self.prof.layers();
        let total = self.psi.len() / 4;
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
    fn e_row(&self, r: usize, ey: &mut [f32], ez: &mut [f32], hy: &[f32], hz: &[f32], cby: &[f32], cbz: &[f32]) {
        let l = self.prof.layers();
        let total = self.psi.len() / 4;
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
}

/// A profile's coefficients by column (see [`XSlab::cols`]).
pub(super) fn columns(prof: &PmlProfile) -> [Vec<f32>; 6] {
    [0, 1, 2, 3, 4, 5].map(|m| prof.coeffs.iter().map(|c| c[m]).collect())
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
