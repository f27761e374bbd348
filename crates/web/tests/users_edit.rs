//! `PATCH /users/{name}`, auth_state in user models, and `include_stopped_servers`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod users_support;

use common::{ADMIN, ALICE, call};
use ganymede_crypt::CryptKeys;
use ganymede_db::{RoleHolder, RoleSpec, ServerSpec};
use http::StatusCode;
use serde_json::{Value, json};
use users_support::{KEY, Options, READER, env, user_with_scopes};

const MANAGER: &str = "manager-token-000000000000000000001";
const BOB_ONLY: &str = "bobonly-token-000000000000000000001";

async fn patch_env(keys: bool) -> users_support::Env {
    let keys = keys.then(|| CryptKeys::from_env_value(KEY).unwrap());
    let env = env(Options {
        keys,
        ..Options::default()
    })
    .await;
    env.db.create_users(&["bob", "carol"], false).await.unwrap();
    user_with_scopes(&env.db, "manager", &["admin:users"], MANAGER).await;
    user_with_scopes(&env.db, "bobmgr", &["admin:users!user=bob"], BOB_ONLY).await;
    env
}

/// (token, path, body as sent, expected status, expected message: "" for any, "null" for null)
type Case = (
    Option<&'static str>,
    &'static str,
    &'static str,
    u16,
    &'static str,
);

#[tokio::test]
async fn patch_checks_scopes_admins_and_input() {
    let env = patch_env(false).await;
    let cases: &[Case] = &[
        (
            None,
            "/hub/api/users/bob",
            r#"{"admin": false}"#,
            403,
            "Missing or invalid credentials.",
        ),
        (
            Some(ALICE),
            "/hub/api/users/bob",
            r#"{"admin": false}"#,
            403,
            "",
        ),
        (
            Some(BOB_ONLY),
            "/hub/api/users/carol",
            r#"{"admin": false}"#,
            404,
            "",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/nobody",
            r#"{"admin": false}"#,
            404,
            "null",
        ),
        (
            Some(MANAGER),
            "/hub/api/users/root",
            r#"{"admin": false}"#,
            403,
            "Only admins can modify other admins",
        ),
        (
            Some(MANAGER),
            "/hub/api/users/bob",
            r#"{"admin": true}"#,
            403,
            "Only admins can grant admin permissions",
        ),
        (
            Some(BOB_ONLY),
            "/hub/api/users/bob",
            r#"{"admin": true}"#,
            403,
            "Only admins can grant admin permissions",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            "",
            400,
            "Invalid JSON data: None",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            "{nope",
            400,
            "Invalid JSON in body of request",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            "[1]",
            400,
            "Invalid JSON data: [1]",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            r#"{"foo": 1}"#,
            400,
            "Invalid JSON keys: {'foo': 1}",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            r#"{"admin": "yes"}"#,
            400,
            "user.admin must be <class 'bool'>, not: <class 'str'>",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            r#"{"auth_state": null}"#,
            400,
            "user.auth_state must be <class 'dict'>, not: <class 'NoneType'>",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            r#"{"name": "a/b"}"#,
            400,
            "Invalid username: 'a/b'",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            r#"{"name": "carol"}"#,
            400,
            "User carol already exists, username must be unique",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            r#"{"groups": []}"#,
            400,
            "",
        ),
        (
            Some(ADMIN),
            "/hub/api/users/bob",
            r#"{"auth_state": {"a": 1}}"#,
            500,
            "",
        ),
        (
            Some(MANAGER),
            "/hub/api/users/bob",
            r#"{"admin": false}"#,
            200,
            "",
        ),
        (Some(BOB_ONLY), "/hub/api/users/bob", r#"{}"#, 200, ""),
    ];
    for (token, path, body, status, message) in cases {
        let (got, json) = patch(&env.app, path, *token, body).await;
        assert_eq!(got.as_u16(), *status, "{token:?} {path} {body}: {json}");
        match *message {
            "" => {}
            "null" => assert!(json["message"].is_null(), "{path} {body}: {json}"),
            message => assert_eq!(json["message"], message, "{path} {body}"),
        }
    }
}

async fn patch(
    app: &axum::Router,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut request = http::Request::builder().method("PATCH").uri(path);
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
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn admins_set_the_flag_and_a_rename_keeps_groups_roles_and_tokens() {
    let env = patch_env(false).await;
    env.db.create_group("team", None).await.unwrap();
    env.db.add_group_members("team", &["alice"]).await.unwrap();
    env.db
        .upsert_role(&RoleSpec {
            name: "reader".to_owned(),
            description: String::new(),
            scopes: vec!["read:hub".to_owned()],
            managed_by_config: false,
        })
        .await
        .unwrap();
    env.db
        .assign_role("reader", RoleHolder::User("alice"))
        .await
        .unwrap();
    let alice = env.db.get_user("alice").await.unwrap().unwrap();
    let spec = ServerSpec {
        name: "gpu".to_owned(),
        display_name: "gpu".to_owned(),
        base_url: "/user/alice/gpu/".to_owned(),
        user_options: json!({}),
    };
    env.db.upsert_server(alice.id, &spec).await.unwrap();

    let (status, model) = patch(
        &env.app,
        "/hub/api/users/alice",
        Some(ADMIN),
        r#"{"name": "Alicia", "admin": true}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(
        model["name"], "alicia",
        "names are normalized to lower case"
    );
    assert_eq!(model["admin"], true);
    assert_eq!(model["groups"], json!(["team"]));
    assert_eq!(model["roles"], json!(["admin", "reader", "user"]));
    assert_eq!(
        model["auth_state"],
        Value::Null,
        "admin:users implies admin:auth_state"
    );

    let (status, _, _) = call(&env.app, "GET", "/hub/api/users/alice", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Alice's token follows her, and now carries admin rights.
    let (status, me, _) = call(&env.app, "GET", "/hub/api/user", Some(ALICE), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "alicia");
    let (status, _, _) = call(&env.app, "GET", "/hub/api/info", Some(ALICE), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, group, _) = call(&env.app, "GET", "/hub/api/groups/team", Some(ADMIN), None).await;
    assert_eq!(group["users"], json!(["alicia"]));
    // Same user id: the server record follows, with its URL prefix moved.
    let alicia = env.db.get_user("alicia").await.unwrap().unwrap();
    assert_eq!(alicia.id, alice.id);
    let gpu = env.db.get_server(alice.id, "gpu").await.unwrap().unwrap();
    assert_eq!(gpu.base_url, "/user/alicia/gpu/");
}

#[tokio::test]
async fn auth_state_is_encrypted_and_shown_only_with_admin_auth_state() {
    let env = patch_env(true).await;
    let state = json!({"access_token": "s3cr3t", "n": 1});
    let body = json!({ "auth_state": state }).to_string();
    let (status, model) = patch(&env.app, "/hub/api/users/bob", Some(ADMIN), &body).await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["auth_state"], state);

    let stored = env.db.get_auth_state("bob").await.unwrap().unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains("s3cr3t"));
    let keys = CryptKeys::from_env_value(KEY).unwrap();
    assert_eq!(keys.decrypt_json(&stored).unwrap(), state);

    let (_, model, _) = call(&env.app, "GET", "/hub/api/users/bob", Some(ADMIN), None).await;
    assert_eq!(model["auth_state"], state);
    // Lists never decrypt it, as JupyterHub.
    let (_, list, _) = call(&env.app, "GET", "/hub/api/users", Some(ADMIN), None).await;
    let bob = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "bob")
        .unwrap();
    assert_eq!(bob["auth_state"], Value::Null);
    // admin:users implies admin:auth_state, so a manager sees it too.
    let (status, model) = patch(&env.app, "/hub/api/users/bob", Some(MANAGER), "{}").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(model["auth_state"], state);
    // read:users alone does not show the key.
    user_with_scopes(&env.db, "reader", &["read:users"], READER).await;
    let (_, model, _) = call(&env.app, "GET", "/hub/api/users/bob", Some(READER), None).await;
    assert_eq!(model["name"], "bob");
    assert!(model.get("auth_state").is_none(), "{model}");
}

#[tokio::test]
async fn without_keys_auth_state_reads_as_null() {
    let env = patch_env(false).await;
    env.db
        .set_auth_state("bob", Some(b"not-a-fernet-token"))
        .await
        .unwrap();
    let (_, model, _) = call(&env.app, "GET", "/hub/api/users/bob", Some(ADMIN), None).await;
    assert_eq!(model["auth_state"], Value::Null);
}

#[tokio::test]
async fn include_stopped_servers_lists_the_default_server() {
    let env = patch_env(false).await;
    let (_, model, _) = call(&env.app, "GET", "/hub/api/users/alice", Some(ADMIN), None).await;
    assert_eq!(model["servers"], json!({}));
    for flag in ["1", "true", "yes"] {
        let path = format!("/hub/api/users/alice?include_stopped_servers={flag}");
        let (_, model, _) = call(&env.app, "GET", &path, Some(ADMIN), None).await;
        assert_eq!(
            model["servers"][""],
            json!({
                "name": "", "display_name": "", "full_name": "alice/",
                "last_activity": null, "started": null, "pending": null,
                "ready": false, "stopped": true, "url": "/user/alice/", "user_options": null,
                "progress_url": "/hub/api/users/alice/server/progress",
                "full_url": null, "full_progress_url": null, "state": null,
            }),
            "{flag}"
        );
    }
    let path = "/hub/api/users/alice?include_stopped_servers=false";
    let (_, model, _) = call(&env.app, "GET", path, Some(ADMIN), None).await;
    assert_eq!(model["servers"], json!({}));
    // Alice reads her own server, but not its state (admin:server_state).
    let path = "/hub/api/users/alice?include_stopped_servers=1";
    let (_, model, _) = call(&env.app, "GET", path, Some(ALICE), None).await;
    assert_eq!(model["servers"][""]["stopped"], true);
    assert!(model["servers"][""].get("state").is_none());
    let (_, list, _) = call(
        &env.app,
        "GET",
        "/hub/api/users?include_stopped_servers=1",
        Some(ADMIN),
        None,
    )
    .await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|u| u["servers"].get("").is_some())
    );
}

/// The login's `username_map` and `username_pattern` for names given to the API: creating
/// and renaming users normalise and validate as JupyterHub's authenticator does.
#[tokio::test]
async fn api_names_follow_the_login_rules() {
    #[derive(Debug)]
    struct Rules;
    impl ganymede_core::UsernameRules for Rules {
        fn normalize(&self, name: &str) -> String {
            let lower = name.to_lowercase();
            if lower == "theboss" {
                "carol".to_owned()
            } else {
                lower
            }
        }
        fn is_valid(&self, name: &str) -> bool {
            name.chars().all(|c| c.is_ascii_lowercase())
        }
    }
    let (hub, _) = common::hub().await;
    let app = ganymede_web::router(std::sync::Arc::new(
        hub.with_username_rules(std::sync::Arc::new(Rules)),
    ));
    let create = |names: Value| json!({ "usernames": names });
    let (status, body, _) = call(
        &app,
        "POST",
        "/hub/api/users",
        Some(ADMIN),
        Some(create(json!(["TheBoss", "Dave"]))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let names: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["carol", "dave"]);
    let (status, body, _) = call(
        &app,
        "POST",
        "/hub/api/users",
        Some(ADMIN),
        Some(create(json!(["e1"]))),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "Invalid username: e1");
    let (_, body, _) = call(
        &app,
        "POST",
        "/hub/api/users",
        Some(ADMIN),
        Some(create(json!(["e1", "F2"]))),
    )
    .await;
    assert_eq!(body["message"], "Invalid usernames: e1, f2");
    let (status, body, _) = call(
        &app,
        "PATCH",
        "/hub/api/users/dave",
        Some(ADMIN),
        Some(json!({"name": "Dave9"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "Invalid username: 'dave9'");
    let (status, body, _) = call(
        &app,
        "PATCH",
        "/hub/api/users/dave",
        Some(ADMIN),
        Some(json!({"name": "David"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "david");
}
