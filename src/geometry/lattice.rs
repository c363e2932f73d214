//! Lattices that repeat a shape or a group of shapes: fiber arrays at a
//! pitch, LED arrays, hexagonal imaging-fiber bundles.

use crate::error::{Error, Result};
use crate::geometry::shape::plane_axes;

/// Where the copies go, as offsets from the original (um). Both kinds are
/// centred on the original: the copies' mean offset is zero.
#[derive(Clone, Debug, PartialEq)]
pub enum Lattice {
    /// `counts[i]` copies along each lattice vector `vectors_um[i]` (one
    /// vector: a row; two: a 2D array; three: a 3D array), offsets
    /// `sum_i (n_i - (counts[i] - 1) / 2) vectors_um[i]`, n_i = 0..counts[i].
    Vectors { vectors_um: Vec<[f64; 3]>, counts: Vec<usize> },
    /// A hexagonal lattice of pitch `pitch_um` in the plane normal to
    /// coordinate axis `axis`, cut to `rings` rings around the centre
    /// (1 + 3 rings (rings + 1) copies: 1, 7, 19, 37, ...). The first
    /// lattice vector points along the first in-plane axis (x for a plane
    /// normal to z), turned by `rotation_deg` about `axis`.
    Hexagonal {
        pitch_um: f64,
        rings: usize,
        axis: usize,
        rotation_deg: f64,
    },
}

impl Lattice {
    /// A row of `count` copies `pitch_um` apart along `direction`.
    pub fn row(direction_um: [f64; 3], count: usize) -> Lattice {
        Lattice::Vectors {
            vectors_um: vec![direction_um],
            counts: vec![count],
        }
    }
    /// A hexagonal bundle in the plane normal to z.
    pub fn hexagonal(pitch_um: f64, rings: usize) -> Lattice {
        Lattice::Hexagonal {
            pitch_um,
            rings,
            axis: 2,
            rotation_deg: 0.0,
        }
    }

    pub fn validate(&self, what: &str) -> Result<()> {
        match self {
            Lattice::Vectors { vectors_um, counts } => {
                if vectors_um.is_empty() || vectors_um.len() > 3 || vectors_um.len() != counts.len() {
                    return Err(Error::invalid(
                        format!("{what}.vectors_um"),
                        format!("{} vectors and {} counts", vectors_um.len(), counts.len()),
                        "need 1 to 3 lattice vectors and one count per vector",
                    ));
                }
                for (i, v) in vectors_um.iter().enumerate() {
                    if !v.iter().all(|x| x.is_finite()) || v.iter().all(|x| *x == 0.0) {
                        return Err(Error::invalid(
                            format!("{what}.vectors_um[{i}]"),
                            format!("{v:?}"),
                            "must be a non-zero finite vector (um)",
                        ));
                    }
                }
                if let Some(i) = counts.iter().position(|&c| c == 0) {
                    return Err(Error::invalid(format!("{what}.counts[{i}]"), 0, "at least one copy"));
                }
            }
            Lattice::Hexagonal {
                pitch_um,
                axis,
                rotation_deg,
                ..
            } => {
                if !(pitch_um.is_finite() && *pitch_um > 0.0) {
                    return Err(Error::invalid(
                        format!("{what}.pitch_um"),
                        pitch_um,
                        "must be a positive length (um)",
                    ));
                }
                if *axis > 2 {
                    return Err(Error::invalid(format!("{what}.axis"), axis, "must be 0, 1 or 2 (x, y, z)"));
                }
                if !rotation_deg.is_finite() {
                    return Err(Error::invalid(format!("{what}.rotation_deg"), rotation_deg, "must be finite"));
                }
            }
        }
        Ok(())
    }

    /// Number of copies.
    pub fn len(&self) -> usize {
        match self {
            Lattice::Vectors { counts, .. } => counts.iter().product(),
            Lattice::Hexagonal { rings, .. } => 1 + 3 * rings * (rings + 1),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The offsets of the copies (um), centre first for a hexagonal lattice,
    /// then ring by ring, counter-clockwise.
    pub fn offsets(&self) -> Vec<[f64; 3]> {
        match self {
            Lattice::Vectors { vectors_um, counts } => {
                let mut out = vec![[0.0; 3]];
                for (v, &n) in vectors_um.iter().zip(counts) {
                    let mut next = Vec::with_capacity(out.len() * n);
                    for m in 0..n {
                        let s = m as f64 - (n as f64 - 1.0) / 2.0;
                        for o in &out {
                            next.push([o[0] + s * v[0], o[1] + s * v[1], o[2] + s * v[2]]);
                        }
                    }
                    out = next;
                }
                out
            }
            Lattice::Hexagonal {
                pitch_um,
                rings,
                axis,
                rotation_deg,
            } => {
                let (s, c) = rotation_deg.to_radians().sin_cos();
                let e1 = [c, s];
                let e2 = [0.5 * c - 0.75f64.sqrt() * s, 0.5 * s + 0.75f64.sqrt() * c];
                let [u, v] = plane_axes(*axis);
                let point = |i: i64, j: i64| {
                    let mut p = [0.0; 3];
                    p[u] = pitch_um * (i as f64 * e1[0] + j as f64 * e2[0]);
                    p[v] = pitch_um * (i as f64 * e1[1] + j as f64 * e2[1]);
                    p
                };
                let mut out = vec![point(0, 0)];
                // Walk each ring: start at ring * (direction 4) and take
                // `ring` steps along each of the six directions.
                let dirs: [(i64, i64); 6] = [(1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1)];
                for ring in 1..=*rings as i64 {
                    let (mut i, mut j) = (ring * dirs[4].0, ring * dirs[4].1);
                    for d in dirs {
                        for _ in 0..ring {
                            out.push(point(i, j));
                            i += d.0;
                            j += d.1;
                        }
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hexagonal_rings() {
        let l = Lattice::hexagonal(2.0, 3);
        let o = l.offsets();
        assert_eq!(o.len(), 37);
        assert_eq!(o.len(), l.len());
        assert_eq!(o[0], [0.0; 3]);
        // Ring r lies between r * pitch * sqrt(3)/2 and r * pitch from the centre; no duplicates.
        for (n, p) in o.iter().enumerate() {
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            let ring = if n == 0 {
                0
            } else {
                (1..=3).find(|&k| n < 1 + 3 * k * (k + 1)).unwrap()
            };
            assert!(r <= ring as f64 * 2.0 + 1e-9 && r >= ring as f64 * 3f64.sqrt() - 1e-9, "{n}: {p:?}");
            assert_eq!(p[2], 0.0);
            for q in &o[..n] {
                let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
                assert!(d > 2.0 - 1e-9, "copies {p:?} and {q:?} closer than the pitch");
            }
        }
    }

    #[test]
    fn vector_lattices_are_centred() {
        let l = Lattice::Vectors {
            vectors_um: vec![[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]],
            counts: vec![3, 2],
        };
        let o = l.offsets();
        assert_eq!(o.len(), 6);
        assert!(o.contains(&[-1.0, -1.0, 0.0]) && o.contains(&[1.0, 1.0, 0.0]));
        let mean: f64 = o.iter().map(|p| p[0] + p[1]).sum();
        assert_eq!(mean, 0.0);
        assert!(Lattice::row([0.0; 3], 2).validate("a").is_err());
        assert!(Lattice::row([1.0, 0.0, 0.0], 0).validate("a").is_err());
    }
}
