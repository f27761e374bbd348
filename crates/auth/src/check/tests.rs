//! JupyterHub's `test_check_allow_config` cases, and the checks Ganymede adds.

use std::collections::{BTreeMap, BTreeSet};

use ganymede_config::{AuthenticatorClass, AuthenticatorSection, Secret};

use super::*;

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn messages(section: &AuthenticatorSection) -> String {
    check_config(section)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn shared_password_cases() {
    let admin_password = Some(Secret::from("a".repeat(32)));
    let cases: Vec<(&str, AuthenticatorSection, &[&str], &[&str])> = vec![
        (
            "default",
            AuthenticatorSection::default(),
            &["nobody can log in", "neither"],
            &[],
        ),
        (
            "no passwords",
            AuthenticatorSection {
                allow_all: true,
                ..Default::default()
            },
            &["nobody can log in"],
            &["non-admin", "no allow config"],
        ),
        (
            "no admin_users",
            {
                let mut s = AuthenticatorSection::default();
                s.shared_password.admin_password = admin_password.clone();
                s
            },
            &["`authenticator.admin_users` is empty"],
            &[],
        ),
        (
            "no admin_password",
            AuthenticatorSection {
                admin_users: set(&["admin"]),
                ..Default::default()
            },
            &["is set but `authenticator.shared_password.admin_password` is not"],
            &[],
        ),
        (
            "only admin",
            {
                let mut s = AuthenticatorSection {
                    admin_users: set(&["admin"]),
                    allow_all: true,
                    ..Default::default()
                };
                s.shared_password.admin_password = admin_password.clone();
                s
            },
            &["no non-admin user can log in"],
            &["no allow config", "no admin can log in"],
        ),
    ];
    for (label, section, warns, not_warns) in cases {
        let text = messages(&section);
        for snippet in warns {
            assert!(
                text.contains(snippet),
                "{label}: {snippet:?} not in\n{text}"
            );
        }
        for snippet in not_warns {
            assert!(!text.contains(snippet), "{label}: {snippet:?} in\n{text}");
        }
    }
}

#[test]
fn allow_config_counts_every_allow_setting() {
    let cases = [
        (AuthenticatorSection::default(), true),
        (
            AuthenticatorSection {
                allow_all: true,
                ..Default::default()
            },
            false,
        ),
        (
            AuthenticatorSection {
                allowed_users: set(&["ann"]),
                ..Default::default()
            },
            false,
        ),
        (
            AuthenticatorSection {
                allow_existing_users: Some(true),
                ..Default::default()
            },
            false,
        ),
        (
            AuthenticatorSection {
                allowed_users: set(&["ann"]),
                allow_existing_users: Some(false),
                ..Default::default()
            },
            false,
        ),
    ];
    for (mut section, warns) in cases {
        section.class = AuthenticatorClass::UsersFile;
        let text = messages(&section);
        assert_eq!(
            text.contains("no allow config"),
            warns,
            "{section:?}: {text}"
        );
        assert!(!text.contains("shared_password"), "{text}");
    }
    let admins_only = AuthenticatorSection {
        admin_users: set(&["root"]),
        class: AuthenticatorClass::UsersFile,
        ..Default::default()
    };
    assert!(messages(&admins_only).contains("only `authenticator.admin_users` can log in"));
}

#[test]
fn contradictions_and_dead_settings() {
    let section = AuthenticatorSection {
        allow_all: true,
        class: AuthenticatorClass::UsersFile,
        admin_users: set(&["Root"]),
        allowed_users: set(&["ann", "bob"]),
        blocked_users: set(&["root", "BOB"]),
        username_map: BTreeMap::from([("Wash".to_owned(), "alpha".to_owned())]),
        ..Default::default()
    };
    let warnings = check_config(&section);
    let keys: Vec<_> = warnings.iter().map(|w| w.key).collect();
    assert_eq!(
        keys,
        [
            "authenticator.username_map",
            "authenticator.admin_users",
            "authenticator.allowed_users"
        ],
        "{warnings:?}"
    );
    assert!(warnings[0].message.contains("\"Wash\" never matches"));
    assert!(warnings[1].message.contains("\"root\" is also in"));
    assert!(warnings[2].message.contains("\"bob\" is also in"));
}

#[test]
fn errors_come_first() {
    let warnings = check_config(&AuthenticatorSection::default());
    assert_eq!(warnings.first().map(|w| w.severity), Some(Severity::Error));
    assert!(warnings.iter().any(|w| w.severity == Severity::Warning));
}
