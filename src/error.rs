//! The one error type of the library. Variants carry the values involved so
//! that a message names what was asked for and what was allowed.

use thiserror::Error;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Error)]
pub enum Error {
    /// A simulation parameter is out of its valid range.
    #[error("invalid parameter `{name}`: {reason} (found {found})")]
    InvalidParameter { name: String, found: String, reason: String },

    /// The Courant number exceeds the stability limit of the lattice.
    #[error("Courant number {courant} exceeds the stability limit {limit:.6} for a {dims}D Yee grid (1/sqrt({dims}))")]
    CourantTooLarge { courant: f64, limit: f64, dims: usize },

    /// The boundary layers do not fit in the domain.
    #[error("PML along {axis} is {pml_cells} cells thick in total but the domain has only {domain_cells} cells along {axis}")]
    PmlTooThick { axis: char, pml_cells: usize, domain_cells: usize },

    /// A source or probe lies outside the domain.
    #[error("{what} at {position_um:?} um lies outside the domain [0, {size_um:?}] um")]
    OutsideDomain {
        what: String,
        position_um: [f64; 3],
        size_um: [f64; 3],
    },

    /// No wgpu adapter could be found.
    #[error(
        "no GPU or software adapter found ({detail}). On Linux without a GPU install Mesa: \
             `apt-get install libegl1 libgl1-mesa-dri` (OpenGL/llvmpipe) or `apt-get install mesa-vulkan-drivers` \
             (Vulkan/lavapipe); choose one with WGPU_BACKEND=gl or WGPU_BACKEND=vulkan"
    )]
    NoAdapter { detail: String },

    /// The requested adapter name matched none of the adapters found.
    #[error("no adapter matches `{requested}`; found: {available}")]
    AdapterNotFound { requested: String, available: String },

    /// A buffer would exceed a limit of the adapter.
    #[error(
        "{what} needs {requested_bytes} bytes but adapter `{adapter}` allows at most {limit_bytes} bytes per {limit_name}; \
             use a coarser resolution or a smaller domain"
    )]
    ExceedsDeviceLimit {
        what: String,
        requested_bytes: u64,
        limit_bytes: u64,
        limit_name: String,
        adapter: String,
    },

    /// wgpu refused to create the device.
    #[error("could not create a device on adapter `{adapter}`: {detail}")]
    DeviceRequest { adapter: String, detail: String },

    /// A GPU operation failed at run time (validation, lost device, mapping).
    #[error("GPU error: {0}")]
    Gpu(String),
}

impl Error {
    pub(crate) fn invalid(name: impl Into<String>, found: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            found: found.to_string(),
            reason: reason.into(),
        }
    }
}
