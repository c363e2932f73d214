//! The `lumen` command: run, check, devices, info.
//!
//! Exit codes: 0 success; 2 bad input (scene, arguments, reference file);
//! 3 runtime failure (GPU, file system); 130 interrupted by Ctrl-C (partial
//! results were written).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Parser, Subcommand};
use serde_json::json;

use lumen_fdtd::gpu::context::list_adapters;
use lumen_fdtd::gpu::stepper::memory_estimate;
use lumen_fdtd::gpu::{AdapterRequest, GpuContext};
use lumen_fdtd::monitor::dft::MonitorData;
use lumen_fdtd::run::{run_scene, ProgressMode, RunError, RunOptions, RunOutcome};
use lumen_fdtd::scene::{self, Scene, StopCondition};
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
    },
    /// List the GPU and software adapters found, best first.
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            scene,
            output,
            overrides,
            empty,
            reference,
            quiet,
            json,
        } => cmd_run(scene, output, &overrides, empty, reference, quiet, json),
        Command::Check {
            scene,
            overrides,
            empty,
            json,
        } => cmd_check(scene, &overrides, empty, json),
        Command::Devices { json } => cmd_devices(json),
        Command::Info { file, json } => cmd_info(file, json),
    }
}

fn load(path: &std::path::Path, overrides: &[String], empty: bool) -> Result<Scene, ExitCode> {
    scene::load(path, overrides, empty).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

fn context() -> Result<Arc<GpuContext>, ExitCode> {
    GpuContext::new(&AdapterRequest::from_env()).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_RUNTIME)
    })
}

fn cmd_run(
    path: PathBuf,
    output: Option<PathBuf>,
    overrides: &[String],
    empty: bool,
    reference: Option<PathBuf>,
    quiet: bool,
    json: bool,
) -> ExitCode {
    let scene = match load(&path, overrides, empty) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let output = output.or_else(|| scene.output.clone()).unwrap_or_else(|| path.with_extension("h5"));
    let ctx = match context() {
        Ok(c) => c,
        Err(c) => return c,
    };
    if !quiet {
        eprintln!("adapter: {}", ctx.adapter);
    }
    let interrupt = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupt.clone();
        // A second Ctrl-C while the results are being written ends the process.
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(EXIT_INTERRUPTED as i32);
            }
        });
    }
    let progress = if quiet {
        ProgressMode::None
    } else if std::io::stderr().is_terminal() {
        ProgressMode::Bar
    } else {
        ProgressMode::Lines
    };
    let opts = RunOptions {
        output,
        reference,
        progress,
        interrupt,
    };
    match run_scene(&scene, ctx, &opts) {
        Ok(out) => {
            if json {
                println!("{}", outcome_json(&out));
            } else {
                print_summary(&out);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                RunError::Input(_) => ExitCode::from(EXIT_BAD_INPUT),
                RunError::Runtime(_) => ExitCode::from(EXIT_RUNTIME),
                RunError::Interrupted => ExitCode::from(EXIT_INTERRUPTED),
            }
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
        "cell_updates_per_s": out.cell_updates_per_s, "adapter": out.adapter, "monitors": monitors,
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

fn cmd_check(path: PathBuf, overrides: &[String], empty: bool, json: bool) -> ExitCode {
    let scene = match load(&path, overrides, empty) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let p = match scene.simulation.prepare() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let g = &p.grid;
    let (steps, bounded) = match scene.stop {
        StopCondition::Time { time } => ((time / g.dt).ceil() as usize, "exactly"),
        StopCondition::Decay { max_time, .. } => ((max_time / g.dt).ceil() as usize, "at most"),
    };
    let mem = memory_estimate(&p);
    let ctx = match context() {
        Ok(c) => c,
        Err(c) => return c,
    };
    let limit = ctx.limits.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
    let fits = mem.largest_buffer_bytes <= limit;
    // Rough throughput by adapter kind, from measurements in docs/PERFORMANCE.md.
    let rate = match ctx.adapter.device_type {
        wgpu::DeviceType::Cpu => 2.0e7,
        wgpu::DeviceType::IntegratedGpu => 1.0e9,
        _ => 5.0e9,
    };
    let cell_updates = g.cells() as f64 * steps as f64;
    let est = cell_updates / rate;
    if json {
        println!(
            "{}",
            json!({"scene": path, "grid_shape": g.shape(), "cells": g.cells(), "cell_size_um": g.dx, "dt_fs": units::time_to_fs(g.dt),
                "steps": steps, "steps_bound": bounded, "memory_bytes": mem.total_bytes, "largest_buffer_bytes": mem.largest_buffer_bytes,
                "adapter": ctx.adapter.to_string(), "adapter_binding_limit_bytes": limit, "fits": fits, "estimated_seconds": est})
        );
    } else {
        println!("scene:     {}", path.display());
        println!(
            "grid:      {} x {} x {} = {} cells, dx = {} um ({:?})",
            g.nx,
            g.ny,
            g.nz,
            g.cells(),
            g.dx,
            g.dims
        );
        println!("time step: {:.5} fs (Courant {})", units::time_to_fs(g.dt), g.courant());
        println!("steps:     {bounded} {steps} ({:.1} fs)", units::time_to_fs(steps as f64 * g.dt));
        println!(
            "memory:    {:.1} MiB on the device; largest buffer {:.1} MiB, adapter allows {:.1} MiB per binding{}",
            mem.total_bytes as f64 / 1048576.0,
            mem.largest_buffer_bytes as f64 / 1048576.0,
            limit as f64 / 1048576.0,
            if fits { "" } else { "  -- DOES NOT FIT" }
        );
        println!("adapter:   {}", ctx.adapter);
        println!(
            "estimate:  ~{est:.0} s ({:.2e} cell updates at a rough {:.0e}/s for this kind of adapter)",
            cell_updates, rate
        );
    }
    if fits {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BAD_INPUT)
    }
}

fn cmd_devices(json: bool) -> ExitCode {
    let list = list_adapters(AdapterRequest::from_env().backends);
    if json {
        let v: Vec<serde_json::Value> = list
            .iter()
            .map(|a| {
                json!({"name": a.name, "backend": format!("{:?}", a.backend), "type": format!("{:?}", a.device_type), "driver": a.driver,
                "max_storage_buffer_binding_size": a.max_storage_buffer_binding_size, "max_buffer_size": a.max_buffer_size,
                "max_storage_buffers_per_shader_stage": a.max_storage_buffers_per_shader_stage,
                "max_compute_invocations_per_workgroup": a.max_compute_invocations_per_workgroup})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else if list.is_empty() {
        eprintln!("no adapters found: install Mesa (libegl1 libgl1-mesa-dri for OpenGL, mesa-vulkan-drivers for Vulkan) or a GPU driver");
        return ExitCode::from(EXIT_RUNTIME);
    } else {
        for (i, a) in list.iter().enumerate() {
            println!(
                "{}{} [{:?}, {:?}] driver {}",
                if i == 0 { "* " } else { "  " },
                a.name,
                a.backend,
                a.device_type,
                a.driver
            );
            println!(
                "    max storage binding {} MiB, max buffer {} MiB, {} storage buffers per stage, {} invocations per workgroup",
                a.max_storage_buffer_binding_size >> 20,
                a.max_buffer_size >> 20,
                a.max_storage_buffers_per_shader_stage,
                a.max_compute_invocations_per_workgroup
            );
        }
        println!("(* = used by default; choose with LUMEN_ADAPTER=<name part> and WGPU_BACKEND=vulkan|gl|metal|dx12)");
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
