//! Ports: mode monitors and mode sources on a cross-section of a waveguide.
//!
//! A port is a plane (a line in 2D) normal to one axis a, sampled as a flux
//! plane: the tangential fields in slots [E1, E2, H1, H2] with 1 = a + 1,
//! 2 = a + 2 (mod 3), E1 and H2 co-located, as are E2 and H1 (H averaged
//! onto the plane). The modes come from
//! - 2D runs: the exact slab solver ([`crate::modes::slab`]) on the
//!   rasterised permittivity along the line (a 2D TM run (Ez) carries the
//!   slab's TE modes, a TE run (Hz) its TM modes);
//! - 3D runs: the full-vector Yee-grid solver ([`crate::modes::vector`]) on
//!   the rasterised cross-section, whose samples are exactly the plane's.
//!
//! Modes are normalised for travel along +a with N = sum (e1 h2 - e2 h1) dA = 1.
//! A field (E, H) on the plane decomposes as a+ = (A + B) / 2,
//! a- = (A - B) / 2 with A = sum (E1 h2 - E2 h1) dA and B = sum (e1 H2 - e2 H1) dA
//! (mode orthogonality; Snyder and Love, Optical Waveguide Theory, ch. 31).
//! Powers |a+|^2 and |a-|^2 are in the units of the flux monitors.
//!
//! A mode source is the equivalence-principle pair of surface currents on
//! the port, J = n x h on the E plane and M = -n x e on the H plane half a
//! cell away (n the launch direction), which radiates the mode one way only.
//! As in a total-field/scattered-field boundary (Taflove and Hagness,
//! Computational Electrodynamics, 3rd ed., sec. 5.9), J carries the incident
//! H at the H plane and M the incident E at the E plane: for a wave reaching
//! the H plane n_eff dx / 2 later (launch along +axis), M runs that much
//! ahead of J (and behind it for a launch along -axis). At each frequency
//! the launched mode amplitude is the waveform's spectrum W(w), its power
//! |W(w)|^2 (times amplitude^2).

use num_complex::Complex64;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::grid::{Component, Dimensions, Grid, Polarization};
use crate::material::MaterialGrid;
use crate::modes::slab::{SlabPolarization, SlabProfile};
use crate::modes::vector::CrossSection;
use crate::monitor::dft::{box_cells, FaceFields};
use crate::monitor::Region;

/// The samples of a port plane: normal `axis`, first cell `lo` (with
/// `lo[axis]` the plane's E index) and extents `shape` (`shape[axis]` = 1);
/// slot arrays are x-fastest over `shape`, like a flux face's blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct PortWindow {
    pub axis: usize,
    pub lo: [usize; 3],
    pub shape: [usize; 3],
}

impl PortWindow {
    /// The window of a plane region (one zero-size axis), placed like a flux plane.
    pub fn new(grid: &Grid, region: &Region, what: &str) -> Result<PortWindow> {
        let d = grid.dims.count();
        let flat: Vec<usize> = (0..d).filter(|&a| region.max_um[a] - region.min_um[a] < 0.5 * grid.dx).collect();
        if flat.len() != 1 {
            return Err(Error::invalid(
                format!("{what}.size_um"),
                format!("{:?} to {:?}", region.min_um, region.max_um),
                "a port is a plane across the waveguide (a line in 2D): exactly one zero size",
            ));
        }
        let a = flat[0];
        let n = grid.shape();
        let i0 = (0.5 * (region.min_um[a] + region.max_um[a]) / grid.dx).round() as i64;
        if i0 < 1 || i0 > n[a] as i64 - 1 {
            return Err(Error::invalid(
                format!("{what}.center_um"),
                format!(
                    "plane at {} um along {}",
                    0.5 * (region.min_um[a] + region.max_um[a]),
                    ['x', 'y', 'z'][a]
                ),
                "a port must lie at least one cell inside the domain",
            ));
        }
        let (mut lo, mut shape) = box_cells(grid, region);
        lo[a] = i0 as usize;
        shape[a] = 1;
        Ok(PortWindow { axis: a, lo, shape })
    }

    /// Transverse axes (u, v) = (a + 1, a + 2) mod 3.
    pub fn uv(&self) -> (usize, usize) {
        ((self.axis + 1) % 3, (self.axis + 2) % 3)
    }

    /// Slot array index of transverse sample (iu, iv).
    pub fn slot_index(&self, iu: usize, iv: usize) -> usize {
        let (u, v) = self.uv();
        let mut r = [0usize; 3];
        r[u] = iu;
        r[v] = iv;
        r[0] + self.shape[0] * (r[1] + self.shape[1] * r[2])
    }

    /// Grid cell of transverse sample (iu, iv).
    pub fn cell(&self, iu: usize, iv: usize) -> [usize; 3] {
        let (u, v) = self.uv();
        let mut c = self.lo;
        c[u] += iu;
        c[v] += iv;
        c
    }

    /// Components of the slots [E1, E2, H1, H2].
    pub fn components(&self) -> [Component; 4] {
        let (u, v) = self.uv();
        [
            Component::electric(u),
            Component::electric(v),
            Component::magnetic(u),
            Component::magnetic(v),
        ]
    }

    pub fn samples(&self) -> usize {
        self.shape.iter().product()
    }
}

/// One guided mode of a port, normalised for travel along +axis.
#[derive(Clone, Debug)]
pub struct PortMode {
    pub n_eff: f64,
    /// How far the window perturbs it, compared with
    /// [`crate::modes::EDGE_POWER_LIMIT`]: in 3D the fraction of its power
    /// within a quarter cladding wavelength of the window's edge
    /// ([`crate::modes::edge_power_fraction`]); in 2D, where the profile is
    /// exact, the fraction of the exact profile's power beyond the line's ends.
    pub edge_fraction: f64,
    /// [E1, E2, H1, H2] at the slot samples (empty where the run does not evolve it).
    pub fields: [Vec<f64>; 4],
}

/// The guided modes of a port at each wavelength.
#[derive(Clone, Debug)]
pub struct PortModes {
    pub window: PortWindow,
    /// Per wavelength, guided modes, highest n_eff first.
    pub modes: Vec<Vec<PortMode>>,
}

impl PortModes {
    /// Host memory the profiles hold (bytes).
    pub fn bytes(&self) -> u64 {
        self.modes
            .iter()
            .flatten()
            .map(|m| m.fields.iter().map(|f| f.len() as u64 * 8).sum::<u64>())
            .sum()
    }
    pub fn n_eff(&self) -> Vec<Vec<f64>> {
        self.modes.iter().map(|m| m.iter().map(|x| x.n_eff).collect()).collect()
    }
}

/// The guided modes of a port window at each wavelength (at most `max_modes` each).
pub fn solve(
    grid: &Grid,
    materials: &MaterialGrid,
    window: &PortWindow,
    wavelengths_um: &[f64],
    max_modes: usize,
    name: &str,
) -> Result<PortModes> {
    // One independent eigenproblem per wavelength (a sparse LU and an
    // Arnoldi iteration each, single-threaded): solved side by side on the
    // cores, in order; the same modes as one after another.
    let modes = match grid.dims {
        Dimensions::Two(pol) => wavelengths_um
            .par_iter()
            .map(|&wl| slab_modes(grid, materials, window, pol, wl, max_modes))
            .collect::<Result<Vec<_>>>()?,
        Dimensions::Three => {
            let cs = cross_section(grid, materials, window);
            wavelengths_um
                .par_iter()
                .map(|&wl| {
                    let modes = cs
                        .modes(wl, max_modes)
                        .map_err(|e| Error::invalid(name.to_string(), "port cross-section", e.to_string()))?;
                    Ok(modes
                        .into_iter()
                        .map(|m| {
                            let mut fields: [Vec<f64>; 4] = Default::default();
                            let src = [&m.e_t[0], &m.e_t[1], &m.h_t[0], &m.h_t[1]];
                            for (slot, f) in src.iter().enumerate() {
                                fields[slot] = vec![0.0; window.samples()];
                                for iv in 0..cs.nv {
                                    for iu in 0..cs.nu {
                                        fields[slot][window.slot_index(iu, iv)] = f[iu + cs.nu * iv];
                                    }
                                }
                            }
                            PortMode {
                                n_eff: m.n_eff,
                                edge_fraction: m.edge_fraction,
                                fields,
                            }
                        })
                        .collect())
                })
                .collect::<Result<Vec<_>>>()?
        }
    };
    Ok(PortModes {
        window: window.clone(),
        modes,
    })
}

/// The port's cross-section as the run rasterised it: eps of E1, E2 and the
/// normal E at the plane's samples (solver layout, u-fastest).
pub fn cross_section(grid: &Grid, materials: &MaterialGrid, window: &PortWindow) -> CrossSection {
    let (u, v) = window.uv();
    let (nu, nv) = (window.shape[u], window.shape[v]);
    let eps = [u, v, window.axis].map(|c| {
        let mut e = Vec::with_capacity(nu * nv);
        for iv in 0..nv {
            for iu in 0..nu {
                let [i, j, k] = window.cell(iu, iv);
                e.push(materials.eps[c][grid.index(i, j, k)] as f64);
            }
        }
        e
    });
    CrossSection {
        nu,
        nv,
        du: grid.dx,
        dv: grid.dx,
        eps,
    }
}

/// Slab modes of a 2D port line on its staircase profile.
fn slab_modes(
    grid: &Grid,
    materials: &MaterialGrid,
    w: &PortWindow,
    pol: Polarization,
    wl: f64,
    max_modes: usize,
) -> Result<Vec<PortMode>> {
    let a = w.axis;
    let t = 1 - a; // the in-plane axis along the port line
    let comps = w.components();
    let (e_axis, h_axis) = match pol {
        Polarization::Tm => (2, t), // Ez and the H along the line
        Polarization::Te => (t, 2), // E along the line and Hz
    };
    let e_slot = comps.iter().position(|c| *c == Component::electric(e_axis)).expect("E slot");
    let h_slot = comps.iter().position(|c| *c == Component::magnetic(h_axis)).expect("H slot");
    // N = sum (E1 H2 - E2 H1) dA: +e h when E sits in slot 0, -e h in slot 1.
    let sign = if e_slot == 0 { 1.0 } else { -1.0 };
    let count = w.shape[t];
    let off = Component::electric(e_axis).yee_offset()[t];
    let positions_um: Vec<f64> = (0..count).map(|s| (w.lo[t] + s) as f64 * grid.dx + off * grid.dx).collect();
    let at = |s: usize| {
        let mut ijk = w.lo;
        ijk[t] += s;
        grid.index(ijk[0], ijk[1], ijk[2])
    };
    // Staircase profile: sample s holds eps over [p - dx/2, p + dx/2).
    let eps: Vec<f64> = (0..count).map(|s| materials.eps[e_axis][at(s)] as f64).collect();
    let mut edges = Vec::new();
    let mut n = vec![eps[0].sqrt()];
    for s in 1..count {
        if eps[s] != eps[s - 1] {
            edges.push(positions_um[s] - 0.5 * grid.dx);
            n.push(eps[s].sqrt());
        }
    }
    if edges.is_empty() {
        // A uniform medium (e.g. the reference run without geometry) guides nothing.
        return Ok(Vec::new());
    }
    let profile = SlabProfile { edges, n };
    let spol = match pol {
        Polarization::Tm => SlabPolarization::Te,
        Polarization::Te => SlabPolarization::Tm,
    };
    let modes = profile.modes(wl, spol)?;
    let mut out = Vec::new();
    for m in modes.iter().take(max_modes) {
        let f = profile.profile(m, wl, &positions_um);
        let (e, h): (Vec<f64>, Vec<f64>) = match spol {
            SlabPolarization::Te => (f.clone(), f.iter().map(|v| sign * m.n_eff * v).collect()),
            SlabPolarization::Tm => (f.iter().zip(&eps).map(|(v, e)| sign * m.n_eff * v / e).collect(), f.clone()),
        };
        // Normalise to unit power N = s sum e h dA = 1.
        let norm: f64 = sign * e.iter().zip(&h).map(|(x, y)| x * y).sum::<f64>() * grid.dx;
        let k = 1.0 / norm.sqrt();
        let mut fields: [Vec<f64>; 4] = Default::default();
        fields[e_slot] = e.iter().map(|v| v * k).collect();
        fields[h_slot] = h.iter().map(|v| v * k).collect();
        // The exact profile is cut at the line's ends: the power of its
        // exponential tails beyond them (decay g = k0 sqrt(n_eff^2 - n_end^2)
        // from the end sample's cell face) is what the port cannot see.
        let density: Vec<f64> = e.iter().zip(&h).map(|(x, y)| sign * x * y).collect();
        let k0 = std::f64::consts::TAU / wl;
        let tail = |s: usize| {
            let g = k0 * (m.n_eff * m.n_eff - eps[s]).max(0.0).sqrt();
            if g > 0.0 {
                density[s] * (-g * grid.dx).exp() / (2.0 * g)
            } else {
                f64::INFINITY
            }
        };
        let outside = tail(0) + tail(count - 1);
        let inside: f64 = density.iter().sum::<f64>() * grid.dx;
        let edge_fraction = if outside.is_finite() { outside / (inside + outside) } else { 1.0 };
        out.push(PortMode {
            n_eff: m.n_eff,
            edge_fraction,
            fields,
        });
    }
    Ok(out)
}

/// Complex amplitude of each mode along +axis and against it (|a|^2 is
/// the power), at each wavelength.
pub fn decompose(modes: &PortModes, fields: &FaceFields, d_area: f64) -> (Vec<Vec<Complex64>>, Vec<Vec<Complex64>>) {
    let dot = |x: &[Complex64], y: &[f64]| -> Complex64 { x.iter().zip(y).map(|(p, q)| p * *q).sum() };
    let mut fwd = Vec::new();
    let mut bwd = Vec::new();
    for (f, at_f) in modes.modes.iter().enumerate() {
        let (mut pf, mut pb) = (Vec::new(), Vec::new());
        for m in at_f {
            let (mut a, mut b) = (Complex64::default(), Complex64::default());
            // A = sum (E1 h2 - E2 h1), B = sum (e1 H2 - e2 H1).
            for (e_slot, h_slot, s) in [(0, 3, 1.0), (1, 2, -1.0)] {
                let (ef, hf) = (&fields.fields[e_slot], &fields.fields[h_slot]);
                if !m.fields[h_slot].is_empty() && !ef.is_empty() {
                    a += dot(&ef[f], &m.fields[h_slot]) * s;
                }
                if !m.fields[e_slot].is_empty() && !hf.is_empty() {
                    b += dot(&hf[f], &m.fields[e_slot]) * s;
                }
            }
            pf.push((a + b) * 0.5 * d_area);
            pb.push((a - b) * 0.5 * d_area);
        }
        fwd.push(pf);
        bwd.push(pb);
    }
    (fwd, bwd)
}

/// The surface currents of a mode source: mode `mode` (0 = fundamental) of
/// the port at `wavelength_um`, launched along +axis or, with `backward`,
/// against it. Returns the samples (component, cell, surface-current weight),
/// the M delay (internal time units) and the mode's n_eff.
#[allow(clippy::type_complexity)]
pub fn source_samples(
    grid: &Grid,
    materials: &MaterialGrid,
    region: &Region,
    wavelength_um: f64,
    mode: usize,
    backward: bool,
    what: &str,
) -> Result<(Vec<(Component, [usize; 3], f64)>, f64, f64)> {
    let window = PortWindow::new(grid, region, what)?;
    let modes = solve(grid, materials, &window, &[wavelength_um], mode + 1, what)?;
    let found = modes.modes[0].len();
    let m = modes.modes[0].get(mode).ok_or_else(|| {
        Error::invalid(
            format!("{what}.mode"),
            mode + 1,
            format!("the port guides {found} mode(s) at {wavelength_um} um (mode 1 is the fundamental)"),
        )
    })?;
    let d = if backward { -1.0 } else { 1.0 };
    let comps = window.components();
    // J = n x h: J1 = -h2, J2 = h1 (at the E1, E2 samples); M = -d n x e:
    // M1 = d e2, M2 = -d e1 (at the H1, H2 samples, co-located in the plane).
    let weights = [(3, -1.0), (2, 1.0), (1, d), (0, -d)];
    let peak = m.fields.iter().flatten().fold(0.0f64, |p, v| p.max(v.abs()));
    let mut samples = Vec::new();
    for (slot, (src, k)) in weights.into_iter().enumerate() {
        let c = comps[slot];
        if !c.is_active(grid.dims) || m.fields[src].is_empty() {
            continue;
        }
        let (u, v) = window.uv();
        for iv in 0..window.shape[v] {
            for iu in 0..window.shape[u] {
                let val = m.fields[src][window.slot_index(iu, iv)] * k;
                if val.abs() > 1e-9 * peak {
                    samples.push((c, window.cell(iu, iv), val));
                }
            }
        }
    }
    Ok((samples, -d * 0.5 * grid.dx * m.n_eff, m.n_eff))
}
