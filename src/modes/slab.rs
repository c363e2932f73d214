//! Guided modes of a layered (slab) index profile, exactly, by transfer
//! matrices: the 1D mode solver for 2D runs and for planar stacks.
//!
//! The profile varies along one transverse coordinate t; layers are given by
//! their lower edges and indices, with semi-infinite claddings below the first
//! and above the last edge. The mode propagates along s with exp(i(beta s - w t))
//! and beta = n_eff k0.
//!
//! - TE (E parallel to the layers: Ez of a 2D TM run across a slab in the
//!   x-y plane): F = E_par, continuity of F and F'.
//! - TM (H parallel to the layers: Hz of a 2D TE run): F = H_par, continuity
//!   of F and F' / n^2.
//!
//! In each layer F'' = (beta^2 - k0^2 n^2) F; guided modes decay in both
//! claddings. The dispersion function is the growing-wave coefficient at the
//! top after starting with a decaying wave at the bottom; its roots are found
//! by scanning n_eff and bisecting sign changes.

use crate::error::{Error, Result};

/// Which field is parallel to the layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlabPolarization {
    Te,
    Tm,
}

/// A layered profile: `edges[i]` is the lower edge (um) of layer i with index
/// `n[i + 1]`; `n[0]` is the lower cladding (t < edges[0]) and the last index
/// the upper cladding (t > last edge).
#[derive(Clone, Debug, PartialEq)]
pub struct SlabProfile {
    pub edges: Vec<f64>,
    pub n: Vec<f64>,
}

/// One guided mode.
#[derive(Clone, Debug)]
pub struct SlabMode {
    pub order: usize,
    pub n_eff: f64,
    pub polarization: SlabPolarization,
}

impl SlabProfile {
    /// A symmetric slab of index `core` and thickness `d`, centred on 0, in `clad`.
    pub fn symmetric(core: f64, clad: f64, d: f64) -> SlabProfile {
        SlabProfile {
            edges: vec![-d / 2.0, d / 2.0],
            n: vec![clad, core, clad],
        }
    }

    /// Index at position t.
    pub fn index_at(&self, t: f64) -> f64 {
        let k = self.edges.iter().take_while(|&&e| t >= e).count();
        self.n[k]
    }

    fn validate(&self) -> Result<()> {
        if self.n.len() != self.edges.len() + 1 || self.edges.is_empty() {
            return Err(Error::invalid(
                "slab profile",
                format!("{} edges, {} indices", self.edges.len(), self.n.len()),
                "need k >= 1 edges and k + 1 indices",
            ));
        }
        if self.edges.windows(2).any(|w| w[1] < w[0]) || self.n.iter().any(|n| !(n.is_finite() && *n > 0.0)) {
            return Err(Error::invalid(
                "slab profile",
                format!("{self:?}"),
                "edges must increase and indices be positive",
            ));
        }
        Ok(())
    }

    /// Growing-wave coefficient at the top for a wave decaying at the bottom
    /// (zero at a guided mode), normalised to stay O(1).
    fn dispersion(&self, n_eff: f64, k0: f64, pol: SlabPolarization) -> f64 {
        let b2 = (n_eff * k0).powi(2);
        let w = |n: f64| if pol == SlabPolarization::Tm { 1.0 / (n * n) } else { 1.0 };
        // State (F, w F') at the bottom edge for F = exp(g (t - edge)).
        let g0 = (b2 - (k0 * self.n[0]).powi(2)).max(0.0).sqrt();
        let (mut f, mut fp) = (1.0, w(self.n[0]) * g0);
        for i in 0..self.edges.len() - 1 {
            let h = self.edges[i + 1] - self.edges[i];
            let n = self.n[i + 1];
            let q2 = b2 - (k0 * n).powi(2);
            let wi = w(n);
            // Propagate (F, wF') across a layer of thickness h.
            let (nf, nfp) = if q2 > 0.0 {
                let q = q2.sqrt();
                let (c, s) = ((q * h).cosh(), (q * h).sinh());
                (c * f + s / (q * wi) * fp, q * wi * s * f + c * fp)
            } else {
                let k = (-q2).sqrt().max(1e-300);
                let (c, s) = ((k * h).cos(), (k * h).sin());
                (c * f + s / (k * wi) * fp, -k * wi * s * f + c * fp)
            };
            let norm = nf.abs().max(nfp.abs()).max(1e-300);
            f = nf / norm;
            fp = nfp / norm;
        }
        // At the top F = A exp(-g t) + B exp(g t); B = (g wtop F + wF') / (2 g wtop).
        let nt = *self.n.last().expect("validated");
        let gt = (b2 - (k0 * nt).powi(2)).max(0.0).sqrt();
        (gt * w(nt) * f + fp) / (f.abs() + fp.abs())
    }

    /// Guided modes at `wavelength_um`, highest n_eff first.
    pub fn modes(&self, wavelength_um: f64, pol: SlabPolarization) -> Result<Vec<SlabMode>> {
        self.validate()?;
        let k0 = std::f64::consts::TAU / wavelength_um;
        let n_clad = self.n[0].max(*self.n.last().expect("validated"));
        let n_max = self.n.iter().cloned().fold(0.0, f64::max);
        if n_max <= n_clad {
            return Ok(Vec::new());
        }
        // Scan just inside (n_clad, n_max): roots are simple and well apart
        // for physical profiles; 20 000 samples resolve any slab of < ~1000
        // guided modes.
        let samples = 20_000;
        let lo = n_clad * (1.0 + 1e-12);
        let hi = n_max * (1.0 - 1e-12);
        let at = |k: usize| lo + (hi - lo) * k as f64 / samples as f64;
        let mut roots = Vec::new();
        let mut prev = self.dispersion(at(0), k0, pol);
        for k in 1..=samples {
            let x = at(k);
            let v = self.dispersion(x, k0, pol);
            if prev == 0.0 || prev.signum() != v.signum() {
                let (mut a, mut b, mut fa) = (at(k - 1), x, prev);
                for _ in 0..200 {
                    let m = 0.5 * (a + b);
                    let fm = self.dispersion(m, k0, pol);
                    if fm.signum() == fa.signum() {
                        a = m;
                        fa = fm;
                    } else {
                        b = m;
                    }
                    if b - a < 1e-15 {
                        break;
                    }
                }
                roots.push(0.5 * (a + b));
            }
            prev = v;
        }
        roots.sort_by(|a, b| b.total_cmp(a));
        Ok(roots
            .into_iter()
            .enumerate()
            .map(|(order, n_eff)| SlabMode {
                order,
                n_eff,
                polarization: pol,
            })
            .collect())
    }

    /// The mode's parallel field F (E for TE, H for TM) at positions `t`,
    /// scaled to max |F| = 1, by the same transfer matrices.
    pub fn profile(&self, mode: &SlabMode, wavelength_um: f64, t: &[f64]) -> Vec<f64> {
        let k0 = std::f64::consts::TAU / wavelength_um;
        let b2 = (mode.n_eff * k0).powi(2);
        let pol = mode.polarization;
        let w = |n: f64| if pol == SlabPolarization::Tm { 1.0 / (n * n) } else { 1.0 };
        // States (F, wF') at each edge, unnormalised.
        let g0 = (b2 - (k0 * self.n[0]).powi(2)).max(0.0).sqrt();
        let mut states = vec![(1.0f64, w(self.n[0]) * g0)];
        let step = |f: f64, fp: f64, n: f64, h: f64| -> (f64, f64) {
            let q2 = b2 - (k0 * n).powi(2);
            let wi = w(n);
            if q2 > 0.0 {
                let q = q2.sqrt();
                let (c, s) = ((q * h).cosh(), (q * h).sinh());
                (c * f + s / (q * wi) * fp, q * wi * s * f + c * fp)
            } else {
                let k = (-q2).sqrt().max(1e-300);
                let (c, s) = ((k * h).cos(), (k * h).sin());
                (c * f + s / (k * wi) * fp, -k * wi * s * f + c * fp)
            }
        };
        for i in 0..self.edges.len() - 1 {
            let (f, fp) = states[i];
            states.push(step(f, fp, self.n[i + 1], self.edges[i + 1] - self.edges[i]));
        }
        let nt = *self.n.last().expect("profile of a validated slab");
        let mut out: Vec<f64> = t
            .iter()
            .map(|&x| {
                if x < self.edges[0] {
                    g0_exp(g0, x - self.edges[0])
                } else {
                    let k = self.edges.iter().take_while(|&&e| x >= e).count() - 1;
                    let (f, fp) = states[k];
                    if k + 1 < self.n.len() - 1 {
                        step(f, fp, self.n[k + 1], x - self.edges[k]).0
                    } else {
                        // Upper cladding: pure decay from the last edge.
                        let gt = (b2 - (k0 * nt).powi(2)).max(0.0).sqrt();
                        f * (-gt * (x - self.edges[k])).exp()
                    }
                }
            })
            .collect();
        let m = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if m > 0.0 {
            for v in &mut out {
                *v /= m;
            }
        }
        out
    }
}

fn g0_exp(g: f64, dt: f64) -> f64 {
    (g * dt).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n_eff(core: f64, clad: f64, d: f64, wl: f64, pol: SlabPolarization) -> Vec<f64> {
        SlabProfile::symmetric(core, clad, d)
            .modes(wl, pol)
            .unwrap()
            .iter()
            .map(|m| m.n_eff)
            .collect()
    }

    fn close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-3, "{got:?} vs {want:?}");
        }
    }

    /// ../shared/validation/CASES.md case 6 (kappa d/2 = m pi/2 + atan(r gamma/kappa)).
    #[test]
    fn slab_effective_indices_case_6() {
        let sqrt12 = 12f64.sqrt();
        close(&n_eff(sqrt12, 1.0, 1.0, 5.0, SlabPolarization::Te), &[3.038445, 1.564358]);
        close(&n_eff(sqrt12, 1.0, 1.0, 5.0, SlabPolarization::Tm)[..1], &[2.530805]);
        close(&n_eff(2.0, 1.45, 0.4, 0.45, SlabPolarization::Te), &[1.949918, 1.797151, 1.546299]);
        close(&n_eff(2.0, 1.45, 0.4, 0.45, SlabPolarization::Tm), &[1.938655, 1.756273, 1.506240]);
        close(&n_eff(1.5, 1.0, 1.0, 0.55, SlabPolarization::Te)[..1], &[1.481075]);
        close(&n_eff(1.5, 1.0, 1.0, 0.55, SlabPolarization::Tm)[..1], &[1.477870]);
        close(&n_eff(3.47, 1.44, 0.22, 1.55, SlabPolarization::Te), &[2.841463]);
        close(&n_eff(3.47, 1.44, 0.22, 1.55, SlabPolarization::Tm), &[2.045316]);
    }

    #[test]
    fn profile_is_even_odd_and_decays() {
        let s = SlabProfile::symmetric(2.0, 1.45, 0.4);
        let modes = s.modes(0.45, SlabPolarization::Te).unwrap();
        let t: Vec<f64> = (-200..=200).map(|k| k as f64 * 0.005).collect();
        for m in &modes {
            let f = s.profile(m, 0.45, &t);
            let parity = if m.order % 2 == 0 { 1.0 } else { -1.0 };
            for k in 0..t.len() {
                assert!(
                    (f[k] - parity * f[t.len() - 1 - k]).abs() < 1e-6,
                    "mode {} parity at {}",
                    m.order,
                    t[k]
                );
            }
            assert!(
                f[0].abs() < 1e-2 && f[t.len() - 1].abs() < 1e-2,
                "mode {} must decay in the cladding",
                m.order
            );
        }
    }
}
