//! GDSII layouts as geometry (`type = "gds"`), on the CPU:
//! - a layout written by gdstk (a waveguide PATH, a taper in a reflected,
//!   quarter-turned sub-cell, a ring with its hole joined by a cut line in a
//!   half-turned sub-cell, an array of asymmetric teeth as an AREF) gives
//!   bit for bit the permittivity of the same polygons written by hand as
//!   `polygon` entries, in 2D and extruded in 3D; gdstk's own flattening
//!   of the file is checked against the hand polygons first;
//! - the ring's hole is a hole, and its cut line leaves no trace;
//! - a missing or truncated file, a missing cell or layer, several top
//!   cells, an unsupported path and a layout outside the domain are scene
//!   errors with the entry's line and key;
//! - `scale`, `offset_um`, `axis`, the extrusion keys and a 0.1 nm
//!   database unit place the polygons where the docs say.
//!
//! Needs `python3` with gdstk (README, "Prerequisites").

use std::path::{Path, PathBuf};
use std::process::Command;

use lumen_fdtd::scene;
use lumen_fdtd::Component;

/// The hand-drawn layout, in nm on the top cell's frame.
struct Hand {
    /// The PATH's outline (centre line y = 2.5 um, x from -5.5 to -2.5, width 0.4).
    path: Vec<[i64; 2]>,
    taper: Vec<[i64; 2]>,
    /// Outer boundary counter-clockwise, cut line in, hole clockwise, cut line out.
    ring: Vec<[i64; 2]>,
    teeth: Vec<Vec<[i64; 2]>>,
}

const RING_CENTRE: [i64; 2] = [3500, 500];
const TAPER_ORIGIN: [i64; 2] = [-1000, 0];
const TEETH_ORIGIN: [i64; 2] = [1000, -1500];

fn hand() -> Hand {
    let circle = |r: f64, k: i64| {
        let a = 2.0 * std::f64::consts::PI * k as f64 / 24.0;
        [
            RING_CENTRE[0] + (r * a.cos()).round() as i64,
            RING_CENTRE[1] + (r * a.sin()).round() as i64,
        ]
    };
    let mut ring: Vec<[i64; 2]> = (0..24).map(|k| circle(1500.0, k)).collect();
    ring.push(circle(1500.0, 0));
    ring.extend((0..=24).map(|k| circle(1000.0, -k)));
    // The tooth [(0, 0), (400, 0), (0, 300)] turned by -90 deg: (x, y) ->
    // (y, -x); the array's lattice (columns along x, rows along y, 0.6 um
    // apart in the tooth's frame) turned with it: columns run along -y,
    // rows along +x. AREF order: row by row.
    let mut teeth = Vec::new();
    for j in 0..2 {
        for i in 0..4 {
            let (x, y) = (TEETH_ORIGIN[0] + 600 * j, TEETH_ORIGIN[1] - 600 * i);
            teeth.push(vec![[x, y], [x, y - 400], [x + 300, y]]);
        }
    }
    Hand {
        path: vec![[-5500, 2700], [-2500, 2700], [-2500, 2300], [-5500, 2300]],
        taper: vec![
            [-5500, -250],
            [-3000, -250],
            [-1000, -1500],
            [-1000, 1000],
            [-3000, 250],
            [-5500, 250],
        ],
        ring,
        teeth,
    }
}

impl Hand {
    fn all(&self) -> Vec<Vec<[i64; 2]>> {
        let mut v = vec![self.path.clone(), self.taper.clone(), self.ring.clone()];
        v.extend(self.teeth.iter().cloned());
        v
    }
}

fn workdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gds").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn python(dir: &Path, script: &str) {
    let file = dir.join("make.py");
    std::fs::write(&file, script).unwrap();
    let out = Command::new("python3")
        .arg(&file)
        .current_dir(dir)
        .output()
        .expect("python3 on PATH (README, Prerequisites)");
    assert!(
        out.status.success(),
        "{} failed (gdstk: `python3 -m pip install gdstk`, README Prerequisites):\n{}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn list(v: &[[i64; 2]]) -> String {
    let parts: Vec<String> = v.iter().map(|p| format!("({}, {})", p[0], p[1])).collect();
    format!("[{}]", parts.join(", "))
}

/// Writes layout.gds: the hand layout through a hierarchy, plus shapes on
/// other layers/datatypes that must not appear; then checks gdstk's own
/// flattening of the file against the hand polygons.
fn write_layout(dir: &Path) {
    let h = hand();
    let expected: Vec<String> = h.all().iter().map(|p| list(p)).collect();
    let script = format!(
        r#"import math, gdstk
u = 1e-3  # um per nm
path = {path}
taper = {taper}
ring = {ring}
expected = [{expected}]
tx, ty = {taper_origin}
cx, cy = {ring_centre}
lib = gdstk.Library(unit=1e-6, precision=1e-9)
top = lib.new_cell("TOP")
# The taper, reflected about x then turned a quarter: (x, y) -> (tx + y, ty + x).
cell = lib.new_cell("TAPER")
cell.add(gdstk.Polygon([((y - ty) * u, (x - tx) * u) for x, y in taper], layer=1))
top.add(gdstk.Reference(cell, (tx * u, ty * u), rotation=math.pi / 2, x_reflection=True))
# The ring, half-turned about its centre: (x, y) -> (cx - x, cy - y).
cell = lib.new_cell("RING")
cell.add(gdstk.Polygon([((cx - x) * u, (cy - y) * u) for x, y in ring], layer=1))
cell.add(gdstk.rectangle((-0.5, -0.5), (0.5, 0.5), layer=1, datatype=1))
top.add(gdstk.Reference(cell, (cx * u, cy * u), rotation=math.pi))
# A tooth, turned by -90 deg, 4 columns by 2 rows (an AREF).
cell = lib.new_cell("TOOTH")
cell.add(gdstk.Polygon([(0, 0), (0.4, 0), (0, 0.3)], layer=1))
top.add(gdstk.Reference(cell, ({teeth_origin}[0] * u, {teeth_origin}[1] * u), rotation=-math.pi / 2,
                        columns=4, rows=2, spacing=(0.6, 0.6)))
# The waveguide as a PATH element (flush ends), and a slab on layer 2.
top.add(gdstk.FlexPath([(-5.5, 2.5), (-2.5, 2.5)], 0.4, layer=1, simple_path=True))
top.add(gdstk.rectangle((-6, -4), (6, 4), layer=2))
lib.write_gds("layout.gds")

def canon(polys):
    return sorted(sorted(p) for p in polys)
back = gdstk.read_gds("layout.gds")
(t,) = back.top_level()
got = canon([(round(x * 1000), round(y * 1000)) for x, y in p.points] for p in t.get_polygons(layer=1, datatype=0))
want = canon(expected)
assert got == want, ("gdstk flattens differently", got, want)
"#,
        path = list(&h.path),
        taper = list(&h.taper),
        ring = list(&h.ring),
        expected = expected.join(", "),
        taper_origin = list(&[TAPER_ORIGIN]).trim_matches(['[', ']']),
        ring_centre = list(&[RING_CENTRE]).trim_matches(['[', ']']),
        teeth_origin = list(&[TEETH_ORIGIN]).trim_matches(['[', ']']),
    );
    python(dir, &script);
}

/// nm as the shortest decimal um that reads back as `n / 1000`.
fn um(n: i64) -> String {
    format!("{:?}", n as f64 / 1000.0)
}

fn scene_text(three_d: bool, geometry: &str) -> String {
    let sim = if three_d {
        "size_um = [12.0, 8.0, 2.0]\nresolution = 10"
    } else {
        "size_um = [12.0, 8.0]\nresolution = 20\npolarization = \"te\""
    };
    format!(
        r#"[simulation]
{sim}
background = "clad"

[boundaries]
default = {{ type = "pml", thickness_um = 0.5 }}

[materials.clad]
index = 1.45

[materials.core]
index = 2.0

{geometry}
[run]
until_fs = 1
"#
    )
}

fn extrusion(three_d: bool) -> &'static str {
    if three_d {
        "height_um = 0.4\naxis_center_um = 0.1\n"
    } else {
        ""
    }
}

fn hand_geometry(three_d: bool) -> String {
    let mut g = String::new();
    for p in hand().all() {
        let v: Vec<String> = p.iter().map(|q| format!("[{}, {}]", um(q[0]), um(q[1]))).collect();
        g += &format!(
            "[[geometry]]\ntype = \"polygon\"\nvertices_um = [{}]\n{}material = \"core\"\n\n",
            v.join(", "),
            extrusion(three_d)
        );
    }
    g
}

fn gds_geometry(three_d: bool) -> String {
    format!(
        "[[geometry]]\ntype = \"gds\"\nfile = \"layout.gds\"\nlayer = 1\n{}material = \"core\"\n",
        extrusion(three_d)
    )
}

fn load(dir: &Path, text: &str) -> scene::Scene {
    let file = dir.join("scene.toml");
    scene::parse(text, &file.display().to_string(), &[], false).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn gdstk_layout_rasterises_as_the_hand_polygons() {
    let dir = workdir("same");
    write_layout(&dir);
    for three_d in [false, true] {
        let by_hand = load(&dir, &scene_text(three_d, &hand_geometry(three_d)));
        let from_gds = load(&dir, &scene_text(three_d, &gds_geometry(three_d)));
        let n = hand().all().len();
        assert_eq!(by_hand.simulation.structure.objects.len(), n);
        assert_eq!(from_gds.simulation.structure.objects.len(), n, "one prism per polygon on 1/0");
        let (a, b) = (&by_hand.prepared.materials, &from_gds.prepared.materials);
        for c in 0..3 {
            assert_eq!(a.eps[c].len(), b.eps[c].len());
            let differ = a.eps[c].iter().zip(&b.eps[c]).filter(|(x, y)| x.to_bits() != y.to_bits()).count();
            assert_eq!(differ, 0, "3D: {three_d}, component {c}: {differ} cells differ");
            assert_eq!(a.medium[c], b.medium[c]);
        }
        // The ring's hole is a hole and its cut line leaves no trace: the
        // centre is cladding, the band on the cut line (y = 0.5, right of
        // the centre) and across from it is core. (Cells the cut line
        // passes through are averaged over samples that all see the core:
        // equal to it up to f32 rounding of the average.)
        let g = &from_gds.prepared.grid;
        let off = from_gds.origin_offset_um;
        let eps_at = |c: usize, x: f64, y: f64| {
            let z = if three_d { 0.1 + off[2] } else { 0.0 };
            let ijk = g.nearest(Component::electric(c), [x + off[0], y + off[1], z]).unwrap();
            b.eps[c][g.index(ijk[0], ijk[1], ijk[2])] as f64
        };
        for c in 0..3 {
            assert_eq!(eps_at(c, 3.5, 0.5), (1.45f64 * 1.45) as f32 as f64, "hole, component {c}");
            for (x, y) in [(3.5 + 1.25, 0.5), (3.5, 0.5 + 1.25), (3.5 - 1.25, 0.5)] {
                let e = eps_at(c, x, y);
                assert!((e - 4.0).abs() < 1e-6, "ring at ({x}, {y}), component {c}: eps {e}");
            }
        }
    }
}

/// Line of the first line of `text` that starts with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines().position(|l| l.starts_with(start)).unwrap() + 1
}

#[test]
fn layout_problems_are_scene_errors_with_line_and_key() {
    let dir = workdir("errors");
    python(
        &dir,
        r#"import gdstk
lib = gdstk.Library()
top = lib.new_cell("TOP")
sub = lib.new_cell("SUB")
sub.add(gdstk.rectangle((0, 0), (1, 1), layer=1))
top.add(gdstk.Reference(sub))
top.add(gdstk.rectangle((0, 0), (1, 1), layer=2, datatype=3))
top.add(gdstk.FlexPath([(0, 0), (2, 0)], 0.2, ends="round", layer=4, simple_path=True))
lib.write_gds("layout.gds")
two = gdstk.Library()
two.new_cell("A").add(gdstk.rectangle((0, 0), (1, 1), layer=1))
two.new_cell("B").add(gdstk.rectangle((0, 0), (1, 1), layer=1))
two.write_gds("two_tops.gds")
"#,
    );
    let file = dir.join("scene.toml").display().to_string();
    let gds = dir.join("layout.gds").display().to_string();
    let bytes = std::fs::read(&gds).unwrap();
    std::fs::write(dir.join("cut.gds"), &bytes[..bytes.len() / 2]).unwrap();
    let base = scene_text(false, &gds_geometry(false));
    // The entry loads as it is: the sub-cell's square on 1/0.
    let s = load(&dir, &base);
    assert_eq!(s.simulation.structure.objects.len(), 1);
    let entry = line_of(&base, "[[geometry]]");
    let cases: Vec<(String, String)> = vec![
        (
            base.replace("file = \"layout.gds\"", "file = \"nowhere.gds\""),
            format!(
                "{file}:{}: geometry.0.file: expected a readable GDSII file (relative to the scene file's folder), found {}: No such file or directory (os error 2)",
                entry + 2,
                dir.join("nowhere.gds").display()
            ),
        ),
        (
            base.replace("layer = 1", "cell = \"NOPE\"\nlayer = 1"),
            format!("{file}:{}: geometry.0.cell: expected a cell of {gds}: `TOP`, `SUB`, found `NOPE`", entry + 3),
        ),
        (
            base.replace("layer = 1", "layer = 7"),
            format!(
                "{file}:{}: geometry.0.layer: expected a layer/datatype with polygons in cell `TOP` (it has 1/0, 2/3, 4/0), found no polygons on 7/0",
                entry + 3
            ),
        ),
        (
            base.replace("layer = 1", "layer = 2"),
            format!(
                "{file}:{}: geometry.0.layer: expected a layer/datatype with polygons in cell `TOP` (it has 1/0, 2/3, 4/0), found no polygons on 2/0",
                entry + 3
            ),
        ),
        (
            base.replace("layer = 1", "layer = 4"),
            format!(
                "{file}:{}: geometry.0.layer: expected elements on 4/0 that convert to polygons (cell `TOP` of {gds}), found PATH element 1 of cell `TOP`: round path ends (path type 1) are not supported; draw the path as a polygon",
                entry + 3
            ),
        ),
        (
            base.replace("layout.gds", "cut.gds"),
            format!(
                "{file}:{}: geometry.0.file: expected a GDSII stream file, found {}: failed to fill whole buffer (truncated?)",
                entry + 2,
                dir.join("cut.gds").display()
            ),
        ),
        (
            base.replace("layout.gds", "two_tops.gds"),
            format!(
                "{file}:{entry}: geometry.0.cell: expected the cell to use: {} has 2 top cells, found no `cell` among `A`, `B`",
                dir.join("two_tops.gds").display()
            ),
        ),
        (
            base.replace("layer = 1", "layer = 1\noffset_um = [20.0, 0.0]"),
            format!(
                "{file}:{}: geometry.0.offset_um: expected a layout that overlaps the domain x in [-6, 6], y in [-4, 4] um, found 1 polygons on 1/0 of cell `TOP` with x in [20, 21], y in [0, 1] um, all outside it",
                entry + 4
            ),
        ),
    ];
    for (text, want) in cases {
        let e = match scene::parse(&text, &file, &[], false) {
            Ok(_) => panic!("expected an error for\n{text}"),
            Err(e) => e.to_string(),
        };
        assert_eq!(e, want);
    }
    // The layer and datatype select; `datatype` defaults to 0.
    let s = load(&dir, &base.replace("layer = 1", "layer = 2\ndatatype = 3"));
    assert_eq!(s.simulation.structure.objects.len(), 1);
}

#[test]
fn scale_offset_axis_and_database_units() {
    let dir = workdir("place");
    // A 1 x 0.5 um rectangle on a 0.1 nm database grid.
    python(
        &dir,
        r#"import gdstk
lib = gdstk.Library(unit=1e-6, precision=1e-10)
lib.new_cell("TOP").add(gdstk.rectangle((0, 0), (1.0, 0.5), layer=1))
lib.write_gds("layout.gds")
"#,
    );
    let geometry = "[[geometry]]\ntype = \"gds\"\nfile = \"layout.gds\"\nlayer = 1\naxis = \"y\"\nscale = 2.0\noffset_um = [-3.0, 0.5]\nheight_um = 1.0\naxis_center_um = 0.25\nmaterial = \"core\"\n";
    let s = load(&dir, &scene_text(true, geometry));
    let objects = &s.simulation.structure.objects;
    assert_eq!(objects.len(), 1);
    let off = s.origin_offset_um;
    assert_eq!(off, [6.0, 4.0, 1.0]);
    let lumen_fdtd::Shape::Prism(p) = &objects[0].shape else {
        panic!("{:?}", objects[0].shape)
    };
    assert_eq!(p.axis(), 1);
    // (x, z) = layout * 2 + [-3, 0.5], in grid coordinates (+ [6, 1]).
    let mut v = p.vertices_um().to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(v, vec![[3.0, 1.5], [3.0, 2.5], [5.0, 1.5], [5.0, 2.5]]);
    assert_eq!(p.range_um(), [0.25 - 0.5 + 4.0, 0.25 + 0.5 + 4.0]);
    // In 2D the layout lies in the x-y plane.
    let e = scene::parse(
        &scene_text(false, geometry),
        &dir.join("scene.toml").display().to_string(),
        &[],
        false,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.ends_with("geometry.0.axis: expected \"z\" in 2D (a layout lies in the x-y plane), found y"),
        "{e}"
    );
}
