//! `lumen sweep` and `lumen compare` through the binary, on a cheap 2D scene
//! (a dipole above a glass block, 80 x 80 cells, 20 fs):
//! - a 3 x 2 grid sweep with per-variant reference runs gives one result
//!   file per variant, a CSV (read with the csv crate) and an HDF5 summary
//!   (read with the hdf5 crate) that agree, and values bit-identical to
//!   running one variant alone with `lumen run --set ...`;
//! - a rerun after result files were lost runs only those variants;
//! - two shards plus `--collect` give the unsharded table;
//! - a variant with an invalid value is a failed row with its error, and
//!   the others complete (exit code 4);
//! - a bad sweep file is refused with exit code 2 and runs nothing.
//!
//! Wall times differ between runs, so table comparisons leave out
//! `wall_time_s`; every other cell must be equal as text, which for
//! numbers means bit for bit (the table writes round-trip decimal text).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lumen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lumen"))
}

fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lumen-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const SCENE: &str = r#"
[simulation]
size_um = [4.0, 4.0]
resolution = 20

[materials.glass]
index = 1.5

[[geometry]]
type = "box"
center_um = [0.0, -1.25]
size_um = [inf, 1.5]
material = "glass"

[[sources]]
type = "dipole"
position_um = [0.0, 0.0]
wavelength_um = 0.5
bandwidth_um = 0.2

[[monitors]]
name = "up"
type = "flux"
center_um = [0.0, 0.75]
size_um = [2.0, 0.0]
wavelengths_um = [0.45, 0.5, 0.55]

[[monitors]]
name = "down"
type = "flux"
center_um = [0.0, -0.75]
size_um = [2.0, 0.0]
direction = "-"
wavelengths_um = [0.45, 0.5, 0.55]

[run]
until_fs = 40
"#;

/// 3 glass positions (a range) x 2 indices (a list) = 6 variants, each
/// normalised by its own empty-geometry reference run.
const SWEEP: &str = r#"
base = "scene.toml"
output = "out"
reference = "empty"
set = ["run.until_fs=20"]

[[parameters]]
key = "geometry.0.center_um.1"
start = -1.25
stop = -0.75
step = 0.25

[[parameters]]
key = "materials.glass.index"
values = [1.5, 2.0]
"#;

const OVERRIDES: [[&str; 2]; 6] = [
    ["-1.25", "1.5"],
    ["-1.25", "2.0"],
    ["-1.0", "1.5"],
    ["-1.0", "2.0"],
    ["-0.75", "1.5"],
    ["-0.75", "2.0"],
];

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap();
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// Header and rows of a CSV file.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

/// The rows without the wall_time_s column.
fn without_wall_time(header: &[String], rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let w = header.iter().position(|h| h == "wall_time_s").unwrap();
    rows.iter()
        .map(|r| r.iter().enumerate().filter(|(i, _)| *i != w).map(|(_, c)| c.clone()).collect())
        .collect()
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    rows.iter().map(|r| r[i].clone()).collect()
}

fn mtimes(dir: &Path, files: &[String]) -> HashMap<String, std::time::SystemTime> {
    files
        .iter()
        .map(|f| (f.clone(), std::fs::metadata(dir.join(f)).unwrap().modified().unwrap()))
        .collect()
}

#[test]
fn sweep_matches_single_runs_resumes_shards_and_compares() {
    let started = std::time::Instant::now();
    let d = workdir("main");
    std::fs::write(d.join("scene.toml"), SCENE).unwrap();
    std::fs::write(d.join("s.toml"), SWEEP).unwrap();
    let out = d.join("out");

    // --list: the variants, in order, without running anything.
    let o = run(lumen().arg("sweep").arg(d.join("s.toml")).args(["--list", "--json"]));
    assert!(o.status.success());
    let list = json(&o);
    assert_eq!(list.as_array().unwrap().len(), 6);
    assert!(!out.exists(), "--list created the output folder");

    // The whole sweep.
    let o = run(lumen().arg("sweep").arg(d.join("s.toml")).args(["--json", "--quiet"]));
    assert!(o.status.success(), "lumen sweep failed: {:?}", o.status);
    let report = json(&o);
    assert_eq!(
        (report["ran"].as_u64(), report["skipped"].as_u64(), report["ok"].as_u64()),
        (Some(6), Some(0), Some(6))
    );

    // The table: CSV ...
    let (header, rows) = read_csv(&out.join("summary.csv"));
    let mut expected: Vec<String> = [
        "index",
        "variant",
        "geometry.0.center_um.1",
        "materials.glass.index",
        "status",
        "wall_time_s",
    ]
    .map(String::from)
    .to_vec();
    for m in ["up", "down"] {
        for q in ["flux", "ratio"] {
            for w in ["0.45", "0.5", "0.55"] {
                expected.push(format!("{m}.{q}@{w}um"));
            }
        }
    }
    expected.extend(["file", "error", "warnings"].map(String::from));
    assert_eq!(header, expected);
    assert_eq!(rows.len(), 6);
    assert_eq!(column(&header, &rows, "index"), ["0", "1", "2", "3", "4", "5"]);
    assert_eq!(
        column(&header, &rows, "geometry.0.center_um.1"),
        ["-1.25", "-1.25", "-1", "-1", "-0.75", "-0.75"]
    );
    assert_eq!(
        column(&header, &rows, "materials.glass.index"),
        ["1.5", "2", "1.5", "2", "1.5", "2"]
    );
    assert!(column(&header, &rows, "status").iter().all(|s| s == "ok"));
    assert!(column(&header, &rows, "error").iter().all(|s| s.is_empty()));
    let ids = column(&header, &rows, "variant");
    let files = column(&header, &rows, "file");
    for (k, (id, file)) in ids.iter().zip(&files).enumerate() {
        assert!(id.starts_with(&format!("{k:04}-")) && id.len() == 13, "variant id {id}");
        assert_eq!(*file, format!("{id}.h5"));
        assert!(out.join(file).exists());
        assert_eq!(list[k]["variant"], id.as_str());
    }
    // Varying the glass position shares the reference run; its index does not.
    assert_eq!(std::fs::read_dir(out.join("refs")).unwrap().count(), 2);
    for (i, h) in header.iter().enumerate().filter(|(_, h)| h.contains('@') || *h == "wall_time_s") {
        for r in &rows {
            let v: f64 = r[i].parse().unwrap_or_else(|_| panic!("{h} = `{}`", r[i]));
            assert!(
                v.is_finite() && (h.contains(".flux@") || h == "wall_time_s" || v > 0.0),
                "{h} = {v}"
            );
        }
    }

    // ... and HDF5, read as a user would.
    {
        let f = hdf5::File::open(out.join("summary.h5")).unwrap();
        let t = f.group("table").unwrap();
        let cols: Vec<hdf5::types::VarLenUnicode> = t.attr("columns").unwrap().read_raw().unwrap();
        assert_eq!(cols.iter().map(|c| c.as_str().to_string()).collect::<Vec<_>>(), header);
        let index: Vec<i64> = t.dataset("index").unwrap().read_raw().unwrap();
        assert_eq!(index, [0, 1, 2, 3, 4, 5]);
        let status: Vec<hdf5::types::VarLenUnicode> = t.dataset("status").unwrap().read_raw().unwrap();
        assert!(status.iter().all(|s| s.as_str() == "ok"));
        for name in ["geometry.0.center_um.1", "up.ratio@0.5um", "down.flux@0.45um", "wall_time_s"] {
            let h5: Vec<f64> = t.dataset(name).unwrap().read_raw().unwrap();
            let csv: Vec<f64> = column(&header, &rows, name).iter().map(|c| c.parse().unwrap()).collect();
            assert_eq!(
                h5.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                csv.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{name}"
            );
        }
        let sweep: hdf5::types::VarLenUnicode = f.attr("sweep").unwrap().read_scalar().unwrap();
        assert_eq!(sweep.as_str(), SWEEP);
    }

    // Variant 3 alone, as a user would run it: bit-identical results.
    let sets: Vec<String> = ["run.until_fs=20".to_string()]
        .into_iter()
        .chain([
            format!("geometry.0.center_um.1={}", OVERRIDES[3][0]),
            format!("materials.glass.index={}", OVERRIDES[3][1]),
        ])
        .collect();
    let set_args: Vec<String> = sets.iter().flat_map(|s| ["--set".to_string(), s.clone()]).collect();
    let single = d.join("single");
    std::fs::create_dir_all(&single).unwrap();
    for (extra, file) in [
        (vec!["--empty".to_string()], "ref.h5"),
        (
            vec!["--reference".to_string(), single.join("ref.h5").display().to_string()],
            "one.h5",
        ),
    ] {
        let o = run(lumen()
            .arg("run")
            .arg(d.join("scene.toml"))
            .args(&set_args)
            .args(&extra)
            .arg("-o")
            .arg(single.join(file))
            .arg("--quiet"));
        assert!(o.status.success(), "lumen run {extra:?} failed");
    }
    for m in ["up", "down"] {
        for q in ["flux", "ratio"] {
            let (wl, v) = lumen_fdtd::output::read_spectrum(&single.join("one.h5"), m, q).unwrap();
            for (w, x) in wl.iter().zip(&v) {
                let name = format!("{m}.{q}@{w}um");
                let cell: f64 = column(&header, &rows, &name)[3].parse().unwrap();
                assert_eq!(cell.to_bits(), x.to_bits(), "{name}: sweep {cell}, alone {x}");
            }
        }
    }

    // Lose two results (as a killed sweep would) and rerun: only those run.
    let before = mtimes(&out, &files);
    std::thread::sleep(std::time::Duration::from_millis(50));
    for k in [1, 4] {
        std::fs::remove_file(out.join(&files[k])).unwrap();
    }
    let o = run(lumen().arg("sweep").arg(d.join("s.toml")).args(["--json", "--quiet"]));
    assert!(o.status.success());
    let report = json(&o);
    assert_eq!((report["ran"].as_u64(), report["skipped"].as_u64()), (Some(2), Some(4)), "{report}");
    let after = mtimes(&out, &files);
    for (k, f) in files.iter().enumerate() {
        assert_eq!(before[f] == after[f], k != 1 && k != 4, "{f}: modified = {}", before[f] != after[f]);
    }
    let (header2, rows2) = read_csv(&out.join("summary.csv"));
    assert_eq!(header2, header);
    assert_eq!(without_wall_time(&header2, &rows2), without_wall_time(&header, &rows));

    // Two shards in another folder, then --collect: the unsharded table.
    let sharded = d.join("sharded");
    for i in 0..2 {
        let o = run(lumen()
            .arg("sweep")
            .arg(d.join("s.toml"))
            .args(["--shard", &format!("{i}/2"), "--json", "--quiet", "-o"])
            .arg(&sharded));
        assert!(o.status.success());
        let (h, r) = read_csv(&sharded.join(format!("summary-shard-{i}-of-2.csv")));
        assert_eq!(column(&h, &r, "index"), if i == 0 { ["0", "2", "4"] } else { ["1", "3", "5"] });
    }
    assert!(!sharded.join("summary.csv").exists());
    let o = run(lumen()
        .arg("sweep")
        .arg(d.join("s.toml"))
        .arg("--collect")
        .arg(&sharded)
        .args(["--json"]));
    assert!(o.status.success());
    assert_eq!(json(&o)["ok"].as_u64(), Some(6));
    let (header3, rows3) = read_csv(&sharded.join("summary.csv"));
    assert_eq!(header3, header);
    assert_eq!(without_wall_time(&header3, &rows3), without_wall_time(&header, &rows));
    // The collected wall times are those of the shards' runs.
    let shard_walls: Vec<String> = (0..2)
        .flat_map(|i| {
            let (h, r) = read_csv(&sharded.join(format!("summary-shard-{i}-of-2.csv")));
            column(&h, &r, "wall_time_s")
        })
        .collect();
    let mut collected = column(&header3, &rows3, "wall_time_s");
    collected.sort();
    let mut shard_walls = shard_walls;
    shard_walls.sort();
    assert_eq!(collected, shard_walls);

    // Compare two designs: a table and a plot.
    let png = d.join("cmp.png");
    let o = run(lumen()
        .arg("compare")
        .arg(out.join(&files[0]))
        .arg(out.join(&files[5]))
        .arg("-o")
        .arg(&png));
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("up.ratio@0.5um") && text.contains(&ids[0]) && text.contains(&ids[5]),
        "{text}"
    );
    let head = std::fs::read(&png).unwrap();
    assert_eq!(&head[..8], b"\x89PNG\r\n\x1a\n");
    let o = run(lumen()
        .arg("compare")
        .arg(out.join("summary.csv"))
        .args(["--x", "geometry.0.center_um.1", "--metric", "up.ratio", "-o"])
        .arg(d.join("vs_gap.png")));
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("up.ratio vs geometry.0.center_um.1, 6 lines"));
    eprintln!("sweep test: {:.1} s", started.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_failed_variant_is_recorded_and_the_others_complete() {
    let d = workdir("fail");
    std::fs::write(d.join("scene.toml"), SCENE).unwrap();
    let out = d.join("out");
    let o = run(lumen()
        .arg("sweep")
        .arg("--base")
        .arg(d.join("scene.toml"))
        .args([
            "--vary",
            "sources.0.wavelength_um=0.5,-0.5,0.55",
            "--set",
            "run.until_fs=10",
            "--json",
            "--quiet",
            "-o",
        ])
        .arg(&out));
    assert_eq!(o.status.code(), Some(4), "some variants failed: exit code 4");
    let report = json(&o);
    assert_eq!((report["ok"].as_u64(), report["failed"].as_u64()), (Some(2), Some(1)), "{report}");
    let (header, rows) = read_csv(&out.join("summary.csv"));
    assert_eq!(column(&header, &rows, "status"), ["ok", "failed", "ok"]);
    let error = &column(&header, &rows, "error")[1];
    assert!(error.contains("sources.0.wavelength_um") && error.contains("-0.5"), "{error}");
    assert_eq!(column(&header, &rows, "file")[1], "");
    assert_eq!(column(&header, &rows, "up.flux@0.5um")[1], "");
    assert!(!column(&header, &rows, "up.flux@0.5um")[2].is_empty());
    let f = hdf5::File::open(out.join("summary.h5")).unwrap();
    let errors: Vec<hdf5::types::VarLenUnicode> = f.dataset("table/error").unwrap().read_raw().unwrap();
    assert_eq!(errors[1].as_str(), error);
    let flux: Vec<f64> = f.dataset("table/up.flux@0.5um").unwrap().read_raw().unwrap();
    assert!(flux[1].is_nan() && flux[0].is_finite());
    drop(f);

    // As a Python user reads them (docs/sweeps.md): h5py, and the csv module.
    let o = Command::new("python3")
        .args(["-c", PY_CHECK])
        .arg(&out)
        .output()
        .expect("python3 (with h5py, as for tests/hdf5_output.rs)");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && stdout.contains("python ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// Warnings are per variant: a flux plane moved to 1 cell from the PML warns
/// in that variant only. The summary's `warnings` column and `lumen info` of
/// its result file carry the warning; with `--strict` that variant fails (its
/// row says why) and the others still run.
#[test]
fn warnings_are_recorded_per_variant_and_strict_fails_only_that_one() {
    let d = workdir("warn");
    std::fs::write(d.join("scene.toml"), SCENE).unwrap();
    let sweep = |out: &Path, strict: bool| {
        let mut cmd = lumen();
        cmd.arg("sweep").arg("--base").arg(d.join("scene.toml")).args([
            "--vary",
            "monitors.0.center_um.1=0.75,0.95",
            "--set",
            "run.until_fs=10",
            // 9 cells per wavelength in the glass: no resolution warning.
            "--set",
            "simulation.resolution=30",
            "--json",
            "--quiet",
        ]);
        if strict {
            cmd.arg("--strict");
        }
        run(cmd.arg("-o").arg(out))
    };

    let out = d.join("plain");
    let o = sweep(&out, false);
    assert!(o.status.success(), "warnings alone do not fail a sweep");
    let (header, rows) = read_csv(&out.join("summary.csv"));
    assert_eq!(column(&header, &rows, "status"), ["ok", "ok"]);
    let warnings = column(&header, &rows, "warnings");
    assert_eq!(warnings[0], "", "the first variant is clean");
    assert!(
        warnings[1].contains("monitors.0.center_um") && warnings[1].contains("ymax PML"),
        "{warnings:?}"
    );
    let file = out.join(&column(&header, &rows, "file")[1]);
    let info = lumen().arg("info").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.contains("warnings (1, from the scene when it ran):") && text.contains("ymax PML"),
        "{text}"
    );
    let info = lumen()
        .arg("info")
        .arg(out.join(&column(&header, &rows, "file")[0]))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&info.stdout).contains("warnings"));

    let out = d.join("strict");
    let o = sweep(&out, true);
    assert_eq!(o.status.code(), Some(4), "a variant failed: exit code 4");
    let (header, rows) = read_csv(&out.join("summary.csv"));
    assert_eq!(column(&header, &rows, "status"), ["ok", "failed"]);
    let error = &column(&header, &rows, "error")[1];
    assert!(error.contains("1 warning(s) and --strict") && error.contains("ymax PML"), "{error}");
    assert!(column(&header, &rows, "warnings")[1].contains("ymax PML"));
    assert_eq!(column(&header, &rows, "file")[1], "", "nothing ran for it");
    let _ = std::fs::remove_dir_all(&d);
}

const PY_CHECK: &str = r#"
import csv, math, sys, h5py
out = sys.argv[1]
with h5py.File(out + "/summary.h5") as f:
    assert f.attrs["kind"] == "sweep_summary", f.attrs["kind"]
    t = f["table"]
    cols = [c.decode() if isinstance(c, bytes) else c for c in t.attrs["columns"]]
    assert list(t.keys()) == cols, (list(t.keys()), cols)
    d = {c: t[c].asstr()[()] if t[c].dtype.kind == "O" else t[c][()] for c in cols}
with open(out + "/summary.csv", newline="") as fh:
    rows = list(csv.DictReader(fh))
assert list(rows[0].keys()) == cols
assert list(d["status"]) == ["ok", "failed", "ok"] == [r["status"] for r in rows]
assert d["index"].dtype.kind == "i" and list(d["index"]) == [0, 1, 2]
assert math.isnan(d["up.flux@0.5um"][1])
for k, r in enumerate(rows):
    if r["status"] == "ok":
        assert float(r["up.flux@0.5um"]) == d["up.flux@0.5um"][k]
assert "wavelength_um" in d["error"][1]
print("python ok")
"#;

#[test]
fn bad_sweep_files_are_refused() {
    let d = workdir("bad");
    std::fs::write(d.join("scene.toml"), SCENE).unwrap();
    let cases = [
        (
            "base = \"scene.toml\"\n[[parameters]]\nkey = \"simulation.resolution\"\nvalue = [10, 20]\n",
            "value",
        ),
        (
            "base = \"scene.toml\"\n[[parameters]]\nkey = \"a\"\nstart = 1.0\nstop = 2.0\nstep = -0.5\n",
            "s.toml:2: parameters.0.step",
        ),
        ("base = \"nothere.toml\"\n", "nothere.toml"),
        ("base = \"scene.toml\"\nset = [\"simulation.resolutoin=3\"]\n", "resolutoin"),
        ("base = \"scene.toml\"\nreference = \"missing.h5\"\n", "missing.h5"),
    ];
    for (text, needle) in cases {
        std::fs::write(d.join("s.toml"), text).unwrap();
        let o = lumen().arg("sweep").arg(d.join("s.toml")).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(needle), "{text}: expected `{needle}` in: {err}");
        assert!(!d.join("s").exists(), "{text}: an output folder was made");
    }
    std::fs::write(d.join("s.toml"), "base = \"scene.toml\"\n").unwrap();
    let o = lumen()
        .arg("sweep")
        .arg(d.join("s.toml"))
        .args(["--shard", "2/2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("numbered from 0"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn example_sweeps_expand() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("sweep_") && name.ends_with(".toml")) {
            continue;
        }
        let o = lumen().arg("sweep").arg(&path).args(["--list", "--json"]).output().unwrap();
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(!json(&o).as_array().unwrap().is_empty(), "{name}");
        n += 1;
    }
    assert!(n >= 2, "example sweep files: {n}");
}
