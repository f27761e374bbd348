//! A token's permissions and the resolution of requested scopes.

use super::*;

fn owner_scopes(owner: &Owner, roles: &[&str]) -> ExpandedScopes {
    expand_scopes(&ScopeRegistry::builtin(), &raw(roles), Some(owner), None).scopes
}

#[test]
fn token_scopes_table() {
    let alice = Owner::User(user("alice"));
    let svc = Owner::Service(service("svc"));
    let hub = IssuingClient::Hub;
    let gpu = IssuingClient::Server(server("alice/gpu"));
    let self_read = [
        "read:users!user=alice",
        "read:users:activity!user=alice",
        "read:users:groups!user=alice",
        "read:users:name!user=alice",
    ];
    let alice_self = owner_scopes(&alice, &["self"]).to_strings();
    let alice_self: Vec<&str> = alice_self.iter().map(String::as_str).collect();
    // (case, token scopes, owner, client, owner's role scopes, expected, discarded)
    type Row<'a> = (
        &'a str,
        &'a [&'a str],
        &'a Owner,
        &'a IssuingClient,
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
    );
    let cases: &[Row<'_>] = &[
        (
            "inherit is the owner's scopes",
            &["inherit", "read:hub"],
            &alice,
            &hub,
            &["self"],
            &alice_self,
            &[],
        ),
        (
            "!user narrowed to the owner",
            &["read:users!user"],
            &alice,
            &hub,
            &["self"],
            &self_read,
            &[],
        ),
        (
            "more than the owner holds is cut to what they hold",
            &["read:users"],
            &alice,
            &hub,
            &["self"],
            &self_read,
            &[
                "read:users",
                "read:users:activity",
                "read:users:groups",
                "read:users:name",
            ],
        ),
        (
            "nothing of it held",
            &["admin:groups"],
            &alice,
            &hub,
            &["self"],
            &["read:users:groups!user=alice", "read:users:name!user=alice"],
            &[
                "admin:groups",
                "delete:groups",
                "groups",
                "list:groups",
                "read:groups",
                "read:groups:name",
                "read:roles:groups",
            ],
        ),
        (
            "oauth token gets its server's access scope",
            &["users:activity!user"],
            &alice,
            &gpu,
            &["self"],
            &[
                "access:servers!server=alice/gpu",
                "read:users:activity!user=alice",
                "read:users:groups!user=alice",
                "read:users:name!user=alice",
                "users:activity!user=alice",
            ],
            &[],
        ),
        (
            "service token",
            &["access:services!service"],
            &svc,
            &hub,
            &["access:services"],
            &["access:services!service=svc"],
            &["read:services:name!service=svc"],
        ),
    ];
    for (case, token, owner, client, roles, expect, discarded) in cases {
        let owned = owner_scopes(owner, roles);
        let got = token_scopes(
            &ScopeRegistry::builtin(),
            &raw(token),
            owner,
            client,
            &owned,
            &NoGroups,
        );
        assert_eq!(strings(&got.scopes), *expect, "{case}");
        assert_eq!(strings(&got.discarded), *discarded, "{case}: discarded");
    }
}

#[test]
fn resolve_requested_scopes_table() {
    let alice = Owner::User(user("alice"));
    let in_g = members(&[("alice", "g")]);
    // (case, requested, have, expected allowed, expected refused)
    type Row<'a> = (
        &'a str,
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
    );
    let cases: &[Row<'_>] = &[
        ("held verbatim", &["self"], &["self"], &["self"], &[]),
        (
            "covered by self",
            &["read:users!user=alice"],
            &["self"],
            &["read:users!user=alice"],
            &[],
        ),
        (
            "abbreviation kept when covered",
            &["servers!user"],
            &["self"],
            &["servers!user"],
            &[],
        ),
        (
            "partly covered: the part is allowed, the scope refused",
            &["read:users"],
            &["self"],
            &[
                "read:users!user=alice",
                "read:users:activity!user=alice",
                "read:users:groups!user=alice",
                "read:users:name!user=alice",
            ],
            &["read:users"],
        ),
        (
            "not covered",
            &["admin:users!user=bob"],
            &["self"],
            &[],
            &["admin:users!user=bob"],
        ),
        (
            "empty expansion is allowed",
            &["read:users!server=bob/"],
            &["self"],
            &["read:users!server=bob/"],
            &[],
        ),
        (
            "covered through a group",
            &["read:users!user=alice"],
            &["read:users!group=g"],
            &["read:users!user=alice"],
            &[],
        ),
        (
            "inherit is not expanded",
            &["inherit", "read:hub"],
            &["inherit"],
            &["inherit"],
            &["read:hub"],
        ),
    ];
    for (case, requested, have, allowed, refused) in cases {
        let (got_allowed, got_refused) = resolve_requested_scopes(
            &ScopeRegistry::builtin(),
            &raw(requested),
            &raw(have),
            &alice,
            &IssuingClient::Hub,
            &in_g,
        );
        let sorted = |set: BTreeSet<Scope>| {
            let mut list: Vec<String> = set.iter().map(ToString::to_string).collect();
            list.sort();
            list
        };
        assert_eq!(sorted(got_allowed), *allowed, "{case}: allowed");
        assert_eq!(sorted(got_refused), *refused, "{case}: refused");
    }
}
