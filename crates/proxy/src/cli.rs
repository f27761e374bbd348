//! configurable-http-proxy's command line, flag for flag, turned into a [`ProxyConfig`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use http::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::config::{ErrorPages, ForwardOptions, Listen, ProxyConfig, Redirect, Timeouts};
use crate::tls::{self, ClientTlsFiles, ServerTlsFiles, TlsError};

/// The flags of `configurable-http-proxy` 5.3.0, with the same names, defaults and meaning.
#[derive(Debug, Clone, Args)]
#[allow(clippy::struct_excessive_bools)]
pub struct ProxyArgs {
    /// Public-facing IP of the proxy (all interfaces if unset; `*` also means all).
    #[arg(long, value_name = "IP-ADDRESS")]
    pub ip: Option<String>,
    /// Public-facing port of the proxy [default: 8000; 0 picks a free port].
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Path to a Unix domain socket for the proxy to listen on, instead of --ip/--port.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["ip", "port"])]
    pub socket: Option<PathBuf>,
    /// SSL key to use, if any.
    #[arg(long, value_name = "KEYFILE")]
    pub ssl_key: Option<PathBuf>,
    /// SSL certificate to use, if any.
    #[arg(long, value_name = "CERTFILE")]
    pub ssl_cert: Option<PathBuf>,
    /// SSL certificate authority, if any (for client certificates).
    #[arg(long, value_name = "CA-FILE")]
    pub ssl_ca: Option<PathBuf>,
    /// Request SSL certs to authenticate clients.
    #[arg(long)]
    pub ssl_request_cert: bool,
    /// Reject unauthorized SSL connections (only meaningful with --ssl-request-cert).
    #[arg(long)]
    pub ssl_reject_unauthorized: bool,
    /// Oldest TLS protocol to accept: TLSv1_2 (default) or TLSv1_3.
    #[arg(long, value_name = "SSL-PROTOCOL")]
    pub ssl_protocol: Option<String>,
    /// Accepted for compatibility; rustls offers only modern AEAD cipher suites.
    #[arg(long, value_name = "CIPHERS")]
    pub ssl_ciphers: Option<String>,
    /// Accepted for compatibility; RC4 is never offered.
    #[arg(long)]
    pub ssl_allow_rc4: bool,
    /// Accepted for compatibility; only ECDHE key exchange is used.
    #[arg(long, value_name = "DHPARAM-FILE")]
    pub ssl_dhparam: Option<PathBuf>,
    /// Inward-facing IP for API requests.
    #[arg(long, value_name = "IP", default_value = "localhost")]
    pub api_ip: String,
    /// Inward-facing port for API requests [default: --port + 1].
    #[arg(long, value_name = "N")]
    pub api_port: Option<u16>,
    /// Path to a Unix domain socket for the API, instead of --api-ip/--api-port.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["api_ip", "api_port"])]
    pub api_socket: Option<PathBuf>,
    /// SSL key to use, if any, for API requests.
    #[arg(long, value_name = "KEYFILE")]
    pub api_ssl_key: Option<PathBuf>,
    /// SSL certificate to use, if any, for API requests.
    #[arg(long, value_name = "CERTFILE")]
    pub api_ssl_cert: Option<PathBuf>,
    /// SSL certificate authority, if any, for API requests.
    #[arg(long, value_name = "CA-FILE")]
    pub api_ssl_ca: Option<PathBuf>,
    /// Request SSL certs to authenticate clients for API requests.
    #[arg(long)]
    pub api_ssl_request_cert: bool,
    /// Reject unauthorized SSL connections (only meaningful with --api-ssl-request-cert).
    #[arg(long)]
    pub api_ssl_reject_unauthorized: bool,
    /// SSL key to present to https:// targets.
    #[arg(long, value_name = "KEYFILE")]
    pub client_ssl_key: Option<PathBuf>,
    /// SSL certificate to present to https:// targets.
    #[arg(long, value_name = "CERTFILE")]
    pub client_ssl_cert: Option<PathBuf>,
    /// Certificate authority that signs the https:// targets' certificates.
    #[arg(long, value_name = "CA-FILE")]
    pub client_ssl_ca: Option<PathBuf>,
    /// Accepted for compatibility with CHP, where it has no effect on outgoing connections.
    #[arg(long)]
    pub client_ssl_request_cert: bool,
    /// Accepted for compatibility with CHP, where it has no effect on outgoing connections.
    #[arg(long)]
    pub client_ssl_reject_unauthorized: bool,
    /// Default proxy target (proto://host[:port]), added as the `/` route.
    #[arg(long, value_name = "HOST")]
    pub default_target: Option<String>,
    /// Server for error pages: GET <target>/<code>?url=<path> (proto://host[:port]).
    #[arg(long, value_name = "HOST", conflicts_with = "error_path")]
    pub error_target: Option<String>,
    /// Directory with <code>.html or error.html error pages.
    #[arg(long, value_name = "PATH")]
    pub error_path: Option<PathBuf>,
    /// Redirect HTTP requests on this port to the server on HTTPS.
    #[arg(long, value_name = "REDIRECT-PORT")]
    pub redirect_port: Option<u16>,
    /// Redirect HTTP requests from --redirect-port to this port.
    #[arg(long, value_name = "PORT")]
    pub redirect_to: Option<u16>,
    /// Write our PID to a file.
    #[arg(long, value_name = "PID-FILE")]
    pub pid_file: Option<PathBuf>,
    /// Don't add 'X-Forwarded-*' headers to proxied requests.
    #[arg(long)]
    pub no_x_forward: bool,
    /// Avoid prepending target paths to proxied requests.
    #[arg(long)]
    pub no_prepend_path: bool,
    /// Don't include the routing prefix in proxied requests.
    #[arg(long)]
    pub no_include_prefix: bool,
    /// Rewrite the Location header host/port in redirect responses.
    #[arg(long)]
    pub auto_rewrite: bool,
    /// Changes the origin of the host header to the target URL.
    #[arg(long)]
    pub change_origin: bool,
    /// Rewrite the Location header protocol in redirect responses to this protocol.
    #[arg(long, value_name = "PROTO")]
    pub protocol_rewrite: Option<String>,
    /// Custom header to add to proxied requests, `name:value`; repeat for several.
    #[arg(long, value_name = "HEADER")]
    pub custom_header: Vec<String>,
    /// Disable SSL certificate verification of https:// targets.
    #[arg(long)]
    pub insecure: bool,
    /// Use host routing (host as first level of path).
    #[arg(long)]
    pub host_routing: bool,
    /// IP for the metrics server (all interfaces if empty).
    #[arg(long, value_name = "IP", default_value = "")]
    pub metrics_ip: String,
    /// Port of the metrics server; no metrics server unless set.
    #[arg(long, value_name = "N")]
    pub metrics_port: Option<u16>,
    /// Path to a Unix domain socket for the metrics server.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["metrics_port"])]
    pub metrics_socket: Option<PathBuf>,
    /// Log level (debug, info, warn, error).
    #[arg(long, value_name = "LOGLEVEL", default_value = "info")]
    pub log_level: String,
    /// Timeout (in millis) for a target to answer a request.
    #[arg(long, value_name = "N")]
    pub timeout: Option<u64>,
    /// Timeout (in millis) when the proxy receives no response from the target.
    #[arg(long, value_name = "N")]
    pub proxy_timeout: Option<u64>,
    /// External route storage classes are a Node.js feature; only the in-memory store exists.
    #[arg(long, value_name = "STORAGE-CLASS")]
    pub storage_backend: Option<String>,
    /// Timeout (in millis) for idle keep-alive connections, and for reading a request's headers.
    #[arg(long, value_name = "TIMEOUT")]
    pub keep_alive_timeout: Option<u64>,
    /// Event loops serving connections (not a CHP flag), each a thread with its own socket on
    /// the port (SO_REUSEPORT) and its own target connections, like nginx's workers. 0, the
    /// default, is one per CPU; 1 is a single loop like CHP's.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// The REST API token (normally from the environment).
    #[arg(
        long = "auth-token",
        env = "CONFIGPROXY_AUTH_TOKEN",
        hide_env_values = true,
        hide = true
    )]
    pub auth_token: Option<String>,
}

/// A flag value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    /// An address does not resolve.
    #[error("{flag} {value:?} is not an IP address or resolvable host name")]
    Address {
        /// The flag.
        flag: &'static str,
        /// Its value.
        value: String,
    },
    /// A URL flag is not an http(s) URL.
    #[error("{flag} {value:?} is not an http:// or https:// URL: {reason}")]
    Url {
        /// The flag.
        flag: &'static str,
        /// Its value.
        value: String,
        /// Why.
        reason: String,
    },
    /// `--custom-header` without a colon, or an invalid name or value.
    #[error("--custom-header {0:?} must look like name:value")]
    Header(String),
    /// A TLS file problem.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// `--redirect-port` without TLS.
    #[error("HTTPS redirection (--redirect-port) needs --ssl-key and --ssl-cert")]
    RedirectWithoutTls,
    /// `--storage-backend`.
    #[error(
        "--storage-backend is not supported: routes live in memory, and the hub re-adds them when the proxy restarts"
    )]
    StorageBackend,
    /// `--port` + 1 overflows.
    #[error("--port 65535 leaves no default --api-port; set --api-port")]
    ApiPort,
}

fn resolve(flag: &'static str, value: &str, port: u16) -> Result<SocketAddr, ArgsError> {
    let any = || SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
    match value {
        "" | "*" => return Ok(any()),
        "localhost" => return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)),
        _ => {}
    }
    let trimmed = value.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = trimmed.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    (value, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| ArgsError::Address {
            flag,
            value: value.to_owned(),
        })
}

fn http_url(flag: &'static str, value: &str) -> Result<Url, ArgsError> {
    let error = |reason: String| ArgsError::Url {
        flag,
        value: value.to_owned(),
        reason,
    };
    let url = Url::parse(value).map_err(|e| error(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(error(format!("scheme {:?}", url.scheme())));
    }
    Ok(url)
}

fn custom_headers(values: &[String]) -> Result<HeaderMap, ArgsError> {
    let mut headers = HeaderMap::new();
    for raw in values {
        let invalid = || ArgsError::Header(raw.clone());
        let (name, value) = raw.trim().split_once(':').ok_or_else(invalid)?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| invalid())?;
        headers.insert(name, value);
    }
    Ok(headers)
}

fn millis(value: Option<u64>) -> Option<Duration> {
    value.filter(|ms| *ms > 0).map(Duration::from_millis)
}

impl ProxyArgs {
    /// Checks every flag, reads the TLS files and builds the settings.
    pub fn to_config(&self) -> Result<ProxyConfig, ArgsError> {
        if self.storage_backend.is_some() {
            return Err(ArgsError::StorageBackend);
        }
        for (flag, set) in [
            ("--ssl-ciphers", self.ssl_ciphers.is_some()),
            ("--ssl-allow-rc4", self.ssl_allow_rc4),
            ("--ssl-dhparam", self.ssl_dhparam.is_some()),
        ] {
            if set {
                tracing::warn!(
                    "{flag} is ignored: rustls offers only modern cipher suites and key exchanges"
                );
            }
        }
        let port = self.port.unwrap_or(8000);
        let listen = match &self.socket {
            Some(path) => Listen::Unix(path.clone()),
            None => Listen::Tcp(resolve("--ip", self.ip.as_deref().unwrap_or(""), port)?),
        };
        let api_port = match self.api_port {
            Some(api_port) => api_port,
            None if port == 0 => 0,
            None => port.checked_add(1).ok_or(ArgsError::ApiPort)?,
        };
        let api_listen = match &self.api_socket {
            Some(path) => Listen::Unix(path.clone()),
            None => Listen::Tcp(resolve("--api-ip", &self.api_ip, api_port)?),
        };
        let metrics_listen = match (&self.metrics_socket, self.metrics_port) {
            (Some(path), _) => Some(Listen::Unix(path.clone())),
            (None, Some(metrics_port)) => Some(Listen::Tcp(resolve(
                "--metrics-ip",
                &self.metrics_ip,
                metrics_port,
            )?)),
            (None, None) => None,
        };
        let tls = tls::server_config(
            &ServerTlsFiles {
                key: self.ssl_key.clone(),
                cert: self.ssl_cert.clone(),
                ca: self.ssl_ca.clone(),
                request_cert: self.ssl_request_cert,
                reject_unauthorized: self.ssl_reject_unauthorized,
                protocol: self.ssl_protocol.clone(),
            },
            "--ssl-cert",
            &[b"h2", b"http/1.1"],
        )?;
        let api_tls = tls::server_config(
            &ServerTlsFiles {
                key: self.api_ssl_key.clone(),
                cert: self.api_ssl_cert.clone(),
                ca: self.api_ssl_ca.clone(),
                request_cert: self.api_ssl_request_cert,
                reject_unauthorized: self.api_ssl_reject_unauthorized,
                protocol: self.ssl_protocol.clone(),
            },
            "--api-ssl-cert",
            &[b"http/1.1"],
        )?;
        let client_tls = tls::client_config(&ClientTlsFiles {
            key: self.client_ssl_key.clone(),
            cert: self.client_ssl_cert.clone(),
            ca: self.client_ssl_ca.clone(),
            insecure: self.insecure,
        })?;
        let redirect = match self.redirect_port {
            None => None,
            Some(_) if tls.is_none() => return Err(ArgsError::RedirectWithoutTls),
            // CHP skips the redirect when the proxy itself is on port 80.
            Some(_) if port == 80 => None,
            Some(redirect_port) => {
                let ip = match &listen {
                    Listen::Tcp(addr) => addr.ip(),
                    Listen::Unix(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                };
                Some(Redirect {
                    listen: SocketAddr::new(ip, redirect_port),
                    to_port: self.redirect_to.unwrap_or(port),
                })
            }
        };
        let error_pages = match (&self.error_target, &self.error_path) {
            (Some(target), _) => ErrorPages::Target(http_url("--error-target", target)?),
            (None, Some(path)) => ErrorPages::Path(path.clone()),
            (None, None) => ErrorPages::Builtin,
        };
        let default_target = self
            .default_target
            .as_deref()
            .map(|target| http_url("--default-target", target))
            .transpose()?;
        let upstream = match (millis(self.timeout), millis(self.proxy_timeout)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(ProxyConfig {
            listen,
            tls,
            api_listen,
            api_tls,
            metrics_listen,
            redirect,
            client_tls,
            auth_token: self.auth_token.clone().filter(|t| !t.is_empty()),
            default_target,
            error_pages,
            forward: ForwardOptions {
                x_forward: !self.no_x_forward,
                prepend_path: !self.no_prepend_path,
                include_prefix: !self.no_include_prefix,
                host_routing: self.host_routing,
                change_origin: self.change_origin,
                auto_rewrite: self.auto_rewrite,
                protocol_rewrite: self.protocol_rewrite.clone(),
                custom_headers: custom_headers(&self.custom_header)?,
                private_cookies: Vec::new(),
            },
            timeouts: Timeouts {
                upstream,
                keep_alive: millis(self.keep_alive_timeout)
                    .unwrap_or(Timeouts::default().keep_alive),
            },
            event_loops: match self.threads {
                0 => std::thread::available_parallelism().map_or(1, usize::from),
                threads => threads,
            },
        })
    }

    /// The `tracing` filter directive for `--log-level`.
    pub fn log_filter(&self) -> &'static str {
        match self.log_level.to_ascii_lowercase().as_str() {
            "debug" | "silly" | "trace" => "debug",
            "warn" | "warning" => "warn",
            "error" => "error",
            _ => "info",
        }
    }
}
