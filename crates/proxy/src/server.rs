//! Listeners and connections: bind everything first, then serve until shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, ApiState};
use crate::body::{self, ProxyBody};
use crate::config::{Listen, ProxyConfig};
use crate::conn::{self, Builders};
use crate::event_loops;
use crate::fast::FastLane;
use crate::forward;
use crate::headers::ClientSide;
use crate::http1;
use crate::metrics::Metrics;
use crate::state::DataPlane;
use crate::store::RouteStore;

/// How long open requests may finish after a shutdown signal.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A listener could not be bound.
    #[error("cannot listen on {what} {listen}: {source}")]
    Bind {
        /// Which listener (`proxy`, `API`, ...).
        what: &'static str,
        /// Where.
        listen: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `--default-target` was refused.
    #[error("invalid --default-target: {0}")]
    DefaultTarget(#[from] crate::route_table::RouteError),
}

pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// A proxy whose sockets are bound; [`Proxy::serve`] runs it.
pub struct Proxy {
    routes: Arc<RouteStore>,
    metrics: Arc<Metrics>,
    plane: Arc<DataPlane>,
    /// The public listener's other event loops (`ProxyConfig::event_loops`): a listening
    /// socket on the same port and a data plane of their own each.
    extra_loops: Vec<(std::net::TcpListener, Arc<DataPlane>)>,
    api: Arc<ApiState>,
    keep_alive: Duration,
    public: (Listener, Option<TlsAcceptor>),
    api_listener: (Listener, Option<TlsAcceptor>),
    metrics_listener: Option<Listener>,
    redirect: Option<(TcpListener, u16)>,
    addrs: Addrs,
}

/// Where the proxy's listeners ended up (ports are real even if 0 was asked for).
#[derive(Debug, Clone, Default)]
pub struct Addrs {
    /// The public listener, if TCP.
    pub proxy: Option<SocketAddr>,
    /// The API listener, if TCP.
    pub api: Option<SocketAddr>,
    /// The metrics listener, if any and TCP.
    pub metrics: Option<SocketAddr>,
    /// The HTTP-to-HTTPS redirect listener, if any.
    pub redirect: Option<SocketAddr>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("addrs", &self.addrs)
            .finish_non_exhaustive()
    }
}

async fn bind(
    what: &'static str,
    listen: &Listen,
) -> Result<(Listener, Option<SocketAddr>), ServeError> {
    let error = |source| ServeError::Bind {
        what,
        listen: listen.to_string(),
        source,
    };
    match listen {
        Listen::Tcp(addr) => {
            let listener = TcpListener::bind(addr).await.map_err(error)?;
            let local = listener.local_addr().map_err(error)?;
            Ok((Listener::Tcp(listener), Some(local)))
        }
        Listen::Unix(path) => {
            // A socket file left by a previous run would make bind fail; only remove sockets.
            if let Ok(meta) = std::fs::symlink_metadata(path) {
                use std::os::unix::fs::FileTypeExt;
                if meta.file_type().is_socket() {
                    let _ = std::fs::remove_file(path);
                }
            }
            Ok((
                Listener::Unix(UnixListener::bind(path).map_err(error)?),
                None,
            ))
        }
    }
}

impl Proxy {
    /// Binds every listener and adds the `--default-target` route.
    ///
    /// The hub passes its own `routes` to share the table in-process.
    pub async fn bind(config: ProxyConfig, routes: Arc<RouteStore>) -> Result<Self, ServeError> {
        if let Some(target) = &config.default_target {
            let mut data = serde_json::Map::new();
            data.insert(
                "target".to_owned(),
                serde_json::Value::String(target.to_string()),
            );
            routes.add("/", data)?;
        }
        let metrics = Arc::new(Metrics::new());
        let plane = Arc::new(DataPlane::new(
            &config,
            Arc::clone(&routes),
            Arc::clone(&metrics),
        ));
        let api = Arc::new(ApiState {
            routes: Arc::clone(&routes),
            auth_token: config.auth_token.clone(),
            host_routing: config.forward.host_routing,
            metrics: Arc::clone(&metrics),
        });
        let (public, proxy_addr, extra_listeners) = match &config.listen {
            Listen::Tcp(addr) if config.event_loops > 1 => {
                let error = |source| ServeError::Bind {
                    what: "proxy",
                    listen: config.listen.to_string(),
                    source,
                };
                let mut listeners =
                    event_loops::reuseport_listeners(*addr, config.event_loops).map_err(error)?;
                let first = listeners.remove(0);
                let local = first.local_addr().map_err(error)?;
                let first = TcpListener::from_std(first).map_err(error)?;
                (Listener::Tcp(first), Some(local), listeners)
            }
            listen => {
                let (listener, addr) = bind("proxy", listen).await?;
                (listener, addr, Vec::new())
            }
        };
        let extra_loops = extra_listeners
            .into_iter()
            .map(|listener| {
                let plane = DataPlane::new(&config, Arc::clone(&routes), Arc::clone(&metrics));
                (listener, Arc::new(plane))
            })
            .collect();
        let (api_listener, api_addr) = bind("API", &config.api_listen).await?;
        let (metrics_listener, metrics_addr) = match &config.metrics_listen {
            Some(listen) => {
                let (listener, addr) = bind("metrics", listen).await?;
                (Some(listener), addr)
            }
            None => (None, None),
        };
        let (redirect, redirect_addr) = match &config.redirect {
            Some(redirect) => {
                let (listener, addr) = bind("redirect", &Listen::Tcp(redirect.listen)).await?;
                let Listener::Tcp(listener) = listener else {
                    unreachable!("a TCP listen address gives a TCP listener")
                };
                // `--port 0` without `--redirect-to` leaves 0 as the HTTPS port, which no browser
                // can reach; the port the public listener really got is the one meant.
                let to_port = match (redirect.to_port, proxy_addr) {
                    (0, Some(proxy_addr)) => proxy_addr.port(),
                    (to_port, _) => to_port,
                };
                (Some((listener, to_port)), addr)
            }
            None => (None, None),
        };
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let api_scheme = if config.api_tls.is_some() {
            "https"
        } else {
            "http"
        };
        let shown = |listen: &Listen, addr: Option<SocketAddr>| {
            addr.map_or_else(|| listen.to_string(), |a| a.to_string())
        };
        tracing::info!(
            "Proxying {scheme}://{} to {}",
            shown(&config.listen, proxy_addr),
            config
                .default_target
                .as_ref()
                .map_or("(no default)".to_owned(), ToString::to_string)
        );
        tracing::info!(
            "Proxy API at {api_scheme}://{}/api/routes",
            shown(&config.api_listen, api_addr)
        );
        if let Some(listen) = &config.metrics_listen {
            tracing::info!(
                "Serve metrics at http://{}/metrics",
                shown(listen, metrics_addr)
            );
        }
        if let Some(addr) = redirect_addr {
            tracing::info!("Redirecting http://{addr} to HTTPS");
        }
        if config.auth_token.is_none() {
            tracing::warn!("REST API is not authenticated: set CONFIGPROXY_AUTH_TOKEN");
        }
        Ok(Self {
            routes,
            metrics,
            plane,
            extra_loops,
            api,
            keep_alive: config.timeouts.keep_alive,
            public: (public, config.tls.map(TlsAcceptor::from)),
            api_listener: (api_listener, config.api_tls.map(TlsAcceptor::from)),
            metrics_listener,
            redirect,
            addrs: Addrs {
                proxy: proxy_addr,
                api: api_addr,
                metrics: metrics_addr,
                redirect: redirect_addr,
            },
        })
    }

    /// Where the listeners are.
    pub fn addrs(&self) -> &Addrs {
        &self.addrs
    }

    /// The route table this proxy serves.
    pub fn routes(&self) -> &Arc<RouteStore> {
        &self.routes
    }

    /// Serves until `shutdown` resolves, then lets open requests finish for a few seconds.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let builders = Arc::new(Builders::new(self.keep_alive));

        let (listener, tls) = self.public;
        let extra_loops: Vec<_> = self
            .extra_loops
            .into_iter()
            .enumerate()
            .filter_map(|(i, (listener, plane))| {
                event_loops::start(
                    i + 1,
                    listener,
                    tls.clone(),
                    plane,
                    Arc::clone(&self.metrics),
                    Arc::clone(&builders),
                    cancel.clone(),
                )
            })
            .collect();
        tracker.spawn(serve_public(
            listener,
            tls,
            self.plane,
            Arc::clone(&self.metrics),
            Arc::clone(&builders),
            cancel.clone(),
            tracker.clone(),
        ));

        let api = self.api;
        let (listener, tls) = self.api_listener;
        tracker.spawn(accept_loop(
            listener,
            tls,
            Arc::clone(&builders),
            cancel.clone(),
            tracker.clone(),
            move |_| {
                let api = Arc::clone(&api);
                (
                    service_fn(move |req| api::handle(Arc::clone(&api), req)),
                    None,
                )
            },
        ));

        if let Some(listener) = self.metrics_listener {
            let metrics = Arc::clone(&self.metrics);
            let routes = Arc::clone(&self.routes);
            tracker.spawn(accept_loop(
                listener,
                None,
                Arc::clone(&builders),
                cancel.clone(),
                tracker.clone(),
                move |_| {
                    let metrics = Arc::clone(&metrics);
                    let routes = Arc::clone(&routes);
                    let service = service_fn(move |req: Request<Incoming>| {
                        let response = if req.uri().path() == "/metrics" {
                            let mut response =
                                Response::new(body::full(metrics.render(routes.len())));
                            response.headers_mut().insert(
                                http::header::CONTENT_TYPE,
                                http::HeaderValue::from_static(
                                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                                ),
                            );
                            response
                        } else {
                            forward::text_response(StatusCode::NOT_FOUND, "Not Found")
                        };
                        std::future::ready(Ok::<_, Infallible>(response))
                    });
                    (service, None)
                },
            ));
        }

        if let Some((listener, to_port)) = self.redirect {
            tracker.spawn(accept_loop(
                Listener::Tcp(listener),
                None,
                Arc::clone(&builders),
                cancel.clone(),
                tracker.clone(),
                move |_| {
                    let service = service_fn(move |req: Request<Incoming>| {
                        std::future::ready(Ok::<_, Infallible>(redirect_to_https(&req, to_port)))
                    });
                    (service, None)
                },
            ));
        }

        shutdown.await;
        tracing::info!(
            "shutting down: no new connections, open requests get {} s",
            SHUTDOWN_GRACE.as_secs()
        );
        cancel.cancel();
        tracker.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some requests were still open after the grace period; closing them");
        }
        // The other loops had the same grace period, started at the same moment.
        for finished in extra_loops {
            let _ = finished.await;
        }
    }
}

/// Serves the public listener: every request is forwarded by `plane`.
pub(crate) async fn serve_public(
    listener: Listener,
    tls: Option<TlsAcceptor>,
    plane: Arc<DataPlane>,
    metrics: Arc<Metrics>,
    builders: Arc<Builders>,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    let fast = FastLane::applies(&plane);
    accept_loop(listener, tls, builders, cancel, tracker, move |client| {
        let metrics = Arc::clone(&metrics);
        metrics.active_connections.inc();
        let guard = ConnectionGauge(metrics);
        let lane = fast.then(|| FastLane {
            plane: Arc::clone(&plane),
            client,
        });
        let plane = Arc::clone(&plane);
        let service = service_fn(move |req| {
            let _counted = &guard;
            forward::handle(Arc::clone(&plane), client, req)
        });
        (service, lane)
    })
    .await;
}

struct ConnectionGauge(Arc<Metrics>);

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.active_connections.dec();
    }
}

fn redirect_to_https(req: &Request<Incoming>, to_port: u16) -> Response<ProxyBody> {
    let Some(host) = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
    else {
        return forward::text_response(
            StatusCode::BAD_REQUEST,
            "This server only serves HTTPS, and the request had no Host header to redirect to.",
        );
    };
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let authority = if to_port == 443 {
        host.to_owned()
    } else {
        format!("{host}:{to_port}")
    };
    let path = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut response = Response::new(body::empty());
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(location) = http::HeaderValue::from_str(&format!("https://{authority}{path}")) {
        response
            .headers_mut()
            .insert(http::header::LOCATION, location);
    }
    response
}

async fn accept_loop<M, S>(
    listener: Listener,
    tls: Option<TlsAcceptor>,
    builders: Arc<Builders>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    make_service: M,
) where
    // The service, and the fast lane for plain connections that may use it.
    M: Fn(ClientSide) -> (S, Option<FastLane>) + Send + 'static,
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<ProxyBody>,
            Error = Infallible,
        > + Send
        + Unpin
        + 'static,
    S::Future: Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = accept(&listener) => accepted,
        };
        let (stream, ip) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Out of file descriptors, most likely: wait a little rather than spin.
                tracing::error!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let client = ClientSide {
            ip,
            tls: tls.is_some(),
        };
        let (service, fast) = make_service(client);
        let builders = Arc::clone(&builders);
        let cancel = cancel.clone();
        let tls = tls.clone();
        // The TLS futures are boxed, so a plain connection's task does not carry the space a TLS
        // one needs: idle connections are most of a busy proxy's memory.
        tracker.spawn(async move {
            match (stream, tls) {
                (Stream::Tcp(stream), None) => {
                    http1::serve(stream, service, &builders, cancel, ip, fast).await;
                }
                (Stream::Unix(stream), None) => {
                    http1::serve(stream, service, &builders, cancel, ip, fast).await;
                }
                (Stream::Tcp(stream), Some(tls)) => {
                    Box::pin(conn::serve_tls(stream, tls, service, &builders, cancel, ip)).await;
                }
                (Stream::Unix(stream), Some(tls)) => {
                    Box::pin(conn::serve_tls(stream, tls, service, &builders, cancel, ip)).await;
                }
            }
        });
    }
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

async fn accept(listener: &Listener) -> std::io::Result<(Stream, Option<std::net::IpAddr>)> {
    match listener {
        Listener::Tcp(listener) => {
            let (stream, addr) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            Ok((Stream::Tcp(stream), Some(addr.ip().to_canonical())))
        }
        Listener::Unix(listener) => {
            let (stream, _) = listener.accept().await?;
            Ok((Stream::Unix(stream), None))
        }
    }
}
