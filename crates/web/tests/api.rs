//! The REST API in-process (`tower::ServiceExt::oneshot`) over in-memory SQLite: each endpoint
//! on its happy path, without credentials, with too few scopes, and with bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use common::{ADMIN, ALICE, app, call};
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

#[tokio::test]
async fn version_needs_no_credentials_and_every_response_has_the_header() {
    let app = app().await;
    for path in ["/hub/api", "/hub/api/"] {
        let (status, body, headers) = call(&app, "GET", path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body, json!({"version": "6.1.1"}));
        assert_eq!(headers["x-jupyterhub-version"], "6.1.1");
    }
    let (status, body, headers) = call(&app, "GET", "/hub/api/nope", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"status": 404, "message": null}));
    assert_eq!(headers["x-jupyterhub-version"], "6.1.1");
    let (status, _, _) = call(&app, "GET", "/hub/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
}

/// (method, path, token, body, expected status)
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<Value>,
    u16,
);

#[tokio::test]
async fn credentials_and_scopes_table() {
    let app = app().await;
    // (method, path, token, body, expected status)
    let cases: &[Case] = &[
        ("GET", "/hub/api/users", None, None, 403),
        ("GET", "/hub/api/users", Some("wrong"), None, 403),
        ("GET", "/hub/api/users", Some(ALICE), None, 403),
        ("GET", "/hub/api/users", Some(ADMIN), None, 200),
        ("GET", "/hub/api/info", Some(ALICE), None, 403),
        ("GET", "/hub/api/info", Some(ADMIN), None, 200),
        ("GET", "/hub/api/users/alice", Some(ALICE), None, 200),
        ("GET", "/hub/api/users/root", Some(ALICE), None, 404),
        ("GET", "/hub/api/users/nobody", Some(ADMIN), None, 404),
        (
            "POST",
            "/hub/api/users",
            Some(ALICE),
            Some(json!({"usernames": ["x"]})),
            403,
        ),
        (
            "POST",
            "/hub/api/users",
            Some(ADMIN),
            Some(json!({"usernames": ["bob", "carol"]})),
            201,
        ),
        (
            "POST",
            "/hub/api/users",
            Some(ADMIN),
            Some(json!({"usernames": ["bob"]})),
            409,
        ),
        (
            "POST",
            "/hub/api/users",
            Some(ADMIN),
            Some(json!({"usernames": ["a/b"]})),
            400,
        ),
        (
            "POST",
            "/hub/api/users",
            Some(ADMIN),
            Some(json!({"usernames": []})),
            400,
        ),
        ("POST", "/hub/api/users/dave", Some(ADMIN), None, 201),
        ("POST", "/hub/api/users/dave", Some(ADMIN), None, 409),
        ("DELETE", "/hub/api/users/dave", Some(ALICE), None, 403),
        ("DELETE", "/hub/api/users/dave", Some(ADMIN), None, 204),
        ("DELETE", "/hub/api/users/dave", Some(ADMIN), None, 404),
        ("DELETE", "/hub/api/users/root", Some(ADMIN), None, 400),
        ("GET", "/hub/api/users?state=bogus", Some(ADMIN), None, 400),
        ("GET", "/hub/api/users?limit=x", Some(ADMIN), None, 400),
        ("GET", "/hub/api/users?sort=height", Some(ADMIN), None, 400),
    ];
    for (method, path, token, body, expected) in cases {
        let (status, json, _) = call(&app, method, path, *token, body.clone()).await;
        assert_eq!(
            status.as_u16(),
            *expected,
            "{method} {path} as {token:?}: {json}"
        );
        if *expected >= 400 {
            assert_eq!(
                json["status"],
                json!(expected),
                "{method} {path}: error shape {json}"
            );
            assert!(json.get("message").is_some());
        }
    }
}

#[tokio::test]
async fn bad_json_is_400() {
    let app = app().await;
    let request = Request::post("/hub/api/users")
        .header("authorization", format!("token {ADMIN}"))
        .body(Body::from("{not json"))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn whoami_for_a_user_token() {
    let app = app().await;
    let (status, body, _) = call(&app, "GET", "/hub/api/user", Some(ALICE), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["kind"], "user");
    assert_eq!(body["name"], "alice");
    assert!(
        body["token_id"]
            .as_str()
            .is_some_and(|id| id.starts_with('a'))
    );
    let scopes: Vec<&str> = body["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(scopes.contains(&"read:users:name!user=alice"), "{scopes:?}");
    assert!(scopes.contains(&"access:servers!user=alice"), "{scopes:?}");
    let (status, body, _) = call(&app, "GET", "/hub/api/user", Some("nope"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"status": 403, "message": null}));
}

#[tokio::test]
async fn user_list_pagination_and_filters() {
    let app = app().await;
    let names: Vec<String> = (0..7).map(|i| format!("user{i}")).collect();
    let (status, _, _) = call(
        &app,
        "POST",
        "/hub/api/users",
        Some(ADMIN),
        Some(json!({"usernames": names})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Bare list without the media type.
    let (_, body, _) = call(
        &app,
        "GET",
        "/hub/api/users?name_filter=USER",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(body.as_array().map(Vec::len), Some(7));
    // Paginated form with a next URL built from Host.
    let (status, body, _) = call(
        &app,
        "GET",
        "/hub/api/users?_p=1&limit=3&sort=name",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(body["_pagination"]["total"], 9);
    assert_eq!(body["_pagination"]["offset"], 0);
    assert_eq!(body["_pagination"]["next"]["offset"], 3);
    assert_eq!(
        body["_pagination"]["next"]["url"],
        "http://hub.test:8000/hub/api/users?_p=1&sort=name&limit=3&offset=3"
    );
    assert_eq!(body["items"][0]["name"], "alice");
    // Keys a read:users holder sees.
    let item = &body["items"][0];
    for key in [
        "kind",
        "name",
        "admin",
        "roles",
        "groups",
        "server",
        "pending",
        "created",
        "last_activity",
        "servers",
    ] {
        assert!(item.get(key).is_some(), "missing {key} in {item}");
    }
    let (_, body, _) = call(
        &app,
        "GET",
        "/hub/api/users?_p=1&state=inactive&limit=200",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(body["_pagination"]["total"], 9);
    assert_eq!(body["_pagination"]["next"], Value::Null);
    let (_, body, _) = call(
        &app,
        "GET",
        "/hub/api/users?_p=1&state=ready",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(body["_pagination"]["total"], 0);
}

#[tokio::test]
async fn groups_lifecycle_table() {
    let app = app().await;
    let (status, _, _) = call(
        &app,
        "POST",
        "/hub/api/users",
        Some(ADMIN),
        Some(json!({"usernames": ["bob"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let cases: &[Case] = &[
        (
            "POST",
            "/hub/api/groups",
            Some(ALICE),
            Some(json!({"groups": ["team"]})),
            403,
        ),
        (
            "POST",
            "/hub/api/groups",
            Some(ADMIN),
            Some(json!({"groups": ["team"], "users": ["alice"]})),
            201,
        ),
        (
            "POST",
            "/hub/api/groups",
            Some(ADMIN),
            Some(json!({"groups": ["team"]})),
            409,
        ),
        (
            "POST",
            "/hub/api/groups",
            Some(ADMIN),
            Some(json!({"groups": []})),
            400,
        ),
        ("POST", "/hub/api/groups/solo", Some(ADMIN), None, 201),
        ("GET", "/hub/api/groups/team", Some(ALICE), None, 403),
        ("GET", "/hub/api/groups/team", Some(ADMIN), None, 200),
        ("GET", "/hub/api/groups/nope", Some(ADMIN), None, 404),
        (
            "POST",
            "/hub/api/groups/team/users",
            Some(ADMIN),
            Some(json!({"users": ["bob"]})),
            200,
        ),
        (
            "POST",
            "/hub/api/groups/team/users",
            Some(ADMIN),
            Some(json!({"users": ["ghost"]})),
            400,
        ),
        (
            "DELETE",
            "/hub/api/groups/team/users",
            Some(ADMIN),
            Some(json!({"users": ["alice"]})),
            200,
        ),
        (
            "PUT",
            "/hub/api/groups/team/properties",
            Some(ADMIN),
            Some(json!({"lab": "gpu"})),
            200,
        ),
        (
            "PUT",
            "/hub/api/groups/team/properties",
            Some(ADMIN),
            Some(json!([1])),
            400,
        ),
        ("GET", "/hub/api/groups", Some(ALICE), None, 403),
        ("GET", "/hub/api/groups", Some(ADMIN), None, 200),
        ("DELETE", "/hub/api/groups/solo", Some(ADMIN), None, 204),
        ("DELETE", "/hub/api/groups/solo", Some(ADMIN), None, 404),
    ];
    for (method, path, token, body, expected) in cases {
        let (status, json, _) = call(&app, method, path, *token, body.clone()).await;
        assert_eq!(
            status.as_u16(),
            *expected,
            "{method} {path} as {token:?}: {json}"
        );
    }
    let (_, team, _) = call(&app, "GET", "/hub/api/groups/team", Some(ADMIN), None).await;
    assert_eq!(
        team,
        json!({"kind": "group", "name": "team", "users": ["bob"], "properties": {"lab": "gpu"}, "roles": []})
    );
    let (_, list, _) = call(&app, "GET", "/hub/api/groups?_p=1", Some(ADMIN), None).await;
    assert_eq!(list["_pagination"]["total"], 1);
    assert_eq!(list["items"][0]["name"], "team");
    // Membership now shows on the user, and a group-filtered scope would see bob.
    let (_, bob, _) = call(&app, "GET", "/hub/api/users/bob", Some(ADMIN), None).await;
    assert_eq!(bob["groups"], json!(["team"]));
}
