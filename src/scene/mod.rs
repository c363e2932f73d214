//! Scene files: a simulation described in TOML (format: docs/scene-format.md).
//!
//! What the user wrote ([`schema`], serde structs that mirror the file) is
//! kept apart from what the engine runs ([`crate::Simulation`]); [`build`] is
//! the one conversion between them and the place where units, ranges and
//! names are checked.
//!
//! # Conventions
//! - Lengths and wavelengths in um, times in fs, conductivity in S/m.
//! - Scene coordinates are centred on the domain (as in MEEP and Tidy3D); the
//!   engine's grid coordinates run over [0, L]: grid = scene + `origin_offset_um`.
//! - Every error names the file, the line, the key path (`sources.0.wavelength_um`),
//!   what was expected and what was found. Lines refer to the resolved text
//!   ([`Scene::text`]), which is the file itself unless a `--set` added a key.
//! - [`parse`] ends with [`crate::Simulation::prepare`], so a scene that parses
//!   also rasterises; this costs one extra rasterisation of the structure.
//!
//! - `[[geometry]]` entries become objects of the structure in file order
//!   (a stack, a group or a GDSII layer may give several); their conversion is in
//!   `scene/geometry.rs`, the reading and flattening of layouts in `scene/gds.rs`.
//!
//! # Not supported yet
//! Dispersive materials, mode sources and monitors, several geometry files
//! or includes.

mod error;
mod gds;
mod geometry;
mod overrides;
mod schema;
mod trust;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use crate::boundary::{Boundaries, Boundary, Pml};
use crate::grid::{Component, Dimensions, Grid, Polarization};
use crate::material::{Medium, Structure};
use crate::monitor::{Monitor, MonitorKind, Probe, Region};
use crate::sim::Simulation;
use crate::source::{Source, SourceShape, TimeProfile};
use crate::units;

use error::Doc;
pub use error::{SceneError, Warning};
use schema::*;
pub use trust::{PML_MARGIN_CELLS, SPECTRUM_FLOOR, WAVELENGTH_FACTOR};

/// Default PML thickness (um) where a face is "pml" without a thickness.
pub const DEFAULT_PML_UM: f64 = 1.0;
/// Default number of wavelengths of a `wavelength_range_um`.
pub const DEFAULT_POINTS: usize = 50;
/// Default decay check interval, in periods of the longest source wavelength.
pub const DEFAULT_CHECK_PERIODS: f64 = 10.0;
/// Default `max_fs` of a decay stop: the sources' end plus this many
/// crossings of the domain diagonal at the highest refractive index.
pub const DEFAULT_MAX_CROSSINGS: f64 = 200.0;
/// Default `edge_taper` of an open far-field plane (see monitor::farfield::OpenPlane).
pub const DEFAULT_EDGE_TAPER: f64 = 0.0;

/// A scene file, read and converted to the engine's types.
#[derive(Clone, Debug)]
pub struct Scene {
    pub path: PathBuf,
    /// The resolved scene text (after --set overrides), stored verbatim in result files.
    pub text: String,
    /// Grid, boundaries, structure, sources, probes and monitors, in grid
    /// coordinates (domain [0, L]).
    pub simulation: Simulation,
    /// `simulation` rasterised (materials, sources, port modes), done once
    /// when the scene is read and shared by check, run, plot and modes.
    /// Change `simulation` and this is stale: prepare again.
    pub prepared: std::sync::Arc<crate::sim::Prepared>,
    pub stop: StopCondition,
    /// `[run] output`, relative to the scene file's directory (default: the
    /// file's stem + ".h5"); None only for a scene without a file name.
    pub output: Option<PathBuf>,
    /// Per flux monitor name: how to normalise it with a reference run.
    pub flux_normalization: BTreeMap<String, FluxNormalization>,
    /// scene = grid - origin_offset_um, with origin_offset_um = L/2 per axis (0 for z in 2D).
    pub origin_offset_um: [f64; 3],
    /// Names of the probes, in `simulation.probes` order ("NAME.Ez").
    pub probe_names: Vec<String>,
    /// The incoherent emitter, when the scene's source is an LED: its runs
    /// move `simulation.sources[led.source]` (see [`crate::led`]).
    pub led: Option<crate::led::Led>,
    /// Coupling maps asked for on ports (run by reciprocity after the run).
    pub coupling_maps: Vec<crate::reciprocity::CouplingMap>,
    /// Dubious set-ups found when the scene was read (docs/scene-format.md,
    /// "Checks of meaning"); `--strict` makes them errors.
    pub warnings: Vec<Warning>,
}

impl Scene {
    /// Warnings that apply when this scene is normalised by a reference run
    /// (`run --reference`): a point source's "flux / incident flux" is no
    /// transmission.
    pub fn reference_warnings(&self) -> Vec<Warning> {
        trust::reference_warnings(self)
    }
}

/// How a flux monitor is normalised with a reference run (same scene, no
/// geometry): its value is divided by the reference run's flux through
/// `incident_monitor`; with `subtract_incident`, its flux is first computed
/// from the fields minus the reference run's fields on the same monitor
/// (the scattered or reflected part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FluxNormalization {
    /// A flux monitor with the same wavelengths (default: the monitor itself).
    pub incident_monitor: String,
    pub subtract_incident: bool,
}

/// When a run stops.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StopCondition {
    /// Run a fixed simulated time (internal units, um/c; the file gives femtoseconds `until_fs`).
    Time { time: f64 },
    /// MEEP's stop-when-fields-decayed: after all pulsed sources have ended,
    /// every `check_interval` (internal time) look at |component|^2 at
    /// `position_um` (grid coords); stop when its max over the last interval
    /// is below `decay_by` times the max ever seen, or at `max_time`.
    Decay {
        component: Component,
        position_um: [f64; 3],
        decay_by: f64,
        check_interval: f64,
        max_time: f64,
    },
}

/// Read and convert a scene file. `overrides` are `key.path=value` strings
/// (`--set`); `empty` drops all geometry (background only), for the
/// reference run of a normalisation.
pub fn load(path: &Path, overrides: &[String], empty: bool) -> Result<Scene, SceneError> {
    let text = std::fs::read_to_string(path).map_err(|source| SceneError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, &path.display().to_string(), overrides, empty)
}

/// Convert scene text; `file` names it in messages and locates `[run] output`.
pub fn parse(text: &str, file: &str, overrides: &[String], empty: bool) -> Result<Scene, SceneError> {
    // Syntax errors are reported against the text as written.
    DeTable::parse(text).map_err(|e| error::syntax(file, text, &e))?;
    let (resolved, sets) = overrides::apply(file, text, overrides)?;
    let scene = {
        let root = DeTable::parse(&resolved).map_err(|e| error::syntax(file, &resolved, &e))?;
        build(
            &Doc {
                file,
                text: &resolved,
                root,
                sets: &sets,
            },
            Path::new(file),
            empty,
        )?
    };
    Ok(Scene { text: resolved, ..scene })
}

/// Read the `type`-tagged entries of the array `key` one by one, each with
/// spans intact, so an error inside an entry keeps its line and key.
fn tagged<K: DeserializeOwned, T>(
    doc: &Doc,
    key: &str,
    read: impl Fn(K, ValueDeserializer) -> Result<T, toml::de::Error>,
) -> Result<Vec<T>, SceneError> {
    let Some(DeValue::Array(items)) = value_at(doc, key) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(table) = item.get_ref().as_table() else {
            return Err(doc.invalid(format!("{key}.{i}"), "a table", error::a(item.get_ref().type_str())));
        };
        let kind = match table.get("type") {
            Some(ty) if ty.get_ref().is_str() => K::deserialize(ValueDeserializer::from(ty.clone())).map_err(|e| doc.toml(e))?,
            other => {
                // Let serde list the known types by asking it for an empty one.
                let probe = Spanned::new(item.span(), DeValue::String("".into()));
                let expected = match K::deserialize(ValueDeserializer::from(probe)) {
                    Err(e) => error::split_message(e.message()).0,
                    Ok(_) => "a type name".to_string(),
                };
                let found = other.map_or("no `type` key".to_string(), |v| error::a(v.get_ref().type_str()));
                return Err(doc.invalid(format!("{key}.{i}.type"), expected, found));
            }
        };
        out.push(read(kind, ValueDeserializer::from(item.clone())).map_err(|e| doc.toml(e))?);
    }
    Ok(out)
}

/// The value at a dotted key path (`geometry.2.shapes`), array entries by index.
fn value_at<'d>(doc: &'d Doc, path: &str) -> Option<&'d DeValue<'d>> {
    let mut cur: Option<&DeValue> = None;
    for seg in path.split('.') {
        cur = Some(match cur {
            None => doc.root.get_ref().get(seg)?.get_ref(),
            Some(DeValue::Table(t)) => t.get(seg)?.get_ref(),
            Some(DeValue::Array(a)) => a.get(seg.parse::<usize>().ok()?)?.get_ref(),
            Some(_) => return None,
        });
    }
    cur
}

fn fmt_nums(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(f64::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// The conversion context: the document (for errors) and the grid.
struct Build<'a> {
    doc: &'a Doc<'a>,
    grid: Grid,
    d: usize,
    offset: [f64; 3],
    symmetry: crate::symmetry::Symmetry,
}

fn build(doc: &Doc, path: &Path, empty: bool) -> Result<Scene, SceneError> {
    let spec = SceneFile::deserialize(toml::de::Deserializer::from(doc.root.clone())).map_err(|e| doc.toml(e))?;
    let geometry = tagged(doc, "geometry", GeometrySpec::read)?;
    let monitor_specs = tagged(doc, "monitors", MonitorSpec::read)?;

    let mut b = Build::new(doc, &spec.simulation, &spec.symmetry)?;
    let media = b.materials(&spec.materials)?;
    let boundaries = b.boundaries(&spec.boundaries, spec.simulation.resolution)?;
    b.refine(&spec.simulation.refine, &boundaries)?;
    let background_name = spec.simulation.background.as_deref().unwrap_or("vacuum");
    let background = b.medium("simulation.background", background_name, &media)?;
    let mut structure = Structure::new(background.clone()).with_smoothing(spec.simulation.subpixel_smoothing.unwrap_or(true));
    let mut n_max = background.eps.sqrt();
    // The `[[geometry]]` entry of each object of the structure.
    let mut object_entry = Vec::new();
    for (i, g) in geometry.iter().enumerate() {
        let objects = b
            .geometry(i, g, &media)?
            .into_iter()
            .map(|o| b.on_grid(i, o))
            .collect::<Result<Vec<_>, _>>()?;
        n_max = objects.iter().fold(n_max, |n, o| n.max(o.medium.eps.sqrt()));
        if !empty {
            object_entry.extend(std::iter::repeat_n(i, objects.len()));
            structure.objects.extend(objects);
        }
    }
    let mut simulation = Simulation::new(b.grid.clone(), boundaries, structure);
    simulation.symmetry = b.symmetry;
    let mut source_names = Vec::new();
    let mut led = None;
    for (i, s) in spec.sources.iter().enumerate() {
        if let Some(name) = &s.name {
            if source_names.contains(&Some(name.as_str())) {
                return Err(doc.invalid(
                    format!("sources.{i}.name"),
                    "a name not used by another source",
                    format!("`{name}`"),
                ));
            }
        }
        source_names.push(s.name.as_deref());
        let mut source = b.source(i, s)?;
        if s.kind == SourceType::Led {
            if spec.sources.len() > 1 {
                return Err(doc.invalid(
                    format!("sources.{i}.type"),
                    "an LED as the only source (other sources would be coherent with each of its dipoles)",
                    format!("{} sources", spec.sources.len()),
                ));
            }
            let l = b.led(i, s, &mut source)?;
            let wl = b.spectrum(&format!("sources.{i}"), s.spectrum())?;
            led = Some((l, wl));
        }
        simulation.sources.push(source);
    }
    // Dispersive library models hold only inside their fitted range.
    for (name, m) in &spec.materials {
        let (Some(lib), None) = (m.library.as_deref(), m.at_wavelength_um) else {
            continue;
        };
        let Some(material) = crate::library::lookup(lib) else { continue };
        for (i, src) in simulation.sources.iter().enumerate() {
            let (TimeProfile::GaussianPulse { wavelength_um, .. } | TimeProfile::Continuous { wavelength_um, .. }) = src.profile;
            if material.check_wavelength(wavelength_um, name).is_err() {
                let (lo, hi) = material.range_um;
                return Err(doc.invalid(
                    format!("sources.{i}.wavelength_um"),
                    format!(
                        "a wavelength inside {lo}-{hi} um, where material `{name}` ({}, {}) is valid",
                        material.name, material.source
                    ),
                    format!("{wavelength_um}"),
                ));
            }
        }
    }
    let m = b.monitors(&monitor_specs, &source_names)?;
    if let (Some(map), true) = (m.coupling_maps.first(), b.grid.is_graded()) {
        let k = monitor_specs.iter().position(|s| s.name() == map.port).unwrap_or(0);
        return Err(doc.invalid(
            format!("monitors.{k}.coupling_map"),
            "no coupling map with simulation.refine (reciprocity maps on a graded mesh are not supported yet)",
            format!("a map of port `{}`", map.port),
        ));
    }
    simulation.probes = m.probes;
    simulation.monitors = m.monitors;
    let led = match led {
        Some((l, wavelengths_um)) => {
            let i = l.source;
            for mon in &simulation.monitors {
                let k = monitor_specs.iter().position(|s| s.name() == mon.name).unwrap_or(0);
                if mon.name == l.power_monitor {
                    return Err(doc.invalid(
                        format!("monitors.{k}.name"),
                        "a name the LED does not use",
                        format!("`{}`", mon.name),
                    ));
                }
                let region = match &mon.kind {
                    MonitorKind::DftFields { .. } | MonitorKind::Snapshot { .. } => {
                        return Err(doc.invalid(
                            format!("monitors.{k}.type"),
                            "flux, mode, far_field or source_power monitors in an LED scene (field monitors record one dipole's coherent fields)",
                            format!("`{}`", mon.name),
                        ))
                    }
                    MonitorKind::Flux { region, .. }
                    | MonitorKind::Mode { region, .. }
                    | MonitorKind::FarField { region, .. }
                    | MonitorKind::Acceptance { region, .. } => region,
                    MonitorKind::SourcePower { .. } => continue,
                };
                for &(a, c) in &l.mirrors {
                    let mid = 0.5 * (region.min_um[a] + region.max_um[a]);
                    if (mid - c).abs() > 0.5 * b.grid.dx {
                        return Err(doc.invalid(
                            format!("sources.{i}.symmetry"),
                            format!(
                                "mirror planes every monitor is symmetric about: monitor `{}` is centred {:.3} um off the plane {} = {:.3}",
                                mon.name,
                                mid - c,
                                ["x", "y", "z"][a],
                                c - b.offset[a]
                            ),
                            format!("{:?}", ["x", "y", "z"][a]),
                        ));
                    }
                }
            }
            simulation.monitors.push(Monitor::new(
                l.power_monitor.clone(),
                MonitorKind::SourcePower { source: i, wavelengths_um },
            ));
            Some(l)
        }
        None => None,
    };
    let stop = b.stop(&spec.run, &simulation.sources, m.first_centre, n_max)?;

    let output = match spec.run.output.as_deref() {
        Some(o) if o.trim().is_empty() => return Err(doc.invalid("run.output", "a file name such as \"result.h5\"", "\"\"")),
        Some(o) => Some(PathBuf::from(o)),
        None => path.file_stem().map(|s| PathBuf::from(format!("{}.h5", s.to_string_lossy()))),
    };
    let output = output.map(|o| path.parent().unwrap_or(Path::new("")).join(o));

    let prepared = simulation.prepare().map_err(|e| {
        let names = EngineNames {
            probe_monitor: &m.probe_monitor,
            monitors: &monitor_specs,
            object_entry: &object_entry,
            objects: &simulation.structure.objects,
            media: &media,
        };
        let (key, e) = names.user_terms(e);
        doc.engine(key.as_deref(), e)
    })?;
    let mut warnings = Vec::new();
    trust::Ctx {
        b: &b,
        sim: &simulation,
        monitor_specs: &monitor_specs,
        source_specs: &spec.sources,
        probe_monitor: &m.probe_monitor,
        led: led.as_ref(),
        object_entry: &object_entry,
    }
    .check(&prepared, &mut warnings)?;
    Ok(Scene {
        path: path.to_path_buf(),
        text: String::new(),
        prepared: std::sync::Arc::new(prepared),
        simulation,
        stop,
        output,
        flux_normalization: m.flux_normalization,
        origin_offset_um: b.offset,
        probe_names: m.probe_names,
        led,
        coupling_maps: m.coupling_maps,
        warnings,
    })
}

/// What the engine's names (`objects[2]`, `probes[0]`, ...) stand for in the
/// scene file.
struct EngineNames<'a> {
    probe_monitor: &'a [usize],
    monitors: &'a [MonitorSpec],
    /// Per object of the structure, its `[[geometry]]` entry.
    object_entry: &'a [usize],
    objects: &'a [crate::material::Object],
    /// The scene's materials by name.
    media: &'a BTreeMap<String, Medium>,
}

impl EngineNames<'_> {
    /// An engine error in the user's terms: the key (for the line) and the
    /// error with its parameter named as the scene file names it:
    /// `objects[2].poles[0]` becomes `materials.silver.poles.0 (geometry.4)`
    /// for a material's property, `objects[2].radius` `geometry.4.radius`,
    /// `sources[1]` `sources.1`.
    fn user_terms(&self, e: crate::Error) -> (Option<String>, crate::Error) {
        let key = engine_key(&e, self.probe_monitor, self.monitors, self.object_entry);
        let rename = |name: &str| -> Option<(Option<String>, String)> {
            let dotted = |s: &str| s.replace('[', ".").replace(']', "").replace('/', ".");
            let (i, rest) = name
                .strip_prefix("objects[")
                .or_else(|| name.strip_prefix("blocks["))?
                .split_once(']')?;
            let i: usize = i.parse().ok()?;
            let g = *self.object_entry.get(i)?;
            let material_property = [".poles", ".eps", ".sigma"].iter().any(|p| rest.starts_with(p));
            let material = self.objects.get(i).and_then(|o| {
                self.media
                    .iter()
                    .find(|(n, m)| **m == o.medium && !matches!(n.as_str(), "air" | "vacuum"))
            });
            Some(match (material_property, material) {
                (true, Some((n, _))) => (
                    Some(format!("materials.{n}")),
                    format!("materials.{n}{} (geometry.{g})", dotted(rest)),
                ),
                _ => (Some(format!("geometry.{g}")), format!("geometry.{g}{}", dotted(rest))),
            })
        };
        let renamed = |name: &str| -> Option<(Option<String>, String)> {
            if let Some(r) = rename(name) {
                return Some(r);
            }
            let (i, rest) = name.strip_prefix("sources[")?.split_once(']')?;
            Some((
                None,
                format!("sources.{i}{}", rest.replace('[', ".").replace(']', "").replace('/', ".")),
            ))
        };
        match e {
            crate::Error::InvalidParameter { name, found, reason } => match renamed(&name) {
                // The engine's regions are corner to corner from the domain's
                // lower corner; the file gives a centre and a size.
                Some((k, name)) if name.ends_with(".min_um.max_um") => (
                    k.or(key),
                    crate::Error::InvalidParameter {
                        name: name.replace(".min_um.max_um", ".center_um/size_um"),
                        found: format!("the region from {found} um (from the domain's lower corner)"),
                        reason,
                    },
                ),
                Some((k, name)) => (k.or(key), crate::Error::InvalidParameter { name, found, reason }),
                None => (key, crate::Error::InvalidParameter { name, found, reason }),
            },
            crate::Error::OutsideDomain {
                what,
                position_um,
                size_um,
            } => match renamed(&what) {
                Some((k, what)) => (
                    k.or(key),
                    crate::Error::OutsideDomain {
                        what,
                        position_um,
                        size_um,
                    },
                ),
                None => (
                    key,
                    crate::Error::OutsideDomain {
                        what,
                        position_um,
                        size_um,
                    },
                ),
            },
            e => (key, e),
        }
    }
}

/// The scene key an engine error is about, from the names the engine uses.
fn engine_key(e: &crate::Error, probe_monitor: &[usize], monitors: &[MonitorSpec], object_entry: &[usize]) -> Option<String> {
    let name = match e {
        crate::Error::InvalidParameter { name, .. } => name.as_str(),
        crate::Error::OutsideDomain { what, .. } => what.as_str(),
        crate::Error::PmlTooThick { .. } => return Some("boundaries".into()),
        crate::Error::CourantTooLarge { .. } => return Some("simulation.courant".into()),
        _ => return None,
    };
    if name == "grid cells" {
        return Some("simulation.size_um".into());
    }
    let index = |prefix: &str| name.strip_prefix(prefix)?.split(']').next()?.parse::<usize>().ok();
    if let Some(i) = index("sources[") {
        return Some(format!("sources.{i}"));
    }
    if let Some(i) = index("probes[") {
        return probe_monitor.get(i).map(|m| format!("monitors.{m}"));
    }
    if let Some(i) = index("objects[").or_else(|| index("blocks[")) {
        return object_entry.get(i).map(|g| format!("geometry.{g}"));
    }
    if let Some(rest) = name.strip_prefix("monitors.").or_else(|| name.strip_prefix("monitor `")) {
        let i = monitors
            .iter()
            .position(|m| rest == m.name() || rest.starts_with(&format!("{}.", m.name())) || rest.starts_with(&format!("{}`", m.name())));
        return i.map(|i| format!("monitors.{i}"));
    }
    if name.starts_with("boundaries") {
        return Some("boundaries".into());
    }
    name.starts_with("background").then(|| "simulation.background".into())
}

/// Monitors converted: probes (one per component), DFT-based monitors and
/// the flux normalisation table.
struct Monitors {
    probes: Vec<Probe>,
    probe_names: Vec<String>,
    /// Per probe, the index of its `[[monitors]]` entry.
    probe_monitor: Vec<usize>,
    monitors: Vec<Monitor>,
    flux_normalization: BTreeMap<String, FluxNormalization>,
    /// Grid position of the first probe or flux monitor (decay default).
    first_centre: Option<[f64; 3]>,
    coupling_maps: Vec<crate::reciprocity::CouplingMap>,
}

impl<'a> Build<'a> {
    fn new(doc: &'a Doc<'a>, s: &SimulationSpec, sym: &SymmetrySpec) -> Result<Build<'a>, SceneError> {
        // MEEP writes a 2D cell as [x, y, 0]: say how to write it here.
        if s.size_um.len() == 3 && s.size_um[2] == 0.0 && s.dimensions != Some(DimensionsName::Three) {
            return Err(doc.invalid(
                "simulation.size_um",
                "two sizes [x, y] for a 2D run (a zero z size, MEEP's way of writing 2D, is not used: give two sizes and dimensions = \"2d\")",
                fmt_nums(&s.size_um),
            ));
        }
        let d = match (s.dimensions, s.size_um.len()) {
            (Some(DimensionsName::Two), _) | (None, 2) => 2,
            (Some(DimensionsName::Three), _) | (None, 3) => 3,
            (None, _) => return Err(doc.invalid("simulation.size_um", "[x, y] (2D) or [x, y, z] (3D), in um", fmt_nums(&s.size_um))),
        };
        if s.size_um.len() != d || s.size_um.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(doc.invalid(
                "simulation.size_um",
                format!("{d} positive sizes (um) for a {d}D run"),
                fmt_nums(&s.size_um),
            ));
        }
        let resolution = positive(doc, "simulation.resolution", s.resolution, "cells/um")?;
        let courant = s.courant.unwrap_or(0.5);
        let limit = 1.0 / (d as f64).sqrt();
        if !(courant > 0.0 && courant <= limit) {
            return Err(doc.invalid(
                "simulation.courant",
                format!("a Courant number in (0, {limit:.4}] for {d}D (1/sqrt({d}))"),
                courant,
            ));
        }
        let dims = match (d, s.polarization) {
            (3, None) => Dimensions::Three,
            (3, Some(_)) => {
                return Err(doc.invalid(
                    "simulation.polarization",
                    "no polarization in a 3D run (it selects TM or TE in 2D)",
                    "a value",
                ))
            }
            (_, Some(PolarizationName::Te)) => Dimensions::Two(Polarization::Te),
            _ => Dimensions::Two(Polarization::Tm),
        };
        let mut size = [s.size_um[0], s.size_um[1], s.size_um.get(2).copied().unwrap_or(0.0)];
        let mut symmetry = crate::symmetry::Symmetry {
            whole_domain: sym.fold == Some(false),
            ..Default::default()
        };
        for (a, p) in [sym.x, sym.y, sym.z].into_iter().enumerate() {
            let Some(p) = p else { continue };
            let key = format!("symmetry.{}", ['x', 'y', 'z'][a]);
            if a >= d {
                return Err(doc.invalid(key, "mirror planes on the axes of the run (x, y in 2D)", "z in a 2D run"));
            }
            symmetry.mirrors[a] = Some(match p {
                ParityName::Even => crate::symmetry::MirrorSpec::Parity(crate::symmetry::Parity::Even),
                ParityName::Odd => crate::symmetry::MirrorSpec::Parity(crate::symmetry::Parity::Odd),
                ParityName::Auto => crate::symmetry::MirrorSpec::Auto,
            });
            // The plane through the centre must fall on a sample: an even
            // number of cells (one more when the size gives an odd one).
            if ((size[a] * resolution).round() as usize) % 2 == 1 {
                size[a] += 1.0 / resolution;
            }
        }
        let grid = Grid::new(size, resolution, courant, dims).map_err(|e| doc.engine(Some("simulation"), e))?;
        let l = grid.size_um();
        let offset = [l[0] / 2.0, l[1] / 2.0, if d == 3 { l[2] / 2.0 } else { 0.0 }];
        Ok(Build {
            doc,
            grid,
            d,
            offset,
            symmetry,
        })
    }

    fn invalid(&self, key: impl Into<String>, expected: impl Into<String>, found: impl std::fmt::Display) -> SceneError {
        self.doc.invalid(key, expected, found)
    }

    /// Grade the grid's axes as `[[simulation.refine]]` asks (src/mesh.rs).
    /// Graded axes: y (2D) or z (3D), the axis across a chip's layers; the
    /// ranges must leave room for the transitions clear of the PML.
    fn refine(&mut self, specs: &[RefineSpec], boundaries: &crate::boundary::Boundaries) -> Result<(), SceneError> {
        let mut per_axis: [Vec<(usize, crate::mesh::Refinement)>; 3] = Default::default();
        for (i, r) in specs.iter().enumerate() {
            let key = format!("simulation.refine.{i}");
            let vertical = self.d - 1;
            let a = match r.axis.as_str() {
                "x" => 0,
                "y" => 1,
                "z" => 2,
                other => return Err(self.invalid(format!("{key}.axis"), "\"x\", \"y\" or \"z\"", format!("\"{other}\""))),
            };
            if a != vertical {
                return Err(self.invalid(
                    format!("{key}.axis"),
                    format!(
                        "\"{}\": a {}D run grades its last axis only (across the layers; the other axes are not supported yet)",
                        ["x", "y", "z"][vertical],
                        self.d
                    ),
                    format!("\"{}\"", r.axis),
                ));
            }
            if self.symmetry.mirrors[a].is_some() {
                return Err(self.invalid(
                    format!("{key}.axis"),
                    "an axis without a mirror plane (a graded axis cannot be folded)",
                    format!("\"{}\" with symmetry.{}", r.axis, r.axis),
                ));
            }
            if r.range_um.len() != 2 || r.range_um[0] >= r.range_um[1] || r.range_um.iter().any(|v| !v.is_finite()) {
                return Err(self.invalid(format!("{key}.range_um"), "[lo, hi] with lo < hi (um)", fmt_nums(&r.range_um)));
            }
            let l = self.grid.size_um()[a];
            let (lo, hi) = (r.range_um[0] + self.offset[a], r.range_um[1] + self.offset[a]);
            if lo <= 0.0 || hi >= l {
                return Err(self.invalid(
                    format!("{key}.range_um"),
                    format!("a range inside the domain {}", self.domain()),
                    fmt_nums(&r.range_um),
                ));
            }
            let base = 1.0 / self.grid.dx;
            if !(r.resolution.is_finite() && r.resolution > base) {
                return Err(self.invalid(
                    format!("{key}.resolution"),
                    format!("cells per um above the base resolution {base}"),
                    r.resolution,
                ));
            }
            per_axis[a].push((
                i,
                crate::mesh::Refinement {
                    lo_um: lo,
                    hi_um: hi,
                    resolution: r.resolution,
                },
            ));
        }
        for (a, list) in per_axis.iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            let mut list = list.clone();
            list.sort_by(|p, q| p.1.lo_um.total_cmp(&q.1.lo_um));
            let scene = |r: &crate::mesh::Refinement| fmt_nums(&[r.lo_um - self.offset[a], r.hi_um - self.offset[a]]);
            if let Some(w) = list.windows(2).find(|w| w[1].1.lo_um < w[0].1.hi_um) {
                return Err(self.invalid(
                    format!("simulation.refine.{}.range_um", w[1].0),
                    format!(
                        "a range apart from simulation.refine.{}'s {} (merge overlapping ones into one)",
                        w[0].0,
                        scene(&w[0].1)
                    ),
                    scene(&w[1].1),
                ));
            }
            let ranges: Vec<_> = list.iter().map(|(_, r)| *r).collect();
            // The PML, and at least one base cell at each end (a periodic wrap
            // or a wall meets uniform cells).
            let keep = [0, 1].map(|s| boundaries.pml_cells(a, s).max(1) as f64 * self.grid.dx);
            let l = self.grid.size_um()[a];
            let mesh = crate::mesh::AxisMesh::build(l, self.grid.dx, &ranges, keep)
                .map_err(|(q, e)| self.invalid(format!("simulation.refine.{}.range_um", list[q].0), e, scene(&list[q].1)))?;
            self.grid = self.grid.clone().graded(a, mesh);
        }
        Ok(())
    }

    /// An object built in grid coordinates moved onto the virtual grid of
    /// the graded axes: shapes off the graded zones are translated, shapes
    /// across them mapped (boxes, cylinders and cones along the axis, prisms
    /// extruded along it); any other shape across a zone is refused.
    fn on_grid(&self, i: usize, mut o: crate::material::Object) -> Result<crate::material::Object, SceneError> {
        for a in 0..3 {
            let Some(m) = self.grid.mesh[a].clone() else { continue };
            let name = ["x", "y", "z"][a];
            let (lo, hi) = o.shape.bounds();
            let (lo, hi) = (lo[a], hi[a]);
            let spans = o.copies.iter().any(|c| m.meets_zone(lo + c[a], hi + c[a]));
            if o.copies.iter().any(|c| c[a] != 0.0)
                && (spans
                    || o.copies
                        .iter()
                        .any(|c| (m.to_virtual(lo + c[a]) - (lo + c[a]) - (m.to_virtual(lo) - lo)).abs() > 1e-9))
            {
                return Err(self.invalid(
                    format!("geometry.{i}.array"),
                    format!("no array steps along the graded axis {name} that cross or straddle the refined range (simulation.refine)"),
                    format!("a {} array", o.shape.kind()),
                ));
            }
            let f = |z: f64| m.to_virtual(z);
            if !m.meets_zone(lo, hi) && (lo.is_finite() || hi.is_finite()) {
                let at = if lo.is_finite() { lo } else { hi };
                let mut shift = [0.0; 3];
                shift[a] = f(at) - at;
                o.shape = o.shape.translated(shift);
            } else {
                // Boxes, straight cylinders and extrusions along the axis map
                // exactly whatever the cells; any shape within one run of
                // equal cells (e.g. inside the fine range) maps affinely.
                // In 2D a cylinder along z is a disc: as an ellipsoid reaching
                // far along z it can stretch along y into an ellipse.
                if let (
                    2,
                    crate::geometry::Shape::Cylinder {
                        center_um,
                        axis,
                        radius_um,
                        ..
                    },
                ) = (self.d, &o.shape)
                {
                    if axis[2].abs() > 1.0 - 1e-12 {
                        o.shape = crate::geometry::Shape::ellipsoid([center_um[0], center_um[1], 0.0], [*radius_um, *radius_um, 1e9]);
                    }
                }
                let mapped = o.shape.mapped_along(a, &f).or_else(|| {
                    m.affine_over(lo, hi)
                        .and_then(|(scale, shift)| o.shape.scaled_along(a, scale, shift))
                });
                o.shape = mapped.ok_or_else(|| {
                    self.invalid(
                        format!("geometry.{i}.type"),
                        format!(
                            "where a shape crosses the refined range's transition cells along {name}: a box, a cylinder along {name} or a polygon \
                             extruded along {name}; other shapes (spheres, tapered cones, slanted faces) must lie within the fine range or off the \
                             graded zone (simulation.refine; not supported across the transitions yet)"
                        ),
                        format!("a {} that crosses the refined range's transition cells", o.shape.kind()),
                    )
                })?;
            }
        }
        Ok(o)
    }

    /// A scene coordinate along axis `a` to the grid's (virtual, on a graded
    /// axis) coordinate.
    fn to_grid(&self, a: usize, x: f64) -> f64 {
        self.grid.to_virtual(a, x + self.offset[a])
    }

    /// A grid coordinate along axis `a` back to the scene's, for messages.
    fn to_scene(&self, a: usize, v: f64) -> f64 {
        self.grid.physical(a, v) - self.offset[a]
    }

    /// The domain in scene coordinates, for messages.
    fn domain(&self) -> String {
        let l = self.grid.size_um();
        // The true size on a graded axis (the grid's is the virtual one).
        let l = [0, 1, 2].map(|a| self.grid.physical(a, l[a]));
        let axes: Vec<String> = (0..self.d)
            .map(|a| format!("{} in [{}, {}]", ["x", "y", "z"][a], -l[a] / 2.0, l[a] / 2.0))
            .collect();
        format!("{} um", axes.join(", "))
    }

    /// Components the run evolves, for messages.
    fn active(&self, electric_only: bool) -> String {
        let names: Vec<&str> = Component::ALL
            .iter()
            .filter(|c| c.is_active(self.grid.dims) && (c.is_electric() || !electric_only))
            .map(|c| c.name())
            .collect();
        names.join(", ")
    }

    /// A vector of D finite numbers, in scene coordinates (z = 0 in 2D).
    fn vector(&self, key: &str, v: &[f64]) -> Result<[f64; 3], SceneError> {
        if v.len() != self.d || v.iter().any(|x| !x.is_finite()) {
            let xyz = if self.d == 2 { "[x, y]" } else { "[x, y, z]" };
            return Err(self.invalid(key, format!("{} finite numbers {xyz} (um)", self.d), fmt_nums(v)));
        }
        Ok([v[0], v[1], v.get(2).copied().unwrap_or(0.0)])
    }

    /// A point inside the domain, in grid coordinates.
    fn point(&self, key: &str, v: &[f64]) -> Result<[f64; 3], SceneError> {
        let p = self.vector(key, v)?;
        let l = self.grid.size_um();
        let g = [0, 1, 2].map(|a| self.to_grid(a, p[a]));
        if (0..self.d).any(|a| !(g[a] >= 0.0 && g[a] <= l[a])) {
            return Err(self.invalid(key, format!("a point inside the domain {}", self.domain()), fmt_nums(v)));
        }
        Ok(g)
    }

    /// A box (zero sizes make planes), clipped to the domain, in grid
    /// coordinates; `clip = false` requires it to lie inside instead.
    fn region(&self, key: &str, center: &[f64], size: &[f64], clip: bool) -> Result<Region, SceneError> {
        let c = self.vector(&format!("{key}.center_um"), center)?;
        if size.len() != self.d || size.iter().any(|s| s.is_nan() || *s < 0.0) {
            return Err(self.invalid(
                format!("{key}.size_um"),
                format!("{} sizes >= 0 (um; 0 makes a plane, inf spans the domain)", self.d),
                fmt_nums(size),
            ));
        }
        let l = self.grid.size_um();
        let found = || format!("center_um = {}, size_um = {}", fmt_nums(center), fmt_nums(size));
        let (mut min_um, mut max_um) = ([0.0; 3], [0.0; 3]);
        for a in 0..self.d {
            let (lo, hi) = (self.to_grid(a, c[a] - size[a] / 2.0), self.to_grid(a, c[a] + size[a] / 2.0));
            if hi < 0.0 || lo > l[a] {
                return Err(self.invalid(
                    format!("{key}.center_um"),
                    format!("a region that meets the domain {}", self.domain()),
                    found(),
                ));
            }
            if !clip && (lo < -1e-9 || hi > l[a] + 1e-9) {
                return Err(self.invalid(
                    format!("{key}.size_um"),
                    format!("a closed box inside the domain {}", self.domain()),
                    found(),
                ));
            }
            (min_um[a], max_um[a]) = (lo.max(0.0), hi.min(l[a]));
        }
        Ok(Region { min_um, max_um })
    }

    /// An LED's positions, orientations, symmetry and report settings
    /// (`source` is its dipole as `source()` built it).
    fn led(&self, i: usize, s: &SourceSpec, source: &mut Source) -> Result<crate::led::Led, SceneError> {
        let k = |f: &str| format!("sources.{i}.{f}");
        let c = s
            .center_um
            .as_deref()
            .ok_or_else(|| self.invalid(k("center_um"), "the active region's centre (um)", "nothing"))?;
        let z = s
            .size_um
            .as_deref()
            .ok_or_else(|| self.invalid(k("size_um"), "the active region's size (um; 0 makes a plane)", "nothing"))?;
        let r = self.region(&format!("sources.{i}"), c, z, false)?;
        let centre = [0, 1, 2].map(|a| 0.5 * (r.min_um[a] + r.max_um[a]));
        let positions_um: Vec<[f64; 3]> = match (&s.positions, &s.points_um) {
            (Some(_), Some(_)) => return Err(self.invalid(k("points_um"), "either `positions` (a grid) or `points_um` (a list)", "both")),
            (Some(n), None) => {
                if n.len() != self.d || n.contains(&0) {
                    return Err(self.invalid(
                        k("positions"),
                        format!("{} counts >= 1: dipoles per axis across the active region", self.d),
                        format!("{n:?}"),
                    ));
                }
                let count = |a: usize| if a < self.d { n[a] } else { 1 };
                // Evenly spaced in true positions (on a graded axis too).
                let at = |a: usize, j: usize| {
                    let (lo, hi) = (self.grid.physical(a, r.min_um[a]), self.grid.physical(a, r.max_um[a]));
                    self.grid.to_virtual(a, lo + (j as f64 + 0.5) * (hi - lo) / count(a) as f64)
                };
                let mut v = Vec::new();
                for kz in 0..count(2) {
                    for ky in 0..count(1) {
                        for kx in 0..count(0) {
                            v.push([at(0, kx), at(1, ky), if self.d == 3 { at(2, kz) } else { 0.0 }]);
                        }
                    }
                }
                v
            }
            (None, Some(pts)) => {
                if pts.is_empty() {
                    return Err(self.invalid(k("points_um"), "at least one point", "[]"));
                }
                pts.iter()
                    .enumerate()
                    .map(|(j, p)| self.point(&format!("{}.{j}", k("points_um")), p))
                    .collect::<Result<_, _>>()?
            }
            (None, None) => vec![centre],
        };
        let axis_of = |key: &str, name: &str| -> Result<usize, SceneError> {
            match name {
                "x" => Ok(0),
                "y" => Ok(1),
                "z" if self.d == 3 => Ok(2),
                _ => Err(self.invalid(
                    key,
                    if self.d == 3 { "\"x\", \"y\" or \"z\"" } else { "\"x\" or \"y\"" },
                    format!("\"{name}\""),
                )),
            }
        };
        let active: Vec<usize> = (0..3).filter(|&a| Component::electric(a).is_active(self.grid.dims)).collect();
        let axes: Vec<usize> = match &s.orientations {
            None => active.clone(),
            Some(OrientationSpec::Named(n)) if n == "all" => active.clone(),
            Some(OrientationSpec::Named(n)) if n == "in_plane" => {
                let normal = match s.well_normal.as_deref() {
                    Some(w) => axis_of(&k("well_normal"), w)?,
                    None => self.d - 1,
                };
                active.iter().copied().filter(|&a| a != normal).collect()
            }
            Some(OrientationSpec::Named(n)) => {
                return Err(self.invalid(k("orientations"), "\"all\", \"in_plane\" or a list of axes", format!("\"{n}\"")))
            }
            Some(OrientationSpec::Axes(list)) => {
                let mut v = Vec::new();
                for (j, n) in list.iter().enumerate() {
                    let key = format!("{}.{j}", k("orientations"));
                    let a = match n.as_str() {
                        "x" => 0,
                        "y" => 1,
                        "z" => 2,
                        _ => return Err(self.invalid(key, "\"x\", \"y\" or \"z\"", format!("\"{n}\""))),
                    };
                    if !active.contains(&a) {
                        return Err(self.invalid(
                            key,
                            format!("an E component this run evolves ({})", self.active(true)),
                            format!("\"{n}\""),
                        ));
                    }
                    if !v.contains(&a) {
                        v.push(a);
                    }
                }
                v
            }
        };
        if axes.is_empty() {
            return Err(self.invalid(
                k("orientations"),
                format!(
                    "at least one dipole orientation among the evolved E components ({})",
                    self.active(true)
                ),
                "none",
            ));
        }
        if s.well_normal.is_some() && !matches!(&s.orientations, Some(OrientationSpec::Named(n)) if n == "in_plane") {
            return Err(self.invalid(
                k("well_normal"),
                "no `well_normal` (it goes with orientations = \"in_plane\")",
                "a value",
            ));
        }
        let orientations: Vec<[f64; 3]> = axes
            .iter()
            .map(|&a| {
                let mut u = [0.0; 3];
                u[a] = 1.0;
                u
            })
            .collect();
        let mut mirrors = Vec::new();
        for (j, n) in s.symmetry.iter().flatten().enumerate() {
            let a = axis_of(&format!("{}.{j}", k("symmetry")), n)?;
            mirrors.push((a, centre[a]));
        }
        let wavelength_um = s.wavelength_um;
        let bandwidth_um = s
            .bandwidth_um
            .ok_or_else(|| self.invalid(k("bandwidth_um"), "the emission spectrum's FWHM (um)", "nothing"))?;
        source.shape = SourceShape::Point {
            position_um: positions_um[0],
        };
        source.direction = orientations[0];
        Ok(crate::led::Led {
            name: s.name.clone().unwrap_or_else(|| "led".into()),
            source: i,
            positions_um,
            orientations,
            mirrors,
            wavelength_um,
            bandwidth_um,
            target_port: s.target_port.clone(),
            extraction_monitor: s.extraction_monitor.clone(),
            power_monitor: format!("{}_source_power", s.name.as_deref().unwrap_or("led")),
        })
    }

    fn materials(&self, specs: &BTreeMap<String, MaterialSpec>) -> Result<BTreeMap<String, Medium>, SceneError> {
        let mut media = BTreeMap::from([("air".to_string(), Medium::VACUUM), ("vacuum".to_string(), Medium::VACUUM)]);
        let doc = self.doc;
        for (name, m) in specs {
            let key = format!("materials.{name}");
            if media.contains_key(name) {
                return Err(self.invalid(key, "a name other than the built-in `air` and `vacuum`", format!("`{name}`")));
            }
            if let Some(lib) = &m.library {
                let material = crate::library::lookup(lib).ok_or_else(|| {
                    self.invalid(
                        format!("{key}.library"),
                        format!("one of the built-in materials {}", crate::library::names().join(", ")),
                        format!("`{lib}`"),
                    )
                })?;
                if m.index.is_some() || m.eps.is_some() || m.conductivity_s_per_m.is_some() || m.k.is_some() || !m.poles.is_empty() {
                    return Err(self.invalid(
                        format!("{key}.library"),
                        "`library` alone (with an optional `at_wavelength_um`)",
                        "other material keys too",
                    ));
                }
                let medium = match m.at_wavelength_um {
                    Some(wl) => material
                        .at_wavelength(positive(doc, &format!("{key}.at_wavelength_um"), wl, "um")?)
                        .map_err(|e| {
                            self.invalid(
                                format!("{key}.at_wavelength_um"),
                                "a wavelength where the model is valid and not metallic",
                                e.to_string(),
                            )
                        })?,
                    None => material.medium(),
                };
                media.insert(name.clone(), medium);
                continue;
            }
            if m.at_wavelength_um.is_some() {
                return Err(self.invalid(
                    format!("{key}.at_wavelength_um"),
                    "`at_wavelength_um` only with `library`",
                    "no `library`",
                ));
            }
            let mut poles = Vec::new();
            for (j, p) in m.poles.iter().enumerate() {
                let pk = format!("{key}.poles.{j}");
                poles.push(match *p {
                    schema::PoleSpec::Lorentz { frequency, gamma, sigma } => crate::material::Pole::Lorentz {
                        frequency: positive(doc, &format!("{pk}.frequency"), frequency, "1/um")?,
                        gamma: non_negative(doc, &format!("{pk}.gamma"), gamma, "1/um")?,
                        sigma,
                    },
                    schema::PoleSpec::Drude { frequency, gamma, sigma } => crate::material::Pole::Drude {
                        frequency: positive(doc, &format!("{pk}.frequency"), frequency, "1/um")?,
                        gamma: non_negative(doc, &format!("{pk}.gamma"), gamma, "1/um")?,
                        sigma,
                    },
                    schema::PoleSpec::Debye { delta_eps, tau_fs } => crate::material::Pole::Debye {
                        delta_eps,
                        tau: units::fs_to_time(positive(doc, &format!("{pk}.tau_fs"), tau_fs, "fs")?),
                    },
                });
            }
            let eps = match (m.index, m.eps) {
                (Some(n), None) => positive(doc, &format!("{key}.index"), n, "")?.powi(2),
                (None, Some(eps)) => positive(doc, &format!("{key}.eps"), eps, "")?,
                (Some(_), Some(_)) => return Err(self.invalid(format!("{key}.eps"), "either `index` or `eps`, not both", "both")),
                (None, None) => return Err(self.invalid(key, "`index = n` or `eps = ...`", "neither")),
            };
            let sigma = match (m.conductivity_s_per_m, m.k, m.k_wavelength_um) {
                (None, None, None) => 0.0,
                (Some(s), None, None) => units::conductivity_from_si(non_negative(doc, &format!("{key}.conductivity_s_per_m"), s, "S/m")?),
                (None, Some(k), Some(wl)) => units::conductivity_for_extinction(
                    eps.sqrt(),
                    non_negative(doc, &format!("{key}.k"), k, "")?,
                    positive(doc, &format!("{key}.k_wavelength_um"), wl, "um")?,
                ),
                (None, Some(_), None) => {
                    return Err(self.invalid(
                        format!("{key}.k_wavelength_um"),
                        "the wavelength (um) at which `k` holds",
                        "nothing",
                    ))
                }
                (None, None, Some(_)) => {
                    return Err(self.invalid(format!("{key}.k"), "an extinction coefficient `k` for `k_wavelength_um`", "nothing"))
                }
                (Some(_), _, _) => {
                    return Err(self.invalid(
                        format!("{key}.conductivity_s_per_m"),
                        "either `conductivity_s_per_m` or `k` with `k_wavelength_um`",
                        "both",
                    ))
                }
            };
            let mut medium = Medium::lossy(eps, sigma);
            medium.poles = poles;
            media.insert(name.clone(), medium);
        }
        Ok(media)
    }

    fn medium(&self, key: &str, name: &str, media: &BTreeMap<String, Medium>) -> Result<Medium, SceneError> {
        media.get(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = media.keys().map(String::as_str).collect();
            self.invalid(key, format!("one of the materials {}", known.join(", ")), format!("`{name}`"))
        })
    }

    fn boundaries(&self, spec: &BoundariesSpec, resolution: f64) -> Result<Boundaries, SceneError> {
        // z of a 2D run is invariant: left periodic whatever the file says.
        let mut b = Boundaries::all(Boundary::Periodic);
        let n = self.grid.shape();
        for a in 0..self.d {
            let axis = ["x", "y", "z"][a];
            let mut keys = [String::new(), String::new()];
            for (side, end) in ["min", "max"].iter().enumerate() {
                let face = format!("{axis}{end}");
                let found = [face.as_str(), axis, "default"]
                    .into_iter()
                    .find_map(|k| spec.get(k).map(|v| (k, v)));
                (b.faces[a][side], keys[side]) = match found {
                    Some((k, v)) => (self.boundary(&format!("boundaries.{k}"), v, resolution)?, format!("boundaries.{k}")),
                    None => (
                        Boundary::Pml(Pml::thickness_um(DEFAULT_PML_UM, resolution)),
                        "boundaries".to_string(),
                    ),
                };
            }
            let periodic = b.faces[a].map(|f| matches!(f, Boundary::Periodic));
            if periodic[0] != periodic[1] {
                let side = if periodic[0] { 0 } else { 1 };
                return Err(self.invalid(
                    keys[side].clone(),
                    format!("periodic on both {axis}min and {axis}max, or on neither"),
                    format!("periodic on {axis}{} only", ["min", "max"][side]),
                ));
            }
            let (lo, hi) = (b.pml_cells(a, 0), b.pml_cells(a, 1));
            if lo + hi >= n[a] {
                return Err(self.invalid(
                    keys[0].clone(),
                    format!("PML layers thinner in total than the domain along {axis} ({} cells)", n[a]),
                    format!("{lo} + {hi} cells"),
                ));
            }
        }
        Ok(b)
    }

    fn boundary(&self, key: &str, spec: &BoundarySpec, resolution: f64) -> Result<Boundary, SceneError> {
        let default_pml = Pml::thickness_um(DEFAULT_PML_UM, resolution);
        let t = match spec {
            BoundarySpec::Kind(BoundaryKind::Pml) => return Ok(Boundary::Pml(default_pml)),
            BoundarySpec::Kind(BoundaryKind::Pec) => return Ok(Boundary::Pec),
            BoundarySpec::Kind(BoundaryKind::Periodic) => return Ok(Boundary::Periodic),
            BoundarySpec::Table(t) => t,
        };
        let pml_keys = [
            ("thickness_um", t.thickness_um.is_some()),
            ("cells", t.cells.is_some()),
            ("order", t.order.is_some()),
            ("sigma_factor", t.sigma_factor.is_some()),
            ("kappa_max", t.kappa_max.is_some()),
            ("alpha_max", t.alpha_max.is_some()),
        ];
        if t.kind != BoundaryKind::Pml {
            if let Some((k, _)) = pml_keys.iter().find(|(_, given)| *given) {
                return Err(self.invalid(
                    format!("{key}.{k}"),
                    format!("no `{k}` (PML settings need type = \"pml\")"),
                    "a value",
                ));
            }
            return Ok(if t.kind == BoundaryKind::Pec {
                Boundary::Pec
            } else {
                Boundary::Periodic
            });
        }
        let doc = self.doc;
        let mut pml = match (t.thickness_um, t.cells) {
            (None, None) => default_pml,
            (Some(um), None) => {
                let pml = Pml::thickness_um(positive(doc, &format!("{key}.thickness_um"), um, "um")?, resolution);
                if pml.cells == 0 {
                    return Err(self.invalid(
                        format!("{key}.thickness_um"),
                        format!("at least one cell ({} um)", 1.0 / resolution),
                        um,
                    ));
                }
                pml
            }
            (None, Some(0)) => return Err(self.invalid(format!("{key}.cells"), "at least 1 cell", 0)),
            (None, Some(cells)) => Pml::cells(cells),
            (Some(_), Some(_)) => return Err(self.invalid(format!("{key}.cells"), "either `thickness_um` or `cells`, not both", "both")),
        };
        if let Some(v) = t.order {
            pml.order = non_negative(doc, &format!("{key}.order"), v, "")?;
        }
        if let Some(v) = t.sigma_factor {
            pml.sigma_factor = non_negative(doc, &format!("{key}.sigma_factor"), v, "")?;
        }
        if let Some(v) = t.kappa_max {
            if !(v.is_finite() && v >= 1.0) {
                return Err(self.invalid(format!("{key}.kappa_max"), "a number >= 1", v));
            }
            pml.kappa_max = v;
        }
        if let Some(v) = t.alpha_max {
            pml.alpha_max = non_negative(doc, &format!("{key}.alpha_max"), v, "eps0 c/um")?;
        }
        Ok(Boundary::Pml(pml))
    }

    fn source(&self, i: usize, s: &SourceSpec) -> Result<Source, SceneError> {
        let k = |f: &str| format!("sources.{i}.{f}");
        let doc = self.doc;
        let forbid = |f: &str, given: bool, why: &str| {
            if given {
                Err(self.invalid(k(f), format!("no `{f}` ({why})"), "a value"))
            } else {
                Ok(())
            }
        };
        let led_keys = [
            ("positions", s.positions.is_some()),
            ("points_um", s.points_um.is_some()),
            ("orientations", s.orientations.is_some()),
            ("well_normal", s.well_normal.is_some()),
            ("symmetry", s.symmetry.is_some()),
            ("target_port", s.target_port.is_some()),
            ("extraction_monitor", s.extraction_monitor.is_some()),
            ("wavelengths_um", s.wavelengths_um.is_some()),
            ("wavelength_range_um", s.wavelength_range_um.is_some()),
            ("points", s.points.is_some()),
        ];
        if s.kind != SourceType::Led {
            if let Some((f, _)) = led_keys.iter().find(|(_, g)| *g) {
                forbid(f, true, "only an LED (type = \"led\") takes it")?;
            }
        }
        if s.kind != SourceType::Mode {
            forbid("mode", s.mode.is_some(), "only a mode source (type = \"mode\") takes it")?;
            forbid("launch", s.launch.is_some(), "only a mode source (type = \"mode\") takes it")?;
        }
        let shape = match s.kind {
            SourceType::Mode => {
                forbid(
                    "position_um",
                    s.position_um.is_some(),
                    "a mode source takes center_um and size_um (the port plane)",
                )?;
                forbid("component", s.component.is_some(), "a mode source's fields come from its mode")?;
                forbid(
                    "direction",
                    s.direction.is_some(),
                    "a mode source launches along `launch` = \"+\" or \"-\"",
                )?;
                let c = s
                    .center_um
                    .as_deref()
                    .ok_or_else(|| self.invalid(k("center_um"), "the port's centre (um)", "nothing"))?;
                let z = s
                    .size_um
                    .as_deref()
                    .ok_or_else(|| self.invalid(k("size_um"), "the port's size (um; 0 across the guide's axis)", "nothing"))?;
                let region = self.region(&format!("sources.{i}"), c, z, true)?;
                let mode = match s.mode {
                    Some(0) => return Err(self.invalid(k("mode"), "1 (the fundamental) or higher", 0)),
                    Some(m) => m - 1,
                    None => 0,
                };
                SourceShape::Mode {
                    region,
                    wavelength_um: positive(doc, &k("wavelength_um"), s.wavelength_um, "um")?,
                    mode,
                    backward: s.launch == Some(FluxDirection::Minus),
                }
            }
            SourceType::Led => {
                forbid(
                    "position_um",
                    s.position_um.is_some(),
                    "an LED takes center_um and size_um (its active region)",
                )?;
                forbid("component", s.component.is_some(), "an LED takes `orientations`")?;
                forbid("direction", s.direction.is_some(), "an LED takes `orientations`")?;
                forbid("profile", s.profile == Some(ProfileName::Cw), "an LED is driven by pulses")?;
                // Placeholder: the dipole moves to each position and orientation in turn.
                SourceShape::Point { position_um: [0.0; 3] }
            }
            SourceType::Dipole => {
                forbid("center_um", s.center_um.is_some(), "a dipole takes position_um")?;
                forbid("size_um", s.size_um.is_some(), "a dipole takes position_um")?;
                let p = s
                    .position_um
                    .as_deref()
                    .ok_or_else(|| self.invalid(k("position_um"), "the dipole's position (um)", "nothing"))?;
                SourceShape::Point {
                    position_um: self.point(&k("position_um"), p)?,
                }
            }
            SourceType::Plane | SourceType::Region => {
                forbid(
                    "position_um",
                    s.position_um.is_some(),
                    "a plane or region takes center_um and size_um",
                )?;
                let c = s
                    .center_um
                    .as_deref()
                    .ok_or_else(|| self.invalid(k("center_um"), "the centre (um)", "nothing"))?;
                let z = s
                    .size_um
                    .as_deref()
                    .ok_or_else(|| self.invalid(k("size_um"), "the size (um; 0 makes a plane)", "nothing"))?;
                let r = self.region(&format!("sources.{i}"), c, z, true)?;
                SourceShape::Region {
                    min_um: r.min_um,
                    max_um: r.max_um,
                }
            }
        };
        let direction = match (s.component, s.direction.as_deref()) {
            _ if s.kind == SourceType::Mode => [0.0; 3],
            _ if s.kind == SourceType::Led => [0.0; 3],
            (Some(_), Some(_)) => return Err(self.invalid(k("direction"), "either `component` or `direction`, not both", "both")),
            (Some(c), None) => {
                let c = Component::from(c);
                if !(c.is_electric() && c.is_active(self.grid.dims)) {
                    return Err(self.invalid(
                        k("component"),
                        format!("an electric component this run evolves ({})", self.active(true)),
                        c.name(),
                    ));
                }
                let mut u = [0.0; 3];
                u[c.axis()] = 1.0;
                u
            }
            (None, Some(v)) => {
                let ok = v.len() == 3 && v.iter().all(|x| x.is_finite()) && v.iter().any(|x| *x != 0.0);
                let along_active = (0..3).all(|a| v.get(a).is_none_or(|x| *x == 0.0) || Component::electric(a).is_active(self.grid.dims));
                if !(ok && along_active) {
                    return Err(self.invalid(
                        k("direction"),
                        format!(
                            "a non-zero [x, y, z] along the E components this run evolves ({})",
                            self.active(true)
                        ),
                        fmt_nums(v),
                    ));
                }
                [v[0], v[1], v[2]]
            }
            (None, None) if self.grid.dims == Dimensions::Two(Polarization::Tm) => [0.0, 0.0, 1.0],
            (None, None) => {
                return Err(self.invalid(
                    k("component"),
                    format!("`component` ({}) or `direction` = [x, y, z]", self.active(true)),
                    "neither",
                ))
            }
        };
        let amplitude = s.amplitude.unwrap_or(1.0);
        if !amplitude.is_finite() {
            return Err(self.invalid(k("amplitude"), "a finite number", amplitude));
        }
        let wl = positive(doc, &k("wavelength_um"), s.wavelength_um, "um")?;
        let profile = match s.profile.unwrap_or(ProfileName::Gaussian) {
            ProfileName::Gaussian => {
                forbid("ramp_periods", s.ramp_periods.is_some(), "only a cw source ramps")?;
                match (s.bandwidth_um, s.fwhm_frequency) {
                    (Some(bw), None) => {
                        let bw = positive(doc, &k("bandwidth_um"), bw, "um")?;
                        if bw >= 2.0 * wl {
                            return Err(self.invalid(
                                k("bandwidth_um"),
                                format!("a bandwidth below twice the wavelength ({} um)", 2.0 * wl),
                                bw,
                            ));
                        }
                        TimeProfile::gaussian_band(wl - bw / 2.0, wl + bw / 2.0)
                    }
                    (None, Some(f)) => TimeProfile::GaussianPulse {
                        wavelength_um: wl,
                        fwhm_frequency: positive(doc, &k("fwhm_frequency"), f, "1/um")?,
                    },
                    (Some(_), Some(_)) => {
                        return Err(self.invalid(k("fwhm_frequency"), "either `bandwidth_um` or `fwhm_frequency`, not both", "both"))
                    }
                    (None, None) => {
                        return Err(self.invalid(
                            k("bandwidth_um"),
                            "the pulse's `bandwidth_um` (um) or `fwhm_frequency` (1/um)",
                            "nothing",
                        ));
                    }
                }
            }
            ProfileName::Cw => {
                forbid("bandwidth_um", s.bandwidth_um.is_some(), "a cw source has one wavelength")?;
                forbid("fwhm_frequency", s.fwhm_frequency.is_some(), "a cw source has one wavelength")?;
                let ramp_periods = non_negative(doc, &k("ramp_periods"), s.ramp_periods.unwrap_or(5.0), "periods")?;
                TimeProfile::Continuous {
                    wavelength_um: wl,
                    ramp_periods,
                }
            }
        };
        Ok(Source {
            shape,
            direction,
            amplitude,
            profile,
        })
    }

    fn components(&self, key: &str, list: &[ComponentName]) -> Result<Vec<Component>, SceneError> {
        let comps: Vec<Component> = list.iter().map(|&c| c.into()).collect();
        match comps.iter().find(|c| !c.is_active(self.grid.dims)) {
            _ if comps.is_empty() => Err(self.invalid(key, format!("at least one of {}", self.active(false)), "[]")),
            Some(c) => Err(self.invalid(key, format!("components this run evolves ({})", self.active(false)), c.name())),
            None => Ok(comps),
        }
    }

    /// Wavelengths (um) of a monitor, ascending; a range is spaced evenly in frequency.
    fn spectrum(&self, key: &str, s: Spectrum) -> Result<Vec<f64>, SceneError> {
        match (s.list, s.range) {
            (Some(_), Some(_)) => Err(self.invalid(
                format!("{key}.wavelength_range_um"),
                "either `wavelengths_um` or `wavelength_range_um`, not both",
                "both",
            )),
            (None, None) => Err(self.invalid(
                format!("{key}.wavelengths_um"),
                "`wavelengths_um = [..]` or `wavelength_range_um = [min, max]` (um)",
                "neither",
            )),
            (Some(list), None) => {
                if s.points.is_some() {
                    return Err(self.invalid(format!("{key}.points"), "`points` only with `wavelength_range_um`", "a value"));
                }
                if list.is_empty() || list.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
                    return Err(self.invalid(
                        format!("{key}.wavelengths_um"),
                        "one or more positive wavelengths (um)",
                        fmt_nums(list),
                    ));
                }
                Ok(list.to_vec())
            }
            (None, Some(r)) => {
                if !(r.len() == 2 && r[0].is_finite() && r[1].is_finite() && 0.0 < r[0] && r[0] < r[1]) {
                    return Err(self.invalid(
                        format!("{key}.wavelength_range_um"),
                        "[min, max] with 0 < min < max (um)",
                        fmt_nums(r),
                    ));
                }
                let n = s.points.unwrap_or(DEFAULT_POINTS);
                let (f_hi, f_lo) = (1.0 / r[0], 1.0 / r[1]);
                match n {
                    0 => Err(self.invalid(format!("{key}.points"), "at least 1", 0)),
                    1 => Ok(vec![2.0 / (f_hi + f_lo)]),
                    _ => Ok((0..n).map(|j| 1.0 / (f_hi - (f_hi - f_lo) * j as f64 / (n - 1) as f64)).collect()),
                }
            }
        }
    }

    /// How many of a region's sizes are zero (under half a cell).
    fn zero_sizes(&self, size_um: &[f64]) -> usize {
        (0..self.d.min(size_um.len())).filter(|&a| size_um[a] < 0.5 * self.grid.dx).count()
    }

    /// A plane (a line in 2D) region at `key`: exactly one zero size, else
    /// an error saying `expected`.
    fn plane_region(&self, key: &str, center_um: &[f64], size_um: &[f64], expected: &str) -> Result<Region, SceneError> {
        if self.zero_sizes(size_um) != 1 {
            return Err(self.invalid(format!("{key}.size_um"), expected, fmt_nums(size_um)));
        }
        self.region(key, center_um, size_um, true)
    }

    fn monitors(&self, specs: &[MonitorSpec], source_names: &[Option<&str>]) -> Result<Monitors, SceneError> {
        let mut out = Monitors {
            probes: Vec::new(),
            probe_names: Vec::new(),
            probe_monitor: Vec::new(),
            monitors: Vec::new(),
            flux_normalization: BTreeMap::new(),
            first_centre: None,
            coupling_maps: Vec::new(),
        };
        let mut names = BTreeSet::new();
        let mut flux = BTreeMap::new(); // name -> wavelengths
        for (i, spec) in specs.iter().enumerate() {
            let key = format!("monitors.{i}");
            let k = |f: &str| format!("{key}.{f}");
            let name = spec.name().to_string();
            if name.trim().is_empty() || !names.insert(name.clone()) {
                return Err(self.invalid(k("name"), "a non-empty name not used by another monitor", format!("`{name}`")));
            }
            let kind = match spec {
                MonitorSpec::Probe(p) => {
                    let position = self.point(&k("position_um"), &p.position_um)?;
                    for c in self.components(&k("components"), &p.components)? {
                        out.probes.push(Probe::new(c, position));
                        out.probe_names.push(format!("{name}.{}", c.name()));
                        out.probe_monitor.push(i);
                    }
                    out.first_centre.get_or_insert(position);
                    continue;
                }
                MonitorSpec::Dft(m) => MonitorKind::DftFields {
                    region: self.region(&key, &m.center_um, &m.size_um, true)?,
                    components: self.components(&k("components"), &m.components)?,
                    wavelengths_um: self.spectrum(&key, m.spectrum())?,
                },
                MonitorSpec::Flux(m) => {
                    let flat = self.zero_sizes(&m.size_um);
                    if flat > 1 {
                        return Err(self.invalid(k("size_um"), "one zero size (a plane) or none (a closed box)", fmt_nums(&m.size_um)));
                    }
                    if flat == 0 && m.direction.is_some() {
                        return Err(self.invalid(k("direction"), "no direction on a closed box (its flux is outgoing)", "a value"));
                    }
                    let region = self.region(&key, &m.center_um, &m.size_um, flat == 1)?;
                    let wavelengths_um = self.spectrum(&key, m.spectrum())?;
                    flux.insert(name.clone(), (i, wavelengths_um.clone()));
                    out.first_centre
                        .get_or_insert([0, 1, 2].map(|a| 0.5 * (region.min_um[a] + region.max_um[a])));
                    MonitorKind::Flux {
                        region,
                        wavelengths_um,
                        reverse: m.direction == Some(FluxDirection::Minus),
                    }
                }
                MonitorSpec::Mode(m) => {
                    let region = self.plane_region(
                        &key,
                        &m.center_um,
                        &m.size_um,
                        "a port across the waveguide: one zero size (a line in 2D, a plane in 3D)",
                    )?;
                    let wavelengths_um = self.spectrum(&key, m.spectrum())?;
                    let max_modes = match m.modes {
                        Some(0) => return Err(self.invalid(k("modes"), "at least 1", "0")),
                        Some(n) => n,
                        None => 4,
                    };
                    if let Some(c) = &m.coupling_map {
                        let ck = k("coupling_map");
                        let modes = c.modes.clone().unwrap_or_else(|| vec![1]);
                        if let Some(&bad) = modes.iter().find(|&&x| x == 0 || x > max_modes) {
                            return Err(self.invalid(
                                format!("{ck}.modes"),
                                format!("mode numbers from 1 (the fundamental) to the port's `modes` ({max_modes})"),
                                bad,
                            ));
                        }
                        if let Some(n) = c.emitter_index.filter(|n| !(n.is_finite() && *n >= 1.0)) {
                            return Err(self.invalid(format!("{ck}.emitter_index"), "a refractive index >= 1", n));
                        }
                        out.coupling_maps.push(crate::reciprocity::CouplingMap {
                            port: name.clone(),
                            region: self.region(&ck, &c.center_um, &c.size_um, true)?,
                            modes,
                            emitter_index: c.emitter_index,
                        });
                    }
                    MonitorKind::Mode {
                        region,
                        wavelengths_um,
                        max_modes,
                        reverse: m.direction == Some(FluxDirection::Minus),
                    }
                }
                MonitorSpec::Acceptance(m) => {
                    let region = self.plane_region(
                        &key,
                        &m.center_um,
                        &m.size_um,
                        "a plane across the core (one zero size; a line in 2D)",
                    )?;
                    let wavelengths_um = self.spectrum(&key, m.spectrum())?;
                    if let Some(na) = m.na {
                        positive(self.doc, &k("na"), na, "")?;
                    }
                    if let Some(r) = m.core_radius_um {
                        positive(self.doc, &k("core_radius_um"), r, "um")?;
                    }
                    MonitorKind::Acceptance {
                        region,
                        wavelengths_um,
                        core_radius_um: m.core_radius_um,
                        na: m.na,
                        reverse: m.direction == Some(FluxDirection::Minus),
                    }
                }
                MonitorSpec::FarField(m) => {
                    let flat = self.zero_sizes(&m.size_um);
                    match (flat, m.direction) {
                        (0, None) | (1, Some(_)) => {
                            if let Some(t) = m.edge_taper {
                                if m.direction.is_none() {
                                    return Err(self.invalid(
                                        k("edge_taper"),
                                        "edge_taper only on an open far-field plane (with a direction)",
                                        t.to_string(),
                                    ));
                                }
                                if !(0.0..1.0).contains(&t) {
                                    return Err(self.invalid(k("edge_taper"), "a fraction in [0, 1) of each half-size", t.to_string()));
                                }
                            }
                        }
                        (0, Some(_)) => {
                            return Err(self.invalid(
                                k("direction"),
                                "no direction on a closed far-field box (direction makes an open plane: give it one zero size)",
                                fmt_nums(&m.size_um),
                            ))
                        }
                        (1, None) => {
                            return Err(self.invalid(
                                k("direction"),
                                "\"+\" or \"-\" on an open far-field plane (the half-space it projects into)",
                                "none",
                            ))
                        }
                        _ => {
                            return Err(self.invalid(
                                k("size_um"),
                                "a closed box around the emitter (no zero size), or a plane (one zero size) with a direction",
                                fmt_nums(&m.size_um),
                            ))
                        }
                    }
                    let region = self.region(&key, &m.center_um, &m.size_um, false)?;
                    let wavelengths_um = self.spectrum(&key, m.spectrum())?;
                    if let Some(na) = m.na {
                        positive(self.doc, &k("na"), na, "")?;
                    }
                    let points = m.angular_points.unwrap_or(if self.d == 3 { 90 } else { 360 });
                    if points < 4 {
                        return Err(self.invalid(k("angular_points"), "at least 4", points.to_string()));
                    }
                    MonitorKind::FarField {
                        region,
                        wavelengths_um,
                        points,
                        na: m.na,
                        open_plane: m.direction.map(|d| crate::monitor::farfield::OpenPlane {
                            direction: if d == FluxDirection::Minus { -1.0 } else { 1.0 },
                            edge_taper: m.edge_taper.unwrap_or(DEFAULT_EDGE_TAPER),
                        }),
                    }
                }
                MonitorSpec::SourcePower(m) => {
                    let source = match &m.source {
                        SourceRef::Index(n) if *n < source_names.len() => *n,
                        SourceRef::Name(s) if source_names.contains(&Some(s.as_str())) => {
                            source_names.iter().position(|n| *n == Some(s.as_str())).unwrap_or(0)
                        }
                        other => {
                            let named: Vec<&str> = source_names.iter().flatten().copied().collect();
                            let found = match other {
                                SourceRef::Index(n) => n.to_string(),
                                SourceRef::Name(s) => format!("`{s}`"),
                            };
                            return Err(self.invalid(
                                k("source"),
                                format!(
                                    "a source index below {} or a source name ({})",
                                    source_names.len(),
                                    named.join(", ")
                                ),
                                found,
                            ));
                        }
                    };
                    MonitorKind::SourcePower {
                        source,
                        wavelengths_um: self.spectrum(&key, m.spectrum())?,
                    }
                }
                MonitorSpec::Snapshot(m) => {
                    let component: Component = m.component.into();
                    if !component.is_active(self.grid.dims) {
                        return Err(self.invalid(
                            k("component"),
                            format!("a component this run evolves ({})", self.active(false)),
                            component.name(),
                        ));
                    }
                    let every = units::fs_to_time(positive(self.doc, &k("every_fs"), m.every_fs, "fs")?);
                    MonitorKind::Snapshot {
                        region: self.region(&key, &m.center_um, &m.size_um, true)?,
                        component,
                        every_steps: ((every / self.grid.dt).round() as usize).max(1),
                    }
                }
            };
            out.monitors.push(Monitor::new(name, kind));
        }
        for (name, (i, wavelengths)) in &flux {
            let MonitorSpec::Flux(m) = &specs[*i] else { continue };
            let incident = m.normalize_with.clone().unwrap_or_else(|| name.clone());
            match flux.get(&incident) {
                Some((_, w)) if w == wavelengths => {}
                Some(_) => {
                    return Err(self.invalid(
                        format!("monitors.{i}.normalize_with"),
                        format!("a flux monitor with the same wavelengths as `{name}`"),
                        format!("`{incident}`"),
                    ));
                }
                None => {
                    let known: Vec<&str> = flux.keys().map(String::as_str).collect();
                    return Err(self.invalid(
                        format!("monitors.{i}.normalize_with"),
                        format!("a flux monitor ({})", known.join(", ")),
                        format!("`{incident}`"),
                    ));
                }
            }
            let subtract_incident = m.subtract_incident.unwrap_or(false);
            out.flux_normalization.insert(
                name.clone(),
                FluxNormalization {
                    incident_monitor: incident,
                    subtract_incident,
                },
            );
        }
        Ok(out)
    }

    fn stop(&self, run: &RunSpec, sources: &[Source], first_centre: Option<[f64; 3]>, n_max: f64) -> Result<StopCondition, SceneError> {
        let doc = self.doc;
        let decay_keys = [
            ("decay_by", run.decay_by.is_some()),
            ("decay_component", run.decay_component.is_some()),
            ("decay_position_um", run.decay_position_um.is_some()),
            ("check_every_fs", run.check_every_fs.is_some()),
            ("max_fs", run.max_fs.is_some()),
        ];
        match (run.until_fs, run.until) {
            (Some(_), Some(_)) => Err(self.invalid("run.until", "either `until_fs` or `until = \"decayed\"`, not both", "both")),
            (None, None) => Err(self.invalid("run", "`until_fs = <fs>` or `until = \"decayed\"`", "neither")),
            (Some(t), None) => {
                if let Some((k, _)) = decay_keys.iter().find(|(_, given)| *given) {
                    return Err(self.invalid(format!("run.{k}"), "decay settings only with until = \"decayed\"", "a value"));
                }
                Ok(StopCondition::Time {
                    time: units::fs_to_time(positive(doc, "run.until_fs", t, "fs")?),
                })
            }
            (None, Some(UntilName::Decayed)) => {
                let mut end: f64 = 0.0;
                for (i, s) in sources.iter().enumerate() {
                    match s.profile.end_time() {
                        Some(t) => end = end.max(t),
                        None => {
                            return Err(self.invalid(
                                "run.until",
                                format!("`until_fs`: sources.{i} is continuous-wave and never ends"),
                                "\"decayed\"",
                            ));
                        }
                    }
                }
                if sources.is_empty() {
                    return Err(self.invalid(
                        "run.until",
                        "`until_fs`: there is no source whose fields could decay",
                        "\"decayed\"",
                    ));
                }
                let decay_by = run.decay_by.unwrap_or(1e-6);
                if !(decay_by > 0.0 && decay_by < 1.0) {
                    return Err(self.invalid("run.decay_by", "a number between 0 and 1", decay_by));
                }
                let component = match run.decay_component {
                    Some(c) => Component::from(c),
                    None if self.grid.dims == Dimensions::Two(Polarization::Te) => Component::Hz,
                    None => Component::Ez,
                };
                if !component.is_active(self.grid.dims) {
                    return Err(self.invalid(
                        "run.decay_component",
                        format!("a component this run evolves ({})", self.active(false)),
                        component.name(),
                    ));
                }
                let position_um = match &run.decay_position_um {
                    Some(p) => self.point("run.decay_position_um", p)?,
                    None => first_centre.unwrap_or([0, 1, 2].map(|a| self.to_grid(a, 0.0))),
                };
                let longest = sources
                    .iter()
                    .map(|s| match s.profile {
                        TimeProfile::GaussianPulse { wavelength_um, .. } | TimeProfile::Continuous { wavelength_um, .. } => wavelength_um,
                    })
                    .fold(0.0, f64::max);
                let check_interval = match run.check_every_fs {
                    Some(t) => units::fs_to_time(positive(doc, "run.check_every_fs", t, "fs")?),
                    None => DEFAULT_CHECK_PERIODS * longest,
                };
                let diagonal = self.grid.size_um()[..self.d].iter().map(|l| l * l).sum::<f64>().sqrt();
                let max_time = match run.max_fs {
                    Some(t) => units::fs_to_time(positive(doc, "run.max_fs", t, "fs")?),
                    None => end + DEFAULT_MAX_CROSSINGS * n_max * diagonal,
                };
                Ok(StopCondition::Decay {
                    component,
                    position_um,
                    decay_by,
                    check_interval,
                    max_time,
                })
            }
        }
    }
}

fn unit_suffix(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" ({unit})")
    }
}

fn positive(doc: &Doc, key: &str, v: f64, unit: &str) -> Result<f64, SceneError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(doc.invalid(key, format!("a positive number{}", unit_suffix(unit)), v))
    }
}

fn non_negative(doc: &Doc, key: &str, v: f64, unit: &str) -> Result<f64, SceneError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(doc.invalid(key, format!("a number >= 0{}", unit_suffix(unit)), v))
    }
}
