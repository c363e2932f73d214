//! Convergence order of mode coupling where E is normal to the waveguide's
//! interfaces (issue 12): a 2D TE run's TM slab modes, and a 3D strip guide's
//! mode polarised across its side faces. Three resolutions, each twice the
//! last; the order from the successive differences of the result,
//! p = log2(|c1 - c2| / |c2 - c3|), must be at least 1.8 (second order,
//! with the margin a finite sequence leaves).
//!
//! What made it first order before: a point dipole was put on its nearest
//! sample, up to dx / 2 from where it was asked for, and the components
//! staggered by half a cell rarely have a sample at a given point at every
//! resolution; the coupling of a line dipole into the TM0 mode of a slab
//! converged at order 1.09 (40, 80, 160 cells/um). Point dipoles are now
//! spread over the samples around them by linear interpolation
//! (`Grid::interpolation`, as MEEP does): order 2.1.

mod common;

use lumen_fdtd::monitor::dft::{source_spectrum, MonitorData, MonitorResult};
use lumen_fdtd::scene;
use lumen_fdtd::source::SourceShape;

/// Runs `text` at `res` cells/um.
fn run(text: &str, res: usize) -> (Vec<MonitorResult>, usize, scene::Scene) {
    let (s, m, steps) = common::run_scene_text(text, &[format!("simulation.resolution={res}")]);
    (m, steps, s)
}

fn forward(m: &[MonitorResult], name: &str, mode: usize) -> f64 {
    match &m.iter().find(|r| r.name == name).unwrap().data {
        MonitorData::Mode { forward, .. } => forward[0][mode],
        _ => panic!("{name} is not a mode monitor"),
    }
}

fn power(m: &[MonitorResult]) -> f64 {
    match &m.iter().find(|r| r.name == "power").unwrap().data {
        MonitorData::SourcePower { power, .. } => power[0],
        _ => panic!("no source power"),
    }
}

fn order(name: &str, res: &[usize], c: &[f64]) -> f64 {
    let (d1, d2) = (c[0] - c[1], c[1] - c[2]);
    let p = (d1 / d2).abs().log2();
    println!("{name}: {res:?} cells/um -> {c:?}; differences {d1:.3e}, {d2:.3e}; order {p:.2}");
    p
}

/// A slab guide (n = 2.0, 0.33 um, in 1.45), 2D TE (Hz; Ex, Ey in plane).
const SLAB: &str = r#"
[simulation]
dimensions = "2d"
polarization = "te"
size_um = [4.0, 3.0]
resolution = 40
background = "clad"

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[materials.core]
index = 2.0
[materials.clad]
index = 1.45

[[geometry]]
type = "box"
center_um = [0.0, 0.0]
size_um = [inf, 0.33]
material = "core"

[[monitors]]
name = "port"
type = "mode"
center_um = [1.0, 0.0]
size_um = [0.0, 2.0]
modes = 2
wavelengths_um = [0.8]

[run]
until_fs = 60
"#;

/// A line dipole across the interfaces (Ey), off centre, into mode 1 (TM0),
/// as a fraction of the power it delivers.
#[test]
fn tm_mode_coupling_converges_at_second_order() {
    let text = format!(
        "{SLAB}
[[sources]]
name = \"d\"
type = \"dipole\"
position_um = [-1.0, 0.05]
component = \"Ey\"
wavelength_um = 0.8
bandwidth_um = 0.2

[[monitors]]
name = \"power\"
type = \"source_power\"
source = \"d\"
wavelengths_um = [0.8]
"
    );
    let res = [40, 80, 160];
    let c: Vec<f64> = res
        .iter()
        .map(|&r| {
            let (m, ..) = run(&text, r);
            forward(&m, "port", 0) / power(&m)
        })
        .collect();
    let p = order("2D TM0 coupling of an Ey line dipole", &res, &c);
    assert!(p >= 1.8, "order {p:.2}");
}

/// The TM0 mode launched by a mode source: the power in mode 1 downstream
/// over |W|^2 (the launched power it should be: docs/scene-format.md).
#[test]
fn tm_mode_launch_converges_at_second_order() {
    let text = format!(
        "{SLAB}
[[sources]]
type = \"mode\"
center_um = [-1.0, 0.0]
size_um = [0.0, 2.0]
mode = 1
wavelength_um = 0.8
bandwidth_um = 0.2
"
    );
    let res = [40, 80, 160];
    let mut purity = Vec::new();
    let c: Vec<f64> = res
        .iter()
        .map(|&r| {
            let (m, steps, s) = run(&text, r);
            let dt = s.prepared.grid.dt;
            let w = source_spectrum(&s.simulation.sources[0].profile, dt, steps, &[1.0 / 0.8])[0].norm_sqr();
            assert!(matches!(s.simulation.sources[0].shape, SourceShape::Mode { .. }));
            let (fwd, m2) = (forward(&m, "port", 0), forward(&m, "port", 1));
            purity.push(m2 / fwd);
            fwd / w
        })
        .collect();
    let p = order("2D TM0 launched power / |W|^2", &res, &c);
    assert!(p >= 1.8, "order {p:.2}");
    // And only TM0: TM1 gets nothing (to rounding).
    assert!(purity.iter().all(|&x| x < 1e-10), "TM1 / TM0: {purity:?}");
}

/// 3D strip guide (0.5 x 0.4 um, n = 2.0 in 1.45): a y dipole (E normal to
/// the core's side faces) into mode 1, the y-polarised fundamental.
const STRIP: &str = r#"
[simulation]
size_um = [2.4, 2.0, 1.8]
resolution = 15
background = "clad"

[boundaries]
default = { type = "pml", thickness_um = 0.4 }

[materials.core]
index = 2.0
[materials.clad]
index = 1.45

[[geometry]]
type = "box"
center_um = [0.0, 0.0, 0.0]
size_um = [inf, 0.5, 0.4]
material = "core"

[[sources]]
name = "d"
type = "dipole"
position_um = [-0.6, 0.07, 0.03]
component = "Ey"
wavelength_um = 1.0
bandwidth_um = 0.3

[[monitors]]
name = "port"
type = "mode"
center_um = [0.6, 0.0, 0.0]
size_um = [0.0, 1.2, 1.0]
modes = 2
wavelengths_um = [1.0]

[[monitors]]
name = "power"
type = "source_power"
source = "d"
wavelengths_um = [1.0]

[run]
until_fs = 40
"#;

#[test]
fn strip_mode_with_e_normal_to_a_face_converges_at_second_order() {
    let res = [15, 30, 60];
    let c: Vec<f64> = res
        .iter()
        .map(|&r| {
            let (m, ..) = run(STRIP, r);
            forward(&m, "port", 0) / power(&m)
        })
        .collect();
    let p = order("3D strip, Ey dipole into mode 1", &res, &c);
    assert!(p >= 1.8, "order {p:.2}");
}
