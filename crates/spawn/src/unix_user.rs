//! Unix accounts: looked up from the password database, optionally created with `useradd`.

use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::PathBuf;

use nix::unistd::{Gid, Uid, User};

use crate::error::SpawnError;

/// A Unix account, with what a server running as it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixUser {
    /// The login name.
    pub name: String,
    /// Its uid.
    pub uid: u32,
    /// Its primary gid.
    pub gid: u32,
    /// Every group it is in (`initgroups`), the primary one included.
    pub groups: Vec<u32>,
    /// Its home directory.
    pub home: PathBuf,
    /// Its login shell.
    pub shell: PathBuf,
}

impl UnixUser {
    /// The account named `name`, or `None` if there is none.
    pub fn lookup(name: &str) -> Result<Option<Self>, SpawnError> {
        let io = |e: nix::Error| SpawnError::Io {
            what: format!("cannot look up the Unix user {name:?}"),
            source: std::io::Error::from(e),
        };
        let Some(user) = User::from_name(name).map_err(io)? else {
            return Ok(None);
        };
        Ok(Some(Self::from_passwd(&user)?))
    }

    /// The account this process runs as.
    pub fn current() -> Result<Self, SpawnError> {
        let uid = Uid::current();
        let io = |e: nix::Error| SpawnError::Io {
            what: format!("cannot look up uid {uid}"),
            source: std::io::Error::from(e),
        };
        let user = User::from_uid(uid)
            .map_err(io)?
            .ok_or_else(|| SpawnError::NoSuchUser {
                name: format!("uid {uid}"),
            })?;
        Self::from_passwd(&user)
    }

    fn from_passwd(user: &User) -> Result<Self, SpawnError> {
        let groups = CString::new(user.name.as_str())
            .ok()
            .and_then(|cname| nix::unistd::getgrouplist(&cname, user.gid).ok())
            .unwrap_or_else(|| vec![user.gid]);
        Ok(Self {
            name: user.name.clone(),
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
            groups: groups.into_iter().map(Gid::as_raw).collect(),
            home: user.dir.clone(),
            shell: user.shell.clone(),
        })
    }

    /// Creates the account with a home directory (`useradd -m`), as JupyterHub's
    /// `create_system_users` does, and returns it.
    pub async fn create(name: &str) -> Result<Self, SpawnError> {
        if name.starts_with('-') || name.contains(['/', ':', '\n', ' ']) {
            return Err(SpawnError::CreateUser {
                name: name.to_owned(),
                message: "not a valid Unix user name".to_owned(),
            });
        }
        // The hub's PATH may lack /usr/sbin (a service unit, a login shell of a normal user).
        let useradd = ["/usr/sbin/useradd", "/sbin/useradd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("useradd");
        let output = tokio::process::Command::new(useradd)
            .args(["-m", "-s", "/bin/bash", "--", name])
            .output()
            .await
            .map_err(|e| SpawnError::CreateUser {
                name: name.to_owned(),
                message: format!("cannot run useradd: {e}"),
            })?;
        if !output.status.success() {
            return Err(SpawnError::CreateUser {
                name: name.to_owned(),
                message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        tracing::info!(user = name, "created the Unix user");
        Self::lookup(name)?.ok_or_else(|| SpawnError::NoSuchUser {
            name: name.to_owned(),
        })
    }
}

/// A port that is free on `ip` now (bind port 0, read it, close), as JupyterHub's
/// `random_port`; the server binds it a moment later.
pub fn free_port(ip: &str) -> Result<u16, SpawnError> {
    let addr: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let listener = TcpListener::bind((addr, 0)).map_err(|source| SpawnError::Io {
        what: format!("cannot find a free port on {ip}"),
        source,
    })?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| SpawnError::Io {
            what: "cannot read a bound port".to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_current_user_and_root() {
        let me = UnixUser::current().unwrap();
        assert_eq!(me.uid, Uid::current().as_raw());
        assert!(me.groups.contains(&me.gid));
        let root = UnixUser::lookup("root").unwrap().unwrap();
        assert_eq!(root.uid, 0);
        assert_eq!(UnixUser::lookup("no-such-user-ganymede").unwrap(), None);
    }

    #[test]
    fn free_ports_are_nonzero() {
        assert_ne!(free_port("127.0.0.1").unwrap(), 0);
    }
}
