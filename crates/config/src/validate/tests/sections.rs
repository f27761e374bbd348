//! Cases of `[authenticator]`, `[spawner]` and `[proxy]`.

use super::{Mutate, profile, url};
use crate::model::{AuthenticatorClass, ProxyMode};
use crate::secret::Secret;

pub(super) const CASES: &[(&str, Mutate, &str)] = &[
    (
        "username_pattern",
        |c| c.authenticator.username_pattern = Some("([a-z".into()),
        "invalid `authenticator.username_pattern`: is not a valid regular expression",
    ),
    (
        "username_map empty",
        |c| {
            c.authenticator
                .username_map
                .insert("a".into(), String::new());
        },
        "invalid `authenticator.username_map`: names must not be empty",
    ),
    (
        "login pause zero",
        |c| c.authenticator.seconds_before_next_try = 0,
        "invalid `authenticator.seconds_before_next_try`: must be at least 1",
    ),
    (
        "user password short",
        |c| c.authenticator.shared_password.user_password = Some(Secret::from("1234567")),
        "invalid `authenticator.shared_password.user_password`: must be at least 8 characters",
    ),
    (
        "admin password short",
        |c| c.authenticator.shared_password.admin_password = Some(Secret::from("x".repeat(31))),
        "invalid `authenticator.shared_password.admin_password`: must be at least 32 characters",
    ),
    (
        "passwords equal",
        |c| {
            let password = Secret::from("p".repeat(40));
            c.authenticator.shared_password.user_password = Some(password.clone());
            c.authenticator.shared_password.admin_password = Some(password);
        },
        "invalid `authenticator.shared_password.admin_password`: must differ from",
    ),
    (
        "users file unset",
        |c| c.authenticator.class = AuthenticatorClass::UsersFile,
        "invalid `authenticator.users_file.path`: must be set when `authenticator.class = \"users-file\"`",
    ),
    (
        "users file missing",
        |c| {
            c.authenticator.class = AuthenticatorClass::UsersFile;
            c.authenticator.users_file.path = Some("/nonexistent/users.toml".into());
        },
        "invalid `authenticator.users_file.path`: file `/nonexistent/users.toml` does not exist",
    ),
    (
        "spawner cmd empty",
        |c| c.spawner.cmd = Vec::new(),
        "invalid `spawner.cmd`: must name the program",
    ),
    (
        "spawner cmd blank",
        |c| c.spawner.cmd = vec![" ".into()],
        "invalid `spawner.cmd`",
    ),
    (
        "start_timeout zero",
        |c| c.spawner.start_timeout = 0,
        "invalid `spawner.start_timeout`: must be at least 1",
    ),
    (
        "http_timeout zero",
        |c| c.spawner.http_timeout = 0,
        "invalid `spawner.http_timeout`: must be at least 1",
    ),
    (
        "environment name",
        |c| {
            c.spawner.environment.insert("A=B".into(), "x".into());
        },
        "invalid `spawner.environment`: variable names must be non-empty, with no `=`",
    ),
    (
        "env_keep name",
        |c| c.spawner.env_keep = vec![String::new()],
        "invalid `spawner.env_keep`",
    ),
    (
        "profile slug",
        |c| c.spawner.profiles = vec![profile("a b", false)],
        "invalid `spawner.profiles[0].slug`: `a b` must be letters, digits, `-` and `_`",
    ),
    (
        "profile twice",
        |c| c.spawner.profiles = vec![profile("a", false), profile("a", false)],
        "invalid `spawner.profiles[1].slug`: profile `a` is defined twice",
    ),
    (
        "two default profiles",
        |c| c.spawner.profiles = vec![profile("a", true), profile("b", true)],
        "invalid `spawner.profiles`: at most one profile may have `default = true`",
    ),
    (
        "profile overrides cmd with nothing",
        |c| {
            let mut p = profile("a", false);
            p.spawner_override.cmd = Some(Vec::new());
            c.spawner.profiles = vec![p];
        },
        "invalid `spawner.profiles[0].spawner_override.cmd`: must name the program",
    ),
    (
        "profile environment name",
        |c| {
            let mut p = profile("a", false);
            p.spawner_override.environment =
                Some([("A=B".to_owned(), "x".to_owned())].into_iter().collect());
            c.spawner.profiles = vec![p];
        },
        "invalid `spawner.profiles[0].spawner_override.environment`: variable names must be non-empty",
    ),
    (
        "proxy api_url scheme",
        |c| c.proxy.api_url = url("unix:/x"),
        "invalid `proxy.api_url`: `unix:/x` must start with http:// or https://",
    ),
    (
        "started proxy with a blank program",
        |c| {
            c.proxy.mode = ProxyMode::External;
            c.proxy.should_start = true;
            c.proxy.command = vec![" ".to_owned(), "--port".to_owned()];
        },
        "invalid `proxy.command`: must start with the proxy's program",
    ),
    (
        "proxy log level",
        |c| c.proxy.log_level = "loud".to_owned(),
        "invalid `proxy.log_level`: must be one of debug, info, warn, error",
    ),
    (
        "proxy check interval",
        |c| c.proxy.check_running_interval = 0,
        "invalid `proxy.check_running_interval`: must be at least 1 second",
    ),
];
