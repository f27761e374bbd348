//! Process and system helpers: RSS, file-descriptor limit, free ports.

use std::net::TcpListener;

use anyhow::{Context, Result, bail};
use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Raise the soft RLIMIT_NOFILE to the hard limit; returns (soft, hard) afterwards.
pub(crate) fn raise_nofile() -> Result<(u64, u64)> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).context("getrlimit(NOFILE)")?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).context("setrlimit(NOFILE)")?;
    }
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).context("getrlimit(NOFILE)")?;
    Ok((soft, hard))
}

#[derive(clap::Args)]
pub(crate) struct RssArgs {
    /// Process id (repeat to sum several processes).
    #[arg(long = "pid", required = true)]
    pids: Vec<u32>,
    /// Also add the direct children of each process (e.g. nginx workers of a master).
    #[arg(long)]
    children: bool,
}

fn vm_rss_kb(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status (is the process alive?)"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .with_context(|| format!("no VmRSS in /proc/{pid}/status"))?;
    let kb = line
        .split_whitespace()
        .nth(1)
        .context("malformed VmRSS line")?
        .parse::<u64>()
        .context("malformed VmRSS value")?;
    Ok(kb)
}

fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(s) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(s.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
    }
    out
}

/// Prints the summed VmRSS in MB with one decimal.
pub(crate) fn rss(args: &RssArgs) -> Result<()> {
    let mut pids = args.pids.clone();
    if args.children {
        for p in &args.pids {
            pids.extend(children_of(*p));
        }
    }
    pids.sort_unstable();
    pids.dedup();
    let mut kb = 0;
    for p in pids {
        kb += vm_rss_kb(p)?;
    }
    println!("{:.1}", kb as f64 / 1024.0);
    Ok(())
}

#[derive(clap::Args)]
pub(crate) struct FreePortsArgs {
    /// How many distinct ports.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Lowest port to consider. The default range stays below the kernel's
    /// ephemeral range so client sockets cannot grab the ports first.
    #[arg(long, default_value_t = 15_000)]
    min: u16,
    /// Highest port to consider.
    #[arg(long, default_value_t = 32_000)]
    max: u16,
}

/// Prints `count` distinct ports that were free a moment ago, space separated.
pub(crate) fn free_ports(args: &FreePortsArgs) -> Result<()> {
    let (min, max) = (args.min.min(args.max), args.max.max(args.min));
    let span = u32::from(max - min) + 1;
    // Start somewhere pseudo-random so concurrent runs do not collide.
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
    let mut ports = Vec::with_capacity(args.count);
    let mut held = Vec::with_capacity(args.count);
    for k in 0..span {
        if ports.len() == args.count {
            break;
        }
        let port = u16::try_from(u32::from(min) + (seed.wrapping_add(k.wrapping_mul(7919))) % span)
            .context("port out of range")?;
        if ports.contains(&port) {
            continue;
        }
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
            ports.push(port);
            held.push(l);
        }
    }
    if ports.len() < args.count {
        bail!("only found {} free ports in {min}..={max}", ports.len());
    }
    let out: Vec<String> = ports.iter().map(u16::to_string).collect();
    println!("{}", out.join(" "));
    Ok(())
}
