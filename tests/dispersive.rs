//! Dispersive media (ADE, src/dispersion.rs) against analytic results, on the
//! GPU path:
//! - reflectance of a Drude metal half-space against the complex-index Fresnel
//!   formula R = |(1 - n)/(1 + n)|^2, n = sqrt(eps(w)), within 2% over a band;
//! - transmission of a Lorentz slab against the transfer-matrix (Airy) result;
//! - no growth over 50 000 steps with dispersive media reaching into the CPML;
//! - a metal face inside a cell: its reflection phase converges at second order.
//!
//! All are 1D problems (a 2D TM grid one cell wide, periodic across) at
//! 200 cells/um: >= 160 cells per vacuum wavelength and ~16 per Drude skin depth,
//! so the Yee phase error (~1e-4) and the ADE's O((w dt)^2) ~ 1e-3 error in
//! eps(w) are well below the tolerances.

mod common;

use num_complex::Complex64;

use lumen_fdtd::material::Pole;
use lumen_fdtd::monitor::dft::{face_flux, subtract_faces, MonitorData};
use lumen_fdtd::{
    Boundaries, Boundary, Component, Dimensions, Grid, Medium, Monitor, MonitorKind, Pml, Polarization, Probe, Region, Simulation, Source,
    Structure, TimeProfile,
};

const RES: f64 = 200.0;
const LX: f64 = 5.0;

fn line_1d(structure: Structure, wavelengths: &[f64], time: f64) -> (Vec<f64>, Vec<f64>, Vec<lumen_fdtd::monitor::dft::FaceFields>, f64) {
    let dx = 1.0 / RES;
    let grid = Grid::new([LX, dx, 0.0], RES, 0.7, Dimensions::Two(Polarization::Tm)).unwrap();
    let mut b = Boundaries::all(Boundary::Periodic);
    b.faces[0] = [Boundary::Pml(Pml::cells(100)); 2];
    let pulse = TimeProfile::gaussian_band(0.7, 1.7);
    let plane = |x: f64| Region {
        min_um: [x, 0.0, 0.0],
        max_um: [x, dx, 0.0],
    };
    let sim = Simulation::new(grid.clone(), b, structure)
        .with_source(Source::region([1.0, 0.0, 0.0], [1.0, dx, 0.0], [0.0, 0.0, 1.0], pulse))
        .with_monitor(Monitor::new(
            "refl",
            MonitorKind::Flux {
                region: plane(1.5),
                wavelengths_um: wavelengths.to_vec(),
                reverse: true,
            },
        ))
        .with_monitor(Monitor::new(
            "trans",
            MonitorKind::Flux {
                region: plane(3.6),
                wavelengths_um: wavelengths.to_vec(),
                reverse: false,
            },
        ));
    let mut s = common::run(&sim, (time / grid.dt) as usize);
    let res = {
        let _turn = common::gpu_turn();
        s.monitor_results().unwrap()
    };
    let flux = |k: usize| match &res[k].data {
        MonitorData::Flux { flux, faces, .. } => (flux.clone(), faces.clone()),
        _ => unreachable!(),
    };
    let (_, refl_faces) = flux(0);
    let (trans, _) = flux(1);
    (trans.clone(), flux(0).0, refl_faces, grid.dx)
}

fn wavelengths() -> Vec<f64> {
    vec![0.8, 0.9, 1.0, 1.2, 1.4, 1.6]
}

#[test]
fn drude_half_space_reflectance() {
    // A Drude metal (plasma wavelength 0.5 um) filling x > 2.5 um, through the CPML.
    let metal = Medium::index(1.0).with_pole(Pole::Drude {
        frequency: 2.0,
        gamma: 0.1,
        sigma: 1.0,
    });
    let wl = wavelengths();
    let (incident, _, ref_faces, dx) = line_1d(Structure::default(), &wl, 20.0);
    let (_, _, faces, _) = line_1d(
        Structure::default().with_block([2.5, -1.0, -1.0], [10.0, 1.0, 1.0], metal.clone()),
        &wl,
        20.0,
    );
    let scattered = subtract_faces(&faces, &ref_faces).unwrap();
    let r_flux = face_flux(&scattered[0], dx.powi(1), wl.len());
    for (k, w) in wl.iter().enumerate() {
        let n = metal.permittivity(1.0 / w).sqrt();
        let r_exact = ((Complex64::new(1.0, 0.0) - n) / (Complex64::new(1.0, 0.0) + n)).norm_sqr();
        let r = r_flux[k] / incident[k];
        eprintln!("Drude: lambda {w} um: R = {r:.5}, analytic {r_exact:.5}");
        assert!((r / r_exact - 1.0).abs() < 0.02, "R({w} um) = {r:.5}, analytic {r_exact:.5}");
    }
}

#[test]
fn lorentz_slab_transmission() {
    // eps_inf 1.5 with an absorbing resonance at 1 um; slab 0.3 um (60 cells).
    let medium = Medium::lossy(1.5, 0.0).with_pole(Pole::Lorentz {
        frequency: 1.0,
        gamma: 0.1,
        sigma: 0.5,
    });
    let d = 0.3;
    let wl = wavelengths();
    let (incident, ..) = line_1d(Structure::default(), &wl, 20.0);
    let (trans, ..) = line_1d(
        Structure::default().with_block([2.5, -1.0, -1.0], [2.5 + d, 1.0, 1.0], medium.clone()),
        &wl,
        30.0,
    );
    for (k, w) in wl.iter().enumerate() {
        // Airy formula for a slab in air (exp(-i w t): the phase is +i n k0 d).
        let n = medium.permittivity(1.0 / w).sqrt();
        let one = Complex64::new(1.0, 0.0);
        let ph = (Complex64::i() * n * (std::f64::consts::TAU / w) * d).exp();
        let t = 4.0 * n * ph / ((one + n) * (one + n) - (one - n) * (one - n) * ph * ph);
        let t_exact = t.norm_sqr();
        let tr = trans[k] / incident[k];
        eprintln!("Lorentz slab: lambda {w} um: T = {tr:.5}, transfer matrix {t_exact:.5}");
        assert!((tr - t_exact).abs() < 0.01, "T({w} um) = {tr:.5}, transfer matrix {t_exact:.5}");
    }
}

#[test]
fn dispersive_media_in_cpml_stay_stable_for_50000_steps() {
    // Drude and Lorentz media fill the whole line, CPML included, at 20 cells/um.
    let res = 20.0;
    let dx = 1.0 / res;
    let grid = Grid::new([10.0, dx, 0.0], res, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
    let mut b = Boundaries::all(Boundary::Periodic);
    b.faces[0] = [Boundary::Pml(Pml::cells(20)); 2];
    let medium = Medium::index(1.2)
        .with_pole(Pole::Drude {
            frequency: 1.5,
            gamma: 0.2,
            sigma: 1.0,
        })
        .with_pole(Pole::Lorentz {
            frequency: 0.8,
            gamma: 0.05,
            sigma: 1.0,
        });
    let pulse = TimeProfile::gaussian_band(0.8, 1.6);
    let sim = Simulation::new(grid.clone(), b, Structure::new(medium))
        .with_source(Source::region([5.0, 0.0, 0.0], [5.0, dx, 0.0], [0.0, 0.0, 1.0], pulse))
        .with_probe(Probe::new(Component::Ez, [5.5, 0.0, 0.0]));
    let p = sim.prepare().unwrap();
    assert_eq!(p.dispersion.samples.len(), grid.cells(), "every Ez sample is dispersive");
    let _turn = common::gpu_turn();
    let mut s = common::stepper(&p);
    let mut energy = Vec::new();
    for _ in 0..10 {
        s.run(5000).unwrap();
        energy.push(s.fields().unwrap().energy(&p.materials));
    }
    eprintln!("field energy every 5000 steps: {energy:?}");
    let peak = s.probe_series()[0].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak > 0.0);
    // After the pulse has left (first sample), energy only falls; growth of
    // an instability would be exponential.
    for w in energy.windows(2) {
        assert!(w[1] <= w[0] * 1.0001 || w[1] < 1e-20, "energy grew: {energy:?}");
    }
    let tail = s.probe_series()[0][45000..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(tail < 1e-4 * peak, "late field {tail:e} vs peak {peak:e}");
}

/// The coupled E-P leapfrog's von Neumann bound (src/dispersion.rs,
/// `coupled_stability_margin`): 4 D S^2 + sum_L 4 s b / (4 - b) + sum_D s b
/// <= 4 eps_inf. Checked at its edge: the library's Rakic silver in 2D needs
/// > 50 cells/um at S = 0.5; at 46 cells/um a run inside the domain blew up
/// > within 25 fs, at 52 its fields decayed to 1e-9 of their peak (measured
/// > while writing this bound; the scene refuses 46 now). Here: the bound's
/// > algebra against the exact one-pole condition, and the refusal.
#[test]
fn dispersive_time_step_bound() {
    use lumen_fdtd::dispersion::coupled_stability_margin;
    let drude = |f: f64| Pole::Drude {
        frequency: f,
        gamma: 0.0,
        sigma: 1.0,
    };
    // One Drude pole, eps_inf = 1, 3D, S = 0.5: stable iff (2 pi f dt)^2 <= 4 - 3 = 1.
    let dt = 0.5 / 30.0;
    let f_edge = 1.0 / (std::f64::consts::TAU * dt);
    assert!(coupled_stability_margin(3, 0.5, 1.0, &[drude(0.999 * f_edge)], dt) < 0.0);
    assert!(coupled_stability_margin(3, 0.5, 1.0, &[drude(1.001 * f_edge)], dt) > 0.0);
    // A scene with silver at 46 cells/um is refused with the resolution it needs.
    let grid = Grid::new([3.0, 3.0, 0.0], 46.0, 0.5, Dimensions::Two(Polarization::Te)).unwrap();
    let ag = lumen_fdtd::library::lookup("Ag").unwrap().medium();
    let sim = Simulation::new(
        grid,
        Boundaries::pml(20),
        Structure::new(Medium::VACUUM).with_block([1.0, 1.0, -1.0], [2.0, 2.0, 1.0], ag),
    );
    let err = sim.prepare().expect_err("refused").to_string();
    assert!(err.contains("at least 51 cells/um"), "{err}");
}

/// Complex reflection coefficient of the Drude metal of
/// `drude_half_space_reflectance` filling x > `x0` (through the CPML), at
/// normal incidence, wavelength 1 um, `res` cells/um, referred to the plane
/// x0: the scattered over the incident Ez at a plane 1 um in front, times
/// exp(-2 i k (x0 - x_m)) with the grid's own vacuum wavenumber k
/// (sin(k dx/2)/dx = sin(w dt/2)/dt), so that the Yee phase error of the
/// 1 um of vacuum in between is not counted.
fn mirror_reflection(res: f64, x0: f64, smoothing: bool) -> Complex64 {
    let dx = 1.0 / res;
    let wl = 1.0;
    let grid = Grid::new([7.0, dx, 0.0], res, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
    let mut b = Boundaries::all(Boundary::Periodic);
    b.faces[0] = [Boundary::Pml(Pml::cells(res as usize)); 2];
    let xm = 2.0;
    let run = |structure: Structure| {
        let sim = Simulation::new(grid.clone(), b, structure)
            .with_source(Source::region(
                [1.5, 0.0, 0.0],
                [1.5, dx, 0.0],
                [0.0, 0.0, 1.0],
                TimeProfile::gaussian_band(0.8, 1.25),
            ))
            .with_monitor(Monitor::new(
                "refl",
                MonitorKind::Flux {
                    region: Region {
                        min_um: [xm, 0.0, 0.0],
                        max_um: [xm, dx, 0.0],
                    },
                    wavelengths_um: vec![wl],
                    reverse: true,
                },
            ));
        let mut s = common::run(&sim, (40.0 / grid.dt) as usize);
        let _turn = common::gpu_turn();
        match s.monitor_results().unwrap().remove(0).data {
            MonitorData::Flux { faces, .. } => faces,
            _ => unreachable!(),
        }
    };
    let metal = Medium::index(1.0).with_pole(Pole::Drude {
        frequency: 2.0,
        gamma: 0.1,
        sigma: 1.0,
    });
    let incident = run(Structure::default());
    let total = run(Structure::default()
        .with_block([x0, -1.0, -1.0], [20.0, 1.0, 1.0], metal)
        .with_smoothing(smoothing));
    let scattered = subtract_faces(&total, &incident).unwrap();
    let e = |f: &lumen_fdtd::monitor::dft::FaceFields| {
        let slot = f.fields[..2].iter().find(|v| !v.is_empty()).expect("an E slot");
        slot[0][0]
    };
    let (w, dt) = (std::f64::consts::TAU / wl, grid.dt);
    let k = 2.0 / dx * ((dx / dt) * (0.5 * w * dt).sin()).asin();
    e(&scattered[0]) / e(&incident[0]) * (Complex64::i() * (-2.0 * k * (x0 - xm))).exp()
}

/// A metal face between E samples: with the mixtures of
/// src/geometry/mod.rs ("Dispersive media") the reflection's phase tracks
/// the face's place inside a cell and converges at second order; the
/// staircase (smoothing off) moves the mirror in whole cells and converges at
/// first order. Analytic reference: Fresnel's r = (1 - n)/(1 + n) with
/// n = sqrt(eps(w)) of the Drude metal (Born and Wolf sec. 1.5), at the
/// face's true place. Measured when written: worst complex error over four
/// places in a cell 0.042, 0.011, 0.0027 at 20/40/80 cells/um (order 1.97,
/// 2.00); staircased 0.27, 0.15, 0.076 (order 0.9).
#[test]
fn metal_face_moves_with_the_geometry() {
    let metal_n = Medium::index(1.0)
        .with_pole(Pole::Drude {
            frequency: 2.0,
            gamma: 0.1,
            sigma: 1.0,
        })
        .permittivity(1.0)
        .sqrt();
    let one = Complex64::new(1.0, 0.0);
    let fresnel = (one - metal_n) / (one + metal_n);
    let worst = |res: f64, smoothing: bool| {
        [0.0, 0.25, 0.5, 0.75]
            .iter()
            .map(|s| (mirror_reflection(res, 4.0 + s / res, smoothing) / fresnel - 1.0).norm())
            .fold(0.0f64, f64::max)
    };
    let smooth: Vec<f64> = [20.0, 40.0, 80.0].iter().map(|&r| worst(r, true)).collect();
    let stairs: Vec<f64> = [20.0, 40.0].iter().map(|&r| worst(r, false)).collect();
    let order = |e: &[f64]| (e[0] / e[1]).log2();
    eprintln!("worst |r / r_Fresnel - 1| over a cell: mixtures {smooth:?}, staircase {stairs:?}");
    // Second order, as the issue asks of every interface (>= 1.8).
    for w in smooth.windows(2) {
        assert!(order(w) >= 1.8, "order {:.2} from {w:?}", order(w));
    }
    // The staircase is first order (its error halves): the mixtures, not
    // the test's set-up, make the difference.
    assert!(order(&stairs) < 1.3, "staircase order {:.2} from {stairs:?}", order(&stairs));
    assert!(smooth[0] < 0.25 * stairs[0], "mixtures {smooth:?} vs staircase {stairs:?}");
}
