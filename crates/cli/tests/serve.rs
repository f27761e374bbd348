//! `ganymede serve` as a person runs it: the hub behind its in-process proxy, from a config.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ganymede_testkit::TempDir;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

struct Hub(std::process::Child);

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_answers_the_rest_api_through_the_proxy() {
    let echo = ganymede_testkit::EchoBackend::start().await.unwrap();
    let dir = TempDir::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ganymede"))
        .current_dir(dir.path())
        .args([
            "serve",
            // No test here starts a server: never prepare a jupyterhub-singleuser venv.
            "--set",
            "spawner.cmd=[\"/bin/false\"]",
            "--set",
            "hub.bind_url=http://127.0.0.1:0/",
            "--set",
            "hub.hub_bind_url=http://127.0.0.1:0/",
            "--set",
            "proxy.api_url=http://127.0.0.1:0/",
            "--set",
        ])
        .arg(format!("hub.api_tokens={{ \"{TOKEN}\" = \"alice\" }}"))
        .args(["--set", "authenticator.admin_users=[\"alice\"]", "--set"])
        .arg(format!(
            "hub.services=[{{ name = \"svc\", url = \"{}\" }}]",
            echo.url().trim_end_matches('/')
        ))
        .env_remove("RUST_LOG")
        .env_remove("JPY_COOKIE_SECRET")
        .env_remove("CONFIGPROXY_AUTH_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _hub = Hub(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("Proxying http://").nth(1) {
                let _ = tx.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .expect("ganymede serve logged where it listens");
    let client = reqwest::Client::new();
    let version = client
        .get(format!("http://{addr}/hub/api/"))
        .send()
        .await
        .unwrap();
    assert_eq!(version.status(), 200);
    assert_eq!(version.headers()["x-jupyterhub-version"], "6.1.1");
    let me: serde_json::Value = client
        .get(format!("http://{addr}/hub/api/user"))
        .header("authorization", format!("token {TOKEN}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "alice");
    assert_eq!(me["kind"], "user");
    assert_eq!(me["admin"], true, "admin_users were loaded");
    // Services from the config are in the API and routed by the in-process proxy.
    let get = |path: &'static str| {
        client
            .get(format!("http://{addr}/hub/api/{path}"))
            .header("authorization", format!("token {TOKEN}"))
            .send()
    };
    let services: serde_json::Value = get("services").await.unwrap().json().await.unwrap();
    let echo_url = echo.url().trim_end_matches('/').to_owned();
    assert_eq!(services["svc"]["url"], echo_url.as_str());
    assert_eq!(services["svc"]["prefix"], "/services/svc/");
    let routes: serde_json::Value = get("proxy").await.unwrap().json().await.unwrap();
    assert_eq!(routes["/services/svc/"]["target"], echo_url.as_str());
    // The hub's `__Host-` cookies (path `/` over HTTPS) never reach another route's target.
    let seen = ganymede_testkit::Echoed::from_response(
        client
            .get(format!("http://{addr}/services/svc/x"))
            .header(
                "cookie",
                "__Host-jupyterhub-hub-login=secret; theme=dark; __Host-_xsrf=token",
            )
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(seen.header("cookie"), Some("theme=dark"));
    assert_eq!(routes["/"]["data"]["hub"], true);
    // The secret and database were created with safe modes in the data directory.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("cookie_secret"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(dir.path().join("ganymede.sqlite").exists());
}

#[test]
fn a_bad_startup_setting_is_one_line_naming_its_key() {
    let dir = TempDir::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ganymede"))
        .current_dir(dir.path())
        .args([
            "serve",
            // No test here starts a server: never prepare a jupyterhub-singleuser venv.
            "--set",
            "spawner.cmd=[\"/bin/false\"]",
            "--set",
            "hub.bind_url=http://127.0.0.1:0/",
            "--set",
            "hub.hub_bind_url=http://127.0.0.1:0/",
            "--set",
            "proxy.api_url=http://127.0.0.1:0/",
            "--set",
            "hub.load_roles=[{ name = \"ops\", scopes = [\"read:nothing\"] }]",
        ])
        .env_remove("RUST_LOG")
        .env_remove("JPY_COOKIE_SECRET")
        .env_remove("CONFIGPROXY_AUTH_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("hub.load_roles[0].scopes"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("read:nothing"), "{stderr}");
}

/// `proxy.mode = "external"`: the hub adds its route to a running CHP-compatible proxy (here
/// `ganymede proxy`), answers through it, and puts the route back when the proxy loses it.
#[tokio::test]
async fn serve_drives_an_external_proxy_and_restores_its_route() {
    let proxy_token = "external-proxy-token-0123456789";
    let proxy = ganymede_testkit::ProxyBuilder::new(env!("CARGO_BIN_EXE_ganymede"))
        .token(Some(proxy_token))
        .start()
        .await
        .unwrap();
    let dir = TempDir::new().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ganymede"))
        .current_dir(dir.path())
        .args([
            "serve",
            // No test here starts a server: never prepare a jupyterhub-singleuser venv.
            "--set",
            "spawner.cmd=[\"/bin/false\"]",
            "--set",
            "hub.hub_bind_url=http://127.0.0.1:0/",
            "--set",
            "proxy.mode=external",
            "--set",
            "proxy.should_start=false",
            "--set",
            "hub.last_activity_interval=1",
            "--set",
        ])
        .arg(format!("proxy.api_url=http://{}/", proxy.addrs().api))
        .env("CONFIGPROXY_AUTH_TOKEN", proxy_token)
        .env_remove("RUST_LOG")
        .env_remove("JPY_COOKIE_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _hub = Hub(child);
    let client = reqwest::Client::new();
    let version_url = proxy.url("/hub/api/");
    let answers = || async {
        client
            .get(&version_url)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    };
    assert!(
        ganymede_testkit::wait_until_async(Duration::from_secs(30), answers).await,
        "the hub answers through the external proxy"
    );
    let route = proxy.route("/").await.unwrap().expect("the hub's route");
    assert_eq!(route["hub"], true);
    assert_eq!(route["jupyterhub"], true);

    // The proxy forgets the route (as a restarted CHP does); the hub puts it back.
    let deleted = proxy
        .api_request(reqwest::Method::DELETE, "/api/routes/")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(
        ganymede_testkit::wait_until_async(Duration::from_secs(30), answers).await,
        "the hub's route is restored"
    );
}

/// An external proxy the hub does not start (the default) must be given its token.
#[test]
fn external_proxy_without_a_token_is_refused_in_one_line() {
    let dir = TempDir::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ganymede"))
        .current_dir(dir.path())
        .args([
            "serve",
            "--set",
            "spawner.cmd=[\"/bin/false\"]",
            "--set",
            "proxy.mode=external",
        ])
        .env_remove("RUST_LOG")
        .env_remove("CONFIGPROXY_AUTH_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("proxy.should_start = true"), "{stderr}");
    assert!(stderr.contains("CONFIGPROXY_AUTH_TOKEN"), "{stderr}");
}
