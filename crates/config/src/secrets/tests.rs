//! Tests of the secrets, each in its own temporary directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::*;

const HEX_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const HEX_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const HEX_C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

fn env(vars: &[(&str, &str)]) -> BTreeMap<String, String> {
    vars.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn config_in(dir: &Path) -> Config {
    let mut config = Config::default();
    config.hub.data_dir = dir.join("data");
    config
}

fn write_mode(path: &Path, text: &str, mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn cookie_secret_comes_from_config_then_env_then_file() {
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        &'a str,
    );
    let cases: [Case<'_>; 4] = [
        (Some(HEX_A), Some(HEX_B), Some(HEX_C), HEX_A, "config"),
        (None, Some(HEX_B), Some(HEX_C), HEX_B, "env"),
        (None, None, Some(HEX_C), HEX_C, "file"),
        (None, Some(""), Some(HEX_C), HEX_C, "file"),
    ];
    for (from_config, from_env, from_file, want, source) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config_in(dir.path());
        config.hub.cookie_secret = from_config.map(Secret::from);
        if let Some(text) = from_file {
            write_mode(
                &config.hub.cookie_secret_path(),
                &format!("{text}\n"),
                0o600,
            );
        }
        let vars = env(&from_env
            .map(|v| (JPY_COOKIE_SECRET, v))
            .into_iter()
            .collect::<Vec<_>>());
        let (secret, got) = cookie_secret(&config, &vars).unwrap();
        assert_eq!(hex::encode(secret.expose()), want, "{source}");
        let got = match got {
            SecretSource::Config => "config",
            SecretSource::Env(_) => "env",
            SecretSource::File(_) => "file",
            _ => "other",
        };
        assert_eq!(got, source);
    }
}

#[test]
fn a_missing_cookie_secret_file_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let path = config.hub.cookie_secret_path();
    let (first, source) = cookie_secret(&config, &env(&[])).unwrap();
    assert_eq!(source, SecretSource::GeneratedFile(path.clone()));
    assert_eq!(first.expose().len(), 32);
    assert_eq!(mode_of(&path), 0o600);
    assert_eq!(mode_of(path.parent().unwrap()), 0o700);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{}\n", hex::encode(first.expose())));

    let (again, source) = cookie_secret(&config, &env(&[])).unwrap();
    assert_eq!(source, SecretSource::File(path));
    assert_eq!(again, first, "the next start reads the same secret");
}

#[test]
fn a_cookie_secret_file_others_can_read_is_refused() {
    let cases = [
        (0o600, true),
        (0o400, true),
        (0o700, true),
        (0o640, false),
        (0o604, false),
        (0o644, false),
        (0o660, false),
        (0o606, false),
    ];
    for (mode, accepted) in cases {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        let path = config.hub.cookie_secret_path();
        write_mode(&path, HEX_A, mode);
        match cookie_secret(&config, &env(&[])) {
            Ok(_) => assert!(accepted, "mode {mode:o} was accepted"),
            Err(err) => {
                assert!(!accepted, "mode {mode:o}: {err}");
                let want = format!(
                    "cookie secret file {0} is accessible by group or others (mode {mode:o}); run `chmod 600 {0}`",
                    path.display()
                );
                assert_eq!(err.to_string(), want);
            }
        }
    }
}

#[test]
fn cookie_secret_file_contents() {
    let old_base64 = "q".repeat(64) + "\n" + &"q".repeat(64) + "\n";
    let cases: [(&str, Result<usize, &str>); 6] = [
        (HEX_A, Ok(32)),
        (&format!("  {}\n", HEX_A.to_uppercase()), Ok(32)),
        (&old_base64, Ok(96)),
        (
            "not a secret!",
            Err("is neither hex nor base64; replace it with `openssl rand -hex 32 >"),
        ),
        ("abcd", Err("holds 2 bytes; it needs at least 32")),
        ("", Err("holds 0 bytes")),
    ];
    for (text, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        write_mode(&config.hub.cookie_secret_path(), text, 0o600);
        match (cookie_secret(&config, &env(&[])), want) {
            (Ok((secret, _)), Ok(len)) => assert_eq!(secret.expose().len(), len, "{text:?}"),
            (Err(err), Err(message)) => {
                assert!(err.to_string().contains(message), "{text:?}: {err}")
            }
            (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn bad_cookie_secrets_from_config_or_env() {
    let cases = [
        (Some("xyz"), None, "`hub.cookie_secret` must be hex digits"),
        (
            None,
            Some("xyz"),
            "JPY_COOKIE_SECRET must be hex digits; make one with `openssl rand -hex 32`",
        ),
        (
            None,
            Some("abcd"),
            "JPY_COOKIE_SECRET is 2 bytes; it must be at least 32",
        ),
    ];
    for (from_config, from_env, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config_in(dir.path());
        config.hub.cookie_secret = from_config.map(Secret::from);
        let vars = env(&from_env
            .map(|v| (JPY_COOKIE_SECRET, v))
            .into_iter()
            .collect::<Vec<_>>());
        let err = cookie_secret(&config, &vars).unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
        assert!(
            !config.hub.cookie_secret_path().exists(),
            "no file is written on error"
        );
    }
}

#[test]
fn proxy_token_comes_from_config_then_env_or_is_generated() {
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        ProxyMode,
        bool,
        Result<Option<&'a str>, &'a str>,
    );
    let cases: [Case<'_>; 6] = [
        (
            Some("from-config"),
            Some("from-env"),
            ProxyMode::Internal,
            true,
            Ok(Some("from-config")),
        ),
        (
            None,
            Some("from-env"),
            ProxyMode::Internal,
            true,
            Ok(Some("from-env")),
        ),
        (None, Some(""), ProxyMode::Internal, true, Ok(None)),
        (None, None, ProxyMode::External, true, Ok(None)),
        (
            None,
            Some("from-env"),
            ProxyMode::External,
            false,
            Ok(Some("from-env")),
        ),
        (
            None,
            None,
            ProxyMode::External,
            false,
            Err("set CONFIGPROXY_AUTH_TOKEN or `proxy.auth_token`"),
        ),
    ];
    for (from_config, from_env, mode, should_start, want) in cases {
        let mut config = Config::default();
        config.proxy.auth_token = from_config.map(Secret::from);
        config.proxy.mode = mode;
        config.proxy.should_start = should_start;
        let vars = env(&from_env
            .map(|v| (CONFIGPROXY_AUTH_TOKEN, v))
            .into_iter()
            .collect::<Vec<_>>());
        match (proxy_auth_token(&config, &vars), want) {
            (Ok((token, _)), Ok(Some(want))) => assert_eq!(token.expose(), want),
            (Ok((token, source)), Ok(None)) => {
                assert_eq!(source, SecretSource::Generated);
                assert_eq!(token.expose().len(), 32);
                assert!(token.expose().bytes().all(|b| b.is_ascii_hexdigit()));
            }
            (Err(err), Err(message)) => assert!(err.to_string().contains(message), "{err}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
    let a = proxy_auth_token(&Config::default(), &env(&[])).unwrap().0;
    let b = proxy_auth_token(&Config::default(), &env(&[])).unwrap().0;
    assert_ne!(a, b, "each generated token is new");
}

#[test]
fn crypt_key_is_kept_raw_and_required_by_auth_state() {
    let cases = [
        (Some("k1"), Some("k2"), false, Ok(Some("k1"))),
        (None, Some("k2;k3"), false, Ok(Some("k2;k3"))),
        (None, Some(" "), false, Ok(None)),
        (None, None, false, Ok(None)),
        (
            None,
            None,
            true,
            Err(
                "`authenticator.enable_auth_state` needs an encryption key: set JUPYTERHUB_CRYPT_KEY",
            ),
        ),
    ];
    for (from_config, from_env, auth_state, want) in cases {
        let mut config = Config::default();
        config.hub.crypt_key = from_config.map(Secret::from);
        config.authenticator.enable_auth_state = auth_state;
        let vars = env(&from_env
            .map(|v| (JUPYTERHUB_CRYPT_KEY, v))
            .into_iter()
            .collect::<Vec<_>>());
        match (crypt_key(&config, &vars), want) {
            (Ok(key), Ok(want)) => assert_eq!(key.as_ref().map(|k| k.expose().as_str()), want),
            (Err(err), Err(message)) => assert!(err.to_string().contains(message), "{err}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn all_secrets_load_and_never_show() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let vars = env(&[
        (CONFIGPROXY_AUTH_TOKEN, "proxy-token-value"),
        (JUPYTERHUB_CRYPT_KEY, "crypt-key-value"),
    ]);
    let secrets = Secrets::load(&config, &vars).unwrap();
    assert_eq!(
        secrets.proxy_auth_token_source,
        SecretSource::Env(CONFIGPROXY_AUTH_TOKEN)
    );
    let debug = format!("{secrets:?}");
    let cookie = hex::encode(secrets.cookie_secret.expose());
    for value in ["proxy-token-value", "crypt-key-value", cookie.as_str()] {
        assert!(!debug.contains(value), "Debug shows {value}: {debug}");
    }
}
