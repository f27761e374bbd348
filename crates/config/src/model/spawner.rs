//! `[spawner]`: JupyterHub's `c.Spawner` settings (with `LocalProcessSpawner`'s `env_keep`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[spawner]`: how single-user servers are started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SpawnerSection {
    /// Command that starts a single-user server; put extra arguments in `args`.
    pub cmd: Vec<String>,
    /// Extra arguments passed to the single-user server.
    pub args: Vec<String>,
    /// Directory the single-user server opens; `~` and `{username}` are expanded; unset means home.
    #[schemars(example = "~/notebooks")]
    pub notebook_dir: Option<String>,
    /// URL path the single-user server opens at, such as `/lab`; `{username}` is expanded.
    #[schemars(example = "/lab")]
    pub default_url: Option<String>,
    /// Extra environment variables of the single-user server.
    pub environment: BTreeMap<String, String>,
    /// Variables of the hub's own environment that single-user servers inherit.
    pub env_keep: Vec<String>,
    /// Seconds to wait for a server to start before giving up.
    pub start_timeout: u64,
    /// Seconds to wait for a started server to answer HTTP before giving up.
    pub http_timeout: u64,
    /// HTML form fields shown on the spawn page before a server starts (JupyterHub's
    /// `Spawner.options_form`); each field's values become a list of strings in the server's
    /// `user_options`. The snippet is trusted HTML from the deployer and is not escaped.
    #[schemars(example = "<label>Memory <input name=\"mem\"></label>")]
    pub options_form: Option<String>,
    /// Profiles a user picks from on the spawn page before a server starts, each a
    /// `[[spawner.profiles]]` table (KubeSpawner's `profile_list`). The chosen slug is the
    /// server's `user_options.profile`; without one the default profile applies.
    pub profiles: Vec<Profile>,
    /// IP address single-user servers listen on.
    pub ip: String,
    /// Create a missing Unix account (`useradd -m`) when its server starts (JupyterHub's `LocalAuthenticator.create_system_users`).
    pub create_system_users: bool,
    /// Seconds a server has to exit after SIGTERM before it gets SIGKILL.
    pub term_timeout: u64,
    /// Seconds between checks that running servers are still alive.
    pub poll_interval: u64,
    /// Start single-user servers with `JUPYTERHUB_DEBUG=1`.
    pub debug: bool,
    /// Scopes a server's OAuth client may grant besides access to the server itself.
    pub oauth_client_allowed_scopes: Vec<String>,
}

impl Default for SpawnerSection {
    fn default() -> Self {
        let env_keep = [
            "CONDA_DEFAULT_ENV",
            "CONDA_ROOT",
            "JUPYTERHUB_SINGLEUSER_APP",
            "LANG",
            "LC_ALL",
            "LD_LIBRARY_PATH",
            "PATH",
            "PYTHONPATH",
            "VIRTUAL_ENV",
        ];
        Self {
            cmd: vec!["jupyterhub-singleuser".to_owned()],
            args: Vec::new(),
            notebook_dir: None,
            default_url: None,
            environment: BTreeMap::new(),
            env_keep: env_keep.map(str::to_owned).to_vec(),
            start_timeout: 60,
            http_timeout: 30,
            options_form: None,
            profiles: Vec::new(),
            ip: "127.0.0.1".to_owned(),
            create_system_users: false,
            term_timeout: 5,
            poll_interval: 30,
            debug: false,
            oauth_client_allowed_scopes: Vec::new(),
        }
    }
}

/// One choice of server (`[[spawner.profiles]]`), as KubeSpawner's `profile_list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Profile {
    /// Short unique name of the profile: letters, digits, `-` and `_`; `{"profile": "<slug>"}` picks it through the API.
    pub slug: String,
    /// Name shown to users.
    pub display_name: String,
    /// Longer text shown under the name.
    pub description: String,
    /// Preselect this profile, and use it when a start names none (at most one may; else the first).
    pub default: bool,
    /// `[spawner]` settings this profile changes: `cmd`, `args`, `environment` (added to `spawner.environment`), `default_url`, `notebook_dir`.
    pub spawner_override: ProfileOverride,
}

/// The `[spawner]` settings a profile may change (`spawner_override = { args = ["--x"] }`).
///
/// Only what the hub computes per server is here; limits and timeouts stay hub-wide.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ProfileOverride {
    /// Replaces `spawner.cmd`.
    pub cmd: Option<Vec<String>>,
    /// Replaces `spawner.args`.
    pub args: Option<Vec<String>>,
    /// Variables set on top of `spawner.environment` (a name in both takes this value).
    pub environment: Option<BTreeMap<String, String>>,
    /// Replaces `spawner.default_url`.
    pub default_url: Option<String>,
    /// Replaces `spawner.notebook_dir`.
    pub notebook_dir: Option<String>,
}
