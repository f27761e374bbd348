//! `/hub/api/proxy`: the proxy's routes as JupyterHub shows them, and their synchronisation.
//!
//! The hub reaches the proxy through [`ProxyRoutes`], so this crate depends on no proxy: the
//! binary implements it for the in-process route table and for an external CHP.

use std::collections::{BTreeMap, BTreeSet};

use ganymede_db::{Pagination, ServerId, ServerState};
use ganymede_types::scope::{BuiltinScope, ScopeName};
use serde_json::{Map, Value, json};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;

/// A proxy failed, or cannot do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProxyError(pub String);

/// The routes of a proxy, in CHP's terms: routespecs with a trailing `/` (`/user/alice/`) and
/// each route's data as CHP stores it (`target`, `jupyterhub`, and any other key).
#[async_trait::async_trait]
pub trait ProxyRoutes: Send + Sync + std::fmt::Debug {
    /// Every route, keyed by routespec.
    async fn get_routes(&self) -> Result<BTreeMap<String, Map<String, Value>>, ProxyError>;

    /// Adds or replaces a route; `data` holds every key but `target`.
    async fn add_route(
        &self,
        routespec: &str,
        target: &str,
        data: Map<String, Value>,
    ) -> Result<(), ProxyError>;

    /// Deletes a route; a missing route is not an error.
    async fn delete_route(&self, routespec: &str) -> Result<(), ProxyError>;

    /// Points the hub at another proxy API (`PATCH /hub/api/proxy`).
    async fn reconfigure(
        &self,
        api_url: Option<&str>,
        auth_token: Option<&str>,
    ) -> Result<(), ProxyError> {
        let _ = (api_url, auth_token);
        Err(ProxyError(
            "this proxy runs inside the hub and cannot be moved".to_owned(),
        ))
    }
}

/// `PATCH /hub/api/proxy`'s body, checked as JupyterHub checks it.
#[derive(Debug, Clone, Default)]
struct ProxyPatch {
    api_url: Option<String>,
    auth_token: Option<String>,
}

impl ProxyPatch {
    fn parse(body: &str) -> Result<Self, CoreError> {
        if body.is_empty() {
            return Err(CoreError::BadRequest("need JSON body".to_owned()));
        }
        let dict = || CoreError::BadRequest("Request body must be JSON dict".to_owned());
        let Value::Object(model) = serde_json::from_str(body).map_err(|_| dict())? else {
            return Err(dict());
        };
        let text = |key: &str| match model.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(CoreError::BadRequest(format!("{key} must be a string"))),
        };
        Ok(Self {
            api_url: text("api_url")?,
            auth_token: text("auth_token")?,
        })
    }
}

fn proxy_error(error: ProxyError) -> CoreError {
    tracing::error!(%error, "proxy request failed");
    CoreError::Proxy(format!("proxy error: {error}"))
}

impl Hub {
    fn proxy_for(&self, identity: &Identity) -> Result<&dyn ProxyRoutes, CoreError> {
        identity.check(&[ScopeName::from(BuiltinScope::Proxy)], None)?;
        self.proxy
            .as_deref()
            .ok_or_else(|| CoreError::Proxy("No proxy is configured".to_owned()))
    }

    /// The hub's routes in JupyterHub's form, `{routespec: {routespec, target, data}}`: routes
    /// without the `jupyterhub` key are not the hub's and are left out.
    async fn hub_routes(
        &self,
        proxy: &dyn ProxyRoutes,
    ) -> Result<BTreeMap<String, Value>, CoreError> {
        let routes = proxy.get_routes().await.map_err(proxy_error)?;
        Ok(routes
            .into_iter()
            .filter(|(_, data)| data.contains_key("jupyterhub"))
            .map(|(routespec, mut data)| {
                let target = data.remove("target").unwrap_or(Value::Null);
                data.remove("jupyterhub");
                let model = json!({"routespec": routespec, "target": target, "data": data});
                (routespec, model)
            })
            .collect())
    }

    /// `GET /proxy`: one page of the routes, sorted by routespec, and their total.
    pub async fn proxy_routes(
        &self,
        identity: &Identity,
        offset: u64,
        limit: u32,
    ) -> Result<(Map<String, Value>, u64), CoreError> {
        let proxy = self.proxy_for(identity)?;
        let all = self.hub_routes(proxy).await?;
        let total = all.len() as u64;
        let page = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit as usize)
            .collect();
        Ok((page, total))
    }

    /// `POST /proxy`: brings the proxy up to date now (JupyterHub's `check_routes`).
    pub async fn sync_proxy(&self, identity: &Identity) -> Result<(), CoreError> {
        let proxy = self.proxy_for(identity)?;
        self.check_routes(proxy).await
    }

    /// `PATCH /proxy` with its raw body: switches to another proxy API, then synchronises it.
    pub async fn patch_proxy(&self, identity: &Identity, body: &str) -> Result<(), CoreError> {
        identity.check(&[ScopeName::from(BuiltinScope::Proxy)], None)?;
        let patch = ProxyPatch::parse(body)?;
        let proxy = self.proxy_for(identity)?;
        if patch.api_url.is_some() || patch.auth_token.is_some() {
            proxy
                .reconfigure(patch.api_url.as_deref(), patch.auth_token.as_deref())
                .await
                .map_err(|e| CoreError::BadRequest(e.to_string()))?;
            tracing::info!(by = identity.name(), "updated the proxy's API settings");
        }
        self.check_routes(proxy).await
    }

    /// Makes the proxy's root route (`base_url`) point at the hub, as JupyterHub's
    /// `check_routes` does for `hub.routespec`; returns whether it had to (re)add it.
    pub async fn ensure_hub_route(&self, target: &str) -> Result<bool, CoreError> {
        let Some(proxy) = self.proxy.as_deref() else {
            return Ok(false);
        };
        let routespec = self.settings().base_url.clone();
        let routes = self.hub_routes(proxy).await?;
        if routes
            .get(&routespec)
            .is_some_and(|route| route["target"] == json!(target))
        {
            return Ok(false);
        }
        let mut data = Map::new();
        data.insert("hub".to_owned(), Value::Bool(true));
        proxy
            .add_route(&routespec, target, data)
            .await
            .map_err(proxy_error)?;
        tracing::info!(%routespec, %target, "added the hub's route to the proxy");
        Ok(true)
    }

    /// Brings the proxy up to date at startup, as the hub itself (no caller to check).
    pub async fn check_proxy_routes(&self) -> Result<(), CoreError> {
        match self.proxy.as_deref() {
            Some(proxy) => self.check_routes(proxy).await,
            None => Ok(()),
        }
    }

    /// Adds the route of every service with a URL and deletes service routes of services that
    /// are gone; then the same for single-user servers (JupyterHub's `check_routes`).
    pub(crate) async fn check_routes(&self, proxy: &dyn ProxyRoutes) -> Result<(), CoreError> {
        let routes = self.hub_routes(proxy).await?;
        let mut wanted = BTreeSet::new();
        let mut offset = 0;
        loop {
            let page = self.db.list_services(Pagination::new(offset, 1000)).await?;
            offset += page.items.len() as u64;
            for service in &page.items {
                let Some(url) = &service.url else { continue };
                let routespec = format!("{}services/{}/", self.settings().base_url, service.name);
                let target = service_target(url);
                wanted.insert(routespec.clone());
                let current = routes.get(&routespec);
                let up_to_date = current.is_some_and(|route| {
                    route["target"] == json!(target)
                        && route["data"]["service"] == json!(service.name)
                });
                if !up_to_date {
                    let mut data = Map::new();
                    data.insert("service".to_owned(), json!(service.name));
                    proxy
                        .add_route(&routespec, &target, data)
                        .await
                        .map_err(proxy_error)?;
                    tracing::info!(service = %service.name, %routespec, "added the service's route");
                }
            }
            if page.items.is_empty() || offset >= page.total {
                break;
            }
        }
        for (routespec, route) in &routes {
            let is_service = route["data"].get("service").is_some();
            if is_service && !wanted.contains(routespec) {
                proxy.delete_route(routespec).await.map_err(proxy_error)?;
                tracing::info!(%routespec, "deleted the route of a service that is gone");
            }
        }
        self.check_server_routes(proxy, &routes).await
    }

    /// The single-user servers' part of `check_routes`: a running server whose route is
    /// missing or points elsewhere (a restarted external proxy) gets it back, and a server
    /// route no active server owns is deleted. Servers still starting or stopping keep theirs.
    async fn check_server_routes(
        &self,
        proxy: &dyn ProxyRoutes,
        routes: &BTreeMap<String, Value>,
    ) -> Result<(), CoreError> {
        let mut active = BTreeSet::new();
        let mut after = ServerId(0);
        loop {
            let page = self.db.list_active_servers(after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for server in page {
                active.insert(server.base_url.clone());
                let Some(target) = server.host.clone() else {
                    continue;
                };
                let routed = routes
                    .get(&server.base_url)
                    .is_some_and(|route| route["target"] == json!(target));
                if routed || server.state != ServerState::Running {
                    continue;
                }
                let Some(user) = self.db.get_user_by_id(server.user_id).await? else {
                    continue;
                };
                self.add_server_route(&user, &server, &server.base_url, &target)
                    .await?;
                tracing::warn!(routespec = %server.base_url, %target, "the proxy had lost a server's route; added it again");
            }
        }
        for (routespec, route) in routes {
            if route["data"].get("user").is_some() && !active.contains(routespec) {
                proxy.delete_route(routespec).await.map_err(proxy_error)?;
                tracing::info!(%routespec, "deleted the route of a server that is not running");
            }
        }
        Ok(())
    }
}

/// The proxy target of a service URL: scheme, host and port, as JupyterHub's `Server.host`.
pub(crate) fn service_target(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or("127.0.0.1");
            let port = parsed.port_or_known_default().unwrap_or(80);
            format!("{}://{host}:{port}", parsed.scheme())
        }
        Err(_) => url.to_owned(),
    }
}
