//! What can go wrong when starting or stopping a server.

use std::path::PathBuf;

/// A spawner failed; the message is shown to the user on the spawn page.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The Unix account does not exist.
    #[error(
        "there is no Unix user named {name:?} on this machine: create it (useradd -m {name}) \
         or set spawner.create_system_users = true"
    )]
    NoSuchUser {
        /// The account name.
        name: String,
    },
    /// The account could not be created (`create_system_users`).
    #[error("cannot create the Unix user {name:?}: {message}")]
    CreateUser {
        /// The account name.
        name: String,
        /// What `useradd` said.
        message: String,
    },
    /// The command could not be run at all.
    #[error("cannot run {program:?} as {user}: {source}")]
    Exec {
        /// `argv[0]`.
        program: String,
        /// The account.
        user: String,
        /// Why.
        source: std::io::Error,
    },
    /// The argv is empty.
    #[error(
        "spawner.cmd is empty: set it to the server's command, such as [\"jupyterhub-singleuser\"]"
    )]
    EmptyCommand,
    /// The log file could not be opened.
    #[error("cannot open the server log {path}: {source}")]
    Log {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The stored state is not one this spawner wrote.
    #[error("the stored spawner state is not understood: {0}")]
    BadState(String),
    /// A signal could not be sent.
    #[error("cannot signal process group {pgid}: {source}")]
    Signal {
        /// The process group.
        pgid: i32,
        /// Why.
        source: nix::Error,
    },
    /// Any other system call failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        source: std::io::Error,
    },
}
