//! `ganymede proxy` as a child process: started on free ports, its stderr collected into a
//! [`Log`] that tests can wait on, its REST API one call away, and killed when dropped.
//!
//! The ports are read from the start-up lines the proxy logs (`Proxying http://ADDR to ...`,
//! `Proxy API at http://ADDR/api/routes`, `Serve metrics at http://ADDR/metrics`,
//! `Redirecting http://ADDR to HTTPS`), the same lines a person reads.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::wait::{patience, wait_until};

/// How long the proxy may take to bind and log its addresses.
const STARTUP: Duration = Duration::from_secs(20);

/// The API token tests use unless they set another.
pub const DEFAULT_TOKEN: &str = "testkit-token";

/// What to start: `<bin> proxy --ip 127.0.0.1 --port 0 --api-port 0 <args>`.
#[derive(Debug, Clone)]
pub struct ProxyBuilder {
    bin: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    token: Option<String>,
}

/// Where the proxy's listeners are.
#[derive(Debug, Clone, Copy)]
pub struct ProxyAddrs {
    /// The public listener.
    pub proxy: SocketAddr,
    /// Whether the public listener speaks TLS.
    pub proxy_tls: bool,
    /// The REST API listener.
    pub api: SocketAddr,
    /// The metrics listener, with `--metrics-port`.
    pub metrics: Option<SocketAddr>,
    /// The HTTP-to-HTTPS redirect listener, with `--redirect-port`.
    pub redirect: Option<SocketAddr>,
}

/// A running proxy; SIGKILLed and reaped on drop if it is still running.
#[derive(Debug)]
pub struct ProxyProcess {
    child: Child,
    log: Log,
    addrs: ProxyAddrs,
    token: Option<String>,
    api_client: reqwest::Client,
}

/// The child's stderr, line by line, as it arrives; clones share the same buffer.
#[derive(Debug, Clone, Default)]
pub struct Log {
    inner: Arc<LogInner>,
}

#[derive(Debug, Default)]
struct LogInner {
    text: Mutex<String>,
    /// Woken on every new line and at end of file.
    changed: Notify,
    /// Set when stderr reached end of file: the process has exited or closed it.
    closed: AtomicBool,
}

// === impl ProxyBuilder ===

impl ProxyBuilder {
    /// A proxy from this binary (`env!("CARGO_BIN_EXE_ganymede")` in the CLI's tests), with the
    /// API token [`DEFAULT_TOKEN`].
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Self {
            bin: bin.into(),
            args: Vec::new(),
            env: Vec::new(),
            token: Some(DEFAULT_TOKEN.to_owned()),
        }
    }

    /// Adds one flag or value after the defaults.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds flags and values after the defaults.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable of the child (not of the test process).
    #[must_use]
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The `CONFIGPROXY_AUTH_TOKEN` to start with; `None` starts an unauthenticated API.
    #[must_use]
    pub fn token(mut self, token: Option<&str>) -> Self {
        self.token = token.map(str::to_owned);
        self
    }

    /// Whether a flag was passed, as `--flag value` or `--flag=value`.
    fn has(&self, flag: &str) -> bool {
        self.args.iter().filter_map(|arg| arg.to_str()).any(|arg| {
            arg.strip_prefix(flag)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        })
    }

    /// Starts the proxy and waits until it has logged every address it was asked to bind.
    pub async fn start(self) -> anyhow::Result<ProxyProcess> {
        let mut command = Command::new(&self.bin);
        command
            .args([
                "proxy",
                "--ip",
                "127.0.0.1",
                "--port",
                "0",
                "--api-port",
                "0",
            ])
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Tests assert on the lines `--log-level` gives, so a developer's RUST_LOG must not
            // change them.
            .env_remove("RUST_LOG")
            .env_remove("CONFIGPROXY_AUTH_TOKEN");
        if let Some(token) = &self.token {
            command.env("CONFIGPROXY_AUTH_TOKEN", token);
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let log = Log::default();
        if let Some(stderr) = child.stderr.take() {
            log.drain(stderr);
        }
        let mut expected = vec!["Proxying ", "Proxy API at "];
        if self.has("--metrics-port") {
            expected.push("Serve metrics at ");
        }
        if self.has("--redirect-port") {
            expected.push("Redirecting ");
        }
        let ready = log
            .wait_for(STARTUP, |text| {
                expected.iter().all(|needle| text.contains(needle))
            })
            .await;
        // Killed by the drop of a half-built process if anything below fails.
        let mut process = ProxyProcess {
            child,
            log: log.clone(),
            addrs: ProxyAddrs {
                proxy: SocketAddr::from(([127, 0, 0, 1], 0)),
                proxy_tls: false,
                api: SocketAddr::from(([127, 0, 0, 1], 0)),
                metrics: None,
                redirect: None,
            },
            token: self.token.clone(),
            api_client: crate::http_client()?,
        };
        if !ready {
            bail!(
                "the proxy did not log its addresses within {STARTUP:?}; its stderr:\n{}",
                log.text()
            );
        }
        let text = log.text();
        let (proxy_tls, proxy) = between(&text, "Proxying ", " to ")
            .and_then(split_scheme)
            .context("no `Proxying` line")?;
        let (_, api) = between(&text, "Proxy API at ", "/api/routes")
            .and_then(split_scheme)
            .context("no `Proxy API at` line")?;
        let metrics = between(&text, "Serve metrics at ", "/metrics")
            .and_then(split_scheme)
            .map(|(_, addr)| addr);
        let redirect = between(&text, "Redirecting ", " to HTTPS")
            .and_then(split_scheme)
            .map(|(_, addr)| addr);
        process.addrs = ProxyAddrs {
            proxy,
            proxy_tls,
            api,
            metrics,
            redirect,
        };
        Ok(process)
    }
}

/// The text after the first `start` and before the next `end` on the same line.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let rest = &line[line.find(start)? + start.len()..];
        Some(&rest[..rest.find(end)?])
    })
}

/// `https://127.0.0.1:8000` → `(true, 127.0.0.1:8000)`.
fn split_scheme(url: &str) -> Option<(bool, SocketAddr)> {
    let (scheme, addr) = url.split_once("://")?;
    Some((scheme == "https", addr.parse().ok()?))
}

// === impl ProxyProcess ===

impl ProxyProcess {
    /// Where the listeners are.
    pub fn addrs(&self) -> ProxyAddrs {
        self.addrs
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The public URL of `path` (which starts with `/`), `http` or `https` as the proxy serves.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.addrs.proxy_tls {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}{path}", self.addrs.proxy)
    }

    /// The WebSocket URL of `path` on the public listener.
    pub fn ws_url(&self, path: &str) -> String {
        let scheme = if self.addrs.proxy_tls { "wss" } else { "ws" };
        format!("{scheme}://{}{path}", self.addrs.proxy)
    }

    /// The API URL of a route path: `http://API/api/routes<route>`.
    pub fn api_url(&self, route: &str) -> String {
        format!("http://{}/api/routes{route}", self.addrs.api)
    }

    /// The metrics URL, with `--metrics-port`.
    pub fn metrics_url(&self) -> Option<String> {
        self.addrs
            .metrics
            .map(|addr| format!("http://{addr}/metrics"))
    }

    /// The token the proxy was started with.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// An API request to `http://API/<path>` (the full path, `/api/...`), with the token.
    pub fn api_request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self
            .api_client
            .request(method, format!("http://{}{path}", self.addrs.api));
        match &self.token {
            Some(token) => request.header("Authorization", format!("token {token}")),
            None => request,
        }
    }

    /// `POST /api/routes<path>` with `data`; fails unless the answer is `201 Created`.
    pub async fn add_route(&self, path: &str, data: &Value) -> anyhow::Result<()> {
        let response = self
            .api_request(Method::POST, &format!("/api/routes{path}"))
            .json(data)
            .send()
            .await?;
        let status = response.status();
        if status != StatusCode::CREATED {
            bail!(
                "adding route {path} answered {status}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// `POST /api/routes<path>` with `{"target": target}`.
    pub async fn add_target(&self, path: &str, target: &str) -> anyhow::Result<()> {
        self.add_route(path, &serde_json::json!({ "target": target }))
            .await
    }

    /// `GET /api/routes`: every route, keyed by path.
    pub async fn routes(&self) -> anyhow::Result<Value> {
        let response = self
            .api_request(Method::GET, "/api/routes")
            .send()
            .await?
            .error_for_status()?;
        Ok(response.json().await?)
    }

    /// One route from `GET /api/routes`, if present.
    pub async fn route(&self, path: &str) -> anyhow::Result<Option<Value>> {
        Ok(self.routes().await?.get(path).cloned())
    }

    /// A route's `last_activity`, in milliseconds since the Unix epoch.
    pub async fn last_activity_ms(&self, path: &str) -> anyhow::Result<i64> {
        let route = self
            .route(path)
            .await?
            .with_context(|| format!("no route {path}"))?;
        let text = route
            .get("last_activity")
            .and_then(Value::as_str)
            .with_context(|| format!("route {path} has no last_activity: {route}"))?;
        Ok(chrono::DateTime::parse_from_rfc3339(text)
            .with_context(|| format!("last_activity {text:?} is not RFC 3339"))?
            .timestamp_millis())
    }

    /// The collected stderr.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Waits up to `deadline` for a log line containing `needle`.
    pub async fn log_contains(&self, needle: &str, deadline: Duration) -> bool {
        self.log
            .wait_for(deadline, |text| text.contains(needle))
            .await
    }

    /// The peak resident set size so far (`VmHWM` in `/proc/<pid>/status`), in KiB.
    pub fn peak_rss_kb(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmHWM line in /proc/<pid>/status")
    }

    /// Sends SIGTERM, the signal JupyterHub stops its proxy with.
    pub fn terminate(&self) -> anyhow::Result<()> {
        let pid = i32::try_from(self.pid()).context("pid out of range")?;
        kill(Pid::from_raw(pid), Signal::SIGTERM)?;
        Ok(())
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `deadline` for the process to exit and returns its status.
    pub async fn wait_exit(&mut self, deadline: Duration) -> anyhow::Result<ExitStatus> {
        let end = Instant::now() + patience(deadline);
        // Stderr closes when the process exits, which wakes this without polling.
        self.log.wait_closed(deadline).await;
        let mut status = None;
        let left = end.saturating_duration_since(Instant::now());
        wait_until(left, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        })
        .await;
        status.with_context(|| {
            format!(
                "the proxy was still running after {deadline:?}; its stderr:\n{}",
                self.log.text()
            )
        })
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        // The test harness captures this and shows it only when the test fails, which is when
        // what the proxy said is usually the explanation.
        #[allow(clippy::print_stderr, reason = "captured by the test harness")]
        {
            eprintln!(
                "--- ganymede proxy (pid {}) stderr ---\n{}",
                self.pid(),
                self.log.text()
            );
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// === impl Log ===

impl Log {
    /// Copies `reader` into the log on a thread of its own until end of file.
    pub fn drain(&self, reader: impl std::io::Read + Send + 'static) {
        let inner = Arc::clone(&self.inner);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            let mut line = String::new();
            while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
                if let Ok(mut text) = inner.text.lock() {
                    text.push_str(&line);
                    if !line.ends_with('\n') {
                        text.push('\n');
                    }
                }
                line.clear();
                inner.changed.notify_waiters();
            }
            inner.closed.store(true, Ordering::SeqCst);
            inner.changed.notify_waiters();
        });
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        self.inner
            .text
            .lock()
            .map(|text| text.clone())
            .unwrap_or_default()
    }

    /// The lines logged so far that contain `needle`.
    pub fn lines_containing(&self, needle: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| line.contains(needle))
            .map(str::to_owned)
            .collect()
    }

    /// How many lines logged so far contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.lines_containing(needle).len()
    }

    /// Whether the stream reached end of file.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    /// Waits up to `deadline` for `check` to hold of the whole text; false if it does not by
    /// then, or if the stream ends without it holding.
    pub async fn wait_for(&self, deadline: Duration, check: impl Fn(&str) -> bool) -> bool {
        let end = Instant::now() + patience(deadline);
        loop {
            // Registered before checking, so a line that arrives in between still wakes us.
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let closed = self.is_closed();
            if check(&self.text()) {
                return true;
            }
            if closed || tokio::time::timeout_at(end, changed).await.is_err() {
                return check(&self.text());
            }
        }
    }

    /// Waits up to `deadline` for end of file; whether it came.
    pub async fn wait_closed(&self, deadline: Duration) -> bool {
        self.wait_for(deadline, |_| self.is_closed()).await || self.is_closed()
    }
}
