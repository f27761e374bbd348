//! `proxy.should_start = true`: `ganymede serve` starts the external proxy (its own `ganymede
//! proxy`, or configurable-http-proxy 5.3.0), restarts it with its routes when it
//! dies, stops a proxy a previous hub left behind, and stops its own at shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ganymede_testkit::{EchoBackend, Echoed, Log, TempDir, wait_until, wait_until_async};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const PROXY_TOKEN: &str = "started-proxy-token-0123456789ab";
const DEFAULT_CHP: &str =
    "/var/cache/ganymede-peers/node/node_modules/.bin/configurable-http-proxy";

/// `ganymede serve` with its stderr collected; killed on drop if it still runs, together with
/// the proxy it started (a killed hub cannot stop it, and the proxy runs in its own group).
struct Hub {
    child: Child,
    log: Log,
    pid_file: PathBuf,
}

impl Drop for Hub {
    fn drop(&mut self) {
        #[allow(clippy::print_stderr, reason = "captured by the test harness")]
        {
            eprintln!("--- ganymede serve stderr ---\n{}", self.log.text());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(proxy) = read_pid(&self.pid_file)
            && alive(proxy)
        {
            let _ = kill(pid(proxy), Signal::SIGKILL);
        }
    }
}

impl Hub {
    /// Starts the hub in `dir` with a started external proxy (`command` empty means
    /// `ganymede proxy`), a service routed to `echo`, and `extra` settings.
    fn start(dir: &Path, command: &[&str], echo: &EchoBackend, extra: &[&str]) -> Self {
        let command = serde_json::to_string(command).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ganymede"))
            .current_dir(dir)
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
                "proxy.mode=external",
                "--set",
                "proxy.should_start=true",
                "--set",
                "proxy.check_running_interval=1",
                "--set",
            ])
            .arg(format!("proxy.command={command}"))
            .arg("--set")
            .arg(format!("hub.api_tokens={{ \"{TOKEN}\" = \"alice\" }}"))
            .args(["--set", "authenticator.admin_users=[\"alice\"]", "--set"])
            .arg(format!(
                "hub.services=[{{ name = \"svc\", url = \"{}\" }}]",
                echo.url().trim_end_matches('/')
            ))
            .args(extra.iter().flat_map(|setting| ["--set", setting]))
            .env("CONFIGPROXY_AUTH_TOKEN", PROXY_TOKEN)
            .env_remove("RUST_LOG")
            .env_remove("JPY_COOKIE_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Log::default();
        log.drain(child.stderr.take().unwrap());
        Self {
            child,
            log,
            pid_file: dir.join("jupyterhub-proxy.pid"),
        }
    }

    /// The public URL from "Ganymede is running at http://ADDR/".
    async fn public_url(&self) -> String {
        let needle = "Ganymede is running at ";
        assert!(
            self.log
                .wait_for(Duration::from_secs(30), |text| text.contains(needle))
                .await,
            "the hub said where it runs"
        );
        let text = self.log.text();
        let rest = text.split(needle).nth(1).unwrap();
        rest.split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_owned()
    }

    fn terminate(&self) {
        kill(pid(self.child.id()), Signal::SIGTERM).unwrap();
    }
}

fn pid(id: u32) -> Pid {
    Pid::from_raw(i32::try_from(id).unwrap())
}

fn read_pid(pid_file: &Path) -> Option<u32> {
    std::fs::read_to_string(pid_file).ok()?.trim().parse().ok()
}

/// Alive and not a zombie.
fn alive(id: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{id}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, s)| !s.starts_with('Z'))
    })
}

/// Whether the hub's API and the service answer through the proxy at `public`.
async fn routes_work(client: &reqwest::Client, public: &str) -> bool {
    let hub = client
        .get(format!("{public}/hub/api/user"))
        .header("authorization", format!("token {TOKEN}"))
        .send()
        .await;
    if !hub.is_ok_and(|r| r.status() == 200) {
        return false;
    }
    match client.get(format!("{public}/services/svc/x")).send().await {
        Ok(response) if response.status() == 200 => Echoed::from_response(response)
            .await
            .is_ok_and(|seen| seen.path.ends_with("/services/svc/x")),
        _ => false,
    }
}

/// The whole life of a started proxy with `command`.
async fn started_proxy_lives_and_dies_with_the_hub(command: &[&str]) {
    let echo = EchoBackend::start().await.unwrap();
    let dir = TempDir::new().unwrap();
    let pid_file: PathBuf = dir.path().join("jupyterhub-proxy.pid");
    let mut hub = Hub::start(dir.path(), command, &echo, &[]);
    let public = hub.public_url().await;
    let client = reqwest::Client::new();
    assert!(
        wait_until_async(Duration::from_secs(30), || routes_work(&client, &public)).await,
        "the hub and the service answer through the started proxy"
    );
    let first = read_pid(&pid_file).expect("the proxy's pid file");
    assert!(alive(first));
    // The token reaches the proxy in its environment, never on its command line.
    let cmdline = std::fs::read(format!("/proc/{first}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(PROXY_TOKEN));
    assert!(!hub.log.text().contains(PROXY_TOKEN));

    // The proxy dies; the hub starts another on the same ports and gives it the routes back.
    kill(pid(first), Signal::SIGKILL).unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || read_pid(&pid_file)
            .is_some_and(|p| p != first))
        .await,
        "a new proxy was started"
    );
    assert!(
        wait_until_async(Duration::from_secs(30), || routes_work(&client, &public)).await,
        "the restarted proxy has the hub's and the service's routes"
    );
    let second = read_pid(&pid_file).unwrap();

    // Shutdown stops the proxy and removes its pid file.
    hub.terminate();
    let exited = wait_until(Duration::from_secs(30), || {
        hub.child.try_wait().ok().flatten().is_some()
    })
    .await;
    assert!(exited, "the hub exited after SIGTERM");
    assert!(
        wait_until(Duration::from_secs(10), || !alive(second)).await,
        "the hub stopped its proxy"
    );
    assert!(!pid_file.exists(), "the pid file was removed");
}

#[tokio::test]
async fn serve_starts_restarts_and_stops_ganymede_proxy() {
    started_proxy_lives_and_dies_with_the_hub(&[]).await;
}

/// configurable-http-proxy 5.3.0 as `scripts/peers.sh` installs it: `$CHP_BIN`, else its
/// default place. A missing peer is a failure, as for the other cross-checks.
#[tokio::test]
async fn serve_starts_restarts_and_stops_configurable_http_proxy() {
    let chp = std::env::var_os("CHP_BIN").map_or_else(|| PathBuf::from(DEFAULT_CHP), PathBuf::from);
    assert!(
        chp.is_file(),
        "{} does not exist: install configurable-http-proxy 5.3.0 with `bash scripts/peers.sh` \
         (or point CHP_BIN at it)",
        chp.display()
    );
    let chp = chp.to_string_lossy().into_owned();
    started_proxy_lives_and_dies_with_the_hub(&[&chp]).await;
}

/// A proxy a previous hub left running (named in the pid file) is stopped before the new one
/// takes over.
#[tokio::test]
async fn serve_stops_the_proxy_a_previous_hub_left_behind() {
    let echo = EchoBackend::start().await.unwrap();
    let dir = TempDir::new().unwrap();
    let pid_file = dir.path().join("jupyterhub-proxy.pid");
    let mut leftover = ganymede_testkit::ProxyBuilder::new(env!("CARGO_BIN_EXE_ganymede"))
        .start()
        .await
        .unwrap();
    std::fs::write(&pid_file, leftover.pid().to_string()).unwrap();
    let hub = Hub::start(dir.path(), &[], &echo, &[]);
    let public = hub.public_url().await;
    assert!(
        hub.log.text().contains("stopped the previous proxy"),
        "{}",
        hub.log.text()
    );
    leftover
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("the leftover proxy was stopped");
    let client = reqwest::Client::new();
    assert!(
        wait_until_async(Duration::from_secs(30), || routes_work(&client, &public)).await,
        "the new proxy serves the routes"
    );
    assert_ne!(read_pid(&pid_file), Some(leftover.pid()));
}

/// `hub.cleanup_proxy = false` leaves the proxy running at shutdown; the next hub finds it in
/// the pid file and stops it before starting its own.
#[tokio::test]
async fn cleanup_proxy_false_leaves_the_proxy_to_the_next_hub() {
    let echo = EchoBackend::start().await.unwrap();
    let dir = TempDir::new().unwrap();
    let pid_file = dir.path().join("jupyterhub-proxy.pid");
    let mut hub = Hub::start(dir.path(), &[], &echo, &["hub.cleanup_proxy=false"]);
    let public = hub.public_url().await;
    let client = reqwest::Client::new();
    assert!(
        wait_until_async(Duration::from_secs(30), || routes_work(&client, &public)).await,
        "the hub answers through the proxy"
    );
    let left = read_pid(&pid_file).expect("the proxy's pid file");
    // Whatever happens below, the proxy this test caused to start does not outlive it.
    struct KillAtEnd(u32);
    impl Drop for KillAtEnd {
        fn drop(&mut self) {
            if alive(self.0) {
                let _ = kill(pid(self.0), Signal::SIGKILL);
            }
        }
    }
    let _left_guard = KillAtEnd(left);
    hub.terminate();
    assert!(
        wait_until(Duration::from_secs(30), || hub
            .child
            .try_wait()
            .ok()
            .flatten()
            .is_some())
        .await,
        "the hub exited after SIGTERM"
    );
    assert!(alive(left), "the proxy was left running");
    assert_eq!(read_pid(&pid_file), Some(left), "and its pid file kept");
    assert!(
        hub.log
            .wait_for(Duration::from_secs(10), |text| text
                .contains("leaving the proxy running"))
            .await,
        "{}",
        hub.log.text()
    );

    let next = Hub::start(dir.path(), &[], &echo, &[]);
    let public = next.public_url().await;
    assert!(
        next.log.text().contains("stopped the previous proxy"),
        "{}",
        next.log.text()
    );
    assert!(
        wait_until(Duration::from_secs(10), || !alive(left)).await,
        "the next hub stopped the proxy that was left"
    );
    assert!(
        wait_until_async(Duration::from_secs(30), || routes_work(&client, &public)).await,
        "the next hub's proxy serves the routes"
    );
}

/// A proxy command that exits at once is one error line with what it printed.
#[test]
fn a_proxy_that_exits_at_start_is_reported_with_its_output() {
    let dir = TempDir::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ganymede"))
        .current_dir(dir.path())
        .args([
            "serve",
            "--set",
            "spawner.cmd=[\"/bin/false\"]",
            "--set",
            "hub.bind_url=http://127.0.0.1:0/",
            "--set",
            "hub.hub_bind_url=http://127.0.0.1:0/",
            "--set",
            "proxy.api_url=http://127.0.0.1:0/",
            "--set",
            "proxy.mode=external",
            "--set",
            "proxy.should_start=true",
            "--set",
            "proxy.command=[\"/bin/sh\", \"-c\", \"echo no such flag: $1 >&2; exit 3\", \"sh\"]",
        ])
        .env_remove("RUST_LOG")
        .env_remove("CONFIGPROXY_AUTH_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "ganymede: cannot start the proxy (proxy.should_start = true): the proxy exited"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("no such flag: --ip"), "{stderr}");
    assert!(stderr.contains("exit status: 3"), "{stderr}");
}
