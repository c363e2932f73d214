//! `lumen plot`: pictures of a scene's set-up and of a result file, through
//! the binary as a user runs it. Each picture is decoded and checked: its
//! size follows the documented layout, and it is not blank (pixels inside a
//! high-index block differ from the background; |E|^2 is brightest near the
//! source). Bad requests exit with code 2 and say what would be accepted;
//! a failure to write exits with 3.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lumen_fdtd::plot::figure::{line_figure_size, map_figure_size, map_figure_size_lines, panel_rect};

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

/// Whether a pixel of the structure outline's colour lies within `r` px of `p`.
fn has_outline_near(png: &Png, p: (u32, u32), r: u32) -> bool {
    let outline = lumen_fdtd::plot::structure::OUTLINE_COLOR;
    (p.1.saturating_sub(r)..=p.1 + r).any(|y| (p.0.saturating_sub(r)..=p.0 + r).any(|x| png.at(x, y) == outline))
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
    assert_eq!((png.width, png.height), map_figure_size_lines(&extents, 2));
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
position_um = [0.4, -0.3, 0.2]
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
    assert_eq!((png.width, png.height), map_figure_size_lines(&extents, 2));
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
    assert_eq!((one.width, one.height), map_figure_size_lines(&[(2.0, 1.6)], 2));
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
    assert_eq!((png.width, png.height), map_figure_size_lines(&extents, 2));
    let rect = panel_rect(&extents, 0);
    assert!(png.colours_in(rect) > 20, "a field map, not a flat colour");
    // Inferno: brightest near the source, dark deep in the PML.
    let at = |u, v| pixel(rect, (-2.0, 2.0), (-1.5, 1.5), u, v);
    let near = png.brightness(at(-1.0, 0.6));
    let far = png.brightness(at(1.9, -1.4));
    assert!(near > far + 150, "|E|^2 near the source ({near}) > in the far PML corner ({far})");
    // The structure from the stored scene: the block's edges (Ez samples
    // at x = -2 + 0.1 i, so its right edge lies between the samples at 0.4
    // and 0.5: x = 0.45) drawn in cyan, one line, not in the open. The map's
    // cells are centred on the samples: it spans x from -2.05 to 1.95 um.
    let on_map = |u, v| pixel(rect, (-2.05, 1.95), (-1.55, 1.45), u, v);
    assert!(
        has_outline_near(&png, on_map(0.45, 0.0), 2),
        "the block's right edge drawn over |E|^2"
    );
    assert!(
        has_outline_near(&png, on_map(0.0, 0.45), 2),
        "the block's top edge drawn over |E|^2"
    );
    assert!(!has_outline_near(&png, on_map(1.0, 0.0), 3), "no outline where nothing changes");
    // The PML (0.5 um each side) shaded green; the interior not.
    for (u, v) in [(1.8, 0.0), (0.0, -1.3)] {
        let c = png.at(at(u, v).0, at(u, v).1);
        assert!(c[1] > c[0] + 20 && c[1] > c[2] + 10, "PML at ({u}, {v}) shaded green: {c:?}");
    }
    let c = png.at(at(1.2, -0.8).0, at(1.2, -0.8).1);
    assert!(c[1] < 20, "no PML shade inside: {c:?}");

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
    assert!(
        has_outline_near(&snap, on_map(0.45, 0.0), 2),
        "the block's edge over the snapshot too"
    );

    // Without --monitor: every monitor, one image each, names printed.
    let all_dir = dir.join("all");
    std::fs::create_dir_all(&all_dir).unwrap();
    let a = all_dir.join("a.h5");
    std::fs::copy(&h5, &a).unwrap();
    let o = plot(&[a.to_str().unwrap()]);
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("drawing 3 pictures (field, trans, snap)"), "{out}");
    let mut made: Vec<String> = std::fs::read_dir(&all_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    made.sort();
    assert_eq!(made, ["a.field.png", "a.snap.png", "a.trans.png"], "{out}");
    for m in &made {
        assert!(out.contains(m.as_str()), "{m} named in the output: {out}");
    }
    let field_all = Png::read(&all_dir.join("a.field.png"));
    let same = (rect.1..rect.1 + rect.3).all(|y| (rect.0..rect.0 + rect.2).all(|x| field_all.at(x, y) == png.at(x, y)));
    assert!(same, "the same map as with --monitor field");
    assert_eq!((Png::read(&all_dir.join("a.trans.png")).width, flux.height), line_figure_size());

    // Bad requests: exit code 2 and what would be accepted.
    let err = fails_with(&plot(&[r, "--monitor", "nope"]), 2);
    assert!(
        err.contains("field (dft_fields)") && err.contains("trans (flux)") && err.contains("snap (snapshot)"),
        "lists the monitors: {err}"
    );
    // Options of one monitor without --monitor, in a file of several: refused.
    let err = fails_with(&plot(&[r, "--frame", "1"]), 2);
    assert!(
        err.contains("--frame") && err.contains("--monitor NAME") && err.contains("field, trans, snap"),
        "{err}"
    );
    let err = fails_with(&plot(&[r, "-o", dir.join("x.png").to_str().unwrap()]), 2);
    assert!(err.contains("--output"), "{err}");
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

// ------------------------------------------------ far-field and mode monitors

use lumen_fdtd::monitor::dft::{MonitorData, MonitorResult};
use lumen_fdtd::monitor::farfield::Directions;
use lumen_fdtd::output::RunRecord;
use lumen_fdtd::plot::figure::{plot_figure_size, Colormap, LINE_BLUE, NO_DATA, SERIES_COLORS};
use lumen_fdtd::{Dimensions, Grid, Polarization};

/// A result file holding `monitors`, written through the library's writer
/// without running anything (the data is made up so that the picture's
/// content follows from it).
fn write_result(path: &Path, grid: &Grid, monitors: &[MonitorResult]) {
    write_result_with(path, grid, monitors, &[]);
}

/// [`write_result`] with further groups (an LED's report).
fn write_result_with(path: &Path, grid: &Grid, monitors: &[MonitorResult], extra: &[lumen_fdtd::output::ExtraGroup]) {
    lumen_fdtd::output::write(
        path,
        &RunRecord {
            program_version: env!("CARGO_PKG_VERSION"),
            scene_text: "# synthetic",
            scene_path: "synthetic.toml",
            grid,
            origin_offset_um: [0.0; 3],
            steps: 0,
            wall_time_s: 0.0,
            adapter: "none",
            complete: true,
            stop_reason: "synthetic",
            probes: &[],
            monitors,
            normalized: &[],
            extra,
            warnings: &[],
        },
    )
    .unwrap();
}

fn far_field_result(dirs: &Directions, wavelengths_um: Vec<f64>, intensity: Vec<Vec<f64>>, na: Option<f64>) -> MonitorResult {
    let nf = wavelengths_um.len();
    let total: Vec<f64> = intensity
        .iter()
        .map(|u| u.iter().zip(&dirs.weight).map(|(a, w)| a * w).sum())
        .collect();
    MonitorResult {
        name: "ff".into(),
        data: MonitorData::FarField {
            wavelengths_um,
            theta: dirs.angles.iter().map(|a| a.0).collect(),
            phi: dirs.angles.iter().map(|a| a.1).collect(),
            weight: dirs.weight.clone(),
            intensity,
            flux: total.iter().map(|t| 1.02 * t).collect(),
            total,
            na,
            na_fraction: na.map(|_| vec![0.25; nf]),
            n_background: 1.0,
            polarized: None,
            plane: None,
            source_fraction: None,
        },
    }
}

/// A line plot with a legend: the plot's size, widened by the legend's
/// column right of the plot area.
fn assert_legend_beside(png: &Png) {
    let (w, h) = plot_figure_size(true);
    assert_eq!(png.height, h, "a line plot's height");
    assert!(
        png.width > w + 100,
        "a legend column beside the plot: {} px wide, {w} without",
        png.width
    );
}

fn near(c: [u8; 3], want: [u8; 3], tol: i32) -> bool {
    c.iter().zip(want).all(|(&a, b)| (a as i32 - b as i32).abs() <= tol)
}

/// Centroid of the pixels of exactly colour `c` inside `rect`, and their count.
fn centroid_of(png: &Png, rect: (u32, u32, u32, u32), c: [u8; 3]) -> (f64, f64, usize) {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
    for y in rect.1..rect.1 + rect.3 {
        for x in rect.0..rect.0 + rect.2 {
            if png.at(x, y) == c {
                sx += x as f64 + 0.5;
                sy += y as f64 + 0.5;
                n += 1;
            }
        }
    }
    (sx / n.max(1) as f64, sy / n.max(1) as f64, n)
}

#[test]
fn far_field_2d_intensity_over_angle_with_na_cone() {
    let dir = workdir("ff2d");
    let h5 = dir.join("ff.h5");
    let grid = Grid::new([4.0, 4.0, 0.0], 10.0, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
    let dirs = Directions::new(false, 360);
    // A lobe 20 degrees from +y towards +x (phi = 70 deg from +x) at the
    // middle wavelength; at the others, a lobe at -60 deg (outside the NA).
    let lobe = |centre_deg: f64| -> Vec<f64> {
        dirs.angles
            .iter()
            .map(|&(_, phi)| {
                let from_y = 90.0 - phi.to_degrees();
                let d = (from_y - centre_deg + 540.0).rem_euclid(360.0) - 180.0;
                0.05 + (-(d / 8.0).powi(2)).exp()
            })
            .collect()
    };
    write_result(
        &h5,
        &grid,
        &[far_field_result(
            &dirs,
            vec![0.5, 0.6, 0.7],
            vec![lobe(-60.0), lobe(20.0), lobe(-60.0)],
            Some(0.5),
        )],
    );
    let r = h5.to_str().unwrap();
    let o = plot(&[r, "--monitor", "ff"]);
    ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("far-field"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let png = Png::read(&dir.join("ff.ff.png"));
    assert_eq!((png.width, png.height), plot_figure_size(true));

    // The NA cone: two dashed red columns at -30 and +30 degrees.
    let red_columns: Vec<u32> = (0..png.width)
        .filter(|&x| (0..png.height).filter(|&y| near(png.at(x, y), [214, 39, 40], 30)).count() > 40)
        .collect();
    assert!(red_columns.len() >= 2, "NA lines: {red_columns:?}");
    let (left, right) = (red_columns[0] as f64, red_columns[red_columns.len() - 1] as f64);
    assert!(right - left > 100.0, "two NA lines apart: {red_columns:?}");
    // The curve's highest point lies where the data peaks: +20 deg, i.e.
    // (20 - (-30)) / 60 of the way from the left NA line to the right one.
    let peak_x = |png: &Png| {
        let blue: Vec<(u32, u32)> = (0..png.height)
            .flat_map(|y| (0..png.width).map(move |x| (x, y)))
            .filter(|&(x, y)| near(png.at(x, y), LINE_BLUE, 20))
            .collect();
        let top = blue.iter().map(|p| p.1).min().expect("a blue curve");
        let xs: Vec<f64> = blue.iter().filter(|p| p.1 <= top + 1).map(|p| p.0 as f64).collect();
        xs.iter().sum::<f64>() / xs.len() as f64
    };
    let f = (peak_x(&png) + 0.5 - left) / (right - left);
    assert!((f - 50.0 / 60.0).abs() < 0.04, "peak at {f:.3} of the NA span, expected 0.833");

    // --wavelength-um picks another wavelength: the lobe at -60 deg, left of the cone.
    let out = dir.join("other.png");
    ok(&plot(&[
        r,
        "--monitor",
        "ff",
        "--wavelength-um",
        "0.7",
        "-o",
        out.to_str().unwrap(),
    ]));
    let f = (peak_x(&Png::read(&out)) + 0.5 - left) / (right - left);
    assert!((f - (-30.0 / 60.0)).abs() < 0.04, "peak at {f:.3} of the NA span, expected -0.5");
    // Options for field maps are refused.
    let err = fails_with(&plot(&[r, "--monitor", "ff", "--component", "Ez"]), 2);
    assert!(err.contains("far-field"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn far_field_3d_hemispheres_in_direction_cosines() {
    let dir = workdir("ff3d");
    let h5 = dir.join("ff3.h5");
    let grid = Grid::new([2.0, 2.0, 2.0], 10.0, 0.5, Dimensions::Three).unwrap();
    let dirs = Directions::new(true, 30);
    let unit = |th: f64, ph: f64| [th.sin() * ph.cos(), th.sin() * ph.sin(), th.cos()];
    let (up, down) = (unit(35f64.to_radians(), 225f64.to_radians()), unit(140f64.to_radians(), 0.0));
    let lobe = |r: &[f64; 3], c: &[f64; 3]| {
        let cos = (r[0] * c[0] + r[1] * c[1] + r[2] * c[2]).clamp(-1.0, 1.0);
        (-(cos.acos() / 0.15).powi(2) / 2.0).exp()
    };
    let u: Vec<f64> = dirs.r.iter().map(|r| lobe(r, &up) + 0.4 * lobe(r, &down)).collect();
    write_result(&h5, &grid, &[far_field_result(&dirs, vec![0.6], vec![u.clone()], Some(0.5))]);
    let out = dir.join("ff3.png");
    ok(&plot(&[h5.to_str().unwrap(), "--monitor", "ff", "-o", out.to_str().unwrap()]));
    let png = Png::read(&out);
    let extents = [(2.0, 2.0), (2.0, 2.0)];
    assert_eq!((png.width, png.height), map_figure_size(&extents, true), "two discs side by side");

    // In each hemisphere, the pixels of the colour of that hemisphere's
    // largest sample sit at that sample's direction cosines.
    let max = u.iter().copied().fold(0.0, f64::max);
    for (panel, upper) in [(0, true), (1, false)] {
        let best = (0..u.len())
            .filter(|&k| (dirs.r[k][2] > 0.0) == upper)
            .max_by(|&a, &b| u[a].total_cmp(&u[b]))
            .unwrap();
        let rect = panel_rect(&extents, panel);
        let (cx, cy, n) = centroid_of(&png, rect, Colormap::Inferno.color(u[best] / max));
        assert!(n > 10, "panel {panel}: the peak covers some pixels ({n})");
        let kx = -1.0 + 2.0 * (cx - rect.0 as f64) / rect.2 as f64;
        let ky = 1.0 - 2.0 * (cy - rect.1 as f64) / rect.3 as f64;
        let (wx, wy) = (dirs.r[best][0], dirs.r[best][1]);
        assert!(
            (kx - wx).abs() < 0.03 && (ky - wy).abs() < 0.03,
            "panel {panel}: peak drawn at ({kx:.3}, {ky:.3}), sample at ({wx:.3}, {wy:.3})"
        );
        // Outside the unit disc there is no direction.
        let corner = pixel(rect, (-1.0, 1.0), (-1.0, 1.0), 0.95, 0.95);
        assert_eq!(png.at(corner.0, corner.1), NO_DATA);
        // The NA circle (radius NA / n = 0.5) only on the upper hemisphere.
        let on_circle = (0..20).any(|k| {
            let p = pixel(rect, (-1.0, 1.0), (-1.0, 1.0), 0.0, 0.45 + 0.005 * k as f64);
            near(png.at(p.0, p.1), [0, 200, 255], 30)
        });
        assert_eq!(on_circle, upper, "panel {panel}: NA circle drawn only on the upper hemisphere");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mode_powers_over_wavelength_on_a_log_axis() {
    let dir = workdir("mode");
    let h5 = dir.join("m.h5");
    let grid = Grid::new([4.0, 3.0, 0.0], 10.0, 0.5, Dimensions::Two(Polarization::Tm)).unwrap();
    let nan = f64::NAN;
    write_result(
        &h5,
        &grid,
        &[MonitorResult {
            name: "port".into(),
            data: MonitorData::Mode {
                wavelengths_um: vec![0.75, 0.8, 0.85],
                n_eff: vec![vec![1.45, 1.2], vec![1.44, 1.18], vec![1.43, nan]],
                forward: vec![vec![0.3, 0.03], vec![0.3, 0.03], vec![0.3, nan]],
                backward: vec![vec![1e-3, 1e-4], vec![1e-3, 1e-4], vec![1e-3, nan]],
                forward_amplitude: Vec::new(),
                backward_amplitude: Vec::new(),
                flux: vec![1.0; 3],
            },
        }],
    );
    let o = plot(&[h5.to_str().unwrap(), "--monitor", "port"]);
    ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("log scale"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let png = Png::read(&dir.join("m.port.png"));
    assert_legend_beside(&png);
    // Between the first two wavelengths, each curve is a horizontal line;
    // collect the rows of the plot area where each colour appears.
    let png = &png;
    let rows = |c: [u8; 3]| -> Vec<u32> {
        let mut v: Vec<u32> = (png.width * 30 / 100..png.width * 40 / 100)
            .flat_map(|x| (0..png.height - 100).filter(move |&y| near(png.at(x, y), c, 6)))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mean = |v: &[u32]| v.iter().map(|&y| y as f64).sum::<f64>() / v.len().max(1) as f64;
    // Two lines per mode: forward (upper) and backward (lower), split at their mid-row.
    let split = |v: Vec<u32>| -> (f64, f64) {
        let mid = (v[0] + v[v.len() - 1]) / 2;
        let (a, b): (Vec<u32>, Vec<u32>) = v.into_iter().partition(|&y| y < mid);
        (mean(&a), mean(&b))
    };
    let flux = mean(&rows([70, 70, 70]));
    let (te0_f, te0_b) = split(rows(SERIES_COLORS[0]));
    let (te1_f, te1_b) = split(rows(SERIES_COLORS[1]));
    assert!(
        flux < te0_f && te0_f < te1_f && te1_f < te0_b && te0_b < te1_b,
        "top to bottom: flux 1 ({flux}), TE0 fwd 0.3 ({te0_f}), TE1 fwd 0.03 ({te1_f}), TE0 back 1e-3 ({te0_b}), TE1 back 1e-4 ({te1_b})"
    );
    // Log axis: one decade is the same height everywhere.
    let decade = te1_f - te0_f;
    assert!((te1_b - te0_b - decade).abs() < 3.0, "decades {decade} and {}", te1_b - te0_b);
    assert!(
        ((te0_b - te1_f) / decade - (0.03f64 / 1e-3).log10()).abs() < 0.05,
        "0.03 to 1e-3 spans {:.3} decades",
        (te0_b - te1_f) / decade
    );
    let err = fails_with(&plot(&[h5.to_str().unwrap(), "--monitor", "port", "--wavelength-um", "0.8"]), 2);
    assert!(err.contains("mode monitor"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run through the binary with a real far-field box and mode port: both
/// are read and drawn as the synthetic files above. The guide ends inside
/// the far-field box, which has only vacuum outside it.
#[test]
fn far_field_and_mode_monitors_from_a_run() {
    let dir = workdir("ffrun");
    let scene = dir.join("w.toml");
    std::fs::write(
        &scene,
        r#"
[simulation]
size_um = [4.0, 3.0]
resolution = 10
[boundaries]
default = { type = "pml", thickness_um = 0.5 }
[materials.core]
index = 2.0
[[geometry]]
type = "box"
center_um = [0.4, 0.0]
size_um = [1.2, 0.4]
material = "core"
[[sources]]
type = "dipole"
position_um = [-0.8, 0.0]
wavelength_um = 0.6
bandwidth_um = 0.2
[[monitors]]
name = "ff"
type = "far_field"
center_um = [0.0, 0.0]
size_um = [2.4, 1.0]
na = 0.7
wavelengths_um = [0.55, 0.6, 0.65]
[[monitors]]
name = "port"
type = "mode"
center_um = [0.9, 0.0]
size_um = [0.0, 2.0]
modes = 2
wavelengths_um = [0.55, 0.6, 0.65]
[run]
until_fs = 20
"#,
    )
    .unwrap();
    let h5 = dir.join("w.h5");
    let run = lumen()
        .args(["run", scene.to_str().unwrap(), "-o", h5.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(run.status.success(), "lumen run: {}", String::from_utf8_lossy(&run.stderr));
    let r = h5.to_str().unwrap();
    let ff = lumen_fdtd::output::read_far_field(&h5, "ff").unwrap();
    assert_eq!(ff.intensity.shape(), &[3, ff.theta_rad.len()]);
    assert_eq!(ff.na, Some(0.7));
    let modes = lumen_fdtd::output::read_mode(&h5, "port").unwrap();
    assert_eq!(modes.forward.nrows(), 3);
    assert_eq!(modes.forward.shape(), modes.n_eff.shape());
    ok(&plot(&[r, "--monitor", "ff"]));
    assert_eq!(
        {
            let p = Png::read(&dir.join("w.ff.png"));
            (p.width, p.height)
        },
        plot_figure_size(true)
    );
    ok(&plot(&[r, "--monitor", "port"]));
    let p = Png::read(&dir.join("w.port.png"));
    assert_legend_beside(&p);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `mode_map` (for `lumen modes`): a Gaussian spot in a rectangular core.
#[test]
fn mode_map_draws_the_profile_and_the_index_outline() {
    let dir = workdir("modemap");
    let out = dir.join("mode.png");
    let u: Vec<f64> = (0..81).map(|i| -2.0 + 0.05 * i as f64).collect();
    let v: Vec<f64> = (0..41).map(|j| -1.0 + 0.05 * j as f64).collect();
    let (pu, pv) = (0.5, 0.1);
    let mut values = Vec::new();
    let mut eps = Vec::new();
    for &y in &v {
        for &x in &u {
            values.push((-((x - pu).powi(2) + (y - pv).powi(2)) / 0.1).exp());
            eps.push(if x.abs() < 0.99 && y.abs() < 0.29 { 4.0 } else { 1.0 });
        }
    }
    lumen_fdtd::plot::mode_map(
        &out,
        "TE0 at 1.55 µm: |E|² on the yz plane",
        "n_eff 1.82",
        &u,
        &v,
        &values,
        Some(&eps),
    )
    .unwrap();
    let png = Png::read(&out);
    let (xr, yr) = ((-2.025, 2.025), (-1.025, 1.025));
    let extents = [(xr.1 - xr.0, yr.1 - yr.0)];
    assert_eq!((png.width, png.height), map_figure_size(&extents, true));
    let rect = panel_rect(&extents, 0);
    let at = |x, y| {
        let p = pixel(rect, xr, yr, x, y);
        png.at(p.0, p.1)
    };
    assert_eq!(at(pu, pv), Colormap::Inferno.color(1.0), "the peak sample has the top colour");
    assert_eq!(at(-1.5, -0.8), Colormap::Inferno.color(0.0), "far from the peak: zero");
    // The core's right edge (half-way between u = 0.95 and 1.0) and top edge
    // (between v = 0.25 and 0.3) are outlined in cyan; the middle is not.
    let cyan_near = |x: f64, y: f64, dx: f64, dy: f64| {
        (-4..=4).any(|k| {
            let p = pixel(rect, xr, yr, x + dx * k as f64, y + dy * k as f64);
            near(png.at(p.0, p.1), lumen_fdtd::plot::mode::OUTLINE_COLOR, 30)
        })
    };
    assert!(cyan_near(0.975, -0.1, 0.002, 0.0), "right edge of the core outlined");
    assert!(cyan_near(-0.3, 0.275, 0.0, 0.002), "top edge of the core outlined");
    assert!(!cyan_near(0.0, -0.1, 0.002, 0.0), "no outline inside the core");
    // Without eps: no outline.
    let bare = dir.join("bare.png");
    lumen_fdtd::plot::mode_map(&bare, "t", "f", &u, &v, &values, None).unwrap();
    let b = Png::read(&bare);
    let p = pixel(rect, xr, yr, 0.975, -0.1);
    assert!(!near(b.at(p.0, p.1), lumen_fdtd::plot::mode::OUTLINE_COLOR, 30));
    // A bad shape is refused, naming the numbers.
    let e = lumen_fdtd::plot::mode_map(&bare, "t", "f", &u, &v, &values[1..], None).unwrap_err();
    assert!(e.to_string().contains("3320 values for 81 x 41"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------ what a newcomer trips on

/// Legends go in a column right of the plot area: with curves through all
/// four corners, where a legend inside the plot would sit, every point's
/// marker is still drawn in its curve's colour.
#[test]
fn legends_sit_beside_the_data() {
    use lumen_fdtd::plot::figure::{plot_layout, render_plot, PlotFigure, Series};
    let rising = vec![(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)];
    let falling = vec![(0.0, 1.0), (0.5, 0.5), (1.0, 0.0)];
    let series = |label: &str, color, points: &Vec<(f64, f64)>, dashed| Series {
        label: Some(label.to_string()),
        color,
        points: points.clone(),
        dashed,
        markers: true,
    };
    let fig = PlotFigure {
        title: "corners".into(),
        x_desc: "x".into(),
        y_desc: "y".into(),
        series: vec![
            series("rising, with a rather long legend entry", SERIES_COLORS[0], &rising, false),
            series("falling", SERIES_COLORS[1], &falling, true),
        ],
        vlines: Vec::new(),
        x_range: None,
        log_y: false,
        footer: None,
    };
    let img = render_plot(&fig).unwrap();
    let layout = plot_layout(&fig);
    assert_eq!((img.width, img.height), (layout.width, layout.height));
    let (px, py, pw, ph) = layout.plot_area;
    let (lx, ly, lw, lh) = layout.legend.expect("labelled curves get a legend");
    assert!(
        lx >= px + pw,
        "the legend box ({lx}..) starts right of the plot area (..{})",
        px + pw
    );
    assert!(lx + lw <= img.width && ly + lh <= img.height, "the legend box lies in the image");
    // Data span 0..1 on both axes, padded by 5 % each side.
    let at = |x: f64, y: f64| {
        (
            (px as f64 + (x + 0.05) / 1.1 * pw as f64) as u32,
            (py as f64 + (1.05 - y) / 1.1 * ph as f64) as u32,
        )
    };
    let shows = |p: (u32, u32), c: [u8; 3]| (p.1 - 2..=p.1 + 2).any(|y| (p.0 - 2..=p.0 + 2).any(|x| img.pixel(x, y) == c));
    for (pts, c) in [(&rising, SERIES_COLORS[0]), (&falling, SERIES_COLORS[1])] {
        for &(x, y) in pts.iter().filter(|p| p.0 != 0.5) {
            assert!(shows(at(x, y), c), "the point ({x}, {y}) is drawn, not covered");
        }
    }
    // The legend box holds both line samples; the plot area has no box border.
    let in_box = |c: [u8; 3]| (ly..ly + lh).any(|y| (lx..lx + lw).any(|x| img.pixel(x, y) == c));
    assert!(
        in_box(SERIES_COLORS[0]) && in_box(SERIES_COLORS[1]),
        "both entries in the legend box"
    );
    // Without labels: no legend, the plain size.
    let bare = PlotFigure {
        series: fig.series.iter().map(|s| Series { label: None, ..s.clone() }).collect(),
        ..fig.clone()
    };
    let l = plot_layout(&bare);
    assert_eq!(l.legend, None);
    assert_eq!((l.width, l.height), plot_figure_size(false));
}

/// The pixel of (u, v) um in a 2D scene plot of a `w` x `h` um domain.
fn scene_pixel(w: f64, h: f64, u: f64, v: f64) -> (u32, u32) {
    let rect = panel_rect(&[(w, h)], 0);
    pixel(rect, (-0.5 * w, 0.5 * w), (-0.5 * h, 0.5 * h), u, v)
}

/// A 4 x 3 um scene of `background` with `geometry` (TOML), no PML.
fn small_scene(materials: &str, background: &str, geometry: &str) -> String {
    format!(
        r#"
[simulation]
size_um = [4.0, 3.0]
resolution = 20
background = "{background}"

[boundaries]
default = {{ type = "pml", thickness_um = 0.3 }}

{materials}

{geometry}

[[sources]]
type = "dipole"
position_um = [-1.5, -1.0]
wavelength_um = 0.45
bandwidth_um = 0.05

[run]
until_fs = 10
"#
    )
}

const CORE_CLAD: &str = r#"
[materials.clad]
index = 1.45
[materials.core]
index = 1.50
[materials.gan]
index = 2.45
[materials.silver]
eps = 1.0
poles = [{ type = "drude", frequency = 7.26, gamma = 0.0145, sigma = 1.0 }]
"#;

const CORE_BOX: &str = r#"
[[geometry]]
type = "box"
center_um = [0.0, 0.0]
size_um = [2.0, 0.6]
material = "core"
"#;

/// The permittivity scale spans the scene's own values: a 1.50 core in
/// 1.45 cladding is white against dark grey, not two near-identical greys;
/// with a GaN block stretching the range, the steps between media are still
/// outlined.
#[test]
fn a_small_index_step_is_visible() {
    let dir = workdir("step");
    let scene = dir.join("core.toml");
    std::fs::write(&scene, small_scene(CORE_CLAD, "clad", CORE_BOX)).unwrap();
    ok(&plot(&[scene.to_str().unwrap()]));
    let png = Png::read(&dir.join("core.png"));
    let (core, clad) = (scene_pixel(4.0, 3.0, 0.3, 0.1), scene_pixel(4.0, 3.0, 0.3, 0.8));
    assert_eq!(png.at(clad.0, clad.1), [255, 255, 255], "the cladding, the lowest ε, is white");
    let (b_core, b_clad) = (png.brightness(core), png.brightness(clad));
    assert!(b_clad > b_core + 400, "core ({b_core}) far darker than the cladding ({b_clad})");
    assert!(
        has_outline_near(&png, scene_pixel(4.0, 3.0, 1.0, 0.0), 2),
        "the core's edge outlined"
    );
    assert!(
        has_outline_near(&png, scene_pixel(4.0, 3.0, 0.0, 0.3), 2),
        "the core's top outlined"
    );
    assert!(
        !has_outline_near(&png, scene_pixel(4.0, 3.0, 0.5, 0.8), 3),
        "no line in uniform cladding"
    );

    let with_gan = format!("{CORE_BOX}\n[[geometry]]\ntype = \"box\"\ncenter_um = [0.0, 1.0]\nsize_um = [1.0, 0.4]\nmaterial = \"gan\"\n");
    let scene = dir.join("gan.toml");
    std::fs::write(&scene, small_scene(CORE_CLAD, "clad", &with_gan)).unwrap();
    ok(&plot(&[scene.to_str().unwrap()]));
    let png = Png::read(&dir.join("gan.png"));
    assert!(
        has_outline_near(&png, scene_pixel(4.0, 3.0, 1.0, 0.0), 2),
        "the core outlined next to GaN"
    );
    let gan = scene_pixel(4.0, 3.0, 0.1, 1.05);
    assert!(png.brightness(gan) < png.brightness(core), "GaN the darkest");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Drude metal is drawn hatched gold, not as its eps_inf = 1 (vacuum);
/// the metal does not stretch the permittivity scale.
#[test]
fn metals_are_drawn_as_metals() {
    use lumen_fdtd::plot::structure::{METAL_FILL, METAL_HATCH};
    let dir = workdir("metal");
    let mirror = r#"
[[geometry]]
type = "box"
center_um = [0.0, -0.8]
size_um = [3.0, 0.4]
material = "silver"
"#;
    let scene = dir.join("m.toml");
    std::fs::write(&scene, small_scene(CORE_CLAD, "vacuum", &format!("{CORE_BOX}{mirror}"))).unwrap();
    ok(&plot(&[scene.to_str().unwrap()]));
    let png = Png::read(&dir.join("m.png"));
    let (x0, y0) = scene_pixel(4.0, 3.0, -1.0, -0.7);
    let (x1, y1) = scene_pixel(4.0, 3.0, 1.0, -0.9);
    let (mut fill, mut hatch, mut other) = (0, 0, 0);
    for y in y0..y1 {
        for x in x0..x1 {
            match png.at(x, y) {
                c if c == METAL_FILL => fill += 1,
                c if c == METAL_HATCH => hatch += 1,
                _ => other += 1,
            }
        }
    }
    assert!(
        fill > 0 && hatch > 0 && other == 0,
        "the mirror: {fill} fill, {hatch} hatch, {other} other pixels"
    );
    assert!(hatch * 2 < fill, "hatch lines, not a hatch colour fill: {hatch} vs {fill}");
    let vac = scene_pixel(4.0, 3.0, 0.5, 0.9);
    assert_eq!(png.at(vac.0, vac.1), [255, 255, 255], "vacuum white");
    // The same block as a dielectric of eps 1 is not gold.
    let glass = dir.join("g.toml");
    std::fs::write(
        &glass,
        small_scene(CORE_CLAD, "vacuum", &format!("{CORE_BOX}{}", mirror.replace("silver", "clad"))),
    )
    .unwrap();
    ok(&plot(&[glass.to_str().unwrap()]));
    let g = Png::read(&dir.join("g.png"));
    let c = scene_pixel(4.0, 3.0, 0.1, -0.8);
    assert!(g.at(c.0, c.1) != METAL_FILL && g.at(c.0, c.1) != METAL_HATCH);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An LED scene: its whole active region and every dipole position are
/// drawn, not only the first dipole.
const LED_SCENE: &str = r#"
[simulation]
dimensions = "2d"
polarization = "te"
size_um = [4.0, 3.0]
resolution = 20

[boundaries]
default = { type = "pml", thickness_um = 0.5 }

[materials.core]
index = 2.0

[[geometry]]
type = "box"
center_um = [0.0, -0.6]
size_um = [6.0, 0.4]
material = "core"

[[sources]]
name = "led"
type = "led"
center_um = [0.0, 0.2]
size_um = [1.6, 0.4]
positions = [4, 2]
orientations = ["x"]
wavelength_um = 0.6
bandwidth_um = 0.05
wavelength_range_um = [0.55, 0.65]
points = 3
target_port = "guide"
extraction_monitor = "box"

[[monitors]]
name = "guide"
type = "mode"
center_um = [1.3, -0.6]
size_um = [0.0, 1.6]
modes = 2
wavelength_range_um = [0.55, 0.65]
points = 3

[[monitors]]
name = "box"
type = "flux"
center_um = [0.0, 0.2]
size_um = [2.0, 0.8]
wavelength_range_um = [0.55, 0.65]
points = 3

[run]
until_fs = 30
"#;

#[test]
fn an_led_is_drawn_whole() {
    let dir = workdir("ledscene");
    let scene = dir.join("led.toml");
    std::fs::write(&scene, LED_SCENE).unwrap();
    ok(&plot(&[scene.to_str().unwrap()]));
    let png = Png::read(&dir.join("led.png"));
    let red = |c: [u8; 3]| c[0] > 180 && c[1] < 90 && c[2] < 90;
    let red_near = |p: (u32, u32), r: u32| (p.1 - r..=p.1 + r).any(|y| (p.0 - r..=p.0 + r).any(|x| red(png.at(x, y))));
    // Dipoles on a 4 x 2 grid, cell-centred in the 1.6 x 0.4 um region: x
    // = -0.6, -0.2, 0.2, 0.6 and y = 0.1, 0.3. The first and the last.
    for (u, v) in [(-0.6, 0.1), (0.6, 0.3), (0.2, 0.1)] {
        assert!(red_near(scene_pixel(4.0, 3.0, u, v), 1), "a dot at the dipole ({u}, {v})");
    }
    // The region's edges (x = +-0.8, y = 0 and 0.4) and its tinted inside.
    for (u, v) in [(0.8, 0.2), (-0.8, 0.2), (0.0, 0.4), (0.0, 0.0)] {
        assert!(red_near(scene_pixel(4.0, 3.0, u, v), 2), "the region's edge at ({u}, {v})");
    }
    let inside = scene_pixel(4.0, 3.0, 0.0, 0.2);
    let c = png.at(inside.0, inside.1);
    assert!(c[0] as i32 > c[1] as i32 + 30 && c[1] > 120, "the region tinted red: {c:?}");
    let outside = scene_pixel(4.0, 3.0, 0.0, 0.7);
    assert!(!red_near(outside, 3), "nothing red above the region");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The LED coupling report: one curve per port (fundamental solid, all
/// guided dashed) and the extraction, against wavelength, legend beside.
/// Synthetic values, so the picture's rows follow from them; then a real
/// LED run, drawn with everything else when no --monitor is given.
#[test]
fn led_coupling_report() {
    use lumen_fdtd::output::ExtraGroup;
    let dir = workdir("ledreport");
    let h5 = dir.join("rep.h5");
    let grid = Grid::new([4.0, 3.0, 0.0], 10.0, 0.5, Dimensions::Two(Polarization::Te)).unwrap();
    let nan = f64::NAN;
    let col = |v: [f64; 4]| ndarray::Array1::from(v.to_vec()).into_dyn();
    let mut report = ExtraGroup::new("led/report");
    report.datasets = vec![
        ("wavelength_um".into(), col([0.44, 0.45, 0.46, nan])),
        ("source_power".into(), col([1.0, 2.0, 1.0, nan])),
        ("extraction".into(), col([0.6, 0.6, 0.6, 0.6])),
        ("guide/fundamental".into(), col([0.1, 0.1, 0.1, 0.1])),
        ("guide/guided".into(), col([0.3, 0.3, 0.3, 0.3])),
    ];
    write_result_with(&h5, &grid, &[], &[report]);
    let r = h5.to_str().unwrap();
    let o = plot(&[r, "--monitor", "led"]);
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("LED coupling report: ports guide, extraction over 3 wavelengths"),
        "{out}"
    );
    let png = &Png::read(&dir.join("rep.led.png"));
    assert_legend_beside(png);
    // Rows of each colour between the first two wavelengths (left of the legend).
    let rows = |c: [u8; 3]| -> Vec<u32> {
        let mut v: Vec<u32> = (200..400)
            .flat_map(|x| (0..png.height - 100).filter(move |&y| near(png.at(x, y), c, 6)))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mean = |v: &[u32]| v.iter().map(|&y| y as f64).sum::<f64>() / v.len().max(1) as f64;
    let extraction = mean(&rows([60, 60, 60]));
    let guide = rows(SERIES_COLORS[0]);
    assert!(!guide.is_empty(), "the port's curves drawn");
    let mid = (guide[0] + guide[guide.len() - 1]) / 2;
    let (upper, lower): (Vec<u32>, Vec<u32>) = guide.into_iter().partition(|&y| y < mid);
    let (guided, fundamental) = (mean(&upper), mean(&lower));
    assert!(
        extraction < guided && guided < fundamental,
        "top to bottom: extraction 0.6 ({extraction}), all guided 0.3 ({guided}), fundamental 0.1 ({fundamental})"
    );
    // A linear axis (values within two decades): equal steps, equal heights.
    let ratio = (fundamental - guided) / (guided - extraction);
    assert!((ratio - 2.0 / 3.0).abs() < 0.05, "0.3 - 0.1 over 0.6 - 0.3: {ratio:.3}");
    let err = fails_with(&plot(&[r, "--monitor", "led", "--frame", "1"]), 2);
    assert!(err.contains("LED report"), "{err}");

    // A real LED run: the report drawn with the monitors.
    let scene = dir.join("led.toml");
    std::fs::write(&scene, LED_SCENE).unwrap();
    let run_h5 = dir.join("led.h5");
    let run = lumen()
        .args(["run", scene.to_str().unwrap(), "-o", run_h5.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(run.status.success(), "lumen run: {}", String::from_utf8_lossy(&run.stderr));
    let o = plot(&[run_h5.to_str().unwrap()]);
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("(guide, box, led_source_power, led)"), "{out}");
    assert!(
        out.contains("LED coupling report: ports guide, extraction over 3 wavelengths"),
        "{out}"
    );
    let rep = Png::read(&dir.join("led.led.png"));
    assert_legend_beside(&rep);
    assert!(!rows_of(&rep, SERIES_COLORS[0]).is_empty(), "the port's curves drawn");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Rows of the image holding colour `c` (within 6 per channel).
fn rows_of(png: &Png, c: [u8; 3]) -> Vec<u32> {
    (0..png.height)
        .filter(|&y| (0..png.width).any(|x| near(png.at(x, y), c, 6)))
        .collect()
}
