//! Starting and stopping servers (`/users/{name}/server`, `/users/{name}/servers/{server}`):
//! JupyterHub's checks, in its order, in front of the spawner this build does not have yet.

use ganymede_db::{ServerRow, ServerState, UserRow};
use ganymede_types::scope::{BuiltinScope, Resource, ScopeName};
use ganymede_types::{FullServerName, ServerName, UserName};
use serde_json::Value;

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;
use crate::py::repr_str;
use crate::users::{not_found, user_resource};
use crate::users_edit::{json_body, truthy};

/// What starting a server answers until the spawner exists.
///
/// 501 rather than 503: a 503 promises the condition is temporary, and retrying clients
/// (urllib3 honours 503 with `Retry-After`, JupyterLab offers "Restart") would loop; 501 says
/// plainly that this hub cannot spawn, and JupyterHub clients treat any 5xx from a start as a
/// failed spawn and show the message.
pub const NO_SPAWNER: &str =
    "No spawner is configured in this build: server start/stop arrives with the spawner (issue 4)";

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::BadRequest(message.into())
}

/// How `DELETE` on a server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// The server was not running (204), as JupyterHub answers for a stopped server.
    Stopped,
}

impl Hub {
    /// Checks `scope` on the server (a `!server=`, `!user=` or `!group=` filter may grant it)
    /// and returns the user.
    async fn server_user(
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

    async fn named_server(
        &self,
        user: &UserRow,
        server: &str,
    ) -> Result<Option<ServerRow>, CoreError> {
        Ok(self.db.get_server(user.id, server).await?)
    }

    /// JupyterHub's `_check_named_server_request`, without the per-user limit (no named server
    /// can be created before the spawner exists).
    async fn check_named_server(&self, user: &UserRow, server: &str) -> Result<(), CoreError> {
        if !self.settings().allow_named_servers {
            return Err(bad("Named servers are not enabled."));
        }
        if self.named_server(user, server).await?.is_none() {
            let slug = ServerName::new(server).is_ok_and(|s| s.is_safe_slug());
            if !slug {
                return Err(bad(format!("Invalid server_name: {}", repr_str(server))));
            }
        }
        Ok(())
    }

    /// `POST /users/{name}/server` and `/users/{name}/servers/{server}` (start:servers).
    ///
    /// Validates the request as JupyterHub does, then fails with 501 [`NO_SPAWNER`].
    pub async fn start_server(
        &self,
        identity: &Identity,
        name: &str,
        server: &str,
        body: &str,
    ) -> Result<(), CoreError> {
        let (_, row) = self
            .server_user(identity, name, server, BuiltinScope::StartServers)
            .await?;
        check_server_request(json_body(body)?.as_ref())?;
        if !server.is_empty() {
            self.check_named_server(&row, server).await?;
        }
        tracing::warn!(user = %row.name, server, "server start refused: no spawner in this build");
        Err(CoreError::NotImplemented(NO_SPAWNER.to_owned()))
    }

    /// `DELETE /users/{name}/server` and `/users/{name}/servers/{server}` (delete:servers),
    /// with `{"remove": true}` deleting a named server's record.
    ///
    /// Nothing runs without a spawner, so this is JupyterHub's answer for a server that is not
    /// running: 204. A record in a running state (left by another hub on this database) cannot
    /// be stopped here: 501.
    pub async fn stop_server(
        &self,
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
        if let Some(record) = &record
            && !matches!(record.state, ServerState::Stopped | ServerState::Failed)
        {
            return Err(CoreError::NotImplemented(NO_SPAWNER.to_owned()));
        }
        if remove && let Some(record) = record {
            self.db.delete_server(record.id).await?;
            tracing::info!(user = %row.name, server, by = identity.name(), "deleted server");
        }
        Ok(StopOutcome::Stopped)
    }

    /// `GET /users/{name}/server/progress` and `/users/{name}/servers/{server}/progress`
    /// (read:servers): with no spawn ever pending, JupyterHub's answer for a server that is not
    /// starting, 400 "<user>[:<server>] is not starting...".
    pub async fn server_progress(
        &self,
        identity: &Identity,
        name: &str,
        server: &str,
    ) -> Result<(), CoreError> {
        let (user, row) = self
            .server_user(identity, name, server, BuiltinScope::ReadServers)
            .await?;
        if !server.is_empty() && self.named_server(&row, server).await?.is_none() {
            return Err(not_found());
        }
        let log_name = if server.is_empty() {
            user.as_str().to_owned()
        } else {
            format!("{}:{server}", user.as_str())
        };
        Err(bad(format!("{log_name} is not starting...")))
    }
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
