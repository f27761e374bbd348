//! Server start, stop and progress before the spawner exists: JupyterHub's checks, then 501.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod users_support;

use common::{ADMIN, ALICE};
use ganymede_core::NO_SPAWNER;
use users_support::{Case, READER, run, send, server_env};

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
            "null",
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
            "null",
        ),
    ];
    run(&env.app, cases).await;
}

/// JupyterHub 6.0's `GET`, `PUT` and `PATCH` on one server: the model, a named server made
/// without starting it, and a stopped server renamed or given new options.
#[tokio::test]
async fn servers_are_read_made_and_edited_without_starting() {
    let env = server_env(true).await;
    let cases: &[Case] = &[
        ("GET", "/hub/api/users/alice/servers/gpu", None, "", 403, ""),
        (
            "GET",
            "/hub/api/users/alice/servers/nope",
            Some(ALICE),
            "",
            404,
            "",
        ),
        (
            "GET",
            "/hub/api/users/alice/servers/gpu",
            Some(READER),
            "",
            200,
            "",
        ),
        (
            "PUT",
            "/hub/api/users/alice/servers/cpu",
            Some(READER),
            "",
            404,
            "",
        ),
        (
            "PUT",
            "/hub/api/users/alice/servers/",
            Some(ALICE),
            "",
            409,
            "User alice already has a default server",
        ),
        (
            "PUT",
            "/hub/api/users/alice/servers/gpu",
            Some(ALICE),
            "",
            409,
            "User alice already has server gpu",
        ),
        (
            "PUT",
            "/hub/api/users/alice/servers/cpu",
            Some(ALICE),
            r#"{"display_name": "My CPU", "user_options": {"mem": "4G"}}"#,
            201,
            "",
        ),
        (
            "PATCH",
            "/hub/api/users/alice/servers/cpu",
            Some(ALICE),
            "{}",
            400,
            "Must specify at least one field to modify.",
        ),
        (
            "PATCH",
            "/hub/api/users/alice/servers/cpu",
            Some(ALICE),
            r#"{"colour": "red"}"#,
            400,
            "Unexpected fields: colour, supported fields: name,display_name,user_options",
        ),
        (
            "PATCH",
            "/hub/api/users/alice/servers/cpu",
            Some(ALICE),
            r#"{"name": "gpu"}"#,
            409,
            "User alice already has server 'gpu'",
        ),
        (
            "PATCH",
            "/hub/api/users/alice/servers/cpu",
            Some(ALICE),
            r#"{"user_options": [1]}"#,
            400,
            "user_options must be a dict",
        ),
        (
            "PATCH",
            "/hub/api/users/alice/servers/none",
            Some(ALICE),
            r#"{"display_name": "x"}"#,
            404,
            "User alice has no such server 'none'",
        ),
        (
            "PATCH",
            "/hub/api/users/alice/servers/cpu",
            Some(ALICE),
            r#"{"name": "cpu2", "user_options": {"mem": "8G"}}"#,
            200,
            "",
        ),
    ];
    run(&env.app, cases).await;

    let (status, model, _) = send(
        &env.app,
        "GET",
        "/hub/api/users/alice/servers/cpu2",
        Some(ALICE),
        "",
    )
    .await;
    assert_eq!(status, 200, "{model}");
    assert_eq!(model["name"], "cpu2");
    assert_eq!(model["display_name"], "My CPU");
    assert_eq!(model["user_options"], serde_json::json!({"mem": "8G"}));
    assert_eq!(model["url"], "/user/alice/cpu2/");
    assert_eq!(model["stopped"], true);
    let (status, _, _) = send(
        &env.app,
        "GET",
        "/hub/api/users/alice/servers/cpu",
        Some(ALICE),
        "",
    )
    .await;
    assert_eq!(status, 404, "the old name is gone");

    let flat = server_env(false).await;
    let cases: &[Case] = &[(
        "PUT",
        "/hub/api/users/alice/servers/cpu",
        Some(ALICE),
        "",
        400,
        "Named servers are not enabled.",
    )];
    run(&flat.app, cases).await;
}
