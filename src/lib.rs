//! lumen-fdtd: a finite-difference time-domain (FDTD) Maxwell solver with
//! two engines that run the same physics: WGSL compute shaders through wgpu
//! on any GPU vendor ([`gpu`]), and a native multi-threaded CPU engine
//! ([`cpu`]) with the same layout and the same operations in the same order,
//! so the two agree bit for bit. [`engine`] chooses between them
//! (`--backend cpu|gpu|auto`).
//!
//! # Conventions
//! - Lengths and wavelengths in micrometres; c = eps0 = mu0 = 1 internally, so
//!   time is in um/c (3.33564 fs) and frequency in c/um (= 1/wavelength_um).
//!   See [`units`].
//! - Yee lattice, x-fastest storage, component offsets and the E/H half-step
//!   staggering: see [`grid`].
//! - Single precision fields (WGSL has no f64).
//!
//! # Not supported yet
//! Non-uniform grids, magnetic materials (mu = 1), continuously graded media
//! (graded cylinders are staircases), MPI. On the GPU path, fields larger than
//! one storage binding of the adapter are refused with an error rather than
//! split.
//!
//! # Layers
//! [`scene`] (TOML files) -> [`sim::Simulation`] (physical description) ->
//! [`sim::Prepared`] (grid rasterised by [`geometry`], coefficients, sample lists) ->
//! [`engine::Engine`]: [`gpu::GpuStepper`] or [`cpu::CpuStepper`] -> [`run`] (stop
//! conditions, normalisation) -> [`output`] (HDF5). [`api`] is the entry point
//! the `lumen` command and the Python module (`python/`) share. [`sweep`] runs many
//! variants of one scene and tabulates their results. [`plot`] draws a scene's
//! rasterised set-up, or a result file's monitors, as PNG images.

pub mod api;
pub mod boundary;
pub mod cpu;
pub mod dispersion;
pub mod engine;
pub mod error;
pub mod estimate;
pub mod geometry;
pub mod gpu;
pub mod grid;
pub mod led;
pub mod library;
pub mod material;
pub mod mesh;
pub mod modes;
pub mod monitor;
pub mod output;
pub mod plot;
pub mod reciprocity;
pub mod run;
pub mod scene;
pub mod sim;
pub mod source;
pub mod sweep;
pub mod symmetry;
pub mod units;

pub use boundary::{Boundaries, Boundary, Pml};
pub use error::{Error, Result};
pub use geometry::{Lattice, Shape, Stack};
pub use grid::{Component, Dimensions, Grid, Polarization};
pub use material::{Medium, Object, Structure};
pub use monitor::{Monitor, MonitorKind, Probe, Region};
pub use sim::{Fields, Prepared, Simulation, Stepper};
pub use source::{Source, SourceShape, TimeProfile};
