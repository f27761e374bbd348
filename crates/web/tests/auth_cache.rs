//! Resolved tokens are cached between requests; every change to what a token may do takes
//! effect on the next request: a revoked token, a deleted or renamed user, a removed role or
//! group membership, a dropped admin flag, a deleted service, an expired token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod users_support;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use common::{ADMIN, ALICE, call};
use ganymede_core::{Hub, HubSettings};
use ganymede_db::{Clock, Db, NewToken, RoleHolder, RoleSpec, ServiceSpec, TokenOwner};
use http::StatusCode;
use serde_json::json;
use users_support::{Options, env, now, token, user_with_scopes};

const CAROL: &str = "carol-token-0000000000000000000001";
const DAVE: &str = "dave-token-00000000000000000000001";
const SVC: &str = "service-token-000000000000000000001";

/// `GET /hub/api/user` with `token`, twice: the second answer comes from the cache.
async fn whoami_twice(app: &axum::Router, token: &str) -> serde_json::Value {
    let (status, first, _) = call(app, "GET", "/hub/api/user", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second, _) = call(app, "GET", "/hub/api/user", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    second
}

async fn status(app: &axum::Router, method: &str, path: &str, token: &str) -> StatusCode {
    call(app, method, path, Some(token), None).await.0
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once() {
    let env = env(Options::default()).await;
    whoami_twice(&env.app, ALICE).await;
    let id = env.db.find_token(ALICE).await.unwrap().unwrap().id;
    let path = format!("/hub/api/users/alice/tokens/a{}", id.0);
    assert_eq!(
        status(&env.app, "DELETE", &path, ALICE).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(&env.app, "GET", "/hub/api/user", ALICE).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_deleted_user_loses_their_tokens_at_once() {
    let env = env(Options::default()).await;
    whoami_twice(&env.app, ALICE).await;
    assert_eq!(
        status(&env.app, "DELETE", "/hub/api/users/alice", ADMIN).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(&env.app, "GET", "/hub/api/user", ALICE).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_renamed_user_is_seen_renamed_at_once() {
    let env = env(Options::default()).await;
    assert_eq!(whoami_twice(&env.app, ALICE).await["name"], json!("alice"));
    let (status, body, _) = call(
        &env.app,
        "PATCH",
        "/hub/api/users/alice",
        Some(ADMIN),
        Some(json!({"name": "alicia"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(whoami_twice(&env.app, ALICE).await["name"], json!("alicia"));
    // The old name's scopes went with it: alicia reads herself, not "alice".
    assert_eq!(
        call(&env.app, "GET", "/hub/api/users/alicia", Some(ALICE), None)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_removed_role_takes_its_scopes_at_once() {
    let env = env(Options::default()).await;
    user_with_scopes(&env.db, "carol", &["read:users"], CAROL).await;
    whoami_twice(&env.app, CAROL).await;
    assert_eq!(
        status(&env.app, "GET", "/hub/api/users/root", CAROL).await,
        StatusCode::OK
    );
    env.db
        .unassign_role("role-carol", RoleHolder::User("carol"))
        .await
        .unwrap();
    assert_eq!(
        status(&env.app, "GET", "/hub/api/users/root", CAROL).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_changed_role_changes_its_holders_at_once() {
    let env = env(Options::default()).await;
    user_with_scopes(&env.db, "carol", &["read:users"], CAROL).await;
    assert_eq!(
        status(&env.app, "GET", "/hub/api/users/root", CAROL).await,
        StatusCode::OK
    );
    env.db
        .upsert_role(&RoleSpec {
            name: "role-carol".to_owned(),
            description: String::new(),
            scopes: vec!["read:groups".to_owned()],
            managed_by_config: false,
        })
        .await
        .unwrap();
    // 404, not 403: carol still reads herself, just not root (the same below).
    assert_eq!(
        status(&env.app, "GET", "/hub/api/users/root", CAROL).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn leaving_a_group_takes_its_roles_at_once() {
    let env = env(Options::default()).await;
    let dave = env.db.create_user("dave", false).await.unwrap();
    token(&env.db, TokenOwner::User(dave.id), DAVE, &["inherit"]).await;
    env.db.create_group("readers", None).await.unwrap();
    env.db
        .upsert_role(&RoleSpec {
            name: "group-readers".to_owned(),
            description: String::new(),
            scopes: vec!["read:users".to_owned()],
            managed_by_config: false,
        })
        .await
        .unwrap();
    env.db
        .assign_role("group-readers", RoleHolder::Group("readers"))
        .await
        .unwrap();
    env.db
        .add_group_members("readers", &["dave"])
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            status(&env.app, "GET", "/hub/api/users/root", DAVE).await,
            StatusCode::OK
        );
    }
    let (status_code, body, _) = call(
        &env.app,
        "DELETE",
        "/hub/api/groups/readers/users",
        Some(ADMIN),
        Some(json!({"users": ["dave"]})),
    )
    .await;
    assert_eq!(status_code, StatusCode::OK, "{body}");
    assert_eq!(
        status(&env.app, "GET", "/hub/api/users/root", DAVE).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_dropped_admin_flag_takes_effect_at_once() {
    let env = env(Options::default()).await;
    env.db.set_user_admin("alice", true).await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            status(&env.app, "GET", "/hub/api/users/root", ALICE).await,
            StatusCode::OK
        );
    }
    let (status_code, body, _) = call(
        &env.app,
        "PATCH",
        "/hub/api/users/alice",
        Some(ADMIN),
        Some(json!({"admin": false})),
    )
    .await;
    assert_eq!(status_code, StatusCode::OK, "{body}");
    assert_eq!(
        status(&env.app, "GET", "/hub/api/users/root", ALICE).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_deleted_service_loses_its_tokens_at_once() {
    let env = env(Options::default()).await;
    let service = env
        .db
        .upsert_service(&ServiceSpec {
            name: "svc".into(),
            admin: true,
            url: None,
            oauth_client_id: None,
            info: json!({}),
            display: false,
            oauth_no_confirm: false,
            from_config: false,
        })
        .await
        .unwrap();
    token(&env.db, TokenOwner::Service(service.id), SVC, &["inherit"]).await;
    assert_eq!(whoami_twice(&env.app, SVC).await["name"], json!("svc"));
    env.db.delete_service("svc").await.unwrap();
    assert_eq!(
        status(&env.app, "GET", "/hub/api/user", SVC).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_at_once() {
    let clock = Arc::new(Mutex::new(now()));
    let read = Arc::clone(&clock);
    let db = Db::connect_or_init("sqlite::memory:")
        .await
        .unwrap()
        .with_clock(Clock::from_fn(move || *read.lock().unwrap()));
    let alice = db.create_user("alice", false).await.unwrap();
    db.insert_token(&NewToken {
        token: ALICE.to_owned(),
        owner: TokenOwner::User(alice.id),
        session_id: None,
        oauth_client_id: None,
        scopes: vec!["inherit".to_owned()],
        note: "test".to_owned(),
        expires_at: Some(now() + TimeDelta::seconds(5)),
    })
    .await
    .unwrap();
    let app = ganymede_web::router(Arc::new(Hub::new(db, HubSettings::default())));
    whoami_twice(&app, ALICE).await;
    let set = |at: DateTime<Utc>| *clock.lock().unwrap() = at;
    set(now() + TimeDelta::seconds(4));
    whoami_twice(&app, ALICE).await;
    set(now() + TimeDelta::seconds(5));
    assert_eq!(
        status(&app, "GET", "/hub/api/user", ALICE).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn whoami_shows_activity_recorded_by_others() {
    let env = env(Options::default()).await;
    let before = whoami_twice(&env.app, ALICE).await;
    assert_eq!(before["last_activity"], json!("2026-03-01T12:00:00Z"));
    // A server posting activity moves the user's time without invalidating the cache.
    let later = "2026-03-01T12:30:00Z";
    let (status_code, body, _) = call(
        &env.app,
        "POST",
        "/hub/api/users/alice/activity",
        Some(ADMIN),
        Some(json!({"last_activity": later})),
    )
    .await;
    assert_eq!(status_code, StatusCode::OK, "{body}");
    assert_eq!(
        whoami_twice(&env.app, ALICE).await["last_activity"],
        json!(later)
    );
}
