//! Loading the startup state: what it creates, that a second run changes nothing, and one-line
//! errors naming the config key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ganymede_db::{Db, Pagination, RoleHolder};
use serde_json::json;

use super::*;

async fn hub() -> Hub {
    let db = Db::connect_or_init("sqlite::memory:").await.unwrap();
    Hub::new(db, crate::HubSettings::default())
}

fn full_state() -> StartupState {
    StartupState {
        admin_users: vec!["root".into()],
        allowed_users: vec!["alice".into()],
        groups: vec![StartupGroup {
            name: "team".into(),
            users: vec!["bob".into()],
            properties: Some(json!({"color": "red"}).as_object().cloned().unwrap()),
        }],
        roles: vec![
            StartupRole {
                name: "user".into(),
                scopes: Some(vec!["self".into(), "read:hub".into()]),
                ..Default::default()
            },
            StartupRole {
                name: "ops".into(),
                description: Some("operators".into()),
                scopes: Some(vec!["read:users".into(), "proxy".into()]),
                users: Some(vec!["carol".into()]),
                groups: vec!["team".into(), "new-group".into()],
                services: vec!["svc".into()],
            },
        ],
        services: vec![
            StartupService {
                name: "svc".into(),
                url: Some("http://127.0.0.1:10101".into()),
                api_token: Some("svc-token-0123456789".into()),
                admin: true,
                display: true,
                ..Default::default()
            },
            StartupService {
                name: "headless".into(),
                api_token: Some("headless-token-0123".into()),
                ..Default::default()
            },
        ],
    }
}

async fn snapshot(hub: &Hub) -> serde_json::Value {
    let db = &hub.db;
    let mut users = Vec::new();
    for name in ["root", "alice", "bob", "carol"] {
        let row = db.get_user(name).await.unwrap().unwrap();
        let roles: Vec<String> = db
            .user_roles(name)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        users.push(json!([
            name,
            row.admin,
            roles,
            db.user_group_names(name).await.unwrap()
        ]));
    }
    let groups = db.list_groups(Pagination::default()).await.unwrap().items;
    let groups: Vec<_> = groups
        .iter()
        .map(|g| json!([g.name, g.properties]))
        .collect();
    let roles = db.list_roles(Pagination::default()).await.unwrap().items;
    let roles: Vec<_> = roles
        .iter()
        .map(|r| json!([r.name, r.description, r.scopes]))
        .collect();
    let services = db.list_services(Pagination::default()).await.unwrap().items;
    let services: Vec<_> = services
        .iter()
        .map(|s| json!([s.name, s.admin, s.url, s.oauth_client_id]))
        .collect();
    let client = db.get_oauth_client("service-svc").await.unwrap().unwrap();
    json!({
        "users": users, "groups": groups, "roles": roles, "services": services,
        "client": [client.redirect_uri, client.allowed_scopes, client.secret_matches("svc-token-0123456789")],
        "svc_roles": db.holder_roles(RoleHolder::Service("svc")).await.unwrap().len(),
    })
}

#[tokio::test]
async fn loads_everything_and_is_idempotent() {
    let hub = hub().await;
    hub.load_startup_state(&full_state()).await.unwrap();
    let first = snapshot(&hub).await;
    assert_eq!(
        first["users"],
        json!([
            ["root", true, [], []],
            ["alice", false, [], []],
            ["bob", false, ["ops"], ["team"]],
            ["carol", false, ["ops"], []],
        ])
    );
    assert_eq!(
        first["groups"],
        json!([["team", {"color": "red"}], ["new-group", {}]])
    );
    assert_eq!(
        first["roles"],
        json!([
            ["ops", "operators", ["read:users", "proxy"]],
            ["user", "Standard user privileges", ["self", "read:hub"]],
        ])
    );
    assert_eq!(
        first["services"],
        json!([
            ["headless", false, null, null],
            ["svc", true, "http://127.0.0.1:10101", "service-svc"],
        ])
    );
    assert_eq!(
        first["client"],
        json!([
            "/services/svc/oauth_callback",
            ["access:services!service=svc"],
            true
        ])
    );
    assert_eq!(first["svc_roles"], 1);
    assert_eq!(hub.default_role_scopes_raw("user"), ["self", "read:hub"]);
    let token = hub
        .db
        .find_token("svc-token-0123456789")
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(token.owner, ganymede_db::TokenOwner::Service(_)));

    hub.load_startup_state(&full_state()).await.unwrap();
    assert_eq!(snapshot(&hub).await, first, "a second run changes nothing");
}

#[tokio::test]
async fn later_configs_add_members_and_remove_what_is_gone() {
    let hub = hub().await;
    hub.load_startup_state(&full_state()).await.unwrap();
    // An admin made through the API stays an admin; a member added by hand stays a member.
    hub.db.create_user("dave", false).await.unwrap();
    hub.db.add_group_members("team", &["dave"]).await.unwrap();
    let mut state = full_state();
    state.services.retain(|s| s.name == "svc");
    state.services[0].url = None;
    state.groups[0].properties = None;
    state.roles[1].users = Some(vec!["alice".into()]);
    state.roles.remove(0);
    hub.load_startup_state(&state).await.unwrap();
    let db = &hub.db;
    assert!(db.get_service("headless").await.unwrap().is_none());
    assert!(
        db.find_token("headless-token-0123")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.get_oauth_client("service-svc").await.unwrap().is_none(),
        "no url, no oauth"
    );
    let team = db.get_group("team").await.unwrap().unwrap();
    assert_eq!(
        team.properties,
        json!({"color": "red"}),
        "kept when not given"
    );
    let members = db
        .group_members("team", Pagination::default())
        .await
        .unwrap()
        .items;
    assert_eq!(members, ["bob", "dave"]);
    let holders = |name: &'static str| async move {
        db.holder_roles(RoleHolder::User(name)).await.unwrap().len()
    };
    assert_eq!((holders("carol").await, holders("alice").await), (0, 1));
    assert_eq!(hub.default_role_scopes_raw("user"), ["self"]);
}

#[tokio::test]
async fn errors_name_the_config_key() {
    let cases: Vec<(StartupState, &str)> = vec![
        (
            StartupState {
                roles: vec![StartupRole {
                    name: "ops".into(),
                    scopes: Some(vec!["read:nothing".into()]),
                    ..Default::default()
                }],
                ..Default::default()
            },
            "hub.load_roles[0].scopes: ",
        ),
        (
            StartupState {
                roles: vec![
                    StartupRole {
                        name: "ops".into(),
                        ..Default::default()
                    },
                    StartupRole {
                        name: "ops".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            },
            "hub.load_roles[1].name: role ops is defined more than once",
        ),
        (
            StartupState {
                roles: vec![StartupRole {
                    name: "admin".into(),
                    scopes: Some(vec!["read:users".into()]),
                    ..Default::default()
                }],
                ..Default::default()
            },
            "hub.load_roles[0].scopes: the admin role",
        ),
        (
            StartupState {
                roles: vec![StartupRole {
                    name: "ops".into(),
                    services: vec!["ghost".into()],
                    ..Default::default()
                }],
                ..Default::default()
            },
            "hub.load_roles[0].services: undefined service ghost",
        ),
        (
            StartupState {
                services: vec![StartupService {
                    name: "svc".into(),
                    url: Some("ftp://x".into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
            "hub.services[0].url: unsupported scheme",
        ),
        (
            StartupState {
                services: vec![StartupService {
                    name: "svc".into(),
                    oauth_no_confirm: true,
                    ..Default::default()
                }],
                ..Default::default()
            },
            "hub.services[0].oauth_redirect_uri: ",
        ),
        (
            StartupState {
                services: vec![StartupService {
                    name: "svc".into(),
                    oauth_client_id: Some("svc".into()),
                    oauth_redirect_uri: Some("/cb".into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
            "hub.services[0].oauth_client_id: ",
        ),
        (
            StartupState {
                admin_users: vec!["a/b".into()],
                ..Default::default()
            },
            "authenticator.admin_users: ",
        ),
    ];
    for (state, expected) in cases {
        let hub = hub().await;
        let error = hub.load_startup_state(&state).await.unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(expected),
            "{message:?} should start with {expected:?}"
        );
        assert!(!message.contains('\n'), "one line: {message:?}");
        assert_eq!(error.status(), 400);
    }
}
