//! The hub as OAuth2 provider for single-user servers and services: the authorization-code
//! flow with PKCE, as JupyterHub's `/hub/api/oauth2/authorize` and `/hub/api/oauth2/token`.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use ganymede_db::{NewOAuthCode, NewToken, OAuthClientRow, TokenOwner, hash_token};
use ganymede_types::scope::{BuiltinScope, Resource};
use ganymede_types::{FullServerName, ServerName, ServiceName, UserName};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::{Identity, Principal};
use crate::tokens::new_token;

/// How long an authorization code is valid.
const CODE_LIFETIME_SECONDS: i64 = 300;

/// The query of `GET /hub/api/oauth2/authorize`.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeRequest {
    /// `client_id`.
    pub client_id: String,
    /// `redirect_uri`; must equal the client's.
    pub redirect_uri: String,
    /// `response_type`; only `code`.
    pub response_type: String,
    /// `state`, echoed back.
    pub state: Option<String>,
    /// PKCE `code_challenge`.
    pub code_challenge: Option<String>,
    /// PKCE `code_challenge_method` (`S256` or `plain`).
    pub code_challenge_method: Option<String>,
}

/// What the browser gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorized {
    /// Go back to the client with a code.
    Redirect(String),
    /// Ask the user first (another user's server, a service that wants confirmation).
    Confirm {
        /// What the client is (`Server at /user/alice/`).
        description: String,
        /// The scopes it would get.
        scopes: Vec<String>,
    },
}

/// An error of the token endpoint, in OAuth's shape: `{"error": ...}` with its status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct OAuthError {
    /// 400 or 401.
    pub status: u16,
    /// `invalid_grant`, `invalid_client`, ...
    pub error: &'static str,
    /// For the log.
    pub description: String,
}

fn oauth_error(status: u16, error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        status,
        error,
        description: description.into(),
    }
}

/// A random code of 30 letters and digits.
fn new_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..30)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = url.to_owned();
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (key, value) in pairs {
        out.push(sep);
        out.push_str(key);
        out.push('=');
        out.push_str(&crate::py::quote(value).replace('/', "%2F"));
        sep = '&';
    }
    out
}

impl Hub {
    /// Who may use the client, and whether the user must confirm: `(resource, confirm)`.
    async fn client_resource(
        &self,
        client: &OAuthClientRow,
        me: &ganymede_db::UserRow,
    ) -> Result<(Resource, BuiltinScope, bool), CoreError> {
        let unknown = || CoreError::Forbidden(format!("No access to {}", client.description));
        if let Some(server_id) = client.server_id {
            let server = self
                .db
                .get_server_by_id(server_id)
                .await?
                .ok_or_else(unknown)?;
            let owner = self
                .db
                .get_user_by_id(server.user_id)
                .await?
                .ok_or_else(unknown)?;
            let name = FullServerName::new(
                UserName::new(owner.name.as_str()).map_err(|_| unknown())?,
                ServerName::new(server.name.as_str()).map_err(|_| unknown())?,
            );
            return Ok((
                Resource::Server(name),
                BuiltinScope::AccessServers,
                owner.id != me.id,
            ));
        }
        if let Some(service_id) = client.service_id {
            let service = self
                .db
                .get_service_by_id(service_id)
                .await?
                .ok_or_else(unknown)?;
            let name = ServiceName::new(service.name.as_str()).map_err(|_| unknown())?;
            return Ok((
                Resource::Service(name),
                BuiltinScope::AccessServices,
                !service.oauth_no_confirm,
            ));
        }
        Err(unknown())
    }

    /// `/hub/api/oauth2/authorize` for the logged-in `identity`: checks the client, the
    /// redirect URI and the user's access, then issues a code (or asks to confirm, unless
    /// `confirmed`, which the caller sets only for a POST with a valid XSRF token).
    pub async fn oauth_authorize(
        &self,
        identity: &Identity,
        session_id: Option<&str>,
        request: &AuthorizeRequest,
        confirmed: bool,
    ) -> Result<Authorized, CoreError> {
        let Principal::User(me) = &identity.principal else {
            return Err(CoreError::Forbidden(
                "Only users can authorize OAuth clients".to_owned(),
            ));
        };
        let client = self
            .db
            .get_oauth_client(&request.client_id)
            .await?
            .ok_or_else(|| {
                CoreError::BadRequest(format!("Invalid client_id: {}", request.client_id))
            })?;
        if request.redirect_uri != client.redirect_uri {
            return Err(CoreError::BadRequest(format!(
                "Mismatching redirect URI: {} is not the one registered for {}",
                request.redirect_uri, client.identifier
            )));
        }
        if request.response_type != "code" {
            return Ok(Authorized::Redirect(with_query(
                &client.redirect_uri,
                &[("error", "unsupported_response_type")],
            )));
        }
        let (resource, scope, mut confirm) = self.client_resource(&client, me).await?;
        let owner_groups = match &resource {
            Resource::Server(name) => self.with_groups(identity, name.user()).await?,
            _ => identity.clone(),
        };
        if !owner_groups.allows(scope, Some(&resource)) {
            return Err(CoreError::Forbidden(format!(
                "You do not have permission to access {}",
                client.description
            )));
        }
        let mut scopes: Vec<String> = client.allowed_scopes.clone();
        scopes.push(format!("read:users:name!user={}", me.name));
        scopes.push(format!("read:users:groups!user={}", me.name));
        scopes.sort();
        scopes.dedup();
        if confirmed {
            confirm = false;
        }
        // JupyterHub's `needs_oauth_confirm`: a client the user already authorized for these
        // scopes is not asked about again.
        if confirm {
            let authorized = self
                .db
                .client_token_scopes(me.id, &client.identifier)
                .await?;
            if !authorized.is_empty() && scopes.iter().all(|s| authorized.contains(s)) {
                confirm = false;
            }
        }
        if confirm {
            return Ok(Authorized::Confirm {
                description: client.description.clone(),
                scopes,
            });
        }
        let code = new_code();
        self.db
            .insert_oauth_code(&NewOAuthCode {
                code: code.clone(),
                client_id: client.identifier.clone(),
                user_id: me.id,
                session_id: session_id.map(str::to_owned),
                scopes,
                redirect_uri: client.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                code_challenge_method: request.code_challenge_method.clone(),
                expires_at: self.db.now() + Duration::seconds(CODE_LIFETIME_SECONDS),
            })
            .await?;
        tracing::info!(user = %me.name, client = %client.identifier, "issued an OAuth code");
        let mut pairs = vec![("code", code.as_str())];
        if let Some(state) = &request.state {
            pairs.push(("state", state.as_str()));
        }
        Ok(Authorized::Redirect(with_query(
            &client.redirect_uri,
            &pairs,
        )))
    }

    /// `POST /hub/api/oauth2/token` with its form: a code for an access token.
    pub async fn oauth_token(&self, form: &BTreeMap<String, String>) -> Result<Value, OAuthError> {
        let field = |key: &str| form.get(key).map(String::as_str).unwrap_or("");
        if field("grant_type") != "authorization_code" {
            return Err(oauth_error(
                400,
                "unsupported_grant_type",
                field("grant_type"),
            ));
        }
        let internal = |e: ganymede_db::DbError| oauth_error(500, "server_error", e.to_string());
        let client = self
            .db
            .get_oauth_client(field("client_id"))
            .await
            .map_err(internal)?
            .ok_or_else(|| oauth_error(401, "invalid_client", "unknown client"))?;
        let presented = hash_token(field("client_secret"));
        if !bool::from(presented.as_bytes().ct_eq(client.secret_hash.as_bytes())) {
            return Err(oauth_error(401, "invalid_client", "wrong client secret"));
        }
        let code = self
            .db
            .take_oauth_code(field("code"))
            .await
            .map_err(internal)?
            .ok_or_else(|| oauth_error(400, "invalid_grant", "unknown or used code"))?;
        if code.client_id != client.identifier
            || code.redirect_uri != field("redirect_uri")
            || code.expires_at < self.db.now()
        {
            return Err(oauth_error(400, "invalid_grant", "code does not match"));
        }
        if let Some(challenge) = &code.code_challenge {
            let verifier = field("code_verifier");
            let computed = match code.code_challenge_method.as_deref() {
                Some("plain") => verifier.to_owned(),
                _ => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            };
            if verifier.is_empty() || !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                return Err(oauth_error(
                    400,
                    "invalid_grant",
                    "PKCE verification failed",
                ));
            }
        }
        let lifetime = (self.settings().cookie_max_age_days * 86_400.0) as i64;
        let token = new_token();
        self.db
            .insert_token(&NewToken {
                token: token.clone(),
                owner: TokenOwner::User(code.user_id),
                session_id: code.session_id.clone(),
                oauth_client_id: Some(client.identifier.clone()),
                scopes: code.scopes.clone(),
                note: String::new(),
                expires_at: Some(self.db.now() + Duration::seconds(lifetime)),
            })
            .await
            .map_err(internal)?;
        Ok(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": code.scopes.join(" "),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_30_alphanumerics_and_queries_are_escaped() {
        let code = new_code();
        assert_eq!(code.len(), 30);
        assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            with_query(
                "/user/a/oauth_callback",
                &[("code", "x"), ("state", "a b/c")]
            ),
            "/user/a/oauth_callback?code=x&state=a%20b%2Fc"
        );
    }
}
