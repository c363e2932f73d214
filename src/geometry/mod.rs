//! Geometry: shapes and arrays of shapes, and their rasterisation into the
//! per-E-component permittivity, conductivity and medium index of
//! [`crate::material::MaterialGrid`].
//!
//! # Conventions
//! - Lengths in um, grid coordinates (the domain is [0, L]; scene files are
//!   centred and shift by [`crate::scene::Scene::origin_offset_um`]).
//! - A [`crate::Structure`] is a background medium and a list of
//!   [`crate::material::Object`]s (a shape, a medium and the offsets of its
//!   copies). Objects are painted in order: **a later object overrides an
//!   earlier one** where they overlap; the background fills the rest.
//!   Copies of one object share its medium index (`Structure::media()`:
//!   0 = background, k = `objects[k - 1]`).
//! - Shapes: box, cylinder along any axis, sphere and axis-aligned
//!   ellipsoid, cone/frustum (two radii, or a radius and a sidewall angle),
//!   polygon prism (a polygon in a coordinate plane extruded along the
//!   normal axis), layered stack ([`Stack`], expanded into slabs).
//! - **2D runs** use the cross-section of every shape in the plane z = 0
//!   (a cylinder along z is a disc, a cylinder along x a strip, a cone along
//!   z the disc of its radius at z = 0). Boxes are the exception kept from
//!   before: a box is its x-y rectangle whatever its z extent.
//! - Arrays: [`Lattice`] gives the offsets of the copies of an object or of
//!   a group of objects (`Structure::with_array`). A group is expanded
//!   object by object: all copies of its first member, then all copies of the
//!   second, so a core inside a cladding survives a neighbour's cladding.
//! - Shapes are not wrapped across periodic boundaries; a shape that
//!   crosses one is cut there. Place copies on both sides yourself.
//!
//! # Rasterisation
//! On the CPU with rayon, in parallel over grid rows. Each copy of each
//! shape touches only the rows and the samples inside its bounding box (plus
//! half a cell), so the cost grows with the volume the shapes cover, not with
//! cells x shapes (see [`raster`]). The medium array holds the medium at the
//! Yee sample point itself (the staircase value), with or without smoothing,
//! except in the cut cells of a dispersive medium, which name a mixture.
//!
//! # Subpixel smoothing (on by default)
//! Each E sample's cell is the cube of one cell size centred on the sample
//! (a square in 2D). Where an interface cuts it, the component gets
//! `1/eps_c = n_c^2 <1/eps> + (1 - n_c^2) / <eps>` (Farjadpour et al.,
//! Opt. Lett. 31, 2972 (2006); MEEP), with n the interface normal and the
//! averages over the cell; see [`smoothing`]. The averages come from:
//! - every interface in the cell locally planar with one common normal (the
//!   common case: one surface; also a film thinner than a cell, the layers of
//!   a stack, a mesa on a substrate): the shapes' tangent planes, whose
//!   shares of the cube are computed exactly ([`smoothing::cube_cdf`]), and
//!   the shapes' own normal;
//! - otherwise (edges, corners, two shapes in one cell, strong curvature):
//!   8^3 supersamples per cell in 3D and 20^2 in 2D, with the normal from
//!   the first moment of eps over the samples.
//!
//! Conductivity is averaged arithmetically.
//!
//! # Dispersive media
//! A cell that an interface with a dispersive medium (a Drude metal, a
//! Lorentz glass) cuts gets a *mixture* ([`crate::material::Mixture`]):
//! eps_inf, sigma and every pole of each medium in the cell times a weight,
//! w_m = (1 - n_c^2) share_m + n_c^2 [m is the centre's medium]: the volume
//! average for the field along the interface (first-order exact there: the
//! polarisation of the cell is the average of its media's), the centre's
//! medium for the field across it (the harmonic mean that would be right has
//! no pole form and a metal's near-zero 1/eps would make it unstable).
//! Tidy3D calls this volumetric averaging with a staircased normal component;
//! MEEP does not smooth dispersive media at all. With it a metal face moves
//! with the geometry continuously instead of in whole cells (a mirror's phase
//! tracks its place: tests/dispersive.rs). A mixture of passive media is
//! passive and no stiffer than its strongest medium, so the time-step bound
//! of the pure media covers it. Weights are quantised to 1/1024.
//!
//! # Limits of the smoothing
//! - The effective tensor is diagonal in the grid axes (one value per Yee
//!   component); MEEP's off-diagonal terms for tilted interfaces are left
//!   out, which still beats staircasing but is not fully second order for
//!   interfaces oblique to the grid.
//! - Two media per cell are assumed by the formula. Cells where three or more
//!   meet use the sampled averages and the moment normal, an approximation.
//! - E across a dispersive interface is staircased (above): its convergence
//!   stays first order.
//! - The planar fill fraction neglects the curvature of a surface inside
//!   one cell (an error of order dx^2 / radius of curvature).
//! - Subcell features: a shape thinner than a cell still changes the cells it
//!   crosses (by its fill fraction), but a feature centred in a cell has no
//!   defined normal; it gets the isotropic mix n_c^2 = 1/D.

pub mod lattice;
pub(crate) mod raster;
pub mod shape;
pub mod smoothing;

pub use lattice::Lattice;
pub use shape::{Local, Prism, Shape};

use crate::material::{Medium, Object};

/// Films stacked along a coordinate axis, each spanning the whole domain
/// across it: `layers[0]` from `start_um` to `start_um + thickness`, the
/// next on top, and so on.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    pub axis: usize,
    pub start_um: f64,
    /// (thickness in um, medium); the last layer may be infinitely thick.
    pub layers: Vec<(f64, Medium)>,
}

impl Stack {
    /// One slab per layer, bottom first.
    pub fn objects(&self) -> Vec<Object> {
        let mut at = self.start_um;
        self.layers
            .iter()
            .map(|(t, m)| {
                let mut min = [f64::NEG_INFINITY; 3];
                let mut max = [f64::INFINITY; 3];
                min[self.axis] = at;
                max[self.axis] = at + t;
                at += t;
                Object::new(Shape::cuboid(min, max), m.clone())
            })
            .collect()
    }
}
