//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use lumen_fdtd::gpu::{AdapterRequest, GpuContext, GpuStepper};
use lumen_fdtd::{Prepared, Simulation, Stepper};

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

/// Tests in one binary run on threads but share the device; on Mesa's GL
/// driver long submissions from two threads can starve each other, so GPU
/// work in tests takes turns.
pub fn gpu_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn gpu(p: &Prepared) -> GpuStepper {
    GpuStepper::new(ctx(), p).expect("GPU stepper")
}

pub fn run_gpu(sim: &Simulation, steps: usize) -> GpuStepper {
    let p = sim.prepare().expect("valid simulation");
    let _turn = gpu_turn();
    let mut s = gpu(&p);
    s.run(steps).expect("GPU run");
    s
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
