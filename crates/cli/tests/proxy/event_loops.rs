//! `--threads N`: N event loops, each with its own socket on the public port (SO_REUSEPORT) and
//! its own target connections.

use std::time::Duration;

use ganymede_testkit::EchoBackend;

use super::{echo_get, proxy};

/// How long the thread named `name` of process `pid` has run, in nanoseconds (schedstat).
fn thread_run_ns(pid: u32, name: &str) -> anyhow::Result<u64> {
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let task = task?.path();
        if std::fs::read_to_string(task.join("comm"))?.trim() == name {
            let schedstat = std::fs::read_to_string(task.join("schedstat"))?;
            let ns = schedstat.split_whitespace().next().unwrap_or("0");
            return Ok(ns.parse()?);
        }
    }
    anyhow::bail!("process {pid} has no thread {name}")
}

#[tokio::test]
async fn two_event_loops_share_the_port_and_both_serve() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let mut proxy = proxy().args(["--threads", "2"]).start().await?;
    proxy.add_target("/", &echo.url()).await?;
    let before = thread_run_ns(proxy.pid(), "proxy-loop-1")?;
    // Each request on a connection of its own: the kernel spreads new connections over the two
    // sockets by their addresses, so with 40 of them both loops serve some.
    for i in 0..40 {
        let echoed = echo_get(
            &proxy.url(&format!("/loop/{i}")),
            &[("connection", "close")],
        )
        .await?;
        assert_eq!(echoed.path, format!("/loop/{i}"));
    }
    let after = thread_run_ns(proxy.pid(), "proxy-loop-1")?;
    assert!(after > before, "the second event loop never ran");

    proxy.terminate()?;
    let status = proxy.wait_exit(Duration::from_secs(3)).await?;
    assert_eq!(status.code(), Some(0), "{}", proxy.log().text());
    Ok(())
}
