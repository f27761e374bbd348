//! The hub's shared state: the database, the scope registry and the settings of the API.

use ganymede_crypt::CryptKeys;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use ganymede_db::{Db, NewToken, TokenOwner};
use ganymede_types::UserName;
use ganymede_types::roles::DefaultRole;
use ganymede_types::scope::ScopeRegistry;

use crate::error::CoreError;
use crate::metrics::HubMetrics;
use crate::proxy::ProxyRoutes;
use crate::session::SessionKeys;

/// The version the hub reports to clients: `jupyterhub-singleuser` and `jupyterhub-idle-culler`
/// parse it as PEP 440 and compare it with JupyterHub's, so it is JupyterHub's.
pub const JUPYTERHUB_VERSION: &str = "6.1.1";

/// API settings with JupyterHub's names and defaults.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// `base_url`, with leading and trailing `/`.
    pub base_url: String,
    /// `api_page_default_limit`: the page size with the pagination media type.
    pub api_page_default_limit: u32,
    /// `api_page_max_limit`: the largest page, and the page size without the media type.
    pub api_page_max_limit: u32,
    /// `cookie_max_age_days`: how long a login cookie stays valid.
    pub cookie_max_age_days: f64,
    /// The public URL is https: cookies are `Secure`.
    pub public_https: bool,
    /// Over HTTPS, name the login and XSRF cookies `__Host-...` (path `/`); only safe when the
    /// proxy strips them from requests to other targets, as the in-process proxy does.
    pub cookie_host_prefix: bool,
    /// `allow_named_servers`: whether users may have servers besides the default one.
    pub allow_named_servers: bool,
    /// `token_expires_in_max_seconds`: the longest lifetime of a token made through the API;
    /// 0 means no limit.
    pub token_expires_in_max_seconds: u64,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            base_url: "/".to_owned(),
            api_page_default_limit: 50,
            api_page_max_limit: 200,
            cookie_max_age_days: 14.0,
            public_https: false,
            cookie_host_prefix: true,
            allow_named_servers: false,
            token_expires_in_max_seconds: 0,
        }
    }
}

/// What the config loaded at startup that the database does not hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct Loaded {
    /// Default roles redefined by `load_roles`: name to raw scopes.
    pub(crate) default_roles: BTreeMap<String, Vec<String>>,
    /// The `command` of each service from the config (JupyterHub keeps it in memory too).
    pub(crate) service_commands: BTreeMap<String, Vec<String>>,
}

/// JupyterHub's `normalize_username` and `validate_username` for names given to the REST API
/// (the login's rules: lower case, `username_map`, `username_pattern`). Without them, names are
/// lower-cased and checked against the rules every user name follows.
pub trait UsernameRules: Send + Sync + std::fmt::Debug {
    /// The name as it is stored.
    fn normalize(&self, name: &str) -> String;
    /// Whether a normalised name may exist.
    fn is_valid(&self, name: &str) -> bool;
}

/// The hub: what every request handler reaches the domain through.
#[derive(Debug)]
pub struct Hub {
    pub(crate) db: Db,
    pub(crate) registry: ScopeRegistry,
    settings: HubSettings,
    sessions: SessionKeys,
    pub(crate) metrics: HubMetrics,
    /// The auth_state keys; without them auth_state reads as `null` and cannot be written.
    pub(crate) crypt: Option<CryptKeys>,
    pub(crate) proxy: Option<Arc<dyn ProxyRoutes>>,
    /// The spawner and its queue; without it, starting a server is a 501.
    pub(crate) spawning: Option<Arc<crate::spawn::Spawning>>,
    pub(crate) loaded: RwLock<Loaded>,
    /// Resolved API tokens, valid until the database's next write.
    pub(crate) auth_cache: crate::auth_cache::AuthCache,
    /// User and server ids by name, for activity posts.
    pub(crate) ids: crate::id_cache::IdCache,
    /// Started on first use, inside the runtime.
    activity: std::sync::OnceLock<crate::activity_writer::ActivityWriter>,
    username_rules: Option<Arc<dyn UsernameRules>>,
}

impl Hub {
    /// A hub over an open, migrated database.
    pub fn new(db: Db, settings: HubSettings) -> Self {
        Self {
            db,
            registry: ScopeRegistry::builtin(),
            settings,
            sessions: SessionKeys::random(),
            metrics: HubMetrics::default(),
            crypt: None,
            proxy: None,
            spawning: None,
            loaded: RwLock::new(Loaded::default()),
            auth_cache: crate::auth_cache::AuthCache::default(),
            ids: crate::id_cache::IdCache::default(),
            activity: std::sync::OnceLock::new(),
            username_rules: None,
        }
    }

    /// Normalises and validates names given to the API with the login's rules.
    #[must_use]
    pub fn with_username_rules(mut self, rules: Arc<dyn UsernameRules>) -> Self {
        self.username_rules = Some(rules);
        self
    }

    /// A name given to the API, normalised; `Err` holds the normalised name when it is invalid.
    pub(crate) fn normalize_username(&self, raw: &str) -> Result<UserName, String> {
        let normalized = match &self.username_rules {
            Some(rules) => rules.normalize(raw),
            None => raw.to_lowercase(),
        };
        let valid = self
            .username_rules
            .as_ref()
            .is_none_or(|rules| rules.is_valid(&normalized));
        match UserName::new(normalized.as_str()) {
            Ok(name) if valid => Ok(name),
            _ => Err(normalized),
        }
    }

    /// Records activity through the group-commit writer and waits for the commit.
    pub(crate) async fn write_activity(
        &self,
        batch: ganymede_db::ActivityBatch,
    ) -> Result<(), crate::error::CoreError> {
        self.activity
            .get_or_init(|| crate::activity_writer::ActivityWriter::start(self.db.clone()))
            .write(batch)
            .await
    }

    /// Signs cookies with keys derived from the cookie secret, so logins survive restarts and
    /// are shared by replicas (without it, a random per-process key is used).
    #[must_use]
    pub fn with_cookie_secret(mut self, secret: &[u8]) -> Self {
        self.sessions = SessionKeys::from_secret(secret);
        self
    }

    /// The keys of browser sessions.
    pub fn sessions(&self) -> &SessionKeys {
        &self.sessions
    }

    /// The database clock's current time, in unix seconds (tests can move it).
    pub fn now_unix(&self) -> i64 {
        self.db.now().timestamp()
    }

    /// The same hub, encrypting and decrypting auth_state with `keys` (`JUPYTERHUB_CRYPT_KEY`).
    #[must_use]
    pub fn with_crypt_keys(mut self, keys: CryptKeys) -> Self {
        self.crypt = (!keys.is_empty()).then_some(keys);
        self
    }

    /// The hub with a proxy whose routes `/hub/api/proxy` shows and synchronises.
    #[must_use]
    pub fn with_proxy(mut self, proxy: Arc<dyn ProxyRoutes>) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// The API settings.
    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    pub(crate) fn loaded(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        // Written once at startup with plain assignments, so a poisoned lock is consistent.
        self.loaded
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn set_loaded(&self, loaded: Loaded) {
        *self
            .loaded
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = loaded;
        // Redefined default roles change every identity's scopes.
        self.auth_cache.clear();
    }

    /// The raw scopes of a default role, as `load_roles` may have redefined it.
    pub(crate) fn default_role_scopes_raw(&self, name: &str) -> Vec<String> {
        if let Some(scopes) = self.loaded().default_roles.get(name) {
            return scopes.clone();
        }
        DefaultRole::find(name)
            .map(|role| role.scopes.iter().map(|s| (*s).to_owned()).collect())
            .unwrap_or_default()
    }

    /// `api_tokens` from the config: each token belongs to a user, created if missing, and
    /// inherits all of the user's permissions. A token already stored is left alone.
    pub async fn load_api_tokens(&self, tokens: &[(String, String)]) -> Result<(), CoreError> {
        for (token, user) in tokens {
            let name = UserName::new(user.as_str())
                .map_err(|e| CoreError::BadRequest(format!("api_tokens: {e}")))?;
            if self.db.find_token(token).await?.is_some() {
                continue;
            }
            let row = match self.db.get_user(name.as_str()).await? {
                Some(row) => row,
                None => self.db.create_user(name.as_str(), false).await?,
            };
            self.db
                .insert_token(&NewToken {
                    token: token.clone(),
                    owner: TokenOwner::User(row.id),
                    session_id: None,
                    oauth_client_id: None,
                    scopes: vec!["inherit".to_owned()],
                    note: "from config".to_owned(),
                    expires_at: None,
                })
                .await?;
            tracing::info!(user = %name, "added an API token from the config");
        }
        Ok(())
    }
}
