//! One case per validation rule: the key it names and the fix it gives.

use super::*;
use crate::model::{GroupSpec, Profile, ProxyMode, RoleSpec, ServiceSpec};
use crate::secret::Secret;

mod sections;

type Mutate = fn(&mut Config);

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

fn service(name: &str) -> ServiceSpec {
    ServiceSpec {
        name: name.to_owned(),
        ..ServiceSpec::default()
    }
}

fn profile(slug: &str, default: bool) -> Profile {
    Profile {
        slug: slug.to_owned(),
        default,
        ..Profile::default()
    }
}

const CASES: &[(&str, Mutate, &str)] = &[
    (
        "base_url without slashes",
        |c| c.hub.base_url = "jupyter".into(),
        "invalid `hub.base_url`: `jupyter` must start and end with `/`: write `/jupyter/`",
    ),
    (
        "base_url without the last slash",
        |c| c.hub.base_url = "/jupyter".into(),
        "write `/jupyter/`",
    ),
    (
        "base_url empty",
        |c| c.hub.base_url = String::new(),
        "`` must start and end with `/`: write `/`",
    ),
    (
        "base_url with a query",
        |c| c.hub.base_url = "/a?b/".into(),
        "must be a plain path such as `/jupyter/`",
    ),
    (
        "base_url with //",
        |c| c.hub.base_url = "//".into(),
        "must be a plain path",
    ),
    (
        "bind_url scheme",
        |c| c.hub.bind_url = url("ftp://x:2121"),
        "invalid `hub.bind_url`: `ftp://x:2121/` must start with http://, https:// or http+unix://, e.g. `http://127.0.0.1:8000`",
    ),
    (
        "bind_url path",
        |c| c.hub.bind_url = url("http://x:8000/jh/"),
        "has the path `/jh/`: set `hub.base_url = \"/jh/\"`",
    ),
    (
        "bind_url query",
        |c| c.hub.bind_url = url("http://x:8000/?a"),
        "must have no `?query` or `#fragment`",
    ),
    (
        "https without certificates",
        |c| c.hub.bind_url = url("https://x"),
        "is https://: set `hub.ssl_cert` and `hub.ssl_key` too",
    ),
    (
        "key without cert",
        |c| c.hub.ssl_key = Some("/etc/hosts".into()),
        "invalid `hub.ssl_cert`: must be set with `hub.ssl_key`",
    ),
    (
        "cert without key",
        |c| c.hub.ssl_cert = Some("/etc/hosts".into()),
        "invalid `hub.ssl_key`: must be set with `hub.ssl_cert`",
    ),
    (
        "certificates with http",
        |c| {
            c.hub.ssl_key = Some("/etc/hosts".into());
            c.hub.ssl_cert = Some("/etc/hosts".into());
        },
        "invalid `hub.bind_url`: must be https:// when",
    ),
    (
        "missing certificate files",
        |c| {
            c.hub.bind_url = url("https://x");
            c.hub.ssl_key = Some("/nonexistent/key.pem".into());
            c.hub.ssl_cert = Some("/etc/hosts".into());
        },
        "invalid `hub.ssl_key`: file `/nonexistent/key.pem` does not exist",
    ),
    (
        "hub_bind_url scheme",
        |c| c.hub.hub_bind_url = url("https://x:8081"),
        "invalid `hub.hub_bind_url`: `https://x:8081/` must start with http:// or http+unix://",
    ),
    (
        "hub_bind_url path",
        |c| c.hub.hub_bind_url = url("http://x:8081/hub/"),
        "must have no path",
    ),
    (
        "unix hub without a connect URL",
        |c| c.hub.hub_bind_url = url("http+unix://%2Ftmp%2Fhub.sock"),
        "invalid `hub.hub_connect_url`: must be set when `hub.hub_bind_url` is a unix socket",
    ),
    (
        "hub_connect_url scheme",
        |c| c.hub.hub_connect_url = Some(url("ws://x")),
        "invalid `hub.hub_connect_url`: `ws://x/` must start with http:// or https://",
    ),
    (
        "db_url empty",
        |c| c.hub.db_url = Some(" ".into()),
        "invalid `hub.db_url`: is empty",
    ),
    (
        "db_url unknown database",
        |c| c.hub.db_url = Some("oracle://x".into()),
        "database `oracle` is not supported",
    ),
    (
        "cookie_secret not hex",
        |c| c.hub.cookie_secret = Some(Secret::from("zz")),
        "invalid `hub.cookie_secret`: must be hex digits",
    ),
    (
        "cookie_secret short",
        |c| c.hub.cookie_secret = Some(Secret::from("abcd")),
        "invalid `hub.cookie_secret`: is 2 bytes; it must be at least 32",
    ),
    (
        "cookie_max_age_days zero",
        |c| c.hub.cookie_max_age_days = 0.0,
        "invalid `hub.cookie_max_age_days`: must be a number of days above 0",
    ),
    (
        "cookie_max_age_days infinite",
        |c| c.hub.cookie_max_age_days = f64::INFINITY,
        "invalid `hub.cookie_max_age_days`",
    ),
    (
        "page default zero",
        |c| c.hub.api_page_default_limit = 0,
        "invalid `hub.api_page_default_limit`: must be at least 1",
    ),
    (
        "page max zero",
        |c| {
            c.hub.api_page_max_limit = 0;
            c.hub.api_page_default_limit = 0;
        },
        "invalid `hub.api_page_max_limit`: must be at least 1",
    ),
    (
        "page default above max",
        |c| c.hub.api_page_default_limit = 500,
        "invalid `hub.api_page_default_limit`: 500 is above `hub.api_page_max_limit` (200)",
    ),
    (
        "activity interval zero",
        |c| c.hub.last_activity_interval = 0,
        "invalid `hub.last_activity_interval`: must be at least 1",
    ),
    (
        "missing template directory",
        |c| c.hub.template_paths = vec!["/nonexistent/templates".into()],
        "invalid `hub.template_paths[0]`: directory `/nonexistent/templates` does not exist",
    ),
    (
        "group name with slash",
        |c| {
            c.hub.load_groups.insert("a/b".into(), GroupSpec::default());
        },
        "invalid `hub.load_groups.a/b`: group names must be non-empty",
    ),
    (
        "group with an empty user",
        |c| {
            let group = GroupSpec {
                users: [String::new()].into(),
                ..GroupSpec::default()
            };
            c.hub.load_groups.insert("g".into(), group);
        },
        "invalid `hub.load_groups.g.users`: user names must not be empty",
    ),
    (
        "role name",
        |c| {
            c.hub.load_roles = vec![RoleSpec {
                name: "Teacher".into(),
                ..RoleSpec::default()
            }]
        },
        "invalid `hub.load_roles[0].name`: `Teacher`: role names are 3-255",
    ),
    (
        "role twice",
        |c| {
            let role = RoleSpec {
                name: "teacher".into(),
                ..RoleSpec::default()
            };
            c.hub.load_roles = vec![role.clone(), role];
        },
        "invalid `hub.load_roles[1].name`: role `teacher` is defined twice",
    ),
    (
        "role with an empty scope",
        |c| {
            c.hub.load_roles = vec![RoleSpec {
                name: "tea".into(),
                scopes: vec![String::new()],
                ..RoleSpec::default()
            }]
        },
        "invalid `hub.load_roles[0].scopes`: scopes must not be empty",
    ),
    (
        "service without a name",
        |c| c.hub.services = vec![service("")],
        "invalid `hub.services[0].name`: is missing: every service needs a name",
    ),
    (
        "service name with slash",
        |c| c.hub.services = vec![service("a/b")],
        "invalid `hub.services[0].name`: `a/b`: service names must be",
    ),
    (
        "service name of dots",
        |c| c.hub.services = vec![service("..")],
        "invalid `hub.services[0].name`: `..`",
    ),
    (
        "service twice",
        |c| c.hub.services = vec![service("a"), service("a")],
        "invalid `hub.services[1].name`: service `a` is defined twice",
    ),
    (
        "service url scheme",
        |c| {
            c.hub.services = vec![ServiceSpec {
                url: Some(url("ftp://x")),
                ..service("a")
            }]
        },
        "invalid `hub.services[0].url`: `ftp://x/` must start with http:// or https://",
    ),
    (
        "service token short",
        |c| {
            c.hub.services = vec![ServiceSpec {
                api_token: Some(Secret::from("short")),
                ..service("a")
            }]
        },
        "invalid `hub.services[0].api_token`: must be at least 8 characters",
    ),
    (
        "service client id",
        |c| {
            c.hub.services = vec![ServiceSpec {
                oauth_client_id: Some("a".into()),
                ..service("a")
            }]
        },
        "invalid `hub.services[0].oauth_client_id`: `a` must start with `service-`",
    ),
    (
        "api token short",
        |c| {
            c.hub.api_tokens.0.insert("short".into(), "ann".into());
        },
        "invalid `hub.api_tokens`: tokens must be at least 8 characters",
    ),
    (
        "api token without user",
        |c| {
            c.hub.api_tokens.0.insert("abcdefgh12".into(), " ".into());
        },
        "invalid `hub.api_tokens`: every token needs a user name",
    ),
];

#[test]
fn each_rule_names_the_key_and_the_fix() {
    for (name, mutate, want) in CASES.iter().chain(sections::CASES) {
        let mut config = Config::default();
        mutate(&mut config);
        let problems: Vec<String> = validate(&config).iter().map(ToString::to_string).collect();
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{name}:\n got: {problems:?}\nwant: {want}"
        );
    }
}

#[test]
fn valid_settings_pass() {
    let cases: &[(&str, Mutate)] = &[
        ("defaults", |_| {}),
        ("bind_url path equal to base_url", |c| {
            c.hub.bind_url = url("http://x:8000/jh/");
            c.hub.base_url = "/jh/".into();
        }),
        ("unix sockets", |c| {
            c.hub.bind_url = url("http+unix://%2Ftmp%2Fproxy.sock");
            c.hub.hub_bind_url = url("http+unix://%2Ftmp%2Fhub.sock");
            c.hub.hub_connect_url = Some(url("http://127.0.0.1:8081"));
        }),
        ("https with certificates", |c| {
            c.hub.bind_url = url("https://x");
            c.hub.ssl_key = Some("/etc/hosts".into());
            c.hub.ssl_cert = Some("/etc/hosts".into());
        }),
        ("databases", |c| {
            c.hub.db_url = Some("postgresql+psycopg2://u@h/db".into())
        }),
        ("bare sqlite file", |c| {
            c.hub.db_url = Some("jupyterhub.sqlite".into())
        }),
        ("external proxy managed elsewhere", |c| {
            c.proxy.mode = ProxyMode::External;
            c.proxy.should_start = false;
            c.proxy.command = Vec::new();
        }),
        (
            "external proxy started by the hub, ganymede's own or CHP",
            |c| {
                c.proxy.mode = ProxyMode::External;
                c.proxy.should_start = true;
                c.proxy.debug = true;
                c.proxy.log_level = "WARN".to_owned();
            },
        ),
        ("configurable-http-proxy started by the hub", |c| {
            c.proxy.mode = ProxyMode::External;
            c.proxy.should_start = true;
            c.proxy.command = vec!["configurable-http-proxy".to_owned()];
            c.proxy.pid_file = Some("/run/proxy.pid".into());
        }),
        ("no login limit", |c| {
            c.authenticator.allowed_failed_logins = 0;
            c.authenticator.seconds_before_next_try = 0;
        }),
        ("roles", |c| {
            c.hub.load_roles = vec![RoleSpec {
                name: "a.b-c_d~9".into(),
                ..RoleSpec::default()
            }]
        }),
    ];
    for (name, mutate) in cases {
        let mut config = Config::default();
        mutate(&mut config);
        assert_eq!(validate(&config), [], "{name}");
    }
}

#[test]
fn derived_values() {
    let mut config = Config::default();
    assert_eq!(config.hub.database_url(), "sqlite:///./ganymede.sqlite");
    assert_eq!(
        config.hub.cookie_secret_path(),
        std::path::Path::new("./cookie_secret")
    );
    assert_eq!(
        config.hub.hub_connect_url().as_str(),
        "http://127.0.0.1:8081/"
    );
    config.hub.data_dir = "/srv/ganymede".into();
    assert_eq!(
        config.hub.database_url(),
        "sqlite:////srv/ganymede/ganymede.sqlite"
    );
    assert_eq!(
        config.hub.cookie_secret_path(),
        std::path::Path::new("/srv/ganymede/cookie_secret")
    );
    let cases = [
        ("http://0.0.0.0:8081", "http://127.0.0.1:8081/"),
        ("http://[::]:8081", "http://[::1]:8081/"),
        ("http://10.1.2.3:8081", "http://10.1.2.3:8081/"),
    ];
    for (bind, want) in cases {
        config.hub.hub_bind_url = url(bind);
        assert_eq!(config.hub.hub_connect_url().as_str(), want, "{bind}");
    }
    assert!(!config.authenticator.allow_existing_users());
    config.authenticator.allowed_users.insert("ann".into());
    assert!(
        config.authenticator.allow_existing_users(),
        "JupyterHub's default follows allowed_users"
    );
    config.authenticator.allow_existing_users = Some(false);
    assert!(!config.authenticator.allow_existing_users());
}
