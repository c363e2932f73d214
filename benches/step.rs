//! Step throughput in cell-updates per second (criterion reports it as
//! "elem/s": one element = one Yee cell advanced by one full time step), on
//! both engines: the native CPU engine (`lumen_fdtd::cpu`, all rayon threads;
//! `RAYON_NUM_THREADS=1` for one) and the WGSL path on the wgpu adapter found
//! (`LUMEN_ADAPTER` / `WGPU_BACKEND` choose it, as for the `lumen` binary).
//! Each group is named after its engine and adapter.
//!
//! Cases, each with a dielectric block (n = 2) filling the middle third of x
//! and one Gaussian point dipole, and a 16-cell CPML on every non-periodic
//! face (2D: x and y), except the vacuum case:
//! - 2D TM 2048 x 2048, 20 steps per iteration
//! - 3D 128^3, 20 steps per iteration
//! - 3D 128^3 periodic vacuum (no PML, no block), 20 steps per iteration
//! - 3D 256^3, 5 steps per iteration (skipped with `LUMEN_BENCH_QUICK=1`)
//!
//! Also a STREAM-like triad: the machine's memory bandwidth on one thread
//! and on all, in the same run.
//!
//! Run: `cargo bench --bench step`; `LUMEN_BENCH_BACKENDS=cpu` (or `gpu`,
//! `triad`, or a comma list) runs only those. Timings are wall clock around `Stepper::run`, which
//! returns only after the device has finished (`device.poll`). Stepper set-up
//! (buffers, shader compilation) is outside the measurement.

use std::hint::black_box;

use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion, SamplingMode, Throughput};
use lumen_fdtd::cpu::CpuInfo;
use lumen_fdtd::engine::Engine;
use lumen_fdtd::gpu::{AdapterRequest, GpuContext};
use lumen_fdtd::{Boundaries, Boundary, Dimensions, Grid, Medium, Polarization, Prepared, Simulation, Source, Structure, TimeProfile};

/// Cells per um; the wavelength below is 1 um, so 20 cells per wavelength.
const RESOLUTION: f64 = 20.0;
const PML_CELLS: usize = 16;

struct Case {
    name: &'static str,
    dims: Dimensions,
    n: [usize; 3],
    steps: usize,
    /// Skipped with LUMEN_BENCH_QUICK=1.
    large: bool,
    /// Periodic vacuum: no PML, no block.
    vacuum: bool,
}

const CASES: [Case; 4] = [
    Case {
        name: "2d_tm_2048x2048",
        dims: Dimensions::Two(Polarization::Tm),
        n: [2048, 2048, 1],
        steps: 20,
        large: false,
        vacuum: false,
    },
    Case {
        name: "3d_128^3",
        dims: Dimensions::Three,
        n: [128, 128, 128],
        steps: 20,
        large: false,
        vacuum: false,
    },
    Case {
        name: "3d_256^3",
        dims: Dimensions::Three,
        n: [256, 256, 256],
        steps: 5,
        large: true,
        vacuum: false,
    },
    Case {
        name: "3d_128^3_periodic_vacuum",
        dims: Dimensions::Three,
        n: [128, 128, 128],
        steps: 20,
        large: false,
        vacuum: true,
    },
];

/// CPML on all non-periodic faces, a block of n = 2 over the middle third of
/// x (full extent in y and z), a Gaussian dipole in the vacuum part.
fn scene(case: &Case) -> Prepared {
    let three = case.dims == Dimensions::Three;
    let dx = 1.0 / RESOLUTION;
    let size = [
        case.n[0] as f64 * dx,
        case.n[1] as f64 * dx,
        if three { case.n[2] as f64 * dx } else { 0.0 },
    ];
    let grid = Grid::new(size, RESOLUTION, 0.5, case.dims).expect("grid");
    assert_eq!(grid.shape(), case.n, "grid shape");
    // 2D grids are invariant in z whatever z says; Boundaries::validate
    // accepts any z face for them.
    let mut b = Boundaries::pml(PML_CELLS);
    if !three {
        b = b.with_axis(2, Boundary::Periodic);
    }
    if case.vacuum {
        b = Boundaries::all(Boundary::Periodic);
    }
    // In 2D the block is given a z extent around z = 0 all the same (a box
    // must have min < max along every axis).
    let (z0, z1) = if three { (0.0, size[2]) } else { (-1.0, 1.0) };
    let mut structure = Structure::new(Medium::VACUUM);
    if !case.vacuum {
        structure = structure.with_block([size[0] / 3.0, 0.0, z0], [2.0 * size[0] / 3.0, size[1], z1], Medium::index(2.0));
    }
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 1.0,
        fwhm_frequency: 0.5,
    };
    let pos = [size[0] * 0.2, size[1] * 0.5, size[2] * 0.5];
    // Ez: evolved in 3D and in 2D TM.
    let dir = [0.0, 0.0, 1.0];
    Simulation::new(grid, b, structure)
        .with_source(Source::point_dipole(pos, dir, pulse))
        .prepare()
        .expect("valid benchmark scene")
}

fn quick() -> bool {
    std::env::var("LUMEN_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn configure(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    // One iteration is 0.1 s (real GPU) to several seconds (llvmpipe on 2
    // cores): flat sampling, few samples, so the whole bench stays at a few
    // minutes on a software adapter.
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15));
}

fn bench_engine(c: &mut Criterion, engine: &Engine) {
    let group_name = format!("step [{}: {}]", engine.kind(), engine.describe());
    let mut g = c.benchmark_group(group_name);
    configure(&mut g);
    for case in CASES.iter().filter(|c| !(quick() && c.large)) {
        let cells = case.n.iter().product::<usize>();
        g.throughput(Throughput::Elements((cells * case.steps) as u64));
        // Built lazily so a criterion filter that skips the case costs nothing.
        let mut stepper = None;
        g.bench_function(format!("{}/{}_steps", case.name, case.steps), |b| {
            let s = stepper.get_or_insert_with(|| {
                let t = Instant::now();
                let p = scene(case);
                let mut s = engine.stepper(&p).expect("stepper");
                // First submission compiles/JITs the pipelines on some drivers.
                s.run(1).expect("run");
                eprintln!("  [{}] set-up + 1 step: {:.2} s", case.name, t.elapsed().as_secs_f64());
                s
            });
            b.iter(|| {
                s.run(black_box(case.steps)).expect("run");
            })
        });
        drop(stepper);
    }
    g.finish();
}

/// A STREAM-like triad, a = b + s c over 3 x 64 MiB of f32, on all rayon
/// threads and on one: the memory bandwidth the step rates are bound by
/// (bytes per cell-update x rate; docs/PERFORMANCE.md). 12 bytes moved per
/// element (write-allocate traffic not counted, as in STREAM).
fn bench_triad(c: &mut Criterion) {
    use rayon::prelude::*;
    let n = 16 << 20;
    let (mut a, b, cc) = (vec![0.0f32; n], vec![1.0f32; n], vec![2.0f32; n]);
    let mut g = c.benchmark_group("memory bandwidth [triad a = b + s c, f32, 3 x 64 MiB]");
    configure(&mut g);
    g.throughput(Throughput::Bytes(12 * n as u64));
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    for (name, pool) in [("1 thread", Some(&one)), ("all threads", None)] {
        g.bench_function(name, |bch| {
            let mut triad = || {
                a.par_chunks_mut(1 << 16)
                    .zip(b.par_chunks(1 << 16))
                    .zip(cc.par_chunks(1 << 16))
                    .for_each(|((a, b), c)| {
                        for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
                            *a = b + 0.5 * c;
                        }
                    })
            };
            bch.iter(|| match pool {
                Some(p) => p.install(&mut triad),
                None => triad(),
            });
        });
    }
    g.finish();
    black_box(&a);
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();
    if std::env::var("LUMEN_BENCH_BACKENDS").map_or(true, |b| b.contains("triad")) {
        bench_triad(&mut c);
    }
    let which = std::env::var("LUMEN_BENCH_BACKENDS").unwrap_or_else(|_| "triad,cpu,gpu".into());
    if quick() {
        println!("LUMEN_BENCH_QUICK set: skipping the 256^3 case");
    }
    if which.contains("cpu") {
        let info = CpuInfo::detect();
        println!("cpu: {info}");
        bench_engine(&mut c, &Engine::Cpu(info));
    }
    if which.contains("gpu") {
        let ctx: std::sync::Arc<GpuContext> =
            GpuContext::new(&AdapterRequest::from_env()).expect("a wgpu adapter (Mesa llvmpipe or lavapipe without a GPU)");
        println!(
            "gpu: {} | driver: {} | max storage binding {} MiB",
            ctx.adapter,
            ctx.adapter.driver,
            ctx.adapter.max_storage_buffer_binding_size >> 20
        );
        bench_engine(&mut c, &Engine::Gpu(ctx));
    }
    c.final_summary();
}

criterion_main!(benches);
