//! Host memory stays flat over a long GPU run.
//!
//! On Vulkan (Mesa lavapipe) the resident memory of `lumen run` once grew by
//! ~0.2 MB per step until the process held gigabytes; GL stayed flat. This
//! runs a small 2D scene with every per-step kernel present (CPML, sources,
//! probes, running DFTs) the way `lumen run` does (one `Stepper::run` call per
//! submission) on whatever adapter is found, and checks that VmRSS grows by
//! less than 50 MB after a warm-up.

mod common;

use std::time::{Duration, Instant};

use lumen_fdtd::{
    Boundaries, Boundary, Component, Dimensions, Grid, Medium, Monitor, MonitorKind, Polarization, Probe, Region, Simulation, Source,
    Stepper, Structure, TimeProfile,
};

/// 240 x 240 cells, a 16-cell CPML, a dielectric block, a pulsed dipole, a
/// probe and a flux box (the leak showed with these CPML slabs on lavapipe).
fn scene() -> Simulation {
    let dims = Dimensions::Two(Polarization::Tm);
    let size = [6.0, 6.0, 0.0];
    let grid = Grid::new(size, 40.0, 0.5, dims).unwrap();
    let b = Boundaries::pml(16).with_axis(2, Boundary::Periodic);
    let structure = Structure::new(Medium::VACUUM).with_block([3.6, 0.0, -1.0], [4.4, 6.0, 1.0], Medium::index(1.5));
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 1.0,
        fwhm_frequency: 0.4,
    };
    Simulation::new(grid, b, structure)
        .with_source(Source::point_dipole([3.0, 3.0, 0.0], [0.0, 0.0, 1.0], pulse))
        .with_probe(Probe::new(Component::Ez, [3.5, 3.0, 0.0]))
        .with_monitor(Monitor::new(
            "flux",
            MonitorKind::Flux {
                region: Region {
                    min_um: [2.0, 2.0, 0.0],
                    max_um: [4.0, 4.0, 0.0],
                },
                wavelengths_um: (0..21).map(|k| 0.8 + 0.02 * k as f64).collect(),
                reverse: false,
            },
        ))
}

#[test]
fn host_memory_stays_flat_over_a_long_run() {
    // The leak this guards against was ~0.2 MB per step: 5000 steps would
    // have added ~1 GB. Stop early if the adapter is slow (the check still
    // covers thousands of steps on GL llvmpipe with 2 cores).
    flat_over(5000, Some(Duration::from_secs(40)));
}

/// The speed issue's figure: 100 000 steps (a few minutes on a software
/// adapter; run by hand: `cargo test --release --test gpu_memory -- --ignored`,
/// results in docs/PERFORMANCE.md).
#[test]
#[ignore]
fn host_memory_stays_flat_over_100000_steps() {
    flat_over(100_000, None);
}

fn flat_over(target: usize, limit: Option<Duration>) {
    let Some(_) = common::rss_bytes() else {
        eprintln!("no /proc/self/status: skipping");
        return;
    };
    let p = scene().prepare().expect("valid scene");
    let _turn = common::gpu_turn();
    let mut s = lumen_fdtd::gpu::GpuStepper::new(common::ctx(), &p).expect("GPU stepper");
    let chunk = s.steps_per_submission();
    // Warm-up: pipelines compiled, pools and staging buffers at their working size.
    for _ in 0..8 {
        s.run(chunk).unwrap();
    }
    let before = common::rss_bytes().unwrap();
    let t = Instant::now();
    let mut done = 0;
    let mut peak = before;
    while done < target && limit.is_none_or(|l| t.elapsed() < l) {
        s.run(chunk).unwrap();
        done += chunk;
        peak = peak.max(common::rss_bytes().unwrap());
    }
    let after = common::rss_bytes().unwrap();
    let grown = peak.saturating_sub(before) as f64 / 1e6;
    eprintln!(
        "adapter {}: {done} steps ({chunk} per submission) in {:.1} s; RSS {:.1} MB -> {:.1} MB (peak growth {grown:.1} MB)",
        common::ctx().adapter,
        t.elapsed().as_secs_f64(),
        before as f64 / 1e6,
        after as f64 / 1e6,
    );
    assert!(
        done >= 1000,
        "only {done} steps in the time allowed: the check would be meaningless"
    );
    assert!(grown < 50.0, "resident memory grew by {grown:.1} MB over {done} steps");
    assert_eq!(s.probe_series()[0].len(), 8 * chunk + done);
}
