//! What `tests/e2e/test_hub_api_parity.py` found by sending the same calls to JupyterHub 6.1.1
//! and to Ganymede, pinned in-process: `GET /user` is the caller's model as its scopes show
//! it, using a token is activity, `!group=` read scopes work in listings, a group with an
//! unknown member is not created, a login cookie is activity too, a default server that never started can be shared, and a
//! bare error has a `null` message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod users_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use chrono::{TimeDelta, Utc};
use common::browser::{Browser, USER_PASSWORD, section};
use common::{ADMIN, ALICE};
use ganymede_core::{Hub, HubSettings, StartupRole, StartupService, StartupState};
use ganymede_db::{Clock, Db, NewToken, TokenOwner};
use serde_json::{Value, json};
use users_support::{now, send, token};

const SERVICE: &str = "service-token-00000000000000000001";
const STAFF_READER: &str = "staff-reader-token-000000000000001";
const SERVER: &str = "server-token-0000000000000000000001";
const NOW: &str = "2026-03-01T12:00:00Z";

/// `root` (admin, `ADMIN`, and `STAFF_READER` limited to group `staff`), `alice` (`ALICE`) and
/// `bob` in group `staff`, `carol` (`SERVER`, a single-user server's token), and service `svc`
/// (`SERVICE`) with `read:services`.
async fn env() -> (axum::Router, Db) {
    let db = Db::connect_or_init("sqlite::memory:")
        .await
        .unwrap()
        .with_clock(Clock::from_fn(now));
    let root = db.create_user("root", true).await.unwrap();
    token(&db, TokenOwner::User(root.id), ADMIN, &["inherit"]).await;
    token(
        &db,
        TokenOwner::User(root.id),
        STAFF_READER,
        &["list:users!group=staff", "read:users!group=staff"],
    )
    .await;
    let hub = Hub::new(db.clone(), HubSettings::default());
    hub.load_startup_state(&StartupState {
        services: vec![StartupService {
            name: "svc".into(),
            api_token: Some(SERVICE.into()),
            ..Default::default()
        }],
        roles: vec![StartupRole {
            name: "svc-reader".into(),
            scopes: Some(vec!["read:services".into()]),
            services: vec!["svc".into()],
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .unwrap();
    hub.load_api_tokens(&[(ALICE.to_owned(), "alice".to_owned())])
        .await
        .unwrap();
    let users = db.create_users(&["bob", "carol"], false).await.unwrap();
    db.create_group("staff", None).await.unwrap();
    db.add_group_members("staff", &["alice", "bob"])
        .await
        .unwrap();
    db.insert_token(&NewToken {
        token: SERVER.to_owned(),
        owner: TokenOwner::User(users[1].id),
        session_id: None,
        oauth_client_id: None,
        scopes: vec!["inherit".to_owned()],
        note: "Server at /user/carol/".to_owned(),
        expires_at: None,
    })
    .await
    .unwrap();
    (ganymede_web::router(Arc::new(hub)), db)
}

fn keys(model: &Value) -> BTreeSet<&str> {
    model
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn whoami_is_the_callers_model_as_its_scopes_show_it() {
    let (app, _) = env().await;
    // A user's token with all of the user's scopes: the whole model, groups included.
    let (status, me, _) = send(&app, "GET", "/hub/api/user", Some(ALICE), "").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["groups"], json!(["staff"]));
    assert_eq!(me["roles"], json!(["user"]));
    assert_eq!(me["servers"], json!({}));
    assert_eq!(me["last_activity"], NOW, "the request itself is activity");
    assert!(me["created"].is_string(), "{me}");
    assert!(me["pending"].is_null() && me["server"].is_null(), "{me}");
    assert!(me.get("auth_state").is_none(), "{me}");
    // A token limited to other users: only what identifies its owner.
    let (_, me, _) = send(&app, "GET", "/hub/api/user", Some(STAFF_READER), "").await;
    assert_eq!(
        keys(&me),
        BTreeSet::from([
            "kind",
            "name",
            "admin",
            "groups",
            "user_info",
            "scopes",
            "token_id",
            "session_id"
        ]),
        "{me}"
    );
    // A service with read:services sees its whole service model.
    let (_, me, _) = send(&app, "GET", "/hub/api/user", Some(SERVICE), "").await;
    assert_eq!(me["kind"], "service");
    assert_eq!(me["name"], "svc");
    for key in ["url", "prefix", "command", "pid", "info", "display"] {
        assert!(me.get(key).is_some(), "{key} missing: {me}");
    }
}

#[tokio::test]
async fn using_a_token_is_activity_of_the_token_and_its_user() {
    let (app, _) = env().await;
    let user = |name: &'static str| {
        let app = app.clone();
        async move {
            let path = format!("/hub/api/users/{name}");
            send(&app, "GET", &path, Some(ADMIN), "").await.1
        }
    };
    assert!(user("alice").await["last_activity"].is_null());
    let (status, _, _) = send(&app, "GET", "/hub/api/users/alice", Some(ALICE), "").await;
    assert_eq!(status, 200);
    assert_eq!(user("alice").await["last_activity"], NOW);
    let (_, tokens, _) = send(&app, "GET", "/hub/api/users/alice/tokens", Some(ADMIN), "").await;
    assert_eq!(tokens["api_tokens"][0]["last_activity"], NOW, "{tokens}");
    // A single-user server's requests are not its user's activity (JupyterHub skips tokens
    // whose note starts with "Server at "), but the token's own use is recorded.
    let (status, _, _) = send(&app, "GET", "/hub/api/user", Some(SERVER), "").await;
    assert_eq!(status, 200);
    assert!(user("carol").await["last_activity"].is_null());
    let (_, tokens, _) = send(&app, "GET", "/hub/api/users/carol/tokens", Some(ADMIN), "").await;
    assert_eq!(tokens["api_tokens"][0]["last_activity"], NOW, "{tokens}");
}

#[tokio::test]
async fn group_filtered_read_scopes_show_members_fields_in_listings() {
    let (app, _) = env().await;
    let (status, users, _) = send(&app, "GET", "/hub/api/users", Some(STAFF_READER), "").await;
    assert_eq!(status, 200, "{users}");
    let users = users.as_array().unwrap();
    let names: Vec<&str> = users.iter().filter_map(|u| u["name"].as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    for user in users {
        assert_eq!(user["groups"], json!(["staff"]), "{user}");
        assert!(user["created"].is_string(), "{user}");
    }
}

#[tokio::test]
async fn a_group_with_an_unknown_member_is_not_created() {
    let (app, _) = env().await;
    let (status, body, _) = send(
        &app,
        "POST",
        "/hub/api/groups/g5",
        Some(ADMIN),
        r#"{"users": ["nobody"]}"#,
    )
    .await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("No such user: nobody"))
    );
    let (status, body, _) = send(
        &app,
        "POST",
        "/hub/api/groups",
        Some(ADMIN),
        r#"{"groups": ["g6"], "users": ["bob", "nobody"]}"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    for group in ["g5", "g6"] {
        let path = format!("/hub/api/groups/{group}");
        let (status, _, _) = send(&app, "GET", &path, Some(ADMIN), "").await;
        assert_eq!(status, 404, "{group} was created");
    }
}

#[tokio::test]
async fn a_default_server_that_never_started_can_be_shared() {
    let (app, _) = env().await;
    let (status, page, _) = send(&app, "GET", "/hub/api/shares/bob/", Some(ADMIN), "").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"], json!([]));
    let (status, share, _) = send(
        &app,
        "POST",
        "/hub/api/shares/bob/",
        Some(ADMIN),
        r#"{"user": "carol"}"#,
    )
    .await;
    assert_eq!(status, 200, "{share}");
    assert_eq!(share["user"], json!({"name": "carol"}));
    let (_, page, _) = send(&app, "GET", "/hub/api/shares/bob/", Some(ADMIN), "").await;
    assert_eq!(page["_pagination"]["total"], 1, "{page}");
    // A named server still has to exist.
    let (status, _, _) = send(&app, "GET", "/hub/api/shares/bob/gpu", Some(ADMIN), "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_bare_error_has_a_null_message() {
    let (app, _) = env().await;
    let (status, body, _) = send(&app, "GET", "/hub/api/users/nobody", Some(ADMIN), "").await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"status": 404, "message": null}));
}

#[tokio::test]
async fn a_login_cookie_is_activity_at_most_every_30_seconds() {
    let start = Utc::now();
    let clock = Arc::new(Mutex::new(start));
    let read = Arc::clone(&clock);
    let db = Db::connect_or_init("sqlite::memory:")
        .await
        .unwrap()
        .with_clock(Clock::from_fn(move || *read.lock().unwrap()));
    let hub = Arc::new(Hub::new(db.clone(), HubSettings::default()).with_cookie_secret(&[7; 32]));
    let pages = ganymede_web::pages_router(
        Arc::clone(&hub),
        ganymede_web::SiteConfig {
            template_paths: Vec::new(),
            template_vars: BTreeMap::new(),
            login: ganymede_web::LoginService::from_config(&section()).unwrap(),
            shutdown_on_logout: false,
        },
    );
    let app = ganymede_web::router(hub).merge(pages);
    let mut browser = Browser::default();
    let page = browser.login(&app, "ann", USER_PASSWORD, "/hub/home").await;
    assert_eq!(page.status, 302, "{}", page.body);
    let activity = || async {
        let user = db.get_user("ann").await.unwrap().unwrap();
        user.last_activity.map(|t| t.timestamp())
    };
    assert_eq!(activity().await, Some(start.timestamp()), "logging in");
    for (after, recorded) in [(20, 0), (60, 60)] {
        *clock.lock().unwrap() = start + TimeDelta::seconds(after);
        let page = browser.get(&app, "/hub/api/user").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(
            activity().await,
            Some(start.timestamp() + recorded),
            "a cookie request {after} s after logging in"
        );
    }
}
