//! Intersection of two expanded scope sets (`_intersect_expanded_scopes`), honouring the
//! hierarchy `!server=u/s` ⊂ `!user=u` ⊂ `!group=g` (when u is a member of g).

use std::collections::{BTreeMap, BTreeSet};

use super::{ExpandedScopes, Grant, ResourceSet};
use crate::{GroupName, UserName};

/// Answers group membership, the one fact scope checks need from the database.
pub trait GroupMembership {
    /// Whether `user` is a member of `group`.
    fn is_member(&self, user: &UserName, group: &GroupName) -> bool;
}

/// Membership that is never known: `!group=` filters then match no user, as in JupyterHub
/// when no database session is passed.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGroups;

// === impl GroupMembership ===

impl GroupMembership for NoGroups {
    fn is_member(&self, _user: &UserName, _group: &GroupName) -> bool {
        false
    }
}

impl<F> GroupMembership for F
where
    F: Fn(&UserName, &GroupName) -> bool,
{
    fn is_member(&self, user: &UserName, group: &GroupName) -> bool {
        self(user, group)
    }
}

impl GroupMembership for BTreeMap<UserName, BTreeSet<GroupName>> {
    fn is_member(&self, user: &UserName, group: &GroupName) -> bool {
        self.get(user).is_some_and(|groups| groups.contains(group))
    }
}

/// The permissions both `a` and `b` grant.
///
/// For each scope name held by both: an unfiltered side yields the other side's filters;
/// otherwise the result keeps the filters named on both sides, plus each side's servers whose
/// owner the other side names or has in a named group, plus each side's users that are in a
/// group the other side names. Group and service filters only survive when named on both sides.
pub fn intersect_scopes(
    a: &ExpandedScopes,
    b: &ExpandedScopes,
    membership: &dyn GroupMembership,
) -> ExpandedScopes {
    let mut grants = BTreeMap::new();
    for (name, grant_a) in a.grants() {
        let Some(grant_b) = b.grants().get(name) else {
            continue;
        };
        let common = match (grant_a, grant_b) {
            (Grant::All, other) | (other, Grant::All) => other.clone(),
            (Grant::Only(set_a), Grant::Only(set_b)) => {
                let set = intersect_sets(set_a, set_b, membership);
                if set.is_empty() {
                    continue;
                }
                Grant::Only(set)
            }
        };
        grants.insert(name.clone(), common);
    }
    ExpandedScopes::from_grants(grants)
}

fn intersect_sets(
    a: &ResourceSet,
    b: &ResourceSet,
    membership: &dyn GroupMembership,
) -> ResourceSet {
    let mut servers: BTreeSet<_> = a.servers() & b.servers();
    let mut users: BTreeSet<_> = a.users() & b.users();
    for (this, other) in [(a, b), (b, a)] {
        servers.extend(
            this.servers()
                .iter()
                .filter(|server| {
                    other.users().contains(server.user())
                        || other.in_named_group(server.user(), membership)
                })
                .cloned(),
        );
        users.extend(
            this.users()
                .iter()
                .filter(|user| other.in_named_group(user, membership))
                .cloned(),
        );
    }
    ResourceSet::from_parts(
        users,
        servers,
        a.groups() & b.groups(),
        a.services() & b.services(),
    )
}
