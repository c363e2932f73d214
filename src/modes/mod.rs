//! Mode solvers: guided modes of waveguide cross-sections.
//!
//! - [`slab`]: exact modes of layered (1D) index profiles, for 2D runs and
//!   planar stacks.

pub mod slab;
