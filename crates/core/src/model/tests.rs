//! The typed models write the bytes the `serde_json::Map` models wrote: the same keys for each
//! scope, in sorted order.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{TimeZone, Timelike, Utc};
use ganymede_db::{ServerId, UserId};
use ganymede_types::scope::ExpandedScopes;
use serde_json::json;

use super::*;
use crate::identity::Principal;

fn caller(scopes: &[&str]) -> Identity {
    Identity {
        principal: Principal::User(row()),
        token: None,
        scopes: ExpandedScopes::parse(scopes).unwrap(),
        membership: BTreeMap::new(),
    }
}

fn row() -> UserRow {
    let created = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().unwrap();
    UserRow {
        id: UserId(1),
        name: "alice".to_owned(),
        admin: true,
        created,
        last_activity: created.with_nanosecond(22_000_000),
        cookie_id: "c".to_owned(),
        user_info: Some(json!({"z": 1, "a": [true, null]})),
    }
}

fn server(name: &str, state: ServerState) -> ServerRow {
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().unwrap();
    ServerRow {
        id: ServerId(1),
        user_id: UserId(1),
        name: name.to_owned(),
        display_name: "Display".to_owned(),
        state,
        spawner_state: json!({"pid": 7, "b": "x"}),
        state_version: 1,
        user_options: json!({"profile": "big", "cpu": 2}),
        url: None,
        base_url: String::new(),
        host: None,
        port: None,
        started: Some(at),
        last_activity: None,
        created: at,
    }
}

fn extras(identity: &Identity) -> UserExtras {
    let urls = Urls { base_url: "/" };
    let user = UserName::new("alice").unwrap();
    let default = server("", ServerState::Running);
    let named = server("b", ServerState::Starting);
    let mut servers = BTreeMap::new();
    for (name, row) in [("", Some(&default)), ("b", Some(&named)), ("c", None)] {
        servers.insert(
            name.to_owned(),
            server_model(identity, urls, &user, name, row),
        );
    }
    UserExtras {
        groups: vec!["g1".to_owned(), "g2".to_owned()],
        roles: vec!["admin".to_owned(), "user".to_owned()],
        servers,
        auth_state: json!({"secret": 1}),
    }
}

const SCOPE_SETS: [&[&str]; 10] = [
    &[],
    &["read:users"],
    &["read:users:name"],
    &["read:users:groups"],
    &["read:users:activity"],
    &["read:servers"],
    &["read:roles:users"],
    &["admin:auth_state"],
    &["admin:server_state"],
    &[
        "read:users",
        "read:servers",
        "admin:auth_state",
        "admin:server_state",
    ],
];

/// Serializing a model directly writes what serializing its `Value` (a sorted map) writes.
#[test]
fn sorted_keys() {
    for scopes in SCOPE_SETS {
        let identity = caller(scopes);
        let model = user_model(&identity, &row(), extras(&identity));
        let direct = serde_json::to_string(&model).unwrap();
        let via_value = serde_json::to_string(&model.to_value()).unwrap();
        assert_eq!(direct, via_value, "{scopes:?}");
    }
}

/// One model byte for byte, as the `Value` builder wrote it.
#[test]
fn read_users_bytes() {
    let identity = caller(&["read:users", "read:servers"]);
    let mut extras = extras(&identity);
    extras.servers.retain(|name, _| name.is_empty());
    let model = user_model(&identity, &row(), extras);
    let expected = concat!(
        r#"{"admin":true,"created":"2026-01-02T03:04:05Z","groups":["g1","g2"],"kind":"user","#,
        r#""last_activity":"2026-01-02T03:04:05.022000Z","name":"alice","pending":null,"#,
        r#""roles":["admin","user"],"server":"/user/alice/","servers":{"":{"display_name":"#,
        r#""Display","full_name":"alice/","full_progress_url":null,"full_url":null,"#,
        r#""last_activity":null,"name":"","pending":null,"progress_url":"#,
        r#""/hub/api/users/alice/server/progress","ready":true,"started":"#,
        r#""2026-01-02T03:04:05Z","stopped":false,"url":"/user/alice/","#,
        r#""user_options":{"cpu":2,"profile":"big"}}},"user_info":{"a":[true,null],"z":1}}"#,
    );
    assert_eq!(serde_json::to_string(&model).unwrap(), expected);
}

/// Only `read:users:name`: the keys JupyterHub's field map gives that scope.
#[test]
fn name_only_keys() {
    let identity = caller(&["read:users:name"]);
    let model = user_model(&identity, &row(), UserExtras::default());
    assert_eq!(
        serde_json::to_string(&model).unwrap(),
        r#"{"admin":true,"kind":"user","name":"alice","user_info":{"a":[true,null],"z":1}}"#
    );
}
