//! `[hub]`: JupyterHub's `c.JupyterHub` settings.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{listen_url, listen_url_opt, literal_url};
use crate::secret::{REDACTED, Secret};

/// `[hub]`: where the hub listens, its database and cookies, its limits, and what it loads at startup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct HubSection {
    /// Public URL of the whole application, where the proxy listens (http, https or http+unix).
    #[serde(deserialize_with = "listen_url")]
    pub bind_url: Url,
    /// URL prefix of every Ganymede page and API, starting and ending with `/`.
    pub base_url: String,
    /// Private URL where the hub itself listens, for the proxy, services and single-user servers.
    #[serde(deserialize_with = "listen_url")]
    pub hub_bind_url: Url,
    /// URL that spawners and services use to reach the hub; unset means `hub_bind_url`.
    #[serde(deserialize_with = "listen_url_opt")]
    #[schemars(example = "http://hub.example.org:8081")]
    pub hub_connect_url: Option<Url>,
    /// Directory for the default database (`ganymede.sqlite`) and cookie secret (`cookie_secret`).
    pub data_dir: PathBuf,
    /// Database URL in SQLAlchemy's form; unset means `sqlite:///<data_dir>/ganymede.sqlite`.
    #[schemars(example = "postgresql://ganymede@localhost/ganymede")]
    pub db_url: Option<String>,
    /// Cookie secret as hex (at least 32 bytes); unset means `JPY_COOKIE_SECRET`, then the file.
    #[schemars(example = "<64 hex digits from `openssl rand -hex 32`>")]
    pub cookie_secret: Option<Secret>,
    /// File holding the cookie secret, created with mode 0600; unset means `<data_dir>/cookie_secret`.
    #[schemars(example = "/srv/ganymede/cookie_secret")]
    pub cookie_secret_file: Option<PathBuf>,
    /// Number of days a login cookie stays valid.
    pub cookie_max_age_days: f64,
    /// Keys for encrypting auth_state, as `JUPYTERHUB_CRYPT_KEY`; unset means that variable.
    #[schemars(example = "<64 hex digits; several keys are separated by `;`>")]
    pub crypt_key: Option<Secret>,
    /// Deprecated in JupyterHub 2.0: grant admins access to users' servers (use roles instead).
    pub admin_access: bool,
    /// Allow each user to have named servers besides the default one.
    pub allow_named_servers: bool,
    /// Most named servers a user may have at once; 0 means no limit.
    pub named_server_limit_per_user: u32,
    /// Most servers starting at the same time; 0 means no limit.
    pub concurrent_spawn_limit: u32,
    /// Most servers active (not stopped) at the same time; 0 means no limit.
    pub active_server_limit: u32,
    /// Most users waiting in the spawn queue; 0 means no limit (the others get 429 Too Many Requests).
    pub spawn_queue_limit: u32,
    /// Number of records a paginated API call returns when no `limit` is given.
    pub api_page_default_limit: u32,
    /// Most records a paginated API call returns at once.
    pub api_page_max_limit: u32,
    /// Seconds between updates of the users' last-activity times.
    pub last_activity_interval: u64,
    /// Stop all of a user's servers when they log out.
    pub shutdown_on_logout: bool,
    /// Stop the proxy when the hub shuts down, if the hub started it (`proxy.should_start`).
    pub cleanup_proxy: bool,
    /// Directories searched for Jinja templates before the built-in ones.
    pub template_paths: Vec<PathBuf>,
    /// Extra variables passed to every template.
    pub template_vars: BTreeMap<String, serde_json::Value>,
    /// Groups created at startup, by name: `[hub.load_groups.NAME]` with `users` and `properties`.
    pub load_groups: BTreeMap<String, GroupSpec>,
    /// Custom roles created at startup, each a `[[hub.load_roles]]` table.
    pub load_roles: Vec<RoleSpec>,
    /// Services using the hub's API or proxied under `/services/NAME/`, each a `[[hub.services]]` table.
    pub services: Vec<ServiceSpec>,
    /// Pending deprecation in JupyterHub: API tokens to load, as `"TOKEN" = "USER NAME"`.
    pub api_tokens: TokenMap,
    /// TLS private key (PEM) for the public URL; set it with `ssl_cert` and an https `bind_url`.
    #[schemars(example = "/etc/ganymede/tls/key.pem")]
    pub ssl_key: Option<PathBuf>,
    /// TLS certificate chain (PEM) for the public URL; set it with `ssl_key` and an https `bind_url`.
    #[schemars(example = "/etc/ganymede/tls/cert.pem")]
    pub ssl_cert: Option<PathBuf>,
}

impl Default for HubSection {
    fn default() -> Self {
        Self {
            bind_url: literal_url("http://127.0.0.1:8000"),
            base_url: "/".to_owned(),
            hub_bind_url: literal_url("http://127.0.0.1:8081"),
            hub_connect_url: None,
            data_dir: PathBuf::from("."),
            db_url: None,
            cookie_secret: None,
            cookie_secret_file: None,
            cookie_max_age_days: 14.0,
            crypt_key: None,
            admin_access: false,
            allow_named_servers: false,
            named_server_limit_per_user: 0,
            concurrent_spawn_limit: 100,
            active_server_limit: 0,
            spawn_queue_limit: 0,
            api_page_default_limit: 50,
            api_page_max_limit: 200,
            last_activity_interval: 300,
            shutdown_on_logout: false,
            cleanup_proxy: true,
            template_paths: Vec::new(),
            template_vars: BTreeMap::new(),
            load_groups: BTreeMap::new(),
            load_roles: Vec::new(),
            services: Vec::new(),
            api_tokens: TokenMap::default(),
            ssl_key: None,
            ssl_cert: None,
        }
    }
}

impl HubSection {
    /// The database URL: `db_url`, a bare file name as SQLite (as JupyterHub does), or the default.
    pub fn database_url(&self) -> String {
        match &self.db_url {
            Some(url) if url.contains("://") => url.clone(),
            Some(file) => format!("sqlite:///{file}"),
            None => sqlite_url(&self.data_dir.join("ganymede.sqlite")),
        }
    }

    /// The cookie secret file: `cookie_secret_file`, or `cookie_secret` in `data_dir`.
    pub fn cookie_secret_path(&self) -> PathBuf {
        match &self.cookie_secret_file {
            Some(path) => path.clone(),
            None => self.data_dir.join("cookie_secret"),
        }
    }

    /// The URL to reach the hub: `hub_connect_url`, or `hub_bind_url` with a wildcard host made loopback.
    pub fn hub_connect_url(&self) -> Url {
        if let Some(url) = &self.hub_connect_url {
            return url.clone();
        }
        let mut url = self.hub_bind_url.clone();
        let loopback = match url.host_str() {
            Some("0.0.0.0") => Some("127.0.0.1"),
            Some("[::]") => Some("[::1]"),
            _ => None,
        };
        if let Some(host) = loopback
            && url.set_host(Some(host)).is_err()
        {
            return self.hub_bind_url.clone();
        }
        url
    }
}

/// SQLAlchemy's SQLite URL for a path: `sqlite:///rel/path` or `sqlite:////abs/path`.
fn sqlite_url(path: &Path) -> String {
    format!("sqlite:///{}", path.display())
}

/// One group to create at startup (`[hub.load_groups.NAME]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct GroupSpec {
    /// Users added to the group (never removed from it).
    pub users: BTreeSet<String>,
    /// The group's properties; when given, they replace the stored ones.
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// One custom role to create at startup (`[[hub.load_roles]]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct RoleSpec {
    /// The role's name: 3 to 255 of `a-z 0-9 - _ ~ .`, starting with a letter.
    pub name: String,
    /// What the role is for, shown in the API.
    pub description: Option<String>,
    /// Scopes the role grants, such as `read:users` or `access:servers!group=class`.
    pub scopes: Vec<String>,
    /// Users who get the role.
    pub users: BTreeSet<String>,
    /// Groups whose members get the role.
    pub groups: BTreeSet<String>,
    /// Services that get the role.
    pub services: BTreeSet<String>,
}

/// One service (`[[hub.services]]`): a program that uses the hub's API, proxied if it has a `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ServiceSpec {
    /// The service's name; it is proxied at `/services/NAME/`.
    pub name: String,
    /// Where the service listens, if it has an HTTP endpoint to proxy.
    pub url: Option<Url>,
    /// The service's API token (at least 8 characters); generated for managed services if unset.
    pub api_token: Option<Secret>,
    /// Deprecated in JupyterHub 2.0: give the service the admin role (use roles instead).
    pub admin: bool,
    /// OAuth client id; unset means `service-NAME`; it must start with `service-`.
    pub oauth_client_id: Option<String>,
    /// OAuth redirect URI; unset means `/services/NAME/oauth_callback` under `base_url`.
    pub oauth_redirect_uri: Option<String>,
    /// Skip the OAuth confirmation page when users log in to this service.
    pub oauth_no_confirm: bool,
    /// Most scopes the service's OAuth tokens may carry; empty means identify users only.
    pub oauth_client_allowed_scopes: Vec<String>,
    /// List the service on the home page.
    pub display: bool,
    /// Free-form information returned by the services API.
    pub info: BTreeMap<String, serde_json::Value>,
    /// Command that starts the service, making it managed by the hub; empty means external.
    pub command: Vec<String>,
    /// Environment of a managed service.
    pub environment: BTreeMap<String, String>,
}

impl Default for ServiceSpec {
    fn default() -> Self {
        Self {
            name: String::new(),
            url: None,
            api_token: None,
            admin: false,
            oauth_client_id: None,
            oauth_redirect_uri: None,
            oauth_no_confirm: false,
            oauth_client_allowed_scopes: Vec::new(),
            display: true,
            info: BTreeMap::new(),
            command: Vec::new(),
            environment: BTreeMap::new(),
        }
    }
}

/// API tokens by token value: `Debug` and `Serialize` hide the tokens and show only whom they belong to.
#[derive(Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct TokenMap(pub BTreeMap<String, String>);

impl Serialize for TokenMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (i, user) in self.0.values().enumerate() {
            map.serialize_entry(&format!("{REDACTED}{}", i + 1), user)?;
        }
        map.end()
    }
}

impl fmt::Debug for TokenMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.values().map(|user| (REDACTED, user)))
            .finish()
    }
}
