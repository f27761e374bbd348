//! Users, groups, roles, services and servers as queries return them, and the inputs that
//! create them.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ServerState;
use super::ids::{GroupId, RoleId, ServerEventId, ServerId, ServiceId, UserId};

/// A user, without the encrypted auth state (read it with [`crate::Db::get_auth_state`]).
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    /// Row id.
    pub id: UserId,
    /// Unique name, at most 255 characters.
    pub name: String,
    /// Whether the user is an admin.
    pub admin: bool,
    /// When the user was created.
    pub created: DateTime<Utc>,
    /// Last activity of the user or any of their servers; `None` before any.
    pub last_activity: Option<DateTime<Utc>>,
    /// Random id that keys the user's login cookie; regenerated to log out everywhere.
    pub cookie_id: String,
    /// What the authenticator reported about the user (JupyterHub 6's `user_info`).
    pub user_info: Option<Value>,
}

/// A group, without its members (see [`crate::Db::group_members`]).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// Row id.
    pub id: GroupId,
    /// Unique name.
    pub name: String,
    /// Free-form JSON object.
    pub properties: Value,
}

/// A role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRow {
    /// Row id.
    pub id: RoleId,
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Unexpanded scopes, in the order given.
    pub scopes: Vec<String>,
    /// Defined by `load_roles` in the config, so config reloads may change or delete it.
    pub managed_by_config: bool,
}

/// The fields [`crate::Db::upsert_role`] writes.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSpec {
    /// Unique name; the key of the upsert.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Unexpanded scopes.
    pub scopes: Vec<String>,
    /// See [`RoleRow::managed_by_config`].
    pub managed_by_config: bool,
}

/// Who a role is assigned to, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleHolder<'a> {
    /// A user.
    User(&'a str),
    /// A group; its members hold the role too.
    Group(&'a str),
    /// A service.
    Service(&'a str),
}

/// Which kind of holder [`crate::Db::set_role_holders`] replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolderKind {
    /// Users.
    User,
    /// Groups.
    Group,
    /// Services.
    Service,
}

/// A service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    /// Row id.
    pub id: ServiceId,
    /// Unique name.
    pub name: String,
    /// Deprecated admin flag (grants the admin role).
    pub admin: bool,
    /// Where the service listens, if it is proxied.
    pub url: Option<String>,
    /// Its OAuth client, if it uses the hub's OAuth.
    pub oauth_client_id: Option<String>,
    /// Free-form JSON object shown by the API.
    pub info: Value,
    /// Whether the home page lists it.
    pub display: bool,
    /// Skip the OAuth confirmation page.
    pub oauth_no_confirm: bool,
    /// Defined in the config file rather than through the API.
    pub from_config: bool,
}

/// The fields [`crate::Db::upsert_service`] writes; `name` is the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSpec {
    /// Unique name.
    pub name: String,
    /// See [`ServiceRow::admin`].
    pub admin: bool,
    /// See [`ServiceRow::url`].
    pub url: Option<String>,
    /// See [`ServiceRow::oauth_client_id`].
    pub oauth_client_id: Option<String>,
    /// See [`ServiceRow::info`].
    pub info: Value,
    /// See [`ServiceRow::display`].
    pub display: bool,
    /// See [`ServiceRow::oauth_no_confirm`].
    pub oauth_no_confirm: bool,
    /// See [`ServiceRow::from_config`].
    pub from_config: bool,
}

/// A single-user server (JupyterHub's Spawner row).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRow {
    /// Row id.
    pub id: ServerId,
    /// The owner.
    pub user_id: UserId,
    /// `""` for the default server.
    pub name: String,
    /// Shown in the UI.
    pub display_name: String,
    /// Where the spawn state machine is.
    pub state: ServerState,
    /// The spawner's persisted state (JSON), restored after a hub restart.
    pub spawner_state: Value,
    /// Format version of `spawner_state`, owned by the spawner.
    pub state_version: i32,
    /// Options the user chose on the spawn form.
    pub user_options: Value,
    /// Where the hub and proxy reach the server, once started.
    pub url: Option<String>,
    /// The server's URL prefix, e.g. `/user/alice/`.
    pub base_url: String,
    /// Host the server listens on, once started.
    pub host: Option<String>,
    /// Port the server listens on, once started.
    pub port: Option<u16>,
    /// When it last became running; cleared when it stops.
    pub started: Option<DateTime<Utc>>,
    /// Last activity reported for it.
    pub last_activity: Option<DateTime<Utc>>,
    /// When the row was created.
    pub created: DateTime<Utc>,
}

/// One transition of a server's state machine.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerEventRow {
    /// Row id, increasing with time.
    pub id: ServerEventId,
    /// The server.
    pub server_id: ServerId,
    /// When.
    pub at: DateTime<Utc>,
    /// State before.
    pub from_state: ServerState,
    /// State after.
    pub to_state: ServerState,
    /// Why, for people.
    pub message: String,
}
