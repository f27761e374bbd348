//! JupyterHub's REST models, with the keys each scope reveals.

use ganymede_db::{ServerRow, ServerState, UserRow};
use ganymede_types::scope::{BuiltinScope, Resource};
use ganymede_types::{FullServerName, ServerName, UserName};
use serde_json::{Map, Value, json};

use crate::identity::Identity;
use crate::py::url_escape_path;
use crate::time::iso8601;

/// What is known about a user beyond its row.
#[derive(Debug, Clone, Default)]
pub struct UserExtras {
    /// The user's group names.
    pub groups: Vec<String>,
    /// The user's role names, default roles included.
    pub roles: Vec<String>,
    /// Server models the caller may read (`read:servers` on each server), by name.
    pub servers: Map<String, Value>,
    /// The decrypted auth_state, shown only with `admin:auth_state` (`null` in lists, as in
    /// JupyterHub, which decrypts it only for a single user).
    pub auth_state: Value,
}

/// The user model as `identity` may see it: `{"kind": "user", "name": ...}` plus the keys of each
/// read scope held for this user (JupyterHub's `_model_for_user` field map).
pub fn user_model(identity: &Identity, row: &UserRow, extras: &UserExtras) -> Value {
    let resource = UserName::new(row.name.as_str()).ok().map(Resource::User);
    let held = |scope: BuiltinScope| identity.allows(scope, resource.as_ref());
    let mut model = Map::new();
    model.insert("kind".to_owned(), json!("user"));
    model.insert("name".to_owned(), json!(row.name));
    let timestamp =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(Value::Null, |t| json!(iso8601(&t)));
    if held(BuiltinScope::ReadUsers) {
        model.insert("admin".to_owned(), json!(row.admin));
        model.insert("roles".to_owned(), json!(extras.roles));
        model.insert("groups".to_owned(), json!(extras.groups));
        // The default server's URL once ready, and what it waits for (JupyterHub's
        // `user.url` / `spawner.pending`).
        let default = extras.servers.get("");
        let ready = default.is_some_and(|s| s["ready"] == json!(true));
        let server = if ready {
            default.map_or(Value::Null, |s| s["url"].clone())
        } else {
            Value::Null
        };
        model.insert("server".to_owned(), server);
        model.insert(
            "pending".to_owned(),
            default.map_or(Value::Null, |s| s["pending"].clone()),
        );
        model.insert("created".to_owned(), json!(iso8601(&row.created)));
        model.insert("last_activity".to_owned(), timestamp(row.last_activity));
        model.insert(
            "user_info".to_owned(),
            row.user_info.clone().unwrap_or(Value::Null),
        );
    }
    if held(BuiltinScope::ReadUsersName) {
        model.insert("admin".to_owned(), json!(row.admin));
        model.insert(
            "user_info".to_owned(),
            row.user_info.clone().unwrap_or(Value::Null),
        );
    }
    if held(BuiltinScope::ReadUsersGroups) {
        model.insert("groups".to_owned(), json!(extras.groups));
    }
    if held(BuiltinScope::ReadUsersActivity) {
        model.insert("last_activity".to_owned(), timestamp(row.last_activity));
    }
    // JupyterHub shows `servers` to a caller with `read:servers` on the user, and also to one
    // who may read only some of the user's servers (then just those).
    if held(BuiltinScope::ReadServers) || !extras.servers.is_empty() {
        model.insert("servers".to_owned(), Value::Object(extras.servers.clone()));
    }
    if held(BuiltinScope::ReadRolesUsers) {
        model.insert("roles".to_owned(), json!(extras.roles));
        model.insert("admin".to_owned(), json!(row.admin));
    }
    if held(BuiltinScope::AdminAuthState) {
        model.insert("auth_state".to_owned(), extras.auth_state.clone());
    }
    Value::Object(model)
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
) -> Value {
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(Value::Null, |t| json!(iso8601(&t)));
    let (pending, ready, stopped) = match row.map(|r| r.state) {
        Some(ServerState::Queued | ServerState::Starting | ServerState::Waiting) => {
            (json!("spawn"), false, false)
        }
        Some(ServerState::Running) => (Value::Null, true, false),
        Some(ServerState::Stopping) => (json!("stop"), false, false),
        _ => (Value::Null, false, true),
    };
    let mut model = json!({
        "name": name,
        "display_name": row.map_or("", |r| r.display_name.as_str()),
        "full_name": format!("{}/{name}", user.as_str()),
        "last_activity": time(row.and_then(|r| r.last_activity)),
        "started": time(row.and_then(|r| r.started)),
        "pending": pending,
        "ready": ready,
        "stopped": stopped,
        "url": urls.server_url(user.as_str(), name),
        "user_options": row.map_or(Value::Null, |r| r.user_options.clone()),
        "progress_url": urls.progress_url(user.as_str(), name),
        "full_url": null,
        "full_progress_url": null,
    });
    let resource = ServerName::new(name)
        .ok()
        .map(|server| Resource::Server(FullServerName::new(user.clone(), server)));
    if identity.allows(BuiltinScope::AdminServerState, resource.as_ref()) {
        model["state"] = row.map_or(Value::Null, |r| r.spawner_state.clone());
    }
    model
}
