//! Set-up for the user-endpoint tests: the hub of `common::app()` with chosen settings, an
//! optional auth_state key and a fixed clock, and the database handle to arrange fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use ganymede_core::{Hub, HubSettings};
use ganymede_crypt::CryptKeys;
use ganymede_db::{Clock, Db, NewToken, RoleHolder, RoleSpec, ServerSpec, TokenOwner};
use serde_json::{Value, json};

/// The fixed "now" of every test hub.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

/// A 64-hex-digit `JUPYTERHUB_CRYPT_KEY`.
pub const KEY: &str = "1d2a8e3c4b5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff0";

pub struct Env {
    pub app: axum::Router,
    pub db: Db,
}

/// Settings and keys for a test hub.
#[derive(Default)]
pub struct Options {
    pub settings: HubSettings,
    pub keys: Option<CryptKeys>,
}

/// `root` (admin, token `ADMIN`) and `alice` (token `ALICE`), as `common::app()`.
pub async fn env(options: Options) -> Env {
    let db = Db::connect_or_init("sqlite::memory:")
        .await
        .unwrap()
        .with_clock(Clock::from_fn(now));
    let admin = db.create_user("root", true).await.unwrap();
    token(
        &db,
        TokenOwner::User(admin.id),
        crate::common::ADMIN,
        &["inherit"],
    )
    .await;
    let mut hub = Hub::new(db.clone(), options.settings);
    if let Some(keys) = options.keys {
        hub = hub.with_crypt_keys(keys);
    }
    hub.load_api_tokens(&[(crate::common::ALICE.to_owned(), "alice".to_owned())])
        .await
        .unwrap();
    Env {
        app: ganymede_web::router(Arc::new(hub)),
        db,
    }
}

/// Stores `value` as a token of `owner` with raw `scopes`.
pub async fn token(db: &Db, owner: TokenOwner, value: &str, scopes: &[&str]) {
    db.insert_token(&NewToken {
        token: value.to_owned(),
        owner,
        session_id: None,
        oauth_client_id: None,
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        note: "test".to_owned(),
        expires_at: None,
    })
    .await
    .unwrap();
}

/// Creates user `name` (not an admin) holding a role with `scopes`, with token `value`.
pub async fn user_with_scopes(db: &Db, name: &str, scopes: &[&str], value: &str) {
    let user = db.create_user(name, false).await.unwrap();
    let role = format!("role-{name}");
    db.upsert_role(&RoleSpec {
        name: role.clone(),
        description: String::new(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        managed_by_config: false,
    })
    .await
    .unwrap();
    db.assign_role(&role, RoleHolder::User(name)).await.unwrap();
    token(db, TokenOwner::User(user.id), value, &["inherit"]).await;
}

/// The token of `reader`, who holds `read:servers` and `users:activity` in [`server_env`].
pub const READER: &str = "reader-token-0000000000000000000001";

/// Sends a request with a raw body; the answer's status, JSON (or `{"raw": text}`) and headers.
pub async fn send(
    app: &axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, Value, http::HeaderMap) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut request = http::Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("token {token}"));
    }
    let response = app
        .clone()
        .oneshot(
            request
                .body(axum::body::Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(json!({"raw": String::from_utf8_lossy(&bytes)}))
    };
    (status, json, headers)
}

/// A hub where alice has a stopped named server `gpu`, and `reader` holds `read:servers`.
pub async fn server_env(allow_named_servers: bool) -> Env {
    let env = env(Options {
        settings: HubSettings {
            allow_named_servers,
            ..HubSettings::default()
        },
        keys: None,
    })
    .await;
    let alice = env.db.get_user("alice").await.unwrap().unwrap();
    env.db
        .upsert_server(
            alice.id,
            &ServerSpec {
                name: "gpu".to_owned(),
                display_name: "gpu".to_owned(),
                base_url: "/user/alice/gpu/".to_owned(),
                user_options: json!({}),
            },
        )
        .await
        .unwrap();
    user_with_scopes(
        &env.db,
        "reader",
        &["read:servers", "users:activity"],
        READER,
    )
    .await;
    env
}

/// (method, path, token, body, status, message, "" for any, or "null" for JSON null)
pub type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    u16,
    &'static str,
);

/// Runs each case and checks its status and, when given, its message.
pub async fn run(app: &axum::Router, cases: &[Case]) {
    for (method, path, token, body, status, message) in cases {
        let (got, json, _) = send(app, method, path, *token, body).await;
        assert_eq!(got, *status, "{method} {path} {token:?} {body}: {json}");
        match *message {
            "" => {}
            "null" => assert!(json["message"].is_null(), "{method} {path} {body}: {json}"),
            message => assert_eq!(json["message"], message, "{method} {path} {body}"),
        }
    }
}
