//! JupyterHub's `test_shared_password.py`, and the length checks at startup.

use std::collections::BTreeSet;

use ganymede_config::{AuthenticatorSection, Secret};

use super::*;
use crate::{Login, LoginPolicy};

const ADMIN_PASSWORD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const USER_PASSWORD: &str = "user_password";

fn section(user: Option<&str>, admin: Option<&str>) -> AuthenticatorSection {
    let mut section = AuthenticatorSection {
        allow_all: true,
        admin_users: BTreeSet::from(["admin".to_owned()]),
        ..AuthenticatorSection::default()
    };
    section.shared_password.user_password = user.map(Secret::from);
    section.shared_password.admin_password = admin.map(Secret::from);
    section
}

/// The backend and then the policy, as JupyterHub's `get_authenticated_user`.
async fn login(section: &AuthenticatorSection, name: &str, password: &str) -> Option<Login> {
    let backend = SharedPassword::from_config(section).unwrap();
    let policy = LoginPolicy::from_config(section).unwrap();
    let authenticated = backend.authenticate(name, password).await.unwrap()?;
    policy.admit(authenticated, false).ok()
}

#[test]
fn password_validation() {
    let a32 = "a".repeat(32);
    let cases: Vec<(Option<String>, Option<String>, Option<&str>)> = vec![
        (
            None,
            Some("a".repeat(31)),
            Some(
                "invalid `authenticator.shared_password.admin_password`: must be at least 32 \
                 characters, not 31",
            ),
        ),
        (
            Some("a".repeat(7)),
            None,
            Some(
                "invalid `authenticator.shared_password.user_password`: must be at least 8 \
                 characters, not 7",
            ),
        ),
        (
            Some(a32.clone()),
            Some(a32.clone()),
            Some(
                "invalid `authenticator.shared_password.admin_password`: must differ from \
                 `authenticator.shared_password.user_password`",
            ),
        ),
        (Some(a32.clone()), Some("a".repeat(33)), None),
        (Some("a".repeat(8)), Some(a32.clone()), None),
        // Python's len counts code points, not bytes.
        (Some("é".repeat(7)), None, Some("not 7")),
        (Some("é".repeat(8)), None, None),
        // Empty means unset, as in JupyterHub.
        (Some(String::new()), Some(String::new()), None),
        (None, None, None),
    ];
    for (user, admin, want) in cases {
        let section = section(user.as_deref(), admin.as_deref());
        let got = SharedPassword::from_config(&section)
            .err()
            .map(|e| e.to_string());
        match (want, got) {
            (None, None) => {}
            (Some(want), Some(got)) => assert!(got.contains(want), "{got}\n  wanted {want}"),
            (want, got) => panic!("{user:?} {admin:?}: wanted {want:?}, got {got:?}"),
        }
    }
}

#[tokio::test]
async fn admin_password() {
    let s = section(Some(USER_PASSWORD), Some(ADMIN_PASSWORD));
    // Regular user, regular password.
    let got = login(&s, "test_user", USER_PASSWORD).await.unwrap();
    assert_eq!(got.name.as_str(), "test_user");
    assert_eq!(got.admin, Some(false));
    // Regular user, admin password.
    assert!(login(&s, "test_user", ADMIN_PASSWORD).await.is_none());
    // Admin user, admin password.
    let got = login(&s, "admin", ADMIN_PASSWORD).await.unwrap();
    assert_eq!(got.name.as_str(), "admin");
    assert_eq!(got.admin, Some(true));
    // The admin check normalises the typed name first.
    let got = login(&s, "ADMIN", ADMIN_PASSWORD).await.unwrap();
    assert_eq!((got.name.as_str(), got.admin), ("admin", Some(true)));
    // Admin user, regular password.
    assert!(login(&s, "admin", USER_PASSWORD).await.is_none());
    // Regular user, wrong password; a prefix; a longer password.
    for wrong in ["blah", "user_passwor", "user_password2", ""] {
        assert!(login(&s, "test_user", wrong).await.is_none(), "{wrong}");
    }
    // A new user when allow_all is off.
    let strict = AuthenticatorSection {
        allow_all: false,
        ..s.clone()
    };
    assert!(login(&strict, "new_user", USER_PASSWORD).await.is_none());
    // The admin is still allowed (see `LoginPolicy`: admins always are).
    assert!(login(&strict, "admin", ADMIN_PASSWORD).await.is_some());
}

#[tokio::test]
async fn empty_passwords_let_nobody_in() {
    let s = section(Some(""), Some(""));
    assert!(login(&s, "admin", "").await.is_none());
    assert!(login(&s, "user", "").await.is_none());
    let unset = section(None, None);
    assert!(login(&unset, "user", "").await.is_none());
}

#[tokio::test]
async fn groups_are_left_alone() {
    let s = section(Some(USER_PASSWORD), None);
    let backend = SharedPassword::from_config(&s).unwrap();
    let got = backend
        .authenticate("ann", USER_PASSWORD)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.groups, None);
    assert_eq!(got.auth_state, None);
    assert_eq!(backend.class(), "shared-password");
}

#[test]
fn debug_hides_passwords() {
    let (user, admin) = ("hunter2hunter2", "correct horse battery staple 123");
    let backend = SharedPassword::from_config(&section(Some(user), Some(admin))).unwrap();
    let shown = format!("{backend:?}");
    assert!(!shown.contains(user) && !shown.contains(admin), "{shown}");
}

#[tokio::test]
async fn from_config_picks_the_class() {
    let s = section(Some(USER_PASSWORD), None);
    let backend = crate::from_config(&s).unwrap();
    assert_eq!(backend.class(), "shared-password");
    assert!(
        backend
            .authenticate("x", USER_PASSWORD)
            .await
            .unwrap()
            .is_some()
    );
}
