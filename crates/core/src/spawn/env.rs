//! The environment of a single-user server: what `jupyterhub-singleuser` 6.1.1 reads.

use std::collections::BTreeMap;

use serde_json::json;

use crate::model::Urls;
use crate::py::{quote, url_escape_path};
use crate::spawn::SpawnSettings;

/// The OAuth client id of a server: `jupyterhub-user-<quote(name)>[-<quote(server)>]`.
pub fn client_id(user: &str, server: &str) -> String {
    if server.is_empty() {
        format!("jupyterhub-user-{}", quote(user))
    } else {
        format!("jupyterhub-user-{}-{}", quote(user), quote(server))
    }
}

/// The scopes that let a browser user into the server (`JUPYTERHUB_OAUTH_ACCESS_SCOPES`).
pub fn access_scopes(user: &str, server: &str) -> Vec<String> {
    vec![
        format!("access:servers!server={user}/{server}"),
        format!("access:servers!user={user}"),
    ]
}

/// What the environment is computed from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EnvInput<'a> {
    pub(crate) user: &'a str,
    pub(crate) server: &'a str,
    pub(crate) api_token: &'a str,
    pub(crate) port: u16,
    pub(crate) base_url: &'a str,
}

/// Expands `{username}` as JupyterHub's `Spawner.format_string` does for the common key.
fn expand(text: &str, user: &str) -> String {
    text.replace("{username}", user)
}

/// The `JUPYTERHUB_*` variables, then the configured `environment` on top.
pub(crate) fn server_env(
    input: EnvInput<'_>,
    settings: &SpawnSettings,
) -> BTreeMap<String, String> {
    let urls = Urls {
        base_url: input.base_url,
    };
    let prefix = urls.server_url(input.user, input.server);
    let hub_api = settings.hub_api_url.trim_end_matches('/').to_owned();
    let access = json!(access_scopes(input.user, input.server)).to_string();
    let mut env = BTreeMap::new();
    let mut set = |key: &str, value: String| {
        env.insert(key.to_owned(), value);
    };
    set("JUPYTERHUB_API_TOKEN", input.api_token.to_owned());
    set("JPY_API_TOKEN", input.api_token.to_owned());
    set("JUPYTERHUB_CLIENT_ID", client_id(input.user, input.server));
    set("JUPYTERHUB_HOST", String::new());
    set(
        "JUPYTERHUB_OAUTH_CALLBACK_URL",
        format!("{prefix}oauth_callback"),
    );
    set("JUPYTERHUB_OAUTH_ACCESS_SCOPES", access.clone());
    set("JUPYTERHUB_OAUTH_SCOPES", access);
    set(
        "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES",
        json!(settings.oauth_client_allowed_scopes).to_string(),
    );
    set("JUPYTERHUB_USER", input.user.to_owned());
    set("JUPYTERHUB_SERVER_NAME", input.server.to_owned());
    set("JUPYTERHUB_API_URL", hub_api.clone());
    set(
        "JUPYTERHUB_ACTIVITY_URL",
        format!("{hub_api}/users/{}/activity", url_escape_path(input.user)),
    );
    set("JUPYTERHUB_BASE_URL", input.base_url.to_owned());
    set("JUPYTERHUB_SERVICE_PREFIX", prefix.clone());
    set(
        "JUPYTERHUB_SERVICE_URL",
        format!("http://{}:{}{prefix}", settings.ip, input.port),
    );
    set("JUPYTERHUB_PUBLIC_URL", String::new());
    set("JUPYTERHUB_PUBLIC_HUB_URL", String::new());
    set("JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED", "0".to_owned());
    if let Some(dir) = &settings.notebook_dir {
        set("JUPYTERHUB_ROOT_DIR", expand(dir, input.user));
    }
    if let Some(url) = &settings.default_url {
        set("JUPYTERHUB_DEFAULT_URL", expand(url, input.user));
    }
    if settings.debug {
        set("JUPYTERHUB_DEBUG", "1".to_owned());
    }
    for (key, value) in &settings.environment {
        set(key, expand(value, input.user));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_what_jupyterhub_sets() {
        let settings = SpawnSettings {
            hub_api_url: "http://127.0.0.1:8081/hub/api".to_owned(),
            notebook_dir: Some("~/work-{username}".to_owned()),
            environment: BTreeMap::from([("EXTRA".to_owned(), "{username}!".to_owned())]),
            ..SpawnSettings::default()
        };
        let env = server_env(
            EnvInput {
                user: "a@b c",
                server: "",
                api_token: "tok",
                port: 35881,
                base_url: "/",
            },
            &settings,
        );
        assert_eq!(env["JUPYTERHUB_CLIENT_ID"], "jupyterhub-user-a%40b%20c");
        assert_eq!(env["JUPYTERHUB_SERVICE_PREFIX"], "/user/a@b%20c/");
        assert_eq!(
            env["JUPYTERHUB_SERVICE_URL"],
            "http://127.0.0.1:35881/user/a@b%20c/"
        );
        assert_eq!(
            env["JUPYTERHUB_OAUTH_CALLBACK_URL"],
            "/user/a@b%20c/oauth_callback"
        );
        assert_eq!(
            env["JUPYTERHUB_ACTIVITY_URL"],
            "http://127.0.0.1:8081/hub/api/users/a@b%20c/activity"
        );
        assert_eq!(
            env["JUPYTERHUB_OAUTH_ACCESS_SCOPES"],
            r#"["access:servers!server=a@b c/","access:servers!user=a@b c"]"#
        );
        assert_eq!(env["JUPYTERHUB_ROOT_DIR"], "~/work-a@b c");
        assert_eq!(env["EXTRA"], "a@b c!");
        assert_eq!(env["JUPYTERHUB_SERVER_NAME"], "");
        assert_eq!(client_id("al", "gpu"), "jupyterhub-user-al-gpu");
    }
}
