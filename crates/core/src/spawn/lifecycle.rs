//! One server's start and stop, as JupyterHub's `spawn_single_user` and `stop_single_user`:
//! `stopped → queued → starting → waiting → running → stopping → stopped`, or `failed`.

use std::sync::Arc;
use std::time::Duration;

use ganymede_db::{
    DbError, NewOAuthClient, NewToken, ServerRow, ServerState, TokenOwner, Transition, UserRow,
};
use ganymede_spawn::{PollStatus, SpawnRequest, SpawnerState, tail_lines};
use serde_json::{Map, json};
use tokio_util::sync::CancellationToken;

use crate::error::CoreError;
use crate::hub::Hub;
use crate::model::Urls;
use crate::py::url_escape_path;
use crate::spawn::env::{EnvInput, client_id, server_env};
use crate::spawn::queue::Turn;
use crate::spawn::{Spawning, chosen_profile};
use crate::tokens::new_token;

/// How many lines of the server's output a failure message shows.
const LOG_TAIL_LINES: usize = 20;

/// How `POST` on a server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOutcome {
    /// Ready within `slow_spawn_timeout` (201).
    Ready,
    /// Still starting (202); follow the progress stream.
    Pending,
}

/// How `DELETE` on a server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// Stopped, or was not running (204).
    Stopped,
    /// Still stopping (202).
    Pending,
}

/// `alice` or `alice:gpu`, as JupyterHub's `_log_name`.
pub(crate) fn log_name(user: &str, server: &str) -> String {
    if server.is_empty() {
        user.to_owned()
    } else {
        format!("{user}:{server}")
    }
}

pub(super) fn transition(
    expected: ServerState,
    to: ServerState,
    message: impl Into<String>,
) -> Transition {
    Transition {
        expected: Some(expected),
        to,
        message: message.into(),
    }
}

/// The scopes of a server's own API token: JupyterHub's `server` role for this server.
fn server_token_scopes(user: &str, server: &str) -> Vec<String> {
    vec![
        format!("access:servers!server={user}/{server}"),
        format!("read:users:activity!user={user}"),
        format!("read:users:groups!user={user}"),
        format!("read:users:name!user={user}"),
        format!("users:activity!user={user}"),
    ]
}

/// Why a spawn did not end with a running server.
#[derive(Debug)]
enum SpawnError {
    /// It failed; the message says why and what to check.
    Failed(String),
    /// A stop request interrupted it.
    Cancelled,
}

impl From<String> for SpawnError {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

/// What a stop request that interrupts a pending spawn shows.
const CANCELLED: &str = "Spawn cancelled: the server was stopped while it was starting";

/// A spawn that got as far as `started` has these to undo.
#[derive(Debug, Default)]
struct Undo {
    spawner_state: Option<SpawnerState>,
    routespec: Option<String>,
}

impl Hub {
    pub(crate) fn spawning(&self) -> Result<&Arc<Spawning>, CoreError> {
        self.spawning
            .as_ref()
            .ok_or_else(|| CoreError::NotImplemented(crate::servers::NO_SPAWNER.to_owned()))
    }

    pub(crate) fn urls(&self) -> Urls<'_> {
        Urls {
            base_url: &self.settings().base_url,
        }
    }

    /// Queues a start of `server` (already checked and recorded) and waits up to
    /// `slow_spawn_timeout` for it.
    pub(crate) async fn launch_server(
        self: &Arc<Self>,
        user: &UserRow,
        server: ServerRow,
        wait: Option<Duration>,
    ) -> Result<StartOutcome, CoreError> {
        let spawning = Arc::clone(self.spawning()?);
        let name = log_name(&user.name, &server.name);
        let queued = match self
            .db
            .set_server_state(
                server.id,
                &transition(server.state, ServerState::Queued, "Server requested"),
            )
            .await
        {
            Ok(row) => row,
            // Another request moved it first: it is starting or stopping now.
            Err(DbError::ServerStateConflict { .. }) => return Ok(StartOutcome::Pending),
            Err(e) => return Err(e.into()),
        };
        spawning.progress.begin(queued.id);
        let turn = match spawning.queue.enter(queued.id) {
            Ok(turn) => turn,
            Err(full) => {
                self.db
                    .set_server_state(
                        queued.id,
                        &transition(
                            ServerState::Queued,
                            ServerState::Stopped,
                            "the spawn queue is full",
                        ),
                    )
                    .await?;
                spawning.progress.forget(queued.id);
                return Err(CoreError::TooMany(format!(
                    "Too many users trying to start servers right now: {} are waiting. Try again in a minute.",
                    full.waiting
                )));
            }
        };
        tracing::info!(server = %name, "server requested");
        let hub = Arc::clone(self);
        let user = user.clone();
        let id = queued.id;
        let (cancel, done) = spawning.in_flight.register(id);
        let in_flight = Arc::clone(&spawning);
        let task = tokio::spawn(async move {
            let result = hub.run_spawn(&user, queued, turn, cancel).await;
            in_flight.in_flight.finish(id);
            // Dropping the sender tells a waiting stop request that the spawn has ended.
            drop(done);
            result
        });
        let wait = wait.unwrap_or(spawning.settings.slow_spawn_timeout);
        match tokio::time::timeout(wait, task).await {
            Ok(Ok(Ok(()))) => Ok(StartOutcome::Ready),
            Ok(Ok(Err(message))) => Err(CoreError::SpawnFailed(message)),
            Ok(Err(join)) => Err(CoreError::Internal(format!(
                "the spawn task failed: {join}"
            ))),
            Err(_) => Ok(StartOutcome::Pending),
        }
    }

    /// The whole spawn, in the background: wait for a turn, start, wait for HTTP, route.
    async fn run_spawn(
        self: Arc<Self>,
        user: &UserRow,
        server: ServerRow,
        turn: Turn,
        cancel: CancellationToken,
    ) -> Result<(), String> {
        let spawning = Arc::clone(self.spawning().map_err(|e| e.to_string())?);
        let id = server.id;
        if let Turn::Wait(mut admitted) = turn {
            let mut shown = None;
            loop {
                if let Some(position) = spawning.queue.position(id)
                    && shown != Some(position)
                {
                    shown = Some(position);
                    spawning.progress.say(
                        id,
                        0,
                        format!(
                            "Waiting for a free slot: position {} of {} in the spawn queue",
                            position.0, position.1
                        ),
                    );
                }
                tokio::select! {
                    _ = &mut admitted => break,
                    () = cancel.cancelled() => {
                        return self.cancelled_spawn(&spawning, user, &server, Undo::default()).await;
                    }
                    () = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
            }
        }
        let mut undo = Undo::default();
        let result = self
            .start_and_wait(&spawning, user, &server, &mut undo, &cancel)
            .await;
        let name = log_name(&user.name, &server.name);
        match result {
            Ok(url) => {
                spawning.queue.started(true);
                let message = format!("Server ready at {url}");
                let html = format!(
                    "Server ready at <a href=\"{}\">{}</a>",
                    crate::model::html_escape(&url),
                    crate::model::html_escape(&url)
                );
                spawning.progress.push(
                    id,
                    json!({"progress": 100, "ready": true, "message": message, "html_message": html, "url": url}),
                );
                tracing::info!(server = %name, %url, "server ready");
                Ok(())
            }
            Err(SpawnError::Cancelled) => {
                self.cancelled_spawn(&spawning, user, &server, undo).await
            }
            Err(SpawnError::Failed(why)) => {
                let message = format!("Spawn failed: {why}");
                tracing::warn!(server = %name, "{message}");
                self.undo_spawn(&spawning, user, &server, undo).await;
                let failed = Transition {
                    expected: None,
                    to: ServerState::Failed,
                    message: message.clone(),
                };
                if let Err(error) = self.db.set_server_state(id, &failed).await {
                    tracing::error!(server = %name, %error, "cannot record the failed spawn");
                }
                spawning.queue.started(false);
                spawning.progress.push(
                    id,
                    json!({"progress": 100, "failed": true, "message": message}),
                );
                Err(message)
            }
        }
    }

    async fn start_and_wait(
        &self,
        spawning: &Spawning,
        user: &UserRow,
        server: &ServerRow,
        undo: &mut Undo,
        cancel: &CancellationToken,
    ) -> Result<String, SpawnError> {
        // The profile was checked when the start was asked for; checking again here catches a
        // config that changed between a queued start and its turn.
        let profile = chosen_profile(&spawning.settings.profiles, &server.user_options)
            .map_err(|e| e.to_string())?;
        let settings = &spawning.settings.with_profile(profile);
        let id = server.id;
        let db_error = |e: DbError| format!("database error: {e}");
        if cancel.is_cancelled() {
            return Err(SpawnError::Cancelled);
        }
        self.db
            .set_server_state(
                id,
                &transition(
                    ServerState::Queued,
                    ServerState::Starting,
                    "Spawning server",
                ),
            )
            .await
            .map_err(db_error)?;
        spawning.progress.say(id, 20, "Spawning server...");
        let prefix = self.urls().server_url(&user.name, &server.name);
        let api_token = self
            .issue_server_credentials(settings, user, server, &prefix)
            .await
            .map_err(db_error)?;
        let port = spawning
            .ports
            .pick(&settings.ip)
            .map_err(|e| e.to_string())?;
        let env = server_env(
            EnvInput {
                user: &user.name,
                server: &server.name,
                api_token: &api_token,
                port,
                base_url: &self.settings().base_url,
            },
            settings,
        );
        let log_path = server_log_path(settings, &user.name, &server.name);
        let request = SpawnRequest {
            unix_user: user.name.clone(),
            argv: settings.cmd.iter().chain(&settings.args).cloned().collect(),
            env,
            ip: settings.ip.clone(),
            port,
            log_path: log_path.clone(),
            user_options: server.user_options.clone(),
        };
        let started =
            tokio::time::timeout(settings.start_timeout, spawning.spawner.start(&request))
                .await
                .map_err(|_| {
                    format!(
                        "the spawner did not start the server within {} s (spawner.start_timeout)",
                        settings.start_timeout.as_secs()
                    )
                })?
                .map_err(|e| e.to_string())?;
        undo.spawner_state = Some(started.state.clone());
        if cancel.is_cancelled() {
            return Err(SpawnError::Cancelled);
        }
        self.db
            .set_spawner_state(id, &started.state, 1)
            .await
            .map_err(db_error)?;
        self.db
            .set_server_endpoint(
                id,
                Some(&format!("{}{prefix}", started.target)),
                Some(&started.target),
                Some(port),
            )
            .await
            .map_err(db_error)?;
        self.db
            .set_server_state(
                id,
                &transition(
                    ServerState::Starting,
                    ServerState::Waiting,
                    "Waiting for the server to answer",
                ),
            )
            .await
            .map_err(db_error)?;
        spawning.progress.say(
            id,
            50,
            format!("Server started; waiting for it to answer at {prefix}"),
        );
        let probe = format!("{}{prefix}api", started.target);
        let spawner = Arc::clone(&spawning.spawner);
        let state = started.state.clone();
        let waited =
            ganymede_spawn::wait_for_http(&spawning.http, &probe, settings.http_timeout, || {
                let spawner = Arc::clone(&spawner);
                let state = state.clone();
                async move { matches!(spawner.poll(&state).await, Ok(PollStatus::Running)) }
            });
        tokio::select! {
            waited = waited => {
                if let Err(why) = waited {
                    return Err(SpawnError::Failed(with_log_tail(&why, &log_path)));
                }
            }
            () = cancel.cancelled() => return Err(SpawnError::Cancelled),
        }
        self.add_server_route(user, server, &prefix, &started.target)
            .await
            .map_err(|e| format!("cannot add the server's route to the proxy: {e}"))?;
        undo.routespec = Some(prefix.clone());
        self.db
            .set_server_state(
                id,
                &transition(ServerState::Waiting, ServerState::Running, "Server ready"),
            )
            .await
            .map_err(db_error)?;
        Ok(prefix)
    }

    /// A fresh API token for the server and its OAuth client (JupyterHub's `Spawner.api_token`
    /// and `oauth_client`); older tokens of the client (browser logins too) are revoked.
    async fn issue_server_credentials(
        &self,
        settings: &crate::spawn::SpawnSettings,
        user: &UserRow,
        server: &ServerRow,
        prefix: &str,
    ) -> Result<String, DbError> {
        let client = client_id(&user.name, &server.name);
        let token = new_token();
        self.db.delete_client_tokens(user.id, &client).await?;
        let mut allowed: Vec<String> = settings.oauth_client_allowed_scopes.clone();
        allowed.push(format!(
            "access:servers!server={}/{}",
            user.name, server.name
        ));
        allowed.sort();
        allowed.dedup();
        self.db
            .upsert_oauth_client(&NewOAuthClient {
                identifier: client.clone(),
                description: format!("Server at {prefix}"),
                secret: token.clone(),
                redirect_uri: format!("{prefix}oauth_callback"),
                allowed_scopes: allowed,
                user_id: Some(user.id),
                server_id: Some(server.id),
                service_id: None,
            })
            .await?;
        self.db
            .insert_token(&NewToken {
                token: token.clone(),
                owner: TokenOwner::User(user.id),
                session_id: None,
                oauth_client_id: Some(client),
                scopes: server_token_scopes(&user.name, &server.name),
                note: format!("Server at {prefix}"),
                expires_at: None,
            })
            .await?;
        Ok(token)
    }

    /// Ends a spawn a stop request interrupted: undoes what it did, gives back its place in
    /// the queue, and records `stopped`.
    async fn cancelled_spawn(
        &self,
        spawning: &Spawning,
        user: &UserRow,
        server: &ServerRow,
        undo: Undo,
    ) -> Result<(), String> {
        let name = log_name(&user.name, &server.name);
        tracing::warn!(server = %name, "interrupting the pending spawn: a stop was requested");
        self.undo_spawn(spawning, user, server, undo).await;
        spawning.queue.leave(server.id);
        let stopped = Transition {
            expected: None,
            to: ServerState::Stopped,
            message: CANCELLED.to_owned(),
        };
        if let Err(error) = self.db.set_server_state(server.id, &stopped).await {
            tracing::error!(server = %name, %error, "cannot record the interrupted spawn");
        }
        if let Err(error) = self.db.set_spawner_state(server.id, &json!({}), 1).await {
            tracing::warn!(server = %name, %error, "cannot clear the spawner state");
        }
        spawning.progress.push(
            server.id,
            json!({"progress": 100, "failed": true, "message": CANCELLED}),
        );
        Err(CANCELLED.to_owned())
    }

    pub(crate) async fn add_server_route(
        &self,
        user: &UserRow,
        server: &ServerRow,
        routespec: &str,
        target: &str,
    ) -> Result<(), CoreError> {
        let Some(proxy) = self.proxy.as_deref() else {
            return Ok(());
        };
        let mut data = Map::new();
        data.insert("user".to_owned(), json!(user.name));
        data.insert("server_name".to_owned(), json!(server.name));
        proxy
            .add_route(routespec, target, data)
            .await
            .map_err(|e| CoreError::Proxy(e.to_string()))
    }

    async fn undo_spawn(
        &self,
        spawning: &Spawning,
        user: &UserRow,
        server: &ServerRow,
        undo: Undo,
    ) {
        if let (Some(routespec), Some(proxy)) = (&undo.routespec, self.proxy.as_deref())
            && let Err(error) = proxy.delete_route(routespec).await
        {
            tracing::warn!(%error, "cannot delete the route of a failed server");
        }
        if let Some(state) = &undo.spawner_state
            && let Err(error) = spawning.spawner.stop(state).await
        {
            tracing::warn!(%error, "cannot stop a server that failed to start");
        }
        self.revoke_server_credentials(user, server).await;
    }
}

fn server_log_path(
    settings: &crate::spawn::SpawnSettings,
    user: &str,
    server: &str,
) -> std::path::PathBuf {
    let file = if server.is_empty() {
        format!("{}.log", url_escape_path(user))
    } else {
        format!("{}.{}.log", url_escape_path(user), url_escape_path(server))
    };
    settings.log_dir.join(file)
}

fn with_log_tail(why: &str, log_path: &std::path::Path) -> String {
    let tail = tail_lines(log_path, LOG_TAIL_LINES);
    if tail.is_empty() {
        format!(
            "{why}. The server wrote nothing (log: {}).",
            log_path.display()
        )
    } else {
        format!(
            "{why}. Check the server's command and environment; its last output ({}):\n{}",
            log_path.display(),
            tail.join("\n")
        )
    }
}
