//! `GET`, `PUT` and `PATCH /users/{name}/servers/{server}` (new in JupyterHub 6.0): one
//! server's model, a named server made without starting it, and a stopped server renamed or
//! given new options.

use ganymede_db::{DbError, ServerSpec, ServerState};
use ganymede_types::scope::BuiltinScope;
use ganymede_types::{ServerName, UserName};
use serde_json::{Value, json};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;
use crate::model::{ServerModel, server_model};
use crate::py::repr_str;
use crate::servers::server_request;
use crate::spawn::lifecycle::log_name;
use crate::users_edit::json_body;

const PATCHABLE: [&str; 3] = ["name", "display_name", "user_options"];

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::BadRequest(message.into())
}

impl Hub {
    fn model_of(
        &self,
        identity: &Identity,
        user: &str,
        row: &ganymede_db::ServerRow,
    ) -> Result<ServerModel, CoreError> {
        let user = UserName::new(user).map_err(|_| CoreError::NotFound(String::new()))?;
        Ok(server_model(
            identity,
            self.urls(),
            &user,
            &row.name,
            Some(row),
        ))
    }

    /// `GET /users/{name}/servers/{server}` (read:servers).
    pub async fn get_server_model(
        &self,
        identity: &Identity,
        name: &str,
        server: &str,
    ) -> Result<ServerModel, CoreError> {
        let (_, user) = self
            .server_user(identity, name, server, BuiltinScope::ReadServers)
            .await?;
        let row = self
            .named_server(&user, server)
            .await?
            .ok_or_else(|| CoreError::NotFound(String::new()))?;
        self.model_of(identity, &user.name, &row)
    }

    /// `PUT /users/{name}/servers/{server}` (start:servers): records a named server without
    /// starting it; 409 if it exists.
    pub async fn create_server(
        &self,
        identity: &Identity,
        name: &str,
        server: &str,
        body: &str,
    ) -> Result<ServerModel, CoreError> {
        let (_, user) = self
            .server_user(identity, name, server, BuiltinScope::StartServers)
            .await?;
        if server.is_empty() {
            return Err(CoreError::Conflict(format!(
                "User {} already has a default server",
                user.name
            )));
        }
        if self.named_server(&user, server).await?.is_some() {
            return Err(CoreError::Conflict(format!(
                "User {} already has server {server}",
                user.name
            )));
        }
        let request = server_request(json_body(body)?.as_ref())?;
        self.check_named_server(&user, server).await?;
        let display_name = request
            .display_name
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| server.to_owned());
        let row = self
            .db
            .upsert_server(
                user.id,
                &ServerSpec {
                    name: server.to_owned(),
                    display_name,
                    base_url: self.urls().server_url(&user.name, server),
                    user_options: request.user_options.unwrap_or_else(|| json!({})),
                },
            )
            .await?;
        tracing::info!(server = %log_name(&user.name, server), by = identity.name(), "created a server without starting it");
        self.model_of(identity, &user.name, &row)
    }

    /// `PATCH /users/{name}/servers/{server}` (start:servers): a new `name`, `display_name` or
    /// `user_options` for a server that is not running.
    pub async fn edit_server(
        &self,
        identity: &Identity,
        name: &str,
        server: &str,
        body: &str,
    ) -> Result<ServerModel, CoreError> {
        let (_, user) = self
            .server_user(identity, name, server, BuiltinScope::StartServers)
            .await?;
        let body = json_body(body)?;
        let Some(Value::Object(body)) =
            body.filter(|b| b.as_object().is_some_and(|o| !o.is_empty()))
        else {
            return Err(bad("Must specify at least one field to modify."));
        };
        let unexpected: Vec<&str> = body
            .keys()
            .map(String::as_str)
            .filter(|k| !PATCHABLE.contains(k))
            .collect();
        if !unexpected.is_empty() {
            return Err(bad(format!(
                "Unexpected fields: {}, supported fields: {}",
                unexpected.join(","),
                PATCHABLE.join(",")
            )));
        }
        let new_name = match body.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(n)) => Some(n.clone()),
            Some(_) => return Err(bad("name must be a string")),
        };
        let display_name = match body.get("display_name") {
            None | Some(Value::Null) => None,
            Some(Value::String(d)) => Some(d.clone()),
            Some(_) => return Err(bad("display_name must be a string")),
        };
        if let Some(new_name) = &new_name {
            self.check_named_server_limit(&user, new_name, server.is_empty())
                .await?;
        } else if display_name.is_some() && !self.settings().allow_named_servers {
            return Err(bad("Named servers are not enabled."));
        }
        let row = self.named_server(&user, server).await?.ok_or_else(|| {
            CoreError::NotFound(format!(
                "User {} has no such server {}",
                user.name,
                repr_str(server)
            ))
        })?;
        if !matches!(row.state, ServerState::Stopped | ServerState::Failed) {
            return Err(bad(format!(
                "{} is active. Please stop it before modifying it.",
                log_name(&user.name, server)
            )));
        }
        let mut current = server.to_owned();
        if let Some(new_name) = new_name.filter(|n| *n != server) {
            ServerName::new(new_name.as_str())
                .map_err(|_| bad(format!("Invalid server_name: {}", repr_str(&new_name))))?;
            let base_url = self.urls().server_url(&user.name, &new_name);
            match self.db.rename_server(row.id, &new_name, &base_url).await {
                Ok(()) => {}
                Err(DbError::ServerExists { .. }) => {
                    return Err(CoreError::Conflict(format!(
                        "User {} already has server {}",
                        user.name,
                        repr_str(&new_name)
                    )));
                }
                Err(e) => return Err(e.into()),
            }
            tracing::info!(user = %user.name, from = server, to = %new_name, "renamed a server");
            current = new_name;
        }
        let user_options = match body.get("user_options") {
            None => row.user_options.clone(),
            Some(options @ Value::Object(_)) => options.clone(),
            Some(_) => return Err(bad("user_options must be a dict")),
        };
        let display_name = display_name
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| row.display_name.clone());
        self.db
            .set_server_options(row.id, &display_name, &user_options)
            .await?;
        let row = self
            .named_server(&user, &current)
            .await?
            .ok_or_else(|| CoreError::NotFound(String::new()))?;
        self.model_of(identity, &user.name, &row)
    }
}
