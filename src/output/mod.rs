//! Result files: one self-describing HDF5 file per run.
//!
//! The layout (groups, datasets, attributes, units) is specified in
//! `docs/output-format.md`; [`hdf5`] writes and reads it. In short:
//!
//! - root attributes describe the run: program, version, the full scene text,
//!   grid, time step, steps, wall time, adapter, whether the run completed;
//! - `/probes/<name>`: a time series and its sample times;
//! - `/monitors/<name>` with attribute `type` = `dft_fields`, `flux`,
//!   `source_power`, `mode`, `far_field` or `snapshot`.
//!
//! Conventions:
//! - Lengths and wavelengths in um, times in fs, frequencies in c/um
//!   (= 1/wavelength_um), fields in units with c = eps0 = mu0 = 1.
//! - Positions are written in *scene* coordinates: scene = grid - origin
//!   offset ([`RunRecord::origin_offset_um`], also a root attribute).
//! - Multi-dimensional arrays are C order (last index fastest), x last:
//!   `[frequency][z][y][x]`, which is what h5py/numpy expect; MATLAB and Julia
//!   (column-major) see the axes reversed.
//! - Complex data is an HDF5 compound `{r, i}`, which h5py reads as numpy
//!   complex.
//!
//! Files are written atomically: to `<path>.tmp` in the same directory, then
//! renamed over `<path>`, so a crash or Ctrl-C never leaves a half-written
//! file under the final name.
//!
//! Not supported yet: appending to a file while the run goes on (a file
//! appears only when [`write`] is called), parallel HDF5.

pub mod hdf5;

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use crate::grid::{Component, Grid};
use crate::monitor::dft::MonitorResult;

pub use self::hdf5::{
    read_dft_fields, read_dft_fields_at, read_far_field, read_flux, read_mode, read_snapshot, read_snapshot_frame, read_spectrum,
    read_summary, write, DftComponent, DftFieldsData, FarFieldData, FluxData, ModeData, SnapshotData,
};

/// Version of the file layout, written as the root attribute `format_version`.
/// Bump it when a change would break a reader of the previous layout.
pub const FORMAT_VERSION: u32 = 1;

/// The `units` root attribute.
pub const UNITS: &str = "lengths um; time fs; frequency c/um = 1/wavelength_um; fields in units with c = eps0 = mu0 = 1";

/// Everything a result file records about one run.
#[derive(Clone, Debug)]
pub struct RunRecord<'a> {
    /// `env!("CARGO_PKG_VERSION")` of the program that ran.
    pub program_version: &'a str,
    /// The full resolved scene text.
    pub scene_text: &'a str,
    pub scene_path: &'a str,
    pub grid: &'a Grid,
    /// Scene coordinates = grid coordinates - offset (um). Positions in the
    /// record are in grid coordinates; the file stores scene coordinates.
    pub origin_offset_um: [f64; 3],
    /// Time steps done.
    pub steps: usize,
    pub wall_time_s: f64,
    /// Adapter name (GPU or software).
    pub adapter: &'a str,
    /// False when the run was stopped by an error or Ctrl-C.
    pub complete: bool,
    pub stop_reason: &'a str,
    pub probes: &'a [ProbeRecord],
    pub monitors: &'a [MonitorResult],
    /// Flux monitors normalised by a reference run (at most one per monitor).
    pub normalized: &'a [NormalizedFlux],
    /// Further groups of datasets (an LED's per-run table and report).
    pub extra: &'a [ExtraGroup],
    /// The scene's warnings, one line each (`FILE:LINE: KEY: message`),
    /// stored as the root attribute `warnings`.
    pub warnings: &'a [String],
}

/// A group of f64 datasets at `path` (e.g. "led/report"); a dataset name
/// with '/' makes subgroups. Attributes are strings.
#[derive(Clone, Debug, Default)]
pub struct ExtraGroup {
    pub path: String,
    pub attrs: Vec<(String, String)>,
    pub datasets: Vec<(String, ndarray::ArrayD<f64>)>,
}

impl ExtraGroup {
    pub fn new(path: impl Into<String>) -> ExtraGroup {
        ExtraGroup {
            path: path.into(),
            ..Default::default()
        }
    }
}

/// One probe's time series. Sample n is taken at (n + 1) dt for E
/// components and at (n + 1/2) dt for H components.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeRecord {
    pub name: String,
    pub component: Component,
    /// Grid coordinates (um).
    pub position_um: [f64; 3],
    pub samples: Vec<f32>,
}

/// A flux monitor normalised by a reference run.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalizedFlux {
    /// Name of the flux monitor of this run it belongs to.
    pub monitor: String,
    /// The reference run's result file.
    pub reference_file: String,
    /// The reference run's flux monitor that gave the incident flux.
    pub incident_monitor: String,
    /// Per wavelength of the monitor.
    pub incident_flux: Vec<f64>,
    /// Flux of the fields minus the reference run's fields, when computed.
    pub scattered_flux: Option<Vec<f64>>,
    /// Per wavelength of the monitor.
    pub ratio: Vec<f64>,
}

/// What went wrong while writing or reading a result file.
#[derive(Debug, Error)]
pub enum OutputError {
    /// An HDF5 call failed; `what` names the operation and the object.
    #[error("{}: {what}: {source}", path.display())]
    Hdf5 {
        path: PathBuf,
        what: String,
        #[source]
        source: ::hdf5::Error,
    },

    /// A file-system operation (rename, remove, sync) failed.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        path: PathBuf,
        what: String,
        #[source]
        source: std::io::Error,
    },

    /// The record cannot be written as it is (a bad name, inconsistent lengths).
    #[error("{}: cannot write `{name}`: {reason}", path.display())]
    InvalidRecord { path: PathBuf, name: String, reason: String },

    /// The file lacks something or holds something of another shape or kind
    /// than this layout says (`name` is the HDF5 path of the object).
    #[error("{}: `{name}`: {reason}", path.display())]
    Format { path: PathBuf, name: String, reason: String },
}

/// What `lumen info` shows: the root attributes, the probes and, per monitor,
/// its type, wavelengths and datasets with their shapes.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FileSummary {
    pub path: String,
    pub program: String,
    pub version: String,
    pub format_version: u32,
    pub scene_path: String,
    /// The full scene text.
    pub scene: String,
    pub units: String,
    pub dimensions: u32,
    /// "tm", "te", or "" in 3D.
    pub polarization: String,
    pub grid_shape: [u64; 3],
    pub cell_size_um: f64,
    pub origin_offset_um: [f64; 3],
    pub dt_fs: f64,
    /// Time step in internal units (um/c).
    pub dt: f64,
    pub steps: u64,
    pub simulated_time_fs: f64,
    pub wall_time_s: f64,
    pub adapter: String,
    pub complete: bool,
    pub stop_reason: String,
    /// ISO 8601 UTC.
    pub created: String,
    pub probes: Vec<ProbeSummary>,
    pub monitors: Vec<MonitorSummary>,
    /// The scene's warnings when it ran (`FILE:LINE: KEY: message`), from
    /// the root attribute `warnings`; empty when there were none.
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ProbeSummary {
    pub name: String,
    pub component: String,
    /// Scene coordinates (um).
    pub position_um: [f64; 3],
    pub samples: u64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MonitorSummary {
    pub name: String,
    /// "dft_fields", "flux", "source_power", "mode", "far_field" or "snapshot".
    #[serde(rename = "type")]
    pub kind: String,
    /// Empty for snapshots.
    pub wavelengths_um: Vec<f64>,
    /// Whether a flux monitor carries a normalisation by a reference run.
    pub normalized: bool,
    /// Every dataset under the monitor's group, depth first, by path relative
    /// to the group (e.g. `faces/0/E1`).
    pub datasets: Vec<DatasetSummary>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DatasetSummary {
    pub name: String,
    pub shape: Vec<u64>,
    /// numpy-style name: "float32", "float64", "complex64", "complex128", ...
    pub dtype: String,
}

fn fmt_list(v: &[u64]) -> String {
    v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" x ")
}

impl fmt::Display for FileSummary {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Built as a String so the text ends without a newline (callers println! it).
        use std::fmt::Write as _;
        let mut t = String::new();
        let f = &mut t;
        let status = if self.complete {
            "complete".to_string()
        } else {
            format!("INCOMPLETE ({})", self.stop_reason)
        };
        writeln!(
            f,
            "{}: {} {} (format {}), {status}",
            self.path, self.program, self.version, self.format_version
        )?;
        writeln!(f, "  scene: {} ({} lines)", self.scene_path, self.scene.lines().count())?;
        let pol = if self.polarization.is_empty() {
            String::new()
        } else {
            format!(" {}", self.polarization.to_uppercase())
        };
        writeln!(
            f,
            "  grid: {}D{pol}, {} cells of {} um, origin offset {:?} um",
            self.dimensions,
            fmt_list(&self.grid_shape),
            self.cell_size_um,
            self.origin_offset_um
        )?;
        writeln!(
            f,
            "  time: {} steps of {:.6} fs = {:.3} fs simulated, {:.2} s wall on {}",
            self.steps, self.dt_fs, self.simulated_time_fs, self.wall_time_s, self.adapter
        )?;
        writeln!(f, "  created: {}", self.created)?;
        if !self.warnings.is_empty() {
            writeln!(f, "  warnings ({}, from the scene when it ran):", self.warnings.len())?;
            for w in &self.warnings {
                writeln!(f, "    {w}")?;
            }
        }
        if !self.probes.is_empty() {
            writeln!(f, "  probes:")?;
            for p in &self.probes {
                writeln!(
                    f,
                    "    {}: {} at {:?} um, {} samples",
                    p.name, p.component, p.position_um, p.samples
                )?;
            }
        }
        if !self.monitors.is_empty() {
            writeln!(f, "  monitors:")?;
            for m in &self.monitors {
                let wl = match m.wavelengths_um.as_slice() {
                    [] => String::new(),
                    [w] => format!(", 1 wavelength ({w} um)"),
                    w => format!(", {} wavelengths {} .. {} um", w.len(), w[0], w[w.len() - 1]),
                };
                let norm = if m.normalized { ", normalized" } else { "" };
                writeln!(f, "    {} ({}{wl}{norm})", m.name, m.kind)?;
                for d in &m.datasets {
                    writeln!(f, "      {} [{}] {}", d.name, fmt_list(&d.shape), d.dtype)?;
                }
            }
        }
        out.write_str(t.trim_end())
    }
}
