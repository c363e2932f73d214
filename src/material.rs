//! Materials and their rasterisation onto the E components of the Yee grid.
//!
//! Permittivity and conductivity are stored per E component (Ex, Ey, Ez each
//! sample the structure at their own Yee position), so subpixel smoothing can
//! later give each component its own effective value. mu = 1 everywhere.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::grid::{Component, Grid};

/// One dispersive susceptibility term, with frequencies in c/um (= 1/um,
/// MEEP's units with a = 1 um) and the exp(-i w t) convention.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pole {
    /// chi(f) = sigma f0^2 / (f0^2 - f^2 - i f gamma) (MEEP's LorentzianSusceptibility).
    Lorentz { frequency: f64, gamma: f64, sigma: f64 },
    /// chi(f) = -sigma f0^2 / (f^2 + i f gamma) (MEEP's DrudeSusceptibility).
    Drude { frequency: f64, gamma: f64, sigma: f64 },
    /// chi(f) = delta_eps / (1 - i 2 pi f tau), tau in um/c.
    Debye { delta_eps: f64, tau: f64 },
}

impl Pole {
    /// The susceptibility at frequency `f` (c/um), exp(-i w t) convention.
    pub fn chi(&self, f: f64) -> num_complex::Complex64 {
        use num_complex::Complex64 as C;
        match *self {
            Pole::Lorentz { frequency, gamma, sigma } => {
                C::new(sigma * frequency * frequency, 0.0) / C::new(frequency * frequency - f * f, -f * gamma)
            }
            Pole::Drude { frequency, gamma, sigma } => C::new(-sigma * frequency * frequency, 0.0) / C::new(f * f, f * gamma),
            Pole::Debye { delta_eps, tau } => C::new(delta_eps, 0.0) / C::new(1.0, -std::f64::consts::TAU * f * tau),
        }
    }
}

impl Medium {
    /// Relative permittivity at frequency `f` (c/um): eps_inf + sum chi + i sigma / w.
    pub fn permittivity(&self, f: f64) -> num_complex::Complex64 {
        let w = std::f64::consts::TAU * f;
        let mut e = num_complex::Complex64::new(self.eps, self.sigma / w);
        for p in &self.poles {
            e += p.chi(f);
        }
        e
    }
}

/// A medium: eps_inf, conductivity and any number of dispersive poles.
#[derive(Clone, Debug, PartialEq)]
pub struct Medium {
    /// Relative permittivity at infinite frequency (the permittivity of a
    /// non-dispersive medium).
    pub eps: f64,
    /// Electric conductivity in units of eps0 c / um (see [`crate::units`]).
    pub sigma: f64,
    /// Dispersive terms (empty for a non-dispersive medium).
    pub poles: Vec<Pole>,
}

impl Medium {
    pub const VACUUM: Medium = Medium {
        eps: 1.0,
        sigma: 0.0,
        poles: Vec::new(),
    };
    pub fn index(n: f64) -> Medium {
        Medium {
            eps: n * n,
            sigma: 0.0,
            poles: Vec::new(),
        }
    }
    pub fn lossy(eps: f64, sigma: f64) -> Medium {
        Medium {
            eps,
            sigma,
            poles: Vec::new(),
        }
    }
    pub fn with_pole(mut self, p: Pole) -> Medium {
        self.poles.push(p);
        self
    }
    pub fn is_dispersive(&self) -> bool {
        !self.poles.is_empty()
    }
    fn validate(&self, what: &str) -> Result<()> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::invalid(
                format!("{what}.eps"),
                self.eps,
                "relative permittivity must be positive",
            ));
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(Error::invalid(format!("{what}.sigma"), self.sigma, "conductivity must be >= 0"));
        }
        Ok(())
    }
}

/// An axis-aligned box of one medium, corners in um.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub min_um: [f64; 3],
    pub max_um: [f64; 3],
    pub medium: Medium,
}

impl Block {
    fn contains(&self, p: [f64; 3], dims: usize) -> bool {
        (0..dims).all(|a| p[a] >= self.min_um[a] && p[a] < self.max_um[a])
    }
}

/// What the user described: a background and blocks; later blocks win.
#[derive(Clone, Debug, PartialEq)]
pub struct Structure {
    pub background: Medium,
    pub blocks: Vec<Block>,
}

impl Default for Structure {
    fn default() -> Self {
        Structure {
            background: Medium::VACUUM,
            blocks: Vec::new(),
        }
    }
}

impl Structure {
    pub fn new(background: Medium) -> Structure {
        Structure {
            background,
            blocks: Vec::new(),
        }
    }
    pub fn with_block(mut self, min_um: [f64; 3], max_um: [f64; 3], medium: Medium) -> Structure {
        self.blocks.push(Block { min_um, max_um, medium });
        self
    }

    pub fn validate(&self) -> Result<()> {
        self.background.validate("background")?;
        for (n, b) in self.blocks.iter().enumerate() {
            b.medium.validate(&format!("blocks[{n}]"))?;
        }
        Ok(())
    }

    /// The media of the structure, indexed as in [`MaterialGrid::medium`]:
    /// 0 is the background, k is `blocks[k - 1]`.
    pub fn media(&self) -> Vec<&Medium> {
        std::iter::once(&self.background)
            .chain(self.blocks.iter().map(|b| &b.medium))
            .collect()
    }

    /// Sample the structure at each E component's Yee position (staircase).
    pub fn rasterize(&self, grid: &Grid) -> Result<MaterialGrid> {
        self.validate()?;
        let n = grid.cells();
        let d = grid.dims.count();
        let media = self.media();
        let mut eps: [Vec<f32>; 3] = Default::default();
        let mut sigma: [Vec<f32>; 3] = Default::default();
        let mut medium: [Vec<u32>; 3] = Default::default();
        let plane = grid.nx * grid.ny;
        for a in 0..3 {
            let c = Component::electric(a);
            let mut id = vec![0u32; n];
            id.par_chunks_mut(plane).enumerate().for_each(|(k, ids)| {
                for j in 0..grid.ny {
                    for i in 0..grid.nx {
                        let p = grid.position_um(c, [i, j, k]);
                        ids[i + grid.nx * j] = self.blocks.iter().rposition(|b| b.contains(p, d)).map_or(0, |b| b as u32 + 1);
                    }
                }
            });
            eps[a] = id.par_iter().map(|&m| media[m as usize].eps as f32).collect();
            sigma[a] = id.par_iter().map(|&m| media[m as usize].sigma as f32).collect();
            medium[a] = id;
        }
        Ok(MaterialGrid { eps, sigma, medium })
    }
}

/// Per-E-component permittivity (eps_inf) and conductivity on the grid, and
/// which medium of the structure each sample is in.
#[derive(Clone, Debug)]
pub struct MaterialGrid {
    pub eps: [Vec<f32>; 3],
    pub sigma: [Vec<f32>; 3],
    /// Index into [`Structure::media`] (0 = background).
    pub medium: [Vec<u32>; 3],
}

impl MaterialGrid {
    pub fn has_loss(&self) -> bool {
        self.sigma.iter().any(|s| s.iter().any(|&v| v != 0.0))
    }
}
