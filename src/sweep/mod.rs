//! Parameter studies: many variants of one scene, run from one command
//! (`lumen sweep`), sharded over a cluster's job array, gathered into one
//! summary table; and side-by-side comparison of results (`lumen compare`).
//!
//! - [`spec`]: the sweep file (TOML, `docs/sweeps.md`) or the `--vary` flags,
//!   expanded into [`Variant`]s in a fixed order with stable ids.
//! - [`runner`]: runs the variants of a shard one after the other on one GPU
//!   context, skipping those with a complete result, recording failures, and
//!   writes the summary after every variant; [`runner::collect`] merges.
//! - [`table`]: the summary table (CSV and HDF5) and the scalar results read
//!   from a result file.
//! - [`compare`]: the comparison table and plot of several results.
//!
//! # Conventions
//! - A variant is the base scene with `--set KEY=VALUE` overrides, exactly as
//!   `lumen run BASE --set ...` would read it; its result file is
//!   `<output>/<id>.h5` with `id` = zero-padded index + `-` + 8 hex digits of
//!   a hash of the varied keys and values (FNV-1a, stable across versions).
//! - Shards are numbered from 0: shard I of N holds the variants whose index
//!   is I modulo N.
//! - A result is reused when its file is complete, holds the same resolved
//!   scene text as the variant (so editing the base scene reruns everything)
//!   and is normalised exactly when the sweep has a reference.
//!
//! # Not supported yet
//! Variants run one at a time (no concurrent variants on one GPU). Each
//! variant builds its own pipelines (`GpuStepper::new`); only the adapter and
//! device are shared. No per-variant `--reference` other than `empty`.

pub mod compare;
pub mod runner;
pub mod spec;
pub mod table;

use std::path::PathBuf;

use thiserror::Error;

use crate::output::OutputError;
use crate::scene::SceneError;

pub use runner::{collect, run_sweep, Shard, SweepOptions, SweepReport};
pub use spec::{Parameter, ReferenceRun, Sweep, Variant};
pub use table::{Row, Table};

/// Exit code of `lumen sweep` and `lumen sweep --collect` when some variants
/// failed, are incomplete or are missing (the others completed).
pub const EXIT_SOME_FAILED: u8 = 4;

/// What went wrong with a sweep as a whole (a failing variant is not an
/// error: it is a row of the table).
#[derive(Debug, Error)]
pub enum SweepError {
    /// A key of the sweep file (or a flag) is unknown, missing, of the wrong
    /// type or out of range; `line` is 1-based.
    #[error("{file}{}: {}expected {expected}, found {found}", line.map_or(String::new(), |l| format!(":{l}")), if key.is_empty() { String::new() } else { format!("{key}: ") })]
    Invalid {
        file: String,
        line: Option<usize>,
        key: String,
        expected: String,
        found: String,
    },
    /// The sweep file is not valid TOML or does not match the schema (the
    /// message carries the line and a snippet).
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    /// The base scene itself does not load.
    #[error("base scene: {0}")]
    BaseScene(#[source] SceneError),
    #[error("{}: {what}: {source}", path.display())]
    Io {
        path: PathBuf,
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A summary table could not be read or written.
    #[error("{}: {what}: {source}", path.display())]
    Csv {
        path: PathBuf,
        what: String,
        #[source]
        source: csv::Error,
    },
    /// A summary table is not in the layout `docs/sweeps.md` describes.
    #[error("{}: {reason}", path.display())]
    TableFormat { path: PathBuf, reason: String },
    #[error("{}: {what}: {source}", path.display())]
    Hdf5 {
        path: PathBuf,
        what: String,
        #[source]
        source: hdf5::Error,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
    /// No GPU context could be created.
    #[error("{0}")]
    Gpu(String),
    /// `lumen compare`: a request that does not fit the inputs.
    #[error("{0}")]
    Request(String),
    #[error("plot: {0}")]
    Plot(String),
}

impl SweepError {
    /// Whether the user's input is at fault (exit code 2) rather than the
    /// machine (exit code 3).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            SweepError::Invalid { .. }
                | SweepError::Syntax { .. }
                | SweepError::BaseScene(_)
                | SweepError::TableFormat { .. }
                | SweepError::Request(_)
        ) || matches!(self, SweepError::Output(OutputError::Format { .. }))
            || matches!(self, SweepError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// FNV-1a, 64 bit: a hash that does not change between Rust versions or
/// platforms (std's `DefaultHasher` may), for variant ids and reference runs.
pub fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A number as a table cell: the shortest text that reads back as the same
/// f64 (Rust's `Display`, exponent form outside 1e-4..1e15), `nan`, `inf`.
pub fn fmt_f64(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else if v == 0.0 || (1e-4..1e15).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Write `bytes` to `path` through a temporary beside it and a rename, so a
/// reader never sees half a file and two writers never share a temporary.
pub(crate) fn write_atomic(
    path: &std::path::Path,
    write: impl FnOnce(&std::path::Path) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        SweepError::Io {
            path: path.to_path_buf(),
            what: format!("rename {} over it", tmp.display()),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_hash_is_fnv1a() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(stable_hash(""), 0xcbf29ce484222325);
        assert_eq!(stable_hash("a"), 0xaf63dc4c8601ec8c);
        assert_eq!(stable_hash("foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn numbers_round_trip_through_text() {
        for v in [0.0, 0.45, 1.0, -2.5, 1e-7, 3.0e20, 0.1 + 0.2, 123456.789, f64::MIN_POSITIVE, -0.0] {
            let t = fmt_f64(v);
            assert_eq!(t.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{v} -> {t}");
        }
        assert_eq!(fmt_f64(0.45), "0.45");
        assert_eq!(fmt_f64(1e-7), "1e-7");
        assert!(fmt_f64(f64::NAN).parse::<f64>().unwrap().is_nan());
        assert_eq!(fmt_f64(f64::INFINITY).parse::<f64>().unwrap(), f64::INFINITY);
    }
}
