//! Rasterisation: shapes painted in order into per-E-component arrays, in
//! parallel over grid rows, each shape touching only the rows and cells its
//! bounding box covers; then subpixel smoothing of the cells an interface
//! cuts (see [`super`] for the scheme and its limits).
//!
//! Per row and component, painting shape s over its cells classifies each
//! sample p by the shape's distance bound d and the half-diagonal h of the
//! Yee cell around p:
//! - d < -h: the cell lies inside s. It becomes the cell's *cover*: shapes
//!   painted before no longer matter there;
//! - d > h: the cell lies outside s; nothing changes;
//! - otherwise the surface of s may cut the cell: s is recorded as one of the
//!   cell's interfaces (and paints the centre sample if it holds it).
//!
//! A cell with no interface since its cover is uniform. When every recorded
//! shape is locally planar there with one common normal (one interface, a
//! thin film, a stack, two shapes sharing a face), the cell is layered along
//! that normal and the shares of its media are exact; otherwise (an edge, a
//! corner, two shapes crossing, strong curvature) the cell is supersampled
//! against its cover and the recorded shapes.

use std::collections::HashMap;
use std::sync::Mutex;

use rayon::prelude::*;

use super::shape::{Local, Shape};
use super::smoothing::{cube_cdf, effective, fill_fraction};
use crate::error::{Error, Result};
use crate::grid::{Component, Grid};
use crate::material::{MaterialGrid, Mixture, Structure};

/// Supersamples per axis of a cell the planar formula cannot handle.
pub const SUPERSAMPLE_3D: usize = 8;
pub const SUPERSAMPLE_2D: usize = 20;

/// Interfaces per cell handled by planes; more are supersampled.
const MAX_PLANES: usize = 8;

/// A unit normal and the interval lo < n . (q - p) < hi (um) a shape holds.
type Planes = ([f64; 3], f64, f64);

/// A shape's part of a cut cell, relative to the sample p (um).
#[derive(Clone, Copy)]
enum Patch {
    /// Locally planar (with the curvature correction).
    Planes(Planes),
    /// An axis-aligned box: lo < q - p < hi along every axis.
    Box([f64; 3], [f64; 3]),
    /// Only `contains` can tell.
    Sampled,
}

/// One copy of one shape.
struct Instance {
    object: usize,
    /// Index into `Structure::media()`.
    medium: u32,
    offset: [f64; 3],
    /// Bounding box of the copy (grid coordinates).
    lo: [f64; 3],
    hi: [f64; 3],
}

struct Raster<'a> {
    grid: &'a Grid,
    three: bool,
    smoothing: bool,
    /// Half-diagonal of a Yee cell (um), with a hair of margin.
    h: f64,
    shapes: Vec<Shape>,
    instances: Vec<Instance>,
    /// Instances that may touch each row (j + ny k), in painting order (CSR).
    row_start: Vec<usize>,
    row_items: Vec<u32>,
    eps: Vec<f64>,
    sigma: Vec<f64>,
    dispersive: Vec<bool>,
    /// Mixtures met so far, with their provisional ids (from `media.len()`).
    mixtures: Mutex<HashMap<Mixture, u32>>,
}

/// What a cut cell gets: eps_inf, sigma and, next to a dispersive medium,
/// its mixture (None: the cell keeps the medium painted at its centre).
type CellValue = (f64, f64, Option<Mixture>);

/// Per-row scratch, reused across the rows one thread handles.
#[derive(Default)]
struct Scratch {
    /// Cover of each cell: instance + 1 (0: none, the background).
    cover: Vec<u32>,
    /// Interfaces recorded since the cover (saturating).
    cuts: Vec<u16>,
    /// (cell, instance) of every interface recorded in the row.
    events: Vec<(u32, u32)>,
    relevant: Vec<u32>,
}

pub(crate) fn rasterize(structure: &Structure, grid: &Grid) -> Result<MaterialGrid> {
    let r = Raster::new(structure, grid)?;
    let n = grid.cells();
    let nx = grid.nx;
    let mut eps: [Vec<f32>; 3] = Default::default();
    let mut sigma: [Vec<f32>; 3] = Default::default();
    let mut medium: [Vec<u32>; 3] = Default::default();
    for a in 0..3 {
        let mut e = vec![0f32; n];
        let mut s = vec![0f32; n];
        let mut m = vec![0u32; n];
        e.par_chunks_mut(nx)
            .zip(s.par_chunks_mut(nx))
            .zip(m.par_chunks_mut(nx))
            .enumerate()
            .for_each_init(Scratch::default, |sc, (row, ((e, s), m))| r.row(a, row, e, s, m, sc));
        eps[a] = e;
        sigma[a] = s;
        medium[a] = m;
    }
    // Mixture ids in the order of their contents, whatever order the
    // threads met them in.
    let base = r.eps.len() as u32;
    let met = r.mixtures.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut mixtures: Vec<(Mixture, u32)> = met.into_iter().collect();
    mixtures.sort_unstable();
    let mut final_id = vec![0u32; mixtures.len()];
    for (k, (_, provisional)) in mixtures.iter().enumerate() {
        final_id[(provisional - base) as usize] = base + k as u32;
    }
    if !mixtures.is_empty() {
        for m in &mut medium {
            m.par_iter_mut()
                .filter(|id| **id >= base)
                .for_each(|id| *id = final_id[(*id - base) as usize]);
        }
    }
    let mixtures = mixtures.into_iter().map(|(x, _)| x).collect();
    Ok(MaterialGrid {
        eps,
        sigma,
        medium,
        mixtures,
    })
}

impl<'a> Raster<'a> {
    fn new(structure: &Structure, grid: &'a Grid) -> Result<Raster<'a>> {
        let three = grid.dims.count() == 3;
        let dx = grid.dx;
        let h = dx * if three { 0.75f64.sqrt() } else { 0.5f64.sqrt() } * (1.0 + 1e-9);
        let media = structure.media();
        if media.len() > u32::MAX as usize {
            return Err(Error::invalid("objects", media.len(), "too many shapes"));
        }
        let shapes: Vec<Shape> = structure
            .objects
            .iter()
            .map(|o| match &o.shape {
                // A box in 2D is its x-y rectangle, whatever its z extent.
                Shape::Box { min_um, max_um } if !three => Shape::Box {
                    min_um: [min_um[0], min_um[1], f64::NEG_INFINITY],
                    max_um: [max_um[0], max_um[1], f64::INFINITY],
                },
                s => s.clone(),
            })
            .collect();
        let size = grid.size_um();
        let mut instances = Vec::new();
        for (o, obj) in structure.objects.iter().enumerate() {
            let (lo, hi) = shapes[o].bounds();
            for off in &obj.copies {
                let lo = [0, 1, 2].map(|a| lo[a] + off[a]);
                let hi = [0, 1, 2].map(|a| hi[a] + off[a]);
                // Copies that cannot touch a sample are dropped here.
                let touches = (0..3).all(|a| {
                    let (l, u) = if a < grid.dims.count() { (0.0, size[a]) } else { (0.0, 0.0) };
                    hi[a] >= l - h && lo[a] <= u + h
                });
                if touches {
                    instances.push(Instance {
                        object: o,
                        medium: o as u32 + 1,
                        offset: *off,
                        lo,
                        hi,
                    });
                }
            }
        }
        if instances.len() >= u32::MAX as usize {
            return Err(Error::invalid(
                "objects",
                instances.len(),
                "too many shape copies (at most 2^32 - 2)",
            ));
        }
        // Rows each instance may touch, over all three Yee offsets.
        let (ny, nz) = (grid.ny, grid.nz);
        let range = |lo: f64, hi: f64, n: usize| -> (usize, usize) {
            let first = ((lo - h) / dx - 0.5).floor().max(0.0);
            let last = ((hi + h) / dx).ceil().min(n as f64 - 1.0);
            if first.is_nan() || last.is_nan() || first > last {
                return (1, 0);
            }
            (first as usize, last as usize)
        };
        let spans: Vec<((usize, usize), (usize, usize))> = instances
            .iter()
            .map(|ins| {
                let js = range(ins.lo[1], ins.hi[1], ny);
                let ks = if three { range(ins.lo[2], ins.hi[2], nz) } else { (0, 0) };
                (js, ks)
            })
            .collect();
        let rows = ny * nz;
        let mut count = vec![0usize; rows + 1];
        for &((j0, j1), (k0, k1)) in &spans {
            if j0 > j1 || k0 > k1 {
                continue;
            }
            for k in k0..=k1 {
                for j in j0..=j1 {
                    count[j + ny * k + 1] += 1;
                }
            }
        }
        for r in 0..rows {
            count[r + 1] += count[r];
        }
        let mut fill = count.clone();
        let mut items = vec![0u32; count[rows]];
        for (inst, &((j0, j1), (k0, k1))) in spans.iter().enumerate() {
            if j0 > j1 || k0 > k1 {
                continue;
            }
            for k in k0..=k1 {
                for j in j0..=j1 {
                    let r = j + ny * k;
                    items[fill[r]] = inst as u32;
                    fill[r] += 1;
                }
            }
        }
        Ok(Raster {
            grid,
            three,
            smoothing: structure.subpixel_smoothing,
            h,
            shapes,
            instances,
            row_start: count,
            row_items: items,
            eps: media.iter().map(|m| m.eps).collect(),
            sigma: media.iter().map(|m| m.sigma).collect(),
            dispersive: media.iter().map(|m| m.is_dispersive()).collect(),
            mixtures: Mutex::new(HashMap::new()),
        })
    }

    /// Paint and smooth row `row` (j + ny k) of E component `a`.
    fn row(&self, a: usize, row: usize, eps: &mut [f32], sig: &mut [f32], med: &mut [u32], sc: &mut Scratch) {
        let g = self.grid;
        let nx = g.nx;
        let (j, k) = (row % g.ny, row / g.ny);
        let o = Component::electric(a).yee_offset();
        let dx = g.dx;
        let h = self.h;
        let y = (j as f64 + o[1]) * dx;
        let z = if self.three { (k as f64 + o[2]) * dx } else { 0.0 };
        med.fill(0);
        if self.smoothing {
            sc.cover.clear();
            sc.cover.resize(nx, 0);
            sc.cuts.clear();
            sc.cuts.resize(nx, 0);
            sc.events.clear();
        }
        for &inst in &self.row_items[self.row_start[row]..self.row_start[row + 1]] {
            let ins = &self.instances[inst as usize];
            if y < ins.lo[1] - h || y > ins.hi[1] + h || z < ins.lo[2] - h || z > ins.hi[2] + h {
                continue;
            }
            let first = ((ins.lo[0] - h) / dx - o[0]).ceil().max(0.0);
            let last = ((ins.hi[0] + h) / dx - o[0]).floor().min(nx as f64 - 1.0);
            if first.is_nan() || last.is_nan() || first > last {
                continue;
            }
            let shape = &self.shapes[ins.object];
            let (qy, qz) = (y - ins.offset[1], z - ins.offset[2]);
            let last = last as usize;
            let mut i = first as usize;
            // March along the row. The bound never exceeds the true distance,
            // so when it is |d| at sample i, the samples closer than |d| - h
            // further on are on the same side with their whole cells, and
            // need no evaluation (h = 0 without smoothing: the samples alone).
            let margin = if self.smoothing { h } else { 0.0 };
            while i <= last {
                let q = [(i as f64 + o[0]) * dx - ins.offset[0], qy, qz];
                let d = shape.distance_bound(q);
                if d.abs() > margin {
                    let run = ((d.abs() - margin) / dx).ceil().max(1.0);
                    let end = if run >= (last - i + 1) as f64 { last + 1 } else { i + run as usize };
                    if d < 0.0 {
                        med[i..end].fill(ins.medium);
                        if self.smoothing {
                            sc.cover[i..end].fill(inst + 1);
                            sc.cuts[i..end].fill(0);
                        }
                    }
                    i = end;
                    continue;
                }
                if shape.contains(q) {
                    med[i] = ins.medium;
                }
                if self.smoothing {
                    sc.cuts[i] = sc.cuts[i].saturating_add(1);
                    sc.events.push((i as u32, inst));
                }
                i += 1;
            }
        }
        if !self.smoothing {
            for i in 0..nx {
                let m = med[i] as usize;
                eps[i] = self.eps[m] as f32;
                sig[i] = self.sigma[m] as f32;
            }
            return;
        }
        sc.events.sort_unstable();
        let mut e = 0;
        for i in 0..nx {
            let m = med[i] as usize;
            if sc.cuts[i] == 0 {
                eps[i] = self.eps[m] as f32;
                sig[i] = self.sigma[m] as f32;
                continue;
            }
            while e < sc.events.len() && (sc.events[e].0 as usize) < i {
                e += 1;
            }
            sc.relevant.clear();
            while e < sc.events.len() && sc.events[e].0 as usize == i {
                let inst = sc.events[e].1;
                if inst + 1 > sc.cover[i] {
                    sc.relevant.push(inst);
                }
                e += 1;
            }
            let p = [(i as f64 + o[0]) * dx, y, z];
            let (ev, sv, mix) = self.cut_cell(a, p, sc.cover[i], &sc.relevant, m);
            eps[i] = ev as f32;
            sig[i] = sv as f32;
            if let Some(mix) = mix {
                med[i] = self.intern(mix);
            }
        }
    }

    /// The medium id of a cut cell's mixture: the medium itself when one
    /// holds all the weight, else a provisional mixture id.
    fn intern(&self, mix: Mixture) -> u32 {
        if let [(id, _)] = mix.parts[..] {
            return id;
        }
        let mut met = self.mixtures.lock().unwrap_or_else(|e| e.into_inner());
        let next = (self.eps.len() + met.len()) as u32;
        *met.entry(mix).or_insert(next)
    }

    /// A cut cell with a dispersive medium among its `shares` (medium, share
    /// of the cell; a medium may repeat): each medium's weight is its share
    /// for the field along the interface (the arithmetic mean, exact to first
    /// order for E tangential to it) and the centre's medium for the field
    /// across it (a harmonic mean of a metal and a dielectric has no pole
    /// form), blended by `n_a2`, the squared normal component along the
    /// sample's E: w_m = (1 - n_a2) share_m + n_a2 [m = centre]. eps_inf,
    /// sigma and every pole are summed with these weights: a mixture of
    /// passive media, with a plasma term no stiffer than its strongest
    /// medium's (the time-step bound still holds). This is Tidy3D's
    /// volumetric averaging with the normal component staircased; MEEP does
    /// not smooth dispersive media at all. The interface then moves with the
    /// geometry continuously, not in whole cells.
    fn dispersive_mix(&self, shares: &[(usize, f64)], n_a2: f64, centre: usize) -> CellValue {
        let t = (1.0 - n_a2).clamp(0.0, 1.0);
        let mut w: Vec<(u32, f64)> = Vec::with_capacity(shares.len() + 1);
        let mut add = |id: usize, x: f64| {
            if x <= 0.0 {
                return;
            }
            match w.iter_mut().find(|(m, _)| *m as usize == id) {
                Some(e) => e.1 += x,
                None => w.push((id as u32, x)),
            }
        };
        for &(id, f) in shares {
            add(id, t * f);
        }
        add(centre, 1.0 - t);
        let total: f64 = w.iter().map(|e| e.1).sum();
        // Whole steps of 1/SCALE, largest remainder first, summing to SCALE.
        let scale = Mixture::SCALE as f64;
        let mut parts: Vec<(u32, u16, f64)> = w
            .iter()
            .map(|&(m, x)| {
                let v = x / total * scale;
                (m, v.floor() as u16, v - v.floor())
            })
            .collect();
        let short = Mixture::SCALE - parts.iter().map(|p| p.1).sum::<u16>();
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.sort_by(|&i, &j| parts[j].2.total_cmp(&parts[i].2).then(parts[i].0.cmp(&parts[j].0)));
        for &k in order.iter().take(short as usize) {
            parts[k].1 += 1;
        }
        let mut parts: Vec<(u32, u16)> = parts.into_iter().filter(|p| p.1 > 0).map(|p| (p.0, p.1)).collect();
        parts.sort_unstable();
        let (mut eps, mut sigma) = (0.0, 0.0);
        for &(m, q) in &parts {
            let x = q as f64 / scale;
            eps += x * self.eps[m as usize];
            sigma += x * self.sigma[m as usize];
        }
        (eps, sigma, Some(Mixture { parts }))
    }

    fn medium_of_cover(&self, cover: u32) -> usize {
        if cover == 0 {
            0
        } else {
            self.instances[cover as usize - 1].medium as usize
        }
    }

    /// Effective (eps, sigma) of component `a` in the cell around p, which
    /// the `relevant` shapes (in painting order, over the cover) may cut;
    /// `centre` is the medium at p.
    fn cut_cell(&self, a: usize, p: [f64; 3], cover: u32, relevant: &[u32], centre: usize) -> CellValue {
        let mut outside = self.medium_of_cover(cover);
        if relevant.len() > MAX_PLANES {
            let all: Vec<(u32, Patch)> = relevant.iter().map(|&i| (i, Patch::Sampled)).collect();
            return self.supersample(a, p, outside, &all, centre);
        }
        // Each shape's part of the cell. A shape that misses the cell box is
        // dropped; one that holds all of it becomes the cover (the ball test
        // that recorded them is looser than the box).
        let mut kept = [(0u32, Patch::Sampled); MAX_PLANES];
        let mut k = 0;
        for &inst in relevant {
            let ins = &self.instances[inst as usize];
            let q = [p[0] - ins.offset[0], p[1] - ins.offset[1], p[2] - ins.offset[2]];
            let patch = self.patch(&self.shapes[ins.object], q);
            if let Some(f) = self.share(&patch) {
                if f <= 0.0 {
                    continue;
                }
                if f >= 1.0 {
                    outside = ins.medium as usize;
                    k = 0;
                    continue;
                }
            }
            kept[k] = (inst, patch);
            k += 1;
        }
        let kept = &kept[..k];
        if kept.iter().all(|&(i, _)| self.instances[i as usize].medium as usize == outside) {
            return (
                self.eps[outside],
                self.sigma[outside],
                Some(Mixture {
                    parts: vec![(outside as u32, Mixture::SCALE)],
                }),
            );
        }
        if let [(inst, Patch::Box(lo, hi))] = kept {
            return self.box_corner(a, *lo, *hi, self.instances[*inst as usize].medium as usize, outside, centre);
        }
        if let Some(r) = self.layered(a, outside, kept, centre) {
            return r;
        }
        self.supersample(a, p, outside, kept, centre)
    }

    /// The shape's part of the cell around p (q = p in the shape's frame).
    fn patch(&self, shape: &Shape, q: [f64; 3]) -> Patch {
        let dx = self.grid.dx;
        match shape.local(q, self.h) {
            Local::Box { lo, hi } => Patch::Box(lo, hi),
            l => match self.planes(l) {
                Some((n, lo, hi)) if shape.is_flat() => Patch::Planes((n, lo, hi)),
                Some((n, lo, hi)) => Patch::Planes((n, lo, hi - self.curvature(shape, q) * dx * dx / 24.0)),
                None => Patch::Sampled,
            },
        }
    }

    /// The share of the cell a patch holds, when it can be computed exactly.
    fn share(&self, patch: &Patch) -> Option<f64> {
        let dx = self.grid.dx;
        let d = if self.three { 3 } else { 2 };
        match *patch {
            Patch::Planes((n, lo, hi)) => Some(fill_fraction(&n[..d], lo / dx, hi / dx)),
            Patch::Box(lo, hi) => Some((0..d).map(|b| overlap(lo[b] / dx, hi[b] / dx)).product()),
            Patch::Sampled => None,
        }
    }

    /// A box's edge or corner in the cell: the share is the product of the
    /// overlaps along each axis (exact), the normal the direction from the
    /// cell centre to the centroid of the box's part (the first moment).
    fn box_corner(&self, a: usize, lo: [f64; 3], hi: [f64; 3], inside: usize, outside: usize, centre: usize) -> CellValue {
        let dx = self.grid.dx;
        let d = if self.three { 3 } else { 2 };
        let mut f = 1.0;
        let mut c = [0.0f64; 3];
        for b in 0..d {
            let (l, h) = ((lo[b] / dx).max(-0.5), (hi[b] / dx).min(0.5));
            f *= (h - l).max(0.0);
            // A full span has its centroid at the centre.
            c[b] = 0.5 * (l + h);
        }
        let mean = f * self.eps[inside] + (1.0 - f) * self.eps[outside];
        let mean_inv = f / self.eps[inside] + (1.0 - f) / self.eps[outside];
        let sigma = f * self.sigma[inside] + (1.0 - f) * self.sigma[outside];
        let len = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
        let n_c = if len > 1e-12 { c[a] / len } else { (1.0 / d as f64).sqrt() };
        if self.dispersive[inside] || self.dispersive[outside] {
            return self.dispersive_mix(&[(inside, f), (outside, 1.0 - f)], n_c * n_c, centre);
        }
        (effective(mean, mean_inv, n_c), sigma, None)
    }

    /// The exact averages when every interface in the cell is a plane with
    /// one common normal (one interface, a film thinner than the cell, a
    /// stack of layers, two boxes sharing a face): the cell is layered along
    /// the normal and each layer's share is a difference of [`cube_cdf`]s.
    /// None when some shape is not planar there or the normals differ.
    fn layered(&self, a: usize, outside: usize, kept: &[(u32, Patch)], centre: usize) -> Option<CellValue> {
        let dx = self.grid.dx;
        let d = if self.three { 3 } else { 2 };
        let mut slabs = [(0usize, 0.0f64, 0.0f64); MAX_PLANES];
        let mut normal: Option<[f64; 3]> = None;
        for (k, &(inst, patch)) in kept.iter().enumerate() {
            let Patch::Planes((n, lo, hi)) = patch else { return None };
            let (lo, hi) = match normal {
                None => {
                    normal = Some(n);
                    (lo, hi)
                }
                Some(m) => {
                    let c = n[0] * m[0] + n[1] * m[1] + n[2] * m[2];
                    if c > 1.0 - 1e-9 {
                        (lo, hi)
                    } else if c < -(1.0 - 1e-9) {
                        (-hi, -lo)
                    } else {
                        return None;
                    }
                }
            };
            slabs[k] = (self.instances[inst as usize].medium as usize, lo / dx, hi / dx);
        }
        let n = normal?;
        let slabs = &slabs[..kept.len()];
        // Breakpoints along t = n . u over the cell, u in [-1/2, 1/2]^D.
        let half: f64 = n[..d].iter().map(|x| x.abs()).sum::<f64>() / 2.0;
        let mut cuts = [0.0f64; 2 * MAX_PLANES + 2];
        let mut m = 0;
        cuts[m] = -half;
        m += 1;
        for &(_, lo, hi) in slabs {
            for t in [lo, hi] {
                if t > -half && t < half {
                    cuts[m] = t;
                    m += 1;
                }
            }
        }
        cuts[m] = half;
        m += 1;
        let cuts = &mut cuts[..m];
        cuts.sort_unstable_by(f64::total_cmp);
        let (mut mean, mut mean_inv, mut sigma) = (0.0, 0.0, 0.0);
        let (mut media, mut any_dispersive) = (0usize, false);
        let mut shares = [(0usize, 0.0f64); 2 * MAX_PLANES + 1];
        let mut ns = 0;
        let mut seen = usize::MAX;
        let mut below = 0.0;
        for w in cuts.windows(2) {
            if w[1] <= w[0] {
                continue;
            }
            let mid = 0.5 * (w[0] + w[1]);
            let id = slabs
                .iter()
                .rev()
                .find(|&&(_, lo, hi)| lo < mid && mid < hi)
                .map_or(outside, |s| s.0);
            let upto = if w[1] >= half { 1.0 } else { cube_cdf(&n[..d], w[1]) };
            let share = (upto - below).max(0.0);
            below = upto;
            if share <= 0.0 {
                continue;
            }
            if id != seen {
                media += 1;
                seen = id;
            }
            any_dispersive |= self.dispersive[id];
            shares[ns] = (id, share);
            ns += 1;
            mean += share * self.eps[id];
            mean_inv += share / self.eps[id];
            sigma += share * self.sigma[id];
        }
        if media <= 1 {
            let id = if seen == usize::MAX { outside } else { seen };
            return Some((
                self.eps[id],
                self.sigma[id],
                Some(Mixture {
                    parts: vec![(id as u32, Mixture::SCALE)],
                }),
            ));
        }
        if any_dispersive {
            return Some(self.dispersive_mix(&shares[..ns], n[a] * n[a], centre));
        }
        Some((effective(mean, mean_inv, n[a]), sigma, None))
    }

    /// Sum of the principal curvatures (1/um, positive where the shape is
    /// convex) of the level surface of the shape through q, as seen in the
    /// run (in 2D: the curvature of the cross-section): the divergence of the
    /// unit normal field, by central differences; 0 where the normal is not
    /// defined nearby.
    ///
    /// The tangent plane overstates the share of a convex shape in a cut
    /// cell by the sagitta: over a patch of lateral extent dx the surface
    /// lies kappa_i <rho_i^2> / 2 = kappa_i dx^2 / 24 inside it on average
    /// per principal direction, so the plane is moved inward by
    /// (kappa_1 + kappa_2) dx^2 / 24. Without it a sphere's smoothed volume
    /// is biased by dx^2 / (4 R^2) (1.6e-3 at R = 12.6 cells).
    fn curvature(&self, shape: &Shape, q: [f64; 3]) -> f64 {
        let d = if self.three { 3 } else { 2 };
        let step = 0.01 * self.grid.dx;
        let mut div = 0.0;
        for b in 0..d {
            let (mut qp, mut qm) = (q, q);
            qp[b] += step;
            qm[b] -= step;
            let (Some(np), Some(nm)) = (self.planes(shape.local(qp, self.h)), self.planes(shape.local(qm, self.h))) else {
                return 0.0;
            };
            div += (np.0[b] - nm.0[b]) / (2.0 * step);
        }
        div
    }

    /// Local planes, projected into the x-y plane in 2D (the cross-section
    /// at z = 0 of a z-invariant structure).
    fn planes(&self, l: Local) -> Option<Planes> {
        let Local::Planes { n, lo, hi } = l else { return None };
        if self.three {
            return Some((n, lo, hi));
        }
        let s = (n[0] * n[0] + n[1] * n[1]).sqrt();
        // A surface nearly parallel to z = 0 (a sphere's pole) is better sampled.
        if s < 0.3 {
            return None;
        }
        Some(([n[0] / s, n[1] / s, 0.0], lo / s, hi / s))
    }

    /// Average over a lattice of points in the cell around p; a shape with
    /// local planes is represented by them, the others are sampled exactly.
    fn supersample(&self, a: usize, p: [f64; 3], outside: usize, relevant: &[(u32, Patch)], centre: usize) -> CellValue {
        let (m, d) = if self.three { (SUPERSAMPLE_3D, 3) } else { (SUPERSAMPLE_2D, 2) };
        let dx = self.grid.dx;
        let u = |s: usize| ((s as f64 + 0.5) / m as f64 - 0.5) * dx;
        let (mut sum, mut sum_inv, mut sum_sigma) = (0.0, 0.0, 0.0);
        let mut moment = [0.0f64; 3];
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut any_dispersive = false;
        // Samples per medium (for a cell next to a dispersive medium).
        let mut counts: Vec<(usize, f64)> = Vec::new();
        // First moment of the dispersive media's samples (their eps_inf may
        // equal their neighbour's: the eps moment cannot tell the normal).
        let mut moment_d = [0.0f64; 3];
        let mut first_medium = None;
        let mut uniform = true;
        let nz = if self.three { m } else { 1 };
        for sk in 0..nz {
            for sj in 0..m {
                for si in 0..m {
                    let du = [u(si), u(sj), if self.three { u(sk) } else { 0.0 }];
                    let x = [p[0] + du[0], p[1] + du[1], p[2] + du[2]];
                    let mut id = outside;
                    for &(inst, patch) in relevant {
                        let ins = &self.instances[inst as usize];
                        let inside = match patch {
                            Patch::Planes((n, lo, hi)) => {
                                let t = n[0] * du[0] + n[1] * du[1] + n[2] * du[2];
                                lo < t && t < hi
                            }
                            Patch::Box(lo, hi) => (0..3).all(|b| lo[b] < du[b] && du[b] < hi[b]),
                            Patch::Sampled => {
                                self.shapes[ins.object].contains([x[0] - ins.offset[0], x[1] - ins.offset[1], x[2] - ins.offset[2]])
                            }
                        };
                        if inside {
                            id = ins.medium as usize;
                        }
                    }
                    match first_medium {
                        None => first_medium = Some(id),
                        Some(f) if f != id => uniform = false,
                        _ => {}
                    }
                    any_dispersive |= self.dispersive[id];
                    match counts.iter_mut().find(|c| c.0 == id) {
                        Some(c) => c.1 += 1.0,
                        None => counts.push((id, 1.0)),
                    }
                    if self.dispersive[id] {
                        for b in 0..3 {
                            moment_d[b] += du[b];
                        }
                    }
                    let e = self.eps[id];
                    sum += e;
                    sum_inv += 1.0 / e;
                    sum_sigma += self.sigma[id];
                    lo = lo.min(e);
                    hi = hi.max(e);
                    for b in 0..3 {
                        moment[b] += e * du[b];
                    }
                }
            }
        }
        if uniform {
            let id = first_medium.unwrap_or(outside);
            return (
                self.eps[id],
                self.sigma[id],
                Some(Mixture {
                    parts: vec![(id as u32, Mixture::SCALE)],
                }),
            );
        }
        let count = (m.pow(d as u32)) as f64;
        let (mean, mean_inv) = (sum / count, sum_inv / count);
        let sigma = sum_sigma / count;
        let mn = (moment[0] * moment[0] + moment[1] * moment[1] + moment[2] * moment[2]).sqrt();
        // The first moment of eps points across the interface; when it
        // vanishes (a feature centred in the cell) no direction is preferred.
        let n_c2 = if mn > 1e-9 * (hi - lo) * count * dx {
            (moment[a] / mn).powi(2)
        } else {
            1.0 / d as f64
        };
        if any_dispersive {
            counts.iter_mut().for_each(|c| c.1 /= count);
            let md = (moment_d[0] * moment_d[0] + moment_d[1] * moment_d[1] + moment_d[2] * moment_d[2]).sqrt();
            let n_d2 = if md > 1e-9 * count * dx { (moment_d[a] / md).powi(2) } else { n_c2 };
            return self.dispersive_mix(&counts, n_d2, centre);
        }
        (effective(mean, mean_inv, n_c2.sqrt()), sigma, None)
    }
}

/// Length of [lo, hi] inside [-1/2, 1/2] (cell units).
fn overlap(lo: f64, hi: f64) -> f64 {
    (hi.min(0.5) - lo.max(-0.5)).max(0.0)
}
