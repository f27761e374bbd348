//! The table of built-in scopes, as defined in `jupyterhub/scopes.py` of JupyterHub 6.1.1:
//! each scope's name, description and implied subscopes.

/// A scope JupyterHub defines; see [`BuiltinScope::definition`] for its name and meaning.
///
/// The variants are in the order of `scope_definitions` in `jupyterhub/scopes.py`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuiltinScope {
    /// `(no_scope)`
    NoScope,
    /// `self`
    SelfScope,
    /// `inherit`
    Inherit,
    /// `admin-ui`
    AdminUi,
    /// `admin:users`
    AdminUsers,
    /// `admin:auth_state`
    AdminAuthState,
    /// `users`
    Users,
    /// `delete:users`
    DeleteUsers,
    /// `list:users`
    ListUsers,
    /// `read:users`
    ReadUsers,
    /// `read:users:name`
    ReadUsersName,
    /// `read:users:groups`
    ReadUsersGroups,
    /// `read:users:activity`
    ReadUsersActivity,
    /// `read:roles`
    ReadRoles,
    /// `read:roles:users`
    ReadRolesUsers,
    /// `read:roles:services`
    ReadRolesServices,
    /// `read:roles:groups`
    ReadRolesGroups,
    /// `users:activity`
    UsersActivity,
    /// `admin:servers`
    AdminServers,
    /// `admin:server_state`
    AdminServerState,
    /// `servers`
    Servers,
    /// `read:servers`
    ReadServers,
    /// `start:servers`
    StartServers,
    /// `delete:servers`
    DeleteServers,
    /// `tokens`
    Tokens,
    /// `read:tokens`
    ReadTokens,
    /// `admin:groups`
    AdminGroups,
    /// `groups`
    Groups,
    /// `list:groups`
    ListGroups,
    /// `read:groups`
    ReadGroups,
    /// `read:groups:name`
    ReadGroupsName,
    /// `delete:groups`
    DeleteGroups,
    /// `admin:services`
    AdminServices,
    /// `list:services`
    ListServices,
    /// `read:services`
    ReadServices,
    /// `read:services:name`
    ReadServicesName,
    /// `read:hub`
    ReadHub,
    /// `access:servers`
    AccessServers,
    /// `access:services`
    AccessServices,
    /// `users:shares`
    UsersShares,
    /// `read:users:shares`
    ReadUsersShares,
    /// `groups:shares`
    GroupsShares,
    /// `read:groups:shares`
    ReadGroupsShares,
    /// `read:shares`
    ReadShares,
    /// `shares`
    Shares,
    /// `proxy`
    Proxy,
    /// `shutdown`
    Shutdown,
    /// `read:metrics`
    ReadMetrics,
}

/// One row of the scope table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinDefinition {
    /// The scope this row defines.
    pub scope: BuiltinScope,
    /// The scope's name, as written in roles and tokens.
    pub name: &'static str,
    /// The description shown on the OAuth authorization page.
    pub description: &'static str,
    /// A longer description for the documentation, where JupyterHub has one.
    pub doc_description: Option<&'static str>,
    /// The scopes this one directly implies.
    pub subscopes: &'static [BuiltinScope],
}

use BuiltinScope as B;

const fn def(
    scope: BuiltinScope,
    name: &'static str,
    description: &'static str,
    doc_description: Option<&'static str>,
    subscopes: &'static [BuiltinScope],
) -> BuiltinDefinition {
    BuiltinDefinition {
        scope,
        name,
        description,
        doc_description,
        subscopes,
    }
}

/// The table, indexed by `BuiltinScope as usize`.
// One row per line reads as the table it is; rustfmt would spread each row over seven lines.
#[rustfmt::skip]
const DEFINITIONS: [BuiltinDefinition; 48] = [
    def(B::NoScope, "(no_scope)", "Identify the owner of the requesting entity.", None, &[]),
    def(B::SelfScope, "self", "Your own resources", Some("The user’s own resources _(metascope for users, resolves to (no_scope) for services)_"), &[]),
    def(B::Inherit, "inherit", "Anything you have access to", Some("Everything that the token-owning entity can access _(metascope for tokens)_"), &[]),
    def(B::AdminUi, "admin-ui", "Access the admin page.", Some("Access the admin page. Permission to take actions via the admin page granted separately."), &[]),
    def(B::AdminUsers, "admin:users", "Read, modify, create, and delete users and their authentication state, not including their servers or tokens. This is an extremely privileged scope and should be considered tantamount to superuser.", None, &[B::AdminAuthState, B::Users, B::ReadRolesUsers, B::DeleteUsers]),
    def(B::AdminAuthState, "admin:auth_state", "Read a user’s authentication state.", None, &[]),
    def(B::Users, "users", "Read and write permissions to user models (excluding servers, tokens and authentication state).", None, &[B::ReadUsers, B::ListUsers, B::UsersActivity]),
    def(B::DeleteUsers, "delete:users", "Delete users.", None, &[]),
    def(B::ListUsers, "list:users", "List users, including at least their names.", None, &[B::ReadUsersName]),
    def(B::ReadUsers, "read:users", "Read user models (including the URL of the default server if it is running).", None, &[B::ReadUsersName, B::ReadUsersGroups, B::ReadUsersActivity]),
    def(B::ReadUsersName, "read:users:name", "Read names of users.", None, &[]),
    def(B::ReadUsersGroups, "read:users:groups", "Read users’ group membership.", None, &[]),
    def(B::ReadUsersActivity, "read:users:activity", "Read time of last user activity.", None, &[]),
    def(B::ReadRoles, "read:roles", "Read role assignments.", None, &[B::ReadRolesUsers, B::ReadRolesServices, B::ReadRolesGroups]),
    def(B::ReadRolesUsers, "read:roles:users", "Read user role assignments.", None, &[]),
    def(B::ReadRolesServices, "read:roles:services", "Read service role assignments.", None, &[]),
    def(B::ReadRolesGroups, "read:roles:groups", "Read group role assignments.", None, &[]),
    def(B::UsersActivity, "users:activity", "Update time of last user activity.", None, &[B::ReadUsersActivity]),
    def(B::AdminServers, "admin:servers", "Read, start, stop, create and delete user servers and their state.", None, &[B::AdminServerState, B::Servers]),
    def(B::AdminServerState, "admin:server_state", "Read and write users’ server state.", None, &[]),
    def(B::Servers, "servers", "Start and stop user servers.", None, &[B::ReadServers, B::StartServers, B::DeleteServers]),
    def(B::ReadServers, "read:servers", "Read users’ names and their server models (excluding the server state).", None, &[B::ReadUsersName]),
    def(B::StartServers, "start:servers", "Start and edit users' servers. (added in JupyterHub 6)", None, &[]),
    def(B::DeleteServers, "delete:servers", "Stop and delete users' servers.", None, &[]),
    def(B::Tokens, "tokens", "Read, write, create and delete user tokens.", None, &[B::ReadTokens]),
    def(B::ReadTokens, "read:tokens", "Read user tokens.", None, &[]),
    def(B::AdminGroups, "admin:groups", "Read and write group information, create and delete groups.", None, &[B::Groups, B::ReadRolesGroups, B::DeleteGroups]),
    def(B::Groups, "groups", "Read and write group information, including adding/removing any users to/from groups. Note: adding users to groups may affect permissions.", None, &[B::ReadGroups, B::ListGroups]),
    def(B::ListGroups, "list:groups", "List groups, including at least their names.", None, &[B::ReadGroupsName]),
    def(B::ReadGroups, "read:groups", "Read group models.", None, &[B::ReadGroupsName]),
    def(B::ReadGroupsName, "read:groups:name", "Read group names.", None, &[]),
    def(B::DeleteGroups, "delete:groups", "Delete groups.", None, &[]),
    def(B::AdminServices, "admin:services", "Create, read, update, delete services, not including services defined from config files.", None, &[B::ListServices, B::ReadServices, B::ReadRolesServices]),
    def(B::ListServices, "list:services", "List services, including at least their names.", None, &[B::ReadServicesName]),
    def(B::ReadServices, "read:services", "Read service models.", None, &[B::ReadServicesName]),
    def(B::ReadServicesName, "read:services:name", "Read service names.", None, &[]),
    def(B::ReadHub, "read:hub", "Read detailed information about the Hub.", None, &[]),
    def(B::AccessServers, "access:servers", "Access user servers via API or browser.", None, &[]),
    def(B::AccessServices, "access:services", "Access services via API or browser.", None, &[]),
    def(B::UsersShares, "users:shares", "Read and revoke a user's access to shared servers.", None, &[B::ReadUsersShares]),
    def(B::ReadUsersShares, "read:users:shares", "Read servers shared with a user.", None, &[]),
    def(B::GroupsShares, "groups:shares", "Read and revoke a group's access to shared servers.", None, &[B::ReadGroupsShares]),
    def(B::ReadGroupsShares, "read:groups:shares", "Read servers shared with a group.", None, &[]),
    def(B::ReadShares, "read:shares", "Read information about shared access to servers.", None, &[]),
    def(B::Shares, "shares", "Manage access to shared servers.", None, &[B::AccessServers, B::ReadShares, B::UsersShares, B::GroupsShares]),
    def(B::Proxy, "proxy", "Read information about the proxy’s routing table, sync the Hub with the proxy and notify the Hub about a new proxy.", None, &[]),
    def(B::Shutdown, "shutdown", "Shutdown the hub.", None, &[]),
    def(B::ReadMetrics, "read:metrics", "Read prometheus metrics.", None, &[]),
];

// === impl BuiltinScope ===

impl BuiltinScope {
    /// Every built-in scope's definition, in JupyterHub's order.
    pub fn definitions() -> &'static [BuiltinDefinition] {
        &DEFINITIONS
    }

    /// This scope's row of the table.
    pub fn definition(self) -> &'static BuiltinDefinition {
        &DEFINITIONS[self as usize]
    }

    /// The scope's name, e.g. `read:users`.
    pub fn as_str(self) -> &'static str {
        self.definition().name
    }

    /// The scope's description.
    pub fn description(self) -> &'static str {
        self.definition().description
    }

    /// The scopes this one directly implies.
    pub fn subscopes(self) -> &'static [BuiltinScope] {
        self.definition().subscopes
    }

    /// The built-in scope called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        DEFINITIONS.iter().find(|d| d.name == name).map(|d| d.scope)
    }
}

impl std::fmt::Display for BuiltinScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_variant() {
        for (index, definition) in DEFINITIONS.iter().enumerate() {
            assert_eq!(definition.scope as usize, index, "{}", definition.name);
            assert_eq!(
                BuiltinScope::from_name(definition.name),
                Some(definition.scope)
            );
        }
    }

    #[test]
    fn subscope_graph_is_acyclic() {
        fn depth(scope: BuiltinScope, seen: &mut Vec<BuiltinScope>) {
            assert!(!seen.contains(&scope), "cycle through {scope}");
            seen.push(scope);
            for sub in scope.subscopes() {
                depth(*sub, seen);
            }
            seen.pop();
        }
        for definition in &DEFINITIONS {
            depth(definition.scope, &mut Vec::new());
        }
    }
}
