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
//!
//! The two terms of the bracket are the two polarisations: |E_theta|^2 ~
//! |L_phi + eta N_theta|^2 and |E_phi|^2 ~ |L_theta - eta N_phi|^2 (in 2D,
//! theta-hat = -z: E_theta is E_z, the TM part; E_phi lies in the plane).
//!
//! Open plane (one face, normal n = s e_a towards the half-space it projects
//! into): the same currents J = n x H, M = -n x E, radiating in one
//! homogeneous medium, give the exact field beyond an infinite plane when
//! that half-space is homogeneous (Love's equivalence: the field behind is
//! set to zero, so whatever lies behind the plane, an interface included,
//! does not enter). Only the directions with r . n > 0 are kept; the NA is
//! taken about n. A finite plane sees the emission up to roughly the angle
//! at which its nearest edge is seen from the sources ([`capture_angle`]);
//! beyond that the pattern is truncated, and it rings a little near it.

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

    /// The directions on the side `sign` of axis `axis` (r[axis] * sign > 0):
    /// the hemisphere an open plane projects into.
    pub fn half(&self, axis: usize, sign: f64) -> Directions {
        let keep: Vec<usize> = (0..self.r.len()).filter(|&k| self.r[k][axis] * sign > 1e-9).collect();
        Directions {
            r: keep.iter().map(|&k| self.r[k]).collect(),
            angles: keep.iter().map(|&k| self.angles[k]).collect(),
            weight: keep.iter().map(|&k| self.weight[k]).collect(),
        }
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
    let [th, ph] = project_polarized(grid, faces, fields, freqs, n_background, dirs);
    th.iter()
        .zip(&ph)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x + y).collect())
        .collect()
}

/// The intensity split by polarisation, [E_theta part, E_phi part], each
/// [freq][direction]; their sum is [`project`].
pub fn project_polarized(
    grid: &Grid,
    faces: &[FluxFace],
    fields: &[FaceFields],
    freqs: &[f64],
    n_background: f64,
    dirs: &Directions,
) -> [Vec<Vec<f64>>; 2] {
    let three_d = grid.dims.count() == 3;
    let d_area = grid.dx.powi(grid.dims.count() as i32 - 1);
    let currents = currents(grid, faces);
    let eta = 1.0 / n_background;
    // Every current sits on the half-cell lattice (multiples of dx / 2 from
    // the centre), so exp(-i k r.r') is a product of three per-axis factors
    // taken from tables made once per direction: two complex products per
    // sample instead of a sine and a cosine.
    let h = 0.5 * grid.dx;
    let mut lo = [i64::MAX; 3];
    let mut hi = [i64::MIN; 3];
    for c in currents.iter().flatten() {
        for a in 0..3 {
            let m = (c.pos[a] / h).round() as i64;
            lo[a] = lo[a].min(m);
            hi[a] = hi[a].max(m);
        }
    }
    let lattice: Vec<Vec<[usize; 3]>> = currents
        .iter()
        .map(|fc| {
            fc.iter()
                .map(|c| [0, 1, 2].map(|a| ((c.pos[a] / h).round() as i64 - lo[a]) as usize))
                .collect()
        })
        .collect();
    let span = [0, 1, 2].map(|a| if hi[a] >= lo[a] { (hi[a] - lo[a] + 1) as usize } else { 0 });
    let parts: Vec<Vec<(f64, f64)>> = freqs
        .iter()
        .enumerate()
        .map(|(f, &freq)| {
            let k = TAU * freq * n_background;
            dirs.r
                .par_iter()
                .zip(&dirs.angles)
                .map(|(r, &(th, ph))| {
                    let tables = [0, 1, 2].map(|a| {
                        (0..span[a])
                            .map(|m| Complex64::from_polar(1.0, -k * r[a] * (lo[a] + m as i64) as f64 * h))
                            .collect::<Vec<_>>()
                    });
                    let mut nv = [Complex64::new(0.0, 0.0); 3];
                    let mut lv = [Complex64::new(0.0, 0.0); 3];
                    for ((face_currents, face), at) in currents.iter().zip(fields).zip(&lattice) {
                        for (c, m) in face_currents.iter().zip(at) {
                            let rows = &face.fields[c.slot];
                            if rows.is_empty() {
                                continue;
                            }
                            let v = rows[f][c.sample] * c.factor;
                            let phase = tables[0][m[0]] * tables[1][m[1]] * tables[2][m[2]];
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
                    let (e_th, e_ph) = ((l_ph + n_th * eta).norm_sqr(), (l_th - n_ph * eta).norm_sqr());
                    let c = if three_d {
                        k * k / (16.0 * PI * PI * eta)
                    } else {
                        k / (8.0 * PI * eta)
                    };
                    (c * e_th, c * e_ph)
                })
                .collect()
        })
        .collect();
    [
        parts.iter().map(|r| r.iter().map(|p| p.0).collect()).collect(),
        parts.iter().map(|r| r.iter().map(|p| p.1).collect()).collect(),
    ]
}

/// Fraction of the radiated power within a numerical aperture `na` about
/// +z (3D) or +y (2D), in a medium of index `n`.
pub fn fraction_within_na(dirs: &Directions, intensity: &[f64], na: f64, n: f64, three_d: bool) -> f64 {
    let axis = if three_d { [0.0, 0.0, 1.0] } else { [0.0, 1.0, 0.0] };
    fraction_within_na_about(dirs, intensity, na, n, axis)
}

/// Fraction of the radiated power within a numerical aperture `na` about
/// the unit vector `axis`, in a medium of index `n`.
pub fn fraction_within_na_about(dirs: &Directions, intensity: &[f64], na: f64, n: f64, axis: [f64; 3]) -> f64 {
    let cos_max = (1.0 - (na / n).min(1.0).powi(2)).sqrt();
    let total: f64 = intensity.iter().zip(&dirs.weight).map(|(u, w)| u * w).sum();
    let inside: f64 = intensity
        .iter()
        .zip(&dirs.weight)
        .zip(&dirs.r)
        .filter(|(_, r)| r[0] * axis[0] + r[1] * axis[1] + r[2] * axis[2] >= cos_max)
        .map(|((u, w), _)| u * w)
        .sum();
    if total > 0.0 {
        inside / total
    } else {
        0.0
    }
}

/// The largest angle from the plane's normal (radians) up to which an open
/// plane sees every source on a straight line: for each source point, the
/// arctangent of (distance to the plane's nearest in-plane edge) / (distance
/// to the plane), the smallest over the sources. Reflections and refraction
/// behind the plane move the apparent sources; this is the direct view.
pub fn capture_angle(plane_min: [f64; 3], plane_max: [f64; 3], axis: usize, sources: &[[f64; 3]], dims: usize) -> Option<f64> {
    sources
        .iter()
        .map(|p| {
            let normal = (p[axis] - plane_min[axis]).abs();
            let edge = (0..dims)
                .filter(|&b| b != axis)
                .map(|b| (p[b] - plane_min[b]).min(plane_max[b] - p[b]))
                .fold(f64::INFINITY, f64::min);
            if edge <= 0.0 {
                0.0
            } else {
                edge.atan2(normal)
            }
        })
        .min_by(|a, b| a.total_cmp(b))
}

/// How an open far-field plane projects.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpenPlane {
    /// +1 or -1: the side of the plane (along its normal axis) projected into.
    pub direction: f64,
    /// Fraction (0 to 1) of each in-plane half-size, at the edges, over which
    /// the plane's fields are brought smoothly to zero (sin^2) before the
    /// projection: a hard edge rings (ripples of a few percent to tens of
    /// percent over the pattern, falling only as 1/size); a taper trades them
    /// for a smaller capture angle. 0: hard edges.
    pub edge_taper: f64,
}

/// The taper weight at `p` on a plane spanning [min, max] (normal `axis`).
pub fn taper_weight(p: &[f64; 3], min: &[f64; 3], max: &[f64; 3], axis: usize, dims: usize, fraction: f64) -> f64 {
    if fraction <= 0.0 {
        return 1.0;
    }
    (0..dims).filter(|&b| b != axis).fold(1.0, |w, b| {
        let width = fraction * 0.5 * (max[b] - min[b]);
        let edge = (p[b] - min[b]).min(max[b] - p[b]).max(0.0);
        if width <= 0.0 || edge >= width {
            w
        } else {
            w * (0.5 * PI * edge / width).sin().powi(2)
        }
    })
}

/// Multiply an open plane's DFT fields by the edge taper, sample by sample.
pub fn taper_fields(grid: &Grid, face: &FluxFace, fields: &mut FaceFields, min: &[f64; 3], max: &[f64; 3], fraction: f64) {
    if fraction <= 0.0 {
        return;
    }
    for (slot, block) in face.blocks.iter().enumerate() {
        let Some(b) = block else { continue };
        let n: usize = b.shape.iter().product();
        let w: Vec<f64> = (0..n)
            .map(|k| {
                let ijk = [
                    b.lo[0] + k % b.shape[0],
                    b.lo[1] + (k / b.shape[0]) % b.shape[1],
                    b.lo[2] + k / (b.shape[0] * b.shape[1]),
                ];
                taper_weight(&grid.position_um(b.comp, ijk), min, max, face.axis, grid.dims.count(), fraction)
            })
            .collect();
        for row in fields.fields[slot].iter_mut() {
            for (v, w) in row.iter_mut().zip(&w) {
                *v *= *w;
            }
        }
    }
}

/// An open plane's projection: which half-space, and how much of it the
/// plane sees.
#[derive(Clone, Debug, PartialEq)]
pub struct FarFieldPlane {
    /// Normal axis (0 = x) and the side projected into (+1 or -1).
    pub axis: usize,
    pub sign: f64,
    /// The plane's position along `axis` (um, grid coordinates).
    pub position_um: f64,
    /// [`capture_angle`] from the sources (to the inner edge of the taper),
    /// when there are point-like ones.
    pub capture_angle_rad: Option<f64>,
    /// The plane's extent (um, grid coordinates) and its edge taper.
    pub min_um: [f64; 3],
    pub max_um: [f64; 3],
    pub edge_taper: f64,
}
