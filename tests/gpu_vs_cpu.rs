//! The WGSL kernels against their plain Rust twin (src/cpu), step for step,
//! with every feature of the engine present: dielectric, conductivity, CPML,
//! periodic and PEC faces, point and plane sources, probes.
//!
//! Both sides compute in f32 with the same operations in the same order; they
//! can differ only by rounding (fused multiply-add, reassociation by the
//! shader compiler), ~1e-7 per operation. 500 steps of a stable linear update
//! keep that far below the 1e-4 the engine issue asks for.

mod common;

use lumen_fdtd::cpu::CpuStepper;
use lumen_fdtd::{Monitor, MonitorKind, Region, 
    Boundaries, Boundary, Component, Dimensions, Grid, Medium, Pml, Polarization, Probe,
    Simulation, Source, Stepper, Structure, TimeProfile,
};

fn scene(dims: Dimensions) -> Simulation {
    let three = dims == Dimensions::Three;
    let size = if three {
        [2.4, 2.0, 1.6]
    } else {
        [4.0, 3.2, 0.0]
    };
    let grid = Grid::new(size, 10.0, 0.5, dims).unwrap();
    let mut b = Boundaries::all(Boundary::Pec).with_axis(1, Boundary::Periodic);
    b.faces[0] = [
        Boundary::Pml(Pml {
            cells: 6,
            order: 3.0,
            sigma_factor: 1.0,
            kappa_max: 2.0,
            alpha_max: 0.3,
        }),
        Boundary::Pec,
    ];
    if three {
        b.faces[2] = [Boundary::Pec, Boundary::Pml(Pml::cells(4))];
    }
    let structure = Structure::new(Medium::VACUUM)
        .with_block([1.0, 0.5, 0.3], [1.6, 1.5, 1.0], Medium::index(2.0))
        .with_block([1.7, 0.0, 0.0], [2.1, 1.0, 1.6], Medium::lossy(2.25, 0.8));
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 0.8,
        fwhm_frequency: 0.6,
    };
    let cw = TimeProfile::Continuous {
        wavelength_um: 1.0,
        ramp_periods: 2.0,
    };
    let center = [size[0] * 0.4, size[1] * 0.45, size[2] * 0.5];
    let dir = match dims {
        Dimensions::Two(Polarization::Tm) => [0.0, 0.0, 1.0],
        Dimensions::Two(Polarization::Te) => [0.6, 0.8, 0.0],
        Dimensions::Three => [0.3, 0.5, 1.0],
    };
    let plane_dir = if dims == Dimensions::Two(Polarization::Te) {
        [0.0, 1.0, 0.0]
    } else {
        [0.0, 0.0, 1.0]
    };
    let mut sim = Simulation::new(grid, b, structure)
        .with_source(Source::point_dipole(center, dir, pulse))
        .with_source(Source::point_dipole(center, dir, cw))
        .with_source(Source::region(
            [0.8, 0.0, 0.0],
            [0.8, size[1], size[2]],
            plane_dir,
            pulse,
        ));
    for c in Component::ALL.iter().filter(|c| c.is_active(dims)) {
        sim = sim.with_probe(Probe::new(
            *c,
            [size[0] * 0.7, size[1] * 0.3, size[2] * 0.6],
        ));
    }
    sim
}

fn compare(dims: Dimensions) {
    let sim = scene(dims);
    let p = sim.prepare().unwrap();
    assert!(p.ca.is_some(), "the scene must exercise conductivity");
    assert!(
        p.source_layers.len() >= 2,
        "two dipoles at one cell must need two layers"
    );
    let mut cpu = CpuStepper::new(p.clone());
    // An odd submission size so batches do not line up with anything.
    let mut gpu = lumen_fdtd::gpu::GpuStepper::with_batch(common::ctx(), &p, 37).unwrap();
    cpu.run(500).unwrap();
    let fg = {
        let _turn = common::gpu_turn();
        gpu.run(500).unwrap();
        gpu.fields().unwrap()
    };
    let fc = cpu.fields().unwrap();
    for c in Component::ALL.iter().filter(|c| c.is_active(dims)) {
        let a = fc.get(*c);
        let b = fg.get(*c);
        let norm: f64 = a.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
        assert!(
            norm > 1e-3,
            "{c:?} stayed ~zero ({norm}): the comparison would be empty"
        );
        let e = common::rel_l2(a, b);
        eprintln!("{dims:?} {c:?}: rel L2 {e:.2e}");
        assert!(e < 1e-4, "{dims:?} {c:?}: GPU and CPU differ by {e:.3e}");
    }
    for (k, (a, b)) in cpu
        .probe_series()
        .iter()
        .zip(gpu.probe_series())
        .enumerate()
    {
        assert_eq!(a.len(), 500);
        assert_eq!(b.len(), 500);
        let e = common::rel_l2(a, b);
        assert!(e < 1e-4, "probe {k}: {e:.3e}");
    }
}

#[test]
fn twin_2d_tm() {
    compare(Dimensions::Two(Polarization::Tm));
}

#[test]
fn twin_2d_te() {
    compare(Dimensions::Two(Polarization::Te));
}

#[test]
fn twin_3d() {
    compare(Dimensions::Three);
}
