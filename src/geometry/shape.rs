//! Solid shapes in grid coordinates (um, the domain is [0, L]).
//!
//! Each shape answers three questions about a point p:
//! - [`Shape::contains`]: is p inside (the staircase sample);
//! - [`Shape::distance_bound`]: a signed distance to the surface, negative
//!   inside, whose magnitude never exceeds the true distance (so a ball of
//!   that radius around p lies entirely inside or outside). It is exact for
//!   boxes, spheres, cylinders and prisms, exact inside and conservative
//!   outside for cones, and conservative for ellipsoids. The rasteriser uses
//!   it to find the cells an interface cuts without sampling every cell;
//! - [`Shape::local`]: near the surface, the interface inside a ball of
//!   radius h around p as one plane or two parallel planes, or `Complex`
//!   when an edge, a corner or strong curvature is that close.

use crate::error::{Error, Result};

/// A solid. Construct through the functions below, which normalise axes;
/// [`Shape::validate`] checks the dimensions.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Axis-aligned box [min, max) along each axis (infinite bounds allowed).
    /// In a 2D run a box is its x-y rectangle whatever its z extent.
    Box { min_um: [f64; 3], max_um: [f64; 3] },
    /// Circular cylinder: `center_um` is the middle of its axis segment, `axis`
    /// a unit vector, `height_um` its length (may be infinite).
    Cylinder {
        center_um: [f64; 3],
        axis: [f64; 3],
        radius_um: f64,
        height_um: f64,
    },
    /// Axis-aligned ellipsoid with semi-axes `radii_um` (a sphere when equal).
    Ellipsoid { center_um: [f64; 3], radii_um: [f64; 3] },
    /// Truncated cone (frustum): radius `radius_um` at the bottom end
    /// (`center - axis * height / 2`) and `top_radius_um` at the top end;
    /// one of them may be zero (a cone).
    Cone {
        center_um: [f64; 3],
        axis: [f64; 3],
        radius_um: f64,
        top_radius_um: f64,
        height_um: f64,
    },
    /// A polygon in the plane normal to a coordinate axis, extruded along it.
    Prism(Prism),
}

/// An extruded polygon. The polygon's coordinates are the two other axes in
/// order (axis x: (y, z); axis y: (x, z); axis z: (x, y)).
#[derive(Clone, Debug, PartialEq)]
pub struct Prism {
    axis: usize,
    vertices_um: Vec<[f64; 2]>,
    range_um: [f64; 2],
    /// +1 for counter-clockwise vertices, -1 for clockwise.
    orientation: f64,
}

/// The interface near a point, in absolute units relative to it: the shape
/// holds the points q with `lo < n . (q - p) < hi`, n a unit vector.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Local {
    Planes {
        n: [f64; 3],
        lo: f64,
        hi: f64,
    },
    /// An axis-aligned box near an edge or corner: the points q with
    /// `lo[a] < q[a] - p[a] < hi[a]` along every axis.
    Box {
        lo: [f64; 3],
        hi: [f64; 3],
    },
    Complex,
}

#[inline]
pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
#[inline]
pub(crate) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
#[inline]
pub(crate) fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// The two in-plane axes of a plane normal to `axis`, in order.
pub fn plane_axes(axis: usize) -> [usize; 2] {
    match axis {
        0 => [1, 2],
        1 => [0, 2],
        _ => [0, 1],
    }
}

/// Signed distance of the intersection of a 2D cross-section constraint
/// (`d_side`) and a slab along the axis (`d_cap`), exact when both are
/// (the usual extrusion formula).
#[inline]
fn extrude(d_side: f64, d_cap: f64) -> f64 {
    let inside = d_side.max(d_cap).min(0.0);
    let (a, b) = (d_side.max(0.0), d_cap.max(0.0));
    inside + (a * a + b * b).sqrt()
}

impl Shape {
    pub fn cuboid(min_um: [f64; 3], max_um: [f64; 3]) -> Shape {
        Shape::Box { min_um, max_um }
    }
    /// A box from its centre and edge lengths (infinite lengths allowed).
    pub fn centered_box(center_um: [f64; 3], size_um: [f64; 3]) -> Shape {
        let mut min_um = [0.0; 3];
        let mut max_um = [0.0; 3];
        for a in 0..3 {
            min_um[a] = center_um[a] - size_um[a] / 2.0;
            max_um[a] = center_um[a] + size_um[a] / 2.0;
        }
        Shape::Box { min_um, max_um }
    }
    /// A cylinder along `axis` (any non-zero vector; normalised here).
    pub fn cylinder(center_um: [f64; 3], axis: [f64; 3], radius_um: f64, height_um: f64) -> Shape {
        Shape::Cylinder {
            center_um,
            axis: unit(axis),
            radius_um,
            height_um,
        }
    }
    pub fn sphere(center_um: [f64; 3], radius_um: f64) -> Shape {
        Shape::Ellipsoid {
            center_um,
            radii_um: [radius_um; 3],
        }
    }
    pub fn ellipsoid(center_um: [f64; 3], radii_um: [f64; 3]) -> Shape {
        Shape::Ellipsoid { center_um, radii_um }
    }
    /// A frustum with radii at the bottom (`center - axis height/2`) and top ends.
    pub fn cone(center_um: [f64; 3], axis: [f64; 3], radius_um: f64, top_radius_um: f64, height_um: f64) -> Shape {
        Shape::Cone {
            center_um,
            axis: unit(axis),
            radius_um,
            top_radius_um,
            height_um,
        }
    }
    /// A frustum given by its bottom radius and the sidewall angle between
    /// the side and the base plane (90 deg: a cylinder; below 90: narrowing
    /// towards the top, as an etched mesa; above 90: widening).
    pub fn cone_with_sidewall(center_um: [f64; 3], axis: [f64; 3], radius_um: f64, sidewall_angle_deg: f64, height_um: f64) -> Shape {
        Shape::cone(
            center_um,
            axis,
            radius_um,
            top_radius(radius_um, sidewall_angle_deg, height_um),
            height_um,
        )
    }
    /// A polygon extruded along coordinate `axis` over `range_um` (its two
    /// ends along that axis; infinite ends allowed).
    pub fn prism(axis: usize, vertices_um: Vec<[f64; 2]>, range_um: [f64; 2]) -> Shape {
        let area = signed_area(&vertices_um);
        Shape::Prism(Prism {
            axis,
            vertices_um,
            range_um,
            orientation: if area < 0.0 { -1.0 } else { 1.0 },
        })
    }

    /// Check the dimensions; `what` names the shape in messages.
    pub fn validate(&self, what: &str) -> Result<()> {
        let finite3 = |name: &str, v: [f64; 3]| {
            if v.iter().all(|x| x.is_finite()) {
                Ok(())
            } else {
                Err(Error::invalid(format!("{what}.{name}"), format!("{v:?}"), "must be finite"))
            }
        };
        let positive = |name: &str, v: f64, inf_ok: bool| {
            if v > 0.0 && (inf_ok || v.is_finite()) {
                Ok(())
            } else {
                Err(Error::invalid(format!("{what}.{name}"), v, "must be a positive length (um)"))
            }
        };
        let unit_axis = |v: [f64; 3]| {
            if (norm(v) - 1.0).abs() < 1e-9 {
                Ok(())
            } else {
                Err(Error::invalid(
                    format!("{what}.axis"),
                    format!("{v:?}"),
                    "must be a non-zero finite vector",
                ))
            }
        };
        match self {
            Shape::Box { min_um, max_um } => {
                for a in 0..3 {
                    if min_um[a].is_nan() || max_um[a].is_nan() || min_um[a] >= max_um[a] {
                        return Err(Error::invalid(
                            format!("{what}.min_um/max_um"),
                            format!("{min_um:?} / {max_um:?}"),
                            "need min < max along every axis",
                        ));
                    }
                }
            }
            Shape::Cylinder {
                center_um,
                axis,
                radius_um,
                height_um,
            } => {
                finite3("center_um", *center_um)?;
                unit_axis(*axis)?;
                positive("radius_um", *radius_um, false)?;
                positive("height_um", *height_um, true)?;
            }
            Shape::Ellipsoid { center_um, radii_um } => {
                finite3("center_um", *center_um)?;
                for r in radii_um {
                    positive("radii_um", *r, false)?;
                }
            }
            Shape::Cone {
                center_um,
                axis,
                radius_um,
                top_radius_um,
                height_um,
            } => {
                finite3("center_um", *center_um)?;
                unit_axis(*axis)?;
                positive("height_um", *height_um, false)?;
                for (name, r) in [("radius_um", *radius_um), ("top_radius_um", *top_radius_um)] {
                    if !(r.is_finite() && r >= 0.0) {
                        return Err(Error::invalid(format!("{what}.{name}"), r, "must be a length >= 0 (um)"));
                    }
                }
                if *radius_um == 0.0 && *top_radius_um == 0.0 {
                    return Err(Error::invalid(
                        format!("{what}.radius_um"),
                        0,
                        "at least one of the two radii must be positive",
                    ));
                }
            }
            Shape::Prism(p) => {
                if p.axis > 2 {
                    return Err(Error::invalid(format!("{what}.axis"), p.axis, "must be 0, 1 or 2 (x, y, z)"));
                }
                if p.range_um.iter().any(|v| v.is_nan()) || p.range_um[0] >= p.range_um[1] {
                    return Err(Error::invalid(
                        format!("{what}.range_um"),
                        format!("{:?}", p.range_um),
                        "need start < end",
                    ));
                }
                validate_polygon(&p.vertices_um)
                    .map_err(|reason| Error::invalid(format!("{what}.vertices_um"), format!("{} vertices", p.vertices_um.len()), reason))?;
            }
        }
        Ok(())
    }

    /// Axis-aligned bounding box (may be infinite).
    pub fn bounds(&self) -> ([f64; 3], [f64; 3]) {
        match self {
            Shape::Box { min_um, max_um } => (*min_um, *max_um),
            Shape::Cylinder {
                center_um,
                axis,
                radius_um,
                height_um,
            } => segment_bounds(*center_um, *axis, *height_um, |_| *radius_um),
            Shape::Cone {
                center_um,
                axis,
                radius_um,
                top_radius_um,
                height_um,
            } => segment_bounds(*center_um, *axis, *height_um, |_| radius_um.max(*top_radius_um)),
            Shape::Ellipsoid { center_um, radii_um } => (
                [0, 1, 2].map(|a| center_um[a] - radii_um[a]),
                [0, 1, 2].map(|a| center_um[a] + radii_um[a]),
            ),
            Shape::Prism(p) => {
                let mut lo = [f64::INFINITY; 3];
                let mut hi = [f64::NEG_INFINITY; 3];
                let [u, v] = plane_axes(p.axis);
                for w in &p.vertices_um {
                    lo[u] = lo[u].min(w[0]);
                    hi[u] = hi[u].max(w[0]);
                    lo[v] = lo[v].min(w[1]);
                    hi[v] = hi[v].max(w[1]);
                }
                lo[p.axis] = p.range_um[0];
                hi[p.axis] = p.range_um[1];
                (lo, hi)
            }
        }
    }

    /// Whether p is inside (boxes and prism ends: [min, max); other surfaces:
    /// strictly inside).
    #[inline]
    pub fn contains(&self, p: [f64; 3]) -> bool {
        match self {
            Shape::Box { min_um, max_um } => (0..3).all(|a| p[a] >= min_um[a] && p[a] < max_um[a]),
            Shape::Prism(pr) => {
                let t = p[pr.axis];
                if !(t >= pr.range_um[0] && t < pr.range_um[1]) {
                    return false;
                }
                let [u, v] = plane_axes(pr.axis);
                point_in_polygon(&pr.vertices_um, [p[u], p[v]])
            }
            _ => self.distance_bound(p) < 0.0,
        }
    }

    /// Signed distance to the surface, negative inside, |value| <= true distance.
    #[inline]
    pub fn distance_bound(&self, p: [f64; 3]) -> f64 {
        match self {
            Shape::Box { min_um, max_um } => {
                let mut out = 0.0;
                let mut inside = f64::NEG_INFINITY;
                for a in 0..3 {
                    let s = (min_um[a] - p[a]).max(p[a] - max_um[a]);
                    if s > 0.0 {
                        out += s * s;
                    }
                    inside = inside.max(s);
                }
                if inside > 0.0 {
                    out.sqrt()
                } else {
                    inside
                }
            }
            Shape::Cylinder {
                center_um,
                axis,
                radius_um,
                height_um,
            } => {
                let d = sub(p, *center_um);
                let t = dot(d, *axis);
                let r = (dot(d, d) - t * t).max(0.0).sqrt();
                extrude(r - radius_um, t.abs() - height_um / 2.0)
            }
            Shape::Ellipsoid { center_um, radii_um } => {
                let d = sub(p, *center_um);
                let k = norm([d[0] / radii_um[0], d[1] / radii_um[1], d[2] / radii_um[2]]);
                // k E contains E + (k - 1) min(a) B (and E contains kE + (1 - k) min(a) B).
                (k - 1.0) * radii_um[0].min(radii_um[1]).min(radii_um[2])
            }
            Shape::Cone {
                center_um,
                axis,
                radius_um,
                top_radius_um,
                height_um,
            } => {
                let d = sub(p, *center_um);
                let t = dot(d, *axis);
                let r = (dot(d, d) - t * t).max(0.0).sqrt();
                let slope = (top_radius_um - radius_um) / height_um;
                let radius_at = radius_um + slope * (t + height_um / 2.0);
                // Distance to the generator line in the meridian plane; by
                // Cauchy-Schwarz a lower bound beyond the apex too.
                let side = (r - radius_at) / (1.0 + slope * slope).sqrt();
                side.max(t.abs() - height_um / 2.0)
            }
            Shape::Prism(pr) => {
                let [u, v] = plane_axes(pr.axis);
                let (dist, _, _) = polygon_distance(&pr.vertices_um, [p[u], p[v]]);
                let inside = point_in_polygon(&pr.vertices_um, [p[u], p[v]]);
                let d2 = if inside { -dist } else { dist };
                // Signed distance to the slab between the ends (either may be infinite).
                let cap = (pr.range_um[0] - p[pr.axis]).max(p[pr.axis] - pr.range_um[1]);
                extrude(d2, cap)
            }
        }
    }

    /// The interface within distance `h` of p, as planes (see [`Local`]).
    pub fn local(&self, p: [f64; 3], h: f64) -> Local {
        match self {
            Shape::Box { min_um, max_um } => {
                // Near an edge or a corner: the box itself, relative to p.
                let whole = Local::Box {
                    lo: [0, 1, 2].map(|a| min_um[a] - p[a]),
                    hi: [0, 1, 2].map(|a| max_um[a] - p[a]),
                };
                let mut found = None;
                for a in 0..3 {
                    let (dl, du) = (p[a] - min_um[a], max_um[a] - p[a]);
                    let (near_lo, near_hi) = (dl.abs() <= h, du.abs() <= h);
                    if near_lo || near_hi {
                        if found.is_some() {
                            return whole; // an edge or a corner
                        }
                        found = Some((a, near_lo, near_hi));
                    } else if dl < 0.0 || du < 0.0 {
                        return whole; // outside along another axis
                    }
                }
                match found {
                    None => whole,
                    Some((a, near_lo, near_hi)) => {
                        let mut n = [0.0; 3];
                        n[a] = 1.0;
                        Local::Planes {
                            n,
                            lo: if near_lo { min_um[a] - p[a] } else { f64::NEG_INFINITY },
                            hi: if near_hi { max_um[a] - p[a] } else { f64::INFINITY },
                        }
                    }
                }
            }
            Shape::Cylinder {
                center_um,
                axis,
                radius_um,
                height_um,
            } => {
                let d = sub(p, *center_um);
                let t = dot(d, *axis);
                let radial = sub(d, axis.map(|x| x * t));
                let r = norm(radial);
                let cap = t.abs() - height_um / 2.0;
                lateral_or_cap(radial, r, r - radius_um, 0.0, *axis, t, cap, h, *radius_um)
            }
            Shape::Cone {
                center_um,
                axis,
                radius_um,
                top_radius_um,
                height_um,
            } => {
                let d = sub(p, *center_um);
                let t = dot(d, *axis);
                let radial = sub(d, axis.map(|x| x * t));
                let r = norm(radial);
                let slope = (top_radius_um - radius_um) / height_um;
                let radius_at = radius_um + slope * (t + height_um / 2.0);
                let side = (r - radius_at) / (1.0 + slope * slope).sqrt();
                lateral_or_cap(radial, r, side, slope, *axis, t, t.abs() - height_um / 2.0, h, radius_at)
            }
            Shape::Ellipsoid { center_um, radii_um } => {
                let d = sub(p, *center_um);
                let (lo, hi) = radii_um.iter().fold((f64::INFINITY, 0.0f64), |(l, u), &r| (l.min(r), u.max(r)));
                // Smallest radius of curvature of the surface: lo^2 / hi.
                if lo * lo / hi < h {
                    return Local::Complex;
                }
                let g = [0, 1, 2].map(|a| d[a] / (radii_um[a] * radii_um[a]));
                let k = norm([0, 1, 2].map(|a| d[a] / radii_um[a]));
                let gn = norm(g);
                if gn == 0.0 || k == 0.0 {
                    return Local::Complex;
                }
                // f = k - 1 has gradient g / k; first-order distance (k - 1) k / |g|.
                let dist = (k - 1.0) * k / gn;
                Local::Planes {
                    n: g.map(|x| x / gn),
                    lo: f64::NEG_INFINITY,
                    hi: -dist,
                }
            }
            Shape::Prism(pr) => {
                let [u, v] = plane_axes(pr.axis);
                let q = [p[u], p[v]];
                let cap_lo = p[pr.axis] - pr.range_um[0]; // above the low end (inf if none)
                let cap_hi = pr.range_um[1] - p[pr.axis]; // below the high end
                let cap_near = (cap_lo.abs() <= h || cap_hi.abs() <= h) as usize;
                let verts = &pr.vertices_um;
                let mut near = 0;
                let mut edge = None;
                for e in 0..verts.len() {
                    let (a, b) = (verts[e], verts[(e + 1) % verts.len()]);
                    let (dist, interior) = segment_distance(a, b, q);
                    if dist <= h {
                        near += 1;
                        edge = Some((a, b, interior));
                    }
                }
                match (near, cap_near) {
                    (1, 0) => {
                        let Some((a, b, true)) = edge else { return Local::Complex };
                        let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
                        let len = (ex * ex + ey * ey).sqrt();
                        // Outward normal of a counter-clockwise polygon: (ey, -ex).
                        let (nx, ny) = (pr.orientation * ey / len, -pr.orientation * ex / len);
                        let mut n = [0.0; 3];
                        n[u] = nx;
                        n[v] = ny;
                        // Inside: n . (x - a) < 0, i.e. n . (x - q) < n . (a - q).
                        let hi = nx * (a[0] - q[0]) + ny * (a[1] - q[1]);
                        if !(cap_lo > h && cap_hi > h) {
                            return Local::Complex;
                        }
                        Local::Planes {
                            n,
                            lo: f64::NEG_INFINITY,
                            hi,
                        }
                    }
                    (0, 1) => {
                        let (dist, _, _) = polygon_distance(verts, q);
                        if !point_in_polygon(verts, q) || dist <= h {
                            return Local::Complex;
                        }
                        let mut n = [0.0; 3];
                        n[pr.axis] = 1.0;
                        Local::Planes {
                            n,
                            lo: if cap_lo.abs() <= h { -cap_lo } else { f64::NEG_INFINITY },
                            hi: if cap_hi.abs() <= h { cap_hi } else { f64::INFINITY },
                        }
                    }
                    _ => Local::Complex,
                }
            }
        }
    }

    /// The shape moved by `offset_um`.
    pub fn translated(&self, offset_um: [f64; 3]) -> Shape {
        let add = |c: [f64; 3]| [c[0] + offset_um[0], c[1] + offset_um[1], c[2] + offset_um[2]];
        match self {
            Shape::Box { min_um, max_um } => Shape::Box {
                min_um: add(*min_um),
                max_um: add(*max_um),
            },
            Shape::Cylinder {
                center_um,
                axis,
                radius_um,
                height_um,
            } => Shape::Cylinder {
                center_um: add(*center_um),
                axis: *axis,
                radius_um: *radius_um,
                height_um: *height_um,
            },
            Shape::Ellipsoid { center_um, radii_um } => Shape::Ellipsoid {
                center_um: add(*center_um),
                radii_um: *radii_um,
            },
            Shape::Cone {
                center_um,
                axis,
                radius_um,
                top_radius_um,
                height_um,
            } => Shape::Cone {
                center_um: add(*center_um),
                axis: *axis,
                radius_um: *radius_um,
                top_radius_um: *top_radius_um,
                height_um: *height_um,
            },
            Shape::Prism(p) => {
                let [u, v] = plane_axes(p.axis);
                Shape::Prism(Prism {
                    axis: p.axis,
                    vertices_um: p.vertices_um.iter().map(|w| [w[0] + offset_um[u], w[1] + offset_um[v]]).collect(),
                    range_um: [p.range_um[0] + offset_um[p.axis], p.range_um[1] + offset_um[p.axis]],
                    orientation: p.orientation,
                })
            }
        }
    }

    /// The shape with coordinate `a` sent through the monotone map `f`
    /// (a graded axis' physical-to-virtual map, src/mesh.rs), when the shape
    /// stays a shape of its kind: a box, a cylinder or cone along axis a, a
    /// prism extruded along a. None for any other (a sphere or a slanted
    /// face would no longer be one).
    pub fn mapped_along(&self, a: usize, f: &dyn Fn(f64) -> f64) -> Option<Shape> {
        match self {
            Shape::Box { min_um, max_um } => {
                let (mut lo, mut hi) = (*min_um, *max_um);
                (lo[a], hi[a]) = (f(lo[a]), f(hi[a]));
                Some(Shape::Box { min_um: lo, max_um: hi })
            }
            // A cone's radius changes along the axis: only a straight one
            // keeps its shape under a non-affine map.
            Shape::Cone {
                radius_um, top_radius_um, ..
            } if radius_um != top_radius_um => None,
            Shape::Cylinder { .. } | Shape::Cone { .. } => self.segment_mapped(a, f),
            Shape::Prism(p) if p.axis == a => Some(Shape::Prism(Prism {
                axis: p.axis,
                vertices_um: p.vertices_um.clone(),
                range_um: [f(p.range_um[0]), f(p.range_um[1])],
                orientation: p.orientation,
            })),
            _ => None,
        }
    }

    /// A cylinder or cone along axis `a` with its ends sent through `f` (its
    /// radii kept); None for any other shape.
    fn segment_mapped(&self, a: usize, f: &dyn Fn(f64) -> f64) -> Option<Shape> {
        let mut out = self.clone();
        let (Shape::Cylinder {
            center_um,
            axis,
            height_um,
            ..
        }
        | Shape::Cone {
            center_um,
            axis,
            height_um,
            ..
        }) = &mut out
        else {
            return None;
        };
        if axis[a].abs() < 1.0 - 1e-12 {
            return None;
        }
        if height_um.is_finite() {
            let (lo, hi) = (f(center_um[a] - 0.5 * *height_um), f(center_um[a] + 0.5 * *height_um));
            (center_um[a], *height_um) = (0.5 * (lo + hi), hi - lo);
        }
        Some(out)
    }

    /// The shape under the affine map x_a -> scale x_a + shift (the map of a
    /// graded axis over a run of equal cells), when it stays a shape of its
    /// kind: anything but a cylinder or cone slanted to the axis.
    pub fn scaled_along(&self, a: usize, scale: f64, shift: f64) -> Option<Shape> {
        let f = |z: f64| scale * z + shift;
        let along = |axis: &[f64; 3]| axis[a].abs() > 1.0 - 1e-12;
        let across = |axis: &[f64; 3]| axis[a].abs() < 1e-12;
        match self {
            Shape::Ellipsoid { center_um, radii_um } => {
                let (mut c, mut r) = (*center_um, *radii_um);
                c[a] = f(c[a]);
                r[a] *= scale;
                Some(Shape::Ellipsoid { center_um: c, radii_um: r })
            }
            Shape::Cone { axis, .. } if along(axis) => self.segment_mapped(a, &f),
            Shape::Prism(p) if p.axis != a => {
                let [u, _] = plane_axes(p.axis);
                let k = if u == a { 0 } else { 1 };
                let vertices_um = p
                    .vertices_um
                    .iter()
                    .map(|w| {
                        let mut w = *w;
                        w[k] = f(w[k]);
                        w
                    })
                    .collect();
                Some(Shape::Prism(Prism {
                    axis: p.axis,
                    vertices_um,
                    range_um: p.range_um,
                    orientation: p.orientation,
                }))
            }
            // A cylinder across the axis would turn elliptic: only a point
            // of it would do (scale 1 is a translation).
            Shape::Cylinder { axis, .. } | Shape::Cone { axis, .. } if across(axis) && scale == 1.0 => {
                let mut t = [0.0; 3];
                t[a] = shift;
                Some(self.translated(t))
            }
            _ => self.mapped_along(a, &f),
        }
    }

    /// Whether every face is planar (boxes and prisms).
    pub fn is_flat(&self) -> bool {
        matches!(self, Shape::Box { .. } | Shape::Prism(_))
    }

    /// A short name for messages ("cylinder").
    pub fn kind(&self) -> &'static str {
        match self {
            Shape::Box { .. } => "box",
            Shape::Cylinder { .. } => "cylinder",
            Shape::Ellipsoid { .. } => "ellipsoid",
            Shape::Cone { .. } => "cone",
            Shape::Prism(_) => "prism",
        }
    }
}

impl Prism {
    pub fn axis(&self) -> usize {
        self.axis
    }
    pub fn vertices_um(&self) -> &[[f64; 2]] {
        &self.vertices_um
    }
    pub fn range_um(&self) -> [f64; 2] {
        self.range_um
    }
}

/// The top radius of a frustum with this sidewall angle (deg, from the base plane).
pub fn top_radius(radius_um: f64, sidewall_angle_deg: f64, height_um: f64) -> f64 {
    if sidewall_angle_deg == 90.0 {
        return radius_um;
    }
    radius_um - height_um / sidewall_angle_deg.to_radians().tan()
}

fn unit(v: [f64; 3]) -> [f64; 3] {
    let n = norm(v);
    if n > 0.0 && n.is_finite() {
        v.map(|x| x / n)
    } else {
        v
    }
}

/// Bounds of a solid of revolution about a segment of length `height` along `axis`.
fn segment_bounds(c: [f64; 3], axis: [f64; 3], height: f64, radius: impl Fn(()) -> f64) -> ([f64; 3], [f64; 3]) {
    let r = radius(());
    let mut lo = [0.0; 3];
    let mut hi = [0.0; 3];
    for a in 0..3 {
        let along = if axis[a] == 0.0 { 0.0 } else { axis[a].abs() * height / 2.0 };
        let across = r * (1.0 - axis[a] * axis[a]).max(0.0).sqrt();
        lo[a] = c[a] - along - across;
        hi[a] = c[a] + along + across;
    }
    (lo, hi)
}

/// The local interface of a solid of revolution: a lateral surface at signed
/// distance `side` (normal tilted by `slope` = dR/dt) and caps at `cap`.
#[allow(clippy::too_many_arguments)]
fn lateral_or_cap(radial: [f64; 3], r: f64, side: f64, slope: f64, axis: [f64; 3], t: f64, cap: f64, h: f64, radius_here: f64) -> Local {
    let side_near = side.abs() <= h;
    let cap_near = cap.abs() <= h;
    match (side_near, cap_near) {
        // Away from the axis (where the radial direction is undefined) and
        // for a radius of at least half a cell diagonal; the planar share then
        // errs by O(dx^2 / radius), no worse than sampling the cell.
        (true, false) if cap < -h && r > 0.5 * h && radius_here > h => {
            let s = (1.0 + slope * slope).sqrt();
            let n = [0, 1, 2].map(|a| (radial[a] / r - slope * axis[a]) / s);
            Local::Planes {
                n,
                lo: f64::NEG_INFINITY,
                hi: -side,
            }
        }
        (false, true) if side < -h => {
            let sign = if t >= 0.0 { 1.0 } else { -1.0 };
            Local::Planes {
                n: axis.map(|x| x * sign),
                lo: f64::NEG_INFINITY,
                hi: -cap,
            }
        }
        _ => Local::Complex,
    }
}

fn signed_area(v: &[[f64; 2]]) -> f64 {
    let n = v.len();
    (0..n)
        .map(|i| {
            let (a, b) = (v[i], v[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum::<f64>()
        / 2.0
}

/// Even-odd rule.
fn point_in_polygon(v: &[[f64; 2]], q: [f64; 2]) -> bool {
    let mut inside = false;
    let n = v.len();
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (v[i], v[j]);
        if (a[1] > q[1]) != (b[1] > q[1]) {
            let x = a[0] + (q[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if q[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Distance from q to segment ab, and whether the nearest point is strictly inside it.
#[inline]
fn segment_distance(a: [f64; 2], b: [f64; 2], q: [f64; 2]) -> (f64, bool) {
    let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
    let (wx, wy) = (q[0] - a[0], q[1] - a[1]);
    let l2 = ex * ex + ey * ey;
    let s = ((wx * ex + wy * ey) / l2).clamp(0.0, 1.0);
    let (dx, dy) = (wx - s * ex, wy - s * ey);
    ((dx * dx + dy * dy).sqrt(), s > 0.0 && s < 1.0)
}

/// Unsigned distance to the polygon's boundary, the nearest edge and whether
/// its nearest point lies inside that edge.
fn polygon_distance(v: &[[f64; 2]], q: [f64; 2]) -> (f64, usize, bool) {
    let mut best = (f64::INFINITY, 0, false);
    for e in 0..v.len() {
        let (d, interior) = segment_distance(v[e], v[(e + 1) % v.len()], q);
        if d < best.0 {
            best = (d, e, interior);
        }
    }
    best
}

/// At least 3 finite vertices, no repeated consecutive vertex, non-zero
/// area, no two edges crossing.
pub(crate) fn validate_polygon(v: &[[f64; 2]]) -> std::result::Result<(), String> {
    let n = v.len();
    if n < 3 {
        return Err(format!("a polygon needs at least 3 vertices, found {n}"));
    }
    if let Some(i) = v.iter().position(|w| !(w[0].is_finite() && w[1].is_finite())) {
        return Err(format!("vertex {i} is not finite"));
    }
    let scale = v.iter().flat_map(|w| w.iter()).fold(0.0f64, |m, x| m.max(x.abs())).max(1e-300);
    for i in 0..n {
        let (a, b) = (v[i], v[(i + 1) % n]);
        if ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt() <= 1e-12 * scale {
            return Err(format!("vertices {i} and {} coincide", (i + 1) % n));
        }
    }
    let extent = {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for w in v {
            for a in 0..2 {
                lo[a] = lo[a].min(w[a]);
                hi[a] = hi[a].max(w[a]);
            }
        }
        (hi[0] - lo[0]).max(hi[1] - lo[1])
    };
    if signed_area(v).abs() <= 1e-9 * extent * extent {
        return Err("the polygon has zero area (collinear vertices)".into());
    }
    // O(n^2) edge-pair test; skipped for very large polygons.
    if n <= 4000 {
        // A hole is drawn as GDSII stores it: one boundary that runs along a
        // cut line into the hole, around it the other way and back along the
        // same line. The two cut edges (one edge traversed once each way) and
        // the vertices they share with the boundaries touch without crossing;
        // the even-odd rule of `point_in_polygon` fills such a polygon right.
        let mut touches = false;
        for i in 0..n {
            for j in i + 1..n {
                // Adjacent edges share a vertex.
                if j == i + 1 || (i == 0 && j == n - 1) {
                    continue;
                }
                let (p1, p2, q1, q2) = (v[i], v[(i + 1) % n], v[j], v[(j + 1) % n]);
                if p1 == q2 && p2 == q1 {
                    touches = true;
                    continue;
                }
                if segments_cross(p1, p2, q1, q2) {
                    if touch_at_shared_vertex(p1, p2, q1, q2) {
                        touches = true;
                        continue;
                    }
                    return Err(format!("edges {i} and {j} cross (a self-intersecting polygon)"));
                }
            }
        }
        // Smoothing takes the inside of every edge to be on one side (the
        // polygon's orientation); a boundary that touches itself must keep
        // it, as the outer boundary and the hole of a cut-line polygon do.
        if touches {
            let orientation = signed_area(v).signum();
            for i in 0..n {
                let (a, b) = (v[i], v[(i + 1) % n]);
                let twin = (0..n).any(|j| v[j] == b && v[(j + 1) % n] == a);
                if twin {
                    continue;
                }
                let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
                let len = (ex * ex + ey * ey).sqrt();
                let step = 1e-6 * orientation / len;
                let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
                let left = point_in_polygon(v, [mid[0] - ey * step, mid[1] + ex * step]);
                let right = point_in_polygon(v, [mid[0] + ey * step, mid[1] - ex * step]);
                if !left || right {
                    return Err(format!(
                        "edge {i} has the inside on the wrong side (a boundary that crosses itself at a shared vertex)"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Whether two crossing-tested segments only touch at an end they share
/// (not overlapping along a common line).
fn touch_at_shared_vertex(p1: [f64; 2], p2: [f64; 2], q1: [f64; 2], q2: [f64; 2]) -> bool {
    let Some((s, p, q)) = [(p1, p2, q1, q2), (p1, p2, q2, q1), (p2, p1, q1, q2), (p2, p1, q2, q1)]
        .into_iter()
        .find(|(a, _, c, _)| a == c)
        .map(|(a, b, _, d)| (a, b, d))
    else {
        return false;
    };
    let (u, w) = ([p[0] - s[0], p[1] - s[1]], [q[0] - s[0], q[1] - s[1]]);
    let cross = u[0] * w[1] - u[1] * w[0];
    // Not collinear: two lines meet once, here. Collinear: they overlap
    // unless they leave the shared end in opposite directions.
    cross != 0.0 || u[0] * w[0] + u[1] * w[1] < 0.0
}

fn segments_cross(p1: [f64; 2], p2: [f64; 2], q1: [f64; 2], q2: [f64; 2]) -> bool {
    let orient = |a: [f64; 2], b: [f64; 2], c: [f64; 2]| (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    let on = |a: [f64; 2], b: [f64; 2], c: [f64; 2]| {
        c[0] >= a[0].min(b[0]) && c[0] <= a[0].max(b[0]) && c[1] >= a[1].min(b[1]) && c[1] <= a[1].max(b[1])
    };
    let (d1, d2) = (orient(q1, q2, p1), orient(q1, q2, p2));
    let (d3, d4) = (orient(p1, p2, q1), orient(p1, p2, q2));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0)) {
        return true;
    }
    (d1 == 0.0 && on(q1, q2, p1)) || (d2 == 0.0 && on(q1, q2, p2)) || (d3 == 0.0 && on(p1, p2, q1)) || (d4 == 0.0 && on(p1, p2, q2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |distance_bound| never exceeds the distance to the nearest point of
    /// the other kind (inside vs outside) on a fine lattice.
    fn check_bound(s: &Shape, lo: [f64; 3], hi: [f64; 3], n: usize) {
        let mut pts = Vec::new();
        for k in 0..n {
            for j in 0..n {
                for i in 0..n {
                    let f = |a: usize, m: usize| lo[a] + (hi[a] - lo[a]) * (m as f64 + 0.5) / n as f64;
                    let p = [f(0, i), f(1, j), f(2, k)];
                    pts.push((p, s.contains(p)));
                }
            }
        }
        let spacing = (0..3).map(|a| (hi[a] - lo[a]) / n as f64).fold(0.0, f64::max);
        for &(p, inside) in pts.iter().step_by(7) {
            let d = s.distance_bound(p);
            assert_eq!(d < 0.0, inside, "{s:?} at {p:?}: bound {d}");
            let nearest_other = pts
                .iter()
                .filter(|(_, o)| *o != inside)
                .map(|(q, _)| norm(sub(*q, p)))
                .fold(f64::INFINITY, f64::min);
            assert!(d.abs() <= nearest_other + 1e-12, "{s:?} at {p:?}: |{d}| > {nearest_other}");
            // ...and is not uselessly loose for exact shapes.
            if !matches!(s, Shape::Ellipsoid { .. } | Shape::Cone { .. }) && nearest_other.is_finite() {
                assert!(d.abs() >= nearest_other - 2.0 * spacing, "{s:?} at {p:?}: |{d}| << {nearest_other}");
            }
        }
    }

    #[test]
    fn distance_bounds_are_conservative() {
        let lo = [-1.5; 3];
        let hi = [1.5; 3];
        check_bound(&Shape::cuboid([-0.7, -0.4, -0.9], [0.5, 0.8, 0.3]), lo, hi, 24);
        check_bound(&Shape::cylinder([0.1, 0.0, -0.1], [1.0, 1.0, 0.5], 0.6, 1.4), lo, hi, 24);
        check_bound(&Shape::ellipsoid([0.0, 0.1, 0.0], [1.2, 0.5, 0.8]), lo, hi, 24);
        check_bound(&Shape::cone([0.0, 0.0, 0.0], [0.0, 0.3, 1.0], 1.0, 0.3, 1.6), lo, hi, 24);
        check_bound(&Shape::cone([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], 0.0, 0.9, 2.0), lo, hi, 24);
        check_bound(
            &Shape::prism(1, vec![[-1.0, -1.0], [1.0, -0.8], [0.2, 0.0], [0.9, 1.0], [-1.0, 0.7]], [-0.6, 0.9]),
            lo,
            hi,
            24,
        );
    }

    #[test]
    fn local_planes_match_the_surface() {
        let h = 0.05;
        // A point just inside a cylinder's side: one plane, outward radial normal.
        let c = Shape::cylinder([0.0; 3], [0.0, 0.0, 1.0], 1.0, 4.0);
        let Local::Planes { n, lo, hi } = c.local([0.98, 0.0, 0.3], h) else {
            panic!()
        };
        assert!((n[0] - 1.0).abs() < 1e-12 && lo == f64::NEG_INFINITY && (hi - 0.02).abs() < 1e-12);
        // Near the rim: complex.
        assert_eq!(c.local([0.98, 0.0, 1.98], h), Local::Complex);
        // A thin slab (box) seen from its middle: two planes.
        let b = Shape::cuboid([f64::NEG_INFINITY, f64::NEG_INFINITY, 0.0], [f64::INFINITY, f64::INFINITY, 0.03]);
        let Local::Planes { n, lo, hi } = b.local([0.0, 0.0, 0.01], h) else {
            panic!()
        };
        assert_eq!(n, [0.0, 0.0, 1.0]);
        assert!((lo + 0.01).abs() < 1e-12 && (hi - 0.02).abs() < 1e-12);
        // A frustum's side: the normal leans towards the narrow end.
        let k = Shape::cone([0.0; 3], [0.0, 0.0, 1.0], 1.0, 0.5, 1.0);
        let Local::Planes { n, .. } = k.local([0.75, 0.0, 0.0], h) else {
            panic!()
        };
        let expected = [1.0 / 1.25f64.sqrt(), 0.0, 0.5 / 1.25f64.sqrt()];
        assert!(norm(sub(n, expected)) < 1e-12, "{n:?}");
        // A square prism along z: edge interior is a plane, a corner is complex.
        let p = Shape::prism(2, vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], [0.0, 1.0]);
        let Local::Planes { n, hi, .. } = p.local([0.5, 0.99, 0.5], h) else {
            panic!()
        };
        assert!(norm(sub(n, [0.0, 1.0, 0.0])) < 1e-12 && (hi - 0.01).abs() < 1e-12);
        assert_eq!(p.local([0.99, 0.99, 0.5], h), Local::Complex);
        // Clockwise vertices give the same outward normal.
        let cw = Shape::prism(2, vec![[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]], [0.0, 1.0]);
        assert_eq!(cw.local([0.5, 0.99, 0.5], h), p.local([0.5, 0.99, 0.5], h));
    }

    #[test]
    fn polygons_are_checked() {
        assert!(validate_polygon(&[[0.0, 0.0], [1.0, 0.0]]).unwrap_err().contains("at least 3"));
        assert!(validate_polygon(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
            .unwrap_err()
            .contains("zero area"));
        assert!(validate_polygon(&[[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 1.0]])
            .unwrap_err()
            .contains("cross"));
        assert!(validate_polygon(&[[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
            .unwrap_err()
            .contains("coincide"));
        assert!(validate_polygon(&[[0.0, 0.0], [2.0, 0.0], [1.0, 0.3], [2.0, 1.0], [0.0, 1.0]]).is_ok());
        // A square with a square hole, joined by a cut line along y = 0.5
        // (GDSII's way): accepted; the same with the hole the wrong way round
        // (both boundaries counter-clockwise) is not.
        let keyhole = [
            [0.0, 0.0],
            [4.0, 0.0],
            [4.0, 4.0],
            [0.0, 4.0],
            [0.0, 2.0],
            [1.0, 2.0],
            [1.0, 3.0],
            [3.0, 3.0],
            [3.0, 1.0],
            [1.0, 1.0],
            [1.0, 2.0],
            [0.0, 2.0],
        ];
        validate_polygon(&keyhole).unwrap();
        assert!(point_in_polygon(&keyhole, [0.5, 2.0]) && point_in_polygon(&keyhole, [0.5, 2.5]));
        assert!(!point_in_polygon(&keyhole, [2.0, 2.0]));
        let mut wrong = keyhole;
        wrong[5..11].copy_from_slice(&[[1.0, 2.0], [1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0], [1.0, 2.0]]);
        assert!(validate_polygon(&wrong).unwrap_err().contains("wrong side"));
        // A bow tie with a vertex at the crossing: the lobes turn opposite ways.
        let bow = [[0.0, 0.0], [1.0, 1.0], [3.0, 2.0], [3.0, 0.0], [1.0, 1.0], [0.0, 2.0]];
        assert!(
            validate_polygon(&bow).unwrap_err().contains("wrong side"),
            "{:?}",
            validate_polygon(&bow)
        );
    }

    #[test]
    fn frustum_from_a_sidewall_angle() {
        assert!((top_radius(1.0, 45.0, 0.4) - 0.6).abs() < 1e-12);
        assert_eq!(top_radius(1.0, 90.0, 0.4), 1.0);
        assert!((top_radius(1.0, 135.0, 0.4) - 1.4).abs() < 1e-12);
    }
}
