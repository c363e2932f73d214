//! Boundaries: CPML (CFS-PML), PEC and periodic faces.
//!
//! Every face that is not periodic is terminated by a perfect electric
//! conductor one half cell beyond the last H sample (at the high face the
//! tangential E at x = n dx is zero; at a low PEC face the tangential E at
//! x = 0 is held at zero). A CPML face adds an absorbing slab inside the
//! domain, in front of that wall, as in Roden and Gedney, Microw. Opt. Tech.
//! Lett. 27, 334 (2000), with polynomial grading of sigma and kappa and a
//! linear grading of alpha (Taflove and Hagness, 3rd ed., sec. 7.9).
//! Auxiliary psi fields exist only inside the slabs.

use crate::error::{Error, Result};
use crate::grid::Grid;

/// Grading of a CPML slab.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pml {
    /// Thickness in cells.
    pub cells: usize,
    /// Polynomial order m of the sigma and kappa grading.
    pub order: f64,
    /// sigma_max as a multiple of the optimum 0.8 (m + 1) / (eta dx).
    pub sigma_factor: f64,
    /// kappa at the outer wall (1 = no real stretching).
    pub kappa_max: f64,
    /// alpha at the inner edge, in units of eps0 c / um (CFS shift; it
    /// absorbs evanescent and low-frequency fields).
    pub alpha_max: f64,
}

impl Pml {
    /// A CPML of `cells` cells with defaults that give R < 1e-6 at normal
    /// incidence from 16 cells at 20 cells per wavelength (see tests/cpml.rs).
    pub fn cells(cells: usize) -> Pml {
        Pml {
            cells,
            order: 3.0,
            sigma_factor: 1.0,
            kappa_max: 1.0,
            alpha_max: 0.0,
        }
    }
    /// A CPML whose thickness is given in um at the grid's resolution.
    pub fn thickness_um(thickness_um: f64, resolution: f64) -> Pml {
        Pml::cells((thickness_um * resolution).round().max(0.0) as usize)
    }

    fn validate(&self, face: &str) -> Result<()> {
        if self.cells == 0 {
            return Err(Error::invalid(format!("{face}.pml.cells"), 0, "a PML needs at least one cell"));
        }
        if !(self.order >= 0.0 && self.order.is_finite()) {
            return Err(Error::invalid(format!("{face}.pml.order"), self.order, "must be >= 0"));
        }
        if !(self.sigma_factor >= 0.0 && self.sigma_factor.is_finite()) {
            return Err(Error::invalid(
                format!("{face}.pml.sigma_factor"),
                self.sigma_factor,
                "must be >= 0",
            ));
        }
        if !(self.kappa_max >= 1.0 && self.kappa_max.is_finite()) {
            return Err(Error::invalid(format!("{face}.pml.kappa_max"), self.kappa_max, "must be >= 1"));
        }
        if !(self.alpha_max >= 0.0 && self.alpha_max.is_finite()) {
            return Err(Error::invalid(format!("{face}.pml.alpha_max"), self.alpha_max, "must be >= 0"));
        }
        Ok(())
    }
}

/// What terminates one face of the domain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Boundary {
    Pml(Pml),
    Pec,
    Periodic,
}

/// Boundaries for the six faces: `faces[axis][0]` low, `[1]` high.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boundaries {
    pub faces: [[Boundary; 2]; 3],
}

impl Boundaries {
    pub fn all(b: Boundary) -> Boundaries {
        Boundaries { faces: [[b; 2]; 3] }
    }
    pub fn pml(cells: usize) -> Boundaries {
        Boundaries::all(Boundary::Pml(Pml::cells(cells)))
    }
    pub fn with_axis(mut self, axis: usize, b: Boundary) -> Boundaries {
        self.faces[axis] = [b, b];
        self
    }
    pub fn periodic(&self, axis: usize) -> bool {
        matches!(self.faces[axis][0], Boundary::Periodic)
    }
    pub fn pml_cells(&self, axis: usize, side: usize) -> usize {
        match self.faces[axis][side] {
            Boundary::Pml(p) => p.cells,
            _ => 0,
        }
    }

    /// Check the faces against the grid. 2D grids are periodic (invariant) in z
    /// whatever was asked for z.
    pub fn validate(&self, grid: &Grid) -> Result<()> {
        let names = ['x', 'y', 'z'];
        let n = grid.shape();
        for a in 0..grid.dims.count() {
            let [lo, hi] = self.faces[a];
            let lo_p = matches!(lo, Boundary::Periodic);
            let hi_p = matches!(hi, Boundary::Periodic);
            if lo_p != hi_p {
                return Err(Error::invalid(
                    format!("boundaries.{}", names[a]),
                    format!("{lo:?} / {hi:?}"),
                    "periodic must be set on both faces of an axis",
                ));
            }
            for (side, b) in [lo, hi].iter().enumerate() {
                if let Boundary::Pml(p) = b {
                    p.validate(&format!("boundaries.{}{}", names[a], ["min", "max"][side]))?;
                }
            }
            let total = self.pml_cells(a, 0) + self.pml_cells(a, 1);
            if total >= n[a] {
                return Err(Error::PmlTooThick {
                    axis: names[a],
                    pml_cells: total,
                    domain_cells: n[a],
                });
            }
        }
        Ok(())
    }
}

impl Pml {
    /// The graded conductivity (eps0 c / um) at `depth` (0 at the inner
    /// edge, 1 at the outer wall) for cells of `dx` um.
    pub fn sigma(&self, depth: f64, dx: f64) -> f64 {
        let sigma_max = self.sigma_factor * 0.8 * (self.order + 1.0) / dx;
        sigma_max * depth.clamp(0.0, 1.0).powf(self.order)
    }
}

impl Boundaries {
    /// The PML conductivity along `axis` at `x` cells from the low face (a
    /// sample position: i for samples on cell corners, i + 1/2 between
    /// them), 0 outside the PML slabs: the grading the CPML uses.
    pub fn pml_sigma(&self, grid: &Grid, axis: usize, x: f64) -> f64 {
        if axis >= grid.dims.count() {
            return 0.0;
        }
        let n = grid.shape()[axis] as f64;
        let (lo, hi) = (self.pml_cells(axis, 0) as f64, self.pml_cells(axis, 1) as f64);
        match self.faces[axis] {
            [Boundary::Pml(p), _] if x < lo => p.sigma((lo - x) / lo, grid.dx),
            [_, Boundary::Pml(p)] if x > n - hi => p.sigma((x - (n - hi)) / hi, grid.dx),
            _ => 0.0,
        }
    }
}

/// CPML update coefficients for one axis, per slab layer.
///
/// Layer s runs over the low slab (s < lo, cell index i = s) then the high
/// slab (i = n - hi + (s - lo)). For each layer: `b`, `c` and `1/kappa - 1`
/// at the E sample (integer position along the axis) and at the H sample
/// (half-integer position). Keep in sync with shaders/yee.wgsl (prof).
#[derive(Clone, Debug, Default)]
pub struct PmlProfile {
    pub lo: usize,
    pub hi: usize,
    pub n: usize,
    /// [b_e, c_e, kinv_e - 1, b_h, c_h, kinv_h - 1] per layer.
    pub coeffs: Vec<[f32; 6]>,
}

impl PmlProfile {
    pub fn layers(&self) -> usize {
        self.lo + self.hi
    }
    /// Cell index along the axis of layer s.
    pub fn cell_of_layer(&self, s: usize) -> usize {
        if s < self.lo {
            s
        } else {
            self.n - self.hi + (s - self.lo)
        }
    }

    pub fn new(grid: &Grid, b: &Boundaries, axis: usize) -> PmlProfile {
        let n = grid.shape()[axis];
        if axis >= grid.dims.count() {
            return PmlProfile {
                lo: 0,
                hi: 0,
                n,
                coeffs: Vec::new(),
            };
        }
        let faces = b.faces[axis];
        let lo = b.pml_cells(axis, 0);
        let hi = b.pml_cells(axis, 1);
        let mut coeffs = Vec::with_capacity(lo + hi);
        let dt = grid.dt;
        let dx = grid.dx;
        let at = |pml: &Pml, depth: f64| -> (f32, f32, f32) {
            // depth in [0, 1]: 0 at the inner edge, 1 at the outer wall.
            let depth = depth.clamp(0.0, 1.0);
            let sigma = pml.sigma(depth, dx);
            let kappa = 1.0 + (pml.kappa_max - 1.0) * depth.powf(pml.order);
            let alpha = pml.alpha_max * (1.0 - depth);
            let bcoef = (-(sigma / kappa + alpha) * dt).exp();
            let denom = sigma * kappa + kappa * kappa * alpha;
            let ccoef = if denom > 0.0 { sigma / denom * (bcoef - 1.0) } else { 0.0 };
            (bcoef as f32, ccoef as f32, (1.0 / kappa - 1.0) as f32)
        };
        for s in 0..lo + hi {
            let (pml, depth_e, depth_h) = if s < lo {
                let Boundary::Pml(p) = faces[0] else {
                    unreachable!("lo > 0 only for a PML face")
                };
                let i = s as f64;
                (p, (lo as f64 - i) / lo as f64, (lo as f64 - i - 0.5) / lo as f64)
            } else {
                let Boundary::Pml(p) = faces[1] else {
                    unreachable!("hi > 0 only for a PML face")
                };
                let i = (n - hi + (s - lo)) as f64;
                let start = (n - hi) as f64;
                (p, (i - start) / hi as f64, (i + 0.5 - start) / hi as f64)
            };
            let (be, ce, ke) = at(&pml, depth_e);
            let (bh, ch, kh) = at(&pml, depth_h);
            coeffs.push([be, ce, ke, bh, ch, kh]);
        }
        PmlProfile { lo, hi, n, coeffs }
    }
}
