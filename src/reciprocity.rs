//! Coupling maps by reciprocity: where in an emitter region a dipole sends
//! light into a port's guided mode, for every position and orientation from
//! one run (docs/reciprocity.md derives it).
//!
//! Lorentz reciprocity gives the amplitude a dipole of current moment p at
//! r launches into the forward mode m of a port as a = -p . E_rev(r) / (2 b N),
//! E_rev the field of the same mode launched backwards from the port with
//! amplitude b, N its normalisation. In lumen's units (flux = Re(E x H*),
//! spectra sum_n f(t_n) e^{i w t_n} dt) the forward power is
//!
//!   P_m(r, p) = |p . E_rev(r)|^2 / (4 P_rev),
//!
//! P_rev the backward power of the reverse run read by the same port that
//! reads the forward power of a direct run (so the port's own reading factor,
//! second order in dx, is the same on both sides). The map stores
//! |E_rev,c|^2 / (4 P_rev) per component c (the power per unit |p|^2 of a
//! dipole along c), and that divided by the power a dipole of unit moment
//! radiates in the bulk emitter medium (2D: w / 4; 3D: n w^2 / (6 pi)), the
//! coupling efficiency of a dipole in bulk emitter material: a direct run
//! adds the local density of states of the real structure, which the map
//! does not know. Checked against direct dipole runs in tests/reciprocity.rs.

use crate::engine::Engine;
use crate::grid::{Component, Dimensions};
use crate::monitor::dft::MonitorData;
use crate::monitor::{Monitor, MonitorKind, Region};
use crate::output::ExtraGroup;
use crate::scene::Scene;
use crate::sim::Simulation;
use crate::source::{Source, SourceShape, TimeProfile};

/// A coupling map asked for on a port (`coupling_map` of a mode monitor).
#[derive(Clone, Debug, PartialEq)]
pub struct CouplingMap {
    /// The port: a `type = "mode"` monitor's name.
    pub port: String,
    /// The emitter region, grid coordinates (um).
    pub region: Region,
    /// Guided modes, numbered from 1 (the fundamental).
    pub modes: Vec<usize>,
    /// Index of the bulk emitter medium (3D efficiency), else the index at
    /// the region's centre.
    pub emitter_index: Option<f64>,
}

/// One E component of a map: the component, sample positions (um, scene
/// coordinates) along x, y, z, coupled power per unit |p|^2 and efficiency,
/// each [freq][z][y][x].
pub type MapComponent = (Component, [Vec<f64>; 3], ndarray::Array4<f64>, ndarray::Array4<f64>);

/// One map: a port mode's coupled power per unit dipole moment and
/// efficiency over the region, per wavelength and E component.
#[derive(Clone, Debug)]
pub struct MapResult {
    pub port: String,
    pub mode: usize,
    pub mode_name: String,
    pub wavelengths_um: Vec<f64>,
    /// The reverse run's launched mode power as the port read it, per wavelength.
    pub p_rev: Vec<f64>,
    /// Index used for the bulk dipole power.
    pub emitter_index: f64,
    /// Per evolved E component.
    pub components: Vec<MapComponent>,
}

/// The power a dipole of unit current moment radiates in a homogeneous
/// medium of index n at vacuum wavelength `wl` (lumen's units: flux =
/// Re(E x H*)): 3D n w^2 / (6 pi), 2D (per unit length) w / 4, w = 2 pi / wl.
/// (Case 5 of docs/validation-cases.md in the phasor convention is half of
/// these; measured here within 2 % (2D) and 6 % (3D, 9 cells per wavelength).)
pub fn bulk_dipole_power(dims: Dimensions, n: f64, wl: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI / wl;
    match dims {
        Dimensions::Three => n * w * w / (6.0 * std::f64::consts::PI),
        Dimensions::Two(_) => w / 4.0,
    }
}

/// Run every map of `scene` on `engine`: one reverse run per port mode, of
/// `steps` steps each. `interrupted` is polled between chunks of steps.
pub fn run_maps(scene: &Scene, engine: &Engine, steps: usize, interrupted: &dyn Fn() -> bool) -> crate::error::Result<Vec<MapResult>> {
    let mut out = Vec::new();
    for map in &scene.coupling_maps {
        for &mode in &map.modes {
            out.push(run_one(scene, engine, map, mode, steps, interrupted)?);
        }
    }
    Ok(out)
}

fn run_one(
    scene: &Scene,
    engine: &Engine,
    map: &CouplingMap,
    mode: usize,
    steps: usize,
    interrupted: &dyn Fn() -> bool,
) -> crate::error::Result<MapResult> {
    let what = format!("coupling map of port `{}`", map.port);
    let sim0 = &scene.simulation;
    let grid = &sim0.grid;
    let Some(port) = sim0.monitors.iter().find(|m| m.name == map.port) else {
        return Err(crate::error::Error::invalid(what, &map.port, "no such mode monitor"));
    };
    let MonitorKind::Mode {
        region,
        wavelengths_um,
        reverse,
        ..
    } = &port.kind
    else {
        return Err(crate::error::Error::invalid(what, &map.port, "not a mode monitor"));
    };
    // The reverse source a few cells beyond the port (away from the
    // emitter), launched back through it: the port reads what it launched.
    let axis = (0..3).find(|&a| region.max_um[a] - region.min_um[a] < 0.5 * grid.dx).unwrap_or(0);
    let shift = if *reverse { -4.0 } else { 4.0 } * grid.dx;
    let mut src_region = region.clone();
    src_region.min_um[axis] += shift;
    src_region.max_um[axis] += shift;
    let (lo, hi) = wavelengths_um
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &w| (lo.min(w), hi.max(w)));
    let (lo, hi) = if hi > lo * 1.02 { (lo, hi) } else { (0.95 * lo, 1.05 * hi) };
    let centre = 2.0 / (1.0 / lo + 1.0 / hi);
    let mut sim = Simulation::new(grid.clone(), sim0.boundaries, sim0.structure.clone());
    sim.sources = vec![Source {
        shape: SourceShape::Mode {
            region: src_region,
            wavelength_um: centre,
            mode: mode - 1,
            backward: !reverse,
        },
        direction: [0.0; 3],
        amplitude: 1.0,
        profile: TimeProfile::gaussian_band(lo, hi),
    }];
    let comps: Vec<Component> = (0..3).map(Component::electric).filter(|c| c.is_active(grid.dims)).collect();
    sim.monitors = vec![
        Monitor::new(
            "map",
            MonitorKind::DftFields {
                region: map.region.clone(),
                components: comps.clone(),
                wavelengths_um: wavelengths_um.clone(),
            },
        ),
        port.clone(),
    ];
    let prepared = sim.prepare()?;
    // A mirror-symmetric scene folds the reverse run with the mode's own
    // parity (its field gives every dipole orientation at once).
    for m in sim.symmetry.mirrors.iter_mut().flatten() {
        *m = crate::symmetry::MirrorSpec::Auto;
    }
    let mut stepper = engine.stepper(&sim.for_stepper(&prepared)?)?;
    let chunk = stepper.steps_per_submission().clamp(1, 1000);
    while stepper.steps_done() < steps {
        if interrupted() {
            return Err(crate::error::Error::invalid(what, "Ctrl-C", "interrupted"));
        }
        stepper.run(chunk.min(steps - stepper.steps_done()))?;
    }
    let results = stepper.monitor_results()?;
    let mut p_rev = Vec::new();
    let mut n_eff = Vec::new();
    for r in &results {
        if let MonitorData::Mode { backward, n_eff: ne, .. } = &r.data {
            p_rev = backward.iter().map(|b| b.get(mode - 1).copied().unwrap_or(f64::NAN)).collect();
            n_eff = ne.iter().map(|b| b.get(mode - 1).copied().unwrap_or(f64::NAN)).collect();
        }
    }
    if p_rev.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
        return Err(crate::error::Error::invalid(
            what,
            format!("mode {mode} (n_eff {n_eff:?})"),
            "the port does not guide this mode at every wavelength of the port",
        ));
    }
    let off = scene.origin_offset_um;
    let emitter_index = map.emitter_index.unwrap_or_else(|| {
        let c = [0, 1, 2].map(|a| 0.5 * (map.region.min_um[a] + map.region.max_um[a]));
        let e = comps[0];
        grid.nearest(e, c)
            .map(|ijk| prepared.materials.eps[e.index()][grid.index(ijk[0], ijk[1], ijk[2])] as f64)
            .unwrap_or(1.0)
            .max(1.0)
            .sqrt()
    });
    let bulk: Vec<f64> = wavelengths_um
        .iter()
        .map(|&w| bulk_dipole_power(grid.dims, emitter_index, w))
        .collect();
    let mut components = Vec::new();
    for r in &results {
        if let MonitorData::DftFields { components: cs, .. } = &r.data {
            for (c, pos, a) in cs {
                let coupled = ndarray::Array4::from_shape_fn(a.dim(), |(f, k, j, i)| a[[f, k, j, i]].norm_sqr() / (4.0 * p_rev[f]));
                let eff = ndarray::Array4::from_shape_fn(a.dim(), |(f, k, j, i)| coupled[[f, k, j, i]] / bulk[f]);
                let pos = [0, 1, 2].map(|x| pos[x].iter().map(|v| v - off[x]).collect());
                components.push((*c, pos, coupled, eff));
            }
        }
    }
    Ok(MapResult {
        port: map.port.clone(),
        mode,
        mode_name: crate::modes::mode_name(mode - 1, crate::modes::family(grid.dims)),
        wavelengths_um: wavelengths_um.clone(),
        p_rev,
        emitter_index,
        components,
    })
}

impl MapResult {
    /// The result file's group `coupling_maps/<port>/mode<m>`.
    pub fn group(&self) -> ExtraGroup {
        let mut g = ExtraGroup::new(format!("coupling_maps/{}/mode{}", self.port, self.mode));
        g.attrs.push(("mode_name".into(), self.mode_name.clone()));
        g.attrs.push((
            "about".into(),
            "coupled_<C>: power into this port mode (forward) per unit |dipole current moment|^2 of a dipole along C \
             at each sample, |E_rev,C|^2 / (4 p_rev), by reciprocity (docs/reciprocity.md); efficiency_<C>: that over \
             the power the same dipole radiates in bulk emitter medium (index emitter_index); arrays [wavelength][z][y][x] \
             at the positions <C>_x_um, <C>_y_um, <C>_z_um (scene coordinates)"
                .into(),
        ));
        g.datasets.push((
            "wavelengths_um".into(),
            ndarray::Array1::from(self.wavelengths_um.clone()).into_dyn(),
        ));
        g.datasets
            .push(("p_rev".into(), ndarray::Array1::from(self.p_rev.clone()).into_dyn()));
        g.datasets
            .push(("emitter_index".into(), ndarray::Array1::from(vec![self.emitter_index]).into_dyn()));
        for (c, pos, coupled, eff) in &self.components {
            for (a, p) in ["x", "y", "z"].iter().zip(pos) {
                g.datasets
                    .push((format!("{}_{a}_um", c.name()), ndarray::Array1::from(p.clone()).into_dyn()));
            }
            g.datasets.push((format!("coupled_{}", c.name()), coupled.clone().into_dyn()));
            g.datasets.push((format!("efficiency_{}", c.name()), eff.clone().into_dyn()));
        }
        g
    }

    /// One line per wavelength: the best efficiency, where, and along which axis.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "coupling map of port `{}` {} (by reciprocity; efficiency vs a dipole in bulk emitter medium, n = {:.4}):\n",
            self.port, self.mode_name, self.emitter_index
        );
        for (f, w) in self.wavelengths_um.iter().enumerate() {
            let mut best = (f64::NEG_INFINITY, Component::Ex, [0.0; 3]);
            for (c, pos, _, eff) in &self.components {
                for ((_, k, j, i), v) in eff.indexed_iter().filter(|((ff, ..), _)| *ff == f) {
                    if *v > best.0 {
                        best = (*v, *c, [pos[0][i], pos[1][j], pos[2][k]]);
                    }
                }
            }
            s.push_str(&format!(
                "  {w:>10.5} um  best {:.4e} along {} at ({:.4}, {:.4}, {:.4}) um\n",
                best.0,
                &best.1.name()[1..],
                best.2[0],
                best.2[1],
                best.2[2]
            ));
        }
        s
    }
}
