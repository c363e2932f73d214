//! Near-to-far projection: radiated intensity over angles from the DFT fields
//! on a closed box in a homogeneous medium (surface equivalence principle).
//!
//! Equivalent currents on the box (outward normal n): J = n x H, M = -n x E.
//! Radiation vectors N = sum J exp(-i k r.r') dA, L = sum M exp(-i k r.r') dA
//! (exp(-i w t) convention), and the power per unit solid angle (3D) or per
//! unit angle (2D, per unit length in z), in the units of the flux monitors
//! (sum of Re(E x H*), no factor 1/2):
//!
//!   3D: U = k^2 / (16 pi^2 eta) (|L_phi + eta N_theta|^2 + |L_theta - eta N_phi|^2)
//!   2D: U = k   / ( 8 pi    eta) (same bracket, theta = -z)
//!
//! with k = n w, eta = 1/n (Balanis, Antenna Theory, ch. 12; the 2D factor
//! from the asymptotic Hankel function). Integrated over all angles U gives
//! the flux out of the box, which the tests check.
//!
//! Directions: 2D, phi in the x-y plane from +x; 3D, polar angle theta from +z
//! (midpoint rule in theta) and azimuth phi from +x. The numerical aperture
//! fraction is taken about +z in 3D and +y in 2D.

use std::f64::consts::{PI, TAU};

use num_complex::Complex64;
use rayon::prelude::*;

use crate::grid::{Component, Grid};
use crate::monitor::dft::{FaceFields, FluxFace};

/// Far-field directions and their quadrature weights.
#[derive(Clone, Debug)]
pub struct Directions {
    /// Unit vectors.
    pub r: Vec<[f64; 3]>,
    /// (theta, phi) in radians; theta = pi/2 in 2D.
    pub angles: Vec<(f64, f64)>,
    /// Solid angle (3D) or angle (2D) each direction stands for.
    pub weight: Vec<f64>,
}

impl Directions {
    pub fn new(three_d: bool, points: usize) -> Directions {
        let (mut r, mut angles, mut weight) = (Vec::new(), Vec::new(), Vec::new());
        if three_d {
            let nt = points.max(2);
            let np = 2 * nt;
            let (dt, dp) = (PI / nt as f64, TAU / np as f64);
            for i in 0..nt {
                let th = (i as f64 + 0.5) * dt;
                for j in 0..np {
                    let ph = j as f64 * dp;
                    r.push([th.sin() * ph.cos(), th.sin() * ph.sin(), th.cos()]);
                    angles.push((th, ph));
                    weight.push(th.sin() * dt * dp);
                }
            }
        } else {
            let n = points.max(4);
            for j in 0..n {
                let ph = TAU * j as f64 / n as f64;
                r.push([ph.cos(), ph.sin(), 0.0]);
                angles.push((PI / 2.0, ph));
                weight.push(TAU / n as f64);
            }
        }
        Directions { r, angles, weight }
    }
}

/// One equivalent-current sample, fed by one face field sample.
struct CurrentSample {
    /// Axis of the current.
    axis: usize,
    /// Position relative to the domain centre (um).
    pos: [f64; 3],
    /// Slot in the face fields [E1, E2, H1, H2] and sample index.
    slot: usize,
    sample: usize,
    /// The current is factor * field.
    factor: f64,
    magnetic: bool,
}

/// Equivalent currents of each face, aligned with `faces`.
fn currents(grid: &Grid, faces: &[FluxFace]) -> Vec<Vec<CurrentSample>> {
    let centre = [0, 1, 2].map(|a| {
        if a < grid.dims.count() {
            0.5 * grid.shape()[a] as f64 * grid.dx
        } else {
            0.0
        }
    });
    faces
        .iter()
        .map(|face| {
            let a = face.axis;
            let (c1, c2) = ((a + 1) % 3, (a + 2) % 3);
            let s = face.sign;
            let mut out = Vec::new();
            // With outward sign s: J_c1 = -s H2 and M_c2 = -s E1 at the E1 samples
            // (H2 is averaged onto them); J_c2 = s H1 and M_c1 = s E2 at the E2 samples.
            for (e_slot, h_slot, e_axis, j_axis, j_factor, m_axis, m_factor) in [(0, 3, c1, c1, -s, c2, -s), (1, 2, c2, c2, s, c1, s)] {
                let Some(block) = face.blocks[e_slot].as_ref() else { continue };
                let comp = Component::electric(e_axis);
                let weights = block.weights();
                for (k, w) in weights.into_iter().enumerate() {
                    let ijk = [
                        block.lo[0] + k % block.shape[0],
                        block.lo[1] + (k / block.shape[0]) % block.shape[1],
                        block.lo[2] + k / (block.shape[0] * block.shape[1]),
                    ];
                    let p = grid.position_um(comp, ijk);
                    let pos = [0, 1, 2].map(|q| p[q] - centre[q]);
                    out.push(CurrentSample {
                        axis: j_axis,
                        pos,
                        slot: h_slot,
                        sample: k,
                        factor: w * j_factor,
                        magnetic: false,
                    });
                    out.push(CurrentSample {
                        axis: m_axis,
                        pos,
                        slot: e_slot,
                        sample: k,
                        factor: w * m_factor,
                        magnetic: true,
                    });
                }
            }
            out
        })
        .collect()
}

/// Intensity [freq][direction] from the box faces' DFT fields (`fields`
/// aligned with `faces`) in a medium of index `n_background`.
pub fn project(
    grid: &Grid,
    faces: &[FluxFace],
    fields: &[FaceFields],
    freqs: &[f64],
    n_background: f64,
    dirs: &Directions,
) -> Vec<Vec<f64>> {
    let three_d = grid.dims.count() == 3;
    let d_area = grid.dx.powi(grid.dims.count() as i32 - 1);
    let currents = currents(grid, faces);
    let eta = 1.0 / n_background;
    freqs
        .iter()
        .enumerate()
        .map(|(f, &freq)| {
            let k = TAU * freq * n_background;
            dirs.r
                .par_iter()
                .zip(&dirs.angles)
                .map(|(r, &(th, ph))| {
                    let mut nv = [Complex64::new(0.0, 0.0); 3];
                    let mut lv = [Complex64::new(0.0, 0.0); 3];
                    for (face_currents, face) in currents.iter().zip(fields) {
                        for c in face_currents {
                            let rows = &face.fields[c.slot];
                            if rows.is_empty() {
                                continue;
                            }
                            let v = rows[f][c.sample] * c.factor;
                            let phase = Complex64::from_polar(1.0, -k * (r[0] * c.pos[0] + r[1] * c.pos[1] + r[2] * c.pos[2]));
                            if c.magnetic {
                                lv[c.axis] += v * phase;
                            } else {
                                nv[c.axis] += v * phase;
                            }
                        }
                    }
                    let th_hat = [th.cos() * ph.cos(), th.cos() * ph.sin(), -th.sin()];
                    let ph_hat = [-ph.sin(), ph.cos(), 0.0];
                    let dot = |v: &[Complex64; 3], u: &[f64; 3]| (v[0] * u[0] + v[1] * u[1] + v[2] * u[2]) * d_area;
                    let (n_th, n_ph, l_th, l_ph) = (dot(&nv, &th_hat), dot(&nv, &ph_hat), dot(&lv, &th_hat), dot(&lv, &ph_hat));
                    let bracket = (l_ph + n_th * eta).norm_sqr() + (l_th - n_ph * eta).norm_sqr();
                    if three_d {
                        k * k / (16.0 * PI * PI * eta) * bracket
                    } else {
                        k / (8.0 * PI * eta) * bracket
                    }
                })
                .collect()
        })
        .collect()
}

/// Fraction of the radiated power within a numerical aperture `na` about
/// +z (3D) or +y (2D), in a medium of index `n`.
pub fn fraction_within_na(dirs: &Directions, intensity: &[f64], na: f64, n: f64, three_d: bool) -> f64 {
    let cos_max = (1.0 - (na / n).min(1.0).powi(2)).sqrt();
    let axis = if three_d { 2 } else { 1 };
    let total: f64 = intensity.iter().zip(&dirs.weight).map(|(u, w)| u * w).sum();
    let inside: f64 = intensity
        .iter()
        .zip(&dirs.weight)
        .zip(&dirs.r)
        .filter(|(_, r)| r[axis] >= cos_max)
        .map(|((u, w), _)| u * w)
        .sum();
    if total > 0.0 {
        inside / total
    } else {
        0.0
    }
}
