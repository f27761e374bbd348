//! `[proxy]`: JupyterHub's `c.Proxy` and `c.ConfigurableHTTPProxy` settings.

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
    /// URL of the external proxy's REST API.
    pub api_url: Url,
    /// Token for the external proxy's REST API; unset means `CONFIGPROXY_AUTH_TOKEN`, else generated.
    #[schemars(example = "<CONFIGPROXY_AUTH_TOKEN of the proxy>")]
    pub auth_token: Option<Secret>,
    /// In external mode, start and stop the proxy with `command`; false if it is managed elsewhere.
    pub should_start: bool,
    /// Command that starts the external proxy when `should_start` is true.
    pub command: Vec<String>,
}

impl Default for ProxySection {
    fn default() -> Self {
        Self {
            mode: ProxyMode::Internal,
            api_url: literal_url("http://127.0.0.1:8001"),
            auth_token: None,
            should_start: true,
            command: vec!["configurable-http-proxy".to_owned()],
        }
    }
}
