//! Row ids as newtypes, so a user's id cannot be passed where a group's is expected.

use std::fmt;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    )*};
}

ids! {
    /// `users.id`.
    UserId,
    /// `hub_groups.id`.
    GroupId,
    /// `roles.id`.
    RoleId,
    /// `services.id`.
    ServiceId,
    /// `servers.id`.
    ServerId,
    /// `api_tokens.id`; the REST API shows it as `a<id>`.
    TokenId,
    /// `oauth_codes.id`.
    OAuthCodeId,
    /// `shares.id`.
    ShareId,
    /// `share_codes.id`; the REST API shows it as `sc_<id>`.
    ShareCodeId,
    /// `server_events.id`.
    ServerEventId,
}
