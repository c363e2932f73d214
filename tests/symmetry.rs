//! Mirror-symmetric domains (src/symmetry.rs): a run folded onto its mirror
//! planes must give the whole domain's results. The reference is the same
//! scene run on the whole grid (same cells, same sources): the two differ
//! only by rounding and by the whole grid's two outer walls, which are not
//! exact mirror images of each other inside the PML (the low face is a
//! magnetic wall half a cell out, the high one an electric wall), so 1e-4
//! relative (the bound asked for in issue 12) is a bound on those, not a fit.

mod common;

use lumen_fdtd::monitor::dft::{MonitorData, MonitorResult};
use lumen_fdtd::scene::{self, Scene, StopCondition};
use lumen_fdtd::Prepared;

fn steps(s: &Scene) -> usize {
    let StopCondition::Time { time } = s.stop else {
        panic!("until_fs scenes only")
    };
    (time / s.prepared.grid.dt).ceil() as usize
}

fn run_on(p: &Prepared, steps: usize, engine: &lumen_fdtd::engine::Engine) -> Vec<MonitorResult> {
    let _turn = common::gpu_turn();
    let mut st = engine.stepper(p).expect("stepper");
    st.run(steps).unwrap();
    st.monitor_results().unwrap()
}

/// Every number a monitor reports that a folded run must reproduce.
fn numbers(d: &MonitorData) -> Vec<f64> {
    match d {
        MonitorData::Flux { flux, faces, .. } => {
            let mut v = flux.clone();
            for f in faces {
                for c in &f.fields {
                    v.extend(c.iter().flatten().flat_map(|z| [z.re, z.im]));
                }
            }
            v
        }
        MonitorData::SourcePower { power, .. } => power.clone(),
        MonitorData::Mode {
            forward, backward, flux, ..
        } => forward.iter().chain(backward).flatten().chain(flux).copied().collect(),
        MonitorData::FarField {
            intensity, flux, total, ..
        } => intensity.iter().flatten().chain(flux).chain(total).copied().collect(),
        MonitorData::Acceptance {
            accepted, core_flux, flux, ..
        } => accepted.iter().chain(core_flux).chain(flux).copied().collect(),
        MonitorData::DftFields { components, .. } => components.iter().flat_map(|c| c.2.iter().flat_map(|z| [z.re, z.im])).collect(),
        other => panic!("not compared: {other:?}"),
    }
}

/// The largest difference of any monitor, relative to that monitor's largest
/// number; also prints each.
fn compare(folded: &[MonitorResult], full: &[MonitorResult]) -> f64 {
    assert_eq!(folded.len(), full.len());
    let mut worst = 0f64;
    for (a, b) in folded.iter().zip(full) {
        assert_eq!(a.name, b.name);
        let (x, y) = (numbers(&a.data), numbers(&b.data));
        assert_eq!(x.len(), y.len(), "{}", a.name);
        let scale = y.iter().fold(0f64, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "{}: all zero", a.name);
        let diff = x.iter().zip(&y).fold(0f64, |m, (p, q)| m.max((p - q).abs()));
        println!(
            "{:>10}: max |folded - full| / max |full| = {:.2e} (scale {scale:.3e})",
            a.name,
            diff / scale
        );
        worst = worst.max(diff / scale);
    }
    worst
}

/// Runs `text` folded and on the whole grid; returns the worst difference
/// and the fraction of the cells the folded run steps.
fn folded_vs_full(text: &str, engine: &lumen_fdtd::engine::Engine) -> (f64, f64) {
    let s = scene::parse(text, "sym.toml", &[], false).unwrap_or_else(|e| panic!("{e}"));
    let n = steps(&s);
    let folded = s.simulation.for_stepper(&s.prepared).unwrap_or_else(|e| panic!("{e}"));
    let fraction = folded.grid.cells() as f64 / s.prepared.grid.cells() as f64;
    let a = run_on(&folded, n, engine);
    let b = run_on(&s.prepared, n, engine);
    (compare(&a, &b), fraction)
}

/// A slab guide along x with a dipole at its centre, 2D TE (Ey: along the
/// x plane, even; across the y plane, odd): fluxes on both sides (the -x
/// ones lie wholly in the removed half), a closed box around the source
/// (cut by both planes), mode ports both ways, source power.
const GUIDE_2D: &str = r#"
[simulation]
dimensions = "2d"
polarization = "te"
size_um = [6.0, 4.0]
resolution = 20
background = "clad"

[symmetry]
x = "even"
y = "odd"

[boundaries]
default = { type = "pml", thickness_um = 0.75 }

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
name = "d"
type = "dipole"
position_um = [0.0, 0.0]
component = "Ey"
wavelength_um = 0.8
bandwidth_um = 0.3

[[monitors]]
name = "box"
type = "flux"
center_um = [0.0, 0.0]
size_um = [1.0, 1.0]
wavelength_range_um = [0.7, 0.9]
points = 5

[[monitors]]
name = "right"
type = "flux"
center_um = [2.0, 0.3]
size_um = [0.0, 2.0]
wavelength_range_um = [0.7, 0.9]
points = 5

[[monitors]]
name = "left"
type = "flux"
center_um = [-2.0, 0.0]
size_um = [0.0, 2.4]
wavelength_range_um = [0.7, 0.9]
points = 5

[[monitors]]
name = "port_r"
type = "mode"
center_um = [2.2, 0.0]
size_um = [0.0, 2.4]
modes = 2
wavelength_range_um = [0.7, 0.9]
points = 5

[[monitors]]
name = "port_l"
type = "mode"
center_um = [-2.2, 0.0]
size_um = [0.0, 2.4]
direction = "-"
modes = 2
wavelength_range_um = [0.7, 0.9]
points = 5

[[monitors]]
name = "power"
type = "source_power"
source = "d"
wavelength_range_um = [0.7, 0.9]
points = 5

[run]
until_fs = 40
"#;

/// A line dipole in vacuum, 2D TM (Ez: along both planes, even, even; x
/// found from the source): a closed far-field box off centre, so that its
/// faces lie partly in the removed halves, and DFT fields wholly in them.
const FARFIELD_2D: &str = r#"
[simulation]
dimensions = "2d"
polarization = "tm"
size_um = [5.0, 5.0]
resolution = 20

[symmetry]
x = "auto"
y = "even"

[boundaries]
default = { type = "pml", thickness_um = 0.75 }

[[sources]]
name = "d"
type = "dipole"
position_um = [0.0, 0.0]
component = "Ez"
wavelength_um = 1.0
bandwidth_um = 0.4

[[monitors]]
name = "far"
type = "far_field"
center_um = [0.3, 0.0]
size_um = [2.0, 2.4]
angular_points = 72
wavelength_range_um = [0.9, 1.1]
points = 3

[[monitors]]
name = "fields"
type = "dft"
center_um = [-0.5, 0.4]
size_um = [1.0, 1.0]
components = ["Ez", "Hx", "Hy"]
wavelengths_um = [1.0]

[run]
until_fs = 30
"#;

#[test]
fn folded_2d_te_guide_equals_the_whole_domain() {
    let (worst, fraction) = folded_vs_full(GUIDE_2D, &common::engine());
    println!("folded run steps {:.3} of the cells", fraction);
    assert!(fraction < 0.27, "a quarter of the grid plus the ghost layers: {fraction}");
    assert!(worst < 1e-4, "folded vs whole domain: {worst:.2e}");
}

#[test]
fn folded_2d_tm_far_field_equals_the_whole_domain() {
    let (worst, fraction) = folded_vs_full(FARFIELD_2D, &common::engine());
    assert!(fraction < 0.27, "{fraction}");
    assert!(worst < 1e-4, "folded vs whole domain: {worst:.2e}");
}

/// A strip guide along x in 3D with a y dipole at its centre (x even, y
/// odd): mode powers both ways, a flux box and source power; a quarter grid.
const GUIDE_3D: &str = r#"
[simulation]
size_um = [3.2, 2.4, 2.0]
resolution = 12
background = "clad"

[symmetry]
x = "even"
y = "odd"

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[materials.core]
index = 2.0
[materials.clad]
index = 1.45

[[geometry]]
type = "box"
center_um = [0.0, 0.0, 0.0]
size_um = [inf, 0.6, 0.4]
material = "core"

[[sources]]
name = "d"
type = "dipole"
position_um = [0.0, 0.0, 0.0]
component = "Ey"
wavelength_um = 1.0
bandwidth_um = 0.3

[[monitors]]
name = "box"
type = "flux"
center_um = [0.0, 0.0, 0.0]
size_um = [1.0, 1.0, 1.0]
wavelengths_um = [0.95, 1.05]

[[monitors]]
name = "port_r"
type = "mode"
center_um = [1.0, 0.0, 0.0]
size_um = [0.0, 1.3, 1.0]
modes = 2
wavelengths_um = [1.0]

[[monitors]]
name = "port_l"
type = "mode"
center_um = [-1.0, 0.0, 0.0]
size_um = [0.0, 1.3, 1.0]
direction = "-"
modes = 2
wavelengths_um = [1.0]

[[monitors]]
name = "power"
type = "source_power"
source = "d"
wavelengths_um = [0.95, 1.05]

[run]
until_fs = 20
"#;

#[test]
fn folded_3d_guide_equals_the_whole_domain() {
    let (worst, fraction) = folded_vs_full(GUIDE_3D, &common::engine());
    assert!(fraction < 0.3, "{fraction}");
    assert!(worst < 1e-4, "folded vs whole domain: {worst:.2e}");
}

/// The WGSL kernels run the folded grid (its ghost-layer copy, mirror_h) as
/// the native engine does.
#[test]
fn folded_run_wgsl_matches_native() {
    let s = scene::parse(GUIDE_2D, "sym.toml", &[], false).unwrap();
    let folded = s.simulation.for_stepper(&s.prepared).unwrap();
    let n = 300;
    let a = run_on(&folded, n, &common::gpu_engine());
    let b = run_on(&folded, n, &common::cpu_engine());
    let worst = compare(&a, &b);
    // The two engines agree to f32 rounding (tests/gpu_vs_cpu.rs).
    assert!(worst < 1e-5, "WGSL vs native on a folded grid: {worst:.2e}");
}

fn scene_error(text: &str) -> String {
    match scene::parse(text, "sym.toml", &[], false) {
        Ok(s) => match s.simulation.for_stepper(&s.prepared) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn asymmetric_set_ups_are_refused() {
    // The structure is not symmetric about x = 0.
    let e = scene_error(&GUIDE_2D.replace(
        "center_um = [0.0, 0.0]\nsize_um = [inf, 0.4]",
        "center_um = [0.0, 0.05]\nsize_um = [inf, 0.4]",
    ));
    assert!(e.contains("differs from its mirror image"), "{e}");
    // An Ey dipole on an odd x plane is zero there.
    let e = scene_error(&GUIDE_2D.replace("x = \"even\"", "x = \"odd\""));
    assert!(e.contains("odd"), "{e}");
    // A dipole off the plane has no image.
    let e = scene_error(&GUIDE_2D.replace("position_um = [0.0, 0.0]", "position_um = [0.5, 0.0]"));
    assert!(e.contains("mirror image"), "{e}");
    // A z mirror in 2D.
    let e = scene_error(&GUIDE_2D.replace("y = \"odd\"", "z = \"odd\""));
    assert!(e.contains("symmetry.z"), "{e}");
}

/// An odd number of cells gets one more, so the plane through the centre
/// falls on a sample.
#[test]
fn the_grid_puts_the_plane_on_a_sample() {
    let s = scene::parse(
        &GUIDE_2D.replace("size_um = [6.0, 4.0]", "size_um = [6.05, 4.0]"),
        "sym.toml",
        &[],
        false,
    )
    .unwrap();
    assert_eq!(s.prepared.grid.nx, 122);
}

/// An LED at the centre of a mesa on glass (2D TE, both in-plane
/// orientations): each dipole run folds with its own parity (Ex across the
/// x plane: odd, its moment split between the samples either side; Ey along
/// it: even), and the LED's sums equal those of the same scene on the whole
/// grid (`fold = false`).
const LED_2D: &str = r#"
[simulation]
dimensions = "2d"
polarization = "te"
size_um = [5.0, 3.6]
resolution = 20

[symmetry]
x = "auto"

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[materials.glass]
index = 1.45
[materials.gan]
index = 2.45

[[geometry]]
type = "box"
center_um = [0.0, -1.2]
size_um = [inf, 1.2]
material = "glass"

[[geometry]]
type = "cone"
center_um = [0.0, -0.1]
axis = "y"
height_um = 1.0
radius_um = 1.2
sidewall_angle_deg = 55
material = "gan"

[[sources]]
name = "led"
type = "led"
center_um = [0.0, 0.1]
size_um = [0.0, 0.0]
orientations = "in_plane"
well_normal = "y"
wavelength_um = 0.45
bandwidth_um = 0.04
wavelength_range_um = [0.43, 0.47]
points = 3
extraction_monitor = "up"

[[monitors]]
name = "up"
type = "flux"
center_um = [0.0, 1.0]
size_um = [4.0, 0.0]
wavelength_range_um = [0.43, 0.47]
points = 3

[[monitors]]
name = "down"
type = "flux"
center_um = [0.8, -1.0]
size_um = [2.0, 0.0]
direction = "-"
wavelength_range_um = [0.43, 0.47]
points = 3

[run]
until_fs = 40
"#;

#[test]
fn led_runs_fold_per_orientation_and_equal_the_whole_domain() {
    use lumen_fdtd::run::{run_scene, ProgressMode, RunOptions};
    let dir = std::env::temp_dir().join(format!("lumen-sym-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |set: &[String], name: &str| {
        let s = scene::parse(LED_2D, "led.toml", set, false).unwrap_or_else(|e| panic!("{e}"));
        let opts = RunOptions {
            output: dir.join(name),
            reference: None,
            progress: ProgressMode::None,
            interrupt: Default::default(),
        };
        let _turn = common::gpu_turn();
        run_scene(&s, &common::engine(), &opts).unwrap_or_else(|e| panic!("{e}"))
    };
    let folded = run(&[], "folded.h5");
    let whole = run(&["symmetry.fold=false".to_string()], "whole.h5");
    let worst = compare(&folded.monitors, &whole.monitors);
    assert!(worst < 1e-4, "LED folded vs whole domain: {worst:.2e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `lumen check` says what a fold saves, and refuses an asymmetric scene
/// with the reason.
#[test]
fn check_reports_the_cell_updates_saved() {
    let dir = std::env::temp_dir().join(format!("lumen-sym-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("guide.toml");
    std::fs::write(&path, GUIDE_2D).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lumen"))
        .args(["check", path.to_str().unwrap(), "--backend", "cpu"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    // 120 x 80 cells; folded: 61 x 41 (a quarter plus the ghost layers).
    assert!(
        text.contains("mirror planes x even, y odd: each step updates 2501 of the 9600 cells (26%), saving 74%"),
        "{text}"
    );
    std::fs::write(&path, GUIDE_2D.replace("position_um = [0.0, 0.0]", "position_um = [0.5, 0.0]")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lumen"))
        .args(["check", path.to_str().unwrap(), "--backend", "cpu"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mirror image"));
    std::fs::remove_dir_all(&dir).ok();
}

/// An LED whose dipoles lie off the mirror plane cannot fold: the error says
/// so in the LED's terms (and what to use instead).
#[test]
fn led_off_the_planes_is_refused_with_the_reason() {
    use lumen_fdtd::run::{run_scene, ProgressMode, RunOptions};
    let text = LED_2D.replace(
        "size_um = [0.0, 0.0]\norientations",
        "size_um = [1.0, 0.0]\npositions = [2, 1]\norientations",
    );
    let s = scene::parse(&text, "led.toml", &[], false).unwrap_or_else(|e| panic!("{e}"));
    let dir = std::env::temp_dir().join(format!("lumen-sym-led-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opts = RunOptions {
        output: dir.join("r.h5"),
        reference: None,
        progress: ProgressMode::None,
        interrupt: Default::default(),
    };
    let e = {
        let _turn = common::gpu_turn();
        match run_scene(&s, &common::engine(), &opts) {
            Ok(_) => panic!("an LED off the planes was folded"),
            Err(e) => e.to_string(),
        }
    };
    assert!(
        e.contains("sources.0 (an LED, with [symmetry])") && e.contains("own `symmetry` key"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
