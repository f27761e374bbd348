//! Expanded scopes held in JupyterHub's "parsed" shape: for each scope name, either every
//! resource or a set of named resources.
//!
//! Holding them this way makes every set reduced (`reduce_scopes`): `access:servers` swallows
//! `access:servers!user=alice`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{GroupMembership, Resource, ResourceKind, Scope, ScopeError, ScopeName};
use crate::names::quoted;
use crate::{FullServerName, GroupName, ServiceName, UserName};

/// A set of expanded scopes: no metascopes to resolve, no owner-relative filters.
///
/// Serialized as a sorted list of scope strings, the form of the `scopes` field of JupyterHub's
/// token and identity models.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpandedScopes {
    grants: BTreeMap<ScopeName, Grant>,
}

/// Which resources one scope name is held for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Unfiltered: every resource.
    All,
    /// Only the named resources (never empty).
    Only(ResourceSet),
}

/// Named resources, by kind: the filters held for one scope name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceSet {
    users: BTreeSet<UserName>,
    servers: BTreeSet<FullServerName>,
    groups: BTreeSet<GroupName>,
    services: BTreeSet<ServiceName>,
}

// === impl ExpandedScopes ===

impl ExpandedScopes {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a list of expanded scope strings; owner-relative filters are an error.
    pub fn parse<I>(scopes: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut expanded = Self::new();
        for scope in scopes {
            expanded.insert_scope(scope.as_ref().parse()?)?;
        }
        Ok(expanded)
    }

    /// Adds `name`, for every resource (`None`) or for one.
    pub fn insert(&mut self, name: ScopeName, resource: Option<Resource>) {
        match resource {
            None => {
                self.grants.insert(name, Grant::All);
            }
            Some(resource) => {
                let grant = self
                    .grants
                    .entry(name)
                    .or_insert_with(|| Grant::Only(ResourceSet::default()));
                if let Grant::Only(set) = grant {
                    set.insert(resource);
                }
            }
        }
    }

    /// Adds a parsed scope; an owner-relative filter is an error.
    pub fn insert_scope(&mut self, scope: Scope) -> Result<(), ScopeError> {
        if scope.is_owner_relative() {
            return Err(ScopeError::Unresolved(quoted(&scope.to_string())));
        }
        let resource = scope.resource().cloned();
        self.insert(scope.name().clone(), resource);
        Ok(())
    }

    /// Adds every scope of `other`.
    pub fn extend(&mut self, other: &ExpandedScopes) {
        for (name, grant) in &other.grants {
            match grant {
                Grant::All => self.insert(name.clone(), None),
                Grant::Only(set) => {
                    for resource in set.iter() {
                        self.insert(name.clone(), Some(resource));
                    }
                }
            }
        }
    }

    /// What `name` is held for, if it is held at all.
    pub fn grant(&self, name: impl Into<ScopeName>) -> Option<&Grant> {
        self.get(&name.into())
    }

    pub(crate) fn get(&self, name: &ScopeName) -> Option<&Grant> {
        self.grants.get(name)
    }

    /// Whether `name` is held for at least one resource.
    pub fn contains(&self, name: impl Into<ScopeName>) -> bool {
        self.grant(name).is_some()
    }

    /// Every held scope name with its grant.
    pub fn iter(&self) -> impl Iterator<Item = (&ScopeName, &Grant)> {
        self.grants.iter()
    }

    pub(crate) fn grants(&self) -> &BTreeMap<ScopeName, Grant> {
        &self.grants
    }

    pub(crate) fn from_grants(grants: BTreeMap<ScopeName, Grant>) -> Self {
        Self { grants }
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// How many scope strings the set holds.
    pub fn len(&self) -> usize {
        self.grants
            .values()
            .map(|grant| match grant {
                Grant::All => 1,
                Grant::Only(set) => set.len(),
            })
            .sum()
    }

    /// The set as scopes, one per held name and resource.
    pub fn to_scopes(&self) -> Vec<Scope> {
        let mut scopes = Vec::with_capacity(self.len());
        for (name, grant) in &self.grants {
            match grant {
                Grant::All => scopes.push(Scope::new(name.clone(), None)),
                Grant::Only(set) => {
                    scopes.extend(set.iter().map(|r| Scope::on(name.clone(), r)));
                }
            }
        }
        scopes
    }

    /// The set as sorted scope strings, e.g. for a token model or a log line.
    pub fn to_strings(&self) -> BTreeSet<String> {
        self.to_scopes().iter().map(ToString::to_string).collect()
    }

    /// The scope strings of `self` that are not strings of `other` (a plain set difference,
    /// as Python computes `token_scopes - intersection`; `x` does not remove `x!user=a`).
    pub fn difference(&self, other: &ExpandedScopes) -> ExpandedScopes {
        let mut grants = BTreeMap::new();
        for (name, grant) in &self.grants {
            let kept = match (grant, other.grants.get(name)) {
                (Grant::All, Some(Grant::All)) => None,
                (Grant::All, _) => Some(Grant::All),
                (Grant::Only(mine), Some(Grant::Only(theirs))) => Some(mine.difference(theirs))
                    .filter(|s| !s.is_empty())
                    .map(Grant::Only),
                (Grant::Only(mine), _) => Some(Grant::Only(mine.clone())),
            };
            if let Some(kept) = kept {
                grants.insert(name.clone(), kept);
            }
        }
        Self { grants }
    }
}

impl Serialize for ExpandedScopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.to_strings())
    }
}

impl<'de> Deserialize<'de> for ExpandedScopes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let scopes = Vec::<String>::deserialize(deserializer)?;
        Self::parse(scopes).map_err(serde::de::Error::custom)
    }
}

// === impl Grant ===

impl Grant {
    /// Whether this grant covers `resource` (`check_scope_filter`): by name, a server through
    /// its owner, and a user or server through the owner's groups.
    pub fn allows(&self, resource: &Resource, membership: &dyn GroupMembership) -> bool {
        match self {
            Self::All => true,
            Self::Only(set) => set.allows(resource, membership),
        }
    }
}

// === impl ResourceSet ===

impl ResourceSet {
    /// Adds a resource.
    pub fn insert(&mut self, resource: Resource) {
        match resource {
            Resource::User(name) => self.users.insert(name),
            Resource::Server(name) => self.servers.insert(name),
            Resource::Group(name) => self.groups.insert(name),
            Resource::Service(name) => self.services.insert(name),
        };
    }

    /// Whether `resource` is named here exactly (no hierarchy).
    pub fn contains(&self, resource: &Resource) -> bool {
        match resource {
            Resource::User(name) => self.users.contains(name),
            Resource::Server(name) => self.servers.contains(name),
            Resource::Group(name) => self.groups.contains(name),
            Resource::Service(name) => self.services.contains(name),
        }
    }

    /// Whether `resource` is covered: named exactly, a server whose owner is named, or a user
    /// or server whose owner is in a named group.
    pub fn allows(&self, resource: &Resource, membership: &dyn GroupMembership) -> bool {
        if self.contains(resource) {
            return true;
        }
        let user = match resource {
            Resource::User(user) => user,
            Resource::Server(server) if self.users.contains(server.user()) => return true,
            Resource::Server(server) => server.user(),
            Resource::Group(_) | Resource::Service(_) => return false,
        };
        self.in_named_group(user, membership)
    }

    pub(crate) fn in_named_group(&self, user: &UserName, membership: &dyn GroupMembership) -> bool {
        self.groups
            .iter()
            .any(|group| membership.is_member(user, group))
    }

    /// The named users.
    pub fn users(&self) -> &BTreeSet<UserName> {
        &self.users
    }

    /// The named servers.
    pub fn servers(&self) -> &BTreeSet<FullServerName> {
        &self.servers
    }

    /// The named groups.
    pub fn groups(&self) -> &BTreeSet<GroupName> {
        &self.groups
    }

    /// The named services.
    pub fn services(&self) -> &BTreeSet<ServiceName> {
        &self.services
    }

    /// Whether every named resource is of one of `kinds` (e.g. a `list:users` filter may only
    /// name users and groups).
    pub fn has_only(&self, kinds: &[ResourceKind]) -> bool {
        let present = [
            (ResourceKind::User, self.users.is_empty()),
            (ResourceKind::Server, self.servers.is_empty()),
            (ResourceKind::Group, self.groups.is_empty()),
            (ResourceKind::Service, self.services.is_empty()),
        ];
        present
            .iter()
            .all(|(kind, empty)| *empty || kinds.contains(kind))
    }

    /// Whether nothing is named.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many resources are named.
    pub fn len(&self) -> usize {
        self.users.len() + self.servers.len() + self.groups.len() + self.services.len()
    }

    /// Every named resource.
    pub fn iter(&self) -> impl Iterator<Item = Resource> + '_ {
        let users = self.users.iter().cloned().map(Resource::User);
        let servers = self.servers.iter().cloned().map(Resource::Server);
        let groups = self.groups.iter().cloned().map(Resource::Group);
        let services = self.services.iter().cloned().map(Resource::Service);
        users.chain(servers).chain(groups).chain(services)
    }

    pub(crate) fn difference(&self, other: &ResourceSet) -> ResourceSet {
        ResourceSet {
            users: &self.users - &other.users,
            servers: &self.servers - &other.servers,
            groups: &self.groups - &other.groups,
            services: &self.services - &other.services,
        }
    }

    pub(crate) fn from_parts(
        users: BTreeSet<UserName>,
        servers: BTreeSet<FullServerName>,
        groups: BTreeSet<GroupName>,
        services: BTreeSet<ServiceName>,
    ) -> ResourceSet {
        ResourceSet {
            users,
            servers,
            groups,
            services,
        }
    }
}
