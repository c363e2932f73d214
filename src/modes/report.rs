//! `lumen modes`: the guided modes of one port (a `mode` monitor) of a scene,
//! as a table, an HDF5 file and PNG maps, without running anything.
//!
//! The modes are exactly those the run's mode monitor decomposes into
//! ([`crate::monitor::mode::solve`] on the rasterised grid): the slab solver
//! on the staircase line in 2D, the full-vector Yee-grid solver on the
//! rasterised plane in 3D. Fields are kept in the port's transverse frame
//! (u, v) = (axis + 1, axis + 2) mod 3, slots [E1, E2, H1, H2] = [Eu, Ev, Hu, Hv],
//! stored u-fastest (index iu + nu * iv), normalised to unit power along +axis.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::grid::{Component, Dimensions};
use crate::monitor::mode::{self, PortWindow};
use crate::monitor::MonitorKind;
use crate::scene::Scene;

const AXES: [char; 3] = ['x', 'y', 'z'];

/// Why `lumen modes` failed: bad input (exit 2) or a runtime failure (exit 3).
#[derive(Debug)]
pub enum ReportError {
    Input(String),
    Runtime(String),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Input(s) | ReportError::Runtime(s) => f.write_str(s),
        }
    }
}

type Res<T> = std::result::Result<T, ReportError>;

/// One guided mode, fields u-fastest over (nu, nv).
#[derive(Clone, Debug)]
pub struct ReportMode {
    pub n_eff: f64,
    /// [Eu, Ev, Hu, Hv]; zeros where the run does not evolve the component (2D).
    pub fields: [Vec<f64>; 4],
    /// Fraction of sum |E_t|^2 in Eu.
    pub u_fraction: f64,
    /// Power sum (Eu Hv - Ev Hu) dA: 1 for a correctly normalised mode.
    pub power: f64,
    /// Effective area (sum |E_t|^2 dA)^2 / sum |E_t|^4 dA: um^2 in 3D, a width (um) in 2D.
    pub area: f64,
}

/// The guided modes of a port at each wavelength.
#[derive(Clone, Debug)]
pub struct PortReport {
    pub port: String,
    pub axis: usize,
    pub three_d: bool,
    /// The modes' polarisation family (`"TE"`, `"TM"`) in 2D; none in 3D.
    pub family: Option<&'static str>,
    pub wavelengths_um: Vec<f64>,
    /// Scene coordinates (um) of the Eu samples along u and along v.
    pub u_um: Vec<f64>,
    pub v_um: Vec<f64>,
    /// The port plane's position along `axis` (scene coordinates, um, E samples).
    pub plane_um: f64,
    /// Relative permittivity at the Eu samples (u-fastest), for the maps.
    pub eps_u: Vec<f64>,
    pub modes: Vec<Vec<ReportMode>>,
}

/// The names of the scene's mode monitors (its ports).
pub fn port_names(scene: &Scene) -> Vec<String> {
    scene
        .simulation
        .monitors
        .iter()
        .filter(|m| matches!(m.kind, MonitorKind::Mode { .. }))
        .map(|m| m.name.clone())
        .collect()
}

/// Solve the port `port` of `scene` at `wavelengths_um` (default: the
/// monitor's) for at most `max_modes` modes (default: the monitor's).
pub fn solve_port(scene: &Scene, port: &str, wavelengths_um: Option<&[f64]>, max_modes: Option<usize>) -> Res<PortReport> {
    let names = port_names(scene);
    let list = if names.is_empty() {
        "the scene has no `mode` monitors".to_string()
    } else {
        format!("ports: {}", names.join(", "))
    };
    let mon = scene.simulation.monitors.iter().find(|m| m.name == port);
    let (region, mon_wl, mon_max) = match mon.map(|m| &m.kind) {
        Some(MonitorKind::Mode {
            region,
            wavelengths_um,
            max_modes,
            ..
        }) => (region.clone(), wavelengths_um.clone(), *max_modes),
        Some(_) => return Err(ReportError::Input(format!("monitor `{port}` is not a `mode` monitor ({list})"))),
        None => return Err(ReportError::Input(format!("no port `{port}` in {} ({list})", scene.path.display()))),
    };
    let wls: Vec<f64> = wavelengths_um.map(<[f64]>::to_vec).unwrap_or(mon_wl);
    if let Some(w) = wls.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        return Err(ReportError::Input(format!("wavelength {w} um: must be finite and > 0")));
    }
    let n = max_modes.unwrap_or(mon_max);
    if n == 0 {
        return Err(ReportError::Input("--modes must be at least 1".into()));
    }
    let bad = |e: crate::error::Error| ReportError::Input(format!("{}: {e}", scene.path.display()));
    let prepared = &*scene.prepared;
    let (grid, materials) = (&prepared.grid, &prepared.materials);
    let window = PortWindow::new(grid, &region, &format!("monitors.{port}")).map_err(bad)?;
    let solved = mode::solve(grid, materials, &window, &wls, n, port).map_err(bad)?;

    let (u, v) = window.uv();
    let (nu, nv) = (window.shape[u], window.shape[v]);
    let three_d = grid.dims == Dimensions::Three;
    let off = scene.origin_offset_um;
    let eu = Component::electric(u).yee_offset();
    let u_um: Vec<f64> = (0..nu)
        .map(|i| (window.lo[u] as f64 + i as f64 + eu[u]) * grid.dx - off[u])
        .collect();
    let v_um: Vec<f64> = (0..nv)
        .map(|i| (window.lo[v] as f64 + i as f64 + eu[v]) * grid.dx - off[v])
        .collect();
    let plane_um = window.lo[window.axis] as f64 * grid.dx - off[window.axis];
    let eps_u = mode::cross_section(grid, materials, &window).eps[0].clone();
    let da = if three_d { grid.dx * grid.dx } else { grid.dx };
    let modes = solved
        .modes
        .iter()
        .map(|at_wl| {
            at_wl
                .iter()
                .map(|m| {
                    let fields: [Vec<f64>; 4] = std::array::from_fn(|s| {
                        let mut out = vec![0.0; nu * nv];
                        if !m.fields[s].is_empty() {
                            for iv in 0..nv {
                                for iu in 0..nu {
                                    out[iu + nu * iv] = m.fields[s][window.slot_index(iu, iv)];
                                }
                            }
                        }
                        out
                    });
                    let i2: Vec<f64> = fields[0].iter().zip(&fields[1]).map(|(a, b)| a * a + b * b).collect();
                    let eu2: f64 = fields[0].iter().map(|a| a * a).sum();
                    let tot: f64 = i2.iter().sum();
                    let power: f64 = (0..nu * nv)
                        .map(|k| fields[0][k] * fields[3][k] - fields[1][k] * fields[2][k])
                        .sum::<f64>()
                        * da;
                    let i4: f64 = i2.iter().map(|x| x * x).sum::<f64>() * da;
                    ReportMode {
                        n_eff: m.n_eff,
                        u_fraction: if tot > 0.0 { eu2 / tot } else { f64::NAN },
                        power,
                        area: if i4 > 0.0 { (tot * da).powi(2) / i4 } else { f64::NAN },
                        fields,
                    }
                })
                .collect()
        })
        .collect();
    Ok(PortReport {
        port: port.to_string(),
        axis: window.axis,
        three_d,
        family: super::family(grid.dims),
        wavelengths_um: wls,
        u_um,
        v_um,
        plane_um,
        eps_u,
        modes,
    })
}

impl PortReport {
    pub fn u_axis(&self) -> usize {
        (self.axis + 1) % 3
    }
    pub fn v_axis(&self) -> usize {
        (self.axis + 2) % 3
    }

    /// The table printed by `lumen modes`.
    pub fn table(&self) -> String {
        let (u, v) = (self.u_axis(), self.v_axis());
        let (cu, cv) = (AXES[u], AXES[v]);
        let mut s = String::new();
        let span = |p: &[f64]| format!("{:.4} .. {:.4}", p[0], p[p.len() - 1]);
        let _ = writeln!(
            s,
            "port `{}`: plane {} = {:.4} um (normal +{})",
            self.port, AXES[self.axis], self.plane_um, AXES[self.axis]
        );
        if self.three_d {
            let _ = writeln!(
                s,
                "  window: {cu} {} um ({} samples), {cv} {} um ({} samples) (E{cu} sample positions, scene coordinates)",
                span(&self.u_um),
                self.u_um.len(),
                span(&self.v_um),
                self.v_um.len()
            );
        } else {
            let (c, p) = if self.u_um.len() > 1 { (cu, &self.u_um) } else { (cv, &self.v_um) };
            let _ = writeln!(s, "  line: {c} {} um ({} samples, scene coordinates)", span(p), p.len());
        }
        let area = if self.three_d { "area_um2" } else { "width_um" };
        for (i, (w, ms)) in self.wavelengths_um.iter().zip(&self.modes).enumerate() {
            let _ = writeln!(s, "wavelength {w} um (wl{}): {} guided mode(s)", i + 1, ms.len());
            if ms.is_empty() {
                continue;
            }
            let _ = writeln!(
                s,
                "  {:>12} {:>10} {:>12} {:>10} {:>8}",
                "mode", "n_eff", "polarisation", area, "power"
            );
            for (k, m) in ms.iter().enumerate() {
                let (c, f) = if m.u_fraction >= 0.5 {
                    (cu, m.u_fraction)
                } else {
                    (cv, 1.0 - m.u_fraction)
                };
                let _ = writeln!(
                    s,
                    "  {:>12} {:>10.6} {:>12} {:>10.4} {:>8.4}",
                    super::mode_name(k, self.family),
                    m.n_eff,
                    format!("E{c} {f:.3}"),
                    m.area,
                    m.power
                );
            }
        }
        s
    }

    /// Default result file: `<scene stem>_<port>_modes.h5` beside the scene.
    pub fn default_output(scene_path: &Path, port: &str) -> PathBuf {
        let stem = scene_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scene".into());
        scene_path.with_file_name(format!("{stem}_{port}_modes.h5"))
    }

    /// Write the HDF5 file atomically (`<path>.tmp`, renamed over `path`).
    pub fn write_hdf5(&self, path: &Path) -> Res<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        let r = self.write_file(&tmp).and_then(|()| {
            std::fs::rename(&tmp, path)
                .map_err(|e| ReportError::Runtime(format!("{}: rename {} over it: {e}", path.display(), tmp.display())))
        });
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        r
    }

    fn write_file(&self, tmp: &Path) -> Res<()> {
        use hdf5::types::VarLenUnicode;
        use ndarray::{Array2, ArrayView1};
        let err = |what: &str| {
            let what = what.to_string();
            move |e: hdf5::Error| ReportError::Runtime(format!("{}: {what}: {e}", tmp.display()))
        };
        let file = hdf5::File::with_options()
            .with_fapl(|p| p.file_locking(false))
            .create(tmp)
            .map_err(err("create file"))?;
        let attr_str = |loc: &hdf5::Location, name: &str, value: &str| -> Res<()> {
            let v: VarLenUnicode = value.parse().map_err(|e| ReportError::Input(format!("attribute {name}: {e}")))?;
            loc.new_attr::<VarLenUnicode>()
                .create(name)
                .and_then(|a| a.write_scalar(&v))
                .map_err(err(name))
        };
        let (u, v) = (self.u_axis(), self.v_axis());
        attr_str(&file, "program", "lumen-fdtd")?;
        attr_str(&file, "port", &self.port)?;
        attr_str(&file, "axis", &AXES[self.axis].to_string())?;
        attr_str(&file, "u_axis", &AXES[u].to_string())?;
        attr_str(&file, "v_axis", &AXES[v].to_string())?;
        attr_str(
            &file,
            "fields",
            "E1, E2, H1, H2 = Eu, Ev, Hu, Hv as [v][u], real, unit power along +axis; u_um, v_um: Eu sample positions (scene um)",
        )?;
        file.new_attr_builder()
            .with_data(&self.wavelengths_um[..])
            .create("wavelengths_um")
            .map_err(err("wavelengths_um attribute"))?;
        file.new_attr::<f64>()
            .create("plane_um")
            .and_then(|a| a.write_scalar(&self.plane_um))
            .map_err(err("plane_um"))?;
        let ds1 = |g: &hdf5::Group, name: &str, d: &[f64]| -> Res<()> {
            g.new_dataset_builder()
                .with_data(ArrayView1::from(d))
                .create(name)
                .map(drop)
                .map_err(err(name))
        };
        ds1(&file, "wavelengths_um", &self.wavelengths_um)?;
        ds1(&file, "u_um", &self.u_um)?;
        ds1(&file, "v_um", &self.v_um)?;
        let width = self.modes.iter().map(Vec::len).max().unwrap_or(0);
        let mut n_eff = Array2::<f64>::from_elem((self.wavelengths_um.len(), width), f64::NAN);
        for (i, ms) in self.modes.iter().enumerate() {
            for (k, m) in ms.iter().enumerate() {
                n_eff[[i, k]] = m.n_eff;
            }
        }
        file.new_dataset_builder().with_data(&n_eff).create("n_eff").map_err(err("n_eff"))?;
        let (nu, nv) = (self.u_um.len(), self.v_um.len());
        if !self.eps_u.is_empty() {
            let a = Array2::from_shape_vec((nv, nu), self.eps_u.clone()).expect("eps shape");
            file.new_dataset_builder().with_data(&a).create("eps_u").map_err(err("eps_u"))?;
        }
        for (i, ms) in self.modes.iter().enumerate() {
            let gw = file.create_group(&format!("wl{}", i + 1)).map_err(err("group"))?;
            gw.new_attr::<f64>()
                .create("wavelength_um")
                .and_then(|a| a.write_scalar(&self.wavelengths_um[i]))
                .map_err(err("wavelength_um"))?;
            for (k, m) in ms.iter().enumerate() {
                let g = gw.create_group(&format!("mode{}", k + 1)).map_err(err("group"))?;
                g.new_attr::<hdf5::types::VarLenUnicode>()
                    .create("name")
                    .and_then(|a| {
                        a.write_scalar(
                            &super::mode_name(k, self.family)
                                .parse::<hdf5::types::VarLenUnicode>()
                                .expect("ascii"),
                        )
                    })
                    .map_err(err("name"))?;
                for (name, val) in [
                    ("n_eff", m.n_eff),
                    ("u_fraction", m.u_fraction),
                    ("power", m.power),
                    ("area", m.area),
                ] {
                    g.new_attr::<f64>()
                        .create(name)
                        .and_then(|a| a.write_scalar(&val))
                        .map_err(err(name))?;
                }
                for (s, name) in ["E1", "E2", "H1", "H2"].iter().enumerate() {
                    let a = Array2::from_shape_vec((nv, nu), m.fields[s].clone()).expect("field shape");
                    g.new_dataset_builder().with_data(&a).create(*name).map_err(err(name))?;
                }
            }
        }
        file.close().map_err(err("close file"))
    }

    /// Pictures of the modes, numbered from 1: in 3D one map per mode and
    /// wavelength, `<prefix>_wl{i}_mode{m}.png`; in 2D (a port line) one
    /// profile plot of all modes per wavelength, `<prefix>_wl{i}.png`.
    /// Returns the files written.
    pub fn write_pngs(&self, prefix: &Path) -> Res<Vec<PathBuf>> {
        let mut out = Vec::new();
        if !self.three_d {
            let (pos, along_u) = if self.u_um.len() > 1 {
                (&self.u_um, true)
            } else {
                (&self.v_um, false)
            };
            let c = AXES[if along_u { self.u_axis() } else { self.v_axis() }];
            for (i, (w, ms)) in self.wavelengths_um.iter().zip(&self.modes).enumerate() {
                let mut p = prefix.as_os_str().to_owned();
                p.push(format!("_wl{}.png", i + 1));
                let p = PathBuf::from(p);
                // The transverse E of the run: Eu in a TE run, Ev (= Ez) in a TM run.
                let curves: Vec<(String, Vec<f64>)> = ms
                    .iter()
                    .enumerate()
                    .map(|(k, m)| {
                        let e = if m.u_fraction >= 0.5 { &m.fields[0] } else { &m.fields[1] };
                        (format!("{}: n_eff {:.4}", super::mode_name(k, self.family), m.n_eff), e.clone())
                    })
                    .collect();
                let title = format!("port {} at {w} µm: {} guided mode(s) along {c}", self.port, ms.len());
                let eps = (self.eps_u.len() == pos.len()).then_some(&self.eps_u[..]);
                crate::plot::mode::mode_profile(&p, &title, pos, &curves, eps)
                    .map_err(|e| ReportError::Runtime(format!("{}: {e}", p.display())))?;
                out.push(p);
            }
            return Ok(out);
        }
        let (cu, cv) = (AXES[self.u_axis()], AXES[self.v_axis()]);
        for (i, (w, ms)) in self.wavelengths_um.iter().zip(&self.modes).enumerate() {
            for (k, m) in ms.iter().enumerate() {
                let mut p = prefix.as_os_str().to_owned();
                p.push(format!("_wl{}_mode{}.png", i + 1, k + 1));
                let p = PathBuf::from(p);
                let values: Vec<f64> = m.fields[0].iter().zip(&m.fields[1]).map(|(a, b)| a * a + b * b).collect();
                let (c, f) = if m.u_fraction >= 0.5 {
                    (cu, m.u_fraction)
                } else {
                    (cv, 1.0 - m.u_fraction)
                };
                let title = format!("port {} {} at {w} um: |E_t|^2", self.port, super::mode_name(k, self.family));
                let footer = format!("n_eff {:.5}, E{c} {f:.3}; horizontal {cu}, vertical {cv} (um)", m.n_eff);
                crate::plot::mode_map(&p, &title, &footer, &self.u_um, &self.v_um, &values, Some(&self.eps_u))
                    .map_err(|e| ReportError::Runtime(format!("{}: {e}", p.display())))?;
                out.push(p);
            }
        }
        Ok(out)
    }
}
