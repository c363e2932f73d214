//! The library's front door: what the `lumen` command and the Python module
//! (`python/`) both call. A scene in, a result file out; the engine chosen
//! in one place ([`open_engine`]: the backend asked for, else
//! `LUMEN_BACKEND`, else auto); a scene's check ([`check`]) and the list of
//! engines ([`devices`]) computed once and printed or converted by each
//! front end.
//!
//! What stays in a front end: reading its arguments, printing, its own
//! Ctrl-C handler setting [`RunRequest::interrupt`], and mapping
//! [`ApiError::kind`] to exit codes or exceptions.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use crate::cpu::CpuInfo;
use crate::engine::{self, Backend, Engine, Selection};
use crate::gpu::context::{list_adapters, AdapterSummary};
use crate::gpu::stepper::MemoryEstimate;
use crate::gpu::AdapterRequest;
use crate::run::{run_scene, ProgressMode, RunError, RunOptions, RunOutcome};
use crate::scene::{Scene, StopCondition, Warning};
use crate::units;

/// Mesa prints "error: XDG_RUNTIME_DIR is invalid or not set" (twice) when
/// that variable is unset, as in CI and batch jobs, though it needs the
/// folder for nothing here: point it at a private folder of our own first.
/// Call it at start-up (`main`, the Python module's import), before any
/// thread of ours exists.
pub fn quiet_mesa_runtime_dir() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let usable = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).is_some_and(|d| d.is_dir());
        if usable {
            return;
        }
        let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("lumen-runtime-{uid}"));
        if std::fs::create_dir_all(&dir).is_ok() && std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).is_ok() {
            // SAFETY (edition 2024 marks set_var unsafe): called at start-up, before any
            // thread of ours (the CLI: before any other thread; Python: at import).
            std::env::set_var("XDG_RUNTIME_DIR", &dir);
        }
    }
}

/// How a run is asked for (the options of `lumen run`, the arguments of
/// `Scene.run` in Python).
pub struct RunRequest {
    /// The result file; None: `[run] output` of the scene, else SCENE.h5
    /// beside the scene file ([`result_path`]).
    pub output: Option<PathBuf>,
    /// Result file of a reference run (same scene, no geometry) to normalise flux monitors.
    pub reference: Option<PathBuf>,
    /// None: `LUMEN_BACKEND`, else auto.
    pub backend: Option<Backend>,
    /// Warnings (dubious set-ups) are errors: nothing runs.
    pub strict: bool,
    pub progress: ProgressMode,
    /// Set by the front end's Ctrl-C handling: the run stops at the next
    /// return to the host and writes what it has, marked incomplete.
    pub interrupt: Arc<AtomicBool>,
}

/// What a front end hears before the run starts.
pub enum Event<'a> {
    /// The scene's warnings (with a reference run's, when there is one);
    /// sent even when empty, before `--strict` refuses them.
    Warnings(&'a [Warning]),
    /// The engine chosen, and why.
    Engine(&'a Selection),
}

/// Why [`run`], [`check`] or [`open_engine`] did not give a result.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `strict` and the scene has warnings.
    #[error("{count} warning(s) and --strict")]
    Strict { count: usize },
    /// The backend asked for (or `LUMEN_BACKEND`) is not one.
    #[error("{0}")]
    Backend(crate::Error),
    /// The engine could not be opened (no adapter, device request failed).
    #[error("{0}")]
    Engine(crate::Error),
    /// The run itself failed or was interrupted (a partial result was written).
    #[error("{0}")]
    Run(RunError),
    /// `check`: measuring the step rate failed.
    #[error("measuring the step rate: {0}")]
    Rate(crate::Error),
    /// A mirror-symmetric scene that does not fold (an asymmetry, found with its place).
    #[error("{0}")]
    Symmetry(crate::Error),
}

/// The three ways a command can fail (exit codes 2, 3 and 130 of `lumen`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    BadInput,
    Runtime,
    Interrupted,
}

impl ApiError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::Strict { .. } | ApiError::Backend(_) | ApiError::Symmetry(_) | ApiError::Run(RunError::Input(_)) => {
                ErrorKind::BadInput
            }
            ApiError::Engine(_) | ApiError::Rate(_) | ApiError::Run(RunError::Runtime(_)) => ErrorKind::Runtime,
            ApiError::Run(RunError::Interrupted) => ErrorKind::Interrupted,
        }
    }
}

/// The warnings a run of `scene` reports: the scene's own and, when it is
/// normalised by a reference run, those of the normalisation.
pub fn warnings(scene: &Scene, reference: bool) -> Vec<Warning> {
    let mut w = scene.warnings.clone();
    if reference {
        w.extend(scene.reference_warnings());
    }
    w
}

/// The result file of a run: `output`, else `[run] output` of the scene,
/// else the scene file's name with `.h5`.
pub fn result_path(scene: &Scene, output: Option<PathBuf>) -> PathBuf {
    output
        .or_else(|| scene.output.clone())
        .unwrap_or_else(|| scene.path.with_extension("h5"))
}

/// Open the engine `backend` asks for (None: `LUMEN_BACKEND`, else auto).
pub fn open_engine(backend: Option<Backend>) -> Result<Selection, ApiError> {
    let b = Backend::resolve(backend).map_err(ApiError::Backend)?;
    Engine::select(b).map_err(ApiError::Engine)
}

/// Run `scene` and write its result file: warnings (refused with
/// `strict`), the engine, then [`run_scene`], which writes the file
/// atomically, normalises with the reference run and, when stopped by an
/// error or [`RunRequest::interrupt`], still writes what it computed,
/// marked incomplete.
pub fn run(scene: &Scene, req: RunRequest, report: &mut dyn FnMut(Event<'_>)) -> Result<RunOutcome, ApiError> {
    let w = warnings(scene, req.reference.is_some());
    report(Event::Warnings(&w));
    if req.strict && !w.is_empty() {
        return Err(ApiError::Strict { count: w.len() });
    }
    let output = result_path(scene, req.output);
    let sel = open_engine(req.backend)?;
    report(Event::Engine(&sel));
    let opts = RunOptions {
        output,
        reference: req.reference,
        progress: req.progress,
        interrupt: req.interrupt,
    };
    run_scene(scene, &sel.engine, &opts).map_err(ApiError::Run)
}

/// What `lumen check` says about a scene: grid, time step, steps, memory
/// against the engine's limits, and a time estimate from a step rate
/// measured on that engine.
pub struct CheckReport {
    pub grid_shape: [usize; 3],
    pub cells: usize,
    pub cell_size_um: f64,
    pub dimensions: &'static str,
    pub dt_fs: f64,
    pub courant: f64,
    /// Steps of the run: exactly (a fixed time), or at most (a decay stop's `max_fs`).
    pub steps: usize,
    /// "exactly" or "at most".
    pub steps_bound: &'static str,
    pub memory: MemoryEstimate,
    /// The engine's limit on one buffer, on all of them, and the limit's name.
    pub buffer_limit_bytes: u64,
    pub total_limit_bytes: u64,
    pub limit_name: String,
    /// The run fits the engine's memory.
    pub fits: bool,
    pub engine: &'static str,
    pub adapter: String,
    /// Measured on this engine (a short calibration, cached).
    pub rate: crate::estimate::Rate,
    /// Set-up time, from `setup_started` to the engine opened (s).
    pub setup_seconds: f64,
    pub estimated_seconds: f64,
    pub cell_updates: f64,
    /// A decay stop's typical length, and its time.
    pub typical_steps: Option<usize>,
    pub typical_seconds: Option<f64>,
    pub dft_accumulators: usize,
    /// Runs in all: an LED's dipole runs (else 1) plus coupling-map runs.
    pub runs: usize,
    pub led_runs: usize,
    pub map_runs: usize,
    /// Cells each step updates: all of them, or a mirror-symmetric scene's
    /// folded grid; and its planes ("x even, y odd").
    pub stepped_cells: usize,
    pub mirror_planes: Option<String>,
}

/// Check `scene` against the engine `backend` asks for; `setup_started`:
/// when reading the scene began (the set-up time is part of the estimate).
pub fn check(scene: &Scene, backend: Option<Backend>, setup_started: Instant) -> Result<CheckReport, ApiError> {
    // A mirror-symmetric scene steps its folded grid: that is what is
    // measured and estimated (and its asymmetries are found here).
    let folded = scene.simulation.for_stepper(&scene.prepared).map_err(|e| match &scene.led {
        Some(led) => ApiError::Symmetry(crate::symmetry::led_error(e, led.source)),
        None => ApiError::Symmetry(e),
    })?;
    let p = &folded;
    let g = &scene.prepared.grid;
    let (steps, steps_bound) = match scene.stop {
        StopCondition::Time { time } => ((time / g.dt).ceil() as usize, "exactly"),
        StopCondition::Decay { max_time, .. } => ((max_time / g.dt).ceil() as usize, "at most"),
    };
    let engine = open_engine(backend)?.engine;
    let setup_seconds = setup_started.elapsed().as_secs_f64();
    let (mut memory, buffer_limit_bytes, total_limit_bytes, limit_name) = engine.memory(p);
    if matches!(engine, Engine::Cpu(_)) {
        // Host memory besides the engine's arrays: the permittivity (and
        // conductivity) that monitors and mode solvers read, and the ports'
        // mode profiles (modes x wavelengths x plane samples).
        memory.total_bytes += p.host_set_up_bytes();
        if p.unfold.is_some() {
            // The whole grid's permittivity, coefficients and media stay in
            // host memory beside the folded run (4 bytes each, 3 components).
            memory.total_bytes += (g.cells() * 36) as u64;
        }
    }
    let mirror_planes = p.unfold.as_ref().map(|u| {
        (0..3)
            .filter_map(|a| u.fold.parity[a].map(|q| format!("{} {}", ["x", "y", "z"][a], q.name())))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let fits = memory.largest_buffer_bytes <= buffer_limit_bytes && memory.total_bytes <= total_limit_bytes;
    // The step rate, measured on this engine (a short calibration, cached).
    let rate = crate::estimate::rate(&engine, p).map_err(ApiError::Rate)?;
    let typical_steps = match scene.stop {
        StopCondition::Decay { .. } => Some(crate::estimate::typical_decay_steps(&scene.simulation, p).min(steps)),
        StopCondition::Time { .. } => None,
    };
    // An LED runs once per (position, orientation) left after its symmetry;
    // each mode of a coupling map adds one reverse run of the same length.
    let map_runs: usize = scene.coupling_maps.iter().map(|m| m.modes.len()).sum();
    let led_runs = scene.led.as_ref().map_or(1, |l| l.runs(1e-6 * g.dx).len());
    let runs = led_runs + map_runs;
    // Work per step: the cells, and the DFT monitors' accumulators (one
    // accumulator update costs about one cell update: a complex phase
    // multiply-add per sample and wavelength; measured 0.7 cell updates on
    // the native engine with microled_waveguide_2d's 1e5 accumulators).
    let per_step = p.grid.cells() as f64 + p.dft.accumulators as f64;
    let cell_updates = per_step * steps as f64 * runs as f64;
    let estimated_seconds = setup_seconds + cell_updates / rate.cell_updates_per_s;
    let typical_seconds = typical_steps.map(|t| setup_seconds + per_step * t as f64 * runs as f64 / rate.cell_updates_per_s);
    Ok(CheckReport {
        grid_shape: g.shape(),
        cells: g.cells(),
        cell_size_um: g.dx,
        dimensions: g.dims.name(),
        dt_fs: units::time_to_fs(g.dt),
        courant: g.courant(),
        steps,
        steps_bound,
        memory,
        buffer_limit_bytes,
        total_limit_bytes,
        limit_name,
        fits,
        engine: engine.kind(),
        adapter: engine.describe(),
        rate,
        setup_seconds,
        estimated_seconds,
        cell_updates,
        typical_steps,
        typical_seconds,
        dft_accumulators: p.dft.accumulators,
        runs,
        led_runs,
        map_runs,
        stepped_cells: p.grid.cells(),
        mirror_planes,
    })
}

impl CheckReport {
    /// `lumen check --json` (and Python's `Scene.check()`), for `scene` as `path` names it.
    pub fn to_json(&self, path: &std::path::Path, warnings: &[Warning]) -> serde_json::Value {
        json!({"scene": path, "grid_shape": self.grid_shape, "cells": self.cells, "cell_size_um": self.cell_size_um, "dt_fs": self.dt_fs,
            "steps": self.steps, "steps_bound": self.steps_bound, "memory_bytes": self.memory.total_bytes, "largest_buffer_bytes": self.memory.largest_buffer_bytes,
            "engine": self.engine, "adapter": self.adapter, "adapter_binding_limit_bytes": self.buffer_limit_bytes, "limit": self.limit_name, "fits": self.fits,
            "estimated_seconds": self.estimated_seconds, "typical_steps": self.typical_steps, "typical_seconds": self.typical_seconds,
            "rate_cell_updates_per_s": self.rate.cell_updates_per_s, "estimate_basis": self.rate.basis, "setup_seconds": self.setup_seconds,
            "dft_accumulators": self.dft_accumulators, "runs": self.runs, "map_runs": self.map_runs, "warnings": warnings,
            "stepped_cells": self.stepped_cells, "mirror_planes": self.mirror_planes})
    }
}

/// The engines there are: the native CPU engine, the wgpu adapters (best
/// first), and what `--backend auto` takes.
pub struct Devices {
    pub native: CpuInfo,
    pub adapters: Vec<AdapterSummary>,
    /// Whether an adapter is a hardware GPU (auto takes the first such).
    pub hardware: Option<usize>,
    /// What auto takes, in words.
    pub auto: String,
}

pub fn devices() -> Devices {
    let native = CpuInfo::detect();
    let adapters = list_adapters(AdapterRequest::from_env().backends);
    let hardware = adapters.iter().position(|a| !engine::is_software(a));
    let auto = match (
        hardware.map(|i| &adapters[i]),
        std::env::var("LUMEN_ADAPTER").ok().filter(|s| !s.is_empty()),
    ) {
        (_, Some(name)) => format!("gpu (the adapter matching LUMEN_ADAPTER={name})"),
        (Some(a), None) => format!("gpu ({})", a.name),
        (None, None) => "cpu (the native engine: no hardware GPU adapter)".to_string(),
    };
    Devices {
        native,
        adapters,
        hardware,
        auto,
    }
}

impl Devices {
    /// `lumen devices --json` (and Python's `lumen.devices()`).
    pub fn to_json(&self) -> serde_json::Value {
        let v: Vec<serde_json::Value> = self
            .adapters
            .iter()
            .map(|a| {
                json!({"name": a.name, "backend": format!("{:?}", a.backend), "type": format!("{:?}", a.device_type), "driver": a.driver,
                "software": engine::is_software(a),
                "max_storage_buffer_binding_size": a.max_storage_buffer_binding_size, "max_buffer_size": a.max_buffer_size,
                "max_storage_buffers_per_shader_stage": a.max_storage_buffers_per_shader_stage,
                "max_compute_invocations_per_workgroup": a.max_compute_invocations_per_workgroup})
            })
            .collect();
        let n = &self.native;
        json!({"native": {"threads": n.threads, "simd": n.simd, "simd_f32_lanes": n.simd_lanes, "cpu": n.model},
            "adapters": v, "auto": if self.hardware.is_some() { "gpu" } else { "cpu" }})
    }
}
