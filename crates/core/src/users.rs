//! Users: list, read, create, delete, with JupyterHub's scope checks.

use std::collections::{BTreeSet, HashMap};

use ganymede_db::{
    DbError, Page, Pagination, ServerRow, ServerState, UserId, UserQuery, UserRow, UserSort,
    UserState,
};
use ganymede_types::scope::{BuiltinScope, Grant, Resource, ResourceKind, ScopeName};
use ganymede_types::{FullServerName, GroupName, ServerName, UserName};
use serde_json::Value;

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::{Identity, Principal};
use crate::model::{Urls, UserExtras, server_model, user_model};

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

impl Hub {
    pub(crate) async fn extras(
        &self,
        identity: &Identity,
        row: &UserRow,
        include_stopped_servers: bool,
        active: Option<Vec<ServerRow>>,
    ) -> Result<UserExtras, CoreError> {
        let resource = UserName::new(row.name.as_str()).ok().map(Resource::User);
        let wants = |scope: BuiltinScope| identity.allows(scope, resource.as_ref());
        let mut extras = UserExtras::default();
        if wants(BuiltinScope::ReadUsers) || wants(BuiltinScope::ReadUsersGroups) {
            extras.groups = self.db.user_group_names(&row.name).await?;
        }
        if wants(BuiltinScope::ReadUsers) || wants(BuiltinScope::ReadRolesUsers) {
            let mut roles: BTreeSet<String> = BTreeSet::from(["user".to_owned()]);
            if row.admin {
                roles.insert("admin".to_owned());
            }
            roles.extend(
                self.db
                    .user_roles(&row.name)
                    .await?
                    .into_iter()
                    .map(|r| r.name),
            );
            extras.roles = roles.into_iter().collect();
        }
        if let Ok(user) = UserName::new(row.name.as_str()) {
            let rows = match (include_stopped_servers, active) {
                (true, _) => self.all_servers(row).await?,
                (false, Some(active)) => active,
                (false, None) => {
                    let mut rows = self.all_servers(row).await?;
                    rows.retain(|r| !matches!(r.state, ServerState::Stopped | ServerState::Failed));
                    rows
                }
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
    ) -> serde_json::Map<String, Value> {
        let urls = Urls {
            base_url: &self.settings().base_url,
        };
        let mut servers = serde_json::Map::new();
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
    ) -> Result<Value, CoreError> {
        let extras = self
            .extras(identity, row, include_stopped_servers, None)
            .await?;
        Ok(user_model(identity, row, &extras))
    }

    /// Learns the target user's groups, so `!group=` filtered scopes can match them.
    pub(crate) async fn with_groups(
        &self,
        identity: &Identity,
        user: &UserName,
    ) -> Result<Identity, CoreError> {
        let mut identity = identity.clone();
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

    /// The caller, knowing the groups of a listed user: `read:users!group=...` shows a member's
    /// fields in a listing as it does for `GET /users/{name}`.
    async fn knowing_groups_of(
        &self,
        identity: &Identity,
        row: &UserRow,
    ) -> Result<Identity, CoreError> {
        match UserName::new(row.name.as_str()) {
            Ok(user) => self.with_groups(identity, &user).await,
            Err(_) => Ok(identity.clone()),
        }
    }

    /// `GET /users`: a page of user models and the total.
    pub async fn list_users(
        &self,
        identity: &Identity,
        query: &UserListQuery,
    ) -> Result<(Vec<Value>, u64), CoreError> {
        let grant = identity.scopes.check_list(BuiltinScope::ListUsers)?;
        let db_query = UserQuery {
            page: Pagination::new(query.offset, query.limit),
            name_filter: query.name_filter.clone(),
            state: query.state,
            sort: query.sort,
            descending: query.descending,
        };
        let page: Page<UserRow> = match grant {
            Grant::All => self.db.list_users(&db_query).await?,
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
        // One query for the active servers of the whole page.
        let mut active: HashMap<UserId, Vec<ServerRow>> = HashMap::new();
        if !query.include_stopped_servers {
            let ids: Vec<UserId> = page.items.iter().map(|r| r.id).collect();
            for server in self.db.active_servers_of(&ids).await? {
                active.entry(server.user_id).or_default().push(server);
            }
        }
        let mut models = Vec::with_capacity(page.items.len());
        for row in &page.items {
            let identity = &self.knowing_groups_of(identity, row).await?;
            let servers = (!query.include_stopped_servers)
                .then(|| active.remove(&row.id).unwrap_or_default());
            let extras = self
                .extras(identity, row, query.include_stopped_servers, servers)
                .await?;
            models.push(user_model(identity, row, &extras));
        }
        Ok((models, page.total))
    }

    /// A filtered listing for callers whose `list:users` names users or groups: small sets,
    /// so they are gathered and paged here.
    async fn filtered_users<'a>(
        &self,
        users: impl Iterator<Item = &'a str>,
        groups: impl Iterator<Item = &'a str>,
        query: &UserQuery,
    ) -> Result<Page<UserRow>, CoreError> {
        let mut names: BTreeSet<String> = users.map(str::to_owned).collect();
        for group in groups {
            let mut offset = 0;
            loop {
                let members = self
                    .db
                    .group_members(group, Pagination::new(offset, 1000))
                    .await;
                let members = match members {
                    Ok(members) => members,
                    Err(DbError::GroupNotFound { .. }) => break,
                    Err(error) => return Err(error.into()),
                };
                let count = members.items.len() as u64;
                names.extend(members.items);
                offset += count;
                if count == 0 || offset >= members.total {
                    break;
                }
            }
        }
        let mut rows = Vec::new();
        for name in &names {
            if let Some(row) = self.db.get_user(name).await? {
                let keep = query
                    .name_filter
                    .as_ref()
                    .is_none_or(|f| row.name.to_lowercase().contains(&f.to_lowercase()));
                if keep {
                    rows.push(row);
                }
            }
        }
        let total = rows.len() as u64;
        let items = rows
            .into_iter()
            .skip(usize::try_from(query.page.offset).unwrap_or(usize::MAX))
            .take(query.page.limit as usize)
            .collect();
        Ok(Page {
            items,
            total,
            offset: query.page.offset,
            limit: query.page.limit,
        })
    }

    /// `GET /users/{name}`: the model, with the decrypted auth_state for a caller holding
    /// `admin:auth_state` on the user.
    pub async fn get_user(
        &self,
        identity: &Identity,
        name: &str,
        include_stopped_servers: bool,
    ) -> Result<Value, CoreError> {
        let (user, resource) = user_resource(name)?;
        let identity = self.with_groups(identity, &user).await?;
        let any_of: Vec<ScopeName> = READ_ANY.iter().map(|s| ScopeName::from(*s)).collect();
        identity.check(&any_of, Some(&resource))?;
        let row = self.existing_user(&user).await?;
        let mut extras = self
            .extras(&identity, &row, include_stopped_servers, None)
            .await?;
        if identity.allows(BuiltinScope::AdminAuthState, Some(&resource)) {
            extras.auth_state = self.auth_state(&row).await?;
        }
        Ok(user_model(&identity, &row, &extras))
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
    ) -> Result<Vec<Value>, CoreError> {
        identity.check(&[ScopeName::from(BuiltinScope::AdminUsers)], None)?;
        if new.admin && !is_admin(identity) {
            return Err(CoreError::Forbidden(
                "Only admins can grant admin permissions".to_owned(),
            ));
        }
        let mut invalid = Vec::new();
        let mut names = Vec::new();
        for raw in &new.usernames {
            match UserName::new(raw.as_str()) {
                Ok(name) => names.push(name),
                Err(_) => invalid.push(raw.clone()),
            }
        }
        if !invalid.is_empty() {
            return Err(CoreError::BadRequest(format!(
                "Invalid usernames: {invalid:?}"
            )));
        }
        let mut fresh = Vec::new();
        for name in &names {
            if self.db.get_user(name.as_str()).await?.is_none() && !fresh.contains(&name.as_str()) {
                fresh.push(name.as_str());
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
        let mut models = Vec::with_capacity(rows.len());
        for row in &rows {
            tracing::info!(user = %row.name, admin = row.admin, by = identity.name(), "created user");
            models.push(self.model(identity, row, false).await?);
        }
        Ok(models)
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

/// JupyterHub's `current_user.admin`: the admin flag of the user or service, not any scope;
/// holding `admin:users` is not enough to make or edit admins.
pub(crate) fn is_admin(identity: &Identity) -> bool {
    match &identity.principal {
        Principal::User(user) => user.admin,
        Principal::Service(service) => service.admin,
    }
}
