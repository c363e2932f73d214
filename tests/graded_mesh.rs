//! Graded meshes (`[[simulation.refine]]`, src/mesh.rs) through the whole user
//! path, against analytic results (../shared/validation/CASES.md):
//! - Fabry-Perot slab n = 3.5, d = 0.5 um at normal incidence (case 2):
//!   T(0.6 um) = 0.60763, T(0.8 um) = 0.31205 within 0.01 absolute, in 2D TM
//!   and TE (graded y) and 3D (graded z), with the slab at 800 cells/um and
//!   the rest at 50. The tolerance is the uniform-grid test's (tests/cli.rs):
//!   the slab's phase is ~18 rad, and each transition reflects ~0.5% of the
//!   amplitude at 30 cells per wavelength in the coarse air (measured: the
//!   non-uniform difference is first order where the cells change), whose
//!   cross term with the slab's reflection moves T by a few 1e-3. The
//!   uniform 50 cells/um grid misses T(0.6 um) by > 0.05 (8.6 cells per
//!   wavelength in the slab): the refinement is what gets it.
//! - The native and WGSL engines agree on a graded grid (same operations in
//!   the same order; f32 rounding), on a shorter run (llvmpipe is slow).
//! - A line current inside the refined cells (case 5): the out-of-plane Jz
//!   emits twice the in-plane Jx within 2% (tests/cli.rs), and flux boxes
//!   whose faces cross or lie in the graded cells collect the source's power
//!   within 1e-3 (the source's 1/cell and the flux's cell areas are the
//!   physical ones; energy balance, measured 8e-5).
//! - Set-ups the graded mesh does not support get a clear error.

use std::path::Path;

mod common;

use common::{lumen, run_json, workdir};

/// The values under `key` of monitor `name` of a JSON summary.
fn values(v: &serde_json::Value, name: &str, key: &str) -> Vec<f64> {
    common::values(common::monitor(v, name), key)
}

/// The slab along the last axis (y in 2D, z in 3D); `A` is that axis' name,
/// `P` the plane-source component, `R` the refinement block.
const SLAB: &str = r#"
[simulation]
dimensions = "DIMS"
SIZE
resolution = 50
COURANT

[boundaries]
default = "periodic"
A = { type = "pml", thickness_um = 1.0 }

[materials.n35]
index = 3.5

[[geometry]]
type = "box"
center_um = CENTRE
size_um = THICK
material = "n35"

R

[[sources]]
type = "plane"
center_um = SOURCE
size_um = PLANE
component = "P"
profile = "gaussian"
wavelength_um = 0.7
bandwidth_um = 0.4

[[monitors]]
name = "refl"
type = "flux"
center_um = REFL
size_um = PLANE
direction = "-"
wavelengths_um = [0.6, 0.8]
subtract_incident = true
normalize_with = "trans"

[[monitors]]
name = "trans"
type = "flux"
center_um = TRANS
size_um = PLANE
wavelengths_um = [0.6, 0.8]

[run]
until = "decayed"
decay_by = 1e-9
decay_position_um = REFL
max_fs = 400
"#;

const REFINE: &str = r#"[[simulation.refine]]
axis = "A"
range_um = [0.0, 0.5]
resolution = 800
"#;

/// The slab scene: `pol` "tm"/"te" (2D, graded y) or "3d" (graded z).
fn slab(pol: &str, comp: &str, graded: bool) -> String {
    let three = pol == "3d";
    let a = if three { "z" } else { "y" };
    let p = |x: f64| if three { format!("[0.0, 0.0, {x}]") } else { format!("[0.0, {x}]") };
    let s = SLAB
        .replace("DIMS", if three { "3d" } else { "2d" })
        .replace(
            "SIZE",
            &if three {
                "size_um = [0.1, 0.1, 7.0]".to_string()
            } else {
                format!("size_um = [0.1, 7.0]\npolarization = \"{pol}\"")
            },
        )
        // Near the limit (as tests/cli.rs): in 1D-like runs the Yee phase
        // error falls as the Courant number approaches the limit.
        .replace("COURANT", if three { "courant = 0.55" } else { "courant = 0.7" })
        .replace("R\n", if graded { REFINE } else { "" })
        .replace("CENTRE", &p(0.25))
        .replace("THICK", if three { "[inf, inf, 0.5]" } else { "[inf, 0.5]" })
        .replace("SOURCE", &p(-2.0))
        .replace("PLANE", if three { "[inf, inf, 0.0]" } else { "[inf, 0.0]" })
        .replace("REFL", &p(-1.5))
        .replace("TRANS", &p(1.5))
        .replace("\"P\"", &format!("\"{comp}\""));
    s.replace("A = {", &format!("{a} = {{"))
        .replace("axis = \"A\"", &format!("axis = \"{a}\""))
}

/// (T, R) of a slab scene with its reference run, on `backend`.
fn transmission(d: &Path, name: &str, scene: &str, backend: &str) -> (Vec<f64>, Vec<f64>) {
    let f = d.join(format!("{name}.toml"));
    std::fs::write(&f, scene).unwrap();
    let reference = d.join(format!("{name}-ref.h5"));
    run_json(&f, &reference, &["--empty", "--backend", backend]);
    let v = run_json(
        &f,
        &d.join(format!("{name}.h5")),
        &["--reference", reference.to_str().unwrap(), "--backend", backend],
    );
    (values(&v, "trans", "ratio"), values(&v, "refl", "ratio"))
}

const T_EXACT: [f64; 2] = [0.60763, 0.31205];

fn check_fabry_perot(what: &str, t: &[f64], r: &[f64]) {
    eprintln!("{what}: T = {t:?}, R = {r:?}");
    for k in 0..2 {
        assert!(
            (t[k] - T_EXACT[k]).abs() < 0.01,
            "{what}: T({} um) = {:.5}, expected {} within 0.01",
            [0.6, 0.8][k],
            t[k],
            T_EXACT[k]
        );
        // Lossless slab: the two monitors' independent fluxes add up to one
        // (the transitions' reflections move each by a few 1e-3).
        assert!((r[k] + t[k] - 1.0).abs() < 0.01, "{what}: R + T = {}", r[k] + t[k]);
    }
}

#[test]
fn fabry_perot_slab_on_a_graded_mesh_2d() {
    let d = workdir("fp2d");
    for (pol, comp) in [("tm", "Ez"), ("te", "Ex")] {
        let (t, r) = transmission(&d, pol, &slab(pol, comp, true), "cpu");
        check_fabry_perot(&format!("2D {pol}, graded y"), &t, &r);
    }
    // The same slab on the uniform base grid: the refinement is what gets it.
    let (t, _) = transmission(&d, "uniform", &slab("tm", "Ez", false), "cpu");
    eprintln!("uniform 50 cells/um: T = {t:?}");
    assert!(
        (t[0] - T_EXACT[0]).abs() > 0.05,
        "the uniform base grid should miss T(0.6 um): {t:?}"
    );
}

#[test]
fn fabry_perot_slab_on_a_graded_mesh_3d() {
    let d = workdir("fp3d");
    let (t, r) = transmission(&d, "ex", &slab("3d", "Ex", true), "cpu");
    check_fabry_perot("3D native Ex, graded z", &t, &r);
    // Ey rides on the other pair of kernels (Hx, and Ey's z difference).
    let (t, r) = transmission(&d, "ey", &slab("3d", "Ey", true), "cpu");
    check_fabry_perot("3D native Ey, graded z", &t, &r);
}

/// The WGSL engine steps a graded grid as the native one does: the 3D slab
/// at 400 cells/um for 20 fs (the pulse is half through; llvmpipe is slow),
/// raw fluxes compared.
#[test]
fn engines_agree_on_a_graded_grid() {
    let d = workdir("engines");
    let scene = slab("3d", "Ex", true)
        .replace("resolution = 800", "resolution = 400")
        .replace("subtract_incident = true\nnormalize_with = \"trans\"\n", "")
        .replace(
            "until = \"decayed\"\ndecay_by = 1e-9\ndecay_position_um = [0.0, 0.0, -1.5]\nmax_fs = 400",
            "until_fs = 20",
        );
    assert!(scene.contains("until_fs = 20") && !scene.contains("subtract_incident"));
    let f = d.join("slab.toml");
    std::fs::write(&f, &scene).unwrap();
    let flux = |backend: &str| {
        let v = run_json(&f, &d.join(format!("{backend}.h5")), &["--backend", backend]);
        [values(&v, "refl", "flux"), values(&v, "trans", "flux")].concat()
    };
    let (cpu, gpu) = (flux("cpu"), flux("gpu"));
    // The result file has the graded axis' cell faces, in scene coordinates.
    let h5 = hdf5::File::open(d.join("cpu.h5")).unwrap();
    let nodes: Vec<f64> = h5.dataset("mesh/z_nodes_um").unwrap().read_raw().unwrap();
    let shape: Vec<u64> = h5.attr("grid_shape").unwrap().read_raw().unwrap();
    assert_eq!(nodes.len() as u64, shape[2] + 1);
    assert!(
        (nodes[0] + 3.5).abs() < 1e-12 && (nodes[nodes.len() - 1] - 3.5).abs() < 1e-12,
        "{nodes:?}"
    );
    assert!(nodes.contains(&0.0) && nodes.iter().any(|z| (z - 0.5).abs() < 1e-12));
    assert_eq!(
        nodes.iter().filter(|&&z| (0.0..=0.5).contains(&z)).count(),
        201,
        "0.5 um at 400 cells/um"
    );
    eprintln!("native {cpu:?}\nWGSL   {gpu:?}");
    let scale = cpu.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.0);
    // f32 rounding through ~2500 steps (tests/cli_backend.rs: same order of
    // operations, sums of different length).
    for (a, b) in cpu.iter().zip(&gpu) {
        assert!((a - b).abs() < 1e-4 * scale, "engines differ: {cpu:?} vs {gpu:?}");
    }
}

/// A line current at y = 0.1 inside cells refined to 200 cells/um over
/// [-0.3, 0.3], base 20: tests/cli.rs's case (common::DIPOLE_2D) with a
/// refinement; the box's x faces cross the graded cells.
fn dipole_scene(pol: &str, comp: &str, graded: bool) -> String {
    let s = common::DIPOLE_2D
        .replace("POL", pol)
        .replace("COMP", comp)
        .replace("position_um = [0.0, 0.0]", "position_um = [0.0, 0.1]");
    assert!(s.contains("position_um = [0.0, 0.1]") && s.contains("resolution = 20\n") && s.contains("[run]"));
    // A second box whose y faces lie in the transition cells (the zone
    // reaches y = +-0.6 um): the flux there must balance the source too.
    let s = s.replace(
        "[run]",
        "[[monitors]]\nname = \"inner\"\ntype = \"flux\"\ncenter_um = [0.0, 0.0]\nsize_um = [2.0, 0.7]\nwavelengths_um = [0.9, 1.0, 1.1]\n\n[run]",
    );
    if graded {
        s.replace(
            "resolution = 20\n",
            "resolution = 20\n\n[[simulation.refine]]\naxis = \"y\"\nrange_um = [-0.3, 0.3]\nresolution = 200\n",
        )
    } else {
        s
    }
}

#[test]
fn line_current_inside_refined_cells() {
    let d = workdir("dipole");
    let run = |pol: &str, comp: &str, graded: bool| {
        let s = dipole_scene(pol, comp, graded);
        let f = d.join(format!("{pol}-{graded}.toml"));
        std::fs::write(&f, s).unwrap();
        let v = run_json(&f, &d.join(format!("{pol}-{graded}.h5")), &["--backend", "cpu"]);
        (values(&v, "power", "power"), values(&v, "box", "flux"), values(&v, "inner", "flux"))
    };
    let (pz, fz, iz) = run("tm", "Ez", true);
    let (px, fx, ix) = run("te", "Ex", true);
    let (pu, _, _) = run("tm", "Ez", false);
    for k in 0..3 {
        let ratio = pz[k] / px[k];
        eprintln!(
            "P_Jz / P_Jx = {ratio:.5}; flux / source power: {:.5} (Jz), {:.5} (Jx); faces in the transitions {:.5}, {:.5}; \
             graded / uniform Jz power {:.5}",
            fz[k] / pz[k],
            fx[k] / px[k],
            iz[k] / pz[k],
            ix[k] / px[k],
            pz[k] / pu[k]
        );
        assert!((ratio / 2.0 - 1.0).abs() < 0.02, "P_Jz / P_Jx = {ratio:.4}, expected 2 within 2%");
        // Energy balance of a lossless source in vacuum: all its power leaves
        // through any box around it. The scheme conserves energy on graded
        // cells too, so only the finite run's DFT limits it (measured 8e-5):
        // 1e-3, whether the faces lie on uniform or transition cells.
        for (what, f, p) in [
            ("Jz", fz[k], pz[k]),
            ("Jx", fx[k], px[k]),
            ("Jz, transitions", iz[k], pz[k]),
            ("Jx, transitions", ix[k], px[k]),
        ] {
            assert!((f / p - 1.0).abs() < 1e-3, "{what}: flux {f:.4e} vs source power {p:.4e}");
        }
        // The same current emits the same power on the uniform grid: the two
        // grids sample the source's surroundings differently, a second-order
        // difference at 20 cells/um (measured 0.2%); 1%.
        assert!((pz[k] / pu[k] - 1.0).abs() < 0.01, "graded {:.4e} vs uniform {:.4e}", pz[k], pu[k]);
    }
}

/// `lumen check` on a scene; (success, stderr).
fn check(d: &Path, name: &str, scene: &str) -> (bool, String) {
    let f = d.join(format!("{name}.toml"));
    std::fs::write(&f, scene).unwrap();
    let o = lumen().arg("check").arg(&f).output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn unsupported_graded_set_ups_are_refused() {
    let d = workdir("refuse");
    let base = slab("tm", "Ez", true);
    assert!(check(&d, "ok", &base).0, "{}", check(&d, "ok", &base).1);
    // `lumen check --json` describes the graded axis for scripts.
    let o = lumen().arg("check").arg(d.join("ok.toml")).arg("--json").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["graded_y"]["cells"], v["grid_shape"][1], "{v}");
    assert!(
        (v["graded_y"]["smallest_cell_um"].as_f64().unwrap() - 1.0 / 800.0).abs() < 1e-12,
        "{v}"
    );
    let cases = [
        (
            "x axis",
            base.replace("axis = \"y\"", "axis = \"x\""),
            vec!["simulation.refine.0.axis", "grades its last axis"],
        ),
        (
            "into the PML",
            base.replace("range_um = [0.0, 0.5]", "range_um = [-2.45, 0.5]"),
            vec!["simulation.refine.0.range_um", "room below the range", "PML"],
        ),
        (
            "coarser than the base",
            base.replace("resolution = 800", "resolution = 40"),
            vec!["simulation.refine.0.resolution", "above the base resolution 50"],
        ),
        (
            "a disc across the refined cells",
            base.replace(
                "[[sources]]",
                "[[geometry]]\ntype = \"cylinder\"\ncenter_um = [0.0, 0.5]\nradius_um = 0.2\nmaterial = \"n35\"\n\n[[sources]]",
            ),
            vec!["geometry.1.type", "crosses the refined range"],
        ),
        (
            "a mode port on the graded cells",
            base.replace(
                "[[sources]]",
                "[[monitors]]\nname = \"port\"\ntype = \"mode\"\ncenter_um = [0.0, 0.3]\nsize_um = [inf, 0.0]\nwavelengths_um = [0.7]\n\n[[sources]]",
            ),
            vec!["port", "refined range"],
        ),
        (
            "a mirror plane across the graded axis",
            format!("{base}\n[symmetry]\ny = \"even\"\n"),
            vec!["simulation.refine.0.axis", "without a mirror plane"],
        ),
    ];
    for (what, scene, needles) in cases {
        let (ok, err) = check(&d, &what.replace(' ', "_"), &scene);
        assert!(!ok, "{what}: accepted");
        for n in needles {
            assert!(err.contains(n), "{what}: `{n}` not in: {err}");
        }
    }
}

/// Shapes inside the fine range keep their size and shape: a disc (a 2D
/// cylinder, stretched into an ellipse on the virtual grid) and a trapezoid
/// (a 2D cone, 60 deg sidewalls) of n = 2 in the fine cells; the sum of
/// (eps - 1) over the Ez samples times each sample's physical area is
/// (n^2 - 1) times the shape's area (smoothed interfaces: second order in the
/// cell; at 1/200 um cells 1e-3 relative is ample; measured 8e-5 and 1e-5).
/// Unmapped, the shapes would come out ten times too thin along y.
#[test]
fn shapes_in_the_fine_range_keep_their_area() {
    let scene = |shape: &str| {
        format!(
            r#"
[simulation]
dimensions = "2d"
size_um = [3.0, 3.0]
resolution = 20

[[simulation.refine]]
axis = "y"
range_um = [-0.4, 0.4]
resolution = 200

[boundaries]
default = {{ type = "pml", thickness_um = 0.5 }}

[materials.n2]
index = 2.0

[[geometry]]
{shape}
material = "n2"

[[sources]]
type = "dipole"
position_um = [1.0, 1.0]
component = "Ez"
wavelength_um = 1.0
bandwidth_um = 0.5

[run]
until_fs = 1
"#
        )
    };
    let r: f64 = 0.3;
    let (rc, h) = (0.5, 0.6);
    let top = rc - h / 60f64.to_radians().tan();
    for (shape, area) in [
        (
            "type = \"cylinder\"\ncenter_um = [0.1, 0.05]\nradius_um = 0.3".to_string(),
            std::f64::consts::PI * r * r,
        ),
        (
            format!("type = \"cone\"\naxis = \"y\"\ncenter_um = [0.0, 0.0]\nheight_um = {h}\nradius_um = {rc}\nsidewall_angle_deg = 60"),
            (rc + top) * h,
        ),
    ] {
        let s = lumen_fdtd::scene::parse(&scene(&shape), "shape.toml", &[], false).expect("parses");
        let p = &s.prepared;
        let g = &p.grid;
        assert!(g.is_graded());
        let mut sum = 0.0;
        for j in 0..g.ny {
            for i in 0..g.nx {
                let e = p.materials.eps[2][g.index(i, j, 0)] as f64;
                sum += (e - 1.0) * g.sample_extent(lumen_fdtd::Component::Ez, 0, i) * g.sample_extent(lumen_fdtd::Component::Ez, 1, j);
            }
        }
        let got = sum / 3.0;
        eprintln!("{}: area {got:.6} um^2, exact {area:.6}", shape.lines().next().unwrap());
        assert!((got / area - 1.0).abs() < 1e-3, "area {got} vs {area}");
    }
}

/// `lumen plot` of a graded scene draws the cells where they are: the slab
/// [0, 0.5] um fills the drawn cells between y = 0 and 0.5 and no others
/// (drawn on the virtual grid it would cover y = 0 to 4 um: 200 cells).
#[test]
fn plots_put_the_graded_cells_where_they_are() {
    let s = lumen_fdtd::scene::parse(&slab("tm", "Ez", true), "slab.toml", &[], false).expect("parses");
    let fig = lumen_fdtd::plot::scene::scene_figure(&s, &s.prepared, &lumen_fdtd::plot::scene::ScenePlotOptions::default()).unwrap();
    let map = &fig.panels[0].map;
    let (ye, values) = (&map.y_edges, &map.values);
    assert_eq!(ye.len(), s.prepared.grid.ny + 1);
    assert!((ye[0] + 3.5).abs() < 1e-9 && (ye[ye.len() - 1] - 3.5).abs() < 1e-9, "{ye:?}");
    for j in 0..ye.len() - 1 {
        let (lo, hi) = (ye[j], ye[j + 1]);
        let eps = values[[j, 0]];
        // (The cells at the faces hold smoothed averages.)
        if lo >= 0.005 && hi <= 0.495 {
            assert!(eps > 12.0, "cell [{lo}, {hi}]: eps {eps}");
        } else if hi <= -0.005 || lo >= 0.505 {
            assert!(eps < 1.1, "cell [{lo}, {hi}]: eps {eps}");
        }
    }
}
