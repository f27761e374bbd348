//! Logging setup and the shutdown signal, shared by every long-running subcommand.

use tracing_subscriber::EnvFilter;

/// Logs to stderr at `level`; `RUST_LOG`, when set, refines it.
pub(crate) fn init(level: &str) {
    let level = match level.to_ascii_lowercase().as_str() {
        "debug" | "silly" | "trace" => "debug",
        "warn" | "warning" => "warn",
        "error" => "error",
        _ => "info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Resolves at the first SIGTERM or SIGINT.
pub(crate) async fn shutdown_signal() {
    install_shutdown_signal().await;
}

/// Installs the SIGTERM and SIGINT handlers now (in a runtime) and returns what resolves at the
/// first of them. The hub installs them before it starts anything, so a signal that arrives
/// while it starts (a proxy, say) stops it in order instead of killing it outright.
pub(crate) fn install_shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let handlers = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            tracing::error!("cannot install signal handlers; stop with SIGKILL");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => tracing::warn!("Terminated"),
            _ = int.recv() => tracing::warn!("Interrupted"),
        }
    }
}
