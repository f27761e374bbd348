//! Who is calling, and what they may do: a token resolved to its owner and expanded scopes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use ganymede_db::{ActivityBatch, ServiceRow, TokenOwner, TokenRow, UserRow};
use ganymede_types::scope::{
    Denied, ExpandedScopes, IssuingClient, Owner, Resource, Scope, ScopeName, expand_scopes,
    identify_scopes, token_scopes,
};
use ganymede_types::{GroupName, ServiceName, UserName};
use serde_json::Value;

use crate::auth_cache::TokenKey;
use crate::error::CoreError;
use crate::hub::Hub;
use crate::users::group_set;

/// The owner of the credentials.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A user.
    User(UserRow),
    /// A service.
    Service(ServiceRow),
}

/// A resolved caller: the owner, the token used, and the scopes it carries.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Who owns the credentials.
    pub principal: Principal,
    /// The token presented, if any.
    pub token: Option<TokenRow>,
    /// What the caller may do.
    pub scopes: ExpandedScopes,
    /// Group membership known for scope checks: the owner's groups.
    pub(crate) membership: BTreeMap<UserName, BTreeSet<GroupName>>,
}

impl Identity {
    /// Whether any of `any_of` is held for `resource` (403 if none is held at all, 404 if only
    /// for other resources).
    pub fn check(&self, any_of: &[ScopeName], resource: Option<&Resource>) -> Result<(), Denied> {
        self.scopes.check(any_of, resource, &self.membership)
    }

    /// Whether `name` is held for `resource`.
    pub fn allows(&self, name: impl Into<ScopeName>, resource: Option<&Resource>) -> bool {
        self.scopes.allows(name, resource, &self.membership)
    }

    /// Adds what is known about a user's groups, so `!group=` filters can match them.
    pub(crate) fn learn_groups(&mut self, user: UserName, groups: BTreeSet<GroupName>) {
        self.membership.insert(user, groups);
    }

    /// The owner's name as the API shows it.
    pub fn name(&self) -> &str {
        match &self.principal {
            Principal::User(user) => &user.name,
            Principal::Service(service) => &service.name,
        }
    }
}

/// JupyterHub's default `activity_resolution`: a token's or user's activity is written again
/// only when the recorded time is older than this.
const ACTIVITY_RESOLUTION: TimeDelta = TimeDelta::seconds(30);

fn activity_is_due(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|last| now - last > ACTIVITY_RESOLUTION)
}

fn parse_scopes(hub: &Hub, raw: &[String], context: &str) -> Vec<Scope> {
    raw.iter()
        .filter_map(|scope| match hub.registry.parse(scope) {
            Ok(scope) => Some(scope),
            Err(error) => {
                tracing::warn!(%context, %error, "ignoring an invalid scope");
                None
            }
        })
        .collect()
}

fn default_role_scopes(hub: &Hub, role: &str) -> Vec<Scope> {
    parse_scopes(hub, &hub.default_role_scopes_raw(role), role)
}

impl Hub {
    /// Resolves an API token; unknown or expired tokens are [`CoreError::Unauthenticated`].
    ///
    /// Resolutions are cached (`auth_cache.rs`) until the next write to the database.
    pub async fn authenticate_token(&self, token: &str) -> Result<Identity, CoreError> {
        // JupyterHub refuses tokens over 64 characters before looking them up.
        if token.is_empty() || token.len() > 64 {
            return Err(CoreError::Unauthenticated);
        }
        let key = TokenKey::of(token);
        let now = self.db.now();
        // Read before the database is: a write that lands during the lookup makes the
        // generation move past it, so what the lookup read is never used again.
        let generation = self.db.write_generation();
        let mut identity = match self.auth_cache.get(key, generation, now) {
            Some(identity) => identity,
            None => {
                let identity = self.resolve_token(token).await?;
                self.auth_cache
                    .insert(key, generation, now, identity.clone());
                identity
            }
        };
        if self.record_token_use(&mut identity).await {
            self.auth_cache.recorded_activity(key, &identity);
        }
        Ok(identity)
    }

    /// Looks a token up in the database: the row, its owner and the owner's scopes.
    async fn resolve_token(&self, token: &str) -> Result<Identity, CoreError> {
        let Some(row) = self.db.find_token(token).await? else {
            return Err(CoreError::Unauthenticated);
        };
        if row.expires_at.is_some_and(|at| at <= self.db.now()) {
            return Err(CoreError::Unauthenticated);
        }
        let owner = self.token_owner(row.owner).await?;
        let scopes = self.resolve_token_scopes(&owner, &row.scopes);
        Ok(Identity {
            principal: owner.principal,
            token: Some(row),
            scopes,
            membership: owner.membership,
        })
    }

    /// JupyterHub's `_record_activity` on a token and, unless a single-user server sent the
    /// request (its token's note is `Server at ...`), on the user who owns it; the rows in
    /// `identity` are updated too. A failed write is logged: it does not refuse the request.
    /// Whether anything was written.
    async fn record_token_use(&self, identity: &mut Identity) -> bool {
        let Some(token) = &mut identity.token else {
            return false;
        };
        let now = self.db.now();
        let mut wrote = false;
        if activity_is_due(token.last_activity, now) {
            let mut batch = ActivityBatch::default();
            batch.token(token.id, now);
            match self.write_activity(batch).await {
                Ok(()) => {
                    token.last_activity = Some(now);
                    wrote = true;
                }
                Err(error) => tracing::warn!(%error, "could not record a token's activity"),
            }
        }
        if let Principal::User(user) = &mut identity.principal
            && !token.note.starts_with("Server at ")
        {
            wrote |= self.record_user_activity(user, now).await;
        }
        wrote
    }

    /// `GET /user`: the caller's own user or service model, as its scopes plus the identify
    /// scopes show it (JupyterHub's `SelfAPIHandler`, without `scopes`, `token_id` and
    /// `session_id`, which the web layer adds).
    pub async fn whoami_model(&self, identity: &Identity) -> Result<Value, CoreError> {
        let mut viewer = identity.clone();
        match &identity.principal {
            Principal::User(user) => {
                if let Ok(name) = UserName::new(user.name.as_str()) {
                    viewer.scopes.extend(&identify_scopes(&Owner::User(name)));
                }
                // A cached identity's row is current but for `last_activity`, which other
                // requests move without invalidating the cache.
                let fresh = self.db.get_user_by_id(user.id).await?;
                let model = self
                    .model(&viewer, fresh.as_ref().unwrap_or(user), false)
                    .await?;
                // The web layer adds keys to it.
                Ok(model.to_value())
            }
            Principal::Service(service) => {
                if let Ok(name) = ServiceName::new(service.name.as_str()) {
                    viewer
                        .scopes
                        .extend(&identify_scopes(&Owner::Service(name)));
                }
                self.service_model(&viewer, service).await
            }
        }
    }

    /// Records a user's activity at `now` unless it was recorded less than
    /// [`ACTIVITY_RESOLUTION`] ago; whether it was written.
    async fn record_user_activity(&self, user: &mut UserRow, now: DateTime<Utc>) -> bool {
        if !activity_is_due(user.last_activity, now) {
            return false;
        }
        let mut batch = ActivityBatch::default();
        batch.user(user.id, now);
        match self.write_activity(batch).await {
            Ok(()) => {
                user.last_activity = Some(now);
                true
            }
            Err(error) => {
                tracing::warn!(%error, user = %user.name, "could not record activity");
                false
            }
        }
    }

    /// Resolves a browser's login cookie id: the user, with all of their roles' scopes (as
    /// JupyterHub grants cookie-authenticated requests).
    pub async fn authenticate_cookie(&self, cookie_id: &str) -> Result<Identity, CoreError> {
        if cookie_id.is_empty() || cookie_id.len() > 64 {
            return Err(CoreError::Unauthenticated);
        }
        let user = self
            .db
            .get_user_by_cookie_id(cookie_id)
            .await?
            .ok_or(CoreError::Unauthenticated)?;
        let mut holder = self.user_holder(user).await?;
        if let Principal::User(user) = &mut holder.principal {
            self.record_user_activity(user, self.db.now()).await;
        }
        Ok(Identity {
            principal: holder.principal,
            token: None,
            scopes: holder.scopes,
            membership: holder.membership,
        })
    }

    /// The owner of a token, with the scopes its roles give it; [`CoreError::Unauthenticated`]
    /// if it is gone.
    pub(crate) async fn token_owner(&self, owner: TokenOwner) -> Result<TokenHolder, CoreError> {
        match owner {
            TokenOwner::User(id) => {
                let user = self
                    .db
                    .get_user_by_id(id)
                    .await?
                    .ok_or(CoreError::Unauthenticated)?;
                self.user_holder(user).await
            }
            TokenOwner::Service(id) => {
                let service = self
                    .db
                    .get_service_by_id(id)
                    .await?
                    .ok_or(CoreError::Unauthenticated)?;
                let name = ServiceName::new(service.name.as_str())
                    .map_err(|_| CoreError::Unauthenticated)?;
                let mut raw = if service.admin {
                    default_role_scopes(self, "admin")
                } else {
                    Vec::new()
                };
                for role in self.db.service_roles(service.id).await? {
                    raw.extend(parse_scopes(self, &role.scopes, &role.name));
                }
                let owner = Owner::Service(name);
                let scopes = expand_scopes(&self.registry, &raw, Some(&owner), None).scopes;
                Ok(TokenHolder {
                    principal: Principal::Service(service),
                    owner,
                    scopes,
                    membership: BTreeMap::new(),
                })
            }
        }
    }

    /// A user with the scopes of their default roles, roles and groups' roles (JupyterHub's
    /// `get_scopes_for(user)`).
    pub(crate) async fn user_holder(&self, user: UserRow) -> Result<TokenHolder, CoreError> {
        let name = UserName::new(user.name.as_str()).map_err(|_| CoreError::Unauthenticated)?;
        // By id, one query each: this runs on every request with a user's token or cookie.
        let ids = [user.id];
        let groups = self.db.group_names_of_users(&ids).await?;
        let groups = group_set(groups.get(&user.id).map_or(&[][..], Vec::as_slice));
        let mut raw = default_role_scopes(self, "user");
        if user.admin {
            raw.extend(default_role_scopes(self, "admin"));
        }
        let mut roles = self.db.roles_of_users(&ids).await?;
        for role in roles.remove(&user.id).unwrap_or_default() {
            raw.extend(parse_scopes(self, &role.scopes, &role.name));
        }
        let owner = Owner::User(name.clone());
        let scopes = expand_scopes(&self.registry, &raw, Some(&owner), None).scopes;
        let mut membership = BTreeMap::new();
        membership.insert(name, groups);
        Ok(TokenHolder {
            principal: Principal::User(user),
            owner,
            scopes,
            membership,
        })
    }

    /// What a token with raw scopes `raw` owned by `holder` may do (`get_scopes_for(token)`).
    pub(crate) fn resolve_token_scopes(
        &self,
        holder: &TokenHolder,
        raw: &[String],
    ) -> ExpandedScopes {
        let token_raw: BTreeSet<Scope> = parse_scopes(self, raw, "token").into_iter().collect();
        token_scopes(
            &self.registry,
            &token_raw,
            &holder.owner,
            &IssuingClient::Hub,
            &holder.scopes,
            &holder.membership,
        )
        .scopes
    }
}

/// A token's owner, resolved: who it is and what its roles let it do.
#[derive(Debug, Clone)]
pub(crate) struct TokenHolder {
    /// The owner's row.
    pub(crate) principal: Principal,
    /// The owner for scope expansion.
    pub(crate) owner: Owner,
    /// The owner's expanded scopes.
    pub(crate) scopes: ExpandedScopes,
    /// The owner's groups.
    pub(crate) membership: BTreeMap<UserName, BTreeSet<GroupName>>,
}
