//! The local-process spawner: the server runs on this machine as the user's Unix account.
//!
//! As root the child drops to the account (supplementary groups, gid, uid), starts in its
//! home directory with a fresh environment, and leads its own session, so neither a signal
//! to the hub's terminal nor the hub's death reaches it: a restarted hub finds it again by
//! pid and start time. Not as root, every server runs as the hub's own account.

use std::collections::{BTreeMap, HashMap};
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Gid, Pid, Uid};
use serde_json::{Value, json};

use crate::error::SpawnError;
use crate::unix_user::UnixUser;
use crate::{PollStatus, SpawnRequest, Spawner, SpawnerState, Started, proc_stat};

/// The state version this spawner writes and understands.
const STATE_VERSION: u64 = 1;

/// How the local-process spawner behaves.
#[derive(Debug, Clone)]
pub struct LocalProcessOptions {
    /// Variables of the hub's environment that servers inherit (`env_keep`).
    pub env_keep: Vec<String>,
    /// Create a missing Unix account with `useradd -m` instead of failing.
    pub create_system_users: bool,
    /// How long a server has to exit after SIGTERM before it gets SIGKILL.
    pub term_timeout: Duration,
}

impl Default for LocalProcessOptions {
    fn default() -> Self {
        Self {
            env_keep: Vec::new(),
            create_system_users: false,
            term_timeout: Duration::from_secs(5),
        }
    }
}

/// Exit codes of the servers this process started, by pid, recorded when they are reaped.
type Exits = Arc<Mutex<HashMap<i32, Option<i32>>>>;

/// The local-process spawner.
#[derive(Debug)]
pub struct LocalProcess {
    options: LocalProcessOptions,
    /// The `env_keep` variables, read once from the hub's environment.
    kept_env: BTreeMap<String, String>,
    is_root: bool,
    exits: Exits,
}

/// The fields of [`SpawnerState`] this spawner writes; `pid` is also what JupyterHub's
/// `LocalProcessSpawner` stores, so admins see the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcessState {
    pid: i32,
    start_time: u64,
}

impl ProcessState {
    fn to_json(self) -> SpawnerState {
        json!({"version": STATE_VERSION, "pid": self.pid, "start_time": self.start_time})
    }

    fn from_json(state: &SpawnerState) -> Result<Self, SpawnError> {
        let version = state.get("version").and_then(Value::as_u64).unwrap_or(0);
        if version > STATE_VERSION {
            return Err(SpawnError::BadState(format!(
                "version {version} was written by a newer Ganymede"
            )));
        }
        let field = |key: &str| {
            state
                .get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| SpawnError::BadState(format!("no {key} in {state}")))
        };
        let pid = i32::try_from(field("pid")?)
            .map_err(|_| SpawnError::BadState(format!("bad pid in {state}")))?;
        Ok(Self {
            pid,
            start_time: field("start_time")?,
        })
    }
}

impl LocalProcess {
    /// A spawner reading `env_keep` from this process's environment now.
    pub fn new(options: LocalProcessOptions) -> Self {
        let kept_env = options
            .env_keep
            .iter()
            .filter_map(|key| std::env::var(key).ok().map(|value| (key.clone(), value)))
            .collect();
        Self {
            options,
            kept_env,
            is_root: Uid::effective().is_root(),
            exits: Arc::default(),
        }
    }

    async fn account(&self, name: &str) -> Result<UnixUser, SpawnError> {
        if !self.is_root {
            return UnixUser::current();
        }
        match UnixUser::lookup(name)? {
            Some(user) => Ok(user),
            // Two starts may race to create the account: the loser finds it made.
            None if self.options.create_system_users => match UnixUser::create(name).await {
                Ok(user) => Ok(user),
                Err(error) => UnixUser::lookup(name)?.ok_or(error),
            },
            None => Err(SpawnError::NoSuchUser {
                name: name.to_owned(),
            }),
        }
    }

    fn exit_code(&self, pid: i32) -> Option<Option<i32>> {
        self.exits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&pid)
            .copied()
    }

    fn is_running(&self, process: ProcessState) -> bool {
        self.exit_code(process.pid).is_none()
            && proc_stat::is_same_live_process(process.pid, process.start_time)
    }

    async fn wait_gone(&self, process: ProcessState, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while self.is_running(process) {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    fn signal(process: ProcessState, signal: Signal) -> Result<(), SpawnError> {
        match killpg(Pid::from_raw(process.pid), signal) {
            Ok(()) | Err(nix::Error::ESRCH) => Ok(()),
            Err(source) => Err(SpawnError::Signal {
                pgid: process.pid,
                source,
            }),
        }
    }
}

/// The environment of the child: `env_keep`, then the account's, then the hub's computed one.
fn child_env(
    kept: &BTreeMap<String, String>,
    user: &UnixUser,
    computed: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env = kept.clone();
    env.insert("USER".to_owned(), user.name.clone());
    env.insert("LOGNAME".to_owned(), user.name.clone());
    env.insert("HOME".to_owned(), user.home.display().to_string());
    env.insert("SHELL".to_owned(), user.shell.display().to_string());
    env.extend(computed.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}

#[async_trait::async_trait]
impl Spawner for LocalProcess {
    fn kind(&self) -> &'static str {
        "local-process"
    }

    async fn start(&self, request: &SpawnRequest) -> Result<Started, SpawnError> {
        let (program, args) = request.argv.split_first().ok_or(SpawnError::EmptyCommand)?;
        let user = self.account(&request.unix_user).await?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&request.log_path)
            .map_err(|source| SpawnError::Log {
                path: request.log_path.clone(),
                source,
            })?;
        let log_err = log.try_clone().map_err(|source| SpawnError::Log {
            path: request.log_path.clone(),
            source,
        })?;
        let cwd = if user.home.is_dir() {
            user.home.clone()
        } else {
            std::path::PathBuf::from("/")
        };
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .env_clear()
            .envs(child_env(&self.kept_env, &user, &request.env))
            .current_dir(&cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(false);
        let drop_to = self.is_root.then(|| {
            let groups: Vec<Gid> = user.groups.iter().map(|g| Gid::from_raw(*g)).collect();
            (groups, Gid::from_raw(user.gid), Uid::from_raw(user.uid))
        });
        pre_exec::become_user(&mut command, drop_to);
        let mut child = command.spawn().map_err(|source| SpawnError::Exec {
            program: program.clone(),
            user: user.name.clone(),
            source,
        })?;
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .ok_or_else(|| SpawnError::Io {
                what: "the server exited before its pid was read".to_owned(),
                source: std::io::Error::other("no pid"),
            })?;
        let start_time = proc_stat::read(pid).map_or(0, |stat| stat.start_time);
        let exits = Arc::clone(&self.exits);
        tokio::spawn(async move {
            let code = child.wait().await.ok().and_then(|status| status.code());
            tracing::debug!(pid, ?code, "a server process exited");
            exits
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(pid, code);
        });
        tracing::info!(pid, user = %user.name, cwd = %cwd.display(), port = request.port, "started a server process");
        Ok(Started {
            target: format!("http://{}:{}", request.ip, request.port),
            state: ProcessState { pid, start_time }.to_json(),
        })
    }

    async fn poll(&self, state: &SpawnerState) -> Result<PollStatus, SpawnError> {
        let process = ProcessState::from_json(state)?;
        if let Some(code) = self.exit_code(process.pid) {
            return Ok(PollStatus::Exited(code));
        }
        Ok(
            if proc_stat::is_same_live_process(process.pid, process.start_time) {
                PollStatus::Running
            } else {
                PollStatus::Exited(None)
            },
        )
    }

    async fn stop(&self, state: &SpawnerState) -> Result<(), SpawnError> {
        let process = ProcessState::from_json(state)?;
        if !self.is_running(process) {
            return Ok(());
        }
        Self::signal(process, Signal::SIGTERM)?;
        if self.wait_gone(process, self.options.term_timeout).await {
            return Ok(());
        }
        tracing::warn!(
            pid = process.pid,
            "the server ignored SIGTERM; sending SIGKILL"
        );
        Self::signal(process, Signal::SIGKILL)?;
        if !self.wait_gone(process, Duration::from_secs(5)).await {
            tracing::error!(pid = process.pid, "the server survived SIGKILL");
        }
        Ok(())
    }
}

#[allow(unsafe_code)]
mod pre_exec {
    //! The only unsafe code of the spawner: what the child does between fork and exec.

    use nix::unistd::{Gid, Uid, setgid, setgroups, setsid, setuid};

    /// Makes the child lead a new session and, when `drop_to` is given, take the account's
    /// groups, gid and uid, in that order (after `setuid` it could no longer change groups).
    pub(super) fn become_user(
        command: &mut tokio::process::Command,
        drop_to: Option<(Vec<Gid>, Gid, Uid)>,
    ) {
        // SAFETY: the closure runs in the forked child before exec, where only
        // async-signal-safe functions may be called. It calls setsid, setgroups, setgid and
        // setuid, which are plain system calls; the group list was built before the fork,
        // so nothing allocates or takes a lock.
        unsafe {
            command.pre_exec(move || {
                setsid()?;
                if let Some((groups, gid, uid)) = &drop_to {
                    setgroups(groups)?;
                    setgid(*gid)?;
                    setuid(*uid)?;
                }
                Ok(())
            });
        }
    }
}

#[cfg(test)]
mod tests;
