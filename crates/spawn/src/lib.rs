//! Starting, watching and stopping single-user servers.
//!
//! [`Spawner`] is what the hub asks: start a server from a [`SpawnRequest`], `poll` it, `stop`
//! it. Everything a spawner needs to find its server again lives in the [`SpawnerState`] it
//! returns, which the hub stores in the database: a hub that restarts re-attaches to running
//! servers from that state alone.
//!
//! [`LocalProcess`] runs the server as the user's Unix account on this machine. It is the one
//! place in Ganymede that runs a program for a user (uid, groups, environment, process group).

mod error;
mod http_check;
mod local;
mod log_tail;
mod ports;
mod proc_stat;
mod unix_user;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use error::SpawnError;
pub use http_check::{HttpCheck, Probe, wait_for_http};
pub use local::{LocalProcess, LocalProcessOptions};
pub use log_tail::tail_lines;
pub use ports::PortPicker;
pub use unix_user::{UnixUser, free_port};

/// What a spawner keeps about a running server, stored by the hub as JSON.
///
/// Versioned: a hub reading a state written by a newer spawner refuses to guess.
pub type SpawnerState = serde_json::Value;

/// Everything needed to start one server.
#[derive(Debug, Clone)]
pub struct SpawnRequest {
    /// The Unix account the server runs as (the hub user's own when the hub is not root).
    pub unix_user: String,
    /// The full argv: `cmd` then `args`.
    pub argv: Vec<String>,
    /// The environment the hub computed (`JUPYTERHUB_*` and the configured `environment`);
    /// the spawner adds `env_keep` and the account's `USER`, `HOME` and `SHELL` under it.
    pub env: BTreeMap<String, String>,
    /// The IP the server listens on.
    pub ip: String,
    /// The port the server listens on, chosen by the hub before the start.
    pub port: u16,
    /// Where the server's output goes; the hub shows its last lines when a start fails.
    pub log_path: PathBuf,
    /// The server's `user_options` (from the spawn page's form or the API), offered to spawners
    /// that act on them; the hub has already applied the chosen profile to `argv` and `env`.
    pub user_options: serde_json::Value,
}

/// A server that was started.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    /// Where the proxy reaches it: `http://ip:port`.
    pub target: String,
    /// What [`Spawner::poll`] and [`Spawner::stop`] need later.
    pub state: SpawnerState,
}

/// What [`Spawner::poll`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollStatus {
    /// The server's process is alive.
    Running,
    /// It is gone; the exit code when this process saw it end.
    Exited(Option<i32>),
}

/// A way to run single-user servers.
#[async_trait::async_trait]
pub trait Spawner: Send + Sync + std::fmt::Debug {
    /// The spawner's name in logs and state (`local-process`).
    fn kind(&self) -> &'static str;

    /// Starts a server; returns once the process exists (not once it answers HTTP).
    async fn start(&self, request: &SpawnRequest) -> Result<Started, SpawnError>;

    /// Whether the server of `state` still runs.
    async fn poll(&self, state: &SpawnerState) -> Result<PollStatus, SpawnError>;

    /// Stops the server of `state` and waits until it is gone.
    async fn stop(&self, state: &SpawnerState) -> Result<(), SpawnError>;
}
