//! Results: a map of a `dft_fields` monitor at one wavelength or of a
//! `snapshot` frame, or the spectrum of a `flux` or `source_power` monitor,
//! read from a result file (layout: docs/output-format.md). `far_field` and
//! `mode` monitors are drawn by [`super::far_field`] and [`super::mode`].
//!
//! A monitor on a plane is drawn whole; a 3D box is sliced (`--slice`,
//! default z = 0 where the box reaches it, else its middle layer along z);
//! a line of samples becomes a line plot.

use std::path::{Path, PathBuf};

use ndarray::{Array2, Array3};

use super::figure::{self, ColorScale, Colormap, Heatmap, Image, LineFigure, MapFigure, Overlay, Panel};
use super::led::{has_led_report, LED_REPORT, LED_REPORT_PATH};
use super::scene::PML_COLOR;
use super::structure::{pml_overlays, StructureView};
use super::{on_plane_tolerance, PlotError, Quantity, Slice, AXIS_NAMES};
use crate::grid::Component;
use crate::output::{self, FileSummary, MonitorSummary};
use crate::scene::Scene;

/// What `lumen plot RESULT.h5` draws.
#[derive(Clone, Debug, Default)]
pub struct ResultPlotOptions {
    /// The monitor; may be left out when the file has only one.
    pub monitor: Option<String>,
    /// For `dft_fields` and `far_field`: the wavelength nearest this one
    /// (default: the middle one of the monitor's list).
    pub wavelength_um: Option<f64>,
    /// For `dft_fields` and `snapshot`: one component (default: |E|^2 of
    /// the recorded E components; a snapshot has one component).
    pub component: Option<Component>,
    /// Default: `intensity` without a component, `real` with one.
    pub quantity: Option<Quantity>,
    /// For `snapshot`: frame index from 0 (default: the last).
    pub frame: Option<usize>,
    /// For box monitors in 3D: the plane to draw (scene coordinates).
    pub slice: Option<Slice>,
}

/// A drawn result and what it shows.
#[derive(Clone, Debug)]
pub struct ResultPlot {
    pub image: Image,
    pub monitor: String,
    /// One line: the monitor, the quantity and where / when.
    pub description: String,
}

/// Monitor types `lumen plot` draws.
const PLOTTABLE: [&str; 6] = ["dft_fields", "snapshot", "flux", "source_power", "far_field", "mode"];

/// Whether `--monitor NAME` asks for the LED report: "/led/report", or
/// "led" when no monitor has that name.
fn is_led_report(s: &FileSummary, name: Option<&str>) -> bool {
    match name {
        Some(LED_REPORT_PATH) => true,
        Some(LED_REPORT) => !s.monitors.iter().any(|m| m.name == LED_REPORT),
        _ => false,
    }
}

/// What `lumen plot RESULT.h5` draws without `--monitor`: every monitor
/// that can be drawn, in the file's order, then the LED report when the
/// file has one ("led", or "/led/report" when a monitor is called "led").
pub fn plot_targets(path: &Path) -> Result<Vec<String>, PlotError> {
    let s = output::read_summary(path)?;
    let mut v: Vec<String> = s
        .monitors
        .iter()
        .filter(|m| PLOTTABLE.contains(&m.kind.as_str()))
        .map(|m| m.name.clone())
        .collect();
    if has_led_report(path)? {
        v.push(if is_led_report(&s, Some(LED_REPORT)) {
            LED_REPORT.to_string()
        } else {
            LED_REPORT_PATH.to_string()
        });
    }
    v.extend(super::coupling::map_targets(path)?);
    Ok(v)
}

/// Read the monitor and draw it.
pub fn plot_result(path: &Path, opts: &ResultPlotOptions) -> Result<ResultPlot, PlotError> {
    let summary = output::read_summary(path)?;
    let name = file_name(path);
    if is_led_report(&summary, opts.monitor.as_deref()) && has_led_report(path)? {
        for (given, option) in [
            (opts.wavelength_um.is_some(), "--wavelength-um"),
            (opts.component.is_some(), "--component"),
            (opts.quantity.is_some(), "--quantity"),
            (opts.frame.is_some(), "--frame"),
            (opts.slice.is_some(), "--slice"),
        ] {
            if given {
                return Err(PlotError::invalid(
                    option,
                    "does not apply: the LED report is drawn over all its wavelengths",
                ));
            }
        }
        let (image, description) = super::led::led_report_plot(path, &name)?;
        return Ok(ResultPlot {
            image,
            monitor: "led".to_string(),
            description,
        });
    }
    if let Some(target) = opts.monitor.as_deref().filter(|m| m.starts_with(super::coupling::MAPS)) {
        for (given, option) in [
            (opts.component.is_some(), "--component"),
            (opts.quantity.is_some(), "--quantity"),
            (opts.frame.is_some(), "--frame"),
            (opts.slice.is_some(), "--slice"),
        ] {
            if given {
                return Err(PlotError::invalid(
                    option,
                    "does not apply: a coupling map is drawn as the efficiency averaged over orientations",
                ));
            }
        }
        let (image, description) = super::coupling::coupling_map_plot(path, &name, &summary, target, opts.wavelength_um)?;
        return Ok(ResultPlot {
            image,
            monitor: target.to_string(),
            description,
        });
    }
    let m = pick_monitor(path, &summary, opts.monitor.as_deref())?;
    let (image, description) = match m.kind.as_str() {
        "dft_fields" => {
            forbid(opts.frame.is_some(), "--frame", "applies to snapshot monitors", m)?;
            dft_plot(path, &name, &summary, m, opts)?
        }
        "snapshot" => {
            forbid(
                opts.wavelength_um.is_some(),
                "--wavelength-um",
                "applies to dft_fields and far_field monitors",
                m,
            )?;
            snapshot_plot(path, &name, &summary, m, opts)?
        }
        "far_field" => {
            for (given, option) in [
                (opts.component.is_some(), "--component"),
                (opts.quantity.is_some(), "--quantity"),
                (opts.frame.is_some(), "--frame"),
                (opts.slice.is_some(), "--slice"),
            ] {
                forbid(given, option, "does not apply to far-field monitors (only --wavelength-um does)", m)?;
            }
            super::far_field::far_field_plot(path, &name, &summary, m, opts.wavelength_um)?
        }
        "mode" => {
            for (given, option) in [
                (opts.wavelength_um.is_some(), "--wavelength-um"),
                (opts.component.is_some(), "--component"),
                (opts.quantity.is_some(), "--quantity"),
                (opts.frame.is_some(), "--frame"),
                (opts.slice.is_some(), "--slice"),
            ] {
                forbid(given, option, "does not apply: a mode monitor is drawn over all its wavelengths", m)?;
            }
            super::mode::mode_plot(path, &name, &summary, m)?
        }
        _ => {
            for (given, option) in [
                (opts.wavelength_um.is_some(), "--wavelength-um"),
                (opts.component.is_some(), "--component"),
                (opts.quantity.is_some(), "--quantity"),
                (opts.frame.is_some(), "--frame"),
                (opts.slice.is_some(), "--slice"),
            ] {
                forbid(given, option, "applies to dft_fields and snapshot monitors", m)?;
            }
            spectrum_plot(path, &name, m)?
        }
    };
    Ok(ResultPlot {
        image,
        monitor: m.name.clone(),
        description,
    })
}

/// Default image path: RESULT.MONITOR.png beside the result file.
pub fn default_output(result_path: &Path, monitor: &str) -> PathBuf {
    let stem = result_path
        .file_stem()
        .map_or_else(|| "result".into(), |s| s.to_string_lossy().into_owned());
    // Group paths (`coupling_maps/PORT/mode1`) name one file, not folders.
    let monitor = monitor.trim_start_matches('/').replace('/', "_");
    result_path.with_file_name(format!("{stem}.{monitor}.png"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn forbid(given: bool, option: &str, why: &str, m: &MonitorSummary) -> Result<(), PlotError> {
    if given {
        return Err(PlotError::invalid(option, format!("{why}; `{}` is a {} monitor", m.name, m.kind)));
    }
    Ok(())
}

fn listing(s: &FileSummary) -> Vec<String> {
    s.monitors.iter().map(|m| format!("{} ({})", m.name, m.kind)).collect()
}

fn pick_monitor<'s>(path: &Path, s: &'s FileSummary, name: Option<&str>) -> Result<&'s MonitorSummary, PlotError> {
    let m = match name {
        Some(name) => s
            .monitors
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| PlotError::UnknownMonitor {
                path: path.to_path_buf(),
                name: name.to_string(),
                known: listing(s),
            })?,
        None => {
            let plottable: Vec<&MonitorSummary> = s.monitors.iter().filter(|m| PLOTTABLE.contains(&m.kind.as_str())).collect();
            match plottable.as_slice() {
                [one] => *one,
                _ => {
                    return Err(PlotError::invalid(
                        "--monitor",
                        format!(
                            "name the monitor to draw; {} has: {}",
                            path.display(),
                            super::list_or_none(&listing(s))
                        ),
                    ))
                }
            }
        }
    };
    if !PLOTTABLE.contains(&m.kind.as_str()) {
        return Err(PlotError::invalid(
            format!("--monitor {}", m.name),
            format!("a {} monitor cannot be drawn (only {})", m.kind, PLOTTABLE.join(", ")),
        ));
    }
    Ok(m)
}

/// Index of the wavelength nearest `w`, which must lie within the list's
/// range (to a relative 1e-3, for values typed with few digits).
pub(super) fn wavelength_index(m: &MonitorSummary, w: Option<f64>) -> Result<usize, PlotError> {
    let wl = &m.wavelengths_um;
    if wl.is_empty() {
        return Err(PlotError::invalid(
            format!("--monitor {}", m.name),
            "the monitor records no wavelengths",
        ));
    }
    let Some(w) = w else {
        // The middle of the list: the centre of a band.
        return Ok((wl.len() - 1) / 2);
    };
    let lo = wl.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = wl.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(w.is_finite() && w >= lo * (1.0 - 1e-3) && w <= hi * (1.0 + 1e-3)) {
        return Err(PlotError::WavelengthOutOfRange {
            monitor: m.name.clone(),
            requested_um: w,
            available_um: wl.clone(),
        });
    }
    let mut best = 0;
    for (i, v) in wl.iter().enumerate() {
        if (v - w).abs() < (wl[best] - w).abs() {
            best = i;
        }
    }
    Ok(best)
}

/// A value per sample of one or more components, with the sample positions.
struct Field {
    /// [z][y][x].
    values: Array3<f64>,
    positions_um: [Vec<f64>; 3],
    /// For the colour bar, e.g. "|E|²", "Re Ez".
    label: String,
    signed: bool,
}

fn dft_plot(path: &Path, file: &str, s: &FileSummary, m: &MonitorSummary, opts: &ResultPlotOptions) -> Result<(Image, String), PlotError> {
    let index = wavelength_index(m, opts.wavelength_um)?;
    let data = output::read_dft_fields_at(path, &m.name, index)?;
    let recorded: Vec<Component> = data.components.iter().map(|c| c.component).collect();
    let names = |v: &[Component]| v.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ");
    let q = opts.quantity.unwrap_or(if opts.component.is_some() {
        Quantity::Real
    } else {
        Quantity::Intensity
    });
    let chosen: Vec<usize> = match opts.component {
        Some(c) => match recorded.iter().position(|r| *r == c) {
            Some(i) => vec![i],
            None => {
                return Err(PlotError::invalid(
                    format!("--component {}", c.name()),
                    format!("monitor `{}` records {}", m.name, names(&recorded)),
                ))
            }
        },
        None => {
            if q != Quantity::Intensity {
                return Err(PlotError::invalid(
                    format!("--quantity {}", quantity_name(q)),
                    format!(
                        "name the component with --component (monitor `{}` records {})",
                        m.name,
                        names(&recorded)
                    ),
                ));
            }
            let e: Vec<usize> = (0..recorded.len()).filter(|&i| recorded[i].is_electric()).collect();
            if e.is_empty() {
                return Err(PlotError::invalid(
                    "--quantity intensity",
                    format!(
                        "monitor `{}` records no E component ({}); name one with --component",
                        m.name,
                        names(&recorded)
                    ),
                ));
            }
            e
        }
    };
    let first = &data.components[chosen[0]];
    let shape = first.data.shape();
    let mut values = Array3::<f64>::zeros((shape[1], shape[2], shape[3]));
    for &i in &chosen {
        let c = &data.components[i].data;
        for ((z, y, x), v) in values.indexed_iter_mut() {
            let f = c[[0, z, y, x]];
            let (re, im) = (f.re as f64, f.im as f64);
            *v += match q {
                Quantity::Intensity => re * re + im * im,
                Quantity::Abs => re.hypot(im),
                Quantity::Real => re,
                Quantity::Imag => im,
            };
        }
    }
    let comp_label = match opts.component {
        Some(c) => c.name().to_string(),
        None => "E".to_string(),
    };
    let field = Field {
        values,
        positions_um: first.positions_um.clone(),
        label: quantity_label(q, &comp_label),
        signed: matches!(q, Quantity::Real | Quantity::Imag),
    };
    let wl = data.wavelengths_um[0];
    let what = format!("λ = {} µm", super::fmt_num(wl));
    let mut notes = vec![match m.wavelengths_um.len() {
        1 => "the monitor's only wavelength".to_string(),
        n => format!(
            "wavelength {} of {n} ({} to {} µm)",
            index + 1,
            super::fmt_num(m.wavelengths_um.iter().copied().fold(f64::INFINITY, f64::min)),
            super::fmt_num(m.wavelengths_um.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        ),
    }];
    if chosen.len() > 1 {
        notes.push(format!(
            "sum over {} (Yee samples half a cell apart)",
            names(&chosen.iter().map(|&i| recorded[i]).collect::<Vec<_>>())
        ));
    }
    notes.push("DFT fields, units with c = ε0 = μ0 = 1".into());
    let title = format!("{file}: `{}` {} at {what}", m.name, field.label);
    let image = draw_field(field, s, &m.name, &title, &notes.join("    "), opts.slice, Some(wl))?;
    Ok((image, format!("monitor `{}`: {} at wavelength {wl} um", m.name, quantity_name(q))))
}

fn snapshot_plot(
    path: &Path,
    file: &str,
    s: &FileSummary,
    m: &MonitorSummary,
    opts: &ResultPlotOptions,
) -> Result<(Image, String), PlotError> {
    let frames = m
        .datasets
        .iter()
        .find(|d| d.name == "frames")
        .and_then(|d| d.shape.first().copied())
        .unwrap_or(0) as usize;
    if frames == 0 {
        return Err(PlotError::invalid(
            format!("--monitor {}", m.name),
            "the snapshot monitor holds no frames",
        ));
    }
    let frame = opts.frame.unwrap_or(frames - 1);
    if frame >= frames {
        return Err(PlotError::FrameOutOfRange {
            monitor: m.name.clone(),
            frame,
            frames,
        });
    }
    let data = output::read_snapshot_frame(path, &m.name, frame)?;
    if let Some(c) = opts.component {
        if c != data.component {
            return Err(PlotError::invalid(
                format!("--component {}", c.name()),
                format!("snapshot monitor `{}` records {}", m.name, data.component.name()),
            ));
        }
    }
    let q = opts.quantity.unwrap_or(Quantity::Real);
    if q == Quantity::Imag {
        return Err(PlotError::invalid("--quantity imag", "snapshot fields are real"));
    }
    let f = data.frames.index_axis(ndarray::Axis(0), 0);
    let values = f.mapv(|v| {
        let v = v as f64;
        match q {
            Quantity::Intensity => v * v,
            Quantity::Abs => v.abs(),
            _ => v,
        }
    });
    // Snapshot values are real: the value itself is labelled by the component.
    let label = match q {
        Quantity::Real => data.component.name().to_string(),
        _ => quantity_label(q, data.component.name()),
    };
    let t = data.times_fs[0];
    let title = format!("{file}: `{}` {label} at t = {} fs", m.name, super::fmt_num(t));
    let notes = format!("frame {frame} (frames 0 to {})    fields in units with c = ε0 = μ0 = 1", frames - 1);
    let field = Field {
        values,
        positions_um: data.positions_um,
        label,
        signed: q == Quantity::Real,
    };
    let image = draw_field(field, s, &m.name, &title, &notes, opts.slice, None)?;
    Ok((
        image,
        format!(
            "monitor `{}`: {} at t = {} fs (frame {frame})",
            m.name,
            quantity_name(q),
            super::fmt_num(t)
        ),
    ))
}

fn quantity_name(q: Quantity) -> &'static str {
    Quantity::NAMES[q as usize]
}

fn quantity_label(q: Quantity, c: &str) -> String {
    match q {
        Quantity::Intensity => format!("|{c}|²"),
        Quantity::Abs => format!("|{c}|"),
        Quantity::Real => format!("Re {c}"),
        Quantity::Imag => format!("Im {c}"),
    }
}

/// Draw a field on its samples: a map for a plane (or a slice of a box), a
/// line plot for a line of samples.
/// The scene a result file was run from, rebuilt from its stored text
/// (`scene` attribute) on the CPU; an error says why it cannot be.
pub fn stored_scene(s: &FileSummary) -> Result<Scene, String> {
    let scene = crate::scene::parse(&s.scene, &s.scene_path, &[], false).map_err(|e| {
        let first = e.to_string();
        format!("the stored scene does not load ({})", first.lines().next().unwrap_or(""))
    })?;
    let g = &scene.prepared.grid;
    let shape = g.shape();
    let same = (0..3).all(|a| shape[a] as u64 == s.grid_shape[a]) && (g.dx - s.cell_size_um).abs() <= 1e-9 * s.cell_size_um;
    if !same {
        return Err(format!(
            "the stored scene gives a grid of {:?} cells of {} µm, the file {:?} of {} µm",
            shape,
            super::fmt_num(g.dx),
            s.grid_shape,
            super::fmt_num(s.cell_size_um)
        ));
    }
    Ok(scene)
}

/// The structure's outline, metals and PML over a field map on `plane`,
/// with the footer lines that explain them; a line saying why not when the
/// stored scene cannot be rebuilt.
fn structure_overlays(
    s: &FileSummary,
    plane: Slice,
    map: &Heatmap,
    ranges: ((f64, f64), (f64, f64)),
    wavelength_um: Option<f64>,
) -> (Vec<Overlay>, Vec<String>) {
    let scene = match stored_scene(s) {
        Ok(scene) => scene,
        Err(why) => return (Vec::new(), vec![format!("structure and PML not drawn: {why}")]),
    };
    let p = &scene.prepared;
    let two_d = s.dimensions == 2;
    let wl = wavelength_um.or_else(|| super::scene::scene_wavelength_um(&scene));
    let view = StructureView::new(&scene.simulation.structure, !two_d, wl);
    let off = s.origin_offset_um;
    let ids = view.media_on(plane, &map.x_edges, &map.y_edges, off, &p.grid);
    let mut overlays = view.overlays(&ids, &map.x_edges, &map.y_edges, false);
    let pml = pml_overlays(p, off, plane, ranges, PML_COLOR, PML_ALPHA);
    let mut line = "cyan: steps between media (the stored scene, unsmoothed)".to_string();
    if !pml.is_empty() {
        line.push_str("    green: PML");
    }
    overlays.extend(pml);
    let mut lines = vec![line];
    lines.extend(view.metal_note());
    (overlays, lines)
}

/// PML shading over field maps: lighter than over the permittivity, so
/// that the field stays readable under it.
const PML_ALPHA: f64 = 0.25;

fn draw_field(
    f: Field,
    s: &FileSummary,
    monitor: &str,
    title: &str,
    footer: &str,
    slice: Option<Slice>,
    wavelength_um: Option<f64>,
) -> Result<Image, PlotError> {
    let dims = s.dimensions as usize;
    let dx = s.cell_size_um;
    let n = [f.values.shape()[2], f.values.shape()[1], f.values.shape()[0]];
    let extended: Vec<usize> = (0..dims.min(3)).filter(|&a| n[a] > 1).collect();
    let span = |a: usize| {
        let p = &f.positions_um[a];
        format!(
            "{} from {} to {} um",
            AXIS_NAMES[a],
            super::fmt_num(p[0]),
            super::fmt_num(p[p.len() - 1])
        )
    };
    if slice.is_some() && extended.len() < 3 {
        let Some(s) = slice else { unreachable!() };
        return Err(PlotError::invalid(
            format!("--slice {}={}", AXIS_NAMES[s.axis], s.position_um),
            format!("monitor `{monitor}` is not a 3D box; it is drawn whole"),
        ));
    }
    // The plane: (normal axis, its sample index) and the two drawn axes.
    let (normal, k) = match extended.len() {
        0 => {
            return Err(PlotError::invalid(
                format!("--monitor {monitor}"),
                "the monitor is a single sample: nothing to draw (read it with h5py or `lumen info`)",
            ))
        }
        1 => {
            let a = extended[0];
            let at = |b: usize| f.positions_um[b].first().copied().unwrap_or(0.0);
            let points: Vec<(f64, f64)> = f.positions_um[a]
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let mut ijk = [0usize; 3];
                    ijk[a] = i;
                    (x, f.values[[ijk[2], ijk[1], ijk[0]]])
                })
                .collect();
            let fixed: Vec<String> = (0..dims)
                .filter(|&b| b != a)
                .map(|b| format!("{} = {} µm", AXIS_NAMES[b], super::fmt_num(at(b))))
                .collect();
            return figure::render_line(&LineFigure {
                title: format!("{title} ({})", fixed.join(", ")),
                x_desc: format!("{} (µm)", AXIS_NAMES[a]),
                y_desc: f.label.clone(),
                points,
            });
        }
        2 => {
            let normal = (0..3).find(|a| !extended.contains(a)).unwrap_or(2);
            (normal, 0)
        }
        _ => {
            // Default: z = 0 (the scene's centre, as in the scene plot) when the
            // box reaches it, else the box's middle layer.
            let z = &f.positions_um[2];
            let middle = if z[0] <= 0.0 && z[z.len() - 1] >= 0.0 {
                0.0
            } else {
                z[(n[2] - 1) / 2]
            };
            let s = slice.unwrap_or(Slice {
                axis: 2,
                position_um: middle,
            });
            let p = &f.positions_um[s.axis];
            let (lo, hi) = (p[0], p[p.len() - 1]);
            let half = 0.5 * dx + on_plane_tolerance(dx);
            if s.position_um < lo - half || s.position_um > hi + half {
                return Err(PlotError::invalid(
                    format!("--slice {}={}", AXIS_NAMES[s.axis], s.position_um),
                    format!("monitor `{monitor}` spans {}", span(s.axis)),
                ));
            }
            let mut k = 0;
            for (i, x) in p.iter().enumerate() {
                if (x - s.position_um).abs() < (p[k] - s.position_um).abs() {
                    k = i;
                }
            }
            (s.axis, k)
        }
    };
    let plane = Slice {
        axis: normal,
        position_um: f.positions_um[normal].get(k).copied().unwrap_or(0.0),
    };
    let (u, v) = plane.plane_axes();
    let values = Array2::from_shape_fn((n[v], n[u]), |(j, i)| {
        let mut ijk = [0usize; 3];
        ijk[u] = i;
        ijk[v] = j;
        ijk[normal] = k;
        f.values[[ijk[2], ijk[1], ijk[0]]]
    });
    let map = Heatmap::from_centres(&f.positions_um[u], &f.positions_um[v], dx, values);
    let range = |e: &[f64]| (e[0], e[e.len() - 1]);
    let (x_range, y_range) = (range(&map.x_edges), range(&map.y_edges));
    let finite = || map.values.iter().copied().filter(|v| v.is_finite());
    let scale = if f.signed {
        let m = finite().fold(0.0, |a: f64, v| a.max(v.abs()));
        let m = if m > 0.0 { m } else { 1.0 };
        ColorScale {
            map: Colormap::RedBlue,
            min: -m,
            max: m,
            label: f.label.clone(),
        }
    } else {
        let m = finite().fold(0.0, f64::max);
        ColorScale {
            map: Colormap::Inferno,
            min: 0.0,
            max: if m > 0.0 { m } else { 1.0 },
            label: f.label.clone(),
        }
    };
    let (overlays, notes) = structure_overlays(s, plane, &map, (x_range, y_range), wavelength_um);
    let footer = std::iter::once(footer.to_string()).chain(notes).collect::<Vec<_>>().join("\n");
    let caption = if dims == 2 {
        "xy plane (2D)".to_string()
    } else {
        format!(
            "{} plane at {} = {} µm",
            plane.plane_name(),
            AXIS_NAMES[normal],
            super::fmt_num(plane.position_um)
        )
    };
    figure::render_maps(&MapFigure {
        title: title.to_string(),
        panels: vec![Panel {
            caption,
            x_desc: format!("{} (µm)", AXIS_NAMES[u]),
            y_desc: format!("{} (µm)", AXIS_NAMES[v]),
            x_range,
            y_range,
            map,
            overlays,
        }],
        scale,
        footer: Some(footer),
    })
}

fn spectrum_plot(path: &Path, file: &str, m: &MonitorSummary) -> Result<(Image, String), PlotError> {
    let (dataset, y_desc, what) = match m.kind.as_str() {
        "flux" if m.normalized => ("ratio", "flux / incident flux", "normalised flux"),
        "flux" => ("flux", "flux (c = ε0 = μ0 = 1)", "flux"),
        _ => ("power_per_unit_source", "power / |source spectrum|²", "source power"),
    };
    let (wl, y) = output::read_spectrum(path, &m.name, dataset)?;
    let mut points: Vec<(f64, f64)> = wl.into_iter().zip(y).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let image = figure::render_line(&LineFigure {
        title: format!("{file}: {what} `{}`", m.name),
        x_desc: "wavelength (µm)".into(),
        y_desc: y_desc.into(),
        points,
    })?;
    Ok((image, format!("monitor `{}`: {what} spectrum ({dataset})", m.name)))
}
