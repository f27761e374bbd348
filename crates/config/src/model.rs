//! The typed config: one struct per `ganymede.toml` section, declared once with JupyterHub's defaults.
//!
//! Each field's doc comment is the explanation that `generate-config` prints above the key.
//! Keys keep JupyterHub's names: `c.JupyterHub.X` is `hub.X`, `c.Authenticator.X` is
//! `authenticator.X`, `c.Spawner.X` is `spawner.X` and `c.ConfigurableHTTPProxy.X` is `proxy.X`.

mod auth;
mod hub;
mod proxy;
mod spawner;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

pub use auth::{AuthenticatorClass, AuthenticatorSection, SharedPasswordSection, UsersFileSection};
pub use hub::{GroupSpec, HubSection, RoleSpec, ServiceSpec, TokenMap};
pub use proxy::{ProxyMode, ProxySection};
pub use spawner::{Profile, ProfileOverride, SpawnerSection};

/// Ganymede's whole configuration, as read from `ganymede.toml`, `GANYMEDE_*` variables and flags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Config {
    /// The hub: where it listens, its database, cookies, limits, and what it loads at startup.
    pub hub: HubSection,
    /// Who may log in: the authenticator and the checks every login passes.
    pub authenticator: AuthenticatorSection,
    /// How single-user servers are started.
    pub spawner: SpawnerSection,
    /// The proxy in front of the hub and the single-user servers.
    pub proxy: ProxySection,
}

/// A URL written in this source; every one is checked by the defaults test.
#[allow(
    clippy::expect_used,
    reason = "a literal URL in this crate, covered by tests"
)]
pub(crate) fn literal_url(url: &'static str) -> Url {
    Url::parse(url).expect("literal URL")
}

/// Deserialises a URL, with a hint for JupyterHub's `http://:8000` (every interface) form.
pub(crate) fn listen_url<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
    let text = String::deserialize(deserializer)?;
    Url::parse(&text).map_err(|err| {
        let hint = match err {
            url::ParseError::EmptyHost => {
                ": write `http://0.0.0.0:PORT` (IPv4) or `http://[::]:PORT` to listen on every interface"
            }
            _ => "",
        };
        serde::de::Error::custom(format!("invalid URL `{text}`: {err}{hint}"))
    })
}

/// Like [`listen_url`], for an optional URL.
pub(crate) fn listen_url_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Url>, D::Error> {
    listen_url(deserializer).map(Some)
}
