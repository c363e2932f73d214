//! Mode monitors of 2D runs: the power in each guided mode of a port, going
//! each way, from the DFT fields on the port line and the slab mode solver.
//!
//! The port is a line normal to x or y. Its index profile is the rasterised
//! permittivity along the line (the staircase the run actually sees), solved
//! exactly by [`crate::modes::slab`]. A 2D TM run (Ez) carries the slab's TE
//! modes, a TE run (Hz) its TM modes.
//!
//! With s = +1 or -1 such that the flux along the port normal is
//! s Re(E_t H_t*), the forward mode has h = s n_eff e (TE) or e = s n_eff h / eps
//! (TM), N = s sum e h dA, and a field (E, H) decomposes as
//! a+ = (A + B) / 2N, a- = (A - B) / 2N with A = s sum E h dA, B = s sum e H dA
//! (the orthogonality of modes; Snyder and Love, Optical Waveguide Theory,
//! ch. 31). Powers |a+|^2 N and |a-|^2 N are in the units of the flux monitors.

use num_complex::Complex64;

use crate::error::{Error, Result};
use crate::grid::{Component, Dimensions, Grid, Polarization};
use crate::material::MaterialGrid;
use crate::modes::slab::{SlabPolarization, SlabProfile};
use crate::monitor::dft::{FaceFields, FluxFace};

/// The guided modes of a port at each wavelength, sampled at the port's
/// E and H samples (co-located along the line).
#[derive(Clone, Debug)]
pub struct PortModes {
    /// Index (0..4) into the face's [E1, E2, H1, H2] of the evolved E and H.
    pub e_slot: usize,
    pub h_slot: usize,
    /// +1 when the flux along the normal is +Re(E H*), -1 when -Re(E H*).
    pub sign: f64,
    /// Per wavelength, per mode.
    pub n_eff: Vec<Vec<f64>>,
    pub e: Vec<Vec<Vec<f64>>>,
    pub h: Vec<Vec<Vec<f64>>>,
    /// Positions (um, grid coordinates) of the samples along the line.
    pub positions_um: Vec<f64>,
}

/// Solve the modes of a port face at each wavelength (at most `max_modes` each).
pub fn solve(
    grid: &Grid,
    materials: &MaterialGrid,
    face: &FluxFace,
    wavelengths_um: &[f64],
    max_modes: usize,
    name: &str,
) -> Result<PortModes> {
    let Dimensions::Two(pol) = grid.dims else {
        return Err(Error::invalid(
            format!("monitors.{name}"),
            "a 3D run",
            "mode monitors need a 2D run for now (the 2D cross-section mode solver is not implemented yet)",
        ));
    };
    let a = face.axis;
    let t = 1 - a; // the in-plane axis along the port line
                   // Slots in [E1, E2, H1, H2] with 1 = a + 1, 2 = a + 2 (mod 3).
    let slot_of = |axis: usize| if axis == (a + 1) % 3 { 0 } else { 1 };
    let (e_axis, h_axis) = match pol {
        Polarization::Tm => (2, t), // Ez and the H along the line
        Polarization::Te => (t, 2), // E along the line and Hz
    };
    let e_slot = slot_of(e_axis);
    let h_slot = 2 + slot_of(h_axis);
    // Flux = Re(E1 H2* - E2 H1*).
    let sign = if e_slot == 0 { 1.0 } else { -1.0 };
    let block = face.blocks[e_slot]
        .as_ref()
        .ok_or_else(|| Error::invalid(format!("monitors.{name}"), "port", "no evolved E along the port"))?;
    let count = block.shape[t];
    let off = Component::electric(e_axis).yee_offset()[t];
    let positions_um: Vec<f64> = (0..count).map(|s| (block.lo[t] + s) as f64 * grid.dx + off * grid.dx).collect();
    // Staircase profile: sample s holds eps over [p - dx/2, p + dx/2).
    let eps: Vec<f64> = (0..count)
        .map(|s| {
            let mut ijk = block.lo;
            ijk[t] += s;
            materials.eps[e_axis][grid.index(ijk[0], ijk[1], ijk[2])] as f64
        })
        .collect();
    let mut edges = Vec::new();
    let mut n = vec![eps[0].sqrt()];
    for s in 1..count {
        if eps[s] != eps[s - 1] {
            edges.push(positions_um[s] - 0.5 * grid.dx);
            n.push(eps[s].sqrt());
        }
    }
    let d_area = grid.dx;
    let mut out = PortModes {
        e_slot,
        h_slot,
        sign,
        n_eff: Vec::new(),
        e: Vec::new(),
        h: Vec::new(),
        positions_um: positions_um.clone(),
    };
    if edges.is_empty() {
        // A uniform medium (e.g. the reference run without geometry) guides nothing.
        for _ in wavelengths_um {
            out.n_eff.push(Vec::new());
            out.e.push(Vec::new());
            out.h.push(Vec::new());
        }
        return Ok(out);
    }
    let profile = SlabProfile { edges, n };
    let spol = match pol {
        Polarization::Tm => SlabPolarization::Te,
        Polarization::Te => SlabPolarization::Tm,
    };
    for &wl in wavelengths_um {
        let modes = profile.modes(wl, spol)?;
        let (mut ns, mut es, mut hs) = (Vec::new(), Vec::new(), Vec::new());
        for m in modes.iter().take(max_modes) {
            let f = profile.profile(m, wl, &positions_um);
            let (e, h): (Vec<f64>, Vec<f64>) = match spol {
                SlabPolarization::Te => (f.clone(), f.iter().map(|v| sign * m.n_eff * v).collect()),
                SlabPolarization::Tm => (f.iter().zip(&eps).map(|(v, e)| sign * m.n_eff * v / e).collect(), f.clone()),
            };
            // Normalise to unit power N = s sum e h dA = 1.
            let norm: f64 = sign * e.iter().zip(&h).map(|(x, y)| x * y).sum::<f64>() * d_area;
            let k = 1.0 / norm.sqrt();
            ns.push(m.n_eff);
            es.push(e.iter().map(|v| v * k).collect());
            hs.push(h.iter().map(|v| v * k).collect());
        }
        out.n_eff.push(ns);
        out.e.push(es);
        out.h.push(hs);
    }
    Ok(out)
}

/// Forward and backward power in each mode at each wavelength.
pub fn decompose(modes: &PortModes, fields: &FaceFields, d_area: f64) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let (e_f, h_f) = (&fields.fields[modes.e_slot], &fields.fields[modes.h_slot]);
    let mut fwd = Vec::new();
    let mut bwd = Vec::new();
    for f in 0..modes.n_eff.len() {
        let (mut pf, mut pb) = (Vec::new(), Vec::new());
        for m in 0..modes.n_eff[f].len() {
            let (e, h) = (&modes.e[f][m], &modes.h[f][m]);
            let a: Complex64 = e_f[f].iter().zip(h).map(|(x, y)| x * *y).sum::<Complex64>() * modes.sign * d_area;
            let b: Complex64 = h_f[f].iter().zip(e).map(|(x, y)| x * *y).sum::<Complex64>() * modes.sign * d_area;
            // N = 1 after normalisation.
            pf.push(((a + b) * 0.5).norm_sqr());
            pb.push(((a - b) * 0.5).norm_sqr());
        }
        fwd.push(pf);
        bwd.push(pb);
    }
    (fwd, bwd)
}
