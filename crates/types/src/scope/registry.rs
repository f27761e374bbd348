//! Scope names (built-in or `custom:`) and the registry that knows every defined scope and its
//! subscopes, like `scope_definitions` plus `define_custom_scopes` in `jupyterhub/scopes.py`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{BuiltinScope, Scope, ScopeError};
use crate::names::quoted;

/// The longest custom scope name, in bytes (JupyterHub has no limit; this bounds log lines).
const MAX_CUSTOM_SCOPE_LEN: usize = 255;

/// The name part of a scope (before any `!` filter).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScopeName {
    /// A scope JupyterHub defines.
    Builtin(BuiltinScope),
    /// A deployment-defined `custom:` scope.
    Custom(CustomScopeName),
}

/// A syntactically valid custom scope name:
/// `^custom:[a-z0-9][a-z0-9_\-\*:]+[a-z0-9_\*]$`, at most 255 bytes.
///
/// Whether it is defined is a question for a [`ScopeRegistry`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomScopeName(String);

/// A custom scope's definition, as given to `JupyterHub.custom_scopes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomScopeDefinition {
    /// Shown on the OAuth authorization page.
    pub description: String,
    /// Other custom scopes, defined in the same batch, that this one implies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscopes: Vec<String>,
}

/// Every scope a deployment knows: the built-in table plus its custom scopes.
#[derive(Debug, Clone, Default)]
pub struct ScopeRegistry {
    custom: BTreeMap<CustomScopeName, CustomScope>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CustomScope {
    description: String,
    subscopes: Vec<CustomScopeName>,
}

// === impl ScopeName ===

impl ScopeName {
    /// The name as written, e.g. `read:users` or `custom:foo:bar`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Builtin(scope) => scope.as_str(),
            Self::Custom(name) => &name.0,
        }
    }

    /// The built-in scope, if this is one.
    pub fn builtin(&self) -> Option<BuiltinScope> {
        match self {
            Self::Builtin(scope) => Some(*scope),
            Self::Custom(_) => None,
        }
    }
}

impl From<BuiltinScope> for ScopeName {
    fn from(scope: BuiltinScope) -> Self {
        Self::Builtin(scope)
    }
}

impl PartialEq<BuiltinScope> for ScopeName {
    fn eq(&self, other: &BuiltinScope) -> bool {
        self.builtin() == Some(*other)
    }
}

impl fmt::Display for ScopeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScopeName {
    type Err = ScopeError;

    /// A built-in name, or a syntactically valid `custom:` name; `all` gets JupyterHub's
    /// "now called inherit" error.
    fn from_str(name: &str) -> Result<Self, ScopeError> {
        if let Some(scope) = BuiltinScope::from_name(name) {
            Ok(Self::Builtin(scope))
        } else if name == "all" {
            Err(ScopeError::AllIsNowInherit)
        } else if let Ok(custom) = CustomScopeName::new(name) {
            Ok(Self::Custom(custom))
        } else {
            Err(ScopeError::Unknown(quoted(name)))
        }
    }
}

// === impl CustomScopeName ===

impl CustomScopeName {
    /// Checks `name` against JupyterHub's custom scope pattern.
    pub fn new(name: &str) -> Result<Self, ScopeError> {
        if is_custom_scope_name(name) {
            Ok(Self(name.to_owned()))
        } else {
            Err(ScopeError::InvalidCustomName(quoted(name)))
        }
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomScopeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_custom_scope_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("custom:") else {
        return false;
    };
    let bytes = rest.as_bytes();
    let lower_digit = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    name.len() <= MAX_CUSTOM_SCOPE_LEN
        && bytes.len() >= 3
        && bytes.first().is_some_and(lower_digit)
        && bytes
            .iter()
            .all(|b| lower_digit(b) || matches!(b, b'_' | b'-' | b'*' | b':'))
        && bytes
            .last()
            .is_some_and(|b| lower_digit(b) || matches!(b, b'_' | b'*'))
}

// === impl ScopeRegistry ===

impl ScopeRegistry {
    /// A registry with only the built-in scopes.
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Adds a batch of custom scopes, with `define_custom_scopes`' rules: names must match the
    /// custom pattern, an existing scope may only be redefined identically, and subscopes must
    /// be custom scopes defined in the same batch.
    ///
    /// On error nothing is added.
    pub fn define_custom_scopes(
        &mut self,
        batch: &BTreeMap<String, CustomScopeDefinition>,
    ) -> Result<(), ScopeError> {
        let mut added = Vec::with_capacity(batch.len());
        for (name, definition) in batch {
            let scope_name = CustomScopeName::new(name)?;
            let mut subscopes = Vec::with_capacity(definition.subscopes.len());
            for subscope in &definition.subscopes {
                if !batch.contains_key(subscope) {
                    let defined_elsewhere = BuiltinScope::from_name(subscope).is_some()
                        || CustomScopeName::new(subscope)
                            .is_ok_and(|s| self.custom.contains_key(&s));
                    return Err(if defined_elsewhere {
                        ScopeError::NonCustomSubscope {
                            scope: quoted(name),
                            subscope: quoted(subscope),
                        }
                    } else {
                        ScopeError::UndefinedSubscope {
                            scope: quoted(name),
                            subscope: quoted(subscope),
                        }
                    });
                }
                subscopes.push(CustomScopeName::new(subscope)?);
            }
            let scope = CustomScope {
                description: definition.description.clone(),
                subscopes,
            };
            if self
                .custom
                .get(&scope_name)
                .is_some_and(|old| *old != scope)
            {
                return Err(ScopeError::Redefined(quoted(name)));
            }
            added.push((scope_name, scope));
        }
        self.custom.extend(added);
        Ok(())
    }

    /// Whether `name` is defined.
    pub fn contains(&self, name: &ScopeName) -> bool {
        match name {
            ScopeName::Builtin(_) => true,
            ScopeName::Custom(custom) => self.custom.contains_key(custom),
        }
    }

    /// The description of `name`, if it is defined.
    pub fn description(&self, name: &ScopeName) -> Option<&str> {
        match name {
            ScopeName::Builtin(scope) => Some(scope.description()),
            ScopeName::Custom(custom) => self.custom.get(custom).map(|c| c.description.as_str()),
        }
    }

    /// The scopes `name` directly implies (none for an undefined custom scope).
    pub fn subscopes(&self, name: &ScopeName) -> Vec<ScopeName> {
        match name {
            ScopeName::Builtin(scope) => scope
                .subscopes()
                .iter()
                .map(|s| ScopeName::Builtin(*s))
                .collect(),
            ScopeName::Custom(custom) => self.custom.get(custom).map_or_else(Vec::new, |c| {
                c.subscopes.iter().cloned().map(ScopeName::Custom).collect()
            }),
        }
    }

    /// `name` and every scope it implies, transitively (cycles among custom scopes end).
    pub fn with_subscopes(&self, name: &ScopeName) -> BTreeSet<ScopeName> {
        let mut found = BTreeSet::new();
        let mut stack = vec![name.clone()];
        while let Some(next) = stack.pop() {
            if found.insert(next.clone()) {
                stack.extend(self.subscopes(&next));
            }
        }
        found
    }

    /// Parses `scope` and checks that its name is defined (`_check_scopes_exist`).
    pub fn parse(&self, scope: &str) -> Result<Scope, ScopeError> {
        let parsed: Scope = scope.parse()?;
        self.check_exists(&parsed)?;
        Ok(parsed)
    }

    /// Errors if `scope` names a custom scope this registry does not define.
    pub fn check_exists(&self, scope: &Scope) -> Result<(), ScopeError> {
        if self.contains(scope.name()) {
            Ok(())
        } else {
            Err(ScopeError::Unknown(quoted(&scope.to_string())))
        }
    }
}
