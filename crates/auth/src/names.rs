//! User names as every login sees them: JupyterHub's `normalize_username` (lower case, then
//! `username_map`) and `validate_username` (the [`UserName`] rules, then `username_pattern`).

use std::collections::HashMap;
use std::fmt;

use ganymede_config::AuthenticatorSection;
use ganymede_types::{NameError, UserName};
use regex::Regex;

use crate::error::AuthError;

/// How many characters of a refused name a message quotes, so log lines stay bounded.
const QUOTE_CHARS: usize = 64;

/// Why a normalised user name may not log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidName {
    /// The name breaks a rule every user name follows (empty, `/`, only dots, too long...).
    Rules(NameError),
    /// The name does not match `authenticator.username_pattern` from its start.
    Pattern {
        /// The name, shortened and escaped for a log line.
        name: String,
    },
}

/// The normalisation and validation rules of `[authenticator]`, compiled once.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameRules {
    /// `username_map`, applied after lower-casing.
    map: HashMap<String, String>,
    /// `username_pattern`, unanchored: [`NameRules::matches_pattern`] anchors it at the start.
    pattern: Option<Regex>,
}

// === impl InvalidName ===

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rules(error) => error.fmt(f),
            Self::Pattern { name } => write!(
                f,
                "user name {name} does not match `authenticator.username_pattern`"
            ),
        }
    }
}

impl std::error::Error for InvalidName {}

// === impl NameRules ===

impl NameRules {
    /// Compiles `username_pattern` and copies `username_map`.
    pub(crate) fn from_config(section: &AuthenticatorSection) -> Result<Self, AuthError> {
        // JupyterHub treats an empty pattern as "no pattern".
        let pattern = match section.username_pattern.as_deref() {
            None | Some("") => None,
            Some(pattern) => Some(Regex::new(pattern).map_err(|error| {
                let error = error.to_string().replace('\n', " ");
                AuthError::config(
                    "authenticator.username_pattern",
                    format!("is not a valid regular expression: {error}"),
                )
            })?),
        };
        let map = section
            .username_map
            .iter()
            .map(|(from, to)| (from.clone(), to.clone()))
            .collect();
        Ok(Self { map, pattern })
    }

    /// JupyterHub's `normalize_username`: lower case, then `username_map`.
    ///
    /// The map's keys are matched against the lower-cased name, as JupyterHub does, so a key
    /// with capitals never matches (`check_config` warns about it).
    pub(crate) fn normalize(&self, name: &str) -> String {
        let lower = name.to_lowercase();
        match self.map.get(&lower) {
            Some(mapped) => mapped.clone(),
            None => lower,
        }
    }

    /// JupyterHub's `validate_username` on a normalised name.
    pub(crate) fn validate(&self, name: &str) -> Result<UserName, InvalidName> {
        let valid = UserName::new(name).map_err(InvalidName::Rules)?;
        if !self.matches_pattern(name) {
            return Err(InvalidName::Pattern { name: quoted(name) });
        }
        Ok(valid)
    }

    /// Python's `re.match`: the pattern must match at the start of the name, not necessarily
    /// the whole name.
    ///
    /// A leftmost-first search finds a match starting at 0 whenever one exists, so checking the
    /// first match's start is exactly `re.match`; wrapping the pattern in `^(?:...)` instead
    /// would break patterns that end in an `(?x)` comment.
    fn matches_pattern(&self, name: &str) -> bool {
        self.pattern
            .as_ref()
            .is_none_or(|pattern| pattern.find(name).is_some_and(|m| m.start() == 0))
    }
}

/// `value` shortened to [`QUOTE_CHARS`] characters and escaped like a Rust string literal.
pub(crate) fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}
