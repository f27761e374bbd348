//! `PATCH /users/{name}` (rename, admin flag, auth_state) and the encrypted auth_state itself.

use ganymede_db::{DbError, Pagination, ServerSpec, UserRow};
use ganymede_types::UserName;
use ganymede_types::scope::{BuiltinScope, Resource, ScopeName};
use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;
use crate::model::{Urls, UserModel, user_model};
use crate::py::{repr, repr_str, type_name};
use crate::users::{Known, is_admin, user_resource};

/// The keys a request's user model may hold and the Python type each must have
/// (`APIHandler._user_model_types`).
const USER_MODEL_TYPES: [(&str, &str); 5] = [
    ("name", "str"),
    ("admin", "bool"),
    ("groups", "list"),
    ("roles", "list"),
    ("auth_state", "dict"),
];

/// JupyterHub's `_check_user_model`: a JSON object whose keys are known and typed right.
pub(crate) fn check_user_model(body: Option<&Value>) -> Result<&Map<String, Value>, CoreError> {
    check_model(body, &USER_MODEL_TYPES, "user")
}

/// JupyterHub's `_check_model`: a JSON object whose keys are all in `types`, each value of
/// the Python type named there (`str`, `bool`, `list`, `dict`); `name` prefixes the message.
pub(crate) fn check_model<'a>(
    body: Option<&'a Value>,
    types: &[(&str, &str)],
    name: &str,
) -> Result<&'a Map<String, Value>, CoreError> {
    let Some(Value::Object(model)) = body else {
        let shown = body.map_or_else(|| "None".to_owned(), repr);
        return Err(CoreError::BadRequest(format!("Invalid JSON data: {shown}")));
    };
    let known = |key: &str| types.iter().find(|(k, _)| *k == key);
    if model.keys().any(|key| known(key).is_none()) {
        return Err(CoreError::BadRequest(format!(
            "Invalid JSON keys: {}",
            repr(&Value::Object(model.clone()))
        )));
    }
    for (key, value) in model {
        let Some((_, expected)) = known(key) else {
            continue;
        };
        let matches = matches!(
            (*expected, value),
            ("str", Value::String(_))
                | ("bool", Value::Bool(_))
                | ("list", Value::Array(_))
                | ("dict", Value::Object(_))
        );
        if !matches {
            return Err(CoreError::BadRequest(format!(
                "{name}.{key} must be <class '{expected}'>, not: {}",
                type_name(value)
            )));
        }
    }
    Ok(model)
}

/// A request body as JupyterHub's `get_json_body` reads it: `None` when empty, 400 when it is
/// not JSON. Services parse it themselves so that scope checks come first, as in JupyterHub.
pub(crate) fn json_body(raw: &str) -> Result<Option<Value>, CoreError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(raw)
        .map(Some)
        .map_err(|_| CoreError::BadRequest("Invalid JSON in body of request".to_owned()))
}

/// Python's truthiness of a JSON value, which JupyterHub's `if data.get(...)` tests rely on.
pub(crate) fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null | Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

impl Hub {
    /// The user's decrypted auth_state: `null` when there is none, when no keys are configured,
    /// or when it does not decrypt (logged), as JupyterHub's `get_auth_state`.
    pub(crate) async fn auth_state(&self, row: &UserRow) -> Result<Value, CoreError> {
        let Some(keys) = &self.crypt else {
            return Ok(Value::Null);
        };
        let Some(encrypted) = self.db.get_auth_state(&row.name).await? else {
            return Ok(Value::Null);
        };
        match keys.decrypt_json(&encrypted) {
            Ok(state) => {
                // With several keys, store it again under the first, so keys can be rotated.
                if keys.len() > 1 && truthy(Some(&state)) {
                    self.save_auth_state(&row.name, &state).await?;
                }
                Ok(state)
            }
            Err(error) => {
                tracing::warn!(user = %row.name, %error, "cannot decrypt auth_state");
                Ok(Value::Null)
            }
        }
    }

    async fn save_auth_state(&self, user: &str, state: &Value) -> Result<(), CoreError> {
        let keys = self.crypt.as_ref().ok_or_else(no_crypt_key)?;
        let encrypted = keys.encrypt_json(state).map_err(|error| {
            tracing::error!(%user, %error, "cannot encrypt auth_state");
            no_crypt_key()
        })?;
        self.db.set_auth_state(user, Some(&encrypted)).await?;
        Ok(())
    }

    /// `PATCH /users/{name}`: rename, set the admin flag, replace the auth_state.
    ///
    /// Needs `admin:users` on the user; only an admin (the flag, not a scope) may edit an admin
    /// or grant admin. The user keeps its id, so groups, roles, tokens and servers follow a
    /// rename.
    pub async fn patch_user(
        &self,
        identity: &Identity,
        name: &str,
        body: &str,
    ) -> Result<UserModel, CoreError> {
        let (user, resource) = user_resource(name)?;
        let checked = self.with_groups(identity, &user).await?;
        checked.check(
            &[ScopeName::from(BuiltinScope::AdminUsers)],
            Some(&resource),
        )?;
        let row = self.existing_user(&user).await?;
        let body = json_body(body)?;
        let data = check_user_model(body.as_ref())?;
        let new_name = match data.get("name").and_then(Value::as_str) {
            Some(wanted) if wanted != name => Some(self.free_name(wanted).await?),
            _ => None,
        };
        if !is_admin(identity) {
            if row.admin {
                return Err(CoreError::Forbidden(
                    "Only admins can modify other admins".to_owned(),
                ));
            }
            if truthy(data.get("admin")) {
                return Err(CoreError::Forbidden(
                    "Only admins can grant admin permissions".to_owned(),
                ));
            }
        }
        // JupyterHub would assign the names to the ORM relationships and fail with a 500; the
        // groups and roles APIs do this properly.
        for key in ["groups", "roles"] {
            if data.contains_key(key) {
                return Err(CoreError::BadRequest(format!(
                    "Setting {key} with PATCH /hub/api/users/:name is not supported; use the \
                     {key} API"
                )));
            }
        }
        if data.contains_key("auth_state") && self.crypt.is_none() {
            return Err(no_crypt_key());
        }
        let by = identity.name();
        if let Some(state) = data.get("auth_state") {
            tracing::info!(%by, user = %row.name, "setting auth_state=...");
            self.save_auth_state(&row.name, state).await?;
        }
        if let Some(admin) = data.get("admin").and_then(Value::as_bool) {
            tracing::info!(%by, user = %row.name, admin, "setting admin");
            self.db.set_user_admin(&row.name, admin).await?;
        }
        let mut current = user;
        if let Some(new_name) = new_name {
            tracing::info!(%by, user = %row.name, new_name = %new_name, "renaming user");
            self.rename(&row, &new_name).await?;
            current = new_name;
        }
        let row = self.existing_user(&current).await?;
        let resource = Resource::User(current.clone());
        let identity = self.with_groups(identity, &current).await?;
        let mut extras = self
            .extras(&identity, &row, false, Known::default())
            .await?;
        // JupyterHub adds auth_state to this answer unconditionally; `admin:users` implies
        // `admin:auth_state`, so checking the scope changes nothing for a caller who got here
        // and keeps the rule "the key only with the scope" in one form everywhere.
        if identity.allows(BuiltinScope::AdminAuthState, Some(&resource)) {
            extras.auth_state = self.auth_state(&row).await?;
        }
        Ok(user_model(&identity, &row, extras))
    }

    /// A new name for a rename: normalized and validated with the login's rules (JupyterHub's
    /// `normalize_username` and `validate_username`), and free.
    async fn free_name(&self, wanted: &str) -> Result<UserName, CoreError> {
        let name = self.normalize_username(wanted).map_err(|normalized| {
            CoreError::BadRequest(format!("Invalid username: {}", repr_str(&normalized)))
        })?;
        if self.db.get_user(name.as_str()).await?.is_some() {
            return Err(taken(&name));
        }
        Ok(name)
    }

    /// Renames the user and moves the URL prefix of its (stopped) servers along.
    async fn rename(&self, row: &UserRow, new_name: &UserName) -> Result<(), CoreError> {
        match self.db.rename_user(&row.name, new_name.as_str()).await {
            Ok(_) => {}
            Err(DbError::UserExists { .. }) => return Err(taken(new_name)),
            Err(error) => return Err(error.into()),
        }
        let urls = Urls {
            base_url: &self.settings().base_url,
        };
        let mut offset = 0;
        loop {
            let page = self
                .db
                .list_servers(row.id, Pagination::new(offset, 1000))
                .await?;
            for server in &page.items {
                let spec = ServerSpec {
                    name: server.name.clone(),
                    display_name: server.display_name.clone(),
                    base_url: urls.server_url(new_name.as_str(), &server.name),
                    user_options: server.user_options.clone(),
                };
                self.db.upsert_server(row.id, &spec).await?;
            }
            offset += page.items.len() as u64;
            if page.items.is_empty() || offset >= page.total {
                return Ok(());
            }
        }
    }
}

fn taken(name: &UserName) -> CoreError {
    CoreError::BadRequest(format!(
        "User {} already exists, username must be unique",
        name.as_str()
    ))
}

fn no_crypt_key() -> CoreError {
    CoreError::Internal(
        "auth_state cannot be stored: no encryption key is configured (JUPYTERHUB_CRYPT_KEY)"
            .to_owned(),
    )
}
