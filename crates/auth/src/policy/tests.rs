//! Table-driven cases of the login pipeline, mirroring JupyterHub's `test_auth.py`.

use std::collections::{BTreeMap, BTreeSet};

use ganymede_config::AuthenticatorSection;

use super::*;

fn set(names: &str) -> BTreeSet<String> {
    names
        .split(',')
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

fn section(edit: impl FnOnce(&mut AuthenticatorSection)) -> AuthenticatorSection {
    let mut section = AuthenticatorSection::default();
    edit(&mut section);
    section
}

fn policy(edit: impl FnOnce(&mut AuthenticatorSection)) -> LoginPolicy {
    LoginPolicy::from_config(&section(edit)).unwrap()
}

#[test]
fn normalize_lowercases_then_maps() {
    // test_normalize_names, test_username_map
    let p = policy(|s| {
        s.username_map = BTreeMap::from([("wash".into(), "alpha".into())]);
    });
    let cases = [
        ("ZOE", "zoe"),
        ("Glenn", "glenn"),
        ("hExi", "hexi"),
        ("Test", "test"),
        ("WASH", "alpha"),
        ("Inara", "inara"),
        ("ÅSA", "åsa"),
        // Normalising does not strip: the login handler does, and validation refuses spaces.
        (" zoe", " zoe"),
    ];
    for (input, want) in cases {
        assert_eq!(p.normalize(input), want, "{input:?}");
    }
}

#[test]
fn validate_follows_jupyterhub_rules_and_re_match() {
    // test_validate_names, plus Python `re.match` semantics: anchored at the start only.
    let cases: &[(Option<&str>, &str, bool)] = &[
        (None, "willow", true),
        (None, "giles", true),
        (None, "Test", true),
        (None, "hExi", true),
        (None, "Glenn#Smith!", true),
        (None, "a/b", false),
        (None, ".", false),
        (None, "..", false),
        (None, ".....", false),
        (None, "%2e%2e", false),
        (None, "%2e", false),
        (None, " space ", false),
        (None, "", false),
        (Some("w.*"), "xander", false),
        (Some("w.*"), "willow", true),
        (Some("w"), "willow", true),
        (Some("illow"), "willow", false),
        (Some("[a-z]+"), "abc1", true),
        (Some("[a-z]+$"), "abc1", false),
        (Some("^[a-z]+$"), "abc", true),
        (Some("(?i)W"), "willow", true),
        (Some("(?x) w  # a comment"), "willow", true),
        (Some(""), "anything", true),
    ];
    for &(pattern, name, ok) in cases {
        let p = policy(|s| s.username_pattern = pattern.map(str::to_owned));
        assert_eq!(p.validate(name).is_ok(), ok, "{pattern:?} {name:?}");
    }
}

#[test]
fn startup_refuses_invalid_config() {
    let cases: Vec<(AuthenticatorSection, &str)> = vec![
        (
            section(|s| s.username_pattern = Some("([a-z".into())),
            "invalid `authenticator.username_pattern`: is not a valid regular expression",
        ),
        (
            section(|s| s.admin_users = set("ok,a/b")),
            "invalid `authenticator.admin_users`: invalid user name \"a/b\": must not contain '/'",
        ),
        (
            section(|s| s.allowed_users = set("..")),
            "invalid `authenticator.allowed_users`: invalid user name \"..\"",
        ),
        (
            section(|s| {
                s.username_pattern = Some("[a-z]+$".into());
                s.allowed_users = set("ann,bob2");
            }),
            "invalid `authenticator.allowed_users`: user name \"bob2\" does not match \
             `authenticator.username_pattern`",
        ),
        (
            section(|s| {
                s.username_map = BTreeMap::from([("root".into(), "a/b".into())]);
                s.admin_users = set("Root");
            }),
            "invalid `authenticator.admin_users`",
        ),
    ];
    for (section, want) in cases {
        let error = LoginPolicy::from_config(&section).unwrap_err().to_string();
        assert!(error.starts_with(want), "{error}\n  wanted {want}");
    }
}

#[test]
fn lists_are_normalised_at_startup() {
    let p = policy(|s| {
        s.admin_users = set("Admin");
        s.allowed_users = set("KAYLEE,wash");
        s.blocked_users = set("MAL");
        s.username_map = BTreeMap::from([("wash".into(), "alpha".into())]);
    });
    let names = |it: &mut dyn Iterator<Item = &UserName>| {
        it.map(|n| n.as_str().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(names(&mut p.admin_users()), ["admin"]);
    assert_eq!(names(&mut p.allowed_users()), ["alpha", "kaylee"]);
    assert_eq!(p.blocked_users().collect::<Vec<_>>(), ["mal"]);
    assert!(p.check("kaylee", false).is_ok());
    assert!(p.check("alpha", false).is_ok());
    assert_eq!(p.check("mal", false), Err(Refused::Blocked));
}

#[test]
fn blocked_wins_over_everything() {
    // test_pam_auth_blocked
    let cases = [
        // (allow_all, allowed, blocked, user, allowed?)
        (true, "", "", "wash", true),
        (true, "", "wash", "wash", false),
        (true, "wash,kaylee", "wash", "wash", false),
        (false, "wash,kaylee", "wash", "kaylee", true),
        (false, "wash,kaylee", "mal", "wash", true),
        (false, "wash,kaylee", "mal", "simon", false),
        (false, "wash,kaylee", "", "kaylee", true),
    ];
    for (allow_all, allowed, blocked, user, ok) in cases {
        let p = policy(|s| {
            s.allow_all = allow_all;
            s.allowed_users = set(allowed);
            s.blocked_users = set(blocked);
        });
        let got = p.check(user, false);
        assert_eq!(
            got.is_ok(),
            ok,
            "{allow_all} {allowed:?} {blocked:?} {user}: {got:?}"
        );
        if blocked.split(',').any(|b| b == user) {
            assert_eq!(got, Err(Refused::Blocked));
        }
    }
    // Blocked also beats admin_users.
    let p = policy(|s| {
        s.admin_users = set("root");
        s.blocked_users = set("root");
    });
    assert_eq!(p.check("root", true), Err(Refused::Blocked));
}

#[test]
fn allow_rules_match_jupyterhub_matrix() {
    // test_allow_existing_users: every combination of allowed_users, allow_all and
    // allow_existing_users, for a new user, an existing user, and a listed user.
    for allowed in ["existing", ""] {
        for allow_all in [None, Some(true), Some(false)] {
            for allow_existing in [None, Some(true), Some(false)] {
                let p = policy(|s| {
                    s.allowed_users = set(allowed);
                    s.allow_all = allow_all.unwrap_or(false);
                    s.allow_existing_users = allow_existing;
                });
                let all = allow_all.unwrap_or(false);
                let existing = allow_existing.unwrap_or(!allowed.is_empty());
                let label = format!("{allowed:?} {allow_all:?} {allow_existing:?}");
                assert_eq!(p.check("newuser", false).is_ok(), all, "{label} newuser");
                assert_eq!(
                    p.check("user1", true).is_ok(),
                    existing || all,
                    "{label} existing user1"
                );
                for name in set(allowed) {
                    assert!(p.check(&name, false).is_ok(), "{label} {name}");
                }
            }
        }
    }
}

#[test]
fn allow_defaults() {
    // test_allow_defaults: allow_existing_users defaults to "allowed_users is not empty".
    let with = policy(|s| s.allowed_users = set("specified"));
    assert!(with.check("specified", false).is_ok());
    assert!(with.check("user1", true).is_ok());
    assert_eq!(with.check("user1", false), Err(Refused::NotAllowed));
    let without = policy(|_| {});
    assert_eq!(without.check("specified", false), Err(Refused::NotAllowed));
    assert_eq!(without.check("user1", true), Err(Refused::NotAllowed));
}

#[test]
fn admins_are_allowed_and_admin() {
    let cases = [
        // (admin_users, allowed_users, user, result)
        ("root", "", "root", Ok(Some(true))),
        ("root", "ann", "root", Ok(Some(true))),
        ("root", "ann", "ann", Ok(None)),
        ("root", "ann", "bob", Err(Refused::NotAllowed)),
    ];
    for (admins, allowed, user, want) in cases {
        let p = policy(|s| {
            s.admin_users = set(admins);
            s.allowed_users = set(allowed);
        });
        let got = p.check(user, false).map(|a| a.admin);
        assert_eq!(got, want, "{admins:?} {allowed:?} {user}");
    }
}

#[test]
fn admit_merges_the_authenticators_admin_answer() {
    // test_auth_admin_*: the authenticator's answer wins; None leaves it to admin_users.
    let p = policy(|s| {
        s.allow_all = true;
        s.admin_users = set("admin");
    });
    let cases = [
        ("admin", None, Some(true)),
        ("Admin", None, Some(true)),
        ("admin", Some(false), Some(false)),
        ("kiwi", None, None),
        ("kiwi", Some(true), Some(true)),
        ("kiwi", Some(false), Some(false)),
    ];
    for (name, from_backend, want) in cases {
        let authenticated = Authenticated {
            admin: from_backend,
            groups: Some(vec!["g".into()]),
            auth_state: Some(serde_json::json!({"token": "t"})),
            ..Authenticated::new(name)
        };
        let login = p.admit(authenticated, false).unwrap();
        assert_eq!(login.name.as_str(), name.to_lowercase());
        assert_eq!(login.admin, want, "{name} {from_backend:?}");
        assert_eq!(login.groups, Some(vec!["g".to_owned()]));
        assert_eq!(login.auth_state, Some(serde_json::json!({"token": "t"})));
    }
}

#[test]
fn admit_refuses_invalid_names() {
    let p = policy(|s| {
        s.allow_all = true;
        s.username_pattern = Some("[a-z]".into());
    });
    for name in ["a/b", "..", " ann", "9lives"] {
        let refused = p.admit(Authenticated::new(name), true).unwrap_err();
        assert_eq!(refused.label(), "invalid_name", "{name}");
        assert_eq!(refused.user_message(), "Invalid username or password");
    }
}

#[test]
fn needs_existing_check_only_when_it_matters() {
    let p = policy(|s| {
        s.allowed_users = set("ann");
        s.admin_users = set("root");
    });
    assert!(!p.needs_existing_check("ann"));
    assert!(!p.needs_existing_check("root"));
    assert!(p.needs_existing_check("bob"));
    let all = policy(|s| {
        s.allow_all = true;
        s.allow_existing_users = Some(true);
    });
    assert!(!all.needs_existing_check("bob"));
    let off = policy(|s| s.allow_existing_users = Some(false));
    assert!(!off.needs_existing_check("bob"));
}

#[test]
fn refusals_have_labels_and_messages_that_name_the_config() {
    let cases = [
        (Refused::Blocked, "blocked", "authenticator.blocked_users"),
        (
            Refused::NotAllowed,
            "not_allowed",
            "authenticator.allowed_users",
        ),
    ];
    for (refused, label, mentions) in cases {
        assert_eq!(refused.label(), label);
        assert!(refused.to_string().contains(mentions), "{refused}");
    }
}

#[test]
fn debug_hides_auth_state() {
    let login = Login {
        name: UserName::new("ann").unwrap(),
        admin: None,
        auth_state: Some(serde_json::json!({"token": "secret-token"})),
        groups: None,
    };
    assert!(!format!("{login:?}").contains("secret-token"));
    let authenticated = Authenticated {
        auth_state: Some(serde_json::json!({"token": "secret-token"})),
        ..Authenticated::new("ann")
    };
    assert!(!format!("{authenticated:?}").contains("secret-token"));
}
