//! Acceptance of a multimode guide: the power entering its core within its
//! numerical aperture, for guides with too many modes to decompose.
//!
//! This is the large-V (geometric, ray-optics) approximation: a ray that
//! crosses the core face inside the core with a transverse wavevector
//! |k_t| <= k0 NA (k0 = 2 pi / lambda in vacuum; k_t is conserved across a
//! planar face, so the criterion holds on either side of it) is guided, any
//! other is not. For a step-index core NA = sqrt(n_core^2 - n_clad^2); for a
//! graded core the local NA falls towards the edge, and the maximum (the
//! axis's) is used, which overestimates the acceptance of off-axis light. It
//! counts power, not modes: at V of a few tens it differs from the sum over
//! guided modes by tens of percent (examples/README.md records one case),
//! and it approaches it as V grows (Snyder and Love, Optical Waveguide
//! Theory, ch. 36: the number of modes ~ V^2 / 2 fill the phase space
//! |r| < a, |k_t| < k0 NA).
//!
//! The decomposition: the tangential DFT fields on the plane, multiplied by
//! the core mask, are transformed to plane waves,
//! F(k_t) = sum_r f(r) exp(-i k_t . r) dA, and each plane wave carries the
//! Poynting flux S(k_t) = Re(E1 H2* - E2 H1*)(k_t) (E1 and H2 are sampled at
//! the same points, as are E2 and H1, so the Yee offsets drop out of the
//! products). By Parseval, the integral of S over all k_t (d^2 k_t / (2 pi)^2,
//! or dk / 2 pi in 2D) is the flux through the core area; the evanescent part
//! carries no net flux in a lossless medium, so the propagating components
//! hold it all (tests/acceptance.rs checks both). The accepted power is the
//! integral over the disk |k_t| <= k0 NA.
//!
//! No FFT: the disk is a few dozen k samples across, so a separable direct
//! DFT onto just those samples (first along u for each k_u, then along v)
//! costs O(nu nv nk + nk^2 nv), well under a second for a 1000 x 1000 plane,
//! and its k spacing is chosen freely (at most half the window's natural
//! 2 pi / L, and at least 32 samples per radius) instead of by zero-padding.

use std::f64::consts::{PI, TAU};

use num_complex::Complex64;

use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::material::MaterialGrid;
use crate::monitor::dft::FaceFields;
use crate::monitor::mode::PortWindow;

/// The core and aperture of one acceptance plane.
#[derive(Clone, Debug)]
pub struct Acceptance {
    pub window: PortWindow,
    /// Core mask (0 or 1) at the samples of slot pairs (E1, H2) and (E2, H1),
    /// slot-array order.
    pub mask: [Vec<f64>; 2],
    pub na: f64,
    /// Core area (um^2), or width (um) in 2D.
    pub core_size: f64,
    /// Cell size (um) and whether each transverse axis (u, v) is sampled
    /// (false for the z axis of a 2D run).
    pub dx: f64,
    pub sampled: [bool; 2],
}

/// Where the core is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Core {
    /// A disk (a segment in 2D) of this radius about this centre, um.
    Disk { center_um: [f64; 3], radius_um: f64 },
    /// Every sample whose permittivity exceeds the plane's lowest (the
    /// cladding's) by more than 2% of the plane's contrast (none on a plane
    /// of one index, whose NA from the index is then 0: nothing accepted).
    FromIndex,
}

impl Acceptance {
    /// The core mask and NA of `window`; `na` None takes it from the index:
    /// sqrt(eps_max - eps_min) over the plane.
    pub fn new(grid: &Grid, materials: &MaterialGrid, window: &PortWindow, core: Core, na: Option<f64>, what: &str) -> Result<Acceptance> {
        let comps = window.components();
        let (u, v) = window.uv();
        let (nu, nv) = (window.shape[u], window.shape[v]);
        let d = grid.dims.count();
        let sampled = [u < d, v < d];
        // Permittivity (real) at the samples of E1 and E2, where evolved.
        let eps: [Vec<f64>; 2] = [0, 1].map(|p| {
            let c = comps[p];
            if !c.is_active(grid.dims) {
                return Vec::new();
            }
            let mut e = vec![0.0; window.samples()];
            for iv in 0..nv {
                for iu in 0..nu {
                    let [i, j, k] = window.cell(iu, iv);
                    e[window.slot_index(iu, iv)] = materials.eps[c.axis()][grid.index(i, j, k)] as f64;
                }
            }
            e
        });
        let all = eps.iter().flatten();
        let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(l, h), &e| (l.min(e), h.max(e)));
        let contrast = hi - lo;
        let na = match na {
            Some(na) if na > 0.0 && na.is_finite() => na,
            Some(na) => return Err(Error::invalid(format!("{what}.na"), na, "must be positive")),
            None if contrast > 1e-6 * hi => contrast.sqrt(),
            // One index over the plane (e.g. the reference run without
            // geometry): no core, nothing accepted, as a mode port there
            // finds no guided mode.
            None => 0.0,
        };
        let mut mask: [Vec<f64>; 2] = Default::default();
        for p in 0..2 {
            let c = comps[p];
            if !c.is_active(grid.dims) {
                continue;
            }
            let o = c.yee_offset();
            let mut m = vec![0.0; window.samples()];
            for iv in 0..nv {
                for iu in 0..nu {
                    let s = window.slot_index(iu, iv);
                    let inside = match core {
                        Core::Disk { center_um, radius_um } => {
                            let cell = window.cell(iu, iv);
                            let r2: f64 = [u, v]
                                .iter()
                                .filter(|&&b| b < d)
                                .map(|&b| ((cell[b] as f64 + o[b]) * grid.dx - center_um[b]).powi(2))
                                .sum();
                            r2 <= radius_um * radius_um
                        }
                        Core::FromIndex => contrast > 1e-6 * hi && eps[p][s] > lo + 0.02 * contrast,
                    };
                    m[s] = if inside { 1.0 } else { 0.0 };
                }
            }
            mask[p] = m;
        }
        let d_area = grid.dx.powi(d as i32 - 1);
        let pair = if mask[0].is_empty() { 1 } else { 0 };
        let core_size = mask[pair].iter().sum::<f64>() * d_area;
        if core_size == 0.0 && matches!(core, Core::Disk { .. }) {
            return Err(Error::invalid(
                format!("{what}.core_radius_um"),
                "no sample of the plane inside the core",
                "a core that covers part of the plane",
            ));
        }
        Ok(Acceptance {
            window: window.clone(),
            mask,
            na,
            core_size,
            dx: grid.dx,
            sampled,
        })
    }

    /// Flux through the core area at frequency `f` (along the face's sign).
    pub fn core_flux(&self, face: &FaceFields, f: usize) -> f64 {
        let [e1, e2, h1, h2] = &face.fields;
        let d_area: f64 = self.sampled.iter().map(|&s| if s { self.dx } else { 1.0 }).product();
        let mut s = 0.0;
        for (e, h, m, sign) in [(e1, h2, &self.mask[0], 1.0), (e2, h1, &self.mask[1], -1.0)] {
            if e.is_empty() || h.is_empty() {
                continue;
            }
            s += sign * e[f].iter().zip(&h[f]).zip(m).map(|((a, b), w)| w * (a * b.conj()).re).sum::<f64>();
        }
        face.sign * s * d_area
    }

    /// The masked fields' Poynting flux density over k_t at each (k_u, k_v)
    /// of the product grid `ku` x `kv` (kv-major), frequency `f`: integrate it
    /// with d^2 k / (2 pi)^2 (dk / 2 pi along a sampled axis, 1 along an unsampled).
    pub fn angular_flux(&self, face: &FaceFields, f: usize, ku: &[f64], kv: &[f64]) -> Vec<f64> {
        let [e1, e2, h1, h2] = &face.fields;
        let mut out = vec![0.0; ku.len() * kv.len()];
        for (e, h, m, sign) in [(e1, h2, &self.mask[0], 1.0), (e2, h1, &self.mask[1], -1.0)] {
            if e.is_empty() || h.is_empty() {
                continue;
            }
            let et = self.transform(&e[f], m, ku, kv);
            let ht = self.transform(&h[f], m, ku, kv);
            for (o, (a, b)) in out.iter_mut().zip(et.iter().zip(&ht)) {
                *o += face.sign * sign * (a * b.conj()).re;
            }
        }
        out
    }

    /// Power within the aperture at vacuum wavelength `wavelength_um`,
    /// frequency `f`: the integral of [`Self::angular_flux`] over |k_t| <= k0 NA.
    pub fn accepted(&self, face: &FaceFields, f: usize, wavelength_um: f64) -> f64 {
        let kmax = TAU / wavelength_um * self.na;
        if kmax <= 0.0 || self.core_size == 0.0 {
            return 0.0;
        }
        let (u, v) = self.window.uv();
        let len = [u, v].map(|a| self.window.shape[a] as f64 * self.dx);
        // Per sampled axis: midpoints of n cells across [-kmax, kmax].
        let axis = |k: usize| -> (Vec<f64>, f64) {
            if !self.sampled[k] {
                return (vec![0.0], 1.0);
            }
            let dk_max = (kmax / 32.0).min(PI / len[k]);
            let n = (2.0 * kmax / dk_max).ceil() as usize;
            let dk = 2.0 * kmax / n as f64;
            ((0..n).map(|j| -kmax + (j as f64 + 0.5) * dk).collect(), dk)
        };
        let ((ku, du), (kv, dv)) = (axis(0), axis(1));
        let s = self.angular_flux(face, f, &ku, &kv);
        let measure = |dk: f64, k: usize| if self.sampled[k] { dk / TAU } else { 1.0 };
        let cell = measure(du, 0) * measure(dv, 1);
        let mut total = 0.0;
        for (jv, &y) in kv.iter().enumerate() {
            for (ju, &x) in ku.iter().enumerate() {
                // Fraction of the k cell inside the disk (8 x 8 sub-samples on
                // a 2D k plane; the 1D interval is covered exactly).
                let w = if self.sampled[0] && self.sampled[1] {
                    let mut inside = 0;
                    for a in 0..8 {
                        for b in 0..8 {
                            let px = x + ((a as f64 + 0.5) / 8.0 - 0.5) * du;
                            let py = y + ((b as f64 + 0.5) / 8.0 - 0.5) * dv;
                            if px * px + py * py <= kmax * kmax {
                                inside += 1;
                            }
                        }
                    }
                    inside as f64 / 64.0
                } else {
                    1.0
                };
                total += w * s[ju + ku.len() * jv];
            }
        }
        total * cell
    }

    /// F(k_u, k_v) = sum over samples of mask * f * exp(-i k . r) dA, separably.
    fn transform(&self, field: &[Complex64], mask: &[f64], ku: &[f64], kv: &[f64]) -> Vec<Complex64> {
        let (u, v) = self.window.uv();
        let (nu, nv) = (self.window.shape[u], self.window.shape[v]);
        let step = |k: usize| if self.sampled[k] { self.dx } else { 0.0 };
        let phases = |ks: &[f64], n: usize, h: f64| -> Vec<Complex64> {
            ks.iter()
                .flat_map(|&k| (0..n).map(move |i| Complex64::from_polar(1.0, -k * i as f64 * h)))
                .collect()
        };
        let (pu, pv) = (phases(ku, nu, step(0)), phases(kv, nv, step(1)));
        // Along u: g[iv][ju].
        let mut g = vec![Complex64::default(); nv * ku.len()];
        for iv in 0..nv {
            let row: Vec<Complex64> = (0..nu)
                .map(|iu| {
                    let s = self.window.slot_index(iu, iv);
                    field[s] * mask[s]
                })
                .collect();
            if row.iter().all(|z| *z == Complex64::default()) {
                continue;
            }
            for ju in 0..ku.len() {
                let p = &pu[ju * nu..(ju + 1) * nu];
                g[iv * ku.len() + ju] = row.iter().zip(p).map(|(a, b)| a * b).sum();
            }
        }
        // Along v.
        let d_area: f64 = self.sampled.iter().map(|&s| if s { self.dx } else { 1.0 }).product();
        let mut out = vec![Complex64::default(); ku.len() * kv.len()];
        for jv in 0..kv.len() {
            let p = &pv[jv * nv..(jv + 1) * nv];
            for ju in 0..ku.len() {
                out[ju + ku.len() * jv] = (0..nv).map(|iv| g[iv * ku.len() + ju] * p[iv]).sum::<Complex64>() * d_area;
            }
        }
        out
    }
}
