//! Intersection of expanded scope sets.

use super::*;

#[test]
fn intersect_scopes_table() {
    let in_g = members(&[("alice", "g"), ("bob", "g"), ("carol", "h")]);
    let nobody = members(&[]);
    // (case, a, b, membership, expected); every case is also checked with a and b swapped.
    type Row<'a> = (
        &'a str,
        &'a [&'a str],
        &'a [&'a str],
        &'a BTreeMap<UserName, BTreeSet<GroupName>>,
        &'a [&'a str],
    );
    let cases: &[Row<'_>] = &[
        (
            "unfiltered both",
            &["read:hub", "proxy"],
            &["read:hub"],
            &nobody,
            &["read:hub"],
        ),
        (
            "unfiltered yields the other's filters",
            &["tokens"],
            &["tokens!user=a", "tokens!group=g"],
            &nobody,
            &["tokens!group=g", "tokens!user=a"],
        ),
        ("different names", &["tokens"], &["servers"], &nobody, &[]),
        (
            "same user",
            &["tokens!user=a"],
            &["tokens!user=a", "tokens!user=b"],
            &nobody,
            &["tokens!user=a"],
        ),
        (
            "disjoint users",
            &["tokens!user=a"],
            &["tokens!user=b"],
            &nobody,
            &[],
        ),
        (
            "server under its user",
            &["servers!server=alice/"],
            &["servers!user=alice"],
            &nobody,
            &["servers!server=alice/"],
        ),
        (
            "server under another user",
            &["servers!server=alice/"],
            &["servers!user=bob"],
            &nobody,
            &[],
        ),
        (
            "server and user kept together",
            &["servers!server=alice/x", "servers!user=bob"],
            &["servers!user=alice", "servers!user=bob"],
            &nobody,
            &["servers!server=alice/x", "servers!user=bob"],
        ),
        (
            "user in group",
            &["tokens!user=alice"],
            &["tokens!group=g"],
            &in_g,
            &["tokens!user=alice"],
        ),
        (
            "user not in group",
            &["tokens!user=carol"],
            &["tokens!group=g"],
            &in_g,
            &[],
        ),
        (
            "group membership unknown",
            &["tokens!user=alice"],
            &["tokens!group=g"],
            &nobody,
            &[],
        ),
        (
            "server in group",
            &["access:servers!server=bob/"],
            &["access:servers!group=g"],
            &in_g,
            &["access:servers!server=bob/"],
        ),
        (
            "server not in group",
            &["access:servers!server=carol/"],
            &["access:servers!group=g"],
            &in_g,
            &[],
        ),
        (
            "same group",
            &["groups!group=g", "groups!group=h"],
            &["groups!group=g"],
            &in_g,
            &["groups!group=g"],
        ),
        (
            "group is not inside a user",
            &["tokens!group=g"],
            &["tokens!user=alice"],
            &in_g,
            &["tokens!user=alice"],
        ),
        (
            "group is not inside another group",
            &["tokens!group=g"],
            &["tokens!group=h"],
            &in_g,
            &[],
        ),
        (
            "services",
            &["access:services!service=a", "access:services!service=b"],
            &["access:services!service=b"],
            &nobody,
            &["access:services!service=b"],
        ),
        (
            "service is not under a user",
            &["access:services!service=a"],
            &["access:services!user=a"],
            &nobody,
            &[],
        ),
        (
            "mixed kinds",
            &[
                "servers!user=alice",
                "servers!server=bob/",
                "servers!server=dan/",
            ],
            &["servers!group=g"],
            &in_g,
            &["servers!server=bob/", "servers!user=alice"],
        ),
        ("empty side", &[], &["read:hub"], &nobody, &[]),
    ];
    for (case, a, b, membership, expect) in cases {
        let (a, b) = (expanded(a), expanded(b));
        let got = intersect_scopes(&a, &b, *membership);
        assert_eq!(strings(&got), *expect, "{case}");
        let swapped = intersect_scopes(&b, &a, *membership);
        assert_eq!(strings(&swapped), *expect, "{case} (swapped)");
    }
}

#[test]
fn group_membership_impls() {
    let closure = |u: &UserName, g: &GroupName| u.as_str() == "alice" && g.as_str() == "g";
    let map = members(&[("alice", "g")]);
    let g = GroupName::new("g").unwrap();
    type Row<'a> = (&'a str, &'a dyn GroupMembership, &'a str, bool);
    let cases: &[Row<'_>] = &[
        ("closure: member", &closure, "alice", true),
        ("closure: not member", &closure, "bob", false),
        ("map: member", &map, "alice", true),
        ("map: unknown user", &map, "bob", false),
        ("no groups", &NoGroups, "alice", false),
    ];
    for (case, membership, name, expect) in cases {
        assert_eq!(membership.is_member(&user(name), &g), *expect, "{case}");
    }
}
