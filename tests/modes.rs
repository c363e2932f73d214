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
use lumen_fdtd::monitor::dft::MonitorData;
use lumen_fdtd::{
    Boundaries, Component, Dimensions, Grid, Medium, Monitor, MonitorKind, Polarization, Region, Simulation, Source, SourceShape, Stepper,
    Structure, TimeProfile,
};

const RES: f64 = 40.0;
const LX: f64 = 8.0;
const LY: f64 = 4.0;
const YC: f64 = LY / 2.0;
const WL: [f64; 3] = [0.85, 0.9, 0.95];

/// Forward and backward power in each mode, and the flux, at each port.
fn run(w_a: f64, w_b: f64, junction_x: f64, ports_x: &[f64]) -> Vec<(Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>)> {
    let grid = Grid::new([LX, LY, 0.0], RES, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
    let core = Medium::index(2.0);
    let mut structure =
        Structure::new(Medium::index(1.45)).with_block([-1.0, YC - w_a / 2.0, -1.0], [junction_x, YC + w_a / 2.0, 1.0], core.clone());
    if junction_x < LX {
        structure = structure.with_block([junction_x, YC - w_b / 2.0, -1.0], [LX + 1.0, YC + w_b / 2.0, 1.0], core);
    }
    // Mode source: the fundamental TE mode of guide A at 0.9 um on the Ez samples of a line.
    let slab = SlabProfile::symmetric(2.0, 1.45, w_a);
    let mode = &slab.modes(0.9, SlabPolarization::Te).unwrap()[0];
    let g = grid.clone();
    let ys: Vec<f64> = (0..g.ny)
        .map(|j| g.position_um(Component::Ez, [0, j, 0])[1])
        .filter(|y| (y - YC).abs() < 1.2)
        .collect();
    let t: Vec<f64> = ys.iter().map(|y| y - YC).collect();
    let weights = slab.profile(mode, 0.9, &t);
    let xs = 1.25;
    let source = Source {
        shape: SourceShape::Sheet {
            points_um: ys.iter().map(|&y| [xs, y, 0.0]).collect(),
            weights,
        },
        direction: [0.0, 0.0, 1.0],
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
    let mut s = common::run_gpu(&sim, (30.0 / grid.dt) as usize);
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
                ..
            } => {
                eprintln!("{}: n_eff {:?}", m.name, n_eff[1]);
                (forward, backward, flux)
            }
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn launched_mode_arrives_in_the_same_mode() {
    let ports = run(0.4, 0.4, LX + 1.0, &[2.5, 6.0]);
    let (fwd, bwd, flux) = &ports[1];
    for f in 0..WL.len() {
        let purity = fwd[f][0] / flux[f];
        let back = bwd[f][0] / fwd[f][0];
        eprintln!(
            "{} um: fundamental carries {purity:.5} of the flux; backward/forward {back:.2e}",
            WL[f]
        );
        assert!(purity > 0.99, "{} um: only {purity:.4} of the flux is in the launched mode", WL[f]);
        assert!(back < 1e-3, "{} um: backward {back:.2e}", WL[f]);
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
