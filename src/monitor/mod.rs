//! Monitors: what a run measures.
//!
//! - [`Probe`]: one component at one point, every step (time series).
//! - DFT field monitors: complex fields on a plane or box at a list of
//!   wavelengths, by a running DFT on the GPU.
//! - Flux monitors: the Poynting flux spectrum through a plane, or out of a
//!   closed box (outgoing positive), from DFT fields.
//! - Source power: the power a source delivers, -Re(E . J*), spectrally.
//! - Snapshots: a component on a plane or box every N steps.
//! - Mode monitors: power in each guided mode through a port, each way (2D).
//! - Far field: radiated intensity over angles from a closed box (near-to-far).
//! - Acceptance: the power entering a multimode core within its NA, by an
//!   angular-spectrum decomposition of the fields on the core face.
//!
//! Running DFTs use MEEP's convention F(w) = sum_n f(t_n) exp(i w t_n) dt with
//! each component sampled at its own time (E at n dt, H at (n - 1/2) dt), and
//! are accumulated in f32 in blocks of [`dft::FLUSH_EVERY`] steps that are then
//! added to a running total, so round-off grows with the block length, not
//! with the run length.

pub mod acceptance;
pub mod dft;
pub mod farfield;
pub mod mode;
pub mod probe;

pub use probe::Probe;

use crate::grid::Component;

/// An axis-aligned region in um (grid coordinates: the domain is [0, L]).
/// A zero-size axis makes it a plane (or a line in 2D).
#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    pub min_um: [f64; 3],
    pub max_um: [f64; 3],
}

/// What a monitor measures.
#[derive(Clone, Debug, PartialEq)]
pub enum MonitorKind {
    /// Complex fields of `components` in `region` at each wavelength.
    DftFields {
        region: Region,
        components: Vec<Component>,
        wavelengths_um: Vec<f64>,
    },
    /// Poynting flux through a plane (along +normal, or -normal when
    /// `reverse`) or out of a closed box (`reverse` ignored).
    Flux {
        region: Region,
        wavelengths_um: Vec<f64>,
        reverse: bool,
    },
    /// Power delivered by source number `source` of the simulation.
    SourcePower { source: usize, wavelengths_um: Vec<f64> },
    /// `component` in `region` every `every_steps` steps.
    Snapshot {
        region: Region,
        component: Component,
        every_steps: usize,
    },
    /// Power in each guided mode (at most `max_modes`) through a port line of
    /// a 2D run, each way (see [`mode`]); `reverse` flips the direction
    /// called forward, as for flux.
    Mode {
        region: Region,
        wavelengths_um: Vec<f64>,
        max_modes: usize,
        reverse: bool,
    },
    /// Radiated intensity over angles from a closed box in a homogeneous
    /// medium (see [`farfield`]); `points` directions per half turn; with
    /// `na`, the fraction of the power within that numerical aperture.
    /// With `open_plane` the region is instead an open plane (one zero size)
    /// projecting into the homogeneous half-space on one side of it.
    FarField {
        region: Region,
        wavelengths_um: Vec<f64>,
        points: usize,
        na: Option<f64>,
        open_plane: Option<farfield::OpenPlane>,
    },
    /// Power through the core of a plane within a numerical aperture (see
    /// [`acceptance`]): `core_radius_um` about the plane's centre, or None
    /// for the samples above the plane's lowest index; `na` None takes
    /// sqrt(eps_max - eps_min) over the plane; `reverse` as for flux.
    Acceptance {
        region: Region,
        wavelengths_um: Vec<f64>,
        core_radius_um: Option<f64>,
        na: Option<f64>,
        reverse: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Monitor {
    pub name: String,
    pub kind: MonitorKind,
}

impl Monitor {
    pub fn new(name: impl Into<String>, kind: MonitorKind) -> Monitor {
        Monitor { name: name.into(), kind }
    }
}
