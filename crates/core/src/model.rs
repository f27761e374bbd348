//! JupyterHub's REST models, with the keys each scope reveals.

use std::collections::BTreeMap;

use ganymede_db::{ServerRow, ServerState, UserRow};
use ganymede_types::scope::{BuiltinScope, Resource};
use ganymede_types::{FullServerName, ServerName, UserName};
use serde::Serialize;
use serde_json::Value;

use crate::identity::Identity;
use crate::py::url_escape_path;
use crate::time::Iso8601;

/// What is known about a user beyond its row.
#[derive(Debug, Clone, Default)]
pub struct UserExtras {
    /// The user's group names.
    pub groups: Vec<String>,
    /// The user's role names, default roles included.
    pub roles: Vec<String>,
    /// Server models the caller may read (`read:servers` on each server), by name.
    pub servers: BTreeMap<String, ServerModel>,
    /// The decrypted auth_state, shown only with `admin:auth_state` (`null` in lists, as in
    /// JupyterHub, which decrypts it only for a single user).
    pub auth_state: Value,
}

/// A user model, serialized straight to JSON (building `serde_json::Value` maps for a page of
/// users was most of the cost of `GET /users`).
///
/// The fields are in alphabetical order, and must stay so: the models used to be
/// `serde_json::Map`s, which sort their keys, and clients have seen that byte order (the
/// `sorted_keys` test holds every model to it). A `None` field is a key the caller's scopes do
/// not reveal; `Some(None)` is a JSON `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserModel {
    /// `read:users`, `read:users:name` or `read:roles:users`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<bool>,
    /// `admin:auth_state`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_state: Option<Value>,
    /// `read:users`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Iso8601>,
    /// `read:users` or `read:users:groups`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Always `"user"`.
    pub kind: &'static str,
    /// `read:users` or `read:users:activity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<Option<Iso8601>>,
    /// Always.
    pub name: String,
    /// `read:users`: what the default server waits for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<Option<&'static str>>,
    /// `read:users` or `read:roles:users`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// `read:users`: the default server's URL once it is ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<Option<String>>,
    /// `read:servers`, or the servers the caller may read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub servers: Option<BTreeMap<String, ServerModel>>,
    /// `read:users` or `read:users:name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_info: Option<Value>,
}

impl UserModel {
    /// The model as a JSON value, for callers that add keys to it.
    pub fn to_value(&self) -> Value {
        // Serializing strings, booleans and values into a `Value` cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The user model as `identity` may see it: `{"kind": "user", "name": ...}` plus the keys of each
/// read scope held for this user (JupyterHub's `_model_for_user` field map).
pub fn user_model(identity: &Identity, row: &UserRow, extras: UserExtras) -> UserModel {
    let resource = UserName::new(row.name.as_str()).ok().map(Resource::User);
    let held = |scope: BuiltinScope| identity.allows(scope, resource.as_ref());
    let read_users = held(BuiltinScope::ReadUsers);
    let read_name = held(BuiltinScope::ReadUsersName);
    let read_groups = held(BuiltinScope::ReadUsersGroups);
    let read_activity = held(BuiltinScope::ReadUsersActivity);
    let read_roles = held(BuiltinScope::ReadRolesUsers);
    // JupyterHub shows `servers` to a caller with `read:servers` on the user, and also to one
    // who may read only some of the user's servers (then just those).
    let read_servers = held(BuiltinScope::ReadServers) || !extras.servers.is_empty();
    let read_auth_state = held(BuiltinScope::AdminAuthState);
    // The default server's URL once ready, and what it waits for (JupyterHub's `user.url` /
    // `spawner.pending`).
    let default = extras.servers.get("");
    let server = default.filter(|s| s.ready).map(|s| s.url.clone());
    let pending = default.and_then(|s| s.pending);
    UserModel {
        admin: (read_users || read_name || read_roles).then_some(row.admin),
        auth_state: read_auth_state.then_some(extras.auth_state),
        created: read_users.then_some(Iso8601(row.created)),
        groups: (read_users || read_groups).then_some(extras.groups),
        kind: "user",
        last_activity: (read_users || read_activity).then(|| row.last_activity.map(Iso8601)),
        name: row.name.clone(),
        pending: read_users.then_some(pending),
        roles: (read_users || read_roles).then_some(extras.roles),
        server: read_users.then_some(server),
        servers: read_servers.then_some(extras.servers),
        user_info: (read_users || read_name).then(|| row.user_info.clone().unwrap_or(Value::Null)),
    }
}

/// Escapes text for HTML (`&`, `<`, `>`, `"`, `'`), for messages that carry markup.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Where the hub is mounted, for the URLs in server models.
#[derive(Debug, Clone, Copy)]
pub struct Urls<'a> {
    /// `base_url`, with leading and trailing `/`.
    pub base_url: &'a str,
}

impl Urls<'_> {
    /// `/user/<name>/`, the user's URL prefix (`User.url`, without subdomains).
    pub fn user_url(&self, user: &str) -> String {
        format!("{}user/{}/", self.base_url, url_escape_path(user))
    }

    /// A server's URL (`url_path_join(user.url, escaped server name, '/')`).
    pub fn server_url(&self, user: &str, server: &str) -> String {
        if server.is_empty() {
            self.user_url(user)
        } else {
            format!("{}{}/", self.user_url(user), url_escape_path(server))
        }
    }

    /// A server's progress event stream (`User.progress_url`).
    pub fn progress_url(&self, user: &str, server: &str) -> String {
        let user = url_escape_path(user);
        if server.is_empty() {
            format!("{}hub/api/users/{user}/server/progress", self.base_url)
        } else {
            format!(
                "{}hub/api/users/{user}/servers/{}/progress",
                self.base_url,
                url_escape_path(server)
            )
        }
    }
}

/// A server model (JupyterHub's `server_model`), serialized straight to JSON; the fields are in
/// alphabetical order for the same reason as [`UserModel`]'s.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerModel {
    /// The display name.
    pub display_name: String,
    /// `<user>/<server>`.
    pub full_name: String,
    /// Always `null` (no subdomains).
    pub full_progress_url: Option<String>,
    /// Always `null` (no subdomains).
    pub full_url: Option<String>,
    /// The last activity.
    pub last_activity: Option<Iso8601>,
    /// The server name (`""` for the default server).
    pub name: String,
    /// `"spawn"` or `"stop"` while one is under way.
    pub pending: Option<&'static str>,
    /// The progress event stream.
    pub progress_url: String,
    /// Running.
    pub ready: bool,
    /// When it started.
    pub started: Option<Iso8601>,
    /// The spawner state, only with `admin:server_state` on the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// Neither running nor pending.
    pub stopped: bool,
    /// The server's URL.
    pub url: String,
    /// The options it was started with.
    pub user_options: Value,
}

impl ServerModel {
    /// The model as a JSON value, for callers that pick fields out of it.
    pub fn to_value(&self) -> Value {
        // Serializing strings, booleans and values into a `Value` cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The model of a server (JupyterHub's `server_model`), its `pending`, `ready` and `stopped`
/// from the recorded state: `row` is `None` for a default server with no record yet, which
/// JupyterHub would have created on first sight.
/// `state` appears only with `admin:server_state` on the server.
pub fn server_model(
    identity: &Identity,
    urls: Urls<'_>,
    user: &UserName,
    name: &str,
    row: Option<&ServerRow>,
) -> ServerModel {
    let (pending, ready, stopped) = match row.map(|r| r.state) {
        Some(ServerState::Queued | ServerState::Starting | ServerState::Waiting) => {
            (Some("spawn"), false, false)
        }
        Some(ServerState::Running) => (None, true, false),
        Some(ServerState::Stopping) => (Some("stop"), false, false),
        _ => (None, false, true),
    };
    let resource = ServerName::new(name)
        .ok()
        .map(|server| Resource::Server(FullServerName::new(user.clone(), server)));
    let state = identity
        .allows(BuiltinScope::AdminServerState, resource.as_ref())
        .then(|| row.map_or(Value::Null, |r| r.spawner_state.clone()));
    ServerModel {
        display_name: row.map_or_else(String::new, |r| r.display_name.clone()),
        full_name: format!("{}/{name}", user.as_str()),
        full_progress_url: None,
        full_url: None,
        last_activity: row.and_then(|r| r.last_activity).map(Iso8601),
        name: name.to_owned(),
        pending,
        progress_url: urls.progress_url(user.as_str(), name),
        ready,
        started: row.and_then(|r| r.started).map(Iso8601),
        state,
        stopped,
        url: urls.server_url(user.as_str(), name),
        user_options: row.map_or(Value::Null, |r| r.user_options.clone()),
    }
}

#[cfg(test)]
mod tests;
