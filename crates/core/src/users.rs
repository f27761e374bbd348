//! Users: list, read, create, delete, with JupyterHub's scope checks.

use std::collections::BTreeSet;

use ganymede_db::{DbError, Page, Pagination, UserQuery, UserRow, UserSort, UserState};
use ganymede_types::scope::{BuiltinScope, Grant, Resource, ResourceKind, ScopeName};
use ganymede_types::{GroupName, UserName};
use serde_json::Value;

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::{Identity, Principal};
use crate::model::{UserExtras, user_model};

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

fn user_resource(name: &str) -> Result<(UserName, Resource), CoreError> {
    let user =
        UserName::new(name).map_err(|_| CoreError::NotFound(format!("No such user: {name}")))?;
    Ok((user.clone(), Resource::User(user)))
}

impl Hub {
    async fn extras(&self, identity: &Identity, row: &UserRow) -> Result<UserExtras, CoreError> {
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
        Ok(extras)
    }

    async fn model(&self, identity: &Identity, row: &UserRow) -> Result<Value, CoreError> {
        let extras = self.extras(identity, row).await?;
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
        let mut models = Vec::with_capacity(page.items.len());
        for row in &page.items {
            models.push(self.model(identity, row).await?);
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

    /// `GET /users/{name}`.
    pub async fn get_user(&self, identity: &Identity, name: &str) -> Result<Value, CoreError> {
        let (user, resource) = user_resource(name)?;
        let identity = self.with_groups(identity, &user).await?;
        let any_of: Vec<ScopeName> = READ_ANY.iter().map(|s| ScopeName::from(*s)).collect();
        identity.check(&any_of, Some(&resource))?;
        let row = self
            .db
            .get_user(user.as_str())
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("No such user: {name}")))?;
        self.model(&identity, &row).await
    }

    /// `POST /users` and `POST /users/{name}`: creates the users that do not exist yet.
    pub async fn create_users(
        &self,
        identity: &Identity,
        new: &NewUsers,
    ) -> Result<Vec<Value>, CoreError> {
        identity.check(&[ScopeName::from(BuiltinScope::AdminUsers)], None)?;
        if new.admin && !is_admin(identity) {
            return Err(CoreError::Denied(
                ganymede_types::scope::Denied::Forbidden {
                    required: vec![ScopeName::from(BuiltinScope::AdminUsers)],
                },
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
            models.push(self.model(identity, row).await?);
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
            Err(DbError::UserNotFound { .. }) => {
                Err(CoreError::NotFound(format!("No such user: {name}")))
            }
            Err(error) => Err(error.into()),
        }
    }
}

fn is_admin(identity: &Identity) -> bool {
    match &identity.principal {
        Principal::User(user) => user.admin,
        Principal::Service(service) => {
            service.admin || identity.allows(BuiltinScope::AdminUsers, None)
        }
    }
}
