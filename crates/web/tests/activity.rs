//! `POST /users/{name}/activity`: validation, and activity only moving forward.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod users_support;

use common::{ADMIN, ALICE, call};
use serde_json::{Value, json};
use users_support::{Case, READER, run, send, server_env};

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
    // The reports come from `reader` (who holds users:activity): a request with alice's own
    // token is her activity at the clock's 12:00, as in JupyterHub.
    let report = json!({
        "last_activity": "2026-03-01T11:00:00.050234Z",
        "servers": {"": {"last_activity": "2026-03-01T11:00:00Z"}, "gpu": {"last_activity": "2026-03-01T12:30:00+01:00"}},
    });
    let (status, body, _) = send(&env.app, "POST", a, Some(READER), &report.to_string()).await;
    assert_eq!((status, body), (200, Value::Null));
    let older = json!({"last_activity": "2026-03-01T09:00:00Z", "servers": {"gpu": {"last_activity": "2026-03-01T09:00:00Z"}}});
    let (status, _, _) = send(&env.app, "POST", a, Some(READER), &older.to_string()).await;
    assert_eq!(status, 200, "an old report is accepted and ignored");

    let (_, model, _) = call(&env.app, "GET", "/hub/api/users/alice", Some(ADMIN), None).await;
    assert_eq!(model["last_activity"], "2026-03-01T11:00:00.050234Z");
    let alice = env.db.get_user("alice").await.unwrap().unwrap();
    let gpu = env.db.get_server(alice.id, "gpu").await.unwrap().unwrap();
    assert_eq!(
        gpu.last_activity.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-01T11:30:00+00:00")
    );

    run(&env.app, cases).await;
    let (_, model, _) = call(&env.app, "GET", "/hub/api/users/alice", Some(ADMIN), None).await;
    assert_eq!(
        model["last_activity"], "2026-03-01T12:00:00Z",
        "alice's own requests are her activity"
    );
}

/// The ids behind names are kept between posts (`crates/core/src/id_cache.rs`); a deleted or
/// recreated user is looked up again.
#[tokio::test]
async fn activity_follows_a_deleted_and_recreated_user() {
    let env = server_env(false).await;
    let a = "/hub/api/users/alice/activity";
    let post = |at: &str| json!({"last_activity": at}).to_string();
    let (status, _, _) = send(
        &env.app,
        "POST",
        a,
        Some(READER),
        &post("2026-03-01T10:00:00Z"),
    )
    .await;
    assert_eq!(status, 200);

    let (status, _, _) = call(
        &env.app,
        "DELETE",
        "/hub/api/users/alice",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, body, _) = send(
        &env.app,
        "POST",
        a,
        Some(READER),
        &post("2026-03-01T10:30:00Z"),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (404, Some("No such user: 'alice'"))
    );

    let (status, _, _) = call(&env.app, "POST", "/hub/api/users/alice", Some(ADMIN), None).await;
    assert_eq!(status, 201);
    let (status, _, _) = send(
        &env.app,
        "POST",
        a,
        Some(READER),
        &post("2026-03-01T11:00:00Z"),
    )
    .await;
    assert_eq!(status, 200);
    let alice = env.db.get_user("alice").await.unwrap().unwrap();
    assert_eq!(
        alice.last_activity.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-01T11:00:00+00:00")
    );
}
