//! Layering: defaults, then `ganymede.toml`, then `GANYMEDE_*` variables, then command-line overrides.
//!
//! The file is deserialised alone first, so its syntax and type errors keep toml's line and column
//! and its unknown keys get a line number. Each variable and override is then checked alone
//! against its key's type, merged into the file's table, and the result is validated.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::env::{ENV_PREFIX, Env, env_var_name};
use crate::error::{ConfigError, Problem};
use crate::model::Config;
use crate::schema::{DisplayPath, Seg, Shape, Tree};
use crate::spans;
use crate::suggest::nearest_key;
use crate::validate::validate;

/// The file looked for when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "ganymede.toml";

/// Which config file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigFile {
    /// `./ganymede.toml` if it exists, else none.
    Auto,
    /// This file, which must exist.
    Path(PathBuf),
    /// No file: defaults, environment and overrides only.
    None,
}

/// One value from the environment or the command line, ready to merge.
struct Layer {
    /// The key's path.
    path: Vec<String>,
    /// The converted value.
    value: toml::Value,
    /// The variable or flag it came from.
    origin: String,
}

/// Loads and validates the config: defaults → file → `GANYMEDE_*` variables → `overrides`.
///
/// `overrides` are `(key, value)` pairs from the command line, such as `("hub.bind_url", "http://…")`;
/// string keys take the value as it is, other keys take a TOML value (`10`, `true`, `["a", "b"]`).
/// Nothing here reads JupyterHub's variables or touches secrets: see [`crate::Secrets::load`].
pub fn load(
    file: &ConfigFile,
    env: &dyn Env,
    overrides: &[(String, String)],
) -> Result<Config, ConfigError> {
    let tree = Tree::get();
    let source = match file {
        ConfigFile::Auto => {
            let path = PathBuf::from(DEFAULT_CONFIG_FILE);
            path.is_file().then_some(path)
        }
        ConfigFile::Path(path) => Some(path.clone()),
        ConfigFile::None => None,
    };
    let (mut table, text) = match &source {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
                path: path.clone(),
                source,
            })?;
            (parse_file(tree, path, &text)?, text)
        }
        None => (toml::Table::new(), String::new()),
    };

    let mut problems = Vec::new();
    let mut layers = env_layers(tree, env, &mut problems);
    for (key, raw) in overrides {
        let segs: Vec<String> = key.split('.').map(str::to_owned).collect();
        match layer(tree, segs, raw, "command line".to_owned(), false) {
            Ok(layer) => layers.push(layer),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    for layer in &layers {
        insert(&mut table, &layer.path, layer.value.clone());
    }
    let config = Config::deserialize(toml::Value::Table(table)).map_err(|err| {
        ConfigError::Invalid(vec![Problem::invalid("(config)", err.message().to_owned())])
    })?;

    let mut problems = validate(&config);
    for problem in &mut problems {
        problem.origin = origin_of(&problem.key, &layers, source.as_deref(), &text);
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::Invalid(problems))
    }
}

/// Parses the file, reporting syntax and type errors with toml's position and unknown keys by line.
fn parse_file(tree: &Tree, path: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    let parse_error = |err: toml::de::Error| ConfigError::Parse {
        path: path.to_owned(),
        location: err
            .span()
            .map(|span| {
                let (line, column) = spans::line_column(text, span.start);
                format!(" line {line}, column {column}")
            })
            .unwrap_or_default(),
        message: err.message().trim_end().to_owned(),
    };
    let deserializer = toml::Deserializer::parse(text).map_err(parse_error)?;
    let mut unknown: Vec<Vec<Seg>> = Vec::new();
    let _: Config = serde_ignored::deserialize(deserializer, |path| unknown.push(segs_of(&path)))
        .map_err(parse_error)?;
    if !unknown.is_empty() {
        let mut found: Vec<(Option<usize>, Problem)> = unknown
            .iter()
            .map(|segs| {
                let origin = file_origin(path, text, segs);
                (spans::key_line(text, segs), unknown_key(tree, segs, origin))
            })
            .collect();
        found.sort_by_key(|(line, _)| *line);
        return Err(ConfigError::Invalid(
            found.into_iter().map(|(_, p)| p).collect(),
        ));
    }
    toml::from_str(text).map_err(parse_error)
}

/// `ganymede.toml line 3`, or the file's name alone if the key is not found in it.
fn file_origin(path: &Path, text: &str, segs: &[Seg]) -> String {
    match spans::key_line(text, segs) {
        Some(line) => format!("{} line {line}", path.display()),
        None => path.display().to_string(),
    }
}

/// Where the final value of `key` came from.
fn origin_of(key: &str, layers: &[Layer], file: Option<&Path>, text: &str) -> String {
    let segs = spans::parse_path(key);
    let from_layer = layers.iter().rev().find(|layer| {
        layer.path.len() <= segs.len()
            && layer
                .path
                .iter()
                .zip(&segs)
                .all(|(a, b)| matches!(b, Seg::Key(k) if k == a))
    });
    match (from_layer, file) {
        (Some(layer), _) => layer.origin.clone(),
        (None, Some(path)) if spans::key_line(text, &segs).is_some() => {
            file_origin(path, text, &segs)
        }
        _ => String::new(),
    }
}

/// An unknown key found in `origin`, with the nearest valid key.
fn unknown_key(tree: &Tree, segs: &[Seg], origin: String) -> Problem {
    let (last, parent) = match segs.split_last() {
        Some((Seg::Key(last), parent)) => (last.as_str(), parent),
        _ => ("", segs),
    };
    let suggestion = nearest_key(tree, parent, last).map(|p| DisplayPath(&p).to_string());
    Problem::unknown(DisplayPath(segs).to_string(), origin, suggestion)
}

/// Converts serde_ignored's path to ours.
fn segs_of(path: &serde_ignored::Path<'_>) -> Vec<Seg> {
    use serde_ignored::Path as P;
    match path {
        P::Root => Vec::new(),
        P::Seq { parent, index } => {
            let mut segs = segs_of(parent);
            segs.push(Seg::Index(*index));
            segs
        }
        P::Map { parent, key } => {
            let mut segs = segs_of(parent);
            segs.push(Seg::Key(key.clone()));
            segs
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            segs_of(parent)
        }
    }
}

/// The `GANYMEDE_SECTION__KEY` variables, converted; unknown names become problems.
///
/// Variables that neither contain `__` nor start with a section's name (`GANYMEDE_CONFIG`,
/// `GANYMEDE_LOG`) are not config keys and are left to the binary.
fn env_layers(tree: &Tree, env: &dyn Env, problems: &mut Vec<Problem>) -> Vec<Layer> {
    let mut layers = Vec::new();
    for (name, raw) in env.vars_with_prefix(ENV_PREFIX) {
        let rest = name[ENV_PREFIX.len()..].to_ascii_lowercase();
        let in_section = tree
            .root
            .iter()
            .any(|f| rest == f.name || rest.starts_with(&format!("{}_", f.name)));
        if !rest.contains("__") && !in_section {
            continue;
        }
        let segs: Vec<String> = rest.split("__").map(str::to_owned).collect();
        let origin = format!("environment variable {name}");
        match layer(tree, segs.clone(), &raw, origin.clone(), true) {
            Ok(layer) => layers.push(layer),
            Err(mut problem) => {
                let own_key = problem.key == segs.join(".");
                if let crate::ProblemKind::UnknownKey { suggestion } = &mut problem.kind
                    && own_key
                {
                    *suggestion = env_suggestion(tree, &segs, &rest);
                }
                problems.push(problem);
            }
        }
    }
    layers
}

/// The variable nearest to an unknown one: `GANYMEDE_HUB_BIND_URL` → `GANYMEDE_HUB__BIND_URL`.
fn env_suggestion(tree: &Tree, segs: &[String], rest: &str) -> Option<String> {
    if segs.len() == 1 {
        for section in &tree.root {
            if let Some(key) = rest.strip_prefix(&format!("{}_", section.name))
                && tree.field(&[section.name.as_str(), key]).is_some()
            {
                return Some(env_var_name(&format!("{}.{key}", section.name)));
            }
        }
    }
    let (last, parent) = segs.split_last()?;
    let parent: Vec<Seg> = parent.iter().map(|s| Seg::Key(s.clone())).collect();
    let path = nearest_key(tree, &parent, last.strip_suffix("_file").unwrap_or(last))?;
    Some(env_var_name(&DisplayPath(&path).to_string()))
}

/// One key set from outside the file: resolves the key (and `_FILE` for secrets), converts and
/// type-checks the value.
fn layer(
    tree: &Tree,
    mut segs: Vec<String>,
    raw: &str,
    origin: String,
    allow_file: bool,
) -> Result<Layer, Problem> {
    let key = segs.join(".");
    let names: Vec<&str> = segs.iter().map(String::as_str).collect();
    let mut value = raw.to_owned();
    let field = match tree.field(&names) {
        Some(field) if !matches!(field.shape, Shape::Struct(_)) => field,
        _ => {
            let stripped = names.split_last().and_then(|(last, parent)| {
                let mut path = parent.to_vec();
                path.push(last.strip_suffix("_file")?);
                tree.field(&path)
            });
            match stripped {
                Some(field)
                    if allow_file && matches!(field.shape, Shape::Scalar { secret: true, .. }) =>
                {
                    value = std::fs::read_to_string(raw)
                        .map_err(|err| {
                            let mut problem =
                                Problem::invalid(&key, format!("cannot read `{raw}`: {err}"));
                            problem.origin.clone_from(&origin);
                            problem
                        })?
                        .trim_end_matches(['\n', '\r'])
                        .to_owned();
                    if let Some(last) = segs.last_mut() {
                        last.truncate(last.len() - "_file".len());
                    }
                    field
                }
                _ => {
                    let segs: Vec<Seg> = segs.into_iter().map(Seg::Key).collect();
                    return Err(unknown_key(tree, &segs, origin));
                }
            }
        }
    };
    let key = segs.join(".");
    let invalid = |message: String| {
        let mut problem = Problem::invalid(&key, message);
        problem.origin.clone_from(&origin);
        problem
    };
    let value = match field.shape {
        Shape::Scalar { text: true, .. } => toml::Value::String(value),
        _ => toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut table| table.remove("v"))
            .ok_or_else(|| {
                invalid(format!(
                    "`{value}` is not a TOML value; write e.g. `10`, `true`, `[\"a\", \"b\"]` or `{{ a = \"b\" }}`"
                ))
            })?,
    };
    let mut alone = toml::Table::new();
    insert(&mut alone, &segs, value.clone());
    let mut unknown: Vec<Vec<Seg>> = Vec::new();
    let _: Config = serde_ignored::deserialize(toml::Value::Table(alone), |path| {
        unknown.push(segs_of(&path))
    })
    .map_err(|err| invalid(err.message().to_owned()))?;
    if let Some(segs) = unknown.first() {
        return Err(unknown_key(tree, segs, origin));
    }
    Ok(Layer {
        path: segs,
        value,
        origin,
    })
}

/// Sets `path` in `table`, creating the tables on the way.
fn insert(table: &mut toml::Table, path: &[String], value: toml::Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut table = table;
    for name in parents {
        let entry = table
            .entry(name.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(inner) = entry else {
            return;
        };
        table = inner;
    }
    table.insert(last.clone(), value);
}

#[cfg(test)]
mod tests;
