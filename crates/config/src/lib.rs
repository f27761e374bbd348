//! Ganymede's configuration: `ganymede.toml`, then `GANYMEDE_*` environment variables, then
//! command-line overrides, layered over JupyterHub's defaults into typed, validated structs.
//!
//! - [`load`] reads and validates the config; unknown keys are errors naming the nearest valid key.
//! - [`generate_config`] writes a commented `ganymede.toml` with every key, default and doc.
//! - [`Secrets::load`] reads the cookie secret, the proxy token and the crypt key, honouring
//!   JupyterHub's `JPY_COOKIE_SECRET`, `CONFIGPROXY_AUTH_TOKEN` and `JUPYTERHUB_CRYPT_KEY`.
//!
//! The environment is read through [`Env`], so tests pass a map and never touch the process's.

#![forbid(unsafe_code)]

mod env;
mod error;
mod generate;
mod load;
mod model;
mod schema;
mod secret;
mod secrets;
mod spans;
mod suggest;
mod validate;

pub use env::{ENV_PREFIX, Env, ProcessEnv, env_var_name};
pub use error::{ConfigError, Problem, ProblemKind};
pub use generate::generate_config;
pub use load::{ConfigFile, DEFAULT_CONFIG_FILE, load};
pub use model::{
    AuthenticatorClass, AuthenticatorSection, Config, GroupSpec, HubSection, Profile,
    ProfileOverride, ProxyMode, ProxySection, RoleSpec, ServiceSpec, SharedPasswordSection,
    SpawnerSection, TokenMap, UsersFileSection,
};
pub use secret::{REDACTED, Secret};
pub use secrets::{
    CONFIGPROXY_AUTH_TOKEN, JPY_COOKIE_SECRET, JUPYTERHUB_CRYPT_KEY, SecretSource, Secrets,
    cookie_secret, crypt_key, proxy_auth_token,
};

/// The config's JSON schema (with every doc comment), for editors that check TOML against one.
pub fn json_schema() -> serde_json::Value {
    schemars::schema_for!(Config).to_value()
}
