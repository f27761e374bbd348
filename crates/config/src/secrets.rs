//! The hub's secrets, read and checked before any socket is bound: the cookie secret, the proxy's
//! auth token and the auth_state encryption key, from config, JupyterHub's variables or files.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rand::RngCore as _;

use crate::env::Env;
use crate::error::ConfigError;
use crate::model::{Config, ProxyMode};
use crate::secret::Secret;
use crate::validate::{COOKIE_SECRET_MIN_BYTES, cookie_secret_hex};

/// JupyterHub's variable for the cookie secret, in hex.
pub const JPY_COOKIE_SECRET: &str = "JPY_COOKIE_SECRET";
/// configurable-http-proxy's variable for its REST API token.
pub const CONFIGPROXY_AUTH_TOKEN: &str = "CONFIGPROXY_AUTH_TOKEN";
/// JupyterHub's variable for the auth_state encryption keys.
pub const JUPYTERHUB_CRYPT_KEY: &str = "JUPYTERHUB_CRYPT_KEY";

/// Where a secret came from (safe to log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A key of the config (file, `GANYMEDE_*` variable or flag).
    Config,
    /// JupyterHub's or configurable-http-proxy's environment variable.
    Env(&'static str),
    /// An existing file.
    File(PathBuf),
    /// Generated now, and written to this file.
    GeneratedFile(PathBuf),
    /// Generated now, kept in memory only.
    Generated,
}

/// The hub's secrets, ready to use.
#[derive(Debug, Clone)]
pub struct Secrets {
    /// The key that signs cookies (at least 32 bytes).
    pub cookie_secret: Secret<Vec<u8>>,
    /// Where the cookie secret came from.
    pub cookie_secret_source: SecretSource,
    /// The token of the proxy's REST API (32 hex digits when generated, as JupyterHub's).
    pub proxy_auth_token: Secret,
    /// Where the proxy token came from.
    pub proxy_auth_token_source: SecretSource,
    /// The auth_state keys as written (`;`-separated, hex or base64); `ganymede-crypt` parses them.
    pub crypt_key: Option<Secret>,
}

impl Secrets {
    /// Reads every secret, generating the cookie secret file and the proxy token if they are missing.
    pub fn load(config: &Config, env: &dyn Env) -> Result<Self, ConfigError> {
        let (cookie_secret, cookie_secret_source) = cookie_secret(config, env)?;
        let (proxy_auth_token, proxy_auth_token_source) = proxy_auth_token(config, env)?;
        Ok(Self {
            cookie_secret,
            cookie_secret_source,
            proxy_auth_token,
            proxy_auth_token_source,
            crypt_key: crypt_key(config, env)?,
        })
    }
}

/// The cookie secret, as JupyterHub's `init_secrets`: `hub.cookie_secret`, then `JPY_COOKIE_SECRET`
/// (hex), then the file (hex, or JupyterHub's old base64), else a new one written to the file.
///
/// A file that group or others may access is refused, with the `chmod 600` that fixes it.
pub fn cookie_secret(
    config: &Config,
    env: &dyn Env,
) -> Result<(Secret<Vec<u8>>, SecretSource), ConfigError> {
    if let Some(hex) = &config.hub.cookie_secret {
        let bytes = cookie_secret_hex(hex.expose())
            .map_err(|msg| ConfigError::BadSecret(format!("`hub.cookie_secret` {msg}")))?;
        return Ok((Secret::new(bytes), SecretSource::Config));
    }
    if let Some(hex) = env.var(JPY_COOKIE_SECRET).filter(|v| !v.is_empty()) {
        let bytes = cookie_secret_hex(&hex)
            .map_err(|msg| ConfigError::BadSecret(format!("{JPY_COOKIE_SECRET} {msg}")))?;
        return Ok((Secret::new(bytes), SecretSource::Env(JPY_COOKIE_SECRET)));
    }
    let path = config.hub.cookie_secret_path();
    if let Some(bytes) = read_cookie_secret_file(&path)? {
        return Ok((Secret::new(bytes), SecretSource::File(path)));
    }
    let mut bytes = vec![0_u8; COOKIE_SECRET_MIN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    match write_new_secret_file(&path, &hex::encode(&bytes)) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "wrote a new cookie secret");
            Ok((Secret::new(bytes), SecretSource::GeneratedFile(path)))
        }
        // Another process wrote it first: use theirs.
        Err(err) if err.kind() == ErrorKind::AlreadyExists => match read_cookie_secret_file(&path)?
        {
            Some(bytes) => Ok((Secret::new(bytes), SecretSource::File(path))),
            None => Err(ConfigError::SecretFile {
                what: "cannot create cookie secret file",
                path,
                source: err,
            }),
        },
        Err(source) => Err(ConfigError::SecretFile {
            what: "cannot create cookie secret file",
            path,
            source,
        }),
    }
}

/// Reads an existing cookie secret file; `None` if there is none.
fn read_cookie_secret_file(path: &Path) -> Result<Option<Vec<u8>>, ConfigError> {
    let io_error = |source| ConfigError::SecretFile {
        what: "cannot read cookie secret file",
        path: path.to_owned(),
        source,
    };
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(err)),
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::SecretFilePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    let text = fs::read_to_string(path).map_err(io_error)?;
    let text = text.trim();
    let is_hex =
        !text.is_empty() && text.len() % 2 == 0 && text.bytes().all(|b| b.is_ascii_hexdigit());
    let bytes = if is_hex {
        hex::decode(text).unwrap_or_default()
    } else {
        let compact: String = text.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| {
            ConfigError::BadSecret(format!(
                "cookie secret file {} is neither hex nor base64; replace it with `openssl rand -hex 32 > {0}`",
                path.display()
            ))
        })?;
        tracing::warn!(path = %path.display(), "old base64 cookie secret; `openssl rand -hex 32` makes a new one");
        bytes
    };
    if bytes.len() < COOKIE_SECRET_MIN_BYTES {
        return Err(ConfigError::BadSecret(format!(
            "cookie secret file {} holds {} bytes; it needs at least {COOKIE_SECRET_MIN_BYTES}: \
             replace it with `openssl rand -hex 32 > {0}`",
            path.display(),
            bytes.len()
        )));
    }
    Ok(Some(bytes))
}

/// Creates `path` with mode 0600 (failing if it exists), and its directory with mode 0700.
fn write_new_secret_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(format!("{text}\n").as_bytes())?;
    file.sync_all()
}

/// The proxy's token: `proxy.auth_token`, then `CONFIGPROXY_AUTH_TOKEN`, else a new one, as
/// JupyterHub does. An external proxy that the hub does not start must be given its token.
pub fn proxy_auth_token(
    config: &Config,
    env: &dyn Env,
) -> Result<(Secret, SecretSource), ConfigError> {
    if let Some(token) = &config.proxy.auth_token {
        return Ok((token.clone(), SecretSource::Config));
    }
    if let Some(token) = env.var(CONFIGPROXY_AUTH_TOKEN).filter(|v| !v.is_empty()) {
        return Ok((
            Secret::new(token),
            SecretSource::Env(CONFIGPROXY_AUTH_TOKEN),
        ));
    }
    if config.proxy.mode == ProxyMode::External && !config.proxy.should_start {
        return Err(ConfigError::BadSecret(format!(
            "an external proxy that the hub does not start needs its token: \
             set {CONFIGPROXY_AUTH_TOKEN} or `proxy.auth_token`, or let the hub start it \
             with `proxy.should_start = true`"
        )));
    }
    let mut bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    Ok((Secret::new(hex::encode(bytes)), SecretSource::Generated))
}

/// The auth_state keys: `hub.crypt_key`, then `JUPYTERHUB_CRYPT_KEY`; required by `enable_auth_state`.
pub fn crypt_key(config: &Config, env: &dyn Env) -> Result<Option<Secret>, ConfigError> {
    let key = config.hub.crypt_key.clone().or_else(|| {
        env.var(JUPYTERHUB_CRYPT_KEY)
            .filter(|v| !v.trim().is_empty())
            .map(Secret::new)
    });
    if key.is_none() && config.authenticator.enable_auth_state {
        return Err(ConfigError::BadSecret(format!(
            "`authenticator.enable_auth_state` needs an encryption key: \
             set {JUPYTERHUB_CRYPT_KEY} (make one with `openssl rand -hex 32`)"
        )));
    }
    Ok(key)
}

#[cfg(test)]
mod tests;
