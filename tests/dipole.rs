//! Radiation of a point dipole against the analytic field
//! (../shared/validation/CASES.md case 5), CW at f = 0.3 (wavelength 3.333 um).
//!
//! 2D: an Ez line current radiates |E| ~ |H0^(2)(k r)|, so
//!     |E(2)|^2 / |E(4)|^2 = 1.98827 (MEEP's own test accepts 1.88..2.12).
//! 3D: broadside of a z dipole E ~ (1/r)|1 - i/(kr) - 1/(kr)^2|, so
//!     |E(2)| / |E(4)| = 1.95041.
//! Tolerance 3% (engine issue): the grid has 27-33 cells per wavelength, whose
//! dispersion error (~0.1% in k) moves these ratios far less; the rest is CPML
//! reflection at this long wavelength and the finite averaging window.

mod common;

use lumen_fdtd::{Boundaries, Component, Dimensions, Grid, Medium, Polarization, Probe, Simulation, Source, Structure, TimeProfile};

const F: f64 = 0.3;

fn ratio(dims: Dimensions, res: f64, half: [f64; 3], pml_cells: usize, time: f64) -> f64 {
    let three = dims == Dimensions::Three;
    let pml = pml_cells as f64 / res;
    let size = [
        2.0 * (half[0] + pml),
        2.0 * (half[1] + pml),
        if three { 2.0 * (half[2] + pml) } else { 0.0 },
    ];
    let grid = Grid::new(size, res, 0.5, dims).unwrap();
    // Centre on an Ez sample: integer cells in x, y; half a cell in z.
    let c = [
        (size[0] / 2.0 * res).round() / res,
        (size[1] / 2.0 * res).round() / res,
        if three { ((size[2] / 2.0 * res).floor() + 0.5) / res } else { 0.0 },
    ];
    let cw = TimeProfile::Continuous {
        wavelength_um: 1.0 / F,
        ramp_periods: 3.0,
    };
    let sim = Simulation::new(grid.clone(), Boundaries::pml(pml_cells), Structure::new(Medium::VACUUM))
        .with_source(Source::point_dipole(c, [0.0, 0.0, 1.0], cw))
        .with_probe(Probe::new(Component::Ez, [c[0] + 2.0, c[1], c[2]]))
        .with_probe(Probe::new(Component::Ez, [c[0] + 4.0, c[1], c[2]]));
    let steps = (time / grid.dt).round() as usize;
    let s = common::run(&sim, steps);
    let a: Vec<f64> = s
        .probe_series()
        .iter()
        .map(|p| {
            let (re, im) = common::amplitude_at(p, grid.dt, grid.dt, F, 4);
            (re * re + im * im).sqrt()
        })
        .collect();
    a[0] / a[1]
}

#[test]
fn line_source_2d_follows_hankel() {
    let r = ratio(Dimensions::Two(Polarization::Tm), 10.0, [5.5, 5.5, 0.0], 20, 80.0);
    let r2 = r * r;
    eprintln!("2D |E(2)|^2/|E(4)|^2 = {r2:.5} (analytic 1.98827)");
    assert!((r2 / 1.98827 - 1.0).abs() < 0.03, "2D ratio {r2:.5}");
}

#[test]
fn point_dipole_3d_broadside() {
    let r = ratio(Dimensions::Three, 8.0, [5.0, 2.5, 2.5], 12, 45.0);
    eprintln!("3D |E(2)|/|E(4)| = {r:.5} (analytic 1.95041)");
    assert!((r / 1.95041 - 1.0).abs() < 0.03, "3D ratio {r:.5}");
}
