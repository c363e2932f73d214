//! Pictures of a set-up and of its results, as PNG files (`lumen plot`).
//!
//! - [`scene::plot_scene`]: slices of the permittivity exactly as the engine
//!   rasterised it (per E component, or the mean of the three), with the
//!   steps between media outlined, metals hatched, sources (an LED's whole
//!   active region and each of its dipole positions), monitors and PML
//!   regions drawn over it. It runs nothing on the GPU: the user checks the
//!   set-up before spending GPU time.
//! - [`result::plot_result`]: from a result file, a `dft_fields` monitor
//!   (|E|^2, or the real part, imaginary part or magnitude of one component)
//!   at one wavelength, a `snapshot` frame, or the spectrum of a `flux`
//!   (normalised when it was) or `source_power` monitor. Field maps show the
//!   structure's outline, metals and PML, rebuilt on the CPU from the scene
//!   text the file stores ([`result::stored_scene`], [`structure`]).
//!   [`result::plot_targets`] lists what `lumen plot RESULT.h5` draws without
//!   `--monitor`: every monitor, then the LED report.
//! - [`led`]: an LED's coupling report (`/led/report`): per port the
//!   fundamental-mode (solid) and all-guided-mode (dashed) fraction of the
//!   emitted power against wavelength, the extraction, and the power within
//!   a far field's NA, each with its emission-spectrum average in the legend.
//! - `far_field` monitors ([`far_field`]) at one wavelength (`--wavelength-um`,
//!   default the middle one): in 2D the power per unit angle against the
//!   angle from +y (-180 to 180 degrees, positive towards +x) with the NA
//!   cone +-asin(NA/n) dashed; in 3D the power per unit solid angle over the
//!   direction cosines (kx/k, ky/k), upper and lower hemisphere side by side,
//!   with the NA circle (radius NA/n) on the upper one. The footer gives the
//!   fraction of the power within the NA and the radiated total.
//! - `mode` monitors ([`mode`]): forward (solid) and backward (dashed) power
//!   of each guided mode against wavelength, one colour per mode with its
//!   n_eff in the legend, and the total port flux (grey); a log y axis when
//!   the values span more than two decades.
//! - [`mode_map`]: a non-negative quantity (a mode's |E|^2) on a waveguide
//!   cross-section, with the outline of the index steps, for `lumen modes`.
//!
//! # Conventions
//! - Axes are in scene coordinates (um, centred on the domain), the
//!   coordinates of the scene file and of the result file's positions.
//! - Maps show one value per Yee sample, drawn as a cell centred on it; no
//!   interpolation. Components of different Yee positions (|E|^2 summed over
//!   Ex, Ey, Ez) are combined sample by sample, half a cell apart.
//! - Colours: permittivity white (lowest in the scene) to dark grey
//!   (highest), the scale spanning the scene's own values so that a small
//!   index step (1.50 in 1.45) is visible, and the steps between media
//!   outlined in cyan, one line per interface (the shapes sampled at the
//!   drawn cells, without smoothing); metals gold with dark hatching (over
//!   field maps, the hatching alone). |E|^2 and magnitudes black - purple -
//!   yellow from 0; signed fields blue - white - red, symmetric about 0.
//!   Sources red, monitors blue (labelled), PML shaded green.
//! - Metals: a medium whose Re ε at the drawing wavelength (the first
//!   source's, or the plotted DFT wavelength) is negative, or whose Im ε
//!   exceeds |Re ε| (a good conductor); without a source, a medium with a
//!   Drude pole ([`structure::medium_look`]).
//! - Line plots put their legend in a column right of the plot area, never
//!   over the data.
//! - Text uses DejaVu Sans compiled into the binary: no system fonts needed.
//!
//! # Not supported yet
//! The grey map is the engine's eps_inf (the instantaneous part, smoothed):
//! a dispersive dielectric (Lorentz or Debye poles, e.g. a library glass)
//! shows its eps_inf there, not its permittivity at the wavelength, though
//! its steps to other media are outlined by their Re ε at the wavelength.
//! Metals are hatched, not shaded by their permittivity. PEC boundaries are
//! not drawn. A result of `lumen run --empty` stores the full scene text, so
//! its field maps outline geometry the run did not have. The LED report's
//! crosstalk (dB) is not drawn. No field overlays on the structure beyond
//! the outline, no animations, no vector formats.

pub mod coupling;
pub mod far_field;
pub mod figure;
pub mod led;
pub mod mode;
pub mod result;
pub mod scene;
pub mod structure;

use std::path::PathBuf;
use std::str::FromStr;

use thiserror::Error;

use crate::grid::Component;
use crate::output::OutputError;

pub use figure::Image;
pub use mode::mode_map;
pub use result::{plot_result, ResultPlotOptions};
pub use scene::{plot_scene, ScenePlotOptions};

/// What went wrong while making a plot.
#[derive(Debug, Error)]
pub enum PlotError {
    /// The result file has no monitor of this name.
    #[error("{}: no monitor `{name}`; the file has: {}", path.display(), list_or_none(known))]
    UnknownMonitor {
        path: PathBuf,
        name: String,
        /// "name (type)" of each monitor in the file.
        known: Vec<String>,
    },

    /// A wavelength outside the range the monitor recorded.
    #[error(
        "--wavelength-um {requested_um}: outside the wavelengths of monitor `{monitor}` ({} um)",
        fmt_range(available_um)
    )]
    WavelengthOutOfRange {
        monitor: String,
        requested_um: f64,
        available_um: Vec<f64>,
    },

    /// A snapshot frame that does not exist.
    #[error("--frame {frame}: monitor `{monitor}` has {frames} frames (0 to {})", frames.saturating_sub(1))]
    FrameOutOfRange { monitor: String, frame: usize, frames: usize },

    /// An option or value that does not apply to this input; `reason` says
    /// what would.
    #[error("{option}: {reason}")]
    InvalidRequest { option: String, reason: String },

    /// The scene does not rasterise (see [`crate::Simulation::prepare`]).
    #[error("{}: {source}", path.display())]
    Scene {
        path: PathBuf,
        #[source]
        source: crate::Error,
    },

    /// Reading the result file failed.
    #[error(transparent)]
    Read(#[from] OutputError),

    /// Writing the PNG failed.
    #[error("{}: cannot write the image: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The drawing library failed (a bug rather than bad input).
    #[error("drawing failed: {0}")]
    Render(String),
}

impl PlotError {
    /// Whether the error is the input's fault (exit code 2) rather than a
    /// failure to read, write or draw (exit code 3). A result file that is
    /// not laid out as docs/output-format.md says counts as bad input.
    pub fn is_bad_input(&self) -> bool {
        match self {
            PlotError::Read(e) => matches!(e, OutputError::Format { .. }),
            PlotError::Write { .. } | PlotError::Render(_) => false,
            _ => true,
        }
    }

    fn invalid(option: impl Into<String>, reason: impl Into<String>) -> PlotError {
        PlotError::InvalidRequest {
            option: option.into(),
            reason: reason.into(),
        }
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "no monitors".into()
    } else {
        v.join(", ")
    }
}

fn fmt_range(v: &[f64]) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match v.len() {
        0 => "none".into(),
        1 => format!("{lo}"),
        n => format!("{n} from {lo} to {hi}"),
    }
}

/// A number for a caption: at most four decimals without trailing zeros,
/// scientific notation below 1e-3.
fn fmt_num(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        return format!("{v:.3e}");
    }
    let s = format!("{v:.4}");
    let t = s.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" {
        "0".into()
    } else {
        t.into()
    }
}

const AXIS_NAMES: [&str; 3] = ["x", "y", "z"];

/// A plane normal to `axis` at `position_um` (scene coordinates): the
/// `--slice z=0.5` option.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slice {
    pub axis: usize,
    pub position_um: f64,
}

impl Slice {
    /// The plane through the centre of the domain normal to `axis`.
    pub fn central(axis: usize) -> Slice {
        Slice { axis, position_um: 0.0 }
    }
    /// The two in-plane axes, in the order they are drawn (horizontal, vertical).
    pub fn plane_axes(&self) -> (usize, usize) {
        match self.axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        }
    }
    /// "xy", "xz" or "yz".
    pub fn plane_name(&self) -> String {
        let (u, v) = self.plane_axes();
        format!("{}{}", AXIS_NAMES[u], AXIS_NAMES[v])
    }
}

impl FromStr for Slice {
    type Err = String;
    fn from_str(s: &str) -> Result<Slice, String> {
        let bad = || format!("`{s}`: expected AXIS=POSITION_UM, e.g. z=0 or x=-0.5 (scene coordinates, um)");
        let (a, v) = s.split_once('=').ok_or_else(bad)?;
        let axis = AXIS_NAMES.iter().position(|n| n.eq_ignore_ascii_case(a.trim())).ok_or_else(bad)?;
        let position_um: f64 = v.trim().parse().map_err(|_| bad())?;
        if !position_um.is_finite() {
            return Err(bad());
        }
        Ok(Slice { axis, position_um })
    }
}

/// What is drawn of a complex (or real) field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// |F|^2, summed over the E components when no component is named.
    Intensity,
    /// |F|.
    Abs,
    /// Re F.
    Real,
    /// Im F.
    Imag,
}

impl Quantity {
    pub const NAMES: [&'static str; 4] = ["intensity", "abs", "real", "imag"];
}

impl FromStr for Quantity {
    type Err = String;
    fn from_str(s: &str) -> Result<Quantity, String> {
        match s.to_ascii_lowercase().as_str() {
            "intensity" => Ok(Quantity::Intensity),
            "abs" => Ok(Quantity::Abs),
            "real" | "re" => Ok(Quantity::Real),
            "imag" | "im" => Ok(Quantity::Imag),
            _ => Err(format!("`{s}`: expected one of {}", Quantity::NAMES.join(", "))),
        }
    }
}

/// A component by name, e.g. "Ez" (case-insensitive).
pub fn parse_component(s: &str) -> Result<Component, String> {
    Component::ALL
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| format!("`{s}`: expected Ex, Ey, Ez, Hx, Hy or Hz"))
}

/// A tolerance for "this position lies on that plane": a millionth of a
/// cell, so values printed with a few digits still match.
fn on_plane_tolerance(dx: f64) -> f64 {
    1e-6 * dx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_parse() {
        assert_eq!("z=0.5".parse::<Slice>(), Ok(Slice { axis: 2, position_um: 0.5 }));
        assert_eq!(
            " X = -1 ".parse::<Slice>(),
            Ok(Slice {
                axis: 0,
                position_um: -1.0
            })
        );
        assert!("w=1".parse::<Slice>().unwrap_err().contains("AXIS=POSITION_UM"));
        assert!("z=".parse::<Slice>().is_err());
        assert!("z=nan".parse::<Slice>().is_err());
        assert_eq!(Slice::central(1).plane_name(), "xz");
    }

    #[test]
    fn quantities_and_components_parse() {
        assert_eq!("Intensity".parse::<Quantity>(), Ok(Quantity::Intensity));
        assert_eq!("re".parse::<Quantity>(), Ok(Quantity::Real));
        assert!("power".parse::<Quantity>().unwrap_err().contains("intensity, abs, real, imag"));
        assert_eq!(parse_component("ez"), Ok(Component::Ez));
        assert!(parse_component("Ew").is_err());
    }
}
