//! GDSII layouts as geometry: the polygons of one layer/datatype of one
//! cell, with its hierarchy flattened (docs/scene-format.md, "gds").
//!
//! The file is read by `gds21` (Layout21). Flattening applies each
//! reference's transform in the GDSII order: reflection about x, then
//! magnification, then rotation, then the translation; an array reference
//! (AREF) places its copies on the lattice its three points span, in the
//! parent's frame. Everything is computed in database units, where the
//! coordinates are integers, with exact cosines for multiples of 90 degrees,
//! so a layout of translations, quarter turns and reflections lands on its
//! grid exactly; the conversion to um is the last step (a division by the
//! whole number of database units per um, when it is one), so `1802` at
//! 1 nm is the same double as `1.802` written in a scene file.
//!
//! Supported: BOUNDARY and BOX elements; PATH elements with flush (0),
//! half-width (2) or custom (4) ends and mitred joins. Not supported, with
//! an error naming the element: round-ended paths (1), absolute
//! magnification or angle in a reference. TEXT and NODE elements carry no
//! area and are skipped.

use std::collections::BTreeSet;
use std::path::Path;

use gds21::{GdsElement, GdsLibrary, GdsPoint, GdsStrans};

/// More polygons than this from one layer is surely a mistake (and memory).
pub const MAX_POLYGONS: usize = 1_000_000;

/// Hierarchies deeper than this are taken for a reference cycle.
const MAX_DEPTH: usize = 64;

/// What is wrong, for a `SceneError` at the entry's `key`.
#[derive(Debug)]
pub(super) struct LayoutError {
    /// The entry's key at fault: "file", "cell" or "layer".
    pub key: &'static str,
    pub expected: String,
    pub found: String,
}

fn err(key: &'static str, expected: impl Into<String>, found: impl Into<String>) -> LayoutError {
    LayoutError {
        key,
        expected: expected.into(),
        found: found.into(),
    }
}

/// One layer of one cell, flattened: polygons in um in the layout's frame
/// (vertices in file order, the closing repeat dropped).
pub(super) struct LayerPolygons {
    /// The cell that was flattened (the top cell when none was named).
    pub cell: String,
    pub polygons: Vec<Vec<[f64; 2]>>,
}

/// Read `path` and flatten `cell` (default: the only top cell) on
/// `layer`/`datatype`.
pub(super) fn layer_polygons(path: &Path, cell: Option<&str>, layer: i16, datatype: i16) -> Result<LayerPolygons, LayoutError> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        err(
            "file",
            "a readable GDSII file (relative to the scene file's folder)",
            format!("{shown}: {e}"),
        )
    })?;
    let lib = GdsLibrary::from_bytes(bytes).map_err(|e| {
        // gds21's Display is its Debug form; an I/O error inside says more plainly.
        let mut why = match &e {
            gds21::GdsError::Boxed(inner) => format!("{inner} (truncated?)"),
            other => other.to_string(),
        };
        if why.len() > 200 {
            why.truncate(200);
            why.push_str("...");
        }
        err("file", "a GDSII stream file", format!("{shown}: {why}"))
    })?;
    let name = match cell {
        Some(c) => {
            if !lib.structs.iter().any(|s| s.name == c) {
                return Err(err(
                    "cell",
                    format!("a cell of {shown}: {}", names(lib.structs.iter().map(|s| s.name.as_str()))),
                    format!("`{c}`"),
                ));
            }
            c.to_string()
        }
        None => {
            let tops = top_cells(&lib);
            match tops.as_slice() {
                [one] => one.clone(),
                [] => return Err(err("file", "a layout with at least one cell", format!("{shown}: no top cell"))),
                several => {
                    return Err(err(
                        "cell",
                        format!("the cell to use: {shown} has {} top cells", several.len()),
                        format!("no `cell` among {}", names(several.iter().map(String::as_str))),
                    ))
                }
            }
        }
    };
    let mut flat = Flatten {
        lib: &lib,
        layer,
        datatype,
        polygons: Vec::new(),
        stack: Vec::new(),
    };
    flat.cell(&name, &Affine::IDENTITY).map_err(|(key, why)| {
        let expected = if key == "layer" {
            format!("elements on {layer}/{datatype} that convert to polygons (cell `{name}` of {shown})")
        } else {
            format!("a cell whose hierarchy flattens (`{name}` of {shown})")
        };
        err(key, expected, why)
    })?;
    if flat.polygons.is_empty() {
        let mut present = BTreeSet::new();
        let mut f = Presence {
            lib: &lib,
            seen: BTreeSet::new(),
            present: &mut present,
        };
        f.cell(&name);
        let list: Vec<String> = present.iter().map(|(l, d)| format!("{l}/{d}")).collect();
        return Err(err(
            "layer",
            format!(
                "a layer/datatype with polygons in cell `{name}` (it has {})",
                if list.is_empty() {
                    "none on any layer".to_string()
                } else {
                    list.join(", ")
                }
            ),
            format!("no polygons on {layer}/{datatype}"),
        ));
    }
    let um = Units::of(&lib);
    let polygons = flat
        .polygons
        .into_iter()
        .map(|p| p.into_iter().map(|q| [um.to_um(q[0]), um.to_um(q[1])]).collect())
        .collect();
    Ok(LayerPolygons { cell: name, polygons })
}

/// "`a`, `b`, `c`" (at most 20, then a count).
fn names<'a>(list: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = list.collect();
    let mut out: Vec<String> = all.iter().take(20).map(|n| format!("`{n}`")).collect();
    if all.len() > 20 {
        out.push(format!("and {} more", all.len() - 20));
    }
    out.join(", ")
}

/// Cells no other cell references, in file order.
fn top_cells(lib: &GdsLibrary) -> Vec<String> {
    let mut used = BTreeSet::new();
    for s in &lib.structs {
        for e in &s.elems {
            match e {
                GdsElement::GdsStructRef(r) => {
                    used.insert(r.name.as_str());
                }
                GdsElement::GdsArrayRef(r) => {
                    used.insert(r.name.as_str());
                }
                _ => {}
            }
        }
    }
    lib.structs
        .iter()
        .filter(|s| !used.contains(s.name.as_str()))
        .map(|s| s.name.clone())
        .collect()
}

/// Database units to um.
struct Units {
    /// Whole database units per um, when the library's unit divides 1 um.
    per_um: Option<f64>,
    um_per_unit: f64,
}

impl Units {
    fn of(lib: &GdsLibrary) -> Units {
        let um_per_unit = lib.units.db_unit() * 1e6;
        let per = 1.0 / um_per_unit;
        let whole = per.round();
        Units {
            per_um: (whole >= 1.0 && (per - whole).abs() <= 1e-9 * whole).then_some(whole),
            um_per_unit,
        }
    }
    fn to_um(&self, x: f64) -> f64 {
        match self.per_um {
            Some(n) => x / n,
            None => x * self.um_per_unit,
        }
    }
}

/// x -> m x + t, in database units.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Affine {
    m: [[f64; 2]; 2],
    t: [f64; 2],
}

impl Affine {
    const IDENTITY: Affine = Affine {
        m: [[1.0, 0.0], [0.0, 1.0]],
        t: [0.0, 0.0],
    };

    fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        [
            self.m[0][0] * p[0] + self.m[0][1] * p[1] + self.t[0],
            self.m[1][0] * p[0] + self.m[1][1] * p[1] + self.t[1],
        ]
    }

    /// `self` after `child`: x -> self(child(x)).
    fn after(&self, child: &Affine) -> Affine {
        let (a, b) = (&self.m, &child.m);
        let m = [0, 1].map(|i| [0, 1].map(|j| a[i][0] * b[0][j] + a[i][1] * b[1][j]));
        let t = self.apply(child.t);
        Affine { m, t }
    }

    /// A reference's transform: reflect about x, magnify, rotate, move to `at`.
    fn reference(strans: Option<&GdsStrans>, at: [f64; 2]) -> Result<Affine, String> {
        let Some(s) = strans else {
            return Ok(Affine { t: at, ..Affine::IDENTITY });
        };
        if s.abs_mag || s.abs_angle {
            return Err("absolute magnification or angle (STRANS bits 13/14) is not supported".into());
        }
        let mag = s.mag.unwrap_or(1.0);
        if !(mag.is_finite() && mag > 0.0) {
            return Err(format!("a magnification of {mag}"));
        }
        let (c, sn) = cos_sin(s.angle.unwrap_or(0.0));
        let f = if s.reflected { -1.0 } else { 1.0 };
        Ok(Affine {
            m: [[mag * c, -mag * sn * f], [mag * sn, mag * c * f]],
            t: at,
        })
    }
}

/// Cosine and sine of an angle in degrees, exact at multiples of 90 (and
/// within 1e-9 deg of one: writers that work in radians store a quarter
/// turn as 90.00000000000001).
fn cos_sin(deg: f64) -> (f64, f64) {
    let quarters = deg / 90.0;
    let q = quarters.round();
    if (deg - 90.0 * q).abs() <= 1e-9 {
        return match (q as i64).rem_euclid(4) {
            0 => (1.0, 0.0),
            1 => (0.0, 1.0),
            2 => (-1.0, 0.0),
            _ => (0.0, -1.0),
        };
    }
    let a = deg.to_radians();
    (a.cos(), a.sin())
}

fn point(p: &GdsPoint) -> [f64; 2] {
    [p.x as f64, p.y as f64]
}

struct Flatten<'a> {
    lib: &'a GdsLibrary,
    layer: i16,
    datatype: i16,
    /// In database units, the layout's frame.
    polygons: Vec<Vec<[f64; 2]>>,
    /// Cells being flattened, outermost first (for cycles and messages).
    stack: Vec<String>,
}

impl Flatten<'_> {
    /// Flatten cell `name` placed by `to_top`; an error names the entry's
    /// key at fault ("layer": an element on it, "cell": the hierarchy).
    fn cell(&mut self, name: &str, to_top: &Affine) -> Result<(), (&'static str, String)> {
        let Some(s) = self.lib.structs.iter().find(|s| s.name == name) else {
            let from = self.stack.last().map_or(String::new(), |p| format!(" (referenced from `{p}`)"));
            return Err(("cell", format!("no cell `{name}` in the file{from}")));
        };
        if self.stack.iter().any(|n| n == name) || self.stack.len() >= MAX_DEPTH {
            return Err(("cell", format!("a reference cycle: {} -> {name}", self.stack.join(" -> "))));
        }
        self.stack.push(name.to_string());
        for (n, e) in s.elems.iter().enumerate() {
            let what = |kind: &str| format!("{kind} element {n} of cell `{name}`");
            match e {
                GdsElement::GdsBoundary(b) if b.layer == self.layer && b.datatype == self.datatype => {
                    self.push(b.xy.iter().map(point).collect(), to_top);
                }
                GdsElement::GdsBox(b) if b.layer == self.layer && b.boxtype == self.datatype => {
                    self.push(b.xy.iter().map(point).collect(), to_top);
                }
                GdsElement::GdsPath(p) if p.layer == self.layer && p.datatype == self.datatype => {
                    let outline = path_outline(
                        &p.xy.iter().map(point).collect::<Vec<_>>(),
                        p.width,
                        p.path_type,
                        p.begin_extn,
                        p.end_extn,
                    )
                    .map_err(|why| ("layer", format!("{}: {why}", what("PATH"))))?;
                    self.push(outline, to_top);
                }
                GdsElement::GdsStructRef(r) => {
                    let t =
                        Affine::reference(r.strans.as_ref(), point(&r.xy)).map_err(|why| ("cell", format!("{}: {why}", what("SREF"))))?;
                    self.cell(&r.name, &to_top.after(&t))?;
                }
                GdsElement::GdsArrayRef(r) => {
                    let (cols, rows) = (r.cols, r.rows);
                    if cols < 1 || rows < 1 {
                        return Err(("cell", format!("{}: {cols} columns and {rows} rows", what("AREF"))));
                    }
                    let [o, c, w] = [&r.xy[0], &r.xy[1], &r.xy[2]].map(point);
                    for j in 0..rows {
                        for i in 0..cols {
                            // The copy's origin: exact for lattice vectors
                            // that are whole multiples of the counts.
                            let at = [0, 1].map(|a| o[a] + (c[a] - o[a]) * i as f64 / cols as f64 + (w[a] - o[a]) * j as f64 / rows as f64);
                            let t = Affine::reference(r.strans.as_ref(), at).map_err(|why| ("cell", format!("{}: {why}", what("AREF"))))?;
                            self.cell(&r.name, &to_top.after(&t))?;
                        }
                    }
                }
                _ => {}
            }
            if self.polygons.len() > MAX_POLYGONS {
                return Err(("layer", format!("more than {MAX_POLYGONS} polygons on this layer once flattened")));
            }
        }
        self.stack.pop();
        Ok(())
    }

    /// A polygon without its closing repeat or repeated vertices.
    fn push(&mut self, xy: Vec<[f64; 2]>, to_top: &Affine) {
        let mut v: Vec<[f64; 2]> = Vec::with_capacity(xy.len());
        for p in xy {
            let q = to_top.apply(p);
            if v.last() != Some(&q) {
                v.push(q);
            }
        }
        while v.len() > 1 && v.first() == v.last() {
            v.pop();
        }
        self.polygons.push(v);
    }
}

/// The outline of a PATH: its centre line offset by half the width on each
/// side, joined with mitres (GDSII's convention), the ends extended by the
/// path type's amount. Counter-clockwise for a path running along +x: the
/// left side forward, then the right side back.
fn path_outline(
    xy: &[[f64; 2]],
    width: Option<i32>,
    path_type: Option<i16>,
    begin: Option<i32>,
    end: Option<i32>,
) -> Result<Vec<[f64; 2]>, String> {
    let half = match width {
        Some(w) if w != 0 => (w as f64).abs() / 2.0,
        _ => return Err("a path without width has no area".into()),
    };
    let (b, e) = match path_type.unwrap_or(0) {
        0 => (0.0, 0.0),
        2 => (half, half),
        4 => (begin.unwrap_or(0) as f64, end.unwrap_or(0) as f64),
        1 => return Err("round path ends (path type 1) are not supported; draw the path as a polygon".into()),
        t => return Err(format!("path type {t} (expected 0, 2 or 4)")),
    };
    let mut c: Vec<[f64; 2]> = Vec::with_capacity(xy.len());
    for p in xy {
        if c.last() != Some(p) {
            c.push(*p);
        }
    }
    if c.len() < 2 {
        return Err("a path needs 2 distinct points".into());
    }
    let n = c.len();
    // Unit directions of the segments.
    let dirs: Vec<[f64; 2]> = c
        .windows(2)
        .map(|w| {
            let (dx, dy) = (w[1][0] - w[0][0], w[1][1] - w[0][1]);
            let l = (dx * dx + dy * dy).sqrt();
            [dx / l, dy / l]
        })
        .collect();
    let dir = |k: usize| dirs[k];
    let (d0, dn) = (dir(0), dir(n - 2));
    c[0] = [c[0][0] - b * d0[0], c[0][1] - b * d0[1]];
    c[n - 1] = [c[n - 1][0] + e * dn[0], c[n - 1][1] + e * dn[1]];
    // Offsets of the left side (the right one is its mirror) at each point.
    let mut off = Vec::with_capacity(n);
    off.push([-d0[1] * half, d0[0] * half]);
    for k in 1..n - 1 {
        let (u, w) = (dir(k - 1), dir(k));
        let (nu, nw) = ([-u[1], u[0]], [-w[1], w[0]]);
        let cos = nu[0] * nw[0] + nu[1] * nw[1];
        if cos < -0.999 {
            return Err(format!("the path turns back on itself at point {k}"));
        }
        let s = half / (1.0 + cos);
        off.push([(nu[0] + nw[0]) * s, (nu[1] + nw[1]) * s]);
    }
    off.push([-dn[1] * half, dn[0] * half]);
    let mut out: Vec<[f64; 2]> = (0..n).map(|k| [c[k][0] + off[k][0], c[k][1] + off[k][1]]).collect();
    out.extend((0..n).rev().map(|k| [c[k][0] - off[k][0], c[k][1] - off[k][1]]));
    Ok(out)
}

/// The layer/datatype pairs with polygons under a cell, for messages.
struct Presence<'a, 'b> {
    lib: &'a GdsLibrary,
    seen: BTreeSet<String>,
    present: &'b mut BTreeSet<(i16, i16)>,
}

impl Presence<'_, '_> {
    fn cell(&mut self, name: &str) {
        if !self.seen.insert(name.to_string()) {
            return;
        }
        let Some(s) = self.lib.structs.iter().find(|s| s.name == name) else {
            return;
        };
        for e in &s.elems {
            match e {
                GdsElement::GdsBoundary(b) => {
                    self.present.insert((b.layer, b.datatype));
                }
                GdsElement::GdsBox(b) => {
                    self.present.insert((b.layer, b.boxtype));
                }
                GdsElement::GdsPath(p) => {
                    self.present.insert((p.layer, p.datatype));
                }
                GdsElement::GdsStructRef(r) => self.cell(&r.name),
                GdsElement::GdsArrayRef(r) => self.cell(&r.name),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_turns_and_reflections_are_exact() {
        let s = GdsStrans {
            reflected: true,
            angle: Some(90.0),
            ..Default::default()
        };
        let t = Affine::reference(Some(&s), [10.0, 20.0]).unwrap();
        // Reflect (3, 4) -> (3, -4), rotate 90 -> (4, 3), move -> (14, 23).
        assert_eq!(t.apply([3.0, 4.0]), [14.0, 23.0]);
        let back = Affine::reference(
            Some(&GdsStrans {
                angle: Some(-90.0),
                ..Default::default()
            }),
            [0.0, 0.0],
        )
        .unwrap();
        assert_eq!(back.after(&t).apply([3.0, 4.0]), [23.0, -14.0]);
        assert_eq!(cos_sin(450.0), (0.0, 1.0));
        assert_eq!(cos_sin(-90.00000000000001), (0.0, -1.0));
    }

    #[test]
    fn paths_become_outlines() {
        // An L: along +x, then up; width 2, half-width ends.
        let out = path_outline(&[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]], Some(2), Some(2), None, None).unwrap();
        assert_eq!(
            out,
            vec![[-1.0, 1.0], [9.0, 1.0], [9.0, 11.0], [11.0, 11.0], [11.0, -1.0], [-1.0, -1.0]]
        );
        assert!(path_outline(&[[0.0, 0.0], [1.0, 0.0]], Some(2), Some(1), None, None)
            .unwrap_err()
            .contains("round"));
        assert!(path_outline(&[[0.0, 0.0], [1.0, 0.0]], None, None, None, None)
            .unwrap_err()
            .contains("width"));
        assert!(path_outline(&[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]], Some(2), None, None, None)
            .unwrap_err()
            .contains("turns back"));
    }
}
