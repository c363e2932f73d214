//! Checks of meaning (issue 11, "Trust"): well-formed set-ups whose results
//! would be meaningless are refused, dubious ones warned about, each with the
//! file, the line and the key. One test per case of the issue.
//!
//! The scenes are 2D, 6 x 6 um at 10 cells/um with a 1 um PML: the interior
//! is x, y in [-2, 2] and the warning margin (3 cells) ends at |x| = 1.7.

use std::path::{Path, PathBuf};
use std::process::Command;

use lumen_fdtd::scene::{self, Scene, SceneError};

const BASE: &str = r#"[simulation]
dimensions = "2d"
size_um = [6.0, 6.0]
resolution = 10

[boundaries]
default = { type = "pml", thickness_um = 1.0 }

[run]
until_fs = 5
"#;

const DIPOLE: &str = r#"
[[sources]]
type = "dipole"
position_um = [0.0, 0.0]
component = "Ez"
wavelength_um = 1.0
bandwidth_um = 0.2
"#;

fn parse(text: &str) -> Result<Scene, SceneError> {
    scene::parse(text, "trust.toml", &[], false)
}

fn error(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// 1-based line of the `nth` (0-based) line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("no `{needle}` #{nth} in\n{text}"))
}

/// The error names trust.toml at `line` and `key`.
fn assert_at(msg: &str, line: usize, key: &str) {
    assert!(
        msg.contains(&format!("trust.toml:{line}: {key}: ")),
        "expected trust.toml:{line}: {key}: in\n{msg}"
    );
}

fn warnings(text: &str) -> Vec<String> {
    parse(text)
        .unwrap_or_else(|e| panic!("{e}"))
        .warnings
        .iter()
        .map(|w| w.to_string())
        .collect()
}

fn flux(center: &str, size: &str, wavelengths: &str) -> String {
    format!("\n[[monitors]]\nname = \"m\"\ntype = \"flux\"\ncenter_um = {center}\nsize_um = {size}\nwavelengths_um = {wavelengths}\n")
}

fn far_field(center: &str, size: &str) -> String {
    format!(
        "\n[[monitors]]\nname = \"far\"\ntype = \"far_field\"\ncenter_um = {center}\nsize_um = {size}\nna = 0.5\nwavelengths_um = [1.0]\n"
    )
}

#[test]
fn sound_scene_has_no_warning() {
    let text = format!("{BASE}{DIPOLE}{}", flux("[0.0, 0.0]", "[2.0, 2.0]", "[0.95, 1.0, 1.05]"));
    assert!(warnings(&text).is_empty(), "{:?}", warnings(&text));
}

// ---- far field -------------------------------------------------------------

#[test]
fn far_field_box_must_enclose_the_dipole() {
    let text = format!("{BASE}{DIPOLE}{}", far_field("[1.0, 0.0]", "[1.0, 1.0]"));
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "center_um = [1.0, 0.0]", 0), "monitors.0.center_um");
    assert!(msg.contains("encloses every source") && msg.contains("sources.0"), "{msg}");
}

#[test]
fn far_field_exterior_must_be_homogeneous() {
    // Glass fills y < -1 (through the bottom PML); the box, y in [-0.5, 1.5],
    // stays in air: its faces are homogeneous, its exterior is not.
    let glass = "\n[materials.glass]\nindex = 1.5\n\n[[geometry]]\ntype = \"box\"\ncenter_um = [0.0, -2.5]\nsize_um = [inf, 3.0]\nmaterial = \"glass\"\n";
    let text = format!("{BASE}{glass}{DIPOLE}{}", far_field("[0.0, 0.5]", "[2.0, 2.0]"));
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "[[monitors]]", 0), "monitors.0");
    assert!(
        msg.contains("homogeneous") && msg.contains("outside the box") && msg.contains("1.5"),
        "{msg}"
    );
}

#[test]
fn far_field_box_crossing_media_names_its_line() {
    // The box (y in [-1.5, 0.5]) crosses the glass surface at y = -1.
    let glass = "\n[materials.glass]\nindex = 1.5\n\n[[geometry]]\ntype = \"box\"\ncenter_um = [0.0, -2.5]\nsize_um = [inf, 3.0]\nmaterial = \"glass\"\n";
    let text = format!("{BASE}{glass}{DIPOLE}{}", far_field("[0.0, -0.5]", "[2.0, 2.0]"));
    let msg = error(&text);
    let line = line_of(&text, "[[monitors]]", 0);
    assert!(msg.starts_with(&format!("trust.toml:{line}: ")), "{msg}");
    assert!(msg.contains("monitors.far") && msg.contains("homogeneous"), "{msg}");
}

fn far_field_plane(center: &str, direction: &str) -> String {
    format!(
        "\n[[monitors]]\nname = \"far\"\ntype = \"far_field\"\ncenter_um = {center}\nsize_um = [4.0, 0.0]\ndirection = \"{direction}\"\nna = 0.5\nwavelengths_um = [1.0]\n"
    )
}

const GLASS_BELOW: &str = "\n[materials.glass]\nindex = 1.5\n\n[[geometry]]\ntype = \"box\"\ncenter_um = [0.0, -2.5]\nsize_um = [inf, 3.0]\nmaterial = \"glass\"\n";

#[test]
fn far_field_open_planes_over_and_in_glass_are_accepted() {
    // Glass fills y < -1; the dipole sits at y = 0 in the air.
    let text = format!(
        "{BASE}{GLASS_BELOW}{DIPOLE}{}{}",
        far_field_plane("[0.0, 0.5]", "+"),
        far_field_plane("[0.0, -1.5]", "-").replace("\"far\"", "\"down\"")
    );
    let scene = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scene.simulation.monitors.len(), 2);
}

#[test]
fn far_field_plane_needs_a_homogeneous_half_space() {
    // Projecting down from y = 0.5 crosses the glass surface at y = -1.
    let text = format!(
        "{BASE}{GLASS_BELOW}{}{}",
        DIPOLE.replace("[0.0, 0.0]", "[0.0, 1.0]"),
        far_field_plane("[0.0, 0.5]", "-")
    );
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "[[monitors]]", 0), "monitors.0");
    assert!(msg.contains("half-space") && msg.contains("1.5"), "{msg}");
}

#[test]
fn far_field_plane_sources_behind_it() {
    // The dipole (y = 0) lies on the side the plane at y = -0.5 projects into.
    let text = format!("{BASE}{DIPOLE}{}", far_field_plane("[0.0, -0.5]", "+"));
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "center_um = [0.0, -0.5]", 0), "monitors.0.center_um");
    assert!(msg.contains("behind it") && msg.contains("sources.0"), "{msg}");
}

#[test]
fn far_field_plane_without_direction_names_the_key() {
    let text = format!("{BASE}{DIPOLE}{}", far_field("[0.0, 0.5]", "[4.0, 0.0]"));
    let msg = error(&text);
    assert!(msg.contains("direction") && msg.contains("trust.toml:"), "{msg}");
}

// ---- PML -------------------------------------------------------------------

#[test]
fn flux_plane_inside_the_pml() {
    let text = format!("{BASE}{DIPOLE}{}", flux("[2.5, 0.0]", "[0.0, 2.0]", "[1.0]"));
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "center_um = [2.5, 0.0]", 0), "monitors.0.center_um");
    assert!(msg.contains("xmax PML"), "{msg}");
}

#[test]
fn closed_flux_box_reaching_into_the_pml() {
    let text = format!("{BASE}{DIPOLE}{}", flux("[0.0, 0.0]", "[4.6, 2.0]", "[1.0]"));
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "center_um = [0.0, 0.0]", 0), "monitors.0.center_um");
}

#[test]
fn dipole_inside_the_pml() {
    let text = format!("{BASE}{}", DIPOLE.replace("[0.0, 0.0]", "[0.0, -2.6]"));
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "position_um", 0), "sources.0.position_um");
    assert!(msg.contains("ymin PML"), "{msg}");
}

#[test]
fn probe_inside_the_pml() {
    let probe = "\n[[monitors]]\nname = \"p\"\ntype = \"probe\"\nposition_um = [-2.9, 0.0]\ncomponents = [\"Ez\"]\n";
    let text = format!("{BASE}{DIPOLE}{probe}");
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "position_um = [-2.9", 0), "monitors.0.position_um");
}

#[test]
fn monitor_near_the_pml_is_warned_about() {
    // x = 1.85 is 1.5 cells from the PML at x = 2 (margin: 3 cells).
    let text = format!("{BASE}{DIPOLE}{}", flux("[1.85, 0.0]", "[0.0, 2.0]", "[1.0]"));
    let w = warnings(&text);
    let line = line_of(&text, "center_um = [1.85", 0);
    assert!(
        w.iter()
            .any(|w| w.starts_with(&format!("trust.toml:{line}: monitors.0.center_um: ")) && w.contains("1.5 cells")),
        "{w:?}"
    );
}

#[test]
fn flux_plane_across_a_transverse_pml_is_warned_about() {
    let text = format!("{BASE}{DIPOLE}{}", flux("[1.0, 0.0]", "[0.0, inf]", "[1.0]"));
    let w = warnings(&text);
    let line = line_of(&text, "center_um = [1.0, 0.0]", 0);
    assert!(
        w.iter()
            .any(|w| w.starts_with(&format!("trust.toml:{line}: monitors.0.center_um: ")) && w.contains("reaches into")),
        "{w:?}"
    );
}

// ---- spectra ---------------------------------------------------------------

#[test]
fn source_wavelength_in_nanometres() {
    let src = DIPOLE
        .replace("wavelength_um = 1.0", "wavelength_um = 500")
        .replace("bandwidth_um = 0.2", "bandwidth_um = 100");
    let text = format!("{BASE}{src}{}", flux("[0.0, 0.0]", "[2.0, 2.0]", "[0.5]"));
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "wavelengths_um", 0), "monitors.0.wavelengths_um");
    assert!(msg.contains("sources.0") && msg.contains("did you mean 0.5 um"), "{msg}");
}

#[test]
fn monitor_range_in_nanometres() {
    let mon =
        "\n[[monitors]]\nname = \"m\"\ntype = \"flux\"\ncenter_um = [0.0, 0.0]\nsize_um = [2.0, 2.0]\nwavelength_range_um = [450, 550]\n";
    let src = DIPOLE
        .replace("wavelength_um = 1.0", "wavelength_um = 0.5")
        .replace("bandwidth_um = 0.2", "bandwidth_um = 0.1");
    let text = format!("{BASE}{src}{mon}");
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "wavelength_range_um", 0), "monitors.0.wavelength_range_um");
    assert!(msg.contains("did you mean 0.45-0.55 um"), "{msg}");
}

#[test]
fn monitor_where_the_pulse_carries_no_power() {
    // Pulse at 1 um, half power over 0.9-1.1 um; at 0.6 um its power
    // spectrum is exp(-4 ln2 (0.667/0.202)^2) ~ 1e-13 of the peak, below 1e-6.
    let text = format!("{BASE}{DIPOLE}{}", flux("[0.0, 0.0]", "[2.0, 2.0]", "[0.6, 1.0]"));
    let msg = error(&text);
    assert_at(&msg, line_of(&text, "wavelengths_um", 0), "monitors.0.wavelengths_um");
    assert!(msg.contains("0.6 um") && msg.contains("of its peak"), "{msg}");
}

#[test]
fn monitor_an_order_of_magnitude_from_a_cw_source() {
    // A continuous wave has no spectral floor to test; 12 um against 1 um is
    // beyond the factor of 10.
    let src = DIPOLE.replace("bandwidth_um = 0.2", "profile = \"cw\"");
    let text = format!("{BASE}{src}{}", flux("[0.0, 0.0]", "[2.0, 2.0]", "[12.0]"));
    let w = warnings(&text);
    let line = line_of(&text, "wavelengths_um", 0);
    assert!(
        w.iter()
            .any(|w| w.starts_with(&format!("trust.toml:{line}: monitors.0.wavelengths_um: ")) && w.contains("12x away")),
        "{w:?}"
    );
}

// ---- normalisation -----------------------------------------------------------

#[test]
fn dipole_normalised_by_a_reference_run() {
    let text = format!("{BASE}{DIPOLE}{}", flux("[0.0, 0.0]", "[2.0, 2.0]", "[1.0]"));
    let s = parse(&text).unwrap();
    assert!(s.warnings.is_empty());
    let w: Vec<String> = s.reference_warnings().iter().map(|w| w.to_string()).collect();
    let line = line_of(&text, "type = \"dipole\"", 0);
    assert!(
        w.iter()
            .any(|w| w.starts_with(&format!("trust.toml:{line}: sources.0.type: ")) && w.contains("not a transmission")),
        "{w:?}"
    );
}

// ---- the command line: printing, --strict, --json, the result file -----------

fn lumen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lumen"))
}

fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lumen-trust-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A scene with one warning (a flux plane 1.5 cells from the PML), written to `dir`.
fn warned_scene(dir: &Path) -> (PathBuf, usize) {
    let text = format!("{BASE}{DIPOLE}{}", flux("[1.85, 0.0]", "[0.0, 2.0]", "[1.0]"));
    let path = dir.join("warned.toml");
    std::fs::write(&path, &text).unwrap();
    (path, line_of(&text, "center_um = [1.85", 0))
}

#[test]
fn check_prints_warnings_and_strict_refuses() {
    let dir = workdir("check");
    let (path, line) = warned_scene(&dir);
    let expect = format!("warning: {}:{line}: monitors.0.center_um: ", path.display());
    let o = lumen().arg("check").arg(&path).args(["--backend", "cpu"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains(&expect), "{err}");

    let o = lumen()
        .arg("check")
        .arg(&path)
        .args(["--backend", "cpu", "--strict"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&expect) && err.contains("--strict"), "{err}");

    let o = lumen()
        .arg("check")
        .arg(&path)
        .args(["--backend", "cpu", "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let w = &j["warnings"][0];
    assert_eq!(w["key"], "monitors.0.center_um", "{j}");
    assert_eq!(w["line"], line, "{j}");
}

#[test]
fn run_strict_refuses_before_running() {
    let dir = workdir("run-strict");
    let (path, _) = warned_scene(&dir);
    let out = dir.join("out.h5");
    let o = lumen()
        .arg("run")
        .arg(&path)
        .arg("-o")
        .arg(&out)
        .args(["--backend", "cpu", "--quiet", "--strict"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.exists());
}

#[test]
fn sweep_strict_refuses_a_warned_base_scene() {
    let dir = workdir("sweep-strict");
    let (path, _) = warned_scene(&dir);
    let o = lumen()
        .arg("sweep")
        .arg("--base")
        .arg(&path)
        .args([
            "--vary",
            "sources.0.wavelength_um=1.0,1.02",
            "--backend",
            "cpu",
            "--quiet",
            "--strict",
            "-o",
        ])
        .arg(dir.join("sweep"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("warning: ") && err.contains("monitors.0.center_um"), "{err}");
}

#[test]
fn run_with_reference_warns_and_stores_warnings() {
    // An empty-domain reference run of a dipole, then the dipole normalised
    // by it: warned about, on stderr and in the result file.
    let dir = workdir("reference");
    let (path, line) = warned_scene(&dir);
    let reference = dir.join("ref.h5");
    let o = lumen()
        .arg("run")
        .arg(&path)
        .arg("--empty")
        .arg("-o")
        .arg(&reference)
        .args(["--backend", "cpu", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.join("out.h5");
    let o = lumen()
        .arg("run")
        .arg(&path)
        .arg("-o")
        .arg(&out)
        .arg("--reference")
        .arg(&reference)
        .args(["--backend", "cpu", "--quiet", "--json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let src = format!(
        "{}:{}: sources.0.type: ",
        path.display(),
        line_of(&std::fs::read_to_string(&path).unwrap(), "type = \"dipole\"", 0)
    );
    assert!(
        err.contains(&format!("warning: {src}")) && err.contains("not a transmission"),
        "{err}"
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["warnings"].as_array().map(Vec::len), Some(2), "{j}");

    let f = hdf5::File::open(&out).unwrap();
    let stored: hdf5::types::VarLenUnicode = f.attr("warnings").unwrap().read_scalar().unwrap();
    let stored = stored.as_str().to_string();
    assert_eq!(stored.lines().count(), 2, "{stored}");
    assert!(
        stored.contains(&format!("{}:{line}: monitors.0.center_um: ", path.display())),
        "{stored}"
    );
    assert!(stored.contains(&src), "{stored}");
}

// ---- resolution ------------------------------------------------------------

/// A dielectric sampled with fewer than 8 cells per wavelength in it is
/// warned about at its `[[geometry]]` entry, with the resolution that would
/// do: n = 3.5 at 1 um and 10 cells/um is 2.9 cells per wavelength (beyond
/// the Yee grid's cutoff at Courant 0.5); 20 cells/um, 5.7 (the axial
/// wavenumber 5.8% off); at 30 cells/um, 8.6: no warning. Metals are
/// not (Re eps < 0: no wavelength inside).
#[test]
fn coarse_cells_per_wavelength_are_warned_about() {
    let block = |material: &str| {
        format!("\n[[geometry]]\ntype = \"box\"\ncenter_um = [0.0, -1.0]\nsize_um = [inf, 1.0]\nmaterial = \"{material}\"\n")
    };
    let si = "\n[materials.si]\nindex = 3.5\n";
    let text = format!("{BASE}{si}{}{DIPOLE}{}", block("si"), flux("[0.0, 1.0]", "[2.0, 0.0]", "[1.0]"));
    let w = warnings(&text);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains(&format!(
            "trust.toml:{}: geometry.0.material: ",
            line_of(&text, "material = \"si\"", 0)
        )),
        "{w:?}"
    );
    // 7 sin(pi / 20) > 1 (CASES.md case 3 with n dt): beyond the grid's cutoff.
    assert!(
        w[0].contains("2.9 cells per wavelength")
            && w[0].contains("beyond the grid's cutoff")
            && w[0].contains("simulation.resolution >= 28"),
        "{w:?}"
    );
    // 20 cells/um, 5.7 cells per wavelength: asin(7 sin(pi / 40)) / (3.5 pi / 20) = 1.0576.
    let w = warnings(&text.replace("resolution = 10", "resolution = 20"));
    assert!(
        w.len() == 1 && w[0].contains("5.7 cells per wavelength") && w[0].contains("5.8% off"),
        "{w:?}"
    );
    let finer = text.replace("resolution = 10", "resolution = 30");
    assert!(warnings(&finer).is_empty(), "{:?}", warnings(&finer));
    let metal = "\n[materials.ag]\neps = 1.0\npoles = [{ type = \"drude\", frequency = 2.0, gamma = 0.01, sigma = 1.0 }]\n";
    let text = format!("{BASE}{metal}{}{DIPOLE}{}", block("ag"), flux("[0.0, 1.0]", "[2.0, 0.0]", "[1.0]"));
    assert!(warnings(&text).is_empty(), "{:?}", warnings(&text));
}

// ---- mode port windows -------------------------------------------------------

/// A port line that cuts a guided mode's tail is warned about at its
/// `size_um`, naming the mode and how much of its power lies beyond the
/// line (src/modes/mod.rs, `EDGE_POWER_LIMIT`, 0.5%). A slab of n = 2.0,
/// 0.55 um thick (its faces on sample cell faces at 20 cells/um: the port's
/// staircase is the slab itself), in vacuum at 1.05 um guides TE0 (n_eff
/// 1.873) and TE1 (1.466). A line's Ez samples sit on the nodes from its
/// low end (y = -w/2 .. w/2 - dx), so their cells end at -w/2 - dx/2 and
/// w/2 - dx/2. Lines of 1.0 and 1.1 um leave 1.3% and 0.7% of TE1's power
/// outside those: warned, with the figure checked against the exact
/// profile integrated outside them; 1.2 um leaves 0.36% and 2 um nothing
/// that matters: no warning.
#[test]
fn port_window_cutting_a_mode_tail_is_warned_about() {
    use lumen_fdtd::modes::slab::{SlabPolarization, SlabProfile};
    let scene = |width: f64| {
        format!(
            "{}\n[materials.core]\nindex = 2.0\n\n[[geometry]]\ntype = \"box\"\ncenter_um = [0.0, 0.0]\nsize_um = [inf, 0.55]\nmaterial = \"core\"\n{DIPOLE}\n[[monitors]]\nname = \"guide\"\ntype = \"mode\"\ncenter_um = [1.0, 0.0]\nsize_um = [0.0, {width}]\nmodes = 4\nwavelengths_um = [1.0, 1.05]\n",
            BASE.replace("resolution = 10", "resolution = 20")
        )
    };
    // The exact TE1 profile's power outside |y| = half (TE: e h = n_eff F^2).
    let slab = SlabProfile::symmetric(2.0, 1.0, 0.55);
    let te1 = slab.modes(1.05, SlabPolarization::Te).unwrap().remove(1);
    let outside = |half: f64| {
        let (lo, hi) = (-half - 0.025, half - 0.025);
        let t: Vec<f64> = (0..40_000).map(|i| -10.0 + (i as f64 + 0.5) * 5e-4).collect();
        let f = slab.profile(&te1, 1.05, &t);
        let all: f64 = f.iter().map(|x| x * x).sum();
        let out: f64 = t.iter().zip(&f).filter(|(y, _)| **y < lo || **y > hi).map(|(_, x)| x * x).sum();
        out / all
    };
    let port_warnings = |text: &str| -> Vec<String> { warnings(text).into_iter().filter(|w| w.contains("mode port")).collect() };
    for (width, half, printed) in [(1.1, 0.55, "0.7%"), (1.0, 0.5, "1.3%")] {
        let text = scene(width);
        let w = port_warnings(&text);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_at(&w[0], line_of(&text, "size_um = [0.0,", 0), "monitors.0.size_um");
        assert!(
            w[0].contains("mode port `guide`: 1 of its 2 guided modes at 1.0500 um (mode 2, n_eff 1.4662)"),
            "{w:?}"
        );
        assert!(
            w[0].contains(&format!("have up to {printed} of their power beyond the line's ends")),
            "{w:?}"
        );
        let exact = 100.0 * outside(half);
        assert!(format!("{exact:.1}%") == printed, "exact {exact:.3}% vs printed {printed}");
    }
    assert!((100.0 * outside(0.6) - 0.36).abs() < 0.01);
    for width in [1.2, 2.0] {
        assert!(port_warnings(&scene(width)).is_empty(), "{:?}", port_warnings(&scene(width)));
    }
}

/// The same check on a 3D port (the full-vector solver's modes): the fibre
/// of tests/fiber_modes.rs (n 1.50 / 1.45, radius 1.2 um, 450 nm, 20
/// cells/um) in a 3.4 um window, whose 8 modes nearest cut-off reach the
/// window's edge (1.1-1.3% of their power within a quarter wavelength of
/// it; modes 17-24 of 24, calibrated there against an 8 um window).
#[test]
fn port_window_in_3d_names_the_modes_at_its_edge() {
    let text = r#"[simulation]
dimensions = "3d"
size_um = [5.4, 5.4, 2.0]
resolution = 20
background = "clad"

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[materials.clad]
index = 1.45

[materials.core]
index = 1.50

[[geometry]]
type = "cylinder"
center_um = [0.0, 0.0, 0.0]
axis = "z"
radius_um = 1.2
height_um = inf
material = "core"

[[sources]]
type = "dipole"
position_um = [0.0, 0.0, -0.3]
component = "Ex"
wavelength_um = 0.45
bandwidth_um = 0.05

[[monitors]]
name = "fiber"
type = "mode"
center_um = [0.0, 0.0, 0.3]
size_um = [3.4, 3.4, 0.0]
modes = 30
wavelengths_um = [0.45]

[run]
until_fs = 5
"#;
    let w: Vec<String> = warnings(text).into_iter().filter(|w| w.contains("mode port")).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_at(&w[0], line_of(text, "size_um = [3.4, 3.4, 0.0]", 0), "monitors.0.size_um");
    assert!(
        w[0].contains("mode port `fiber`: 8 of its 24 guided modes at 0.4500 um (modes 17-24, n_eff 1.45")
            && w[0].contains("carry up to 1.3% of their power within a quarter wavelength of the window's edge"),
        "{w:?}"
    );
}
