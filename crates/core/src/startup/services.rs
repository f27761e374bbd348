//! `hub.services` at startup (JupyterHub's `service_from_spec` and `init_services`): rows, API
//! tokens, OAuth clients, and the removal of services no longer configured.

use std::collections::{BTreeMap, BTreeSet};

use ganymede_db::{NewOAuthClient, NewToken, Pagination, ServiceSpec, TokenOwner};
use ganymede_types::ServiceName;
use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::hub::Hub;

/// One service of `hub.services`.
#[derive(Debug, Clone, Default)]
pub struct StartupService {
    /// The service's name.
    pub name: String,
    /// Where it listens, if it is proxied at `/services/NAME/`.
    pub url: Option<String>,
    /// Its API token (stored hashed, owned by the service).
    pub api_token: Option<String>,
    /// Deprecated admin flag: the service gets the admin role's permissions.
    pub admin: bool,
    /// OAuth client id; unset means `service-NAME`.
    pub oauth_client_id: Option<String>,
    /// OAuth redirect URI; unset means `<base_url>services/NAME/oauth_callback` with a URL.
    pub oauth_redirect_uri: Option<String>,
    /// Skip the OAuth confirmation page.
    pub oauth_no_confirm: bool,
    /// Most scopes its OAuth tokens may carry.
    pub oauth_client_allowed_scopes: Vec<String>,
    /// Listed on the home page.
    pub display: bool,
    /// Free-form information shown by the API.
    pub info: Map<String, Value>,
    /// The command of a managed service, shown by the API.
    pub command: Vec<String>,
}

fn key(i: usize, field: &str) -> String {
    format!("hub.services[{i}].{field}")
}

/// Where a service definition comes from, which decides how a bad one is reported.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ServiceOrigin {
    /// `hub.services[i]`: a config error naming the key.
    Config(usize),
    /// `POST /hub/api/services/{name}`: a 400.
    Api,
}

impl ServiceOrigin {
    fn error(self, field: &str, message: impl std::fmt::Display) -> CoreError {
        match self {
            Self::Config(i) => CoreError::config(key(i, field), message),
            Self::Api => CoreError::BadRequest(message.to_string()),
        }
    }
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

impl Hub {
    /// Creates or updates each service; deletes config services that are gone. Returns the
    /// commands, which the database does not keep.
    pub(super) async fn load_services(
        &self,
        services: &[StartupService],
    ) -> Result<BTreeMap<String, Vec<String>>, CoreError> {
        let mut commands = BTreeMap::new();
        for (i, service) in services.iter().enumerate() {
            if self
                .load_service(ServiceOrigin::Config(i), service)
                .await?
                .is_some()
            {
                commands.insert(service.name.clone(), service.command.clone());
            }
        }
        let configured: BTreeSet<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let mut gone = Vec::new();
        let mut offset = 0;
        loop {
            let page = self.db.list_services(Pagination::new(offset, 1000)).await?;
            offset += page.items.len() as u64;
            gone.extend(
                page.items
                    .into_iter()
                    .filter(|s| s.from_config && !configured.contains(s.name.as_str()))
                    .map(|s| s.name),
            );
            if page.total == 0 || offset >= page.total {
                break;
            }
        }
        for name in gone {
            tracing::info!(service = %name, "deleting a service no longer in the config");
            self.db.delete_service(&name).await?;
        }
        Ok(commands)
    }

    /// One service, created or updated; `None` if a service from the other origin has this
    /// name (left alone, as JupyterHub does).
    pub(crate) async fn load_service(
        &self,
        origin: ServiceOrigin,
        spec: &StartupService,
    ) -> Result<Option<ganymede_db::ServiceRow>, CoreError> {
        let from_config = matches!(origin, ServiceOrigin::Config(_));
        ServiceName::new(spec.name.as_str()).map_err(|e| origin.error("name", e))?;
        let existing = self.db.get_service(&spec.name).await?;
        if existing
            .as_ref()
            .is_some_and(|s| s.from_config != from_config)
        {
            tracing::error!(service = %spec.name, "a service from the config has the name of a service created through the API; keeping the latter");
            return Ok(None);
        }
        if let Some(url) = &spec.url {
            let parsed = url::Url::parse(url).map_err(|e| origin.error("url", e))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(origin.error(
                    "url",
                    format!(
                        "unsupported scheme in URL for service {}: {url}; must be http[s]",
                        spec.name
                    ),
                ));
            }
        }
        for scope in &spec.oauth_client_allowed_scopes {
            self.registry
                .parse(scope)
                .map_err(|e| origin.error("oauth_client_allowed_scopes", e))?;
        }
        let client_id = spec
            .oauth_client_id
            .clone()
            .unwrap_or_else(|| format!("service-{}", spec.name));
        if !client_id.starts_with("service-") {
            return Err(origin.error(
                "oauth_client_id",
                format!(
                    "service {} has oauth_client_id={client_id:?}; service OAuth client ids must start with 'service-'",
                    spec.name
                ),
            ));
        }
        let prefix = format!("{}services/{}/", self.settings().base_url, spec.name);
        // JupyterHub offers OAuth to a service with a URL, or with any OAuth setting given.
        let oauth = spec.url.is_some()
            || spec.oauth_client_id.is_some()
            || spec.oauth_redirect_uri.is_some()
            || spec.oauth_no_confirm;
        let redirect_uri = spec
            .oauth_redirect_uri
            .clone()
            .or_else(|| spec.url.as_ref().map(|_| format!("{prefix}oauth_callback")));
        if oauth && redirect_uri.is_none() {
            return Err(origin.error(
                "oauth_redirect_uri",
                format!(
                    "service {} has oauth configured, but is missing required oauth_redirect_uri",
                    spec.name
                ),
            ));
        }
        let row = self
            .db
            .upsert_service(&ServiceSpec {
                name: spec.name.clone(),
                admin: spec.admin,
                url: spec.url.clone(),
                oauth_client_id: oauth.then(|| client_id.clone()),
                info: Value::Object(spec.info.clone()),
                display: spec.display,
                oauth_no_confirm: spec.oauth_no_confirm,
                from_config,
            })
            .await?;
        if existing.is_none() {
            tracing::info!(service = %spec.name, from_config, "created a service");
            if spec.admin {
                tracing::warn!(service = %spec.name, "the service's admin flag is deprecated since JupyterHub 2.0; assign roles with hub.load_roles");
            }
        }
        if let Some(token) = &spec.api_token
            && self.db.find_token(token).await?.is_none()
        {
            self.db
                .insert_token(&NewToken {
                    token: token.clone(),
                    owner: TokenOwner::Service(row.id),
                    session_id: None,
                    oauth_client_id: None,
                    scopes: vec!["inherit".to_owned()],
                    note: if from_config {
                        "from config"
                    } else {
                        "from the API"
                    }
                    .to_owned(),
                    expires_at: None,
                })
                .await?;
            tracing::info!(service = %spec.name, "added the service's API token");
        }
        match (oauth, redirect_uri) {
            (true, Some(redirect_uri)) => {
                let mut allowed: BTreeSet<String> =
                    spec.oauth_client_allowed_scopes.iter().cloned().collect();
                allowed.insert(format!("access:services!service={}", spec.name));
                self.db
                    .upsert_oauth_client(&NewOAuthClient {
                        identifier: client_id,
                        description: format!("JupyterHub service {}", spec.name),
                        // Without an API token the client cannot authenticate, as in
                        // JupyterHub, whose secret is then empty.
                        secret: spec.api_token.clone().unwrap_or_else(random_secret),
                        redirect_uri,
                        allowed_scopes: allowed.into_iter().collect(),
                        user_id: None,
                        server_id: None,
                        service_id: Some(row.id),
                    })
                    .await?;
            }
            _ => {
                if let Some(old) = existing.and_then(|s| s.oauth_client_id)
                    && self.db.get_oauth_client(&old).await?.is_some()
                {
                    tracing::warn!(service = %spec.name, client = %old, "deleting the service's unused OAuth client");
                    self.db.delete_oauth_client(&old).await?;
                }
            }
        }
        Ok(Some(row))
    }
}
