//! JupyterHub's REST models, with the keys each scope reveals.

use ganymede_db::UserRow;
use ganymede_types::UserName;
use ganymede_types::scope::{BuiltinScope, Resource};
use serde_json::{Map, Value, json};

use crate::identity::Identity;
use crate::time::iso8601;

/// What is known about a user beyond its row.
#[derive(Debug, Clone, Default)]
pub struct UserExtras {
    /// The user's group names.
    pub groups: Vec<String>,
    /// The user's role names, default roles included.
    pub roles: Vec<String>,
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
    if held(BuiltinScope::ReadServers) {
        model.insert("servers".to_owned(), json!({}));
    }
    if held(BuiltinScope::ReadRolesUsers) {
        model.insert("roles".to_owned(), json!(extras.roles));
        model.insert("admin".to_owned(), json!(row.admin));
    }
    if held(BuiltinScope::AdminAuthState) {
        model.insert("auth_state".to_owned(), Value::Null);
    }
    Value::Object(model)
}
