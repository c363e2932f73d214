//! Bad parameters give clear errors that quote the values, never panics.

use lumen_fdtd::{
    Boundaries, Boundary, Component, Dimensions, Error, Grid, Medium, Pml, Polarization, Probe, Simulation, Source, Structure, TimeProfile,
};

fn grid2d() -> Grid {
    Grid::new([2.0, 2.0, 0.0], 10.0, 0.5, Dimensions::Two(Polarization::Tm)).unwrap()
}

#[test]
fn courant_above_limit() {
    let e = Grid::new([1.0, 1.0, 1.0], 10.0, 0.6, Dimensions::Three).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("0.6") && msg.contains("0.577350"), "{msg}");
}

#[test]
fn zero_cells() {
    let e = Grid::new([1.0, 0.04, 1.0], 10.0, 0.5, Dimensions::Three).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("size_um[1]") && msg.contains("zero cells"), "{msg}");
}

#[test]
fn pml_thicker_than_domain() {
    let sim = Simulation::new(grid2d(), Boundaries::pml(10), Structure::default());
    let e = sim.prepare().unwrap_err();
    assert!(
        matches!(
            e,
            Error::PmlTooThick {
                pml_cells: 20,
                domain_cells: 20,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("20 cells"), "{e}");
}

#[test]
fn half_periodic_axis() {
    let mut b = Boundaries::pml(4);
    b.faces[0][1] = Boundary::Periodic;
    let e = Simulation::new(grid2d(), b, Structure::default()).prepare().unwrap_err();
    assert!(e.to_string().contains("both faces"), "{e}");
}

#[test]
fn bad_pml_grading() {
    let b = Boundaries::all(Boundary::Pml(Pml {
        kappa_max: 0.5,
        ..Pml::cells(4)
    }));
    let e = Simulation::new(grid2d(), b, Structure::default()).prepare().unwrap_err();
    assert!(e.to_string().contains("kappa_max") && e.to_string().contains("0.5"), "{e}");
}

#[test]
fn source_outside_domain() {
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 1.0,
        fwhm_frequency: 0.5,
    };
    let sim = Simulation::new(grid2d(), Boundaries::pml(4), Structure::default()).with_source(Source::point_dipole(
        [3.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        pulse,
    ));
    let e = sim.prepare().unwrap_err();
    assert!(e.to_string().contains("sources[0]") && e.to_string().contains("outside"), "{e}");
}

#[test]
fn component_not_in_polarisation() {
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 1.0,
        fwhm_frequency: 0.5,
    };
    let sim = Simulation::new(grid2d(), Boundaries::pml(4), Structure::default()).with_source(Source::point_dipole(
        [1.0, 1.0, 0.0],
        [1.0, 0.0, 0.0],
        pulse,
    ));
    let e = sim.prepare().unwrap_err();
    assert!(e.to_string().contains("Ex is not evolved"), "{e}");
    let sim = Simulation::new(grid2d(), Boundaries::pml(4), Structure::default()).with_probe(Probe::new(Component::Hz, [1.0, 1.0, 0.0]));
    assert!(sim.prepare().unwrap_err().to_string().contains("probes[0]"));
}

#[test]
fn bad_material_and_profile() {
    let s = Structure::new(Medium::VACUUM).with_block([0.0; 3], [1.0; 3], Medium::lossy(-2.0, 0.0));
    let e = Simulation::new(grid2d(), Boundaries::pml(4), s).prepare().unwrap_err();
    assert!(e.to_string().contains("objects[0].eps") && e.to_string().contains("-2"), "{e}");
    let bad = TimeProfile::Continuous {
        wavelength_um: 0.0,
        ramp_periods: 1.0,
    };
    let sim = Simulation::new(grid2d(), Boundaries::pml(4), Structure::default()).with_source(Source::point_dipole(
        [1.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        bad,
    ));
    assert!(sim.prepare().unwrap_err().to_string().contains("sources[0].wavelength_um"));
}

#[test]
fn buffers_beyond_the_adapter_limit_are_refused() {
    let ctx = lumen_fdtd::gpu::GpuContext::new(&lumen_fdtd::gpu::AdapterRequest::from_env()).unwrap();
    let limit = ctx.limits.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
    assert!(ctx.check_binding("field", limit).is_ok());
    let e = ctx.check_binding("one field component array", limit + 4).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::ExceedsDeviceLimit { .. }), "{msg}");
    assert!(msg.contains(&limit.to_string()) && msg.contains(&ctx.adapter.name), "{msg}");
}

/// A run whose fields blow up (here a gain pole: static eps_inf + sigma < 0)
/// ends with a clear error, and the file it writes is marked incomplete.
#[test]
fn diverging_fields_are_an_error_not_a_result() {
    let text = r#"
[simulation]
dimensions = "2d"
polarization = "tm"
size_um = [3.0, 3.0]
resolution = 10

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[materials.gain]
eps = 1.0
poles = [{ type = "lorentz", frequency = 0.5, gamma = 0.0, sigma = -3.0 }]

[[geometry]]
type = "box"
center_um = [0.0, 0.0]
size_um = [1.0, 1.0]
material = "gain"

[[sources]]
type = "dipole"
position_um = [0.0, 0.0]
wavelength_um = 1.0
bandwidth_um = 0.3

[[monitors]]
name = "out"
type = "flux"
center_um = [0.0, 0.0]
size_um = [1.6, 1.6]
wavelengths_um = [1.0]

[run]
until_fs = 100000
"#;
    let scene = lumen_fdtd::scene::parse(text, "gain.toml", &[], false).expect("parses");
    let out = std::env::temp_dir().join(format!("lumen-diverge-{}.h5", std::process::id()));
    let engine = lumen_fdtd::engine::Engine::Cpu(lumen_fdtd::cpu::CpuInfo::detect());
    let opts = lumen_fdtd::run::RunOptions {
        output: out.clone(),
        reference: None,
        progress: lumen_fdtd::run::ProgressMode::None,
        interrupt: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    };
    let err = lumen_fdtd::run::run_scene(&scene, &engine, &opts)
        .expect_err("an error")
        .to_string();
    // Caught while the run goes on (not after 100 000 fs), with when and where:
    // the gain block is |x|, |y| <= 0.5 um.
    assert!(err.contains("the fields diverged between steps"), "{err}");
    assert!(err.contains("outside the PMLs, where eps_inf = 1"), "{err}");
    let at = err.split(" at (").nth(1).and_then(|s| s.split(") um").next()).expect("a position");
    let xy: Vec<f64> = at.split(", ").map(|v| v.parse().unwrap()).collect();
    assert!(xy.len() == 2 && xy.iter().all(|v| v.abs() <= 0.55), "{err}");
    let summary = lumen_fdtd::output::read_summary(&out).expect("partial results written");
    assert!(!summary.complete, "marked incomplete");
    let dt_fs = summary.dt_fs;
    assert!(
        (summary.steps as f64) * dt_fs < 20000.0,
        "stopped soon after it blew up: {} steps of {dt_fs} fs",
        summary.steps
    );
    let (from, to) = {
        let s = err.split("between steps ").nth(1).unwrap();
        let mut w = s.split([' ', ':']);
        (w.next().unwrap().parse::<u64>().unwrap(), w.nth(1).unwrap().parse::<u64>().unwrap())
    };
    assert!(from < to && to == summary.steps, "{err} / {} steps", summary.steps);
}

/// A grid of more than 2^32 cells is refused before anything is allocated,
/// with the scene line of the size like every other scene error.
#[test]
fn a_grid_beyond_2_to_the_32_cells_names_its_scene_line() {
    let text = r#"
[simulation]
dimensions = "3d"
size_um = [100.0, 100.0, 100.0]
resolution = 20

[[sources]]
type = "dipole"
position_um = [0.0, 0.0, 0.0]
component = "Ez"
wavelength_um = 1.0
bandwidth_um = 0.3

[run]
until_fs = 10
"#;
    let err = lumen_fdtd::scene::parse(text, "huge.toml", &[], false)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("huge.toml:4") && err.contains("2^32") && err.contains("8000000000"),
        "{err}"
    );
}

/// A misspelt key gets the closest valid one suggested; MEEP's way of
/// writing a 2D cell ([x, y, 0]) is refused with how to write it here.
#[test]
fn newcomer_mistakes_get_a_way_out() {
    let scene = |size: &str, key: &str| {
        format!(
            r#"
[simulation]
dimensions = "2d"
size_um = {size}
resolution = 10

[[sources]]
type = "dipole"
position_um = [0.0, 0.0]
component = "Ez"
{key} = 1.0
bandwidth_um = 0.3

[run]
until_fs = 10
"#
        )
    };
    let err = lumen_fdtd::scene::parse(&scene("[6.0, 5.0]", "wavelenght_um"), "typo.toml", &[], false)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("typo.toml:11") && err.contains("did you mean `wavelength_um`?"),
        "{err}"
    );
    // Nothing close: no suggestion.
    let err = lumen_fdtd::scene::parse(&scene("[6.0, 5.0]", "colour"), "far.toml", &[], false)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("unknown key `colour`") && !err.contains("did you mean"), "{err}");
    let err = lumen_fdtd::scene::parse(&scene("[6.0, 5.0, 0.0]", "wavelength_um"), "meep.toml", &[], false)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("meep.toml:4") && err.contains("two sizes [x, y] for a 2D run"),
        "{err}"
    );
    lumen_fdtd::scene::parse(&scene("[6.0, 5.0]", "wavelength_um"), "ok.toml", &[], false).expect("the corrected scene parses");
}
