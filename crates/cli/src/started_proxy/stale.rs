//! A proxy left behind by a previous hub (JupyterHub's `_check_previous_process`): the pid in
//! the pid file is stopped with SIGTERM, SIGTERM again and SIGKILL, a second apart, before a
//! new proxy takes its ports.
//!
//! JupyterHub on Linux signals whatever process has that pid. Here the process must also look
//! like the proxy (its command line mentions the proxy's program, as JupyterHub checks on
//! Windows), so a pid reused by an unrelated process after a reboot is never killed.

use std::path::Path;
use std::time::Duration;

use anyhow::bail;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How long each signal is given to work.
const GRACE: Duration = Duration::from_secs(1);

/// Stops the proxy the pid file names, if it still runs, and removes the file.
pub(super) async fn stop_previous(pid_file: &Path, program: &str) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(pid_file) else {
        return Ok(());
    };
    tracing::warn!(path = %pid_file.display(), "found a proxy pid file");
    let Ok(pid) = text.trim().parse::<i32>() else {
        tracing::warn!(path = %pid_file.display(), "the proxy pid file does not hold a pid");
        remove(pid_file);
        return Ok(());
    };
    if pid <= 0 || !is_proxy(pid, program) {
        tracing::warn!(pid, "the proxy is no longer running");
        remove(pid_file);
        return Ok(());
    }
    tracing::warn!(pid, "the previous proxy is still running; stopping it");
    for signal in [Signal::SIGTERM, Signal::SIGTERM, Signal::SIGKILL] {
        if kill(Pid::from_raw(pid), signal).is_err() || gone_within(pid, GRACE).await {
            tracing::warn!(pid, "stopped the previous proxy");
            remove(pid_file);
            return Ok(());
        }
    }
    bail!(
        "cannot stop the previous proxy at pid {pid} (named in {})",
        pid_file.display()
    )
}

/// Whether `pid` is alive and its command line mentions `program`'s file name.
fn is_proxy(pid: i32, program: &str) -> bool {
    if kill(Pid::from_raw(pid), None).is_err() {
        return false;
    }
    let name = Path::new(program)
        .file_name()
        .map_or_else(|| program.to_owned(), |n| n.to_string_lossy().into_owned());
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => cmdline
            .split(|byte| *byte == 0)
            .any(|arg| String::from_utf8_lossy(arg).contains(&name)),
        // Without /proc, trust the pid alone, as JupyterHub does.
        Err(_) => true,
    }
}

/// Whether `pid` is gone (or a zombie) before `within` passes.
async fn gone_within(pid: i32, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if !alive(pid) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Alive and not a zombie: a zombie left by a parent that never reaped it holds no ports.
fn alive(pid: i32) -> bool {
    if kill(Pid::from_raw(pid), None).is_err() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_none_or(|(_, rest)| !rest.starts_with('Z')),
        // Without /proc, the signal's answer is all there is.
        Err(_) => true,
    }
}

fn remove(pid_file: &Path) {
    if let Err(error) = std::fs::remove_file(pid_file)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %pid_file.display(), %error, "cannot remove the proxy's pid file");
    }
}
