//! Parsing scope strings and defining custom scopes.

use super::*;

#[test]
fn scope_from_str() {
    let too_long = format!("read:users!user={}", "a".repeat(1100));
    // `Ok(display)` or `Err(message)`.
    type Row<'a> = (&'a str, &'a str, Result<&'a str, &'a str>);
    let cases: &[Row<'_>] = &[
        ("unfiltered", "read:users", Ok("read:users")),
        (
            "user filter",
            "read:users!user=alice",
            Ok("read:users!user=alice"),
        ),
        (
            "default server filter",
            "access:servers!server=alice/",
            Ok("access:servers!server=alice/"),
        ),
        (
            "named server filter",
            "servers!server=alice/gpu",
            Ok("servers!server=alice/gpu"),
        ),
        (
            "group filter",
            "admin:groups!group=g",
            Ok("admin:groups!group=g"),
        ),
        (
            "service filter",
            "access:services!service=svc",
            Ok("access:services!service=svc"),
        ),
        (
            "owner-relative user",
            "users:activity!user",
            Ok("users:activity!user"),
        ),
        (
            "owner-relative server",
            "access:servers!server",
            Ok("access:servers!server"),
        ),
        (
            "owner-relative service",
            "access:services!service",
            Ok("access:services!service"),
        ),
        ("metascope self", "self", Ok("self")),
        ("metascope inherit", "inherit", Ok("inherit")),
        ("pseudo-scope (no_scope)", "(no_scope)", Ok("(no_scope)")),
        ("new in 6.0", "start:servers", Ok("start:servers")),
        (
            "custom scope syntax",
            "custom:jupyter_server:read:*",
            Ok("custom:jupyter_server:read:*"),
        ),
        (
            "filter value split at the first '='",
            "read:users!user=a=b",
            Ok("read:users!user=a=b"),
        ),
        (
            "scope split at the first '!'",
            "read:users!user=a!b",
            Ok("read:users!user=a!b"),
        ),
        (
            "draft scope all",
            "all",
            Err("draft scope 'all' is now called 'inherit'"),
        ),
        (
            "unknown scope",
            "read:nothing",
            Err(r#"scope "read:nothing" does not exist"#),
        ),
        (
            "unknown scope quoted whole",
            "nope!user=a",
            Err(r#"scope "nope!user=a" does not exist"#),
        ),
        ("empty", "", Err(r#"scope "" does not exist"#)),
        (
            "custom too short",
            "custom:ab",
            Err(r#"scope "custom:ab" does not exist"#),
        ),
        (
            "custom upper case",
            "custom:Foo",
            Err(r#"scope "custom:Foo" does not exist"#),
        ),
        (
            "custom ending in ':'",
            "custom:foo:",
            Err(r#"scope "custom:foo:" does not exist"#),
        ),
        (
            "bare group filter",
            "read:users!group",
            Err(r#"scope filter "group" in scope "read:users!group" does not exist"#),
        ),
        (
            "unknown filter kind",
            "read:users!users=a",
            Err(r#"scope filter "users=a" in scope "read:users!users=a" does not exist"#),
        ),
        (
            "empty filter value",
            "read:users!user=",
            Err(r#"empty string is not a valid filter: "read:users!user=""#),
        ),
        (
            "empty filter",
            "read:users!",
            Err(r#"scope filter "" in scope "read:users!" does not exist"#),
        ),
        (
            "invalid user in filter",
            "read:users!user=a/b",
            Err(
                r#"invalid filter in scope "read:users!user=a/b": invalid user name "a/b": must not contain '/'"#,
            ),
        ),
        (
            "server filter without a slash",
            "servers!server=alice",
            Err(
                r#"invalid filter in scope "servers!server=alice": invalid full server name "alice": must be <user>/<server>"#,
            ),
        ),
        (
            "too long",
            &too_long,
            Err("scope is longer than 1024 characters"),
        ),
    ];
    for (case, input, expect) in cases {
        let got = input
            .parse::<Scope>()
            .map(|s| s.to_string())
            .map_err(|e| e.to_string());
        assert_eq!(got.as_deref().map_err(String::as_str), *expect, "{case}");
    }
}

#[test]
fn scope_parts() {
    type Row<'a> = (&'a str, &'a str, &'a str, Option<Resource>, bool);
    let cases: &[Row<'_>] = &[
        ("unfiltered", "tokens", "tokens", None, false),
        (
            "user",
            "tokens!user=bob",
            "tokens",
            Some(Resource::User(user("bob"))),
            false,
        ),
        (
            "server",
            "servers!server=bob/x",
            "servers",
            Some(Resource::Server(server("bob/x"))),
            false,
        ),
        (
            "owner-relative has no resource",
            "tokens!user",
            "tokens",
            None,
            true,
        ),
    ];
    for (case, input, name, resource, relative) in cases {
        let scope: Scope = input.parse().unwrap();
        assert_eq!(scope.name().as_str(), *name, "{case}");
        assert_eq!(scope.resource(), resource.as_ref(), "{case}");
        assert_eq!(scope.is_owner_relative(), *relative, "{case}");
    }
}

#[test]
fn scope_with_own_server() {
    let target = server("alice/gpu");
    type Row<'a> = (&'a str, &'a str, &'a str);
    let cases: &[Row<'_>] = &[
        (
            "!server is rewritten",
            "access:servers!server",
            "access:servers!server=alice/gpu",
        ),
        (
            "!user is kept",
            "users:activity!user",
            "users:activity!user",
        ),
        (
            "concrete server is kept",
            "access:servers!server=bob/",
            "access:servers!server=bob/",
        ),
        ("unfiltered is kept", "read:hub", "read:hub"),
    ];
    for (case, input, expect) in cases {
        let scope: Scope = input.parse().unwrap();
        assert_eq!(
            scope.with_own_server(&target).to_string(),
            *expect,
            "{case}"
        );
    }
}

#[test]
fn scope_serde() {
    type Row<'a> = (&'a str, &'a str, bool);
    let cases: &[Row<'_>] = &[
        ("valid scope", r#""read:users!user=alice""#, true),
        ("invalid scope", r#""all""#, false),
    ];
    for (case, json, ok) in cases {
        let got: Result<Scope, _> = serde_json::from_str(json);
        assert_eq!(got.is_ok(), *ok, "{case}");
        if let Ok(scope) = got {
            assert_eq!(serde_json::to_string(&scope).unwrap(), *json, "{case}");
        }
    }
}

fn batch(defs: &[(&str, &[&str])]) -> BTreeMap<String, CustomScopeDefinition> {
    defs.iter()
        .map(|(name, subscopes)| {
            let definition = CustomScopeDefinition {
                description: format!("about {name}"),
                subscopes: subscopes.iter().map(ToString::to_string).collect(),
            };
            (name.to_string(), definition)
        })
        .collect()
}

#[test]
fn registry_define_custom_scopes() {
    let first: &[(&str, &[&str])] = &[("custom:a:read", &[])];
    type Row<'a> = (&'a str, &'a [(&'a str, &'a [&'a str])], Result<(), &'a str>);
    let cases: &[Row<'_>] = &[
        ("leaf", &[("custom:b:read", &[])], Ok(())),
        (
            "subscope in the same batch",
            &[("custom:b:all", &["custom:b:one"]), ("custom:b:one", &[])],
            Ok(()),
        ),
        ("identical redefinition", first, Ok(())),
        (
            "cycle is accepted",
            &[
                ("custom:c:x", &["custom:c:y"]),
                ("custom:c:y", &["custom:c:x"]),
            ],
            Ok(()),
        ),
        (
            "different redefinition",
            &[("custom:a:read", &["custom:a:read"])],
            Err(r#"cannot redefine scope "custom:a:read""#),
        ),
        (
            "not custom",
            &[("read:stuff", &[])],
            Err("invalid custom scope name"),
        ),
        (
            "built-in subscope",
            &[("custom:d:x", &["read:users"])],
            Err("non-custom subscope \"read:users\" of \"custom:d:x\""),
        ),
        (
            "earlier batch's subscope",
            &[("custom:d:x", &["custom:a:read"])],
            Err("non-custom subscope \"custom:a:read\""),
        ),
        (
            "undefined subscope",
            &[("custom:d:x", &["custom:d:y"])],
            Err("subscope \"custom:d:y\" of \"custom:d:x\" not found"),
        ),
    ];
    for (case, defs, expect) in cases {
        let mut registry = ScopeRegistry::builtin();
        registry.define_custom_scopes(&batch(first)).unwrap();
        let got = registry
            .define_custom_scopes(&batch(defs))
            .map_err(|e| e.to_string());
        match (expect, got) {
            (Ok(()), Ok(())) => {
                for (name, _) in *defs {
                    assert!(registry.parse(name).is_ok(), "{case}: {name} defined");
                }
            }
            (Err(prefix), Err(message)) => {
                assert!(message.starts_with(prefix), "{case}: {message}");
                assert!(
                    registry.parse("custom:d:x").is_err(),
                    "{case}: nothing added"
                );
            }
            (expect, got) => panic!("{case}: expected {expect:?}, got {got:?}"),
        }
    }
}

#[test]
fn registry_parse() {
    let mut registry = ScopeRegistry::builtin();
    registry
        .define_custom_scopes(&batch(&[("custom:x:read", &[])]))
        .unwrap();
    type Row<'a> = (&'a str, &'a str, bool);
    let cases: &[Row<'_>] = &[
        ("built-in", "read:users", true),
        ("defined custom", "custom:x:read!user=alice", true),
        ("undefined custom", "custom:x:write", false),
        ("unknown built-in", "write:users", false),
    ];
    for (case, input, ok) in cases {
        assert_eq!(registry.parse(input).is_ok(), *ok, "{case}");
    }
    let described = registry.description(&"custom:x:read".parse().unwrap());
    assert_eq!(described, Some("about custom:x:read"));
}
