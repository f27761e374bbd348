//! The request-side checks.

use super::*;

fn resource(spec: &str) -> Option<Resource> {
    let (kind, value) = spec.split_once('=')?;
    let kind = match kind {
        "user" => ResourceKind::User,
        "server" => ResourceKind::Server,
        "group" => ResourceKind::Group,
        _ => ResourceKind::Service,
    };
    Some(Resource::new(kind, value).unwrap())
}

fn names(list: &[&str]) -> Vec<ScopeName> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

#[test]
fn allows_table() {
    let in_g = members(&[("alice", "g")]);
    // (case, held, scope, resource ("" = none), membership, allowed)
    type Row<'a> = (&'a str, &'a [&'a str], &'a str, &'a str, bool);
    let cases: &[Row<'_>] = &[
        (
            "unfiltered, no resource",
            &["read:hub"],
            "read:hub",
            "",
            true,
        ),
        (
            "unfiltered covers any user",
            &["read:users"],
            "read:users",
            "user=zed",
            true,
        ),
        ("not held", &["read:users"], "admin:users", "", false),
        (
            "filtered, no resource",
            &["read:users!user=alice"],
            "read:users",
            "",
            false,
        ),
        (
            "exact user",
            &["read:users!user=alice"],
            "read:users",
            "user=alice",
            true,
        ),
        (
            "other user",
            &["read:users!user=alice"],
            "read:users",
            "user=bob",
            false,
        ),
        (
            "server via its user",
            &["servers!user=alice"],
            "servers",
            "server=alice/gpu",
            true,
        ),
        (
            "exact server",
            &["servers!server=alice/gpu"],
            "servers",
            "server=alice/gpu",
            true,
        ),
        (
            "other server of the same user",
            &["servers!server=alice/gpu"],
            "servers",
            "server=alice/",
            false,
        ),
        (
            "server does not cover its user",
            &["servers!server=alice/"],
            "servers",
            "user=alice",
            false,
        ),
        (
            "user via group",
            &["read:users!group=g"],
            "read:users",
            "user=alice",
            true,
        ),
        (
            "user outside the group",
            &["read:users!group=g"],
            "read:users",
            "user=bob",
            false,
        ),
        (
            "server via group",
            &["access:servers!group=g"],
            "access:servers",
            "server=alice/x",
            true,
        ),
        (
            "exact group",
            &["read:groups!group=g"],
            "read:groups",
            "group=g",
            true,
        ),
        (
            "other group",
            &["read:groups!group=g"],
            "read:groups",
            "group=h",
            false,
        ),
        (
            "exact service",
            &["read:services!service=s"],
            "read:services",
            "service=s",
            true,
        ),
        (
            "user filter does not cover a service",
            &["read:services!user=s"],
            "read:services",
            "service=s",
            false,
        ),
    ];
    for (case, held, scope, target, expect) in cases {
        let held = expanded(held);
        let name: ScopeName = scope.parse().unwrap();
        let got = held.allows(name, resource(target).as_ref(), &in_g);
        assert_eq!(got, *expect, "{case}");
    }
}

#[test]
fn check_table() {
    let in_g = members(&[("alice", "g")]);
    let read_user = &["read:users", "read:users:name", "read:roles:users"][..];
    // (case, held, any_of, resource, expected status: 0 = allowed)
    type Row<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a str, u16);
    let cases: &[Row<'_>] = &[
        (
            "one of several held",
            &["read:users:name"],
            read_user,
            "user=bob",
            0,
        ),
        (
            "held for the resource",
            &["read:users!user=bob"],
            read_user,
            "user=bob",
            0,
        ),
        (
            "held through a group",
            &["read:users:name!group=g"],
            read_user,
            "user=alice",
            0,
        ),
        (
            "held for others only: 404",
            &["read:users!user=alice"],
            read_user,
            "user=bob",
            404,
        ),
        (
            "one held for others, another not at all: 404",
            &["read:roles:users!user=x"],
            read_user,
            "user=bob",
            404,
        ),
        (
            "not held at all: 403",
            &["read:servers"],
            read_user,
            "user=bob",
            403,
        ),
        (
            "no resource, filtered only: 403",
            &["shutdown!user=alice"],
            &["shutdown"],
            "",
            403,
        ),
        (
            "no resource, unfiltered",
            &["shutdown"],
            &["shutdown"],
            "",
            0,
        ),
        (
            "server endpoint, user-filtered",
            &["start:servers!user=alice"],
            &["start:servers"],
            "server=alice/gpu",
            0,
        ),
        (
            "server endpoint, other server: 404",
            &["start:servers!server=alice/"],
            &["start:servers"],
            "server=alice/gpu",
            404,
        ),
        (
            "another server scope does not help: 403",
            &["delete:servers"],
            &["start:servers"],
            "server=alice/",
            403,
        ),
    ];
    for (case, held, any_of, target, status) in cases {
        let held = expanded(held);
        let got = held.check(&names(any_of), resource(target).as_ref(), &in_g);
        match got {
            Ok(()) => assert_eq!(*status, 0, "{case}"),
            Err(denied) => assert_eq!(denied.status(), *status, "{case}: {denied}"),
        }
    }
}

#[test]
fn denied_messages() {
    type Row<'a> = (&'a str, Denied, &'a str);
    let cases: &[Row<'_>] = &[
        (
            "not found",
            Denied::NotFound,
            "No access to resources or resources not found",
        ),
        (
            "forbidden lists the scopes",
            Denied::Forbidden {
                required: names(&["read:users", "read:users:name"]),
            },
            "Action is not authorized with current scopes; requires any of [read:users, read:users:name]",
        ),
    ];
    for (case, denied, message) in cases {
        assert_eq!(denied.to_string(), *message, "{case}");
    }
}

#[test]
fn check_list_table() {
    // (case, held, scope, expected: None = 403, Some(None) = all, Some(Some(filters)))
    type Row<'a> = (
        &'a str,
        &'a [&'a str],
        &'a str,
        Option<Option<&'a [&'a str]>>,
    );
    let cases: &[Row<'_>] = &[
        ("unfiltered", &["list:users"], "list:users", Some(None)),
        (
            "filtered",
            &["list:users!user=a", "list:users!group=g"],
            "list:users",
            Some(Some(&["group=g", "user=a"])),
        ),
        ("not held", &["read:users"], "list:users", None),
        (
            "read:users does not grant list:users",
            &["read:users!user=a"],
            "list:users",
            None,
        ),
    ];
    for (case, held, scope, expect) in cases {
        let held = expanded(held);
        let name: ScopeName = scope.parse().unwrap();
        let got = held.check_list(name).map(|grant| match grant {
            Grant::All => None,
            Grant::Only(set) => {
                let mut found: Vec<String> = set.iter().map(|r| r.to_string()).collect();
                found.sort();
                Some(found)
            }
        });
        let want = expect.map(|o| o.map(|l| l.iter().map(ToString::to_string).collect::<Vec<_>>()));
        match (got, want) {
            (Ok(got), Some(want)) => assert_eq!(got, want, "{case}"),
            (Err(denied), None) => assert_eq!(denied.status(), 403, "{case}"),
            (got, want) => panic!("{case}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn resource_set_has_only() {
    type Row<'a> = (&'a str, &'a [&'a str], &'a [ResourceKind], bool);
    let cases: &[Row<'_>] = &[
        (
            "users and groups for list:users",
            &["x!user=a", "x!group=g"],
            &[ResourceKind::User, ResourceKind::Group],
            true,
        ),
        (
            "a server filter is not allowed",
            &["x!user=a", "x!server=a/"],
            &[ResourceKind::User, ResourceKind::Group],
            false,
        ),
        ("group only", &["x!group=g"], &[ResourceKind::Group], true),
    ];
    for (case, held, kinds, expect) in cases {
        let held = expanded(
            &held
                .iter()
                .map(|s| s.replace("x!", "list:users!"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        let Some(Grant::Only(set)) = held.grant(BuiltinScope::ListUsers) else {
            panic!("{case}: filtered grant expected");
        };
        assert_eq!(set.has_only(kinds), *expect, "{case}");
    }
}
