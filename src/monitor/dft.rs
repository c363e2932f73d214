//! Running DFTs: where they sample (the plan), and turning the accumulated
//! sums into monitor results (fields, fluxes, source power).
//!
//! Every DFT monitor is rasterised into samples; a sample is one field
//! component at one cell (H on a flux plane is the average of the two samples
//! either side of the plane), with `nfreq` complex accumulators.

use std::f64::consts::TAU;
use std::sync::Arc;

use num_complex::Complex64;

use crate::error::{Error, Result};
use crate::grid::{Component, Grid};
use crate::monitor::{Monitor, MonitorKind, Region};
use crate::sim::{ProbeCell, SourceCell};
use crate::source::TimeProfile;

/// Steps accumulated in f32 before a block is added to the running total.
pub const FLUSH_EVERY: usize = 64;

/// One DFT sample. Keep in sync with shaders/dft.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct DftSample {
    /// Grid index of the (upper) sample.
    pub index: u32,
    /// Component 0..6 (Ex..Hz).
    pub comp: u32,
    /// 0, or the stride to the second sample to average with (index - stride).
    pub avg_stride: u32,
    /// First frequency in the global list.
    pub freq0: u32,
    pub nfreq: u32,
    /// First complex accumulator.
    pub acc: u32,
}

/// A block of samples of one component on a box of cells, x-fastest.
#[derive(Clone, Debug)]
pub struct SampleBlock {
    pub comp: Component,
    /// First cell and extents of the box.
    pub lo: [usize; 3],
    pub shape: [usize; 3],
    /// First accumulator; sample s, frequency f is at acc + s * nfreq + f.
    pub acc: usize,
    /// Per axis: the first and last samples weigh 1/2 in surface integrals
    /// (trapezoid rule on the faces of a closed box, whose edges they share).
    pub half_ends: [bool; 3],
}

impl SampleBlock {
    /// Surface-integral weights on a face normal to `normal`: [`weights`](Self::weights)
    /// times each sample's physical extent over dx along the graded in-plane
    /// axes (1 on a uniform grid).
    pub fn area_weights(&self, grid: &Grid, normal: usize) -> Vec<f64> {
        let mut w = self.weights();
        if !grid.is_graded() {
            return w;
        }
        for (k, v) in w.iter_mut().enumerate() {
            let ijk = [
                k % self.shape[0],
                (k / self.shape[0]) % self.shape[1],
                k / (self.shape[0] * self.shape[1]),
            ];
            for b in (0..grid.dims.count()).filter(|&b| b != normal) {
                *v *= grid.sample_extent(self.comp, b, self.lo[b] + ijk[b]) / grid.dx;
            }
        }
        w
    }

    /// Surface-integral weight of each sample (1, or 1/2 per shared edge).
    pub fn weights(&self) -> Vec<f64> {
        let n: usize = self.shape.iter().product();
        (0..n)
            .map(|k| {
                let ijk = [
                    k % self.shape[0],
                    (k / self.shape[0]) % self.shape[1],
                    k / (self.shape[0] * self.shape[1]),
                ];
                (0..3).fold(1.0, |w, b| {
                    if self.half_ends[b] && (ijk[b] == 0 || ijk[b] + 1 == self.shape[b]) {
                        w * 0.5
                    } else {
                        w
                    }
                })
            })
            .collect()
    }
}

/// One face of a flux monitor: a plane normal to `axis` at E-tangential index.
#[derive(Clone, Debug)]
pub struct FluxFace {
    pub axis: usize,
    /// +1 outgoing along +axis, -1 along -axis.
    pub sign: f64,
    /// E_{a+1}, E_{a+2}, H_{a+1}, H_{a+2} (None where the run does not evolve it).
    pub blocks: [Option<SampleBlock>; 4],
    pub samples: usize,
}

/// How each monitor maps onto samples.
#[derive(Clone, Debug)]
pub enum MonitorPlan {
    DftFields {
        name: String,
        freq0: usize,
        wavelengths_um: Vec<f64>,
        blocks: Vec<SampleBlock>,
    },
    Flux {
        name: String,
        freq0: usize,
        wavelengths_um: Vec<f64>,
        faces: Vec<FluxFace>,
    },
    SourcePower {
        name: String,
        freq0: usize,
        wavelengths_um: Vec<f64>,
        cells: Vec<(usize, SourceCell)>,
        profile: TimeProfile,
    },
    Snapshot {
        name: String,
        component: Component,
        lo: [usize; 3],
        shape: [usize; 3],
        every_steps: usize,
        cells: Vec<ProbeCell>,
    },
    Mode {
        name: String,
        freq0: usize,
        wavelengths_um: Vec<f64>,
        face: FluxFace,
        /// Shared: a `Prepared` is cloned per run and per stepper, and a
        /// port's profiles (modes x wavelengths x plane samples) can reach GiBs.
        modes: Arc<crate::monitor::mode::PortModes>,
    },
    FarField {
        name: String,
        freq0: usize,
        wavelengths_um: Vec<f64>,
        faces: Vec<FluxFace>,
        n_background: f64,
        points: usize,
        na: Option<f64>,
        /// For an open plane, its projection (the one face in `faces`).
        plane: Option<Box<crate::monitor::farfield::FarFieldPlane>>,
    },
    Acceptance {
        name: String,
        freq0: usize,
        wavelengths_um: Vec<f64>,
        face: FluxFace,
        acceptance: crate::monitor::acceptance::Acceptance,
    },
}

impl MonitorPlan {
    pub fn name(&self) -> &str {
        match self {
            MonitorPlan::DftFields { name, .. }
            | MonitorPlan::Flux { name, .. }
            | MonitorPlan::SourcePower { name, .. }
            | MonitorPlan::Snapshot { name, .. }
            | MonitorPlan::Mode { name, .. }
            | MonitorPlan::FarField { name, .. }
            | MonitorPlan::Acceptance { name, .. } => name,
        }
    }
}

/// All DFT samples of a run.
#[derive(Clone, Debug, Default)]
pub struct DftPlan {
    pub samples: Vec<DftSample>,
    /// Global frequency list (c/um); monitors index into it.
    pub freqs: Vec<f64>,
    /// Number of complex accumulators.
    pub accumulators: usize,
    pub monitors: Vec<MonitorPlan>,
}

/// Far fields as a fraction of the source power: when the run has exactly
/// one `source_power` monitor and a far field has the same wavelengths,
/// its `source_fraction` is its total over that power.
fn with_source_fraction(results: &mut [MonitorResult]) {
    let powers: Vec<(Vec<f64>, Vec<f64>)> = results
        .iter()
        .filter_map(|r| match &r.data {
            MonitorData::SourcePower { wavelengths_um, power, .. } => Some((wavelengths_um.clone(), power.clone())),
            _ => None,
        })
        .collect();
    let [(wl, power)] = powers.as_slice() else { return };
    for r in results.iter_mut() {
        if let MonitorData::FarField {
            wavelengths_um,
            total,
            source_fraction,
            ..
        } = &mut r.data
        {
            if wavelengths_um == wl {
                *source_fraction = Some(total.iter().zip(power).map(|(t, p)| t / p).collect());
            }
        }
    }
}

/// Cell range [lo, hi) along `a` whose cell corners lie in [min, max), at least one cell.
fn cell_range(grid: &Grid, a: usize, min: f64, max: f64) -> (usize, usize) {
    let n = grid.shape()[a];
    if a >= grid.dims.count() {
        return (0, 1);
    }
    let lo = ((min / grid.dx).round().max(0.0) as usize).min(n - 1);
    let hi = ((max / grid.dx).round().max(0.0) as usize).min(n).max(lo + 1);
    (lo, hi)
}

fn check_wavelengths(name: &str, w: &[f64]) -> Result<()> {
    if w.is_empty() {
        return Err(Error::invalid(
            format!("monitors.{name}.wavelengths_um"),
            "[]",
            "needs at least one wavelength",
        ));
    }
    if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(Error::invalid(
            format!("monitors.{name}.wavelengths_um"),
            bad,
            "wavelengths must be positive",
        ));
    }
    Ok(())
}

fn check_region(grid: &Grid, name: &str, r: &Region) -> Result<()> {
    let size = grid.size_um();
    for a in 0..grid.dims.count() {
        if !(r.min_um[a].is_finite() && r.max_um[a].is_finite()) || r.max_um[a] < r.min_um[a] {
            return Err(Error::invalid(
                format!("monitors.{name}.region"),
                format!("{:?} / {:?}", r.min_um, r.max_um),
                "need finite min <= max",
            ));
        }
        if r.min_um[a] < -1e-9 || r.max_um[a] > size[a] + 1e-9 {
            return Err(Error::OutsideDomain {
                what: format!("monitor `{name}`"),
                position_um: r.min_um,
                size_um: size,
            });
        }
    }
    Ok(())
}

impl DftPlan {
    pub fn new(
        grid: &Grid,
        materials: &crate::material::MaterialGrid,
        monitors: &[Monitor],
        source_cells: &[Vec<SourceCell>],
        profiles: &[TimeProfile],
    ) -> Result<DftPlan> {
        let mut plan = DftPlan::default();
        for m in monitors {
            let name = m.name.clone();
            // Mode decompositions, acceptance and far fields sample the plane
            // on the uniform base grid only (their profiles, transforms and
            // half-cell phase corrections assume it).
            if let MonitorKind::FarField { region, .. } | MonitorKind::Mode { region, .. } | MonitorKind::Acceptance { region, .. } =
                &m.kind
            {
                if let Some(a) = (0..3).find(|&a| grid.meets_graded_zone(a, region.min_um[a], region.max_um[a])) {
                    return Err(Error::invalid(
                        format!("monitor `{name}`"),
                        format!(
                            "a mode, acceptance or far-field plane reaching {} in [{:.4}, {:.4}] um (grid)",
                            ["x", "y", "z"][a],
                            grid.physical(a, region.min_um[a]),
                            grid.physical(a, region.max_um[a])
                        ),
                        format!(
                            "meets the refined range of the graded {} axis or its transition cells (simulation.refine): \
                             place it on the uniform cells (not supported inside the graded zone yet)",
                            ["x", "y", "z"][a]
                        ),
                    ));
                }
            }
            match &m.kind {
                MonitorKind::FarField {
                    region,
                    wavelengths_um,
                    points,
                    na,
                    open_plane,
                } => {
                    check_wavelengths(&name, wavelengths_um)?;
                    check_region(grid, &name, region)?;
                    let d = grid.dims.count();
                    let flat: Vec<usize> = (0..d).filter(|&a| region.max_um[a] - region.min_um[a] < 0.5 * grid.dx).collect();
                    let freq0 = plan.add_freqs(wavelengths_um);
                    let nf = wavelengths_um.len();
                    let mut faces = Vec::new();
                    let mut plane = None;
                    match (open_plane.map(|o| o.direction), flat.as_slice()) {
                        (None, []) => {
                            for a in 0..d {
                                faces.push(plan.add_face(grid, &name, region, a, region.min_um[a], -1.0, freq0, nf, true)?);
                                faces.push(plan.add_face(grid, &name, region, a, region.max_um[a], 1.0, freq0, nf, true)?);
                            }
                        }
                        (Some(s), &[a]) if s == 1.0 || s == -1.0 => {
                            let taper = open_plane.map_or(0.0, |o| o.edge_taper);
                            if !(0.0..1.0).contains(&taper) {
                                return Err(Error::invalid(format!("monitors.{name}.edge_taper"), taper, "must be in [0, 1)"));
                            }
                            // The capture angle is counted to the taper's inner edge.
                            let (mut inner_min, mut inner_max) = (region.min_um, region.max_um);
                            for b in (0..d).filter(|&b| b != a) {
                                let cut = taper * 0.5 * (region.max_um[b] - region.min_um[b]);
                                inner_min[b] += cut;
                                inner_max[b] -= cut;
                            }
                            let pos = 0.5 * (region.min_um[a] + region.max_um[a]);
                            let face = plan.add_face(grid, &name, region, a, pos, s, freq0, nf, false)?;
                            // Sources: the cells of every source behind the plane.
                            let n = grid.shape();
                            let points: Vec<[f64; 3]> = source_cells
                                .iter()
                                .flatten()
                                .map(|c| {
                                    let i = c.index as usize;
                                    let ijk = [i % n[0], (i / n[0]) % n[1], i / (n[0] * n[1])];
                                    grid.position_um(Component::electric(c.comp as usize % 3), ijk)
                                })
                                .collect();
                            plane = Some(Box::new(crate::monitor::farfield::FarFieldPlane {
                                axis: a,
                                sign: s,
                                position_um: face.blocks.iter().flatten().next().map_or(pos, |b| b.lo[a] as f64 * grid.dx),
                                capture_angle_rad: crate::monitor::farfield::capture_angle(inner_min, inner_max, a, &points, d),
                                min_um: region.min_um,
                                max_um: region.max_um,
                                edge_taper: taper,
                            }));
                            faces.push(face);
                        }
                        (None, _) => {
                            return Err(Error::invalid(
                                format!("monitors.{name}.size_um"),
                                "a plane",
                                "a far-field monitor is a closed box around the emitter, or an open plane with a `direction`",
                            ))
                        }
                        (Some(s), _) => {
                            return Err(Error::invalid(
                                format!("monitors.{name}.direction"),
                                format!("{s} on a region with {} zero sizes", flat.len()),
                                "an open far-field plane has exactly one zero size and a direction of +1 or -1",
                            ))
                        }
                    }
                    // The equivalence principle needs one homogeneous medium on the box.
                    let mut eps = Vec::new();
                    for face in &faces {
                        for b in face.blocks.iter().flatten().filter(|b| b.comp.is_electric()) {
                            for k in 0..b.shape[2] {
                                for j in 0..b.shape[1] {
                                    for i in 0..b.shape[0] {
                                        eps.push(materials.eps[b.comp.axis()][grid.index(b.lo[0] + i, b.lo[1] + j, b.lo[2] + k)]);
                                    }
                                }
                            }
                        }
                    }
                    let (lo, hi) = eps.iter().fold((f32::MAX, f32::MIN), |(l, h), &e| (l.min(e), h.max(e)));
                    if hi - lo > 1e-6 * hi {
                        return Err(Error::invalid(
                            format!("monitors.{name}"),
                            format!("permittivity {lo}..{hi} on the box"),
                            "the far-field box or plane must lie in one homogeneous medium (put it around the emitter, inside the background)",
                        ));
                    }
                    if let Some(na) = na {
                        if !(*na > 0.0 && na.is_finite()) {
                            return Err(Error::invalid(format!("monitors.{name}.na"), na, "must be positive"));
                        }
                    }
                    plan.monitors.push(MonitorPlan::FarField {
                        name,
                        freq0,
                        wavelengths_um: wavelengths_um.clone(),
                        faces,
                        n_background: (hi as f64).sqrt(),
                        points: (*points).max(4),
                        na: *na,
                        plane,
                    });
                }
                MonitorKind::Acceptance {
                    region,
                    wavelengths_um,
                    core_radius_um,
                    na,
                    reverse,
                } => {
                    check_wavelengths(&name, wavelengths_um)?;
                    check_region(grid, &name, region)?;
                    let what = format!("monitors.{name}");
                    let (window, freq0, face) = plan.add_port_face(grid, &name, region, *reverse, wavelengths_um)?;
                    use crate::monitor::acceptance::{Acceptance, Core};
                    let core = match core_radius_um {
                        Some(r) if *r > 0.0 && r.is_finite() => Core::Disk {
                            center_um: [0, 1, 2].map(|b| 0.5 * (region.min_um[b] + region.max_um[b])),
                            radius_um: *r,
                        },
                        Some(r) => return Err(Error::invalid(format!("{what}.core_radius_um"), r, "must be positive")),
                        None => Core::FromIndex,
                    };
                    let acceptance = Acceptance::new(grid, materials, &window, core, *na, &what)?;
                    plan.monitors.push(MonitorPlan::Acceptance {
                        name,
                        freq0,
                        wavelengths_um: wavelengths_um.clone(),
                        face,
                        acceptance,
                    });
                }
                MonitorKind::Mode {
                    region,
                    wavelengths_um,
                    max_modes,
                    reverse,
                } => {
                    check_wavelengths(&name, wavelengths_um)?;
                    check_region(grid, &name, region)?;
                    let (window, freq0, face) = plan.add_port_face(grid, &name, region, *reverse, wavelengths_um)?;
                    let modes = crate::monitor::mode::solve(grid, materials, &window, wavelengths_um, *max_modes, &name)?;
                    plan.monitors.push(MonitorPlan::Mode {
                        name,
                        freq0,
                        wavelengths_um: wavelengths_um.clone(),
                        face,
                        modes: Arc::new(modes),
                    });
                }
                MonitorKind::DftFields {
                    region,
                    components,
                    wavelengths_um,
                } => {
                    check_wavelengths(&name, wavelengths_um)?;
                    check_region(grid, &name, region)?;
                    let freq0 = plan.add_freqs(wavelengths_um);
                    let mut blocks = Vec::new();
                    for &c in components {
                        if !c.is_active(grid.dims) {
                            return Err(Error::invalid(
                                format!("monitors.{name}.components"),
                                c.name(),
                                format!("not evolved in a {:?} run", grid.dims),
                            ));
                        }
                        let (lo, shape) = box_cells(grid, region);
                        blocks.push(plan.add_block(grid, c, lo, shape, 0, freq0, wavelengths_um.len()));
                    }
                    plan.monitors.push(MonitorPlan::DftFields {
                        name,
                        freq0,
                        wavelengths_um: wavelengths_um.clone(),
                        blocks,
                    });
                }
                MonitorKind::Flux {
                    region,
                    wavelengths_um,
                    reverse,
                } => {
                    check_wavelengths(&name, wavelengths_um)?;
                    check_region(grid, &name, region)?;
                    let freq0 = plan.add_freqs(wavelengths_um);
                    let d = grid.dims.count();
                    let flat: Vec<usize> = (0..d).filter(|&a| region.max_um[a] - region.min_um[a] < 0.5 * grid.dx).collect();
                    let mut faces = Vec::new();
                    match flat.len() {
                        1 => {
                            let a = flat[0];
                            let sign = if *reverse { -1.0 } else { 1.0 };
                            faces.push(plan.add_face(
                                grid,
                                &name,
                                region,
                                a,
                                0.5 * (region.min_um[a] + region.max_um[a]),
                                sign,
                                freq0,
                                wavelengths_um.len(),
                                false,
                            )?);
                        }
                        0 => {
                            for a in 0..d {
                                faces.push(plan.add_face(
                                    grid,
                                    &name,
                                    region,
                                    a,
                                    region.min_um[a],
                                    -1.0,
                                    freq0,
                                    wavelengths_um.len(),
                                    true,
                                )?);
                                faces.push(plan.add_face(
                                    grid,
                                    &name,
                                    region,
                                    a,
                                    region.max_um[a],
                                    1.0,
                                    freq0,
                                    wavelengths_um.len(),
                                    true,
                                )?);
                            }
                        }
                        _ => {
                            return Err(Error::invalid(
                                format!("monitors.{name}.size_um"),
                                format!(
                                    "{:?}",
                                    [
                                        region.max_um[0] - region.min_um[0],
                                        region.max_um[1] - region.min_um[1],
                                        region.max_um[2] - region.min_um[2]
                                    ]
                                ),
                                "a flux monitor is a plane (one zero-size axis) or a closed box (none)",
                            ))
                        }
                    }
                    plan.monitors.push(MonitorPlan::Flux {
                        name,
                        freq0,
                        wavelengths_um: wavelengths_um.clone(),
                        faces,
                    });
                }
                MonitorKind::SourcePower { source, wavelengths_um } => {
                    check_wavelengths(&name, wavelengths_um)?;
                    let profile = *profiles.get(*source).ok_or_else(|| {
                        Error::invalid(
                            format!("monitors.{name}.source"),
                            source,
                            format!("there are {} sources", profiles.len()),
                        )
                    })?;
                    let freq0 = plan.add_freqs(wavelengths_um);
                    let nf = wavelengths_um.len();
                    let mut cells = Vec::new();
                    for c in source_cells.iter().flatten().filter(|c| c.profile as usize == *source) {
                        let acc = plan.accumulators;
                        plan.samples.push(DftSample {
                            index: c.index,
                            comp: c.comp,
                            avg_stride: 0,
                            freq0: freq0 as u32,
                            nfreq: nf as u32,
                            acc: acc as u32,
                        });
                        plan.accumulators += nf;
                        cells.push((acc, *c));
                    }
                    plan.monitors.push(MonitorPlan::SourcePower {
                        name,
                        freq0,
                        wavelengths_um: wavelengths_um.clone(),
                        cells,
                        profile,
                    });
                }
                MonitorKind::Snapshot {
                    region,
                    component,
                    every_steps,
                } => {
                    check_region(grid, &name, region)?;
                    if *every_steps == 0 {
                        return Err(Error::invalid(format!("monitors.{name}.every"), 0, "must be at least one step"));
                    }
                    if !component.is_active(grid.dims) {
                        return Err(Error::invalid(
                            format!("monitors.{name}.component"),
                            component.name(),
                            format!("not evolved in a {:?} run", grid.dims),
                        ));
                    }
                    let (lo, shape) = box_cells(grid, region);
                    let mut cells = Vec::with_capacity(shape.iter().product());
                    for k in 0..shape[2] {
                        for j in 0..shape[1] {
                            for i in 0..shape[0] {
                                let idx = grid.index(lo[0] + i, lo[1] + j, lo[2] + k);
                                cells.push(ProbeCell {
                                    index: idx as u32,
                                    comp: component.index() as u32,
                                });
                            }
                        }
                    }
                    plan.monitors.push(MonitorPlan::Snapshot {
                        name,
                        component: *component,
                        lo,
                        shape,
                        every_steps: *every_steps,
                        cells,
                    });
                }
            }
        }
        if plan.accumulators > u32::MAX as usize {
            return Err(Error::invalid(
                "DFT monitors",
                plan.accumulators,
                "too many DFT accumulators (more than 2^32)",
            ));
        }
        Ok(plan)
    }

    /// Point the samples of source `source`'s power monitors at its new
    /// cells (same count and order as before; see `Prepared::move_dipole`).
    pub fn move_source_samples(&mut self, source: usize, cells: &[SourceCell]) {
        let mut updates = Vec::new();
        for m in &mut self.monitors {
            if let MonitorPlan::SourcePower { cells: plan, .. } = m {
                let mine: Vec<usize> = (0..plan.len()).filter(|&k| plan[k].1.profile as usize == source).collect();
                for (k, new) in mine.into_iter().zip(cells) {
                    plan[k].1 = *new;
                    updates.push((plan[k].0, *new));
                }
            }
        }
        for (acc, c) in updates {
            for s in self.samples.iter_mut().filter(|s| s.acc as usize == acc) {
                s.index = c.index;
                s.comp = c.comp;
            }
        }
    }

    fn add_freqs(&mut self, wavelengths_um: &[f64]) -> usize {
        let f0 = self.freqs.len();
        self.freqs.extend(wavelengths_um.iter().map(|w| 1.0 / w));
        f0
    }

    #[allow(clippy::too_many_arguments)]
    fn add_block(
        &mut self,
        grid: &Grid,
        c: Component,
        lo: [usize; 3],
        shape: [usize; 3],
        avg_stride: usize,
        freq0: usize,
        nfreq: usize,
    ) -> SampleBlock {
        let acc = self.accumulators;
        for k in 0..shape[2] {
            for j in 0..shape[1] {
                for i in 0..shape[0] {
                    let idx = grid.index(lo[0] + i, lo[1] + j, lo[2] + k);
                    self.samples.push(DftSample {
                        index: idx as u32,
                        comp: c.index() as u32,
                        avg_stride: avg_stride as u32,
                        freq0: freq0 as u32,
                        nfreq: nfreq as u32,
                        acc: self.accumulators as u32,
                    });
                    self.accumulators += nfreq;
                }
            }
        }
        SampleBlock {
            comp: c,
            lo,
            shape,
            acc,
            half_ends: [false; 3],
        }
    }

    /// The window and flux face of a port-like plane (a mode port, an
    /// acceptance plane): its wavelengths added, the face at the plane,
    /// counted along +axis, or against it with `reverse`.
    fn add_port_face(
        &mut self,
        grid: &Grid,
        name: &str,
        region: &Region,
        reverse: bool,
        wavelengths_um: &[f64],
    ) -> Result<(crate::monitor::mode::PortWindow, usize, FluxFace)> {
        let window = crate::monitor::mode::PortWindow::new(grid, region, &format!("monitors.{name}"))?;
        let a = window.axis;
        let freq0 = self.add_freqs(wavelengths_um);
        let sign = if reverse { -1.0 } else { 1.0 };
        let pos = 0.5 * (region.min_um[a] + region.max_um[a]);
        let face = self.add_face(grid, name, region, a, pos, sign, freq0, wavelengths_um.len(), false)?;
        Ok((window, freq0, face))
    }

    #[allow(clippy::too_many_arguments)]
    fn add_face(
        &mut self,
        grid: &Grid,
        name: &str,
        region: &Region,
        a: usize,
        pos_um: f64,
        sign: f64,
        freq0: usize,
        nfreq: usize,
        closed: bool,
    ) -> Result<FluxFace> {
        let n = grid.shape();
        let i0 = (pos_um / grid.dx).round() as i64;
        if i0 < 1 || i0 > n[a] as i64 - 1 {
            return Err(Error::invalid(
                format!("monitors.{name}"),
                format!("plane at {pos_um} um along {}", ['x', 'y', 'z'][a]),
                "a flux plane must lie at least one cell inside the domain",
            ));
        }
        let (mut lo, mut shape) = box_cells(grid, region);
        lo[a] = i0 as usize;
        shape[a] = 1;
        let stride = grid.strides()[a];
        let (c1, c2) = ((a + 1) % 3, (a + 2) % 3);
        let comps = [
            Component::electric(c1),
            Component::electric(c2),
            Component::magnetic(c1),
            Component::magnetic(c2),
        ];
        let mut blocks: [Option<SampleBlock>; 4] = Default::default();
        for (slot, c) in comps.iter().enumerate() {
            if c.is_active(grid.dims) {
                let avg = if c.is_electric() { 0 } else { stride };
                // On a closed box, samples at whole-cell positions along a
                // face reach both edges (trapezoid rule), so the faces join
                // symmetrically; half-cell samples tile it (midpoint rule).
                let mut shape_c = shape;
                let mut half_ends = [false; 3];
                if closed {
                    let o = c.yee_offset();
                    for b in (0..grid.dims.count()).filter(|&b| b != a) {
                        if o[b] == 0.0 && lo[b] + shape[b] < n[b] {
                            shape_c[b] = shape[b] + 1;
                            half_ends[b] = true;
                        }
                    }
                }
                let mut block = self.add_block(grid, *c, lo, shape_c, avg, freq0, nfreq);
                block.half_ends = half_ends;
                blocks[slot] = Some(block);
            }
        }
        Ok(FluxFace {
            axis: a,
            sign,
            blocks,
            samples: shape.iter().product(),
        })
    }
}

pub(crate) fn box_cells(grid: &Grid, r: &Region) -> ([usize; 3], [usize; 3]) {
    let mut lo = [0; 3];
    let mut shape = [1; 3];
    for a in 0..3 {
        let (l, h) = cell_range(grid, a, r.min_um[a], r.max_um[a]);
        lo[a] = l;
        shape[a] = h - l;
    }
    (lo, shape)
}

/// Phase factors of one step for every frequency: (cos, sin) of w t for E
/// (t = (n + 1) dt) and H (t = (n + 1/2) dt), times dt. Step-major, 4 per frequency.
pub fn phase_table(freqs: &[f64], dt: f64, first: usize, count: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(count * freqs.len() * 4);
    phase_table_into(&mut out, freqs, dt, first, count);
    out
}

/// [`phase_table`] into `out` (cleared first; no allocation once it has the capacity).
pub fn phase_table_into(out: &mut Vec<f32>, freqs: &[f64], dt: f64, first: usize, count: usize) {
    out.clear();
    for n in first..first + count {
        let te = (n + 1) as f64 * dt;
        let th = (n as f64 + 0.5) * dt;
        for f in freqs {
            let w = TAU * f;
            out.extend([(w * te).cos() * dt, (w * te).sin() * dt, (w * th).cos() * dt, (w * th).sin() * dt].map(|v| v as f32));
        }
    }
}

/// Tangential DFT fields on one flux face: [E1, E2, H1, H2][freq][sample]
/// (empty where not evolved).
#[derive(Clone, Debug, PartialEq)]
pub struct FaceFields {
    pub axis: usize,
    pub sign: f64,
    pub fields: [Vec<Vec<Complex64>>; 4],
    /// Surface-integral weight of each sample per slot (empty: all 1).
    pub weights: [Vec<f64>; 4],
}

impl FluxFace {
    /// This face's DFT fields and sample weights, from the accumulators.
    fn fields(&self, grid: &Grid, nf: usize, acc: &[Complex64]) -> FaceFields {
        FaceFields {
            axis: self.axis,
            sign: self.sign,
            fields: [0, 1, 2, 3].map(|k| self.blocks[k].as_ref().map_or(Vec::new(), |b| block_fields(b, nf, acc))),
            weights: [0, 1, 2, 3].map(|k| self.blocks[k].as_ref().map_or(Vec::new(), |b| b.area_weights(grid, self.axis))),
        }
    }
}

/// Flux through all `faces`, per frequency.
fn total_flux(faces: &[FaceFields], d_area: f64, nf: usize) -> Vec<f64> {
    let mut flux = vec![0.0; nf];
    for f in faces {
        for (t, v) in flux.iter_mut().zip(face_flux(f, d_area, nf)) {
            *t += v;
        }
    }
    flux
}

/// A monitor's result.
#[derive(Clone, Debug)]
pub enum MonitorData {
    DftFields {
        wavelengths_um: Vec<f64>,
        /// Per component: name, positions (um, grid coordinates) along x, y, z,
        /// and data [freq][z][y][x].
        components: Vec<(Component, [Vec<f64>; 3], ndarray::Array4<Complex64>)>,
    },
    Flux {
        wavelengths_um: Vec<f64>,
        /// Flux spectrum (spectral density: sum of Re(E x H*) . n dA over the faces).
        flux: Vec<f64>,
        faces: Vec<FaceFields>,
    },
    SourcePower {
        wavelengths_um: Vec<f64>,
        /// -Re(E . J*) dV summed over the source, per wavelength.
        power: Vec<f64>,
        /// Spectrum of the source waveform, W(w) = sum w(t) exp(i w t) dt.
        source_spectrum: Vec<Complex64>,
    },
    Mode {
        wavelengths_um: Vec<f64>,
        /// Per wavelength, per guided mode (highest index first).
        n_eff: Vec<Vec<f64>>,
        /// Power in each mode along the port direction and against it.
        forward: Vec<Vec<f64>>,
        backward: Vec<Vec<f64>>,
        /// Complex amplitudes a+ and a- of each mode (|a|^2 = power; phase
        /// relative to the mode profile with its largest transverse E sample
        /// positive, at the DFT's time origin); empty for sums over runs.
        forward_amplitude: Vec<Vec<Complex64>>,
        backward_amplitude: Vec<Vec<Complex64>>,
        /// Total flux through the port along its direction.
        flux: Vec<f64>,
    },
    FarField {
        wavelengths_um: Vec<f64>,
        /// Per direction: polar angle from +z (pi/2 in 2D) and azimuth from +x, radians.
        theta: Vec<f64>,
        phi: Vec<f64>,
        /// Solid angle (3D) or angle (2D) of each direction.
        weight: Vec<f64>,
        /// [freq][direction]: power per unit solid angle (3D) or angle (2D), flux units.
        intensity: Vec<Vec<f64>>,
        /// Flux out of the box, and the intensity integrated over all directions.
        flux: Vec<f64>,
        total: Vec<f64>,
        /// Numerical aperture and the fraction of the power within it, per wavelength.
        na: Option<f64>,
        na_fraction: Option<Vec<f64>>,
        n_background: f64,
        /// `intensity` split into its E_theta and E_phi parts ([freq][direction]);
        /// None for sums over runs.
        polarized: Option<[Vec<Vec<f64>>; 2]>,
        /// For an open plane: the half-space it projects into (the directions
        /// are that hemisphere) and the angle it captures.
        plane: Option<crate::monitor::farfield::FarFieldPlane>,
        /// `total` over the power the sources deliver, per wavelength, when the
        /// run has one `source_power` monitor at the same wavelengths.
        source_fraction: Option<Vec<f64>>,
    },
    Acceptance {
        wavelengths_um: Vec<f64>,
        /// The numerical aperture used, and the core's area (um^2; width in um in 2D).
        na: f64,
        core_size: f64,
        /// Power through the core within the NA (flux units), the flux through
        /// the core area, and the flux through the whole plane, per wavelength.
        accepted: Vec<f64>,
        core_flux: Vec<f64>,
        flux: Vec<f64>,
    },
    Snapshot {
        component: Component,
        /// Positions (um, grid coordinates) along x, y, z.
        positions: [Vec<f64>; 3],
        /// Simulation time of each frame (internal units).
        times: Vec<f64>,
        /// [frame][z][y][x].
        frames: ndarray::Array4<f32>,
    },
}

#[derive(Clone, Debug)]
pub struct MonitorResult {
    pub name: String,
    pub data: MonitorData,
}

fn block_fields(b: &SampleBlock, nf: usize, acc: &[Complex64]) -> Vec<Vec<Complex64>> {
    let n: usize = b.shape.iter().product();
    (0..nf).map(|f| (0..n).map(|s| acc[b.acc + s * nf + f]).collect()).collect()
}

/// Flux of face fields: sign * Re sum (E1 H2* - E2 H1*) dA per frequency.
pub fn face_flux(face: &FaceFields, d_area: f64, nf: usize) -> Vec<f64> {
    let [e1, e2, h1, h2] = &face.fields;
    (0..nf)
        .map(|f| {
            let w = |slot: usize, k: usize| face.weights[slot].get(k).copied().unwrap_or(1.0);
            let mut s = 0.0;
            if !e1.is_empty() && !h2.is_empty() {
                s += e1[f]
                    .iter()
                    .zip(&h2[f])
                    .enumerate()
                    .map(|(k, (e, h))| w(0, k) * (e * h.conj()).re)
                    .sum::<f64>();
            }
            if !e2.is_empty() && !h1.is_empty() {
                s -= e2[f]
                    .iter()
                    .zip(&h1[f])
                    .enumerate()
                    .map(|(k, (e, h))| w(1, k) * (e * h.conj()).re)
                    .sum::<f64>();
            }
            face.sign * s * d_area
        })
        .collect()
}

/// Face fields minus a reference run's (the scattered part).
pub fn subtract_faces(a: &[FaceFields], reference: &[FaceFields]) -> Result<Vec<FaceFields>> {
    if a.len() != reference.len() {
        return Err(Error::invalid(
            "reference",
            format!("{} faces", reference.len()),
            format!("the monitor has {} faces", a.len()),
        ));
    }
    a.iter()
        .zip(reference)
        .map(|(x, r)| {
            let mut out = x.clone();
            for k in 0..4 {
                if x.fields[k].len() != r.fields[k].len() || x.fields[k].iter().zip(&r.fields[k]).any(|(p, q)| p.len() != q.len()) {
                    return Err(Error::invalid(
                        "reference",
                        "different sample layout",
                        "the reference run must have the same grid and monitor",
                    ));
                }
                for (p, q) in out.fields[k].iter_mut().zip(&r.fields[k]) {
                    for (u, v) in p.iter_mut().zip(q) {
                        *u -= v;
                    }
                }
            }
            Ok(out)
        })
        .collect()
}

/// Spectrum of a source waveform as the steppers sample it (t = (n + 1/2) dt).
pub fn source_spectrum(profile: &TimeProfile, dt: f64, steps: usize, freqs: &[f64]) -> Vec<Complex64> {
    freqs
        .iter()
        .map(|f| {
            let w = TAU * f;
            let mut s = Complex64::new(0.0, 0.0);
            for n in 0..steps {
                let t = (n as f64 + 0.5) * dt;
                s += Complex64::from_polar(profile.value(t) * dt, w * t);
            }
            s
        })
        .collect()
}

impl DftPlan {
    /// Assemble the DFT-based monitors' results from the accumulators.
    /// `snapshots` holds each snapshot monitor's frames (step, values), in plan order.
    pub fn results(&self, grid: &Grid, acc: &[Complex64], steps: usize, snapshots: &[Vec<(usize, Vec<f32>)>]) -> Vec<MonitorResult> {
        let d = grid.dims.count();
        let d_area = grid.dx.powi(d as i32 - 1);
        let dv = grid.dx.powi(d as i32);
        let mut snap = snapshots.iter();
        let positions = |c: Component, lo: [usize; 3], shape: [usize; 3]| -> [Vec<f64>; 3] {
            let o = c.yee_offset();
            [0, 1, 2].map(|a| {
                (0..shape[a])
                    .map(|i| {
                        if a < d {
                            // Physical positions on a graded axis.
                            grid.physical(a, (lo[a] + i) as f64 * grid.dx + o[a] * grid.dx)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
        };
        let mut out: Vec<MonitorResult> = self
            .monitors
            .iter()
            .map(|m| {
                let data = match m {
                    MonitorPlan::DftFields {
                        wavelengths_um, blocks, ..
                    } => {
                        let nf = wavelengths_um.len();
                        let components = blocks
                            .iter()
                            .map(|b| {
                                let flat: Vec<Complex64> = block_fields(b, nf, acc).into_iter().flatten().collect();
                                let arr = ndarray::Array4::from_shape_vec((nf, b.shape[2], b.shape[1], b.shape[0]), flat)
                                    .expect("block size matches its shape");
                                (b.comp, positions(b.comp, b.lo, b.shape), arr)
                            })
                            .collect();
                        MonitorData::DftFields {
                            wavelengths_um: wavelengths_um.clone(),
                            components,
                        }
                    }
                    MonitorPlan::FarField {
                        wavelengths_um,
                        faces,
                        n_background,
                        points,
                        na,
                        plane,
                        ..
                    } => {
                        use crate::monitor::farfield as ff;
                        let nf = wavelengths_um.len();
                        let mut fields: Vec<FaceFields> = faces.iter().map(|f| f.fields(grid, nf, acc)).collect();
                        if let (Some(p), Some(face), Some(ff)) = (plane, faces.first(), fields.first_mut()) {
                            ff::taper_fields(grid, face, ff, &p.min_um, &p.max_um, p.edge_taper);
                        }
                        let flux = total_flux(&fields, d_area, nf);
                        let three_d = d == 3;
                        let mut dirs = ff::Directions::new(three_d, *points);
                        // NA about +z (3D) or +y (2D) for a box, the plane's normal for a plane.
                        let mut axis = if three_d { [0.0, 0.0, 1.0] } else { [0.0, 1.0, 0.0] };
                        if let Some(p) = plane {
                            dirs = dirs.half(p.axis, p.sign);
                            axis = [0.0; 3];
                            axis[p.axis] = p.sign;
                        }
                        let freqs: Vec<f64> = wavelengths_um.iter().map(|w| 1.0 / w).collect();
                        let [u_th, u_ph] = ff::project_polarized(grid, faces, &fields, &freqs, *n_background, &dirs);
                        let intensity: Vec<Vec<f64>> = u_th
                            .iter()
                            .zip(&u_ph)
                            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x + y).collect())
                            .collect();
                        let total = intensity
                            .iter()
                            .map(|u| u.iter().zip(&dirs.weight).map(|(a, b)| a * b).sum())
                            .collect();
                        let na_fraction = na.map(|na| {
                            intensity
                                .iter()
                                .map(|u| ff::fraction_within_na_about(&dirs, u, na, *n_background, axis))
                                .collect()
                        });
                        MonitorData::FarField {
                            wavelengths_um: wavelengths_um.clone(),
                            theta: dirs.angles.iter().map(|a| a.0).collect(),
                            phi: dirs.angles.iter().map(|a| a.1).collect(),
                            weight: dirs.weight.clone(),
                            intensity,
                            flux,
                            total,
                            na: *na,
                            na_fraction,
                            n_background: *n_background,
                            polarized: Some([u_th, u_ph]),
                            plane: plane.as_deref().cloned(),
                            source_fraction: None,
                        }
                    }
                    MonitorPlan::Mode {
                        wavelengths_um,
                        face,
                        modes,
                        ..
                    } => {
                        let nf = wavelengths_um.len();
                        let fields = face.fields(grid, nf, acc);
                        let (mut fa, mut ba) = crate::monitor::mode::decompose(modes, &fields, d_area);
                        if face.sign < 0.0 {
                            std::mem::swap(&mut fa, &mut ba);
                        }
                        let power = |a: &[Vec<Complex64>]| a.iter().map(|r| r.iter().map(|z| z.norm_sqr()).collect()).collect();
                        let (forward, backward) = (power(&fa), power(&ba));
                        MonitorData::Mode {
                            wavelengths_um: wavelengths_um.clone(),
                            n_eff: modes.n_eff(),
                            forward,
                            backward,
                            forward_amplitude: fa,
                            backward_amplitude: ba,
                            flux: face_flux(&fields, d_area, nf),
                        }
                    }
                    MonitorPlan::Acceptance {
                        wavelengths_um,
                        face,
                        acceptance,
                        ..
                    } => {
                        let nf = wavelengths_um.len();
                        let fields = face.fields(grid, nf, acc);
                        MonitorData::Acceptance {
                            wavelengths_um: wavelengths_um.clone(),
                            na: acceptance.na,
                            core_size: acceptance.core_size,
                            accepted: (0..nf).map(|f| acceptance.accepted(&fields, f, wavelengths_um[f])).collect(),
                            core_flux: (0..nf).map(|f| acceptance.core_flux(&fields, f)).collect(),
                            flux: face_flux(&fields, d_area, nf),
                        }
                    }
                    MonitorPlan::Flux { wavelengths_um, faces, .. } => {
                        let nf = wavelengths_um.len();
                        let faces: Vec<FaceFields> = faces.iter().map(|f| f.fields(grid, nf, acc)).collect();
                        let flux = total_flux(&faces, d_area, nf);
                        MonitorData::Flux {
                            wavelengths_um: wavelengths_um.clone(),
                            flux,
                            faces,
                        }
                    }
                    MonitorPlan::SourcePower {
                        wavelengths_um,
                        cells,
                        profile,
                        ..
                    } => {
                        let nf = wavelengths_um.len();
                        let freqs: Vec<f64> = wavelengths_um.iter().map(|w| 1.0 / w).collect();
                        let spec = source_spectrum(profile, grid.dt, steps, &freqs);
                        let power = (0..nf)
                            .map(|f| {
                                // E averaged over the step the current acts in: E(w) cos(w dt / 2).
                                let avg = (0.5 * TAU * freqs[f] * grid.dt).cos();
                                -cells
                                    .iter()
                                    .map(|(a, c)| {
                                        let j = spec[f] * (c.weight as f64 / grid.dx);
                                        // The sample's physical volume over dv (graded axes).
                                        let cell = c.index as usize;
                                        let ijk = [cell % grid.nx, (cell / grid.nx) % grid.ny, cell / (grid.nx * grid.ny)];
                                        let comp = Component::electric(c.comp as usize);
                                        let vol: f64 = (0..d).map(|b| 1.0 / grid.delta_factor(comp, b, ijk[b])).product();
                                        (acc[a + f] * avg * j.conj()).re * vol
                                    })
                                    .sum::<f64>()
                                    * dv
                            })
                            .collect();
                        MonitorData::SourcePower {
                            wavelengths_um: wavelengths_um.clone(),
                            power,
                            source_spectrum: spec,
                        }
                    }
                    MonitorPlan::Snapshot { component, lo, shape, .. } => {
                        let frames = snap.next().cloned().unwrap_or_default();
                        let n: usize = shape.iter().product();
                        let times: Vec<f64> = frames
                            .iter()
                            .map(|(s, _)| {
                                if component.is_electric() {
                                    *s as f64 * grid.dt
                                } else {
                                    (*s as f64 - 0.5) * grid.dt
                                }
                            })
                            .collect();
                        let flat: Vec<f32> = frames.iter().flat_map(|(_, v)| v.iter().copied()).collect();
                        let arr = ndarray::Array4::from_shape_vec((frames.len(), shape[2], shape[1], shape[0]), flat)
                            .unwrap_or_else(|_| ndarray::Array4::zeros((0, shape[2], shape[1], shape[0])));
                        debug_assert!(frames.iter().all(|(_, v)| v.len() == n));
                        MonitorData::Snapshot {
                            component: *component,
                            positions: positions(*component, *lo, *shape),
                            times,
                            frames: arr,
                        }
                    }
                };
                MonitorResult {
                    name: m.name().to_string(),
                    data,
                }
            })
            .collect();
        with_source_fraction(&mut out);
        out
    }

    pub fn snapshot_plans(&self) -> impl Iterator<Item = (usize, &Vec<ProbeCell>)> {
        self.monitors.iter().filter_map(|m| match m {
            MonitorPlan::Snapshot { every_steps, cells, .. } => Some((*every_steps, cells)),
            _ => None,
        })
    }
}
