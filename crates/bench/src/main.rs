//! `ganymede-bench`: load generators and helpers used by `bench/proxy.sh`.
//!
//! Every subcommand prints one result line of `key=value` pairs on stdout so
//! the shell script can pick numbers out with `grep -o`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark command reports its results on stdout and problems on stderr"
)]

mod hist;
mod http_load;
mod sys;
mod ws;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ganymede-bench",
    version,
    about = "Benchmark helpers for ganymede proxy vs configurable-http-proxy vs nginx"
)]
struct Cli {
    /// Tokio worker threads (default: number of CPUs).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// WebSocket echo backend; prints the bound port on stdout.
    WsEchoServer(ws::EchoServerArgs),
    /// N WebSocket connections doing request/response echo; prints msgs/s and p50/p99 RTT.
    WsLoad(ws::LoadArgs),
    /// Repeatedly open a WebSocket, echo a few messages, close it (soak test).
    WsChurn(ws::ChurnArgs),
    /// POST N routes to a configurable-http-proxy compatible REST API; prints elapsed seconds.
    AddRoutes(http_load::AddRoutesArgs),
    /// Open N keep-alive HTTP/1.1 connections, one request each, then hold them idle.
    IdleConns(http_load::IdleConnsArgs),
    /// Print the resident set size (VmRSS) of processes in MB.
    Rss(sys::RssArgs),
    /// Print N currently free TCP ports on 127.0.0.1.
    FreePorts(sys::FreePortsArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Rss(args) => return sys::rss(&args),
        Cmd::FreePorts(args) => return sys::free_ports(&args),
        _ => {}
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = cli.threads {
        builder.worker_threads(n.max(1));
    }
    let rt = builder.build()?;
    rt.block_on(async move {
        match cli.cmd {
            Cmd::WsEchoServer(args) => ws::echo_server(args).await,
            Cmd::WsLoad(args) => ws::load(args).await,
            Cmd::WsChurn(args) => ws::churn(args).await,
            Cmd::AddRoutes(args) => http_load::add_routes(args).await,
            Cmd::IdleConns(args) => http_load::idle_conns(args).await,
            Cmd::Rss(_) | Cmd::FreePorts(_) => Ok(()),
        }
    })
}
