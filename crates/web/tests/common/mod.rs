//! The in-process test harness shared by the API test files: a hub over in-memory SQLite with an
//! admin token and a user token, and one function that sends a request and decodes the JSON.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

pub mod browser;

use std::sync::Arc;

use axum::body::Body;
use ganymede_core::{Hub, HubSettings};
use ganymede_db::{Db, NewToken, TokenOwner};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const ADMIN: &str = "admin-token-0000000000000000000001";
pub const ALICE: &str = "alice-token-0000000000000000000001";

pub async fn app() -> axum::Router {
    let (hub, _) = hub().await;
    ganymede_web::router(Arc::new(hub))
}

/// The hub behind [`app`], before routing, and its database: for tests that add rows the API
/// cannot create (servers) or configure the hub (proxy, startup state).
pub async fn hub() -> (Hub, Db) {
    let db = Db::connect_or_init("sqlite::memory:").await.unwrap();
    let admin = db.create_user("root", true).await.unwrap();
    db.insert_token(&NewToken {
        token: ADMIN.to_owned(),
        owner: TokenOwner::User(admin.id),
        session_id: None,
        oauth_client_id: None,
        scopes: vec!["inherit".to_owned()],
        note: "test".to_owned(),
        expires_at: None,
    })
    .await
    .unwrap();
    let hub = Hub::new(db.clone(), HubSettings::default());
    hub.load_api_tokens(&[(ALICE.to_owned(), "alice".to_owned())])
        .await
        .unwrap();
    (hub, db)
}

pub async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, http::HeaderMap) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("token {token}"));
    }
    if path.contains("paginate") || path.contains("_p=1") {
        request = request.header("accept", "application/jupyterhub-pagination+json");
    }
    request = request.header("host", "hub.test:8000");
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    (status, json, headers)
}
