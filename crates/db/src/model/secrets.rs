//! Tokens, OAuth clients and codes, shares and share codes: the rows whose inputs carry a secret.
//!
//! Secrets (token values, client secrets, codes) only travel inwards, in the `New*` structs, whose
//! `Debug` hides them; the database keeps their SHA-256.

use std::fmt;

use chrono::{DateTime, Utc};

use super::ids::{
    GroupId, OAuthCodeId, ServerId, ServiceId, ShareCodeId, ShareId, TokenId, UserId,
};

/// Who owns a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOwner {
    /// A user.
    User(UserId),
    /// A service.
    Service(ServiceId),
}

/// An API token (also OAuth access tokens), without its value.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    /// Row id.
    pub id: TokenId,
    /// The first four characters of the token, to help people tell tokens apart.
    pub prefix: String,
    /// Its owner.
    pub owner: TokenOwner,
    /// The browser session that obtained it through OAuth.
    pub session_id: Option<String>,
    /// The OAuth client that issued it.
    pub oauth_client_id: Option<String>,
    /// Unexpanded scopes.
    pub scopes: Vec<String>,
    /// Free text.
    pub note: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it was last used.
    pub last_activity: Option<DateTime<Utc>>,
    /// When it stops working; `None` for never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token to store; [`crate::Db::insert_token`] keeps only its SHA-256 and prefix.
#[derive(Clone, PartialEq)]
pub struct NewToken {
    /// The secret value.
    pub token: String,
    /// Its owner.
    pub owner: TokenOwner,
    /// See [`TokenRow::session_id`].
    pub session_id: Option<String>,
    /// See [`TokenRow::oauth_client_id`].
    pub oauth_client_id: Option<String>,
    /// See [`TokenRow::scopes`].
    pub scopes: Vec<String>,
    /// See [`TokenRow::note`].
    pub note: String,
    /// See [`TokenRow::expires_at`].
    pub expires_at: Option<DateTime<Utc>>,
}

/// An OAuth client the hub knows (a server, a service, or the hub itself).
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthClientRow {
    /// The `client_id`.
    pub identifier: String,
    /// Shown on the authorization page.
    pub description: String,
    /// SHA-256 (hex) of the client secret.
    pub secret_hash: String,
    /// Where codes may be sent.
    pub redirect_uri: String,
    /// Scopes the client may request.
    pub allowed_scopes: Vec<String>,
    /// The user whose server this client is.
    pub user_id: Option<UserId>,
    /// The server this client is.
    pub server_id: Option<ServerId>,
    /// The service this client is.
    pub service_id: Option<ServiceId>,
}

/// A client to store; [`crate::Db::upsert_oauth_client`] keeps only the secret's SHA-256.
#[derive(Clone, PartialEq)]
pub struct NewOAuthClient {
    /// See [`OAuthClientRow::identifier`].
    pub identifier: String,
    /// See [`OAuthClientRow::description`].
    pub description: String,
    /// The client secret.
    pub secret: String,
    /// See [`OAuthClientRow::redirect_uri`].
    pub redirect_uri: String,
    /// See [`OAuthClientRow::allowed_scopes`].
    pub allowed_scopes: Vec<String>,
    /// See [`OAuthClientRow::user_id`].
    pub user_id: Option<UserId>,
    /// See [`OAuthClientRow::server_id`].
    pub server_id: Option<ServerId>,
    /// See [`OAuthClientRow::service_id`].
    pub service_id: Option<ServiceId>,
}

/// An authorization code, without its value.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthCodeRow {
    /// Row id.
    pub id: OAuthCodeId,
    /// The client it was issued to.
    pub client_id: String,
    /// The user who authorized.
    pub user_id: UserId,
    /// The user's browser session.
    pub session_id: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The redirect URI the code was issued for.
    pub redirect_uri: String,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// PKCE method (`S256` or `plain`).
    pub code_challenge_method: Option<String>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A code to store; [`crate::Db::insert_oauth_code`] keeps only its SHA-256.
#[derive(Clone, PartialEq)]
pub struct NewOAuthCode {
    /// The secret code.
    pub code: String,
    /// See [`OAuthCodeRow::client_id`].
    pub client_id: String,
    /// See [`OAuthCodeRow::user_id`].
    pub user_id: UserId,
    /// See [`OAuthCodeRow::session_id`].
    pub session_id: Option<String>,
    /// See [`OAuthCodeRow::scopes`].
    pub scopes: Vec<String>,
    /// See [`OAuthCodeRow::redirect_uri`].
    pub redirect_uri: String,
    /// See [`OAuthCodeRow::code_challenge`].
    pub code_challenge: Option<String>,
    /// See [`OAuthCodeRow::code_challenge_method`].
    pub code_challenge_method: Option<String>,
    /// See [`OAuthCodeRow::expires_at`].
    pub expires_at: DateTime<Utc>,
}

/// Who a server is shared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareTarget {
    /// A user.
    User(UserId),
    /// Every member of a group.
    Group(GroupId),
}

/// A grant of access to a server.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareRow {
    /// Row id.
    pub id: ShareId,
    /// The shared server.
    pub server_id: ServerId,
    /// Who may use it.
    pub target: ShareTarget,
    /// Granted scopes, filtered to the server.
    pub scopes: Vec<String>,
    /// When the share was first granted.
    pub created: DateTime<Utc>,
}

/// An invitation code that turns into a share when accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareCodeRow {
    /// Row id.
    pub id: ShareCodeId,
    /// The shared server.
    pub server_id: ServerId,
    /// Scopes the resulting share gets.
    pub scopes: Vec<String>,
    /// When the code was issued.
    pub created: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// How many times it was accepted.
    pub exchange_count: i64,
    /// When it was last accepted.
    pub last_exchanged_at: Option<DateTime<Utc>>,
}

/// A share code to store; [`crate::Db::insert_share_code`] keeps only its SHA-256.
#[derive(Clone, PartialEq)]
pub struct NewShareCode {
    /// The secret code.
    pub code: String,
    /// See [`ShareCodeRow::server_id`].
    pub server_id: ServerId,
    /// See [`ShareCodeRow::scopes`].
    pub scopes: Vec<String>,
    /// See [`ShareCodeRow::expires_at`].
    pub expires_at: DateTime<Utc>,
}

// === impl OAuthClientRow ===

impl OAuthClientRow {
    /// Whether `secret` is this client's secret, compared in constant time.
    pub fn secret_matches(&self, secret: &str) -> bool {
        let given = crate::hash_token(secret);
        let (a, b) = (given.as_bytes(), self.secret_hash.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

// === Debug without secrets ===

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("token", &"***")
            .field("owner", &self.owner)
            .field("session_id", &self.session_id)
            .field("oauth_client_id", &self.oauth_client_id)
            .field("scopes", &self.scopes)
            .field("note", &self.note)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Debug for NewOAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewOAuthClient")
            .field("identifier", &self.identifier)
            .field("secret", &"***")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for NewOAuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewOAuthCode")
            .field("code", &"***")
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for NewShareCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewShareCode")
            .field("code", &"***")
            .field("server_id", &self.server_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
