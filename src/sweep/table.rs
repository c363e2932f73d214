//! The summary table of a sweep, one row per variant, written as CSV and
//! HDF5 (layout: `docs/sweeps.md`), and the scalar results of a result file.
//!
//! Columns, in order: `index`, `variant`, one per parameter, `status`,
//! `wall_time_s`, the results (in order of first appearance over the rows),
//! `file`, `error`, `warnings` (the scene's warnings, one per line). A
//! result column is `MONITOR.QUANTITY@WLum`, e.g.
//! `trans.ratio@0.6um`, with the wavelength in um to 6 decimals, trailing
//! zeros dropped. Numbers are written as the shortest text that reads back
//! to the same f64, so a table read back is bit for bit the one written.

use std::path::Path;

use hdf5::types::VarLenUnicode;

use super::{fmt_f64, write_atomic, SweepError};
use crate::output::{read_spectrum, read_summary, FileSummary, OutputError};

/// The variant's result file is complete.
pub const STATUS_OK: &str = "ok";
/// A result file exists but the run stopped early (error or Ctrl-C).
pub const STATUS_INCOMPLETE: &str = "incomplete";
/// No result: the scene did not load, the reference run failed, ...
pub const STATUS_FAILED: &str = "failed";
/// Not run (yet): another shard's, or after an interruption.
pub const STATUS_MISSING: &str = "missing";

/// One variant's line of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub index: usize,
    pub variant: String,
    /// One cell per parameter, as [`super::spec::cell_text`] writes it.
    pub params: Vec<String>,
    pub status: String,
    /// The run's own wall time (from the result file; set-up and reference
    /// runs not included).
    pub wall_time_s: Option<f64>,
    /// (column name, value) of each scalar result.
    pub metrics: Vec<(String, f64)>,
    /// The result file, relative to the output folder; empty when none.
    pub file: String,
    pub error: String,
    /// The variant scene's warnings, one per line; empty when none.
    pub warnings: String,
}

/// A summary table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column names of the parameters.
    pub params: Vec<String>,
    pub rows: Vec<Row>,
}

/// What the summary's HDF5 root attributes record.
#[derive(Clone, Debug, Default)]
pub struct TableInfo {
    /// The sweep definition (TOML).
    pub sweep: String,
    pub sweep_file: String,
    pub base_scene: String,
    /// `I/N`, or empty for a whole sweep.
    pub shard: String,
}

/// A wavelength in a column name: um to 6 decimals, trailing zeros dropped.
pub fn wavelength_label(w: f64) -> String {
    let s = format!("{w:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}um")
}

/// Split `MONITOR.QUANTITY@WLum` into (`MONITOR.QUANTITY`, wavelength um).
pub fn split_metric(name: &str) -> Option<(&str, f64)> {
    let (q, w) = name.rsplit_once('@')?;
    Some((q, w.strip_suffix("um")?.parse().ok()?))
}

/// The scalar results of a result file, at each wavelength: per `flux`
/// monitor `flux` (and `ratio` when normalised); per `source_power` monitor
/// `power` and `power_per_unit_source`; per `mode` monitor `flux` and the
/// power in guided mode k along and against the port, `forwardK` and
/// `backwardK` (NaN where the wavelength has fewer guided modes); per
/// `far_field` monitor `flux`, `total` and, with an NA, `na_fraction`; per
/// `acceptance` monitor `accepted`, `core_flux` and `flux`.
pub fn metrics_from_file(path: &Path) -> Result<(FileSummary, Vec<(String, f64)>), OutputError> {
    let s = read_summary(path)?;
    let mut out = Vec::new();
    for m in &s.monitors {
        let has = |d: &str| m.datasets.iter().any(|x| x.name == d);
        let quantities: &[&str] = match m.kind.as_str() {
            "flux" if m.normalized => &["flux", "ratio"],
            "flux" | "mode" => &["flux"],
            "source_power" => &["power", "power_per_unit_source"],
            "far_field" if has("na_fraction") => &["flux", "total", "na_fraction"],
            "far_field" => &["flux", "total"],
            "acceptance" => &["accepted", "core_flux", "flux"],
            _ => &[],
        };
        let labels = labels(&m.wavelengths_um);
        for q in quantities {
            let (_, v) = read_spectrum(path, &m.name, q)?;
            out.extend(labels.iter().zip(v).map(|(l, x)| (format!("{}.{q}@{l}", m.name), x)));
        }
        if m.kind == "mode" {
            // Power per guided mode, numbered from 1 (the fundamental): `forward1`, `forward2`, ...
            for q in ["forward", "backward"] {
                let per_mode = read_modes(path, &m.name, q, labels.len())?;
                for k in 0..per_mode.ncols() {
                    out.extend(
                        labels
                            .iter()
                            .enumerate()
                            .map(|(f, l)| (format!("{}.{q}{}@{l}", m.name, k + 1), per_mode[[f, k]])),
                    );
                }
            }
        }
    }
    Ok((s, out))
}

/// Column labels of a monitor's wavelengths: [`wavelength_label`], or the
/// full value where two would be the same.
fn labels(wl: &[f64]) -> Vec<String> {
    let labels: Vec<String> = wl.iter().map(|&w| wavelength_label(w)).collect();
    let mut sorted = labels.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() == labels.len() {
        labels
    } else {
        wl.iter().map(|w| format!("{w}um")).collect()
    }
}

/// A mode monitor's `[wavelength][mode]` dataset (`forward`, `backward`).
fn read_modes(path: &Path, monitor: &str, name: &str, nf: usize) -> Result<ndarray::Array2<f64>, OutputError> {
    let what = format!("monitors/{monitor}/{name}");
    let h5 = |source| OutputError::Hdf5 {
        path: path.to_path_buf(),
        what: format!("read {what}"),
        source,
    };
    let a = hdf5::File::with_options()
        .with_fapl(|p| p.file_locking(false))
        .open(path)
        .and_then(|f| f.dataset(&what))
        .and_then(|d| d.read_2d::<f64>())
        .map_err(h5)?;
    if a.nrows() != nf {
        return Err(OutputError::Format {
            path: path.to_path_buf(),
            name: what,
            reason: format!("has {} rows for {nf} wavelengths", a.nrows()),
        });
    }
    Ok(a)
}

impl Table {
    /// Every column name, in order.
    pub fn columns(&self) -> Vec<String> {
        let mut c: Vec<String> = ["index", "variant"].map(String::from).to_vec();
        c.extend(self.params.iter().cloned());
        c.extend(["status", "wall_time_s"].map(String::from));
        c.extend(self.metric_columns());
        c.extend(["file", "error", "warnings"].map(String::from));
        c
    }

    /// Result columns in order of first appearance over the rows.
    pub fn metric_columns(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for r in &self.rows {
            for (name, _) in &r.metrics {
                if seen.insert(name.as_str()) {
                    out.push(name.clone());
                }
            }
        }
        out
    }

    /// The cells of every row, in [`Table::columns`] order; empty where a
    /// row has no value.
    pub fn cells(&self) -> Vec<Vec<String>> {
        let metrics = self.metric_columns();
        self.rows
            .iter()
            .map(|r| {
                let mut c = vec![r.index.to_string(), r.variant.clone()];
                c.extend(r.params.iter().cloned());
                c.push(r.status.clone());
                c.push(r.wall_time_s.map(fmt_f64).unwrap_or_default());
                c.extend(
                    metrics
                        .iter()
                        .map(|m| r.metrics.iter().find(|(n, _)| n == m).map(|(_, v)| fmt_f64(*v)).unwrap_or_default()),
                );
                c.push(r.file.clone());
                c.push(r.error.clone());
                c.push(r.warnings.clone());
                c
            })
            .collect()
    }

    /// Counts of rows by status: (ok, incomplete, failed, missing).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |s: &str| self.rows.iter().filter(|r| r.status == s).count();
        (n(STATUS_OK), n(STATUS_INCOMPLETE), n(STATUS_FAILED), n(STATUS_MISSING))
    }

    /// Write the table as CSV (RFC 4180, header line first), atomically.
    pub fn write_csv(&self, path: &Path) -> Result<(), SweepError> {
        write_atomic(path, |tmp| {
            let err = |what: &str| {
                let what = what.to_string();
                move |source| SweepError::Csv {
                    path: tmp.to_path_buf(),
                    what,
                    source,
                }
            };
            let mut w = csv::Writer::from_path(tmp).map_err(err("create"))?;
            w.write_record(self.columns()).map_err(err("write header"))?;
            for row in self.cells() {
                w.write_record(row).map_err(err("write row"))?;
            }
            w.flush().map_err(|source| SweepError::Io {
                path: tmp.to_path_buf(),
                what: "write".into(),
                source,
            })
        })
    }

    /// Read a table written by [`Table::write_csv`].
    pub fn read_csv(path: &Path) -> Result<Table, SweepError> {
        let err = |what: &'static str| {
            move |source| SweepError::Csv {
                path: path.to_path_buf(),
                what: what.into(),
                source,
            }
        };
        let bad = |reason: String| SweepError::TableFormat {
            path: path.to_path_buf(),
            reason,
        };
        let mut r = csv::Reader::from_path(path).map_err(err("open"))?;
        let header: Vec<String> = r.headers().map_err(err("read header"))?.iter().map(String::from).collect();
        let pos = |name: &str| header.iter().position(|h| h == name);
        let (Some(0), Some(1), Some(st), Some(wt), Some(fi), Some(er)) = (
            pos("index"),
            pos("variant"),
            pos("status"),
            pos("wall_time_s"),
            pos("file"),
            pos("error"),
        ) else {
            return Err(bad(format!("expected the columns of a lumen sweep summary (index, variant, ..., status, wall_time_s, ..., file, error), found {header:?}")));
        };
        // `warnings` came later: tables without it read as without warnings.
        let wa = pos("warnings");
        if !(st >= 2
            && wt == st + 1
            && fi > wt
            && er == fi + 1
            && er + 1 + usize::from(wa.is_some()) == header.len()
            && wa.is_none_or(|w| w == er + 1))
        {
            return Err(bad(format!("columns out of order: {header:?}")));
        }
        let num = |s: &str, col: &str, line: usize| -> Result<Option<f64>, SweepError> {
            if s.is_empty() {
                return Ok(None);
            }
            s.parse()
                .map(Some)
                .map_err(|_| bad(format!("line {line}, column `{col}`: expected a number, found `{s}`")))
        };
        let mut rows = Vec::new();
        for (k, rec) in r.records().enumerate() {
            let rec = rec.map_err(err("read row"))?;
            let line = k + 2;
            let cell = |i: usize| rec.get(i).unwrap_or("").to_string();
            let index = cell(0)
                .parse()
                .map_err(|_| bad(format!("line {line}, column `index`: expected an integer, found `{}`", cell(0))))?;
            let mut metrics = Vec::new();
            for (i, name) in header.iter().enumerate().take(fi).skip(wt + 1) {
                if let Some(v) = num(&cell(i), name, line)? {
                    metrics.push((name.clone(), v));
                }
            }
            rows.push(Row {
                index,
                variant: cell(1),
                params: (2..st).map(cell).collect(),
                status: cell(st),
                wall_time_s: num(&cell(wt), "wall_time_s", line)?,
                metrics,
                file: cell(fi),
                error: cell(er),
                warnings: wa.map(cell).unwrap_or_default(),
            });
        }
        Ok(Table {
            params: header[2..st].to_vec(),
            rows,
        })
    }

    /// Write the table as HDF5, atomically: group `/table` holds one 1D
    /// dataset per column (int64 `index`; float64 where every cell is a
    /// number or empty, NaN for empty; UTF-8 strings otherwise), in column
    /// order, listed by its attribute `columns`.
    pub fn write_hdf5(&self, path: &Path, info: &TableInfo) -> Result<(), SweepError> {
        write_atomic(path, |tmp| {
            let e = |what: String| {
                move |source| SweepError::Hdf5 {
                    path: tmp.to_path_buf(),
                    what,
                    source,
                }
            };
            let file = hdf5::File::with_options()
                .with_fapl(|p| p.file_locking(false))
                .create(tmp)
                .map_err(e("create file".into()))?;
            let root: &hdf5::Location = &file;
            let attrs = [
                ("program", "lumen-fdtd"),
                ("version", env!("CARGO_PKG_VERSION")),
                ("kind", "sweep_summary"),
                ("sweep", info.sweep.as_str()),
                ("sweep_file", info.sweep_file.as_str()),
                ("base_scene", info.base_scene.as_str()),
                ("shard", info.shard.as_str()),
            ];
            for (name, value) in attrs {
                let v = varlen(tmp, name, value)?;
                root.new_attr::<VarLenUnicode>()
                    .create(name)
                    .and_then(|a| a.write_scalar(&v))
                    .map_err(e(format!("write attribute `{name}`")))?;
            }
            let g = file
                .create_group_builder()
                .with_gcpl(|p| p.link_creation_order(hdf5::plist::group_create::LinkCreationOrder::Indexed))
                .create("table")
                .map_err(e("create group `table`".into()))?;
            let columns = self.columns();
            let names: Vec<VarLenUnicode> = columns.iter().map(|c| varlen(tmp, "columns", c)).collect::<Result<_, _>>()?;
            g.new_attr_builder()
                .with_data(&names)
                .create("columns")
                .map_err(e("write attribute `columns` of /table".into()))?;
            let cells = self.cells();
            for (i, name) in columns.iter().enumerate() {
                let col: Vec<&str> = cells.iter().map(|r| r[i].as_str()).collect();
                let numeric = !matches!(name.as_str(), "variant" | "status" | "file" | "error" | "warnings")
                    && col.iter().all(|c| c.is_empty() || c.parse::<f64>().is_ok());
                let made = if name == "index" {
                    let v: Vec<i64> = self.rows.iter().map(|r| r.index as i64).collect();
                    g.new_dataset_builder().with_data(&v).create(name.as_str())
                } else if numeric {
                    let v: Vec<f64> = col.iter().map(|c| c.parse().unwrap_or(f64::NAN)).collect();
                    g.new_dataset_builder().with_data(&v).create(name.as_str())
                } else {
                    let v: Vec<VarLenUnicode> = col.iter().map(|c| varlen(tmp, name, c)).collect::<Result<_, _>>()?;
                    g.new_dataset_builder().with_data(&v).create(name.as_str())
                };
                made.map_err(e(format!("write dataset `table/{name}`")))?;
            }
            drop(g);
            file.close().map_err(e("close".into()))?;
            std::fs::File::open(tmp)
                .and_then(|f| f.sync_all())
                .map_err(|source| SweepError::Io {
                    path: tmp.to_path_buf(),
                    what: "sync".into(),
                    source,
                })
        })
    }
}

fn varlen(path: &Path, what: &str, s: &str) -> Result<VarLenUnicode, SweepError> {
    s.parse().map_err(|e| SweepError::TableFormat {
        path: path.to_path_buf(),
        reason: format!("`{what}`: not storable as an HDF5 string: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            params: vec!["sources.0.wavelength_um".into(), "geometry.0.material".into()],
            rows: vec![
                Row {
                    index: 0,
                    variant: "0000-aaaaaaaa".into(),
                    params: vec!["0.45".into(), "glass, \"fine\"".into()],
                    status: STATUS_OK.into(),
                    wall_time_s: Some(1.25),
                    metrics: vec![("up.flux@0.45um".into(), 0.1 + 0.2), ("up.ratio@0.45um".into(), 1e-9)],
                    file: "0000-aaaaaaaa.h5".into(),
                    error: String::new(),
                    warnings: String::new(),
                },
                Row {
                    index: 1,
                    variant: "0001-bbbbbbbb".into(),
                    params: vec!["-0.5".into(), "gan".into()],
                    status: STATUS_FAILED.into(),
                    wall_time_s: None,
                    metrics: vec![],
                    file: String::new(),
                    error: "s.toml:3: sources.0.wavelength_um: expected a positive number, found -0.5\nsecond line".into(),
                    warnings: String::new(),
                },
                Row {
                    index: 2,
                    variant: "0002-cccccccc".into(),
                    params: vec!["0.5".into(), "gan".into()],
                    status: STATUS_OK.into(),
                    wall_time_s: Some(0.5),
                    metrics: vec![("down.flux@0.5um".into(), -3.0), ("up.flux@0.45um".into(), f64::NAN)],
                    file: "0002-cccccccc.h5".into(),
                    error: String::new(),
                    warnings: "s.toml:9: monitors.0.center_um: 1.0 cells from the ymax PML\nanother, \"quoted\"".into(),
                },
            ],
        }
    }

    #[test]
    fn csv_round_trip_is_exact() {
        let dir = std::env::temp_dir().join(format!("lumen-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.csv");
        let t = table();
        assert_eq!(
            t.columns(),
            [
                "index",
                "variant",
                "sources.0.wavelength_um",
                "geometry.0.material",
                "status",
                "wall_time_s",
                "up.flux@0.45um",
                "up.ratio@0.45um",
                "down.flux@0.5um",
                "file",
                "error",
                "warnings"
            ]
        );
        t.write_csv(&p).unwrap();
        let back = Table::read_csv(&p).unwrap();
        // NaN != NaN: compare the text.
        assert_eq!(back.cells(), t.cells());
        assert_eq!(back.rows[0].metrics[0].1.to_bits(), (0.1f64 + 0.2).to_bits());
        t.write_hdf5(&dir.join("t.h5"), &TableInfo::default()).unwrap();
        let f = hdf5::File::open(dir.join("t.h5")).unwrap();
        let flux: Vec<f64> = f.dataset("table/up.flux@0.45um").unwrap().read_raw().unwrap();
        assert_eq!(flux[0], 0.1 + 0.2);
        assert!(flux[1].is_nan() && flux[2].is_nan());
        let idx: Vec<i64> = f.dataset("table/index").unwrap().read_raw().unwrap();
        assert_eq!(idx, [0, 1, 2]);
        let err: Vec<VarLenUnicode> = f.dataset("table/error").unwrap().read_raw().unwrap();
        assert!(err[1].as_str().ends_with("second line"));
        let warn: Vec<VarLenUnicode> = f.dataset("table/warnings").unwrap().read_raw().unwrap();
        assert!(warn[2].as_str().ends_with("\"quoted\"") && warn[0].is_empty());
        // A summary written before the `warnings` column reads as without warnings.
        let old = dir.join("old.csv");
        let mut w = csv::Writer::from_path(&old).unwrap();
        let columns = t.columns();
        w.write_record(&columns[..columns.len() - 1]).unwrap();
        for row in t.cells() {
            w.write_record(&row[..row.len() - 1]).unwrap();
        }
        w.flush().unwrap();
        drop(w);
        let back = Table::read_csv(&old).unwrap();
        assert_eq!(back.rows[0].error, "");
        assert!(back.rows.iter().all(|r| r.warnings.is_empty()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn metrics_of_every_spectral_monitor() {
        use crate::monitor::dft::{MonitorData, MonitorResult};
        use crate::output::{NormalizedFlux, RunRecord};
        use num_complex::Complex64;
        let grid = crate::Grid::new([2.0, 2.0, 0.0], 10.0, 0.5, crate::Dimensions::Two(crate::Polarization::Tm)).unwrap();
        let wl = vec![0.5, 0.6];
        let monitors = vec![
            MonitorResult {
                name: "trans".into(),
                data: MonitorData::Flux {
                    wavelengths_um: wl.clone(),
                    flux: vec![1.5, 2.5],
                    faces: vec![],
                },
            },
            MonitorResult {
                name: "src".into(),
                data: MonitorData::SourcePower {
                    wavelengths_um: wl.clone(),
                    power: vec![4.0, 8.0],
                    source_spectrum: vec![Complex64::new(2.0, 0.0); 2],
                },
            },
            MonitorResult {
                name: "far".into(),
                data: MonitorData::FarField {
                    wavelengths_um: wl.clone(),
                    theta: vec![1.0, 2.0],
                    phi: vec![0.0, 0.0],
                    weight: vec![0.5, 0.5],
                    intensity: vec![vec![1.0, 2.0], vec![3.0, 4.0]],
                    flux: vec![1.25, 2.0],
                    total: vec![1.5, 3.5],
                    na: Some(0.5),
                    na_fraction: Some(vec![0.25, 0.75]),
                    n_background: 1.0,
                    polarized: None,
                    plane: None,
                    source_fraction: None,
                },
            },
            MonitorResult {
                name: "port".into(),
                data: MonitorData::Mode {
                    wavelengths_um: wl.clone(),
                    n_eff: vec![vec![1.45, 1.2], vec![1.44]],
                    forward: vec![vec![0.7, 0.1], vec![0.6]],
                    backward: vec![vec![0.01, 0.02], vec![0.03]],
                    forward_amplitude: Vec::new(),
                    backward_amplitude: Vec::new(),
                    flux: vec![0.9, 0.8],
                },
            },
            MonitorResult {
                name: "core".into(),
                data: MonitorData::Acceptance {
                    wavelengths_um: wl.clone(),
                    na: 0.2,
                    core_size: 3.0,
                    accepted: vec![0.25, 0.5],
                    core_flux: vec![0.75, 1.0],
                    flux: vec![1.0, 2.0],
                },
            },
        ];
        let normalized = vec![NormalizedFlux {
            monitor: "trans".into(),
            reference_file: "ref.h5".into(),
            incident_monitor: "trans".into(),
            incident_flux: vec![3.0, 5.0],
            scattered_flux: None,
            ratio: vec![0.5, 0.5],
        }];
        let rec = RunRecord {
            program_version: "test",
            scene_text: "x",
            scene_path: "x.toml",
            grid: &grid,
            origin_offset_um: [1.0, 1.0, 0.0],
            steps: 10,
            wall_time_s: 0.25,
            adapter: "none",
            complete: true,
            stop_reason: "done",
            probes: &[],
            monitors: &monitors,
            normalized: &normalized,
            extra: &[],
            warnings: &[],
        };
        let dir = std::env::temp_dir().join(format!("lumen-metrics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("r.h5");
        crate::output::write(&p, &rec).unwrap();
        let (summary, m) = metrics_from_file(&p).unwrap();
        assert!(summary.complete);
        let get = |n: &str| {
            m.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| *v)
                .unwrap_or_else(|| panic!("no {n} in {m:?}"))
        };
        assert_eq!(get("trans.flux@0.6um"), 2.5);
        assert_eq!(get("trans.ratio@0.5um"), 0.5);
        assert_eq!(get("src.power@0.6um"), 8.0);
        assert_eq!(get("src.power_per_unit_source@0.5um"), 1.0);
        assert_eq!(get("port.flux@0.5um"), 0.9);
        assert_eq!(get("port.forward1@0.6um"), 0.6);
        assert_eq!(get("port.forward2@0.5um"), 0.1);
        assert!(get("port.forward2@0.6um").is_nan());
        assert_eq!(get("port.backward2@0.5um"), 0.02);
        assert_eq!(get("far.total@0.6um"), 3.5);
        assert_eq!(get("far.na_fraction@0.6um"), 0.75);
        assert!(!m.iter().any(|(k, _)| k.starts_with("far.intensity")));
        assert_eq!(get("core.accepted@0.6um"), 0.5);
        assert_eq!(get("core.core_flux@0.5um"), 0.75);
        assert_eq!(get("core.flux@0.6um"), 2.0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn labels() {
        assert_eq!(wavelength_label(0.6), "0.6um");
        assert_eq!(wavelength_label(0.45000000001), "0.45um");
        assert_eq!(wavelength_label(1.0), "1um");
        assert_eq!(wavelength_label(0.4736842105263158), "0.473684um");
        assert_eq!(split_metric("trans.ratio@0.473684um"), Some(("trans.ratio", 0.473684)));
        assert_eq!(split_metric("x"), None);
    }
}
