//! The structure as drawn over maps: which medium each drawn cell is in,
//! the outline of the steps between media, and metals.
//!
//! The media are looked up from the scene's shapes at the cell centres
//! (later shapes win, as the engine paints them), without subpixel
//! smoothing: an interface is one line, where the engine's smoothed
//! permittivity would show a one-cell blend. Two media differ when their
//! Re ε at the drawing wavelength differs, or one is a metal and the other
//! not.
//!
//! A medium is drawn as a metal when, at the drawing wavelength, Re ε < 0
//! (a Drude or Lorentz-Drude metal below its plasma frequency) or its loss
//! exceeds its polarisation, Im ε > |Re ε| (a good conductor); without a
//! wavelength (a scene with no source), when it has a Drude pole.

use ndarray::Array2;

use super::figure::Overlay;
use super::{fmt_num, Slice};
use crate::geometry::Shape;
use crate::material::{Medium, Pole, Structure};
use crate::sim::Prepared;

/// Outline colour of the steps between media (as over mode maps).
pub use super::mode::OUTLINE_COLOR;
/// Metals: hatch lines, and the solid fill under them on permittivity maps.
pub const METAL_HATCH: [u8; 3] = [120, 90, 20];
pub const METAL_FILL: [u8; 3] = [212, 175, 55];

/// The look of one medium at the drawing wavelength.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MediumLook {
    /// Re ε at the wavelength (eps_inf without one).
    pub re_eps: f64,
    pub metal: bool,
}

/// How a medium is drawn at `wavelength_um` (see the module docs).
pub fn medium_look(m: &Medium, wavelength_um: Option<f64>) -> MediumLook {
    match wavelength_um {
        Some(w) if w.is_finite() && w > 0.0 => {
            let e = m.permittivity(1.0 / w);
            MediumLook {
                re_eps: e.re,
                metal: e.re < 0.0 || e.im > e.re.abs(),
            }
        }
        _ => MediumLook {
            re_eps: m.eps,
            metal: m.poles.iter().any(|p| matches!(p, Pole::Drude { .. })),
        },
    }
}

/// The scene's structure, ready to be looked up at points.
pub struct StructureView<'a> {
    structure: &'a Structure,
    /// The shapes as the engine sees them (a 2D box spans all z).
    shapes: Vec<Shape>,
    /// Per medium of [`Structure::media`].
    pub looks: Vec<MediumLook>,
    pub wavelength_um: Option<f64>,
    three_d: bool,
}

impl<'a> StructureView<'a> {
    pub fn new(structure: &'a Structure, three_d: bool, wavelength_um: Option<f64>) -> StructureView<'a> {
        let shapes = structure
            .objects
            .iter()
            .map(|o| match &o.shape {
                // As the rasteriser: a box in 2D is its x-y rectangle.
                Shape::Box { min_um, max_um } if !three_d => Shape::Box {
                    min_um: [min_um[0], min_um[1], f64::NEG_INFINITY],
                    max_um: [max_um[0], max_um[1], f64::INFINITY],
                },
                s => s.clone(),
            })
            .collect();
        StructureView {
            structure,
            shapes,
            looks: structure.media().iter().map(|m| medium_look(m, wavelength_um)).collect(),
            wavelength_um,
            three_d,
        }
    }

    /// Whether any medium is drawn as a metal.
    pub fn has_metal(&self) -> bool {
        self.looks.iter().any(|l| l.metal)
    }

    /// Index into [`Structure::media`] of the medium at `p` (grid coordinates, um).
    pub fn medium_at(&self, p: [f64; 3]) -> usize {
        let p = if self.three_d { p } else { [p[0], p[1], 0.0] };
        for (k, o) in self.structure.objects.iter().enumerate().rev() {
            let s = &self.shapes[k];
            let (lo, hi) = s.bounds();
            for c in &o.copies {
                let q = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
                if (0..3).all(|a| q[a] >= lo[a] && q[a] <= hi[a]) && s.contains(q) {
                    return k + 1;
                }
            }
        }
        0
    }

    /// The media at the centres of the cells of `x_edges` x `y_edges`
    /// (scene coordinates on `plane`), `[[j, i]]` as a heat map's values;
    /// `offset_um` takes scene to grid coordinates (mapped onto the virtual
    /// grid of `grid`'s graded axes, where the structure's shapes are).
    pub fn media_on(&self, plane: Slice, x_edges: &[f64], y_edges: &[f64], offset_um: [f64; 3], grid: &crate::Grid) -> Array2<usize> {
        let (u, v) = plane.plane_axes();
        let centre = |e: &[f64], i: usize| 0.5 * (e[i] + e[i + 1]);
        Array2::from_shape_fn((y_edges.len() - 1, x_edges.len() - 1), |(j, i)| {
            let mut p = [0.0; 3];
            p[u] = centre(x_edges, i);
            p[v] = centre(y_edges, j);
            p[plane.axis] = plane.position_um;
            self.medium_at([0, 1, 2].map(|a| grid.to_virtual(a, p[a] + offset_um[a])))
        })
    }

    /// The outline of the steps between media and, when there are metals,
    /// their hatching (over a solid fill when `solid_metal`).
    pub fn overlays(&self, ids: &Array2<usize>, x_edges: &[f64], y_edges: &[f64], solid_metal: bool) -> Vec<Overlay> {
        let mut out = Vec::new();
        // A key per cell that differs exactly where the look differs: metals
        // get a value no dielectric has.
        let key: Vec<f64> = ids
            .iter()
            .map(|&k| {
                let l = self.looks[k];
                if l.metal {
                    -1e9 - l.re_eps.abs()
                } else {
                    l.re_eps
                }
            })
            .collect();
        let lines = super::mode::index_steps(x_edges, y_edges, &key);
        let metal = ids.mapv(|k| self.looks[k].metal);
        if metal.iter().any(|&m| m) {
            out.push(Overlay::Cells {
                x_edges: x_edges.to_vec(),
                y_edges: y_edges.to_vec(),
                mask: metal,
                color: METAL_HATCH,
                fill: solid_metal.then_some(METAL_FILL),
            });
        }
        if !lines.is_empty() {
            out.push(Overlay::Lines {
                lines,
                color: OUTLINE_COLOR,
                width: 1,
                label: None,
            });
        }
        out
    }

    /// A footer note on metals, e.g. "gold hatch: metal (Re ε < 0 or Im ε > |Re ε| at λ = 0.45 µm)".
    pub fn metal_note(&self) -> Option<String> {
        if !self.has_metal() {
            return None;
        }
        Some(match self.wavelength_um {
            Some(w) => format!("hatched gold: metal (Re ε < 0 or Im ε > |Re ε| at λ = {} µm)", fmt_num(w)),
            None => "hatched gold: metal (a Drude pole)".to_string(),
        })
    }
}

/// Shades over the PML slabs of the two in-plane axes of `plane` (scene
/// coordinates), and over the whole `(x_range, y_range)` when the plane lies
/// in a PML of its normal axis; only the parts that meet the ranges.
pub fn pml_overlays(
    p: &Prepared,
    offset_um: [f64; 3],
    plane: Slice,
    (x_range, y_range): ((f64, f64), (f64, f64)),
    color: [u8; 3],
    alpha: f64,
) -> Vec<Overlay> {
    let boundaries = &p.boundaries;
    let (size_um, dx, two_d) = (p.grid.size_um(), p.grid.dx, p.grid.dims.count() == 2);
    let (u, v) = plane.plane_axes();
    let w = plane.axis;
    let mut out = Vec::new();
    let ranges = |a: usize| if a == u { x_range } else { y_range };
    for (a, other) in [(u, v), (v, u)] {
        let t = [boundaries.pml_cells(a, 0), boundaries.pml_cells(a, 1)].map(|c| c as f64 * dx);
        let full = ranges(other);
        for (side, span) in [(0, (0.0, t[0])), (1, (size_um[a] - t[1], size_um[a]))] {
            if t[side] <= 0.0 {
                continue;
            }
            let span = (p.grid.physical(a, span.0) - offset_um[a], p.grid.physical(a, span.1) - offset_um[a]);
            let r = ranges(a);
            let span = (span.0.max(r.0), span.1.min(r.1));
            if span.1 <= span.0 {
                continue;
            }
            let (x, y) = if a == u { (span, full) } else { (full, span) };
            out.push(Overlay::Shade { x, y, color, alpha });
        }
    }
    let g = p.grid.to_virtual(w, plane.position_um + offset_um[w]);
    let in_pml = !two_d && (g < boundaries.pml_cells(w, 0) as f64 * dx || g > size_um[w] - boundaries.pml_cells(w, 1) as f64 * dx);
    if in_pml {
        out.push(Overlay::Shade {
            x: x_range,
            y: y_range,
            color,
            alpha,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::material::Medium;

    #[test]
    fn metals_are_told_from_dielectrics() {
        let w = Some(0.45);
        // A Drude silver: eps(450 nm) about -9.7.
        let silver = Medium::index(1.0).with_pole(Pole::Drude {
            frequency: 7.26,
            gamma: 0.0145,
            sigma: 1.0,
        });
        let l = medium_look(&silver, w);
        assert!(l.metal && l.re_eps < -5.0, "{l:?}");
        assert!(medium_look(&silver, None).metal);
        // Glass, and a weakly absorbing GaN (k = 0.01), are not metals.
        assert!(!medium_look(&Medium::index(1.45), w).metal);
        let gan = Medium::lossy(2.45 * 2.45, 2.0 * std::f64::consts::TAU / 0.45 * 2.45 * 0.01);
        assert!(!medium_look(&gan, w).metal);
        // A good conductor: sigma / w far above eps.
        assert!(medium_look(&Medium::lossy(1.0, 1e3), w).metal);
    }
}
