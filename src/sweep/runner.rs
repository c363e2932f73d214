//! Running a sweep: the variants of one shard, one after the other, on one
//! GPU context; resuming; reference runs; the summary after every variant;
//! and `--collect`, which merges the shards' results.
//!
//! A variant never stops the sweep: whatever goes wrong with it becomes its
//! row's status and error. Only Ctrl-C, a GPU that cannot be opened, or an
//! output folder that cannot be written end the sweep early.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::spec::{cell_text, ReferenceRun, Sweep, Variant};
use super::table::{metrics_from_file, Row, Table, TableInfo, STATUS_FAILED, STATUS_INCOMPLETE, STATUS_MISSING, STATUS_OK};
use super::{stable_hash, SweepError};
use crate::engine::{Backend, Engine};
use crate::output::read_summary;
use crate::run::{run_scene, ProgressMode, RunError, RunOptions};
use crate::scene::{self, Scene};

/// `--shard I/N`: the I-th of N interleaved slices, I from 0 to N - 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("expected I/N with 0 <= I < N (shards are numbered from 0), found `{s}`");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            let hint = if index == count && count > 0 {
                "; with a 1-based job array index (sbatch --array=1-N) pass $((SLURM_ARRAY_TASK_ID - 1))"
            } else {
                ""
            };
            return Err(format!("{}{hint}", bad()));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether variant `index` belongs to this shard.
    pub fn holds(&self, index: usize) -> bool {
        index % self.count == self.index
    }
}

/// File name (without extension) of the summary a run writes.
pub fn summary_stem(shard: Option<Shard>) -> String {
    match shard {
        Some(s) => format!("summary-shard-{}-of-{}", s.index, s.count),
        None => "summary".into(),
    }
}

pub struct SweepOptions {
    /// The output folder (created if needed).
    pub output: PathBuf,
    pub shard: Option<Shard>,
    /// Bar: an indicatif bar over variants with a line per variant above it;
    /// Lines: a line per variant; None: silent.
    pub progress: ProgressMode,
    /// Set by a Ctrl-C handler: the running variant stops and is written
    /// incomplete, and the sweep ends.
    pub interrupt: Arc<AtomicBool>,
    /// Warnings of a variant's scene fail it (`--strict`).
    pub strict: bool,
    /// The backend asked for; the engine is opened on first need (a sweep
    /// whose variants are all done opens none) and shared by every variant.
    pub backend: Backend,
}

/// What a sweep or a collect did.
#[derive(Debug)]
pub struct SweepReport {
    pub output: PathBuf,
    pub summary_csv: PathBuf,
    pub summary_h5: PathBuf,
    /// The rows of this shard (all variants for a whole sweep or a collect).
    pub table: Table,
    /// Variants run by this process.
    pub ran: usize,
    /// Variants whose complete result was already there.
    pub skipped: usize,
    /// Ctrl-C ended the sweep.
    pub interrupted: bool,
    /// The adapter used, when a variant was run.
    pub adapter: Option<String>,
}

impl SweepReport {
    /// Every variant of the table is `ok`.
    pub fn all_ok(&self) -> bool {
        self.table.rows.iter().all(|r| r.status == STATUS_OK)
    }

    /// The report as JSON: counts, files and the rows (`lumen sweep --json`).
    pub fn to_json(&self) -> serde_json::Value {
        let (ok, incomplete, failed, missing) = self.table.counts();
        let columns = self.table.columns();
        let rows: Vec<serde_json::Value> = self
            .table
            .cells()
            .into_iter()
            .map(|cells| {
                serde_json::Value::Object(
                    columns
                        .iter()
                        .cloned()
                        .zip(cells.into_iter().map(serde_json::Value::from))
                        .collect(),
                )
            })
            .collect();
        json!({
            "output": self.output, "summary_csv": self.summary_csv, "summary_h5": self.summary_h5,
            "variants": self.table.rows.len(), "ran": self.ran, "skipped": self.skipped,
            "ok": ok, "incomplete": incomplete, "failed": failed, "missing": missing,
            "interrupted": self.interrupted, "adapter": self.adapter, "columns": columns, "rows": rows,
        })
    }
}

fn info(sweep: &Sweep, shard: Option<Shard>) -> TableInfo {
    TableInfo {
        sweep: sweep.text.clone(),
        sweep_file: sweep.file.clone(),
        base_scene: sweep.base.display().to_string(),
        shard: shard.map(|s| s.to_string()).unwrap_or_default(),
    }
}

fn io_err(path: &Path, what: &str) -> impl FnOnce(std::io::Error) -> SweepError {
    let (path, what) = (path.to_path_buf(), what.to_string());
    move |source| SweepError::Io { path, what, source }
}

/// The row of a variant that has not run.
fn missing_row(v: &Variant) -> Row {
    Row {
        index: v.index,
        variant: v.id.clone(),
        params: v.values.iter().map(cell_text).collect(),
        status: STATUS_MISSING.into(),
        wall_time_s: None,
        metrics: Vec::new(),
        file: String::new(),
        error: String::new(),
        warnings: String::new(),
    }
}

fn failed_row(v: &Variant, error: String) -> Row {
    Row {
        status: STATUS_FAILED.into(),
        error,
        ..missing_row(v)
    }
}

/// The row read from a variant's result file; `error` explains an
/// incomplete file (else its stop reason does).
fn file_row(v: &Variant, dir: &Path, error: Option<String>) -> Row {
    let name = format!("{}.h5", v.id);
    match metrics_from_file(&dir.join(&name)) {
        Ok((s, metrics)) => Row {
            status: if s.complete { STATUS_OK } else { STATUS_INCOMPLETE }.into(),
            wall_time_s: Some(s.wall_time_s),
            metrics,
            file: name,
            error: if s.complete {
                String::new()
            } else {
                error.unwrap_or(s.stop_reason)
            },
            warnings: s.warnings.join("\n"),
            ..missing_row(v)
        },
        Err(e) => Row {
            file: name,
            ..failed_row(v, format!("reading the result: {e}"))
        },
    }
}

/// Whether `path` holds a complete result of exactly this scene, normalised
/// when the sweep asks for it (and not when it does not).
fn is_done(path: &Path, scene: &Scene, sweep: &Sweep) -> bool {
    let normalized = sweep.reference != ReferenceRun::None && !scene.flux_normalization.is_empty();
    matches!(read_summary(path), Ok(s) if s.complete && s.scene == scene.text && s.monitors.iter().any(|m| m.normalized) == normalized)
}

/// The hash of what an empty-geometry reference run depends on: the
/// resolved scene without its `[[geometry]]` and `run.output`, and the stop
/// condition (whose default `max_fs` depends on the geometry's materials).
fn reference_key(empty: &Scene) -> String {
    let text = match empty.text.parse::<toml_edit::DocumentMut>() {
        Ok(mut doc) => {
            doc.remove("geometry");
            if let Some(run) = doc.get_mut("run").and_then(|r| r.as_table_like_mut()) {
                run.remove("output");
            }
            doc.to_string()
        }
        Err(_) => empty.text.clone(),
    };
    format!("{:016x}", stable_hash(&format!("{text}\n{:?}", empty.stop)))
}

/// Why a variant did not produce a complete result.
enum Failure {
    /// Recorded in its row; the sweep goes on.
    Variant(String),
    /// Ctrl-C.
    Interrupted,
    /// No GPU: the sweep ends.
    Gpu(String),
}

struct Runner<'a> {
    sweep: &'a Sweep,
    opts: &'a SweepOptions,
    engine: Option<Engine>,
    progress: Progress,
}

impl Runner<'_> {
    fn engine(&mut self) -> Result<Engine, Failure> {
        if let Some(e) = &self.engine {
            return Ok(e.clone());
        }
        let sel = Engine::select(self.opts.backend).map_err(|e| Failure::Gpu(e.to_string()))?;
        self.progress.say(format!("engine: {} ({})", sel.engine.describe(), sel.reason));
        self.engine = Some(sel.engine.clone());
        Ok(sel.engine)
    }

    fn run(&mut self, scene: &Scene, output: &Path, reference: Option<PathBuf>) -> Result<(), (Failure, bool)> {
        let engine = self.engine().map_err(|f| (f, false))?;
        let opts = RunOptions {
            output: output.to_path_buf(),
            reference,
            progress: ProgressMode::None,
            interrupt: self.opts.interrupt.clone(),
        };
        run_scene(scene, &engine, &opts).map(drop).map_err(|e| {
            let written = output.exists();
            match e {
                RunError::Interrupted => (Failure::Interrupted, written),
                e => (Failure::Variant(e.to_string()), written),
            }
        })
    }

    /// The reference run of a variant (`--empty`), shared by variants with
    /// the same [`reference_key`]: `refs/<key>.h5` in the output folder.
    fn empty_reference(&mut self, overrides: &[String]) -> Result<PathBuf, Failure> {
        let empty = scene::load(&self.sweep.base, overrides, true).map_err(|e| Failure::Variant(format!("reference run: {e}")))?;
        let dir = self.opts.output.join("refs");
        let path = dir.join(format!("{}.h5", reference_key(&empty)));
        if matches!(read_summary(&path), Ok(s) if s.complete) {
            return Ok(path);
        }
        // Written under a name of this process, then renamed: shards that
        // need the same reference at once never write one file together.
        let tmp = dir.join(format!("{}.{}.h5", reference_key(&empty), std::process::id()));
        let done = self.run(&empty, &tmp, None);
        if let Err((f, _)) = done {
            let _ = std::fs::remove_file(&tmp);
            return Err(match f {
                Failure::Variant(e) => Failure::Variant(format!("reference run: {e}")),
                f => f,
            });
        }
        std::fs::rename(&tmp, &path)
            .map_err(|e| Failure::Variant(format!("reference run: rename {} to {}: {e}", tmp.display(), path.display())))?;
        Ok(path)
    }

    /// Run one variant (or reuse its result); its row, and whether it ran.
    fn variant(&mut self, v: &Variant, adopt: &mut HashMap<String, PathBuf>) -> Result<(Row, bool), Failure> {
        let sweep = self.sweep;
        let dir = &self.opts.output;
        let overrides = sweep.overrides(v);
        let mut scene = match scene::load(&sweep.base, &overrides, false) {
            Ok(s) => s,
            Err(e) => return Ok((failed_row(v, e.to_string()), false)),
        };
        if !matches!(sweep.reference, ReferenceRun::None) && !scene.flux_normalization.is_empty() {
            let extra = scene.reference_warnings();
            scene.warnings.extend(extra);
        }
        for w in &scene.warnings {
            self.progress.say(format!("{}: warning: {w}", v.id));
        }
        if self.opts.strict && !scene.warnings.is_empty() {
            let first = scene.warnings[0].to_string();
            return Ok((
                Row {
                    warnings: scene.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("\n"),
                    ..failed_row(v, format!("{} warning(s) and --strict: {first}", scene.warnings.len()))
                },
                false,
            ));
        }
        let output = dir.join(format!("{}.h5", v.id));
        // A result of the same values under another index (values were
        // added before it in the sweep file): take it over.
        if !output.exists() {
            if let Some(old) = adopt.get(&v.hash) {
                if is_done(old, &scene, sweep) && std::fs::rename(old, &output).is_ok() {
                    adopt.remove(&v.hash);
                }
            }
        }
        if output.exists() {
            if is_done(&output, &scene, sweep) {
                return Ok((file_row(v, dir, None), false));
            }
            // Incomplete, or of another scene: run again, and never mistake
            // the old file for this run's.
            if let Err(e) = std::fs::remove_file(&output) {
                return Ok((failed_row(v, format!("remove stale {}: {e}", output.display())), false));
            }
        }
        let reference = match &sweep.reference {
            ReferenceRun::None => None,
            ReferenceRun::File(p) => Some(p.clone()),
            // Nothing to normalise: no reference run.
            ReferenceRun::Empty if scene.flux_normalization.is_empty() => None,
            ReferenceRun::Empty => match self.empty_reference(&overrides) {
                Ok(p) => Some(p),
                Err(Failure::Variant(e)) => return Ok((failed_row(v, e), true)),
                Err(f) => return Err(f),
            },
        };
        match self.run(&scene, &output, reference) {
            Ok(()) => Ok((file_row(v, dir, None), true)),
            Err((Failure::Variant(e), written)) => Ok((if written { file_row(v, dir, Some(e)) } else { failed_row(v, e) }, true)),
            Err((f, _)) => Err(f),
        }
    }
}

/// Checks that need no variant: the base scene (with the fixed overrides)
/// loads, and a reference file is a result file.
fn check(sweep: &Sweep) -> Result<(), SweepError> {
    scene::load(&sweep.base, &sweep.set, false).map_err(SweepError::BaseScene)?;
    if let ReferenceRun::File(p) = &sweep.reference {
        if !p.exists() {
            return Err(SweepError::Invalid {
                file: sweep.file.clone(),
                line: None,
                key: "reference".into(),
                expected: "an existing result file or \"empty\"".into(),
                found: format!("{} (no such file)", p.display()),
            });
        }
        read_summary(p)?;
    }
    Ok(())
}

/// Progress over variants.
struct Progress {
    mode: ProgressMode,
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    fn new(mode: ProgressMode, total: usize) -> Progress {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} variants  {msg}  elapsed {elapsed}  ETA {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        Progress { mode, bar, total, done: 0 }
    }

    fn say(&self, line: String) {
        match (&self.bar, self.mode) {
            (Some(b), _) => b.println(line),
            (None, ProgressMode::Lines) => eprintln!("{line}"),
            _ => {}
        }
    }

    fn start(&self, id: &str) {
        if let Some(b) = &self.bar {
            b.set_message(format!("running {id}"));
        }
    }

    fn variant(&mut self, sweep: &Sweep, v: &Variant, row: &Row, ran: bool, seconds: f64) {
        self.done += 1;
        let width = self.total.to_string().len();
        let outcome = match (row.status.as_str(), ran) {
            (STATUS_OK, false) => "skipped (complete result)".to_string(),
            (STATUS_OK, true) => format!("ok  {seconds:.1} s"),
            (STATUS_INCOMPLETE, _) => format!("INCOMPLETE  {seconds:.1} s: {}", row.error),
            (_, _) => format!("FAILED: {}", row.error),
        };
        self.say(format!(
            "[{:>width$}/{}] {}  {}  {outcome}",
            self.done,
            self.total,
            v.id,
            sweep.describe(v)
        ));
        if let Some(b) = &self.bar {
            b.set_position(self.done as u64);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Run the variants of `opts.shard` (all without one), skipping those with
/// a complete result, and write `summary.csv`/`.h5` (a shard:
/// `summary-shard-I-of-N.csv`/`.h5`) in the output folder after each.
pub fn run_sweep(sweep: &Sweep, opts: &SweepOptions) -> Result<SweepReport, SweepError> {
    check(sweep)?;
    let dir = &opts.output;
    std::fs::create_dir_all(dir).map_err(io_err(dir, "create output folder"))?;
    if sweep.reference == ReferenceRun::Empty {
        let refs = dir.join("refs");
        std::fs::create_dir_all(&refs).map_err(io_err(&refs, "create folder"))?;
    }
    let mine: Vec<&Variant> = sweep
        .variants
        .iter()
        .filter(|v| opts.shard.is_none_or(|s| s.holds(v.index)))
        .collect();
    // Result files not named after a variant of this sweep, by hash.
    let ids: std::collections::HashSet<&str> = sweep.variants.iter().map(|v| v.id.as_str()).collect();
    let mut adopt: HashMap<String, PathBuf> = HashMap::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir, "list output folder"))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".h5") else { continue };
        if let (false, Some((_, hash))) = (ids.contains(stem), stem.split_once('-')) {
            adopt.insert(hash.to_string(), entry.path());
        }
    }

    let stem = summary_stem(opts.shard);
    let mut report = SweepReport {
        output: dir.clone(),
        summary_csv: dir.join(format!("{stem}.csv")),
        summary_h5: dir.join(format!("{stem}.h5")),
        table: Table {
            params: sweep.parameters.iter().map(|p| p.column.clone()).collect(),
            rows: mine.iter().map(|v| missing_row(v)).collect(),
        },
        ran: 0,
        skipped: 0,
        interrupted: false,
        adapter: None,
    };
    let info = info(sweep, opts.shard);
    let write = |r: &SweepReport| -> Result<(), SweepError> {
        r.table.write_csv(&r.summary_csv)?;
        r.table.write_hdf5(&r.summary_h5, &info)
    };
    let mut runner = Runner {
        sweep,
        opts,
        engine: None,
        progress: Progress::new(opts.progress, mine.len()),
    };
    let mut gpu_failure = None;
    for (k, v) in mine.iter().enumerate() {
        if opts.interrupt.load(Ordering::SeqCst) {
            report.interrupted = true;
            break;
        }
        runner.progress.start(&v.id);
        let started = Instant::now();
        let (row, ran) = match runner.variant(v, &mut adopt) {
            Ok(r) => r,
            Err(Failure::Interrupted) => {
                report.interrupted = true;
                let path = dir.join(format!("{}.h5", v.id));
                let row = if path.exists() {
                    file_row(v, dir, Some("interrupted (Ctrl-C)".into()))
                } else {
                    missing_row(v)
                };
                (row, true)
            }
            Err(Failure::Gpu(e)) => {
                gpu_failure = Some(e);
                break;
            }
            Err(Failure::Variant(e)) => (failed_row(v, e), true),
        };
        if ran {
            report.ran += 1;
        } else if row.status == STATUS_OK {
            report.skipped += 1;
        }
        runner.progress.variant(sweep, v, &row, ran, started.elapsed().as_secs_f64());
        report.table.rows[k] = row;
        report.adapter = runner.engine.as_ref().map(Engine::describe);
        write(&report)?;
        if report.interrupted {
            break;
        }
    }
    runner.progress.finish();
    write(&report)?;
    if let Some(e) = gpu_failure {
        return Err(SweepError::Gpu(e));
    }
    Ok(report)
}

/// Merge the results in `dir` into `summary.csv`/`.h5` there, as one
/// unsharded run of the whole sweep would have written them. Per variant:
/// a complete result file of its scene gives its row; else the newest
/// shard summary that ran it gives its row (failures and their errors);
/// else an incomplete result file; else it is `missing`. Runs nothing.
pub fn collect(sweep: &Sweep, dir: &Path) -> Result<SweepReport, SweepError> {
    check(sweep)?;
    // Summaries in the folder, newest first.
    let mut summaries: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir, "list folder"))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("summary") && name.ends_with(".csv") {
            let t = entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
            summaries.push((t, entry.path()));
        }
    }
    summaries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut recorded: HashMap<String, Row> = HashMap::new();
    for (_, path) in &summaries {
        for row in Table::read_csv(path)?.rows {
            if row.status == STATUS_FAILED || row.status == STATUS_INCOMPLETE {
                recorded.entry(row.variant.clone()).or_insert(row);
            }
        }
    }
    let mut rows = Vec::with_capacity(sweep.variants.len());
    for v in &sweep.variants {
        let scene = match scene::load(&sweep.base, &sweep.overrides(v), false) {
            Ok(s) => s,
            Err(e) => {
                rows.push(failed_row(v, e.to_string()));
                continue;
            }
        };
        let path = dir.join(format!("{}.h5", v.id));
        let summary = read_summary(&path).ok().filter(|s| s.scene == scene.text);
        let done = is_done(&path, &scene, sweep);
        rows.push(match (summary.as_ref().map(|s| s.complete), recorded.remove(&v.id)) {
            (Some(true), _) if done => file_row(v, dir, None),
            (_, Some(row)) => row,
            (Some(false), None) => file_row(v, dir, None),
            (Some(true), None) | (None, None) => missing_row(v),
        });
    }
    let report = SweepReport {
        output: dir.to_path_buf(),
        summary_csv: dir.join("summary.csv"),
        summary_h5: dir.join("summary.h5"),
        table: Table {
            params: sweep.parameters.iter().map(|p| p.column.clone()).collect(),
            rows,
        },
        ran: 0,
        skipped: 0,
        interrupted: false,
        adapter: None,
    };
    report.table.write_csv(&report.summary_csv)?;
    report.table.write_hdf5(&report.summary_h5, &info(sweep, None))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_numbered_from_zero() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        let e = "4/4".parse::<Shard>().unwrap_err();
        assert!(e.contains("SLURM_ARRAY_TASK_ID - 1"), "{e}");
        assert!("0/0".parse::<Shard>().is_err());
        assert!("a/2".parse::<Shard>().is_err());
        let s = Shard { index: 1, count: 3 };
        assert_eq!((0..9).filter(|&i| s.holds(i)).collect::<Vec<_>>(), [1, 4, 7]);
        assert_eq!(summary_stem(Some(s)), "summary-shard-1-of-3");
    }
}
