//! A simulation as described (`Simulation`) and as rasterised for a stepper
//! (`Prepared`): update coefficients, CPML profiles, source and probe cells.
//! Both the GPU stepper and its CPU twin consume the same `Prepared`.

use std::collections::HashSet;
use std::sync::Arc;

use crate::boundary::{Boundaries, Boundary, PmlProfile};
use crate::dispersion::DispersionPlan;
use crate::error::{Error, Result};
use crate::grid::{Component, Grid};
use crate::material::{MaterialGrid, Structure};
use crate::monitor::dft::{DftPlan, MonitorResult};
use crate::monitor::{Monitor, Probe};
use crate::source::{Source, SourceShape, TimeProfile};

/// Everything a run needs, in physical units.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub grid: Grid,
    pub boundaries: Boundaries,
    pub structure: Structure,
    pub sources: Vec<Source>,
    pub probes: Vec<Probe>,
    pub monitors: Vec<Monitor>,
    /// Declared mirror planes (see [`crate::symmetry`]): a run steps the
    /// folded grid ([`crate::symmetry::fold`]); `prepare` gives the whole one.
    pub symmetry: crate::symmetry::Symmetry,
}

/// One source sample: E component `comp` at cell `index` gets
/// E -= cb * weight * w_profile(t). Keep in sync with shaders/sources.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SourceCell {
    pub index: u32,
    pub comp: u32,
    pub profile: u32,
    pub weight: f32,
}

/// One probe sample: component 0..6 (Ex..Hz) at cell `index`.
/// Keep in sync with shaders/probes.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ProbeCell {
    pub index: u32,
    pub comp: u32,
}

/// The rasterised run.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub grid: Grid,
    pub boundaries: Boundaries,
    /// Per-component permittivity (what monitors, mode solvers and plots
    /// read). Once prepared, `sigma` is empty when the run is lossless and
    /// `medium` is empty (it only served to build the dispersion plan), so
    /// that what stays resident per cell is eps, cb and the fields.
    /// The cell arrays are shared: cloning a `Prepared` (an LED's moved
    /// dipole, a stepper's own copy) copies none of them.
    pub materials: Arc<MaterialGrid>,
    /// E update: E = ca E + cb (difference of H); cb = (dt/dx) / eps / (1 + sigma dt / 2 eps).
    pub cb: Arc<[Vec<f32>; 3]>,
    /// ca = (1 - sigma dt / 2 eps) / (1 + sigma dt / 2 eps); None when lossless.
    pub ca: Option<Arc<[Vec<f32>; 3]>>,
    /// H update coefficient dt / (mu dx), mu = 1.
    pub ch: f32,
    pub pml: [PmlProfile; 3],
    /// Source samples, split into layers that touch each (cell, component) once.
    pub source_layers: Vec<Vec<SourceCell>>,
    /// Magnetic current samples (`comp` 0..3 is Hx..Hz), in layers likewise:
    /// H -= ch * weight * w_profile(t) after update_h.
    pub magnetic_layers: Vec<Vec<SourceCell>>,
    /// Waveforms: entry p is sampled at (n + 1/2) dt - delays[p] for step n.
    /// Entries 0..sources are the sources' (electric) waveforms; magnetic
    /// samples use entries after them, delayed by dt/2 and more.
    pub profiles: Vec<TimeProfile>,
    pub delays: Vec<f64>,
    pub probes: Vec<ProbeCell>,
    /// DFT samples and snapshot cells of the monitors.
    pub dft: DftPlan,
    /// Polarisation state of E samples in dispersive media.
    pub dispersion: DispersionPlan,
    /// A folded (mirror-symmetric) grid's ghost H samples, set after every
    /// H update (and magnetic source) to the image of a kept sample:
    /// H_comp[index] = weight * H_comp[profile] (`comp` 0..3 is Hx..Hz).
    /// Empty for a whole grid. Keep in sync with shaders/sources.wgsl (mirror_h).
    pub mirror_cells: Vec<SourceCell>,
    /// A folded grid's way back to the whole domain's monitor results.
    pub unfold: Option<Arc<crate::symmetry::Unfold>>,
}

impl Prepared {
    /// Host memory the set-up holds besides what an engine allocates from it
    /// (bytes): the material arrays kept for monitors and mode solvers, and
    /// the ports' mode profiles.
    pub fn host_set_up_bytes(&self) -> u64 {
        let m = &self.materials;
        let cells: usize = m.eps.iter().chain(&m.sigma).map(Vec::len).sum::<usize>() + m.medium.iter().map(Vec::len).sum::<usize>();
        let ports: u64 = self
            .dft
            .monitors
            .iter()
            .map(|plan| match plan {
                crate::monitor::dft::MonitorPlan::Mode { modes, .. } => modes.bytes(),
                _ => 0,
            })
            .sum();
        cells as u64 * 4 + ports
    }
}

impl Simulation {
    pub fn new(grid: Grid, boundaries: Boundaries, structure: Structure) -> Simulation {
        Simulation {
            grid,
            boundaries,
            structure,
            sources: Vec::new(),
            probes: Vec::new(),
            monitors: Vec::new(),
            symmetry: Default::default(),
        }
    }
    pub fn with_source(mut self, s: Source) -> Simulation {
        self.sources.push(s);
        self
    }
    pub fn with_probe(mut self, p: Probe) -> Simulation {
        self.probes.push(p);
        self
    }
    pub fn with_monitor(mut self, m: Monitor) -> Simulation {
        self.monitors.push(m);
        self
    }

    /// Validate and rasterise.
    pub fn prepare(&self) -> Result<Prepared> {
        let grid = &self.grid;
        self.boundaries.validate(grid)?;
        if grid.cells() > u32::MAX as usize {
            return Err(Error::invalid(
                "grid cells",
                grid.cells(),
                "at most 2^32 - 1 cells are supported (one index per cell): lower size_um or resolution",
            ));
        }
        let materials = self.structure.rasterize(grid)?;
        let dispersive: Vec<bool> = materials.media(&self.structure).iter().map(|m| !m.poles.is_empty()).collect();
        let (cb, ca) = coefficients(grid, &self.boundaries, &materials, &dispersive);
        let pml = [0, 1, 2].map(|a| PmlProfile::new(grid, &self.boundaries, a));
        let (source_layers, magnetic_layers, profiles, delays) = self.rasterize_sources(&materials)?;
        for m in &self.monitors {
            if let crate::monitor::MonitorKind::SourcePower { source, .. } = &m.kind {
                if matches!(
                    self.sources.get(*source).map(|s| &s.shape),
                    Some(SourceShape::Samples { .. } | SourceShape::Mode { .. })
                ) {
                    return Err(Error::invalid(
                        format!("monitors.{}.source", m.name),
                        source,
                        "source power of a mode (sample) source is not measured; put a mode or flux monitor downstream",
                    ));
                }
            }
        }
        let probes = self.rasterize_probes()?;
        let mut names = HashSet::new();
        for m in &self.monitors {
            if !names.insert(m.name.as_str()) {
                return Err(Error::invalid("monitors", &m.name, "monitor names must be unique"));
            }
        }
        let dft = DftPlan::new(grid, &materials, &self.monitors, &source_layers, &profiles)?;
        let dispersion = DispersionPlan::new(grid, &self.structure, &materials)?;
        let mut materials = materials;
        // A symmetric set-up keeps the media: folding builds its own
        // dispersion plan and PML absorber from them.
        if self.symmetry.is_empty() {
            materials.medium = Default::default();
            materials.mixtures = Vec::new();
        }
        if !materials.has_loss() && self.symmetry.is_empty() {
            materials.sigma = Default::default();
        }
        Ok(Prepared {
            grid: grid.clone(),
            boundaries: self.boundaries,
            materials: Arc::new(materials),
            cb: Arc::new(cb),
            ca: ca.map(Arc::new),
            ch: (grid.dt / grid.dx) as f32,
            pml,
            source_layers,
            magnetic_layers,
            profiles,
            delays,
            probes,
            dft,
            dispersion,
            mirror_cells: Vec::new(),
            unfold: None,
        })
    }

    /// What a stepper runs: the prepared set-up, folded onto the mirror
    /// planes when there are any ([`crate::symmetry::fold`]).
    pub fn for_stepper(&self, prepared: &Prepared) -> Result<Prepared> {
        if self.symmetry.is_empty() || self.symmetry.whole_domain {
            Ok(prepared.clone())
        } else {
            crate::symmetry::fold(prepared, &self.symmetry, &self.structure)
        }
    }

    #[allow(clippy::type_complexity)]
    fn rasterize_sources(
        &self,
        materials: &MaterialGrid,
    ) -> Result<(Vec<Vec<SourceCell>>, Vec<Vec<SourceCell>>, Vec<TimeProfile>, Vec<f64>)> {
        let grid = &self.grid;
        let d = grid.dims.count();
        let size = grid.size_um();
        let mut cells = Vec::new();
        let mut magnetic = Vec::new();
        let mut profiles: Vec<TimeProfile> = self.sources.iter().map(|s| s.profile).collect();
        let mut delays = vec![0.0; profiles.len()];
        for (n, s) in self.sources.iter().enumerate() {
            let what = format!("sources[{n}]");
            s.profile.validate(&what)?;
            if !s.amplitude.is_finite() || s.direction.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    format!("{what}.amplitude/direction"),
                    format!("{} {:?}", s.amplitude, s.direction),
                    "must be finite",
                ));
            }
            let pid = n as u32;
            let mode_samples;
            let shape = match &s.shape {
                SourceShape::Mode {
                    region,
                    wavelength_um,
                    mode,
                    backward,
                } => {
                    let (samples, magnetic_delay, _n_eff) =
                        crate::monitor::mode::source_samples(grid, materials, region, *wavelength_um, *mode, *backward, &what)?;
                    mode_samples = SourceShape::Samples { samples, magnetic_delay };
                    &mode_samples
                }
                other => other,
            };
            if let SourceShape::Samples { samples, magnetic_delay } = shape {
                let mut mid = None;
                if let Some(&(_, ijk, _)) = samples.iter().find(|(_, ijk, _)| grid.cell_in_graded_zone(*ijk)) {
                    return Err(graded_refusal(&what, "a mode or sampled source", grid, ijk));
                }
                for &(c, ijk, w) in samples {
                    let n_ = grid.shape();
                    if !c.is_active(grid.dims) || (0..3).any(|a| ijk[a] >= n_[a]) || !w.is_finite() {
                        return Err(Error::invalid(
                            format!("{what}.samples"),
                            format!("{} at {ijk:?} weight {w}", c.name()),
                            format!("need evolved components inside the grid {n_:?} and finite weights"),
                        ));
                    }
                    let weight = (s.amplitude * w) as f32;
                    let index = grid.index(ijk[0], ijk[1], ijk[2]) as u32;
                    if c.is_electric() {
                        cells.push(SourceCell {
                            index,
                            comp: c.index() as u32,
                            profile: pid,
                            weight,
                        });
                    } else {
                        let profile = *mid.get_or_insert_with(|| {
                            profiles.push(s.profile);
                            delays.push(0.5 * grid.dt + magnetic_delay);
                            profiles.len() as u32 - 1
                        });
                        magnetic.push(SourceCell {
                            index,
                            comp: c.index() as u32 - 3,
                            profile,
                            weight,
                        });
                    }
                }
                continue;
            }
            for a in 0..3 {
                let u = s.direction[a];
                if u == 0.0 {
                    continue;
                }
                let c = Component::electric(a);
                if !c.is_active(grid.dims) {
                    return Err(Error::invalid(
                        format!("{what}.direction"),
                        format!("{:?}", s.direction),
                        format!("{} is not evolved in a {:?} run", c.name(), grid.dims),
                    ));
                }
                let (samples, zero_dims) = match &s.shape {
                    SourceShape::Point { position_um } => {
                        let around = grid.interpolation(c, *position_um).ok_or_else(|| Error::OutsideDomain {
                            what: what.clone(),
                            position_um: *position_um,
                            size_um: size,
                        })?;
                        (around.iter().map(|s| s.0).collect(), d)
                    }
                    SourceShape::Region { min_um, max_um } => region_samples(grid, c, *min_um, *max_um, &what)?,
                    SourceShape::Samples { .. } | SourceShape::Mode { .. } => unreachable!("handled above"),
                    SourceShape::Sheet { points_um, weights } => {
                        if points_um.len() != weights.len() || points_um.is_empty() {
                            return Err(Error::invalid(
                                format!("{what}.weights"),
                                weights.len(),
                                format!("need one weight per point ({})", points_um.len()),
                            ));
                        }
                        let mut v = Vec::with_capacity(points_um.len());
                        for p in points_um {
                            v.push(grid.nearest(c, *p).ok_or_else(|| Error::OutsideDomain {
                                what: what.clone(),
                                position_um: *p,
                                size_um: size,
                            })?);
                        }
                        if let Some(&ijk) = v.iter().find(|ijk| grid.cell_in_graded_zone(**ijk)) {
                            return Err(graded_refusal(&what, "a sheet source", grid, ijk));
                        }
                        (v, 1)
                    }
                };
                let weight = s.amplitude * u * grid.dx / grid.dx.powi(zero_dims as i32);
                let sample_weights: Vec<f64> = match &s.shape {
                    SourceShape::Sheet { weights, .. } => weights.clone(),
                    SourceShape::Point { position_um } => grid
                        .interpolation(c, *position_um)
                        .expect("checked above")
                        .iter()
                        .map(|s| s.1)
                        .collect(),
                    _ => vec![1.0; samples.len()],
                };
                // A delta along a graded axis is denser where the cells are
                // finer: the axes a point or a region of zero size is a
                // delta along.
                let delta_axes: Vec<usize> = match &s.shape {
                    SourceShape::Point { .. } => (0..d).collect(),
                    SourceShape::Region { min_um, max_um } => (0..d).filter(|&b| max_um[b] - min_um[b] < 0.5 * grid.dx).collect(),
                    _ => Vec::new(),
                };
                for (ijk, w) in samples.into_iter().zip(sample_weights) {
                    let dense: f64 = delta_axes.iter().map(|&b| grid.delta_factor(c, b, ijk[b])).product();
                    cells.push(SourceCell {
                        index: grid.index(ijk[0], ijk[1], ijk[2]) as u32,
                        comp: a as u32,
                        profile: pid,
                        weight: (weight * w * dense) as f32,
                    });
                }
            }
        }
        Ok((into_layers(cells), into_layers(magnetic), profiles, delays))
    }

    fn rasterize_probes(&self) -> Result<Vec<ProbeCell>> {
        self.probes.iter().enumerate().map(|(n, p)| probe_cell(&self.grid, n, p)).collect()
    }
}

impl Prepared {
    /// One more probe (e.g. the one a decay stop watches).
    pub fn add_probe(&mut self, p: &Probe) -> Result<()> {
        let cell = probe_cell(&self.grid, self.probes.len(), p)?;
        self.probes.push(cell);
        Ok(())
    }

    /// Whether a stepper made for `self` can restart with `other`: the same
    /// grid and the same number of samples in every source layer, DFT list
    /// and waveform table (a set-up with sources moved in place by
    /// [`Prepared::move_dipole`]); both engines check it before reusing
    /// their arrays.
    pub fn check_restart(&self, other: &Prepared) -> Result<()> {
        let layers = |q: &Prepared| -> Vec<usize> { q.source_layers.iter().chain(&q.magnetic_layers).map(Vec::len).collect() };
        if other.grid != self.grid
            || layers(other) != layers(self)
            || other.dft.samples.len() != self.dft.samples.len()
            || other.profiles.len() != self.profiles.len()
            || other.mirror_cells != self.mirror_cells
            || other.unfold.is_some()
            || self.unfold.is_some()
        {
            return Err(Error::invalid(
                "restart",
                "a different set-up",
                "a stepper restarts only with its own set-up, sources moved in place",
            ));
        }
        Ok(())
    }

    /// Move point dipole `source` to `position_um` with orientation
    /// `direction` (amplitude `amplitude`), in place: its source samples and
    /// the DFT samples of its source-power monitors follow. The dipole must
    /// keep its number of samples (one per non-zero direction component), so
    /// a stepper can take the new samples without new buffers
    /// ([`crate::gpu::GpuStepper::restart`]): the runs of an incoherent emitter.
    pub fn move_dipole(&mut self, source: usize, position_um: [f64; 3], direction: [f64; 3], amplitude: f64) -> Result<()> {
        let grid = &self.grid;
        let what = format!("sources[{source}]");
        let d = grid.dims.count();
        let mut cells = Vec::new();
        for (a, &u) in direction.iter().enumerate() {
            if u == 0.0 {
                continue;
            }
            let c = Component::electric(a);
            if !c.is_active(grid.dims) {
                return Err(Error::invalid(
                    format!("{what}.direction"),
                    format!("{direction:?}"),
                    format!("{} is not evolved in a {:?} run", c.name(), grid.dims),
                ));
            }
            let around = grid.interpolation(c, position_um).ok_or_else(|| Error::OutsideDomain {
                what: what.clone(),
                position_um,
                size_um: grid.size_um(),
            })?;
            for (ijk, w) in around {
                let dense: f64 = (0..d).map(|b| grid.delta_factor(c, b, ijk[b])).product();
                cells.push(SourceCell {
                    index: grid.index(ijk[0], ijk[1], ijk[2]) as u32,
                    comp: a as u32,
                    profile: source as u32,
                    weight: (amplitude * u * w * dense * grid.dx / grid.dx.powi(d as i32)) as f32,
                });
            }
        }
        let old: Vec<(usize, usize)> = self
            .source_layers
            .iter()
            .enumerate()
            .flat_map(|(l, layer)| {
                layer
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.profile as usize == source)
                    .map(move |(k, _)| (l, k))
            })
            .collect();
        if old.len() != cells.len() {
            return Err(Error::invalid(
                format!("{what}.direction"),
                format!("{direction:?}"),
                format!("the dipole had {} samples; a moved dipole must keep that number", old.len()),
            ));
        }
        let mut moved = std::collections::HashMap::new();
        for (&(l, k), new) in old.iter().zip(&cells) {
            let before = self.source_layers[l][k];
            moved.insert((before.index, before.comp), *new);
            self.source_layers[l][k] = *new;
        }
        // Layers must still touch each (cell, component) once.
        for layer in &self.source_layers {
            let mut seen = HashSet::new();
            if !layer.iter().all(|c| seen.insert((c.index, c.comp))) {
                return Err(Error::invalid(
                    format!("{what}.position_um"),
                    format!("{position_um:?}"),
                    "the moved dipole lands on a sample another source drives",
                ));
            }
        }
        self.dft.move_source_samples(source, &cells);
        Ok(())
    }
}

/// The sample of probe number `n`.
fn probe_cell(grid: &Grid, n: usize, p: &Probe) -> Result<ProbeCell> {
    if !p.component.is_active(grid.dims) {
        return Err(Error::invalid(
            format!("probes[{n}].component"),
            p.component.name(),
            format!("not evolved in a {:?} run", grid.dims),
        ));
    }
    let ijk = grid.nearest(p.component, p.position_um).ok_or_else(|| Error::OutsideDomain {
        what: format!("probes[{n}]"),
        position_um: p.position_um,
        size_um: grid.size_um(),
    })?;
    Ok(ProbeCell {
        index: grid.index(ijk[0], ijk[1], ijk[2]) as u32,
        comp: p.component.index() as u32,
    })
}

/// Split source samples into layers so no layer writes one (cell, component) twice.
pub(crate) fn into_layers(cells: Vec<SourceCell>) -> Vec<Vec<SourceCell>> {
    let mut layers: Vec<Vec<SourceCell>> = Vec::new();
    let mut seen: Vec<HashSet<(u32, u32)>> = Vec::new();
    for c in cells {
        let key = (c.index, c.comp);
        match seen.iter().position(|s| !s.contains(&key)) {
            Some(l) => {
                seen[l].insert(key);
                layers[l].push(c);
            }
            None => {
                seen.push(HashSet::from([key]));
                layers.push(vec![c]);
            }
        }
    }
    layers
}

/// Samples of component `c` inside a box; returns them with the number of
/// zero-size (single-layer) active axes.
fn region_samples(grid: &Grid, c: Component, min_um: [f64; 3], max_um: [f64; 3], what: &str) -> Result<(Vec<[usize; 3]>, usize)> {
    let d = grid.dims.count();
    let n = grid.shape();
    let o = c.yee_offset();
    let mut ranges = [(0usize, 1usize); 3];
    let mut zero_dims = 0;
    for a in 0..d {
        let (lo, hi) = (min_um[a], max_um[a]);
        if !(lo.is_finite() && hi.is_finite()) || hi < lo {
            return Err(Error::invalid(
                format!("{what}.min_um/max_um"),
                format!("{min_um:?} / {max_um:?}"),
                "need finite min <= max",
            ));
        }
        let size = grid.size_um();
        if lo < 0.0 || hi > size[a] {
            return Err(Error::OutsideDomain {
                what: what.to_string(),
                position_um: min_um,
                size_um: size,
            });
        }
        if hi - lo < 0.5 * grid.dx {
            zero_dims += 1;
            let i = ((0.5 * (lo + hi)) / grid.dx - o[a]).round().clamp(0.0, (n[a] - 1) as f64) as usize;
            ranges[a] = (i, i + 1);
        } else {
            let first = (lo / grid.dx - o[a]).ceil().max(0.0) as usize;
            let last = ((hi / grid.dx - o[a]).ceil().max(0.0) as usize).min(n[a]);
            ranges[a] = (first, last.max(first));
        }
    }
    let mut out = Vec::new();
    for k in ranges[2].0..ranges[2].1 {
        for j in ranges[1].0..ranges[1].1 {
            for i in ranges[0].0..ranges[0].1 {
                out.push([i, j, k]);
            }
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(
            format!("{what}.min_um/max_um"),
            format!("{min_um:?} / {max_um:?}"),
            "contains no grid sample",
        ));
    }
    Ok((out, zero_dims))
}

/// Conductivity added to dispersive media inside a PML (eps0 c / um), for
/// E component `a` of the cell at flat index `idx`: the sum over the axes
/// of the PML's own graded conductivity at the sample. A CPML is unstable
/// with some dispersive media running through it (a Drude-Lorentz metal:
/// surface plasmons with backward-wave branches, Becache, Joly and Vinoles,
/// Math. Comp. 87, 2775 (2018)); an ohmic loss keeps a passive medium
/// passive, so the metal's own fields are damped there before any growth
/// sets in (MEEP's and Tidy3D's adiabatic absorbers rest on the same fact).
/// Outside the PMLs, and for non-dispersive media, nothing changes.
fn pml_absorber(grid: &Grid, b: &Boundaries, m: &MaterialGrid, dispersive: &[bool], a: usize, idx: usize) -> f64 {
    let medium = m.medium[a].get(idx).copied().unwrap_or(0) as usize;
    if !dispersive.get(medium).copied().unwrap_or(false) {
        return 0.0;
    }
    let (nx, ny) = (grid.nx, grid.ny);
    let ijk = [idx % nx, (idx / nx) % ny, idx / (nx * ny)];
    (0..grid.dims.count())
        .map(|w| b.pml_sigma(grid, w, ijk[w] as f64 + if w == a { 0.5 } else { 0.0 }))
        .sum()
}

/// E update coefficients, with tangential E held at zero on low PEC faces
/// and dispersive media inside a PML made lossy ([`pml_absorber`]).
pub(crate) fn coefficients(grid: &Grid, b: &Boundaries, m: &MaterialGrid, dispersive: &[bool]) -> ([Vec<f32>; 3], Option<[Vec<f32>; 3]>) {
    let dtdx = grid.dt / grid.dx;
    let half_dt = 0.5 * grid.dt;
    use rayon::prelude::*;
    let mut cb: [Vec<f32>; 3] = Default::default();
    let mut ca: [Vec<f32>; 3] = Default::default();
    let any_pml = (0..grid.dims.count()).any(|w| b.pml_cells(w, 0) + b.pml_cells(w, 1) > 0);
    let absorbs = any_pml && dispersive.iter().any(|&d| d);
    let absorber = |a: usize, idx: usize| {
        if absorbs {
            pml_absorber(grid, b, m, dispersive, a, idx)
        } else {
            0.0
        }
    };
    // ca only for a lossy run: a lossless one never reads it (and at 256^3
    // it would be 64 MiB per component at the peak of preparation).
    let lossy = m.has_loss() || (absorbs && (0..3).any(|a| (0..m.eps[a].len()).into_par_iter().any(|i| absorber(a, i) > 0.0)));
    for a in 0..3 {
        let (e, s) = (&m.eps[a], &m.sigma[a]);
        let sigma = |i: usize| s.get(i).copied().unwrap_or(0.0) as f64 + absorber(a, i);
        cb[a] = e
            .par_iter()
            .enumerate()
            .map(|(i, &e)| {
                let (e, s) = (e as f64, sigma(i));
                (dtdx / e / (1.0 + s * half_dt / e)) as f32
            })
            .collect();
        if lossy {
            ca[a] = e
                .par_iter()
                .enumerate()
                .map(|(i, &e)| {
                    let x = sigma(i) * half_dt / e as f64;
                    ((1.0 - x) / (1.0 + x)) as f32
                })
                .collect();
        }
    }
    // A PEC wall at the low face of axis `w` sits at x_w = 0 where the E
    // components tangential to it (axes != w) are sampled at index 0.
    for w in 0..grid.dims.count() {
        if !matches!(b.faces[w][0], Boundary::Pec) {
            continue;
        }
        let n = grid.shape();
        for a in (0..3).filter(|&a| a != w) {
            for k in 0..n[2] {
                for j in 0..n[1] {
                    for i in 0..n[0] {
                        if [i, j, k][w] == 0 {
                            cb[a][grid.index(i, j, k)] = 0.0;
                        }
                    }
                }
            }
        }
    }
    (cb, lossy.then_some(ca))
}

/// Host copy of the fields; components a run does not evolve are empty.
#[derive(Clone, Debug)]
pub struct Fields {
    pub grid: Grid,
    /// Ex, Ey, Ez, Hx, Hy, Hz.
    pub comps: [Vec<f32>; 6],
}

impl Fields {
    pub fn get(&self, c: Component) -> &[f32] {
        &self.comps[c.index()]
    }
    /// Electromagnetic energy 1/2 sum (eps E^2 + H^2) dV (E and H are a half
    /// step apart, so this is the usual staggered estimate).
    pub fn energy(&self, materials: &MaterialGrid) -> f64 {
        let dv = self.grid.dx.powi(self.grid.dims.count() as i32);
        let mut w = 0.0;
        for a in 0..3 {
            let e = &self.comps[a];
            if !e.is_empty() {
                w += e
                    .iter()
                    .zip(&materials.eps[a])
                    .map(|(&v, &eps)| eps as f64 * (v as f64) * (v as f64))
                    .sum::<f64>();
            }
            let h = &self.comps[3 + a];
            w += h.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>();
        }
        0.5 * w * dv
    }

    /// The energy the leapfrog scheme conserves exactly in a lossless closed
    /// box: 1/2 sum (eps E^n . E^n + H^(n-1/2) . H^(n+1/2)) dV, with `self`
    /// read after step n and `next` one step later (Taflove and Hagness, 3rd ed., sec. 4.8).
    pub fn leapfrog_energy(&self, next: &Fields, materials: &MaterialGrid) -> f64 {
        let dv = self.grid.dx.powi(self.grid.dims.count() as i32);
        let mut w = 0.0;
        for a in 0..3 {
            let e = &self.comps[a];
            w += e
                .iter()
                .zip(&materials.eps[a])
                .map(|(&v, &eps)| eps as f64 * (v as f64) * (v as f64))
                .sum::<f64>();
            w += self.comps[3 + a]
                .iter()
                .zip(&next.comps[3 + a])
                .map(|(&h0, &h1)| h0 as f64 * h1 as f64)
                .sum::<f64>();
        }
        0.5 * w * dv
    }
}

/// A time stepper: the GPU one or its CPU twin.
pub trait Stepper {
    /// Advance `steps` full time steps.
    fn run(&mut self, steps: usize) -> Result<()>;
    /// Steps done so far.
    fn steps_done(&self) -> usize;
    /// Copy all evolved field components to the host.
    fn fields(&mut self) -> Result<Fields>;
    /// Per probe, one sample per step done (see [`crate::monitor::probe`] for timing).
    fn probe_series(&self) -> &[Vec<f32>];
    /// The running DFT sums (total plus the open block), in f64.
    fn dft_sums(&mut self) -> Result<Vec<num_complex::Complex64>>;
    /// Per snapshot monitor: (steps done, values) of each frame taken.
    fn snapshots(&self) -> &[Vec<(usize, Vec<f32>)>];
    /// The rasterised run this stepper executes.
    fn prepared(&self) -> &Prepared;

    /// Where the fields have blown up, if they have: a value that is not
    /// finite or above [`BLOWUP_LEVEL`] (see [`find_blowup`]). The default
    /// copies the fields to the host; an engine that holds them there scans
    /// them in place.
    fn blowup(&mut self) -> Result<Option<Blowup>> {
        let f = self.fields()?;
        Ok(find_blowup(&f.grid, &f.comps))
    }

    /// Results of the DFT-based and snapshot monitors so far.
    fn monitor_results(&mut self) -> Result<Vec<MonitorResult>> {
        if let Some(u) = self.prepared().unfold.clone() {
            return u.monitor_results(self);
        }
        let acc = self.dft_sums()?;
        let steps = self.steps_done();
        let p = self.prepared();
        Ok(p.dft.results(&p.grid, &acc, steps, self.snapshots()))
    }
}

/// A field magnitude no stable run reaches: sources are of order 1 and a
/// point source's field peaks at ~1/dx^3 (1e9 at 1000 cells/um), while an
/// unstable run grows exponentially and passes this value a few hundred
/// steps before f32 overflows, which keeps the place it started in view.
pub const BLOWUP_LEVEL: f32 = 1e18;

/// Where a run's fields blew up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Blowup {
    pub component: Component,
    /// Grid indices of the sample.
    pub cell: [usize; 3],
    /// Its value (may be infinite or NaN).
    pub value: f32,
}

/// Where the fields blew up when any sample is not finite or above
/// [`BLOWUP_LEVEL`]: the largest finite sample above the level (the growth
/// is fastest where it started), else the first NaN or infinity in memory
/// order (once everything has overflowed the place is lost: checks come
/// often enough that it rarely is). `None` for healthy fields. Scans in
/// parallel; the search for the place runs only once the fields blew up.
pub fn find_blowup(grid: &Grid, comps: &[Vec<f32>; 6]) -> Option<Blowup> {
    use rayon::prelude::*;
    let healthy = |v: &Vec<f32>| v.par_chunks(1 << 16).all(|c| c.iter().all(|x| x.abs() <= BLOWUP_LEVEL));
    if comps.iter().all(healthy) {
        return None;
    }
    let mut largest: Option<(usize, usize, f32)> = None;
    let mut first_bad: Option<(usize, usize, f32)> = None;
    for (c, v) in comps.iter().enumerate() {
        for (i, &x) in v.iter().enumerate() {
            if !x.is_finite() {
                first_bad.get_or_insert((c, i, x));
            } else if x.abs() > BLOWUP_LEVEL && largest.is_none_or(|(_, _, b)| x.abs() > b.abs()) {
                largest = Some((c, i, x));
            }
        }
    }
    let (c, i, value) = largest.or(first_bad)?;
    let (nx, ny) = (grid.nx, grid.ny);
    Some(Blowup {
        component: Component::ALL[c],
        cell: [i % nx, (i / nx) % ny, i / (nx * ny)],
        value,
    })
}

/// Waveform values of every profile at the source time of each step in
/// `[first, first + count)`: w_p((n + 1/2) dt - delay_p), step-major.
pub fn source_waveforms(profiles: &[TimeProfile], delays: &[f64], dt: f64, first: usize, count: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(count * profiles.len());
    source_waveforms_into(&mut out, profiles, delays, dt, first, count);
    out
}

/// [`source_waveforms`] into `out` (cleared first; no allocation once it has the capacity).
pub fn source_waveforms_into(out: &mut Vec<f32>, profiles: &[TimeProfile], delays: &[f64], dt: f64, first: usize, count: usize) {
    out.clear();
    for n in first..first + count {
        let t = (n as f64 + 0.5) * dt;
        out.extend(profiles.iter().zip(delays).map(|(p, d)| p.value(t - d) as f32));
    }
}

/// The error for a set-up the graded mesh does not support yet at a cell.
pub(crate) fn graded_refusal(what: &str, kind: &str, grid: &Grid, ijk: [usize; 3]) -> Error {
    let a = (0..3).find(|&a| grid.mesh[a].is_some()).unwrap_or(2);
    Error::invalid(
        what.to_string(),
        format!("{kind} at cell {ijk:?}"),
        format!(
            "is inside the refined range of the graded {} axis or its transition cells (simulation.refine); \
             move it onto the uniform cells (not supported inside the graded zone yet)",
            ["x", "y", "z"][a]
        ),
    )
}
