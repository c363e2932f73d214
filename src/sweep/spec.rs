//! The sweep file (format: `docs/sweeps.md`) and the `--vary` flags, and
//! their expansion into variants.
//!
//! Order: parameters are combined as nested loops in file order, the last
//! group varying fastest; parameters of one group (`group = "..."`, or all
//! ungrouped ones with `combine = "zip"`) advance together.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{fmt_f64, stable_hash, SweepError};

/// Most variants a sweep may expand to (a guard against a mistyped step).
pub const MAX_VARIANTS: usize = 1_000_000;

/// Columns of the summary table a parameter's name may not take.
pub const RESERVED_COLUMNS: [&str; 7] = ["index", "variant", "status", "wall_time_s", "file", "error", "warnings"];

/// A sweep: the base scene, what varies, and where results go.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The sweep file, or `(command line)` for `--vary` flags.
    pub file: String,
    /// The definition as TOML: the file's text, or one written from the flags.
    pub text: String,
    /// The base scene file.
    pub base: PathBuf,
    /// Default output folder (`output` key, else the sweep file's stem).
    pub output: PathBuf,
    pub reference: ReferenceRun,
    /// Overrides applied to every variant before the varied ones.
    pub set: Vec<String>,
    pub parameters: Vec<Parameter>,
    /// In run order.
    pub variants: Vec<Variant>,
}

/// How flux monitors are normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceRun {
    None,
    /// One reference result file for every variant.
    File(PathBuf),
    /// Each variant's own reference run (`lumen run --empty`), shared between
    /// variants whose empty scenes are the same.
    Empty,
}

/// One varied scene key.
#[derive(Clone, Debug)]
pub struct Parameter {
    /// Scene key path, as `--set` takes it (`sources.0.wavelength_um`).
    pub key: String,
    /// Its column in the summary table (`name`, else the key).
    pub column: String,
    pub values: Vec<toml::Value>,
}

/// One combination of parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// 0-based position in the sweep.
    pub index: usize,
    /// `NNNN-hhhhhhhh`: the index, zero-padded to 4 digits, and [`Variant::hash`].
    pub id: String,
    /// 8 hex digits of a hash (FNV-1a, finalised) of the `key=value` lines.
    pub hash: String,
    /// One value per parameter.
    pub values: Vec<toml::Value>,
}

/// A value as `--set` takes it: TOML text (strings quoted).
pub fn set_text(v: &toml::Value) -> String {
    v.to_string()
}

/// A value as a table cell: numbers as [`fmt_f64`] (integers as written),
/// strings without quotes, anything else as TOML text.
pub fn cell_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => fmt_f64(*f),
        other => other.to_string(),
    }
}

impl Sweep {
    /// Read a sweep file; `base`, `output` and `reference` are relative to it.
    pub fn load(path: &Path) -> Result<Sweep, SweepError> {
        let text = std::fs::read_to_string(path).map_err(|source| SweepError::Io {
            path: path.to_path_buf(),
            what: "read sweep file".into(),
            source,
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let stem = path
            .file_stem()
            .map_or_else(|| "sweep".to_string(), |s| s.to_string_lossy().into_owned());
        Sweep::parse(&text, &path.display().to_string(), dir, &stem)
    }

    /// A sweep from `lumen sweep --base SCENE --vary KEY=VALUES ...`: the
    /// flags are written as a sweep file (kept in [`Sweep::text`]) and read as
    /// one, with paths relative to the current directory. VALUES is a comma
    /// list of TOML values (`0.45,0.5`, `glass,gan`), or an inline table with
    /// the keys of a `[[parameters]]` entry (`{start = 0.4, stop = 0.6, count = 5}`).
    pub fn from_flags(base: &Path, vary: &[String], zip: bool) -> Result<Sweep, SweepError> {
        let file = "(command line)";
        let bad = |arg: &str, expected: &str| SweepError::Invalid {
            file: file.into(),
            line: None,
            key: "--vary".into(),
            expected: expected.into(),
            found: format!("`{arg}`"),
        };
        let mut t = String::new();
        t.push_str(&format!("base = {}\n", toml::Value::from(base.to_string_lossy().into_owned())));
        t.push_str(&format!("combine = \"{}\"\n", if zip { "zip" } else { "grid" }));
        for arg in vary {
            let Some((key, values)) = arg.split_once('=') else {
                return Err(bad(arg, "KEY=VALUES, e.g. sources.0.wavelength_um=0.45,0.5,0.55"));
            };
            let (key, values) = (key.trim(), values.trim());
            if key.is_empty() || values.is_empty() {
                return Err(bad(arg, "KEY=VALUES, e.g. sources.0.wavelength_um=0.45,0.5,0.55"));
            }
            t.push_str("\n[[parameters]]\n");
            t.push_str(&format!("key = {}\n", toml::Value::from(key.to_string())));
            if let Some(inner) = values.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                let table: toml::Table = format!("x = {{{inner}}}")
                    .parse::<toml::Table>()
                    .ok()
                    .and_then(|mut t| t.remove("x"))
                    .and_then(|v| v.as_table().cloned())
                    .ok_or_else(|| bad(arg, "KEY={start = .., stop = .., step = .. | count = ..[, scale = \"log\"]}"))?;
                for (k, v) in table {
                    if k == "key" {
                        return Err(bad(arg, "the key before `=`, not inside the table"));
                    }
                    t.push_str(&format!("{k} = {v}\n"));
                }
            } else {
                let items: Vec<String> = split_top_level(values)
                    .iter()
                    .map(|s| {
                        let s = s.trim();
                        // A TOML value, else the text as a string (as --set reads it).
                        format!("x = {s}")
                            .parse::<toml::Table>()
                            .ok()
                            .and_then(|mut t| t.remove("x"))
                            .unwrap_or_else(|| toml::Value::from(s.to_string()))
                            .to_string()
                    })
                    .collect();
                t.push_str(&format!("values = [{}]\n", items.join(", ")));
            }
        }
        let stem = base
            .file_stem()
            .map_or_else(|| "scene".to_string(), |s| s.to_string_lossy().into_owned());
        Sweep::parse(&t, file, Path::new(""), &format!("{stem}-sweep"))
    }

    /// Read sweep text; `dir` resolves relative paths, `default_output` is
    /// the output folder's name (in `dir`) when the file has no `output`.
    pub fn parse(text: &str, file: &str, dir: &Path, default_output: &str) -> Result<Sweep, SweepError> {
        let spec: SweepFile = toml::from_str(text).map_err(|e| SweepError::Syntax {
            file: file.into(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let line = |span: std::ops::Range<usize>| Some(text[..span.start.min(text.len())].matches('\n').count() + 1);
        let invalid = |span, key: String, expected: &str, found: String| SweepError::Invalid {
            file: file.into(),
            line: line(span),
            key,
            expected: expected.into(),
            found,
        };

        let base_span = spec.base.span();
        let base = spec.base.into_inner();
        if base.trim().is_empty() {
            return Err(invalid(base_span, "base".into(), "a scene file name", "\"\"".into()));
        }
        let base = dir.join(base);
        let output = match &spec.output {
            Some(o) if o.get_ref().trim().is_empty() => {
                return Err(invalid(o.span(), "output".into(), "a folder name", "\"\"".into()));
            }
            Some(o) => dir.join(o.get_ref()),
            None => dir.join(default_output),
        };
        let reference = match spec.reference.as_ref().map(|r| (r.span(), r.get_ref().as_str())) {
            None | Some((_, "none")) => ReferenceRun::None,
            Some((_, "empty")) => ReferenceRun::Empty,
            Some((span, "")) => return Err(invalid(span, "reference".into(), "\"empty\" or a result file", "\"\"".into())),
            Some((_, r)) => ReferenceRun::File(dir.join(r)),
        };
        for s in &spec.set {
            if !s.get_ref().contains('=') {
                return Err(invalid(
                    s.span(),
                    "set".into(),
                    "KEY.PATH=VALUE strings",
                    format!("\"{}\"", s.get_ref()),
                ));
            }
        }

        let mut parameters = Vec::new();
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, p) in spec.parameters.iter().enumerate() {
            let span = p.span();
            let p = p.get_ref();
            let key = p.key.trim();
            if key.is_empty() || key.split('.').any(|s| s.trim().is_empty()) {
                return Err(invalid(
                    span,
                    format!("parameters.{i}.key"),
                    "a dotted scene key path such as sources.0.wavelength_um",
                    format!("\"{}\"", p.key),
                ));
            }
            let column = p.name.clone().unwrap_or_else(|| key.to_string());
            if column.is_empty() || column.contains('/') || RESERVED_COLUMNS.contains(&column.as_str()) {
                return Err(invalid(
                    span,
                    format!("parameters.{i}.name"),
                    &format!("a column name without '/', other than {}", RESERVED_COLUMNS.join(", ")),
                    format!("\"{column}\""),
                ));
            }
            if let Some(j) = parameters.iter().position(|q: &Parameter| q.column == column || q.key == key) {
                return Err(invalid(
                    span,
                    format!("parameters.{i}"),
                    &format!("a key and name not used by parameters.{j}"),
                    format!("key \"{key}\", name \"{column}\""),
                ));
            }
            let values = p.expand().map_err(|(k, expected, found)| {
                invalid(
                    span.clone(),
                    format!("parameters.{i}{}", if k.is_empty() { String::new() } else { format!(".{k}") }),
                    &expected,
                    found,
                )
            })?;
            let group = match (&p.group, spec.combine) {
                (Some(g), _) => format!("g:{g}"),
                (None, Combine::Zip) => "zip".to_string(),
                (None, Combine::Grid) => format!("p:{i}"),
            };
            match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, members)) => {
                    let first = members[0];
                    let n: usize = parameters[first].values.len();
                    if values.len() != n {
                        return Err(invalid(
                            span,
                            format!("parameters.{i}"),
                            &format!("{n} values, as parameters.{first} it is zipped with"),
                            format!("{} values", values.len()),
                        ));
                    }
                    members.push(i);
                }
                None => groups.push((group, vec![i])),
            }
            parameters.push(Parameter {
                key: key.to_string(),
                column,
                values,
            });
        }

        // Nested loops over the groups, the last fastest.
        let sizes: Vec<usize> = groups.iter().map(|(_, m)| parameters[m[0]].values.len()).collect();
        let total = sizes
            .iter()
            .try_fold(1usize, |a, &n| a.checked_mul(n))
            .filter(|&n| n <= MAX_VARIANTS);
        let Some(total) = total else {
            return Err(invalid(
                0..0,
                "parameters".into(),
                &format!("at most {MAX_VARIANTS} variants"),
                format!("{} (values per group: {sizes:?})", sizes.iter().map(|&n| n as f64).product::<f64>()),
            ));
        };
        let mut variants = Vec::with_capacity(total);
        for index in 0..total {
            let mut values = vec![toml::Value::Boolean(false); parameters.len()];
            let mut rest = index;
            for ((_, members), &n) in groups.iter().zip(&sizes).rev() {
                let k = rest % n;
                rest /= n;
                for &m in members {
                    values[m] = parameters[m].values[k].clone();
                }
            }
            let lines: String = parameters
                .iter()
                .zip(&values)
                .map(|(p, v)| format!("{}={}\n", p.key, set_text(v)))
                .collect();
            // FNV-1a, then MurmurHash3's 64-bit finaliser so that neighbouring
            // values get ids that do not look alike.
            let mut h = stable_hash(&lines);
            for m in [0xff51_afd7_ed55_8ccd, 0xc4ce_b9fe_1a85_ec53] {
                h ^= h >> 33;
                h = h.wrapping_mul(m);
            }
            h ^= h >> 33;
            let hash = format!("{:08x}", h >> 32);
            variants.push(Variant {
                index,
                id: format!("{index:04}-{hash}"),
                hash,
                values,
            });
        }
        Ok(Sweep {
            file: file.into(),
            text: text.into(),
            base,
            output,
            reference,
            set: spec.set.into_iter().map(Spanned::into_inner).collect(),
            parameters,
            variants,
        })
    }

    /// The `--set` overrides that make `variant` from the base scene.
    pub fn overrides(&self, variant: &Variant) -> Vec<String> {
        let mut o = self.set.clone();
        o.extend(
            self.parameters
                .iter()
                .zip(&variant.values)
                .map(|(p, v)| format!("{}={}", p.key, set_text(v))),
        );
        o
    }

    /// `key=value` of the varied parameters, for progress lines.
    pub fn describe(&self, variant: &Variant) -> String {
        let parts: Vec<String> = self
            .parameters
            .iter()
            .zip(&variant.values)
            .map(|(p, v)| format!("{}={}", p.column, cell_text(v)))
            .collect();
        parts.join(" ")
    }
}

/// Split at commas outside brackets, braces and quotes.
fn split_top_level(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0i32, None::<char>);
    for c in s.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    base: Spanned<String>,
    output: Option<Spanned<String>>,
    #[serde(default)]
    combine: Combine,
    reference: Option<Spanned<String>>,
    #[serde(default)]
    set: Vec<Spanned<String>>,
    #[serde(default)]
    parameters: Vec<Spanned<ParameterSpec>>,
}

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Combine {
    #[default]
    Grid,
    Zip,
}

#[derive(Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Scale {
    #[default]
    Linear,
    Log,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParameterSpec {
    key: String,
    name: Option<String>,
    group: Option<String>,
    values: Option<Vec<toml::Value>>,
    start: Option<toml::Value>,
    stop: Option<toml::Value>,
    step: Option<toml::Value>,
    count: Option<i64>,
    #[serde(default)]
    scale: Scale,
}

/// (key within the entry, expected, found).
type Why = (String, String, String);

fn number(v: &toml::Value, key: &str) -> Result<f64, Why> {
    let x = match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        other => return Err((key.into(), "a number".into(), format!("{other}"))),
    };
    if x.is_finite() {
        Ok(x)
    } else {
        Err((key.into(), "a finite number".into(), fmt_f64(x)))
    }
}

/// 12 significant digits: 0.1 + 2 * 0.1 gives 0.3, not 0.30000000000000004.
fn round12(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

impl ParameterSpec {
    /// The values this entry lists or spans.
    fn expand(&self) -> Result<Vec<toml::Value>, Why> {
        let why = |k: &str, e: &str, f: String| Err((k.to_string(), e.to_string(), f));
        let range = self.start.is_some() || self.stop.is_some() || self.step.is_some() || self.count.is_some();
        if let Some(values) = &self.values {
            if range {
                return why("values", "either `values` or `start`/`stop` with `step` or `count`", "both".into());
            }
            if values.is_empty() {
                return why("values", "at least one value", "[]".into());
            }
            return Ok(values.clone());
        }
        let (Some(start), Some(stop)) = (&self.start, &self.stop) else {
            return why(
                "",
                "`values = [...]`, or `start` and `stop` with `step` or `count`",
                "neither".into(),
            );
        };
        let (a, b) = (number(start, "start")?, number(stop, "stop")?);
        match (self.step.as_ref(), self.count, self.scale) {
            (Some(_), Some(_), _) | (None, None, _) => why(
                "",
                "one of `step` or `count` with `start`/`stop`",
                if self.step.is_some() { "both".into() } else { "neither".into() },
            ),
            (Some(_), None, Scale::Log) => why(
                "step",
                "`count` with scale = \"log\" (values evenly spaced in log)",
                "a step".into(),
            ),
            (Some(step), None, Scale::Linear) => {
                let s = number(step, "step")?;
                if s == 0.0 || (b - a) / s < 0.0 {
                    return why(
                        "step",
                        &format!("a non-zero step going from {} towards {}", fmt_f64(a), fmt_f64(b)),
                        fmt_f64(s),
                    );
                }
                // Whole steps, stop included when it lies on one (to 1e-9 of a step).
                let n = ((b - a) / s + 1e-9).floor() as usize + 1;
                if n > MAX_VARIANTS {
                    return why("step", &format!("at most {MAX_VARIANTS} values"), format!("{n}"));
                }
                let ints = matches!(
                    (start, stop, step),
                    (toml::Value::Integer(_), toml::Value::Integer(_), toml::Value::Integer(_))
                );
                Ok((0..n)
                    .map(|i| match (start, step) {
                        (toml::Value::Integer(a), toml::Value::Integer(s)) if ints => toml::Value::Integer(a + i as i64 * s),
                        _ => toml::Value::Float(round12(a + i as f64 * s)),
                    })
                    .collect())
            }
            (None, Some(n), scale) => {
                if n < 1 || n as usize > MAX_VARIANTS {
                    return why("count", &format!("1 to {MAX_VARIANTS} values"), format!("{n}"));
                }
                if scale == Scale::Log && !(a > 0.0 && b > 0.0) {
                    return why(
                        "start",
                        "positive start and stop with scale = \"log\"",
                        format!("start {}, stop {}", fmt_f64(a), fmt_f64(b)),
                    );
                }
                let n = n as usize;
                Ok((0..n)
                    .map(|i| {
                        let t = if n == 1 { 0.0 } else { i as f64 / (n - 1) as f64 };
                        let v = if i + 1 == n && n > 1 {
                            b
                        } else if scale == Scale::Log {
                            a * (b / a).powf(t)
                        } else {
                            a + (b - a) * t
                        };
                        toml::Value::Float(round12(v))
                    })
                    .collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Sweep, SweepError> {
        Sweep::parse(text, "s.toml", Path::new("dir"), "s")
    }

    fn floats(p: &Parameter) -> Vec<f64> {
        p.values
            .iter()
            .map(|v| v.as_float().unwrap_or_else(|| v.as_integer().unwrap() as f64))
            .collect()
    }

    #[test]
    fn ranges_lists_and_grid_order() {
        let s = parse(
            r#"
base = "scene.toml"
reference = "empty"
set = ["run.until_fs=20"]
[[parameters]]
key = "sources.0.wavelength_um"
start = 0.4
stop = 0.6
step = 0.1
[[parameters]]
key = "geometry.1.material"
values = ["glass", "gan"]
"#,
        )
        .unwrap();
        assert_eq!(s.base, Path::new("dir/scene.toml"));
        assert_eq!(s.output, Path::new("dir/s"));
        assert_eq!(s.reference, ReferenceRun::Empty);
        assert_eq!(floats(&s.parameters[0]), [0.4, 0.5, 0.6]);
        assert_eq!(s.variants.len(), 6);
        // The last parameter varies fastest.
        assert_eq!(
            s.overrides(&s.variants[1]),
            ["run.until_fs=20", "sources.0.wavelength_um=0.4", "geometry.1.material=\"gan\""]
        );
        assert_eq!(s.describe(&s.variants[2]), "sources.0.wavelength_um=0.5 geometry.1.material=glass");
        assert_eq!(s.variants[5].id, format!("0005-{}", s.variants[5].hash));
        // Ids depend on the values only, not on the position.
        let t = parse("base = \"x.toml\"\n[[parameters]]\nkey = \"geometry.1.material\"\nvalues = [\"gan\"]\n[[parameters]]\nkey = \"sources.0.wavelength_um\"\nvalues = [0.4]\n").unwrap();
        assert_ne!(t.variants[0].hash, s.variants[1].hash, "key order is part of the hash");
        let u = parse("base = \"x.toml\"\n[[parameters]]\nkey = \"sources.0.wavelength_um\"\nvalues = [0.3, 0.4]\n[[parameters]]\nkey = \"geometry.1.material\"\nvalues = [\"gan\"]\n").unwrap();
        assert_eq!(u.variants[1].hash, s.variants[1].hash);
        assert_eq!(u.variants[1].hash, "526ae780", "hashes must not change between versions");
    }

    #[test]
    fn counts_log_scale_integers_and_zip() {
        let s = parse(
            r#"
base = "scene.toml"
combine = "zip"
[[parameters]]
key = "a"
start = 1e-3
stop = 1.0
count = 4
scale = "log"
[[parameters]]
key = "b"
start = 0
stop = 30
step = 10
[[parameters]]
key = "c"
start = 0.0
stop = 1.0
count = 4
[[parameters]]
key = "d"
group = "other"
values = [1, 2]
"#,
        )
        .unwrap();
        assert_eq!(floats(&s.parameters[0]), [1e-3, 1e-2, 1e-1, 1.0]);
        assert_eq!(s.parameters[1].values, [0, 10, 20, 30].map(toml::Value::Integer));
        assert_eq!(floats(&s.parameters[2]), [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0].map(round12));
        // a, b, c zipped (4) x d (2).
        assert_eq!(s.variants.len(), 8);
        assert_eq!(s.overrides(&s.variants[3]), ["a=0.01", "b=10", "c=0.333333333333", "d=2"]);
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let e = parse("base = \"s.toml\"\n[[parameters]]\nkey = \"a\"\nstart = 1.0\nstop = 0.0\nstep = 0.5\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.toml:2: parameters.0.step: expected a non-zero step going from 1 towards 0, found 0.5"
        );
        let e = parse("base = \"s.toml\"\ncombine = \"zip\"\n[[parameters]]\nkey = \"a\"\nvalues = [1, 2]\n[[parameters]]\nkey = \"b\"\nvalues = [1]\n").unwrap_err();
        assert!(e.to_string().contains("parameters.1: expected 2 values"), "{e}");
        let e = parse("base = \"s.toml\"\n[[parameters]]\nkey = \"a\"\nvalue = [1]\n").unwrap_err();
        assert!(matches!(e, SweepError::Syntax { .. }) && e.to_string().contains("value"), "{e}");
        let e = parse("base = \"s.toml\"\n[[parameters]]\nkey = \"a\"\nname = \"status\"\nvalues = [1]\n").unwrap_err();
        assert!(e.to_string().contains("parameters.0.name"), "{e}");
        assert!(e.is_bad_input());
    }

    #[test]
    fn flags_make_the_same_sweep_as_a_file() {
        let f = Sweep::from_flags(
            Path::new("scene.toml"),
            &[
                "sources.0.wavelength_um={start = 0.4, stop = 0.6, step = 0.1}".into(),
                "geometry.1.material=glass,\"gan\"".into(),
                "x=[1,2],[3,4]".into(),
            ],
            false,
        )
        .unwrap();
        assert_eq!(f.output, Path::new("scene-sweep"));
        assert_eq!(f.variants.len(), 12);
        assert_eq!(floats(&f.parameters[0]), [0.4, 0.5, 0.6]);
        assert_eq!(f.parameters[1].values, ["glass", "gan"].map(toml::Value::from));
        assert_eq!(
            f.overrides(&f.variants[1]),
            ["sources.0.wavelength_um=0.4", "geometry.1.material=\"glass\"", "x=[3, 4]"]
        );
        assert!(Sweep::from_flags(Path::new("s.toml"), &["novalue".into()], false).is_err());
    }
}
