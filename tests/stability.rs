//! Long-run stability (engine issue): in a closed PEC box with a dielectric
//! block, once the source pulse has finished, the electromagnetic energy must
//! stay bounded over 20 000 steps; in a lossy box it must decay, at the rate
//! the conductivity sets.
//!
//! The quantity checked is the energy the leapfrog scheme conserves exactly,
//! 1/2 sum (eps E^n.E^n + H^(n-1/2).H^(n+1/2)) dV (Taflove and Hagness, 3rd
//! ed., sec. 4.8), so in a lossless box only f32 round-off can move it: a
//! random walk of ~1e-7 relative per step, at most ~1e-5 after 20 000 steps
//! (measured: ~3e-7). The bound 1e-5 is that walk; an instability grows
//! exponentially and crosses it at once.

mod common;

use lumen_fdtd::{Boundaries, Boundary, Dimensions, Grid, Medium, Polarization, Simulation, Source, Structure, TimeProfile};

/// Energy after the source has finished and then every 1000 steps, 20 000 in all.
fn energies(dims: Dimensions, background: Medium) -> (Vec<f64>, f64) {
    let three = dims == Dimensions::Three;
    let size = if three { [1.6, 1.4, 1.2] } else { [3.2, 2.8, 0.0] };
    let grid = Grid::new(size, 10.0, 0.5, dims).unwrap();
    let structure = Structure::new(background).with_block([0.3, 0.3, 0.3], [1.0, 0.9, 0.8], Medium::index(2.0));
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 1.5,
        fwhm_frequency: 0.4,
    };
    let dir = match dims {
        Dimensions::Three => [0.2, 0.3, 1.0],
        Dimensions::Two(Polarization::Tm) => [0.0, 0.0, 1.0],
        Dimensions::Two(Polarization::Te) => [1.0, 0.4, 0.0],
    };
    let sim = Simulation::new(grid.clone(), Boundaries::all(Boundary::Pec), structure).with_source(Source::point_dipole(
        [1.1, 1.0, 0.55],
        dir,
        pulse,
    ));
    let p = sim.prepare().unwrap();
    let _turn = common::gpu_turn();
    let mut s = common::stepper(&p);
    let end = (pulse.end_time().unwrap() / grid.dt).ceil() as usize;
    s.run(end).unwrap();
    let mut w = Vec::new();
    for n in 0..=20 {
        let a = s.fields().unwrap();
        s.run(1).unwrap();
        let b = s.fields().unwrap();
        w.push(a.leapfrog_energy(&b, &p.materials));
        if n < 20 {
            s.run(999).unwrap();
        }
    }
    (w, 1000.0 * grid.dt)
}

fn assert_bounded(label: &str, w: &[f64]) {
    eprintln!("{label}: {w:?}");
    assert!(w[0] > 0.0, "{label}: no energy was injected");
    for (n, v) in w.iter().enumerate() {
        let drift = v / w[0] - 1.0;
        assert!(
            drift.abs() < 1e-5,
            "{label}: energy after {} more steps is {v:.6e}, drift {drift:.2e} from {:.6e}",
            n * 1000,
            w[0]
        );
    }
}

#[test]
fn pec_box_energy_stays_bounded_3d() {
    let (w, _) = energies(Dimensions::Three, Medium::VACUUM);
    assert_bounded("3D", &w);
}

#[test]
fn pec_box_energy_stays_bounded_2d() {
    for pol in [Polarization::Tm, Polarization::Te] {
        let (w, _) = energies(Dimensions::Two(pol), Medium::VACUUM);
        assert_bounded(&format!("2D {pol:?}"), &w);
    }
}

#[test]
fn lossy_box_decays_at_sigma_over_eps() {
    // A box filled with a conductor (eps 2.25, sigma 0.0225; the block is
    // lossless): energy in the conductor decays as exp(-sigma t / eps) =
    // exp(-0.01 t), in the block not at all, so the total decays at most at
    // that rate and must fall steadily.
    let (w, dt_sample) = energies(Dimensions::Three, Medium::lossy(2.25, 0.0225));
    eprintln!("lossy: {w:?}");
    for pair in w.windows(2) {
        assert!(pair[1] < pair[0], "energy must fall in a lossy box: {w:?}");
    }
    let rate = -(w[1] / w[0]).ln() / dt_sample;
    assert!(
        rate > 0.0 && rate <= 0.01 * 1.001,
        "initial decay rate {rate:.5} must be positive and at most sigma/eps = 0.01"
    );
    assert!(w[20] < 0.05 * w[0], "energy fell only to {:.3e} of its start", w[20] / w[0]);
}

/// A Drude-Lorentz metal (Rakic's silver, six poles) in a slab running out
/// through the side and bottom PMLs of a 3D domain, as a reflector under a
/// whole chip: a CPML alone diverged here after ~30 000 steps (|Ey| 1e18 in
/// the xmax/ymax PML corner at the metal's surface, measured with the
/// absorber switched off); with the metal made lossy inside the PML
/// (src/sim.rs, `pml_absorber`) it stays stable for 100 000 steps, the
/// issue's figure: the fields are checked every 5 000 steps and the probe's
/// late signal is the metal's static residue (~1e-6 of the pulse's peak
/// measured; 1e-4 allowed), not growth.
#[test]
fn silver_through_the_pml_stays_stable_in_3d() {
    let text = r#"
[simulation]
dimensions = "3d"
size_um = [0.6, 0.6, 0.6]
resolution = 70

[boundaries]
default = { type = "pml", thickness_um = 0.15 }

[materials.ag]
library = "Ag"

[[geometry]]
type = "box"
center_um = [0.0, 0.0, -0.2]
size_um = [inf, inf, 0.2]
material = "ag"

[[sources]]
type = "dipole"
position_um = [0.0, 0.0, 0.0]
component = "Ex"
wavelength_um = 0.6
bandwidth_um = 0.2

[[monitors]]
name = "probe"
type = "probe"
position_um = [0.1, 0.0, 0.0]
components = ["Ex"]

[run]
until_fs = 10
"#;
    let scene = lumen_fdtd::scene::parse(text, "ag.toml", &[], false).expect("parses");
    let p = &*scene.prepared;
    let g = &p.grid;
    // Loss only in the metal inside the PML: interior silver and PML air untouched.
    let ca = p.ca.as_ref().expect("a lossy run: the absorber");
    let cell = |x: f64, y: f64, z: f64| {
        let o = scene.origin_offset_um;
        g.index(
            ((x + o[0]) / g.dx) as usize,
            ((y + o[1]) / g.dx) as usize,
            ((z + o[2]) / g.dx) as usize,
        )
    };
    assert_eq!(
        ca[1][cell(0.0, 0.0, -0.14)],
        1.0,
        "silver outside the PML: lossless as Rakic's model is"
    );
    assert!(ca[1][cell(0.27, 0.0, -0.14)] < 1.0, "silver in the xmax PML: lossy");
    assert_eq!(ca[1][cell(0.27, 0.0, 0.1)], 1.0, "air in the PML: the CPML alone");

    let _turn = common::gpu_turn();
    let mut s = common::stepper(p);
    for _ in 0..20 {
        s.run(5000).unwrap();
        assert_eq!(s.blowup().unwrap(), None, "diverged by step {}", s.steps_done());
    }
    let series = &s.probe_series()[0];
    assert_eq!(series.len(), 100_000);
    let peak = series.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let late = series[90_000..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak > 0.0 && late < 1e-4 * peak, "late |Ex| {late:e} vs peak {peak:e}");
}
