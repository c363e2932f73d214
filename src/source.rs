//! Sources: time profiles and the electric currents they drive.
//!
//! A source is an electric current density J(r, t) = amplitude * w(t) * u,
//! with u a direction. It enters the E update as eps dE/dt = curl H - J - sigma E,
//! evaluated at the half step (n + 1/2) dt like curl H. Explicit-sample
//! sources ([`SourceShape::Samples`]) may also carry magnetic currents M,
//! entering dH/dt = -curl E - M at n dt: a J and M sheet pair launches a
//! wave one way only (the equivalence principle), as mode sources do.
//!
//! Amplitude units depend on the source's extent: a point is a dipole current
//! moment (J dV), a line a current (J dA), a plane a surface current (J dl),
//! a volume a current density. In 2D everything is per unit length in z, so a
//! point is a line current along z (J dA).

use std::f64::consts::TAU;

use crate::error::{Error, Result};

/// Time dependence w(t) of a source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimeProfile {
    /// w(t) = sin(2 pi f0 (t - t0)) exp(-(t - t0)^2 / (2 tau^2)) with f0 = 1/wavelength,
    /// tau set so that the power spectrum has the given FWHM in frequency
    /// (tau = sqrt(ln 2) / (pi FWHM)), and t0 = 5 tau as in MEEP's GaussianSource.
    GaussianPulse {
        wavelength_um: f64,
        /// Full width at half maximum of the power spectrum, in frequency (c/um).
        fwhm_frequency: f64,
    },
    /// w(t) = ramp(t) sin(2 pi f0 t), ramp rising as sin^2 over `ramp_periods`.
    Continuous { wavelength_um: f64, ramp_periods: f64 },
}

impl TimeProfile {
    /// A Gaussian pulse covering wavelengths [lo, hi] um at half power.
    pub fn gaussian_band(lo_um: f64, hi_um: f64) -> TimeProfile {
        let f_hi = 1.0 / lo_um;
        let f_lo = 1.0 / hi_um;
        TimeProfile::GaussianPulse {
            wavelength_um: 2.0 / (f_hi + f_lo),
            fwhm_frequency: f_hi - f_lo,
        }
    }

    pub fn validate(&self, what: &str) -> Result<()> {
        match *self {
            TimeProfile::GaussianPulse {
                wavelength_um,
                fwhm_frequency,
            } => {
                if !(wavelength_um > 0.0 && wavelength_um.is_finite()) {
                    return Err(Error::invalid(format!("{what}.wavelength_um"), wavelength_um, "must be positive"));
                }
                if !(fwhm_frequency > 0.0 && fwhm_frequency.is_finite()) {
                    return Err(Error::invalid(format!("{what}.fwhm_frequency"), fwhm_frequency, "must be positive"));
                }
            }
            TimeProfile::Continuous {
                wavelength_um,
                ramp_periods,
            } => {
                if !(wavelength_um > 0.0 && wavelength_um.is_finite()) {
                    return Err(Error::invalid(format!("{what}.wavelength_um"), wavelength_um, "must be positive"));
                }
                if !(ramp_periods >= 0.0 && ramp_periods.is_finite()) {
                    return Err(Error::invalid(format!("{what}.ramp_periods"), ramp_periods, "must be >= 0"));
                }
            }
        }
        Ok(())
    }

    /// Gaussian envelope width tau and delay t0 (internal time units).
    fn gaussian_tau_t0(fwhm_frequency: f64) -> (f64, f64) {
        // Power spectrum exp(-(2 pi (f - f0) tau)^2): half maximum at
        // 2 pi df tau = sqrt(ln 2), FWHM = 2 df.
        let tau = (2.0f64.ln()).sqrt() / (std::f64::consts::PI * fwhm_frequency);
        (tau, 5.0 * tau)
    }

    /// The waveform at time t (internal units), in f64.
    pub fn value(&self, t: f64) -> f64 {
        match *self {
            TimeProfile::GaussianPulse {
                wavelength_um,
                fwhm_frequency,
            } => {
                let (tau, t0) = Self::gaussian_tau_t0(fwhm_frequency);
                let s = t - t0;
                (TAU * s / wavelength_um).sin() * (-(s * s) / (2.0 * tau * tau)).exp()
            }
            TimeProfile::Continuous {
                wavelength_um,
                ramp_periods,
            } => {
                let t_ramp = ramp_periods * wavelength_um;
                let ramp = if t <= 0.0 {
                    0.0
                } else if t >= t_ramp {
                    1.0
                } else {
                    (0.5 * std::f64::consts::PI * t / t_ramp).sin().powi(2)
                };
                ramp * (TAU * t / wavelength_um).sin()
            }
        }
    }

    /// Time after which the source is negligible (1e-12 of its peak
    /// envelope), or None for a continuous wave.
    pub fn end_time(&self) -> Option<f64> {
        match *self {
            TimeProfile::GaussianPulse { fwhm_frequency, .. } => {
                let (tau, t0) = Self::gaussian_tau_t0(fwhm_frequency);
                Some(t0 + 7.5 * tau)
            }
            TimeProfile::Continuous { .. } => None,
        }
    }
}

/// Spatial extent of a source.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceShape {
    /// A point dipole at a position (um).
    Point { position_um: [f64; 3] },
    /// A box (um); zero-size axes make it a plane or a line. Every Yee sample
    /// of the driven components that falls inside (a zero-size axis takes the
    /// nearest layer) carries the current.
    Region { min_um: [f64; 3], max_um: [f64; 3] },
    /// A current sheet (a line in 2D) sampled at given points with given
    /// relative weights, e.g. a waveguide mode's profile: each point drives
    /// the nearest Yee sample, as a surface current (amplitude per unit area).
    Sheet { points_um: Vec<[f64; 3]>, weights: Vec<f64> },
    /// Explicit Yee samples (grid indices) with weights, as surface currents
    /// like a sheet: electric components carry J, magnetic ones a magnetic
    /// current M entering the H update as dH/dt = -curl E - M. Mode sources
    /// (see [`crate::monitor::mode`]) are built this way. M is sampled at the
    /// H update's time n dt and delayed by `magnetic_delay` (internal time
    /// units) on top; `direction` is ignored (the weights carry the vectors).
    Samples {
        samples: Vec<(crate::grid::Component, [usize; 3], f64)>,
        magnetic_delay: f64,
    },
    /// Guided mode `mode` (0 = fundamental) of a port plane (one zero-size
    /// axis of `region`), solved at `wavelength_um` on the rasterised
    /// cross-section and launched one way: along +axis, or against it with
    /// `backward`. It becomes J and M samples ([`crate::monitor::mode`]);
    /// the launched mode's power spectrum is |W(w)|^2 times amplitude^2.
    Mode {
        region: crate::monitor::Region,
        wavelength_um: f64,
        mode: usize,
        backward: bool,
    },
}

/// An electric current source.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub shape: SourceShape,
    /// Direction of J (need not be normalised; its length scales the amplitude).
    pub direction: [f64; 3],
    pub amplitude: f64,
    pub profile: TimeProfile,
}

impl Source {
    pub fn point_dipole(position_um: [f64; 3], direction: [f64; 3], profile: TimeProfile) -> Source {
        Source {
            shape: SourceShape::Point { position_um },
            direction,
            amplitude: 1.0,
            profile,
        }
    }
    pub fn region(min_um: [f64; 3], max_um: [f64; 3], direction: [f64; 3], profile: TimeProfile) -> Source {
        Source {
            shape: SourceShape::Region { min_um, max_um },
            direction,
            amplitude: 1.0,
            profile,
        }
    }
}
