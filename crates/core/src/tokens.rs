//! A user's API tokens: list, read, create, revoke (`/users/{name}/tokens[/{id}]`).

use std::collections::BTreeSet;

use chrono::Duration;
use ganymede_db::{NewToken, Pagination, TokenId, TokenOwner, TokenRow, UserRow};
use ganymede_types::roles::DefaultRole;
use ganymede_types::scope::{
    BuiltinScope, IssuingClient, Owner, Scope, ScopeName, expand_scopes, intersect_scopes,
};
use serde_json::{Value, json};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::{Identity, Principal, TokenHolder};
use crate::py::{repr, repr_str};
use crate::time::iso8601;
use crate::users::user_resource;
use crate::users_edit::{json_body, truthy};

/// The hub's own OAuth client, which issues API tokens; shown as its description.
const HUB_CLIENT: &str = "jupyterhub";

fn no_such_user(name: &str) -> CoreError {
    CoreError::NotFound(format!("No such user: {name}"))
}

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::BadRequest(message.into())
}

impl Hub {
    /// Checks `scope` on the user and returns the user's row (404 "No such user" if missing).
    async fn token_user(
        &self,
        identity: &Identity,
        name: &str,
        scope: BuiltinScope,
    ) -> Result<UserRow, CoreError> {
        let (user, resource) = user_resource(name).map_err(|_| no_such_user(name))?;
        let identity = self.with_groups(identity, &user).await?;
        identity.check(&[ScopeName::from(scope)], Some(&resource))?;
        self.db
            .get_user(user.as_str())
            .await?
            .ok_or_else(|| no_such_user(name))
    }

    /// JupyterHub's `token_model`: the owner, `a<id>`, the expanded scopes, the issuing client.
    async fn token_model(&self, holder: &TokenHolder, row: &TokenRow) -> Result<Value, CoreError> {
        let scopes = self.resolve_token_scopes(holder, &row.scopes).to_strings();
        let client = match row.oauth_client_id.as_deref() {
            None | Some(HUB_CLIENT) => "JupyterHub".to_owned(),
            Some(id) => match self.db.get_oauth_client(id).await? {
                Some(client) if !client.description.is_empty() => client.description,
                _ => id.to_owned(),
            },
        };
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or(Value::Null, |t| json!(iso8601(&t)))
        };
        let mut model = json!({
            "id": format!("a{}", row.id.0),
            "kind": "api_token",
            // Deprecated since JupyterHub 3, still present.
            "roles": [],
            "scopes": scopes,
            "created": iso8601(&row.created),
            "last_activity": time(row.last_activity),
            "expires_at": time(row.expires_at),
            "note": row.note,
            "session_id": row.session_id,
            "oauth_client": client,
        });
        match &holder.principal {
            Principal::User(user) => model["user"] = json!(user.name),
            Principal::Service(service) => model["service"] = json!(service.name),
        }
        Ok(model)
    }

    /// `GET /users/{name}/tokens` (read:tokens): unexpired tokens, least recently used first.
    pub async fn list_user_tokens(
        &self,
        identity: &Identity,
        name: &str,
    ) -> Result<Value, CoreError> {
        let row = self
            .token_user(identity, name, BuiltinScope::ReadTokens)
            .await?;
        let owner = TokenOwner::User(row.id);
        let mut tokens = Vec::new();
        loop {
            let page = self
                .db
                .list_tokens(owner, Pagination::new(tokens.len() as u64, 1000))
                .await?;
            let done = page.items.is_empty()
                || tokens.len() as u64 + page.items.len() as u64 >= page.total;
            tokens.extend(page.items);
            if done {
                break;
            }
        }
        tokens.sort_by_key(|t| (t.last_activity.unwrap_or(t.created), t.id.0));
        let holder = self.user_holder(row).await?;
        let mut models = Vec::with_capacity(tokens.len());
        for token in &tokens {
            models.push(self.token_model(&holder, token).await?);
        }
        Ok(json!({ "api_tokens": models }))
    }

    /// The user's token `a<N>`; any other form, or another owner's token, is 404.
    async fn user_token(&self, user: &UserRow, token_id: &str) -> Result<TokenRow, CoreError> {
        let not_found =
            || CoreError::NotFound(format!("No such token {token_id} for user {}", user.name));
        let id = token_id
            .strip_prefix('a')
            .and_then(|id| id.parse::<i64>().ok())
            .ok_or_else(not_found)?;
        match self.db.get_token(TokenId(id)).await? {
            Some(token) if token.owner == TokenOwner::User(user.id) => Ok(token),
            _ => Err(not_found()),
        }
    }

    /// `GET /users/{name}/tokens/{id}` (read:tokens).
    pub async fn get_user_token(
        &self,
        identity: &Identity,
        name: &str,
        token_id: &str,
    ) -> Result<Value, CoreError> {
        let row = self
            .token_user(identity, name, BuiltinScope::ReadTokens)
            .await?;
        let token = self.user_token(&row, token_id).await?;
        let holder = self.user_holder(row).await?;
        self.token_model(&holder, &token).await
    }

    /// `DELETE /users/{name}/tokens/{id}` (tokens). Revoking a token an OAuth client issued
    /// revokes every token that client issued to the user.
    pub async fn delete_user_token(
        &self,
        identity: &Identity,
        name: &str,
        token_id: &str,
    ) -> Result<(), CoreError> {
        let row = self
            .token_user(identity, name, BuiltinScope::Tokens)
            .await?;
        let token = self.user_token(&row, token_id).await?;
        match token.oauth_client_id.as_deref() {
            Some(client) if client != HUB_CLIENT => {
                let count = self.db.delete_client_tokens(row.id, client).await?;
                tracing::info!(user = %row.name, %client, count, "deleted tokens issued by client");
            }
            _ => {
                self.db.delete_token(token.id).await?;
                tracing::info!(user = %row.name, token = %token_id, "deleted token");
            }
        }
        Ok(())
    }

    /// `POST /users/{name}/tokens` (tokens on the user): a new token, whose secret is in the
    /// answer and nowhere else.
    ///
    /// The body may set `note`, `expires_in` (seconds, capped by `token_expires_in_max_seconds`),
    /// and either `scopes` or (deprecated) `roles`; by default the token gets the `token`
    /// role's scopes. The scopes must be held by the token's owner (400 otherwise, as
    /// JupyterHub).
    ///
    /// Without credentials JupyterHub hands the body's `auth` to the Authenticator; that is not
    /// supported, so an anonymous request is 403 as one the Authenticator turns down.
    pub async fn create_user_token(
        &self,
        identity: Option<&Identity>,
        name: &str,
        body: &str,
    ) -> Result<Value, CoreError> {
        let body = json_body(body)?.unwrap_or_else(|| json!({}));
        let Value::Object(body) = body else {
            return Err(bad("Body must be a JSON dict or empty"));
        };
        let Some(identity) = identity else {
            return Err(CoreError::Forbidden("Forbidden".to_owned()));
        };
        let requester_kind = match identity.principal {
            Principal::User(_) => "User",
            Principal::Service(_) => "Service",
        };
        let denied = || {
            CoreError::Forbidden(format!(
                "{requester_kind} {name} not found or no permissions to generate tokens"
            ))
        };
        let (user, resource) = user_resource(name).map_err(|_| denied())?;
        let checked = self.with_groups(identity, &user).await?;
        if !checked.allows(BuiltinScope::Tokens, Some(&resource)) {
            return Err(denied());
        }
        let row = self.db.get_user(user.as_str()).await?.ok_or_else(denied)?;
        let is_self = matches!(&identity.principal, Principal::User(me) if me.id == row.id);
        let note = match body.get("note") {
            Some(note) if truthy(Some(note)) => match note {
                Value::String(note) => note.clone(),
                other => repr(other),
            },
            _ if is_self => "Requested via api".to_owned(),
            _ => format!(
                "Requested via api by {} {}",
                requester_kind.to_lowercase(),
                identity.name()
            ),
        };
        let roles = string_list(body.get("roles"), "roles")?;
        let scopes = string_list(body.get("scopes"), "scopes")?;
        let expires_in = self.expires_in(body.get("expires_in"))?;
        let raw_scopes = match (scopes, roles) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "Can only assign one of scopes or roles when creating tokens.",
                ));
            }
            (Some(scopes), None) => scopes,
            (None, Some(roles)) => self.roles_to_scopes(&roles).await?,
            (None, None) => self.roles_to_scopes(&["token".to_owned()]).await?,
        };
        let holder = self.user_holder(row.clone()).await?;
        self.check_token_scopes(&holder, &raw_scopes)?;
        if let Some(seconds) = expires_in
            && seconds < 1
        {
            return Err(bad(format!(
                "expires_in must be a positive integer or null, not {seconds}"
            )));
        }
        let secret = new_token();
        let expires_at = expires_in.map(|s| self.db.now() + Duration::seconds(s));
        let token = self
            .db
            .insert_token(&NewToken {
                token: secret.clone(),
                owner: TokenOwner::User(row.id),
                session_id: None,
                oauth_client_id: None,
                scopes: raw_scopes,
                note,
                expires_at,
            })
            .await?;
        if is_self {
            tracing::info!(user = %row.name, "user requested a new API token");
        } else {
            tracing::info!(by = identity.name(), user = %row.name, "API token requested for user");
        }
        let mut model = self.token_model(&holder, &token).await?;
        model["token"] = json!(secret);
        Ok(model)
    }

    /// `expires_in` checked and capped by `token_expires_in_max_seconds`.
    fn expires_in(&self, value: Option<&Value>) -> Result<Option<i64>, CoreError> {
        let requested = match value {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
            Some(other) => {
                return Err(bad(format!(
                    "token expires_in must be null or integer, not {}",
                    repr(other)
                )));
            }
        };
        let max = i64::try_from(self.settings().token_expires_in_max_seconds).unwrap_or(i64::MAX);
        if max == 0 {
            return Ok(requested);
        }
        match requested {
            None => Ok(Some(max)),
            Some(seconds) if seconds > max => Err(bad(format!(
                "token expires_in: {seconds} must not exceed {max}"
            ))),
            Some(seconds) => Ok(Some(seconds)),
        }
    }

    /// The raw scopes of roles, stored ones first, then JupyterHub's default roles.
    async fn roles_to_scopes(&self, roles: &[String]) -> Result<Vec<String>, CoreError> {
        let mut scopes = BTreeSet::new();
        for role in roles {
            if let Some(row) = self.db.get_role(role).await? {
                scopes.extend(row.scopes);
            } else if let Some(default) = DefaultRole::find(role) {
                scopes.extend(default.scopes.iter().map(|s| (*s).to_owned()));
            } else {
                return Err(bad(format!("No such role: {role}")));
            }
        }
        Ok(scopes.into_iter().collect())
    }

    /// JupyterHub's `_check_scopes_exist` and `_check_token_scopes`: every scope is defined,
    /// and the owner holds all it grants.
    pub(crate) fn check_token_scopes(
        &self,
        holder: &TokenHolder,
        raw: &[String],
    ) -> Result<(), CoreError> {
        let mut parsed = BTreeSet::new();
        for scope in raw {
            parsed.insert(self.parse_token_scope(scope)?);
        }
        parsed.remove(&Scope::new(BuiltinScope::Inherit, None));
        if parsed.is_empty() {
            return Ok(());
        }
        let wanted = expand_scopes(
            &self.registry,
            &parsed,
            Some(&holder.owner),
            Some(&IssuingClient::Hub),
        )
        .scopes;
        let held = intersect_scopes(&wanted, &holder.scopes, &holder.membership);
        let excess = wanted.difference(&held);
        if excess.is_empty() {
            return Ok(());
        }
        let (kind, owner) = match &holder.owner {
            Owner::User(user) => ("User", user.as_str()),
            Owner::Service(service) => ("Service", service.as_str()),
        };
        let excess: Vec<String> = excess.to_strings().into_iter().collect();
        Err(bad(format!(
            "Not assigning requested scopes {} not held by {kind} {owner}",
            excess.join(",")
        )))
    }

    /// One requested scope, refused with JupyterHub's `ScopeNotFound` message, which is a
    /// `KeyError` and so reaches the client as the `repr` of its text.
    fn parse_token_scope(&self, scope: &str) -> Result<Scope, CoreError> {
        let not_found = |text: String| bad(repr_str(&text));
        let (name, filter) = scope
            .split_once('!')
            .map_or((scope, None), |(n, f)| (n, Some(f)));
        let defined = name
            .parse::<ScopeName>()
            .is_ok_and(|n| self.registry.contains(&n));
        if !defined {
            if name == "all" {
                return Err(not_found(
                    "Draft scope 'all' is now called 'inherit'".to_owned(),
                ));
            }
            return Err(not_found(format!(
                "Scope '{scope}' for token does not exist"
            )));
        }
        if let Some(filter) = filter {
            let full = format!("!{filter}");
            let exact = ["!user", "!service", "!server"].contains(&full.as_str());
            let prefixed = ["!user=", "!service=", "!group=", "!server="]
                .iter()
                .any(|p| full.starts_with(p));
            if !exact && !prefixed {
                return Err(not_found(format!(
                    "Scope filter {filter} '{full}' in scope '{scope}' for token does not exist"
                )));
            }
        }
        self.registry
            .parse(scope)
            .map_err(|error| bad(format!("Invalid scope {}: {error}", repr_str(scope))))
    }
}

/// `roles` or `scopes` of a token request: null or a list of strings.
fn string_list(value: Option<&Value>, key: &str) -> Result<Option<Vec<String>>, CoreError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(Some(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        )),
        Some(other) => Err(bad(format!(
            "token {key} must be null or a list of strings, not {}",
            repr(other)
        ))),
    }
}

/// A new token: 32 hex digits from 16 random bytes, like JupyterHub's `uuid4().hex`.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}
