//! Materials and their rasterisation onto the E components of the Yee grid.
//!
//! Permittivity and conductivity are stored per E component (Ex, Ey, Ez each
//! sample the structure at their own Yee position), so subpixel smoothing
//! gives each component its own effective value (see [`crate::geometry`]).
//! mu = 1 everywhere.

use crate::error::{Error, Result};
use crate::geometry::{Lattice, Shape, Stack};
use crate::grid::Grid;

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

    /// The same pole with its strength times `w` (chi scales by `w`).
    pub fn scaled(&self, w: f64) -> Pole {
        match *self {
            Pole::Lorentz { frequency, gamma, sigma } => Pole::Lorentz {
                frequency,
                gamma,
                sigma: sigma * w,
            },
            Pole::Drude { frequency, gamma, sigma } => Pole::Drude {
                frequency,
                gamma,
                sigma: sigma * w,
            },
            Pole::Debye { delta_eps, tau } => Pole::Debye {
                delta_eps: delta_eps * w,
                tau,
            },
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

/// One shape filled with one medium, with the offsets of its copies (um;
/// `[[0, 0, 0]]` for a single shape).
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub shape: Shape,
    pub medium: Medium,
    pub copies: Vec<[f64; 3]>,
}

impl Object {
    pub fn new(shape: Shape, medium: Medium) -> Object {
        Object {
            shape,
            medium,
            copies: vec![[0.0; 3]],
        }
    }
    /// Repeat on a lattice (each existing copy is repeated: arrays of arrays).
    pub fn repeated(mut self, lattice: &Lattice) -> Object {
        let offsets = lattice.offsets();
        self.copies = self
            .copies
            .iter()
            .flat_map(|c| offsets.iter().map(move |o| [c[0] + o[0], c[1] + o[1], c[2] + o[2]]))
            .collect();
        self
    }
}

/// What the user described: a background and objects painted in order
/// (later objects win); see [`crate::geometry`].
#[derive(Clone, Debug, PartialEq)]
pub struct Structure {
    pub background: Medium,
    pub objects: Vec<Object>,
    /// Subpixel smoothing of cells cut by interfaces (default on).
    pub subpixel_smoothing: bool,
}

impl Default for Structure {
    fn default() -> Self {
        Structure::new(Medium::VACUUM)
    }
}

impl Structure {
    pub fn new(background: Medium) -> Structure {
        Structure {
            background,
            objects: Vec::new(),
            subpixel_smoothing: true,
        }
    }
    /// An axis-aligned box [min, max) (um).
    pub fn with_block(self, min_um: [f64; 3], max_um: [f64; 3], medium: Medium) -> Structure {
        self.with(Shape::cuboid(min_um, max_um), medium)
    }
    /// Any shape of one medium.
    pub fn with(self, shape: Shape, medium: Medium) -> Structure {
        self.with_object(Object::new(shape, medium))
    }
    pub fn with_object(mut self, object: Object) -> Structure {
        self.objects.push(object);
        self
    }
    /// A group of objects repeated on a lattice: all copies of the first
    /// member, then all copies of the second, and so on.
    pub fn with_array(mut self, group: Vec<Object>, lattice: &Lattice) -> Structure {
        self.objects.extend(group.into_iter().map(|o| o.repeated(lattice)));
        self
    }
    /// Layers stacked along an axis, spanning the domain across it.
    pub fn with_stack(mut self, stack: &Stack) -> Structure {
        self.objects.extend(stack.objects());
        self
    }
    pub fn with_smoothing(mut self, on: bool) -> Structure {
        self.subpixel_smoothing = on;
        self
    }

    pub fn validate(&self) -> Result<()> {
        self.background.validate("background")?;
        for (n, o) in self.objects.iter().enumerate() {
            let what = format!("objects[{n}]");
            o.medium.validate(&what)?;
            o.shape.validate(&what)?;
            if o.copies.is_empty() || o.copies.iter().any(|c| c.iter().any(|x| !x.is_finite())) {
                return Err(Error::invalid(
                    format!("{what}.copies"),
                    format!("{} offsets", o.copies.len()),
                    "need at least one copy, with finite offsets",
                ));
            }
        }
        Ok(())
    }

    /// The media of the structure, indexed as in [`MaterialGrid::medium`]:
    /// 0 is the background, k is `objects[k - 1]` (all its copies).
    pub fn media(&self) -> Vec<&Medium> {
        std::iter::once(&self.background)
            .chain(self.objects.iter().map(|o| &o.medium))
            .collect()
    }

    /// Rasterise onto each E component's Yee samples (with subpixel
    /// smoothing unless switched off); see [`crate::geometry`].
    pub fn rasterize(&self, grid: &Grid) -> Result<MaterialGrid> {
        self.validate()?;
        crate::geometry::raster::rasterize(self, grid)
    }
}

/// Per-E-component permittivity (eps_inf) and conductivity on the grid, and
/// which medium of the structure each sample is in.
#[derive(Clone, Debug)]
pub struct MaterialGrid {
    pub eps: [Vec<f32>; 3],
    pub sigma: [Vec<f32>; 3],
    /// Index into [`Structure::media`] (0 = background), or, from
    /// `media().len()` on, into `mixtures` (`medium - media().len()`).
    pub medium: [Vec<u32>; 3],
    /// The media of the samples an interface with a dispersive medium cuts
    /// (see [`crate::geometry`]), in a fixed order.
    pub mixtures: Vec<Mixture>,
}

/// The media of one cut cell next to a dispersive medium, each with its
/// weight (in 1/[`Mixture::SCALE`] steps, summing to SCALE): the sample gets
/// eps_inf, sigma and every pole of each medium times its weight.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mixture {
    /// (index into [`Structure::media`], weight), by medium.
    pub parts: Vec<(u32, u16)>,
}

impl Mixture {
    /// Weights are multiples of 1/SCALE: an interface moves by at most
    /// dx / (2 SCALE) in quantising.
    pub const SCALE: u16 = 1024;

    /// The weighted medium: sum of w eps_inf, of w sigma, and every pole
    /// scaled by its medium's w.
    pub fn medium(&self, media: &[&Medium]) -> Medium {
        let mut m = Medium::lossy(0.0, 0.0);
        for &(id, q) in &self.parts {
            let w = q as f64 / Self::SCALE as f64;
            let part = media[id as usize];
            m.eps += w * part.eps;
            m.sigma += w * part.sigma;
            m.poles.extend(part.poles.iter().map(|p| p.scaled(w)));
        }
        m
    }
}

impl MaterialGrid {
    pub fn has_loss(&self) -> bool {
        self.sigma.iter().any(|s| s.iter().any(|&v| v != 0.0))
    }

    /// Every medium a sample index of `medium` names: the structure's media,
    /// then the mixtures.
    pub fn media(&self, structure: &Structure) -> Vec<Medium> {
        let media = structure.media();
        let mixed: Vec<Medium> = self.mixtures.iter().map(|x| x.medium(&media)).collect();
        media.into_iter().cloned().chain(mixed).collect()
    }
}
