//! `ganymede generate-config`: a commented `ganymede.toml` with every key, its default and its doc,
//! written from the structs' schema so that it cannot drift from them.

use std::fmt::Write as _;

use serde_json::Value;

use crate::schema::{Field, Shape, Tree};

/// The file's opening comment.
const HEADER: &str = "\
# ganymede.toml: the configuration of Ganymede, a JupyterHub-compatible hub.
#
# Every key is shown commented out with its default value, under a `##` line that explains it.
# To change a key, uncomment its `# key = value` line and edit the value.
# Keys keep JupyterHub's names: c.JupyterHub.X is hub.X, c.Authenticator.X is authenticator.X,
# c.Spawner.X is spawner.X and c.ConfigurableHTTPProxy.X is proxy.X.
#
# Environment variables override this file, and command-line flags override both:
# hub.bind_url is GANYMEDE_HUB__BIND_URL. A secret key can be read from a file by adding
# _FILE to its variable, as in GANYMEDE_PROXY__AUTH_TOKEN_FILE=/run/secrets/proxy_token.
# JupyterHub's JPY_COOKIE_SECRET, CONFIGPROXY_AUTH_TOKEN and JUPYTERHUB_CRYPT_KEY are read too,
# when the matching key is not set.
";

/// A complete, commented `ganymede.toml`: every key, its default and its one-line explanation.
///
/// Parsing it gives the defaults, and so does parsing it with every `# key = value` line uncommented.
pub fn generate_config() -> String {
    let mut out = String::from(HEADER);
    for section in &Tree::get().root {
        table(&mut out, section, &section.name);
    }
    out
}

/// Writes one `[table]` and the tables below it.
fn table(out: &mut String, field: &Field, path: &str) {
    let Shape::Struct(fields) = &field.shape else {
        return;
    };
    out.push('\n');
    doc(out, &field.doc);
    let _ = writeln!(out, "[{path}]");
    // Plain keys first, then tables of tables, then sub-tables: a key written after a
    // `[[table]]` header would belong to that table.
    for field in fields
        .iter()
        .filter(|f| item_shape(f).is_none() && !is_struct(f))
    {
        out.push('\n');
        key(out, field);
    }
    for field in fields.iter().filter(|f| item_shape(f).is_some()) {
        out.push('\n');
        items(out, field, path);
    }
    for field in fields.iter().filter(|f| is_struct(f)) {
        table(out, field, &format!("{path}.{}", field.name));
    }
}

/// The key holds a sub-table.
fn is_struct(field: &Field) -> bool {
    matches!(field.shape, Shape::Struct(_))
}

/// For a list or map of tables (`[[hub.services]]`), the tables' fields and how a table is written.
fn item_shape(field: &Field) -> Option<(&[Field], &'static str)> {
    match &field.shape {
        Shape::List(item) => match item.as_ref() {
            Shape::Struct(fields) => Some((fields, "[[{}]]")),
            _ => None,
        },
        Shape::Map(item) => match item.as_ref() {
            Shape::Struct(fields) => Some((fields, "[{}.NAME]")),
            _ => None,
        },
        _ => None,
    }
}

/// Writes a list or map of tables: none by default, then the keys each table takes.
fn items(out: &mut String, field: &Field, path: &str) {
    let Some((fields, form)) = item_shape(field) else {
        return;
    };
    doc(out, &field.doc);
    let form = form.replace("{}", &format!("{path}.{}", field.name));
    let _ = writeln!(
        out,
        "## None by default. Each `{form}` table has these keys:"
    );
    for item in fields {
        let default =
            toml_value(&item.default).map_or("unset".to_owned(), |v| format!("default {v}"));
        let mut lines = item.doc.lines();
        let _ = writeln!(
            out,
            "##   {} ({default}): {}",
            item.name,
            lines.next().unwrap_or_default()
        );
        for line in lines.filter(|l| !l.is_empty()) {
            let _ = writeln!(out, "##     {line}");
        }
    }
}

/// Writes one key: its doc, then its default (or an example, if it has no default).
fn key(out: &mut String, field: &Field) {
    doc(out, &field.doc);
    match toml_value(&field.default) {
        Some(value) => {
            let _ = writeln!(out, "# {} = {value}", field.name);
        }
        None => {
            out.push_str("## Unset by default.");
            if let Some(example) = field.examples.first().and_then(toml_value) {
                let _ = write!(out, " Example: {} = {example}", field.name);
            }
            out.push('\n');
        }
    }
}

/// Writes a doc comment as `##` lines.
fn doc(out: &mut String, doc: &str) {
    for line in doc.lines().filter(|l| !l.is_empty()) {
        let _ = writeln!(out, "## {line}");
    }
}

/// A JSON default as a TOML value; `None` for null.
fn toml_value(value: &Value) -> Option<toml::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => toml::Value::Array(items.iter().filter_map(toml_value).collect()),
        Value::Object(map) => toml::Value::Table(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), toml_value(v)?)))
                .collect(),
        ),
    })
}

#[cfg(test)]
mod tests;
