//! The caller: an `Authorization: token <t>` (or `bearer <t>`) header resolved by the hub.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use ganymede_core::{CoreError, Hub, Identity};
use http::request::Parts;

use crate::error::ApiError;

/// The authenticated caller of an API request.
#[derive(Debug)]
pub(crate) struct Caller(pub(crate) Identity);

/// The token in `Authorization`, matched like JupyterHub's `(?:token|bearer)\s+(.+)`.
pub(crate) fn bearer_token(parts: &Parts) -> Option<&str> {
    let header = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = header.trim_start().split_once(char::is_whitespace)?;
    let token = rest.trim();
    let known = scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer");
    (known && !token.is_empty()).then_some(token)
}

impl FromRequestParts<Arc<Hub>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, ApiError> {
        let Some(token) = bearer_token(parts) else {
            return Err(CoreError::Unauthenticated.into());
        };
        Ok(Self(hub.authenticate_token(token).await?))
    }
}

/// The caller if the request carries a valid token, else `None`, for the endpoints that answer
/// an anonymous request themselves (JupyterHub's `@token_authenticated` and token creation).
#[derive(Debug)]
pub(crate) struct MaybeCaller(pub(crate) Option<Identity>);

impl FromRequestParts<Arc<Hub>> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, ApiError> {
        let Some(token) = bearer_token(parts) else {
            return Ok(Self(None));
        };
        match hub.authenticate_token(token).await {
            Ok(identity) => Ok(Self(Some(identity))),
            Err(CoreError::Unauthenticated) => Ok(Self(None)),
            Err(error) => Err(error.into()),
        }
    }
}
