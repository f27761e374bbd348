//! Stopping a server: a running one (route first, then the process, then its credentials),
//! or one whose start is still in flight; and what the pages read of a spawn's progress.

use std::sync::Arc;

use ganymede_db::{DbError, ServerId, ServerRow, ServerState, Transition, UserRow};
use serde_json::{Value, json};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::spawn::env::client_id;
use crate::spawn::lifecycle::{StopOutcome, log_name, transition};

impl Hub {
    /// Interrupts a queued or starting spawn (JupyterHub cancels the spawn future, then stops)
    /// and waits up to `slow_stop_timeout` for it to clean up.
    pub(crate) async fn interrupt_spawn(
        self: &Arc<Self>,
        user: &UserRow,
        server: ServerRow,
    ) -> Result<StopOutcome, CoreError> {
        let spawning = Arc::clone(self.spawning()?);
        let Some(mut handle) = spawning.in_flight.get(server.id) else {
            // No task here: the spawn has just ended, or a hub that died mid-spawn left it.
            return self.stop_as_recorded(user, server.id).await;
        };
        handle.cancel.cancel();
        let finished = tokio::time::timeout(spawning.settings.slow_stop_timeout, async {
            // `changed` fails once the spawn task has dropped its sender: it has finished.
            while handle.done.changed().await.is_ok() {}
        })
        .await;
        if finished.is_err() {
            return Ok(StopOutcome::Pending);
        }
        // The spawn may have passed its last cancellation point and finished: stop what it
        // started.
        self.stop_as_recorded(user, server.id).await
    }

    /// Stops a server whose spawn task has ended, as the database now records it.
    async fn stop_as_recorded(
        self: &Arc<Self>,
        user: &UserRow,
        server: ServerId,
    ) -> Result<StopOutcome, CoreError> {
        let Some(row) = self.db.get_server_by_id(server).await? else {
            return Ok(StopOutcome::Stopped);
        };
        match row.state {
            ServerState::Running => self.halt_server(user, row).await,
            ServerState::Stopping => Ok(StopOutcome::Pending),
            ServerState::Stopped | ServerState::Failed => Ok(StopOutcome::Stopped),
            ServerState::Queued | ServerState::Starting | ServerState::Waiting => {
                self.finish_stop(user, row, "Server stopped").await;
                Ok(StopOutcome::Stopped)
            }
        }
    }

    pub(super) async fn revoke_server_credentials(&self, user: &UserRow, server: &ServerRow) {
        let client = client_id(&user.name, &server.name);
        if let Err(error) = self.db.delete_client_tokens(user.id, &client).await {
            tracing::warn!(%error, "cannot delete the server's tokens");
        }
        match self.db.delete_oauth_client(&client).await {
            Ok(()) | Err(DbError::OAuthClientNotFound { .. }) => {}
            Err(error) => tracing::warn!(%error, "cannot delete the server's OAuth client"),
        }
    }

    /// Stops a running server, route first, and waits up to `slow_stop_timeout`.
    pub(crate) async fn halt_server(
        self: &Arc<Self>,
        user: &UserRow,
        server: ServerRow,
    ) -> Result<StopOutcome, CoreError> {
        let spawning = Arc::clone(self.spawning()?);
        let stopping = match self
            .db
            .set_server_state(
                server.id,
                &transition(server.state, ServerState::Stopping, "Stop requested"),
            )
            .await
        {
            Ok(row) => row,
            Err(DbError::ServerStateConflict { .. }) => return Ok(StopOutcome::Pending),
            Err(e) => return Err(e.into()),
        };
        let hub = Arc::clone(self);
        let user = user.clone();
        let task =
            tokio::spawn(async move { hub.finish_stop(&user, stopping, "Server stopped").await });
        match tokio::time::timeout(spawning.settings.slow_stop_timeout, task).await {
            Ok(_) => Ok(StopOutcome::Stopped),
            Err(_) => Ok(StopOutcome::Pending),
        }
    }

    /// Deletes the route, stops the process, revokes the credentials, records `stopped`.
    pub(crate) async fn finish_stop(&self, user: &UserRow, server: ServerRow, why: &str) {
        let Ok(spawning) = self.spawning().map(Arc::clone) else {
            return;
        };
        let name = log_name(&user.name, &server.name);
        if let Some(proxy) = self.proxy.as_deref()
            && let Err(error) = proxy.delete_route(&server.base_url).await
        {
            tracing::warn!(server = %name, %error, "cannot delete the server's route");
        }
        if server
            .spawner_state
            .as_object()
            .is_some_and(|s| !s.is_empty())
            && let Err(error) = spawning.spawner.stop(&server.spawner_state).await
        {
            tracing::warn!(server = %name, %error, "cannot stop the server's process");
        }
        self.revoke_server_credentials(user, &server).await;
        let stopped = Transition {
            expected: None,
            to: ServerState::Stopped,
            message: why.to_owned(),
        };
        match self.db.set_server_state(server.id, &stopped).await {
            Ok(_) => tracing::info!(server = %name, "{why}"),
            Err(error) => tracing::error!(server = %name, %error, "cannot record the stop"),
        }
        if let Err(error) = self.db.set_spawner_state(server.id, &json!({}), 1).await {
            tracing::warn!(server = %name, %error, "cannot clear the spawner state");
        }
        spawning.queue.stopped();
        spawning.progress.forget(server.id);
    }

    /// Follows a server's spawn progress: the events so far and those to come.
    pub(crate) fn progress_events(&self, server: ServerId) -> Option<crate::spawn::ProgressEvents> {
        self.spawning.as_ref()?.progress.watch(server)
    }

    /// The last progress event of a server, such as why its last start failed.
    pub fn last_progress(&self, server: ServerId) -> Option<Value> {
        self.spawning.as_ref()?.progress.last(server)
    }

    /// Why the server's last start failed, if it did (for the spawn page).
    pub async fn server_failure(&self, user: &str, server: &str) -> Option<String> {
        let user = self.db.get_user(user).await.ok()??;
        let row = self.db.get_server(user.id, server).await.ok()??;
        if row.state != ServerState::Failed {
            return None;
        }
        let message = self.last_progress(row.id).and_then(|event| {
            event
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        Some(message.unwrap_or_else(|| "The last start of this server failed.".to_owned()))
    }

    /// Where a server is in the queue: `(position, length)`.
    pub fn queue_position(&self, server: ServerId) -> Option<(usize, usize)> {
        self.spawning.as_ref()?.queue.position(server)
    }
}
