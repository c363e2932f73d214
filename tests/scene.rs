//! Scene files: every example parses, `--set` overrides apply, and every kind
//! of mistake is reported with the file, the line, the key, what was expected
//! and what was found. No GPU needed.

use std::path::Path;

use lumen_fdtd::scene::{self, FluxNormalization, SceneError, StopCondition};
use lumen_fdtd::{units, Boundary, Component, Dimensions, MonitorKind, Polarization, Shape, SourceShape, TimeProfile};

/// A small valid scene; tests break one line of it (numbers are 1-based).
const BASE: &str = r#"[simulation]
size_um = [4.0, 3.0]
resolution = 10

[materials.glass]
index = 1.5

[[geometry]]
type = "box"
center_um = [0.0, -1.0]
size_um = [4.0, 1.0]
material = "glass"

[[sources]]
type = "dipole"
position_um = [0.0, 0.5]
wavelength_um = 0.8
bandwidth_um = 0.2

[[monitors]]
name = "up"
type = "flux"
center_um = [0.0, 0.3]
size_um = [2.0, 0.0]
wavelengths_um = [0.8]

[run]
until_fs = 10
"#;

/// BASE with line `n` replaced by `new`.
fn with_line(n: usize, new: &str) -> String {
    let mut lines: Vec<&str> = BASE.lines().collect();
    lines[n - 1] = new;
    lines.join("\n") + "\n"
}

fn parse(text: &str, sets: &[&str]) -> Result<scene::Scene, SceneError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scene::parse(text, "scene.toml", &sets, false)
}

fn error(text: &str, sets: &[&str]) -> String {
    match parse(text, sets) {
        Ok(_) => panic!("expected an error for\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn examples() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        // Sweep files (examples/sweep_*.toml) are tested in tests/sweep.rs.
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("sweep_")))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_parses() {
    let files = examples();
    assert!(files.len() >= 4, "{files:?}");
    for f in files {
        let s = scene::load(&f, &[], false).unwrap_or_else(|e| panic!("{e}"));
        // A mode source needs its waveguide: such a scene has no empty
        // reference run (`--empty` is refused: the port guides no mode).
        let text: toml::Table = std::fs::read_to_string(&f).unwrap().parse().unwrap();
        let mode_source = text
            .get("sources")
            .and_then(|v| v.as_array())
            .is_some_and(|a| a.iter().any(|src| src.get("type").and_then(|t| t.as_str()) == Some("mode")));
        if !mode_source {
            let reference = scene::load(&f, &[], true).unwrap_or_else(|e| panic!("{e}"));
            assert!(reference.simulation.structure.objects.is_empty());
        }
        assert_eq!(s.text, std::fs::read_to_string(&f).unwrap(), "no overrides: text verbatim");
        assert_eq!(
            s.output.as_ref().and_then(|o| o.parent()),
            f.parent(),
            "output beside the scene file"
        );
    }
}

#[test]
fn fabry_perot_example_is_what_it_says() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fabry_perot_2d.toml");
    let s = scene::load(&f, &[], false).unwrap();
    let sim = &s.simulation;
    assert_eq!(sim.grid.dims, Dimensions::Two(Polarization::Tm));
    assert_eq!(sim.grid.shape(), [800, 10, 1]);
    assert_eq!(s.origin_offset_um, [4.0, 0.05, 0.0]);
    assert!(sim.boundaries.periodic(1));
    assert!(matches!(sim.boundaries.faces[0][0], Boundary::Pml(p) if p.cells == 100));
    // The slab: 0.5 um thick at the centre, infinite along the periodic y
    // (not clipped to the domain, so smoothing sees no edge there).
    let b = &sim.structure.objects[0];
    let Shape::Box { min_um, max_um } = &b.shape else {
        panic!("{:?}", b.shape)
    };
    assert_eq!((min_um[0], max_um[0]), (3.75, 4.25));
    assert_eq!((min_um[1], max_um[1]), (f64::NEG_INFINITY, f64::INFINITY));
    assert!((b.medium.eps - 12.25).abs() < 1e-12);
    // The source: a line at x = -2.5 um (grid 1.5) across y, 0.5-1.0 um at half power.
    let src = &sim.sources[0];
    assert_eq!(
        src.shape,
        SourceShape::Region {
            min_um: [1.5, 0.0, 0.0],
            max_um: [1.5, 0.1, 0.0]
        }
    );
    assert_eq!(src.direction, [0.0, 0.0, 1.0]);
    assert_eq!(src.profile, TimeProfile::gaussian_band(0.5, 1.0));
    let names: Vec<&str> = sim.monitors.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["refl", "trans"]);
    let MonitorKind::Flux {
        wavelengths_um, reverse, ..
    } = &sim.monitors[0].kind
    else {
        panic!()
    };
    assert!(*reverse);
    assert_eq!(wavelengths_um.len(), 101);
    assert!((wavelengths_um[0] - 0.5).abs() < 1e-12 && (wavelengths_um[100] - 1.0).abs() < 1e-12);
    // Evenly spaced in frequency.
    let df: Vec<f64> = wavelengths_um.windows(2).map(|w| 1.0 / w[0] - 1.0 / w[1]).collect();
    assert!(df.iter().all(|d| (d - df[0]).abs() < 1e-9), "{df:?}");
    assert_eq!(
        s.flux_normalization["refl"],
        FluxNormalization {
            incident_monitor: "trans".into(),
            subtract_incident: true
        }
    );
    assert_eq!(
        s.flux_normalization["trans"],
        FluxNormalization {
            incident_monitor: "trans".into(),
            subtract_incident: false
        }
    );
    let StopCondition::Decay {
        component,
        position_um,
        decay_by,
        max_time,
        ..
    } = s.stop
    else {
        panic!("{:?}", s.stop)
    };
    assert_eq!((component, decay_by), (Component::Ez, 1e-6));
    assert_eq!(position_um, [2.0, 0.05, 0.0], "default: the first flux monitor's centre");
    assert!((max_time - units::fs_to_time(1000.0)).abs() < 1e-9);
    assert_eq!(s.output, Some(f.with_file_name("fabry_perot_2d.h5")));
}

#[test]
fn base_scene_converts() {
    let s = parse(BASE, &[]).unwrap();
    let sim = &s.simulation;
    assert_eq!(sim.grid.shape(), [40, 30, 1]);
    assert_eq!(s.origin_offset_um, [2.0, 1.5, 0.0]);
    // Default boundaries: 1 um PML everywhere.
    assert!(sim.boundaries.faces[..2]
        .iter()
        .flatten()
        .all(|b| matches!(b, Boundary::Pml(p) if p.cells == 10)));
    assert_eq!(
        sim.sources[0].shape,
        SourceShape::Point {
            position_um: [2.0, 2.0, 0.0]
        }
    );
    assert_eq!(
        s.stop,
        StopCondition::Time {
            time: units::fs_to_time(10.0)
        }
    );
    assert_eq!(s.output, Some("scene.h5".into()));
    let s = scene::parse(BASE, "runs/scan.v2.toml", &[], false).unwrap();
    assert_eq!(s.output, Some("runs/scan.v2.h5".into()));
    assert!(s.probe_names.is_empty());
}

#[test]
fn overrides_change_values() {
    let s = parse(
        BASE,
        &[
            "sources.0.wavelength_um=0.45",
            "geometry.0.material=vacuum",
            "simulation.resolution=20",
            "materials.glass.index = 2",
        ],
    )
    .unwrap();
    assert_eq!(s.simulation.grid.shape(), [80, 60, 1]);
    assert_eq!(s.simulation.sources[0].profile, TimeProfile::gaussian_band(0.35, 0.55));
    assert_eq!(s.simulation.structure.objects[0].medium.eps, 1.0);
    // Values are replaced in place: every line keeps its number.
    assert_eq!(s.text.lines().count(), BASE.lines().count());
    assert_eq!(s.text.lines().nth(16), Some("wavelength_um = 0.45"));
    assert_eq!(s.text.lines().nth(5), Some("index = 2"));

    // Keys the file leaves out are created: an optional key, a whole table, an array entry.
    let s = parse(
        BASE,
        &[
            "simulation.courant=0.4",
            "boundaries.y=periodic",
            "monitors.1.type=probe",
            "monitors.1.name=p",
            "monitors.1.position_um=[0, 0]",
            "monitors.1.components=[\"Ez\", \"Hx\"]",
        ],
    )
    .unwrap();
    assert!((s.simulation.grid.courant() - 0.4).abs() < 1e-12);
    assert!(s.simulation.boundaries.periodic(1));
    assert_eq!(s.probe_names, ["p.Ez", "p.Hx"]);
    assert_eq!(s.simulation.probes[0].position_um, [2.0, 1.5, 0.0]);
    assert!(
        s.text.contains("courant = 0.4") && s.text.contains("[boundaries]\ny = \"periodic\""),
        "{}",
        s.text
    );

    // A string that is not a TOML value is taken as a string; an inline array element by index.
    let s = parse(
        &with_line(25, "wavelengths_um = [0.7, 0.8]"),
        &["monitors.0.wavelengths_um.1=0.9", "run.output=out/r.h5"],
    )
    .unwrap();
    let MonitorKind::Flux { wavelengths_um, .. } = &s.simulation.monitors[0].kind else {
        panic!()
    };
    assert_eq!(wavelengths_um, &[0.7, 0.9]);
    assert_eq!(s.output, Some("out/r.h5".into()));
}

#[test]
fn empty_drops_geometry_only() {
    let s = scene::parse(BASE, "scene.toml", &[], true).unwrap();
    assert!(s.simulation.structure.objects.is_empty());
    assert_eq!(s.simulation.sources.len(), 1);
    assert_eq!(s.simulation.monitors.len(), 1);
}

#[test]
fn bad_toml() {
    assert_eq!(
        error(&with_line(3, "resolution = = 10"), &[]),
        "scene.toml:3: expected nothing, found extra `=` in `resolution = = 10`"
    );
    assert_eq!(
        error(&with_line(10, "center_um = [0.0, -1.0"), &[]),
        "scene.toml:10: expected `,`, found missing comma between array elements in `center_um = [0.0, -1.0`"
    );
    assert_eq!(
        error(&with_line(12, "material = glass"), &[]),
        "scene.toml:12: expected literal string, found string values must be quoted in `material = glass`"
    );
    assert_eq!(
        error(&with_line(12, "center_um = [0.0, -1.0]"), &[]),
        "scene.toml:12: expected valid TOML, found duplicate key in `center_um = [0.0, -1.0]`"
    );
}

#[test]
fn unknown_key() {
    assert_eq!(
        error(&with_line(3, "resolutoin = 10"), &[]),
        "scene.toml:3: simulation.resolutoin: expected one of `dimensions`, `polarization`, `size_um`, `resolution`, `courant`, `background`, `subpixel_smoothing`, `refine`, found unknown key `resolutoin`: did you mean `resolution`?"
    );
    let e = error(&with_line(18, "bandwidth = 0.2"), &[]);
    assert!(e.starts_with("scene.toml:18: sources.0.bandwidth: expected one of"), "{e}");
    // Inside a tagged entry, the keys of that type are listed.
    let e = error(&with_line(25, "every_fs = 1.0"), &[]);
    assert!(
        e.starts_with("scene.toml:25: monitors.0.every_fs: expected one of `type`, `name`, `center_um`"),
        "{e}"
    );
    assert!(e.contains("`wavelength_range_um`"), "{e}");
    let e = error(&with_line(27, "[runn]"), &[]);
    assert!(e.starts_with("scene.toml:27: runn: expected one of `simulation`"), "{e}");
}

#[test]
fn wrong_type() {
    assert_eq!(
        error(&with_line(17, "wavelength_um = \"blue\""), &[]),
        "scene.toml:17: sources.0.wavelength_um: expected a number, found string \"blue\""
    );
    assert_eq!(
        error(&with_line(16, "position_um = 0.5"), &[]),
        "scene.toml:16: sources.0.position_um: expected an array, found floating point `0.5`"
    );
    assert_eq!(
        error(&with_line(22, "type = \"fluxx\""), &[]),
        "scene.toml:22: monitors.0.type: expected one of `probe`, `dft`, `flux`, `source_power`, `snapshot`, `mode`, `far_field`, `acceptance`, found unknown value `fluxx`: did you mean `flux`?"
    );
    assert_eq!(
        error(&with_line(22, ""), &[]),
        "scene.toml:20: monitors.0.type: expected one of `probe`, `dft`, `flux`, `source_power`, `snapshot`, `mode`, `far_field`, `acceptance`, found no `type` key"
    );
    assert_eq!(
        error(&with_line(22, "type = 3"), &[]),
        "scene.toml:22: monitors.0.type: expected one of `probe`, `dft`, `flux`, `source_power`, `snapshot`, `mode`, `far_field`, `acceptance`, found an integer"
    );
    assert_eq!(
        error(&with_line(15, "type = \"dipole\"\ncomponent = 3"), &[]),
        "scene.toml:16: sources.0.component: expected a string, found `3`"
    );
    assert_eq!(
        error(&with_line(3, ""), &[]),
        "scene.toml:1: simulation.resolution: expected a value (this key is required), found nothing"
    );
}

#[test]
fn wrong_value_and_units() {
    assert_eq!(
        error(&with_line(17, "wavelength_um = -0.5"), &[]),
        "scene.toml:17: sources.0.wavelength_um: expected a positive number (um), found -0.5"
    );
    assert_eq!(
        error(&with_line(11, "size_um = [-1.0, 1.0]"), &[]),
        "scene.toml:11: geometry.0.size_um: expected 2 positive sizes (um; inf or a large number for no end), found [-1, 1]"
    );
    assert_eq!(
        error(&with_line(2, "size_um = [4.0, 3.0, 2.0, 1.0]"), &[]),
        "scene.toml:2: simulation.size_um: expected [x, y] (2D) or [x, y, z] (3D), in um, found [4, 3, 2, 1]"
    );
    assert_eq!(
        error(&with_line(16, "position_um = [0.0, 0.5, 0.0]"), &[]),
        "scene.toml:16: sources.0.position_um: expected 2 finite numbers [x, y] (um), found [0, 0.5, 0]"
    );
    assert_eq!(
        error(&with_line(16, "position_um = [0.0, 2.5]"), &[]),
        "scene.toml:16: sources.0.position_um: expected a point inside the domain x in [-2, 2], y in [-1.5, 1.5] um, found [0, 2.5]"
    );
    let e = error(&(BASE.to_string() + "courant = 0.8\n"), &["run.until_fs=1"]);
    assert!(e.contains("found unknown key `courant`"), "{e}");
    let e = error(&BASE.replace("resolution = 10", "resolution = 10\ncourant = 0.8"), &[]);
    assert_eq!(
        e,
        "scene.toml:4: simulation.courant: expected a Courant number in (0, 0.7071] for 2D (1/sqrt(2)), found 0.8"
    );
}

#[test]
fn unknown_material_lists_the_known_ones() {
    assert_eq!(
        error(&with_line(12, "material = \"glas\""), &[]),
        "scene.toml:12: geometry.0.material: expected one of the materials air, glass, vacuum, found `glas`"
    );
}

#[test]
fn geometry_outside_the_domain() {
    assert_eq!(
        error(&with_line(10, "center_um = [0.0, -3.0]"), &[]),
        "scene.toml:10: geometry.0.center_um: expected a box that overlaps the domain x in [-2, 2], y in [-1.5, 1.5] um, found a box entirely outside it (center_um = [0, -3], size_um = [4, 1])"
    );
}

#[test]
fn override_errors() {
    // An unknown key is refused where it lands in the resolved text, naming the --set.
    assert_eq!(
        error(BASE, &["simulation.resolutoin=30"]),
        "scene.toml:4: simulation.resolutoin: expected one of `dimensions`, `polarization`, `size_um`, `resolution`, `courant`, `background`, `subpixel_smoothing`, `refine`, found unknown key `resolutoin`: did you mean `resolution`? (from --set simulation.resolutoin=30)"
    );
    // A bad value set from the command line points at the line of the key it replaced.
    assert_eq!(
        error(BASE, &["sources.0.wavelength_um=-0.5"]),
        "scene.toml:17: sources.0.wavelength_um: expected a positive number (um), found -0.5 (from --set sources.0.wavelength_um=-0.5)"
    );
    assert_eq!(
        error(BASE, &["resolution"]),
        "scene.toml: --set: expected KEY.PATH=VALUE, e.g. sources.0.wavelength_um=0.45, found `resolution`"
    );
    assert_eq!(
        error(BASE, &["geometry.3.material=glass"]),
        "scene.toml: geometry: expected an index below 2 (`geometry` has 1 entry), found `3` (from --set geometry.3.material=glass)"
    );
    let e = error(BASE, &["simulation.resolution.x=1"]);
    assert!(
        e.contains("simulation.resolution: expected a table or an array to hold `x`, found integer value"),
        "{e}"
    );
}

#[test]
fn semantic_checks_name_their_key() {
    let cases: &[(usize, &str, &str)] = &[
        (
            6,
            "index = 1.5\neps = 2.25",
            "scene.toml:7: materials.glass.eps: expected either `index` or `eps`, not both",
        ),
        (
            18,
            "bandwidth_um = 2.0",
            "scene.toml:18: sources.0.bandwidth_um: expected a bandwidth below twice the wavelength (1.6 um), found 2",
        ),
        (
            18,
            "",
            "scene.toml:14: sources.0.bandwidth_um: expected the pulse's `bandwidth_um` (um) or `fwhm_frequency` (1/um), found nothing",
        ),
        (
            24,
            "size_um = [0.0, 0.0]",
            "scene.toml:24: monitors.0.size_um: expected one zero size (a plane) or none (a closed box)",
        ),
        (
            24,
            "size_um = [5.0, 1.0]",
            "scene.toml:24: monitors.0.size_um: expected a closed box inside the domain",
        ),
        (
            28,
            "until = \"decayed\"",
            "scene.toml:29: run.decay_by: expected a number between 0 and 1, found 2",
        ),
        (21, "name = \"\"", "scene.toml:21: monitors.0.name: expected a non-empty name"),
    ];
    for (line, new, want) in cases {
        let text = with_line(*line, new);
        let text = if want.contains("run.decay_by") {
            text.replace("until = \"decayed\"", "until = \"decayed\"\ndecay_by = 2")
        } else {
            text
        };
        let e = error(&text, &[]);
        assert!(e.starts_with(want), "want {want}\n got {e}");
    }
    let e = error(&with_line(15, "type = \"dipole\"\ncomponent = \"Hz\""), &[]);
    assert_eq!(
        e,
        "scene.toml:16: sources.0.component: expected an electric component this run evolves (Ez), found Hz"
    );
    let e = error(&BASE.replace("[run]", "[boundaries]\nxmin = \"periodic\"\n\n[run]"), &[]);
    assert_eq!(
        e,
        "scene.toml:28: boundaries.xmin: expected periodic on both xmin and xmax, or on neither, found periodic on xmin only"
    );
    let e = error(
        &BASE.replace("[run]", "[boundaries]\ny = { type = \"pml\", thickness_um = 1.5 }\n\n[run]"),
        &[],
    );
    assert_eq!(
        e,
        "scene.toml:28: boundaries.y: expected PML layers thinner in total than the domain along y (30 cells), found 15 + 15 cells"
    );
    let e = error(
        &BASE.replace("[run]", "[boundaries]\ny = { type = \"pec\", cells = 3 }\n\n[run]"),
        &[],
    );
    assert_eq!(
        e,
        "scene.toml:28: boundaries.y.cells: expected no `cells` (PML settings need type = \"pml\"), found a value"
    );
    let e = error(&BASE.replace("[run]", "[boundaries]\ny = \"absorbing\"\n\n[run]"), &[]);
    assert!(
        e.starts_with("scene.toml:28: boundaries.y: expected one of `pml`, `pec`, `periodic`, found unknown value `absorbing`"),
        "{e}"
    );
}

#[test]
fn errors_from_load_name_the_path() {
    let e = scene::load(Path::new("/nonexistent/scene.toml"), &[], false).unwrap_err();
    assert!(
        matches!(e, SceneError::Io { .. }) && e.to_string().starts_with("/nonexistent/scene.toml: "),
        "{e}"
    );
}

#[test]
fn engine_errors_name_the_entry() {
    let text = with_line(15, "type = \"plane\"").replace("position_um = [0.0, 0.5]", "center_um = [-1.76, 0.0]\nsize_um = [0.06, 1.0]");
    let e = parse(&text, &[]).unwrap_err();
    assert!(matches!(e, SceneError::Engine { line: Some(14), .. }), "{e}");
    // In the file's terms: the entry's index and keys, not the engine's.
    assert!(
        e.to_string()
            .starts_with("scene.toml:14: invalid parameter `sources.0.center_um/size_um`: contains no grid sample"),
        "{e}"
    );
}

#[test]
fn created_tables_go_to_the_end() {
    let s = parse(BASE, &["boundaries.x.type=pml", "boundaries.x.cells=5", "simulation.size_um.0=5"]).unwrap();
    assert!(s.text.starts_with(&BASE.replace("[4.0, 3.0]", "[5, 3.0]")), "{}", s.text);
    assert!(s.text.ends_with("[boundaries.x]\ntype = \"pml\"\ncells = 5\n"), "{}", s.text);
    assert!(matches!(s.simulation.boundaries.faces[0][1], Boundary::Pml(p) if p.cells == 5));
    assert_eq!(s.simulation.grid.nx, 50);
}
