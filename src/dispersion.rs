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

/// Von Neumann stability of the coupled E-P leapfrog in a medium with
/// eps_inf and the given poles, at this grid's dx and dt.
///
/// Without loss, a plane wave with z = exp(i w dt) per step and
/// u = z - 2 + 1/z (in [-4, 0] for |z| = 1) satisfies
///   F(u) = eps u + a + sum_Lorentz s b u / (u + b) + sum_Drude s b = 0,
/// with b = (w0 dt)^2 per pole, s its strength and a = (dt kappa)^2 the
/// spatial operator's eigenvalue, at most 4 D S^2 (S = dt/dx). F increases
/// between its poles u = -b, so its roots are real and interlace with them;
/// all lie in [-4, 0] iff every b < 4 and F(-4) <= 0 at a = 4 D S^2:
///   4 D S^2 + sum_L 4 s b / (4 - b) + sum_D s b <= 4 eps.
/// Losses only damp. Debye poles (integrated exactly) do not enter.
/// Returns F(-4) (stable when <= 0) for `dims` dimensions, Courant number
/// `courant` and time step `dt`.
pub fn coupled_stability_margin(dims: usize, courant: f64, eps_inf: f64, poles: &[Pole], dt: f64) -> f64 {
    use std::f64::consts::TAU;
    let mut f = 4.0 * dims as f64 * courant * courant - 4.0 * eps_inf;
    for p in poles {
        match *p {
            Pole::Lorentz { frequency, sigma, .. } => {
                let b = (TAU * frequency * dt).powi(2);
                if b >= 4.0 {
                    return f64::INFINITY;
                }
                f += 4.0 * sigma.max(0.0) * b / (4.0 - b);
            }
            Pole::Drude { frequency, sigma, .. } => f += sigma.max(0.0) * (TAU * frequency * dt).powi(2),
            Pole::Debye { .. } => {}
        }
    }
    f
}

fn check_coupled_stability(grid: &Grid, eps_inf: f64, poles: &[Pole], what: &str) -> Result<()> {
    // On a graded grid the operator's bound is 4 S^2 sum_a w_a^2: the same
    // as D S_eff^2 with S_eff = S sqrt(sum / D).
    let d = grid.dims.count();
    let courant = grid.dt / grid.dx * (grid.stretch_sum() / d as f64).sqrt();
    if coupled_stability_margin(d, courant, eps_inf, poles, grid.dt) <= 0.0 {
        return Ok(());
    }
    // The resolution that would do at this Courant number (dt scales with dx).
    let mut scale = 1.0;
    while coupled_stability_margin(d, courant, eps_inf, poles, grid.dt / scale) > 0.0 && scale < 1e3 {
        scale *= 1.05;
    }
    Err(Error::invalid(
        format!("{what}.poles"),
        format!(
            "eps_inf {eps_inf} with {} pole(s) at dx = {:.4} um, Courant {:.3}",
            poles.len(),
            grid.dx,
            grid.dt / grid.dx
        ),
        format!(
            "the polarisation currents make the leapfrog unstable at this time step (von Neumann: 4 D S^2 + pole terms > 4 eps_inf); \
             use a resolution of at least {:.0} cells/um, or a smaller Courant number, or fewer/slower poles",
            scale / grid.dx
        ),
    ))
}

impl DispersionPlan {
    pub fn new(grid: &Grid, structure: &Structure, m: &MaterialGrid) -> Result<DispersionPlan> {
        let named = structure.media().len();
        let media = m.media(structure);
        let mut plan = DispersionPlan::default();
        // Coefficient table: each dispersive medium's poles, contiguous.
        let mut first = vec![0u32; media.len()];
        let name = |k: usize| {
            if k == 0 {
                "background".to_string()
            } else {
                format!("objects[{}]", k - 1)
            }
        };
        // A mixture (a cut cell) is named by its media.
        let what_of = |k: usize| {
            if k < named {
                name(k)
            } else {
                let parts: Vec<String> = m.mixtures[k - named].parts.iter().map(|&(id, _)| name(id as usize)).collect();
                format!("the cells where {} meet", parts.join(" and "))
            }
        };
        for (k, med) in media.iter().enumerate() {
            first[k] = plan.coeffs.len() as u32;
            for (j, p) in med.poles.iter().enumerate() {
                let what = if k < named { format!("{}.poles[{j}]", name(k)) } else { what_of(k) };
                plan.coeffs.push(pole_coeffs(p, grid.dt, &what)?);
            }
            if !med.poles.is_empty() {
                check_coupled_stability(grid, med.eps, &med.poles, &what_of(k))?;
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
