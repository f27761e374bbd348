//! The hub's HTTP layer: axum routers over [`ganymede_core::Hub`].
//!
//! Handlers are thin: they extract the caller and the input, call one hub method, and map the
//! result; [`error::ApiError`] is the one place errors become responses.

#![forbid(unsafe_code)]

mod api;
mod auth;
mod error;
mod event_stream;
mod pages;
mod session;

use std::sync::Arc;

use axum::Router;
use ganymede_core::Hub;

pub use error::ApiError;
pub use pages::{LoginService, SiteConfig, router as pages_router};
pub use session::HUB_ONLY_COOKIES;

/// The REST API under `<base_url>hub/api` and the health check; [`pages_router`] adds the pages.
pub fn router(hub: Arc<Hub>) -> Router {
    let prefix = format!("{}hub", hub.settings().base_url);
    Router::new()
        .nest(&format!("{prefix}/api"), api::routes())
        .route(&format!("{prefix}/api/"), axum::routing::get(api::root))
        .route(&format!("{prefix}/health"), axum::routing::get(api::health))
        .route(
            &format!("{prefix}/metrics"),
            axum::routing::get(api::metrics),
        )
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&hub),
            api::observe_request,
        ))
        .layer(axum::middleware::map_response(api::version_header))
        .with_state(hub)
}
