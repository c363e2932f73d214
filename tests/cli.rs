//! The whole user path, from scene files through the `lumen` binary to the
//! JSON summary and the HDF5 file, checked against analytic results
//! (../shared/validation/CASES.md):
//! - Fabry-Perot slab n = 3.5, d = 0.5 um: T(0.6 um) = 0.60763, T(0.8 um) = 0.31205
//!   within 1% absolute (case 2), with a reference run for the incident flux;
//! - Fresnel reflection air -> 3.5 = 0.308642 within 2% relative (case 1);
//! - 2D: an out-of-plane Jz line current emits twice an in-plane Jx (case 5),
//!   within 2%;
//! - 3D: a dipole in a medium of index n emits n times its vacuum power,
//!   within 3% (case 5);
//! - malformed scenes: clear error, bad-input exit code, no output file.
//!
//! Resolution: the slab's Fabry-Perot phase 2 pi n d / lambda is ~18 rad at
//! 0.6 um, so T needs the phase to ~0.01 rad: 400 cells/um gives ~48 cells per
//! wavelength in the slab and a Yee phase error of ~7e-4 (case 3 formula),
//! i.e. |dT| ~ 0.005 at 0.6 um (computed from the discrete dispersion relation).

use std::path::Path;
use std::process::Command;

mod common;

use common::{lumen, monitor, run_json, values, workdir};

const SLAB_1D: &str = r#"
[simulation]
dimensions = "2d"
polarization = "tm"
size_um = [7.0, 0.005]
resolution = 400
courant = 0.7

[boundaries]
x = { type = "pml", thickness_um = 1.0 }
y = "periodic"

[materials.n35]
index = 3.5

[[geometry]]
type = "box"
center_um = [GEOM_CENTER, 0.0]
size_um = [GEOM_SIZE, inf]
material = "n35"

[[sources]]
type = "plane"
center_um = [-2.0, 0.0]
size_um = [0.0, inf]
component = "Ez"
profile = "gaussian"
wavelength_um = 0.7
bandwidth_um = 0.4

[[monitors]]
name = "refl"
type = "flux"
center_um = [-1.5, 0.0]
size_um = [0.0, inf]
direction = "-"
wavelengths_um = [0.6, 0.8]
subtract_incident = true
normalize_with = "trans"

[[monitors]]
name = "trans"
type = "flux"
center_um = [1.5, 0.0]
size_um = [0.0, inf]
wavelengths_um = [0.6, 0.8]

[run]
until = "decayed"
decay_by = 1e-9
decay_position_um = [-1.5, 0.0]
max_fs = 400
"#;

#[test]
fn fabry_perot_and_fresnel_with_a_reference_run() {
    let d = workdir("fp");
    // Slab from x = 0 to 0.5 um; half-space from x = 0 into the PML.
    let slab = d.join("slab.toml");
    std::fs::write(&slab, SLAB_1D.replace("GEOM_CENTER", "0.25").replace("GEOM_SIZE", "0.5")).unwrap();
    let half = d.join("half.toml");
    std::fs::write(&half, SLAB_1D.replace("GEOM_CENTER", "2.5").replace("GEOM_SIZE", "5.0")).unwrap();
    let reference = d.join("ref.h5");
    run_json(&slab, &reference, &["--empty"]);

    let fp = run_json(&slab, &d.join("slab.h5"), &["--reference", reference.to_str().unwrap()]);
    let t = values(monitor(&fp, "trans"), "ratio");
    let r = values(monitor(&fp, "refl"), "ratio");
    eprintln!("Fabry-Perot: T = {t:?}, R = {r:?}");
    assert!((t[0] - 0.60763).abs() < 0.01, "T(0.6 um) = {:.5}, expected 0.60763", t[0]);
    assert!((t[1] - 0.31205).abs() < 0.01, "T(0.8 um) = {:.5}, expected 0.31205", t[1]);
    // Energy conservation of the lossless slab, from two independent monitors.
    for k in 0..2 {
        assert!((r[k] + t[k] - 1.0).abs() < 0.01, "R + T = {} at k = {k}", r[k] + t[k]);
    }

    let fr = run_json(&half, &d.join("half.h5"), &["--reference", reference.to_str().unwrap()]);
    let r = values(monitor(&fr, "refl"), "ratio");
    eprintln!("Fresnel: R = {r:?}");
    for v in r {
        assert!((v / 0.308642 - 1.0).abs() < 0.02, "R = {v:.5}, expected 0.308642 within 2%");
    }
}

#[test]
fn dipole_power_2d_out_of_plane_is_twice_in_plane() {
    let d = workdir("dip2d");
    let tm = d.join("tm.toml");
    std::fs::write(&tm, common::DIPOLE_2D.replace("POL", "tm").replace("COMP", "Ez")).unwrap();
    let te = d.join("te.toml");
    std::fs::write(&te, common::DIPOLE_2D.replace("POL", "te").replace("COMP", "Ex")).unwrap();
    let a = run_json(&tm, &d.join("tm.h5"), &[]);
    let b = run_json(&te, &d.join("te.h5"), &[]);
    let pz = values(monitor(&a, "power"), "power");
    let px = values(monitor(&b, "power"), "power");
    let fz = values(monitor(&a, "box"), "flux");
    for k in 0..3 {
        let ratio = pz[k] / px[k];
        eprintln!(
            "P_Jz / P_Jx = {ratio:.5}; source power {:.5e} vs flux out of the box {:.5e}",
            pz[k], fz[k]
        );
        assert!((ratio / 2.0 - 1.0).abs() < 0.02, "P_Jz / P_Jx = {ratio:.4}, expected 2 within 2%");
        // In vacuum all the power a source gives leaves through a box around it.
        assert!(
            (fz[k] / pz[k] - 1.0).abs() < 0.02,
            "flux {:.4e} vs source power {:.4e}",
            fz[k],
            pz[k]
        );
    }
}

const DIPOLE_3D: &str = r#"
[simulation]
dimensions = "3d"
size_um = [2.0, 2.0, 2.0]
resolution = 30
background = "medium"

[materials.medium]
index = INDEX

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[[sources]]
type = "dipole"
position_um = [0.0, 0.0, 0.0]
component = "Ez"
profile = "gaussian"
wavelength_um = 1.0
bandwidth_um = 0.4

[[monitors]]
name = "power"
type = "source_power"
source = 0
wavelengths_um = [1.0]

[run]
until_fs = 70
"#;

#[test]
fn dipole_power_3d_scales_with_index() {
    let d = workdir("dip3d");
    let mut p = Vec::new();
    for n in ["1.0", "1.5"] {
        let s = d.join(format!("n{n}.toml"));
        std::fs::write(&s, DIPOLE_3D.replace("INDEX", n)).unwrap();
        let v = run_json(&s, &d.join(format!("n{n}.h5")), &[]);
        p.push(values(monitor(&v, "power"), "power")[0]);
    }
    let ratio = p[1] / p[0];
    eprintln!("3D P(1.5) / P(1) = {ratio:.5} (expected 1.5)");
    assert!((ratio / 1.5 - 1.0).abs() < 0.03, "P(n)/P(1) = {ratio:.4}, expected 1.5 within 3%");
}

#[test]
fn malformed_scenes_fail_cleanly() {
    let d = workdir("bad");
    let cases = [
        ("syntax.toml", "[simulation\nsize_um = [1.0, 1.0]\n", "syntax.toml:1"),
        (
            "unknown.toml",
            "[simulation]\nsize_um = [2.0, 2.0]\nresolution = 10\nresolutoin = 20\n",
            "resolutoin",
        ),
        (
            "type.toml",
            "[simulation]\nsize_um = [2.0, 2.0]\nresolution = \"ten\"\n",
            "resolution",
        ),
        (
            "negative.toml",
            "[simulation]\nsize_um = [-2.0, 2.0]\nresolution = 10\n[run]\nuntil_fs = 10\n",
            "size_um",
        ),
    ];
    for (name, text, needle) in cases {
        let scene = d.join(name);
        std::fs::write(&scene, text).unwrap();
        let out = d.join(format!("{name}.h5"));
        let o = lumen().arg("run").arg(&scene).arg("-o").arg(&out).arg("--quiet").output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: exit code {:?}, stderr {err}", o.status.code());
        assert!(err.contains(needle), "{name}: message does not mention `{needle}`: {err}");
        assert!(err.contains(name), "{name}: message does not name the file: {err}");
        assert!(!out.exists(), "{name}: an output file was written");
    }
}

#[test]
fn ctrl_c_keeps_what_was_computed() {
    let d = workdir("sigint");
    let scene = d.join("long.toml");
    // Long enough that it is still running when interrupted (~minutes on llvmpipe).
    std::fs::write(
        &scene,
        common::DIPOLE_2D
            .replace("POL", "tm")
            .replace("COMP", "Ez")
            .replace("until_fs = 200", "until_fs = 200000"),
    )
    .unwrap();
    let out = d.join("long.h5");
    let mut child = lumen().arg("run").arg(&scene).arg("-o").arg(&out).arg("--quiet").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let killed = Command::new("kill").arg("-INT").arg(child.id().to_string()).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "interrupted run must exit with 130");
    assert!(out.exists(), "an interrupted run must still write its results");
    let info = lumen().arg("info").arg(&out).arg("--json").output().unwrap();
    assert!(info.status.success());
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(v["complete"], false, "{v}");
    assert!(v["steps"].as_u64().unwrap() > 0, "{v}");
    assert!(v["stop_reason"].as_str().unwrap().contains("interrupted"), "{v}");
    let names: Vec<&str> = v["monitors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["power", "box"], "{v}");
}

/// `lumen check` of an LED scene counts its dipole runs (after symmetry) in
/// the estimate; `lumen run --json` of one carries the coupling report.
#[test]
fn led_scenes_through_the_command_line() {
    let d = workdir("led");
    let scene = d.join("led.toml");
    std::fs::write(
        &scene,
        r#"
[simulation]
dimensions = "2d"
polarization = "tm"
size_um = [3.0, 3.0]
resolution = 15

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[materials.gan]
index = 2.4

[[geometry]]
type = "box"
center_um = [0.0, -0.75]
size_um = [inf, 1.5]
material = "gan"

[[sources]]
name = "chip"
type = "led"
center_um = [0.0, -0.4]
size_um = [1.2, 0.0]
positions = [4, 1]
symmetry = ["x"]
wavelength_um = 1.0
bandwidth_um = 0.1
wavelengths_um = [1.0]
extraction_monitor = "top"

[[monitors]]
name = "top"
type = "flux"
center_um = [0.0, 0.4]
size_um = [2.0, 0.0]
wavelengths_um = [1.0]

[run]
until_fs = 20
"#,
    )
    .unwrap();
    let o = lumen().arg("check").arg(&scene).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("LED:       2 dipole runs (4 positions x 1 orientation, 4 without the declared symmetry)"),
        "{text}"
    );
    let v = run_json(&scene, &d.join("led.h5"), &[]);
    let report = v["coupling_report"].as_str().unwrap_or_else(|| panic!("no report in {v}"));
    assert!(
        report.contains("Emitter `chip`: 2 dipole runs") && report.contains("extraction"),
        "{report}"
    );
    assert!(monitor(&v, "chip_source_power")["power"][0].as_f64().unwrap() > 0.0);
}

/// One mode numbering (src/modes/mod.rs): mode 1 is the fundamental, with the
/// slab family's textbook name, in the printed summary, the JSON summary, the
/// result file and sweep-table columns alike. A TM run (Ez) couples to the
/// slab's TE modes; the 0.6 um n = 1.5 slab at 0.75-0.85 um guides two.
#[test]
fn modes_are_numbered_from_1_everywhere() {
    let dir = workdir("mode-names");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/waveguide_modes_2d.toml");
    let out = dir.join("r.h5");
    let o = lumen().arg("run").arg(&scene).arg("-o").arg(&out).arg("--quiet").output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("mode 1 (TE0) n_eff") && text.contains("mode 2 (TE1) n_eff"), "{text}");
    assert!(!text.contains("m0 ") && !text.contains("TE-1"), "{text}");

    let v = run_json(&scene, &out, &[]);
    let names = monitor(&v, "guided")["mode_names"].as_array().unwrap().clone();
    assert_eq!(names[0], "mode 1 (TE0)", "{v}");
    assert_eq!(names[1], "mode 2 (TE1)", "{v}");

    let f = hdf5::File::open(&out).unwrap();
    let a: Vec<hdf5::types::VarLenUnicode> = f.group("monitors/guided").unwrap().attr("mode_names").unwrap().read_raw().unwrap();
    let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
    assert_eq!(&a[..2], &["mode 1 (TE0)", "mode 2 (TE1)"]);
    let _ = std::fs::remove_dir_all(&dir);
}
