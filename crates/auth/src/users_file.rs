//! [`UsersFile`]: users and their argon2 password hashes, listed in a TOML file.
//!
//! # Format
//!
//! ```toml
//! # One table per user, keyed by the user's hub name: lower case, after `username_map`.
//! [users.alice]
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$..."  # from `ganymede hash-password`
//!
//! [users.bob]
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$..."
//! admin = true             # optional: true or false sets the admin flag at every login;
//!                          # absent leaves it to `authenticator.admin_users` and the database
//! groups = ["physics"]     # optional: the groups the user is put in at every login;
//!                          # absent leaves the user's groups alone
//! ```
//!
//! Any argon2 variant (`argon2id`, `argon2i`, `argon2d`) and parameters are accepted, up to
//! 1 GiB of memory per check. Unknown keys are errors, so a typo cannot silently drop a field.
//!
//! # Reloading
//!
//! Every login looks at the file's modification time, size and inode; when one changed, the
//! file is read again, so admins can add users and change passwords without a restart.
//! A file that no longer parses, or has become writable by others, is refused with one error in
//! the log naming the file and line, and the last good version stays in use.
//!
//! At startup the file must exist, be a regular file, parse, and not be writable by its group
//! or by others (anyone who can write it can make themselves admin).

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;
use std::{fmt, fs, io};

use argon2::password_hash::phc::PasswordHash;
use async_trait::async_trait;
use ganymede_config::AuthenticatorSection;
use ganymede_types::{GroupName, UserName};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::error::AuthError;
use crate::hash;
use crate::names::NameRules;
use crate::{Authenticated, Authenticator};

/// The `users-file` authenticator.
pub struct UsersFile {
    inner: Arc<Inner>,
    /// Bounds concurrent argon2 checks: each takes tens of MiB and a core for tens of ms.
    permits: Arc<Semaphore>,
}

/// What the blocking password check needs.
struct Inner {
    path: PathBuf,
    rules: NameRules,
    state: RwLock<State>,
}

/// The users in use, and the file version last looked at (good or bad).
struct State {
    /// `None` when the file could not be looked at; compared to decide whether to reload.
    seen: Option<Stamp>,
    users: Arc<Users>,
}

/// One parsed version of the file.
struct Users {
    entries: HashMap<String, Entry>,
    /// Checked against for unknown users, with the parameters of a real entry.
    dummy: PasswordHash,
}

/// One `[users.<name>]` table, checked.
struct Entry {
    hash: PasswordHash,
    admin: Option<bool>,
    groups: Option<Vec<String>>,
}

/// What tells one version of the file from the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    dev: u64,
    ino: u64,
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    users: BTreeMap<String, toml::Spanned<EntryDoc>>,
}

/// One user's table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    password_hash: String,
    admin: Option<bool>,
    groups: Option<Vec<String>>,
}

// === impl UsersFile ===

impl UsersFile {
    /// Loads `authenticator.users_file.path`, failing with a message that names the path and
    /// the fix when the file is missing, unsafe or invalid.
    pub fn from_config(section: &AuthenticatorSection) -> Result<Self, AuthError> {
        let path = section.users_file.path.clone().ok_or_else(|| {
            AuthError::config(
                "authenticator.users_file.path",
                "must be set when `authenticator.class = \"users-file\"`",
            )
        })?;
        Self::open(path, NameRules::from_config(section)?)
    }

    /// Loads the file at `path`, whose user names follow `rules`.
    fn open(path: PathBuf, rules: NameRules) -> Result<Self, AuthError> {
        let (stamp, users) = load(&path, &rules)?;
        tracing::info!(path = %path.display(), users = users.entries.len(), "loaded the users file");
        // One check per core, and no more than 8 at once: each holds tens of MiB.
        let permits = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                rules,
                state: RwLock::new(State {
                    seen: Some(stamp),
                    users: Arc::new(users),
                }),
            }),
            permits: Arc::new(Semaphore::new(permits)),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How many users the version in use lists.
    pub fn user_count(&self) -> usize {
        self.inner.users().entries.len()
    }
}

#[async_trait]
impl Authenticator for UsersFile {
    fn class(&self) -> &'static str {
        "users-file"
    }

    /// Reloads the file if it changed, then checks the password on a blocking thread.
    async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Authenticated>, AuthError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|error| AuthError::Task(error.to_string()))?;
        let inner = Arc::clone(&self.inner);
        let (username, password) = (username.to_owned(), password.to_owned());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            inner.check(&username, &password)
        })
        .await
        .map_err(|error| AuthError::Task(error.to_string()))?
    }
}

impl fmt::Debug for UsersFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsersFile")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

// === impl Inner ===

impl Inner {
    /// Blocking: the file may be read and argon2 runs.
    fn check(&self, username: &str, password: &str) -> Result<Option<Authenticated>, AuthError> {
        let users = self.current();
        let name = self.rules.normalize(username);
        let Some(entry) = users.entries.get(&name) else {
            // Spend the time of a real check so timing does not tell who exists.
            let _ = hash::verify(password, &users.dummy);
            return Ok(None);
        };
        let ok = hash::verify(password, &entry.hash)?;
        Ok(ok.then(|| Authenticated {
            name,
            admin: entry.admin,
            auth_state: None,
            groups: entry.groups.clone(),
        }))
    }

    /// The users to check against, after reloading the file if it changed since last looked at.
    fn current(&self) -> Arc<Users> {
        let stamp = fs::metadata(&self.path).ok().map(|meta| Stamp::of(&meta));
        if self.read_state().seen == stamp {
            return self.users();
        }
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if state.seen == stamp {
            return Arc::clone(&state.users);
        }
        // Remember this version even when it is bad, so its error is logged once, not per login.
        state.seen = stamp;
        match load(&self.path, &self.rules) {
            Ok((stamp, users)) => {
                tracing::info!(path = %self.path.display(), users = users.entries.len(), "reloaded the users file");
                state.seen = Some(stamp);
                state.users = Arc::new(users);
            }
            Err(error) => {
                tracing::error!(%error, "keeping the last good version of the users file");
            }
        }
        Arc::clone(&state.users)
    }

    fn users(&self) -> Arc<Users> {
        Arc::clone(&self.read_state().users)
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock leaves `State` whole (it is replaced in one move).
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

// === impl Stamp ===

impl Stamp {
    fn of(meta: &fs::Metadata) -> Self {
        Self {
            modified: meta.modified().ok(),
            len: meta.len(),
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// Checks and parses the file; the stamp is taken before reading, so a write during the read
/// only causes one more reload.
fn load(path: &Path, rules: &NameRules) -> Result<(Stamp, Users), AuthError> {
    let meta = fs::metadata(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => AuthError::UsersFileMissing {
            path: path.to_owned(),
        },
        _ => AuthError::UsersFileRead {
            path: path.to_owned(),
            source,
        },
    })?;
    if !meta.is_file() {
        return Err(AuthError::UsersFileNotFile {
            path: path.to_owned(),
        });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(AuthError::UsersFileWritable {
            path: path.to_owned(),
            mode,
        });
    }
    let text = fs::read_to_string(path).map_err(|source| AuthError::UsersFileRead {
        path: path.to_owned(),
        source,
    })?;
    let users = parse(&text, rules).map_err(|(line, message)| AuthError::UsersFileParse {
        path: path.to_owned(),
        line,
        message,
    })?;
    if users.entries.is_empty() {
        tracing::warn!(path = %path.display(), "the users file lists no users: nobody can log in");
    }
    Ok((Stamp::of(&meta), users))
}

/// Parses the file's text; an error is a 1-based line and a message.
fn parse(text: &str, rules: &NameRules) -> Result<Users, (usize, String)> {
    let doc: FileDoc = toml::from_str(text).map_err(|error| {
        let line = error.span().map_or(1, |span| line_of(text, span.start));
        (line, error.message().to_owned())
    })?;
    let mut entries = HashMap::with_capacity(doc.users.len());
    let mut dummy = None;
    for (name, spanned) in doc.users {
        let line = line_of(text, spanned.span().start);
        let entry = spanned.into_inner();
        let fail = |message: String| (line, format!("user {name:?}: {message}"));
        UserName::new(name.as_str()).map_err(|error| fail(error.to_string()))?;
        let normalized = rules.normalize(&name);
        if normalized != name {
            return Err(fail(format!(
                "write the name as the hub names it, {normalized:?} (lower case, after \
                 `authenticator.username_map`)"
            )));
        }
        let hash = hash::parse(&entry.password_hash)
            .map_err(|error| fail(format!("`password_hash` {error}")))?;
        for group in entry.groups.iter().flatten() {
            GroupName::new(group.as_str()).map_err(|error| fail(error.to_string()))?;
        }
        dummy.get_or_insert_with(|| hash::dummy_like(&hash));
        entries.insert(
            name,
            Entry {
                hash,
                admin: entry.admin,
                groups: entry.groups,
            },
        );
    }
    let dummy = match dummy {
        Some(dummy) => dummy,
        None => hash::default_dummy().map_err(|error| (1, error.to_string()))?,
    };
    Ok(Users { entries, dummy })
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
