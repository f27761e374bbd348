//! The command line: subcommands, and one-line errors for unknown flags.

use std::io::Write;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};
use ganymede_proxy::ProxyArgs;

/// Ganymede: a multi-user Jupyter hub and its proxy, in one binary.
#[derive(Debug, Parser)]
#[command(name = "ganymede", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the hub with its proxy (the default).
    Serve(crate::serve::ServeArgs),
    /// Print a ganymede.toml with every key, its default and what it does.
    GenerateConfig,
    /// Create or upgrade the database schema (backs up an SQLite file first).
    UpgradeDb(crate::serve::ServeArgs),
    /// Run the reverse proxy alone, a drop-in for configurable-http-proxy (same flags and REST API).
    Proxy(Box<ProxyArgs>),
    /// Read a password from stdin and print its argon2 hash, for the users-file authenticator.
    HashPassword,
}

/// `ganymede generate-config`.
pub(crate) fn print_generated_config() -> anyhow::Result<()> {
    std::io::stdout().write_all(ganymede_config::generate_config().as_bytes())?;
    Ok(())
}

/// `ganymede hash-password`: one line of stdin (no echo when it is a terminal is up to the
/// shell: `read -s`), its argon2id hash on stdout.
pub(crate) fn hash_password() -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        anyhow::bail!(
            "no password on stdin: run `read -rs PW && printf '%s\\n' \"$PW\" | ganymede hash-password`"
        );
    }
    let hash = ganymede_auth::hash_password(password)?;
    writeln!(std::io::stdout(), "{hash}")?;
    Ok(())
}

/// `ganymede upgrade-db`.
pub(crate) fn upgrade_db(args: &crate::serve::ServeArgs) -> anyhow::Result<()> {
    crate::logging::init(&args.log_level);
    let config = args.load_config()?;
    let url = crate::serve::database_url(&config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(ganymede_db::Db::upgrade(&url))?;
    tracing::info!("database upgraded: {report:?}");
    Ok(())
}

/// Writes one line to stderr, ignoring a closed stderr.
pub(crate) fn eprint_line(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Help and version go to stdout as usual; an unknown flag becomes one line naming the nearest
/// valid one.
pub(crate) fn report_parse_error(error: &clap::Error) -> ExitCode {
    if error.kind() != ErrorKind::UnknownArgument {
        let _ = error.print();
        return if error.use_stderr() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let flag = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(flag)) => flag.clone(),
        _ => String::from("?"),
    };
    let name = flag.split('=').next().unwrap_or(&flag).to_owned();
    let hint = nearest_flag(&name).map_or_else(
        || " (see `ganymede proxy --help`)".to_owned(),
        |nearest| format!("; did you mean {nearest}?"),
    );
    eprint_line(&format!("ganymede: unknown flag {name}{hint}"));
    ExitCode::from(2)
}

/// The proxy flag closest to `given`, if any is close enough to be a typo.
fn nearest_flag(given: &str) -> Option<String> {
    let given = given.trim_start_matches('-');
    let command = Cli::command();
    let proxy = command.find_subcommand("proxy")?;
    proxy
        .get_arguments()
        .filter(|arg| !arg.is_hide_set())
        .filter_map(|arg| arg.get_long())
        .map(|long| (strsim::damerau_levenshtein(given, long), long))
        .filter(|(distance, long)| *distance <= 2.max(long.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, long)| format!("--{long}"))
}

#[cfg(test)]
mod tests {
    use super::nearest_flag;

    #[test]
    fn typos_find_the_flag() {
        let cases = [
            ("--prot", Some("--port")),
            ("--api-prot", Some("--api-port")),
            ("--error-taget", Some("--error-target")),
            ("--no-xforward", Some("--no-x-forward")),
            ("--completely-different", None),
        ];
        for (given, expected) in cases {
            assert_eq!(nearest_flag(given).as_deref(), expected, "{given}");
        }
    }
}
