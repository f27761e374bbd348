//! Tests of layering, unknown keys and value conversion, with a map for the environment.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::model::{AuthenticatorClass, ProxyMode};

/// A config file in a temporary directory, removed with it.
struct TempFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn file(text: &str) -> TempFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ganymede.toml");
    std::fs::write(&path, text).unwrap();
    TempFile { _dir: dir, path }
}

/// A file's text, variables, overrides, and the expected result.
type LayerCase<'a> = (
    Option<&'a str>,
    &'a [(&'a str, &'a str)],
    &'a [(&'a str, &'a str)],
    &'a str,
);

fn env(vars: &[(&str, &str)]) -> BTreeMap<String, String> {
    vars.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn overrides(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Loads from an optional file text, variables and overrides.
fn load_with(
    text: Option<&str>,
    vars: &[(&str, &str)],
    flags: &[(&str, &str)],
) -> Result<Config, String> {
    let temp = text.map(file);
    let source = temp
        .as_ref()
        .map_or(ConfigFile::None, |t| ConfigFile::Path(t.path.clone()));
    load(&source, &env(vars), &overrides(flags)).map_err(|err| match &temp {
        Some(t) => err
            .to_string()
            .replace(&t.path.display().to_string(), "ganymede.toml"),
        None => err.to_string(),
    })
}

#[test]
fn nothing_set_gives_the_defaults() {
    assert_eq!(load_with(None, &[], &[]).unwrap(), Config::default());
    assert_eq!(load_with(Some(""), &[], &[]).unwrap(), Config::default());
    let unrelated = [
        ("GANYMEDE_CONFIG", "/x.toml"),
        ("GANYMEDE_LOG", "debug"),
        ("PATH", "/bin"),
    ];
    assert_eq!(load_with(None, &unrelated, &[]).unwrap(), Config::default());
}

#[test]
fn later_layers_win() {
    let file = "[hub]\nbind_url = \"http://10.0.0.1:8000\"\n";
    let env = ("GANYMEDE_HUB__BIND_URL", "http://10.0.0.2:8000");
    let flag = ("hub.bind_url", "http://10.0.0.3:8000");
    let cases: [LayerCase<'_>; 6] = [
        (None, &[], &[], "http://127.0.0.1:8000/"),
        (Some(file), &[], &[], "http://10.0.0.1:8000/"),
        (Some(file), &[env], &[], "http://10.0.0.2:8000/"),
        (Some(file), &[env], &[flag], "http://10.0.0.3:8000/"),
        (None, &[env], &[flag], "http://10.0.0.3:8000/"),
        (Some(file), &[], &[flag], "http://10.0.0.3:8000/"),
    ];
    for (i, (text, vars, flags, want)) in cases.into_iter().enumerate() {
        let config = load_with(text, vars, flags).unwrap();
        assert_eq!(config.hub.bind_url.as_str(), want, "case {i}");
    }
}

#[test]
fn layers_merge_key_by_key() {
    let text = "[hub]\nbase_url = \"/jupyter/\"\nconcurrent_spawn_limit = 5\n[spawner]\nargs = [\"--a\"]\n";
    let vars = [
        ("GANYMEDE_HUB__CONCURRENT_SPAWN_LIMIT", "7"),
        ("GANYMEDE_PROXY__MODE", "external"),
    ];
    let flags = [
        ("spawner.args", "[\"--b\", \"--c\"]"),
        ("authenticator.allow_all", "true"),
    ];
    let config = load_with(Some(text), &vars, &flags).unwrap();
    assert_eq!(config.hub.base_url, "/jupyter/");
    assert_eq!(config.hub.concurrent_spawn_limit, 7);
    assert_eq!(config.proxy.mode, ProxyMode::External);
    assert_eq!(config.spawner.args, ["--b", "--c"]);
    assert!(config.authenticator.allow_all);
    assert_eq!(
        config.spawner.cmd,
        crate::SpawnerSection::default().cmd,
        "untouched keys keep defaults"
    );
}

#[test]
fn values_from_the_environment_take_each_key_type() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let token = token.display().to_string();
    let vars = [
        ("GANYMEDE_HUB__ALLOW_NAMED_SERVERS", "true"),
        ("GANYMEDE_HUB__COOKIE_MAX_AGE_DAYS", "0.5"),
        ("GANYMEDE_HUB__DB_URL", "postgresql://h/db"),
        (
            "GANYMEDE_HUB__TEMPLATE_VARS",
            "{ org = \"ACME\", year = 2026 }",
        ),
        ("GANYMEDE_AUTHENTICATOR__CLASS", "users-file"),
        ("GANYMEDE_AUTHENTICATOR__USERS_FILE__PATH", "/etc/hosts"),
        ("GANYMEDE_AUTHENTICATOR__ADMIN_USERS", "[\"ann\", \"bob\"]"),
        (
            "GANYMEDE_AUTHENTICATOR__SHARED_PASSWORD__USER_PASSWORD",
            "12345678",
        ),
        ("GANYMEDE_PROXY__AUTH_TOKEN_FILE", &token),
        ("GANYMEDE_SPAWNER__ENVIRONMENT", "{ A = \"1\" }"),
    ];
    let config = load_with(None, &vars, &[]).unwrap();
    assert!(config.hub.allow_named_servers);
    assert!((config.hub.cookie_max_age_days - 0.5).abs() < f64::EPSILON);
    assert_eq!(config.hub.database_url(), "postgresql://h/db");
    assert_eq!(config.hub.template_vars["year"], 2026);
    assert_eq!(config.authenticator.class, AuthenticatorClass::UsersFile);
    assert_eq!(config.authenticator.admin_users.len(), 2);
    let password = config.authenticator.shared_password.user_password.unwrap();
    assert_eq!(
        password.expose(),
        "12345678",
        "a number-like string stays a string"
    );
    assert_eq!(
        config.proxy.auth_token.unwrap().expose(),
        "s3cret-token",
        "_FILE, newline trimmed"
    );
    assert_eq!(config.spawner.environment["A"], "1");
}

#[test]
fn unknown_keys_in_the_file_name_the_line_and_the_nearest_key() {
    let cases = [
        (
            "[hub]\n\nbind_ulr = \"x\"\n",
            "unknown key `hub.bind_ulr` in ganymede.toml line 3; did you mean `hub.bind_url`?",
        ),
        (
            "bind_url = \"http://x\"\n",
            "unknown key `bind_url` in ganymede.toml line 1; did you mean `hub.bind_url`?",
        ),
        (
            "[hbu]\nbind_url = \"http://x\"\n",
            "unknown key `hbu` in ganymede.toml line 1; did you mean `hub`?",
        ),
        (
            "[hub]\nadmin_users = [\"a\"]\n",
            "unknown key `hub.admin_users` in ganymede.toml line 2; did you mean `authenticator.admin_users`?",
        ),
        (
            "[authenticator.shared_password]\npassword = \"x\"\n",
            "did you mean `authenticator.shared_password.user_password`?",
        ),
        (
            "[[hub.services]]\nname = \"a\"\n[[hub.services]]\nname = \"b\"\nnmae = \"c\"\n",
            "unknown key `hub.services[1].nmae` in ganymede.toml line 5; did you mean `hub.services[1].name`?",
        ),
        (
            "[hub.load_groups.staff]\nuser = [\"a\"]\n",
            "unknown key `hub.load_groups.staff.user` in ganymede.toml line 2; did you mean `hub.load_groups.staff.users`?",
        ),
        (
            "[[spawner.profiles]]\nslug = \"a\"\nspawner_override = { arg = [\"x\"] }\n",
            "unknown key `spawner.profiles[0].spawner_override.arg` in ganymede.toml line 3; did you mean `spawner.profiles[0].spawner_override.args`?",
        ),
        (
            "[spawner]\nzzz_qqq = 1\n",
            "unknown key `spawner.zzz_qqq` in ganymede.toml line 2; `ganymede generate-config` lists every key",
        ),
        (
            "[hub]\nbind_ulr = 1\nbase_ulr = 2\n",
            "`hub.bind_ulr` in ganymede.toml line 2; did you mean `hub.bind_url`?; unknown key `hub.base_ulr`",
        ),
    ];
    for (text, want) in cases {
        let err = load_with(Some(text), &[], &[]).unwrap_err();
        assert!(err.contains(want), "{text:?}:\n got: {err}\nwant: {want}");
    }
}

#[test]
fn syntax_and_type_errors_keep_the_position() {
    let cases = [
        ("[hub\n", "ganymede.toml line 1, column 5: "),
        (
            "[hub]\nconcurrent_spawn_limit = \"ten\"\n",
            "ganymede.toml line 2, column 26: invalid type: string \"ten\", expected u32",
        ),
        (
            "[hub]\nbind_url = \"http://:8000\"\n",
            "line 2, column 12: invalid URL `http://:8000`: empty host: write `http://0.0.0.0:PORT`",
        ),
        (
            "[proxy]\nmode = \"sidecar\"\n",
            "line 2, column 8: unknown variant `sidecar`, expected `internal` or `external`",
        ),
        ("[hub]\nbase_url = \"/\"\nbase_url = \"/\"\n", "line 3"),
    ];
    for (text, want) in cases {
        let err = load_with(Some(text), &[], &[]).unwrap_err();
        assert!(err.contains(want), "{text:?}:\n got: {err}\nwant: {want}");
    }
}

#[test]
fn bad_environment_variables_and_flags_name_the_fix() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case<'_>; 12] = [
        (
            &[("GANYMEDE_HUB__LOAD_GROUPS", "{ g = { usrs = [] } }")],
            &[],
            "unknown key `hub.load_groups.g.usrs` in environment variable GANYMEDE_HUB__LOAD_GROUPS; did you mean `hub.load_groups.g.users`?",
        ),
        (
            &[("GANYMEDE_HUB__BIND_ULR", "x")],
            &[],
            "unknown key `hub.bind_ulr` in environment variable GANYMEDE_HUB__BIND_ULR; did you mean `GANYMEDE_HUB__BIND_URL`?",
        ),
        (
            &[("GANYMEDE_HUB_BIND_URL", "x")],
            &[],
            "unknown key `hub_bind_url` in environment variable GANYMEDE_HUB_BIND_URL; did you mean `GANYMEDE_HUB__BIND_URL`?",
        ),
        (
            &[("GANYMEDE_HUB__BIND_URL_FILE", "/x")],
            &[],
            "unknown key `hub.bind_url_file` in environment variable GANYMEDE_HUB__BIND_URL_FILE; did you mean `GANYMEDE_HUB__BIND_URL`?",
        ),
        (
            &[("GANYMEDE_PROXY__AUTH_TOKEN_FILE", "/nonexistent/token")],
            &[],
            "invalid `proxy.auth_token_file` in environment variable GANYMEDE_PROXY__AUTH_TOKEN_FILE: cannot read `/nonexistent/token`",
        ),
        (
            &[("GANYMEDE_HUB", "x")],
            &[],
            "unknown key `hub` in environment variable GANYMEDE_HUB",
        ),
        (
            &[("GANYMEDE_HUB__CONCURRENT_SPAWN_LIMIT", "ten")],
            &[],
            "invalid `hub.concurrent_spawn_limit` in environment variable GANYMEDE_HUB__CONCURRENT_SPAWN_LIMIT: `ten` is not a TOML value",
        ),
        (
            &[("GANYMEDE_HUB__CONCURRENT_SPAWN_LIMIT", "-1")],
            &[],
            "invalid `hub.concurrent_spawn_limit` in environment variable GANYMEDE_HUB__CONCURRENT_SPAWN_LIMIT: invalid value: integer `-1`, expected u32",
        ),
        (
            &[("GANYMEDE_PROXY__MODE", "sidecar")],
            &[],
            "invalid `proxy.mode` in environment variable GANYMEDE_PROXY__MODE: unknown variant `sidecar`",
        ),
        (
            &[],
            &[("hub.bind_ulr", "http://x")],
            "unknown key `hub.bind_ulr` in command line; did you mean `hub.bind_url`?",
        ),
        (
            &[],
            &[("hub.services", "[{ nmae = \"x\" }]")],
            "unknown key `hub.services[0].nmae` in command line; did you mean `hub.services[0].name`?",
        ),
        (
            &[],
            &[("hub.bind_url", "not a url")],
            "invalid `hub.bind_url` in command line: invalid URL `not a url`",
        ),
    ];
    for (vars, flags, want) in cases {
        let err = load_with(None, vars, flags).unwrap_err();
        assert!(
            err.contains(want),
            "{vars:?} {flags:?}:\n got: {err}\nwant: {want}"
        );
    }
}

#[test]
fn validation_errors_name_where_the_value_came_from() {
    let cases: [LayerCase<'_>; 4] = [
        (
            Some("[hub]\n\nbase_url = \"jupyter\"\n"),
            &[],
            &[],
            "invalid `hub.base_url` in ganymede.toml line 3: `jupyter` must start and end with `/`: write `/jupyter/`",
        ),
        (
            None,
            &[("GANYMEDE_HUB__BASE_URL", "/x")],
            &[],
            "invalid `hub.base_url` in environment variable GANYMEDE_HUB__BASE_URL: `/x` must start and end with `/`: write `/x/`",
        ),
        (
            Some("[hub]\nbase_url = \"/a/\"\n"),
            &[],
            &[("hub.base_url", "a")],
            "invalid `hub.base_url` in command line:",
        ),
        (None, &[], &[], ""),
    ];
    for (text, vars, flags, want) in cases {
        match load_with(text, vars, flags) {
            Ok(_) => assert!(want.is_empty(), "expected an error: {want}"),
            Err(err) => assert!(
                !want.is_empty() && err.contains(want),
                "got: {err}\nwant: {want}"
            ),
        }
    }
}

#[test]
fn a_named_file_must_exist() {
    let err = load(
        &ConfigFile::Path("/nonexistent/ganymede.toml".into()),
        &env(&[]),
        &[],
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::ReadFile { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("cannot read config file /nonexistent/ganymede.toml: "),
        "{err}"
    );
}

mod full;
