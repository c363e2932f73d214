//! Dispersive media by auxiliary differential equations (ADE), on the GPU.
//!
//! Each pole of a medium adds a polarisation P with D = eps_inf E + sum P,
//! advanced with E at integer steps (the scheme MEEP uses, Taflove and
//! Hagness 3rd ed. sec. 9.4 in polarisation form):
//!
//! - Lorentz: P'' + G P' + w0^2 P = s w0^2 E, central differences:
//!   P+ = [(2 - w0^2 dt^2) P - (1 - G dt/2) P- + s w0^2 dt^2 E] / (1 + G dt/2)
//! - Drude: the same without the w0^2 P term (the drive s w0^2 keeps MEEP's
//!   parameters: w0 is the plasma frequency);
//! - Debye: tau P' + P = d E, integrated exactly with E held over the step:
//!   P+ = d E + (P - d E) exp(-dt/tau).
//!
//! with w0 = 2 pi f0, G = 2 pi gamma (frequencies in c/um, MEEP's units).
//! The E update then removes the change of P: with the usual E coefficients,
//! E(n+1) = [standard update] - cb (dx/dt) (P(n+1) - P(n)).
//!
//! State exists only for E samples inside dispersive media: two floats
//! (P, P-) per pole per sample. Keep in sync with shaders/dispersion.wgsl.

use crate::error::{Error, Result};
use crate::grid::{Component, Grid};
use crate::material::{MaterialGrid, Pole, Structure};

/// One dispersive E sample. Keep in sync with shaders/dispersion.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct DispersiveSample {
    pub index: u32,
    /// E component 0..3.
    pub comp: u32,
    /// First pole in the coefficient table.
    pub pole0: u32,
    pub npoles: u32,
    /// First state entry (two floats each: P, P-).
    pub state: u32,
    pub _pad: [u32; 3],
}

/// Update coefficients of one pole: P+ = c[0] P + c[1] P- + c[2] E.
pub type PoleCoeffs = [f32; 4];

#[derive(Clone, Debug, Default)]
pub struct DispersionPlan {
    pub samples: Vec<DispersiveSample>,
    pub coeffs: Vec<PoleCoeffs>,
    /// Number of (P, P-) state pairs.
    pub states: usize,
}

/// Coefficients of one pole at time step dt; errors when the explicit scheme
/// would be unstable (w0 dt >= 2).
pub fn pole_coeffs(p: &Pole, dt: f64, what: &str) -> Result<PoleCoeffs> {
    use std::f64::consts::TAU;
    Ok(match *p {
        Pole::Lorentz { frequency, gamma, sigma } | Pole::Drude { frequency, gamma, sigma } => {
            let w0 = TAU * frequency;
            let g = TAU * gamma;
            if !(frequency > 0.0 && gamma >= 0.0 && sigma.is_finite()) {
                return Err(Error::invalid(
                    what,
                    format!("{p:?}"),
                    "need frequency > 0, gamma >= 0 and a finite sigma",
                ));
            }
            let lorentz = matches!(p, Pole::Lorentz { .. });
            if lorentz && w0 * dt >= 2.0 {
                return Err(Error::invalid(
                    what,
                    format!("frequency {frequency} (w0 dt = {:.3})", w0 * dt),
                    "the explicit Lorentz update needs 2 pi f0 dt < 2: raise the resolution or lower the Courant number",
                ));
            }
            let den = 1.0 + 0.5 * g * dt;
            let c1 = if lorentz { 2.0 - w0 * w0 * dt * dt } else { 2.0 };
            [
                (c1 / den) as f32,
                (-(1.0 - 0.5 * g * dt) / den) as f32,
                (sigma * w0 * w0 * dt * dt / den) as f32,
                0.0,
            ]
        }
        Pole::Debye { delta_eps, tau } => {
            if !(tau > 0.0 && delta_eps.is_finite()) {
                return Err(Error::invalid(what, format!("{p:?}"), "need tau > 0 and a finite delta_eps"));
            }
            let e = (-dt / tau).exp();
            [e as f32, 0.0, (delta_eps * (1.0 - e)) as f32, 0.0]
        }
    })
}

impl DispersionPlan {
    pub fn new(grid: &Grid, structure: &Structure, m: &MaterialGrid) -> Result<DispersionPlan> {
        let media = structure.media();
        let mut plan = DispersionPlan::default();
        // Coefficient table: each dispersive medium's poles, contiguous.
        let mut first = vec![0u32; media.len()];
        for (k, med) in media.iter().enumerate() {
            first[k] = plan.coeffs.len() as u32;
            for (j, p) in med.poles.iter().enumerate() {
                let what = if k == 0 {
                    format!("background.poles[{j}]")
                } else {
                    format!("blocks[{}].poles[{j}]", k - 1)
                };
                plan.coeffs.push(pole_coeffs(p, grid.dt, &what)?);
            }
        }
        for a in 0..3 {
            if !Component::electric(a).is_active(grid.dims) {
                continue;
            }
            for (idx, &id) in m.medium[a].iter().enumerate() {
                let np = media[id as usize].poles.len();
                if np == 0 {
                    continue;
                }
                plan.samples.push(DispersiveSample {
                    index: idx as u32,
                    comp: a as u32,
                    pole0: first[id as usize],
                    npoles: np as u32,
                    state: plan.states as u32,
                    _pad: [0; 3],
                });
                plan.states += np;
            }
        }
        if plan.states > (u32::MAX / 2) as usize {
            return Err(Error::invalid("dispersive samples", plan.states, "too many polarisation states"));
        }
        Ok(plan)
    }
}
