//! Checks every value before anything starts: each problem names the key and the fix.

mod sections;

use std::collections::BTreeSet;
use std::path::Path;

use url::Url;

use crate::error::Problem;
use crate::model::{Config, HubSection};

/// Smallest cookie secret, in bytes (JupyterHub writes 32).
pub(crate) const COOKIE_SECRET_MIN_BYTES: usize = 32;
/// Shortest API token JupyterHub accepts.
const TOKEN_MIN_LEN: usize = 8;

/// Every problem in `config`; empty if it is valid.
pub(crate) fn validate(config: &Config) -> Vec<Problem> {
    let mut out = Problems(Vec::new());
    hub(&config.hub, &mut out);
    sections::authenticator(&config.authenticator, &mut out);
    sections::spawner(&config.spawner, &mut out);
    sections::proxy(&config.proxy, &mut out);
    out.0
}

/// Collected problems.
pub(crate) struct Problems(pub(crate) Vec<Problem>);

impl Problems {
    /// Records a problem with `key`.
    pub(crate) fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::invalid(key, message));
    }

    /// `value` must be at least 1.
    pub(crate) fn positive(&mut self, key: &str, value: u64) {
        if value == 0 {
            self.add(key, "must be at least 1");
        }
    }

    /// `url` must use one of `schemes`.
    pub(crate) fn scheme(&mut self, key: &str, url: &Url, schemes: &[&str], example: &str) -> bool {
        if schemes.contains(&url.scheme()) {
            return true;
        }
        let allowed: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
        let allowed = match allowed.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => allowed.concat(),
        };
        self.add(
            key,
            format!("`{url}` must start with {allowed}, e.g. `{example}`"),
        );
        false
    }

    /// `path` must be an existing file.
    pub(crate) fn file(&mut self, key: &str, path: &Path) {
        if !path.is_file() {
            self.add(key, format!("file `{}` does not exist", path.display()));
        }
    }
}

/// Checks `[hub]`.
fn hub(hub: &HubSection, out: &mut Problems) {
    if !hub.base_url.starts_with('/') || !hub.base_url.ends_with('/') {
        let fixed = format!("/{}/", hub.base_url.trim_matches('/'));
        let fixed = if fixed == "//" { "/".to_owned() } else { fixed };
        out.add(
            "hub.base_url",
            format!(
                "`{}` must start and end with `/`: write `{fixed}`",
                hub.base_url
            ),
        );
    } else if hub.base_url.contains(['?', '#', ' ']) || hub.base_url.contains("//") {
        out.add(
            "hub.base_url",
            format!(
                "`{}` must be a plain path such as `/jupyter/`",
                hub.base_url
            ),
        );
    }

    let public = &hub.bind_url;
    if out.scheme(
        "hub.bind_url",
        public,
        &["http", "https", "http+unix"],
        "http://127.0.0.1:8000",
    ) {
        let path = public.path();
        if !path.is_empty() && path != "/" && path != hub.base_url {
            out.add(
                "hub.bind_url",
                format!("has the path `{path}`: set `hub.base_url = \"{path}\"` and leave the path out of bind_url"),
            );
        }
        if public.query().is_some() || public.fragment().is_some() {
            out.add("hub.bind_url", "must have no `?query` or `#fragment`");
        }
        let https = public.scheme() == "https";
        match (&hub.ssl_key, &hub.ssl_cert) {
            (Some(key), Some(cert)) => {
                out.file("hub.ssl_key", key);
                out.file("hub.ssl_cert", cert);
                if !https {
                    out.add(
                        "hub.bind_url",
                        "must be https:// when `hub.ssl_cert` and `hub.ssl_key` are set",
                    );
                }
            }
            (Some(_), None) => out.add("hub.ssl_cert", "must be set with `hub.ssl_key`"),
            (None, Some(_)) => out.add("hub.ssl_key", "must be set with `hub.ssl_cert`"),
            (None, None) if https => {
                out.add(
                    "hub.bind_url",
                    "is https://: set `hub.ssl_cert` and `hub.ssl_key` too",
                );
            }
            (None, None) => {}
        }
    }

    let private = &hub.hub_bind_url;
    if out.scheme(
        "hub.hub_bind_url",
        private,
        &["http", "http+unix"],
        "http://127.0.0.1:8081",
    ) && !matches!(private.path(), "" | "/")
    {
        out.add(
            "hub.hub_bind_url",
            "must have no path: the hub serves under `hub.base_url`",
        );
    }
    match &hub.hub_connect_url {
        Some(url) => {
            out.scheme(
                "hub.hub_connect_url",
                url,
                &["http", "https"],
                "http://hub.example.org:8081",
            );
        }
        None if private.scheme() == "http+unix" => out.add(
            "hub.hub_connect_url",
            "must be set when `hub.hub_bind_url` is a unix socket, e.g. `http://127.0.0.1:8081`",
        ),
        None => {}
    }

    if let Some(db_url) = &hub.db_url {
        let scheme = db_url
            .split_once("://")
            .map(|(s, _)| s.split('+').next().unwrap_or(s));
        match scheme {
            _ if db_url.trim().is_empty() => out.add(
                "hub.db_url",
                "is empty: remove it to use SQLite in `hub.data_dir`",
            ),
            None | Some("sqlite" | "postgres" | "postgresql" | "mysql" | "mariadb") => {}
            Some(other) => out.add(
                "hub.db_url",
                format!(
                    "database `{other}` is not supported: use sqlite:///, postgresql:// or mysql://"
                ),
            ),
        }
    }
    if let Some(secret) = &hub.cookie_secret
        && let Err(message) = cookie_secret_hex(secret.expose())
    {
        out.add("hub.cookie_secret", message);
    }
    if !(hub.cookie_max_age_days.is_finite() && hub.cookie_max_age_days > 0.0) {
        out.add(
            "hub.cookie_max_age_days",
            "must be a number of days above 0, e.g. 14",
        );
    }
    out.positive(
        "hub.api_page_default_limit",
        hub.api_page_default_limit.into(),
    );
    out.positive("hub.api_page_max_limit", hub.api_page_max_limit.into());
    if hub.api_page_default_limit > hub.api_page_max_limit {
        out.add(
            "hub.api_page_default_limit",
            format!(
                "{} is above `hub.api_page_max_limit` ({})",
                hub.api_page_default_limit, hub.api_page_max_limit
            ),
        );
    }
    out.positive("hub.last_activity_interval", hub.last_activity_interval);
    for (i, dir) in hub.template_paths.iter().enumerate() {
        if !dir.is_dir() {
            out.add(
                format!("hub.template_paths[{i}]"),
                format!("directory `{}` does not exist", dir.display()),
            );
        }
    }
    hub_entities(hub, out);
}

/// Groups, roles, services and tokens loaded at startup.
fn hub_entities(hub: &HubSection, out: &mut Problems) {
    for (name, group) in &hub.load_groups {
        let key = format!("hub.load_groups.{name}");
        if name.trim().is_empty() || name.contains('/') {
            out.add(&key, "group names must be non-empty and contain no `/`");
        }
        if group.users.iter().any(|u| u.trim().is_empty()) {
            out.add(format!("{key}.users"), "user names must not be empty");
        }
    }
    let mut roles = BTreeSet::new();
    for (i, role) in hub.load_roles.iter().enumerate() {
        let key = format!("hub.load_roles[{i}].name");
        if !valid_role_name(&role.name) {
            out.add(&key, format!("`{}`: role names are 3-255 of `a-z 0-9 - _ ~ .`, starting with a letter and ending with a letter or digit", role.name));
        } else if !roles.insert(role.name.as_str()) {
            out.add(&key, format!("role `{}` is defined twice", role.name));
        }
        if role.scopes.iter().any(|s| s.trim().is_empty()) {
            out.add(
                format!("hub.load_roles[{i}].scopes"),
                "scopes must not be empty",
            );
        }
    }
    let mut services = BTreeSet::new();
    for (i, service) in hub.services.iter().enumerate() {
        let key = format!("hub.services[{i}]");
        let name = &service.name;
        if name.is_empty() {
            out.add(
                format!("{key}.name"),
                "is missing: every service needs a name",
            );
        } else if name.contains(['/', '%']) || name.trim() != name || name.chars().all(|c| c == '.')
        {
            out.add(format!("{key}.name"), format!("`{name}`: service names must be non-empty, with no `/`, `%` or surrounding spaces"));
        } else if !services.insert(name.as_str()) {
            out.add(
                format!("{key}.name"),
                format!("service `{name}` is defined twice"),
            );
        }
        if let Some(url) = &service.url {
            out.scheme(
                &format!("{key}.url"),
                url,
                &["http", "https"],
                "http://127.0.0.1:10101",
            );
        }
        if service
            .api_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < TOKEN_MIN_LEN)
        {
            out.add(
                format!("{key}.api_token"),
                format!("must be at least {TOKEN_MIN_LEN} characters"),
            );
        }
        if let Some(id) = &service.oauth_client_id
            && !id.starts_with("service-")
        {
            out.add(
                format!("{key}.oauth_client_id"),
                format!("`{id}` must start with `service-`"),
            );
        }
    }
    for user in hub.api_tokens.0.values() {
        if user.trim().is_empty() {
            out.add("hub.api_tokens", "every token needs a user name");
        }
    }
    if hub.api_tokens.0.keys().any(|t| t.len() < TOKEN_MIN_LEN) {
        out.add(
            "hub.api_tokens",
            format!("tokens must be at least {TOKEN_MIN_LEN} characters"),
        );
    }
}

/// JupyterHub's role name rule: `^[a-z][a-z0-9\-_~\.]{1,253}[a-z0-9]$`.
fn valid_role_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=255).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1].is_ascii_lowercase() | bytes[bytes.len() - 1].is_ascii_digit()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_~.".contains(b))
}

/// Decodes a hex cookie secret, or says what is wrong with it.
pub(crate) fn cookie_secret_hex(text: &str) -> Result<Vec<u8>, String> {
    let bytes = hex::decode(text.trim())
        .map_err(|_| "must be hex digits; make one with `openssl rand -hex 32`".to_owned())?;
    if bytes.len() < COOKIE_SECRET_MIN_BYTES {
        return Err(format!(
            "is {} bytes; it must be at least {COOKIE_SECRET_MIN_BYTES} (make one with `openssl rand -hex 32`)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
