//! Set-up for the user-endpoint tests: the hub of `common::app()` with chosen settings, an
//! optional auth_state key and a fixed clock, and the database handle to arrange fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use ganymede_core::{Hub, HubSettings};
use ganymede_crypt::CryptKeys;
use ganymede_db::{Clock, Db, NewToken, RoleHolder, RoleSpec, TokenOwner};

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
