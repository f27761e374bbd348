//! The deprecated `/authorizations` endpoints JupyterHub 6.1.1 still routes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod users_support;

use common::{ADMIN, ALICE};
use serde_json::json;
use users_support::{Case, READER, run, send, server_env};

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
            "null",
        ),
        (
            "GET",
            "/hub/api/authorizations/token/unknown-token-000000000000001",
            Some(ADMIN),
            "",
            404,
            "null",
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
            "null",
        ),
        (
            "GET",
            "/hub/api/authorizations/cookie/jupyterhub-hub-login/abc",
            Some(ADMIN),
            "",
            404,
            "null",
        ),
        (
            "GET",
            "/hub/api/authorizations/cookie/jupyterhub-hub-login",
            Some(ADMIN),
            "",
            404,
            "null",
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
