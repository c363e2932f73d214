//! The `lumen` command: run, check, devices, info, plot, sweep, compare, modes.
//!
//! Exit codes: 0 success; 2 bad input (scene, arguments, reference file,
//! sweep file); 3 runtime failure (GPU, file system); 4 `sweep`: some
//! variants failed, are incomplete or missing (the others completed);
//! 130 interrupted by Ctrl-C (partial results were written).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use lumen_fdtd::api::{self, ApiError, ErrorKind, Event, RunRequest};
use lumen_fdtd::engine::{self, Backend};
use lumen_fdtd::grid::Component;
use lumen_fdtd::modes;
use lumen_fdtd::monitor::dft::MonitorData;
use lumen_fdtd::plot::{self, PlotError, Quantity, ResultPlotOptions, ScenePlotOptions, Slice};
use lumen_fdtd::run::{ProgressMode, RunOutcome};
use lumen_fdtd::scene::{self, Scene};
use lumen_fdtd::sweep::{self, ReferenceRun, Shard, Sweep, SweepError, SweepOptions};
use lumen_fdtd::units;

const EXIT_BAD_INPUT: u8 = 2;
const EXIT_RUNTIME: u8 = 3;
const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser)]
#[command(
    name = "lumen",
    version,
    about = "GPU FDTD optics solver: micro-LED to waveguide and fiber coupling"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scene file and write its HDF5 result.
    Run {
        scene: PathBuf,
        /// Result file (default: `[run] output` of the scene, else SCENE.h5).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Override a scene value, e.g. --set sources.0.wavelength_um=0.45 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
        /// Drop all geometry (background only): the reference run for normalisation.
        #[arg(long)]
        empty: bool,
        /// Normalise flux monitors with this reference run's result file.
        #[arg(long, value_name = "REF.h5")]
        reference: Option<PathBuf>,
        /// No progress output.
        #[arg(short, long)]
        quiet: bool,
        /// Print a machine-readable summary as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Treat warnings (dubious set-ups, docs/scene-format.md) as errors (exit code 2).
        #[arg(long)]
        strict: bool,
        /// Engine: cpu (native, all cores), gpu (WGSL on a wgpu adapter) or auto
        /// (a hardware GPU if there is one, else cpu); default LUMEN_BACKEND, else auto.
        #[arg(long, value_name = "cpu|gpu|auto", value_parser = parse_backend)]
        backend: Option<Backend>,
    },
    /// Validate a scene and print grid, time step, steps, memory and a time estimate; runs nothing.
    Check {
        scene: PathBuf,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
        #[arg(long)]
        empty: bool,
        #[arg(long)]
        json: bool,
        /// Treat warnings (dubious set-ups, docs/scene-format.md) as errors (exit code 2).
        #[arg(long)]
        strict: bool,
        /// Engine: cpu (native, all cores), gpu (WGSL on a wgpu adapter) or auto
        /// (a hardware GPU if there is one, else cpu); default LUMEN_BACKEND, else auto.
        #[arg(long, value_name = "cpu|gpu|auto", value_parser = parse_backend)]
        backend: Option<Backend>,
    },
    /// The native CPU engine and the GPU and software adapters found, best
    /// first, and which one `--backend auto` takes.
    Devices {
        #[arg(long)]
        json: bool,
    },
    /// Describe what a result file holds.
    Info {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Draw a scene's set-up, or a monitor of a result file, as a PNG image.
    ///
    /// A scene file (TOML) gives slices of the rasterised permittivity with
    /// sources (red), monitors (blue) and PML (green) drawn; nothing runs on
    /// the GPU. A result file (HDF5) gives a dft_fields monitor at one
    /// wavelength, a snapshot frame, or a flux or source_power spectrum.
    /// Axes are in scene coordinates (um).
    Plot(PlotArgs),
    /// Run every variant of a parameter sweep, one result file each, and write
    /// a summary table (CSV and HDF5); resumable and shardable (docs/sweeps.md).
    Sweep(SweepArgs),
    /// Compare results side by side: a table of their metrics and a PNG plot
    /// of one metric against wavelength (or a swept parameter).
    Compare(CompareArgs),
    /// Print the guided modes of a port (a `mode` monitor) of a scene and write
    /// them to HDF5 (and PNG maps in 3D); runs nothing on the GPU.
    Modes(ModesArgs),
}

#[derive(Args)]
struct ModesArgs {
    scene: PathBuf,
    /// The port: the name of a `type = "mode"` monitor of the scene (may be
    /// left out when the scene has exactly one).
    #[arg(long)]
    port: Option<String>,
    /// Solve at this wavelength only (default: the monitor's wavelengths).
    #[arg(long = "wavelength-um", value_name = "UM")]
    wavelength_um: Option<f64>,
    /// At most this many modes per wavelength (default: the monitor's `modes`).
    #[arg(long)]
    modes: Option<usize>,
    /// The HDF5 file (default: SCENE-STEM_PORT_modes.h5 beside the scene).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Pictures: PREFIX_wl{i}_mode{m}.png maps (3D ports) or PREFIX_wl{i}.png
    /// profiles (2D ports) (default: OUTPUT without .h5).
    #[arg(long, value_name = "PREFIX")]
    png: Option<PathBuf>,
    /// Override a scene value, as for `run` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Accepted as for `run`, so scripts can pass it everywhere; the mode
    /// solver itself always runs on the CPU.
    #[arg(long, value_name = "cpu|gpu|auto", value_parser = parse_backend)]
    backend: Option<Backend>,
}

#[derive(Args)]
struct SweepArgs {
    /// The sweep file (TOML, docs/sweeps.md); or give --base and --vary instead.
    #[arg(required_unless_present = "base", conflicts_with = "base")]
    sweep: Option<PathBuf>,
    /// The base scene of a sweep given by --vary flags.
    #[arg(long, value_name = "SCENE", requires = "vary")]
    base: Option<PathBuf>,
    /// A scene key and its values: KEY=v1,v2,... or KEY={start = A, stop = B,
    /// step = S} (or count = N, scale = "log"); repeatable, needs --base.
    #[arg(long, value_name = "KEY=VALUES", requires = "base")]
    vary: Vec<String>,
    /// With --vary: advance the parameters together instead of taking every combination.
    #[arg(long, requires = "base")]
    zip: bool,
    /// A fixed override for every variant, as for `run` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Normalise flux monitors: `empty` (each variant's own reference run with no
    /// geometry), a reference result file, or `none`; replaces the sweep file's.
    #[arg(long, value_name = "empty|REF.h5|none")]
    reference: Option<String>,
    /// The output folder (default: the sweep file's `output`, else its name without .toml).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Run only shard I of N, I from 0 to N-1 (variant k is in shard k mod N);
    /// writes summary-shard-I-of-N.csv/.h5.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Run nothing: merge the results and shard summaries in DIR into DIR/summary.csv and .h5.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["shard", "output"])]
    collect: Option<PathBuf>,
    /// List the variants (id and values) and run nothing.
    #[arg(long, conflicts_with = "collect")]
    list: bool,
    /// No progress output.
    #[arg(short, long)]
    quiet: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Treat warnings (dubious set-ups, docs/scene-format.md) as errors: the
    /// base scene's end the sweep (exit code 2), a variant's fail it.
    #[arg(long)]
    strict: bool,
    /// Engine: cpu (native, all cores), gpu (WGSL on a wgpu adapter) or auto
    /// (a hardware GPU if there is one, else cpu); default LUMEN_BACKEND, else auto.
    #[arg(long, value_name = "cpu|gpu|auto", value_parser = parse_backend)]
    backend: Option<Backend>,
}

#[derive(Args)]
struct CompareArgs {
    /// Result files (.h5) and sweep summary tables (.csv, one design per row).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The plot (default: compare.png).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The quantity plotted, MONITOR.QUANTITY, e.g. trans.ratio or src.power
    /// (default: the first normalised flux, else the first flux).
    #[arg(long)]
    metric: Option<String>,
    /// Plot against this parameter of the summary tables instead of wavelength.
    #[arg(long, value_name = "PARAM")]
    x: Option<String>,
    /// With --x: only the recorded wavelength nearest this one (repeatable).
    #[arg(long = "wavelength-um", value_name = "UM", requires = "x")]
    wavelength_um: Vec<f64>,
    /// Print the table only.
    #[arg(long)]
    no_plot: bool,
    /// Print the metrics as JSON on stdout.
    #[arg(long)]
    json: bool,
}

fn parse_backend(s: &str) -> Result<Backend, String> {
    s.parse()
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

#[derive(Args)]
struct PlotArgs {
    /// A scene file (.toml) or a result file (.h5); told apart by their content.
    input: PathBuf,
    /// The image file (default: SCENE.png, or RESULT.MONITOR.png, beside the input;
    /// only with --monitor when a result file has several things to draw).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Scene: override a scene value, as for `run` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// One plane, e.g. z=0 or x=-0.5 (scene coordinates, um). Scene: default the
    /// whole plane in 2D and three central slices in 3D. Result: the plane of a 3D
    /// box monitor (default: z = 0 if the box reaches it, else its middle layer).
    #[arg(long, value_name = "AXIS=UM", value_parser = parse_slice)]
    slice: Option<Slice>,
    /// Scene: the permittivity at this E component's samples (default: the mean of
    /// Ex, Ey, Ez per cell). Result: draw this component (default: |E|^2).
    #[arg(long, value_name = "Ex..Hz", value_parser = parse_component)]
    component: Option<Component>,
    /// Result: the monitor to draw, or `led` for an LED's coupling report (default:
    /// every monitor and the LED report, one image each as RESULT.NAME.png).
    #[arg(long)]
    monitor: Option<String>,
    /// Result, dft_fields: the recorded wavelength nearest this one (default: the
    /// middle of the monitor's list).
    #[arg(long = "wavelength-um", value_name = "UM")]
    wavelength_um: Option<f64>,
    /// Result: intensity (|F|^2), abs, real or imag (default: intensity, or real
    /// with --component).
    #[arg(long, value_parser = parse_quantity)]
    quantity: Option<Quantity>,
    /// Result, snapshot: the frame, from 0 (default: the last).
    #[arg(long)]
    frame: Option<usize>,
}

fn parse_slice(s: &str) -> Result<Slice, String> {
    s.parse()
}

fn parse_component(s: &str) -> Result<Component, String> {
    plot::parse_component(s)
}

fn parse_quantity(s: &str) -> Result<Quantity, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    api::quiet_mesa_runtime_dir();
    match cli.command {
        Command::Run {
            scene,
            output,
            overrides,
            empty,
            reference,
            quiet,
            json,
            strict,
            backend,
        } => cmd_run(scene, output, &overrides, empty, reference, quiet, json, strict, backend),
        Command::Check {
            scene,
            overrides,
            empty,
            json,
            strict,
            backend,
        } => cmd_check(scene, &overrides, empty, json, strict, backend),
        Command::Devices { json } => cmd_devices(json),
        Command::Info { file, json } => cmd_info(file, json),
        Command::Plot(args) => cmd_plot(args),
        Command::Sweep(args) => cmd_sweep(args),
        Command::Compare(args) => cmd_compare(args),
        Command::Modes(args) => cmd_modes(args),
    }
}

fn load(path: &std::path::Path, overrides: &[String], empty: bool) -> Result<Scene, ExitCode> {
    scene::load(path, overrides, empty).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// Print `warnings` on stderr; with `strict`, they are errors (exit code 2).
fn warn(warnings: &[scene::Warning], strict: bool) -> Result<(), ExitCode> {
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if strict && !warnings.is_empty() {
        eprintln!("error: {} warning(s) and --strict", warnings.len());
        return Err(ExitCode::from(EXIT_BAD_INPUT));
    }
    Ok(())
}

/// What an API call's failure means for the exit code.
fn exit_code(e: &ApiError) -> ExitCode {
    ExitCode::from(match e.kind() {
        ErrorKind::BadInput => EXIT_BAD_INPUT,
        ErrorKind::Runtime => EXIT_RUNTIME,
        ErrorKind::Interrupted => EXIT_INTERRUPTED,
    })
}

/// Set `flag` on Ctrl-C; a second Ctrl-C (while the results are being
/// written) ends the process.
fn on_ctrl_c(flag: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED as i32);
        }
    });
}

/// Progress: none when quiet, a bar on a terminal, else lines.
fn progress_mode(quiet: bool) -> ProgressMode {
    if quiet {
        ProgressMode::None
    } else if std::io::stderr().is_terminal() {
        ProgressMode::Bar
    } else {
        ProgressMode::Lines
    }
}

#[allow(clippy::too_many_arguments)]
fn cmd_run(
    path: PathBuf,
    output: Option<PathBuf>,
    overrides: &[String],
    empty: bool,
    reference: Option<PathBuf>,
    quiet: bool,
    json: bool,
    strict: bool,
    backend: Option<Backend>,
) -> ExitCode {
    let scene = match load(&path, overrides, empty) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let interrupt = Arc::new(AtomicBool::new(false));
    on_ctrl_c(interrupt.clone());
    let warnings = api::warnings(&scene, reference.is_some());
    let req = RunRequest {
        output,
        reference,
        backend,
        strict,
        progress: progress_mode(quiet),
        interrupt,
    };
    let mut said = |ev: Event<'_>| match ev {
        Event::Warnings(w) => {
            for w in w {
                eprintln!("warning: {w}");
            }
        }
        Event::Engine(sel) => {
            if !quiet {
                eprintln!("engine: {} [{}]", sel.engine.describe(), sel.reason);
            }
        }
    };
    match api::run(&scene, req, &mut said) {
        Ok(out) => {
            if json {
                let mut j = outcome_json(&out);
                if let (Some(r), Some(obj)) = (&out.report, j.as_object_mut()) {
                    obj.insert("coupling_report".into(), json!(r));
                }
                if let Some(obj) = j.as_object_mut() {
                    obj.insert("warnings".into(), json!(warnings));
                }
                println!("{j}");
            } else {
                print_summary(&out);
                if let Some(r) = &out.report {
                    println!("\n{r}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit_code(&e)
        }
    }
}

fn outcome_json(out: &RunOutcome) -> serde_json::Value {
    let monitors: Vec<serde_json::Value> = out
        .monitors
        .iter()
        .filter_map(|m| match &m.data {
            MonitorData::Flux { wavelengths_um, flux, .. } => {
                let norm = out.normalized.iter().find(|n| n.monitor == m.name);
                Some(json!({"name": m.name, "type": "flux", "wavelengths_um": wavelengths_um, "flux": flux,
                    "ratio": norm.map(|n| n.ratio.clone()), "incident_flux": norm.map(|n| n.incident_flux.clone())}))
            }
            MonitorData::FarField { wavelengths_um, flux, total, na, na_fraction, .. } => Some(json!({"name": m.name, "type": "far_field",
                "wavelengths_um": wavelengths_um, "flux": flux, "total": total, "na": na, "na_fraction": na_fraction})),
            MonitorData::Mode { wavelengths_um, n_eff, forward, backward, flux, .. } => Some(json!({"name": m.name, "type": "mode",
                "wavelengths_um": wavelengths_um, "n_eff": n_eff, "forward": forward, "backward": backward, "flux": flux,
                "mode_names": (0..n_eff.iter().map(Vec::len).max().unwrap_or(0)).map(|k| modes::mode_name(k, out.mode_family)).collect::<Vec<_>>()})),
            MonitorData::Acceptance { wavelengths_um, na, core_size, accepted, core_flux, flux } => Some(json!({"name": m.name,
                "type": "acceptance", "wavelengths_um": wavelengths_um, "na": na, "core_size": core_size, "accepted": accepted,
                "core_flux": core_flux, "flux": flux})),
            MonitorData::SourcePower { wavelengths_um, power, source_spectrum } => {
                let per_unit: Vec<f64> = power.iter().zip(source_spectrum).map(|(p, s)| p / s.norm_sqr()).collect();
                Some(json!({"name": m.name, "type": "source_power", "wavelengths_um": wavelengths_um, "power": power, "power_per_unit_source": per_unit}))
            }
            _ => None,
        })
        .collect();
    json!({
        "output": out.output, "complete": out.complete, "stop_reason": out.stop_reason, "steps": out.steps,
        "simulated_time_fs": out.simulated_time_fs, "wall_time_s": out.wall_time_s,
        "cell_updates_per_s": out.cell_updates_per_s, "engine": out.engine, "adapter": out.adapter, "monitors": monitors,
    })
}

fn print_summary(out: &RunOutcome) {
    println!(
        "{} steps ({:.1} fs) in {:.1} s, {:.1} M cell-updates/s; {}",
        out.steps,
        out.simulated_time_fs,
        out.wall_time_s,
        out.cell_updates_per_s / 1e6,
        out.stop_reason
    );
    for m in &out.monitors {
        match &m.data {
            MonitorData::Flux { wavelengths_um, flux, .. } => {
                let norm = out.normalized.iter().find(|n| n.monitor == m.name);
                println!("flux `{}`:", m.name);
                match norm {
                    Some(n) => {
                        println!(
                            "  {:>14} {:>14} {:>14}",
                            "wavelength_um",
                            "flux",
                            format!("/ {}", n.incident_monitor)
                        );
                        for ((w, f), r) in wavelengths_um.iter().zip(n.scattered_flux.as_ref().unwrap_or(flux)).zip(&n.ratio) {
                            println!("  {w:>14.5} {f:>14.6e} {r:>14.6}");
                        }
                    }
                    None => {
                        println!("  {:>14} {:>14}", "wavelength_um", "flux");
                        for (w, f) in wavelengths_um.iter().zip(flux) {
                            println!("  {w:>14.5} {f:>14.6e}");
                        }
                    }
                }
            }
            MonitorData::FarField {
                wavelengths_um,
                flux,
                total,
                na,
                na_fraction,
                plane,
                ..
            } => {
                let (what, through) = match plane {
                    Some(p) => (
                        format!(
                            "power over the {}{} hemisphere vs flux through its plane{}",
                            if p.sign > 0.0 { "+" } else { "-" },
                            ["x", "y", "z"][p.axis],
                            p.capture_angle_rad
                                .map(|a| format!(", which captures up to {:.0} deg", a.to_degrees()))
                                .unwrap_or_default()
                        ),
                        "plane flux",
                    ),
                    None => ("power over all directions vs flux out of its box".to_string(), "box flux"),
                };
                println!("far field `{}` ({what}):", m.name);
                for (f, w) in wavelengths_um.iter().enumerate() {
                    let frac = match (na, na_fraction) {
                        (Some(na), Some(fr)) => format!("  within NA {na}: {:.4}", fr[f]),
                        _ => String::new(),
                    };
                    println!("  {w:>10.5} um  total {:.4e}  {through} {:.4e}{frac}", total[f], flux[f]);
                }
            }
            MonitorData::Acceptance {
                wavelengths_um,
                na,
                core_size,
                accepted,
                core_flux,
                flux,
            } => {
                let unit = if out.mode_family.is_none() { "um^2" } else { "um" };
                println!(
                    "acceptance `{}` (power into the core within NA {na:.4}, geometric approximation; core {core_size:.4} {unit}):",
                    m.name
                );
                for (f, w) in wavelengths_um.iter().enumerate() {
                    println!(
                        "  {w:>10.5} um  accepted {:.4e} ({:.4} of the plane's flux)  core flux {:.4e}  plane flux {:.4e}",
                        accepted[f],
                        accepted[f] / flux[f],
                        core_flux[f],
                        flux[f]
                    );
                }
            }
            MonitorData::Mode {
                wavelengths_um,
                n_eff,
                forward,
                backward,
                flux,
                ..
            } => {
                println!(
                    "mode port `{}` (power per guided mode, forward / backward; mode 1 = fundamental):",
                    m.name
                );
                for (f, w) in wavelengths_um.iter().enumerate() {
                    let modes: Vec<String> = (0..n_eff[f].len())
                        .map(|k| {
                            format!(
                                "{} n_eff {:.5}: {:.4e} / {:.4e}",
                                modes::mode_name(k, out.mode_family),
                                n_eff[f][k],
                                forward[f][k],
                                backward[f][k]
                            )
                        })
                        .collect();
                    println!("  {w:>10.5} um  flux {:.4e}  {}", flux[f], modes.join("; "));
                }
            }
            MonitorData::SourcePower {
                wavelengths_um,
                power,
                source_spectrum,
            } => {
                println!("source power `{}`:", m.name);
                println!("  {:>14} {:>14} {:>22}", "wavelength_um", "power", "power / |source|^2");
                for ((w, p), s) in wavelengths_um.iter().zip(power).zip(source_spectrum) {
                    println!("  {w:>14.5} {p:>14.6e} {:>22.6e}", p / s.norm_sqr());
                }
            }
            _ => {}
        }
    }
    println!("results: {}", out.output.display());
}

/// Whether `path` is a sweep file (a `base` scene and what to vary) rather
/// than a scene.
fn is_sweep_file(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|t| t.contains_key("base") && !t.contains_key("simulation"))
}

/// `lumen check` on a sweep file: the sweep itself, then every variant's
/// scene (its errors and warnings), without running anything.
fn cmd_check_sweep(path: &std::path::Path, overrides: &[String], json: bool, strict: bool) -> ExitCode {
    let mut sw = match Sweep::load(path) {
        Ok(s) => s,
        Err(e) => return sweep_error(e),
    };
    sw.set.extend(overrides.iter().cloned());
    let mut rows = Vec::new();
    let mut bad = 0;
    for v in &sw.variants {
        let (status, detail) = match scene::load(&sw.base, &sw.overrides(v), false) {
            Ok(s) if s.warnings.is_empty() => ("ok", String::new()),
            Ok(s) => {
                if strict {
                    bad += 1;
                }
                ("warnings", s.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("; "))
            }
            Err(e) => {
                bad += 1;
                ("error", e.to_string())
            }
        };
        rows.push((v.id.clone(), sw.describe(v), status, detail));
    }
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(id, values, status, detail)| json!({"variant": id, "values": values, "status": status, "detail": detail}))
            .collect();
        println!("{}", json!({"sweep": path, "base": sw.base, "variants": v, "failed": bad}));
    } else {
        println!(
            "sweep:     {} (a sweep file: {} variants of {})",
            path.display(),
            sw.variants.len(),
            sw.base.display()
        );
        for (id, values, status, detail) in &rows {
            println!(
                "  {id}  {values}  {status}{}",
                if detail.is_empty() { String::new() } else { format!(": {detail}") }
            );
        }
        println!(
            "run it with `lumen sweep {}`; `lumen check {}` checks the base scene alone",
            path.display(),
            sw.base.display()
        );
    }
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BAD_INPUT)
    }
}

fn cmd_check(path: PathBuf, overrides: &[String], empty: bool, json: bool, strict: bool, backend: Option<Backend>) -> ExitCode {
    if is_sweep_file(&path) {
        return cmd_check_sweep(&path, overrides, json, strict);
    }
    // What a run repeats before its first step (parse, rasterise, prepare,
    // open the engine), timed: part of the estimate.
    let setup_started = std::time::Instant::now();
    let scene = match load(&path, overrides, empty) {
        Ok(s) => s,
        Err(c) => return c,
    };
    if let Err(c) = warn(&scene.warnings, strict) {
        return c;
    }
    let r = match api::check(&scene, backend, setup_started) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code(&e);
        }
    };
    let (steps, bounded, typical, typical_s, est, map_runs, led_runs) = (
        r.steps,
        r.steps_bound,
        r.typical_steps,
        r.typical_seconds,
        r.estimated_seconds,
        r.map_runs,
        r.led_runs,
    );
    let (mem, limit, total_limit, fits, rate, setup_s, cell_updates) = (
        &r.memory,
        r.buffer_limit_bytes,
        r.total_limit_bytes,
        r.fits,
        &r.rate,
        r.setup_seconds,
        r.cell_updates,
    );
    let g = &scene.prepared.grid;
    if json {
        let mut v = r.to_json(&path, &scene.warnings);
        for (a, m) in g.mesh.iter().enumerate() {
            if let Some(m) = m {
                v[format!("graded_{}", ["x", "y", "z"][a])] = serde_json::json!({
                    "cells": m.cells(),
                    "smallest_cell_um": m.min_width(),
                    "description": m.describe(scene.origin_offset_um[a]),
                });
            }
        }
        println!("{v}");
    } else {
        println!("scene:     {}", path.display());
        println!(
            "grid:      {} x {} x {} = {} cells, dx = {} um ({})",
            g.nx,
            g.ny,
            g.nz,
            g.cells(),
            units::short(g.dx, 6),
            g.dims.name()
        );
        for (a, m) in g.mesh.iter().enumerate() {
            if let Some(m) = m {
                println!("graded {}:  {}", ["x", "y", "z"][a], m.describe(scene.origin_offset_um[a]));
            }
        }
        println!(
            "time step: {:.5} fs (Courant {}{})",
            units::time_to_fs(g.dt),
            units::short(g.courant(), 6),
            if g.is_graded() {
                " of the base cell; set by the smallest cells"
            } else {
                ""
            }
        );
        println!("steps:     {bounded} {steps} ({:.1} fs)", units::time_to_fs(steps as f64 * g.dt));
        if let Some(planes) = &r.mirror_planes {
            let (n, full) = (r.stepped_cells, g.cells());
            println!(
                "symmetry:  mirror planes {planes}: each step updates {n} of the {full} cells ({:.0}%), saving {:.0}% of the cell updates",
                100.0 * n as f64 / full as f64,
                100.0 * (1.0 - n as f64 / full as f64)
            );
        } else if scene.simulation.symmetry.whole_domain {
            println!("symmetry:  declared, but `fold = false`: the whole grid is stepped");
        }
        if map_runs > 0 {
            println!(
                "maps:      {map_runs} coupling-map run{} (one per mapped port mode, by reciprocity)",
                if map_runs == 1 { "" } else { "s" }
            );
        }
        if let Some(l) = &scene.led {
            println!(
                "LED:       {led_runs} dipole run{} ({} position{} x {} orientation{}{})",
                if led_runs == 1 { "" } else { "s" },
                l.positions_um.len(),
                if l.positions_um.len() == 1 { "" } else { "s" },
                l.orientations.len(),
                if l.orientations.len() == 1 { "" } else { "s" },
                if led_runs < l.run_count_without_symmetry() {
                    format!(", {} without the declared symmetry", l.run_count_without_symmetry())
                } else {
                    String::new()
                }
            );
        }
        match r.engine {
            "gpu" => println!(
                "memory:    {:.1} MiB on the device; largest buffer {:.1} MiB, adapter allows {:.1} MiB per binding{}",
                mem.total_bytes as f64 / 1048576.0,
                mem.largest_buffer_bytes as f64 / 1048576.0,
                limit as f64 / 1048576.0,
                if fits { "" } else { "  -- DOES NOT FIT" }
            ),
            _ => println!(
                "memory:    {:.1} MiB of host memory; {:.1} MiB available{}",
                mem.total_bytes as f64 / 1048576.0,
                total_limit as f64 / 1048576.0,
                if fits { "" } else { "  -- DOES NOT FIT" }
            ),
        }
        println!("engine:    {}", r.adapter);
        let secs = |x: f64| {
            if x < 1.0 {
                format!("{x:.2}")
            } else if x < 10.0 {
                format!("{x:.1}")
            } else {
                format!("{x:.0}")
            }
        };
        match typical_s {
            Some(t) => println!(
                "estimate:  typically ~{} s (~{} steps: the source, then 2 light crossings of the domain), at most ~{} s (the max_fs cap)",
                secs(t),
                typical.unwrap_or(steps),
                secs(est)
            ),
            None => println!(
                "estimate:  ~{} s ({cell_updates:.2e} cell updates{})",
                secs(est),
                if r.dft_accumulators > 0 {
                    ", DFT monitors counted as cells"
                } else {
                    ""
                }
            ),
        }
        println!(
            "           (includes {} s of set-up: reading, rasterising, preparing, opening the engine)",
            secs(setup_s)
        );
        println!("rate:      {:.3e} cell updates/s, {}", rate.cell_updates_per_s, rate.basis);
    }
    if fits {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BAD_INPUT)
    }
}

fn cmd_devices(json: bool) -> ExitCode {
    let d = api::devices();
    if json {
        println!("{}", d.to_json());
        return ExitCode::SUCCESS;
    }
    let (native, list, auto) = (&d.native, &d.adapters, &d.auto);
    println!("cpu: {native}");
    if list.is_empty() {
        println!("gpu: no adapters found (a GPU driver, or Mesa's libegl1 libgl1-mesa-dri / mesa-vulkan-drivers, provides one)");
    }
    for (i, a) in list.iter().enumerate() {
        println!(
            "gpu: {}{} [{:?}, {:?}{}] driver {}",
            if i == 0 { "* " } else { "  " },
            a.name,
            a.backend,
            a.device_type,
            if engine::is_software(a) { ", software" } else { "" },
            a.driver
        );
        println!(
            "       max storage binding {} MiB, max buffer {} MiB, {} storage buffers per stage, {} invocations per workgroup",
            a.max_storage_buffer_binding_size >> 20,
            a.max_buffer_size >> 20,
            a.max_storage_buffers_per_shader_stage,
            a.max_compute_invocations_per_workgroup
        );
    }
    println!("--backend auto: {auto}");
    if !list.is_empty() {
        println!("(* = the adapter --backend gpu uses; choose with LUMEN_ADAPTER=<name part> and WGPU_BACKEND=vulkan|gl|metal|dx12;");
        println!(" threads of the native engine with RAYON_NUM_THREADS)");
    }
    ExitCode::SUCCESS
}

fn cmd_info(file: PathBuf, json: bool) -> ExitCode {
    match lumen_fdtd::output::read_summary(&file) {
        Ok(s) => {
            if json {
                match serde_json::to_string_pretty(&s) {
                    Ok(t) => println!("{t}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(EXIT_RUNTIME);
                    }
                }
            } else {
                println!("{s}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Whether a file starts with the HDF5 signature (result files do; scene files are text).
fn is_hdf5(path: &std::path::Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let mut f = std::fs::File::open(path)?;
    let n = f.read(&mut head)?;
    Ok(n == 8 && head == *b"\x89HDF\r\n\x1a\n")
}

fn plot_error(e: PlotError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_RUNTIME })
}

fn cmd_plot(a: PlotArgs) -> ExitCode {
    let is_result = match is_hdf5(&a.input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", a.input.display());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    // Options of the other kind of input are refused rather than ignored.
    let misplaced: &[(bool, &str)] = if is_result {
        &[(!a.overrides.is_empty(), "--set")]
    } else {
        &[
            (a.monitor.is_some(), "--monitor"),
            (a.wavelength_um.is_some(), "--wavelength-um"),
            (a.quantity.is_some(), "--quantity"),
            (a.frame.is_some(), "--frame"),
        ]
    };
    if let Some((_, opt)) = misplaced.iter().find(|(given, _)| *given) {
        let (applies, this) = if is_result {
            ("scene files", "a result file")
        } else {
            ("result files (.h5)", "a scene file")
        };
        eprintln!("error: {opt} applies to {applies}; {} is {this}", a.input.display());
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    if is_result && a.monitor.is_none() {
        match plot::result::plot_targets(&a.input) {
            Ok(t) if t.len() > 1 => return plot_all(&a, &t),
            Ok(_) => {}
            Err(e) => return plot_error(e),
        }
    }
    let (image, out, what) = if is_result {
        let opts = ResultPlotOptions {
            monitor: a.monitor,
            wavelength_um: a.wavelength_um,
            component: a.component,
            quantity: a.quantity,
            frame: a.frame,
            slice: a.slice,
        };
        match plot::result::plot_result(&a.input, &opts) {
            Ok(r) => {
                let out = a.output.unwrap_or_else(|| plot::result::default_output(&a.input, &r.monitor));
                (r.image, out, r.description)
            }
            Err(e) => return plot_error(e),
        }
    } else {
        let scene = match load(&a.input, &a.overrides, false) {
            Ok(s) => s,
            Err(c) => return c,
        };
        let opts = ScenePlotOptions {
            slice: a.slice,
            component: a.component,
        };
        match plot::scene::plot_scene(&scene, &opts) {
            Ok(image) => {
                let out = a.output.unwrap_or_else(|| plot::scene::default_output(&a.input));
                (image, out, "permittivity, sources, monitors and PML".to_string())
            }
            Err(e) => return plot_error(e),
        }
    };
    if let Err(e) = image.write_png(&out) {
        return plot_error(e);
    }
    println!("{} ({} x {} px): {what}", out.display(), image.width, image.height);
    ExitCode::SUCCESS
}

/// `lumen plot RESULT.h5` without `--monitor` when the file holds several
/// things to draw: one image each, beside the result file. Options that
/// pick a wavelength, component, frame or plane belong to one monitor and
/// are refused; a monitor that cannot be drawn is reported and skipped.
fn plot_all(a: &PlotArgs, targets: &[String]) -> ExitCode {
    let one_monitor = [
        (a.output.is_some(), "--output"),
        (a.wavelength_um.is_some(), "--wavelength-um"),
        (a.component.is_some(), "--component"),
        (a.quantity.is_some(), "--quantity"),
        (a.frame.is_some(), "--frame"),
        (a.slice.is_some(), "--slice"),
    ];
    if let Some((_, opt)) = one_monitor.iter().find(|(given, _)| *given) {
        eprintln!(
            "error: {opt} applies to one picture; {} has {} ({}): name one with --monitor NAME",
            a.input.display(),
            targets.len(),
            targets.join(", ")
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    println!("{}: drawing {} pictures ({})", a.input.display(), targets.len(), targets.join(", "));
    let mut drawn = 0;
    for name in targets {
        let opts = ResultPlotOptions {
            monitor: Some(name.clone()),
            ..Default::default()
        };
        let r = match plot::result::plot_result(&a.input, &opts) {
            Ok(r) => r,
            Err(e) if e.is_bad_input() => {
                eprintln!("{name}: not drawn: {e}");
                continue;
            }
            Err(e) => return plot_error(e),
        };
        let out = plot::result::default_output(&a.input, &r.monitor);
        if let Err(e) = r.image.write_png(&out) {
            return plot_error(e);
        }
        println!("{} ({} x {} px): {}", out.display(), r.image.width, r.image.height, r.description);
        drawn += 1;
    }
    if drawn == 0 {
        eprintln!("error: {}: nothing could be drawn", a.input.display());
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    println!(
        "one picture: lumen plot {} --monitor NAME (with its options, see lumen plot --help)",
        a.input.display()
    );
    ExitCode::SUCCESS
}

fn sweep_error(e: SweepError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_RUNTIME })
}

fn cmd_sweep(a: SweepArgs) -> ExitCode {
    let loaded = match (&a.sweep, &a.base) {
        (Some(file), _) => Sweep::load(file),
        (None, Some(base)) => Sweep::from_flags(base, &a.vary, a.zip),
        (None, None) => unreachable!("clap requires SWEEP or --base"),
    };
    let mut sw = match loaded {
        Ok(s) => s,
        Err(e) => return sweep_error(e),
    };
    sw.set.extend(a.overrides);
    match a.reference.as_deref() {
        None => {}
        Some("none") => sw.reference = ReferenceRun::None,
        Some("empty") => sw.reference = ReferenceRun::Empty,
        Some(p) => sw.reference = ReferenceRun::File(PathBuf::from(p)),
    }
    if a.list {
        if a.json {
            let v: Vec<serde_json::Value> = sw
                .variants
                .iter()
                .map(|v| json!({"index": v.index, "variant": v.id, "set": sw.overrides(v)}))
                .collect();
            println!("{}", serde_json::Value::from(v));
        } else {
            for v in &sw.variants {
                println!("{}  {}", v.id, sw.describe(v));
            }
        }
        return ExitCode::SUCCESS;
    }
    let done = |r: &sweep::SweepReport| {
        if a.json {
            println!("{}", r.to_json());
        } else {
            let (ok, incomplete, failed, missing) = r.table.counts();
            println!(
                "{} variants: {ok} ok ({} run, {} skipped), {failed} failed, {incomplete} incomplete, {missing} missing",
                r.table.rows.len(),
                r.ran,
                r.skipped
            );
            println!("summary: {} and {}", r.summary_csv.display(), r.summary_h5.display());
        }
        if r.interrupted {
            ExitCode::from(EXIT_INTERRUPTED)
        } else if r.all_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(sweep::EXIT_SOME_FAILED)
        }
    };
    if let Some(dir) = &a.collect {
        return match sweep::collect(&sw, dir) {
            Ok(r) => done(&r),
            Err(e) => sweep_error(e),
        };
    }
    let interrupt = Arc::new(AtomicBool::new(false));
    on_ctrl_c(interrupt.clone());
    let progress = progress_mode(a.quiet);
    let output = a.output.unwrap_or_else(|| sw.output.clone());
    if !a.quiet {
        let n = sw.variants.len();
        let mine = a.shard.map_or(n, |s| (0..n).filter(|&i| s.holds(i)).count());
        let shard = a.shard.map(|s| format!(", shard {s}: {mine} of them")).unwrap_or_default();
        eprintln!("sweep: {n} variants{shard}; results in {}", output.display());
    }
    if a.strict {
        // The base scene's warnings end the sweep before anything runs.
        match scene::load(&sw.base, &sw.set, false) {
            Ok(base) => {
                if let Err(c) = warn(&base.warnings, true) {
                    return c;
                }
            }
            Err(e) => return sweep_error(SweepError::BaseScene(e)),
        }
    }
    let opts = SweepOptions {
        strict: a.strict,
        output,
        shard: a.shard,
        progress,
        interrupt,
        backend: match Backend::resolve(a.backend) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        },
    };
    match sweep::run_sweep(&sw, &opts) {
        Ok(r) => done(&r),
        Err(e) => sweep_error(e),
    }
}

fn cmd_compare(a: CompareArgs) -> ExitCode {
    let designs = match sweep::compare::load(&a.inputs) {
        Ok(d) => d,
        Err(e) => return sweep_error(e),
    };
    let plotted = if a.no_plot {
        None
    } else {
        let out = a.output.clone().unwrap_or_else(|| PathBuf::from("compare.png"));
        match sweep::compare::plot(&designs, a.metric.as_deref(), a.x.as_deref(), &a.wavelength_um) {
            Ok((image, what)) => {
                if let Err(e) = image.write_png(&out) {
                    return plot_error(e);
                }
                Some((out, image.width, image.height, what))
            }
            Err(e) => return sweep_error(e),
        }
    };
    if a.json {
        let d: Vec<serde_json::Value> = designs
            .iter()
            .map(|d| {
                json!({"label": d.label, "source": d.source, "status": d.status, "wall_time_s": d.wall_time_s,
                    "params": d.params.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
                    "metrics": d.metrics.iter().map(|(n, v)| (n.clone(), json!(v))).collect::<serde_json::Map<_, _>>()})
            })
            .collect();
        println!("{}", json!({"designs": d, "plot": plotted.as_ref().map(|p| &p.0)}));
    } else {
        print!("{}", sweep::compare::table_text(&designs));
        if let Some((out, w, h, what)) = plotted {
            println!("{} ({w} x {h} px): {what}", out.display());
        }
    }
    ExitCode::SUCCESS
}

fn cmd_modes(a: ModesArgs) -> ExitCode {
    use lumen_fdtd::modes::report::{solve_port, PortReport, ReportError};
    let fail = |e: ReportError| {
        eprintln!("error: {e}");
        ExitCode::from(match e {
            ReportError::Input(_) => EXIT_BAD_INPUT,
            ReportError::Runtime(_) => EXIT_RUNTIME,
        })
    };
    if let Err(e) = Backend::resolve(a.backend) {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let scene = match load(&a.scene, &a.overrides, false) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let port = match a.port.clone() {
        Some(p) => p,
        None => {
            let names = lumen_fdtd::modes::report::port_names(&scene);
            match names.as_slice() {
                [one] => one.clone(),
                [] => {
                    return fail(ReportError::Input(format!(
                        "{}: the scene has no `mode` monitors",
                        a.scene.display()
                    )))
                }
                many => {
                    return fail(ReportError::Input(format!(
                        "{} has {} ports: name one with --port ({})",
                        a.scene.display(),
                        many.len(),
                        many.join(", ")
                    )))
                }
            }
        }
    };
    let wl = a.wavelength_um.map(|w| vec![w]);
    let report = match solve_port(&scene, &port, wl.as_deref(), a.modes) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print!("{}", report.table());
    let output = a.output.unwrap_or_else(|| PortReport::default_output(&a.scene, &port));
    if let Err(e) = report.write_hdf5(&output) {
        return fail(e);
    }
    println!("modes: {}", output.display());
    let prefix = a.png.unwrap_or_else(|| output.with_extension(""));
    let what = if report.three_d { "map" } else { "profiles" };
    match report.write_pngs(&prefix) {
        Ok(files) => {
            for f in files {
                println!("{what}: {}", f.display());
            }
        }
        Err(e) => return fail(e),
    }
    ExitCode::SUCCESS
}
