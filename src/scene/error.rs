//! Scene errors, and where they point: byte spans of the parsed TOML turned
//! into 1-based lines and dotted key paths (`sources.0.wavelength_um`).

use std::fmt::Display;
use std::ops::Range;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::overrides::Set;

/// Everything that can be wrong with a scene file.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    /// A key is unknown, missing, of the wrong type or out of range, or the
    /// TOML itself is malformed (then `key` is empty).
    #[error("{file}{}: {}expected {expected}, found {found}", at_line(.line), key_prefix(.key))]
    Invalid {
        file: String,
        /// 1-based line in the resolved scene text, when known.
        line: Option<usize>,
        /// Dotted key path, array entries by index.
        key: String,
        expected: String,
        found: String,
    },
    /// The engine refused the simulation the file describes
    /// (`Grid::new`, `Simulation::prepare`).
    #[error("{file}{}: {source}", at_line(.line))]
    Engine {
        file: String,
        line: Option<usize>,
        #[source]
        source: Box<crate::Error>,
    },
    /// The scene file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A set-up that is well-formed and runs, but whose results are dubious
/// (see docs/scene-format.md, "Checks of meaning"); printed as
/// `warning: FILE:LINE: KEY: message` and stored in the result file.
/// `--strict` makes any warning an error.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub file: String,
    /// 1-based line in the resolved scene text, when known.
    pub line: Option<usize>,
    /// Dotted key path, array entries by index.
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}: {}{}", self.file, at_line(&self.line), key_prefix(&self.key), self.message)
    }
}

fn at_line(line: &Option<usize>) -> String {
    line.map_or(String::new(), |l| format!(":{l}"))
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("{key}: ")
    }
}

/// "a string", "an integer": a TOML type name with its article.
pub(super) fn a(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {type_name}")
}

/// 1-based line of a byte offset.
pub(super) fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Split a serde/TOML message "found-part, expected expected-part" into
/// (expected, found), in the scene file's words.
pub(super) fn split_message(msg: &str) -> (String, String) {
    let msg = msg.trim();
    let (found, expected) = match msg.split_once(", expected ") {
        Some((f, x)) => (f, x),
        None => (msg, "valid TOML"),
    };
    let found = found
        .trim_start_matches("invalid type: ")
        .trim_start_matches("invalid value: ")
        .replace("unknown field", "unknown key")
        .replace("unknown variant", "unknown value");
    let expected = match expected {
        "f64" | "f32" => "a number".to_string(),
        "usize" | "u64" | "u32" | "i64" => "a whole number".to_string(),
        "a sequence" => "an array".to_string(),
        "a map" => "a table".to_string(),
        x if x.starts_with("struct ") => "a table".to_string(),
        x => x.to_string(),
    };
    let found = match did_you_mean(&expected, &found) {
        Some(m) => format!("{found}: did you mean `{m}`?"),
        None => found,
    };
    (expected, found)
}

/// For "unknown key `wavelenght_um`" against "one of `type`, ...,
/// `wavelength_um`, ...": the listed name closest to the unknown one, when it
/// is close (Jaro-Winkler similarity of at least 0.85: one or two letters
/// swapped, missing or extra in a word of this length).
fn did_you_mean(expected: &str, found: &str) -> Option<String> {
    let unknown = found
        .strip_prefix("unknown key `")
        .or_else(|| found.strip_prefix("unknown value `"))?
        .split('`')
        .next()?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|c| (strsim::jaro_winkler(unknown, c), c))
        .filter(|(score, c)| *score >= 0.85 && *c != unknown)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// A TOML syntax error, before any key tree exists.
pub(super) fn syntax(file: &str, text: &str, e: &toml::de::Error) -> SceneError {
    let (expected, mut found) = split_message(e.message());
    // A missing token is reported where the next one starts, maybe lines
    // later; point at the end of the text before it instead.
    let line = e
        .span()
        .map(|s| {
            if s.is_empty() {
                text[..s.start.min(text.len())].trim_end().len()
            } else {
                s.start
            }
        })
        .map(|at| line_at(text, at));
    if let Some(code) = line.and_then(|l| text.lines().nth(l - 1)).map(str::trim).filter(|c| !c.is_empty()) {
        found = format!("{found} in `{code}`");
    }
    SceneError::Invalid {
        file: file.to_string(),
        line,
        key: String::new(),
        expected,
        found,
    }
}

/// The resolved scene text and its parsed tree with spans: turns key paths
/// into lines and spans into key paths.
pub(super) struct Doc<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub root: Spanned<DeTable<'a>>,
    pub sets: &'a [Set],
}

impl<'a> Doc<'a> {
    /// An `Invalid` error at `key` (its line looked up in the text).
    pub fn invalid(&self, key: impl Into<String>, expected: impl Into<String>, found: impl Display) -> SceneError {
        let key = key.into();
        let line = self.span_of(&key).map(|s| line_at(self.text, s.start));
        self.make(key, line, expected.into(), found.to_string())
    }

    /// A [`Warning`] at `key` (its line looked up in the text).
    pub fn warning(&self, key: impl Into<String>, message: impl Into<String>) -> Warning {
        let key = key.into();
        let line = self.span_of(&key).map(|s| line_at(self.text, s.start));
        let mut message = message.into();
        if let Some(s) = self.sets.iter().find(|s| key == s.path || key.starts_with(&format!("{}.", s.path))) {
            message = format!("{message} (from --set {})", s.arg);
        }
        Warning {
            file: self.file.to_string(),
            line,
            key,
            message,
        }
    }

    fn make(&self, key: String, line: Option<usize>, expected: String, mut found: String) -> SceneError {
        if let Some(s) = self.sets.iter().find(|s| key == s.path || key.starts_with(&format!("{}.", s.path))) {
            found = format!("{found} (from --set {})", s.arg);
        }
        SceneError::Invalid {
            file: self.file.to_string(),
            line,
            key,
            expected,
            found,
        }
    }

    /// A deserialisation error: its span gives the line and the key path.
    pub fn toml(&self, e: toml::de::Error) -> SceneError {
        let msg = e.message();
        let span = e.span();
        let line = span.clone().map(|s| line_at(self.text, s.start));
        let mut key = span.clone().and_then(|s| self.path_at(&s)).unwrap_or_default();
        if let Some(field) = msg.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
            key = if key.is_empty() {
                field.to_string()
            } else {
                format!("{key}.{field}")
            };
            return self.make(key, line, "a value (this key is required)".into(), "nothing".into());
        }
        let (expected, found) = match (msg, span) {
            // toml's words for a non-string where a name (an enum) belongs.
            ("wanted string or table", Some(s)) => ("a string".to_string(), format!("`{}`", self.text.get(s).unwrap_or("?"))),
            _ => split_message(msg),
        };
        self.make(key, line, expected, found)
    }

    /// An engine error, pointed at `key` when the caller knows which entry it concerns.
    pub fn engine(&self, key: Option<&str>, source: crate::Error) -> SceneError {
        let line = key.and_then(|k| self.span_of(k)).map(|s| line_at(self.text, s.start));
        SceneError::Engine {
            file: self.file.to_string(),
            line,
            source: Box::new(source),
        }
    }

    /// Span of the deepest existing prefix of `path`: a key's own span for
    /// table entries (so the line is the key's line), the element's span for
    /// array entries (a `[[table]]` header or an inline value).
    pub fn span_of(&self, path: &str) -> Option<Range<usize>> {
        fn entry<'t, 'i>(t: &'t DeTable<'i>, seg: &str) -> Option<(Range<usize>, &'t DeValue<'i>)> {
            t.iter().find(|(k, _)| k.get_ref() == seg).map(|(k, v)| (k.span(), v.get_ref()))
        }
        let mut span = None;
        let mut cur: Option<&DeValue> = None; // None: the root table
        for seg in path.split('.') {
            let next = match cur {
                None => entry(self.root.get_ref(), seg),
                Some(DeValue::Table(t)) => entry(t, seg),
                Some(DeValue::Array(a)) => seg.parse::<usize>().ok().and_then(|i| a.get(i)).map(|v| (v.span(), v.get_ref())),
                Some(_) => None,
            };
            let Some((s, v)) = next else { break };
            span = Some(s);
            cur = Some(v);
        }
        span
    }

    /// Key path of the innermost key or value whose span holds `span`.
    fn path_at(&self, span: &Range<usize>) -> Option<String> {
        fn holds(outer: &Range<usize>, inner: &Range<usize>) -> bool {
            outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
        }
        fn join(prefix: &str, seg: &str) -> String {
            if prefix.is_empty() {
                seg.to_string()
            } else {
                format!("{prefix}.{seg}")
            }
        }
        fn table(t: &DeTable, prefix: &str, span: &Range<usize>) -> Option<String> {
            t.iter().find_map(|(k, x)| {
                let path = join(prefix, k.get_ref());
                if holds(&k.span(), span) {
                    Some(path)
                } else {
                    value(x, path, span)
                }
            })
        }
        fn value(x: &Spanned<DeValue>, path: String, span: &Range<usize>) -> Option<String> {
            let inner = match x.get_ref() {
                DeValue::Table(t) => table(t, &path, span),
                DeValue::Array(a) => a.iter().enumerate().find_map(|(i, y)| value(y, join(&path, &i.to_string()), span)),
                _ => None,
            };
            inner.or_else(|| holds(&x.span(), span).then_some(path))
        }
        if *span == self.root.span() {
            return None;
        }
        table(self.root.get_ref(), "", span)
    }
}
