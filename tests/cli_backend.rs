//! Choosing the engine from the command line: `--backend cpu|gpu|auto`,
//! `LUMEN_BACKEND`, what `auto` picks where the only adapters are software
//! rasterisers (CI), and that both engines give the same numbers through the
//! whole user path (they run the same operations in the same order:
//! tests/gpu_vs_cpu.rs; here the JSON summaries must agree to f32 rounding).

use std::path::PathBuf;
use std::process::{Command, Output};

fn lumen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lumen"))
}

fn quickstart() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.toml")
}

fn out(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lumen-backend-{}-{name}.h5", std::process::id()))
}

fn run(args: &[&str], env: &[(&str, &str)], name: &str) -> Output {
    let mut c = lumen();
    c.arg("run").arg(quickstart()).arg("-o").arg(out(name)).arg("--json").args(args);
    c.env_remove("LUMEN_BACKEND").env_remove("XDG_RUNTIME_DIR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "lumen run failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON summary")
}

fn fluxes(v: &serde_json::Value) -> Vec<f64> {
    v["monitors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["flux"].as_array().cloned().unwrap_or_default())
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn devices() -> serde_json::Value {
    let o = lumen().args(["devices", "--json"]).output().unwrap();
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).expect("devices JSON")
}

#[test]
fn devices_lists_the_native_engine_and_what_auto_takes() {
    let d = devices();
    assert!(d["native"]["threads"].as_u64().unwrap() >= 1, "{d}");
    assert!(d["native"]["simd_f32_lanes"].as_u64().unwrap() >= 1, "{d}");
    let adapters = d["adapters"].as_array().unwrap();
    let hardware = adapters.iter().any(|a| a["software"] == false);
    assert_eq!(d["auto"], if hardware { "gpu" } else { "cpu" }, "{d}");
}

#[test]
fn auto_takes_the_native_engine_without_a_hardware_gpu_and_says_so() {
    let d = devices();
    let o = run(&[], &[], "auto");
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let v = json(&o);
    if d["auto"] == "cpu" {
        assert!(stderr.contains("engine: native CPU engine"), "{stderr}");
        assert!(
            stderr.contains("software rasterisers") || stderr.contains("no GPU adapter"),
            "{stderr}"
        );
        assert!(v["adapter"].as_str().unwrap().contains("native CPU engine"), "{v}");
    } else {
        assert!(!v["adapter"].as_str().unwrap().contains("native CPU engine"), "{v}");
    }
}

#[test]
fn both_backends_run_and_agree() {
    let cpu = json(&run(&["--backend", "cpu", "--quiet"], &[], "cpu"));
    let gpu = json(&run(&["--backend", "gpu", "--quiet"], &[], "gpu"));
    assert!(cpu["adapter"].as_str().unwrap().contains("native CPU engine"), "{cpu}");
    assert!(!gpu["adapter"].as_str().unwrap().contains("native CPU engine"), "{gpu}");
    assert_eq!((cpu["engine"].as_str(), gpu["engine"].as_str()), (Some("cpu"), Some("gpu")));
    let (a, b) = (fluxes(&cpu), fluxes(&gpu));
    assert!(a.len() >= 6 && a.len() == b.len(), "{a:?} {b:?}");
    for (x, y) in a.iter().zip(&b) {
        // The flux is a sum over many f32 DFT samples: agreement to ~1e-6 relative.
        assert!((x - y).abs() <= 1e-5 * x.abs().max(y.abs()), "cpu {x} vs gpu {y}");
        assert!(x.abs() > 0.0);
    }
}

#[test]
fn lumen_backend_is_read_and_the_flag_wins() {
    let v = json(&run(&["--quiet"], &[("LUMEN_BACKEND", "cpu")], "env"));
    assert!(v["adapter"].as_str().unwrap().contains("native CPU engine"), "{v}");
    let v = json(&run(&["--quiet", "--backend", "gpu"], &[("LUMEN_BACKEND", "cpu")], "flag"));
    assert!(!v["adapter"].as_str().unwrap().contains("native CPU engine"), "{v}");
    let o = run(&["--quiet"], &[("LUMEN_BACKEND", "cuda")], "bad");
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("LUMEN_BACKEND") && stderr.contains("cuda") && stderr.contains("cpu, gpu or auto"),
        "{stderr}"
    );
    let o = lumen().args(["run", "x.toml", "--backend", "fast"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// Mesa prints `error: XDG_RUNTIME_DIR is invalid or not set` when that
/// variable is unset (CI, batch jobs); it must not reach the user.
#[test]
fn no_mesa_runtime_dir_noise() {
    for args in [vec!["devices"], vec!["check", quickstart().to_str().unwrap(), "--backend", "gpu"]] {
        let o = lumen().args(&args).env_remove("XDG_RUNTIME_DIR").output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "{args:?}: {all}");
        assert!(!all.contains("XDG_RUNTIME_DIR"), "{args:?}: {all}");
    }
    let o = run(&["--backend", "gpu"], &[], "xdg");
    assert!(!String::from_utf8_lossy(&o.stderr).contains("XDG_RUNTIME_DIR"));
}

/// `check` estimates from a step rate measured on the engine it would use,
/// cached per engine and kind of grid, and says so.
#[test]
fn check_measures_its_rate_once_and_caches_it() {
    let cache = std::env::temp_dir().join(format!("lumen-rate-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let check = || {
        let o = lumen()
            .args(["check", quickstart().to_str().unwrap(), "--backend", "cpu", "--json"])
            .env("XDG_CACHE_HOME", &cache)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let (first, second) = (check(), check());
    assert!(first["estimate_basis"].as_str().unwrap().contains("just now"), "{first}");
    assert!(second["estimate_basis"].as_str().unwrap().contains("cached"), "{second}");
    assert!(cache.join("lumen/rates.json").exists());
    let rate = first["rate_cell_updates_per_s"].as_f64().unwrap();
    assert!(rate > 1e6, "{first}");
    let cells = first["cells"].as_f64().unwrap();
    let steps = first["steps"].as_f64().unwrap();
    let est = first["estimated_seconds"].as_f64().unwrap();
    // Stepping at the measured rate, plus the set-up `check` timed itself.
    let setup = first["setup_seconds"].as_f64().unwrap();
    assert!(setup > 0.0 && setup < 30.0, "{first}");
    // DFT monitors' accumulators count as cells (quickstart has a flux plane).
    let acc = first["dft_accumulators"].as_f64().unwrap();
    assert!(acc > 0.0, "{first}");
    assert!((est - setup - (cells + acc) * steps / rate).abs() <= 1e-9 * est.max(1.0), "{first}");
    let _ = std::fs::remove_dir_all(&cache);
}

/// What `check` and `run` print is for people: no float noise
/// (`0.016666666666666666`), no Rust debug names (`Two(Te)`), singular
/// where there is one.
#[test]
fn human_output_without_float_noise_or_debug_names() {
    let scene = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/microled_waveguide_2d.toml");
    let o = lumen().arg("check").arg(&scene).args(["--backend", "cpu"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{text}{}", String::from_utf8_lossy(&o.stderr));
    // 60 cells/um: dx = 1/60 um.
    assert!(text.contains("dx = 0.0166667 um (2D TE)"), "{text}");
    assert!(text.contains("x 1 orientation)"), "{text}");
    for bad in ["66666666", "Two(", "Three", "1 orientations"] {
        assert!(!text.contains(bad), "`{bad}` in:\n{text}");
    }
    let o = lumen()
        .arg("run")
        .arg(&scene)
        .arg("-o")
        .arg(out("human"))
        .args(["--backend", "cpu", "--set", "run.until_fs=5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(err.contains("LED run 1/5: dipole at (-1.4, 0.7) um along (1, 0, 0)"), "{err}");
    assert!(!err.contains("0000000"), "{err}");
}

#[test]
fn short_numbers() {
    use lumen_fdtd::units::short;
    assert_eq!(short(1.0 / 60.0, 6), "0.0166667");
    assert_eq!(short(0.47000000000000003, 6), "0.47");
    assert_eq!(short(-1.2000000000000002, 6), "-1.2");
    assert_eq!(short(0.5, 6), "0.5");
    assert_eq!(short(250.0, 6), "250");
    assert_eq!(short(0.0, 6), "0");
}

/// `lumen check` on a sweep file says it is one and checks every variant's
/// scene: a variant the scene checks refuse fails the check (exit 2) with
/// its error, the others are listed ok.
#[test]
fn check_on_a_sweep_file_checks_its_variants() {
    let dir = std::env::temp_dir().join(format!("lumen-check-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sweep = dir.join("s.toml");
    let base = quickstart();
    std::fs::write(
        &sweep,
        format!(
            "base = {:?}\n\n[[parameters]]\nkey = \"materials.glass.index\"\nvalues = [1.5, -2.0]\n",
            base.to_str().unwrap()
        ),
    )
    .unwrap();
    let o = lumen().args(["check", sweep.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(2), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("a sweep file: 2 variants of"), "{text}");
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("materials.glass.index=")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].ends_with(" ok"), "{text}");
    assert!(lines[1].contains("error") && lines[1].contains("materials.glass"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
