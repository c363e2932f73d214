//! Mode solvers: guided modes of waveguide cross-sections.
//!
//! - [`slab`]: exact modes of layered (1D) index profiles, for 2D runs and
//!   planar stacks.
//! - [`vector`]: full-vector finite-difference modes of a 2D cross-section
//!   on the FDTD's own Yee lattice (fibres, channel and rib guides), with
//!   transverse and longitudinal E and H normalised to unit flux.

pub mod report;
pub mod slab;
pub mod vector;
