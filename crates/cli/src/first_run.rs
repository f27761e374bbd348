//! A hub started with no login configured at all, on a loopback address: instead of a hub
//! nobody can enter, one person can log in right away. The login name is the account that
//! ran the command (`SUDO_USER`, or the current user), or as root an account `jupyter` that
//! the spawner creates; the password is generated once into `<data_dir>/first-run-password`
//! (mode 0600), whose path, never its content, the log shows.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use anyhow::Context;
use ganymede_config::{AuthenticatorClass, Config, Secret};

const PASSWORD_FILE: &str = "first-run-password";
/// The account servers run as when root starts the hub with no login configured.
const ROOT_FIRST_USER: &str = "jupyter";

fn unconfigured(config: &Config) -> bool {
    let auth = &config.authenticator;
    auth.class == AuthenticatorClass::SharedPassword
        && auth.shared_password.user_password.is_none()
        && auth.shared_password.admin_password.is_none()
        && auth.allowed_users.is_empty()
        && auth.admin_users.is_empty()
        && !auth.allow_all
}

fn loopback(config: &Config) -> bool {
    config.hub.bind_url.host_str().is_some_and(|host| {
        host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// Applies first-run settings when nothing about logins is configured; says what it did.
pub(crate) fn apply(config: &mut Config) -> anyhow::Result<()> {
    if !unconfigured(config) || !loopback(config) {
        return Ok(());
    }
    let root = ganymede_spawn::UnixUser::current().is_ok_and(|me| me.uid == 0);
    let name = match std::env::var("SUDO_USER") {
        Ok(user) if !user.is_empty() && user != "root" => user,
        _ if root => {
            config.spawner.create_system_users = true;
            ROOT_FIRST_USER.to_owned()
        }
        _ => ganymede_spawn::UnixUser::current()
            .map(|me| me.name)
            .unwrap_or_else(|_| ROOT_FIRST_USER.to_owned()),
    };
    let path = config.hub.data_dir.join(PASSWORD_FILE);
    let password = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 16 => text.trim().to_owned(),
        _ => {
            let password = hex_password();
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(file, "{password}")?;
            password
        }
    };
    config.authenticator.allowed_users.insert(name.clone());
    config.authenticator.shared_password.user_password = Some(Secret::from(password));
    tracing::warn!(
        user = %name,
        password_file = %path.display(),
        "first run: no login is configured, so one user may log in: `{name}`, with the password in {} \
         (set authenticator.* in ganymede.toml for real logins)",
        path.display()
    );
    Ok(())
}

fn hex_password() -> String {
    let bytes: [u8; 12] = rand::random();
    hex::encode(bytes)
}
