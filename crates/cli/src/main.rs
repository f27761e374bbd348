//! The `ganymede` binary: subcommands, logging, signals.

#![forbid(unsafe_code)]

mod args;
mod proxy_cmd;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return args::report_parse_error(&error),
    };
    let result = match cli.command {
        Some(Command::Proxy(proxy)) => proxy_cmd::run(&proxy),
        None => args::default_proxy_args().and_then(|proxy| proxy_cmd::run(&proxy)),
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
