//! The `ganymede` binary: subcommands, logging, signals.

#![forbid(unsafe_code)]

mod args;
mod first_run;
mod front_proxy;
mod hub_proxy;
mod logging;
mod periodic;
mod proxy_cmd;
mod serve;
mod singleuser_venv;
mod spawner;
mod started_proxy;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// mimalloc instead of glibc's malloc: the proxy's per-request allocations (header maps, buffers,
/// task state) cost a third less, and freed memory goes back to the OS sooner.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return args::report_parse_error(&error),
    };
    let result = match cli.command {
        Some(Command::Proxy(proxy)) => proxy_cmd::run(&proxy),
        Some(Command::Serve(serve)) => serve::run(&serve),
        Some(Command::GenerateConfig) => args::print_generated_config(),
        Some(Command::UpgradeDb(serve)) => args::upgrade_db(&serve),
        Some(Command::HashPassword) => args::hash_password(),
        None => serve::run(&serve::ServeArgs {
            log_level: "info".to_owned(),
            ..serve::ServeArgs::default()
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The one line a person reads: what is wrong and, in the message, how to fix it.
            args::eprint_line(&format!("ganymede: {error:#}"));
            ExitCode::FAILURE
        }
    }
}
