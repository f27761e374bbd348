//! `POST` and `DELETE /services/{name}`: services made at run time (JupyterHub 5's
//! `ServiceAPIHandler`). They are stored with `from_config = false`, so a restart keeps them
//! and the config's services never replace them.

use std::sync::Arc;

use ganymede_db::{ServiceRow, TokenOwner};
use ganymede_types::ServiceName;
use ganymede_types::scope::{BuiltinScope, ScopeName};
use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::{Identity, Principal};
use crate::proxy::service_target;
use crate::startup::{ServiceOrigin, StartupService};
use crate::users_edit::{check_model, json_body};

/// The keys a request's service model may hold (`APIHandler._service_model_types`).
const SERVICE_MODEL_TYPES: [(&str, &str); 14] = [
    ("name", "str"),
    ("admin", "bool"),
    ("url", "str"),
    ("oauth_client_allowed_scopes", "list"),
    ("api_token", "str"),
    ("info", "dict"),
    ("display", "bool"),
    ("oauth_no_confirm", "bool"),
    ("command", "list"),
    ("cwd", "str"),
    ("environment", "dict"),
    ("user", "str"),
    ("oauth_client_id", "str"),
    ("oauth_redirect_uri", "str"),
];

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::BadRequest(message.into())
}

fn text(model: &Map<String, Value>, key: &str) -> Option<String> {
    model.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn flag(model: &Map<String, Value>, key: &str) -> Option<bool> {
    model.get(key).and_then(Value::as_bool)
}

impl Hub {
    /// `POST /services/{name}` (admin:services): a service with a URL gets its route at once.
    pub async fn create_service(
        self: &Arc<Self>,
        identity: &Identity,
        name: &str,
        body: &str,
    ) -> Result<Value, CoreError> {
        identity.check(&[ScopeName::from(BuiltinScope::AdminServices)], None)?;
        if self.db.get_service(name).await?.is_some() {
            return Err(CoreError::Conflict(format!(
                "Service {name} already exists"
            )));
        }
        let body = json_body(body)?;
        let Some(Value::Object(mut data)) =
            body.filter(|b| b.as_object().is_some_and(|o| !o.is_empty()))
        else {
            return Err(bad("Invalid service data"));
        };
        data.insert("name".to_owned(), Value::String(name.to_owned()));
        let model = check_model(
            Some(&Value::Object(data.clone())),
            &SERVICE_MODEL_TYPES,
            "service",
        )?
        .clone();
        ServiceName::new(name).map_err(|_| bad(format!("Failed to create service {name}")))?;
        if model
            .get("command")
            .and_then(Value::as_array)
            .is_some_and(|c| !c.is_empty())
        {
            return Err(bad(format!(
                "Can not create managed service {name} at runtime"
            )));
        }
        let allowed: Vec<String> = model
            .get("oauth_client_allowed_scopes")
            .and_then(Value::as_array)
            .map(|scopes| {
                scopes
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let admin = flag(&model, "admin").unwrap_or(false);
        self.check_service_scopes(identity, admin, &allowed).await?;
        let spec = StartupService {
            name: name.to_owned(),
            url: text(&model, "url"),
            api_token: text(&model, "api_token"),
            admin,
            oauth_client_id: text(&model, "oauth_client_id"),
            oauth_redirect_uri: text(&model, "oauth_redirect_uri"),
            oauth_no_confirm: flag(&model, "oauth_no_confirm").unwrap_or(false),
            oauth_client_allowed_scopes: allowed,
            display: flag(&model, "display").unwrap_or(true),
            info: model
                .get("info")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            command: Vec::new(),
        };
        let row = self
            .load_service(ServiceOrigin::Api, &spec)
            .await?
            .ok_or_else(|| bad(format!("Failed to create service {name}")))?;
        self.add_service_route(&row).await;
        tracing::info!(
            service = name,
            by = identity.name(),
            "created a service through the API"
        );
        self.service_model(identity, &row).await
    }

    /// `DELETE /services/{name}` (admin:services): only services made through the API.
    pub async fn remove_service(&self, identity: &Identity, name: &str) -> Result<(), CoreError> {
        identity.check(&[ScopeName::from(BuiltinScope::AdminServices)], None)?;
        let row = self
            .db
            .get_service(name)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("Service {name} does not exist")))?;
        if row.from_config {
            return Err(CoreError::NotAllowed(format!(
                "Service {name} is not modifiable at runtime"
            )));
        }
        if row.url.is_some()
            && let Some(proxy) = self.proxy.as_deref()
        {
            let routespec = format!("{}services/{name}/", self.settings().base_url);
            if let Err(error) = proxy.delete_route(&routespec).await {
                tracing::warn!(service = name, %error, "cannot delete the service's route");
            }
        }
        if let Some(client) = &row.oauth_client_id {
            match self.db.delete_oauth_client(client).await {
                Ok(()) | Err(ganymede_db::DbError::OAuthClientNotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        self.db.delete_service(name).await?;
        tracing::info!(service = name, by = identity.name(), "deleted a service");
        Ok(())
    }

    /// JupyterHub's `_check_service_scopes`: the caller must hold what the new service could
    /// do (the admin role's scopes for `admin`, and its OAuth clients' scopes).
    async fn check_service_scopes(
        &self,
        identity: &Identity,
        admin: bool,
        allowed: &[String],
    ) -> Result<(), CoreError> {
        let mut requested: Vec<String> = allowed.to_vec();
        if admin && let Some(role) = ganymede_types::roles::DefaultRole::find("admin") {
            requested.extend(role.scopes.iter().map(|s| (*s).to_owned()));
        }
        if requested.is_empty() {
            return Ok(());
        }
        let owner = match &identity.principal {
            Principal::User(user) => TokenOwner::User(user.id),
            Principal::Service(service) => TokenOwner::Service(service.id),
        };
        let holder = self.token_owner(owner).await?;
        self.check_token_scopes(&holder, &requested)
    }

    async fn add_service_route(&self, row: &ServiceRow) {
        let (Some(url), Some(proxy)) = (&row.url, self.proxy.as_deref()) else {
            return;
        };
        let routespec = format!("{}services/{}/", self.settings().base_url, row.name);
        let mut data = Map::new();
        data.insert("service".to_owned(), Value::String(row.name.clone()));
        if let Err(error) = proxy
            .add_route(&routespec, &service_target(url), data)
            .await
        {
            tracing::warn!(service = %row.name, %error, "cannot add the service's route; the next route check retries");
        }
    }
}
