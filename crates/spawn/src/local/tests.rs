use std::path::{Path, PathBuf};

use super::*;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ganymede-spawn-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn request(dir: &TempDir, user: &str, script: &str) -> SpawnRequest {
    let mut env = BTreeMap::new();
    env.insert("GANYMEDE_TEST".to_owned(), "from-the-hub".to_owned());
    SpawnRequest {
        unix_user: user.to_owned(),
        argv: vec!["/bin/sh".to_owned(), "-c".to_owned(), script.to_owned()],
        env,
        ip: "127.0.0.1".to_owned(),
        port: 1,
        log_path: dir.path().join("server.log"),
        user_options: serde_json::json!({}),
    }
}

async fn wait_for_log(path: &Path, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) || tokio::time::Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn me() -> String {
    UnixUser::current().unwrap().name
}

#[tokio::test]
async fn runs_with_a_fresh_environment_and_stops() {
    let dir = TempDir::new("env");
    let spawner = LocalProcess::new(LocalProcessOptions {
        env_keep: vec!["PATH".to_owned(), "NOT_SET_ANYWHERE_X".to_owned()],
        ..LocalProcessOptions::default()
    });
    let req = request(
        &dir,
        &me(),
        "echo \"env=$GANYMEDE_TEST user=$USER cargo=${CARGO:-none} path=${PATH:+yes}\"; exec sleep 60",
    );
    let started = spawner.start(&req).await.unwrap();
    assert_eq!(started.target, "http://127.0.0.1:1");
    assert_eq!(started.state["version"], 1);
    let log = wait_for_log(&req.log_path, "env=").await;
    assert!(
        log.contains(&format!(
            "env=from-the-hub user={} cargo=none path=yes",
            me()
        )),
        "{log}"
    );
    assert_eq!(
        spawner.poll(&started.state).await.unwrap(),
        PollStatus::Running
    );
    spawner.stop(&started.state).await.unwrap();
    assert!(matches!(
        spawner.poll(&started.state).await.unwrap(),
        PollStatus::Exited(_)
    ));
    // Stopping twice is fine.
    spawner.stop(&started.state).await.unwrap();
}

#[tokio::test]
async fn a_server_that_ignores_sigterm_is_killed() {
    let dir = TempDir::new("term");
    let spawner = LocalProcess::new(LocalProcessOptions {
        term_timeout: Duration::from_millis(100),
        ..LocalProcessOptions::default()
    });
    let req = request(&dir, &me(), "trap '' TERM; echo ready; sleep 60");
    let started = spawner.start(&req).await.unwrap();
    wait_for_log(&req.log_path, "ready").await;
    spawner.stop(&started.state).await.unwrap();
    assert!(matches!(
        spawner.poll(&started.state).await.unwrap(),
        PollStatus::Exited(_)
    ));
}

#[tokio::test]
async fn exit_codes_are_seen() {
    let dir = TempDir::new("exit");
    let spawner = LocalProcess::new(LocalProcessOptions::default());
    let req = request(&dir, &me(), "echo bye; exit 3");
    let started = spawner.start(&req).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        // The process may vanish from /proc a moment before its reaper records the code.
        let status = spawner.poll(&started.state).await.unwrap();
        if status == PollStatus::Exited(Some(3)) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never exited");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(crate::tail_lines(&req.log_path, 5), ["bye"]);
}

#[tokio::test]
async fn a_reused_pid_is_not_the_server() {
    let spawner = LocalProcess::new(LocalProcessOptions::default());
    let me = i32::try_from(std::process::id()).unwrap();
    let stat = proc_stat::read(me).unwrap();
    let other = json!({"version": 1, "pid": me, "start_time": stat.start_time + 7});
    assert_eq!(
        spawner.poll(&other).await.unwrap(),
        PollStatus::Exited(None)
    );
    let newer = json!({"version": 9, "pid": me, "start_time": stat.start_time});
    assert!(matches!(
        spawner.poll(&newer).await,
        Err(SpawnError::BadState(_))
    ));
}

#[tokio::test]
async fn a_missing_command_is_a_clear_error() {
    let dir = TempDir::new("missing");
    let spawner = LocalProcess::new(LocalProcessOptions::default());
    let mut req = request(&dir, &me(), "");
    req.argv = vec!["/no/such/jupyterhub-singleuser".to_owned()];
    let error = spawner.start(&req).await.unwrap_err().to_string();
    assert!(error.contains("/no/such/jupyterhub-singleuser"), "{error}");
    req.argv.clear();
    assert!(matches!(
        spawner.start(&req).await,
        Err(SpawnError::EmptyCommand)
    ));
}

/// As root, the server runs as the account, in its own session.
#[tokio::test]
async fn root_drops_to_the_users_uid_and_groups() {
    if !Uid::effective().is_root() {
        return;
    }
    let dir = TempDir::new("root");
    let spawner = LocalProcess::new(LocalProcessOptions::default());
    let nobody = UnixUser::lookup("nobody").unwrap().unwrap();
    let req = request(
        &dir,
        "nobody",
        "echo \"uid=$(id -u) gid=$(id -g) home=$HOME pwd=$(pwd)\"; ps -o sid= -p $$; exec sleep 60",
    );
    let started = spawner.start(&req).await.unwrap();
    let log = wait_for_log(&req.log_path, "uid=").await;
    assert!(
        log.contains(&format!("uid={} gid={}", nobody.uid, nobody.gid)),
        "{log}"
    );
    spawner.stop(&started.state).await.unwrap();
    let missing = request(&dir, "no-such-user-ganymede", "true");
    let error = spawner.start(&missing).await.unwrap_err();
    assert!(matches!(error, SpawnError::NoSuchUser { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("useradd -m no-such-user-ganymede")
    );
}
