//! JupyterHub's REST models, with the keys each scope reveals.

use ganymede_db::{ServerRow, UserRow};
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
        model.insert("server".to_owned(), Value::Null);
        model.insert("pending".to_owned(), Value::Null);
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

/// The model of a stopped server (`server_model` of an `orm.Spawner`): `row` is `None` for a
/// default server with no record yet, which JupyterHub would have created on first sight.
/// `state` appears only with `admin:server_state` on the server.
pub fn stopped_server_model(
    identity: &Identity,
    urls: Urls<'_>,
    user: &UserName,
    name: &str,
    row: Option<&ServerRow>,
) -> Value {
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(Value::Null, |t| json!(iso8601(&t)));
    let mut model = json!({
        "name": name,
        "display_name": row.map_or("", |r| r.display_name.as_str()),
        "full_name": format!("{}/{name}", user.as_str()),
        "last_activity": time(row.and_then(|r| r.last_activity)),
        "started": time(row.and_then(|r| r.started)),
        "pending": null,
        "ready": false,
        "stopped": true,
        "url": urls.server_url(user.as_str(), name),
        "user_options": row.map_or_else(|| json!({}), |r| r.user_options.clone()),
        "progress_url": urls.progress_url(user.as_str(), name),
        "full_url": null,
        "full_progress_url": null,
    });
    let resource = ServerName::new(name)
        .ok()
        .map(|server| Resource::Server(FullServerName::new(user.clone(), server)));
    if identity.allows(BuiltinScope::AdminServerState, resource.as_ref()) {
        model["state"] = row.map_or_else(|| json!({}), |r| r.spawner_state.clone());
    }
    model
}
