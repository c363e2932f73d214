//! Helpers shared by the integration tests.
//!
//! Physics tests step on [`engine`]: the native CPU engine unless
//! `LUMEN_TEST_BACKEND=gpu` asks for the WGSL path on the adapter found. The
//! WGSL kernels keep their own coverage whatever that says: tests/gpu_vs_cpu.rs
//! compares them with the native engine with every feature on, and the tests
//! that name [`gpu_engine`] run on the adapter.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use lumen_fdtd::cpu::CpuInfo;
use lumen_fdtd::engine::{Engine, RunStepper};
use lumen_fdtd::gpu::{AdapterRequest, GpuContext};
use lumen_fdtd::{Prepared, Simulation};

/// One device per test binary (the software adapter is slow to start).
pub fn ctx() -> Arc<GpuContext> {
    static CTX: OnceLock<Arc<GpuContext>> = OnceLock::new();
    CTX.get_or_init(|| {
        let c = GpuContext::new(&AdapterRequest::from_env()).expect("a wgpu adapter (Mesa llvmpipe or lavapipe without a GPU)");
        eprintln!("adapter: {}", c.adapter);
        c
    })
    .clone()
}

/// The WGSL path on the adapter found.
pub fn gpu_engine() -> Engine {
    Engine::Gpu(ctx())
}

/// The native CPU engine.
pub fn cpu_engine() -> Engine {
    Engine::Cpu(CpuInfo::detect())
}

/// The engine physics tests run on: `LUMEN_TEST_BACKEND=gpu` for the WGSL
/// path, the native engine otherwise.
pub fn engine() -> Engine {
    match std::env::var("LUMEN_TEST_BACKEND").as_deref() {
        Ok("gpu") => gpu_engine(),
        _ => cpu_engine(),
    }
}

/// Tests in one binary run on threads but share the device (and the native
/// engine uses every core); on Mesa's GL driver long submissions from two
/// threads can starve each other, so stepping in tests takes turns.
pub fn gpu_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A stepper for `p` on [`engine`].
pub fn stepper(p: &Prepared) -> Box<dyn RunStepper> {
    engine().stepper(p).expect("stepper")
}

/// `sim` prepared (folded onto its mirror planes, if it has any) and run
/// for `steps` on [`engine`].
pub fn run(sim: &Simulation, steps: usize) -> Box<dyn RunStepper> {
    let p = sim
        .for_stepper(&sim.prepare().expect("valid simulation"))
        .expect("symmetric set-up");
    let _turn = gpu_turn();
    let mut s = stepper(&p);
    s.run(steps).expect("run");
    s
}

/// A scene text (an `until_fs` stop) read with `overrides`, run on
/// [`engine`] for its steps: the scene, its monitor results and the steps.
pub fn run_scene_text(text: &str, overrides: &[String]) -> (lumen_fdtd::scene::Scene, Vec<lumen_fdtd::monitor::dft::MonitorResult>, usize) {
    let s = lumen_fdtd::scene::parse(text, "test.toml", overrides, false).unwrap_or_else(|e| panic!("{e}"));
    let lumen_fdtd::scene::StopCondition::Time { time } = s.stop else {
        panic!("until_fs scenes only")
    };
    let steps = (time / s.prepared.grid.dt).ceil() as usize;
    let m = {
        let _turn = gpu_turn();
        let mut st = stepper(&s.prepared);
        st.run(steps).expect("run");
        st.monitor_results().expect("monitor results")
    };
    (s, m, steps)
}

/// ||a - b|| / max(||a||, ||b||) (MEEP's comparison).
pub fn rel_l2(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let d: f64 = a.iter().zip(b).map(|(&x, &y)| ((x - y) as f64).powi(2)).sum::<f64>().sqrt();
    let na: f64 = a.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
    d / na.max(nb)
}

/// Complex amplitude of a real time series at frequency f (per unit time),
/// from samples at times t0 + n dt, over the last `periods` whole periods.
pub fn amplitude_at(series: &[f32], t0: f64, dt: f64, f: f64, periods: usize) -> (f64, f64) {
    let per = 1.0 / f;
    let count = ((periods as f64 * per) / dt).round() as usize;
    assert!(count <= series.len(), "series too short for {periods} periods");
    let start = series.len() - count;
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &v) in series[start..].iter().enumerate() {
        let t = t0 + (start + n) as f64 * dt;
        let ph = std::f64::consts::TAU * f * t;
        re += v as f64 * ph.cos();
        im += v as f64 * ph.sin();
    }
    (2.0 * re / count as f64, 2.0 * im / count as f64)
}

/// Resident set size of this process in bytes (Linux: /proc/self/status).
pub fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A line current (`COMP`) in vacuum, 2D `POL`, with its source power and
/// the flux out of a 2 um box around it (tests/cli.rs, tests/graded_mesh.rs).
pub const DIPOLE_2D: &str = r#"
[simulation]
dimensions = "2d"
polarization = "POL"
size_um = [6.0, 6.0]
resolution = 20

[boundaries]
default = { type = "pml", thickness_um = 1.0 }

[[sources]]
type = "dipole"
position_um = [0.0, 0.0]
component = "COMP"
profile = "gaussian"
wavelength_um = 1.0
bandwidth_um = 0.6

[[monitors]]
name = "power"
type = "source_power"
source = 0
wavelengths_um = [0.9, 1.0, 1.1]

[[monitors]]
name = "box"
type = "flux"
center_um = [0.0, 0.0]
size_um = [2.0, 2.0]
wavelengths_um = [0.9, 1.0, 1.1]

[run]
until_fs = 200
"#;

// The `lumen` binary from tests (tests/cli.rs, tests/graded_mesh.rs).

/// The `lumen` binary built for the tests.
pub fn lumen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lumen"))
}

pub fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lumen-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Run `lumen run --json` (the scene's output file `out`) and return the
/// parsed summary.
pub fn run_json(scene: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let o = lumen()
        .arg("run")
        .arg(scene)
        .arg("-o")
        .arg(out)
        .arg("--json")
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "lumen run {} failed: {stderr}", scene.display());
    assert!(out.exists(), "no result file");
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

pub fn monitor<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["monitors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no monitor {name} in {v}"))
}

pub fn values(v: &serde_json::Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}
