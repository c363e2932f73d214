//! The HDF5 result file: write a hand-made record (no GPU), check the atomic
//! replace, read it back with `read_summary` / `read_flux`, and read it with
//! h5py as a user would (`pip install h5py numpy`).

use std::path::{Path, PathBuf};
use std::process::Command;

use lumen_fdtd::monitor::dft::{FaceFields, MonitorData, MonitorResult};
use lumen_fdtd::output::{self, NormalizedFlux, OutputError, ProbeRecord, RunRecord};
use lumen_fdtd::{Component, Dimensions, Grid};
use ndarray::Array4;
use num_complex::Complex64;

const SCENE: &str = "# micro-LED \u{b5}m test \u{2014} \"quoted\"\n[domain]\nsize_um = [2.0, 2.0, 1.0]\n\tresolution = 20\n";
const OFFSET: [f64; 3] = [1.0, 0.5, 0.25];

/// Everything a RunRecord borrows.
struct Fixture {
    grid: Grid,
    probes: Vec<ProbeRecord>,
    monitors: Vec<MonitorResult>,
    normalized: Vec<NormalizedFlux>,
}

impl Fixture {
    fn record(&self) -> RunRecord<'_> {
        RunRecord {
            program_version: env!("CARGO_PKG_VERSION"),
            scene_text: SCENE,
            scene_path: "scenes/test.toml",
            grid: &self.grid,
            origin_offset_um: OFFSET,
            steps: 1234,
            wall_time_s: 5.5,
            adapter: "test adapter",
            complete: true,
            stop_reason: "finished",
            probes: &self.probes,
            monitors: &self.monitors,
            normalized: &self.normalized,
            extra: &[],
            warnings: &[],
        }
    }
}

/// Positions of `n` samples from cell `lo` with a Yee offset `o` (cells), grid coordinates.
fn axis(grid: &Grid, lo: usize, n: usize, o: f64) -> Vec<f64> {
    (0..n).map(|i| (lo + i) as f64 * grid.dx + o * grid.dx).collect()
}

/// Face field values that are not representable in f32, so a complex64
/// round trip would show: (f + s/3) + i (slot - s/7).
fn face_rows(slot: usize, nf: usize, ns: usize) -> Vec<Vec<Complex64>> {
    (0..nf)
        .map(|f| {
            (0..ns)
                .map(|s| Complex64::new(f as f64 + s as f64 / 3.0, slot as f64 - s as f64 / 7.0))
                .collect()
        })
        .collect()
}

fn fixture() -> Fixture {
    let grid = Grid::new([2.0, 2.0, 1.0], 20.0, 0.5, Dimensions::Three).expect("grid");
    let probes = vec![
        ProbeRecord {
            name: "center".into(),
            component: Component::Ez,
            position_um: [1.0, 1.0, 0.5],
            samples: (0..100).map(|n| (n as f32 * 0.1).sin()).collect(),
        },
        ProbeRecord {
            name: "h".into(),
            component: Component::Hx,
            position_um: [0.5, 0.5, 0.5],
            samples: vec![1.0, 2.0, 3.0],
        },
    ];
    // DFT fields: Ez = (100 f + i) - i/4 (j + 10 k), exact in f32. Big enough (3 x 8 x 20 x 20
    // complex64 = 77 kB) to be compressed.
    let ez = Array4::from_shape_fn((3, 8, 20, 20), |(f, k, j, i)| {
        Complex64::new(100.0 * f as f64 + i as f64, -0.25 * (j + 10 * k) as f64)
    });
    let hy = Array4::from_shape_fn((3, 1, 2, 2), |(f, _, j, i)| Complex64::new(f as f64, (i + j) as f64));
    let ez_pos = [axis(&grid, 10, 20, 0.0), axis(&grid, 5, 20, 0.0), axis(&grid, 2, 8, 0.5)];
    let hy_pos = [axis(&grid, 3, 2, 0.5), axis(&grid, 4, 2, 0.0), axis(&grid, 7, 1, 0.5)];
    // A snapshot of 4 frames of 100 x 50 (80 kB, compressed) with f32 values t * 1000 + j * 50 + i.
    let frames = Array4::from_shape_fn((4, 1, 100, 50), |(t, _, j, i)| (t * 1000 + j * 50 + i) as f32);
    let monitors = vec![
        MonitorResult {
            name: "field".into(),
            data: MonitorData::DftFields {
                wavelengths_um: vec![0.45, 0.5, 0.55],
                components: vec![(Component::Ez, ez_pos, ez), (Component::Hy, hy_pos, hy)],
            },
        },
        MonitorResult {
            name: "trans".into(),
            data: MonitorData::Flux {
                wavelengths_um: vec![0.5, 0.6],
                flux: vec![1.5, 2.5],
                faces: vec![
                    FaceFields {
                        weights: Default::default(),
                        axis: 2,
                        sign: -1.0,
                        fields: [0, 1, 2, 3].map(|k| face_rows(k, 2, 6)),
                    },
                    // As in a 2D TE run: E2 and H1 not evolved.
                    FaceFields {
                        weights: Default::default(),
                        axis: 0,
                        sign: 1.0,
                        fields: [face_rows(0, 2, 3), Vec::new(), Vec::new(), face_rows(3, 2, 3)],
                    },
                ],
            },
        },
        MonitorResult {
            name: "src".into(),
            data: MonitorData::SourcePower {
                wavelengths_um: vec![0.5, 0.6],
                power: vec![2.0, 8.0],
                source_spectrum: vec![Complex64::new(1.0, 1.0), Complex64::new(0.0, 2.0)],
            },
        },
        MonitorResult {
            name: "snap".into(),
            data: MonitorData::Snapshot {
                component: Component::Ey,
                positions: [axis(&grid, 0, 50, 0.0), axis(&grid, 0, 100, 0.5), vec![0.5]],
                times: vec![10.0, 20.0, 30.0, 40.0],
                frames,
            },
        },
    ];
    let normalized = vec![NormalizedFlux {
        monitor: "trans".into(),
        reference_file: "ref.h5".into(),
        incident_monitor: "incident".into(),
        incident_flux: vec![3.0, 5.0],
        scattered_flux: Some(vec![0.25, 0.5]),
        ratio: vec![0.5, 0.5],
    }];
    Fixture {
        grid,
        probes,
        monitors,
        normalized,
    }
}

fn test_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hdf5_output").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create test directory");
    d
}

fn tmp_of(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}.tmp", p.display()))
}

#[test]
fn summary_and_flux_round_trip() {
    let fx = fixture();
    let dir = test_dir("round_trip");
    let path = dir.join("result.h5");
    output::write(&path, &fx.record()).expect("write");
    assert!(path.exists());
    assert!(!tmp_of(&path).exists(), "temporary file left behind");

    let s = output::read_summary(&path).expect("read_summary");
    assert_eq!(s.program, "lumen-fdtd");
    assert_eq!(s.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(s.format_version, output::FORMAT_VERSION);
    assert_eq!(s.scene, SCENE);
    assert_eq!(s.scene_path, "scenes/test.toml");
    assert_eq!(s.units, output::UNITS);
    assert_eq!((s.dimensions, s.polarization.as_str()), (3, ""));
    assert_eq!(s.grid_shape, [40, 40, 20]);
    assert_eq!(s.cell_size_um, 0.05);
    assert_eq!(s.origin_offset_um, OFFSET);
    assert_eq!(s.dt, fx.grid.dt);
    assert!((s.dt_fs - lumen_fdtd::units::time_to_fs(fx.grid.dt)).abs() < 1e-15);
    assert!((s.simulated_time_fs - 1234.0 * s.dt_fs).abs() < 1e-9 * s.simulated_time_fs);
    assert_eq!((s.steps, s.wall_time_s, s.adapter.as_str()), (1234, 5.5, "test adapter"));
    assert!(s.complete);
    assert_eq!(s.stop_reason, "finished");
    assert!(s.created.ends_with('Z') && s.created.len() == 20, "{}", s.created);

    let probes: Vec<(&str, &str, u64)> = s
        .probes
        .iter()
        .map(|p| (p.name.as_str(), p.component.as_str(), p.samples))
        .collect();
    assert_eq!(probes, [("center", "Ez", 100), ("h", "Hx", 3)]);
    assert_eq!(
        s.probes[0].position_um,
        [0.0, 0.5, 0.25],
        "probe positions are in scene coordinates"
    );

    let kinds: Vec<(&str, &str, bool)> = s
        .monitors
        .iter()
        .map(|m| (m.name.as_str(), m.kind.as_str(), m.normalized))
        .collect();
    // In the order they were written (the scene's order), not by name.
    assert_eq!(
        kinds,
        [
            ("field", "dft_fields", false),
            ("trans", "flux", true),
            ("src", "source_power", false),
            ("snap", "snapshot", false)
        ]
    );
    let ds = |m: &str, d: &str| {
        let mon = s.monitors.iter().find(|x| x.name == m).expect("monitor");
        let d = mon
            .datasets
            .iter()
            .find(|x| x.name == d)
            .unwrap_or_else(|| panic!("{m}/{d} missing: {:?}", mon.datasets));
        (d.shape.clone(), d.dtype.clone())
    };
    assert_eq!(ds("field", "Ez"), (vec![3, 8, 20, 20], "complex64".to_string()));
    assert_eq!(ds("field", "Ez_z_um"), (vec![8], "float64".to_string()));
    assert_eq!(ds("trans", "faces/0/E1"), (vec![2, 6], "complex128".to_string()));
    assert_eq!(ds("trans", "ratio"), (vec![2], "float64".to_string()));
    assert_eq!(ds("snap", "frames"), (vec![4, 1, 100, 50], "float32".to_string()));
    assert_eq!(ds("src", "source_spectrum"), (vec![2], "complex128".to_string()));
    let trans = s.monitors.iter().find(|m| m.name == "trans").expect("trans");
    assert!(
        !trans.datasets.iter().any(|d| d.name == "faces/1/E2"),
        "absent components are not written"
    );
    assert_eq!(trans.wavelengths_um, [0.5, 0.6]);
    let text = s.to_string();
    assert!(text.contains("trans (flux, 2 wavelengths 0.5 .. 0.6 um, normalized)"), "{text}");
    assert!(text.contains("faces/0/E1 [2 x 6] complex128"), "{text}");

    let (wl, flux, faces) = output::read_flux(&path, "trans").expect("read_flux");
    let MonitorData::Flux {
        wavelengths_um,
        flux: f0,
        faces: faces0,
    } = &fx.monitors[1].data
    else {
        unreachable!()
    };
    assert_eq!(&wl, wavelengths_um);
    assert_eq!(&flux, f0);
    assert_eq!(&faces, faces0, "face DFT fields must round-trip bit for bit (complex128)");
}

#[test]
fn write_is_atomic_and_replaces() {
    let fx = fixture();
    let dir = test_dir("atomic");
    let path = dir.join("result.h5");
    std::fs::write(&path, b"an older result").expect("seed old file");
    std::fs::write(tmp_of(&path), b"a stale temporary from a killed run").expect("seed stale tmp");
    output::write(&path, &fx.record()).expect("write over an existing file");
    assert!(!tmp_of(&path).exists(), "temporary file left behind");
    assert_eq!(output::read_summary(&path).expect("new file").steps, 1234);
    let only: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(only, ["result.h5"]);

    // A record that cannot be written leaves the existing file as it was.
    let mut bad = fixture();
    bad.monitors[1].name = "field".into();
    let mut rec = bad.record();
    rec.steps = 99;
    let e = output::write(&path, &rec).expect_err("duplicate monitor names");
    assert!(matches!(e, OutputError::InvalidRecord { .. }), "{e}");
    assert!(e.to_string().contains("two monitors have this name"), "{e}");
    assert_eq!(output::read_summary(&path).expect("old file intact").steps, 1234);
    assert!(!tmp_of(&path).exists());

    // A second write replaces the first.
    let mut rec = fx.record();
    rec.steps = 7;
    rec.complete = false;
    rec.stop_reason = "interrupted (Ctrl-C)";
    output::write(&path, &rec).expect("rewrite");
    let s = output::read_summary(&path).expect("rewritten");
    assert_eq!((s.steps, s.complete, s.stop_reason.as_str()), (7, false, "interrupted (Ctrl-C)"));
    assert!(s.to_string().contains("INCOMPLETE (interrupted (Ctrl-C))"), "{s}");
}

#[test]
fn errors_name_the_file_and_the_object() {
    let fx = fixture();
    let dir = test_dir("errors");
    let path = dir.join("result.h5");
    output::write(&path, &fx.record()).expect("write");

    let e = output::read_flux(&path, "src").expect_err("not a flux monitor");
    assert!(
        e.to_string().contains("/monitors/src") && e.to_string().contains("not a flux monitor"),
        "{e}"
    );
    let e = output::read_flux(&path, "nope").expect_err("missing monitor");
    assert!(
        e.to_string().contains("no such monitor; the file has: field, trans, src, snap"),
        "{e}"
    );

    let junk = dir.join("junk.h5");
    std::fs::write(&junk, b"not hdf5").expect("junk");
    let e = output::read_summary(&junk).expect_err("not HDF5");
    assert!(
        matches!(e, OutputError::Hdf5 { .. }) && e.to_string().contains("junk.h5: open file"),
        "{e}"
    );

    let nodir = dir.join("no/such/dir/result.h5");
    let e = output::write(&nodir, &fx.record()).expect_err("missing directory");
    assert!(e.to_string().contains("result.h5.tmp: create file"), "{e}");

    let mut bad = fixture();
    bad.probes[0].name = "a/b".into();
    let e = output::write(&path, &bad.record()).expect_err("slash in a name");
    assert!(e.to_string().contains("probe `a/b`"), "{e}");

    let mut bad = fixture();
    bad.normalized[0].ratio.push(1.0);
    let e = output::write(&path, &bad.record()).expect_err("ratio length");
    assert!(
        e.to_string().contains("ratio has 3 values but the monitor has 2 wavelengths"),
        "{e}"
    );
}

/// What h5py must see; the expected values repeat the formulas of `fixture`.
const H5PY_CHECK: &str = r#"
import sys
import h5py
import numpy as np

path, scene, version = sys.argv[1], sys.argv[2], sys.argv[3]
with h5py.File(path, "r") as f:
    a = f.attrs
    assert a["program"] == "lumen-fdtd", a["program"]
    assert a["version"] == version
    assert a["scene"] == scene, repr(a["scene"])
    assert a["scene_path"] == "scenes/test.toml"
    assert a["units"].startswith("lengths um; time fs"), a["units"]
    assert a["dimensions"] == 3 and a["polarization"] == ""
    assert list(a["grid_shape"]) == [40, 40, 20], a["grid_shape"]
    assert a["cell_size_um"] == 0.05
    assert list(a["origin_offset_um"]) == [1.0, 0.5, 0.25]
    assert abs(a["dt_fs"] - a["dt"] * 3.3356409519815204) < 1e-12
    assert a["steps"] == 1234 and a["complete"] == 1 and a["stop_reason"] == "finished"
    assert a["adapter"] == "test adapter" and a["wall_time_s"] == 5.5
    dt_fs = a["dt_fs"]

    p = f["probes/center"]
    assert p.attrs["component"] == "Ez"
    assert list(p.attrs["position_um"]) == [0.0, 0.5, 0.25]
    assert p["samples"].dtype == np.float32 and p["samples"].shape == (100,)
    np.testing.assert_allclose(p["samples"][:], np.sin(np.arange(100, dtype=np.float32) * np.float32(0.1)), rtol=1e-6)
    np.testing.assert_allclose(p["times_fs"][:], (np.arange(100) + 1.0) * dt_fs, rtol=1e-14)
    np.testing.assert_allclose(f["probes/h/times_fs"][:], (np.arange(3) + 0.5) * dt_fs, rtol=1e-14)

    m = f["monitors/field"]
    assert m.attrs["type"] == "dft_fields" and m.attrs["components"] == "Ez,Hy"
    np.testing.assert_allclose(m["frequencies"][:], 1 / np.array([0.45, 0.5, 0.55]))
    ez = m["Ez"][...]
    assert ez.dtype == np.complex64, ez.dtype
    assert m["Ez"].compression == "gzip", m["Ez"].compression
    fr, k, j, i = np.meshgrid(np.arange(3), np.arange(8), np.arange(20), np.arange(20), indexing="ij")
    np.testing.assert_array_equal(ez, (100 * fr + i) - 0.25j * (j + 10 * k))
    np.testing.assert_allclose(m["Ez_x_um"][:], (10 + np.arange(20)) * 0.05 - 1.0, atol=1e-12)
    np.testing.assert_allclose(m["Ez_z_um"][:], (2.5 + np.arange(8)) * 0.05 - 0.25, atol=1e-12)
    assert m["Hy"].shape == (3, 1, 2, 2) and m["Hy"].compression is None

    t = f["monitors/trans"]
    assert t.attrs["type"] == "flux"
    np.testing.assert_array_equal(t["flux"][:], [1.5, 2.5])
    f0 = t["faces/0"]
    assert f0.attrs["axis"] == 2 and f0.attrs["axis_name"] == "z" and f0.attrs["sign"] == -1.0
    assert f0.attrs["components"] == "E1=Ex,E2=Ey,H1=Hx,H2=Hy"
    for slot, name in enumerate(["E1", "E2", "H1", "H2"]):
        d = f0[name][...]
        assert d.dtype == np.complex128, d.dtype
        fq, s = np.meshgrid(np.arange(2), np.arange(6), indexing="ij")
        np.testing.assert_array_equal(d, (fq + s / 3.0) + 1j * (slot - s / 7.0))
    assert sorted(t["faces/1"].keys()) == ["E1", "H2"], list(t["faces/1"].keys())
    # The attribute lists only what is there.
    f1 = t["faces/1"]
    listed = dict(p.split("=") for p in f1.attrs["components"].split(","))
    assert sorted(listed) == ["E1", "H2"], f1.attrs["components"]
    assert all(f1[k].attrs["component"] == v for k, v in listed.items())
    np.testing.assert_array_equal(t["incident_flux"][:], [3.0, 5.0])
    np.testing.assert_array_equal(t["scattered_flux"][:], [0.25, 0.5])
    np.testing.assert_array_equal(t["ratio"][:], [0.5, 0.5])
    assert t.attrs["reference_file"] == "ref.h5" and t.attrs["incident_monitor"] == "incident"

    s = f["monitors/src"]
    assert s.attrs["type"] == "source_power"
    assert s["source_spectrum"].dtype == np.complex128
    np.testing.assert_array_equal(s["source_spectrum"][:], [1 + 1j, 2j])
    np.testing.assert_allclose(s["power_per_unit_source"][:], [1.0, 2.0])

    assert list(f["monitors"].keys()) == ["field", "trans", "src", "snap"], list(f["monitors"].keys())
    n = f["monitors/snap"]
    assert n.attrs["type"] == "snapshot" and n.attrs["component"] == "Ey"
    fr = n["frames"]
    assert fr.dtype == np.float32 and fr.shape == (4, 1, 100, 50) and fr.compression == "gzip"
    tt, _, j, i = np.meshgrid(np.arange(4), [0], np.arange(100), np.arange(50), indexing="ij")
    np.testing.assert_array_equal(fr[...], (tt * 1000 + j * 50 + i).astype(np.float32))
    np.testing.assert_allclose(n["times_fs"][:], np.array([10.0, 20, 30, 40]) * 3.3356409519815204, rtol=1e-14)
    np.testing.assert_allclose(n["y_um"][:], (np.arange(100) + 0.5) * 0.05 - 0.5, atol=1e-12)
print("h5py ok")
"#;

#[test]
fn h5py_reads_complex_attributes_and_scene() {
    let fx = fixture();
    let dir = test_dir("h5py");
    let path = dir.join("result.h5");
    output::write(&path, &fx.record()).expect("write");

    let probe = Command::new("python3").args(["-c", "import h5py, numpy"]).output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "python3 cannot import h5py/numpy, which this test needs to check the file as users read it: \
             run `pip install h5py numpy`\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run python3 ({e}); install Python 3, then `pip install h5py numpy`"),
    }
    let out = Command::new("python3")
        .args(["-c", H5PY_CHECK])
        .arg(&path)
        .arg(SCENE)
        .arg(env!("CARGO_PKG_VERSION"))
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "h5py check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("h5py ok"));
}

#[test]
fn empty_run_writes_a_valid_file() {
    // A run stopped before any monitor or probe produced data still leaves a
    // readable file that says why.
    let grid = Grid::new([1.0, 1.0, 0.0], 10.0, 0.5, Dimensions::Two(lumen_fdtd::Polarization::Te)).expect("grid");
    let snap = MonitorResult {
        name: "snap".into(),
        data: MonitorData::Snapshot {
            component: Component::Hz,
            positions: [axis(&grid, 0, 10, 0.5), axis(&grid, 0, 10, 0.5), vec![0.0]],
            times: Vec::new(),
            frames: Array4::zeros((0, 1, 10, 10)),
        },
    };
    let monitors = [snap];
    let probes = [ProbeRecord {
        name: "p".into(),
        component: Component::Hz,
        position_um: [0.5, 0.5, 0.0],
        samples: Vec::new(),
    }];
    let rec = RunRecord {
        program_version: "0.0.0",
        scene_text: "",
        scene_path: "",
        grid: &grid,
        origin_offset_um: [0.0; 3],
        steps: 0,
        wall_time_s: 0.0,
        adapter: "",
        complete: false,
        stop_reason: "error: out of memory",
        probes: &probes,
        monitors: &monitors,
        normalized: &[],
        extra: &[],
        warnings: &[],
    };
    let dir = test_dir("empty");
    let path = dir.join("empty.h5");
    output::write(&path, &rec).expect("write");
    let s = output::read_summary(&path).expect("read");
    assert_eq!((s.dimensions, s.polarization.as_str(), s.grid_shape), (2, "te", [10, 10, 1]));
    assert!(!s.complete && s.stop_reason == "error: out of memory");
    assert_eq!(s.probes[0].samples, 0);
    assert_eq!(
        s.monitors[0].datasets.iter().find(|d| d.name == "frames").map(|d| d.shape.clone()),
        Some(vec![0, 1, 10, 10])
    );
}
