//! Activity reports, server start/stop/progress before the spawner exists, and the deprecated
//! `/authorizations` endpoints.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod users_support;

use common::{ADMIN, ALICE, call};
use ganymede_core::{HubSettings, NO_SPAWNER};
use ganymede_db::ServerSpec;
use serde_json::{Value, json};
use users_support::{Options, env, user_with_scopes};

const READER: &str = "reader-token-0000000000000000000001";

async fn send(
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
async fn server_env(allow_named_servers: bool) -> users_support::Env {
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

/// (method, path, token, body, status, message or "")
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    u16,
    &'static str,
);

async fn run(app: &axum::Router, cases: &[Case]) {
    for (method, path, token, body, status, message) in cases {
        let (got, json, _) = send(app, method, path, *token, body).await;
        assert_eq!(got, *status, "{method} {path} {token:?} {body}: {json}");
        if !message.is_empty() {
            assert_eq!(json["message"], *message, "{method} {path} {body}");
        }
    }
}

#[tokio::test]
async fn activity_validates_and_only_moves_forward() {
    let env = server_env(false).await;
    let a = "/hub/api/users/alice/activity";
    let shape = "servers must be a dict of the form {server_name: {last_activity: timestamp}}";
    let cases: &[Case] = &[
        (
            "POST",
            a,
            None,
            r#"{"last_activity": "2026-03-01T11:00:00Z"}"#,
            403,
            "",
        ),
        (
            "POST",
            "/hub/api/users/root/activity",
            Some(ALICE),
            r#"{"last_activity": "2026-03-01T11:00:00Z"}"#,
            404,
            "",
        ),
        (
            "POST",
            "/hub/api/users/nobody/activity",
            Some(ADMIN),
            "{}",
            404,
            "No such user: 'nobody'",
        ),
        ("POST", a, Some(ALICE), "", 400, "body must be a json dict"),
        (
            "POST",
            a,
            Some(ALICE),
            "{x",
            400,
            "Invalid JSON in body of request",
        ),
        (
            "POST",
            a,
            Some(ALICE),
            "[]",
            400,
            "body must be a json dict",
        ),
        (
            "POST",
            a,
            Some(ALICE),
            r#"{"last_activity": null, "servers": {}}"#,
            400,
            "body must contain at least one of `last_activity` or `servers`",
        ),
        (
            "POST",
            a,
            Some(ALICE),
            r#"{"servers": {"cpu": {"last_activity": "2026-03-01T11:00:00Z"}}}"#,
            400,
            "No such server 'cpu' for user alice",
        ),
        ("POST", a, Some(ALICE), r#"{"servers": [1]}"#, 400, shape),
        (
            "POST",
            a,
            Some(ALICE),
            r#"{"servers": {"": 1}}"#,
            400,
            shape,
        ),
        (
            "POST",
            a,
            Some(ALICE),
            r#"{"servers": {"": {}}}"#,
            400,
            shape,
        ),
        (
            "POST",
            a,
            Some(ALICE),
            r#"{"last_activity": "soon"}"#,
            400,
            "Not a valid timestamp: 'soon'",
        ),
        (
            "POST",
            a,
            Some(ALICE),
            r#"{"last_activity": "2026-03-01T13:00:00Z"}"#,
            400,
            "Rejecting activity from more than an hour in the future: 2026-03-01T13:00:00Z",
        ),
        (
            "POST",
            a,
            Some(READER),
            r#"{"last_activity": "2026-03-01T10:00:00Z"}"#,
            200,
            "",
        ),
    ];
    run(&env.app, cases).await;

    let report = json!({
        "last_activity": "2026-03-01T11:00:00.050234Z",
        "servers": {"": {"last_activity": "2026-03-01T11:00:00Z"}, "gpu": {"last_activity": "2026-03-01T12:30:00+01:00"}},
    });
    let (status, body, _) = send(&env.app, "POST", a, Some(ALICE), &report.to_string()).await;
    assert_eq!((status, body), (200, Value::Null));
    let older = json!({"last_activity": "2026-03-01T09:00:00Z", "servers": {"gpu": {"last_activity": "2026-03-01T09:00:00Z"}}});
    let (status, _, _) = send(&env.app, "POST", a, Some(ALICE), &older.to_string()).await;
    assert_eq!(status, 200, "an old report is accepted and ignored");

    let (_, model, _) = call(&env.app, "GET", "/hub/api/users/alice", Some(ADMIN), None).await;
    assert_eq!(model["last_activity"], "2026-03-01T11:00:00.050234Z");
    let alice = env.db.get_user("alice").await.unwrap().unwrap();
    let gpu = env.db.get_server(alice.id, "gpu").await.unwrap().unwrap();
    assert_eq!(
        gpu.last_activity.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-01T11:30:00+00:00")
    );
}

#[tokio::test]
async fn start_validates_then_says_there_is_no_spawner() {
    let env = server_env(false).await;
    let cases: &[Case] = &[
        ("POST", "/hub/api/users/alice/server", None, "", 403, ""),
        (
            "POST",
            "/hub/api/users/root/server",
            Some(ALICE),
            "",
            404,
            "",
        ),
        (
            "POST",
            "/hub/api/users/alice/server",
            Some(READER),
            "",
            404,
            "",
        ),
        (
            "POST",
            "/hub/api/users/nobody/server",
            Some(ADMIN),
            "",
            404,
            "Not Found",
        ),
        (
            "POST",
            "/hub/api/users/alice/server",
            Some(ALICE),
            "[1]",
            400,
            "Body must be a JSON object",
        ),
        (
            "POST",
            "/hub/api/users/alice/server",
            Some(ALICE),
            r#"{"display_name": 1}"#,
            400,
            "display_name must be a string",
        ),
        (
            "POST",
            "/hub/api/users/alice/server",
            Some(ALICE),
            r#"{"user_options": []}"#,
            400,
            "user_options must be an object or null",
        ),
        (
            "POST",
            "/hub/api/users/alice/server",
            Some(ALICE),
            r#"{"profile": "small"}"#,
            501,
            NO_SPAWNER,
        ),
        (
            "POST",
            "/hub/api/users/alice/server",
            Some(ALICE),
            "",
            501,
            NO_SPAWNER,
        ),
        (
            "POST",
            "/hub/api/users/alice/servers/gpu",
            Some(ALICE),
            "",
            400,
            "Named servers are not enabled.",
        ),
        (
            "POST",
            "/hub/api/users/alice/servers/",
            Some(ALICE),
            "",
            501,
            NO_SPAWNER,
        ),
    ];
    run(&env.app, cases).await;
    let env = server_env(true).await;
    let cases: &[Case] = &[
        (
            "POST",
            "/hub/api/users/alice/servers/Bad_Name",
            Some(ALICE),
            "",
            400,
            "Invalid server_name: 'Bad_Name'",
        ),
        (
            "POST",
            "/hub/api/users/alice/servers/gpu",
            Some(ALICE),
            "",
            501,
            NO_SPAWNER,
        ),
        (
            "POST",
            "/hub/api/users/alice/servers/new-one",
            Some(ALICE),
            "",
            501,
            NO_SPAWNER,
        ),
    ];
    run(&env.app, cases).await;
}

#[tokio::test]
async fn stop_answers_as_for_a_server_that_is_not_running() {
    let env = server_env(false).await;
    let cases: &[Case] = &[
        ("DELETE", "/hub/api/users/alice/server", None, "", 403, ""),
        (
            "DELETE",
            "/hub/api/users/root/server",
            Some(ALICE),
            "",
            404,
            "",
        ),
        (
            "DELETE",
            "/hub/api/users/alice/server",
            Some(ALICE),
            "{x",
            400,
            "Invalid JSON in body of request",
        ),
        (
            "DELETE",
            "/hub/api/users/alice/server",
            Some(ALICE),
            r#"{"remove": true}"#,
            400,
            "Cannot delete the default server",
        ),
        (
            "DELETE",
            "/hub/api/users/alice/servers/gpu",
            Some(ALICE),
            "",
            400,
            "Named servers are not enabled.",
        ),
        (
            "DELETE",
            "/hub/api/users/alice/server",
            Some(ALICE),
            "",
            204,
            "",
        ),
    ];
    run(&env.app, cases).await;
    let (_, _, headers) = send(
        &env.app,
        "DELETE",
        "/hub/api/users/alice/server",
        Some(ADMIN),
        "",
    )
    .await;
    assert_eq!(headers["content-type"], "text/plain");

    let env = server_env(true).await;
    let cases: &[Case] = &[
        (
            "DELETE",
            "/hub/api/users/alice/servers/cpu",
            Some(ALICE),
            "",
            404,
            "alice has no server named 'cpu'",
        ),
        (
            "DELETE",
            "/hub/api/users/alice/servers/gpu",
            Some(ALICE),
            "",
            204,
            "",
        ),
        (
            "DELETE",
            "/hub/api/users/alice/servers/gpu",
            Some(ALICE),
            r#"{"remove": true}"#,
            204,
            "",
        ),
        (
            "DELETE",
            "/hub/api/users/alice/servers/gpu",
            Some(ALICE),
            "",
            404,
            "alice has no server named 'gpu'",
        ),
    ];
    run(&env.app, cases).await;
}

#[tokio::test]
async fn progress_says_nothing_is_starting() {
    let env = server_env(true).await;
    let cases: &[Case] = &[
        (
            "GET",
            "/hub/api/users/alice/server/progress",
            None,
            "",
            403,
            "",
        ),
        (
            "GET",
            "/hub/api/users/root/server/progress",
            Some(ALICE),
            "",
            404,
            "",
        ),
        (
            "GET",
            "/hub/api/users/alice/server/progress",
            Some(ALICE),
            "",
            400,
            "alice is not starting...",
        ),
        (
            "GET",
            "/hub/api/users/alice/server/progress",
            Some(READER),
            "",
            400,
            "alice is not starting...",
        ),
        (
            "GET",
            "/hub/api/users/alice/servers/gpu/progress",
            Some(ALICE),
            "",
            400,
            "alice:gpu is not starting...",
        ),
        (
            "GET",
            "/hub/api/users/alice/servers/cpu/progress",
            Some(ALICE),
            "",
            404,
            "Not Found",
        ),
    ];
    run(&env.app, cases).await;
}

#[tokio::test]
async fn deprecated_authorizations() {
    let env = server_env(false).await;
    let removed = "Deprecated endpoint /hub/api/authorizations/token is removed in JupyterHub 2.0. Use /hub/api/users/:user/tokens instead.";
    let cases: &[Case] = &[
        (
            "GET",
            "/hub/api/authorizations/token/alice-token-0000000000000000000001",
            None,
            "",
            403,
            "Forbidden",
        ),
        (
            "GET",
            "/hub/api/authorizations/token/unknown-token-000000000000001",
            Some(ADMIN),
            "",
            404,
            "Not Found",
        ),
        (
            "POST",
            "/hub/api/authorizations/token",
            None,
            "",
            404,
            removed,
        ),
        (
            "POST",
            "/hub/api/authorizations/token",
            Some(ADMIN),
            "{}",
            404,
            removed,
        ),
        (
            "GET",
            "/hub/api/authorizations/cookie/jupyterhub-hub-login/abc",
            None,
            "",
            403,
            "Forbidden",
        ),
        (
            "GET",
            "/hub/api/authorizations/cookie/jupyterhub-hub-login/abc",
            Some(ADMIN),
            "",
            404,
            "Not Found",
        ),
        (
            "GET",
            "/hub/api/authorizations/cookie/jupyterhub-hub-login",
            Some(ADMIN),
            "",
            404,
            "Not Found",
        ),
    ];
    run(&env.app, cases).await;

    let path = format!("/hub/api/authorizations/token/{ALICE}");
    let (status, model, _) = send(&env.app, "GET", &path, Some(ADMIN), "").await;
    assert_eq!(status, 200);
    assert_eq!(model["name"], "alice");
    assert_eq!(model["created"], "2026-03-01T12:00:00Z");
    assert_eq!(
        model["last_activity"], "2026-03-01T12:00:00Z",
        "looking a token up is activity"
    );
    // Any token may identify a token's owner: name and groups, nothing more.
    let (status, model, _) = send(&env.app, "GET", &path, Some(READER), "").await;
    assert_eq!(status, 200);
    assert_eq!(model["name"], "alice");
    assert_eq!(model["groups"], json!([]));
    assert!(model.get("created").is_none(), "{model}");
}
