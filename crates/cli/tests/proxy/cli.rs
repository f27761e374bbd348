//! The process as JupyterHub drives it: SIGTERM and `--pid-file`, and one-line errors for a bad
//! command line.

use std::process::{Command, Output};
use std::time::Duration;

use ganymede_testkit::{TempDir, wait_until};

use crate::{SOON, proxy};

/// Runs `ganymede <args>` to completion (these exit at once, before binding anything).
fn ganymede(args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(env!("CARGO_BIN_EXE_ganymede"))
        .args(args)
        .env_remove("CONFIGPROXY_AUTH_TOKEN")
        .env_remove("RUST_LOG")
        .output()?)
}

#[tokio::test]
async fn sigterm_exits_0_promptly_and_removes_the_pid_file() -> anyhow::Result<()> {
    let dir = TempDir::new()?;
    let pid_file = dir.join("proxy.pid");
    let echo = ganymede_testkit::EchoBackend::start().await?;
    let mut proxy = proxy().arg("--pid-file").arg(&pid_file).start().await?;
    assert!(wait_until(SOON, || pid_file.exists()).await);
    assert_eq!(
        std::fs::read_to_string(&pid_file)?.trim(),
        proxy.pid().to_string()
    );

    // Neither an idle keep-alive connection nor one that never sent a byte may hold up the exit
    // (the default 5 s keep-alive timeout would).
    proxy.add_target("/", &echo.url()).await?;
    let client = ganymede_testkit::http_client()?;
    let response = client.get(proxy.url("/warm")).send().await?;
    assert_eq!(response.status(), 200);
    response.bytes().await?;
    let _silent = tokio::net::TcpStream::connect(proxy.addrs().proxy).await?;

    proxy.terminate()?;
    let status = proxy.wait_exit(Duration::from_secs(3)).await?;
    assert_eq!(status.code(), Some(0), "{}", proxy.log().text());
    assert!(!pid_file.exists(), "the pid file is still there");
    Ok(())
}

#[test]
fn unknown_flag_prints_one_line_naming_port_and_exits_2() -> anyhow::Result<()> {
    let output = ganymede(&["proxy", "--prot", "5"])?;
    let stderr = String::from_utf8(output.stderr)?;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--prot"), "{stderr}");
    assert!(stderr.contains("--port"), "{stderr}");
    assert!(output.stdout.is_empty());
    Ok(())
}

#[test]
fn ssl_key_without_ssl_cert_prints_one_line_and_fails() -> anyhow::Result<()> {
    let output = ganymede(&["proxy", "--port", "0", "--ssl-key", "/nonexistent/key.pem"])?;
    let stderr = String::from_utf8(output.stderr)?;
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--ssl-key"), "{stderr}");
    assert!(stderr.contains("--ssl-cert"), "{stderr}");
    Ok(())
}
