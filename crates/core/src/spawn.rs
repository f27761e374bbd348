//! Running single-user servers: the spawn state machine, the queue, progress events, and
//! finding servers again after a restart.
//!
//! The database is the lock: every move of a server is a compare-and-set transition
//! (`expected` state), so two requests, or two hubs on one database, cannot both start or
//! stop the same server. In memory are only the queue, the progress lists, and the spawner.

mod env;
pub(crate) mod lifecycle;
mod profiles;
mod progress;
mod queue;
mod restore;
mod stop;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ganymede_db::ServerId;
use ganymede_spawn::{HttpCheck, PortPicker, Spawner};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use env::{access_scopes, client_id};
pub use lifecycle::{StartOutcome, StopOutcome};
pub use profiles::{
    PROFILE_KEY, ProfileError, ProfileOverrides, SpawnProfile, chosen_profile, default_profile,
    options_from_form,
};
pub use progress::{ProgressEvents, is_terminal};
pub use restore::ServerCheck;

use crate::hub::Hub;
use progress::ProgressBoard;
use queue::{QueueLimits, SpawnQueue};

/// `[spawner]` and the hub's spawn limits, with JupyterHub's names and defaults.
#[derive(Debug, Clone)]
pub struct SpawnSettings {
    /// `cmd`: the program and its first arguments.
    pub cmd: Vec<String>,
    /// `args`: extra arguments after `cmd`.
    pub args: Vec<String>,
    /// Extra variables; `{username}` is expanded.
    pub environment: BTreeMap<String, String>,
    /// `notebook_dir` (`JUPYTERHUB_ROOT_DIR`).
    pub notebook_dir: Option<String>,
    /// `default_url` (`JUPYTERHUB_DEFAULT_URL`).
    pub default_url: Option<String>,
    /// The IP servers listen on.
    pub ip: String,
    /// How long `start` may take.
    pub start_timeout: Duration,
    /// How long a started server may take to answer HTTP.
    pub http_timeout: Duration,
    /// Most servers starting at once (0: no limit).
    pub concurrent_spawn_limit: u32,
    /// Most servers active at once (0: no limit).
    pub active_server_limit: u32,
    /// Most requests waiting in the queue (0: no limit).
    pub spawn_queue_limit: u32,
    /// Most named servers per user (0: no limit).
    pub named_server_limit_per_user: u32,
    /// The hub's API as servers reach it (`JUPYTERHUB_API_URL`).
    pub hub_api_url: String,
    /// Where each server's output is written.
    pub log_dir: PathBuf,
    /// `JUPYTERHUB_DEBUG`.
    pub debug: bool,
    /// Scopes a server's OAuth client may ask for besides access to the server.
    pub oauth_client_allowed_scopes: Vec<String>,
    /// `options_form`: the HTML snippet the spawn page shows before a start.
    pub options_form: Option<String>,
    /// `profiles`: the environments the spawn page offers; `user_options.profile` picks one.
    pub profiles: Vec<SpawnProfile>,
    /// How long `POST .../server` waits before answering 202.
    pub slow_spawn_timeout: Duration,
    /// How long `DELETE .../server` waits before answering 202.
    pub slow_stop_timeout: Duration,
}

impl Default for SpawnSettings {
    fn default() -> Self {
        Self {
            cmd: vec!["jupyterhub-singleuser".to_owned()],
            args: Vec::new(),
            environment: BTreeMap::new(),
            notebook_dir: None,
            default_url: None,
            ip: "127.0.0.1".to_owned(),
            start_timeout: Duration::from_secs(60),
            http_timeout: Duration::from_secs(30),
            concurrent_spawn_limit: 100,
            active_server_limit: 0,
            spawn_queue_limit: 0,
            named_server_limit_per_user: 0,
            hub_api_url: "http://127.0.0.1:8081/hub/api".to_owned(),
            log_dir: PathBuf::from("server-logs"),
            debug: false,
            oauth_client_allowed_scopes: Vec::new(),
            options_form: None,
            profiles: Vec::new(),
            slow_spawn_timeout: Duration::from_secs(10),
            slow_stop_timeout: Duration::from_secs(10),
        }
    }
}

/// What the hub holds to run servers.
#[derive(Debug)]
pub(crate) struct Spawning {
    pub(crate) spawner: Arc<dyn Spawner>,
    pub(crate) settings: SpawnSettings,
    pub(crate) queue: SpawnQueue,
    pub(crate) progress: ProgressBoard,
    pub(crate) http: HttpCheck,
    pub(crate) ports: PortPicker,
    /// The spawns in flight, so that a stop request can interrupt one.
    pub(crate) in_flight: InFlight,
}

/// A spawn in flight: how to interrupt it, and how to know when it has finished.
#[derive(Debug, Clone)]
pub(crate) struct SpawnHandle {
    pub(crate) cancel: CancellationToken,
    /// Closed (its sender dropped) when the spawn task has finished, cleanup included.
    pub(crate) done: watch::Receiver<()>,
}

/// The spawns in flight by server.
#[derive(Debug, Default)]
pub(crate) struct InFlight(Mutex<HashMap<ServerId, SpawnHandle>>);

impl InFlight {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<ServerId, SpawnHandle>> {
        // Inserts and removes cannot panic halfway.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a spawn of `server`; the task holds the returned sender until it ends.
    pub(crate) fn register(&self, server: ServerId) -> (CancellationToken, watch::Sender<()>) {
        let cancel = CancellationToken::new();
        let (done_tx, done) = watch::channel(());
        self.map().insert(
            server,
            SpawnHandle {
                cancel: cancel.clone(),
                done,
            },
        );
        (cancel, done_tx)
    }

    pub(crate) fn get(&self, server: ServerId) -> Option<SpawnHandle> {
        self.map().get(&server).cloned()
    }

    pub(crate) fn finish(&self, server: ServerId) {
        self.map().remove(&server);
    }
}

/// The readiness client could not be built (no TLS roots, say).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for readiness checks: {0}")]
pub struct SpawnSetupError(String);

impl Hub {
    /// The hub, starting servers with `spawner`.
    pub fn with_spawner(
        mut self,
        spawner: Arc<dyn Spawner>,
        settings: SpawnSettings,
    ) -> Result<Self, SpawnSetupError> {
        let http = HttpCheck::new().map_err(|e| SpawnSetupError(e.to_string()))?;
        let limit = |n: u32| n as usize;
        self.spawning = Some(Arc::new(Spawning {
            spawner,
            queue: SpawnQueue::new(QueueLimits {
                concurrent: limit(settings.concurrent_spawn_limit),
                active: limit(settings.active_server_limit),
                waiting: limit(settings.spawn_queue_limit),
            }),
            settings,
            progress: ProgressBoard::default(),
            http,
            ports: PortPicker::default(),
            in_flight: InFlight::default(),
        }));
        Ok(self)
    }

    /// The spawner settings, for the spawn page's options form and profiles; `None` for a hub
    /// built without a spawner.
    pub fn spawn_settings(&self) -> Option<&SpawnSettings> {
        self.spawning.as_ref().map(|s| &s.settings)
    }

    /// How many spawns wait in the queue and how many are starting.
    pub fn spawn_queue_lengths(&self) -> (usize, usize) {
        self.spawning.as_ref().map_or((0, 0), |s| s.queue.lengths())
    }
}
