//! Built-in material models, with their sources.
//!
//! Glasses and crystals are Sellmeier fits, n^2 = 1 + sum B l^2 / (l^2 - C)
//! (l in um); each term is a lossless Lorentz pole at f0 = 1/sqrt(C), so they
//! can be used dispersively, or at one wavelength as a plain index. Metals are
//! the Drude-Lorentz fits of Rakic et al., Appl. Opt. 37, 5271 (1998), with
//! oscillator energies in eV converted by 1 eV = 1/1.23984193 um^-1 (the
//! parameters MEEP's materials library also uses).
//!
//! Explicit Lorentz updates need 2 pi f0 dt < 2: the UV poles of glasses
//! (f0 ~ 15 c/um) need about 25 cells/um in 3D at Courant 0.5; when that is
//! too fine, use the material at one wavelength (`at_wavelength_um`).

use crate::error::{Error, Result};
use crate::material::{Medium, Pole};

const EV_TO_INV_UM: f64 = 1.0 / 1.239_841_93;

/// How a built-in material is modelled.
#[derive(Clone, Debug)]
pub enum Model {
    /// n^2 = a + sum B l^2 / (l^2 - C), l in um.
    Sellmeier { a: f64, terms: &'static [(f64, f64)] },
    /// Rakic's Lorentz-Drude: plasma energy (eV); the Drude term (f0, gamma0);
    /// Lorentz terms (f_j, gamma_j, omega_j), energies in eV.
    LorentzDrude {
        plasma_ev: f64,
        drude: (f64, f64),
        lorentz: &'static [(f64, f64, f64)],
    },
}

/// A built-in material.
#[derive(Clone, Debug)]
pub struct Material {
    pub name: &'static str,
    pub description: &'static str,
    pub source: &'static str,
    /// Wavelengths (um) where the fit is valid.
    pub range_um: (f64, f64),
    pub model: Model,
}

/// Malitson's fused-silica Sellmeier terms, shared by `fused_silica` and `SiO2`.
const MALITSON_SILICA: &[(f64, f64)] = &[
    (0.6961663, 0.0684043 * 0.0684043),
    (0.4079426, 0.1162414 * 0.1162414),
    (0.8974794, 9.896161 * 9.896161),
];

pub const MATERIALS: &[Material] = &[
    Material {
        name: "fused_silica",
        description: "fused silica (SiO2 glass)",
        source: "I. H. Malitson, J. Opt. Soc. Am. 55, 1205 (1965)",
        range_um: (0.21, 6.7),
        model: Model::Sellmeier {
            a: 1.0,
            terms: MALITSON_SILICA,
        },
    },
    Material {
        name: "SiO2",
        description: "silicon dioxide (as fused silica)",
        source: "I. H. Malitson, J. Opt. Soc. Am. 55, 1205 (1965)",
        range_um: (0.21, 6.7),
        model: Model::Sellmeier {
            a: 1.0,
            terms: MALITSON_SILICA,
        },
    },
    Material {
        name: "BK7",
        description: "borosilicate crown glass (Schott N-BK7)",
        source: "SCHOTT optical glass data sheet N-BK7 (Sellmeier coefficients)",
        range_um: (0.3, 2.5),
        model: Model::Sellmeier {
            a: 1.0,
            terms: &[(1.03961212, 0.00600069867), (0.231792344, 0.0200179144), (1.01046945, 103.560653)],
        },
    },
    Material {
        name: "sapphire",
        description: "sapphire (Al2O3), ordinary ray",
        source: "I. H. Malitson and M. J. Dodge, J. Opt. Soc. Am. 62, 1405 (1972)",
        range_um: (0.2, 5.5),
        model: Model::Sellmeier {
            a: 1.0,
            terms: &[
                (1.4313493, 0.0726631 * 0.0726631),
                (0.65054713, 0.1193242 * 0.1193242),
                (5.3414021, 18.028251 * 18.028251),
            ],
        },
    },
    Material {
        name: "GaN",
        description: "gallium nitride, ordinary ray",
        source: "A. S. Barker and M. Ilegems, Phys. Rev. B 7, 743 (1973)",
        range_um: (0.35, 10.0),
        model: Model::Sellmeier {
            a: 3.6,
            terms: &[(1.75, 0.256 * 0.256), (4.1, 17.86 * 17.86)],
        },
    },
    Material {
        name: "Si3N4",
        description: "stoichiometric silicon nitride",
        source: "K. Luke et al., Opt. Lett. 40, 4823 (2015)",
        range_um: (0.31, 5.5),
        model: Model::Sellmeier {
            a: 1.0,
            terms: &[(3.0249, 0.1353406 * 0.1353406), (40314.0, 1239.842 * 1239.842)],
        },
    },
    Material {
        name: "PMMA",
        description: "poly(methyl methacrylate)",
        source: "N. Sultanova, S. Kasarova and I. Nikolov, Acta Phys. Pol. A 116, 585 (2009)",
        range_um: (0.437, 1.052),
        model: Model::Sellmeier {
            a: 1.0,
            terms: &[(1.1819, 0.011313)],
        },
    },
    Material {
        name: "Ag",
        description: "silver, Lorentz-Drude",
        source: "A. D. Rakic et al., Appl. Opt. 37, 5271 (1998)",
        range_um: (0.2, 12.4),
        model: Model::LorentzDrude {
            plasma_ev: 9.01,
            drude: (0.845, 0.048),
            lorentz: &[
                (0.065, 3.886, 0.816),
                (0.124, 0.452, 4.481),
                (0.011, 0.065, 8.185),
                (0.840, 0.916, 9.083),
                (5.646, 2.419, 20.29),
            ],
        },
    },
    Material {
        name: "Au",
        description: "gold, Lorentz-Drude",
        source: "A. D. Rakic et al., Appl. Opt. 37, 5271 (1998)",
        range_um: (0.2, 12.4),
        model: Model::LorentzDrude {
            plasma_ev: 9.03,
            drude: (0.760, 0.053),
            lorentz: &[
                (0.024, 0.241, 0.415),
                (0.010, 0.345, 0.830),
                (0.071, 0.870, 2.969),
                (0.601, 2.494, 4.304),
                (4.384, 2.214, 13.32),
            ],
        },
    },
    Material {
        name: "Al",
        description: "aluminium, Lorentz-Drude",
        source: "A. D. Rakic et al., Appl. Opt. 37, 5271 (1998)",
        range_um: (0.2, 12.4),
        model: Model::LorentzDrude {
            plasma_ev: 14.98,
            drude: (0.523, 0.047),
            lorentz: &[
                (0.227, 0.333, 0.162),
                (0.050, 0.312, 1.544),
                (0.166, 1.351, 1.808),
                (0.030, 3.382, 3.473),
            ],
        },
    },
];

/// The built-in material called `name` (case-insensitive).
pub fn lookup(name: &str) -> Option<&'static Material> {
    MATERIALS.iter().find(|m| m.name.eq_ignore_ascii_case(name))
}

/// Names of all built-in materials.
pub fn names() -> Vec<&'static str> {
    MATERIALS.iter().map(|m| m.name).collect()
}

impl Material {
    /// The dispersive medium of the model.
    pub fn medium(&self) -> Medium {
        match &self.model {
            Model::Sellmeier { a, terms } => {
                let mut m = Medium::lossy(*a, 0.0);
                for &(b, c) in *terms {
                    m = m.with_pole(Pole::Lorentz {
                        frequency: 1.0 / c.sqrt(),
                        gamma: 0.0,
                        sigma: b,
                    });
                }
                m
            }
            Model::LorentzDrude { plasma_ev, drude, lorentz } => {
                let wp = plasma_ev * EV_TO_INV_UM;
                // Drude: chi = -f0 wp^2 / (f^2 + i f gamma0): MEEP's Drude form with
                // frequency = wp and sigma = f0.
                let mut m = Medium::lossy(1.0, 0.0).with_pole(Pole::Drude {
                    frequency: wp,
                    gamma: drude.1 * EV_TO_INV_UM,
                    sigma: drude.0,
                });
                for &(f, g, w) in *lorentz {
                    let w = w * EV_TO_INV_UM;
                    m = m.with_pole(Pole::Lorentz {
                        frequency: w,
                        gamma: g * EV_TO_INV_UM,
                        sigma: f * wp * wp / (w * w),
                    });
                }
                m
            }
        }
    }

    fn check_range(&self, wavelength_um: f64, what: &str) -> Result<()> {
        let (lo, hi) = self.range_um;
        if !(wavelength_um >= lo && wavelength_um <= hi) {
            return Err(Error::invalid(
                what,
                format!("{wavelength_um} um"),
                format!("the {} model ({}) is valid for {lo}-{hi} um", self.name, self.source),
            ));
        }
        Ok(())
    }

    /// Complex relative permittivity at a wavelength inside the valid range.
    pub fn permittivity(&self, wavelength_um: f64) -> Result<num_complex::Complex64> {
        self.check_range(wavelength_um, self.name)?;
        Ok(self.medium().permittivity(1.0 / wavelength_um))
    }

    /// A non-dispersive medium with the model's permittivity at one
    /// wavelength: the real part as eps, the loss as a conductivity that
    /// gives the same imaginary part there (sigma = w Im(eps)).
    pub fn at_wavelength(&self, wavelength_um: f64) -> Result<Medium> {
        let e = self.permittivity(wavelength_um)?;
        if e.re <= 0.0 {
            return Err(Error::invalid(
                self.name,
                format!("eps = {:.3} at {wavelength_um} um", e),
                "a metal (Re eps < 0) cannot be used non-dispersively; use it as a dispersive material",
            ));
        }
        Ok(Medium::lossy(e.re, std::f64::consts::TAU / wavelength_um * e.im))
    }

    /// Check a wavelength a run uses against the model's range.
    pub fn check_wavelength(&self, wavelength_um: f64, what: &str) -> Result<()> {
        self.check_range(wavelength_um, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str, wl: f64) -> f64 {
        lookup(name).unwrap().permittivity(wl).unwrap().sqrt().re
    }

    /// Refractive indices quoted by the sources (or standard tables derived from them).
    #[test]
    fn sellmeier_indices_match_published_values() {
        // Malitson: n_d (587.6 nm) = 1.4585.
        assert!((n("fused_silica", 0.5876) - 1.4585).abs() < 2e-4);
        // SCHOTT N-BK7: n_d = 1.5168.
        assert!((n("BK7", 0.5876) - 1.5168).abs() < 2e-4);
        // Malitson and Dodge, sapphire n_o at 589.3 nm = 1.7682.
        assert!((n("sapphire", 0.5893) - 1.7682).abs() < 5e-4);
        // Luke et al.: n = 1.996 at 1550 nm.
        assert!((n("Si3N4", 1.55) - 1.996).abs() < 2e-3);
        // Sultanova et al.: PMMA n_D = 1.4905.
        assert!((n("PMMA", 0.5893) - 1.4905).abs() < 1e-3);
        // GaN, ordinary ray, ~2.48 at 450 nm (blue micro-LED emission).
        assert!((n("GaN", 0.45) - 2.48).abs() < 0.01, "{}", n("GaN", 0.45));
    }

    /// The Lorentz-Drude fits against measured permittivities: Ag and Au from
    /// Johnson and Christy, Phys. Rev. B 6, 4370 (1972) (Ag 600 nm: -16.0 + 0.44i;
    /// Au 800 nm: -24.1 + 1.5i), Al from Rakic, Appl. Opt. 34, 4755 (1995)
    /// (500 nm: -36.4 + 9.4i). A fit over 0.2-12 um is not a table: the real
    /// parts agree within 25%, the sign of the loss must be right.
    #[test]
    fn metals_match_measured_permittivities() {
        for (name, wl, re) in [("Ag", 0.6, -16.0), ("Au", 0.8, -24.1), ("Al", 0.5, -36.4)] {
            let e = lookup(name).unwrap().permittivity(wl).unwrap();
            assert!(
                (e.re / re - 1.0).abs() < 0.25 && e.im > 0.0,
                "{name} at {wl} um: {e}, measured re {re}"
            );
        }
    }

    #[test]
    fn range_and_metal_errors() {
        let e = lookup("PMMA").unwrap().at_wavelength(1.55).unwrap_err().to_string();
        assert!(e.contains("0.437-1.052"), "{e}");
        let e = lookup("Ag").unwrap().at_wavelength(0.6).unwrap_err().to_string();
        assert!(e.contains("dispersive"), "{e}");
        let m = lookup("fused_silica").unwrap().at_wavelength(0.45).unwrap();
        assert!((m.eps.sqrt() - 1.4656).abs() < 1e-3 && m.sigma == 0.0, "{m:?}");
    }
}
