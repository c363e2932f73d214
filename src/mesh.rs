//! Graded meshes: finer cells along one axis over chosen ranges (a thin
//! high-index layer), the base cell elsewhere, with geometric transitions
//! between them (each cell at most [`MAX_RATIO`] times its neighbour), as
//! Lumerical's mesh override regions and Tidy3D's override structures do.
//!
//! The engines see a graded axis through one number per sample: the Yee
//! difference along the axis is divided by the distance it spans instead of
//! the base cell dx, i.e. multiplied by a stretch factor w = dx / width
//! (Taflove and Hagness, "Computational Electrodynamics", 3rd ed., sec. 3.6.10
//! and the non-uniform grids of ch. 11 there; Monk and Suli's proof that the
//! scheme stays second order on smoothly graded grids, SIAM J. Numer. Anal.
//! 31, 393 (1994)). Forward differences (the H update) span a primal cell,
//! node i to node i + 1: w_h[i] = dx / width(i). Backward differences (the E
//! update) span the dual cell, centre i - 1 to centre i: w_e[i] = dx / dual(i).
//!
//! Everything that is not an engine works on the "virtual" uniform grid: node
//! i of the graded axis sits at i dx there. Positions are mapped piecewise
//! linearly between the two (exact for each cell), so rasterised boxes,
//! extrusions along the axis, sources and monitors keep their code; what a
//! physical cell size enters (a point source's 1/volume, a flux sample's
//! area, a coordinate written to a file) is corrected with the same factors.
//! Outside the graded zones the mesh is the base lattice itself (nodes at
//! whole multiples of dx from the domain's edge), so the CPML and everything
//! near the domain's faces is unchanged.

/// The largest ratio between neighbouring cells. Ratios up to ~1.2-1.3 keep
/// the first-order error of a non-uniform difference small (Lumerical's and
/// Tidy3D's defaults are 1.2 to 1.4).
pub const MAX_RATIO: f64 = 1.2;

/// A range of one axis meshed at its own resolution (grid coordinates, um).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Refinement {
    pub lo_um: f64,
    pub hi_um: f64,
    /// Cells per um inside the range (more than the base resolution).
    pub resolution: f64,
}

/// The nodes of a graded axis.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisMesh {
    /// Node positions (um, grid coordinates): cells + 1 of them, from 0 to
    /// the domain's length.
    nodes: Vec<f64>,
    /// The base cell (um): the virtual grid's spacing.
    dx: f64,
    /// Per refinement: the graded zone (fine range and transitions), um.
    zones: Vec<(f64, f64)>,
    /// Per refinement: the fine range and its cell (um).
    fine: Vec<(f64, f64, f64)>,
}

/// Widths of `n` cells growing geometrically from `fine` (exclusive) that
/// fill `gap` exactly: fine r, fine r^2, ..., fine r^n. None when no ratio
/// r in [1, MAX_RATIO] does it with a last cell within MAX_RATIO of `dx`.
fn transition(fine: f64, dx: f64, gap: f64) -> Option<Vec<f64>> {
    let sum = |r: f64, n: usize| (1..=n).map(|q| fine * r.powi(q as i32)).sum::<f64>();
    for n in 1..=400 {
        if sum(1.0, n) > gap * (1.0 + 1e-12) {
            return None;
        }
        if sum(MAX_RATIO, n) < gap {
            continue;
        }
        let (mut lo, mut hi) = (1.0, MAX_RATIO);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if sum(mid, n) < gap {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let r = 0.5 * (lo + hi);
        let last = fine * r.powi(n as i32);
        if last <= dx * MAX_RATIO && last * MAX_RATIO >= dx {
            let mut w: Vec<f64> = (1..=n).map(|q| fine * r.powi(q as i32)).collect();
            // Absorb the bisection's last ulps so the widths sum to the gap.
            let s: f64 = w.iter().sum();
            *w.last_mut().expect("n >= 1") += gap - s;
            return Some(w);
        }
    }
    None
}

impl AxisMesh {
    /// The mesh of an axis of `length_um` (a whole number of base cells `dx`)
    /// refined over `ranges` (grid coordinates). Each range's ends become
    /// nodes (a layer's faces sit on cell faces); `keep_out` is the length at
    /// each end that must stay on the base lattice (the CPML). The ranges
    /// must be sorted and apart; an error names the range (its index) and
    /// what it needs.
    pub fn build(length_um: f64, dx: f64, ranges: &[Refinement], keep_out: [f64; 2]) -> Result<AxisMesh, (usize, String)> {
        let base = (length_um / dx).round() as i64;
        let node = |m: i64| m as f64 * dx;
        let (floor_node, ceil_node) = (|z: f64| ((z / dx) - 1e-9).floor() as i64, |z: f64| ((z / dx) + 1e-9).ceil() as i64);
        let mut nodes = vec![0.0];
        let mut zones = Vec::new();
        let mut fine_ranges = Vec::new();
        // Next base-lattice node the mesh has reached.
        let mut at = 0i64;
        let lowest = keep_out[0];
        for (q, r) in ranges.iter().enumerate() {
            let (z0, z1) = (r.lo_um, r.hi_um);
            if !(z0.is_finite() && z1.is_finite() && z1 > z0) {
                return Err((q, "a range [lo, hi] with lo < hi".into()));
            }
            if !(r.resolution.is_finite() && r.resolution * dx > 1.0 + 1e-9) {
                return Err((q, format!("a resolution above the base {} cells/um", 1.0 / dx)));
            }
            let m = ((z1 - z0) * r.resolution - 1e-9).ceil().max(1.0) as usize;
            let fine = (z1 - z0) / m as f64;
            // Below: from the highest base node under z0 downwards until a
            // transition fits.
            let mut below = None;
            let mut a = floor_node(z0);
            while node(a) >= lowest - 1e-9 && a >= at {
                if let Some(w) = transition(fine, dx, z0 - node(a)) {
                    below = Some((a, w));
                    break;
                }
                a -= 1;
            }
            let Some((a, w_below)) = below else {
                return Err((
                    q,
                    format!(
                        "room below the range for cells growing from {fine:.4} um to the base {dx:.4} um \
                         (at most {MAX_RATIO} times per cell), clear of the PML and of the range before it"
                    ),
                ));
            };
            let highest = ranges.get(q + 1).map_or(length_um - keep_out[1], |n| n.lo_um);
            let mut above = None;
            let mut b = ceil_node(z1);
            while node(b) <= highest + 1e-9 && b <= base {
                if let Some(w) = transition(fine, dx, node(b) - z1) {
                    above = Some((b, w));
                    break;
                }
                b += 1;
            }
            let Some((b, w_above)) = above else {
                return Err((
                    q,
                    format!(
                        "room above the range for cells growing from {fine:.4} um to the base {dx:.4} um \
                         (at most {MAX_RATIO} times per cell), clear of the PML and of the range after it"
                    ),
                ));
            };
            for m in at + 1..=a {
                nodes.push(node(m));
            }
            let mut z = node(a);
            for w in w_below.iter().rev() {
                z += w;
                nodes.push(z);
            }
            *nodes.last_mut().expect("nonempty") = z0;
            for s in 1..=m {
                nodes.push(if s == m { z1 } else { z0 + s as f64 * fine });
            }
            let mut z = z1;
            for w in &w_above {
                z += w;
                nodes.push(z);
            }
            *nodes.last_mut().expect("nonempty") = node(b);
            zones.push((node(a), node(b)));
            fine_ranges.push((z0, z1, fine));
            at = b;
        }
        for m in at + 1..=base {
            nodes.push(node(m));
        }
        Ok(AxisMesh {
            nodes,
            dx,
            zones,
            fine: fine_ranges,
        })
    }

    /// In words, for `lumen check`: the fine ranges (scene coordinates:
    /// grid minus `offset`) and cells.
    pub fn describe(&self, offset: f64) -> String {
        let ranges: Vec<String> = self
            .fine
            .iter()
            .map(|&(lo, hi, w)| {
                format!(
                    "[{:.4}, {:.4}] um at {:.4} um ({:.1} cells/um)",
                    lo - offset,
                    hi - offset,
                    w,
                    1.0 / w
                )
            })
            .collect();
        format!(
            "{} cells: {}, growing by at most {MAX_RATIO} per cell to {:.4} um elsewhere",
            self.cells(),
            ranges.join(", "),
            self.dx
        )
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.nodes.len() - 1
    }
    /// The graded zones (fine ranges with their transitions), grid coordinates.
    pub fn zones(&self) -> &[(f64, f64)] {
        &self.zones
    }
    /// Node positions (um, grid coordinates).
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }
    /// Width of cell i (node i to node i + 1).
    pub fn width(&self, i: usize) -> f64 {
        let i = i.min(self.cells() - 1);
        self.nodes[i + 1] - self.nodes[i]
    }
    /// Distance from the centre of cell i - 1 to that of cell i (the dual cell
    /// around node i); the cell's own width at the domain's ends.
    pub fn dual(&self, i: usize) -> f64 {
        if i == 0 || i >= self.cells() {
            self.width(i.min(self.cells() - 1))
        } else {
            0.5 * (self.width(i - 1) + self.width(i))
        }
    }
    /// The smallest cell.
    pub fn min_width(&self) -> f64 {
        (0..self.cells()).map(|i| self.width(i)).fold(f64::INFINITY, f64::min)
    }
    /// dx / width(i) per cell: the forward (H update) stretch factors.
    pub fn stretch_h(&self) -> Vec<f32> {
        (0..self.cells()).map(|i| (self.dx / self.width(i)) as f32).collect()
    }
    /// dx / dual(i) per node 0..cells: the backward (E update) stretch factors.
    pub fn stretch_e(&self) -> Vec<f32> {
        (0..self.cells()).map(|i| (self.dx / self.dual(i)) as f32).collect()
    }
    /// The physical extent (um) a sample at index i stands for along the axis:
    /// its cell for a sample at a cell centre (`centre`), its dual cell for
    /// one on a node.
    pub fn extent(&self, i: usize, centre: bool) -> f64 {
        if centre {
            self.width(i)
        } else {
            self.dual(i)
        }
    }
    /// Grid coordinate (um) to the virtual uniform grid's (node i at i dx);
    /// linear beyond the domain, infinities kept.
    pub fn to_virtual(&self, z: f64) -> f64 {
        if !z.is_finite() {
            return z;
        }
        let n = self.cells();
        if z <= 0.0 {
            return z;
        }
        if z >= self.nodes[n] {
            return n as f64 * self.dx + (z - self.nodes[n]);
        }
        let i = self.nodes.partition_point(|&p| p <= z).saturating_sub(1).min(n - 1);
        (i as f64 + (z - self.nodes[i]) / self.width(i)) * self.dx
    }
    /// The inverse of [`to_virtual`](Self::to_virtual).
    pub fn to_physical(&self, v: f64) -> f64 {
        if !v.is_finite() {
            return v;
        }
        let n = self.cells();
        let t = v / self.dx;
        if t <= 0.0 {
            return v;
        }
        if t >= n as f64 {
            return self.nodes[n] + (v - n as f64 * self.dx);
        }
        let i = (t.floor() as usize).min(n - 1);
        self.nodes[i] + (t - i as f64) * self.width(i)
    }
    /// The affine map (scale, shift) that `to_virtual` is over [lo, hi]
    /// (grid coordinates), when the cells there all have one width.
    pub fn affine_over(&self, lo: f64, hi: f64) -> Option<(f64, f64)> {
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        let n = self.cells();
        let cell = |z: f64| self.nodes.partition_point(|&p| p <= z).saturating_sub(1).min(n - 1);
        let (i0, i1) = (cell(lo), cell(hi));
        // A shape ending on a node does not reach the next cell.
        let i1 = if i1 > i0 && (self.nodes[i1] - hi).abs() < 1e-12 {
            i1 - 1
        } else {
            i1
        };
        let w = self.width(i0);
        if (i0..=i1).any(|i| (self.width(i) - w).abs() > 1e-9 * w) {
            return None;
        }
        let scale = self.dx / w;
        Some((scale, self.to_virtual(lo) - scale * lo))
    }

    /// Whether [lo, hi] (grid coordinates) meets a graded zone.
    pub fn meets_zone(&self, lo: f64, hi: f64) -> bool {
        self.zones.iter().any(|&(a, b)| hi > a + 1e-9 && lo < b - 1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mesh() -> AxisMesh {
        // 7 um at 30 cells/um, GaN-like layer [2.5, 3.3] at 96 cells/um.
        AxisMesh::build(
            7.0,
            1.0 / 30.0,
            &[Refinement {
                lo_um: 2.5,
                hi_um: 3.3,
                resolution: 96.0,
            }],
            [0.6, 0.6],
        )
        .unwrap()
    }

    #[test]
    fn ranges_end_on_nodes_and_grade_smoothly() {
        let m = mesh();
        let dx = 1.0 / 30.0;
        assert!(m.nodes().contains(&2.5) && m.nodes().contains(&3.3));
        // 0.8 um at 96 cells/um: 77 cells of 0.8/77 um.
        let fine = m.nodes().windows(2).filter(|w| (w[1] - w[0] - 0.8 / 77.0).abs() < 1e-12).count();
        assert_eq!(fine, 77);
        for i in 1..m.cells() {
            let r = m.width(i) / m.width(i - 1);
            assert!(
                r <= MAX_RATIO * (1.0 + 1e-9) && 1.0 / r <= MAX_RATIO * (1.0 + 1e-9),
                "cell {i}: ratio {r}"
            );
        }
        // Outside the zone, the base lattice itself.
        let (a, b) = m.zones()[0];
        for &z in m.nodes().iter().filter(|&&z| z <= a + 1e-12 || z >= b - 1e-12) {
            assert!(((z / dx) - (z / dx).round()).abs() < 1e-9, "node {z} off the base lattice");
        }
        assert_eq!(*m.nodes().last().unwrap(), 7.0);
        assert!(a >= 0.6 && b <= 6.4);
    }

    #[test]
    fn virtual_and_physical_coordinates_invert() {
        let m = mesh();
        for q in 0..=700 {
            let z = q as f64 * 0.01;
            let v = m.to_virtual(z);
            assert!((m.to_physical(v) - z).abs() < 1e-12, "{z} -> {v}");
        }
        // Node i sits at i dx on the virtual grid; below the zone nothing moves,
        // above it everything moves by whole cells.
        let dx = 1.0 / 30.0;
        for (i, &z) in m.nodes().iter().enumerate() {
            assert!((m.to_virtual(z) - i as f64 * dx).abs() < 1e-12);
        }
        assert_eq!(m.to_virtual(1.0), 1.0);
        let shift = m.to_virtual(6.0) - 6.0;
        assert!(((shift / dx) - (shift / dx).round()).abs() < 1e-9 && shift > 0.0);
    }

    #[test]
    fn stretch_factors_are_one_off_the_zone() {
        let m = mesh();
        let (e, h) = (m.stretch_e(), m.stretch_h());
        let (a, b) = m.zones()[0];
        for i in 0..m.cells() {
            let z = m.nodes()[i];
            if z < a - 1e-9 || z > b + 1e-9 {
                assert_eq!((e[i], h[i]), (1.0, 1.0), "cell {i}");
            }
        }
        let top = h.iter().cloned().fold(0.0f32, f32::max);
        assert!((top as f64 - (1.0 / 30.0) / (0.8 / 77.0)).abs() < 1e-5, "{top}");
    }

    #[test]
    fn refusals_say_why() {
        let dx = 0.1;
        let r = |lo, hi, res| Refinement {
            lo_um: lo,
            hi_um: hi,
            resolution: res,
        };
        assert!(AxisMesh::build(4.0, dx, &[r(1.0, 2.0, 5.0)], [0.5, 0.5])
            .unwrap_err()
            .1
            .contains("above the base"));
        // No room between the PML and the layer for the cells to grow.
        assert!(AxisMesh::build(4.0, dx, &[r(0.55, 1.0, 80.0)], [0.5, 0.5])
            .unwrap_err()
            .1
            .contains("room below"));
        // Two layers too close for the cells to grow back between them.
        let e = AxisMesh::build(4.0, dx, &[r(1.0, 1.5, 80.0), r(1.55, 2.0, 80.0)], [0.5, 0.5]).unwrap_err();
        assert!(e.0 == 0 && e.1.contains("room above"), "{e:?}");
    }
}
