//! Near-to-far projection (src/monitor/farfield.rs) on the GPU path:
//! - the far-field intensity integrated over all directions equals the flux
//!   out of the box it was projected from (energy conservation, 2D TM and TE
//!   and 3D), within 2% (surface sampling at 20 cells per wavelength);
//! - a z dipole radiates as sin^2(theta) (CASES.md case 5 geometry);
//! - the fraction inside a numerical aperture about the dipole axis matches
//!   the analytic (3/4) int_0^theta_c sin^3 = (3/4)(2/3 - c + c^3/3), c = cos theta_c.

mod common;

use lumen_fdtd::monitor::dft::MonitorData;
use lumen_fdtd::{
    Boundaries, Dimensions, Grid, Medium, Monitor, MonitorKind, Polarization, Region, Simulation, Source, Structure, TimeProfile,
};

fn far_field(dims: Dimensions, res: f64, size: f64, pml: usize, dir: [f64; 3], points: usize, na: Option<f64>, time: f64) -> MonitorData {
    let three = dims == Dimensions::Three;
    let l = [size, size, if three { size } else { 0.0 }];
    let grid = Grid::new(l, res, 0.5, dims).unwrap();
    let c = [size / 2.0 + 0.013, size / 2.0 - 0.007, if three { size / 2.0 + 0.011 } else { 0.0 }];
    let half = 0.6;
    let region = Region {
        min_um: [c[0] - half, c[1] - half, if three { c[2] - half } else { 0.0 }],
        max_um: [c[0] + half, c[1] + half, if three { c[2] + half } else { 0.0 }],
    };
    let sim = Simulation::new(grid.clone(), Boundaries::pml(pml), Structure::new(Medium::VACUUM))
        .with_source(Source::point_dipole(c, dir, TimeProfile::gaussian_band(0.8, 1.25)))
        .with_monitor(Monitor::new(
            "far",
            MonitorKind::FarField {
                region,
                wavelengths_um: vec![1.0],
                points,
                na,
                open_plane: None,
            },
        ));
    let mut s = common::run(&sim, (time / grid.dt) as usize);
    let _turn = common::gpu_turn();
    s.monitor_results().unwrap().remove(0).data
}

fn check_total(label: &str, d: &MonitorData) {
    let MonitorData::FarField { flux, total, .. } = d else {
        unreachable!()
    };
    eprintln!("{label}: far-field total {:.5e}, box flux {:.5e}", total[0], flux[0]);
    assert!(flux[0] > 0.0);
    assert!(
        (total[0] / flux[0] - 1.0).abs() < 0.02,
        "{label}: total {:.4e} vs flux {:.4e}",
        total[0],
        flux[0]
    );
}

#[test]
fn far_field_2d_conserves_power() {
    for (pol, dir) in [(Polarization::Tm, [0.0, 0.0, 1.0]), (Polarization::Te, [1.0, 0.0, 0.0])] {
        let d = far_field(Dimensions::Two(pol), 20.0, 5.0, 20, dir, 360, None, 30.0);
        check_total(&format!("2D {pol:?}"), &d);
        if pol == Polarization::Te {
            // An x dipole in the plane radiates as sin^2 of the angle from x: nothing along x.
            let MonitorData::FarField { intensity, phi, .. } = &d else {
                unreachable!()
            };
            let at = |a: f64| intensity[0][phi.iter().position(|p| (p - a).abs() < 1e-9).unwrap()];
            let (along, across) = (at(0.0), at(std::f64::consts::FRAC_PI_2));
            assert!(along < 1e-3 * across, "x dipole: along x {along:.3e}, along y {across:.3e}");
        }
    }
}

#[test]
fn far_field_3d_dipole_pattern_and_na() {
    let na = 0.5;
    let d = far_field(Dimensions::Three, 20.0, 3.0, 12, [0.0, 0.0, 1.0], 30, Some(na), 20.0);
    check_total("3D", &d);
    let MonitorData::FarField {
        intensity,
        theta,
        na_fraction,
        ..
    } = &d
    else {
        unreachable!()
    };
    let peak = intensity[0].iter().cloned().fold(0.0, f64::max);
    let mut worst: f64 = 0.0;
    for (u, th) in intensity[0].iter().zip(theta) {
        worst = worst.max((u / peak - th.sin().powi(2)).abs());
    }
    eprintln!("3D: max |U/U_max - sin^2 theta| = {worst:.4}");
    assert!(worst < 0.03, "pattern deviates from sin^2 theta by {worst:.4}");
    let c = (1.0 - na * na).sqrt();
    let exact = 0.75 * (2.0 / 3.0 - c + c.powi(3) / 3.0);
    let got = na_fraction.as_ref().unwrap()[0];
    eprintln!("3D: fraction within NA {na}: {got:.5} (analytic {exact:.5})");
    // The theta grid (30 points) resolves the cone edge to half a step.
    assert!((got - exact).abs() < 0.01, "NA fraction {got:.4} vs {exact:.4}");
}
