//! The proxy in front of the hub, as `proxy.mode` says: the in-process route table, or an
//! external CHP-compatible proxy, which the hub may also start (`proxy.should_start`).

use std::sync::Arc;

use anyhow::Context;
use ganymede_config::{Config, ProxyMode, Secrets};
use ganymede_core::{Hub, ProxyRoutes};
use ganymede_proxy::config::{ErrorPages, ForwardOptions, Listen, Timeouts};
use ganymede_proxy::{ProxyConfig, RouteStore};

use crate::hub_proxy::{External, InProcess};
use crate::serve::socket_addr;
use crate::started_proxy::Launch;

/// The proxy in front of the hub.
pub(crate) enum FrontProxy {
    /// In this process, sharing the route table.
    Internal(Arc<RouteStore>),
    /// A CHP-compatible process the hub drives through its REST API.
    External {
        /// Its REST API.
        api_url: String,
        /// The hub's side of it.
        routes: Arc<External>,
        /// How the hub starts it, with `proxy.should_start`; taken when it is started.
        launch: Option<Box<Launch>>,
    },
}

impl FrontProxy {
    pub(crate) fn from_config(config: &Config, secrets: &Secrets) -> anyhow::Result<Self> {
        match config.proxy.mode {
            ProxyMode::Internal => Ok(Self::Internal(RouteStore::new())),
            ProxyMode::External => {
                let token = secrets.proxy_auth_token.expose().clone();
                let launch = config
                    .proxy
                    .should_start
                    .then(|| Launch::from_config(config, &token).map(Box::new))
                    .transpose()?;
                // With port 0 the launch picked the port; the client must use the same one.
                let api_url = launch
                    .as_ref()
                    .map_or_else(
                        || config.proxy.api_url.clone(),
                        |launch| launch.api_url(&config.proxy.api_url),
                    )
                    .as_str()
                    .trim_end_matches('/')
                    .to_owned();
                let tls = ganymede_proxy::tls::client_config(
                    &ganymede_proxy::tls::ClientTlsFiles::default(),
                )?;
                let routes = Arc::new(
                    External::new(&api_url, Some(token), false, tls)
                        .with_context(|| format!("proxy.api_url {api_url}"))?,
                );
                Ok(Self::External {
                    api_url,
                    routes,
                    launch,
                })
            }
        }
    }

    pub(crate) fn routes(&self) -> Arc<dyn ProxyRoutes> {
        match self {
            Self::Internal(routes) => Arc::new(InProcess(Arc::clone(routes))),
            Self::External { routes, .. } => Arc::clone(routes) as Arc<dyn ProxyRoutes>,
        }
    }

    /// The launch of a proxy the hub starts, once.
    pub(crate) fn take_launch(&mut self) -> Option<Launch> {
        match self {
            Self::Internal(_) => None,
            Self::External { launch, .. } => launch.take().map(|launch| *launch),
        }
    }

    pub(crate) fn unreachable_hint(&self) -> String {
        match self {
            Self::Internal(_) => "cannot add the hub's route to the in-process proxy".to_owned(),
            Self::External { api_url, .. } => format!(
                "cannot add the hub's route to the external proxy at {api_url}: start it first, \
                 with CONFIGPROXY_AUTH_TOKEN equal to the hub's (or proxy.auth_token), or set \
                 proxy.should_start = true"
            ),
        }
    }
}

/// JupyterHub's periodic `check_routes` for an external proxy, which may restart and forget
/// its routes: every `hub.last_activity_interval` the hub's, the servers' and the services'
/// routes are put back. Failures are logged and retried at the next tick.
pub(crate) async fn reconcile_routes(
    hub: Arc<Hub>,
    target: String,
    every: std::time::Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    crate::periodic::every(every, stop, || async {
        match hub.ensure_hub_route(&target).await {
            Ok(true) => {
                tracing::warn!("the hub's route was missing from the proxy; added it again")
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "cannot check the proxy's routes; retrying later"),
        }
        if let Err(error) = hub.check_proxy_routes().await {
            tracing::warn!(%error, "cannot check the servers' and services' routes; retrying later");
        }
    })
    .await;
}

/// The in-process proxy: the public listener on `bind_url`, its CHP API on `proxy.api_url`.
pub(crate) fn proxy_config(config: &Config, secrets: &Secrets) -> anyhow::Result<ProxyConfig> {
    let listen = Listen::Tcp(socket_addr(&config.hub.bind_url, "hub.bind_url")?);
    let api_listen = Listen::Tcp(socket_addr(&config.proxy.api_url, "proxy.api_url")?);
    Ok(ProxyConfig {
        listen,
        tls: None,
        api_listen,
        api_tls: None,
        metrics_listen: None,
        redirect: None,
        client_tls: ganymede_proxy::tls::client_config(
            &ganymede_proxy::tls::ClientTlsFiles::default(),
        )?,
        auth_token: Some(secrets.proxy_auth_token.expose().clone()),
        default_target: None,
        error_pages: ErrorPages::Builtin,
        forward: ForwardOptions {
            private_cookies: ganymede_web::HUB_ONLY_COOKIES
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
            ..ForwardOptions::default()
        },
        timeouts: Timeouts::default(),
        // The hub's runtime already uses every core.
        event_loops: 1,
    })
}
