//! `proxy.should_start`: the hub starts the external proxy, restarts it when it dies and stops
//! it at shutdown, as JupyterHub's `ConfigurableHTTPProxy` does (`start`, `check_running`,
//! `stop`, the pid file). The command is `ganymede proxy` unless `proxy.command` names another
//! CHP-compatible program, such as configurable-http-proxy.

mod output;
mod stale;

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use ganymede_config::Config;
use ganymede_core::Hub;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use tokio::process::Child;
use tokio::sync::watch;
use url::Url;

use self::output::Output;

/// How long a started proxy may take to listen on both addresses; JupyterHub waits 15 s.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a proxy has to exit after SIGTERM before it gets SIGKILL. `ganymede proxy` finishes
/// open requests for up to 10 s.
const STOP_TIMEOUT: Duration = Duration::from_secs(12);

/// Where one of the proxy's listeners is, for its flags and for the readiness check.
#[derive(Debug, Clone)]
enum Endpoint {
    Tcp { ip: String, port: u16 },
    Unix(PathBuf),
}

/// How to start the proxy: everything but the token is on its command line.
pub(crate) struct Launch {
    /// The program and its own arguments (`proxy.command`, or this binary's `proxy`).
    command: Vec<String>,
    public: Endpoint,
    api: Endpoint,
    /// Flags after the listeners: `--error-target`, `--log-level`, TLS.
    flags: Vec<String>,
    /// Travels in `CONFIGPROXY_AUTH_TOKEN`, never on the command line or in a log.
    token: String,
    pid_file: PathBuf,
    /// Where its output goes.
    log_file: PathBuf,
    retry_after: Duration,
}

/// A started proxy. Dropping it kills the process (the hub is failing); [`Running::stop`] is
/// the graceful way, and [`Running::detach`] leaves it running. The child is not spawned with
/// `kill_on_drop`, which would kill a detached proxy too.
pub(crate) struct Running {
    child: Option<Child>,
    output: Output,
}

// === impl Endpoint ===

impl Endpoint {
    /// The listener of `url`; port 0 picks a free port now, so the proxy is restarted on the
    /// same one and any CHP-compatible program can be told where to listen.
    fn from_url(url: &Url, what: &str) -> anyhow::Result<Self> {
        if url.scheme() == "http+unix" {
            let encoded = url.host_str().unwrap_or_default();
            let path = percent_decode(encoded);
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => bail!("{what} {url} has no host to listen on"),
        };
        let port = match url.port_or_known_default() {
            Some(0) => ganymede_spawn::free_port(&ip)
                .with_context(|| format!("cannot pick a free port for {what} {url}"))?,
            Some(port) => port,
            None => bail!("{what} {url} has no port"),
        };
        Ok(Self::Tcp { ip, port })
    }

    fn flags(&self, ip_flag: &str, port_flag: &str, socket_flag: &str) -> Vec<String> {
        match self {
            Self::Tcp { ip, port } => vec![
                ip_flag.to_owned(),
                ip.clone(),
                port_flag.to_owned(),
                port.to_string(),
            ],
            Self::Unix(path) => vec![socket_flag.to_owned(), path.display().to_string()],
        }
    }

    /// Whether something accepts connections there.
    async fn answers(&self) -> bool {
        match self {
            Self::Tcp { ip, port } => {
                // A wildcard listener is reached over loopback.
                let host = match ip.as_str() {
                    "0.0.0.0" | "" => "127.0.0.1",
                    "::" => "::1",
                    ip => ip,
                };
                tokio::net::TcpStream::connect((host, *port)).await.is_ok()
            }
            Self::Unix(path) => tokio::net::UnixStream::connect(path).await.is_ok(),
        }
    }

    /// The URL with the port the proxy was given.
    fn with_port(&self, url: &Url) -> Url {
        let mut url = url.clone();
        if let Self::Tcp { port, .. } = self {
            let _ = url.set_port(Some(*port));
        }
        url
    }
}

/// `%2F` and friends in an `http+unix://` host, as JupyterHub's `unquote`.
fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

// === impl Launch ===

impl Launch {
    /// The launch `config` asks for, with ports picked for any port 0.
    pub(crate) fn from_config(config: &Config, token: &str) -> anyhow::Result<Self> {
        let proxy = &config.proxy;
        let command = if proxy.command.is_empty() {
            let exe = std::env::current_exe()
                .context("cannot find this ganymede binary to run `ganymede proxy`")?;
            vec![exe.display().to_string(), "proxy".to_owned()]
        } else {
            proxy.command.clone()
        };
        let mut flags = vec![
            "--log-level".to_owned(),
            proxy.effective_log_level().to_owned(),
        ];
        if let Some(key) = &config.hub.ssl_key {
            flags.extend(["--ssl-key".to_owned(), key.display().to_string()]);
        }
        if let Some(cert) = &config.hub.ssl_cert {
            flags.extend(["--ssl-cert".to_owned(), cert.display().to_string()]);
        }
        Ok(Self {
            command,
            public: Endpoint::from_url(&config.hub.bind_url, "hub.bind_url")?,
            api: Endpoint::from_url(&config.proxy.api_url, "proxy.api_url")?,
            flags,
            token: token.to_owned(),
            pid_file: proxy.pid_file_path(&config.hub.data_dir),
            log_file: config.hub.data_dir.join("proxy.log"),
            retry_after: Duration::from_secs(proxy.check_running_interval.max(1)),
        })
    }

    /// `proxy.api_url` with the port the proxy listens on.
    pub(crate) fn api_url(&self, configured: &Url) -> Url {
        self.api.with_port(configured)
    }

    /// `hub.bind_url` with the port the proxy listens on.
    pub(crate) fn public_url(&self, configured: &Url) -> Url {
        self.public.with_port(configured)
    }

    /// Pages for the proxy's errors come from the hub, at `<hub>/hub/error/<code>`.
    pub(crate) fn set_error_target(&mut self, hub_url: &str) {
        self.flags.extend([
            "--error-target".to_owned(),
            format!("{}/error", hub_url.trim_end_matches('/')),
        ]);
    }

    fn argv(&self) -> Vec<String> {
        let mut argv = self.command.clone();
        argv.extend(self.public.flags("--ip", "--port", "--socket"));
        argv.extend(self.api.flags("--api-ip", "--api-port", "--api-socket"));
        argv.extend(self.flags.iter().cloned());
        argv
    }

    /// Stops a proxy a previous hub left behind, starts ours and waits until both of its
    /// listeners accept connections. A proxy that exits or stays silent is an error with the
    /// last lines it wrote.
    pub(crate) async fn start(&self) -> anyhow::Result<Running> {
        stale::stop_previous(&self.pid_file, &self.command[0]).await?;
        let argv = self.argv();
        let (output, stdout, stderr) = Output::open(&self.log_file)?;
        tracing::info!(command = ?argv, log = %output.path().display(), "starting the proxy");
        let child = tokio::process::Command::new(&argv[0])
            .args(&argv[1..])
            .env(ganymede_config::CONFIGPROXY_AUTH_TOKEN, &self.token)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            // Its own process group, as JupyterHub's `start_new_session`: a Ctrl-C meant for
            // the hub reaches the hub, which then stops the proxy in order.
            .process_group(0)
            .spawn()
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => anyhow::anyhow!(
                    "cannot find the proxy's program {:?} (proxy.command); leave proxy.command \
                     empty to run `ganymede proxy`, or install configurable-http-proxy",
                    argv[0]
                ),
                _ => anyhow::Error::new(error)
                    .context(format!("cannot start the proxy {:?}", argv[0])),
            })?;
        let running = Running {
            child: Some(child),
            output,
        };
        let pid = running.pid().unwrap_or_default();
        crate::proxy_cmd::write_pid_file(&self.pid_file, pid).with_context(|| {
            format!(
                "cannot write the proxy's pid file {} (proxy.pid_file)",
                self.pid_file.display()
            )
        })?;
        self.wait_up(running).await
    }

    async fn wait_up(&self, mut running: Running) -> anyhow::Result<Running> {
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = running.try_wait() {
                self.remove_pid_file();
                bail!(
                    "the proxy exited ({status}) before it listened; its last lines in {}:\n{}",
                    running.output.path().display(),
                    running.output.tail()
                );
            }
            if self.public.answers().await && self.api.answers().await {
                tracing::debug!(pid = running.pid(), "the proxy is up");
                return Ok(running);
            }
            if tokio::time::Instant::now() >= deadline {
                running.kill().await;
                self.remove_pid_file();
                bail!(
                    "the proxy did not listen within {} s; its last lines in {}:\n{}",
                    START_TIMEOUT.as_secs(),
                    running.output.path().display(),
                    running.output.tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn remove_pid_file(&self) {
        if let Err(error) = std::fs::remove_file(&self.pid_file)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.pid_file.display(), %error, "cannot remove the proxy's pid file");
        }
    }
}

// === impl Running ===

impl Running {
    fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten())
    }

    /// Waits until the proxy exits.
    async fn exited(&mut self) -> Option<ExitStatus> {
        match self.child.as_mut() {
            Some(child) => child.wait().await.ok(),
            None => std::future::pending().await,
        }
    }

    async fn kill(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill().await;
        }
    }

    /// SIGTERM to its process group (a `command` that is a shell wrapper stops too), then
    /// SIGKILL if it is still there after [`STOP_TIMEOUT`].
    async fn stop(mut self) {
        let Some(pid) = self.pid() else { return };
        tracing::info!(pid, "stopping the proxy");
        if let Ok(pid) = i32::try_from(pid) {
            // The group is the proxy's own (`process_group(0)`), led by it.
            if killpg(Pid::from_raw(pid), Signal::SIGTERM).is_err() {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
        }
        if tokio::time::timeout(STOP_TIMEOUT, self.exited())
            .await
            .is_err()
        {
            tracing::warn!(pid, "the proxy ignored SIGTERM; killing it");
            self.kill().await;
        }
    }

    /// Leaves the process running after the hub exits (`hub.cleanup_proxy = false`).
    fn detach(mut self) {
        drop(self.child.take());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

/// Watches the started proxy until the hub stops: a proxy that dies is started again (after
/// `proxy.check_running_interval` when that fails) and given every route back, as JupyterHub's
/// `check_running` and `restore_routes`; at shutdown it is stopped unless `hub.cleanup_proxy`
/// is false.
pub(crate) async fn supervise(
    launch: Launch,
    mut running: Running,
    hub: Arc<Hub>,
    hub_target: String,
    cleanup: bool,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let status = tokio::select! {
            status = running.exited() => status,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        tracing::error!(status = ?status, tail = %running.output.tail(), "the proxy stopped; starting it again");
        launch.remove_pid_file();
        running = match restart(&launch, &mut stop).await {
            Some(running) => running,
            None => return,
        };
        if let Err(error) = hub.ensure_hub_route(&hub_target).await {
            tracing::warn!(%error, "cannot add the hub's route to the restarted proxy; retrying later");
        }
        if let Err(error) = hub.check_proxy_routes().await {
            tracing::warn!(%error, "cannot restore the routes on the restarted proxy; retrying later");
        }
        tracing::info!("the restarted proxy has its routes back");
    }
    if cleanup {
        running.stop().await;
        launch.remove_pid_file();
    } else {
        tracing::info!("leaving the proxy running (hub.cleanup_proxy = false)");
        running.detach();
    }
}

/// Starts the proxy again until it works or the hub stops.
async fn restart(launch: &Launch, stop: &mut watch::Receiver<bool>) -> Option<Running> {
    loop {
        match launch.start().await {
            Ok(running) => return Some(running),
            Err(error) => tracing::error!(
                error = %format!("{error:#}"),
                retry_in_s = launch.retry_after.as_secs(),
                "cannot restart the proxy"
            ),
        }
        tokio::select! {
            () = tokio::time::sleep(launch.retry_after) => {}
            _ = stop.wait_for(|stop| *stop) => return None,
        }
    }
}
