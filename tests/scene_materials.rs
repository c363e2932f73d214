//! Scene files: built-in library materials, user poles and their errors.

use lumen_fdtd::material::Pole;
use lumen_fdtd::scene;

const BASE: &str = r#"
[simulation]
size_um = [4.0, 4.0]
resolution = 40

MATERIALS

[[geometry]]
type = "box"
center_um = [0.0, 0.0]
size_um = [1.0, 1.0]
material = "m"

[run]
until_fs = 10
"#;

fn parse(materials: &str) -> Result<scene::Scene, scene::SceneError> {
    scene::parse(&BASE.replace("MATERIALS", materials), "m.toml", &[], false)
}

fn medium(s: &scene::Scene) -> lumen_fdtd::Medium {
    s.simulation.structure.media()[1].clone()
}

#[test]
fn library_materials_dispersive_and_at_one_wavelength() {
    // Rakic's silver has ultraviolet poles: at 40 cells/um the leapfrog would
    // be unstable and the scene is refused, with the resolution that works.
    let err = parse("[materials.m]\nlibrary = \"Ag\"\n").expect_err("refused").to_string();
    assert!(err.contains("at least 51 cells/um") && err.contains("m.toml:6:"), "{err}");
    // In the file's terms: the material and the geometry entry using it, not
    // the engine's object list.
    assert!(err.contains("materials.m.poles (geometry.0)") && !err.contains("objects["), "{err}");
    let text = BASE.replace("MATERIALS", "[materials.m]\nlibrary = \"Ag\"\n");
    let s = scene::parse(&text, "m.toml", &["simulation.resolution=60".to_string()], false).unwrap();
    let m = medium(&s);
    assert_eq!(m.poles.len(), 6, "Rakic Ag: one Drude and five Lorentz terms");
    assert!(!s.simulation.prepare().unwrap().dispersion.samples.is_empty());
    let s = parse("[materials.m]\nlibrary = \"fused_silica\"\nat_wavelength_um = 0.45\n").unwrap();
    let m = medium(&s);
    assert!(m.poles.is_empty() && (m.eps.sqrt() - 1.4656).abs() < 1e-3, "{m:?}");
}

#[test]
fn user_poles() {
    let s = parse("[materials.m]\neps = 2.0\npoles = [{ type = \"drude\", frequency = 2.0, gamma = 0.1, sigma = 1.0 }, { type = \"debye\", delta_eps = 0.5, tau_fs = 3.33564 }]\n").unwrap();
    let m = medium(&s);
    assert_eq!(m.eps, 2.0);
    assert_eq!(
        m.poles[0],
        Pole::Drude {
            frequency: 2.0,
            gamma: 0.1,
            sigma: 1.0
        }
    );
    let Pole::Debye { tau, .. } = m.poles[1] else { panic!("{m:?}") };
    assert!((tau - 1.0).abs() < 1e-5, "tau_fs 3.33564 fs is 1 um/c: {tau}");
}

#[test]
fn material_errors_name_the_line_and_the_choices() {
    let e = parse("[materials.m]\nlibrary = \"unobtainium\"\n").unwrap_err().to_string();
    assert!(
        e.contains("m.toml:7") && e.contains("materials.m.library") && e.contains("fused_silica") && e.contains("Ag"),
        "{e}"
    );
    let e = parse("[materials.m]\nlibrary = \"PMMA\"\nat_wavelength_um = 1.55\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("m.toml:8") && e.contains("0.437-1.052"), "{e}");
    let e = parse("[materials.m]\nlibrary = \"Ag\"\nat_wavelength_um = 0.6\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("dispersive"), "{e}");
    let e = parse("[materials.m]\neps = 2.0\npoles = [{ type = \"lorentz\", frequency = -1.0, gamma = 0.1, sigma = 1.0 }]\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("materials.m.poles.0.frequency"), "{e}");
    let e = parse("[materials.m]\neps = 2.0\npoles = [{ type = \"plasma\", frequency = 1.0 }]\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("m.toml") && e.contains("plasma"), "{e}");
    // A UV Sellmeier pole on a coarse 3D-like time step is refused with the fix.
    let coarse = BASE
        .replace("resolution = 40", "resolution = 5")
        .replace("MATERIALS", "[materials.m]\nlibrary = \"fused_silica\"\n");
    let e = scene::parse(&coarse, "m.toml", &[], false).unwrap_err().to_string();
    assert!(e.contains("2 pi f0 dt < 2") && e.contains("resolution"), "{e}");
}

#[test]
fn sources_outside_a_library_model_range_are_refused() {
    let text = BASE.replace("MATERIALS", "[materials.m]\nlibrary = \"PMMA\"\n")
        + "[[sources]]\ntype = \"dipole\"\nposition_um = [0.0, 0.0]\nwavelength_um = 1.55\nbandwidth_um = 0.1\n";
    let e = scene::parse(&text, "m.toml", &[], false).unwrap_err().to_string();
    assert!(
        e.contains("sources.0.wavelength_um") && e.contains("0.437-1.052") && e.contains("Sultanova"),
        "{e}"
    );
}
