//! `lumen modes`: a port's guided modes printed, written to HDF5 and PNG.
//!
//! 2D: a slab n = 2.0, 0.4 um thick, in n = 1.45 (CASES.md case 6 materials),
//! 2D TM (Ez: the slab's TE modes), 40 cells/um. 3D: a 0.8 x 0.5 um n = 2.0
//! core in 1.45 at 15 cells/um. Nothing runs on the GPU.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SLAB: &str = r#"
[simulation]
dimensions = "2d"
polarization = "tm"
size_um = [4.0, 4.0]
resolution = 40
background = "clad"

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
type = "dipole"
position_um = [0.0, 0.0]
component = "Ez"
wavelength_um = 0.45
bandwidth_um = 0.1

[[monitors]]
name = "flux"
type = "flux"
center_um = [0.5, 0.0]
size_um = [0.0, 3.0]
wavelengths_um = [0.45]

[[monitors]]
name = "port"
type = "mode"
center_um = [1.0, 0.0]
size_um = [0.0, 3.0]
modes = 2
wavelengths_um = [0.45, 0.5]

[run]
until_fs = 50
"#;

const CORE_3D: &str = r#"
[simulation]
dimensions = "3d"
size_um = [1.0, 2.4, 2.4]
resolution = 15
background = "clad"

[boundaries]
default = "periodic"

[materials.core]
index = 2.0

[materials.clad]
index = 1.45

[[geometry]]
type = "box"
center_um = [0.0, 0.0, 0.0]
size_um = [inf, 0.8, 0.5]
material = "core"

[[sources]]
type = "dipole"
position_um = [0.0, 0.0, 0.0]
component = "Ey"
wavelength_um = 0.8
bandwidth_um = 0.1

[[monitors]]
name = "out"
type = "mode"
center_um = [0.2, 0.0, 0.0]
size_um = [0.0, 2.0, 2.0]
modes = 2
wavelengths_um = [0.8]

[run]
until_fs = 50
"#;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lumen_cli_modes_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn lumen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lumen")).args(args).output().expect("run lumen")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// n_eff of the table rows (`mode 1 (TE0)` or `mode 1`, then n_eff) printed
/// for each wavelength.
fn printed_n_eff(stdout: &str) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("wavelength ") {
            out.push(Vec::new());
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() >= 3 && w[0] == "mode" && w[1].parse::<usize>().is_ok() {
            let n = w[2..].iter().find(|x| !x.starts_with('(')).and_then(|x| x.parse::<f64>().ok());
            if let (Some(last), Some(n)) = (out.last_mut(), n) {
                last.push(n);
            }
        }
    }
    out
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// Exact TE0 n_eff of the 0.4 um n = 2.0 slab in 1.45 at 0.45 um (CASES.md case 6).
const EXACT_TE0: f64 = 1.949918;

#[test]
fn slab_port_2d() {
    let dir = temp_dir("slab");
    let scene = write(&dir, "slab.toml", SLAB);
    let s = scene.to_str().unwrap();

    // Without smoothing the staircase is the slab exactly (0.4 um = 16 cells,
    // edges on cell boundaries), so the slab solver's 1e-6 accuracy applies
    // (the table prints 6 decimals).
    let o = lumen(&[
        "modes",
        s,
        "--port",
        "port",
        "--wavelength-um",
        "0.45",
        "--set",
        "simulation.subpixel_smoothing=false",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let n = printed_n_eff(&out);
    assert_eq!(n.len(), 1, "{out}");
    assert!((n[0][0] - EXACT_TE0).abs() < 2e-6, "n_eff {} vs {EXACT_TE0}\n{out}", n[0][0]);

    // Default (subpixel smoothing on): the Ez samples on the two interfaces
    // get the averaged eps, which moves n_eff by ~1e-3 (measured 1.0e-3).
    let o = lumen(&["modes", s, "--port", "port"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let n = printed_n_eff(&out);
    assert_eq!(n.len(), 2, "two wavelengths\n{out}");
    assert!((n[0][0] - EXACT_TE0).abs() < 2e-3, "n_eff {} vs {EXACT_TE0}\n{out}", n[0][0]);
    assert!(n.iter().all(|m| m.len() == 2 && m.iter().all(|&x| x > 1.45 && x < 2.0)), "{out}");
    assert!(out.contains("Ez 1.000"), "TM run: Ez-polarised\n{out}");
    // One numbering: mode 1 is the fundamental, with its slab family name.
    assert!(out.contains("mode 1 (TE0)") && out.contains("mode 2 (TE1)"), "{out}");
    assert!(out.contains("(wl1)") && out.contains("(wl2)") && !out.contains("(wl0)"), "{out}");

    let h5 = dir.join("slab_port_modes.h5");
    assert!(h5.exists(), "{out}");
    let f = hdf5::File::open(&h5).unwrap();
    let ne: ndarray::Array2<f64> = f.dataset("n_eff").unwrap().read_2d().unwrap();
    assert_eq!(ne.shape(), &[2, 2]);
    assert!((ne[[0, 0]] - n[0][0]).abs() < 1e-6);
    let e2: ndarray::Array2<f64> = f.dataset("wl1/mode1/E2").unwrap().read_2d().unwrap();
    assert!(e2.iter().any(|v| v.abs() > 0.0));
    let name: hdf5::types::VarLenUnicode = f.group("wl1/mode2").unwrap().attr("name").unwrap().read_scalar().unwrap();
    assert_eq!(name.as_str(), "mode 2 (TE1)");

    // A 2D port gets a profile plot per wavelength: both modes' curves drawn.
    for wl in [1, 2] {
        let png = dir.join(format!("slab_port_modes_wl{wl}.png"));
        assert!(out.contains(&format!("profiles: {}", png.display())), "{out}");
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let rgb = &buf[..info.buffer_size()];
        for c in &lumen_fdtd::plot::figure::SERIES_COLORS[..2] {
            let n = rgb.chunks(3).filter(|p| p == c).count();
            assert!(n > 100, "{}: {n} pixels of mode colour {c:?}", png.display());
        }
    }

    // A wrong port name, and a monitor that is not a port: bad input, naming the ports.
    for name in ["nope", "flux"] {
        let o = lumen(&["modes", s, "--port", name]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
        assert!(err.contains("ports: port"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn core_port_3d() {
    let dir = temp_dir("core");
    let scene = write(&dir, "core.toml", CORE_3D);
    let o = lumen(&["modes", scene.to_str().unwrap(), "--port", "out"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let n = printed_n_eff(&out);
    assert_eq!(n.len(), 1, "{out}");
    assert_eq!(n[0].len(), 2, "two guided modes\n{out}");
    assert!(n[0].iter().all(|&x| x > 1.45 && x < 2.0), "{out}");
    assert!(n[0][0] > n[0][1], "fundamental first\n{out}");
    // The guide is wider along y: the fundamental is y-polarised.
    assert!(out.contains("Ey 0.9"), "{out}");
    for m in 1..=2 {
        let png = dir.join(format!("core_out_modes_wl1_mode{m}.png"));
        let meta = std::fs::metadata(&png).unwrap_or_else(|e| panic!("{}: {e}\n{out}", png.display()));
        assert!(meta.len() > 1000);
    }
    assert!(dir.join("core_out_modes.h5").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Wavelengths are solved side by side (one eigenproblem each) and come back
/// in the order the scene lists them: the fundamental's n_eff falls with the
/// wavelength (normal waveguide dispersion, constant indices), so listed as
/// 0.9, 0.7, 0.8 um the second row must be highest and the first lowest.
#[test]
fn wavelengths_come_back_in_their_order() {
    let dir = temp_dir("order");
    let scene = write(
        &dir,
        "core.toml",
        &CORE_3D.replace("wavelengths_um = [0.8]", "wavelengths_um = [0.9, 0.7, 0.8]"),
    );
    let o = lumen(&["modes", scene.to_str().unwrap(), "--port", "out"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let n = printed_n_eff(&out);
    assert_eq!(n.len(), 3, "{out}");
    assert!(n[1][0] > n[2][0] && n[2][0] > n[0][0], "n_eff at 0.9, 0.7, 0.8 um: {n:?}\n{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--port` may be left out when the scene has exactly one port; with
/// several, the error lists them.
#[test]
fn the_only_port_needs_no_name() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = temp_dir("noport");
    let one = root.join("examples/waveguide_modes_2d.toml");
    let out = dir.join("one.h5");
    let o = lumen(&["modes", one.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(!printed_n_eff(&stdout).is_empty(), "{stdout}");
    assert!(out.exists());
    let two = root.join("examples/microled_waveguide_2d.toml");
    let o = lumen(&["modes", two.to_str().unwrap(), "-o", dir.join("two.h5").to_str().unwrap()]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("2 ports") && stderr.contains("guide, guide_back"), "{stderr}");
}
