//! The hub's domain services, between the web layer and the database.
//!
//! Every service method takes the caller's [`Identity`] and checks its scopes before it reads or
//! writes anything, so a handler cannot skip authorization by accident.

#![forbid(unsafe_code)]

mod activity;
mod activity_writer;
mod auth_cache;
mod authorizations;
mod error;
mod groups;
mod hub;
mod id_cache;
mod identity;
mod login;
mod metrics;
pub mod model;
mod oauth;
mod proxy;
pub mod py;
mod servers;
mod servers_edit;
mod services;
mod services_edit;
mod session;
mod shares;
mod spawn;
mod startup;
mod time;
mod tokens;
mod users;
mod users_edit;

pub use error::CoreError;
pub use ganymede_db::{Pagination, UserSort, UserState};
pub use hub::{Hub, HubSettings, JUPYTERHUB_VERSION, UsernameRules};
pub use identity::{Identity, Principal};
pub use login::AcceptedLogin;
pub use metrics::HubMetrics;
pub use oauth::{AuthorizeRequest, Authorized, OAuthError};
pub use proxy::{ProxyError, ProxyRoutes};
pub use servers::{NO_SPAWNER, Progress};
pub use session::SessionKeys;
pub use shares::{Recipient, ShareCodeDeletion, ShareCodeRequest, ShareRequest};
pub use spawn::{
    PROFILE_KEY, ProfileError, ProfileOverrides, ProgressEvents, ServerCheck, SpawnProfile,
    SpawnSettings, SpawnSetupError, StartOutcome, StopOutcome, access_scopes, chosen_profile,
    client_id, default_profile, is_terminal, options_from_form,
};
pub use startup::{StartupGroup, StartupRole, StartupService, StartupState};
pub use time::iso8601;
pub use users::{NewUsers, UserListQuery};
