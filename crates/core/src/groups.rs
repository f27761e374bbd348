//! Groups: list, read, create, delete, membership and properties, with JupyterHub's scope checks.

use std::collections::BTreeSet;

use ganymede_db::{DbError, GroupRow, Pagination, RoleHolder};
use ganymede_types::GroupName;
use ganymede_types::scope::{BuiltinScope, Denied, Grant, Resource, ResourceKind, ScopeName};
use serde_json::{Map, Value, json};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;

const READ_ANY: [BuiltinScope; 3] = [
    BuiltinScope::ReadGroups,
    BuiltinScope::ReadGroupsName,
    BuiltinScope::ReadRolesGroups,
];

fn group_resource(name: &str) -> Result<(GroupName, Resource), CoreError> {
    let group = GroupName::new(name).map_err(|e| CoreError::BadRequest(e.to_string()))?;
    Ok((group.clone(), Resource::Group(group)))
}

fn scope_names(scopes: &[BuiltinScope]) -> Vec<ScopeName> {
    scopes.iter().map(|s| ScopeName::from(*s)).collect()
}

fn no_such_group(error: DbError) -> CoreError {
    match error {
        DbError::GroupNotFound { name } => CoreError::NotFound(format!("No such group: {name}")),
        DbError::UserNotFound { name } => CoreError::BadRequest(format!("No such user: {name}")),
        other => other.into(),
    }
}

impl Hub {
    async fn all_members(&self, group: &str) -> Result<Vec<String>, CoreError> {
        let mut members = Vec::new();
        loop {
            let page = self
                .db
                .group_members(group, Pagination::new(members.len() as u64, 1000))
                .await
                .map_err(no_such_group)?;
            let done = page.items.is_empty()
                || members.len() as u64 + page.items.len() as u64 >= page.total;
            members.extend(page.items);
            if done {
                return Ok(members);
            }
        }
    }

    /// The group model as `identity` may see it (JupyterHub's `group_model`).
    async fn group_model(&self, identity: &Identity, row: &GroupRow) -> Result<Value, CoreError> {
        let resource = GroupName::new(row.name.as_str()).ok().map(Resource::Group);
        let held = |scope: BuiltinScope| identity.allows(scope, resource.as_ref());
        let mut model = Map::new();
        model.insert("kind".to_owned(), json!("group"));
        model.insert("name".to_owned(), json!(row.name));
        if held(BuiltinScope::ReadGroups) {
            model.insert("properties".to_owned(), row.properties.clone());
            model.insert(
                "users".to_owned(),
                json!(self.all_members(&row.name).await?),
            );
        }
        if held(BuiltinScope::ReadRolesGroups) {
            let roles: BTreeSet<String> = self
                .db
                .holder_roles(RoleHolder::Group(&row.name))
                .await?
                .into_iter()
                .map(|r| r.name)
                .collect();
            model.insert("roles".to_owned(), json!(roles));
        }
        Ok(Value::Object(model))
    }

    async fn existing_group(&self, name: &str) -> Result<GroupRow, CoreError> {
        self.db
            .get_group(name)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("No such group: {name}")))
    }

    /// `GET /groups`: a page of group models and the total.
    pub async fn list_groups(
        &self,
        identity: &Identity,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<Value>, u64), CoreError> {
        let rows: Vec<GroupRow>;
        let total;
        match identity.scopes.check_list(BuiltinScope::ListGroups)? {
            Grant::All => {
                let page = self.db.list_groups(Pagination::new(offset, limit)).await?;
                total = page.total;
                rows = page.items;
            }
            Grant::Only(set) => {
                if !set.has_only(&[ResourceKind::Group]) {
                    return Err(CoreError::Denied(Denied::Forbidden {
                        required: scope_names(&[BuiltinScope::ListGroups]),
                    }));
                }
                let mut found = Vec::new();
                for name in set.groups() {
                    if let Some(row) = self.db.get_group(name.as_str()).await? {
                        found.push(row);
                    }
                }
                total = found.len() as u64;
                rows = found
                    .into_iter()
                    .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                    .take(limit as usize)
                    .collect();
            }
        }
        let mut models = Vec::with_capacity(rows.len());
        for row in &rows {
            models.push(self.group_model(identity, row).await?);
        }
        Ok((models, total))
    }

    /// `GET /groups/{name}`.
    pub async fn get_group(&self, identity: &Identity, name: &str) -> Result<Value, CoreError> {
        let (_, resource) = group_resource(name)?;
        identity.check(&scope_names(&READ_ANY), Some(&resource))?;
        let row = self.existing_group(name).await?;
        self.group_model(identity, &row).await
    }

    /// `POST /groups` and `POST /groups/{name}`: creates groups, optionally with members.
    pub async fn create_groups(
        &self,
        identity: &Identity,
        names: &[String],
        users: &[String],
    ) -> Result<Vec<Value>, CoreError> {
        identity.check(&scope_names(&[BuiltinScope::AdminGroups]), None)?;
        for name in names {
            group_resource(name)?;
            if self.db.get_group(name).await?.is_some() {
                return Err(CoreError::Conflict(format!("Group {name} already exists")));
            }
        }
        // Unknown members refuse the request before any group exists (JupyterHub's
        // `_usernames_to_users` runs first).
        for user in users {
            if self.db.get_user(user).await?.is_none() {
                return Err(CoreError::BadRequest(format!("No such user: {user}")));
            }
        }
        let members: Vec<&str> = users.iter().map(String::as_str).collect();
        let mut models = Vec::with_capacity(names.len());
        for name in names {
            let row = match self.db.create_group(name, None).await {
                Ok(row) => row,
                Err(DbError::GroupExists { name }) => {
                    return Err(CoreError::Conflict(format!("Group {name} already exists")));
                }
                Err(error) => return Err(error.into()),
            };
            if !members.is_empty() {
                self.db
                    .add_group_members(name, &members)
                    .await
                    .map_err(no_such_group)?;
            }
            tracing::info!(group = %name, by = identity.name(), "created group");
            models.push(self.group_model(identity, &row).await?);
        }
        Ok(models)
    }

    /// `DELETE /groups/{name}`.
    pub async fn delete_group(&self, identity: &Identity, name: &str) -> Result<(), CoreError> {
        let (_, resource) = group_resource(name)?;
        identity.check(&scope_names(&[BuiltinScope::DeleteGroups]), Some(&resource))?;
        self.db.delete_group(name).await.map_err(no_such_group)?;
        tracing::info!(group = %name, by = identity.name(), "deleted group");
        Ok(())
    }

    /// `POST` and `DELETE /groups/{name}/users`.
    pub async fn change_group_members(
        &self,
        identity: &Identity,
        name: &str,
        users: &[String],
        add: bool,
    ) -> Result<Value, CoreError> {
        let (_, resource) = group_resource(name)?;
        identity.check(&scope_names(&[BuiltinScope::Groups]), Some(&resource))?;
        let row = self.existing_group(name).await?;
        let users: Vec<&str> = users.iter().map(String::as_str).collect();
        if add {
            self.db
                .add_group_members(name, &users)
                .await
                .map_err(no_such_group)?;
        } else {
            self.db
                .remove_group_members(name, &users)
                .await
                .map_err(no_such_group)?;
        }
        self.group_model(identity, &row).await
    }

    /// `PUT /groups/{name}/properties`.
    pub async fn set_group_properties(
        &self,
        identity: &Identity,
        name: &str,
        properties: &Value,
    ) -> Result<Value, CoreError> {
        let (_, resource) = group_resource(name)?;
        identity.check(&scope_names(&[BuiltinScope::Groups]), Some(&resource))?;
        if !properties.is_object() {
            return Err(CoreError::BadRequest(
                "group properties must be a JSON object".to_owned(),
            ));
        }
        self.db
            .set_group_properties(name, properties)
            .await
            .map_err(no_such_group)?;
        let row = self.existing_group(name).await?;
        self.group_model(identity, &row).await
    }
}
