//! The set-up: slices of the rasterised permittivity with sources, monitors
//! and PML regions drawn over them.
//!
//! The permittivity is the one the engine runs ([`crate::Prepared`]'s
//! material grid), sampled per E component at its Yee position; the default
//! map shows, per cell, the mean of the Ex, Ey and Ez samples of that cell.
//! A 2D scene is drawn whole; a 3D scene as three central slices (xy, xz,
//! yz) or the one `--slice` names. A source, monitor or probe is drawn on a
//! slice when it meets the slab of cells the slice shows.

use std::path::Path;

use ndarray::Array2;

use super::figure::{self, ColorScale, Colormap, Heatmap, Image, MapFigure, Overlay, Panel};
use super::structure::{pml_overlays, StructureView};
use super::{fmt_num, on_plane_tolerance, PlotError, Slice, AXIS_NAMES};
use crate::grid::Component;
use crate::monitor::MonitorKind;
use crate::scene::Scene;
use crate::sim::Prepared;
use crate::source::{SourceShape, TimeProfile};

/// Overlay colours.
pub const SOURCE_COLOR: [u8; 3] = [220, 20, 30];
pub const MONITOR_COLOR: [u8; 3] = [20, 110, 255];
pub const PML_COLOR: [u8; 3] = [0, 150, 60];
const PML_ALPHA: f64 = 0.3;
/// Most dipole positions of an LED drawn as dots on one slice.
const LED_DOTS_MAX: usize = 200;

/// What `lumen plot SCENE` draws.
#[derive(Clone, Debug, Default)]
pub struct ScenePlotOptions {
    /// One slice (scene coordinates); default: the whole plane in 2D, the
    /// three central slices in 3D.
    pub slice: Option<Slice>,
    /// The permittivity at this E component's samples; default: the mean of
    /// the three per cell.
    pub component: Option<Component>,
}

/// Rasterise the scene (CPU only) and draw it.
pub fn plot_scene(scene: &Scene, opts: &ScenePlotOptions) -> Result<Image, PlotError> {
    figure::render_maps(&scene_figure(scene, &scene.prepared, opts)?)
}

/// The figure [`plot_scene`] draws, from an already prepared scene.
pub fn scene_figure(scene: &Scene, p: &Prepared, opts: &ScenePlotOptions) -> Result<MapFigure, PlotError> {
    let grid = &p.grid;
    let d = grid.dims.count();
    if let Some(c) = opts.component {
        if !c.is_electric() {
            return Err(PlotError::invalid(
                format!("--component {}", c.name()),
                "the permittivity is sampled at the E components: Ex, Ey or Ez",
            ));
        }
    }
    let size = grid.size_um();
    let slices = match (d, opts.slice) {
        (2, None) => vec![Slice::central(2)],
        (2, Some(s)) if s.axis == 2 => vec![s],
        (2, Some(s)) => {
            return Err(PlotError::invalid(
                format!("--slice {}={}", AXIS_NAMES[s.axis], s.position_um),
                "a 2D scene is drawn whole in the xy plane (only z=... is accepted)",
            ))
        }
        (_, Some(s)) => {
            let half = 0.5 * grid.physical(s.axis, size[s.axis]);
            if s.position_um.abs() > half + on_plane_tolerance(grid.dx) {
                return Err(PlotError::invalid(
                    format!("--slice {}={}", AXIS_NAMES[s.axis], s.position_um),
                    format!(
                        "the domain spans {} from {} to {} um",
                        AXIS_NAMES[s.axis],
                        fmt_num(-half),
                        fmt_num(half)
                    ),
                ));
            }
            vec![s]
        }
        (_, None) => vec![Slice::central(2), Slice::central(1), Slice::central(0)],
    };
    let view = StructureView::new(&scene.simulation.structure, d == 3, scene_wavelength_um(scene));
    let panels: Vec<Panel> = slices.iter().map(|s| slice_panel(scene, p, &view, *s, opts.component)).collect();
    // The scale spans the scene's own values (metal cells are drawn by
    // their hatch, not by their eps_inf), so that a small index step (1.50 in
    // 1.45) spans the whole grey range rather than a few levels of it.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in &panels {
        let metal = p.overlays.iter().find_map(|o| match o {
            Overlay::Cells { mask, .. } => Some(mask),
            _ => None,
        });
        for ((j, i), &v) in p.map.values.indexed_iter() {
            let covered = metal.is_some_and(|m| m.get([j, i]).copied().unwrap_or(false));
            if v.is_finite() && !covered {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if !lo.is_finite() {
        (lo, hi) = (1.0, 1.0);
    }
    // A uniform medium still gets a scale: white at its value.
    if hi - lo <= 1e-9 {
        hi = lo + 1.0;
    }
    let name = scene
        .path
        .file_name()
        .map_or_else(|| scene.path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let which = match opts.component {
        Some(c) => format!("at the {} samples", c.name()),
        None => "mean of Ex, Ey, Ez per cell".to_string(),
    };
    let shape = grid.shape();
    let cells = match d {
        2 => format!("{} x {} cells", shape[0], shape[1]),
        _ => format!("{} x {} x {} cells", shape[0], shape[1], shape[2]),
    };
    Ok(MapFigure {
        title: format!("{name}: permittivity ε ({which})"),
        panels,
        scale: ColorScale {
            map: Colormap::Greys,
            min: lo,
            max: hi,
            label: "relative permittivity ε".into(),
        },
        footer: Some({
            let mut lines = vec![
                format!(
                    "red: sources    blue: monitors, probes    green: PML    {cells} of {} µm{}",
                    fmt_num(grid.dx),
                    match (0..3).find(|&a| grid.mesh[a].is_some()) {
                        Some(a) => format!(" ({} graded: simulation.refine)", AXIS_NAMES[a]),
                        None => String::new(),
                    }
                ),
                format!(
                    "ε from {} to {} (n {} to {})    cyan: steps between media",
                    fmt_num(lo),
                    fmt_num(hi),
                    fmt_num(lo.sqrt()),
                    fmt_num(hi.sqrt())
                ),
            ];
            if let Some(l) = &scene.led {
                lines.push(format!(
                    "red box: the active region of LED `{}`, red dots: its {} dipole positions",
                    l.name,
                    l.positions_um.len()
                ));
            }
            if let Some(note) = view.metal_note() {
                lines.push(note);
            }
            lines.join("\n")
        }),
    })
}

/// The wavelength media are drawn at: the first source's centre wavelength.
pub fn scene_wavelength_um(scene: &Scene) -> Option<f64> {
    scene.simulation.sources.first().map(|s| match s.profile {
        TimeProfile::GaussianPulse { wavelength_um, .. } | TimeProfile::Continuous { wavelength_um, .. } => wavelength_um,
    })
}

/// An LED's active region as the scene file gives it (`center_um`,
/// `size_um` of its `[[sources]]` entry), in scene coordinates: (min, max).
pub fn led_region_um(scene: &Scene) -> Option<([f64; 3], [f64; 3])> {
    let led = scene.led.as_ref()?;
    let doc: toml::Table = scene.text.parse().ok()?;
    let entry = doc.get("sources")?.as_array()?.get(led.source)?;
    let vec3 = |key: &str| -> Option<[f64; 3]> {
        let a = entry.get(key)?.as_array()?;
        let mut v = [0.0; 3];
        for (k, x) in a.iter().enumerate().take(3) {
            v[k] = x.as_float().or_else(|| x.as_integer().map(|i| i as f64))?;
        }
        Some(v)
    };
    let (c, z) = (vec3("center_um")?, vec3("size_um")?);
    Some(([0, 1, 2].map(|a| c[a] - 0.5 * z[a]), [0, 1, 2].map(|a| c[a] + 0.5 * z[a])))
}

fn slice_panel(scene: &Scene, p: &Prepared, view: &StructureView, slice: Slice, comp: Option<Component>) -> Panel {
    let grid = &p.grid;
    let d = grid.dims.count();
    let n = grid.shape();
    let dx = grid.dx;
    let off = scene.origin_offset_um;
    let size = grid.size_um();
    let (u, v) = slice.plane_axes();
    let w = slice.axis;
    let yee = comp.map_or([0.0; 3], |c| c.yee_offset());
    let two_d = d == 2;

    // The layer of cells along w, and the slab (grid coordinates) its samples stand for.
    let k = if two_d {
        0
    } else {
        let g = grid.to_virtual(w, slice.position_um + off[w]);
        let k = match comp {
            None => (g / dx).floor(),
            Some(_) => (g / dx - yee[w]).round(),
        };
        k.clamp(0.0, (n[w] - 1) as f64) as usize
    };
    let (slab_lo, slab_hi) = match comp {
        None => (k as f64 * dx, (k + 1) as f64 * dx),
        Some(_) => ((k as f64 + yee[w] - 0.5) * dx, (k as f64 + yee[w] + 0.5) * dx),
    };
    let tol = on_plane_tolerance(dx);
    let meets = |lo: f64, hi: f64| two_d || (lo <= slab_hi + tol && hi >= slab_lo - tol);

    let m = &p.materials;
    let values = Array2::from_shape_fn((n[v], n[u]), |(j, i)| {
        let mut ijk = [0usize; 3];
        ijk[u] = i;
        ijk[v] = j;
        ijk[w] = k;
        let idx = grid.index(ijk[0], ijk[1], ijk[2]);
        match comp {
            Some(c) => m.eps[c.axis()][idx] as f64,
            None => (0..3).map(|a| m.eps[a][idx] as f64).sum::<f64>() / 3.0,
        }
    });
    // Scene coordinates of grid ones (the true positions on a graded axis).
    let phys = |a: usize, g: f64| grid.physical(a, g) - off[a];
    let range = |a: usize| (-off[a], phys(a, size[a]));
    let (x_range, y_range) = (range(u), range(v));
    // Cells centred on the samples (the cells themselves for the mean); the
    // outer cells reach the domain's faces so no half-cell strip is left blank.
    let edges = |a: usize, r: (f64, f64)| {
        let shift = comp.map_or(0.0, |_| yee[a] - 0.5);
        let mut e: Vec<f64> = (0..=n[a]).map(|i| phys(a, (i as f64 + shift) * dx)).collect();
        e[0] = e[0].min(r.0);
        e[n[a]] = e[n[a]].max(r.1);
        e
    };
    let map = Heatmap {
        x_edges: edges(u, x_range),
        y_edges: edges(v, y_range),
        values,
    };

    let centre_w = 0.5 * (slab_lo + slab_hi);
    let in_pml =
        !two_d && (centre_w < p.boundaries.pml_cells(w, 0) as f64 * dx || centre_w > size[w] - p.boundaries.pml_cells(w, 1) as f64 * dx);
    // Media at the drawn cells' centres: the steps between them, metals.
    let plane = Slice {
        axis: w,
        position_um: if two_d { 0.0 } else { phys(w, centre_w) },
    };
    let ids = view.media_on(plane, &map.x_edges, &map.y_edges, off, grid);
    let mut overlays = view.overlays(&ids, &map.x_edges, &map.y_edges, true);
    overlays.extend(pml_overlays(p, off, plane, (x_range, y_range), PML_COLOR, PML_ALPHA));

    let to_scene = |g: [f64; 3]| [0, 1, 2].map(|a| phys(a, g[a]));
    let led = scene.led.as_ref().map(|l| l.source);
    for (n, s) in scene.simulation.sources.iter().enumerate() {
        if Some(n) == led {
            continue; // drawn whole below
        }
        match &s.shape {
            SourceShape::Point { position_um } => {
                if meets(position_um[w], position_um[w]) {
                    let q = to_scene(*position_um);
                    overlays.push(Overlay::Marker {
                        x: q[u],
                        y: q[v],
                        color: SOURCE_COLOR,
                        label: None,
                    });
                }
            }
            SourceShape::Region { min_um, max_um } => {
                if meets(min_um[w], max_um[w]) {
                    let (a, b) = (to_scene(*min_um), to_scene(*max_um));
                    overlays.push(Overlay::Outline {
                        x: (a[u], b[u]),
                        y: (a[v], b[v]),
                        color: SOURCE_COLOR,
                        fill_alpha: 0.25,
                        label: None,
                    });
                }
            }
            SourceShape::Sheet { .. } | SourceShape::Samples { .. } | SourceShape::Mode { .. } => {
                // The extent of the sheet's points on this slice (a mode
                // source's plane is a line across a perpendicular slice).
                let points_um: Vec<[f64; 3]> = match &s.shape {
                    SourceShape::Sheet { points_um, .. } => points_um.clone(),
                    SourceShape::Samples { samples, .. } => samples.iter().map(|(c, ijk, _)| p.grid.position_um(*c, *ijk)).collect(),
                    SourceShape::Mode { region, .. } => vec![region.min_um, region.max_um],
                    _ => Vec::new(),
                };
                let on: Vec<[f64; 3]> = points_um.iter().filter(|q| meets(q[w], q[w])).map(|q| to_scene(*q)).collect();
                if let Some(first) = on.first() {
                    let (mut a, mut b) = (*first, *first);
                    for q in &on {
                        for c in 0..3 {
                            a[c] = a[c].min(q[c]);
                            b[c] = b[c].max(q[c]);
                        }
                    }
                    overlays.push(Overlay::Outline {
                        x: (a[u], b[u]),
                        y: (a[v], b[v]),
                        color: SOURCE_COLOR,
                        fill_alpha: 0.25,
                        label: None,
                    });
                }
            }
        }
    }
    // An LED: its active region (outlined, tinted) and a dot per dipole position.
    if let Some(l) = &scene.led {
        if let Some((a, b)) = led_region_um(scene) {
            if meets(grid.to_virtual(w, a[w] + off[w]), grid.to_virtual(w, b[w] + off[w])) {
                overlays.push(Overlay::Outline {
                    x: (a[u], b[u]),
                    y: (a[v], b[v]),
                    color: SOURCE_COLOR,
                    fill_alpha: 0.25,
                    label: None,
                });
            }
        }
        let on: Vec<[f64; 3]> = l.positions_um.iter().filter(|q| meets(q[w], q[w])).map(|q| to_scene(*q)).collect();
        // Dots while they stay apart; beyond that the region says enough.
        if on.len() <= LED_DOTS_MAX {
            for q in on {
                overlays.push(Overlay::Dot {
                    x: q[u],
                    y: q[v],
                    color: SOURCE_COLOR,
                });
            }
        }
    }
    for mon in &scene.simulation.monitors {
        let region = match &mon.kind {
            MonitorKind::DftFields { region, .. }
            | MonitorKind::Flux { region, .. }
            | MonitorKind::Snapshot { region, .. }
            | MonitorKind::Mode { region, .. }
            | MonitorKind::FarField { region, .. }
            | MonitorKind::Acceptance { region, .. } => region,
            MonitorKind::SourcePower { .. } => continue,
        };
        if meets(region.min_um[w], region.max_um[w]) {
            let (a, b) = (to_scene(region.min_um), to_scene(region.max_um));
            overlays.push(Overlay::Outline {
                x: (a[u], b[u]),
                y: (a[v], b[v]),
                color: MONITOR_COLOR,
                fill_alpha: 0.0,
                label: Some(mon.name.clone()),
            });
        }
    }
    // One marker per probe monitor ("NAME.Ez", "NAME.Hx" share a point).
    let mut seen: Vec<&str> = Vec::new();
    for (probe, full) in scene.simulation.probes.iter().zip(&scene.probe_names) {
        let name = full.rsplit_once('.').map_or(full.as_str(), |(n, _)| n);
        if seen.contains(&name) || !meets(probe.position_um[w], probe.position_um[w]) {
            continue;
        }
        seen.push(name);
        let q = to_scene(probe.position_um);
        overlays.push(Overlay::Marker {
            x: q[u],
            y: q[v],
            color: MONITOR_COLOR,
            label: Some(name.to_string()),
        });
    }

    let caption = if two_d {
        match grid.dims {
            crate::grid::Dimensions::Two(crate::grid::Polarization::Te) => "xy plane (2D, TE)".to_string(),
            _ => "xy plane (2D, TM)".to_string(),
        }
    } else {
        let at = match comp {
            Some(_) => phys(w, (k as f64 + yee[w]) * dx),
            None => phys(w, centre_w),
        };
        format!(
            "{} at {} = {} µm (cell {k} of {}){}",
            slice.plane_name(),
            AXIS_NAMES[w],
            fmt_num(at),
            n[w],
            if in_pml { ", in the PML" } else { "" }
        )
    };
    Panel {
        caption,
        x_desc: format!("{} (µm)", AXIS_NAMES[u]),
        y_desc: format!("{} (µm)", AXIS_NAMES[v]),
        x_range,
        y_range,
        map,
        overlays,
    }
}

/// Default image path for a scene: SCENE with the extension `.png`.
pub fn default_output(scene_path: &Path) -> std::path::PathBuf {
    scene_path.with_extension("png")
}
