//! `ganymede proxy`: the proxy as its own process, the way JupyterHub starts configurable-http-proxy.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ganymede_proxy::{Proxy, ProxyArgs, RouteStore};

/// Runs the proxy until SIGTERM or SIGINT.
pub(crate) fn run(args: &ProxyArgs) -> anyhow::Result<()> {
    crate::logging::init(args.log_filter());
    let config = args.to_config()?;
    // The main loop is single-threaded: on a request the client's and the target's connections
    // are then served by the same thread with no cross-thread wake-ups, which measured about a
    // tenth less CPU per proxied request than tokio's work-stealing scheduler
    // (bench/RESULTS.md). The other loops of `--threads` are of the same kind (`event_loops`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let proxy = Proxy::bind(config, RouteStore::new()).await?;
        let _pid_file = args.pid_file.as_deref().map(PidFile::write).transpose()?;
        proxy.serve(crate::logging::shutdown_signal()).await;
        Ok(())
    })
}

/// `--pid-file`: written at start, removed at exit.
struct PidFile(PathBuf);

impl PidFile {
    fn write(path: &Path) -> anyhow::Result<Self> {
        write_pid_file(path, std::process::id())
            .with_context(|| format!("cannot write --pid-file {}", path.display()))?;
        tracing::info!("Writing pid {} to {}", std::process::id(), path.display());
        Ok(Self(path.to_owned()))
    }
}

/// Writes `pid` to `path` whole or not at all: a reader that sees the file (JupyterHub, the next
/// hub) never reads it empty or half written.
pub(crate) fn write_pid_file(path: &Path, pid: u32) -> std::io::Result<()> {
    let mut staging = path.as_os_str().to_owned();
    staging.push(format!(".{}.tmp", std::process::id()));
    let staging = PathBuf::from(staging);
    std::fs::write(&staging, pid.to_string())?;
    std::fs::rename(&staging, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&staging);
    })
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
