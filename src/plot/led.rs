//! An LED's coupling report (`/led/report` of a result file, written by
//! `lumen run` for a `type = "led"` source; docs/output-format.md): the
//! fraction of the emitted power that each port and monitor receives,
//! against wavelength.
//!
//! Per port one colour: its fundamental mode solid, all its guided modes
//! dashed; the extraction monitor's share in dark grey; the power within a
//! far field's NA solid in its own colour. The average over the
//! emission spectrum (the report's last row) is in each legend entry. The y
//! axis is logarithmic when the positive values span more than two decades
//! (weak ports next to a strong extraction), as in mode plots. Crosstalk
//! (dB) is not drawn: it is a ratio of the ports' curves shown.

use std::path::Path;

use ::hdf5::{File, Group};

use super::figure::{self, Image, PlotFigure, Series, SERIES_COLORS};
use super::{fmt_num, PlotError};
use crate::output::OutputError;

/// The name `--monitor` takes for the report (when no monitor has it).
pub const LED_REPORT: &str = "led";
/// Its HDF5 path, also accepted by `--monitor`.
pub const LED_REPORT_PATH: &str = "/led/report";

/// Colour of the extraction curve.
const EXTRACTION_GREY: [u8; 3] = [60, 60, 60];

/// One efficiency against wavelength, and its spectrum average.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub values: Vec<f64>,
    /// The report's last row (NaN when absent).
    pub spectrum: f64,
}

/// What `/led/report` holds.
#[derive(Clone, Debug, PartialEq)]
pub struct LedReport {
    /// The emitter's name (`/led/runs` attribute `emitter`), if stored.
    pub emitter: Option<String>,
    /// The wavelength rows (um), without the spectrum row.
    pub wavelengths_um: Vec<f64>,
    pub extraction: Option<Curve>,
    /// Per port (alphabetical): fundamental mode and all guided modes.
    pub ports: Vec<(String, Curve, Curve)>,
    /// Per far-field monitor with an NA: power within the NA / emitted power.
    pub na: Vec<(String, Curve)>,
}

fn h5(path: &Path, what: String) -> impl FnOnce(::hdf5::Error) -> PlotError + '_ {
    move |source| {
        PlotError::Read(OutputError::Hdf5 {
            path: path.to_path_buf(),
            what,
            source,
        })
    }
}

fn format_err(path: &Path, name: &str, reason: impl Into<String>) -> PlotError {
    PlotError::Read(OutputError::Format {
        path: path.to_path_buf(),
        name: name.to_string(),
        reason: reason.into(),
    })
}

fn open(path: &Path) -> Result<File, PlotError> {
    File::with_options()
        .with_fapl(|p| p.file_locking(false))
        .open(path)
        .map_err(h5(path, "open file".into()))
}

/// Whether the file has an LED report.
pub fn has_led_report(path: &Path) -> Result<bool, PlotError> {
    let f = open(path)?;
    Ok(f.link_exists("led") && f.group("led").is_ok_and(|g| g.link_exists("report")))
}

fn read_vec(path: &Path, g: &Group, name: &str, rows: usize) -> Result<Vec<f64>, PlotError> {
    let full = format!("{}/{name}", g.name());
    let v: Vec<f64> = g
        .dataset(name)
        .and_then(|d| d.read_raw::<f64>())
        .map_err(h5(path, format!("read `{full}`")))?;
    if v.len() != rows {
        return Err(format_err(path, &full, format!("has {} rows, `wavelength_um` {rows}", v.len())));
    }
    Ok(v)
}

/// Read `/led/report`.
pub fn read_led_report(path: &Path) -> Result<LedReport, PlotError> {
    let f = open(path)?;
    if !has_led_report(path)? {
        return Err(format_err(path, LED_REPORT_PATH, "no LED report (the run's source is not an LED)"));
    }
    let g = f.group("led/report").map_err(h5(path, format!("open `{LED_REPORT_PATH}`")))?;
    let rows_wl: Vec<f64> = g
        .dataset("wavelength_um")
        .and_then(|d| d.read_raw::<f64>())
        .map_err(h5(path, format!("read `{LED_REPORT_PATH}/wavelength_um`")))?;
    let n = rows_wl.len();
    // Rows: the wavelengths, then NaN for the spectrum average.
    let spectrum_row = rows_wl.iter().position(|w| w.is_nan());
    let curve = |v: Vec<f64>| Curve {
        spectrum: spectrum_row.map_or(f64::NAN, |r| v[r]),
        values: (0..n).filter(|&r| Some(r) != spectrum_row).map(|r| v[r]).collect(),
    };
    let wavelengths_um: Vec<f64> = rows_wl.iter().copied().filter(|w| !w.is_nan()).collect();
    let extraction = if g.link_exists("extraction") {
        Some(curve(read_vec(path, &g, "extraction", n)?))
    } else {
        None
    };
    let mut ports = Vec::new();
    let mut na = Vec::new();
    let names = g.member_names().map_err(h5(path, format!("list `{LED_REPORT_PATH}`")))?;
    for name in names {
        let Ok(sub) = g.group(&name) else { continue };
        if sub.link_exists("fundamental") && sub.link_exists("guided") {
            ports.push((
                name.clone(),
                curve(read_vec(path, &sub, "fundamental", n)?),
                curve(read_vec(path, &sub, "guided", n)?),
            ));
        } else if sub.link_exists("na_power_over_source") {
            na.push((name.clone(), curve(read_vec(path, &sub, "na_power_over_source", n)?)));
        }
    }
    let emitter = f
        .group("led/runs")
        .ok()
        .and_then(|r| r.attr("emitter").ok())
        .and_then(|a| a.read_scalar::<::hdf5::types::VarLenUnicode>().ok())
        .map(|s| s.as_str().to_string());
    Ok(LedReport {
        emitter,
        wavelengths_um,
        extraction,
        ports,
        na,
    })
}

/// Draw the report of the file at `path` (`file`: its name for the title).
pub fn led_report_plot(path: &Path, file: &str) -> Result<(Image, String), PlotError> {
    let r = read_led_report(path)?;
    if r.wavelengths_um.is_empty() || (r.ports.is_empty() && r.extraction.is_none() && r.na.is_empty()) {
        return Err(PlotError::invalid(
            format!("--monitor {LED_REPORT}"),
            "the LED report has no wavelengths or no port, extraction or NA column to draw",
        ));
    }
    let line = |c: &Curve| -> Vec<(f64, f64)> { r.wavelengths_um.iter().copied().zip(c.values.iter().copied()).collect() };
    let avg = |c: &Curve| {
        if c.spectrum.is_finite() {
            format!(" (spectrum {})", fmt_num(round4(c.spectrum)))
        } else {
            String::new()
        }
    };
    let markers = r.wavelengths_um.len() <= 30;
    let mut series = Vec::new();
    if let Some(e) = &r.extraction {
        series.push(Series {
            label: Some(format!("extraction{}", avg(e))),
            color: EXTRACTION_GREY,
            points: line(e),
            dashed: false,
            markers,
        });
    }
    let mut k = 0;
    for (name, fundamental, guided) in &r.ports {
        let color = SERIES_COLORS[k % SERIES_COLORS.len()];
        k += 1;
        series.push(Series {
            label: Some(format!("{name}: fundamental{}", avg(fundamental))),
            color,
            points: line(fundamental),
            dashed: false,
            markers,
        });
        series.push(Series {
            label: Some(format!("{name}: all guided{}", avg(guided))),
            color,
            points: line(guided),
            dashed: true,
            markers,
        });
    }
    for (name, c) in &r.na {
        series.push(Series {
            label: Some(format!("{name}: within NA{}", avg(c))),
            color: SERIES_COLORS[k % SERIES_COLORS.len()],
            points: line(c),
            dashed: false,
            markers,
        });
        k += 1;
    }
    let positive: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0, f64::max);
    let log_y = !positive.is_empty() && hi > 100.0 * lo;
    let mut footer = "fractions of the emitted power; (spectrum ...): average over the emission spectrum".to_string();
    if log_y {
        footer.push_str("; values ≤ 0 not drawn");
    }
    let who = r.emitter.as_deref().map_or(String::new(), |e| format!(" `{e}`"));
    let image = figure::render_plot(&PlotFigure {
        title: format!("{file}: LED{who} coupling efficiency"),
        x_desc: "wavelength (µm)".into(),
        y_desc: "power / emitted power".into(),
        series,
        vlines: Vec::new(),
        x_range: None,
        log_y,
        footer: Some(footer),
    })?;
    let ports: Vec<&str> = r.ports.iter().map(|p| p.0.as_str()).collect();
    Ok((
        image,
        format!(
            "LED coupling report: {}{} over {} wavelengths{}",
            if ports.is_empty() {
                "no ports".to_string()
            } else {
                format!("ports {}", ports.join(", "))
            },
            if r.extraction.is_some() { ", extraction" } else { "" },
            r.wavelengths_um.len(),
            if log_y { " (log scale)" } else { "" }
        ),
    ))
}

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}
