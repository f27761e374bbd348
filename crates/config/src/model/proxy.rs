//! `[proxy]`: JupyterHub's `c.Proxy` and `c.ConfigurableHTTPProxy` settings.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

use super::literal_url;
use crate::secret::Secret;

/// Where the proxy runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyMode {
    /// Inside the hub's process, sharing its route table: no REST round trip.
    #[default]
    Internal,
    /// A configurable-http-proxy compatible process, driven through its REST API at `api_url`.
    External,
}

/// `[proxy]`: the proxy in front of the hub and the single-user servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ProxySection {
    /// `internal` (in the hub's process) or `external` (a CHP-compatible proxy driven over REST).
    pub mode: ProxyMode,
    /// URL of the external proxy's REST API; port 0 with `should_start` picks a free port.
    pub api_url: Url,
    /// Token for the external proxy's REST API; unset means `CONFIGPROXY_AUTH_TOKEN`, else generated.
    #[schemars(example = "<CONFIGPROXY_AUTH_TOKEN of the proxy>")]
    pub auth_token: Option<Secret>,
    /// In external mode, the hub starts, restarts and stops the proxy itself with `command`.
    pub should_start: bool,
    /// Program and arguments that start the proxy; empty means this ganymede binary's `proxy` subcommand.
    #[schemars(example = "[\"configurable-http-proxy\"]")]
    pub command: Vec<String>,
    /// File the started proxy's pid is written to; unset means `<data_dir>/jupyterhub-proxy.pid`.
    #[schemars(example = "/run/ganymede/proxy.pid")]
    pub pid_file: Option<PathBuf>,
    /// `--log-level` of the started proxy: debug, info, warn or error.
    pub log_level: String,
    /// Start the proxy with `--log-level debug`, whatever `log_level` says.
    pub debug: bool,
    /// Seconds to wait before trying again when the started proxy died and could not be restarted.
    pub check_running_interval: u64,
}

impl Default for ProxySection {
    fn default() -> Self {
        Self {
            mode: ProxyMode::Internal,
            api_url: literal_url("http://127.0.0.1:8001"),
            auth_token: None,
            should_start: false,
            command: Vec::new(),
            pid_file: None,
            log_level: "info".to_owned(),
            debug: false,
            check_running_interval: 5,
        }
    }
}

impl ProxySection {
    /// The pid file of a started proxy: `pid_file`, or `jupyterhub-proxy.pid` in `data_dir`.
    pub fn pid_file_path(&self, data_dir: &Path) -> PathBuf {
        match &self.pid_file {
            Some(path) => path.clone(),
            None => data_dir.join("jupyterhub-proxy.pid"),
        }
    }

    /// The started proxy's `--log-level`: `debug` when `debug` is set, as JupyterHub does.
    pub fn effective_log_level(&self) -> &str {
        if self.debug { "debug" } else { &self.log_level }
    }
}
