//! `lumen plot`: pictures of a scene's set-up and of a result file, through
//! the binary as a user runs it. Each picture is decoded and checked: its
//! size follows the documented layout, and it is not blank (pixels inside a
//! high-index block differ from the background; |E|^2 is brightest near the
//! source). Bad requests exit with code 2 and say what would be accepted;
//! a failure to write exits with 3.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lumen_fdtd::plot::figure::{line_figure_size, map_figure_size, panel_rect};

fn lumen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lumen"))
}

/// A fresh directory per test, removed when the test passes (kept for a look when it fails).
fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lumen-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn plot(args: &[&str]) -> Output {
    lumen().arg("plot").args(args).output().unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "lumen plot failed ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn fails_with(o: &Output, code: i32) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "expected exit code {code}; stderr: {err}");
    err
}

/// A decoded RGB PNG.
struct Png {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Png {
    fn read(path: &Path) -> Png {
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        Png {
            width: info.width,
            height: info.height,
            rgb: buf,
        }
    }
    fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = 3 * (y * self.width + x) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
    fn brightness(&self, p: (u32, u32)) -> u32 {
        self.at(p.0, p.1).iter().map(|&c| c as u32).sum()
    }
    /// Distinct colours inside a rectangle.
    fn colours_in(&self, r: (u32, u32, u32, u32)) -> usize {
        let mut set = std::collections::HashSet::new();
        for y in r.1..r.1 + r.3 {
            for x in r.0..r.0 + r.2 {
                set.insert(self.at(x, y));
            }
        }
        set.len()
    }
}

/// The pixel of scene point (u, v) um in a panel whose plot area `rect`
/// spans `xr` x `yr` um (y grows upwards in the scene, downwards in the image).
fn pixel(rect: (u32, u32, u32, u32), xr: (f64, f64), yr: (f64, f64), u: f64, v: f64) -> (u32, u32) {
    let x = rect.0 as f64 + (u - xr.0) / (xr.1 - xr.0) * rect.2 as f64;
    let y = rect.1 as f64 + (yr.1 - v) / (yr.1 - yr.0) * rect.3 as f64;
    (x as u32, y as u32)
}

/// 4 x 3 um, a 1 x 1 um block of n = 3 in the middle, PML 0.5 um, a dipole
/// off the block, a flux line and a DFT monitor over the whole plane.
const SCENE_2D: &str = r#"
[simulation]
size_um = [4.0, 3.0]
resolution = 10

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[materials.high]
index = 3.0

[[geometry]]
type = "box"
center_um = [0.0, 0.0]
size_um = [1.0, 1.0]
material = "high"

[[sources]]
type = "dipole"
position_um = [-1.0, 0.5]
wavelength_um = 0.6
bandwidth_um = 0.2

[[monitors]]
name = "field"
type = "dft"
center_um = [0.0, 0.0]
size_um = [4.0, 3.0]
components = ["Ez"]
wavelengths_um = [0.55, 0.6, 0.65]

[[monitors]]
name = "trans"
type = "flux"
center_um = [1.2, 0.0]
size_um = [0.0, 1.6]
wavelengths_um = [0.55, 0.6, 0.65]

[[monitors]]
name = "snap"
type = "snapshot"
center_um = [0.0, 0.0]
size_um = [4.0, 3.0]
component = "Ez"
every_fs = 5.0

[run]
until_fs = 25
"#;

#[test]
fn scene_2d_shows_block_sources_monitors_and_pml() {
    let dir = workdir("scene2d");
    let scene = dir.join("s.toml");
    std::fs::write(&scene, SCENE_2D).unwrap();
    let o = plot(&[scene.to_str().unwrap()]);
    ok(&o);
    // Default name: the scene's, with .png.
    let png = Png::read(&dir.join("s.png"));
    let extents = [(4.0, 3.0)];
    assert_eq!((png.width, png.height), map_figure_size(&extents, true));
    let rect = panel_rect(&extents, 0);
    assert!(
        (rect.2 as f64 / rect.3 as f64 - 4.0 / 3.0).abs() < 0.01,
        "the plot area keeps the domain's aspect: {rect:?}"
    );
    let at = |u, v| pixel(rect, (-2.0, 2.0), (-1.5, 1.5), u, v);
    let block = png.at(at(0.2, -0.2).0, at(0.2, -0.2).1);
    let background = png.at(at(0.5, 0.8).0, at(0.5, 0.8).1);
    assert_eq!(background, [255, 255, 255], "vacuum is white");
    assert!(block.iter().all(|&c| c < 100), "the n = 3 block is dark: {block:?}");
    // PML (green tint) over vacuum near the left face.
    let pml = png.at(at(-1.9, 0.8).0, at(-1.9, 0.8).1);
    assert!(pml[1] > pml[0] + 20 && pml[1] > pml[2] + 20, "PML shaded green: {pml:?}");
    // The dipole is a red marker.
    let src = png.at(at(-1.0, 0.5).0, at(-1.0, 0.5).1);
    assert!(src[0] > 180 && src[1] < 80 && src[2] < 80, "source drawn red: {src:?}");
    // The flux line is blue.
    let (fx, fy) = at(1.2, -0.3);
    let blue = (fx.saturating_sub(2)..fx + 3)
        .map(|x| png.at(x, fy))
        .find(|c| c[2] > 200 && c[0] < 80);
    assert!(blue.is_some(), "flux monitor drawn blue at x = 1.2 um");

    // One E component instead of the mean; an explicit output name.
    let out = dir.join("ez.png");
    ok(&plot(&[scene.to_str().unwrap(), "--component", "Ez", "-o", out.to_str().unwrap()]));
    assert_eq!(Png::read(&out).width, png.width);
    // --set applies as for `run`: a vacuum block leaves the centre white.
    let out = dir.join("set.png");
    ok(&plot(&[
        scene.to_str().unwrap(),
        "--set",
        "materials.high.index=1.0",
        "-o",
        out.to_str().unwrap(),
    ]));
    let p = Png::read(&out);
    assert_eq!(p.at(at(0.2, -0.2).0, at(0.2, -0.2).1), [255, 255, 255]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scene_3d_three_central_slices_or_one() {
    let dir = workdir("scene3d");
    let scene = dir.join("s3.toml");
    std::fs::write(
        &scene,
        r#"
[simulation]
size_um = [2.0, 1.6, 1.2]
resolution = 10
[boundaries]
default = { type = "pml", thickness_um = 0.3 }
[materials.high]
index = 2.5
[[geometry]]
type = "box"
center_um = [0.0, 0.0, 0.0]
size_um = [0.8, 0.6, 0.2]
material = "high"
[[sources]]
type = "dipole"
position_um = [0.0, 0.0, 0.45]
component = "Ex"
wavelength_um = 0.6
bandwidth_um = 0.2
[[monitors]]
name = "top"
type = "flux"
center_um = [0.0, 0.0, 0.3]
size_um = [1.0, 1.0, 0.0]
wavelengths_um = [0.6]
[run]
until_fs = 10
"#,
    )
    .unwrap();
    let out = dir.join("three.png");
    ok(&plot(&[scene.to_str().unwrap(), "-o", out.to_str().unwrap()]));
    let png = Png::read(&out);
    // xy, xz, yz side by side.
    let extents = [(2.0, 1.6), (2.0, 1.2), (1.6, 1.2)];
    assert_eq!((png.width, png.height), map_figure_size(&extents, true));
    for (i, e) in extents.iter().enumerate() {
        let r = panel_rect(&extents, i);
        let centre = pixel(r, (-e.0 / 2.0, e.0 / 2.0), (-e.1 / 2.0, e.1 / 2.0), 0.05, -0.05);
        let corner = pixel(r, (-e.0 / 2.0, e.0 / 2.0), (-e.1 / 2.0, e.1 / 2.0), 0.0, e.1 / 2.0 - 0.35);
        assert!(
            png.brightness(centre) + 300 < png.brightness(corner),
            "panel {i}: the block ({:?}) is darker than vacuum ({:?})",
            png.at(centre.0, centre.1),
            png.at(corner.0, corner.1)
        );
    }
    // One slice, above the block (z = 0.1) and below the PML (z = 0.3): vacuum, white.
    let out = dir.join("one.png");
    ok(&plot(&[scene.to_str().unwrap(), "--slice", "z=0.25", "-o", out.to_str().unwrap()]));
    let one = Png::read(&out);
    assert_eq!((one.width, one.height), map_figure_size(&[(2.0, 1.6)], true));
    let r = panel_rect(&[(2.0, 1.6)], 0);
    let c = pixel(r, (-1.0, 1.0), (-0.8, 0.8), 0.05, -0.05);
    assert_eq!(one.at(c.0, c.1), [255, 255, 255], "no block at z = 0.25 um");
    // Outside the domain: bad input.
    let err = fails_with(&plot(&[scene.to_str().unwrap(), "--slice", "z=2", "-o", out.to_str().unwrap()]), 2);
    assert!(err.contains("from -0.6 to 0.6"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scene_plot_refuses_what_does_not_apply() {
    let dir = workdir("scene-bad");
    let scene = dir.join("s.toml");
    std::fs::write(&scene, SCENE_2D).unwrap();
    let s = scene.to_str().unwrap();
    let err = fails_with(&plot(&[s, "--slice", "x=0"]), 2);
    assert!(err.contains("2D scene is drawn whole"), "{err}");
    let err = fails_with(&plot(&[s, "--component", "Hx"]), 2);
    assert!(err.contains("Ex, Ey or Ez"), "{err}");
    let err = fails_with(&plot(&[s, "--monitor", "field"]), 2);
    assert!(err.contains("--monitor applies to result files"), "{err}");
    fails_with(&plot(&[s, "--slice", "q=1"]), 2);
    fails_with(&plot(&[dir.join("missing.toml").to_str().unwrap()]), 2);
    // A scene error is reported as for `run`, with the key.
    let err = fails_with(&plot(&[s, "--set", "materials.high.index=-1"]), 2);
    assert!(err.contains("materials.high.index"), "{err}");
    assert!(!dir.join("s.png").exists(), "no image after an error");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn result_maps_spectra_and_errors() {
    let dir = workdir("result");
    let scene = dir.join("r.toml");
    std::fs::write(&scene, SCENE_2D).unwrap();
    let h5 = dir.join("r.h5");
    let run = lumen()
        .args(["run", scene.to_str().unwrap(), "-o", h5.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(run.status.success(), "lumen run: {}", String::from_utf8_lossy(&run.stderr));
    let r = h5.to_str().unwrap();

    // The readers behind the plots: shapes, positions (scene coordinates, Ez
    // of a 40 x 30 grid at dx = 0.1 starts at x = -2, y = -1.5), one
    // wavelength or frame equal to the matching slice of all of them.
    let all = lumen_fdtd::output::read_dft_fields(&h5, "field").unwrap();
    assert_eq!(all.wavelengths_um, vec![0.55, 0.6, 0.65]);
    let ez = &all.components[0];
    assert_eq!(ez.component, lumen_fdtd::Component::Ez);
    assert_eq!(ez.data.shape(), &[3, 1, 30, 40]);
    assert!((ez.positions_um[0][0] + 2.0).abs() < 1e-9 && (ez.positions_um[1][0] + 1.5).abs() < 1e-9);
    let one = lumen_fdtd::output::read_dft_fields_at(&h5, "field", 1).unwrap();
    assert_eq!(one.wavelengths_um, vec![0.6]);
    assert_eq!(
        one.components[0].data.index_axis(ndarray::Axis(0), 0),
        ez.data.index_axis(ndarray::Axis(0), 1)
    );
    let snaps = lumen_fdtd::output::read_snapshot(&h5, "snap").unwrap();
    assert!(snaps.frames.shape()[0] >= 3, "{:?}", snaps.frames.shape());
    let frame = lumen_fdtd::output::read_snapshot_frame(&h5, "snap", 2).unwrap();
    assert_eq!((frame.first_frame, frame.times_fs[0]), (2, snaps.times_fs[2]));
    assert_eq!(
        frame.frames.index_axis(ndarray::Axis(0), 0),
        snaps.frames.index_axis(ndarray::Axis(0), 2)
    );
    let (wl, flux) = lumen_fdtd::output::read_spectrum(&h5, "trans", "flux").unwrap();
    assert_eq!((wl.len(), flux.len()), (3, 3));
    assert!(
        lumen_fdtd::output::read_snapshot(&h5, "field").is_err(),
        "a dft monitor is not a snapshot"
    );

    // |E|^2 of the dft monitor at the middle wavelength, default name RESULT.MONITOR.png.
    let o = plot(&[r, "--monitor", "field"]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("0.6"), "reports the wavelength");
    let png = Png::read(&dir.join("r.field.png"));
    let extents = [(4.0, 3.0)];
    assert_eq!((png.width, png.height), map_figure_size(&extents, true));
    let rect = panel_rect(&extents, 0);
    assert!(png.colours_in(rect) > 20, "a field map, not a flat colour");
    // Inferno: brightest near the source, dark deep in the PML.
    let at = |u, v| pixel(rect, (-2.0, 2.0), (-1.5, 1.5), u, v);
    let near = png.brightness(at(-1.0, 0.6));
    let far = png.brightness(at(1.9, -1.4));
    assert!(near > far + 150, "|E|^2 near the source ({near}) > in the far PML corner ({far})");

    // A component, a wavelength, a quantity.
    let out = dir.join("re.png");
    ok(&plot(&[
        r,
        "--monitor",
        "field",
        "--component",
        "Ez",
        "--wavelength-um",
        "0.56",
        "-o",
        out.to_str().unwrap(),
    ]));
    assert!(Png::read(&out).colours_in(rect) > 20);
    let out = dir.join("abs.png");
    ok(&plot(&[
        r,
        "--monitor",
        "field",
        "--component",
        "Ez",
        "--quantity",
        "abs",
        "-o",
        out.to_str().unwrap(),
    ]));

    // Flux spectrum and a snapshot frame.
    ok(&plot(&[r, "--monitor", "trans"]));
    let flux = Png::read(&dir.join("r.trans.png"));
    assert_eq!((flux.width, flux.height), line_figure_size());
    ok(&plot(&[r, "--monitor", "snap", "--frame", "2"]));
    let snap = Png::read(&dir.join("r.snap.png"));
    assert!(snap.colours_in(rect) > 20, "a snapshot frame, not a flat colour");

    // Bad requests: exit code 2 and what would be accepted.
    let err = fails_with(&plot(&[r, "--monitor", "nope"]), 2);
    assert!(
        err.contains("field (dft_fields)") && err.contains("trans (flux)") && err.contains("snap (snapshot)"),
        "lists the monitors: {err}"
    );
    let err = fails_with(&plot(&[r]), 2);
    assert!(err.contains("name the monitor"), "{err}");
    let err = fails_with(&plot(&[r, "--monitor", "field", "--wavelength-um", "0.9"]), 2);
    assert!(err.contains("outside") && err.contains("0.55") && err.contains("0.65"), "{err}");
    let err = fails_with(&plot(&[r, "--monitor", "field", "--component", "Hz"]), 2);
    assert!(err.contains("records Ez"), "{err}");
    let err = fails_with(&plot(&[r, "--monitor", "snap", "--frame", "99"]), 2);
    assert!(err.contains("frames"), "{err}");
    let err = fails_with(&plot(&[r, "--monitor", "trans", "--component", "Ez"]), 2);
    assert!(err.contains("flux monitor"), "{err}");
    let err = fails_with(&plot(&[r, "--monitor", "field", "--set", "a=1"]), 2);
    assert!(err.contains("--set applies to scene files"), "{err}");
    // Cannot write the image: exit code 3.
    let bad = dir.join("no-such-dir").join("x.png");
    let err = fails_with(&plot(&[r, "--monitor", "field", "-o", bad.to_str().unwrap()]), 3);
    assert!(err.contains("cannot write"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
