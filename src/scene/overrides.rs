//! `--set key.path=value` overrides, applied to the scene text with
//! toml_edit so that comments, layout and the lines of untouched keys stay as
//! written. A key that does not exist yet is created at the end of its table
//! (a missing table at the end of the file); an array entry is addressed by
//! its index, and index = length appends a new `[[table]]` entry. Whether the
//! key belongs to the schema is checked afterwards, when the resolved text is
//! read like any scene file.

use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

use super::error::{line_at, SceneError};

/// One applied override: its key path and the argument as given.
#[derive(Clone, Debug)]
pub(super) struct Set {
    pub path: String,
    pub arg: String,
}

/// Why an override could not be placed: at which key, expected, found.
type Why = (String, String, String);

/// Apply `overrides` to `text`; returns the resolved text and the overrides.
pub(super) fn apply(file: &str, text: &str, overrides: &[String]) -> Result<(String, Vec<Set>), SceneError> {
    if overrides.is_empty() {
        return Ok((text.to_string(), Vec::new()));
    }
    let invalid = |line, key: String, expected: String, found: String| SceneError::Invalid {
        file: file.to_string(),
        line,
        key,
        expected,
        found,
    };
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        invalid(
            e.span().map(|s| line_at(text, s.start)),
            String::new(),
            "valid TOML".into(),
            e.message().to_string(),
        )
    })?;
    let mut sets = Vec::new();
    for arg in overrides {
        let Some((path, raw)) = arg.split_once('=') else {
            return Err(invalid(
                None,
                "--set".into(),
                "KEY.PATH=VALUE, e.g. sources.0.wavelength_um=0.45".into(),
                format!("`{arg}`"),
            ));
        };
        let path = path.trim();
        let segs: Vec<&str> = path.split('.').map(str::trim).collect();
        if segs.iter().any(|s| s.is_empty()) {
            return Err(invalid(
                None,
                "--set".into(),
                "a dotted key path such as simulation.resolution".into(),
                format!("`{arg}`"),
            ));
        }
        // A TOML value (number, boolean, array, quoted string), else the text as a string.
        let raw = raw.trim();
        let mut value = raw.parse::<Value>().unwrap_or_else(|_| Value::from(raw));
        value.decor_mut().clear();
        set_table(doc.as_table_mut(), &segs, "", value)
            .map_err(|(key, expected, found)| invalid(None, key, expected, format!("{found} (from --set {arg})")))?;
        sets.push(Set {
            path: segs.join("."),
            arg: arg.clone(),
        });
    }
    Ok((doc.to_string(), sets))
}

fn join(prefix: &str, seg: &str) -> String {
    if prefix.is_empty() {
        seg.to_string()
    } else {
        format!("{prefix}.{seg}")
    }
}

/// Replace a value, keeping its surrounding whitespace and comment.
fn replace(old: &mut Value, mut new: Value) {
    *new.decor_mut() = old.decor().clone();
    *old = new;
}

fn index(seg: &str, len: usize, at: &str, append: bool) -> Result<usize, Why> {
    let bound = if append { len + 1 } else { len };
    match seg.parse::<usize>() {
        Ok(i) if i < bound => Ok(i),
        _ => Err((
            at.to_string(),
            format!(
                "an index below {bound} (`{at}` has {len} {})",
                if len == 1 { "entry" } else { "entries" }
            ),
            format!("`{seg}`"),
        )),
    }
}

fn set_table(t: &mut Table, segs: &[&str], prefix: &str, value: Value) -> Result<(), Why> {
    let (head, rest) = segs
        .split_first()
        .ok_or_else(|| (prefix.to_string(), "a key".to_string(), "nothing".to_string()))?;
    let here = join(prefix, head);
    if rest.is_empty() {
        match t.get_mut(head) {
            Some(Item::Value(old)) => replace(old, value),
            Some(item) => *item = Item::Value(value),
            None => {
                t.insert(head, Item::Value(value));
            }
        }
        return Ok(());
    }
    let item = t.entry(head).or_insert_with(|| {
        let mut new = Table::new();
        new.set_implicit(true);
        Item::Table(new)
    });
    set_item(item, rest, &here, value)
}

fn set_item(item: &mut Item, segs: &[&str], prefix: &str, value: Value) -> Result<(), Why> {
    match item {
        Item::Table(t) => set_table(t, segs, prefix, value),
        Item::Value(v) => set_value(v, segs, prefix, value),
        Item::ArrayOfTables(a) => {
            let (head, rest) = segs
                .split_first()
                .ok_or_else(|| (prefix.to_string(), "a key".to_string(), "nothing".to_string()))?;
            let i = index(head, a.len(), prefix, !rest.is_empty())?;
            if rest.is_empty() {
                return Err((
                    join(prefix, head),
                    format!("a key inside the table, e.g. {prefix}.{head}.type"),
                    "a whole table".into(),
                ));
            }
            if i == a.len() {
                a.push(Table::new());
            }
            match a.get_mut(i) {
                Some(t) => set_table(t, rest, &join(prefix, head), value),
                None => Err((prefix.to_string(), "an existing entry".into(), format!("`{head}`"))),
            }
        }
        Item::None => Err((prefix.to_string(), "a table".into(), "nothing".into())),
    }
}

fn set_value(v: &mut Value, segs: &[&str], prefix: &str, value: Value) -> Result<(), Why> {
    let (head, rest) = segs
        .split_first()
        .ok_or_else(|| (prefix.to_string(), "a key".to_string(), "nothing".to_string()))?;
    let here = join(prefix, head);
    match v {
        Value::InlineTable(t) => {
            if rest.is_empty() {
                match t.get_mut(head) {
                    Some(old) => replace(old, value),
                    None => {
                        t.insert(*head, value);
                    }
                }
                Ok(())
            } else {
                let child = t.entry(*head).or_insert(Value::InlineTable(InlineTable::new()));
                set_value(child, rest, &here, value)
            }
        }
        Value::Array(a) => {
            let i = index(head, a.len(), prefix, false)?;
            match a.get_mut(i) {
                Some(el) if rest.is_empty() => {
                    replace(el, value);
                    Ok(())
                }
                Some(el) => set_value(el, rest, &here, value),
                None => Err((prefix.to_string(), "an existing entry".into(), format!("`{head}`"))),
            }
        }
        other => Err((
            prefix.to_string(),
            format!("a table or an array to hold `{head}`"),
            format!("{} value", other.type_name()),
        )),
    }
}
