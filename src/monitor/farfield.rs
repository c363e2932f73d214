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
///
/// The radiation vectors are sums over each face's samples, which lie on a
/// regular grid in the face (u, v axes): sum_v exp(-i k r_v v) sum_u
/// C(u, v) exp(-i k r_u u). The inner sum, a trigonometric polynomial in
/// r_u, comes from a non-uniform FFT of each row ([`RowTransform`]): one
/// FFT per row and frequency, then a few taps per row and direction, so a
/// direction costs O(rows) instead of O(samples) (~100 times less for a
/// plane 900 samples across). Same values as the direct sum to ~1e-8 of
/// the peak (unit tests below).
pub fn project_polarized(
    grid: &Grid,
    faces: &[FluxFace],
    fields: &[FaceFields],
    freqs: &[f64],
    n_background: f64,
    dirs: &Directions,
) -> [Vec<Vec<f64>>; 2] {
    let sheets = sheets(grid, faces);
    let parts: Vec<Vec<(f64, f64)>> = freqs
        .iter()
        .enumerate()
        .map(|(f, &freq)| {
            let k = TAU * freq * n_background;
            // Row spectra of each sheet's two currents at this frequency.
            let spectra: Vec<[Vec<Complex64>; 2]> = sheets
                .iter()
                .map(|sh| {
                    let rows = &fields[sh.face].fields;
                    [sh.j_slot, sh.m_slot].map(|slot| {
                        if rows[slot].is_empty() {
                            return Vec::new();
                        }
                        let values = &rows[slot][f];
                        let factor = if slot == sh.j_slot { sh.j_factor } else { sh.m_factor };
                        sh.transform
                            .spectra(sh.nv, |v, u| values[sh.sample(u, v)] * (factor * sh.weights[sh.sample(u, v)]))
                    })
                })
                .collect();
            dirs.r
                .par_iter()
                .zip(&dirs.angles)
                .map(|(r, &(th, ph))| {
                    let mut rad = Radiation::new(grid, n_background, k);
                    for (sh, sp) in sheets.iter().zip(&spectra) {
                        let taps = sh.transform.taps(k * r[sh.u] * grid.dx);
                        // Phase of the sheet's origin (row 0, centred column).
                        let base = Complex64::from_polar(1.0, -k * (r[0] * sh.origin[0] + r[1] * sh.origin[1] + r[2] * sh.origin[2]));
                        let step = Complex64::from_polar(1.0, -k * r[sh.v] * grid.dx);
                        for (spec, axis, magnetic) in [(&sp[0], sh.j_axis, false), (&sp[1], sh.m_axis, true)] {
                            if spec.is_empty() {
                                continue;
                            }
                            let m = sh.transform.m;
                            let mut sum = Complex64::new(0.0, 0.0);
                            let mut phase = base;
                            for row in spec.chunks_exact(m) {
                                sum += taps.apply(row) * phase;
                                phase *= step;
                            }
                            rad.add(magnetic, axis, sum);
                        }
                    }
                    rad.intensities(th, ph)
                })
                .collect()
        })
        .collect();
    [
        parts.iter().map(|r| r.iter().map(|p| p.0).collect()).collect(),
        parts.iter().map(|r| r.iter().map(|p| p.1).collect()).collect(),
    ]
}

/// The radiation vectors N (electric) and L (magnetic) of one direction, summed
/// over the currents without the area element.
struct Radiation {
    nv: [Complex64; 3],
    lv: [Complex64; 3],
    d_area: f64,
    eta: f64,
    k: f64,
    three_d: bool,
}

impl Radiation {
    /// Zero sums for wavenumber `k` in the background medium.
    fn new(grid: &Grid, n_background: f64, k: f64) -> Radiation {
        let zero = [Complex64::new(0.0, 0.0); 3];
        Radiation {
            nv: zero,
            lv: zero,
            d_area: grid.dx.powi(grid.dims.count() as i32 - 1),
            eta: 1.0 / n_background,
            k,
            three_d: grid.dims.count() == 3,
        }
    }

    /// Adds a current term along `axis`: magnetic (to L) or electric (to N).
    fn add(&mut self, magnetic: bool, axis: usize, v: Complex64) {
        if magnetic {
            self.lv[axis] += v;
        } else {
            self.nv[axis] += v;
        }
    }

    /// [E_theta part, E_phi part] of the intensity towards (theta, phi).
    fn intensities(&self, th: f64, ph: f64) -> (f64, f64) {
        let th_hat = [th.cos() * ph.cos(), th.cos() * ph.sin(), -th.sin()];
        let ph_hat = [-ph.sin(), ph.cos(), 0.0];
        let dot = |v: &[Complex64; 3], u: &[f64; 3]| (v[0] * u[0] + v[1] * u[1] + v[2] * u[2]) * self.d_area;
        let (n_th, n_ph) = (dot(&self.nv, &th_hat), dot(&self.nv, &ph_hat));
        let (l_th, l_ph) = (dot(&self.lv, &th_hat), dot(&self.lv, &ph_hat));
        let (eta, k) = (self.eta, self.k);
        let c = if self.three_d {
            k * k / (16.0 * PI * PI * eta)
        } else {
            k / (8.0 * PI * eta)
        };
        (c * (l_ph + n_th * eta).norm_sqr(), c * (l_th - n_ph * eta).norm_sqr())
    }
}

/// One E slot of one face: its samples form a regular nu x nv grid in the
/// face (u, v: the face's in-plane axes, u the longer), carrying an electric
/// current from the H slot and a magnetic one from the E slot.
struct Sheet {
    face: usize,
    j_slot: usize,
    m_slot: usize,
    j_axis: usize,
    m_axis: usize,
    j_factor: f64,
    m_factor: f64,
    u: usize,
    v: usize,
    nv: usize,
    /// Block strides along u and v (sample index = iu * su + iv * sv).
    su: usize,
    sv: usize,
    weights: Vec<f64>,
    /// Position (relative to the domain centre) of row 0 at the centred
    /// column ([`RowTransform`]'s index 0).
    origin: [f64; 3],
    transform: RowTransform,
}

impl Sheet {
    fn sample(&self, u: usize, v: usize) -> usize {
        u * self.su + v * self.sv
    }
}

/// The sheets of every face (see [`Sheet`]); the currents as in the direct
/// sum: with outward sign s, J_c1 = -s H2 and M_c2 = -s E1 at the E1
/// samples (H2 averaged onto them), J_c2 = s H1 and M_c1 = s E2 at the E2
/// samples.
fn sheets(grid: &Grid, faces: &[FluxFace]) -> Vec<Sheet> {
    let centre = [0, 1, 2].map(|a| {
        if a < grid.dims.count() {
            0.5 * grid.shape()[a] as f64 * grid.dx
        } else {
            0.0
        }
    });
    let mut out = Vec::new();
    for (fi, face) in faces.iter().enumerate() {
        let a = face.axis;
        let (c1, c2) = ((a + 1) % 3, (a + 2) % 3);
        let s = face.sign;
        for (e_slot, h_slot, e_axis, j_axis, j_factor, m_axis, m_factor) in [(0, 3, c1, c1, -s, c2, -s), (1, 2, c2, c2, s, c1, s)] {
            let Some(block) = face.blocks[e_slot].as_ref() else { continue };
            let stride = [1, block.shape[0], block.shape[0] * block.shape[1]];
            let (u, v) = if block.shape[c1] >= block.shape[c2] { (c1, c2) } else { (c2, c1) };
            let nu = block.shape[u];
            let transform = RowTransform::new(nu);
            let mut first = block.lo;
            first[u] += transform.centre;
            let p = grid.position_um(Component::electric(e_axis), first);
            out.push(Sheet {
                face: fi,
                j_slot: h_slot,
                m_slot: e_slot,
                j_axis,
                m_axis,
                j_factor,
                m_factor,
                u,
                v,
                nv: block.shape[v],
                su: stride[u],
                sv: stride[v],
                weights: block.weights(),
                origin: [0, 1, 2].map(|q| p[q] - centre[q]),
                transform,
            });
        }
    }
    out
}

/// Type-2 non-uniform FFT of rows of n samples: F(w) = sum_i c_i exp(-i w
/// (i - centre)) at any w, from one zero-padded FFT of the row (m = 2n
/// points) and `W` taps of the "exponential of semicircle" kernel
/// phi(z) = exp(beta (sqrt(1 - z^2) - 1)), beta = 2.30 W (Barnett, Magland
/// and af Klinteberg, SIAM J. Sci. Comput. 41, C479 (2019); FINUFFT):
/// relative error ~1e-8 at W = 9 with the upsampling of 2.
///
/// With psi(x) = phi(x / alpha), alpha = W pi / m, and its transform
/// Psi(s) = int psi(x) exp(i x s) dx, Poisson summation gives
/// sum_m psi(w - w_m) exp(-i w_m i) = (m / 2 pi) sum_l Psi(i + l m)
/// exp(-i w (i + l m)), w_m = 2 pi m / m: dividing c_i by (m / 2 pi)
/// Psi(i) before the FFT leaves F(w) plus aliases l != 0 at |i + l m| >=
/// 1.5 n, where Psi is below the tolerance.
struct RowTransform {
    n: usize,
    m: usize,
    /// Index of the column taken as 0.
    centre: usize,
    alpha: f64,
    beta: f64,
    /// 1 / ((m / 2 pi) Psi(i - centre)) per column.
    deconvolve: Vec<f64>,
    fft: std::sync::Arc<dyn rustfft::Fft<f64>>,
}

/// Kernel width (taps).
const W: usize = 9;

/// The taps of one evaluation point: first FFT bin (mod m) and weights.
struct Taps {
    first: usize,
    m: usize,
    w: [f64; W],
}

impl Taps {
    fn apply(&self, row: &[Complex64]) -> Complex64 {
        let mut s = Complex64::new(0.0, 0.0);
        if self.first + W <= self.m {
            for (x, w) in row[self.first..self.first + W].iter().zip(&self.w) {
                s += x * w;
            }
        } else {
            for (t, w) in self.w.iter().enumerate() {
                s += row[(self.first + t) % self.m] * w;
            }
        }
        s
    }
}

impl RowTransform {
    fn new(n: usize) -> RowTransform {
        let m = (2 * n).max(2 * W).next_multiple_of(2);
        let alpha = W as f64 * PI / m as f64;
        let beta = 2.30 * W as f64;
        let centre = n / 2;
        // Psi(s) = alpha int_-1^1 phi(z) cos(alpha s z) dz, Gauss-Legendre.
        let (nodes, wts) = gauss_legendre(64);
        let psi_hat = |s: f64| -> f64 {
            alpha
                * nodes
                    .iter()
                    .zip(&wts)
                    .map(|(&z, &w)| w * es_kernel(z, beta) * (alpha * s * z).cos())
                    .sum::<f64>()
        };
        let deconvolve = (0..n).map(|i| 1.0 / (m as f64 / TAU * psi_hat(i as f64 - centre as f64))).collect();
        let fft = rustfft::FftPlanner::new().plan_fft_forward(m);
        RowTransform {
            n,
            m,
            centre,
            alpha,
            beta,
            deconvolve,
            fft,
        }
    }

    /// The padded spectra of `rows` rows, row-major (rows x m); `value(row,
    /// column)` gives the samples.
    fn spectra(&self, rows: usize, value: impl Fn(usize, usize) -> Complex64 + Sync) -> Vec<Complex64> {
        let mut out = vec![Complex64::new(0.0, 0.0); rows * self.m];
        out.par_chunks_mut(self.m).enumerate().for_each(|(r, buf)| {
            for i in 0..self.n {
                let at = (i + self.m - self.centre) % self.m;
                buf[at] = value(r, i) * self.deconvolve[i];
            }
            self.fft.process(buf);
        });
        out
    }

    /// The taps that evaluate F at `w` (radians per sample).
    fn taps(&self, w: f64) -> Taps {
        let h = TAU / self.m as f64;
        let lo = ((w - self.alpha) / h).ceil();
        let mut t = Taps {
            first: (lo as i64).rem_euclid(self.m as i64) as usize,
            m: self.m,
            w: [0.0; W],
        };
        for (j, x) in t.w.iter_mut().enumerate() {
            let z = (w - (lo + j as f64) * h) / self.alpha;
            *x = if z.abs() < 1.0 { es_kernel(z, self.beta) } else { 0.0 };
        }
        t
    }
}

/// The "exponential of semicircle" kernel on [-1, 1].
fn es_kernel(z: f64, beta: f64) -> f64 {
    (beta * ((1.0 - z * z).max(0.0).sqrt() - 1.0)).exp()
}

/// Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n).
fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    // P_n(z) and P_n'(z) by the three-term recurrence.
    let legendre = |z: f64| {
        let (mut p0, mut p1) = (1.0, z);
        for k in 2..=n {
            let p2 = ((2 * k - 1) as f64 * z * p1 - (k - 1) as f64 * p0) / k as f64;
            p0 = p1;
            p1 = p2;
        }
        (p1, n as f64 * (z * p1 - p0) / (z * z - 1.0))
    };
    let (mut x, mut w) = (vec![0.0; n], vec![0.0; n]);
    for i in 0..n {
        let mut z = (PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        for _ in 0..100 {
            let (p, dp) = legendre(z);
            let dz = p / dp;
            z -= dz;
            if dz.abs() < 1e-15 {
                break;
            }
        }
        let (_, dp) = legendre(z);
        x[i] = z;
        w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
    }
    (x, w)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Dimensions;
    use crate::monitor::dft::SampleBlock;

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

    /// The radiation integrals summed sample by sample (the definition).
    fn project_direct(
        grid: &Grid,
        faces: &[FluxFace],
        fields: &[FaceFields],
        freq: f64,
        n_background: f64,
        dirs: &Directions,
    ) -> Vec<(f64, f64)> {
        let k = TAU * freq * n_background;
        let currents = currents(grid, faces);
        dirs.r
            .iter()
            .zip(&dirs.angles)
            .map(|(r, &(th, ph))| {
                let mut rad = Radiation::new(grid, n_background, k);
                for (fc, face) in currents.iter().zip(fields) {
                    for c in fc {
                        let rows = &face.fields[c.slot];
                        if rows.is_empty() {
                            continue;
                        }
                        let v = rows[0][c.sample] * c.factor;
                        let phase = Complex64::from_polar(1.0, -k * (r[0] * c.pos[0] + r[1] * c.pos[1] + r[2] * c.pos[2]));
                        rad.add(c.magnetic, c.axis, v * phase);
                    }
                }
                rad.intensities(th, ph)
            })
            .collect()
    }

    /// A reproducible pseudo-random field value.
    fn noise(seed: &mut u64) -> Complex64 {
        let mut next = || {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((*seed >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        Complex64::new(next(), next())
    }

    /// Faces of a closed box (trapezoid weights on the edges) or, with
    /// `plane`, the z-normal face alone, with random fields.
    fn random_faces(grid: &Grid, lo: [usize; 3], hi: [usize; 3], plane: bool, seed: &mut u64) -> (Vec<FluxFace>, Vec<FaceFields>) {
        let three = grid.dims.count() == 3;
        let mut faces = Vec::new();
        let mut fields = Vec::new();
        let axes: Vec<usize> = if plane {
            vec![if three { 2 } else { 1 }]
        } else {
            (0..grid.dims.count()).collect()
        };
        for a in axes {
            for (side, sign) in [(lo[a], -1.0), (hi[a], 1.0)] {
                if plane && sign < 0.0 {
                    continue;
                }
                let mut blocks: [Option<SampleBlock>; 4] = Default::default();
                let mut f = FaceFields {
                    axis: a,
                    sign,
                    fields: Default::default(),
                    weights: Default::default(),
                };
                for (slot, c) in [(a + 1) % 3, (a + 2) % 3].into_iter().enumerate() {
                    let comp = Component::electric(c);
                    if !comp.is_active(grid.dims) {
                        continue;
                    }
                    let mut b_lo = lo;
                    let mut shape = [0, 1, 2].map(|q| hi[q] - lo[q] + 1);
                    b_lo[a] = side;
                    shape[a] = 1;
                    if !three {
                        b_lo[2] = 0;
                        shape[2] = 1;
                    }
                    let block = SampleBlock {
                        comp,
                        lo: b_lo,
                        shape,
                        acc: 0,
                        half_ends: [!plane; 3],
                    };
                    let n: usize = shape.iter().product();
                    f.fields[slot] = vec![(0..n).map(|_| noise(seed)).collect()];
                    f.fields[3 - slot] = vec![(0..n).map(|_| noise(seed)).collect()];
                    blocks[slot] = Some(block);
                }
                faces.push(FluxFace {
                    axis: a,
                    sign,
                    blocks,
                    samples: 0,
                });
                fields.push(f);
            }
        }
        (faces, fields)
    }

    fn compare(grid: &Grid, faces: &[FluxFace], fields: &[FaceFields], dirs: &Directions, n: f64) -> f64 {
        let freq = 1.0 / 0.8;
        let [th, ph] = project_polarized(grid, faces, fields, &[freq], n, dirs);
        let direct = project_direct(grid, faces, fields, freq, n, dirs);
        let peak = direct.iter().map(|d| d.0.max(d.1)).fold(0.0, f64::max);
        direct
            .iter()
            .enumerate()
            .map(|(k, d)| ((th[0][k] - d.0).abs().max((ph[0][k] - d.1).abs())) / peak)
            .fold(0.0, f64::max)
    }

    #[test]
    fn row_transform_equals_the_direct_sum() {
        let mut seed = 7;
        for n in [1, 2, 9, 40, 301] {
            let t = RowTransform::new(n);
            let row: Vec<Complex64> = (0..n).map(|_| noise(&mut seed)).collect();
            let spec = t.spectra(1, |_, i| row[i]);
            let scale: f64 = row.iter().map(|c| c.norm()).sum();
            for w in [-3.1, -1.0, -0.013, 0.0, 0.5, 2.2, PI - 1e-3] {
                let direct: Complex64 = row
                    .iter()
                    .enumerate()
                    .map(|(i, c)| c * Complex64::from_polar(1.0, -w * (i as f64 - t.centre as f64)))
                    .sum();
                let fast = t.taps(w).apply(&spec);
                assert!((fast - direct).norm() < 1e-8 * scale, "n {n}, w {w}: {fast} vs {direct}");
            }
        }
    }

    /// The projection through row transforms equals the direct sum over
    /// every sample: 3D and 2D closed boxes (edge weights) and an open plane.
    /// Bound 1e-7 of the peak: the kernel's ~1e-8 per row (measured up to
    /// 1.2e-8 here), below the f32 fields' own precision.
    #[test]
    fn projection_equals_the_direct_sum() {
        let mut seed = 11;
        let g3 = Grid::new([3.0, 3.0, 3.0], 12.0, 0.5, Dimensions::Three).unwrap();
        let (faces, fields) = random_faces(&g3, [5, 6, 7], [30, 27, 25], false, &mut seed);
        let dirs = Directions::new(true, 16);
        assert!(compare(&g3, &faces, &fields, &dirs, 1.0) < 1e-7);
        let (faces, fields) = random_faces(&g3, [2, 3, 10], [33, 30, 10], true, &mut seed);
        let e = compare(&g3, &faces, &fields, &dirs.half(2, 1.0), 1.5);
        assert!(e < 1e-7, "plane: {e:e}");
        for pol in [crate::grid::Polarization::Te, crate::grid::Polarization::Tm] {
            let g2 = Grid::new([4.0, 4.0, 0.0], 15.0, 0.5, Dimensions::Two(pol)).unwrap();
            let (faces, fields) = random_faces(&g2, [4, 9, 0], [50, 44, 0], false, &mut seed);
            assert!(compare(&g2, &faces, &fields, &Directions::new(false, 90), 1.0) < 1e-7);
        }
    }
}
