//! `lumen._lumen`: the native half of the Python module `lumen`.
//!
//! Thin bindings over the library API the `lumen` command calls
//! ([`lumen_fdtd::api`], [`lumen_fdtd::scene`], [`lumen_fdtd::sweep`],
//! [`lumen_fdtd::plot`]): nothing of a run (reading a scene with overrides,
//! choosing the engine, running, writing the result file, normalising,
//! keeping a partial file on Ctrl-C) is done here. What is here: turning
//! Python values into scene TOML, errors into exceptions, and Ctrl-C into
//! the library's interrupt flag. Results are read back in Python, from the
//! HDF5 file (`lumen/_result.py`), whose layout is docs/output-format.md.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

use lumen_fdtd::api::{self, ApiError, ErrorKind, Event, RunRequest};
use lumen_fdtd::engine::Backend;
use lumen_fdtd::plot::{self, ResultPlotOptions};
use lumen_fdtd::run::ProgressMode;
use lumen_fdtd::scene::{self, SceneError as RustSceneError};
use lumen_fdtd::sweep::{self, Shard, Sweep, SweepError, SweepOptions};

create_exception!(
    lumen,
    SceneError,
    PyValueError,
    "A scene that cannot be read: attributes file, line (1-based, or None), key (the dotted key path, \
     e.g. 'sources.0.wavelength_um'), expected, found."
);
create_exception!(
    lumen,
    RunError,
    PyRuntimeError,
    "A run, sweep or plot that failed: attribute kind ('input' for bad input found at run time, such \
     as a reference file that does not match, or 'runtime' for the engine or the file system) and \
     output (the result file, written and marked incomplete when the run got that far, else None)."
);
create_exception!(
    lumen,
    SceneWarning,
    PyUserWarning,
    "A dubious set-up (docs/scene-format.md, 'Checks of meaning'): the run goes ahead, and the warning \
     is stored in the result file."
);

/// Label of scene text that comes from no file, in messages.
const FROM_TEXT: &str = "<toml>";
const FROM_DICT: &str = "<dict>";

fn scene_error(py: Python<'_>, e: &RustSceneError) -> PyErr {
    let (file, line, key, expected, found) = match e {
        RustSceneError::Invalid {
            file,
            line,
            key,
            expected,
            found,
        } => (file.clone(), *line, Some(key.clone()), Some(expected.clone()), Some(found.clone())),
        RustSceneError::Engine { file, line, source } => (file.clone(), *line, None, None, Some(source.to_string())),
        RustSceneError::Io { path, source } => (path.display().to_string(), None, None, None, Some(source.to_string())),
    };
    let err = SceneError::new_err(e.to_string());
    let v = err.value(py);
    let _ = v.setattr("file", file);
    let _ = v.setattr("line", line);
    let _ = v.setattr("key", key.filter(|k| !k.is_empty()));
    let _ = v.setattr("expected", expected);
    let _ = v.setattr("found", found);
    err
}

/// A SceneError for a Python value that has no TOML form.
fn value_error(py: Python<'_>, file: &str, key: &str, found: String) -> PyErr {
    scene_error(
        py,
        &RustSceneError::Invalid {
            file: file.into(),
            line: None,
            key: key.into(),
            expected: "a TOML value: a number, string, boolean, list or dict with string keys".into(),
            found,
        },
    )
}

fn run_error(py: Python<'_>, message: String, kind: ErrorKind, output: Option<&Path>) -> PyErr {
    let err = RunError::new_err(message);
    let v = err.value(py);
    let _ = v.setattr(
        "kind",
        match kind {
            ErrorKind::BadInput => "input",
            ErrorKind::Runtime => "runtime",
            ErrorKind::Interrupted => "interrupted",
        },
    );
    let _ = v.setattr("output", output.filter(|p| p.exists()).map(|p| p.display().to_string()));
    err
}

/// A Python value as a TOML value; `key` (dotted path) and `file` name it in errors.
fn to_toml(py: Python<'_>, v: &Bound<'_, PyAny>, file: &str, key: &str) -> PyResult<toml::Value> {
    let join = |k: &str| if key.is_empty() { k.to_string() } else { format!("{key}.{k}") };
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return match v.extract::<i64>() {
            Ok(i) => Ok(toml::Value::Integer(i)),
            Err(_) => Err(value_error(py, file, key, format!("the integer {v}, beyond 64 bits"))),
        };
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(toml::Value::String(s.extract::<String>()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut t = toml::Table::new();
        for (k, item) in d.iter() {
            let Ok(k) = k.extract::<String>() else {
                return Err(value_error(py, file, key, format!("a dict key {}", k.repr()?)));
            };
            let value = to_toml(py, &item, file, &join(&k))?;
            t.insert(k, value);
        }
        return Ok(toml::Value::Table(t));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut a = Vec::new();
        for (i, item) in v.try_iter()?.enumerate() {
            a.push(to_toml(py, &item?, file, &join(&i.to_string()))?);
        }
        return Ok(toml::Value::Array(a));
    }
    // numpy arrays and scalars: their Python form.
    if v.hasattr("tolist")? && !v.is_none() {
        let plain = v.call_method0("tolist")?;
        if !plain.is(v) {
            return to_toml(py, &plain, file, key);
        }
    }
    Err(value_error(
        py,
        file,
        key,
        format!("{} of type {}", v.repr()?, v.get_type().name()?),
    ))
}

/// A TOML value as `--set` takes it: one line, tables inline.
fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::Array(a) => format!("[{}]", a.iter().map(toml_text).collect::<Vec<_>>().join(", ")),
        toml::Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| {
                    let bare = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    let k = if bare {
                        k.clone()
                    } else {
                        toml::Value::String(k.clone()).to_string()
                    };
                    format!("{k} = {}", toml_text(v))
                })
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// `{key: value}` (or a list of "key=value" strings) as `--set` arguments.
fn overrides(py: Python<'_>, set: Option<&Bound<'_, PyAny>>, file: &str) -> PyResult<Vec<String>> {
    let Some(set) = set.filter(|s| !s.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(d) = set.cast::<PyDict>() {
        let mut out = Vec::new();
        for (k, v) in d.iter() {
            let k: String = k.extract()?;
            out.push(format!("{k}={}", toml_text(&to_toml(py, &v, file, &k)?)));
        }
        return Ok(out);
    }
    set.extract::<Vec<String>>()
        .map_err(|_| PyTypeError::new_err("set: a dict {key: value}, or a list of \"key=value\" strings"))
}

fn to_py(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        serde_json::Value::Null => py.None(),
        serde_json::Value::Bool(b) => (*b).into_py_any(py)?,
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_py_any(py)?,
            (None, Some(i)) => i.into_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_py_any(py)?,
        },
        serde_json::Value::String(s) => s.as_str().into_py_any(py)?,
        serde_json::Value::Array(a) => {
            let items: Vec<Py<PyAny>> = a.iter().map(|x| to_py(py, x)).collect::<PyResult<_>>()?;
            PyList::new(py, items)?.into_py_any(py)?
        }
        serde_json::Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_py_any(py)?
        }
    })
}

fn toml_to_py(py: Python<'_>, v: &toml::Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        toml::Value::String(s) => s.as_str().into_py_any(py)?,
        toml::Value::Integer(i) => (*i).into_py_any(py)?,
        toml::Value::Float(f) => (*f).into_py_any(py)?,
        toml::Value::Boolean(b) => (*b).into_py_any(py)?,
        toml::Value::Datetime(d) => d.to_string().into_py_any(py)?,
        toml::Value::Array(a) => {
            let items: Vec<Py<PyAny>> = a.iter().map(|x| toml_to_py(py, x)).collect::<PyResult<_>>()?;
            PyList::new(py, items)?.into_py_any(py)?
        }
        toml::Value::Table(t) => {
            let d = PyDict::new(py);
            for (k, x) in t {
                d.set_item(k, toml_to_py(py, x)?)?;
            }
            d.into_py_any(py)?
        }
    })
}

fn backend(name: Option<&str>) -> PyResult<Option<Backend>> {
    name.map(|b| b.parse::<Backend>().map_err(PyValueError::new_err)).transpose()
}

/// Run `work` on a thread of its own with the GIL released, looking for
/// Python signals (Ctrl-C: KeyboardInterrupt) every 50 ms from this thread.
/// On one, `interrupt` is set, the work is waited for (it stops at its next
/// return to the host and writes what it has), and the signal's exception
/// is raised.
fn interruptible<T: Send + 'static>(py: Python<'_>, interrupt: Arc<AtomicBool>, work: impl FnOnce() -> T + Send + 'static) -> PyResult<T> {
    let me = std::thread::current();
    let handle = std::thread::spawn(move || {
        let out = work();
        me.unpark();
        out
    });
    let mut signal = None;
    while !handle.is_finished() {
        py.detach(|| std::thread::park_timeout(Duration::from_millis(50)));
        if signal.is_none() {
            if let Err(e) = py.check_signals() {
                interrupt.store(true, Ordering::SeqCst);
                signal = Some(e);
            }
        }
    }
    let out = handle
        .join()
        .map_err(|_| run_error(py, "the run panicked (a bug: please report it)".into(), ErrorKind::Runtime, None))?;
    match signal {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// A scene: the TOML text of a scene file (after overrides), read, checked
/// and rasterised (docs/scene-format.md). Make one with `Scene.load`,
/// `Scene.from_toml` or `Scene.from_dict`.
#[pyclass(module = "lumen")]
struct Scene {
    inner: Arc<scene::Scene>,
    /// The file (or `<toml>`, `<dict>`), in messages and for relative paths.
    file: String,
    /// Whether `file` is a real file.
    has_file: bool,
    /// Geometry dropped (`Scene.empty()`).
    empty: bool,
}

impl Scene {
    fn parse(py: Python<'_>, text: &str, file: &str, has_file: bool, sets: &[String], empty: bool) -> PyResult<Scene> {
        let parsed = py.detach(|| scene::parse(text, file, sets, empty));
        let inner = parsed.map_err(|e| scene_error(py, &e))?;
        Ok(Scene {
            inner: Arc::new(inner),
            file: file.to_string(),
            has_file,
            empty,
        })
    }

    /// Where a run writes when no `output` is given: `[run] output`, else
    /// beside the scene file; a scene without a file, in a new file in the
    /// system's temporary folder.
    fn default_output(&self) -> Option<PathBuf> {
        if self.has_file {
            return None;
        }
        let table: toml::Table = self.inner.text.parse().ok()?;
        let given = table.get("run").and_then(|r| r.get("output")).is_some();
        if given {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("lumen-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let n = (0..).find(|n| !dir.join(format!("result-{n}.h5")).exists()).unwrap_or(0);
        Some(dir.join(format!("result-{n}.h5")))
    }
}

#[pymethods]
impl Scene {
    /// Read a scene file. `set`: overrides, {"sources.0.wavelength_um": 0.45, ...}
    /// (the key paths of `lumen run --set`). Raises SceneError.
    #[staticmethod]
    #[pyo3(signature = (path, set = None))]
    fn load(py: Python<'_>, path: PathBuf, set: Option<&Bound<'_, PyAny>>) -> PyResult<Scene> {
        let file = path.display().to_string();
        let sets = overrides(py, set, &file)?;
        let text = std::fs::read_to_string(&path).map_err(|source| scene_error(py, &RustSceneError::Io { path, source }))?;
        Scene::parse(py, &text, &file, true, &sets, false)
    }

    /// A scene from TOML text; `path`, when given, names it in messages and
    /// is where relative paths (`[run] output`, files it refers to) start.
    #[staticmethod]
    #[pyo3(signature = (text, path = None))]
    fn from_toml(py: Python<'_>, text: &str, path: Option<PathBuf>) -> PyResult<Scene> {
        match path {
            Some(p) => Scene::parse(py, text, &p.display().to_string(), true, &[], false),
            None => Scene::parse(py, text, FROM_TEXT, false, &[], false),
        }
    }

    /// A scene from a dict with the schema of the files: {"simulation": {...},
    /// "sources": [{...}], ...}. Errors name the key path.
    #[staticmethod]
    #[pyo3(signature = (d, path = None))]
    fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>, path: Option<PathBuf>) -> PyResult<Scene> {
        let file = path.as_ref().map_or(FROM_DICT.to_string(), |p| p.display().to_string());
        if !d.is_instance_of::<PyDict>() {
            return Err(PyTypeError::new_err(format!("from_dict: a dict, not {}", d.get_type().name()?)));
        }
        let toml::Value::Table(t) = to_toml(py, d, &file, "")? else {
            unreachable!("a dict gives a table")
        };
        let text = toml::to_string(&t).map_err(|e| value_error(py, &file, "", e.to_string()))?;
        Scene::parse(py, &text, &file, path.is_some(), &[], false)
    }

    /// Set one value, e.g. scene.set("sources.0.wavelength_um", 0.45): the
    /// scene is read again with it (as `lumen run --set` would), and stays
    /// as it was when that raises SceneError.
    fn set(&mut self, py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let arg = format!("{key}={}", toml_text(&to_toml(py, value, &self.file, key)?));
        let next = Scene::parse(py, &self.inner.text.clone(), &self.file, self.has_file, &[arg], self.empty)?;
        *self = next;
        Ok(())
    }

    /// The same scene without its geometry (background only): the
    /// reference run of a normalisation (`lumen run --empty`).
    fn empty(&self, py: Python<'_>) -> PyResult<Scene> {
        Scene::parse(py, &self.inner.text.clone(), &self.file, self.has_file, &[], true)
    }

    /// The scene's TOML text, overrides applied.
    fn to_toml(&self) -> String {
        self.inner.text.clone()
    }

    /// The scene file, or None for a scene made from text or a dict.
    #[getter]
    fn path(&self) -> Option<String> {
        self.has_file.then(|| self.file.clone())
    }

    /// The scene's warnings (dubious set-ups), as `lumen check` prints them.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.iter().map(|w| w.to_string()).collect()
    }

    /// What `lumen check --json` says: grid, time step, steps, memory against
    /// the engine's limits, and a time estimate from a step rate measured on
    /// the engine (a short calibration, cached). `backend`: "cpu", "gpu",
    /// "auto", or None for LUMEN_BACKEND, else auto.
    #[pyo3(signature = (backend = None))]
    fn check(&self, py: Python<'_>, backend: Option<&str>) -> PyResult<Py<PyAny>> {
        let b = self::backend(backend)?;
        let scene = self.inner.clone();
        let started = Instant::now();
        let r = py.detach(move || api::check(&scene, b, started).map(|r| r.to_json(&scene.path, &scene.warnings)));
        match r {
            Ok(j) => to_py(py, &j),
            Err(e) => Err(api_error(py, e, None)),
        }
    }

    /// Run the scene and return its Result (see lumen.Result).
    ///
    /// output: the result file (default: `[run] output`, else the scene
    /// file's name with .h5; a scene without a file writes to the system's
    /// temporary folder). reference: a reference run's result file to
    /// normalise flux monitors. backend: "cpu", "gpu", "auto", or None for
    /// LUMEN_BACKEND, else auto. progress: progress lines on stderr.
    ///
    /// The run releases the GIL. Ctrl-C (KeyboardInterrupt) stops it; the
    /// result file is written with what was computed, marked incomplete
    /// (attrs["complete"] == 0), and KeyboardInterrupt is raised. Warnings
    /// are issued as lumen.SceneWarning; failures raise RunError.
    #[pyo3(signature = (output = None, reference = None, backend = None, progress = true))]
    fn run(
        &self,
        py: Python<'_>,
        output: Option<PathBuf>,
        reference: Option<PathBuf>,
        backend: Option<&str>,
        progress: bool,
    ) -> PyResult<Py<PyAny>> {
        let b = self::backend(backend)?;
        for w in api::warnings(&self.inner, reference.is_some()) {
            let msg = std::ffi::CString::new(w.to_string().replace('\0', " ")).unwrap_or_default();
            PyErr::warn(py, py.get_type::<SceneWarning>().as_any(), &msg, 1)?;
        }
        let output = output.or_else(|| self.default_output());
        let path = api::result_path(&self.inner, output.clone());
        let interrupt = Arc::new(AtomicBool::new(false));
        let req = RunRequest {
            output,
            reference,
            backend: b,
            // Warnings were issued above, where Python's filters decide.
            strict: false,
            progress: if progress { ProgressMode::Lines } else { ProgressMode::None },
            interrupt: interrupt.clone(),
        };
        let scene = self.inner.clone();
        let out = interruptible(py, interrupt, move || {
            api::run(&scene, req, &mut |ev| {
                if let (Event::Engine(sel), true) = (ev, progress) {
                    eprintln!("engine: {} [{}]", sel.engine.describe(), sel.reason);
                }
            })
            .map(|o| o.output)
        })?;
        match out {
            Ok(file) => py.import("lumen")?.getattr("load")?.call1((file,))?.into_py_any(py),
            Err(e) => Err(api_error(py, e, Some(&path))),
        }
    }

    fn __repr__(&self) -> String {
        let g = &self.inner.prepared.grid;
        format!(
            "<lumen.Scene {}: {} {} x {} x {} cells, dx = {} um>",
            self.file,
            g.dims.name(),
            g.nx,
            g.ny,
            g.nz,
            g.dx
        )
    }
}

fn api_error(py: Python<'_>, e: ApiError, output: Option<&Path>) -> PyErr {
    match &e {
        ApiError::Backend(_) | ApiError::Symmetry(_) => PyValueError::new_err(e.to_string()),
        _ => run_error(py, e.to_string(), e.kind(), output),
    }
}

/// The engines there are, as `lumen devices --json` lists them: the native
/// CPU engine, the wgpu adapters (best first), and what backend "auto" takes.
#[pyfunction]
fn devices(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let j = py.detach(|| api::devices().to_json());
    to_py(py, &j)
}

/// Draw a result file's monitors as `lumen plot RESULT.h5` does; returns
/// the PNG files written. See lumen.Result.plot.
#[pyfunction]
#[pyo3(signature = (path, monitor = None, output = None, wavelength_um = None, component = None, quantity = None, frame = None, slice = None))]
#[allow(clippy::too_many_arguments)]
fn plot_result(
    py: Python<'_>,
    path: PathBuf,
    monitor: Option<String>,
    output: Option<PathBuf>,
    wavelength_um: Option<f64>,
    component: Option<&str>,
    quantity: Option<&str>,
    frame: Option<usize>,
    slice: Option<&str>,
) -> PyResult<Vec<String>> {
    let bad = |e: String| PyValueError::new_err(e);
    let component = component.map(plot::parse_component).transpose().map_err(bad)?;
    let quantity = quantity.map(str::parse::<plot::Quantity>).transpose().map_err(bad)?;
    let slice = slice.map(str::parse::<plot::Slice>).transpose().map_err(bad)?;
    let plot_err = |e: plot::PlotError| {
        let kind = if e.is_bad_input() {
            ErrorKind::BadInput
        } else {
            ErrorKind::Runtime
        };
        (e.to_string(), kind)
    };
    let r: Result<Vec<String>, (String, ErrorKind)> = py.detach(|| {
        // Without a monitor: every monitor and the LED report, as `lumen plot RESULT.h5`.
        let targets = match &monitor {
            Some(m) => vec![m.clone()],
            None => plot::result::plot_targets(&path).map_err(plot_err)?,
        };
        if targets.len() > 1 && output.is_some() {
            return Err((
                format!("output names one picture; {} has {}: name a monitor", path.display(), targets.len()),
                ErrorKind::BadInput,
            ));
        }
        let mut written = Vec::new();
        for name in &targets {
            let opts = ResultPlotOptions {
                monitor: Some(name.clone()),
                wavelength_um,
                component,
                quantity,
                frame,
                slice,
            };
            let r = plot::result::plot_result(&path, &opts).map_err(plot_err)?;
            let out = output.clone().unwrap_or_else(|| plot::result::default_output(&path, &r.monitor));
            r.image.write_png(&out).map_err(plot_err)?;
            written.push(out.display().to_string());
        }
        Ok(written)
    });
    r.map_err(|(msg, kind)| run_error(py, msg, kind, None))
}

/// Run a sweep (lumen.sweep wraps this): `base` a scene file, `parameters`
/// a list of (key, values list or dict of range keys). Returns (columns, rows, summary_csv).
#[pyfunction]
#[pyo3(signature = (base, parameters, mode, output_dir, shard = None, reference = None, set = None, backend = None, progress = true))]
#[allow(clippy::too_many_arguments)]
fn run_sweep(
    py: Python<'_>,
    base: PathBuf,
    parameters: Vec<(String, Bound<'_, PyAny>)>,
    mode: &str,
    output_dir: PathBuf,
    shard: Option<&str>,
    reference: Option<String>,
    set: Option<&Bound<'_, PyAny>>,
    backend: Option<&str>,
    progress: bool,
) -> PyResult<Py<PyAny>> {
    let file = "(python)";
    let b = Backend::resolve(self::backend(backend)?).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let shard = shard.map(|s| s.parse::<Shard>().map_err(PyValueError::new_err)).transpose()?;
    // The sweep, written as a sweep file (docs/sweeps.md) and read as one.
    let mut t = toml::Table::new();
    t.insert("base".into(), toml::Value::String(base.display().to_string()));
    t.insert("combine".into(), toml::Value::String(mode.to_string()));
    if let Some(r) = &reference {
        t.insert("reference".into(), toml::Value::String(r.clone()));
    }
    let sets = overrides(py, set, file)?;
    t.insert(
        "set".into(),
        toml::Value::Array(sets.into_iter().map(toml::Value::String).collect()),
    );
    let mut params = Vec::new();
    for (key, values) in &parameters {
        let mut p = match to_toml(py, values, file, &format!("vary.{key}"))? {
            toml::Value::Table(range) => range,
            toml::Value::Array(list) => toml::Table::from_iter([("values".to_string(), toml::Value::Array(list))]),
            one => toml::Table::from_iter([("values".to_string(), toml::Value::Array(vec![one]))]),
        };
        p.insert("key".into(), toml::Value::String(key.clone()));
        params.push(toml::Value::Table(p));
    }
    t.insert("parameters".into(), toml::Value::Array(params));
    let text = toml::to_string(&t).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let sw = Sweep::parse(&text, file, Path::new(""), "sweep").map_err(|e| sweep_error(py, e))?;
    let interrupt = Arc::new(AtomicBool::new(false));
    let opts = SweepOptions {
        output: output_dir.clone(),
        shard,
        progress: if progress { ProgressMode::Lines } else { ProgressMode::None },
        interrupt: interrupt.clone(),
        strict: false,
        backend: b,
    };
    let sw2 = sw.clone();
    let report = interruptible(py, interrupt, move || sweep::run_sweep(&sw2, &opts))?.map_err(|e| sweep_error(py, e))?;
    // The table as columns: parameters as the values given, numbers as floats (NaN: none).
    let table = &report.table;
    let d = PyDict::new(py);
    let rows = &table.rows;
    d.set_item("index", rows.iter().map(|r| r.index).collect::<Vec<_>>())?;
    d.set_item("variant", rows.iter().map(|r| r.variant.clone()).collect::<Vec<_>>())?;
    for (k, name) in table.params.iter().enumerate() {
        let col: Vec<Py<PyAny>> = rows
            .iter()
            .map(|r| match sw.variants.get(r.index).and_then(|v| v.values.get(k)) {
                Some(v) => toml_to_py(py, v),
                None => r.params.get(k).cloned().unwrap_or_default().into_py_any(py),
            })
            .collect::<PyResult<_>>()?;
        d.set_item(name, col)?;
    }
    d.set_item("status", rows.iter().map(|r| r.status.clone()).collect::<Vec<_>>())?;
    d.set_item(
        "wall_time_s",
        rows.iter().map(|r| r.wall_time_s.unwrap_or(f64::NAN)).collect::<Vec<_>>(),
    )?;
    for m in table.metric_columns() {
        let col: Vec<f64> = rows
            .iter()
            .map(|r| r.metrics.iter().find(|(n, _)| *n == m).map_or(f64::NAN, |(_, v)| *v))
            .collect();
        d.set_item(m, col)?;
    }
    let files: Vec<Option<String>> = rows
        .iter()
        .map(|r| (!r.file.is_empty()).then(|| report.output.join(&r.file).display().to_string()))
        .collect();
    d.set_item("file", files)?;
    d.set_item("error", rows.iter().map(|r| r.error.clone()).collect::<Vec<_>>())?;
    d.set_item("warnings", rows.iter().map(|r| r.warnings.clone()).collect::<Vec<_>>())?;
    let info = PyDict::new(py);
    info.set_item("summary_csv", report.summary_csv.display().to_string())?;
    info.set_item("summary_h5", report.summary_h5.display().to_string())?;
    info.set_item("ran", report.ran)?;
    info.set_item("skipped", report.skipped)?;
    info.set_item("interrupted", report.interrupted)?;
    (d, info).into_py_any(py)
}

fn sweep_error(py: Python<'_>, e: SweepError) -> PyErr {
    match e {
        SweepError::BaseScene(s) => scene_error(py, &s),
        e if e.is_bad_input() => PyValueError::new_err(e.to_string()),
        e => run_error(py, e.to_string(), ErrorKind::Runtime, None),
    }
}

#[pymodule]
fn _lumen(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The same quieting of Mesa's start-up message as the `lumen` command.
    api::quiet_mesa_runtime_dir();
    let py = m.py();
    m.add_class::<Scene>()?;
    m.add("SceneError", py.get_type::<SceneError>())?;
    m.add("RunError", py.get_type::<RunError>())?;
    m.add("SceneWarning", py.get_type::<SceneWarning>())?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    m.add_function(wrap_pyfunction!(plot_result, m)?)?;
    m.add_function(wrap_pyfunction!(run_sweep, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
