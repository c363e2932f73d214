//! CPML reflection at normal incidence, measured as MEEP's tests/pml.cpp does
//! (../shared/validation/CASES.md case 4): run once with a layer d cells thick
//! and once with 2d, with the same interior, and take
//! R(d) = |E_d - E_2d|^2 / |E_2d|^2 at a probe in front of the layer.
//! Here the field at the probe is taken as its phasor at the frequency of
//! 20 cells per wavelength, from a Gaussian pulse around it.
//!
//! Requirements (engine issue): R falls monotonically with thickness and is
//! below 1e-6 at 16 cells. For sigma ~ x^m grading the discretisation
//! reflection falls like d^-(2m+2) (Oskooi et al., Opt. Express 16, 11376 (2008)).

mod common;

use lumen_fdtd::{
    Boundaries, Boundary, Component, Dimensions, Grid, Medium, Pml, Polarization, Probe, Simulation, Source, Structure, TimeProfile,
};

const RES: f64 = 20.0;
const WAVELENGTH: f64 = 1.0; // 20 cells per wavelength

/// Probe phasor at f = 1/WAVELENGTH with a CPML of `right` cells on the high x face.
fn probe_phasor(dims: Dimensions, right: usize) -> (f64, f64) {
    let left = 32;
    let interior = 4.0; // um between the two layers
    let dx = 1.0 / RES;
    let lx = (left + right) as f64 * dx + interior;
    let grid = Grid::new([lx, dx, dx], RES, 0.5, dims).unwrap();
    let mut b = Boundaries::all(Boundary::Periodic);
    b.faces[0] = [Boundary::Pml(Pml::cells(left)), Boundary::Pml(Pml::cells(right))];
    let x0 = left as f64 * dx;
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: WAVELENGTH,
        fwhm_frequency: 0.3,
    };
    let sim = Simulation::new(grid.clone(), b, Structure::new(Medium::VACUUM))
        .with_source(Source::region([x0 + 1.0, 0.0, 0.0], [x0 + 1.0, dx, dx], [0.0, 0.0, 1.0], pulse))
        .with_probe(Probe::new(Component::Ez, [x0 + interior - 0.5, 0.0, 0.5 * dx]));
    // Long enough for the pulse to pass the probe, reach the layer and come back
    // and for everything to leave: t0 + tails ~ 10, plus ~8 um of travel.
    let steps = (40.0 / grid.dt) as usize;
    let s = common::run(&sim, steps);
    let series = &s.probe_series()[0];
    let dt = grid.dt;
    let f = 1.0 / WAVELENGTH;
    // Full-record DFT (the pulse has decayed to f32 noise by the end).
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &v) in series.iter().enumerate() {
        let ph = std::f64::consts::TAU * f * (n + 1) as f64 * dt;
        re += v as f64 * ph.cos();
        im -= v as f64 * ph.sin();
    }
    (re, im)
}

fn reflection(dims: Dimensions, d: usize) -> f64 {
    let a = probe_phasor(dims, d);
    let b = probe_phasor(dims, 2 * d);
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)) / (b.0 * b.0 + b.1 * b.1)
}

fn check(dims: Dimensions) {
    let r: Vec<(usize, f64)> = [4usize, 8, 16].iter().map(|&d| (d, reflection(dims, d))).collect();
    eprintln!("{dims:?}: R(d) = {r:?}");
    for w in r.windows(2) {
        assert!(w[1].1 < w[0].1, "{dims:?}: reflection must fall with thickness: {r:?}");
    }
    let r16 = r[2].1;
    assert!(r16 < 1e-6, "{dims:?}: R(16 cells) = {r16:.3e}, must be below 1e-6");
}

#[test]
fn cpml_reflection_falls_with_thickness_2d() {
    check(Dimensions::Two(Polarization::Tm));
}

#[test]
fn cpml_reflection_falls_with_thickness_3d() {
    check(Dimensions::Three);
}
