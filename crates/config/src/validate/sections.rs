//! Checks of `[authenticator]`, `[spawner]` and `[proxy]`.

use std::collections::BTreeSet;

use super::Problems;
use crate::model::{
    AuthenticatorClass, AuthenticatorSection, ProxyMode, ProxySection, SpawnerSection,
};

/// Shortest `user_password`, as JupyterHub's `SharedPasswordAuthenticator`.
const USER_PASSWORD_MIN_LEN: usize = 8;
/// Shortest `admin_password`, as JupyterHub's `SharedPasswordAuthenticator`.
const ADMIN_PASSWORD_MIN_LEN: usize = 32;

/// Checks `[authenticator]` and its backends' tables.
pub(super) fn authenticator(auth: &AuthenticatorSection, out: &mut Problems) {
    if let Some(pattern) = &auth.username_pattern
        && let Err(err) = regex::Regex::new(pattern)
    {
        let err = err.to_string().replace('\n', " ");
        out.add(
            "authenticator.username_pattern",
            format!("is not a valid regular expression: {err}"),
        );
    }
    for (from, to) in &auth.username_map {
        if from.is_empty() || to.trim().is_empty() {
            out.add("authenticator.username_map", "names must not be empty");
        }
    }
    if auth.allowed_failed_logins > 0 {
        out.positive(
            "authenticator.seconds_before_next_try",
            auth.seconds_before_next_try,
        );
    }

    let shared = &auth.shared_password;
    let user = shared.user_password.as_ref().map(|s| s.expose().as_str());
    let admin = shared.admin_password.as_ref().map(|s| s.expose().as_str());
    if let Some(password) = user
        && password.chars().count() < USER_PASSWORD_MIN_LEN
    {
        out.add(
            "authenticator.shared_password.user_password",
            format!("must be at least {USER_PASSWORD_MIN_LEN} characters"),
        );
    }
    if let Some(password) = admin
        && password.chars().count() < ADMIN_PASSWORD_MIN_LEN
    {
        out.add(
            "authenticator.shared_password.admin_password",
            format!("must be at least {ADMIN_PASSWORD_MIN_LEN} characters (`openssl rand -hex 16` makes one)"),
        );
    }
    if user.is_some() && user == admin {
        out.add(
            "authenticator.shared_password.admin_password",
            "must differ from `authenticator.shared_password.user_password`",
        );
    }
    match (auth.class, &auth.users_file.path) {
        (AuthenticatorClass::UsersFile, Some(path)) => {
            out.file("authenticator.users_file.path", path)
        }
        (AuthenticatorClass::UsersFile, None) => out.add(
            "authenticator.users_file.path",
            "must be set when `authenticator.class = \"users-file\"`",
        ),
        _ => {}
    }
}

/// Checks `[spawner]`, including its profiles.
pub(super) fn spawner(spawner: &SpawnerSection, out: &mut Problems) {
    if spawner
        .cmd
        .first()
        .is_none_or(|program| program.trim().is_empty())
    {
        out.add(
            "spawner.cmd",
            "must name the program, e.g. `[\"jupyterhub-singleuser\"]`",
        );
    }
    out.positive("spawner.start_timeout", spawner.start_timeout);
    out.positive("spawner.http_timeout", spawner.http_timeout);
    let bad_name = |name: &String| name.is_empty() || name.contains(['=', '\0']);
    if spawner.environment.keys().any(bad_name) {
        out.add(
            "spawner.environment",
            "variable names must be non-empty, with no `=`",
        );
    }
    if spawner.env_keep.iter().any(bad_name) {
        out.add(
            "spawner.env_keep",
            "variable names must be non-empty, with no `=`",
        );
    }

    let mut slugs = BTreeSet::new();
    let mut defaults = 0;
    for (i, profile) in spawner.profiles.iter().enumerate() {
        let key = format!("spawner.profiles[{i}]");
        let slug = &profile.slug;
        if slug.is_empty()
            || !slug
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            out.add(
                format!("{key}.slug"),
                format!("`{slug}` must be letters, digits, `-` and `_`"),
            );
        } else if !slugs.insert(slug.as_str()) {
            out.add(
                format!("{key}.slug"),
                format!("profile `{slug}` is defined twice"),
            );
        }
        defaults += usize::from(profile.default);
        let over = &profile.spawner_override;
        if over
            .cmd
            .as_ref()
            .is_some_and(|cmd| cmd.first().is_none_or(|p| p.trim().is_empty()))
        {
            out.add(
                format!("{key}.spawner_override.cmd"),
                "must name the program, e.g. `[\"jupyterhub-singleuser\"]`",
            );
        }
        if over
            .environment
            .as_ref()
            .is_some_and(|env| env.keys().any(bad_name))
        {
            out.add(
                format!("{key}.spawner_override.environment"),
                "variable names must be non-empty, with no `=`",
            );
        }
    }
    if defaults > 1 {
        out.add(
            "spawner.profiles",
            "at most one profile may have `default = true`",
        );
    }
}

/// Checks `[proxy]`.
pub(super) fn proxy(proxy: &ProxySection, out: &mut Problems) {
    out.scheme(
        "proxy.api_url",
        &proxy.api_url,
        &["http", "https"],
        "http://127.0.0.1:8001",
    );
    // An empty command means this binary's own `proxy` subcommand; a blank program never runs.
    if proxy.mode == ProxyMode::External
        && proxy.should_start
        && proxy
            .command
            .first()
            .is_some_and(|program| program.trim().is_empty())
    {
        out.add(
            "proxy.command",
            "must start with the proxy's program, or be empty for `ganymede proxy`",
        );
    }
    if !["debug", "info", "warn", "error"].contains(&proxy.log_level.to_ascii_lowercase().as_str())
    {
        out.add("proxy.log_level", "must be one of debug, info, warn, error");
    }
    if proxy.check_running_interval == 0 {
        out.add("proxy.check_running_interval", "must be at least 1 second");
    }
}
