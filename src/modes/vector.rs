//! Full-vector eigenmodes of a waveguide cross-section, finite-differenced on
//! the same 2D Yee lattice that the 3D FDTD grid samples on a plane (Zhu &
//! Brown, "Full-vectorial finite-difference analysis of microstructured
//! optical fibers", Opt. Express 10, 853 (2002)). Because the stencil is the
//! FDTD's own, a mode from here launched into (or projected out of) an FDTD
//! run is a discrete mode of that run's cross-section, not an approximation
//! of one.
//!
//! # Conventions
//!
//! Units as in the FDTD: c = eps0 = mu0 = 1, lengths in um,
//! k0 = 2 pi / wavelength_um, time dependence exp(-i w t), mu = 1. The plane
//! is normal to axis n of the grid; the transverse axes are u = (n + 1) % 3
//! and v = (n + 2) % 3, so u x v = n. A mode is
//! `F(u, v) exp(i beta n)` with beta = n_eff k0 > 0, i.e. it travels along +n.
//!
//! Maxwell's curl equations `curl E = i k0 H`, `curl H = -i k0 eps E` with
//! d/dn -> i beta split into
//!
//! ```text
//! En = i e_n,   e_n =  (d_u Hv - d_v Hu) / (k0 eps_n)
//! Hn = i h_n,   h_n = -(d_u Ev - d_v Eu) / k0
//! beta Eu =  k0 Hv + d_u e_n          beta Hu = -k0 eps_v Ev + d_u h_n
//! beta Ev = -k0 Hu + d_v e_n          beta Hv =  k0 eps_u Eu + d_v h_n
//! ```
//!
//! so with real transverse fields the longitudinal ones are real multiples
//! of i (a quarter period out of phase): [`VectorMode::e_n`] and
//! [`VectorMode::h_n`] hold e_n and h_n, and the complex fields are
//! En = i e_n, Hn = i h_n. Writing the two right-hand columns as
//! `beta E_t = P H_t`, `beta H_t = Q E_t` gives the real, nonsymmetric
//! eigenproblem `beta^2 E_t = P Q E_t`.
//!
//! # Lattice
//!
//! Samples are stored u-fastest (index iu + nu * iv), iu in 0..nu, iv in
//! 0..nv, at these positions in units of (du, dv):
//!
//! ```text
//! Eu (iu+1/2, iv)   Ev (iu, iv+1/2)   En (iu, iv)
//! Hu (iu, iv+1/2)   Hv (iu+1/2, iv)   Hn (iu+1/2, iv+1/2)
//! ```
//!
//! which is where a 3D Yee cell puts them on a plane of constant n (En and
//! the transverse H are half a step away along n; that offset only enters
//! through exp(i beta n) and is left to the caller). Eu and Hv are
//! co-located, as are Ev and Hu: these are the pairs a flux monitor
//! multiplies. Every derivative is the centred two-point difference between
//! neighbouring samples, exactly as in the FDTD update.
//!
//! # Boundary
//!
//! Every sample outside the window is zero. On the high sides (u = nu,
//! v = nv) that zeroes the tangential Ev/En (Eu/En) on the integer line: an
//! electric wall. On the low sides it zeroes the tangential Hv, Hn (Hu, Hn)
//! at u = -1/2 (v = -1/2), which is a magnetic wall half a cell outside the
//! first samples. This is the choice that keeps the discrete d_u on E and on
//! H transposes of each other (so the operator is self-adjoint in the power
//! product and distinct modes are exactly power-orthogonal). Either wall
//! reflects, so **the window needs enough cladding around the core for the
//! guided fields to have decayed to nothing at its edge**; a mode whose tail
//! reaches the edge is perturbed. Modes count as guided when n_eff exceeds
//! the largest index found on the window's outer ring of samples.
//!
//! # Normalisation
//!
//! Each mode is scaled so that `sum (Eu Hv - Ev Hu) du dv = 1` over the
//! samples (no factor 1/2: this is the sum our flux monitors form from
//! Re(E1 H2* - E2 H1*)), positive, i.e. power flowing along +n. The overall
//! sign is fixed so that the transverse E sample of largest magnitude is
//! positive. Distinct modes satisfy `sum (Eu_i Hv_j - Ev_i Hu_j) du dv = 0`.
//!
//! # Eigensolver
//!
//! Shift-invert around sigma just above (k0 n_max)^2: `P Q - sigma` is
//! factored once by faer's sparse LU (with a fill-reducing column ordering),
//! and a thick-restarted Arnoldi iteration (Krylov-Schur style, in real
//! arithmetic) finds the eigenvalues of (P Q - sigma)^-1 of largest
//! magnitude, i.e. the beta^2 nearest below sigma: the guided modes, highest
//! n_eff first. Ritz pairs are accepted when the Arnoldi residual
//! `||(PQ - sigma)^-1 x - mu x||` is below 1e-10 |mu|. Near-degenerate
//! pairs (the two polarisations of HE11, the LP11 group) are resolved
//! because the Krylov space holds all wanted modes plus spares at once.
//!
//! # Not supported
//!
//! Lossy or anisotropic (off-diagonal) permittivity, mu != 1, bent guides,
//! and transparent (PML) window edges. The eps given per component is used
//! as is: sub-cell averaging at interfaces is the caller's (rasteriser's)
//! job, as in the FDTD.

use crate::error::{Error, Result};
use faer::sparse::{SparseColMat, Triplet};
use faer::Mat;

/// A rasterised waveguide cross-section: the plane normal to an axis n of
/// the FDTD grid, with transverse axes u = (n + 1) % 3 and v = (n + 2) % 3
/// (u x v = n).
///
/// Samples, u-fastest (index iu + nu * iv), iu in 0..nu, iv in 0..nv,
/// positions in units of (du, dv):
///
/// ```text
///   Eu (iu+1/2, iv)   Ev (iu, iv+1/2)   En (iu, iv)
///   Hu (iu, iv+1/2)   Hv (iu+1/2, iv)   Hn (iu+1/2, iv+1/2)
/// ```
///
/// (so Eu and Hv are co-located, as are Ev and Hu: these are the pairs a
/// flux monitor multiplies).
#[derive(Clone, Debug)]
pub struct CrossSection {
    pub nu: usize,
    pub nv: usize,
    /// Cell size along u, um.
    pub du: f64,
    /// Cell size along v, um.
    pub dv: f64,
    /// Relative permittivity of Eu, Ev, En at their sample positions
    /// (u-fastest, nu*nv each).
    pub eps: [Vec<f64>; 3],
}

/// One guided mode of a [`CrossSection`], normalised to unit power.
#[derive(Clone, Debug)]
pub struct VectorMode {
    /// Effective index beta / k0.
    pub n_eff: f64,
    /// Transverse fields, real, at the sample positions of [`CrossSection`]:
    /// `[Eu, Ev]` and `[Hu, Hv]`.
    pub e_t: [Vec<f64>; 2],
    pub h_t: [Vec<f64>; 2],
    /// Longitudinal fields: the complex En = i * e_n and Hn = i * h_n, with
    /// e_n = (d_u Hv - d_v Hu) / (k0 eps_n), h_n = -(d_u Ev - d_v Eu) / k0
    /// (see the module docs); at the En and Hn sample positions.
    pub e_n: Vec<f64>,
    pub h_n: Vec<f64>,
    /// Fraction of sum |E_t|^2 in Eu (1 = purely u-polarised, "TE-like" for
    /// a guide flat along u).
    pub u_fraction: f64,
    /// Fraction of the mode's power within a quarter cladding wavelength of
    /// the window's edge ([`crate::modes::edge_power_fraction`]): above
    /// [`crate::modes::EDGE_POWER_LIMIT`] the window's walls perturb it.
    pub edge_fraction: f64,
}

/// Shift sigma = (k0 n_max)^2 (1 + SHIFT_REL): just above every guided
/// beta^2, so the wanted eigenvalues are the ones nearest the shift.
const SHIFT_REL: f64 = 1e-4;
/// Accept a Ritz pair of the shift-inverted operator when its residual is
/// below this fraction of |mu|.
const TOL: f64 = 1e-10;
/// Extra room in the Krylov space beyond `max_modes` (twice this many basis
/// vectors), so that the wanted Ritz values converge in few restarts.
const SPARE: usize = 4;
const MAX_RESTARTS: usize = 300;
/// Modes whose beta differ by less than this fraction form one
/// (near-)degenerate cluster, re-orthonormalised together. At TOL = 1e-10
/// eigenvectors of pairs split by more than this are resolved to ~1e-4 or
/// better by the eigensolver itself.
const DEGENERATE_REL: f64 = 1e-6;

impl CrossSection {
    /// Guided modes at `wavelength_um`, highest n_eff first, at most
    /// `max_modes`. Guided: n_eff above the largest index found on the
    /// window's outer ring of samples. Returns an empty list when nothing is
    /// guided (e.g. the core touches the edge, or the window is uniform).
    pub fn modes(&self, wavelength_um: f64, max_modes: usize) -> Result<Vec<VectorMode>> {
        self.validate()?;
        if !(wavelength_um.is_finite() && wavelength_um > 0.0) {
            return Err(Error::invalid("wavelength_um", wavelength_um, "must be finite and > 0"));
        }
        if max_modes == 0 {
            return Err(Error::invalid("max_modes", max_modes, "must be >= 1"));
        }
        let k0 = 2.0 * std::f64::consts::PI / wavelength_um;
        let n_max = self.eps.iter().flatten().fold(0.0f64, |m, &e| m.max(e)).sqrt();
        let n_edge = self.edge_index();
        let band_um = crate::modes::edge_band_um(wavelength_um, n_edge);
        if n_max <= n_edge {
            return Ok(Vec::new());
        }

        let ops = Operators::new(self, k0);
        let a = ops.p.mul(&ops.q);
        let sigma = (k0 * n_max).powi(2) * (1.0 + SHIFT_REL);
        let lu = shifted_lu(&a, sigma)?;
        let n = a.nrows;
        // Only Ritz values that would be guided modes need to converge; the
        // rest of the wanted count may be radiation (box) modes, which
        // cluster below the cladding line and converge slowly.
        let beta2_edge = (k0 * n_edge).powi(2);
        let relevant = |mu: f64| sigma + 1.0 / mu > beta2_edge;
        let apply = |x: &mut [f64]| {
            use faer::linalg::solvers::Solve;
            let mut z = vec![0.0; n];
            for (i, xi) in x.iter().enumerate() {
                z[interleaved(i, n)] = *xi;
            }
            lu.solve_in_place(faer::MatMut::from_column_major_slice_mut(&mut z, n, 1));
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = z[interleaved(i, n)];
            }
        };
        let pairs = arnoldi_largest(apply, n, max_modes, SPARE, relevant)?;

        let n_nodes = self.nu * self.nv;
        let da = self.du * self.dv;
        // Power product of two modes, sum (Eu_a Hv_b - Ev_a Hu_b) du dv.
        let power = |e: &[f64], h: &[f64]| -> f64 {
            let (eu, ev) = e.split_at(n_nodes);
            let (hu, hv) = h.split_at(n_nodes);
            (0..n_nodes).map(|i| eu[i] * hv[i] - ev[i] * hu[i]).sum::<f64>() * da
        };

        // (beta, E_t, H_t) of the guided candidates, highest beta first.
        let mut found: Vec<(f64, Vec<f64>, Vec<f64>)> = Vec::new();
        for (mu, x) in pairs {
            let beta2 = sigma + 1.0 / mu;
            if beta2 <= 0.0 || beta2.sqrt() / k0 <= n_edge {
                continue;
            }
            let beta = beta2.sqrt();
            let mut h = ops.q.apply(&x);
            h.iter_mut().for_each(|y| *y /= beta);
            found.push((beta, x, h));
        }
        found.sort_by(|a, b| b.0.total_cmp(&a.0));

        // Distinct modes are exactly power-orthogonal (P S^-1 and S Q are
        // both symmetric, S the rotation taking (Hu, Hv) to (Hv, -Hu)), but
        // within a (near-)degenerate cluster, e.g. HE11 x/y on a symmetric
        // grid, the eigensolver may return any basis: orthonormalise such
        // clusters in the power product and rotate them to the most purely
        // u- / v-polarised basis (see `orthonormalise_cluster`).
        let mut start = 0;
        while start < found.len() {
            let mut end = start + 1;
            while end < found.len() && (found[end - 1].0 - found[end].0) <= DEGENERATE_REL * found[start].0 {
                end += 1;
            }
            if end - start > 1 {
                orthonormalise_cluster(&mut found[start..end], &power)?;
            }
            start = end;
        }

        let mut modes = Vec::new();
        for (beta, x, h) in found {
            let p = power(&x, &h);
            // A guided mode of a lossless guide carries positive power for
            // beta > 0; a non-positive value would be a backward (or
            // spurious) wave, not a mode travelling along +n.
            if p.is_nan() || p <= 0.0 {
                continue;
            }
            let peak = x.iter().fold(0.0f64, |m, &e| if e.abs() > m.abs() { e } else { m });
            let scale = peak.signum() / p.sqrt();
            let x: Vec<f64> = x.iter().map(|e| e * scale).collect();
            let h: Vec<f64> = h.iter().map(|e| e * scale).collect();
            let e_n = ops.en_from_h.apply(&h);
            let h_n = ops.hn_from_e.apply(&x);
            let (eu, ev) = x.split_at(n_nodes);
            let (hu, hv) = h.split_at(n_nodes);
            let su: f64 = eu.iter().map(|e| e * e).sum();
            let sv: f64 = ev.iter().map(|e| e * e).sum();
            let density: Vec<f64> = (0..n_nodes).map(|i| eu[i] * hv[i] - ev[i] * hu[i]).collect();
            modes.push(VectorMode {
                n_eff: beta / k0,
                u_fraction: su / (su + sv),
                edge_fraction: crate::modes::edge_power_fraction(&density, self.nu, self.nv, [self.du, self.dv], band_um),
                e_t: [eu.to_vec(), ev.to_vec()],
                h_t: [hu.to_vec(), hv.to_vec()],
                e_n,
                h_n,
            });
        }
        modes.truncate(max_modes);
        Ok(modes)
    }

    fn validate(&self) -> Result<()> {
        if self.nu < 2 || self.nv < 2 {
            return Err(Error::invalid(
                "cross-section size",
                format!("{} x {}", self.nu, self.nv),
                "need at least 2 x 2 samples",
            ));
        }
        for (name, d) in [("du", self.du), ("dv", self.dv)] {
            if !(d.is_finite() && d > 0.0) {
                return Err(Error::invalid(name, d, "cell size must be finite and > 0 um"));
            }
        }
        let len = self.nu * self.nv;
        for (c, eps) in ["eps[u]", "eps[v]", "eps[n]"].iter().zip(&self.eps) {
            if eps.len() != len {
                return Err(Error::invalid(
                    *c,
                    format!("{} samples", eps.len()),
                    format!("need nu * nv = {} x {} = {len}", self.nu, self.nv),
                ));
            }
            if let Some((i, e)) = eps.iter().enumerate().find(|(_, e)| !(e.is_finite() && **e > 0.0)) {
                return Err(Error::invalid(
                    *c,
                    format!("{e} at sample {i} (iu {}, iv {})", i % self.nu, i / self.nu),
                    "relative permittivity must be finite and > 0 (lossless dielectrics only)",
                ));
            }
        }
        Ok(())
    }

    /// Largest index on the outer ring of samples (all three components).
    fn edge_index(&self) -> f64 {
        let (nu, nv) = (self.nu, self.nv);
        let ring = (0..nu)
            .flat_map(|iu| [iu, iu + nu * (nv - 1)])
            .chain((0..nv).flat_map(|iv| [nu * iv, nu - 1 + nu * iv]));
        let mut e_max = 0.0f64;
        for i in ring {
            for eps in &self.eps {
                e_max = e_max.max(eps[i]);
            }
        }
        e_max.sqrt()
    }
}

/// The discrete operators of the cross-section, all as compressed rows.
/// Vectors are `[Eu; Ev]` and `[Hu; Hv]`, each half u-fastest.
struct Operators {
    /// beta E_t = P H_t.
    p: Csr,
    /// beta H_t = Q E_t.
    q: Csr,
    /// e_n (En = i e_n) from H_t.
    en_from_h: Csr,
    /// h_n (Hn = i h_n) from E_t.
    hn_from_e: Csr,
}

impl Operators {
    fn new(cs: &CrossSection, k0: f64) -> Operators {
        let (nu, nv) = (cs.nu, cs.nv);
        let nn = nu * nv;
        let id = |iu: usize, iv: usize| iu + nu * iv;
        let (idu, idv) = (1.0 / cs.du, 1.0 / cs.dv);

        // h_n at (iu+1/2, iv+1/2) = -(1/k0) [(Ev[iu+1] - Ev[iu]) / du - (Eu[iv+1] - Eu[iv]) / dv];
        // samples beyond nu - 1 / nv - 1 are zero.
        let hn_row = |iu: usize, iv: usize| -> Vec<(usize, f64)> {
            let mut r = vec![(nn + id(iu, iv), idu / k0), (id(iu, iv), -idv / k0)];
            if iu + 1 < nu {
                r.push((nn + id(iu + 1, iv), -idu / k0));
            }
            if iv + 1 < nv {
                r.push((id(iu, iv + 1), idv / k0));
            }
            r
        };
        // e_n at (iu, iv) = [(Hv[iu] - Hv[iu-1]) / du - (Hu[iv] - Hu[iv-1]) / dv] / (k0 eps_n);
        // samples below 0 are zero.
        let en_row = |iu: usize, iv: usize| -> Vec<(usize, f64)> {
            let s = 1.0 / (k0 * cs.eps[2][id(iu, iv)]);
            let mut r = vec![(nn + id(iu, iv), idu * s), (id(iu, iv), -idv * s)];
            if iu > 0 {
                r.push((nn + id(iu - 1, iv), -idu * s));
            }
            if iv > 0 {
                r.push((id(iu, iv - 1), idv * s));
            }
            r
        };

        let mut hn = CsrBuilder::new(2 * nn);
        let mut en = CsrBuilder::new(2 * nn);
        for iv in 0..nv {
            for iu in 0..nu {
                hn.push_row(hn_row(iu, iv));
                en.push_row(en_row(iu, iv));
            }
        }

        // Q: Hu = -k0 eps_v Ev + (h_n[iu] - h_n[iu-1]) / du,
        //    Hv =  k0 eps_u Eu + (h_n[iv] - h_n[iv-1]) / dv.
        let mut q = CsrBuilder::new(2 * nn);
        for iv in 0..nv {
            for iu in 0..nu {
                let mut r = vec![(nn + id(iu, iv), -k0 * cs.eps[1][id(iu, iv)])];
                add_scaled(&mut r, &hn_row(iu, iv), idu);
                if iu > 0 {
                    add_scaled(&mut r, &hn_row(iu - 1, iv), -idu);
                }
                q.push_row(r);
            }
        }
        for iv in 0..nv {
            for iu in 0..nu {
                let mut r = vec![(id(iu, iv), k0 * cs.eps[0][id(iu, iv)])];
                add_scaled(&mut r, &hn_row(iu, iv), idv);
                if iv > 0 {
                    add_scaled(&mut r, &hn_row(iu, iv - 1), -idv);
                }
                q.push_row(r);
            }
        }

        // P: Eu =  k0 Hv + (e_n[iu+1] - e_n[iu]) / du,
        //    Ev = -k0 Hu + (e_n[iv+1] - e_n[iv]) / dv.
        let mut p = CsrBuilder::new(2 * nn);
        for iv in 0..nv {
            for iu in 0..nu {
                let mut r = vec![(nn + id(iu, iv), k0)];
                add_scaled(&mut r, &en_row(iu, iv), -idu);
                if iu + 1 < nu {
                    add_scaled(&mut r, &en_row(iu + 1, iv), idu);
                }
                p.push_row(r);
            }
        }
        for iv in 0..nv {
            for iu in 0..nu {
                let mut r = vec![(id(iu, iv), -k0)];
                add_scaled(&mut r, &en_row(iu, iv), -idv);
                if iv + 1 < nv {
                    add_scaled(&mut r, &en_row(iu, iv + 1), idv);
                }
                p.push_row(r);
            }
        }

        Operators {
            p: p.finish(),
            q: q.finish(),
            en_from_h: en.finish(),
            hn_from_e: hn.finish(),
        }
    }
}

fn add_scaled(r: &mut Vec<(usize, f64)>, s: &[(usize, f64)], a: f64) {
    r.extend(s.iter().map(|&(c, v)| (c, a * v)));
}

/// A minimal compressed-row sparse matrix: enough to assemble the
/// operators, multiply two of them and apply one to a vector.
struct Csr {
    nrows: usize,
    ncols: usize,
    ptr: Vec<usize>,
    col: Vec<usize>,
    val: Vec<f64>,
}

struct CsrBuilder {
    ncols: usize,
    ptr: Vec<usize>,
    col: Vec<usize>,
    val: Vec<f64>,
}

impl CsrBuilder {
    fn new(ncols: usize) -> Self {
        CsrBuilder {
            ncols,
            ptr: vec![0],
            col: Vec::new(),
            val: Vec::new(),
        }
    }

    /// Appends a row given as (column, value) pairs in any order; repeated
    /// columns are summed.
    fn push_row(&mut self, mut r: Vec<(usize, f64)>) {
        r.sort_unstable_by_key(|e| e.0);
        let start = self.col.len();
        for (c, v) in r {
            if self.col.len() > start && self.col[self.col.len() - 1] == c {
                if let Some(last) = self.val.last_mut() {
                    *last += v;
                }
            } else {
                self.col.push(c);
                self.val.push(v);
            }
        }
        self.ptr.push(self.col.len());
    }

    fn finish(self) -> Csr {
        Csr {
            nrows: self.ptr.len() - 1,
            ncols: self.ncols,
            ptr: self.ptr,
            col: self.col,
            val: self.val,
        }
    }
}

impl Csr {
    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.ptr[i]..self.ptr[i + 1];
        self.col[r.clone()].iter().copied().zip(self.val[r].iter().copied())
    }

    fn apply(&self, x: &[f64]) -> Vec<f64> {
        (0..self.nrows).map(|i| self.row(i).map(|(c, v)| v * x[c]).sum()).collect()
    }

    /// self * b (Gustavson's row-by-row product).
    fn mul(&self, b: &Csr) -> Csr {
        let mut out = CsrBuilder::new(b.ncols);
        let mut acc = vec![0.0; b.ncols];
        let mut mark = vec![usize::MAX; b.ncols];
        let mut cols = Vec::new();
        for i in 0..self.nrows {
            cols.clear();
            for (k, a) in self.row(i) {
                for (j, bv) in b.row(k) {
                    if mark[j] != i {
                        mark[j] = i;
                        acc[j] = 0.0;
                        cols.push(j);
                    }
                    acc[j] += a * bv;
                }
            }
            out.push_row(cols.iter().map(|&j| (j, acc[j])).collect());
        }
        out.finish()
    }
}

/// Sparse LU of `a - sigma I` (square), in the [`interleaved`] order.
fn shifted_lu(a: &Csr, sigma: f64) -> Result<faer::sparse::linalg::solvers::Lu<usize, f64>> {
    let mut trip = Vec::with_capacity(a.val.len() + a.nrows);
    for i in 0..a.nrows {
        let mut diag = false;
        for (j, v) in a.row(i) {
            let v = if j == i {
                diag = true;
                v - sigma
            } else {
                v
            };
            trip.push(Triplet::new(interleaved(i, a.nrows), interleaved(j, a.nrows), v));
        }
        if !diag {
            trip.push(Triplet::new(interleaved(i, a.nrows), interleaved(i, a.nrows), -sigma));
        }
    }
    let m = SparseColMat::<usize, f64>::try_new_from_triplets(a.nrows, a.ncols, &trip).map_err(|e| {
        Error::invalid(
            "cross-section",
            format!("{} unknowns", a.nrows),
            format!("could not assemble the sparse operator: {e:?}"),
        )
    })?;
    m.sp_lu().map_err(|e| {
        Error::invalid(
            "cross-section",
            format!("{} unknowns", a.nrows),
            format!("sparse LU of (P Q - sigma) failed ({e:?}); the shift may coincide with an eigenvalue"),
        )
    })
}

/// Position of unknown i of `[Eu; Ev]` (length n) in the interleaved order
/// (Eu, Ev of each node adjacent) used for the factorisation. Keeping the
/// coupled unknowns of a node together helps COLAMD's tie-breaking: about
/// 30% less factor-and-solve time on a 200 x 200 window than the blocked
/// order.
fn interleaved(i: usize, n: usize) -> usize {
    let half = n / 2;
    if i < half {
        2 * i
    } else {
        2 * (i - half) + 1
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += alpha * xi);
}

/// Deterministic pseudo-random start/refill vector (xorshift), so results are
/// reproducible run to run.
fn pseudo_random(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

/// Orthogonalises `w` against `basis` (classical Gram-Schmidt, twice, which
/// is enough to keep the basis orthonormal to rounding) and returns the
/// coefficients.
fn orthogonalise(basis: &[Vec<f64>], w: &mut [f64]) -> Vec<f64> {
    let mut coef = vec![0.0; basis.len()];
    for _ in 0..2 {
        for (c, b) in coef.iter_mut().zip(basis) {
            let d = dot(b, w);
            *c += d;
            axpy(-d, b, w);
        }
    }
    coef
}

/// The `nev` eigenpairs of largest |mu| of the operator `op` (applied in
/// place), by a thick-restarted block Arnoldi iteration in real arithmetic.
///
/// The basis always holds `BLOCK` more vectors than `op` has been applied
/// to: each step applies `op` to the oldest unapplied basis vector and
/// orthogonalises the result against the whole basis, so
/// `op V_k = V_{k+BLOCK} H` with H banded below the diagonal. Starting from
/// `BLOCK` independent random vectors makes the Krylov space contain every
/// direction of an eigenspace of multiplicity <= `BLOCK` (a single-vector
/// Krylov space sees only one direction of an exactly degenerate pair, such
/// as HE11 x/y on a symmetric grid). On restart the Ritz basis Y of the
/// leading invariant subspace of H_k is kept (Krylov-Schur):
/// `op (V Y) = (V Y)(Y^T H Y) + V_pending (H_low Y)`.
///
/// Returns real (mu, x) with unit-norm real x. A complex Ritz pair with a
/// negligible imaginary part (a near-degenerate real pair not yet split) is
/// returned as two real vectors spanning its invariant subspace; genuinely
/// complex ones are dropped (no propagating mode of a lossless guide).
fn arnoldi_largest(
    op: impl Fn(&mut [f64]),
    n: usize,
    nev: usize,
    spare: usize,
    relevant: impl Fn(f64) -> bool,
) -> Result<Vec<(f64, Vec<f64>)>> {
    const BLOCK: usize = 2;
    if n <= BLOCK + 2 {
        return Err(Error::invalid(
            "cross-section",
            format!("{n} unknowns"),
            "too few samples for the eigensolver",
        ));
    }
    let kdim = (2 * (nev + spare) + 20).max(36).min(n - BLOCK);
    let nev = nev.min(kdim / 2).max(1);
    let keep_target = nev + (kdim - nev) / 2;

    let mut h = Mat::<f64>::zeros(kdim + BLOCK, kdim);
    let mut v: Vec<Vec<f64>> = Vec::with_capacity(kdim + BLOCK);
    let mut seed = 1;
    let mut fresh = |basis: &[Vec<f64>]| -> Vec<f64> {
        loop {
            let mut w = pseudo_random(n, seed);
            seed += 1;
            orthogonalise(basis, &mut w);
            let nrm = dot(&w, &w).sqrt();
            if nrm > 1e-8 {
                w.iter_mut().for_each(|x| *x /= nrm);
                return w;
            }
        }
    };
    for _ in 0..BLOCK {
        let w = fresh(&v);
        v.push(w);
    }
    let mut k = 0;
    let mut h_scale = 0.0f64;

    for _restart in 0..MAX_RESTARTS {
        for j in k..kdim {
            let mut w = v[j].clone();
            op(&mut w);
            let coef = orthogonalise(&v, &mut w);
            for (i, c) in coef.iter().enumerate() {
                h[(i, j)] += c;
                h_scale = h_scale.max(c.abs());
            }
            let nrm = dot(&w, &w).sqrt();
            if nrm > 1e-12 * h_scale {
                h[(j + BLOCK, j)] = nrm;
                w.iter_mut().for_each(|x| *x /= nrm);
            } else {
                // An invariant subspace: continue with a fresh direction.
                h[(j + BLOCK, j)] = 0.0;
                w = fresh(&v);
            }
            v.push(w);
        }

        let hk = h.as_ref().subrows(0, kdim).to_owned();
        let eig = hk.eigen().map_err(|e| {
            Error::invalid(
                "cross-section",
                format!("{kdim} x {kdim} Ritz matrix"),
                format!("dense eigensolver failed: {e:?}"),
            )
        })?;
        let s = eig.S().column_vector();
        let u = eig.U();
        let mu: Vec<(f64, f64)> = (0..kdim).map(|i| (s[i].re, s[i].im)).collect();
        let mut order: Vec<usize> = (0..kdim).collect();
        order.sort_by(|&a, &b| (mu[b].0.hypot(mu[b].1)).total_cmp(&mu[a].0.hypot(mu[a].1)));
        // Complex Ritz vector i as (re, im) columns of length kdim, unit norm.
        let ritz = |i: usize| -> (Vec<f64>, Vec<f64>) {
            let re: Vec<f64> = (0..kdim).map(|r| u[(r, i)].re).collect();
            let im: Vec<f64> = (0..kdim).map(|r| u[(r, i)].im).collect();
            let nrm = (dot(&re, &re) + dot(&im, &im)).sqrt();
            (re.iter().map(|x| x / nrm).collect(), im.iter().map(|x| x / nrm).collect())
        };
        // ||op V y - mu V y|| = ||H_low y|| (the rows of the pending vectors).
        let residual = |i: usize| -> f64 {
            let (re, im) = ritz(i);
            (0..BLOCK)
                .map(|r| {
                    let row = h.as_ref().row(kdim + r);
                    let a: f64 = (0..kdim).map(|c| row[c] * re[c]).sum();
                    let b: f64 = (0..kdim).map(|c| row[c] * im[c]).sum();
                    a * a + b * b
                })
                .sum::<f64>()
                .sqrt()
        };
        let converged = order[..nev]
            .iter()
            .all(|&i| !relevant(mu[i].0) || residual(i) <= TOL * mu[i].0.hypot(mu[i].1));

        // Real orthonormal basis (kdim x m) of the invariant subspace of the
        // leading `count` Ritz values: real eigenvectors as they are, complex
        // pairs as (re, im).
        let select = |count: usize| -> Vec<Vec<f64>> {
            let mut used = vec![false; kdim];
            let mut cols = Vec::new();
            for &i in &order {
                if cols.len() >= count {
                    break;
                }
                if used[i] {
                    continue;
                }
                used[i] = true;
                let (re, im) = ritz(i);
                cols.push(re);
                if mu[i].1 != 0.0 {
                    // Its conjugate partner spans the same real subspace.
                    let partner = order.iter().copied().filter(|&p| !used[p] && mu[p].1 != 0.0).min_by(|&a, &b| {
                        let da = (mu[a].0 - mu[i].0).hypot(mu[a].1 + mu[i].1);
                        let db = (mu[b].0 - mu[i].0).hypot(mu[b].1 + mu[i].1);
                        da.total_cmp(&db)
                    });
                    if let Some(p) = partner {
                        used[p] = true;
                    }
                    cols.push(im);
                }
            }
            orthonormal_columns(cols)
        };

        if converged {
            let y = select(nev);
            return real_ritz_pairs(&hk, &y, &v[..kdim], n);
        }

        let y = select(keep_target);
        let m = y.len();
        let hy = small_project(&hk, &y);
        let mut new_v: Vec<Vec<f64>> = Vec::with_capacity(kdim + BLOCK);
        for c in &y {
            let mut x = vec![0.0; n];
            for (vr, cr) in v.iter().zip(c) {
                axpy(*cr, vr, &mut x);
            }
            new_v.push(x);
        }
        let mut low = Mat::<f64>::zeros(BLOCK, m);
        for r in 0..BLOCK {
            for (j, c) in y.iter().enumerate() {
                low[(r, j)] = (0..kdim).map(|q| h[(kdim + r, q)] * c[q]).sum();
            }
        }
        new_v.extend(v.drain(kdim..));
        v = new_v;
        h = Mat::zeros(kdim + BLOCK, kdim);
        for j in 0..m {
            for i in 0..m {
                h[(i, j)] = hy[(i, j)];
            }
            for r in 0..BLOCK {
                h[(m + r, j)] = low[(r, j)];
            }
        }
        k = m;
    }
    Err(Error::invalid(
        "cross-section",
        format!("{n} unknowns, {nev} modes"),
        format!("shift-invert Arnoldi did not converge to {TOL:e} in {MAX_RESTARTS} restarts"),
    ))
}

/// Real eigenpairs of H restricted to the (converged, invariant) subspace Y,
/// lifted to the full space through the basis V.
fn real_ritz_pairs(hk: &Mat<f64>, y: &[Vec<f64>], v: &[Vec<f64>], n: usize) -> Result<Vec<(f64, Vec<f64>)>> {
    let m = y.len();
    let kdim = hk.nrows();
    let hy = small_project(hk, y);
    let eig = hy.eigen().map_err(|e| {
        Error::invalid(
            "cross-section",
            format!("{m} x {m} Ritz matrix"),
            format!("dense eigensolver failed: {e:?}"),
        )
    })?;
    let (s, u) = (eig.S().column_vector(), eig.U());
    let mut used = vec![false; m];
    let mut out = Vec::with_capacity(m);
    for i in 0..m {
        if used[i] {
            continue;
        }
        used[i] = true;
        let (mre, mim) = (s[i].re, s[i].im);
        let mut vecs = vec![(0..m).map(|r| u[(r, i)].re).collect::<Vec<f64>>()];
        if mim != 0.0 {
            let partner = (0..m).filter(|&p| !used[p] && s[p].im != 0.0).min_by(|&a, &b| {
                let da = (s[a].re - mre).hypot(s[a].im + mim);
                let db = (s[b].re - mre).hypot(s[b].im + mim);
                da.total_cmp(&db)
            });
            if let Some(p) = partner {
                used[p] = true;
            }
            if mim.abs() > 1e-6 * mre.hypot(mim) {
                continue;
            }
            vecs.push((0..m).map(|r| u[(r, i)].im).collect());
        }
        for c in orthonormal_columns(vecs) {
            // x = V (Y c)
            let z: Vec<f64> = (0..kdim).map(|r| y.iter().zip(&c).map(|(yc, cc)| yc[r] * cc).sum()).collect();
            let mut x = vec![0.0; n];
            for (vr, zr) in v.iter().zip(&z) {
                axpy(*zr, vr, &mut x);
            }
            let nrm = dot(&x, &x).sqrt();
            x.iter_mut().for_each(|e| *e /= nrm);
            out.push((mre, x));
        }
    }
    Ok(out)
}

/// Orthonormalises a cluster of (near-)degenerate modes (beta, E_t, H_t) in
/// the power product and picks a canonical basis for it.
///
/// First Loewdin's symmetric orthogonalisation X G^-1/2 with
/// G_ij = power(E_i, H_j) (symmetrised): the power-orthonormal basis closest
/// to the one found. Any rotation of that basis is still power-orthonormal
/// and (to DEGENERATE_REL) still made of eigenvectors, so the eigensolver's
/// choice within the cluster is arbitrary; the basis is then rotated to
/// diagonalise sum Eu_i Eu_j, which makes the modes as purely u- or
/// v-polarised as the cluster allows (HE11 x / y, not a 45-degree mix),
/// u-polarised first. beta of each mode is kept (they agree to
/// DEGENERATE_REL).
fn orthonormalise_cluster(cluster: &mut [(f64, Vec<f64>, Vec<f64>)], power: &impl Fn(&[f64], &[f64]) -> f64) -> Result<()> {
    let m = cluster.len();
    let fail = |what: &str, e: &dyn std::fmt::Debug| {
        Error::invalid(
            "cross-section",
            format!("{m} degenerate modes"),
            format!("eigen-decomposition of their {what} matrix failed: {e:?}"),
        )
    };
    let g = Mat::from_fn(m, m, |i, j| {
        0.5 * (power(&cluster[i].1, &cluster[j].2) + power(&cluster[j].1, &cluster[i].2))
    });
    let eig = g.self_adjoint_eigen(faer::Side::Lower).map_err(|e| fail("power", &e))?;
    let (s, u) = (eig.S().column_vector(), eig.U());
    if (0..m).any(|i| s[i].is_nan() || s[i] <= 0.0) {
        // Not positive definite: some combination carries no forward power;
        // leave the cluster as found (the caller drops non-positive modes).
        return Ok(());
    }
    // G^-1/2 = U diag(s^-1/2) U^T
    let w = Mat::from_fn(m, m, |i, j| (0..m).map(|k| u[(i, k)] * u[(j, k)] / s[k].sqrt()).sum::<f64>());
    combine(cluster, &w);

    let half = cluster[0].1.len() / 2;
    let eu = Mat::from_fn(m, m, |i, j| dot(&cluster[i].1[..half], &cluster[j].1[..half]));
    let eig = eu.self_adjoint_eigen(faer::Side::Lower).map_err(|e| fail("u-polarisation", &e))?;
    let u = eig.U();
    // Eigenvalues ascend: reverse so that the most u-polarised mode is first.
    let rot = Mat::from_fn(m, m, |i, j| u[(i, m - 1 - j)]);
    combine(cluster, &rot);
    Ok(())
}

/// Replaces the modes of `cluster` by the combinations X W.
fn combine(cluster: &mut [(f64, Vec<f64>, Vec<f64>)], w: &Mat<f64>) {
    let old: Vec<(Vec<f64>, Vec<f64>)> = cluster.iter().map(|c| (c.1.clone(), c.2.clone())).collect();
    for (j, c) in cluster.iter_mut().enumerate() {
        c.1.iter_mut().for_each(|x| *x = 0.0);
        c.2.iter_mut().for_each(|x| *x = 0.0);
        for (i, (e, h)) in old.iter().enumerate() {
            axpy(w[(i, j)], e, &mut c.1);
            axpy(w[(i, j)], h, &mut c.2);
        }
    }
}

/// Y^T H Y for orthonormal columns Y (each of length H's order).
fn small_project(h: &Mat<f64>, y: &[Vec<f64>]) -> Mat<f64> {
    let k = h.nrows();
    let hy: Vec<Vec<f64>> = y
        .iter()
        .map(|c| (0..k).map(|r| (0..k).map(|s| h[(r, s)] * c[s]).sum()).collect())
        .collect();
    Mat::from_fn(y.len(), y.len(), |i, j| dot(&y[i], &hy[j]))
}

/// Modified Gram-Schmidt (two passes); columns that are (numerically)
/// dependent on the earlier ones are dropped.
fn orthonormal_columns(cols: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(cols.len());
    for mut c in cols {
        let n0 = dot(&c, &c).sqrt();
        for _ in 0..2 {
            for o in &out {
                let d = dot(o, &c);
                axpy(-d, o, &mut c);
            }
        }
        let nrm = dot(&c, &c).sqrt();
        if nrm > 1e-8 * n0 && nrm > 0.0 {
            c.iter_mut().for_each(|x| *x /= nrm);
            out.push(c);
        }
    }
    out
}
