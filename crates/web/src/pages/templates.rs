//! The page templates: minijinja, so deployers' Jinja2 templates carry over.
//!
//! A name is looked up in each of `template_paths` in order, then among the built-in templates.
//! `templates/<name>` always means the built-in one, so a deployer's `login.html` can
//! `{% extends "templates/login.html" %}` and override a block, as with JupyterHub.
//! Autoescaping is on for every `.html` template: every value is HTML-escaped unless a template
//! explicitly marks it `|safe`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use minijinja::{Environment, Value};

/// The built-in templates, compiled into the binary.
const BUILTIN: &[(&str, &str)] = &[
    ("page.html", include_str!("../../templates/page.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("logout.html", include_str!("../../templates/logout.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("token.html", include_str!("../../templates/token.html")),
    ("admin.html", include_str!("../../templates/admin.html")),
    (
        "admin_groups.html",
        include_str!("../../templates/admin_groups.html"),
    ),
    (
        "admin_group.html",
        include_str!("../../templates/admin_group.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
    ("spawn.html", include_str!("../../templates/spawn.html")),
    (
        "spawn_pending.html",
        include_str!("../../templates/spawn_pending.html"),
    ),
    ("oauth.html", include_str!("../../templates/oauth.html")),
];

/// Why a page could not be rendered; logged, and shown as a plain 500.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source}")]
pub(crate) struct TemplateError {
    name: String,
    #[source]
    source: minijinja::Error,
}

/// The template environment.
#[derive(Debug)]
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Templates from `paths` (searched first) and the built-in ones, with `vars` available to
    /// every template.
    pub(crate) fn new(
        paths: Vec<PathBuf>,
        vars: BTreeMap<String, serde_json::Value>,
        base_url: &str,
    ) -> Self {
        let mut env = Environment::new();
        let static_prefix = format!("{base_url}hub/static/");
        // JupyterHub's `static_url(path)`, with the version for cache busting.
        env.add_function("static_url", move |path: String| {
            format!("{static_prefix}{path}?v={}", env!("CARGO_PKG_VERSION"))
        });
        env.set_loader(move |name| load(&paths, name));
        // Jinja2 compatibility: `dict.items()`, `str.startswith()` and friends, as deployers'
        // templates written for JupyterHub use them.
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        for (key, value) in vars {
            env.add_global(key, Value::from(minijinja::value::Serde(value)));
        }
        Self { env }
    }

    /// Renders `name` with `context`.
    pub(crate) fn render(&self, name: &str, context: Value) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|source| TemplateError {
                name: name.to_owned(),
                source,
            })?;
        template.render(context).map_err(|source| TemplateError {
            name: name.to_owned(),
            source,
        })
    }
}

fn builtin(name: &str) -> Option<String> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| (*text).to_owned())
}

fn load(paths: &[PathBuf], name: &str) -> Result<Option<String>, minijinja::Error> {
    if let Some(inner) = name.strip_prefix("templates/") {
        return Ok(builtin(inner));
    }
    // Template names come from templates, not from requests; still, never leave the directory.
    if name.split('/').any(|part| part == ".." || part.is_empty()) {
        return Ok(None);
    }
    for dir in paths {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok(Some(text)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("cannot read template {}: {err}", path.display()),
                ));
            }
        }
    }
    Ok(builtin(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn deployer_templates_override_and_extend_the_builtin_ones() {
        let dir = std::env::temp_dir().join(format!("ganymede-templates-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("error.html"),
            "{% extends \"templates/error.html\" %}{% block error_detail %}custom {{ message }}{% endblock %}",
        )
        .unwrap();
        let templates = Templates::new(vec![dir.clone()], BTreeMap::new(), "/");
        let html = templates
            .render(
                "error.html",
                context! { status_code => 418, message => "<b>teapot</b>", base_url => "/" },
            )
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            html.contains("custom &lt;b&gt;teapot&lt;&#x2f;b&gt;"),
            "{html}"
        );
        assert!(html.contains("418"), "{html}");
    }

    #[test]
    fn every_builtin_template_parses() {
        let templates = Templates::new(Vec::new(), BTreeMap::new(), "/");
        for (name, _) in BUILTIN {
            templates.env.get_template(name).unwrap();
        }
    }
}
