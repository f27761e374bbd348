//! [`AuthError`]: why an authenticator could not be built or could not answer.

use std::path::PathBuf;

/// An authenticator's configuration is wrong, its users file is unusable, or hashing failed.
///
/// A wrong password is not an error: [`crate::Authenticator::authenticate`] returns `Ok(None)`.
/// Messages are lower case and name the config key or file at fault, so the binary can print
/// them as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A config value is invalid; `key` is its dotted name, such as `authenticator.allowed_users`.
    #[error("invalid `{key}`: {reason}")]
    Config {
        /// The dotted config key.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The users file does not exist.
    #[error(
        "users file `{}` does not exist: create it (`ganymede hash-password` makes the hashes) \
         or fix `authenticator.users_file.path`",
        path.display()
    )]
    UsersFileMissing {
        /// The configured path.
        path: PathBuf,
    },
    /// The users file cannot be read.
    #[error("cannot read users file `{}`: {source}", path.display())]
    UsersFileRead {
        /// The configured path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The users file is not a regular file.
    #[error("users file `{}` is not a regular file", path.display())]
    UsersFileNotFile {
        /// The configured path.
        path: PathBuf,
    },
    /// Someone other than its owner may write the users file, and so make themselves admin.
    #[error(
        "users file `{}` is writable by its group or by others (mode {mode:o}): \
         run `chmod go-w {}`",
        path.display(),
        path.display()
    )]
    UsersFileWritable {
        /// The configured path.
        path: PathBuf,
        /// The file's permission bits.
        mode: u32,
    },
    /// The users file is not valid; `line` is 1-based.
    #[error("users file `{}` line {line}: {message}", path.display())]
    UsersFileParse {
        /// The configured path.
        path: PathBuf,
        /// The line at fault (1-based).
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// Hashing or verifying a password failed for a reason other than a wrong password.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// A background task that checks a password did not finish.
    #[error("password check did not finish: {0}")]
    Task(String),
}

impl AuthError {
    /// A [`AuthError::Config`] for `key`.
    pub(crate) fn config(key: &'static str, reason: impl Into<String>) -> Self {
        Self::Config {
            key,
            reason: reason.into(),
        }
    }
}
