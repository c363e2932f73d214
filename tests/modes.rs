//! Mode sources and mode monitors of 2D runs against the slab mode solver
//! (issue 5): a launched mode arrives downstream in the same mode, and butt
//! coupling between two slabs of different widths matches the mode-overlap
//! value computed here, independently, from the solver's modes.
//!
//! Waveguides: n = 2.0 cores in n = 1.45 (CASES.md case 6 materials), 2D TM
//! (Ez: the slab's TE modes), 40 cells/um (>= 20 cells per wavelength in the
//! core at 0.95 um).

mod common;

use lumen_fdtd::modes::slab::{SlabPolarization, SlabProfile};
use lumen_fdtd::monitor::dft::{source_spectrum, MonitorData};
use lumen_fdtd::{
    Boundaries, Dimensions, Grid, Medium, Monitor, MonitorKind, Polarization, Region, Simulation, Source, SourceShape, Structure,
    TimeProfile,
};

const RES: f64 = 40.0;
const LX: f64 = 8.0;
const LY: f64 = 4.0;
const YC: f64 = LY / 2.0;
const WL: [f64; 3] = [0.85, 0.9, 0.95];
/// Source plane.
const XS: f64 = 1.25;

/// Forward and backward power in each mode, and the flux, at each port.
fn run(w_a: f64, w_b: f64, junction_x: f64, ports_x: &[f64]) -> Vec<(Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>)> {
    let grid = Grid::new([LX, LY, 0.0], RES, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
    let core = Medium::index(2.0);
    let mut structure =
        Structure::new(Medium::index(1.45)).with_block([-1.0, YC - w_a / 2.0, -1.0], [junction_x, YC + w_a / 2.0, 1.0], core.clone());
    if junction_x < LX {
        structure = structure.with_block([junction_x, YC - w_b / 2.0, -1.0], [LX + 1.0, YC + w_b / 2.0, 1.0], core);
    }
    // Mode source: the fundamental mode of guide A at 0.9 um, launched along +x
    // (J and M sheets, so nothing goes back towards -x).
    let source = Source {
        shape: SourceShape::Mode {
            region: Region {
                min_um: [XS, 0.8, 0.0],
                max_um: [XS, LY - 0.8, 0.0],
            },
            wavelength_um: 0.9,
            mode: 0,
            backward: false,
        },
        direction: [0.0; 3],
        amplitude: 1.0,
        profile: TimeProfile::gaussian_band(0.8, 1.0),
    };
    let mut sim = Simulation::new(grid.clone(), Boundaries::pml(30), structure).with_source(source);
    for (k, &x) in ports_x.iter().enumerate() {
        let region = Region {
            min_um: [x, 0.8, 0.0],
            max_um: [x, LY - 0.8, 0.0],
        };
        sim = sim.with_monitor(Monitor::new(
            format!("port{k}"),
            MonitorKind::Mode {
                region,
                wavelengths_um: WL.to_vec(),
                max_modes: 4,
                reverse: false,
            },
        ));
    }
    let mut s = common::run(&sim, (30.0 / grid.dt) as usize);
    let _turn = common::gpu_turn();
    s.monitor_results()
        .unwrap()
        .into_iter()
        .map(|m| match m.data {
            MonitorData::Mode {
                forward,
                backward,
                flux,
                n_eff,
                forward_amplitude,
                backward_amplitude,
                ..
            } => {
                eprintln!("{}: n_eff {:?}", m.name, n_eff[1]);
                // The amplitudes are the powers' square roots, with a phase.
                for (p, a) in forward.iter().flatten().zip(forward_amplitude.iter().flatten()) {
                    assert!((a.norm_sqr() - p).abs() <= 1e-12 * p.abs().max(1e-30));
                }
                for (p, a) in backward.iter().flatten().zip(backward_amplitude.iter().flatten()) {
                    assert!((a.norm_sqr() - p).abs() <= 1e-12 * p.abs().max(1e-30));
                }
                (forward, backward, flux)
            }
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn launched_mode_arrives_in_the_same_mode() {
    let ports = run(0.4, 0.4, LX + 1.0, &[0.75, 2.5, 6.0]);
    let (fwd, bwd, flux) = &ports[2];
    // Behind the source (x = 0.75 < XS): the J + M pair sends (almost) nothing back.
    let (up_fwd, up_bwd, up_flux) = &ports[0];
    for f in 0..WL.len() {
        let back = -up_flux[f] / flux[f];
        eprintln!(
            "{} um: power behind the source / launched {back:.2e} (mode 0 backward {:.2e}, forward {:.2e})",
            WL[f],
            up_bwd[f][0] / fwd[f][0],
            up_fwd[f][0] / fwd[f][0]
        );
        assert!(back < 1e-3, "{} um: the mode source sends {back:.2e} of its power backwards", WL[f]);
    }
    for f in 0..WL.len() {
        // A lossless straight guide carries the same mode power at both ports
        // (up to the mode's tiny overlap with the CPML: < 1e-4).
        let along = fwd[f][0] / ports[1].0[f][0];
        assert!(
            (along - 1.0).abs() < 1e-3,
            "{} um: mode power changed by {along:.5} along the guide",
            WL[f]
        );
        let purity = fwd[f][0] / flux[f];
        let back = bwd[f][0] / fwd[f][0];
        eprintln!(
            "{} um: fundamental carries {purity:.5} of the flux; backward/forward {back:.2e}",
            WL[f]
        );
        assert!(purity > 0.99, "{} um: only {purity:.4} of the flux is in the launched mode", WL[f]);
        assert!(back < 1e-3, "{} um: backward {back:.2e}", WL[f]);
    }
    // The launched mode power is |W(w)|^2, W the spectrum of the waveform as
    // the stepper samples it (lumen_fdtd::monitor::mode docs), as seen by a
    // port whose H is the mean of the two H planes half a cell either side:
    // for one travelling wave that mean is cos(beta dx / 2) H, so the port
    // reads a+ = (1 + cos(beta dx / 2)) / 2 of the amplitude (second order in
    // dx, 1.3% in power here).
    let dt = 0.5 / RES;
    let freqs = WL.map(|l| 1.0 / l);
    let w = source_spectrum(&TimeProfile::gaussian_band(0.8, 1.0), dt, (30.0 / dt) as usize, &freqs);
    for f in 0..WL.len() {
        let n_eff = SlabProfile::symmetric(2.0, 1.45, 0.4).modes(WL[f], SlabPolarization::Te).unwrap()[0].n_eff;
        let half = std::f64::consts::PI * n_eff / WL[f] / RES;
        let seen = (0.5 * (1.0 + half.cos())).powi(2);
        let ratio = fwd[f][0] / w[f].norm_sqr() / seen;
        eprintln!("{} um: mode power / |W|^2 = {ratio:.5} after the half-cell factor {seen:.5}", WL[f]);
        // Off the source's own wavelength its profile (h / e = n_eff at 0.9 um)
        // is slightly off the mode's: a few 1e-4.
        assert!((ratio - 1.0).abs() < 2e-3, "{} um: launched {ratio:.5} |W|^2", WL[f]);
    }
}

#[test]
fn butt_coupling_matches_mode_overlap() {
    let (w_a, w_b) = (0.4, 0.8);
    let ports = run(w_a, w_b, 3.5, &[2.5, 5.5]);
    for f in 0..WL.len() {
        let wl = WL[f];
        // Overlap of the fundamental TE modes (Snyder and Love): with e real,
        // h = n_eff e, eta = (n1 + n2)^2 (int e1 e2)^2 / (4 n1 n2 int e1^2 int e2^2).
        let (a, b) = (SlabProfile::symmetric(2.0, 1.45, w_a), SlabProfile::symmetric(2.0, 1.45, w_b));
        let (ma, mb) = (
            &a.modes(wl, SlabPolarization::Te).unwrap()[0],
            &b.modes(wl, SlabPolarization::Te).unwrap()[0],
        );
        let t: Vec<f64> = (-4000..=4000).map(|k| k as f64 * 5e-4).collect();
        let (ea, eb) = (a.profile(ma, wl, &t), b.profile(mb, wl, &t));
        let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
        let eta_exact = (ma.n_eff + mb.n_eff).powi(2) * dot(&ea, &eb).powi(2) / (4.0 * ma.n_eff * mb.n_eff * dot(&ea, &ea) * dot(&eb, &eb));
        let eta = ports[1].0[f][0] / ports[0].0[f][0];
        eprintln!("{wl} um: butt coupling {eta:.5}, mode overlap {eta_exact:.5}");
        assert!((eta / eta_exact - 1.0).abs() < 0.02, "{wl} um: {eta:.5} vs overlap {eta_exact:.5}");
    }
}

/// 3D: the fundamental mode of a rectangular n = 2.0 guide in n = 1.45, solved on
/// the run's own cross-section (lumen_fdtd::modes::vector) and launched one
/// way, arrives downstream in the same mode; nothing goes back. The issue's
/// bounds: > 99% of the power in the launched mode, < 1e-3 backwards.
#[test]
fn mode_source_and_port_in_3d() {
    let res = 20.0;
    let (lx, ly, lz) = (3.6, 2.4, 2.4);
    let grid = Grid::new([lx, ly, lz], res, 0.5, Dimensions::Three).unwrap();
    // A rectangular core (0.8 x 0.5 um), so the two polarisations are distinct modes.
    let (wy, wz, yc, zc) = (0.8, 0.5, ly / 2.0, lz / 2.0);
    let structure = Structure::new(Medium::index(1.45)).with_block(
        [-1.0, yc - wy / 2.0, zc - wz / 2.0],
        [lx + 1.0, yc + wy / 2.0, zc + wz / 2.0],
        Medium::index(2.0),
    );
    let plane = |x: f64| Region {
        min_um: [x, 0.45, 0.45],
        max_um: [x, ly - 0.45, lz - 0.45],
    };
    let source = Source {
        shape: SourceShape::Mode {
            region: plane(0.9),
            wavelength_um: 1.0,
            mode: 0,
            backward: false,
        },
        direction: [0.0; 3],
        amplitude: 1.0,
        profile: TimeProfile::gaussian_band(0.95, 1.05),
    };
    let wl = vec![0.97, 1.0, 1.03];
    let mut sim = Simulation::new(grid.clone(), Boundaries::pml(8), structure).with_source(source);
    for (name, x) in [("behind", 0.6), ("ahead", 2.8)] {
        sim = sim.with_monitor(Monitor::new(
            name,
            MonitorKind::Mode {
                region: plane(x),
                wavelengths_um: wl.clone(),
                max_modes: 2,
                reverse: false,
            },
        ));
    }
    let mut s = common::run(&sim, (28.0 / grid.dt) as usize);
    let _turn = common::gpu_turn();
    let res: Vec<_> = s.monitor_results().unwrap();
    let get = |name: &str| match &res.iter().find(|m| m.name == name).unwrap().data {
        MonitorData::Mode {
            forward,
            backward,
            flux,
            n_eff,
            ..
        } => (forward.clone(), backward.clone(), flux.clone(), n_eff.clone()),
        _ => unreachable!(),
    };
    let (fwd, bwd, flux, n_eff) = get("ahead");
    let (_, _, up_flux, _) = get("behind");
    for f in 0..wl.len() {
        // Two guided modes: y polarised (launched) and z polarised.
        assert!(n_eff[f].len() >= 2 && n_eff[f][0] - n_eff[f][1] > 1e-2, "{:?}", n_eff[f]);
        let purity = fwd[f][0] / flux[f];
        let other = fwd[f][1] / flux[f];
        let back = bwd[f][0] / fwd[f][0];
        let behind = -up_flux[f] / flux[f];
        eprintln!(
            "{} um: n_eff {:.5}; launched mode {purity:.5} of the flux, other polarisation {other:.1e}, backward {back:.1e}, behind the source {behind:.1e}",
            wl[f], n_eff[f][0]
        );
        assert!(purity > 0.99, "{} um: only {purity:.4} in the launched mode", wl[f]);
        assert!(
            back < 1e-3 && behind < 1e-3,
            "{} um: backward {back:.1e}, behind {behind:.1e}",
            wl[f]
        );
    }
}

/// The scene-file path: `type = "mode"` sources launch along `launch`, and a
/// mode the port does not guide is refused at load with its key.
#[test]
fn scene_mode_source_launches_the_chosen_way() {
    let scene = |launch: &str, mode: usize| {
        format!(
            r#"
[simulation]
dimensions = "2d"
polarization = "tm"
size_um = [6.0, 3.0]
resolution = 40
background = "clad"

[boundaries]
default = {{ type = "pml", thickness_um = 0.6 }}

[materials.core]
index = 2.0

[materials.clad]
index = 1.45

[[geometry]]
type = "box"
center_um = [0.0, 0.0]
size_um = [inf, 0.4]
material = "core"

[[sources]]
type = "mode"
center_um = [0.0, 0.0]
size_um = [0.0, 1.8]
mode = {mode}
launch = "{launch}"
wavelength_um = 0.9
bandwidth_um = 0.1

[[monitors]]
name = "right"
type = "mode"
center_um = [1.8, 0.0]
size_um = [0.0, 1.8]
wavelengths_um = [0.9]

[[monitors]]
name = "left"
type = "mode"
center_um = [-1.8, 0.0]
size_um = [0.0, 1.8]
direction = "-"
wavelengths_um = [0.9]

[run]
until_fs = 80
"#
        )
    };
    let run = |text: &str| {
        let s = lumen_fdtd::scene::parse(text, "mode_source", &[], false).expect("scene");
        let out = std::env::temp_dir().join(format!("lumen-mode-src-{}.h5", std::process::id()));
        let opts = lumen_fdtd::run::RunOptions {
            output: out,
            reference: None,
            progress: lumen_fdtd::run::ProgressMode::None,
            interrupt: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
        };
        let _turn = common::gpu_turn();
        let o = lumen_fdtd::run::run_scene(&s, &common::engine(), &opts).expect("run");
        let get = |n: &str| match &o.monitors.iter().find(|m| m.name == n).unwrap().data {
            MonitorData::Mode { forward, flux, .. } => (forward[0][0], flux[0]),
            _ => unreachable!(),
        };
        (get("right"), get("left"))
    };
    for launch in ["+", "-"] {
        let ((r_mode, r_flux), (l_mode, l_flux)) = run(&scene(launch, 1));
        let (main, other) = if launch == "+" {
            ((r_mode, r_flux), l_flux)
        } else {
            ((l_mode, l_flux), r_flux)
        };
        eprintln!(
            "launch {launch}: fundamental {:.5} of the flux ahead, {:.1e} of it behind",
            main.0 / main.1,
            other / main.1
        );
        assert!(main.0 / main.1 > 0.99, "launch {launch}: {:.4} in the fundamental", main.0 / main.1);
        assert!(other.abs() / main.1 < 1e-3, "launch {launch}: {:.1e} behind", other / main.1);
    }
    // The 0.4 um n = 2.0 slab guides two TE modes at 0.9 um; a fifth is refused.
    let err = lumen_fdtd::scene::parse(&scene("+", 5), "mode_source", &[], false)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("mode") && err.contains("guides 2 mode"), "{err}");
}

/// A port's mode profiles (modes x wavelengths x plane samples: GiBs for a
/// 3D fiber port with tens of modes) are shared, not copied, when a set-up is
/// cloned: once per stepper and once per LED run. Before they were shared, the
/// 3D fiber example's peak memory grew by ~0.4 GiB per wavelength at 56 cells/um.
#[test]
fn cloned_set_ups_share_port_profiles() {
    use lumen_fdtd::monitor::dft::MonitorPlan;
    let grid = Grid::new([LX, LY, 0.0], 20.0, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
    let structure = Structure::new(Medium::index(1.45)).with_block([-1.0, YC - 0.2, -1.0], [LX + 1.0, YC + 0.2, 1.0], Medium::index(2.0));
    let sim = Simulation::new(grid, Boundaries::pml(20), structure).with_monitor(Monitor::new(
        "port",
        MonitorKind::Mode {
            region: Region {
                min_um: [4.0, 0.8, 0.0],
                max_um: [4.0, LY - 0.8, 0.0],
            },
            wavelengths_um: WL.to_vec(),
            max_modes: 2,
            reverse: false,
        },
    ));
    let p = sim.prepare().expect("valid simulation");
    let modes = |p: &lumen_fdtd::Prepared| {
        p.dft
            .monitors
            .iter()
            .find_map(|m| match m {
                MonitorPlan::Mode { modes, .. } => Some(modes.clone()),
                _ => None,
            })
            .expect("a mode port")
    };
    let mine = modes(&p);
    assert_eq!(mine.modes.len(), WL.len());
    assert!(mine.modes.iter().all(|m| !m.is_empty()), "guided modes at every wavelength");
    assert!(std::sync::Arc::ptr_eq(&mine, &modes(&p.clone())));
    assert!(std::sync::Arc::ptr_eq(&mine, &modes(&sim.for_stepper(&p).unwrap())));
    // `lumen check` counts them once, beside the permittivity it keeps (a
    // lossless 2D TM run: eps of Ez only; the port's Ez and Hy profiles).
    let samples = mine.window.samples() as u64;
    let profiles: u64 = mine.modes.iter().map(|m| m.len() as u64).sum::<u64>() * 2 * samples * 8;
    assert_eq!(mine.bytes(), profiles);
    let eps: u64 = p.materials.eps.iter().map(|e| e.len() as u64 * 4).sum();
    assert_eq!(p.host_set_up_bytes(), eps + profiles);
}
