//! `/users/{name}/tokens[/{id}]`: list, create, read, revoke.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod users_support;

use common::{ADMIN, ALICE, call};
use ganymede_core::HubSettings;
use ganymede_db::{NewOAuthClient, NewToken, TokenOwner};
use http::StatusCode;
use serde_json::{Value, json};
use users_support::{Options, READER, env, user_with_scopes};

async fn token_env(settings: HubSettings) -> users_support::Env {
    let env = env(Options {
        settings,
        keys: None,
    })
    .await;
    user_with_scopes(&env.db, "reader", &["read:tokens"], READER).await;
    env
}

async fn post(app: &axum::Router, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut request = http::Request::builder().method("POST").uri(path);
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
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn list_shows_the_token_model() {
    let env = token_env(HubSettings::default()).await;
    let (status, body, _) = call(
        &env.app,
        "GET",
        "/hub/api/users/alice/tokens",
        Some(ALICE),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let tokens = body["api_tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    let mut model = tokens[0].clone();
    let scopes = model.as_object_mut().unwrap().remove("scopes").unwrap();
    assert!(
        scopes
            .as_array()
            .unwrap()
            .contains(&json!("read:users!user=alice")),
        "{scopes}"
    );
    // Listing with the token is its use: last_activity is the (fixed) clock's now.
    assert_eq!(
        model,
        json!({
            "user": "alice", "id": "a2", "kind": "api_token", "roles": [],
            "created": "2026-03-01T12:00:00Z", "last_activity": "2026-03-01T12:00:00Z", "expires_at": null,
            "note": "from config", "session_id": null, "oauth_client": "JupyterHub",
        })
    );
    // (token, path, status)
    let cases = [
        (None, "/hub/api/users/alice/tokens", 403),
        (Some(ALICE), "/hub/api/users/root/tokens", 404),
        (Some(ADMIN), "/hub/api/users/nobody/tokens", 404),
        (Some(READER), "/hub/api/users/alice/tokens", 200),
        (Some(ALICE), "/hub/api/users/alice/tokens/a2", 200),
        (Some(ALICE), "/hub/api/users/alice/tokens/a1", 404),
        (Some(ALICE), "/hub/api/users/alice/tokens/b2", 404),
        (Some(ALICE), "/hub/api/users/alice/tokens/a", 404),
        (Some(ALICE), "/hub/api/users/root/tokens/a1", 404),
        (Some(ADMIN), "/hub/api/users/root/tokens/a1", 200),
    ];
    for (token, path, expected) in cases {
        let (status, body, _) = call(&env.app, "GET", path, token, None).await;
        assert_eq!(status.as_u16(), expected, "{token:?} {path}: {body}");
    }
    let (_, body, _) = call(
        &env.app,
        "GET",
        "/hub/api/users/alice/tokens/a1",
        Some(ALICE),
        None,
    )
    .await;
    assert_eq!(body["message"], "No such token a1 for user alice");
    let (_, body, _) = call(
        &env.app,
        "GET",
        "/hub/api/users/nobody/tokens",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(body["message"], "No such user: nobody");
}

#[tokio::test]
async fn create_checks_input_and_the_owners_scopes() {
    let env = token_env(HubSettings::default()).await;
    let p = "/hub/api/users/alice/tokens";
    // (token, path, body, status, message, "" for any, or "null" for JSON null)
    let cases: &[(Option<&str>, &str, &str, u16, &str)] = &[
        (None, p, "", 403, "null"),
        (Some("not-a-token-at-all"), p, "", 403, "null"),
        (None, p, "{nope", 400, "Invalid JSON in body of request"),
        (
            Some(ALICE),
            p,
            "[1]",
            400,
            "Body must be a JSON dict or empty",
        ),
        (
            Some(ALICE),
            "/hub/api/users/root/tokens",
            "",
            403,
            "User root not found or no permissions to generate tokens",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/nobody/tokens",
            "",
            403,
            "User nobody not found or no permissions to generate tokens",
        ),
        (
            Some(READER),
            p,
            "",
            403,
            "User alice not found or no permissions to generate tokens",
        ),
        (
            Some(ALICE),
            p,
            r#"{"scopes": "read:users"}"#,
            400,
            "token scopes must be null or a list of strings, not 'read:users'",
        ),
        (
            Some(ALICE),
            p,
            r#"{"roles": [1]}"#,
            400,
            "token roles must be null or a list of strings, not [1]",
        ),
        (
            Some(ALICE),
            p,
            r#"{"roles": ["user"], "scopes": []}"#,
            400,
            "Can only assign one of scopes or roles when creating tokens.",
        ),
        (
            Some(ALICE),
            p,
            r#"{"roles": ["nope"]}"#,
            400,
            "No such role: nope",
        ),
        (
            Some(ALICE),
            p,
            r#"{"scopes": ["nope"]}"#,
            400,
            "\"Scope 'nope' for token does not exist\"",
        ),
        (
            Some(ALICE),
            p,
            r#"{"scopes": ["all"]}"#,
            400,
            "\"Draft scope 'all' is now called 'inherit'\"",
        ),
        (
            Some(ALICE),
            p,
            r#"{"scopes": ["read:users!nope=x"]}"#,
            400,
            "\"Scope filter nope=x '!nope=x' in scope 'read:users!nope=x' for token does not exist\"",
        ),
        (
            Some(ALICE),
            p,
            r#"{"expires_in": "x"}"#,
            400,
            "token expires_in must be null or integer, not 'x'",
        ),
        (
            Some(ALICE),
            p,
            r#"{"expires_in": 0}"#,
            400,
            "expires_in must be a positive integer or null, not 0",
        ),
        (
            Some(ALICE),
            p,
            r#"{"scopes": ["read:users!user=alice"]}"#,
            201,
            "",
        ),
        (Some(ALICE), p, r#"{"roles": ["user"]}"#, 201, ""),
        (
            Some(ADMIN),
            p,
            r#"{"scopes": ["read:hub"]}"#,
            400,
            "Not assigning requested scopes read:hub not held by User alice",
        ),
    ];
    for (token, path, body, status, message) in cases {
        let (got, json) = post(&env.app, path, *token, body).await;
        assert_eq!(got, *status, "{token:?} {path} {body}: {json}");
        match *message {
            "" => {}
            "null" => assert!(json["message"].is_null(), "{body}: {json}"),
            message => assert_eq!(json["message"], message, "{body}"),
        }
    }
    let (status, body) = post(&env.app, p, Some(ALICE), r#"{"scopes": ["admin:users"]}"#).await;
    assert_eq!(status, 400);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Not assigning requested scopes "),
        "{message}"
    );
    assert!(message.ends_with(" not held by User alice"), "{message}");
}

#[tokio::test]
async fn a_created_token_is_shown_once_and_works() {
    let env = token_env(HubSettings::default()).await;
    let (status, own) = post(
        &env.app,
        "/hub/api/users/alice/tokens",
        Some(ALICE),
        r#"{"expires_in": 3600}"#,
    )
    .await;
    assert_eq!(status, 201, "{own}");
    assert_eq!(own["note"], "Requested via api");
    assert_eq!(own["expires_at"], "2026-03-01T13:00:00Z");
    let secret = own["token"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32);
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
    let (status, me, _) = call(&env.app, "GET", "/hub/api/user", Some(&secret), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "alice");
    assert_eq!(me["token_id"], own["id"]);

    let (status, theirs) = post(
        &env.app,
        "/hub/api/users/alice/tokens",
        Some(ADMIN),
        r#"{"note": ""}"#,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(theirs["note"], "Requested via api by user root");

    let path = format!(
        "/hub/api/users/alice/tokens/{}",
        own["id"].as_str().unwrap()
    );
    let (_, listed, _) = call(&env.app, "GET", &path, Some(ALICE), None).await;
    assert!(
        listed.get("token").is_none(),
        "the secret is never shown again"
    );
    // read:tokens does not revoke; the reader holds `tokens` only for itself (`self`): 404.
    let (status, _, _) = call(&env.app, "DELETE", &path, Some(READER), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(&env.app, "DELETE", &path, Some(ALICE), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(&env.app, "GET", "/hub/api/user", Some(&secret), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(&env.app, "DELETE", &path, Some(ALICE), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn expires_in_is_capped_by_the_setting() {
    let settings = HubSettings {
        token_expires_in_max_seconds: 600,
        ..HubSettings::default()
    };
    let env = token_env(settings).await;
    let p = "/hub/api/users/alice/tokens";
    let (status, body) = post(&env.app, p, Some(ALICE), "").await;
    assert_eq!(status, 201);
    assert_eq!(body["expires_at"], "2026-03-01T12:10:00Z");
    let (status, body) = post(&env.app, p, Some(ALICE), r#"{"expires_in": 3600}"#).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "token expires_in: 3600 must not exceed 600"
    );
}

#[tokio::test]
async fn revoking_an_oauth_token_revokes_all_of_that_clients_tokens() {
    let env = token_env(HubSettings::default()).await;
    let alice = env.db.get_user("alice").await.unwrap().unwrap();
    env.db
        .upsert_oauth_client(&NewOAuthClient {
            identifier: "service-x".to_owned(),
            description: "Service X".to_owned(),
            secret: "client-secret-0000000000".to_owned(),
            redirect_uri: "/services/x/oauth_callback".to_owned(),
            allowed_scopes: vec![],
            user_id: None,
            server_id: None,
            service_id: None,
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for value in [
        "oauth-token-one-000000000000001",
        "oauth-token-two-000000000000001",
    ] {
        let row = env
            .db
            .insert_token(&NewToken {
                token: value.to_owned(),
                owner: TokenOwner::User(alice.id),
                session_id: Some("session".to_owned()),
                oauth_client_id: Some("service-x".to_owned()),
                scopes: vec!["identify".to_owned()],
                note: String::new(),
                expires_at: None,
            })
            .await
            .unwrap();
        ids.push(format!("a{}", row.id.0));
    }
    let (_, body, _) = call(
        &env.app,
        "GET",
        "/hub/api/users/alice/tokens",
        Some(ALICE),
        None,
    )
    .await;
    let tokens = body["api_tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 3);
    let oauth = tokens.iter().find(|t| t["id"] == ids[0].as_str()).unwrap();
    assert_eq!(oauth["oauth_client"], "Service X");
    assert_eq!(oauth["session_id"], "session");

    let path = format!("/hub/api/users/alice/tokens/{}", ids[0]);
    let (status, _, _) = call(&env.app, "DELETE", &path, Some(ALICE), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body, _) = call(
        &env.app,
        "GET",
        "/hub/api/users/alice/tokens",
        Some(ALICE),
        None,
    )
    .await;
    let left: Vec<&Value> = body["api_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(
        left,
        [&json!("a2")],
        "both OAuth tokens are gone, the API token stays"
    );
}
