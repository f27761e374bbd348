//! What the config loads into the database at startup (JupyterHub's `init_role_creation`,
//! `init_users`, `init_groups`, `init_services` and `init_role_assignment`), idempotently.
//!
//! Nothing here walks the users table: every query is bounded by the lists in the config.

mod services;

use std::collections::{BTreeMap, BTreeSet};

use ganymede_db::{DbError, HolderKind, RoleSpec};
use ganymede_types::roles::{DEFAULT_ROLES, DefaultRole};
use ganymede_types::{GroupName, RoleName, UserName};
use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::hub::{Hub, Loaded};

pub(crate) use services::ServiceOrigin;
pub use services::StartupService;

/// Everything loaded at startup, in plain types (the binary maps its config to these).
#[derive(Debug, Clone, Default)]
pub struct StartupState {
    /// `authenticator.admin_users`: created if missing, made admins.
    pub admin_users: Vec<String>,
    /// `authenticator.allowed_users`: created if missing (JupyterHub adds them to the database).
    pub allowed_users: Vec<String>,
    /// `hub.load_groups`.
    pub groups: Vec<StartupGroup>,
    /// `hub.load_roles`, in order.
    pub roles: Vec<StartupRole>,
    /// `hub.services`, in order.
    pub services: Vec<StartupService>,
}

/// One group of `hub.load_groups`.
#[derive(Debug, Clone, Default)]
pub struct StartupGroup {
    /// The group's name.
    pub name: String,
    /// Members to add (never removed).
    pub users: Vec<String>,
    /// When given, they replace the stored properties.
    pub properties: Option<Map<String, Value>>,
}

/// One role of `hub.load_roles`.
#[derive(Debug, Clone, Default)]
pub struct StartupRole {
    /// The role's name; a default role's name redefines that role.
    pub name: String,
    /// Its description; unset keeps a default role's.
    pub description: Option<String>,
    /// Its scopes; unset keeps a default role's.
    pub scopes: Option<Vec<String>>,
    /// Exactly the users who hold it; for the `user` role, `None` leaves membership alone.
    pub users: Option<Vec<String>>,
    /// Exactly the groups that hold it.
    pub groups: Vec<String>,
    /// Exactly the services that hold it; each must be defined in `hub.services`.
    pub services: Vec<String>,
}

fn key_roles(i: usize, field: &str) -> String {
    format!("hub.load_roles[{i}].{field}")
}

impl Hub {
    /// Loads the config's users, roles, groups and services into the database. Running it twice
    /// with the same state changes nothing; a setting that cannot be loaded is a
    /// [`CoreError::Config`] naming its key.
    pub async fn load_startup_state(&self, state: &StartupState) -> Result<(), CoreError> {
        let loaded = self.check_roles(&state.roles)?;
        self.load_users(state).await?;
        self.load_groups(&state.groups).await?;
        let commands = self.load_services(&state.services).await?;
        // JupyterHub merges admin_users into an admin role that lists its users.
        let mut roles = state.roles.clone();
        for role in roles.iter_mut().filter(|r| r.name == "admin") {
            if let Some(users) = &mut role.users {
                users.extend(state.admin_users.iter().cloned());
            }
        }
        self.load_roles(&roles, &loaded).await?;
        self.set_loaded(Loaded {
            default_roles: loaded,
            service_commands: commands,
        });
        Ok(())
    }

    /// Validates `load_roles` before anything is written; returns the redefined default roles.
    fn check_roles(
        &self,
        roles: &[StartupRole],
    ) -> Result<BTreeMap<String, Vec<String>>, CoreError> {
        let mut seen = BTreeSet::new();
        let mut overrides = BTreeMap::new();
        for (i, role) in roles.iter().enumerate() {
            RoleName::new(role.name.as_str())
                .map_err(|e| CoreError::config(key_roles(i, "name"), e))?;
            if !seen.insert(role.name.as_str()) {
                return Err(CoreError::config(
                    key_roles(i, "name"),
                    format!("role {} is defined more than once", role.name),
                ));
            }
            for scope in role.scopes.iter().flatten() {
                self.registry
                    .parse(scope)
                    .map_err(|e| CoreError::config(key_roles(i, "scopes"), e))?;
            }
            if let Some(default) = DefaultRole::find(&role.name) {
                if role.name == "admin" {
                    let same_scopes = role.scopes.as_ref().is_none_or(|s| {
                        s.iter()
                            .map(String::as_str)
                            .eq(default.scopes.iter().copied())
                    });
                    let same_description = role
                        .description
                        .as_deref()
                        .is_none_or(|d| d == default.description);
                    if !same_scopes || !same_description {
                        return Err(CoreError::config(
                            key_roles(i, "scopes"),
                            "the admin role's description and scopes cannot be redefined",
                        ));
                    }
                } else if let Some(scopes) = &role.scopes {
                    if role.name == "user" && !scopes.iter().any(|s| s == "self") {
                        tracing::warn!(
                            "the user role is redefined without 'self'; users may lack permissions they need"
                        );
                    }
                    overrides.insert(role.name.clone(), scopes.clone());
                }
            }
        }
        Ok(overrides)
    }

    async fn ensure_user(&self, name: &str, key: &str, admin: bool) -> Result<(), CoreError> {
        let user = UserName::new(name).map_err(|e| CoreError::config(key, e))?;
        match self.db.get_user(user.as_str()).await? {
            Some(row) if admin && !row.admin => {
                self.db.set_user_admin(user.as_str(), true).await?;
                tracing::info!(user = %user, "made an admin from the config");
            }
            Some(_) => {}
            None => match self.db.create_user(user.as_str(), admin).await {
                Ok(_) => tracing::info!(user = %user, admin, "created a user from the config"),
                // Another hub process created it first.
                Err(DbError::UserExists { .. }) => {}
                Err(error) => return Err(error.into()),
            },
        }
        Ok(())
    }

    async fn load_users(&self, state: &StartupState) -> Result<(), CoreError> {
        for name in &state.admin_users {
            self.ensure_user(name, "authenticator.admin_users", true)
                .await?;
        }
        for name in &state.allowed_users {
            self.ensure_user(name, "authenticator.allowed_users", false)
                .await?;
        }
        Ok(())
    }

    async fn load_groups(&self, groups: &[StartupGroup]) -> Result<(), CoreError> {
        for group in groups {
            let key = format!("hub.load_groups.{}", group.name);
            GroupName::new(group.name.as_str()).map_err(|e| CoreError::config(&key, e))?;
            let row = match self.db.get_group(&group.name).await? {
                Some(row) => row,
                None => {
                    tracing::info!(group = %group.name, "created a group from the config");
                    self.db.create_group(&group.name, None).await?
                }
            };
            for user in &group.users {
                self.ensure_user(user, &format!("{key}.users"), false)
                    .await?;
            }
            let members: Vec<&str> = group.users.iter().map(String::as_str).collect();
            if !members.is_empty() {
                self.db.add_group_members(&group.name, &members).await?;
            }
            if let Some(properties) = &group.properties {
                let properties = Value::Object(properties.clone());
                if row.properties != properties {
                    self.db
                        .set_group_properties(&group.name, &properties)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Creates or updates the roles, deletes roles no longer configured, and sets each
    /// configured role's holders exactly.
    async fn load_roles(
        &self,
        roles: &[StartupRole],
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<(), CoreError> {
        let configured: BTreeSet<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        let mut stale = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .db
                .list_roles(ganymede_db::Pagination::new(offset, 1000))
                .await?;
            offset += page.items.len() as u64;
            stale.extend(
                page.items
                    .into_iter()
                    .filter(|r| {
                        !configured.contains(r.name.as_str())
                            && DefaultRole::find(&r.name).is_none()
                    })
                    .map(|r| r.name),
            );
            if offset >= page.total || page.total == 0 {
                break;
            }
        }
        for name in stale {
            tracing::warn!(role = %name, "deleting a role no longer in the config");
            self.db.delete_role(&name).await?;
        }
        for (i, role) in roles.iter().enumerate() {
            let default = DEFAULT_ROLES.iter().find(|d| d.name == role.name);
            let scopes = match (&role.scopes, default) {
                (Some(scopes), _) => scopes.clone(),
                (None, Some(_)) => overrides
                    .get(&role.name)
                    .cloned()
                    .unwrap_or_else(|| self.default_role_scopes_raw(&role.name)),
                (None, None) => Vec::new(),
            };
            let description = role
                .description
                .clone()
                .or_else(|| default.map(|d| d.description.to_owned()))
                .unwrap_or_default();
            self.db
                .upsert_role(&RoleSpec {
                    name: role.name.clone(),
                    description,
                    scopes,
                    managed_by_config: true,
                })
                .await?;
            if let Some(users) = &role.users {
                for user in users {
                    self.ensure_user(user, &key_roles(i, "users"), role.name == "admin")
                        .await?;
                }
                let names: Vec<&str> = users.iter().map(String::as_str).collect();
                self.db
                    .set_role_holders(&role.name, HolderKind::User, &names)
                    .await?;
            } else if role.name != "user" {
                self.db
                    .set_role_holders(&role.name, HolderKind::User, &[])
                    .await?;
            }
            for group in &role.groups {
                GroupName::new(group.as_str())
                    .map_err(|e| CoreError::config(key_roles(i, "groups"), e))?;
                if self.db.get_group(group).await?.is_none() {
                    tracing::info!(%group, role = %role.name, "created a group found in a role");
                    self.db.create_group(group, None).await?;
                }
            }
            let groups: Vec<&str> = role.groups.iter().map(String::as_str).collect();
            self.db
                .set_role_holders(&role.name, HolderKind::Group, &groups)
                .await?;
            for service in &role.services {
                if self.db.get_service(service).await?.is_none() {
                    return Err(CoreError::config(
                        key_roles(i, "services"),
                        format!("undefined service {service}; define it first in hub.services"),
                    ));
                }
            }
            let services: Vec<&str> = role.services.iter().map(String::as_str).collect();
            self.db
                .set_role_holders(&role.name, HolderKind::Service, &services)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
