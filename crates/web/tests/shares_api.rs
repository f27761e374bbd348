//! Sharing in-process: grants, revocations, the `shared` lists and share codes, with JupyterHub's
//! status codes (200 for grants and codes), messages and always-paginated lists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{ADMIN, ALICE, call, hub};
use ganymede_core::{StartupGroup, StartupRole, StartupState};
use ganymede_db::ServerSpec;
use http::StatusCode;
use serde_json::{Value, json};

const BOB: &str = "bob-token-00000000000000000000001";

async fn app() -> axum::Router {
    let (hub, db) = hub().await;
    hub.load_startup_state(&StartupState {
        groups: vec![StartupGroup {
            name: "club".into(),
            users: vec!["bob".into()],
            properties: None,
        }],
        // Users cannot share by default: `self` has no `shares`.
        roles: vec![StartupRole {
            name: "sharer".into(),
            scopes: Some(vec!["shares!user=alice".into()]),
            users: Some(vec!["alice".into()]),
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .unwrap();
    hub.load_api_tokens(&[(BOB.to_owned(), "bob".to_owned())])
        .await
        .unwrap();
    let alice = db.get_user("alice").await.unwrap().unwrap();
    for name in ["", "gpu"] {
        db.upsert_server(
            alice.id,
            &ServerSpec {
                name: name.into(),
                display_name: String::new(),
                base_url: format!("/user/alice/{name}"),
                user_options: json!({}),
            },
        )
        .await
        .unwrap();
    }
    ganymede_web::router(Arc::new(hub))
}

/// (method, path, token, body, expected status, expected message or "")
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<Value>,
    u16,
    &'static str,
);

async fn run(app: &axum::Router, cases: &[Case]) {
    for (method, path, token, body, expected, message) in cases {
        let (status, json, _) = call(app, method, path, *token, body.clone()).await;
        assert_eq!(
            status.as_u16(),
            *expected,
            "{method} {path} {body:?}: {json}"
        );
        if !message.is_empty() {
            assert_eq!(json["message"], *message, "{method} {path} {body:?}");
        }
    }
}

fn bob() -> Option<Value> {
    Some(json!({"user": "bob"}))
}

#[tokio::test]
async fn grants_table() {
    let app = app().await;
    run(
        &app,
        &[
            ("POST", "/hub/api/shares/alice/", None, bob(), 403, "Missing or invalid credentials."),
            ("POST", "/hub/api/shares/alice/", Some(BOB), bob(), 403, ""),
            ("POST", "/hub/api/shares/alice/", Some(ALICE), bob(), 403,
                "Need scope 'read:users:name' to share with users by name"),
            ("POST", "/hub/api/shares/alice/", Some(ALICE), Some(json!({"group": "club"})), 403,
                "Need scope 'read:groups:name' to share with groups by name"),
            ("POST", "/hub/api/shares/alice", Some(ADMIN), bob(), 405, ""),
            ("PATCH", "/hub/api/shares/alice", Some(ADMIN), bob(), 405, ""),
            ("DELETE", "/hub/api/shares/alice", Some(ADMIN), None, 405, ""),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN), Some(json!({})), 400,
                "Specify exactly one of `user` or `group`"),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN), Some(json!({"user": "bob", "group": "club"})), 400,
                "Expected exactly one of `user` or `group`, not both."),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN), Some(json!({"user": "bob", "extra": 1})), 400, ""),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN), Some(json!({"user": 3})), 400, ""),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN), Some(json!({"user": "nobody"})), 400, "No such user: nobody"),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN), Some(json!({"group": "nope"})), 400, "No such group: nope"),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN), Some(json!({"user": "bob", "scopes": ["nope"]})), 400, ""),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN),
                Some(json!({"user": "bob", "scopes": ["access:servers!server=bob/"]})), 400,
                "!server=bob/ not allowed on sharing access:servers!server=bob/, only !server=alice/"),
            ("POST", "/hub/api/shares/alice/missing", Some(ADMIN), bob(), 404, "No such server: alice/missing"),
            ("POST", "/hub/api/shares/nobody/", Some(ADMIN), bob(), 404, "No such server: nobody/"),
            ("POST", "/hub/api/shares/alice/", Some(ADMIN), bob(), 200, ""),
            ("POST", "/hub/api/shares/alice/gpu", Some(ADMIN), Some(json!({"group": "club"})), 200, ""),
        ],
    )
    .await;
    // Grants merge scopes.
    let (status, share, _) = call(
        &app,
        "POST",
        "/hub/api/shares/alice/",
        Some(ADMIN),
        Some(json!({"user": "bob", "scopes": ["read:servers"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        share["scopes"],
        json!(["access:servers!server=alice/", "read:servers!server=alice/"])
    );
    assert_eq!(
        share["server"],
        json!({"user": {"name": "alice"}, "name": "", "url": "/user/alice/", "full_url": null, "ready": false})
    );
    assert_eq!(
        (&share["user"], &share["group"], &share["kind"]),
        (&json!({"name": "bob"}), &Value::Null, &json!("user"))
    );
    assert!(share["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn lists_are_always_paginated() {
    let app = app().await;
    call(&app, "POST", "/hub/api/shares/alice/", Some(ADMIN), bob()).await;
    call(
        &app,
        "POST",
        "/hub/api/shares/alice/gpu",
        Some(ADMIN),
        Some(json!({"group": "club"})),
    )
    .await;
    let totals: &[(&str, Option<&str>, u64)] = &[
        ("/hub/api/shares/alice", Some(ALICE), 2),
        ("/hub/api/shares/alice/", Some(ALICE), 1),
        ("/hub/api/shares/alice/gpu", Some(ADMIN), 1),
        ("/hub/api/users/bob/shared", Some(BOB), 2),
        ("/hub/api/users/alice/shared", Some(ALICE), 0),
        ("/hub/api/groups/club/shared", Some(ADMIN), 1),
    ];
    for (path, token, total) in totals {
        let (status, body, _) = call(&app, "GET", path, *token, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["_pagination"]["total"], *total, "{path}: {body}");
        assert_eq!(
            body["items"].as_array().map(Vec::len),
            Some(*total as usize),
            "{path}"
        );
    }
    let (_, page, _) = call(
        &app,
        "GET",
        "/hub/api/users/bob/shared?limit=1",
        Some(BOB),
        None,
    )
    .await;
    assert_eq!(page["_pagination"]["next"]["offset"], 1);
    assert_eq!(page["items"][0]["server"]["url"], "/user/alice/");
    let (_, group_page, _) = call(
        &app,
        "GET",
        "/hub/api/groups/club/shared",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(group_page["items"][0]["kind"], "group");
    assert_eq!(group_page["items"][0]["group"], json!({"name": "club"}));
    assert_eq!(group_page["items"][0]["server"]["url"], "/user/alice/gpu/");
    run(
        &app,
        &[
            ("GET", "/hub/api/shares/alice", None, None, 403, ""),
            ("GET", "/hub/api/shares/alice", Some(BOB), None, 404, ""),
            ("GET", "/hub/api/shares/nobody", Some(ADMIN), None, 404, ""),
            (
                "GET",
                "/hub/api/shares/alice/missing",
                Some(ADMIN),
                None,
                404,
                "No such server: alice/missing",
            ),
            (
                "GET",
                "/hub/api/shares/alice?offset=x",
                Some(ADMIN),
                None,
                400,
                "",
            ),
            (
                "GET",
                "/hub/api/users/bob/shared",
                Some(ALICE),
                None,
                404,
                "",
            ),
            (
                "GET",
                "/hub/api/users/nobody/shared",
                Some(ADMIN),
                None,
                404,
                "No such user: nobody",
            ),
            (
                "GET",
                "/hub/api/groups/club/shared",
                Some(BOB),
                None,
                403,
                "",
            ),
            (
                "GET",
                "/hub/api/groups/nope/shared",
                Some(ADMIN),
                None,
                404,
                "No such group: nope",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn revocations_table() {
    let app = app().await;
    call(
        &app,
        "POST",
        "/hub/api/shares/alice/",
        Some(ADMIN),
        Some(json!({"user": "bob", "scopes": ["access:servers", "read:servers"]})),
    )
    .await;
    call(
        &app,
        "POST",
        "/hub/api/shares/alice/gpu",
        Some(ADMIN),
        Some(json!({"group": "club"})),
    )
    .await;
    call(
        &app,
        "POST",
        "/hub/api/shares/alice/gpu",
        Some(ADMIN),
        bob(),
    )
    .await;
    let (status, left, _) = call(
        &app,
        "PATCH",
        "/hub/api/shares/alice/",
        Some(ALICE),
        Some(json!({"user": "bob", "scopes": ["read:servers!server=alice/"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(left["scopes"], json!(["access:servers!server=alice/"]));
    run(
        &app,
        &[
            ("PATCH", "/hub/api/shares/alice/", Some(BOB), bob(), 403, ""),
            (
                "PATCH",
                "/hub/api/shares/alice/",
                Some(ALICE),
                Some(json!({})),
                400,
                "",
            ),
            (
                "PATCH",
                "/hub/api/shares/alice/",
                Some(ALICE),
                Some(json!({"user": "nobody"})),
                200,
                "",
            ),
            (
                "PATCH",
                "/hub/api/shares/alice/missing",
                Some(ALICE),
                bob(),
                404,
                "",
            ),
            (
                "GET",
                "/hub/api/users/bob/shared/alice/",
                Some(BOB),
                None,
                200,
                "",
            ),
            (
                "GET",
                "/hub/api/users/bob/shared/alice/missing",
                Some(BOB),
                None,
                404,
                "No such share for user bob on alice/missing",
            ),
            (
                "GET",
                "/hub/api/users/bob/shared/alice/",
                Some(ALICE),
                None,
                404,
                "",
            ),
            (
                "DELETE",
                "/hub/api/users/bob/shared/alice/",
                None,
                None,
                403,
                "",
            ),
            (
                "DELETE",
                "/hub/api/users/bob/shared/alice/",
                Some(BOB),
                None,
                204,
                "",
            ),
            (
                "GET",
                "/hub/api/users/bob/shared/alice/",
                Some(BOB),
                None,
                404,
                "",
            ),
            (
                "GET",
                "/hub/api/groups/club/shared/alice/gpu",
                Some(ADMIN),
                None,
                200,
                "",
            ),
            (
                "GET",
                "/hub/api/groups/club/shared/alice/",
                Some(ADMIN),
                None,
                404,
                "No such share for group club on alice/",
            ),
            (
                "DELETE",
                "/hub/api/groups/club/shared/alice/gpu",
                Some(BOB),
                None,
                403,
                "",
            ),
            (
                "DELETE",
                "/hub/api/groups/club/shared/alice/gpu",
                Some(ADMIN),
                None,
                204,
                "",
            ),
            (
                "DELETE",
                "/hub/api/shares/alice/gpu",
                Some(BOB),
                None,
                403,
                "",
            ),
            (
                "DELETE",
                "/hub/api/shares/alice/gpu",
                Some(ALICE),
                None,
                204,
                "",
            ),
        ],
    )
    .await;
    let (_, empty, _) = call(
        &app,
        "PATCH",
        "/hub/api/shares/alice/gpu",
        Some(ALICE),
        bob(),
    )
    .await;
    assert_eq!(empty, json!({}));
    let (_, rest, _) = call(&app, "GET", "/hub/api/shares/alice", Some(ALICE), None).await;
    assert_eq!(rest["_pagination"]["total"], 0);
}

#[tokio::test]
async fn share_codes_table() {
    let app = app().await;
    let (status, created, _) = call(
        &app,
        "POST",
        "/hub/api/share-codes/alice/",
        Some(ALICE),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let code = created["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 43);
    assert_eq!(
        created["accept_url"],
        format!("/hub/accept-share?code={code}")
    );
    assert_eq!(created["full_accept_url"], Value::Null);
    assert_eq!(created["scopes"], json!(["access:servers!server=alice/"]));
    assert_eq!(
        (&created["exchange_count"], &created["last_exchanged_at"]),
        (&json!(0), &Value::Null)
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sc_"));

    let (_, listed, _) = call(&app, "GET", "/hub/api/share-codes/alice", Some(ALICE), None).await;
    assert_eq!(listed["_pagination"]["total"], 1);
    assert!(
        listed["items"][0].get("code").is_none(),
        "the code is shown once"
    );
    assert_eq!(listed["items"][0]["id"], id.as_str());

    let delete_by_code = format!("/hub/api/share-codes/alice/?code={code}");
    let delete_by_code: &'static str = Box::leak(delete_by_code.into_boxed_str());
    run(
        &app,
        &[
            ("POST", "/hub/api/share-codes/alice/", None, None, 403, ""),
            (
                "POST",
                "/hub/api/share-codes/alice/",
                Some(BOB),
                None,
                403,
                "",
            ),
            (
                "POST",
                "/hub/api/share-codes/alice",
                Some(ALICE),
                None,
                405,
                "",
            ),
            (
                "POST",
                "/hub/api/share-codes/alice/",
                Some(ALICE),
                Some(json!({"expires_in": 10})),
                400,
                "",
            ),
            (
                "POST",
                "/hub/api/share-codes/alice/",
                Some(ALICE),
                Some(json!({"bogus": 1})),
                400,
                "",
            ),
            (
                "POST",
                "/hub/api/share-codes/alice/",
                Some(ALICE),
                Some(json!({"scopes": ["admin:users"]})),
                403,
                "Do not have permission to grant share with scope admin:users!server=alice/",
            ),
            (
                "POST",
                "/hub/api/share-codes/alice/missing",
                Some(ALICE),
                None,
                404,
                "",
            ),
            (
                "GET",
                "/hub/api/share-codes/alice/",
                Some(ALICE),
                None,
                200,
                "",
            ),
            (
                "GET",
                "/hub/api/share-codes/alice/",
                Some(BOB),
                None,
                404,
                "",
            ),
            (
                "GET",
                "/hub/api/share-codes/nobody",
                Some(ADMIN),
                None,
                404,
                "",
            ),
            (
                "DELETE",
                "/hub/api/share-codes/alice",
                Some(ALICE),
                None,
                405,
                "",
            ),
            (
                "DELETE",
                "/hub/api/share-codes/alice/?id=sc_999999",
                Some(ALICE),
                None,
                404,
                "No code found matching id=sc_999999",
            ),
            (
                "DELETE",
                "/hub/api/share-codes/alice/?id=bad",
                Some(ALICE),
                None,
                404,
                "",
            ),
            (
                "DELETE",
                "/hub/api/share-codes/alice/?code=wrong",
                Some(ALICE),
                None,
                404,
                "No matching code found",
            ),
            (
                "DELETE",
                "/hub/api/share-codes/alice/gpu",
                Some(ALICE),
                None,
                204,
                "",
            ),
            ("DELETE", delete_by_code, Some(ALICE), None, 204, ""),
            (
                "POST",
                "/hub/api/share-codes/alice/gpu",
                Some(ALICE),
                Some(json!({"expires_in": 60})),
                200,
                "",
            ),
            (
                "POST",
                "/hub/api/share-codes/alice/gpu",
                Some(ALICE),
                None,
                200,
                "",
            ),
            (
                "DELETE",
                "/hub/api/share-codes/alice/gpu",
                Some(ALICE),
                None,
                204,
                "",
            ),
        ],
    )
    .await;
    let (_, after, _) = call(&app, "GET", "/hub/api/share-codes/alice", Some(ALICE), None).await;
    assert_eq!(after["_pagination"]["total"], 0);
}
