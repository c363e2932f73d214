//! The Yee lattice: shape, strides and where each field component sits.
//!
//! Cell (i, j, k) spans [i dx, (i+1) dx) x [j dx, (j+1) dx) x [k dx, (k+1) dx)
//! and the domain spans [0, n dx) along each axis. Components sit at
//!
//! | component | position (cell units)       |
//! |-----------|-----------------------------|
//! | Ex        | (i+1/2, j,     k)           |
//! | Ey        | (i,     j+1/2, k)           |
//! | Ez        | (i,     j,     k+1/2)       |
//! | Hx        | (i,     j+1/2, k+1/2)       |
//! | Hy        | (i+1/2, j,     k+1/2)       |
//! | Hz        | (i+1/2, j+1/2, k)           |
//!
//! Arrays are stored x-fastest: `index = i + nx * (j + ny * k)`.
//! E is known at integer time steps n dt, H at (n + 1/2) dt (leapfrog).
//!
//! A 2D grid has nz = 1 and no z variation; TM keeps Ez, Hx, Hy and TE keeps
//! Hz, Ex, Ey. (Those names follow MEEP: "TM" = E out of plane.)

use crate::error::{Error, Result};

/// Which field components a 2D run evolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarization {
    /// Ez, Hx, Hy (E out of the plane).
    Tm,
    /// Hz, Ex, Ey (H out of the plane).
    Te,
}

/// Dimensionality of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimensions {
    Two(Polarization),
    Three,
}

impl Dimensions {
    /// "2D TM", "2D TE" or "3D", as printed for users.
    pub fn name(self) -> &'static str {
        match self {
            Dimensions::Two(Polarization::Tm) => "2D TM",
            Dimensions::Two(Polarization::Te) => "2D TE",
            Dimensions::Three => "3D",
        }
    }
    pub fn count(self) -> usize {
        match self {
            Dimensions::Two(_) => 2,
            Dimensions::Three => 3,
        }
    }
    /// Whether the TM family (Ez, Hx, Hy) is evolved.
    pub fn has_tm(self) -> bool {
        !matches!(self, Dimensions::Two(Polarization::Te))
    }
    /// Whether the TE family (Hz, Ex, Ey) is evolved.
    pub fn has_te(self) -> bool {
        !matches!(self, Dimensions::Two(Polarization::Tm))
    }
}

/// One of the six field components.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Component {
    Ex,
    Ey,
    Ez,
    Hx,
    Hy,
    Hz,
}

impl Component {
    pub const ALL: [Component; 6] = [
        Component::Ex,
        Component::Ey,
        Component::Ez,
        Component::Hx,
        Component::Hy,
        Component::Hz,
    ];

    /// 0..3 for Ex..Ez and Hx..Hz.
    pub fn axis(self) -> usize {
        match self {
            Component::Ex | Component::Hx => 0,
            Component::Ey | Component::Hy => 1,
            Component::Ez | Component::Hz => 2,
        }
    }
    pub fn is_electric(self) -> bool {
        matches!(self, Component::Ex | Component::Ey | Component::Ez)
    }
    /// 0..6, E first.
    pub fn index(self) -> usize {
        self.axis() + if self.is_electric() { 0 } else { 3 }
    }
    pub fn electric(axis: usize) -> Component {
        [Component::Ex, Component::Ey, Component::Ez][axis]
    }
    pub fn magnetic(axis: usize) -> Component {
        [Component::Hx, Component::Hy, Component::Hz][axis]
    }
    /// Offset of the component from the cell corner, in cells.
    pub fn yee_offset(self) -> [f64; 3] {
        let mut o = [0.0; 3];
        let a = self.axis();
        if self.is_electric() {
            o[a] = 0.5;
        } else {
            for (b, v) in o.iter_mut().enumerate() {
                if b != a {
                    *v = 0.5;
                }
            }
        }
        o
    }
    /// Whether a run with these dimensions evolves this component.
    pub fn is_active(self, dims: Dimensions) -> bool {
        match dims {
            Dimensions::Three => true,
            Dimensions::Two(Polarization::Tm) => {
                matches!(self, Component::Ez | Component::Hx | Component::Hy)
            }
            Dimensions::Two(Polarization::Te) => {
                matches!(self, Component::Hz | Component::Ex | Component::Ey)
            }
        }
    }
    pub fn name(self) -> &'static str {
        ["Ex", "Ey", "Ez", "Hx", "Hy", "Hz"][self.index()]
    }
}

/// The rasterised lattice: cell counts, cell size and time step.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    pub nx: usize,
    pub ny: usize,
    pub nz: usize,
    /// Cell size in um.
    pub dx: f64,
    /// Time step in internal units (um/c).
    pub dt: f64,
    pub dims: Dimensions,
    /// Graded axes (src/mesh.rs): the grid's shape and every position in the
    /// code are then those of the virtual uniform grid (node i at i dx); the
    /// engines divide differences along the axis by the true distances.
    pub mesh: [Option<std::sync::Arc<crate::mesh::AxisMesh>>; 3],
}

impl Grid {
    /// Build a grid from a domain size (um), a resolution (cells per um) and a
    /// Courant number S = c dt / dx, checked against 1/sqrt(D).
    pub fn new(size_um: [f64; 3], resolution: f64, courant: f64, dims: Dimensions) -> Result<Grid> {
        if !(resolution.is_finite() && resolution > 0.0) {
            return Err(Error::invalid("resolution", resolution, "cells per um must be a positive number"));
        }
        let d = dims.count();
        let limit = 1.0 / (d as f64).sqrt();
        if !(courant.is_finite() && courant > 0.0) {
            return Err(Error::invalid("courant", courant, "must be a positive number"));
        }
        if courant > limit {
            return Err(Error::CourantTooLarge { courant, limit, dims: d });
        }
        let dx = 1.0 / resolution;
        let mut n = [1usize; 3];
        for a in 0..d {
            let s = size_um[a];
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::invalid(format!("size_um[{a}]"), s, "domain size must be positive"));
            }
            // Round to the nearest whole number of cells; a size a hair below a
            // multiple of dx must not lose a cell to floating point.
            let cells = (s * resolution).round() as usize;
            if cells == 0 {
                return Err(Error::invalid(
                    format!("size_um[{a}]"),
                    s,
                    format!("gives zero cells at resolution {resolution} cells/um"),
                ));
            }
            n[a] = cells;
        }
        Ok(Grid {
            nx: n[0],
            ny: n[1],
            nz: n[2],
            dx,
            dt: courant * dx,
            dims,
            mesh: [None, None, None],
        })
    }

    /// This grid with axis `a` graded by `mesh` (built over the same length):
    /// the axis gets the mesh's cell count and the time step shrinks so that
    /// the Courant number keeps its meaning against the smallest cells:
    /// c dt = S dx sqrt(D / sum_a w_a^2), w_a = dx / (smallest cell along a),
    /// which is S dx on a uniform grid (the Yee limit on a graded grid is
    /// c dt <= 1 / sqrt(sum_a 1 / d_a,min^2); Taflove and Hagness sec. 4.7).
    pub fn graded(mut self, a: usize, mesh: crate::mesh::AxisMesh) -> Grid {
        let courant = self.dt / self.dx;
        match a {
            0 => self.nx = mesh.cells(),
            1 => self.ny = mesh.cells(),
            _ => self.nz = mesh.cells(),
        }
        self.mesh[a] = Some(std::sync::Arc::new(mesh));
        let d = self.dims.count() as f64;
        self.dt = courant * self.dx * (d / self.stretch_sum()).sqrt();
        self
    }

    /// Sum over the run's axes of the largest stretch dx / (cell) squared: D
    /// on a uniform grid; it replaces D in every Courant-type bound.
    pub fn stretch_sum(&self) -> f64 {
        (0..self.dims.count())
            .map(|a| self.mesh[a].as_ref().map_or(1.0, |m| self.dx / m.min_width()).powi(2))
            .sum()
    }

    /// Whether any axis is graded.
    pub fn is_graded(&self) -> bool {
        self.mesh.iter().any(Option::is_some)
    }

    /// Per axis, the backward (E update) and forward (H update) stretch
    /// factors dx / distance, one per sample; all 1 on a uniform axis.
    pub fn stretch(&self, a: usize) -> [Vec<f32>; 2] {
        match &self.mesh[a] {
            Some(m) => [m.stretch_e(), m.stretch_h()],
            None => [vec![1.0; self.shape()[a]], vec![1.0; self.shape()[a]]],
        }
    }

    /// How much a delta function along axis `a` at index i of component `c`
    /// is denser than on the base cell: dx / (the sample's extent along a).
    pub fn delta_factor(&self, c: Component, a: usize, i: usize) -> f64 {
        match &self.mesh[a] {
            Some(m) => self.dx / m.extent(i, c.yee_offset()[a] == 0.5),
            None => 1.0,
        }
    }

    /// Physical extent (um) along axis `a` that sample i of component `c`
    /// stands for in a sum over a line, plane or volume: dx on a uniform axis.
    pub fn sample_extent(&self, c: Component, a: usize, i: usize) -> f64 {
        self.dx / self.delta_factor(c, a, i)
    }

    /// A virtual grid coordinate (um) along axis `a` to the physical one.
    pub fn physical(&self, a: usize, v: f64) -> f64 {
        match &self.mesh[a] {
            Some(m) => m.to_physical(v),
            None => v,
        }
    }

    /// A physical grid coordinate (um) along axis `a` to the virtual one.
    pub fn to_virtual(&self, a: usize, z: f64) -> f64 {
        match &self.mesh[a] {
            Some(m) => m.to_virtual(z),
            None => z,
        }
    }

    /// Whether cell (i, j, k) lies in a graded zone along some axis.
    pub fn cell_in_graded_zone(&self, ijk: [usize; 3]) -> bool {
        (0..3).any(|a| self.meets_graded_zone(a, ijk[a] as f64 * self.dx, (ijk[a] + 1) as f64 * self.dx))
    }

    /// Whether [lo, hi] (virtual grid coordinates) along axis `a` meets a
    /// graded zone.
    pub fn meets_graded_zone(&self, a: usize, lo: f64, hi: f64) -> bool {
        self.mesh[a]
            .as_ref()
            .is_some_and(|m| m.meets_zone(m.to_physical(lo), m.to_physical(hi)))
    }

    pub fn shape(&self) -> [usize; 3] {
        [self.nx, self.ny, self.nz]
    }
    pub fn cells(&self) -> usize {
        self.nx * self.ny * self.nz
    }
    pub fn strides(&self) -> [usize; 3] {
        [1, self.nx, self.nx * self.ny]
    }
    #[inline]
    pub fn index(&self, i: usize, j: usize, k: usize) -> usize {
        i + self.nx * (j + self.ny * k)
    }
    /// Domain size in um (whole cells).
    pub fn size_um(&self) -> [f64; 3] {
        [self.nx as f64 * self.dx, self.ny as f64 * self.dx, self.nz as f64 * self.dx]
    }
    pub fn courant(&self) -> f64 {
        self.dt / self.dx
    }
    /// The grid's wavenumber over the exact one, k~ / k, for a plane wave
    /// along an axis in a medium of index `n` at `wavelength_um` (vacuum):
    /// from the Yee dispersion relation n sin(w dt / 2) / dt = sin(k~ dx / 2) / dx
    /// (Taflove and Hagness, ch. 4; CASES.md case 3), exact in the time step
    /// as well as the cell. Along an axis the error is largest (a diagonal's
    /// is about a third of it in 3D). None when the right side exceeds 1: the
    /// grid then carries no propagating wave at all at that wavelength.
    pub fn axial_wavenumber_ratio(&self, n: f64, wavelength_um: f64) -> Option<f64> {
        let w = 2.0 * std::f64::consts::PI / wavelength_um;
        let s = n * self.dx / self.dt * (0.5 * w * self.dt).sin();
        (s <= 1.0).then(|| 2.0 * s.asin() / (n * w * self.dx))
    }
    /// Physical position (um) of component `c` of cell (i, j, k).
    pub fn position_um(&self, c: Component, ijk: [usize; 3]) -> [f64; 3] {
        let o = c.yee_offset();
        let mut p = [0.0; 3];
        for a in 0..3 {
            p[a] = if a < self.dims.count() {
                (ijk[a] as f64 + o[a]) * self.dx
            } else {
                0.0
            };
        }
        p
    }
    /// The 2^D samples of component `c` around `pos_um` with their linear
    /// interpolation weights (summing to 1; a weight may be 0, so that every
    /// point gets the same number of samples), or None outside the domain.
    /// A point source spread this way sits at `pos_um` to second order in
    /// dx; the nearest sample alone misplaces it by up to dx / 2, a
    /// first-order error in what it couples into (the half-cell staggered
    /// components rarely have a sample at a given point at every resolution).
    pub fn interpolation(&self, c: Component, pos_um: [f64; 3]) -> Option<Vec<([usize; 3], f64)>> {
        let o = c.yee_offset();
        let n = self.shape();
        let mut out = vec![([0usize; 3], 1.0)];
        for a in 0..self.dims.count() {
            let x = pos_um[a] / self.dx;
            if !(x >= 0.0 && x <= n[a] as f64) {
                return None;
            }
            // Samples at i + o; beyond the first and last sample the field is
            // taken from the nearest one.
            let t = (x - o[a]).clamp(0.0, (n[a] - 1) as f64);
            let i0 = (t.floor() as usize).min(n[a].saturating_sub(2));
            let f = if n[a] < 2 { 0.0 } else { t - i0 as f64 };
            let hi = (i0 + 1).min(n[a] - 1);
            out = out
                .into_iter()
                .flat_map(|(ijk, w)| {
                    let (mut lo_ijk, mut hi_ijk) = (ijk, ijk);
                    lo_ijk[a] = i0;
                    hi_ijk[a] = hi;
                    [(lo_ijk, w * (1.0 - f)), (hi_ijk, w * f)]
                })
                .collect();
        }
        Some(out)
    }

    /// The cell whose component `c` sits nearest to `pos_um`, or None if the
    /// point is outside the domain.
    pub fn nearest(&self, c: Component, pos_um: [f64; 3]) -> Option<[usize; 3]> {
        let o = c.yee_offset();
        let n = self.shape();
        let mut ijk = [0usize; 3];
        for a in 0..self.dims.count() {
            let x = pos_um[a] / self.dx;
            if !(x >= 0.0 && x <= n[a] as f64) {
                return None;
            }
            let i = (x - o[a]).round().clamp(0.0, (n[a] - 1) as f64);
            ijk[a] = i as usize;
        }
        Some(ijk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn courant_limit_is_enforced() {
        let e = Grid::new([1.0, 1.0, 1.0], 10.0, 0.6, Dimensions::Three).unwrap_err();
        assert!(matches!(e, Error::CourantTooLarge { .. }), "{e}");
        assert!(e.to_string().contains("0.577350"), "{e}");
        assert!(Grid::new([1.0, 1.0, 0.0], 10.0, 0.7, Dimensions::Two(Polarization::Tm)).is_ok());
        assert!(Grid::new([1.0, 1.0, 0.0], 10.0, 0.71, Dimensions::Two(Polarization::Tm)).is_err());
    }

    /// CASES.md case 3: phase velocity along an axis at Courant 0.5,
    /// v_p / c = 0.943082, 0.987264, 0.996892, 0.999227 at 5, 10, 20, 40
    /// cells per wavelength; in a medium the same relation with n dt.
    #[test]
    fn axial_phase_velocity_matches_the_dispersion_relation() {
        for (cells, vp) in [(5.0, 0.943082), (10.0, 0.987264), (20.0, 0.996892), (40.0, 0.999227)] {
            let g = Grid::new([1.0, 1.0, 1.0], cells, 0.5, Dimensions::Three).unwrap();
            let ratio = g.axial_wavenumber_ratio(1.0, 1.0).unwrap();
            assert!((1.0 / ratio - vp).abs() < 2e-6, "{cells}: {} vs {vp}", 1.0 / ratio);
        }
        // n = 3.5 at 1 um, 10 cells/um (2.9 cells per wavelength inside):
        // 7 sin(pi / 20) = 1.095 > 1, beyond the grid's cutoff.
        let g = Grid::new([1.0, 1.0, 0.0], 10.0, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
        assert_eq!(g.axial_wavenumber_ratio(3.5, 1.0), None);
        // At 20 cells/um: asin(7 sin(pi / 40)) / (3.5 pi / 20) = 1.05756.
        let g = Grid::new([1.0, 1.0, 0.0], 20.0, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
        let r = g.axial_wavenumber_ratio(3.5, 1.0).unwrap();
        assert!((r - 1.05756).abs() < 1e-5, "{r}");
    }

    #[test]
    fn zero_cells_is_an_error() {
        let e = Grid::new([0.01, 1.0, 1.0], 10.0, 0.5, Dimensions::Three).unwrap_err();
        assert!(e.to_string().contains("zero cells"), "{e}");
        let e = Grid::new([-1.0, 1.0, 1.0], 10.0, 0.5, Dimensions::Three).unwrap_err();
        assert!(e.to_string().contains("size_um[0]"), "{e}");
        assert!(Grid::new([1.0, 1.0, 1.0], 0.0, 0.5, Dimensions::Three).is_err());
    }

    #[test]
    fn yee_positions_round_trip() {
        let g = Grid::new([2.0, 3.0, 4.0], 10.0, 0.5, Dimensions::Three).unwrap();
        assert_eq!(g.shape(), [20, 30, 40]);
        for c in Component::ALL {
            let p = g.position_um(c, [3, 4, 5]);
            assert_eq!(g.nearest(c, p), Some([3, 4, 5]), "{c:?}");
        }
        assert_eq!(g.position_um(Component::Hy, [0, 0, 0]), [0.05, 0.0, 0.05]);
    }
}
