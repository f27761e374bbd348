//! `ganymede proxy`: the proxy as its own process, the way JupyterHub starts configurable-http-proxy.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ganymede_proxy::{Proxy, ProxyArgs, RouteStore};
use tracing_subscriber::EnvFilter;

/// Runs the proxy until SIGTERM or SIGINT.
pub(crate) fn run(args: &ProxyArgs) -> anyhow::Result<()> {
    init_logging(args.log_filter());
    let config = args.to_config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let proxy = Proxy::bind(config, RouteStore::new()).await?;
        let _pid_file = args.pid_file.as_deref().map(PidFile::write).transpose()?;
        proxy.serve(shutdown_signal()).await;
        Ok(())
    })
}

fn init_logging(level: &str) {
    // RUST_LOG, when set, refines --log-level (for example `ganymede_proxy=debug`).
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop the proxy with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::warn!("Terminated"),
        _ = int.recv() => tracing::warn!("Interrupted"),
    }
}

/// `--pid-file`: written at start, removed at exit.
struct PidFile(PathBuf);

impl PidFile {
    fn write(path: &Path) -> anyhow::Result<Self> {
        std::fs::write(path, std::process::id().to_string())
            .with_context(|| format!("cannot write --pid-file {}", path.display()))?;
        tracing::info!("Writing pid {} to {}", std::process::id(), path.display());
        Ok(Self(path.to_owned()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
