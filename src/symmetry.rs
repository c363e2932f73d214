//! Mirror-symmetric domains: a run on half (or a quarter, or an eighth) of
//! the grid, completed by mirror images.
//!
//! A mirror plane normal to axis `a` passes through the domain's centre,
//! which the scene puts on an E-tangential sample (`n_a` even, plane at
//! cell `c = n_a / 2`). With E even under the reflection (`Parity::Even`,
//! MEEP's `phase = +1`: E reflected as a vector, H as a pseudovector) the
//! plane is a magnetic wall (tangential H odd, zero on it); with E odd it is
//! an electric wall (tangential E zero on it). Per component, the field at
//! the mirror image of a sample is the sample times
//!
//! |            | tangential | normal |
//! |------------|------------|--------|
//! | E          | s          | -s     |
//! | H          | -s         | s      |
//!
//! with s = +1 (even) or -1 (odd).
//!
//! The folded grid keeps the samples at or above the plane plus one ghost
//! layer below it (cells from `c - 1`). After every H update the ghost H
//! samples are set to the images of the kept ones ([`Prepared::mirror_cells`]),
//! so the E samples on the plane see the right curl for either parity; for an
//! odd plane the tangential E on it is held at zero. The ghost layer's E is
//! held at zero (a PEC face below it): nothing kept reads it. Both engines run
//! the folded grid unchanged apart from that copy.
//!
//! Results are those of the whole domain: every DFT sample of the whole
//! domain's monitors is read from the folded grid's samples (times the sign
//! above), and the monitors' results are computed from the whole-domain plan
//! ([`Unfold`]). So a flux box, a mode port, a far-field box or an acceptance
//! plane anywhere in the domain gives what the full run gives, to rounding.
//!
//! The geometry and the sources must be symmetric: [`fold`] compares the
//! permittivity with its mirror image and each source sample with its image's
//! sign, and says where they differ. A point dipole on a plane with its
//! moment normal to it (odd parity) sits between two samples: its linear
//! interpolation ([`Grid::interpolation`]) splits it evenly between them.

use std::collections::HashMap;
use std::sync::Arc;

use num_complex::Complex64;
use rayon::prelude::*;

use crate::boundary::{Boundaries, Boundary, PmlProfile};
use crate::error::{Error, Result};
use crate::grid::{Component, Grid};
use crate::material::MaterialGrid;
use crate::monitor::dft::{DftPlan, DftSample, MonitorPlan};
use crate::sim::{Prepared, ProbeCell, SourceCell, Stepper};

/// The field parity under a mirror (of E, taken as a vector).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parity {
    /// Tangential E even: a magnetic wall (MEEP `phase = +1`).
    Even,
    /// Tangential E odd: an electric wall (MEEP `phase = -1`).
    Odd,
}

impl Parity {
    fn s(self) -> f32 {
        match self {
            Parity::Even => 1.0,
            Parity::Odd => -1.0,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Parity::Even => "even",
            Parity::Odd => "odd",
        }
    }
}

/// What a scene declares per axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MirrorSpec {
    Parity(Parity),
    /// Taken from the sources (each LED orientation gets its own).
    Auto,
}

/// Declared mirror planes, through the domain centre, per axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Symmetry {
    pub mirrors: [Option<MirrorSpec>; 3],
    /// Run the whole grid anyway (same cells and sources): `fold = false`,
    /// to check a folded run against it.
    pub whole_domain: bool,
}

impl Symmetry {
    pub fn is_empty(&self) -> bool {
        self.mirrors.iter().all(Option::is_none)
    }
    pub fn axes(&self) -> impl Iterator<Item = usize> + '_ {
        (0..3).filter(|&a| self.mirrors[a].is_some())
    }
    /// The fraction of the grid's cells a folded run steps (the ghost
    /// layers included).
    pub fn cell_fraction(&self, grid: &Grid) -> f64 {
        let n = grid.shape();
        self.axes().map(|a| (n[a] / 2 + 1) as f64 / n[a] as f64).product()
    }
}

/// Per component and mirror axis: the image sign (see the module table).
fn image_sign(c: Component, axis: usize, p: Parity) -> f32 {
    let s = p.s();
    match (c.is_electric(), c.axis() == axis) {
        (true, false) | (false, true) => s,
        (true, true) | (false, false) => -s,
    }
}

/// How the whole grid maps onto the folded one.
#[derive(Clone, Debug)]
pub struct Fold {
    pub full: Grid,
    pub half: Grid,
    /// Per axis: the parity of a mirrored axis.
    pub parity: [Option<Parity>; 3],
    /// Per axis: the whole-grid cell of folded cell 0 (c - 1 on a mirrored axis).
    pub lo: [usize; 3],
}

impl Fold {
    pub fn new(full: &Grid, parity: [Option<Parity>; 3]) -> Result<Fold> {
        let n = full.shape();
        let mut lo = [0; 3];
        let mut half = full.clone();
        for a in 0..3 {
            if parity[a].is_none() {
                continue;
            }
            if a >= full.dims.count() || !n[a].is_multiple_of(2) || n[a] < 4 {
                return Err(Error::invalid(
                    format!("symmetry.{}", ['x', 'y', 'z'][a]),
                    n[a],
                    "a mirror plane needs an axis of the grid with an even number of cells (>= 4), the plane at its centre",
                ));
            }
            if full.mesh[a].is_some() {
                return Err(Error::invalid(
                    format!("symmetry.{}", ['x', 'y', 'z'][a]),
                    "a graded axis",
                    "a mirror plane needs a uniform axis (simulation.refine grades this one)",
                ));
            }
            lo[a] = n[a] / 2 - 1;
            let m = n[a] - lo[a];
            match a {
                0 => half.nx = m,
                1 => half.ny = m,
                _ => half.nz = m,
            }
        }
        Ok(Fold {
            full: full.clone(),
            half,
            parity,
            lo,
        })
    }

    /// Where the whole grid's sample (component `c`, cell `ijk`) is read in
    /// the folded grid, and with which sign; None where it is zero by
    /// symmetry or its image falls outside the grid.
    pub fn to_half(&self, c: Component, ijk: [usize; 3]) -> Option<([usize; 3], f32)> {
        let n = self.full.shape();
        let o = c.yee_offset();
        let mut out = ijk;
        let mut sign = 1.0;
        for a in 0..3 {
            let Some(p) = self.parity[a] else { continue };
            let cc = n[a] / 2;
            let half_cell = o[a] > 0.0;
            let i = ijk[a];
            let kept = if i >= cc {
                i
            } else {
                // image of position (i + o) about cc: n - i - 2o
                let m = if half_cell { n[a] - 1 - i } else { n[a] - i };
                if m >= n[a] {
                    return None;
                }
                sign *= image_sign(c, a, p);
                m
            };
            out[a] = kept - self.lo[a];
        }
        Some((out, sign))
    }

    fn half_index(&self, ijk: [usize; 3]) -> usize {
        self.half.index(ijk[0], ijk[1], ijk[2])
    }
    fn full_ijk(&self, index: usize) -> [usize; 3] {
        let n = self.full.shape();
        [index % n[0], (index / n[0]) % n[1], index / (n[0] * n[1])]
    }
    fn half_ijk(&self, index: usize) -> [usize; 3] {
        let n = self.half.shape();
        [index % n[0], (index / n[0]) % n[1], index / (n[0] * n[1])]
    }
    /// The whole grid's cell of a folded cell.
    pub fn full_of_half(&self, ijk: [usize; 3]) -> [usize; 3] {
        [0, 1, 2].map(|a| ijk[a] + self.lo[a])
    }
    /// Grid coordinates (um) of the folded grid's origin in the whole grid's.
    pub fn origin_um(&self) -> [f64; 3] {
        self.lo.map(|l| l as f64 * self.full.dx)
    }
    fn map_index(&self, c: Component, full_index: usize) -> Option<(usize, f32)> {
        self.to_half(c, self.full_ijk(full_index)).map(|(h, s)| (self.half_index(h), s))
    }
}

/// A whole-domain DFT sample: its first accumulator, its number of
/// wavelengths, and the folded accumulator blocks (first accumulator,
/// factor) it sums.
type UnfoldTerm = (usize, usize, Vec<(usize, f64)>);

/// What turns a folded run's samples back into the whole domain's results.
#[derive(Clone, Debug)]
pub struct Unfold {
    pub fold: Fold,
    /// The whole domain's DFT plan (its monitors compute the results).
    pub plan: DftPlan,
    /// Per whole-domain DFT sample: its accumulators are the sum of these
    /// folded accumulator blocks times their factors.
    terms: Vec<UnfoldTerm>,
    /// Per snapshot monitor, per cell: the factor of the folded cell read.
    snapshot_factors: Vec<Vec<f32>>,
    /// Per probe: the sign of the folded sample read.
    pub probe_signs: Vec<f32>,
}

impl Unfold {
    /// The whole domain's accumulators from the folded run's.
    pub fn accumulators(&self, folded: &[Complex64]) -> Vec<Complex64> {
        let mut out = vec![Complex64::new(0.0, 0.0); self.plan.accumulators];
        for (acc, nfreq, terms) in &self.terms {
            for f in 0..*nfreq {
                out[acc + f] = terms.iter().map(|&(t, w)| folded[t + f] * w).sum();
            }
        }
        out
    }
    /// The whole domain's snapshot frames from the folded run's.
    pub fn snapshots(&self, folded: &[Vec<(usize, Vec<f32>)>]) -> Vec<Vec<(usize, Vec<f32>)>> {
        folded
            .iter()
            .zip(&self.snapshot_factors)
            .map(|(frames, w)| {
                frames
                    .iter()
                    .map(|(n, v)| (*n, v.iter().zip(w).map(|(x, w)| x * w).collect()))
                    .collect()
            })
            .collect()
    }
    /// Results of the whole domain's monitors from a folded stepper.
    pub fn monitor_results<S: Stepper + ?Sized>(&self, stepper: &mut S) -> Result<Vec<crate::monitor::dft::MonitorResult>> {
        let acc = self.accumulators(&stepper.dft_sums()?);
        let snaps = self.snapshots(stepper.snapshots());
        Ok(self.plan.results(&self.fold.full, &acc, stepper.steps_done(), &snaps))
    }
}

/// A fold error of an LED's dipole run, said in the LED's terms.
pub fn led_error(e: Error, source: usize) -> Error {
    Error::invalid(
        format!("sources.{source} (an LED, with [symmetry])"),
        e,
        "every dipole of the LED on the mirror planes; for positions spread across a plane use the LED's own \
         `symmetry` key instead (its mirror images stand in for the far side)",
    )
}

/// A sample of a source (electric `comp` 0..3, or magnetic 3..6).
type SourceKey = (usize, u32, u32);

/// Folds a whole-domain set-up onto its mirror planes with the given
/// parities (`Auto` taken from the sources). `dispersive` says which media
/// have poles (for the PML absorber); `structure` builds the dispersion plan.
pub fn fold(full: &Prepared, sym: &Symmetry, structure: &crate::material::Structure) -> Result<Prepared> {
    let grid = &full.grid;
    for a in sym.axes() {
        if matches!(full.boundaries.faces[a][0], Boundary::Periodic) {
            return Err(Error::invalid(
                format!("symmetry.{}", ['x', 'y', 'z'][a]),
                "a periodic axis",
                "a mirror plane on an axis with PML or PEC faces (a periodic axis has no walls to fold onto)",
            ));
        }
        if full.boundaries.faces[a][0] != full.boundaries.faces[a][1] {
            return Err(Error::invalid(
                format!("symmetry.{}", ['x', 'y', 'z'][a]),
                "different boundaries on the two faces",
                "the same boundary on both faces of a mirrored axis (the domain must be symmetric)",
            ));
        }
    }
    if full.materials.medium.iter().all(Vec::is_empty) {
        return Err(Error::invalid(
            "symmetry",
            "a set-up prepared without symmetry",
            "a set-up prepared with its symmetry",
        ));
    }
    let parity = choose_parity(full, sym)?;
    let f = Fold::new(grid, parity)?;
    check_materials(&f, &full.materials)?;
    let half = f.half.clone();

    // Materials: the kept half, one ghost layer below the planes.
    fn slice<T: Copy + Send + Sync>(f: &Fold, v: &[T]) -> Vec<T> {
        if v.is_empty() {
            return Vec::new();
        }
        (0..f.half.cells())
            .into_par_iter()
            .map(|h| {
                let ijk = f.full_of_half(f.half_ijk(h));
                v[f.full.index(ijk[0], ijk[1], ijk[2])]
            })
            .collect()
    }
    let m = &full.materials;
    let materials = MaterialGrid {
        eps: [0, 1, 2].map(|a| slice(&f, &m.eps[a])),
        sigma: [0, 1, 2].map(|a| slice(&f, &m.sigma[a])),
        medium: [0, 1, 2].map(|a| slice(&f, &m.medium[a])),
        mixtures: m.mixtures.clone(),
    };
    let mut boundaries: Boundaries = full.boundaries;
    for a in f.parity.iter().enumerate().filter_map(|(a, p)| p.map(|_| a)) {
        boundaries.faces[a][0] = Boundary::Pec;
    }
    let dispersive: Vec<bool> = materials.media(structure).iter().map(|m| !m.poles.is_empty()).collect();
    let (mut cb, ca) = crate::sim::coefficients(&half, &boundaries, &materials, &dispersive);
    // Tangential E on an odd plane is zero.
    for (a, p) in f.parity.iter().enumerate() {
        if *p != Some(Parity::Odd) {
            continue;
        }
        let n = half.shape();
        for (e, cb) in cb.iter_mut().enumerate() {
            if e == a || cb.is_empty() {
                continue;
            }
            for k in 0..n[2] {
                for j in 0..n[1] {
                    for i in 0..n[0] {
                        if [i, j, k][a] == 1 {
                            cb[half.index(i, j, k)] = 0.0;
                        }
                    }
                }
            }
        }
    }
    let pml = [0, 1, 2].map(|a| PmlProfile::new(&half, &boundaries, a));
    let dispersion = crate::dispersion::DispersionPlan::new(&half, structure, &materials)?;

    // Sources: the kept samples (their images were checked in choose_parity).
    let fold_layers = |layers: &[Vec<SourceCell>], magnetic: bool| -> Vec<SourceCell> {
        let mut kept = Vec::new();
        for c in layers.iter().flatten() {
            let comp = component(c.comp, magnetic);
            let ijk = f.full_ijk(c.index as usize);
            if is_kept(&f, comp, ijk) {
                let (h, _) = f.to_half(comp, ijk).expect("a kept sample maps");
                kept.push(SourceCell {
                    index: f.half_index(h) as u32,
                    ..*c
                });
            }
        }
        kept
    };
    let source_layers = crate::sim::into_layers(fold_layers(&full.source_layers, false));
    let magnetic_layers = crate::sim::into_layers(fold_layers(&full.magnetic_layers, true));

    // Probes.
    let mut probes = Vec::new();
    let mut probe_signs = Vec::new();
    for (n, p) in full.probes.iter().enumerate() {
        let comp = component(p.comp, false);
        let Some((h, s)) = f.map_index(comp, p.index as usize) else {
            return Err(Error::invalid(
                format!("probes[{n}]"),
                comp.name(),
                "a probe where the field is zero by symmetry (on an odd plane, or its image outside the grid): move it off the plane",
            ));
        };
        probes.push(ProbeCell {
            index: h as u32,
            comp: p.comp,
        });
        probe_signs.push(s);
    }

    // DFT samples: one folded sample (or averaged pair) per distinct read.
    let mut samples: Vec<DftSample> = Vec::new();
    let mut index: HashMap<(u32, u32, u32, u32, u32), usize> = HashMap::new();
    let mut accumulators = 0;
    let mut add = |index_: u32, comp: u32, stride: u32, freq0: u32, nfreq: u32| -> usize {
        *index.entry((index_, comp, stride, freq0, nfreq)).or_insert_with(|| {
            samples.push(DftSample {
                index: index_,
                comp,
                avg_stride: stride,
                freq0,
                nfreq,
                acc: accumulators as u32,
            });
            accumulators += nfreq as usize;
            accumulators - nfreq as usize
        })
    };
    let mut terms = Vec::with_capacity(full.dft.samples.len());
    for s in &full.dft.samples {
        let comp = component(s.comp, false);
        let a = f.map_index(comp, s.index as usize);
        let mut t = Vec::new();
        if s.avg_stride == 0 {
            if let Some((h, w)) = a {
                t.push((add(h as u32, s.comp, 0, s.freq0, s.nfreq), w as f64));
            }
        } else {
            let b = f.map_index(comp, (s.index - s.avg_stride) as usize);
            match (a, b) {
                (Some((ha, wa)), Some((hb, wb))) if wa == wb && ha.abs_diff(hb) == s.avg_stride as usize => {
                    t.push((add(ha.max(hb) as u32, s.comp, s.avg_stride, s.freq0, s.nfreq), wa as f64));
                }
                _ => {
                    for (h, w) in [a, b].into_iter().flatten() {
                        t.push((add(h as u32, s.comp, 0, s.freq0, s.nfreq), 0.5 * w as f64));
                    }
                }
            }
        }
        terms.push((s.acc as usize, s.nfreq as usize, t));
    }
    // Snapshot cells: one folded cell each (a zero one reads cell 0 times 0).
    let mut monitors = Vec::new();
    let mut snapshot_factors = Vec::new();
    for m in &full.dft.monitors {
        if let MonitorPlan::Snapshot {
            name,
            component: c,
            lo,
            shape,
            every_steps,
            cells,
        } = m
        {
            let mut folded = Vec::with_capacity(cells.len());
            let mut w = Vec::with_capacity(cells.len());
            for cell in cells {
                match f.map_index(component(cell.comp, false), cell.index as usize) {
                    Some((h, s)) => {
                        folded.push(ProbeCell {
                            index: h as u32,
                            comp: cell.comp,
                        });
                        w.push(s);
                    }
                    None => {
                        folded.push(ProbeCell { index: 0, comp: cell.comp });
                        w.push(0.0);
                    }
                }
            }
            monitors.push(MonitorPlan::Snapshot {
                name: name.clone(),
                component: *c,
                lo: *lo,
                shape: *shape,
                every_steps: *every_steps,
                cells: folded,
            });
            snapshot_factors.push(w);
        }
    }
    let dft = DftPlan {
        samples,
        freqs: full.dft.freqs.clone(),
        accumulators,
        monitors,
    };

    // Ghost H samples: the images of kept ones, after every H update.
    let mut mirror_cells = Vec::new();
    for c in (3..6).map(|k| component(k, false)).filter(|c| c.is_active(half.dims)) {
        for h in 0..half.cells() {
            let ijk = f.half_ijk(h);
            if !(0..3).any(|a| f.parity[a].is_some() && ijk[a] == 0) {
                continue;
            }
            let cell = match f.to_half(c, f.full_of_half(ijk)) {
                Some((src, s)) => SourceCell {
                    index: h as u32,
                    comp: c.axis() as u32,
                    profile: f.half_index(src) as u32,
                    weight: s,
                },
                None => SourceCell {
                    index: h as u32,
                    comp: c.axis() as u32,
                    profile: h as u32,
                    weight: 0.0,
                },
            };
            mirror_cells.push(cell);
        }
    }

    let mut materials = materials;
    materials.medium = Default::default();
    materials.mixtures = Vec::new();
    if !materials.has_loss() {
        materials.sigma = Default::default();
    }
    Ok(Prepared {
        grid: half.clone(),
        boundaries,
        materials: Arc::new(materials),
        cb: Arc::new(cb),
        ca: ca.map(Arc::new),
        ch: full.ch,
        pml,
        source_layers,
        magnetic_layers,
        profiles: full.profiles.clone(),
        delays: full.delays.clone(),
        probes,
        dft,
        dispersion,
        mirror_cells,
        unfold: Some(Arc::new(Unfold {
            fold: f.clone(),
            plan: full.dft.clone(),
            terms,
            snapshot_factors,
            probe_signs,
        })),
    })
}

/// Component of a sample's `comp` field (0..3 E, 3..6 H; magnetic source
/// layers number Hx..Hz 0..3).
fn component(comp: u32, magnetic_layer: bool) -> Component {
    let k = comp as usize + if magnetic_layer { 3 } else { 0 };
    [
        Component::Ex,
        Component::Ey,
        Component::Ez,
        Component::Hx,
        Component::Hy,
        Component::Hz,
    ][k]
}

/// Whether a sample is at or above every plane (read directly, not as an image).
fn is_kept(f: &Fold, c: Component, ijk: [usize; 3]) -> bool {
    let n = f.full.shape();
    (0..3).all(|a| f.parity[a].is_none() || ijk[a] >= n[a] / 2) && c.is_active(f.full.dims)
}

/// The parities to fold with: those declared, and for `Auto` axes the one
/// under which every source sample has its image (checked for all).
fn choose_parity(full: &Prepared, sym: &Symmetry) -> Result<[Option<Parity>; 3]> {
    let auto: Vec<usize> = (0..3).filter(|&a| sym.mirrors[a] == Some(MirrorSpec::Auto)).collect();
    let mut tried = Vec::new();
    for bits in 0..(1usize << auto.len()) {
        let p = [0, 1, 2].map(|a| match sym.mirrors[a] {
            Some(MirrorSpec::Parity(q)) => Some(q),
            Some(MirrorSpec::Auto) => {
                let k = auto.iter().position(|&b| b == a).unwrap_or(0);
                Some(if bits >> k & 1 == 0 { Parity::Even } else { Parity::Odd })
            }
            None => None,
        });
        let f = Fold::new(&full.grid, p)?;
        match check_sources(&f, full) {
            Ok(()) => return Ok(p),
            Err(e) => tried.push(e),
        }
    }
    // One declared set: its own error; several: say none fits.
    if tried.len() == 1 {
        return Err(tried.pop().expect("one"));
    }
    Err(Error::invalid(
        "symmetry",
        format!("no parities that fit; the first tried: {}", tried[0]),
        "sources symmetric under some choice of parities of the `auto` planes",
    ))
}

/// Every source sample must have its mirror image across each plane, with
/// the image's sign times its weight; a sample on a plane is its own image,
/// so one the parity holds at zero may not be driven.
fn check_sources(f: &Fold, full: &Prepared) -> Result<()> {
    let n = f.full.shape();
    let mut cells: HashMap<SourceKey, f32> = HashMap::new();
    let mut scale = 0f32;
    for (layers, magnetic) in [(&full.source_layers, false), (&full.magnetic_layers, true)] {
        for c in layers.iter().flatten() {
            let comp = component(c.comp, magnetic);
            *cells.entry((c.index as usize, comp.index() as u32, c.profile)).or_default() += c.weight;
            scale = scale.max(c.weight.abs());
        }
    }
    for (&(index, comp, profile), &w) in &cells {
        let c = component(comp, false);
        let ijk = f.full_ijk(index);
        for a in 0..3 {
            let Some(p) = f.parity[a] else { continue };
            let s = image_sign(c, a, p);
            let mut img = ijk;
            img[a] = if c.yee_offset()[a] > 0.0 {
                n[a] - 1 - ijk[a]
            } else {
                n[a] - ijk[a]
            };
            if img[a] >= n[a] {
                continue; // the outer wall's image: inside the PML
            }
            let image = cells
                .get(&(f.full.index(img[0], img[1], img[2]), comp, profile))
                .copied()
                .unwrap_or(0.0);
            if (image - s * w).abs() > 1e-4 * scale {
                let what = if img == ijk {
                    format!("is zero on the {} plane by its parity", ['x', 'y', 'z'][a])
                } else {
                    format!(
                        "has weight {w:.4e} where its mirror image across the {} plane has {image:.4e} (expected sign {s:+})",
                        ['x', 'y', 'z'][a]
                    )
                };
                return Err(parity_error(f, c, ijk, &what));
            }
        }
    }
    Ok(())
}

fn parity_error(f: &Fold, c: Component, ijk: [usize; 3], what: &str) -> Error {
    let parities: Vec<String> = (0..3)
        .filter_map(|a| f.parity[a].map(|p| format!("{} {}", ['x', 'y', 'z'][a], p.name())))
        .collect();
    Error::invalid(
        "symmetry",
        format!(
            "a source sample ({} at cell {ijk:?}) that {what} with {}",
            c.name(),
            parities.join(", ")
        ),
        "sources symmetric under the declared mirror planes (a dipole on a plane: along it for even, normal to it for odd)",
    )
}

/// The permittivity must equal its mirror image.
fn check_materials(f: &Fold, m: &MaterialGrid) -> Result<()> {
    let g = &f.full;
    let n = g.shape();
    for a in 0..3 {
        let c = Component::electric(a);
        if !c.is_active(g.dims) || m.eps[a].is_empty() {
            continue;
        }
        let bad = (0..g.cells()).into_par_iter().find_any(|&idx| {
            let ijk = f.full_ijk(idx);
            if is_kept(f, c, ijk) {
                return false;
            }
            // The image of a sample below a plane (outside the grid: skip).
            let mut img = ijk;
            for b in 0..3 {
                if f.parity[b].is_some() && ijk[b] < n[b] / 2 {
                    let off = c.yee_offset()[b] > 0.0;
                    let mm = if off { n[b] - 1 - ijk[b] } else { n[b] - ijk[b] };
                    if mm >= n[b] {
                        return false;
                    }
                    img[b] = mm;
                }
            }
            let (e0, e1) = (m.eps[a][idx], m.eps[a][g.index(img[0], img[1], img[2])]);
            let (s0, s1) = (
                m.sigma[a].get(idx).copied().unwrap_or(0.0),
                m.sigma[a].get(g.index(img[0], img[1], img[2])).copied().unwrap_or(0.0),
            );
            (e0 - e1).abs() > 1e-5 * e0.abs().max(1.0) || (s0 - s1).abs() > 1e-5 * s0.abs().max(s1.abs())
        });
        if let Some(idx) = bad {
            let ijk = f.full_ijk(idx);
            let pos = g.position_um(c, ijk);
            return Err(Error::invalid(
                "symmetry",
                format!(
                    "a structure that differs from its mirror image: eps_{} at grid point ({:.4}, {:.4}, {:.4}) um from the domain's corner",
                    ['x', 'y', 'z'][a],
                    pos[0],
                    pos[1],
                    pos[2]
                ),
                "geometry and materials symmetric about every declared mirror plane (the planes pass through the domain centre)",
            ));
        }
    }
    Ok(())
}
