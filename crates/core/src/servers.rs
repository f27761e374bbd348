//! Starting and stopping servers (`/users/{name}/server`, `/users/{name}/servers/{server}`):
//! JupyterHub's checks, in its order, then the spawn lifecycle (`spawn/lifecycle.rs`).

use std::sync::Arc;

use ganymede_db::{Pagination, ServerRow, ServerSpec, ServerState, UserRow};
use ganymede_types::scope::{BuiltinScope, Resource, ScopeName};
use ganymede_types::{FullServerName, ServerName, UserName};
use serde_json::{Value, json};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;
use crate::py::repr_str;
use crate::spawn::lifecycle::log_name;
use crate::spawn::{StartOutcome, StopOutcome};
use crate::users::{not_found, user_resource};
use crate::users_edit::{json_body, truthy};

/// What starting a server answers when the hub has no spawner (the API tests' hub).
///
/// 501 rather than 503: a 503 promises the condition is temporary, and retrying clients
/// (urllib3 honours 503 with `Retry-After`, JupyterLab offers "Restart") would loop; 501 says
/// plainly that this hub cannot spawn, and JupyterHub clients treat any 5xx from a start as a
/// failed spawn and show the message.
pub const NO_SPAWNER: &str = "No spawner is configured: this hub cannot start servers";

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::BadRequest(message.into())
}

/// What the progress stream of a server sends.
#[derive(Debug)]
pub enum Progress {
    /// The events of the spawn in flight (or just finished), as they come.
    Events(crate::spawn::ProgressEvents),
    /// One event and the end: the server is ready, or its last start failed.
    Once(Value),
}

/// The body of a start request: `display_name` and `user_options` (JupyterHub 6's
/// `get_server_json_body`: a body with neither key is the options themselves).
#[derive(Debug, Default)]
pub(crate) struct ServerRequest {
    pub(crate) display_name: Option<String>,
    pub(crate) user_options: Option<Value>,
}

impl Hub {
    /// Checks `scope` on the server (a `!server=`, `!user=` or `!group=` filter may grant it)
    /// and returns the user.
    pub(crate) async fn server_user(
        &self,
        identity: &Identity,
        name: &str,
        server: &str,
        scope: BuiltinScope,
    ) -> Result<(UserName, UserRow), CoreError> {
        let (user, _) = user_resource(name)?;
        let server_name = ServerName::new(server).map_err(|_| not_found())?;
        let resource = Resource::Server(FullServerName::new(user.clone(), server_name));
        let identity = self.with_groups(identity, &user).await?;
        identity.check(&[ScopeName::from(scope)], Some(&resource))?;
        let row = self.existing_user(&user).await?;
        Ok((user, row))
    }

    pub(crate) async fn named_server(
        &self,
        user: &UserRow,
        server: &str,
    ) -> Result<Option<ServerRow>, CoreError> {
        Ok(self.db.get_server(user.id, server).await?)
    }

    /// JupyterHub's `_check_named_server_request`: named servers enabled, a valid new name,
    /// and the per-user limit.
    pub(crate) async fn check_named_server(
        &self,
        user: &UserRow,
        server: &str,
    ) -> Result<(), CoreError> {
        self.check_named_server_limit(user, server, true).await
    }

    /// The same, the limit checked only with `check_limit` (a rename keeps the count).
    pub(crate) async fn check_named_server_limit(
        &self,
        user: &UserRow,
        server: &str,
        check_limit: bool,
    ) -> Result<(), CoreError> {
        if !self.settings().allow_named_servers {
            return Err(bad("Named servers are not enabled."));
        }
        if self.named_server(user, server).await?.is_some() {
            return Ok(());
        }
        let slug = ServerName::new(server).is_ok_and(|s| s.is_safe_slug());
        if !slug {
            return Err(bad(format!("Invalid server_name: {}", repr_str(server))));
        }
        let limit = self
            .spawning
            .as_ref()
            .map_or(0, |s| s.settings.named_server_limit_per_user);
        if check_limit && limit > 0 {
            let servers = self.db.list_servers(user.id, Pagination::new(0, 1)).await?;
            let default = self.named_server(user, "").await?.is_some();
            let named = servers.total.saturating_sub(u64::from(default));
            if named >= u64::from(limit) {
                return Err(bad(format!(
                    "User {} already has the maximum of {limit} named servers.  One must be deleted before a new server can be created",
                    user.name
                )));
            }
        }
        Ok(())
    }

    /// `POST /users/{name}/server` and `/users/{name}/servers/{server}` (start:servers),
    /// waiting up to `slow_spawn_timeout` for the server.
    pub async fn start_server(
        self: &Arc<Self>,
        identity: &Identity,
        name: &str,
        server: &str,
        body: &str,
    ) -> Result<StartOutcome, CoreError> {
        self.start_server_waiting(identity, name, server, body, None)
            .await
    }

    /// The same, waiting at most `wait` (the spawn page shows progress after a second).
    pub async fn start_server_waiting(
        self: &Arc<Self>,
        identity: &Identity,
        name: &str,
        server: &str,
        body: &str,
        wait: Option<std::time::Duration>,
    ) -> Result<StartOutcome, CoreError> {
        let (_, row) = self
            .server_user(identity, name, server, BuiltinScope::StartServers)
            .await?;
        let request = server_request(json_body(body)?.as_ref())?;
        if !server.is_empty() {
            self.check_named_server(&row, server).await?;
        }
        let spawning = Arc::clone(self.spawning()?);
        let log = log_name(&row.name, server);
        let existing = self.named_server(&row, server).await?;
        if let Some(existing) = &existing {
            match existing.state {
                ServerState::Queued | ServerState::Starting | ServerState::Waiting => {
                    return Ok(StartOutcome::Pending);
                }
                ServerState::Stopping => return Err(bad(format!("{log} is pending stop"))),
                ServerState::Running => {
                    if matches!(
                        spawning.spawner.poll(&existing.spawner_state).await,
                        Ok(ganymede_spawn::PollStatus::Running)
                    ) {
                        return Err(bad(format!("{log} is already running")));
                    }
                    self.finish_stop(&row, existing.clone(), "the server's process exited")
                        .await;
                }
                ServerState::Stopped | ServerState::Failed => {}
            }
        }
        let display_name = match (&request.display_name, &existing) {
            (Some(d), _) if !d.is_empty() => d.clone(),
            (_, Some(existing)) => existing.display_name.clone(),
            _ => server.to_owned(),
        };
        let user_options = request
            .user_options
            .or_else(|| existing.as_ref().map(|e| e.user_options.clone()))
            .unwrap_or_else(|| json!({}));
        // An unknown profile is the caller's mistake: answer 400 before anything is recorded.
        crate::spawn::chosen_profile(&spawning.settings.profiles, &user_options)
            .map_err(|e| bad(e.to_string()))?;
        let record = self
            .db
            .upsert_server(
                row.id,
                &ServerSpec {
                    name: server.to_owned(),
                    display_name,
                    base_url: self.urls().server_url(&row.name, server),
                    user_options,
                },
            )
            .await?;
        self.launch_server(&row, record, wait).await
    }

    /// `DELETE /users/{name}/server` and `/users/{name}/servers/{server}` (delete:servers),
    /// with `{"remove": true}` deleting a named server's record.
    pub async fn stop_server(
        self: &Arc<Self>,
        identity: &Identity,
        name: &str,
        server: &str,
        body: &str,
    ) -> Result<StopOutcome, CoreError> {
        let (_, row) = self
            .server_user(identity, name, server, BuiltinScope::DeleteServers)
            .await?;
        let body = json_body(body)?;
        let remove = body
            .as_ref()
            .and_then(|b| b.get("remove"))
            .is_some_and(|r| truthy(Some(r)));
        let record = self.named_server(&row, server).await?;
        if !server.is_empty() {
            if !self.settings().allow_named_servers {
                return Err(bad("Named servers are not enabled."));
            }
            if record.is_none() {
                return Err(CoreError::NotFound(format!(
                    "{name} has no server named '{server}'"
                )));
            }
        } else if remove {
            return Err(bad("Cannot delete the default server"));
        }
        let log = log_name(&row.name, server);
        let mut outcome = StopOutcome::Stopped;
        if let Some(record) = &record {
            match record.state {
                ServerState::Stopped | ServerState::Failed => {}
                ServerState::Stopping => return Ok(StopOutcome::Pending),
                ServerState::Queued | ServerState::Starting | ServerState::Waiting => {
                    tracing::warn!(server = %log, by = identity.name(), "stop requested while the server is starting");
                    outcome = self.interrupt_spawn(&row, record.clone()).await?;
                }
                ServerState::Running => {
                    outcome = self.halt_server(&row, record.clone()).await?;
                }
            }
        }
        if remove
            && outcome == StopOutcome::Stopped
            && let Some(record) = record
        {
            self.db.delete_server(record.id).await?;
            tracing::info!(user = %row.name, server, by = identity.name(), "deleted server");
        }
        Ok(outcome)
    }

    /// `GET /users/{name}/server/progress` and `/users/{name}/servers/{server}/progress`
    /// (read:servers).
    pub async fn server_progress(
        &self,
        identity: &Identity,
        name: &str,
        server: &str,
    ) -> Result<Progress, CoreError> {
        let (user, row) = self
            .server_user(identity, name, server, BuiltinScope::ReadServers)
            .await?;
        let record = self.named_server(&row, server).await?;
        if !server.is_empty() && record.is_none() {
            return Err(not_found());
        }
        let log = log_name(user.as_str(), server);
        let Some(record) = record else {
            return Err(bad(format!("{log} is not starting...")));
        };
        match record.state {
            ServerState::Running => {
                let url = record.base_url.clone();
                let escaped = crate::model::html_escape(&url);
                Ok(Progress::Once(json!({
                    "progress": 100, "ready": true, "message": format!("Server ready at {url}"),
                    "html_message": format!("Server ready at <a href=\"{escaped}\">{escaped}</a>"),
                    "url": url,
                })))
            }
            ServerState::Queued | ServerState::Starting | ServerState::Waiting => self
                .progress_events(record.id)
                .map(Progress::Events)
                .ok_or_else(|| bad(format!("{log} is not starting..."))),
            ServerState::Failed => Ok(Progress::Once(
                self.last_progress(record.id)
                    .filter(crate::spawn::is_terminal)
                    .unwrap_or_else(
                        || json!({"progress": 100, "failed": true, "message": "Spawn failed"}),
                    ),
            )),
            ServerState::Stopped | ServerState::Stopping => {
                Err(bad(format!("{log} is not starting...")))
            }
        }
    }
}

/// JupyterHub's `get_server_json_body`.
pub(crate) fn server_request(body: Option<&Value>) -> Result<ServerRequest, CoreError> {
    check_server_request(body)?;
    let Some(Value::Object(body)) = body.filter(|b| truthy(Some(b))) else {
        return Ok(ServerRequest::default());
    };
    if body.contains_key("display_name") || body.contains_key("user_options") {
        return Ok(ServerRequest {
            display_name: body
                .get("display_name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            user_options: body.get("user_options").filter(|o| o.is_object()).cloned(),
        });
    }
    Ok(ServerRequest {
        display_name: None,
        user_options: Some(Value::Object(body.clone())),
    })
}

/// JupyterHub's `get_server_json_body` checks.
fn check_server_request(body: Option<&Value>) -> Result<(), CoreError> {
    let Some(body) = body.filter(|b| truthy(Some(b))) else {
        return Ok(());
    };
    let Value::Object(body) = body else {
        return Err(bad("Body must be a JSON object"));
    };
    if body.get("display_name").is_some_and(|d| !d.is_string()) {
        return Err(bad("display_name must be a string"));
    }
    if body
        .get("user_options")
        .is_some_and(|o| !(o.is_null() || o.is_object()))
    {
        return Err(bad("user_options must be an object or null"));
    }
    Ok(())
}
