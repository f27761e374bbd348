//! Users: list, read, create, delete, with JupyterHub's scope checks.

use std::collections::{BTreeMap, BTreeSet};

use ganymede_db::{
    DbError, Memberships, Page, Pagination, ServerRow, UserQuery, UserRow, UserSort, UserState,
};
use ganymede_types::scope::{BuiltinScope, Grant, Resource, ResourceKind, ScopeName};
use ganymede_types::{FullServerName, GroupName, ServerName, UserName};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::{Identity, Principal};
use crate::model::{ServerModel, Urls, UserExtras, UserModel, server_model, user_model};

mod list;

/// `GET /users` parameters, already validated by the web layer.
#[derive(Debug, Clone, Default)]
pub struct UserListQuery {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u32,
    /// `state=ready|active|inactive`.
    pub state: Option<UserState>,
    /// Case-insensitive substring of the name.
    pub name_filter: Option<String>,
    /// Sort key and direction.
    pub sort: UserSort,
    /// Descending sort.
    pub descending: bool,
    /// `include_stopped_servers`: list stopped servers in each model's `servers` too.
    pub include_stopped_servers: bool,
}

/// `POST /users`.
#[derive(Debug, Clone)]
pub struct NewUsers {
    /// Names to create.
    pub usernames: Vec<String>,
    /// Make them admins.
    pub admin: bool,
}

const READ_ANY: [BuiltinScope; 6] = [
    BuiltinScope::ReadUsers,
    BuiltinScope::ReadUsersName,
    BuiltinScope::ReadServers,
    BuiltinScope::ReadUsersGroups,
    BuiltinScope::ReadUsersActivity,
    BuiltinScope::ReadRolesUsers,
];

/// JupyterHub's bare `HTTPError(404)`; the web layer renders its reason phrase as a `null` message.
pub(crate) fn not_found() -> CoreError {
    CoreError::NotFound("Not Found".to_owned())
}

/// The user named in a path, and the resource its scope filters match; a name no user can
/// have is simply not found.
pub(crate) fn user_resource(name: &str) -> Result<(UserName, Resource), CoreError> {
    let user = UserName::new(name).map_err(|_| not_found())?;
    Ok((user.clone(), Resource::User(user)))
}

/// What a caller already fetched about a user, so [`Hub::extras`] does not ask again; a list
/// fetches it for the whole page in one query per kind.
#[derive(Debug, Default)]
pub(crate) struct Known {
    /// The user's group names, sorted.
    pub(crate) groups: Option<Vec<String>>,
    /// The user's role names (direct and through groups), without the default roles.
    pub(crate) roles: Option<Vec<String>>,
    /// The user's active servers (ignored with `include_stopped_servers`).
    pub(crate) active: Option<Vec<ServerRow>>,
}

impl Hub {
    pub(crate) async fn extras(
        &self,
        identity: &Identity,
        row: &UserRow,
        include_stopped_servers: bool,
        known: Known,
    ) -> Result<UserExtras, CoreError> {
        let resource = UserName::new(row.name.as_str()).ok().map(Resource::User);
        let wants = |scope: BuiltinScope| identity.allows(scope, resource.as_ref());
        let want_groups = wants(BuiltinScope::ReadUsers) || wants(BuiltinScope::ReadUsersGroups);
        let want_roles = wants(BuiltinScope::ReadUsers) || wants(BuiltinScope::ReadRolesUsers);
        let mut known = known;
        if (want_groups && known.groups.is_none()) || (want_roles && known.roles.is_none()) {
            // Both in one query: what one costs is mostly the round trip.
            let found = self
                .db
                .memberships_of_users(&[row.id])
                .await?
                .remove(&row.id)
                .unwrap_or_default();
            known.groups.get_or_insert(found.groups);
            known.roles.get_or_insert(found.roles);
        }
        let mut extras = UserExtras::default();
        if want_groups {
            extras.groups = known.groups.unwrap_or_default();
        }
        if want_roles {
            let mut roles: BTreeSet<String> = BTreeSet::from(["user".to_owned()]);
            if row.admin {
                roles.insert("admin".to_owned());
            }
            roles.extend(known.roles.unwrap_or_default());
            extras.roles = roles.into_iter().collect();
        }
        if let Ok(user) = UserName::new(row.name.as_str()) {
            let rows = match (include_stopped_servers, known.active) {
                (true, _) => self.all_servers(row).await?,
                (false, Some(active)) => active,
                (false, None) => self.db.active_servers_of(&[row.id]).await?,
            };
            extras.servers = self.server_models(identity, &user, &rows, include_stopped_servers);
        }
        Ok(extras)
    }

    async fn all_servers(&self, row: &UserRow) -> Result<Vec<ServerRow>, CoreError> {
        let mut rows = Vec::new();
        loop {
            let page = self
                .db
                .list_servers(row.id, Pagination::new(rows.len() as u64, 1000))
                .await?;
            let done =
                page.items.is_empty() || rows.len() as u64 + page.items.len() as u64 >= page.total;
            rows.extend(page.items);
            if done {
                break;
            }
        }
        Ok(rows)
    }

    /// The models of `rows` the caller may read, by name; with `include_stopped`, the default
    /// server is always there, as JupyterHub creates its record with the user.
    fn server_models(
        &self,
        identity: &Identity,
        user: &UserName,
        rows: &[ServerRow],
        include_stopped: bool,
    ) -> BTreeMap<String, ServerModel> {
        let urls = Urls {
            base_url: &self.settings().base_url,
        };
        let mut servers = BTreeMap::new();
        let default = rows.iter().any(|r| r.name.is_empty());
        let names = (include_stopped && !default)
            .then_some(None)
            .into_iter()
            .chain(rows.iter().map(Some));
        for server in names {
            let name = server.map_or("", |r| r.name.as_str());
            let Ok(server_name) = ServerName::new(name) else {
                continue;
            };
            let resource = Resource::Server(FullServerName::new(user.clone(), server_name));
            if identity.allows(BuiltinScope::ReadServers, Some(&resource)) {
                servers.insert(
                    name.to_owned(),
                    server_model(identity, urls, user, name, server),
                );
            }
        }
        servers
    }

    pub(crate) async fn model(
        &self,
        identity: &Identity,
        row: &UserRow,
        include_stopped_servers: bool,
    ) -> Result<UserModel, CoreError> {
        let extras = self
            .extras(identity, row, include_stopped_servers, Known::default())
            .await?;
        Ok(user_model(identity, row, extras))
    }

    /// Learns the target user's groups, so `!group=` filtered scopes can match them.
    pub(crate) async fn with_groups(
        &self,
        identity: &Identity,
        user: &UserName,
    ) -> Result<Identity, CoreError> {
        let mut identity = identity.clone();
        // Membership only matters to `!group=` filters: without one, skip the query (every
        // activity post and server request comes through here).
        if !group_filtered(&identity) {
            return Ok(identity);
        }
        let groups = match self.db.user_group_names(user.as_str()).await {
            Ok(groups) => groups
                .into_iter()
                .filter_map(|g| GroupName::new(g).ok())
                .collect(),
            // The scope check still runs for a missing user, so the caller gets 404 or 403
            // exactly as for an existing one.
            Err(DbError::UserNotFound { .. }) => BTreeSet::new(),
            Err(error) => return Err(error.into()),
        };
        identity.learn_groups(user.clone(), groups);
        Ok(identity)
    }

    /// `GET /users`: a page of user models and the total.
    pub async fn list_users(
        &self,
        identity: &Identity,
        query: &UserListQuery,
    ) -> Result<(Vec<UserModel>, u64), CoreError> {
        let grant = identity.scopes.check_list(BuiltinScope::ListUsers)?;
        let db_query = UserQuery {
            page: Pagination::new(query.offset, query.limit),
            name_filter: query.name_filter.clone(),
            state: query.state,
            sort: query.sort,
            descending: query.descending,
        };
        let page: Page<UserRow> = match grant {
            Grant::All => {
                let listed = self
                    .db
                    .user_page(&db_query, !query.include_stopped_servers)
                    .await?;
                let models = self
                    .models_with(
                        identity,
                        &listed.page.items,
                        query.include_stopped_servers,
                        listed.memberships,
                        listed.active_servers,
                    )
                    .await?;
                return Ok((models, listed.page.total));
            }
            Grant::Only(set) => {
                if !set.has_only(&[ResourceKind::User, ResourceKind::Group]) {
                    return Err(CoreError::Denied(
                        ganymede_types::scope::Denied::Forbidden {
                            required: vec![ScopeName::from(BuiltinScope::ListUsers)],
                        },
                    ));
                }
                self.filtered_users(
                    set.users().iter().map(UserName::as_str),
                    set.groups().iter().map(GroupName::as_str),
                    &db_query,
                )
                .await?
            }
        };
        let models = self
            .models_of(identity, &page.items, query.include_stopped_servers)
            .await?;
        Ok((models, page.total))
    }

    /// `GET /users/{name}`: the model, with the decrypted auth_state for a caller holding
    /// `admin:auth_state` on the user.
    pub async fn get_user(
        &self,
        identity: &Identity,
        name: &str,
        include_stopped_servers: bool,
    ) -> Result<UserModel, CoreError> {
        let (user, resource) = user_resource(name)?;
        // The row, its groups and roles and its active servers on one connection; the scope
        // check still runs for a missing user (no groups), so the caller gets 404 or 403
        // exactly as for an existing one.
        let detail = self.db.user_detail(user.as_str()).await?;
        let (row, memberships, active) = match detail {
            Some(d) => (Some(d.row), d.memberships, Some(d.active_servers)),
            None => (None, Memberships::default(), None),
        };
        let mut identity = identity.clone();
        identity.learn_groups(user, group_set(&memberships.groups));
        let any_of: Vec<ScopeName> = READ_ANY.iter().map(|s| ScopeName::from(*s)).collect();
        identity.check(&any_of, Some(&resource))?;
        let row = row.ok_or_else(not_found)?;
        let known = Known {
            groups: Some(memberships.groups),
            roles: Some(memberships.roles),
            active,
        };
        let mut extras = self
            .extras(&identity, &row, include_stopped_servers, known)
            .await?;
        if identity.allows(BuiltinScope::AdminAuthState, Some(&resource)) {
            extras.auth_state = self.auth_state(&row).await?;
        }
        Ok(user_model(&identity, &row, extras))
    }

    /// The user's row, or JupyterHub's bare 404.
    pub(crate) async fn existing_user(&self, user: &UserName) -> Result<UserRow, CoreError> {
        self.db.get_user(user.as_str()).await?.ok_or_else(not_found)
    }

    /// `POST /users` and `POST /users/{name}`: creates the users that do not exist yet.
    pub async fn create_users(
        &self,
        identity: &Identity,
        new: &NewUsers,
    ) -> Result<Vec<UserModel>, CoreError> {
        identity.check(&[ScopeName::from(BuiltinScope::AdminUsers)], None)?;
        if new.admin && !is_admin(identity) {
            return Err(CoreError::Forbidden(
                "Only admins can grant admin permissions".to_owned(),
            ));
        }
        let mut invalid = Vec::new();
        let mut names = Vec::new();
        for raw in &new.usernames {
            match self.normalize_username(raw) {
                Ok(name) => names.push(name),
                Err(normalized) => invalid.push(normalized),
            }
        }
        match invalid.as_slice() {
            [] => {}
            [one] => return Err(CoreError::BadRequest(format!("Invalid username: {one}"))),
            many => {
                return Err(CoreError::BadRequest(format!(
                    "Invalid usernames: {}",
                    many.join(", ")
                )));
            }
        }
        // One query for the names already taken (the database skips them again inside its
        // transaction, so a concurrent creation cannot slip in between).
        let given: Vec<&str> = names.iter().map(UserName::as_str).collect();
        let taken = self.db.existing_user_names(&given).await?;
        let mut fresh: Vec<&str> = Vec::new();
        for name in given {
            if !taken.contains(name) && !fresh.contains(&name) {
                fresh.push(name);
            }
        }
        if fresh.is_empty() {
            return Err(CoreError::Conflict(format!(
                "All {} users already exist",
                names.len()
            )));
        }
        let rows = match self.db.create_users(&fresh, new.admin).await {
            Ok(rows) => rows,
            Err(DbError::UserExists { .. }) => {
                return Err(CoreError::Conflict("User already exists".to_owned()));
            }
            Err(error) => return Err(error.into()),
        };
        for row in &rows {
            tracing::info!(user = %row.name, admin = row.admin, by = identity.name(), "created user");
        }
        self.models_of(identity, &rows, false).await
    }

    /// `DELETE /users/{name}`.
    pub async fn delete_user(&self, identity: &Identity, name: &str) -> Result<(), CoreError> {
        let (user, resource) = user_resource(name)?;
        let identity = self.with_groups(identity, &user).await?;
        identity.check(
            &[ScopeName::from(BuiltinScope::DeleteUsers)],
            Some(&resource),
        )?;
        if matches!(&identity.principal, Principal::User(me) if me.name == name) {
            return Err(CoreError::BadRequest("Cannot delete yourself!".to_owned()));
        }
        match self.db.delete_user(user.as_str()).await {
            Ok(()) => {
                tracing::info!(user = %name, by = identity.name(), "deleted user");
                Ok(())
            }
            Err(DbError::UserNotFound { .. }) => Err(not_found()),
            Err(error) => Err(error.into()),
        }
    }
}

/// Whether any of the caller's scopes is filtered by group (`!group=`), the only scopes whose
/// checks need to know a user's groups.
fn group_filtered(identity: &Identity) -> bool {
    identity
        .scopes
        .iter()
        .any(|(_, grant)| matches!(grant, Grant::Only(set) if !set.groups().is_empty()))
}

/// Group names as a scope check matches them; a name no group can have matches nothing.
pub(crate) fn group_set(names: &[String]) -> BTreeSet<GroupName> {
    names
        .iter()
        .filter_map(|g| GroupName::new(g.as_str()).ok())
        .collect()
}

/// JupyterHub's `current_user.admin`: the admin flag of the user or service, not any scope;
/// holding `admin:users` is not enough to make or edit admins.
pub(crate) fn is_admin(identity: &Identity) -> bool {
    match &identity.principal {
        Principal::User(user) => user.admin,
        Principal::Service(service) => service.admin,
    }
}
