//! The proxy's validated settings, built from the command line by [`crate::cli`] or by the hub.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use url::Url;

/// Everything the proxy needs to start; all files are already read and all values checked.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The public listener.
    pub listen: Listen,
    /// TLS on the public listener (`--ssl-key`/`--ssl-cert`), with HTTP/2 by ALPN.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The REST API listener.
    pub api_listen: Listen,
    /// TLS on the API listener (`--api-ssl-*`).
    pub api_tls: Option<Arc<rustls::ServerConfig>>,
    /// The Prometheus listener, if any (`--metrics-port`).
    pub metrics_listen: Option<Listen>,
    /// The plain-HTTP port that redirects to HTTPS (`--redirect-port`), and the port it sends people to.
    pub redirect: Option<Redirect>,
    /// TLS towards `https://` targets (`--client-ssl-*`, `--insecure`).
    pub client_tls: Arc<rustls::ClientConfig>,
    /// `CONFIGPROXY_AUTH_TOKEN`; `None` leaves the API open, as CHP does, with a warning.
    pub auth_token: Option<String>,
    /// Added as the `/` route at start (`--default-target`).
    pub default_target: Option<Url>,
    /// What to serve when no route matches or a target is down.
    pub error_pages: ErrorPages,
    /// How requests are rewritten on the way to a target.
    pub forward: ForwardOptions,
    /// Time limits.
    pub timeouts: Timeouts,
    /// Event loops serving the public listener. 1 serves it on the runtime that runs
    /// [`crate::Proxy::serve`]; more start that many minus one threads, each with its own
    /// single-threaded runtime, `SO_REUSEPORT` socket and target pool (TCP listeners only).
    pub event_loops: usize,
}

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A TCP address; port 0 picks a free port.
    Tcp(SocketAddr),
    /// A Unix domain socket path (`--socket`, `--api-socket`, `--metrics-socket`).
    Unix(PathBuf),
}

/// The HTTP-to-HTTPS redirect listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// Where the plain-HTTP redirect server listens.
    pub listen: SocketAddr,
    /// The HTTPS port put into the `Location`.
    pub to_port: u16,
}

/// Where error pages come from, in CHP's order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorPages {
    /// `--error-target`: `GET <target>/<code>?url=<path>` and serve its answer.
    Target(Url),
    /// `--error-path`: `<dir>/<code>.html`, else `<dir>/error.html`.
    Path(PathBuf),
    /// The pages compiled into the binary.
    Builtin,
}

/// Request rewriting, with CHP's defaults.
#[derive(Debug, Clone)]
pub struct ForwardOptions {
    /// Add `X-Forwarded-For/-Proto/-Host/-Port` (off with `--no-x-forward`).
    pub x_forward: bool,
    /// Put the target URL's path in front of the request path (off with `--no-prepend-path`).
    pub prepend_path: bool,
    /// Keep the route prefix in the forwarded path (off with `--no-include-prefix`).
    pub include_prefix: bool,
    /// The first path segment of a route is a host name (`--host-routing`).
    pub host_routing: bool,
    /// Replace `Host` with the target's (`--change-origin`).
    pub change_origin: bool,
    /// Rewrite the host and port of redirect `Location`s from the target (`--auto-rewrite`).
    pub auto_rewrite: bool,
    /// Rewrite the scheme of redirect `Location`s (`--protocol-rewrite`).
    pub protocol_rewrite: Option<String>,
    /// Added to every proxied request (`--custom-header`).
    pub custom_headers: HeaderMap,
    /// Cookies removed from requests to every route but the hub's (`"hub": true`): the hub's
    /// `__Host-` cookies have path `/`, and a user's server must never see another user's login.
    /// Not a CHP flag; the in-process hub sets it.
    pub private_cookies: Vec<String>,
}

/// Time limits.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// How long a target may take to answer with headers (`--proxy-timeout`, `--timeout`).
    pub upstream: Option<Duration>,
    /// How long an idle client connection stays open, which is also how long a client may take
    /// to send its request headers (`--keep-alive-timeout`, 5 s by default).
    pub keep_alive: Duration,
}

impl Default for ForwardOptions {
    fn default() -> Self {
        Self {
            x_forward: true,
            prepend_path: true,
            include_prefix: true,
            host_routing: false,
            change_origin: false,
            auto_rewrite: false,
            protocol_rewrite: None,
            custom_headers: HeaderMap::new(),
            private_cookies: Vec::new(),
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            upstream: None,
            keep_alive: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}
