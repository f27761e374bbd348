//! The hub's view of a proxy ([`ganymede_core::ProxyRoutes`]) for the in-process route table
//! and for an external configurable-http-proxy.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use ganymede_core::{ProxyError, ProxyRoutes};
use ganymede_proxy::client::{chp_path, routespec_from_chp_path};
use ganymede_proxy::{ChpClient, RouteStore};
use serde_json::{Map, Value};

fn error(e: impl std::fmt::Display) -> ProxyError {
    ProxyError(e.to_string())
}

/// The proxy that runs in this process: routes change with no REST round trip.
#[derive(Debug)]
pub(crate) struct InProcess(pub(crate) Arc<RouteStore>);

#[async_trait::async_trait]
impl ProxyRoutes for InProcess {
    async fn get_routes(&self) -> Result<BTreeMap<String, Map<String, Value>>, ProxyError> {
        Ok(self
            .0
            .all()
            .iter()
            .filter_map(|route| match route.to_json() {
                Value::Object(data) => Some((routespec_from_chp_path(route.prefix(), false), data)),
                _ => None,
            })
            .collect())
    }

    async fn add_route(
        &self,
        routespec: &str,
        target: &str,
        mut data: Map<String, Value>,
    ) -> Result<(), ProxyError> {
        data.insert("jupyterhub".to_owned(), Value::Bool(true));
        data.insert("target".to_owned(), Value::String(target.to_owned()));
        self.0
            .add(&chp_path(routespec, false), data)
            .map_err(error)?;
        Ok(())
    }

    async fn delete_route(&self, routespec: &str) -> Result<(), ProxyError> {
        self.0.remove(&chp_path(routespec, false));
        Ok(())
    }
}

/// An external configurable-http-proxy, which `PATCH /hub/api/proxy` may point elsewhere.
///
/// `serve` uses it in `proxy.mode = "external"`.
#[derive(Debug)]
pub(crate) struct External {
    /// The client, with the API URL and token it was made with.
    client: RwLock<(ChpClient, String, Option<String>)>,
    host_routing: bool,
    tls: Arc<rustls::ClientConfig>,
}

impl External {
    /// A proxy whose CHP API is at `api_url`.
    pub(crate) fn new(
        api_url: &str,
        token: Option<String>,
        host_routing: bool,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<Self, ganymede_proxy::ClientError> {
        let client = ChpClient::new(api_url, token.clone(), host_routing, Arc::clone(&tls))?;
        Ok(Self {
            client: RwLock::new((client, api_url.to_owned(), token)),
            host_routing,
            tls,
        })
    }

    fn current(&self) -> (ChpClient, String, Option<String>) {
        // A clone of the client is cheap (its connection pool is shared).
        self.client
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn client(&self) -> ChpClient {
        self.current().0
    }
}

#[async_trait::async_trait]
impl ProxyRoutes for External {
    async fn get_routes(&self) -> Result<BTreeMap<String, Map<String, Value>>, ProxyError> {
        let routes = self.client().get_all_routes().await.map_err(error)?;
        Ok(routes
            .into_iter()
            .map(|(routespec, info)| {
                let mut data = info.data;
                data.insert("target".to_owned(), Value::String(info.target));
                (routespec, data)
            })
            .collect())
    }

    async fn add_route(
        &self,
        routespec: &str,
        target: &str,
        data: Map<String, Value>,
    ) -> Result<(), ProxyError> {
        self.client()
            .add_route(routespec, target, data)
            .await
            .map_err(error)
    }

    async fn delete_route(&self, routespec: &str) -> Result<(), ProxyError> {
        self.client().delete_route(routespec).await.map_err(error)
    }

    async fn reconfigure(
        &self,
        api_url: Option<&str>,
        auth_token: Option<&str>,
    ) -> Result<(), ProxyError> {
        let (_, old_url, old_token) = self.current();
        let api_url = api_url.map_or(old_url, str::to_owned);
        let token = auth_token.map(str::to_owned).or(old_token);
        let client = ChpClient::new(
            &api_url,
            token.clone(),
            self.host_routing,
            Arc::clone(&self.tls),
        )
        .map_err(error)?;
        *self
            .client
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = (client, api_url.clone(), token);
        tracing::info!(%api_url, "the hub now uses another proxy API");
        Ok(())
    }
}
