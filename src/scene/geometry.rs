//! `[[geometry]]` entries -> [`Object`]s of the structure, in grid
//! coordinates and painting order (docs/scene-format.md, "Geometry").
//!
//! Every length is checked here with the entry's key, so a bad shape is
//! reported at its line; [`crate::Structure::validate`] checks again for
//! library users.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::SceneError;
use super::gds;
use super::schema::*;
use super::{fmt_nums, positive, tagged, Build};
use crate::geometry::shape::{plane_axes, top_radius, validate_polygon};
use crate::geometry::{Lattice, Shape, Stack};
use crate::material::{Medium, Object};

/// More copies than this in one array is surely a mistake (and memory).
pub const MAX_COPIES: usize = 1_000_000;

const AXES: [&str; 3] = ["x", "y", "z"];

impl Build<'_> {
    /// One `[[geometry]]` entry as objects, in painting order.
    pub(super) fn geometry(&self, i: usize, g: &GeometrySpec, media: &BTreeMap<String, Medium>) -> Result<Vec<Object>, SceneError> {
        let key = format!("geometry.{i}");
        match g {
            GeometrySpec::Stack(s) => self.stack(&key, s, media),
            GeometrySpec::Gds(s) => self.gds(&key, s, media),
            GeometrySpec::Group(group) => {
                let members = tagged(self.doc, &format!("{key}.shapes"), GeometrySpec::read)?;
                if members.is_empty() {
                    return Err(self.invalid(format!("{key}.shapes"), "at least one shape in the group", "none"));
                }
                let lattice = self.lattice(&format!("{key}.array"), &group.array)?;
                let mut objects = Vec::new();
                for (j, m) in members.iter().enumerate() {
                    let mk = format!("{key}.shapes.{j}");
                    if matches!(m, GeometrySpec::Stack(_) | GeometrySpec::Group(_) | GeometrySpec::Gds(_)) {
                        return Err(self.invalid(
                            format!("{mk}.type"),
                            "a shape (box, cylinder, sphere, ellipsoid, cone, polygon): groups hold no stacks, groups or layouts",
                            match m {
                                GeometrySpec::Stack(_) => "`stack`",
                                GeometrySpec::Group(_) => "`group`",
                                _ => "`gds`",
                            },
                        ));
                    }
                    let o = self.shape(&mk, m, media)?;
                    objects.extend(self.graded(&mk, m, o)?);
                }
                // The group's extent, for the domain check of each copy.
                let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
                for o in &objects {
                    let (l, h) = self.extent(o);
                    for a in 0..3 {
                        lo[a] = lo[a].min(l[a]);
                        hi[a] = hi[a].max(h[a]);
                    }
                }
                self.check_copies(&format!("{key}.array"), &lattice, lo, hi)?;
                Ok(objects.into_iter().map(|o| o.repeated(&lattice)).collect())
            }
            _ => {
                let o = self.shape(&key, g, media)?;
                self.graded(&key, g, o)
            }
        }
    }

    /// A graded-index cylinder becomes `steps` concentric cylinders (outer
    /// first, so inner ones win), ring k holding the profile's index at its
    /// mid radius; the cylinder's material is the cladding index n(a).
    /// Subpixel smoothing averages each step; other shapes pass through.
    fn graded(&self, key: &str, g: &GeometrySpec, base: Object) -> Result<Vec<Object>, SceneError> {
        let GeometrySpec::Cylinder(s) = g else { return Ok(vec![base]) };
        let Some(gr) = &s.graded else { return Ok(vec![base]) };
        let k = |f: &str| format!("{key}.graded.{f}");
        if !base.medium.poles.is_empty() || base.medium.sigma != 0.0 {
            return Err(self.invalid(
                format!("{key}.material"),
                "a lossless, non-dispersive cladding for a graded-index cylinder",
                format!("`{}`", s.material),
            ));
        }
        let n_clad = base.medium.eps.sqrt();
        if !(gr.n_axis.is_finite() && gr.n_axis > n_clad) {
            return Err(self.invalid(k("n_axis"), format!("an index above the cladding's ({n_clad})"), gr.n_axis));
        }
        let alpha = gr.exponent.unwrap_or(2.0);
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(self.invalid(k("exponent"), "a positive profile exponent (2 = parabolic)", alpha));
        }
        let steps = gr.steps.unwrap_or(24);
        if !(2..=1000).contains(&steps) {
            return Err(self.invalid(k("steps"), "2 to 1000 concentric steps", steps));
        }
        let c = self.centre(&format!("{key}.center_um"), &s.center_um)?;
        let axis = self.axis(&format!("{key}.axis"), s.axis.as_ref())?;
        let h = self.length_or_inf(&format!("{key}.height_um"), s.height_um)?;
        let a = s.radius_um;
        let delta = (gr.n_axis * gr.n_axis - n_clad * n_clad) / (2.0 * gr.n_axis * gr.n_axis);
        Ok((0..steps)
            .map(|j| {
                let r_out = a * (steps - j) as f64 / steps as f64;
                let r_mid = a * (steps - j) as f64 / steps as f64 - 0.5 * a / steps as f64;
                let n = gr.n_axis * (1.0 - 2.0 * delta * (r_mid / a).powf(alpha)).sqrt();
                let mut o = Object::new(Shape::cylinder(c, axis, r_out, h), Medium::index(n));
                o.copies.clone_from(&base.copies);
                o
            })
            .collect())
    }

    /// A single shape entry (with its own `array`, if any).
    fn shape(&self, key: &str, g: &GeometrySpec, media: &BTreeMap<String, Medium>) -> Result<Object, SceneError> {
        let k = |f: &str| format!("{key}.{f}");
        let (shape, material, array, found) = match g {
            GeometrySpec::Box(b) => {
                if b.size_um.len() != self.d || b.size_um.iter().any(|s| s.is_nan() || *s <= 0.0) {
                    return Err(self.invalid(
                        k("size_um"),
                        format!("{} positive sizes (um; inf or a large number for no end)", self.d),
                        fmt_nums(&b.size_um),
                    ));
                }
                let c = self.centre(&k("center_um"), &b.center_um)?;
                let size = [b.size_um[0], b.size_um[1], b.size_um.get(2).copied().unwrap_or(f64::INFINITY)];
                let found = format!("center_um = {}, size_um = {}", fmt_nums(&b.center_um), fmt_nums(&b.size_um));
                (Shape::centered_box(c, size), &b.material, &b.array, found)
            }
            GeometrySpec::Cylinder(s) => {
                let c = self.centre(&k("center_um"), &s.center_um)?;
                let axis = self.axis(&k("axis"), s.axis.as_ref())?;
                let r = positive(self.doc, &k("radius_um"), s.radius_um, "um")?;
                let h = self.length_or_inf(&k("height_um"), s.height_um)?;
                let found = format!("center_um = {}", fmt_nums(&s.center_um));
                (Shape::cylinder(c, axis, r, h), &s.material, &s.array, found)
            }
            GeometrySpec::Sphere(s) => {
                let c = self.centre(&k("center_um"), &s.center_um)?;
                let r = positive(self.doc, &k("radius_um"), s.radius_um, "um")?;
                let found = format!("center_um = {}", fmt_nums(&s.center_um));
                (Shape::sphere(c, r), &s.material, &s.array, found)
            }
            GeometrySpec::Ellipsoid(s) => {
                let c = self.centre(&k("center_um"), &s.center_um)?;
                if s.radii_um.len() != self.d || s.radii_um.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
                    let xyz = if self.d == 2 { "[a, b]" } else { "[a, b, c]" };
                    return Err(self.invalid(
                        k("radii_um"),
                        format!("{} positive semi-axes {xyz} along x, y(, z) (um)", self.d),
                        fmt_nums(&s.radii_um),
                    ));
                }
                // In 2D only the cross-section through the centre counts; any c does.
                let c3 = s.radii_um.get(2).copied().unwrap_or(s.radii_um[0].max(s.radii_um[1]));
                let found = format!("center_um = {}", fmt_nums(&s.center_um));
                (
                    Shape::ellipsoid(c, [s.radii_um[0], s.radii_um[1], c3]),
                    &s.material,
                    &s.array,
                    found,
                )
            }
            GeometrySpec::Cone(s) => {
                let c = self.centre(&k("center_um"), &s.center_um)?;
                let axis = self.axis(&k("axis"), s.axis.as_ref())?;
                let h = positive(self.doc, &k("height_um"), s.height_um, "um")?;
                let r = s.radius_um;
                if !(r.is_finite() && r >= 0.0) {
                    return Err(self.invalid(k("radius_um"), "a radius >= 0 (um) at the bottom end", r));
                }
                let top = match (s.top_radius_um, s.sidewall_angle_deg) {
                    (Some(t), None) => {
                        if !(t.is_finite() && t >= 0.0) {
                            return Err(self.invalid(k("top_radius_um"), "a radius >= 0 (um) at the top end", t));
                        }
                        t
                    }
                    (None, Some(angle)) => {
                        if !(angle > 0.0 && angle < 180.0) {
                            return Err(self.invalid(
                                k("sidewall_angle_deg"),
                                "an angle between the sidewall and the base in (0, 180) deg (90: vertical)",
                                angle,
                            ));
                        }
                        let t = top_radius(r, angle, h);
                        if t < -1e-9 * r.max(h) {
                            let min = (h / r).atan().to_degrees();
                            return Err(self.invalid(
                                k("sidewall_angle_deg"),
                                format!("an angle of at least {min:.2} deg for height_um = {h} and radius_um = {r} (the top radius would be negative)"),
                                angle,
                            ));
                        }
                        t.max(0.0)
                    }
                    (Some(_), Some(_)) => {
                        return Err(self.invalid(
                            k("sidewall_angle_deg"),
                            "either `top_radius_um` or `sidewall_angle_deg`, not both",
                            "both",
                        ))
                    }
                    (None, None) => {
                        return Err(self.invalid(
                            k("top_radius_um"),
                            "`top_radius_um` (um) or `sidewall_angle_deg` (deg) for the top end",
                            "neither",
                        ))
                    }
                };
                if r == 0.0 && top == 0.0 {
                    return Err(self.invalid(k("radius_um"), "at least one of the two radii positive", "both zero"));
                }
                let found = format!("center_um = {}", fmt_nums(&s.center_um));
                (Shape::cone(c, axis, r, top, h), &s.material, &s.array, found)
            }
            GeometrySpec::Polygon(s) => {
                let axis = s.axis.map_or(2, AxisName::index);
                if self.d == 2 {
                    if axis != 2 {
                        return Err(self.invalid(k("axis"), "\"z\" in 2D (a polygon lies in the x-y plane)", AXES[axis]));
                    }
                    for (f, given) in [("height_um", s.height_um.is_some()), ("axis_center_um", s.axis_center_um.is_some())] {
                        if given {
                            return Err(self.invalid(
                                k(f),
                                format!("no `{f}` in 2D (a polygon is its outline in the x-y plane)"),
                                "a value",
                            ));
                        }
                    }
                }
                let [u, v] = plane_axes(axis);
                let mut vertices = Vec::with_capacity(s.vertices_um.len());
                for (n, w) in s.vertices_um.iter().enumerate() {
                    if w.len() != 2 || w.iter().any(|x| !x.is_finite()) {
                        return Err(self.invalid(
                            format!("{key}.vertices_um.{n}"),
                            format!("a vertex [{}, {}] of 2 finite numbers (um)", AXES[u], AXES[v]),
                            fmt_nums(w),
                        ));
                    }
                    vertices.push([w[0] + self.offset[u], w[1] + self.offset[v]]);
                }
                validate_polygon(&vertices).map_err(|why| {
                    self.invalid(
                        k("vertices_um"),
                        "a simple polygon (at least 3 distinct vertices, non-zero area, no crossing edges)",
                        why,
                    )
                })?;
                let h = self.length_or_inf(&k("height_um"), s.height_um)?;
                let mid = s.axis_center_um.unwrap_or(0.0);
                if !mid.is_finite() {
                    return Err(self.invalid(k("axis_center_um"), "a finite position (um) along the axis", mid));
                }
                let mid = mid + self.offset[axis];
                let found = format!("{} vertices around {}", vertices.len(), fmt_nums(&s.vertices_um[0]));
                (
                    Shape::prism(axis, vertices, [mid - h / 2.0, mid + h / 2.0]),
                    &s.material,
                    &s.array,
                    found,
                )
            }
            GeometrySpec::Stack(_) | GeometrySpec::Group(_) | GeometrySpec::Gds(_) => unreachable!("handled by geometry()"),
        };
        let medium = self.medium(&k("material"), material, media)?;
        let object = Object::new(shape, medium);
        let (lo, hi) = self.extent(&object);
        if self.outside(lo, hi) {
            let what = match g {
                GeometrySpec::Box(_) => "box",
                GeometrySpec::Cylinder(_) => "cylinder",
                GeometrySpec::Sphere(_) => "sphere",
                GeometrySpec::Ellipsoid(_) => "ellipsoid",
                GeometrySpec::Cone(_) => "cone",
                _ => "polygon",
            };
            let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            let field = if matches!(g, GeometrySpec::Polygon(_)) {
                "vertices_um"
            } else {
                "center_um"
            };
            return Err(self.invalid(
                k(field),
                format!("{article} {what} that overlaps the domain {}", self.domain()),
                format!("{article} {what} entirely outside it ({found})"),
            ));
        }
        match array {
            None => Ok(object),
            Some(a) => {
                let lattice = self.lattice(&k("array"), a)?;
                self.check_copies(&k("array"), &lattice, lo, hi)?;
                Ok(object.repeated(&lattice))
            }
        }
    }

    /// A layer of a GDSII layout: one prism per polygon, extruded as a
    /// `polygon` entry is; polygons wholly outside the domain are dropped.
    fn gds(&self, key: &str, s: &GdsSpec, media: &BTreeMap<String, Medium>) -> Result<Vec<Object>, SceneError> {
        let k = |f: &str| format!("{key}.{f}");
        let axis = s.axis.map_or(2, AxisName::index);
        if self.d == 2 {
            if axis != 2 {
                return Err(self.invalid(k("axis"), "\"z\" in 2D (a layout lies in the x-y plane)", AXES[axis]));
            }
            for (f, given) in [("height_um", s.height_um.is_some()), ("axis_center_um", s.axis_center_um.is_some())] {
                if given {
                    return Err(self.invalid(
                        k(f),
                        format!("no `{f}` in 2D (a layout is its outline in the x-y plane)"),
                        "a value",
                    ));
                }
            }
        }
        let number = |f: &str, v: i64| {
            i16::try_from(v)
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| self.invalid(k(f), format!("a GDSII {f} number from 0 to {}", i16::MAX), v))
        };
        let layer = number("layer", s.layer)?;
        let datatype = number("datatype", s.datatype.unwrap_or(0))?;
        let scale = s.scale.unwrap_or(1.0);
        if !(scale.is_finite() && scale > 0.0) {
            return Err(self.invalid(k("scale"), "a positive factor on the layout's coordinates", scale));
        }
        let [u, v] = plane_axes(axis);
        let offset = match &s.offset_um {
            None => [0.0, 0.0],
            Some(o) if o.len() == 2 && o.iter().all(|x| x.is_finite()) => [o[0], o[1]],
            Some(o) => {
                return Err(self.invalid(
                    k("offset_um"),
                    format!("a shift [{}, {}] of 2 finite numbers (um) in the layout's plane", AXES[u], AXES[v]),
                    fmt_nums(o),
                ))
            }
        };
        let h = self.length_or_inf(&k("height_um"), s.height_um)?;
        let mid = s.axis_center_um.unwrap_or(0.0);
        if !mid.is_finite() {
            return Err(self.invalid(k("axis_center_um"), "a finite position (um) along the axis", mid));
        }
        let mid = mid + self.offset[axis];
        let medium = self.medium(&k("material"), &s.material, media)?;
        let path = Path::new(self.doc.file).parent().unwrap_or(Path::new("")).join(&s.file);
        let layout =
            gds::layer_polygons(&path, s.cell.as_deref(), layer, datatype).map_err(|e| self.invalid(k(e.key), e.expected, e.found))?;
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        let mut objects = Vec::new();
        for (n, polygon) in layout.polygons.iter().enumerate() {
            let scene: Vec<[f64; 2]> = polygon
                .iter()
                .map(|p| [p[0] * scale + offset[0], p[1] * scale + offset[1]])
                .collect();
            validate_polygon(&scene).map_err(|why| {
                self.invalid(
                    k("layer"),
                    format!(
                        "simple polygons on {layer}/{datatype} of cell `{}` (at least 3 distinct vertices, non-zero area, no crossing edges; a hole joined by a cut line)",
                        layout.cell
                    ),
                    format!("polygon {n} (from {} um): {why}", fmt_nums(scene.first().map_or(&[][..], |p| &p[..]))),
                )
            })?;
            for p in &scene {
                for a in 0..2 {
                    lo[a] = lo[a].min(p[a]);
                    hi[a] = hi[a].max(p[a]);
                }
            }
            let vertices = scene.iter().map(|p| [p[0] + self.offset[u], p[1] + self.offset[v]]).collect();
            let object = Object::new(Shape::prism(axis, vertices, [mid - h / 2.0, mid + h / 2.0]), medium.clone());
            let (l, hh) = self.extent(&object);
            if !self.outside(l, hh) {
                objects.push(object);
            }
        }
        if objects.is_empty() {
            return Err(self.invalid(
                k(if s.offset_um.is_some() { "offset_um" } else { "file" }),
                format!("a layout that overlaps the domain {}", self.domain()),
                format!(
                    "{} polygons on {layer}/{datatype} of cell `{}` with {} in [{}, {}], {} in [{}, {}] um, all outside it",
                    layout.polygons.len(),
                    layout.cell,
                    AXES[u],
                    lo[0],
                    hi[0],
                    AXES[v],
                    lo[1],
                    hi[1]
                ),
            ));
        }
        Ok(objects)
    }

    fn stack(&self, key: &str, s: &StackSpec, media: &BTreeMap<String, Medium>) -> Result<Vec<Object>, SceneError> {
        let axis = s.axis.map_or(2, AxisName::index);
        if axis >= self.d {
            return Err(self.invalid(
                format!("{key}.axis"),
                "\"x\" or \"y\" in 2D (layers along z have no cross-section at z = 0)",
                AXES[axis],
            ));
        }
        if !s.start_um.is_finite() {
            return Err(self.invalid(
                format!("{key}.start_um"),
                "a finite position (um) of the first layer's low face",
                s.start_um,
            ));
        }
        if s.layers.is_empty() {
            return Err(self.invalid(
                format!("{key}.layers"),
                "at least one layer { material = ..., thickness_um = ... }",
                "none",
            ));
        }
        let mut layers = Vec::new();
        let mut at = s.start_um;
        let l = self.grid.size_um()[axis] / 2.0;
        for (n, layer) in s.layers.iter().enumerate() {
            let lk = format!("{key}.layers.{n}");
            let t = layer.thickness_um;
            let last = n + 1 == s.layers.len();
            if !(t > 0.0 && (t.is_finite() || last)) {
                return Err(self.invalid(
                    format!("{lk}.thickness_um"),
                    if last {
                        "a positive thickness (um; inf for the last layer runs to the end)"
                    } else {
                        "a positive finite thickness (um; only the last layer may be inf)"
                    },
                    t,
                ));
            }
            let medium = self.medium(&format!("{lk}.material"), &layer.material, media)?;
            if at + t <= -l || at >= l {
                return Err(self.invalid(
                    lk,
                    format!("a layer that overlaps the domain {}", self.domain()),
                    format!("a layer from {} = {at} to {} um", AXES[axis], at + t),
                ));
            }
            layers.push((t, medium));
            at += t;
        }
        Ok(Stack {
            axis,
            start_um: s.start_um + self.offset[axis],
            layers,
        }
        .objects())
    }

    /// `array = { ... }` as a lattice (offsets are the same in scene and grid coordinates).
    fn lattice(&self, key: &str, a: &ArraySpec) -> Result<Lattice, SceneError> {
        let k = |f: &str| format!("{key}.{f}");
        let hex_keys = [
            ("pitch_um", a.pitch_um.is_some()),
            ("rings", a.rings.is_some()),
            ("axis", a.axis.is_some()),
            ("rotation_deg", a.rotation_deg.is_some()),
        ];
        let vector_keys = [("vectors_um", a.vectors_um.is_some()), ("counts", a.counts.is_some())];
        let kind = match a.lattice {
            Some(kind) => kind,
            None if hex_keys.iter().any(|(_, g)| *g) => LatticeName::Hex,
            None if vector_keys.iter().any(|(_, g)| *g) => LatticeName::Vectors,
            None => return Err(self.invalid(key, "`vectors_um` with `counts`, or `pitch_um` with `rings` (hexagonal)", "neither")),
        };
        let (forbidden, name): (&[(&str, bool)], &str) = match kind {
            LatticeName::Vectors => (&hex_keys, "vectors"),
            LatticeName::Hex => (&vector_keys, "hex"),
        };
        if let Some((f, _)) = forbidden.iter().find(|(_, g)| *g) {
            return Err(self.invalid(k(f), format!("no `{f}` in a lattice = \"{name}\" array"), "a value"));
        }
        let lattice = match kind {
            LatticeName::Vectors => {
                let vectors = a
                    .vectors_um
                    .as_ref()
                    .ok_or_else(|| self.invalid(k("vectors_um"), "the lattice vectors [[x, y(, z)], ...] (um)", "nothing"))?;
                let counts = a
                    .counts
                    .as_ref()
                    .ok_or_else(|| self.invalid(k("counts"), "the number of copies along each vector", "nothing"))?;
                if vectors.is_empty() || vectors.len() > self.d {
                    return Err(self.invalid(
                        k("vectors_um"),
                        format!("1 to {} lattice vectors", self.d),
                        format!("{}", vectors.len()),
                    ));
                }
                let mut vs = Vec::new();
                for (n, v) in vectors.iter().enumerate() {
                    if v.len() != self.d || v.iter().any(|x| !x.is_finite()) || v.iter().all(|x| *x == 0.0) {
                        return Err(self.invalid(
                            format!("{key}.vectors_um.{n}"),
                            format!("a non-zero vector of {} finite numbers (um)", self.d),
                            fmt_nums(v),
                        ));
                    }
                    vs.push([v[0], v[1], v.get(2).copied().unwrap_or(0.0)]);
                }
                if counts.len() != vectors.len() || counts.contains(&0) {
                    let found: Vec<String> = counts.iter().map(usize::to_string).collect();
                    return Err(self.invalid(
                        k("counts"),
                        format!("{} counts >= 1, one per lattice vector", vectors.len()),
                        format!("[{}]", found.join(", ")),
                    ));
                }
                Lattice::Vectors {
                    vectors_um: vs,
                    counts: counts.clone(),
                }
            }
            LatticeName::Hex => {
                let pitch = a
                    .pitch_um
                    .ok_or_else(|| self.invalid(k("pitch_um"), "the lattice pitch (um)", "nothing"))?;
                let pitch = positive(self.doc, &k("pitch_um"), pitch, "um")?;
                let rings = a
                    .rings
                    .ok_or_else(|| self.invalid(k("rings"), "the number of rings around the centre (0, 1, 2, ...)", "nothing"))?;
                let axis = a.axis.map_or(2, AxisName::index);
                if self.d == 2 && axis != 2 {
                    return Err(self.invalid(k("axis"), "\"z\" in 2D (the lattice lies in the x-y plane)", AXES[axis]));
                }
                let rotation_deg = a.rotation_deg.unwrap_or(0.0);
                if !rotation_deg.is_finite() {
                    return Err(self.invalid(k("rotation_deg"), "a finite angle (deg)", rotation_deg));
                }
                if rings > 1000 {
                    return Err(self.invalid(k("rings"), "at most 1000 rings", rings));
                }
                Lattice::Hexagonal {
                    pitch_um: pitch,
                    rings,
                    axis,
                    rotation_deg,
                }
            }
        };
        if lattice.len() > MAX_COPIES {
            return Err(self.invalid(key, format!("at most {MAX_COPIES} copies"), lattice.len()));
        }
        Ok(lattice)
    }

    /// Every copy of something with extent [lo, hi] must meet the domain.
    fn check_copies(&self, key: &str, lattice: &Lattice, lo: [f64; 3], hi: [f64; 3]) -> Result<(), SceneError> {
        let offsets = lattice.offsets();
        for (n, o) in offsets.iter().enumerate() {
            let l = [0, 1, 2].map(|a| lo[a] + o[a]);
            let h = [0, 1, 2].map(|a| hi[a] + o[a]);
            if self.outside(l, h) {
                return Err(self.invalid(
                    key,
                    format!("an array whose copies all overlap the domain {}", self.domain()),
                    format!(
                        "copy {n} of {} (offset {} um) entirely outside it",
                        offsets.len(),
                        fmt_nums(&o[..self.d])
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Bounding box of an object's shape (grid coordinates), as a 2D run sees it.
    fn extent(&self, o: &Object) -> ([f64; 3], [f64; 3]) {
        let (mut lo, mut hi) = o.shape.bounds();
        if self.d == 2 && matches!(o.shape, Shape::Box { .. }) {
            (lo[2], hi[2]) = (f64::NEG_INFINITY, f64::INFINITY);
        }
        (lo, hi)
    }

    /// Whether a box (grid coordinates) misses the domain; in 2D, also the plane z = 0.
    fn outside(&self, lo: [f64; 3], hi: [f64; 3]) -> bool {
        let l = self.grid.size_um();
        (0..self.d).any(|a| hi[a] <= 0.0 || lo[a] >= l[a]) || (self.d == 2 && (lo[2] > 0.0 || hi[2] < 0.0))
    }

    /// A centre in scene coordinates, converted to grid coordinates.
    fn centre(&self, key: &str, v: &[f64]) -> Result<[f64; 3], SceneError> {
        let c = self.vector(key, v)?;
        Ok([0, 1, 2].map(|a| c[a] + self.offset[a]))
    }

    /// `axis`: a name or a direction; default z.
    fn axis(&self, key: &str, a: Option<&AxisSpec>) -> Result<[f64; 3], SceneError> {
        match a {
            None => Ok([0.0, 0.0, 1.0]),
            Some(AxisSpec::Name(n)) => {
                let mut v = [0.0; 3];
                v[n.index()] = 1.0;
                Ok(v)
            }
            Some(AxisSpec::Vector(v)) => {
                if v.len() != 3 || v.iter().any(|x| !x.is_finite()) || v.iter().all(|x| *x == 0.0) {
                    return Err(self.invalid(key, "\"x\", \"y\", \"z\" or a non-zero direction [x, y, z]", fmt_nums(v)));
                }
                Ok([v[0], v[1], v[2]])
            }
        }
    }

    /// An optional positive length, infinite by default.
    fn length_or_inf(&self, key: &str, v: Option<f64>) -> Result<f64, SceneError> {
        match v {
            None => Ok(f64::INFINITY),
            Some(v) if v > 0.0 => Ok(v),
            Some(v) => Err(self.invalid(key, "a positive length (um; inf for no end)", v)),
        }
    }
}
