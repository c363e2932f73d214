//! GPU step throughput for one grid size, in cell-updates per second.
//!
//! The scene is the one of `benches/step.rs` (`scene()`): a 16-cell CPML on
//! every face, a dielectric block (n = 2) over the middle third of x, one
//! Gaussian point dipole (Ez). `--vacuum` replaces CPML and block with
//! periodic faces and vacuum (the bare Yee update).
//!
//! ```text
//! cargo run --release --example gpu_bench -- 256 50          # 3D 256^3, 50 steps
//! cargo run --release --example gpu_bench -- 2048 40 --2d    # 2D TM 2048^2
//! cargo run --release --example gpu_bench -- 128 20 --vacuum # periodic vacuum
//! ```
//!
//! Adapter from `LUMEN_ADAPTER` / `WGPU_BACKEND`, as for `lumen`. One step is
//! run first (pipeline compilation on some drivers), then `steps` steps are
//! timed wall clock around `Stepper::run`, which returns after the device has
//! finished. The last line is machine-readable:
//! `RESULT case=<name> adapter="<adapter>" mcells_per_s=<rate>`.

use std::time::Instant;

use lumen_fdtd::gpu::{AdapterRequest, GpuContext, GpuStepper};
use lumen_fdtd::{
    Boundaries, Boundary, Dimensions, Grid, Medium, Polarization, Prepared, Simulation, Source, Stepper, Structure, TimeProfile,
};

/// Cells per um; the wavelength is 1 um, so 20 cells per wavelength.
const RESOLUTION: f64 = 20.0;
const PML_CELLS: usize = 16;

fn scene(n: usize, three: bool, vacuum: bool) -> Prepared {
    let dims = if three {
        Dimensions::Three
    } else {
        Dimensions::Two(Polarization::Tm)
    };
    let dx = 1.0 / RESOLUTION;
    let size = [n as f64 * dx, n as f64 * dx, if three { n as f64 * dx } else { 0.0 }];
    let grid = Grid::new(size, RESOLUTION, 0.5, dims).expect("grid");
    let mut b = if vacuum {
        Boundaries::all(Boundary::Periodic)
    } else {
        Boundaries::pml(PML_CELLS)
    };
    if !three {
        b = b.with_axis(2, Boundary::Periodic);
    }
    let (z0, z1) = if three { (0.0, size[2]) } else { (-1.0, 1.0) };
    let mut structure = Structure::new(Medium::VACUUM);
    if !vacuum {
        structure = structure.with_block([size[0] / 3.0, 0.0, z0], [2.0 * size[0] / 3.0, size[1], z1], Medium::index(2.0));
    }
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 1.0,
        fwhm_frequency: 0.5,
    };
    let pos = [size[0] * 0.2, size[1] * 0.5, size[2] * 0.5];
    Simulation::new(grid, b, structure)
        .with_source(Source::point_dipole(pos, [0.0, 0.0, 1.0], pulse))
        .prepare()
        .expect("valid benchmark scene")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let nums: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if nums.len() != 2 || flag("--help") {
        eprintln!("usage: gpu_bench <cells per axis> <steps> [--2d] [--vacuum]");
        std::process::exit(2);
    }
    let (n, steps) = (nums[0], nums[1]);
    let three = !flag("--2d");
    let vacuum = flag("--vacuum");
    let ctx = match GpuContext::new(&AdapterRequest::from_env()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gpu_bench: no adapter: {e}");
            std::process::exit(1);
        }
    };
    let case = format!(
        "{}{}{}",
        if three { "3d_" } else { "2d_tm_" },
        if three { format!("{n}^3") } else { format!("{n}^2") },
        if vacuum { "_periodic_vacuum" } else { "_cpml16_block" }
    );
    let t = Instant::now();
    let p = scene(n, three, vacuum);
    let cells = p.grid.cells();
    let mut s = match GpuStepper::new(ctx.clone(), &p) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gpu_bench: {case}: {e}");
            println!("RESULT case={case} adapter=\"{}\" error=\"{e}\"", ctx.adapter);
            std::process::exit(1);
        }
    };
    if let Err(e) = s.run(1) {
        eprintln!("gpu_bench: {case}: {e}");
        std::process::exit(1);
    }
    let setup = t.elapsed().as_secs_f64();
    let t = Instant::now();
    if let Err(e) = s.run(steps) {
        eprintln!("gpu_bench: {case}: {e}");
        std::process::exit(1);
    }
    let secs = t.elapsed().as_secs_f64();
    let rate = (cells * steps) as f64 / secs / 1e6;
    println!(
        "{case}: {steps} steps in {secs:.3} s ({} steps per submission; set-up + 1 step {setup:.2} s) on {}",
        s.steps_per_submission(),
        ctx.adapter
    );
    println!("RESULT case={case} adapter=\"{}\" mcells_per_s={rate:.2}", ctx.adapter);
}
