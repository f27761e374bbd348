//! [`ConfigError`]: every way loading the config or the secrets can fail, naming the key and the fix.

use std::fmt;
use std::path::PathBuf;

/// Loading the config or the secrets failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML, or a value has the wrong type.
    #[error("{}{location}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// ` line L, column C`, from toml's span, or empty.
        location: String,
        /// toml's message.
        message: String,
    },
    /// Keys are unknown or values are invalid; each problem names its key, its source and the fix.
    #[error("{}", Problems(.0))]
    Invalid(Vec<Problem>),
    /// A secret file could not be read, written or checked.
    #[error("{what} {}: {source}", path.display())]
    SecretFile {
        /// Which secret, and what was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The cookie secret file can be read by group or others.
    #[error(
        "cookie secret file {path} is accessible by group or others (mode {mode:03o}); \
         run `chmod 600 {path}`",
        path = path.display()
    )]
    SecretFilePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A secret's value is unusable.
    #[error("{0}")]
    BadSecret(String),
}

/// One unknown key or invalid value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key, as `hub.services[0].name`.
    pub key: String,
    /// Where the value came from: `ganymede.toml line 3`, `environment variable GANYMEDE_…`,
    /// `command line`, or empty for a default.
    pub origin: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong with a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// No such key; `suggestion` is the nearest valid one, as it would be written in that source.
    UnknownKey {
        /// The nearest valid key, if one is close.
        suggestion: Option<String>,
    },
    /// The value is invalid; the message says why and how to fix it.
    Invalid {
        /// What is wrong and the fix.
        message: String,
    },
}

impl Problem {
    /// An invalid value of `key`.
    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            origin: String::new(),
            kind: ProblemKind::Invalid {
                message: message.into(),
            },
        }
    }

    /// An unknown `key`, found in `origin`.
    pub(crate) fn unknown(
        key: impl Into<String>,
        origin: String,
        suggestion: Option<String>,
    ) -> Self {
        Self {
            key: key.into(),
            origin,
            kind: ProblemKind::UnknownKey { suggestion },
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = if self.origin.is_empty() {
            String::new()
        } else {
            format!(" in {}", self.origin)
        };
        match &self.kind {
            ProblemKind::UnknownKey {
                suggestion: Some(s),
            } => {
                write!(f, "unknown key `{}`{origin}; did you mean `{s}`?", self.key)
            }
            ProblemKind::UnknownKey { suggestion: None } => write!(
                f,
                "unknown key `{}`{origin}; `ganymede generate-config` lists every key",
                self.key
            ),
            ProblemKind::Invalid { message } => {
                write!(f, "invalid `{}`{origin}: {message}", self.key)
            }
        }
    }
}

/// Problems joined on one line.
struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}
