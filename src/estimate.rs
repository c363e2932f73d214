//! How long a run will take, for `lumen check`: a step rate measured on the
//! engine the run would use, and how many steps a run that stops when its
//! fields have decayed typically takes.
//!
//! The rate comes from a short calibration run (about a quarter of a second
//! of stepping) of a stand-in scene of the same kind: same dimensionality and
//! polarisation, CPML where the scene has it, a dielectric block and a
//! dipole, as many cells as the scene up to 2^21 (beyond that the rate per
//! cell no longer changes much: the grid is out of cache either way). Rates
//! are cached per engine and kind of grid in `$XDG_CACHE_HOME/lumen/rates.json`
//! (else `~/.cache/lumen/rates.json`), so only the first `check` of a kind
//! pays for the calibration. Monitors are not part of the stand-in: `check`
//! counts each DFT accumulator (sample x wavelength) as one more cell.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::boundary::{Boundaries, Boundary, Pml};
use crate::engine::Engine;
use crate::error::Result;
use crate::grid::{Dimensions, Grid};
use crate::material::{Medium, Structure};
use crate::sim::{Prepared, Simulation};
use crate::source::{Source, TimeProfile};

/// Cells of the stand-in scene at most.
const MAX_CALIBRATION_CELLS: usize = 1 << 21;
/// Stepping time of a calibration.
const CALIBRATION_TIME: Duration = Duration::from_millis(250);

/// A measured step rate and what it rests on.
#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    pub cell_updates_per_s: f64,
    /// E.g. "measured on native CPU engine (...), 2D TM 1024 x 1024 with CPML (cached)".
    pub basis: String,
}

/// The rate `engine` steps a scene like `p` at.
pub fn rate(engine: &Engine, p: &Prepared) -> Result<Rate> {
    let (shape, pml) = stand_in_shape(p);
    let kind = format!(
        "{} {} with{} CPML",
        p.grid.dims.name(),
        shape
            .iter()
            .take(p.grid.dims.count())
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" x "),
        if pml { "" } else { "out" }
    );
    let key = format!("{} | {kind}", engine.describe());
    let mut cache = read_cache();
    if let Some(&r) = cache.get(&key) {
        return Ok(Rate {
            cell_updates_per_s: r,
            basis: format!("measured on this engine, {kind} (cached)"),
        });
    }
    let r = calibrate(engine, p.grid.dims, shape, pml)?;
    cache.insert(key, r);
    write_cache(&cache);
    Ok(Rate {
        cell_updates_per_s: r,
        basis: format!("measured on this engine just now, {kind}"),
    })
}

/// The stand-in grid's shape (a square or cube, rounded to a power of two
/// so that nearby scenes share a cache entry) and whether it has a CPML.
fn stand_in_shape(p: &Prepared) -> ([usize; 3], bool) {
    let d = p.grid.dims.count();
    let cells = p.grid.cells().clamp(1 << 12, MAX_CALIBRATION_CELLS) as f64;
    let side = cells.powf(1.0 / d as f64);
    let side = 2usize.pow(side.log2().round() as u32).max(32);
    let shape = if d == 3 { [side; 3] } else { [side, side, 1] };
    (shape, p.pml.iter().any(|q| q.layers() > 0))
}

fn calibrate(engine: &Engine, dims: Dimensions, shape: [usize; 3], pml: bool) -> Result<f64> {
    let res = 20.0;
    let size = [0, 1, 2].map(|a| if a < dims.count() { shape[a] as f64 / res } else { 0.0 });
    let grid = Grid::new(size, res, 0.5, dims)?;
    let mut b = if pml {
        Boundaries::all(Boundary::Pml(Pml::cells(12)))
    } else {
        Boundaries::all(Boundary::Periodic)
    };
    if dims.count() == 2 {
        b = b.with_axis(2, Boundary::Periodic);
    }
    let (z0, z1) = if dims.count() == 3 { (0.0, size[2]) } else { (-1.0, 1.0) };
    let structure =
        Structure::new(Medium::VACUUM).with_block([size[0] / 3.0, 0.0, z0], [2.0 * size[0] / 3.0, size[1], z1], Medium::index(2.0));
    let dir = if dims.has_tm() { [0.0, 0.0, 1.0] } else { [1.0, 0.0, 0.0] };
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 1.0,
        fwhm_frequency: 0.5,
    };
    let p = Simulation::new(grid, b, structure)
        .with_source(Source::point_dipole([size[0] * 0.2, size[1] * 0.5, size[2] * 0.5], dir, pulse))
        .prepare()?;
    let mut s = engine.stepper(&p)?;
    // Warm-up: page mapping, pipeline compilation.
    s.run(2)?;
    let chunk = s.steps_per_submission().clamp(1, 64);
    let t = Instant::now();
    let mut steps = 0;
    while t.elapsed() < CALIBRATION_TIME || steps < 4 {
        s.run(chunk)?;
        steps += chunk;
    }
    Ok(p.grid.cells() as f64 * steps as f64 / t.elapsed().as_secs_f64())
}

fn cache_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("lumen").join("rates.json"))
}

fn read_cache() -> BTreeMap<String, f64> {
    cache_path()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// Best effort: a cache that cannot be written only costs a calibration next time.
fn write_cache(c: &BTreeMap<String, f64>) {
    let Some(p) = cache_path() else { return };
    let Some(dir) = p.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = p.with_extension(format!("json.{}", std::process::id()));
    if let Ok(text) = serde_json::to_string_pretty(c) {
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &p);
        }
    }
}

/// Steps a run that stops when its fields have decayed typically takes: the
/// end of the last pulsed source, then light crossing the domain (its
/// diagonal) twice at the domain's mean index (the mean of sqrt(eps) over the cells:
/// a thin slab in a long air-filled domain barely slows the pulse, a domain
/// filled with glass does), the time the pulse takes to leave through the
/// boundaries in a structure without strong resonances (measured: 1.4
/// crossings for a dipole in vacuum, 3.7 for a glass slab's Fabry-Perot
/// decaying to 1e-6, scripts/check_estimates.py). A resonator (a
/// high-Q cavity, a long waveguide bounded by reflectors) rings longer; the
/// cap (`max_fs`) bounds that.
pub fn typical_decay_steps(sim: &Simulation, p: &Prepared) -> usize {
    let g = &sim.grid;
    let eps = p.materials.eps.iter().find(|e| !e.is_empty());
    let n_mean = eps.map_or(1.0, |e| {
        e.iter().map(|&x| f64::from(x).max(1.0).sqrt()).sum::<f64>() / e.len().max(1) as f64
    });
    let end = sim.sources.iter().filter_map(|s| s.profile.end_time()).fold(0.0, f64::max);
    let size = g.size_um();
    let diagonal = size.iter().take(g.dims.count()).map(|s| s * s).sum::<f64>().sqrt();
    ((end + 2.0 * diagonal * n_mean) / g.dt).ceil() as usize
}
