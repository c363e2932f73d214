//! The HDF5 result file: writing a [`RunRecord`] and reading back what
//! `lumen info` and reference-run normalisation need.
//!
//! The layout is specified, with units, in `docs/output-format.md`; keep the
//! two in step. The extern crate is named `hdf5` too, hence `::hdf5` below.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use ::hdf5::plist::group_create::LinkCreationOrder;
use ::hdf5::types::{FloatSize, IntSize, TypeDescriptor, VarLenUnicode};
use ::hdf5::{Dataset, File, Group, H5Type, IndexType, IterationOrder, Location, LocationType};
use ndarray::{Array2, Array4, ArrayView, ArrayView1};
use num_complex::{Complex32, Complex64};

use super::{DatasetSummary, FileSummary, MonitorSummary, NormalizedFlux, OutputError, ProbeSummary, RunRecord, FORMAT_VERSION, UNITS};
use crate::grid::{Component, Dimensions, Polarization};
use crate::monitor::dft::{FaceFields, MonitorData, MonitorResult};
use crate::units::time_to_fs;

/// Datasets at least this large are chunked and gzip-compressed; smaller ones
/// stay contiguous (compression would save nothing worth the chunk index).
const COMPRESS_MIN_BYTES: usize = 64 * 1024;
/// Target chunk size: large enough to compress well, small enough that
/// reading one frequency or frame of a big array does not inflate it all.
const CHUNK_KB: usize = 1024;
/// h5py's default gzip level. Measured on 97 MB of float fields (2-core
/// machine): level 4 writes at ~50 MB/s, level 1 only ~10% faster for a ~3%
/// larger file, so writing stays small next to the run that produced them.
const GZIP_LEVEL: u8 = 4;

/// Names of the four tangential face components, as in [`FaceFields::fields`].
const FACE_FIELDS: [&str; 4] = ["E1", "E2", "H1", "H2"];
const AXES: [&str; 3] = ["x", "y", "z"];

type Res<T> = Result<T, OutputError>;

fn h5err(path: &Path, what: impl Into<String>) -> impl FnOnce(::hdf5::Error) -> OutputError {
    let (path, what) = (path.to_path_buf(), what.into());
    move |source| OutputError::Hdf5 { path, what, source }
}

fn invalid(path: &Path, name: impl Into<String>, reason: impl Into<String>) -> OutputError {
    OutputError::InvalidRecord {
        path: path.to_path_buf(),
        name: name.into(),
        reason: reason.into(),
    }
}

fn format_err(path: &Path, name: impl Into<String>, reason: impl Into<String>) -> OutputError {
    OutputError::Format {
        path: path.to_path_buf(),
        name: name.into(),
        reason: reason.into(),
    }
}

/// `<path>.tmp`: the name appended to, not the extension replaced, so that
/// `a.h5` and `a.hdf5` in one directory never share a temporary.
fn tmp_path(path: &Path) -> PathBuf {
    let mut s: OsString = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Write `rec` to `path` atomically: the file is written as `<path>.tmp` in the
/// same directory, synced, and renamed over `path`. On error the temporary is
/// removed and an existing `path` is left as it was.
pub fn write(path: &Path, rec: &RunRecord) -> Result<(), OutputError> {
    validate(path, rec)?;
    let tmp = tmp_path(path);
    // A stale temporary from a killed run would make HDF5 refuse to truncate
    // nothing; remove it so the error, if any, is about this run.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(OutputError::Io {
                path: tmp,
                what: "remove stale temporary file".into(),
                source: e,
            })
        }
    }
    let written = write_file(&tmp, rec).and_then(|()| {
        // The HDF5 file is closed by now; sync it so that a crash after the
        // rename cannot leave a renamed but empty file.
        std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| OutputError::Io {
            path: tmp.clone(),
            what: "sync".into(),
            source: e,
        })
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        OutputError::Io {
            path: path.to_path_buf(),
            what: format!("rename {} over it", tmp.display()),
            source: e,
        }
    })
}

/// A name becomes an HDF5 link name: no '/', not "." or empty.
fn check_name(path: &Path, what: &str, name: &str) -> Res<()> {
    if name.is_empty() || name == "." || name.contains('/') {
        return Err(invalid(
            path,
            format!("{what} `{name}`"),
            "names must be non-empty, not \".\", and contain no '/'",
        ));
    }
    Ok(())
}

fn check_len(path: &Path, name: &str, what: &str, got: usize, want: usize) -> Res<()> {
    if got != want {
        return Err(invalid(
            path,
            name,
            format!("{what} has {got} values but the monitor has {want} wavelengths"),
        ));
    }
    Ok(())
}

fn wavelengths(m: &MonitorResult) -> Option<&[f64]> {
    match &m.data {
        MonitorData::DftFields { wavelengths_um, .. }
        | MonitorData::Flux { wavelengths_um, .. }
        | MonitorData::SourcePower { wavelengths_um, .. }
        | MonitorData::Mode { wavelengths_um, .. }
        | MonitorData::FarField { wavelengths_um, .. }
        | MonitorData::Acceptance { wavelengths_um, .. } => Some(wavelengths_um),
        MonitorData::Snapshot { .. } => None,
    }
}

/// Everything that would otherwise fail half-way through writing.
fn validate(path: &Path, rec: &RunRecord) -> Res<()> {
    let mut seen = std::collections::HashSet::new();
    for p in rec.probes {
        check_name(path, "probe", &p.name)?;
        if !seen.insert(p.name.as_str()) {
            return Err(invalid(path, format!("probe `{}`", p.name), "two probes have this name"));
        }
    }
    seen.clear();
    for m in rec.monitors {
        check_name(path, "monitor", &m.name)?;
        if !seen.insert(m.name.as_str()) {
            return Err(invalid(path, format!("monitor `{}`", m.name), "two monitors have this name"));
        }
        let name = format!("monitor `{}`", m.name);
        let nf = wavelengths(m).map_or(0, <[f64]>::len);
        match &m.data {
            MonitorData::DftFields { components, .. } => {
                for (k, (c, pos, arr)) in components.iter().enumerate() {
                    if components[..k].iter().any(|(d, _, _)| d == c) {
                        return Err(invalid(path, &name, format!("component {} is listed twice", c.name())));
                    }
                    let s = arr.shape();
                    if s[0] != nf || pos[0].len() != s[3] || pos[1].len() != s[2] || pos[2].len() != s[1] {
                        return Err(invalid(
                            path,
                            &name,
                            format!(
                                "{} has shape {s:?} but {nf} wavelengths and {}/{}/{} positions along x/y/z",
                                c.name(),
                                pos[0].len(),
                                pos[1].len(),
                                pos[2].len()
                            ),
                        ));
                    }
                }
            }
            MonitorData::Flux { flux, faces, .. } => {
                check_len(path, &name, "flux", flux.len(), nf)?;
                for (k, face) in faces.iter().enumerate() {
                    if face.axis > 2 {
                        return Err(invalid(path, &name, format!("face {k} has axis {}", face.axis)));
                    }
                    for (slot, rows) in face.fields.iter().enumerate() {
                        if rows.is_empty() {
                            continue;
                        }
                        let ns = rows[0].len();
                        if rows.len() != nf || rows.iter().any(|r| r.len() != ns) {
                            return Err(invalid(
                                path,
                                &name,
                                format!(
                                    "face {k} {} is not [{nf} wavelengths][samples] ({} rows)",
                                    FACE_FIELDS[slot],
                                    rows.len()
                                ),
                            ));
                        }
                    }
                }
            }
            MonitorData::FarField {
                intensity, flux, total, ..
            } => {
                check_len(path, &name, "flux", flux.len(), nf)?;
                check_len(path, &name, "total", total.len(), nf)?;
                check_len(path, &name, "intensity", intensity.len(), nf)?;
            }
            MonitorData::Acceptance {
                accepted, core_flux, flux, ..
            } => {
                check_len(path, &name, "accepted", accepted.len(), nf)?;
                check_len(path, &name, "core_flux", core_flux.len(), nf)?;
                check_len(path, &name, "flux", flux.len(), nf)?;
            }
            MonitorData::Mode {
                n_eff,
                forward,
                backward,
                flux,
                ..
            } => {
                check_len(path, &name, "flux", flux.len(), nf)?;
                check_len(path, &name, "n_eff", n_eff.len(), nf)?;
                check_len(path, &name, "forward", forward.len(), nf)?;
                check_len(path, &name, "backward", backward.len(), nf)?;
            }
            MonitorData::SourcePower {
                power, source_spectrum, ..
            } => {
                check_len(path, &name, "power", power.len(), nf)?;
                check_len(path, &name, "source_spectrum", source_spectrum.len(), nf)?;
            }
            MonitorData::Snapshot {
                positions, times, frames, ..
            } => {
                let s = frames.shape();
                if times.len() != s[0] || positions[0].len() != s[3] || positions[1].len() != s[2] || positions[2].len() != s[1] {
                    return Err(invalid(
                        path,
                        &name,
                        format!(
                            "frames have shape {s:?} but there are {} times and {}/{}/{} positions along x/y/z",
                            times.len(),
                            positions[0].len(),
                            positions[1].len(),
                            positions[2].len()
                        ),
                    ));
                }
            }
        }
    }
    seen.clear();
    for n in rec.normalized {
        let name = format!("normalized flux of `{}`", n.monitor);
        let Some(m) = rec.monitors.iter().find(|m| m.name == n.monitor) else {
            return Err(invalid(path, name, "there is no monitor of that name"));
        };
        let MonitorData::Flux { wavelengths_um, .. } = &m.data else {
            return Err(invalid(path, name, "the monitor is not a flux monitor"));
        };
        if !seen.insert(n.monitor.as_str()) {
            return Err(invalid(path, name, "given twice"));
        }
        let nf = wavelengths_um.len();
        check_len(path, &name, "incident_flux", n.incident_flux.len(), nf)?;
        check_len(path, &name, "ratio", n.ratio.len(), nf)?;
        if let Some(s) = &n.scattered_flux {
            check_len(path, &name, "scattered_flux", s.len(), nf)?;
        }
    }
    Ok(())
}

/// Writer of one file: the path for error messages plus small helpers.
struct Writer<'p> {
    path: &'p Path,
}

impl Writer<'_> {
    fn group(&self, parent: &Group, name: &str) -> Res<Group> {
        parent
            .create_group(name)
            .map_err(h5err(self.path, format!("create group `{name}` in {}", parent.name())))
    }

    /// The group at `path` below `parent`, created as needed.
    fn path_group(&self, parent: &Group, path: &str) -> Res<Group> {
        let mut g = parent.clone();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            g = match g.group(part) {
                Ok(x) => x,
                Err(_) => self.group(&g, part)?,
            };
        }
        Ok(g)
    }

    /// A group that remembers the order its members were created in (the
    /// scene's order of probes and monitors; h5py iterates in that order too).
    fn ordered_group(&self, parent: &Group, name: &str) -> Res<Group> {
        parent
            .create_group_builder()
            .with_gcpl(|p| p.link_creation_order(LinkCreationOrder::Indexed))
            .create(name)
            .map_err(h5err(self.path, format!("create group `{name}` in {}", parent.name())))
    }

    /// A 1D string attribute (one entry per column of a table, say).
    /// `value` as an HDF5 string for attribute `name` of `loc`.
    fn varlen(&self, loc: &Location, name: &str, value: &str) -> Res<VarLenUnicode> {
        value.parse().map_err(|e| {
            invalid(
                self.path,
                format!("attribute `{name}` of {}", loc.name()),
                format!("not storable as an HDF5 string: {e}"),
            )
        })
    }

    fn attr_strs(&self, loc: &Location, name: &str, values: &[String]) -> Res<()> {
        let v = values.iter().map(|s| self.varlen(loc, name, s)).collect::<Res<Vec<_>>>()?;
        loc.new_attr::<VarLenUnicode>()
            .shape(v.len())
            .create(name)
            .and_then(|a| a.write_raw(&v))
            .map_err(h5err(self.path, format!("write attribute `{name}` of {}", loc.name())))
    }

    fn attr_str(&self, loc: &Location, name: &str, value: &str) -> Res<()> {
        let v = self.varlen(loc, name, value)?;
        loc.new_attr::<VarLenUnicode>()
            .create(name)
            .and_then(|a| a.write_scalar(&v))
            .map_err(h5err(self.path, format!("write attribute `{name}` of {}", loc.name())))
    }

    fn attr<T: H5Type>(&self, loc: &Location, name: &str, value: T) -> Res<()> {
        loc.new_attr::<T>()
            .create(name)
            .and_then(|a| a.write_scalar(&value))
            .map_err(h5err(self.path, format!("write attribute `{name}` of {}", loc.name())))
    }

    fn attr_array<T: H5Type>(&self, loc: &Location, name: &str, values: &[T]) -> Res<()> {
        loc.new_attr_builder()
            .with_data(values)
            .create(name)
            .map(drop)
            .map_err(h5err(self.path, format!("write attribute `{name}` of {}", loc.name())))
    }

    /// A dataset, chunked and gzip-compressed when large.
    fn dataset<'d, T: H5Type, D: ndarray::Dimension>(&self, g: &Group, name: &str, data: impl Into<ArrayView<'d, T, D>>) -> Res<Dataset> {
        let view: ArrayView<'d, T, D> = data.into();
        let mut b = g.new_dataset_builder();
        if view.len() * std::mem::size_of::<T>() >= COMPRESS_MIN_BYTES {
            b = b.chunk_min_kb(CHUNK_KB).shuffle().deflate(GZIP_LEVEL);
        }
        b.with_data(view)
            .create(name)
            .map_err(h5err(self.path, format!("write dataset `{name}` in {}", g.name())))
    }

    fn vec(&self, g: &Group, name: &str, v: &[f64]) -> Res<Dataset> {
        self.dataset(g, name, ArrayView1::from(v))
    }

    /// `wavelengths_um` and `frequencies` (c/um).
    fn spectrum_axes(&self, g: &Group, wavelengths_um: &[f64]) -> Res<()> {
        self.vec(g, "wavelengths_um", wavelengths_um)?;
        let f: Vec<f64> = wavelengths_um.iter().map(|w| 1.0 / w).collect();
        self.vec(g, "frequencies", &f)?;
        Ok(())
    }

    /// `<prefix>x_um`, `<prefix>y_um`, `<prefix>z_um` in scene coordinates.
    fn positions(&self, g: &Group, prefix: &str, pos: &[Vec<f64>; 3], offset: [f64; 3]) -> Res<()> {
        for a in 0..3 {
            let p: Vec<f64> = pos[a].iter().map(|x| x - offset[a]).collect();
            self.vec(g, &format!("{prefix}{}_um", AXES[a]), &p)?;
        }
        Ok(())
    }
}

fn polarization_name(dims: Dimensions) -> &'static str {
    match dims {
        Dimensions::Two(Polarization::Tm) => "tm",
        Dimensions::Two(Polarization::Te) => "te",
        Dimensions::Three => "",
    }
}

/// Simulation time (internal units) of probe sample `n`: E after the E update
/// of step n, (n + 1) dt; H after the H update, (n + 1/2) dt.
fn probe_time(c: Component, n: usize, dt: f64) -> f64 {
    (n as f64 + if c.is_electric() { 1.0 } else { 0.5 }) * dt
}

/// Seconds since the Unix epoch as ISO 8601 UTC (days to civil date after
/// H. Hinnant's `civil_from_days`).
fn iso_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

fn write_file(tmp: &Path, rec: &RunRecord) -> Res<()> {
    let w = Writer { path: tmp };
    // Cluster file systems (Lustre, NFS) often refuse the locks HDF5 takes by
    // default; this file is private to this process until it is renamed, so
    // locking would protect nothing.
    let file = File::with_options()
        .with_fapl(|p| p.file_locking(false))
        .create(tmp)
        .map_err(h5err(tmp, "create file"))?;
    let g = &rec.grid;
    let root: &Location = &file;
    w.attr_str(root, "program", "lumen-fdtd")?;
    w.attr_str(root, "version", rec.program_version)?;
    w.attr(root, "format_version", FORMAT_VERSION)?;
    w.attr_str(root, "scene", rec.scene_text)?;
    w.attr_str(root, "scene_path", rec.scene_path)?;
    w.attr_str(root, "units", UNITS)?;
    w.attr(root, "dimensions", g.dims.count() as u32)?;
    w.attr_str(root, "polarization", polarization_name(g.dims))?;
    w.attr_array(root, "grid_shape", &g.shape().map(|n| n as u64))?;
    w.attr(root, "cell_size_um", g.dx)?;
    w.attr_array(root, "origin_offset_um", &rec.origin_offset_um)?;
    w.attr(root, "dt_fs", time_to_fs(g.dt))?;
    w.attr(root, "dt", g.dt)?;
    // Graded axes: the nodes (cell faces) in scene coordinates; cell i spans
    // nodes i to i + 1 along that axis instead of i dx to (i + 1) dx.
    if g.is_graded() {
        let mesh = w.group(&file, "mesh")?;
        for (a, m) in g.mesh.iter().enumerate() {
            if let Some(m) = m {
                let nodes: Vec<f64> = m.nodes().iter().map(|z| z - rec.origin_offset_um[a]).collect();
                w.vec(&mesh, &format!("{}_nodes_um", ["x", "y", "z"][a]), &nodes)?;
            }
        }
    }
    w.attr(root, "steps", rec.steps as u64)?;
    w.attr(root, "simulated_time_fs", time_to_fs(rec.steps as f64 * g.dt))?;
    w.attr(root, "wall_time_s", rec.wall_time_s)?;
    w.attr_str(root, "adapter", rec.adapter)?;
    w.attr(root, "complete", u8::from(rec.complete))?;
    w.attr_str(root, "stop_reason", rec.stop_reason)?;
    w.attr_str(root, "warnings", &rec.warnings.join("\n"))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    w.attr_str(root, "created", &iso_utc(now))?;

    let off = rec.origin_offset_um;
    let probes = w.ordered_group(&file, "probes")?;
    for p in rec.probes {
        let pg = w.group(&probes, &p.name)?;
        w.attr_str(&pg, "component", p.component.name())?;
        w.attr_array(&pg, "position_um", &[0, 1, 2].map(|a| g.physical(a, p.position_um[a]) - off[a]))?;
        w.dataset(&pg, "samples", ArrayView1::from(&p.samples[..]))?;
        let t: Vec<f64> = (0..p.samples.len()).map(|n| time_to_fs(probe_time(p.component, n, g.dt))).collect();
        w.vec(&pg, "times_fs", &t)?;
    }

    let monitors = w.ordered_group(&file, "monitors")?;
    for m in rec.monitors {
        let mg = w.group(&monitors, &m.name)?;
        match &m.data {
            MonitorData::DftFields {
                wavelengths_um,
                components,
            } => {
                w.attr_str(&mg, "type", "dft_fields")?;
                let names: Vec<&str> = components.iter().map(|(c, _, _)| c.name()).collect();
                w.attr_str(&mg, "components", &names.join(","))?;
                w.spectrum_axes(&mg, wavelengths_um)?;
                for (c, pos, arr) in components {
                    // The sums are f64 but the fields they integrate are f32:
                    // complex64 keeps all the precision there is at half the size.
                    let a32 = arr.mapv(|v| Complex32::new(v.re as f32, v.im as f32));
                    let ds = w.dataset(&mg, c.name(), &a32)?;
                    w.attr_str(&ds, "axes", "wavelength,z,y,x")?;
                    w.positions(&mg, &format!("{}_", c.name()), pos, off)?;
                }
            }
            MonitorData::Flux {
                wavelengths_um,
                flux,
                faces,
            } => {
                w.attr_str(&mg, "type", "flux")?;
                w.spectrum_axes(&mg, wavelengths_um)?;
                w.vec(&mg, "flux", flux)?;
                let fg = w.group(&mg, "faces")?;
                for (k, face) in faces.iter().enumerate() {
                    write_face(&w, &fg, k, face)?;
                }
                if let Some(n) = rec.normalized.iter().find(|n| n.monitor == m.name) {
                    write_normalized(&w, &mg, n)?;
                }
            }
            MonitorData::FarField {
                wavelengths_um,
                theta,
                phi,
                weight,
                intensity,
                flux,
                total,
                na,
                na_fraction,
                n_background,
                polarized,
                plane,
                source_fraction,
            } => {
                w.attr_str(&mg, "type", "far_field")?;
                w.spectrum_axes(&mg, wavelengths_um)?;
                w.vec(&mg, "flux", flux)?;
                w.vec(&mg, "total", total)?;
                w.vec(&mg, "theta_rad", theta)?;
                w.vec(&mg, "phi_rad", phi)?;
                w.vec(&mg, "weight", weight)?;
                let nd = theta.len();
                let table = ndarray::Array2::from_shape_fn((intensity.len(), nd), |(f, k)| intensity[f][k]);
                w.dataset(&mg, "intensity", &table)?;
                w.attr_array(&mg, "n_background", &[*n_background])?;
                if let (Some(na), Some(frac)) = (na, na_fraction) {
                    w.attr_array(&mg, "na", &[*na])?;
                    w.vec(&mg, "na_fraction", frac)?;
                    let power: Vec<f64> = frac.iter().zip(total).map(|(a, b)| a * b).collect();
                    w.vec(&mg, "na_power", &power)?;
                }
                write_far_field_extra(&w, &mg, polarized.as_ref(), plane.as_ref(), source_fraction.as_deref())?;
            }
            MonitorData::Acceptance {
                wavelengths_um,
                na,
                core_size,
                accepted,
                core_flux,
                flux,
            } => {
                w.attr_str(&mg, "type", "acceptance")?;
                w.spectrum_axes(&mg, wavelengths_um)?;
                w.attr_array(&mg, "na", &[*na])?;
                w.attr_array(&mg, "core_size", &[*core_size])?;
                w.vec(&mg, "accepted", accepted)?;
                w.vec(&mg, "core_flux", core_flux)?;
                w.vec(&mg, "flux", flux)?;
            }
            MonitorData::Mode {
                wavelengths_um,
                n_eff,
                forward,
                backward,
                forward_amplitude,
                backward_amplitude,
                flux,
            } => {
                w.attr_str(&mg, "type", "mode")?;
                w.spectrum_axes(&mg, wavelengths_um)?;
                let family = crate::modes::family(g.dims);
                let names: Vec<String> = (0..n_eff.iter().map(Vec::len).max().unwrap_or(0))
                    .map(|k| crate::modes::mode_name(k, family))
                    .collect();
                w.attr_strs(&mg, "mode_names", &names)?;
                w.vec(&mg, "flux", flux)?;
                // [wavelength][mode], NaN where a wavelength has fewer guided modes.
                let modes = n_eff.iter().map(Vec::len).max().unwrap_or(0);
                let table = |rows: &[Vec<f64>]| {
                    ndarray::Array2::from_shape_fn((rows.len(), modes), |(f, m)| rows[f].get(m).copied().unwrap_or(f64::NAN))
                };
                w.dataset(&mg, "n_eff", &table(n_eff))?;
                w.dataset(&mg, "forward", &table(forward))?;
                w.dataset(&mg, "backward", &table(backward))?;
                for (name, amp) in [("forward_amplitude", forward_amplitude), ("backward_amplitude", backward_amplitude)] {
                    if !amp.is_empty() {
                        let nan = Complex64::new(f64::NAN, f64::NAN);
                        let a = ndarray::Array2::from_shape_fn((amp.len(), modes), |(f, m)| amp[f].get(m).copied().unwrap_or(nan));
                        w.dataset(&mg, name, &a)?;
                    }
                }
            }
            MonitorData::SourcePower {
                wavelengths_um,
                power,
                source_spectrum,
            } => {
                w.attr_str(&mg, "type", "source_power")?;
                w.spectrum_axes(&mg, wavelengths_um)?;
                w.vec(&mg, "power", power)?;
                w.dataset(&mg, "source_spectrum", ArrayView1::from(&source_spectrum[..]))?;
                let per: Vec<f64> = power
                    .iter()
                    .zip(source_spectrum)
                    .map(|(p, s)| if s.norm_sqr() > 0.0 { p / s.norm_sqr() } else { f64::NAN })
                    .collect();
                w.vec(&mg, "power_per_unit_source", &per)?;
            }
            MonitorData::Snapshot {
                component,
                positions,
                times,
                frames,
            } => {
                w.attr_str(&mg, "type", "snapshot")?;
                w.attr_str(&mg, "component", component.name())?;
                let ds = w.dataset(&mg, "frames", frames)?;
                w.attr_str(&ds, "axes", "time,z,y,x")?;
                let t: Vec<f64> = times.iter().map(|t| time_to_fs(*t)).collect();
                w.vec(&mg, "times_fs", &t)?;
                w.positions(&mg, "", positions, off)?;
            }
        }
    }
    for x in rec.extra {
        let g = w.path_group(&file, &x.path)?;
        for (k, v) in &x.attrs {
            w.attr_str(&g, k, v)?;
        }
        for (name, data) in &x.datasets {
            let (dir, leaf) = name.rsplit_once('/').map_or(("", name.as_str()), |(d, l)| (d, l));
            let dg = if dir.is_empty() { g.clone() } else { w.path_group(&g, dir)? };
            w.dataset(&dg, leaf, data)?;
        }
    }
    file.close().map_err(h5err(tmp, "close file"))
}

/// A far field's polarisation parts, open-plane description and source fraction.
fn write_far_field_extra(
    w: &Writer,
    mg: &Group,
    polarized: Option<&[Vec<Vec<f64>>; 2]>,
    plane: Option<&crate::monitor::farfield::FarFieldPlane>,
    source_fraction: Option<&[f64]>,
) -> Res<()> {
    if let Some(parts) = polarized {
        for (name, rows) in ["intensity_theta", "intensity_phi"].iter().zip(parts) {
            let nd = rows.first().map_or(0, Vec::len);
            let table = Array2::from_shape_fn((rows.len(), nd), |(f, k)| rows[f][k]);
            w.dataset(mg, name, &table)?;
        }
    }
    match plane {
        Some(p) => {
            w.attr_str(mg, "projection", "plane")?;
            w.attr_str(mg, "plane_axis", AXES[p.axis])?;
            w.attr_array(mg, "plane_direction", &[p.sign])?;
            if let Some(a) = p.capture_angle_rad {
                w.attr_array(mg, "capture_angle_deg", &[a.to_degrees()])?;
            }
        }
        None => w.attr_str(mg, "projection", "box")?,
    }
    if let Some(f) = source_fraction {
        w.vec(mg, "source_fraction", f)?;
    }
    Ok(())
}

fn write_face(w: &Writer, faces: &Group, k: usize, face: &FaceFields) -> Res<()> {
    let g = w.group(faces, &k.to_string())?;
    let a = face.axis;
    w.attr(&g, "axis", a as u32)?;
    w.attr_str(&g, "axis_name", AXES[a])?;
    w.attr(&g, "sign", face.sign)?;
    let (c1, c2) = ((a + 1) % 3, (a + 2) % 3);
    let comps = [
        Component::electric(c1),
        Component::electric(c2),
        Component::magnetic(c1),
        Component::magnetic(c2),
    ];
    // Only the datasets present (a 2D run evolves two of the four).
    let present: Vec<String> = (0..4)
        .filter(|&s| !face.fields[s].is_empty())
        .map(|s| format!("{}={}", FACE_FIELDS[s], comps[s].name()))
        .collect();
    w.attr_str(&g, "components", &present.join(","))?;
    for (slot, rows) in face.fields.iter().enumerate() {
        if rows.is_empty() {
            continue;
        }
        let ns = rows[0].len();
        let flat: Vec<Complex64> = rows.iter().flatten().copied().collect();
        let arr = Array2::from_shape_vec((rows.len(), ns), flat)
            .map_err(|e| invalid(w.path, format!("face {k} {}", FACE_FIELDS[slot]), e.to_string()))?;
        // complex128: a later run subtracts these from its own fields, and
        // the difference of two nearly equal fields needs every digit.
        let ds = w.dataset(&g, FACE_FIELDS[slot], &arr)?;
        w.attr_str(&ds, "component", comps[slot].name())?;
    }
    Ok(())
}

fn write_normalized(w: &Writer, g: &Group, n: &NormalizedFlux) -> Res<()> {
    w.vec(g, "incident_flux", &n.incident_flux)?;
    if let Some(s) = &n.scattered_flux {
        w.vec(g, "scattered_flux", s)?;
    }
    w.vec(g, "ratio", &n.ratio)?;
    w.attr_str(g, "reference_file", &n.reference_file)?;
    w.attr_str(g, "incident_monitor", &n.incident_monitor)?;
    Ok(())
}

// ---------------------------------------------------------------- reading

struct Reader<'p> {
    path: &'p Path,
}

impl Reader<'_> {
    fn open(&self) -> Res<File> {
        File::with_options()
            .with_fapl(|p| p.file_locking(false))
            .open(self.path)
            .map_err(h5err(self.path, "open file"))
    }

    fn has_attr(&self, loc: &Location, name: &str) -> Res<bool> {
        loc.attr_names()
            .map(|n| n.iter().any(|a| a == name))
            .map_err(h5err(self.path, format!("list attributes of {}", loc.name())))
    }

    fn attr_str(&self, loc: &Location, name: &str) -> Res<String> {
        loc.attr(name)
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .map(|s| s.as_str().to_string())
            .map_err(h5err(self.path, format!("read string attribute `{name}` of {}", loc.name())))
    }

    fn attr<T: H5Type>(&self, loc: &Location, name: &str) -> Res<T> {
        loc.attr(name)
            .and_then(|a| a.read_scalar::<T>())
            .map_err(h5err(self.path, format!("read attribute `{name}` of {}", loc.name())))
    }

    fn attr3<T: H5Type + Copy>(&self, loc: &Location, name: &str) -> Res<[T; 3]> {
        let v = loc
            .attr(name)
            .and_then(|a| a.read_raw::<T>())
            .map_err(h5err(self.path, format!("read attribute `{name}` of {}", loc.name())))?;
        <[T; 3]>::try_from(v.as_slice()).map_err(|_| {
            format_err(
                self.path,
                format!("{}@{name}", loc.name()),
                format!("has {} values, expected 3", v.len()),
            )
        })
    }

    fn group(&self, parent: &Group, name: &str) -> Res<Group> {
        parent
            .group(name)
            .map_err(h5err(self.path, format!("open group `{name}` in {}", parent.name())))
    }

    fn vec<T: H5Type>(&self, g: &Group, name: &str) -> Res<Vec<T>> {
        g.dataset(name)
            .and_then(|d| d.read_raw::<T>())
            .map_err(h5err(self.path, format!("read dataset `{name}` in {}", g.name())))
    }

    /// Member names in creation order where the group records it, else by name.
    fn member_names(&self, g: &Group) -> Res<Vec<String>> {
        g.member_names_by(IndexType::CreationOrder, IterationOrder::Increasing)
            .or_else(|_| g.member_names_by(IndexType::Name, IterationOrder::Increasing))
            .map_err(h5err(self.path, format!("list members of {}", g.name())))
    }

    /// Every dataset under `g`, depth first, by path relative to `g`.
    fn list_datasets(&self, g: &Group, prefix: &str, out: &mut Vec<DatasetSummary>) -> Res<()> {
        for n in self.member_names(g)? {
            let ty = g
                .loc_type_by_name(&n)
                .map_err(h5err(self.path, format!("look up `{n}` in {}", g.name())))?;
            match ty {
                LocationType::Dataset => {
                    let d = g
                        .dataset(&n)
                        .map_err(h5err(self.path, format!("open dataset `{n}` in {}", g.name())))?;
                    let dtype = d
                        .dtype()
                        .and_then(|t| t.to_descriptor())
                        .map(|t| dtype_name(&t))
                        .unwrap_or_else(|_| "unknown".to_string());
                    out.push(DatasetSummary {
                        name: format!("{prefix}{n}"),
                        shape: d.shape().iter().map(|&s| s as u64).collect(),
                        dtype,
                    });
                }
                LocationType::Group => {
                    let sub = self.group(g, &n)?;
                    self.list_datasets(&sub, &format!("{prefix}{n}/"), out)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn monitor(&self, file: &File, name: &str) -> Res<Group> {
        let monitors = self.group(file, "monitors")?;
        if !monitors.link_exists(name) {
            let names = self.member_names(&monitors)?;
            return Err(format_err(
                self.path,
                format!("/monitors/{name}"),
                format!("no such monitor; the file has: {}", names.join(", ")),
            ));
        }
        self.group(&monitors, name)
    }
}

/// numpy's name for a type where there is one.
fn dtype_name(t: &TypeDescriptor) -> String {
    let size = |s: IntSize| s as usize * 8;
    match t {
        TypeDescriptor::Float(FloatSize::U4) => "float32".into(),
        TypeDescriptor::Float(FloatSize::U8) => "float64".into(),
        TypeDescriptor::Integer(s) => format!("int{}", size(*s)),
        TypeDescriptor::Unsigned(s) => format!("uint{}", size(*s)),
        TypeDescriptor::VarLenUnicode | TypeDescriptor::VarLenAscii => "string".into(),
        TypeDescriptor::Compound(c)
            if c.fields.len() == 2
                && c.fields[0].name == "r"
                && c.fields[1].name == "i"
                && matches!(c.fields[0].ty, TypeDescriptor::Float(_)) =>
        {
            format!("complex{}", c.size * 8)
        }
        other => other.to_string(),
    }
}

/// The root attributes, the probes and an inventory of the monitors, for
/// `lumen info`.
pub fn read_summary(path: &Path) -> Result<FileSummary, OutputError> {
    let r = Reader { path };
    let file = r.open()?;
    let root: &Location = &file;
    if !r.has_attr(root, "program")? {
        return Err(format_err(path, "/", "not a lumen-fdtd result file (no `program` attribute)"));
    }
    let program = r.attr_str(root, "program")?;
    let mut s = FileSummary {
        path: path.display().to_string(),
        version: r.attr_str(root, "version")?,
        format_version: r.attr(root, "format_version")?,
        scene_path: r.attr_str(root, "scene_path")?,
        scene: r.attr_str(root, "scene")?,
        units: r.attr_str(root, "units")?,
        dimensions: r.attr(root, "dimensions")?,
        polarization: r.attr_str(root, "polarization")?,
        grid_shape: r.attr3(root, "grid_shape")?,
        cell_size_um: r.attr(root, "cell_size_um")?,
        origin_offset_um: r.attr3(root, "origin_offset_um")?,
        dt_fs: r.attr(root, "dt_fs")?,
        dt: r.attr(root, "dt")?,
        steps: r.attr(root, "steps")?,
        simulated_time_fs: r.attr(root, "simulated_time_fs")?,
        wall_time_s: r.attr(root, "wall_time_s")?,
        adapter: r.attr_str(root, "adapter")?,
        complete: r.attr::<u8>(root, "complete")? != 0,
        stop_reason: r.attr_str(root, "stop_reason")?,
        created: r.attr_str(root, "created")?,
        program,
        probes: Vec::new(),
        monitors: Vec::new(),
        warnings: if r.has_attr(root, "warnings")? {
            r.attr_str(root, "warnings")?
                .lines()
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()
        } else {
            Vec::new()
        },
    };
    let probes = r.group(&file, "probes")?;
    for name in r.member_names(&probes)? {
        let g = r.group(&probes, &name)?;
        let samples = g
            .dataset("samples")
            .map_err(h5err(path, format!("open dataset `samples` in {}", g.name())))?
            .size() as u64;
        s.probes.push(ProbeSummary {
            component: r.attr_str(&g, "component")?,
            position_um: r.attr3(&g, "position_um")?,
            samples,
            name,
        });
    }
    let monitors = r.group(&file, "monitors")?;
    for name in r.member_names(&monitors)? {
        let g = r.group(&monitors, &name)?;
        let kind = r.attr_str(&g, "type")?;
        let wavelengths_um = if g.link_exists("wavelengths_um") {
            r.vec::<f64>(&g, "wavelengths_um")?
        } else {
            Vec::new()
        };
        let mut datasets = Vec::new();
        r.list_datasets(&g, "", &mut datasets)?;
        let normalized = kind == "flux" && g.link_exists("ratio");
        s.monitors.push(MonitorSummary {
            name,
            kind,
            wavelengths_um,
            normalized,
            datasets,
        });
    }
    Ok(s)
}

/// What [`read_flux`] returns: wavelengths (um), the flux spectrum, and the
/// face DFT fields.
pub type FluxData = (Vec<f64>, Vec<f64>, Vec<FaceFields>);

/// A flux monitor's wavelengths (um), flux spectrum and face DFT fields, to
/// normalise by, or subtract, a reference run.
pub fn read_flux(path: &Path, monitor: &str) -> Result<FluxData, OutputError> {
    let r = Reader { path };
    let file = r.open()?;
    let g = r.monitor(&file, monitor)?;
    let kind = r.attr_str(&g, "type")?;
    if kind != "flux" {
        return Err(format_err(path, g.name(), format!("is a `{kind}` monitor, not a flux monitor")));
    }
    let wl: Vec<f64> = r.vec(&g, "wavelengths_um")?;
    let flux: Vec<f64> = r.vec(&g, "flux")?;
    let nf = wl.len();
    if flux.len() != nf {
        return Err(format_err(
            path,
            format!("{}/flux", g.name()),
            format!("has {} values for {nf} wavelengths", flux.len()),
        ));
    }
    let fg = r.group(&g, "faces")?;
    let mut names: Vec<(usize, String)> = Vec::new();
    for n in r.member_names(&fg)? {
        let k = n
            .parse()
            .map_err(|_| format_err(path, format!("{}/{n}", fg.name()), "face groups are named 0, 1, 2, ..."))?;
        names.push((k, n));
    }
    names.sort();
    let mut faces = Vec::with_capacity(names.len());
    for (_, n) in names {
        let face = r.group(&fg, &n)?;
        let axis = r.attr::<u32>(&face, "axis")? as usize;
        if axis > 2 {
            return Err(format_err(
                path,
                format!("{}@axis", face.name()),
                format!("is {axis}, expected 0, 1 or 2"),
            ));
        }
        let sign = r.attr::<f64>(&face, "sign")?;
        let mut fields: [Vec<Vec<Complex64>>; 4] = Default::default();
        for (slot, nm) in FACE_FIELDS.iter().enumerate() {
            if !face.link_exists(nm) {
                continue;
            }
            let a = face
                .dataset(nm)
                .and_then(|d| d.read_2d::<Complex64>())
                .map_err(h5err(path, format!("read dataset `{nm}` in {}", face.name())))?;
            if a.nrows() != nf {
                return Err(format_err(
                    path,
                    format!("{}/{nm}", face.name()),
                    format!("has {} rows for {nf} wavelengths", a.nrows()),
                ));
            }
            fields[slot] = a.outer_iter().map(|row| row.to_vec()).collect();
        }
        faces.push(FaceFields {
            axis,
            sign,
            fields,
            weights: Default::default(),
        });
    }
    Ok((wl, flux, faces))
}

/// What [`read_dft_fields`] returns: a `dft_fields` monitor's complex fields.
#[derive(Clone, Debug)]
pub struct DftFieldsData {
    /// Wavelengths (um) of the frequency axis of `data`: all of the
    /// monitor's, or the one asked for.
    pub wavelengths_um: Vec<f64>,
    pub components: Vec<DftComponent>,
}

/// One recorded component of a `dft_fields` monitor.
#[derive(Clone, Debug)]
pub struct DftComponent {
    pub component: Component,
    /// Positions of the samples along x, y, z, scene coordinates (um).
    pub positions_um: [Vec<f64>; 3],
    /// [frequency][z][y][x].
    pub data: Array4<Complex32>,
}

/// What [`read_snapshot`] returns: a `snapshot` monitor's frames.
#[derive(Clone, Debug)]
pub struct SnapshotData {
    pub component: Component,
    /// Positions of the samples along x, y, z, scene coordinates (um).
    pub positions_um: [Vec<f64>; 3],
    /// Time (fs) of each frame read.
    pub times_fs: Vec<f64>,
    /// Index in the file of the first frame read.
    pub first_frame: usize,
    /// [frame][z][y][x].
    pub frames: Array4<f32>,
}

/// All wavelengths of a `dft_fields` monitor: the complex DFT of every
/// recorded component with its sample positions.
pub fn read_dft_fields(path: &Path, monitor: &str) -> Result<DftFieldsData, OutputError> {
    read_dft(path, monitor, None)
}

/// One wavelength (index `wavelength` into the monitor's `wavelengths_um`) of
/// a `dft_fields` monitor; only that slice is read from the file.
pub fn read_dft_fields_at(path: &Path, monitor: &str, wavelength: usize) -> Result<DftFieldsData, OutputError> {
    read_dft(path, monitor, Some(wavelength))
}

/// All frames of a `snapshot` monitor.
pub fn read_snapshot(path: &Path, monitor: &str) -> Result<SnapshotData, OutputError> {
    read_snap(path, monitor, None)
}

/// Frame `frame` (0 = first) of a `snapshot` monitor; only that frame is read.
pub fn read_snapshot_frame(path: &Path, monitor: &str, frame: usize) -> Result<SnapshotData, OutputError> {
    read_snap(path, monitor, Some(frame))
}

/// A spectral monitor's wavelengths (um) and one of its float64 [nf]
/// datasets (e.g. `flux`, `ratio`, `power_per_unit_source`).
pub fn read_spectrum(path: &Path, monitor: &str, dataset: &str) -> Result<(Vec<f64>, Vec<f64>), OutputError> {
    let r = Reader { path };
    let file = r.open()?;
    let g = r.monitor(&file, monitor)?;
    let wl: Vec<f64> = r.vec(&g, "wavelengths_um")?;
    if !g.link_exists(dataset) {
        return Err(format_err(path, format!("{}/{dataset}", g.name()), "no such dataset"));
    }
    let v: Vec<f64> = r.vec(&g, dataset)?;
    if v.len() != wl.len() {
        return Err(format_err(
            path,
            format!("{}/{dataset}", g.name()),
            format!("has {} values for {} wavelengths", v.len(), wl.len()),
        ));
    }
    Ok((wl, v))
}

/// What [`read_far_field`] returns: a `far_field` monitor's directions and
/// angular intensity.
#[derive(Clone, Debug)]
pub struct FarFieldData {
    pub wavelengths_um: Vec<f64>,
    /// Per direction: polar angle from +z (pi/2 in 2D) and azimuth from +x (rad).
    pub theta_rad: Vec<f64>,
    pub phi_rad: Vec<f64>,
    /// Solid angle (3D) or angle (2D) each direction stands for.
    pub weight: Vec<f64>,
    /// [wavelength][direction]: power per unit solid angle (3D) or angle (2D), flux units.
    pub intensity: Array2<f64>,
    /// Flux out of the box, and the intensity integrated over all directions, per wavelength.
    pub flux: Vec<f64>,
    pub total: Vec<f64>,
    pub n_background: f64,
    /// The numerical aperture and the fraction of the power within it per
    /// wavelength, when the monitor has one.
    pub na: Option<f64>,
    pub na_fraction: Option<Vec<f64>>,
    /// An open plane: its normal axis ("x", "y", "z"), the side it projects
    /// into (+1 or -1) and its capture angle; None for a box.
    pub plane: Option<(String, f64)>,
    pub capture_angle_deg: Option<f64>,
}

/// What [`read_mode`] returns: a `mode` monitor's power per guided mode.
#[derive(Clone, Debug)]
pub struct ModeData {
    pub wavelengths_um: Vec<f64>,
    /// Total flux through the port along its direction, per wavelength.
    pub flux: Vec<f64>,
    /// [wavelength][mode], NaN where a wavelength has fewer guided modes.
    pub n_eff: Array2<f64>,
    pub forward: Array2<f64>,
    pub backward: Array2<f64>,
}

/// A `far_field` monitor, checked for consistent lengths.
pub fn read_far_field(path: &Path, monitor: &str) -> Result<FarFieldData, OutputError> {
    let r = Reader { path };
    let file = r.open()?;
    let g = r.monitor_of(&file, monitor, "far_field")?;
    let wavelengths_um: Vec<f64> = r.vec(&g, "wavelengths_um")?;
    let nf = wavelengths_um.len();
    let theta_rad: Vec<f64> = r.vec(&g, "theta_rad")?;
    let nd = theta_rad.len();
    let intensity = r.table(&g, "intensity", nf, Some(nd))?;
    let phi_rad: Vec<f64> = r.vec(&g, "phi_rad")?;
    let weight: Vec<f64> = r.vec(&g, "weight")?;
    let flux: Vec<f64> = r.vec(&g, "flux")?;
    let total: Vec<f64> = r.vec(&g, "total")?;
    for (name, len, want) in [
        ("phi_rad", phi_rad.len(), nd),
        ("weight", weight.len(), nd),
        ("flux", flux.len(), nf),
        ("total", total.len(), nf),
    ] {
        if len != want {
            return Err(format_err(
                path,
                format!("{}/{name}", g.name()),
                format!("has {len} values, expected {want}"),
            ));
        }
    }
    let first = |name: &str| -> Res<Option<f64>> {
        if !r.has_attr(&g, name)? {
            return Ok(None);
        }
        let v = g
            .attr(name)
            .and_then(|a| a.read_raw::<f64>())
            .map_err(h5err(path, format!("read attribute `{name}` of {}", g.name())))?;
        Ok(v.first().copied())
    };
    let n_background = first("n_background")?.unwrap_or(1.0);
    let na = first("na")?;
    let na_fraction = if g.link_exists("na_fraction") {
        let v: Vec<f64> = r.vec(&g, "na_fraction")?;
        if v.len() != nf {
            return Err(format_err(
                path,
                format!("{}/na_fraction", g.name()),
                format!("has {} values for {nf} wavelengths", v.len()),
            ));
        }
        Some(v)
    } else {
        None
    };
    let plane = match (r.has_attr(&g, "plane_axis")?, first("plane_direction")?) {
        (true, Some(s)) => Some((r.attr_str(&g, "plane_axis")?, s)),
        _ => None,
    };
    let capture_angle_deg = first("capture_angle_deg")?;
    Ok(FarFieldData {
        wavelengths_um,
        theta_rad,
        phi_rad,
        weight,
        intensity,
        flux,
        total,
        n_background,
        na,
        na_fraction,
        plane,
        capture_angle_deg,
    })
}

/// A `mode` monitor, checked for consistent shapes.
pub fn read_mode(path: &Path, monitor: &str) -> Result<ModeData, OutputError> {
    let r = Reader { path };
    let file = r.open()?;
    let g = r.monitor_of(&file, monitor, "mode")?;
    let wavelengths_um: Vec<f64> = r.vec(&g, "wavelengths_um")?;
    let nf = wavelengths_um.len();
    let flux: Vec<f64> = r.vec(&g, "flux")?;
    if flux.len() != nf {
        return Err(format_err(
            path,
            format!("{}/flux", g.name()),
            format!("has {} values for {nf} wavelengths", flux.len()),
        ));
    }
    let n_eff = r.table(&g, "n_eff", nf, None)?;
    let modes = n_eff.ncols();
    let forward = r.table(&g, "forward", nf, Some(modes))?;
    let backward = r.table(&g, "backward", nf, Some(modes))?;
    Ok(ModeData {
        wavelengths_um,
        flux,
        n_eff,
        forward,
        backward,
    })
}

impl Reader<'_> {
    /// A float64 [rows][cols] dataset, checked to have `rows` rows (and
    /// `cols` columns when given).
    fn table(&self, g: &Group, name: &str, rows: usize, cols: Option<usize>) -> Res<Array2<f64>> {
        let what = format!("{}/{name}", g.name());
        let a = g
            .dataset(name)
            .and_then(|d| d.read_2d::<f64>())
            .map_err(h5err(self.path, format!("read dataset {what}")))?;
        if a.nrows() != rows || cols.is_some_and(|c| c != a.ncols()) {
            let want = cols.map_or_else(|| format!("[{rows}][..]"), |c| format!("[{rows}][{c}]"));
            return Err(format_err(
                self.path,
                what,
                format!("has shape [{}][{}], expected {want}", a.nrows(), a.ncols()),
            ));
        }
        Ok(a)
    }
}

impl Reader<'_> {
    /// A monitor group, checked to be of `kind`.
    fn monitor_of(&self, file: &File, name: &str, kind: &str) -> Res<Group> {
        let g = self.monitor(file, name)?;
        let found = self.attr_str(&g, "type")?;
        if found != kind {
            return Err(format_err(self.path, g.name(), format!("is a `{found}` monitor, not `{kind}`")));
        }
        Ok(g)
    }

    /// `<prefix>x_um`, `<prefix>y_um`, `<prefix>z_um`, checked against the
    /// shape [.., nz, ny, nx] of the data they describe.
    fn positions(&self, g: &Group, prefix: &str, shape: &[usize]) -> Res<[Vec<f64>; 3]> {
        let mut out: [Vec<f64>; 3] = Default::default();
        for a in 0..3 {
            let name = format!("{prefix}{}_um", AXES[a]);
            out[a] = self.vec(g, &name)?;
            let want = shape[3 - a];
            if out[a].len() != want {
                return Err(format_err(
                    self.path,
                    format!("{}/{name}", g.name()),
                    format!("has {} values for {want} samples", out[a].len()),
                ));
            }
        }
        Ok(out)
    }

    fn shape4(&self, d: &Dataset, what: &str) -> Res<Vec<usize>> {
        let shape = d.shape();
        if shape.len() != 4 {
            return Err(format_err(self.path, what, format!("has shape {shape:?}, expected 4 axes")));
        }
        Ok(shape)
    }

    /// Rows `only` (or all) of the first axis of a 4-axis dataset.
    fn read4<T: H5Type>(&self, d: &Dataset, what: &str, only: Option<usize>) -> Res<Array4<T>> {
        let shape = self.shape4(d, what)?;
        match only {
            None => d.read::<T, ndarray::Ix4>(),
            Some(k) if k < shape[0] => d.read_slice::<T, _, ndarray::Ix4>(ndarray::s![k..k + 1, .., .., ..]),
            Some(k) => {
                return Err(format_err(
                    self.path,
                    what,
                    format!("has {} entries along its first axis; index {k} asked for", shape[0]),
                ))
            }
        }
        .map_err(h5err(self.path, format!("read dataset {what}")))
    }
}

fn component_named(path: &Path, what: &str, name: &str) -> Res<Component> {
    Component::ALL
        .into_iter()
        .find(|c| c.name() == name)
        .ok_or_else(|| format_err(path, what, format!("names component `{name}`; expected Ex, Ey, Ez, Hx, Hy or Hz")))
}

fn read_dft(path: &Path, monitor: &str, only: Option<usize>) -> Res<DftFieldsData> {
    let r = Reader { path };
    let file = r.open()?;
    let g = r.monitor_of(&file, monitor, "dft_fields")?;
    let all: Vec<f64> = r.vec(&g, "wavelengths_um")?;
    let names = r.attr_str(&g, "components")?;
    let mut components = Vec::new();
    for name in names.split(',').filter(|n| !n.is_empty()) {
        let what = format!("{}/{name}", g.name());
        let component = component_named(path, &format!("{}@components", g.name()), name)?;
        let d = g.dataset(name).map_err(h5err(path, format!("open dataset {what}")))?;
        let shape = r.shape4(&d, &what)?;
        if shape[0] != all.len() {
            return Err(format_err(
                path,
                what,
                format!("has {} rows for {} wavelengths", shape[0], all.len()),
            ));
        }
        let positions_um = r.positions(&g, &format!("{name}_"), &shape)?;
        let data = r.read4::<Complex32>(&d, &what, only)?;
        components.push(DftComponent {
            component,
            positions_um,
            data,
        });
    }
    let wavelengths_um = match only {
        Some(k) => vec![all[k]],
        None => all,
    };
    Ok(DftFieldsData {
        wavelengths_um,
        components,
    })
}

fn read_snap(path: &Path, monitor: &str, only: Option<usize>) -> Res<SnapshotData> {
    let r = Reader { path };
    let file = r.open()?;
    let g = r.monitor_of(&file, monitor, "snapshot")?;
    let component = component_named(path, &format!("{}@component", g.name()), &r.attr_str(&g, "component")?)?;
    let what = format!("{}/frames", g.name());
    let d = g.dataset("frames").map_err(h5err(path, format!("open dataset {what}")))?;
    let shape = r.shape4(&d, &what)?;
    let times: Vec<f64> = r.vec(&g, "times_fs")?;
    if times.len() != shape[0] {
        return Err(format_err(path, what, format!("has {} frames for {} times", shape[0], times.len())));
    }
    let positions_um = r.positions(&g, "", &shape)?;
    let frames = r.read4::<f32>(&d, &what, only)?;
    let (first_frame, times_fs) = match only {
        Some(k) => (k, vec![times[k]]),
        None => (0, times),
    };
    Ok(SnapshotData {
        component,
        positions_um,
        times_fs,
        first_frame,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(1_709_210_096), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn tmp_is_appended() {
        assert_eq!(tmp_path(Path::new("out/a.h5")), PathBuf::from("out/a.h5.tmp"));
    }
}
