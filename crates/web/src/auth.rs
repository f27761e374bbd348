//! The caller of an API request: an `Authorization: token <t>` (or `bearer <t>`) header, or the
//! browser's login cookie with JupyterHub's XSRF and content-type rules.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use ganymede_core::{CoreError, Hub, Identity};
use http::request::Parts;

use crate::error::ApiError;
use crate::session::{BrowserSession, api_needs_xsrf, post_content_type_ok, presented_xsrf};

/// The authenticated caller of an API request.
#[derive(Debug)]
pub(crate) struct Caller(pub(crate) Identity);

/// The token in `Authorization`, matched like JupyterHub's `(?:token|bearer)\s+(.+)`.
pub(crate) fn bearer_token(parts: &Parts) -> Option<&str> {
    bearer_token_in(&parts.headers)
}

/// [`bearer_token`] from bare headers.
pub(crate) fn bearer_token_in(headers: &http::HeaderMap) -> Option<&str> {
    let header = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = header.trim_start().split_once(char::is_whitespace)?;
    let token = rest.trim();
    let known = scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer");
    (known && !token.is_empty()).then_some(token)
}

/// Why a request has no caller.
enum Failure {
    /// No credentials, or invalid ones.
    Unauthenticated,
    /// Credentials, but the request breaks a rule (XSRF) or the lookup failed.
    Refused(ApiError),
}

impl From<CoreError> for Failure {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Unauthenticated => Self::Unauthenticated,
            other => Self::Refused(other.into()),
        }
    }
}

/// The caller and their session id: a token's, or the browser's for cookie authentication.
async fn identify(parts: &Parts, hub: &Hub) -> Result<(Identity, Option<String>), Failure> {
    if let Some(token) = bearer_token(parts) {
        let identity = hub.authenticate_token(token).await?;
        let session_id = identity.token.as_ref().and_then(|t| t.session_id.clone());
        return Ok((identity, session_id));
    }
    let session = BrowserSession::read(hub, &parts.headers).await?;
    let Some(identity) = session.identity.as_ref() else {
        return Err(Failure::Unauthenticated);
    };
    // A cross-site form can POST urlencoded data with the user's cookie: JupyterHub treats
    // such a request as unauthenticated.
    if !post_content_type_ok(&parts.method, &parts.headers) {
        tracing::warn!(method = %parts.method, path = %parts.uri.path(), "refusing a cookie-authenticated POST that is not JSON");
        return Err(Failure::Unauthenticated);
    }
    if api_needs_xsrf(&parts.method, &parts.headers) {
        let token = presented_xsrf(parts.uri.query(), &parts.headers);
        let message = match token {
            None => Some(format!("'_xsrf' argument missing from {}", parts.method)),
            Some(ref token) if !session.xsrf_ok(hub.sessions(), Some(token)) => Some(format!(
                "XSRF cookie does not match {} argument",
                parts.method
            )),
            Some(_) => None,
        };
        if let Some(message) = message {
            return Err(Failure::Refused(ApiError::new(
                http::StatusCode::FORBIDDEN,
                message,
            )));
        }
    }
    Ok((identity.clone(), session.session_id.clone()))
}

impl FromRequestParts<Arc<Hub>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, ApiError> {
        match identify(parts, hub).await {
            Ok((identity, _)) => Ok(Self(identity)),
            Err(Failure::Unauthenticated) => Err(CoreError::Unauthenticated.into()),
            Err(Failure::Refused(error)) => Err(error),
        }
    }
}

/// The caller of `GET /hub/api/user`, which answers 403 with a `null` message when there is
/// none (single-user servers treat that, and only that, as "log in again").
#[derive(Debug)]
pub(crate) struct Whoami {
    pub(crate) identity: Identity,
    pub(crate) session_id: Option<String>,
}

impl FromRequestParts<Arc<Hub>> for Whoami {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, ApiError> {
        match identify(parts, hub).await {
            Ok((identity, session_id)) => Ok(Self {
                identity,
                session_id,
            }),
            Err(Failure::Unauthenticated) => Err(ApiError::forbidden_silent()),
            Err(Failure::Refused(error)) => Err(error),
        }
    }
}

/// The caller (token or login cookie) if any, else `None`, for the endpoints that answer
/// an anonymous request themselves (JupyterHub's `@token_authenticated` and token creation).
#[derive(Debug)]
pub(crate) struct MaybeCaller(pub(crate) Option<Identity>);

impl FromRequestParts<Arc<Hub>> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, ApiError> {
        match identify(parts, hub).await {
            Ok((identity, _)) => Ok(Self(Some(identity))),
            Err(Failure::Unauthenticated) => Ok(Self(None)),
            Err(Failure::Refused(error)) => Err(error),
        }
    }
}
