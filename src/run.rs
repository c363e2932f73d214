//! Running a scene: the stepper loop with its stop condition, progress,
//! Ctrl-C, normalisation with a reference run, and the result file.
//!
//! A run that fails or is interrupted still writes what it computed, marked
//! incomplete, before the error is returned.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{Engine, RunStepper};
use crate::error::Error;
use crate::monitor::dft::{face_flux, subtract_faces, MonitorData, MonitorResult};
use crate::monitor::Probe;
use crate::output::{self, NormalizedFlux, ProbeRecord, RunRecord};
use crate::scene::{Scene, StopCondition};
use crate::sim::Prepared;
use crate::units;

/// How the run reports progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// A progress bar (terminal).
    Bar,
    /// A plain line every few seconds (logs, batch jobs).
    Lines,
    None,
}

pub struct RunOptions {
    pub output: PathBuf,
    /// Result file of a reference run (same scene, no geometry) to normalise flux monitors.
    pub reference: Option<PathBuf>,
    pub progress: ProgressMode,
    /// Set by a Ctrl-C handler; the run stops at the next submission boundary.
    pub interrupt: Arc<AtomicBool>,
}

/// Why a run ended.
#[derive(Debug)]
pub enum RunError {
    /// Bad input discovered at run time (reference file mismatch, memory).
    Input(String),
    /// The GPU or the file system failed.
    Runtime(String),
    /// Stopped by Ctrl-C; partial results were written.
    Interrupted,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Input(s) | RunError::Runtime(s) => f.write_str(s),
            RunError::Interrupted => f.write_str("interrupted; partial results were written"),
        }
    }
}

impl From<Error> for RunError {
    fn from(e: Error) -> Self {
        match e {
            Error::Gpu(_) | Error::DeviceRequest { .. } | Error::NoAdapter { .. } | Error::AdapterNotFound { .. } => {
                RunError::Runtime(e.to_string())
            }
            _ => RunError::Input(e.to_string()),
        }
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub output: PathBuf,
    pub steps: usize,
    pub simulated_time_fs: f64,
    pub wall_time_s: f64,
    pub cell_updates_per_s: f64,
    pub complete: bool,
    pub stop_reason: String,
    /// The engine that ran it, as named in logs (adapter or native engine).
    pub adapter: String,
    /// "cpu" (native engine) or "gpu" (WGSL path).
    pub engine: &'static str,
    pub monitors: Vec<MonitorResult>,
    pub normalized: Vec<NormalizedFlux>,
    /// The coupling report of an LED scene (text table).
    pub report: Option<String>,
    /// The polarisation family of the ports' guided modes (2D), for naming
    /// them: see [`crate::modes`] (mode numbering).
    pub mode_family: Option<&'static str>,
}

/// Steps to the end of the last pulsed source (0 when all are continuous).
fn source_end_steps(scene: &Scene, dt: f64) -> usize {
    scene
        .simulation
        .sources
        .iter()
        .filter_map(|s| s.profile.end_time())
        .map(|t| (t / dt).ceil() as usize)
        .max()
        .unwrap_or(0)
}

/// Runs `scene` to its stop condition and writes the result file.
pub fn run_scene(scene: &Scene, engine: &Engine, opts: &RunOptions) -> Result<RunOutcome, RunError> {
    let mut sim = scene.simulation.clone();
    let user_probes = sim.probes.len();
    // The decay criterion watches its own probe.
    if let StopCondition::Decay {
        component, position_um, ..
    } = scene.stop
    {
        sim.probes.push(Probe::new(component, position_um));
    }
    // The scene was rasterised (and its ports solved) when it was read.
    let mut prepared = (*scene.prepared).clone();
    for p in &sim.probes[user_probes..] {
        prepared.add_probe(p)?;
    }
    let grid = prepared.grid.clone();
    let dt = grid.dt;
    // Normalisation data is read before the run, so a bad reference fails fast.
    let reference = match &opts.reference {
        Some(r) => Some(read_reference(scene, r)?),
        None => None,
    };
    // A mirror-symmetric scene steps its folded grid.
    let run_set_up = scene.simulation.for_stepper(&prepared).map_err(|e| match &scene.led {
        Some(led) => crate::symmetry::led_error(e, led.source),
        None => e,
    })?;
    let mut stepper = engine.stepper(&run_set_up)?;
    let stepped_cells = stepper.prepared().grid.cells() as f64;

    let (target_steps, decay) = match scene.stop {
        StopCondition::Time { time } => ((time / dt).ceil() as usize, None),
        StopCondition::Decay {
            decay_by,
            check_interval,
            max_time,
            ..
        } => (
            (max_time / dt).ceil() as usize,
            Some((decay_by, ((check_interval / dt).ceil() as usize).max(1))),
        ),
    };
    let progress = Progress::new(opts.progress, target_steps, decay.is_some());
    let started = Instant::now();
    let mut runs_done = 0;
    let mut all_steps = 0;
    let mut acc = crate::led::Accumulator::default();
    let (mut stop_reason, mut failure) = match &scene.led {
        None => step_to_stop(stepper.as_mut(), scene, target_steps, decay, user_probes, opts, &progress, started),
        Some(led) => {
            // One dipole per run, each from zero fields on the same set-up.
            let runs = led.runs(1e-6 * grid.dx);
            let mut prepared = prepared.clone();
            let d_area = grid.dx.powi(grid.dims.count() as i32 - 1);
            let mut out = (String::new(), None);
            let amplitude = scene.simulation.sources[led.source].amplitude;
            for (k, run) in runs.iter().enumerate() {
                let moved = if scene.simulation.symmetry.is_empty() {
                    prepared
                        .move_dipole(led.source, run.position_um, run.orientation, amplitude)
                        .and_then(|()| stepper.restart(&prepared))
                } else {
                    // Each dipole folds with its own parities (a dipole along
                    // a plane is even, across it odd): its own set-up.
                    led_symmetric_setup(scene, &prepared, led.source, run, amplitude).and_then(|p| {
                        stepper = engine.stepper(&p)?;
                        Ok(())
                    })
                };
                if let Err(e) = moved {
                    out = (format!("failed: {e}"), Some(e.into()));
                    break;
                }
                if opts.progress != ProgressMode::None {
                    let list = |v: &[f64]| v.iter().map(|&x| units::short(x + 0.0, 6)).collect::<Vec<_>>().join(", ");
                    eprintln!(
                        "LED run {}/{}: dipole at ({}) um along ({})",
                        k + 1,
                        runs.len(),
                        list(&[0, 1, 2].map(|a| grid.physical(a, run.position_um[a]) - scene.origin_offset_um[a])[..grid.dims.count()]),
                        list(&run.orientation)
                    );
                }
                out = step_to_stop(stepper.as_mut(), scene, target_steps, decay, user_probes, opts, &progress, started);
                all_steps += stepper.steps_done();
                if out.1.is_some() {
                    break;
                }
                let results = stepper.monitor_results().and_then(|m| match diverged(&m) {
                    Some(e) => Err(e),
                    None => Ok(m),
                });
                match results.and_then(|m| acc.add(run, &led.mirrors, &m, d_area)) {
                    Ok(()) => runs_done += 1,
                    Err(e) => {
                        out = (format!("failed: {e}"), Some(e.into()));
                        break;
                    }
                }
            }
            if out.1.is_none() {
                out.0 = format!("{} dipole runs; last: {}", runs.len(), out.0);
            }
            out
        }
    };
    progress.finish();
    let wall = started.elapsed().as_secs_f64();
    let steps = stepper.steps_done();

    // Gather whatever was computed, even after a failure.
    let (monitors, mut report, mut extra) = if let Some(led) = &scene.led {
        // The completed runs' sums (all of them unless stopped early).
        let monitors = acc.results();
        let mut report = None;
        let mut extra = Vec::new();
        if runs_done > 0 {
            match crate::led::report(led, &acc) {
                Ok(rows) => {
                    let text = crate::led::format_report(led, &rows, runs_done, led.run_count_without_symmetry());
                    extra = led_groups(led, &acc, &rows, &scene.origin_offset_um, &grid);
                    report = Some(text);
                }
                Err(e) => {
                    failure.get_or_insert(e.into());
                }
            }
        }
        if failure.is_some() {
            stop_reason = format!("{stop_reason} (after {runs_done} complete dipole runs)");
        }
        (monitors, report, extra)
    } else {
        let monitors = match stepper.monitor_results() {
            Ok(m) => m,
            Err(e) => {
                failure.get_or_insert(e.into());
                Vec::new()
            }
        };
        let probes_bad = stepper.probe_series().iter().any(|s| s.iter().any(|v| !v.is_finite()));
        if let Some(e) = diverged(&monitors).or_else(|| probes_bad.then(|| Error::invalid("probes", "non-finite values", DIVERGED))) {
            stop_reason = format!("failed: {e}");
            failure.get_or_insert(e.into());
        }
        (monitors, None, Vec::new())
    };
    // Coupling maps: one reverse run per port mode, as long as the run itself.
    if failure.is_none() && !scene.coupling_maps.is_empty() {
        if opts.progress != ProgressMode::None {
            eprintln!(
                "coupling maps: {} reverse run(s) of {steps} steps",
                scene.coupling_maps.iter().map(|m| m.modes.len()).sum::<usize>()
            );
        }
        match crate::reciprocity::run_maps(scene, engine, steps, &|| opts.interrupt.load(Ordering::SeqCst)) {
            Ok(maps) => {
                let mut text = report.take().unwrap_or_default();
                for m in &maps {
                    text.push_str(&m.summary());
                    extra.push(m.group());
                }
                report = Some(text);
            }
            Err(e) => {
                stop_reason = format!("failed: {e}");
                failure = Some(e.into());
            }
        }
    }

    // A folded run reads a probe below a plane from its image (times its sign).
    let probe_signs = stepper.prepared().unfold.as_ref().map(|u| u.probe_signs.clone());
    let probes: Vec<ProbeRecord> = sim.probes[..user_probes]
        .iter()
        .zip(stepper.probe_series())
        .zip(&scene.probe_names)
        .enumerate()
        .map(|(k, ((p, s), name))| ProbeRecord {
            name: name.clone(),
            component: p.component,
            position_um: p.position_um,
            samples: match &probe_signs {
                Some(w) if w[k] != 1.0 => s.iter().map(|v| v * w[k]).collect(),
                _ => s.clone(),
            },
        })
        .collect();
    let normalized = match &reference {
        Some(r) => normalize(scene, &monitors, r, &grid)?,
        None => Vec::new(),
    };
    let complete = failure.is_none();
    let adapter = engine.describe();
    // The scene's warnings, and those of a normalisation (unless the caller added them).
    let mut warnings = scene.warnings.clone();
    if opts.reference.is_some() {
        let extra: Vec<_> = scene.reference_warnings().into_iter().filter(|w| !warnings.contains(w)).collect();
        warnings.extend(extra);
    }
    let warnings: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    let record = RunRecord {
        program_version: env!("CARGO_PKG_VERSION"),
        scene_text: &scene.text,
        scene_path: &scene.path.display().to_string(),
        grid: &grid,
        origin_offset_um: scene.origin_offset_um,
        steps,
        wall_time_s: wall,
        adapter: &adapter,
        complete,
        stop_reason: &stop_reason,
        probes: &probes,
        monitors: &monitors,
        normalized: &normalized,
        extra: &extra,
        warnings: &warnings,
    };
    output::write(&opts.output, &record).map_err(|e| RunError::Runtime(e.to_string()))?;
    if let Some(f) = failure {
        return Err(f);
    }
    Ok(RunOutcome {
        output: opts.output.clone(),
        steps,
        simulated_time_fs: units::time_to_fs(steps as f64 * dt),
        wall_time_s: wall,
        cell_updates_per_s: if wall > 0.0 {
            stepped_cells * steps.max(all_steps) as f64 / wall
        } else {
            0.0
        },
        complete,
        stop_reason,
        adapter,
        engine: engine.kind(),
        monitors,
        normalized,
        report,
        mode_family: crate::modes::family(grid.dims),
    })
}

/// The folded set-up of one LED dipole run in a mirror-symmetric scene: the
/// whole-domain set-up (rasterised, ports solved, probes added) with its LED
/// dipole moved to the run's place and orientation, folded with the parities
/// that dipole has.
fn led_symmetric_setup(
    scene: &Scene,
    whole: &Prepared,
    source: usize,
    run: &crate::led::LedRun,
    amplitude: f64,
) -> Result<Prepared, Error> {
    let mut p = whole.clone();
    p.move_dipole(source, run.position_um, run.orientation, amplitude)
        .and_then(|()| scene.simulation.for_stepper(&p))
        .map_err(|e| crate::symmetry::led_error(e, source))
}

const DIVERGED: &str = "the fields diverged (non-finite values): usual causes are a time step too long for a \
     dispersive material (`lumen check` tests the bulk condition) or a material with gain; the results are \
     written, marked incomplete";
/// The same causes, after a place and time.
const DIVERGED_CAUSES: &str = "Usual causes: a time step too long for a dispersive material (`lumen check` tests \
     the bulk condition; a smaller courant helps) or a material with gain; the results are written, marked \
     incomplete";

/// Steps between two looks for diverging fields, at least.
const BLOWUP_EVERY: usize = 200;

/// What a run that blew up says: when (between the last healthy check and
/// now), where (scene coordinates, and whether that is in a PML), and the
/// usual causes.
fn blowup_error(p: &Prepared, offset: &[f64; 3], b: &crate::sim::Blowup, healthy_at: usize, now: usize) -> String {
    let g = &p.grid;
    let mut pos = g.position_um(b.component, b.cell);
    // A folded grid starts at its ghost layer, inside the whole domain.
    if let Some(u) = &p.unfold {
        let o = u.fold.origin_um();
        pos = [0, 1, 2].map(|a| pos[a] + o[a]);
    }
    let d = g.dims.count();
    let at: Vec<String> = (0..d).map(|a| units::short(g.physical(a, pos[a]) - offset[a], 4)).collect();
    let pml: Vec<String> = (0..d)
        .filter_map(|a| {
            let (n, q) = ([g.nx, g.ny, g.nz][a], &p.pml[a]);
            let axis = ["x", "y", "z"][a];
            if b.cell[a] < q.lo {
                Some(format!("{axis}min"))
            } else if b.cell[a] >= n.saturating_sub(q.hi) && q.hi > 0 {
                Some(format!("{axis}max"))
            } else {
                None
            }
        })
        .collect();
    let place = if pml.is_empty() {
        "outside the PMLs".to_string()
    } else {
        format!("inside the {} PML", pml.join(" / "))
    };
    let eps = p.materials.eps[b.component.index() % 3]
        .get(g.index(b.cell[0], b.cell[1], b.cell[2]))
        .copied();
    let medium = match (b.component.index() < 3, eps) {
        (true, Some(e)) => format!(", where eps_inf = {}", units::short(f64::from(e), 4)),
        _ => String::new(),
    };
    format!(
        "the fields diverged between steps {healthy_at} and {now}: |{}| = {:.3e} at ({}) um, {place}{medium}. {DIVERGED_CAUSES}",
        b.component.name(),
        b.value.abs(),
        at.join(", ")
    )
}

/// An error when any monitor holds non-finite values.
fn diverged(results: &[MonitorResult]) -> Option<Error> {
    let bad = |v: &[f64]| v.iter().any(|x| !x.is_finite());
    let bad2 = |v: &[Vec<f64>]| v.iter().any(|r| bad(r));
    results.iter().find_map(|m| {
        let nonfinite = match &m.data {
            MonitorData::Flux { flux, .. } => bad(flux),
            MonitorData::SourcePower { power, .. } => bad(power),
            MonitorData::Mode {
                forward, backward, flux, ..
            } => bad2(forward) || bad2(backward) || bad(flux),
            MonitorData::FarField { total, flux, .. } => bad(total) || bad(flux),
            MonitorData::Acceptance { accepted, flux, .. } => bad(accepted) || bad(flux),
            MonitorData::DftFields { components, .. } => components.iter().any(|(_, _, a)| a.iter().any(|z| !z.is_finite())),
            MonitorData::Snapshot { frames, .. } => frames.iter().any(|v| !v.is_finite()),
        };
        nonfinite.then(|| Error::invalid(format!("monitors.{}", m.name), "non-finite values", DIVERGED))
    })
}

/// Step until the stop condition, Ctrl-C or an error; returns why it stopped.
#[allow(clippy::too_many_arguments)]
fn step_to_stop(
    stepper: &mut dyn RunStepper,
    scene: &Scene,
    target_steps: usize,
    decay: Option<(f64, usize)>,
    user_probes: usize,
    opts: &RunOptions,
    progress: &Progress,
    started: Instant,
) -> (String, Option<RunError>) {
    let dt = stepper.prepared().grid.dt;
    let cells = stepper.prepared().grid.cells() as f64;
    let start_check = source_end_steps(scene, dt);
    // Return to the host once per submission: progress, Ctrl-C and the decay
    // check all happen there.
    let chunk = decay
        .map_or(usize::MAX, |(_, every)| every)
        .min(stepper.steps_per_submission())
        .clamp(1, BLOWUP_EVERY);
    let mut stop_reason = format!("reached {:.1} fs", units::time_to_fs(target_steps as f64 * dt));
    let mut peak = 0.0f64;
    let mut level = f64::NAN;
    let run_started = Instant::now();
    let first = stepper.steps_done();
    let mut failure: Option<RunError> = None;
    // Divergence is looked for while the run goes on: every BLOWUP_EVERY
    // steps at least, and no more often than keeps the scan (a copy of the
    // fields on a GPU) under 2% of the stepping time.
    let mut last_check = (first, Instant::now(), Duration::ZERO);
    while stepper.steps_done() < target_steps {
        if opts.interrupt.load(Ordering::SeqCst) {
            stop_reason = "interrupted (Ctrl-C)".into();
            failure = Some(RunError::Interrupted);
            break;
        }
        let n = chunk.min(target_steps - stepper.steps_done());
        if let Err(e) = stepper.run(n) {
            stop_reason = format!("failed: {e}");
            failure = Some(e.into());
            break;
        }
        let done = stepper.steps_done();
        let (at, when, cost) = last_check;
        if (done >= at + BLOWUP_EVERY && when.elapsed() >= 50 * cost) || done >= target_steps {
            let t = Instant::now();
            match stepper.blowup() {
                Ok(Some(b)) => {
                    let e = blowup_error(stepper.prepared(), &scene.origin_offset_um, &b, at, done);
                    stop_reason = format!("failed: {e}");
                    failure = Some(RunError::Runtime(e));
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    stop_reason = format!("failed: {e}");
                    failure = Some(e.into());
                    break;
                }
            }
            last_check = (done, Instant::now(), t.elapsed());
        }
        if let Some((decay_by, every)) = decay {
            let series = &stepper.probe_series()[user_probes];
            let last = series.len().saturating_sub(every);
            let recent = series[last..].iter().map(|v| (*v as f64).powi(2)).fold(0.0, f64::max);
            peak = peak.max(recent);
            if done >= start_check + every && peak > 0.0 {
                level = recent / peak;
                if recent <= decay_by * peak {
                    stop_reason = format!("fields decayed to {:.1e} of their peak", recent / peak);
                    break;
                }
            }
        }
        progress.update(&Status {
            steps: done,
            dt,
            rate: cells * (done - first) as f64 / run_started.elapsed().as_secs_f64().max(1e-9),
            elapsed: started.elapsed(),
            decay: decay.map(|(by, _)| (level, by)),
        });
    }
    (stop_reason, failure)
}

/// The emitter's per-run table and report for the result file (group `led`).
fn led_groups(
    led: &crate::led::Led,
    acc: &crate::led::Accumulator,
    rows: &[crate::led::ReportRow],
    offset: &[f64; 3],
    grid: &crate::Grid,
) -> Vec<output::ExtraGroup> {
    use ndarray::{Array1, Array2};
    let n = acc.runs.len();
    let mut runs_groups = Vec::new();
    let mut runs = output::ExtraGroup::new("led/runs");
    runs.attrs.push(("emitter".into(), led.name.clone()));
    runs.attrs.push((
        "about".into(),
        "one row per dipole run; images = how many dipoles (mirror images) the run stands for; \
         power/<monitor> = that run's power per wavelength (source power, flux, forward power in all guided modes, \
         or far-field total), already multiplied by images"
            .into(),
    ));
    runs.datasets.push((
        "position_um".into(),
        Array2::from_shape_fn((n, 3), |(r, a)| grid.physical(a, acc.runs[r].position_um[a]) - offset[a]).into_dyn(),
    ));
    runs.datasets.push((
        "orientation".into(),
        Array2::from_shape_fn((n, 3), |(r, a)| acc.runs[r].orientation[a]).into_dyn(),
    ));
    runs.datasets
        .push(("images".into(), Array1::from_shape_fn(n, |r| acc.runs[r].images as f64).into_dyn()));
    if let Some(first) = acc.runs.first() {
        for (name, v) in &first.powers {
            let nf = v.len();
            runs.datasets.push((
                format!("power/{name}"),
                Array2::from_shape_fn((n, nf), |(r, f)| acc.runs[r].powers.get(name).map_or(f64::NAN, |p| p[f])).into_dyn(),
            ));
        }
    }
    // Forward power in each guided mode of each port, per run: [run][wavelength][mode].
    if let Some(first) = acc.runs.first() {
        for (name, m0) in &first.modes {
            let nf = m0.len();
            let nm = acc
                .runs
                .iter()
                .filter_map(|r| r.modes.get(name))
                .flatten()
                .map(Vec::len)
                .max()
                .unwrap_or(0);
            runs.datasets.push((
                format!("modes/{name}"),
                ndarray::Array3::from_shape_fn((n, nf, nm), |(r, f, m)| {
                    acc.runs[r]
                        .modes
                        .get(name)
                        .and_then(|x| x.get(f))
                        .and_then(|x| x.get(m))
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .into_dyn(),
            ));
        }
    }
    // Power leaving through each face of each closed flux box, summed.
    for name in acc
        .runs
        .first()
        .map(|r| r.powers.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if let Some(faces) = acc.faces(&name).filter(|f| f.len() > 1) {
            let mut g = output::ExtraGroup::new(format!("led/faces/{name}"));
            g.attrs.push((
                "about".into(),
                "power leaving through each face of the closed flux box, summed over the runs".into(),
            ));
            for (axis, sign, p) in faces {
                g.datasets
                    .push((crate::led::face_label(*axis, *sign), ndarray::Array1::from(p.clone()).into_dyn()));
            }
            runs_groups.push(g);
        }
    }
    let mut report = output::ExtraGroup::new("led/report");
    report.attrs.push((
        "about".into(),
        "rows: the emitter's wavelengths, then the average over its emission spectrum (last row, wavelength NaN); \
         efficiencies are fractions of the emitted power; crosstalk in dB relative to the target port"
            .into(),
    ));
    let nr = rows.len();
    let col = |f: &dyn Fn(&crate::led::ReportRow) -> f64| Array1::from_shape_fn(nr, |r| f(&rows[r])).into_dyn();
    report.datasets.push(("source_power".into(), col(&|r| r.source_power)));
    if rows.first().is_some_and(|r| r.extraction.is_some()) {
        report
            .datasets
            .push(("extraction".into(), col(&|r| r.extraction.unwrap_or(f64::NAN))));
    }
    if let Some(first) = rows.first() {
        for (k, (name, ..)) in first.ports.iter().enumerate() {
            report.datasets.push((format!("{name}/fundamental"), col(&|r| r.ports[k].1)));
            report.datasets.push((format!("{name}/guided"), col(&|r| r.ports[k].2)));
            if first.ports[k].3.is_some() {
                report
                    .datasets
                    .push((format!("{name}/crosstalk_db"), col(&|r| r.ports[k].3.unwrap_or(f64::NAN))));
            }
        }
        for (k, (name, ..)) in first.na.iter().enumerate() {
            report.datasets.push((format!("{name}/na_fraction"), col(&|r| r.na[k].1)));
            report.datasets.push((format!("{name}/na_power_over_source"), col(&|r| r.na[k].2)));
        }
    }
    let labels: Vec<f64> = rows.iter().map(|r| r.label.parse().unwrap_or(f64::NAN)).collect();
    report
        .datasets
        .push(("wavelength_um".into(), ndarray::Array1::from(labels).into_dyn()));
    let mut out = vec![runs, report];
    out.extend(runs_groups);
    out
}

/// Flux data of a reference run, per monitor name.
struct Reference {
    path: PathBuf,
    flux: std::collections::BTreeMap<String, (Vec<f64>, Vec<f64>, Vec<crate::monitor::dft::FaceFields>)>,
}

fn read_reference(scene: &Scene, path: &Path) -> Result<Reference, RunError> {
    let mut flux = std::collections::BTreeMap::new();
    let names: std::collections::BTreeSet<&str> = scene
        .flux_normalization
        .iter()
        .flat_map(|(m, n)| [m.as_str(), n.incident_monitor.as_str()])
        .collect();
    for name in names {
        let data = output::read_flux(path, name).map_err(|e| RunError::Input(format!("reference run: {e}")))?;
        flux.insert(name.to_string(), data);
    }
    Ok(Reference {
        path: path.to_path_buf(),
        flux,
    })
}

fn same_wavelengths(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-9 * x.abs().max(1.0))
}

fn normalize(scene: &Scene, monitors: &[MonitorResult], r: &Reference, grid: &crate::Grid) -> Result<Vec<NormalizedFlux>, RunError> {
    let d_area = grid.dx.powi(grid.dims.count() as i32 - 1);
    let mut out = Vec::new();
    for m in monitors {
        let MonitorData::Flux {
            wavelengths_um,
            flux,
            faces,
        } = &m.data
        else {
            continue;
        };
        let Some(norm) = scene.flux_normalization.get(&m.name) else {
            continue;
        };
        let (ref_wl, incident, _) = &r.flux[&norm.incident_monitor];
        if !same_wavelengths(ref_wl, wavelengths_um) {
            return Err(RunError::Input(format!(
                "reference run {}: monitor `{}` has wavelengths {:?}, this run's `{}` has {:?}",
                r.path.display(),
                norm.incident_monitor,
                ref_wl,
                m.name,
                wavelengths_um
            )));
        }
        let scattered = if norm.subtract_incident {
            let (_, _, ref_faces) = &r.flux[&m.name];
            let diff = subtract_faces(faces, ref_faces)
                .map_err(|e| RunError::Input(format!("reference run {}: monitor `{}`: {e}", r.path.display(), m.name)))?;
            let nf = wavelengths_um.len();
            let mut s = vec![0.0; nf];
            for f in &diff {
                for (t, v) in s.iter_mut().zip(face_flux(f, d_area, nf)) {
                    *t += v;
                }
            }
            Some(s)
        } else {
            None
        };
        let num = scattered.as_ref().unwrap_or(flux);
        let ratio = num.iter().zip(incident).map(|(a, b)| a / b.abs()).collect();
        out.push(NormalizedFlux {
            monitor: m.name.clone(),
            reference_file: r.path.display().to_string(),
            incident_monitor: norm.incident_monitor.clone(),
            incident_flux: incident.clone(),
            scattered_flux: scattered,
            ratio,
        });
    }
    Ok(out)
}

/// Progress: an indicatif bar on a terminal, plain lines otherwise.
struct Progress {
    mode: ProgressMode,
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    /// The run stops when its fields have decayed (`total` is only the max_fs cap).
    decay: bool,
    last_line: std::cell::Cell<Instant>,
}

/// Where a run stands, for the progress report.
struct Status {
    steps: usize,
    dt: f64,
    /// Cell updates per second of this run so far.
    rate: f64,
    elapsed: Duration,
    /// A decay run: (field energy at the probe now / its peak, the level that stops the run).
    decay: Option<(f64, f64)>,
}

impl Progress {
    fn new(mode: ProgressMode, total: usize, decay: bool) -> Progress {
        let bar = (mode == ProgressMode::Bar).then(|| {
            // A decay run's length is not known: no bar, no ETA from the cap.
            let (len, template) = if decay {
                (None, "{spinner} step {pos}  {msg}  {elapsed} elapsed")
            } else {
                (Some(total as u64), "{bar:30} {pos}/{len} steps  {msg}  ETA {eta}")
            };
            let b = indicatif::ProgressBar::with_draw_target(len, indicatif::ProgressDrawTarget::stderr());
            b.set_style(indicatif::ProgressStyle::with_template(template).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
            b
        });
        Progress {
            mode,
            bar,
            total,
            decay,
            last_line: std::cell::Cell::new(Instant::now()),
        }
    }

    fn update(&self, st: &Status) {
        let mut msg = format!(
            "{:.1} fs  {:.1} M cell-updates/s",
            units::time_to_fs(st.steps as f64 * st.dt),
            st.rate / 1e6
        );
        if let Some((level, stop)) = st.decay {
            if level.is_finite() {
                msg.push_str(&format!("  field at {level:.1e} of its peak (stops at {stop:.0e})"));
            } else {
                msg.push_str(&format!("  source still on (stops when the field falls to {stop:.0e} of its peak)"));
            }
        }
        match self.mode {
            ProgressMode::Bar => {
                if let Some(b) = &self.bar {
                    b.set_position(st.steps as u64);
                    b.set_message(msg);
                }
            }
            ProgressMode::Lines => {
                if self.last_line.get().elapsed() >= Duration::from_secs(5) || st.steps >= self.total {
                    self.last_line.set(Instant::now());
                    let secs = st.elapsed.as_secs_f64();
                    if self.decay {
                        eprintln!("step {} (cap {})  {msg}  {secs:.0} s elapsed", st.steps, self.total);
                    } else {
                        let left = if st.steps > 0 {
                            secs * (self.total - st.steps.min(self.total)) as f64 / st.steps as f64
                        } else {
                            0.0
                        };
                        eprintln!("step {}/{}  {msg}  {secs:.0} s elapsed, ~{left:.0} s left", st.steps, self.total);
                    }
                }
            }
            ProgressMode::None => {}
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
