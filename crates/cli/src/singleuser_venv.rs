//! A first run on a fresh machine: when `spawner.cmd` is the default `jupyterhub-singleuser`
//! and no such program is on `PATH`, prepare one, a venv with `jupyterhub==6.1.1` and
//! JupyterLab, so the README's run command ends with a hub where people can use JupyterLab.
//!
//! As root the venv goes to `/var/cache/ganymede/singleuser-venv`: the servers run as other
//! accounts, which must be able to read it (a data directory under `/root` is mode 700).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};

/// What `pip` installs: the versions the project tests against.
const PACKAGES: &[&str] = &["jupyterhub==6.1.1", "jupyterlab==4.6.6"];
const DEFAULT_CMD: &str = "jupyterhub-singleuser";
/// Written last: a venv without it was interrupted and is made again. (A venv cannot be
/// built elsewhere and moved: its scripts name their interpreter by absolute path.)
const COMPLETE: &str = ".ganymede-complete";

/// `program` as the servers' `PATH` finds it.
fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn venv_dir(data_dir: &Path) -> PathBuf {
    if ganymede_spawn::UnixUser::current().is_ok_and(|me| me.uid == 0) {
        PathBuf::from("/var/cache/ganymede/singleuser-venv")
    } else {
        data_dir.join("singleuser-venv")
    }
}

/// The argv to run servers with: `cmd` unchanged, unless it is the default command and it
/// cannot be found, in which case the prepared venv's.
pub(crate) async fn resolve(cmd: &[String], data_dir: &Path) -> anyhow::Result<Vec<String>> {
    match cmd.first() {
        Some(program) if program == DEFAULT_CMD && on_path(program).is_none() => {}
        _ => return Ok(cmd.to_vec()),
    }
    let venv = venv_dir(data_dir);
    let program = venv.join("bin").join(DEFAULT_CMD);
    if !venv.join(COMPLETE).is_file() {
        prepare(&venv).await?;
    }
    let mut argv = vec![program.display().to_string()];
    argv.extend(cmd.iter().skip(1).cloned());
    Ok(argv)
}

async fn prepare(venv: &Path) -> anyhow::Result<()> {
    let python = Path::new("/usr/bin/python3");
    if !python.is_file() {
        bail!(
            "jupyterhub-singleuser is not on PATH and /usr/bin/python3 is missing to prepare it: \
             install python3 and python3-venv (apt-get install python3-venv), or set spawner.cmd"
        );
    }
    tracing::info!(
        venv = %venv.display(),
        "jupyterhub-singleuser is not on PATH: preparing it (step 1 of 3: a Python venv)"
    );
    let staging = venv;
    let _ = std::fs::remove_dir_all(staging);
    if let Some(parent) = staging.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let status = tokio::process::Command::new(python)
        .args(["-m", "venv"])
        .arg(staging)
        .status()
        .await
        .context("cannot run /usr/bin/python3 -m venv")?;
    if !status.success() {
        bail!(
            "/usr/bin/python3 -m venv {} failed: install python3-venv (apt-get install python3-venv), or set spawner.cmd",
            staging.display()
        );
    }
    tracing::info!(
        packages = %PACKAGES.join(" "),
        "step 2 of 3: installing JupyterHub's single-user server and JupyterLab (a minute or two)"
    );
    let mut pip = tokio::process::Command::new(staging.join("bin/pip"))
        .args([
            "install",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
        ])
        .args(PACKAGES)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run pip in the new venv")?;
    let mut collected = 0_usize;
    let mut errors = Vec::new();
    if let Some(stdout) = pip.stdout.take() {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(what) = line.strip_prefix("Collecting ") {
                collected += 1;
                if collected % 10 == 1 {
                    tracing::info!("  downloading package {collected}: {what}");
                }
            } else if line.starts_with("Successfully installed") {
                tracing::info!("  installed {collected} packages");
            }
        }
    }
    if let Some(stderr) = pip.stderr.take() {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            errors.push(line);
        }
    }
    let status = pip.wait().await.context("pip did not finish")?;
    if !status.success() {
        let tail = errors
            .iter()
            .rev()
            .take(10)
            .rev()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        bail!(
            "pip install {} failed (is PyPI reachable?):\n{tail}",
            PACKAGES.join(" ")
        );
    }
    make_world_readable(staging)?;
    std::fs::write(venv.join(COMPLETE), PACKAGES.join("\n"))
        .with_context(|| format!("cannot write {}", venv.join(COMPLETE).display()))?;
    tracing::info!(venv = %venv.display(), "step 3 of 3: done; servers run {}/bin/{DEFAULT_CMD}", venv.display());
    Ok(())
}

/// Servers run as other accounts: they must read and run what is in the venv.
fn make_world_readable(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in walk(dir)? {
        let meta = std::fs::symlink_metadata(&entry)?;
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode();
        let wanted = if meta.is_dir() || mode & 0o111 != 0 {
            mode | 0o755
        } else {
            mode | 0o644
        };
        if wanted != mode {
            std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(wanted))?;
        }
    }
    Ok(())
}

fn walk(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = vec![dir.to_path_buf()];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                todo.push(path.clone());
            }
            out.push(path);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn other_commands_are_left_alone() {
        let cmd = vec![
            "/opt/x/bin/jupyterhub-singleuser".to_owned(),
            "--debug".to_owned(),
        ];
        assert_eq!(resolve(&cmd, Path::new("/nonexistent")).await.unwrap(), cmd);
        let custom = vec!["my-server".to_owned()];
        assert_eq!(
            resolve(&custom, Path::new("/nonexistent")).await.unwrap(),
            custom
        );
    }

    #[test]
    fn finds_programs_on_path() {
        assert!(on_path("sh").is_some());
        assert!(on_path("no-such-program-ganymede").is_none());
    }
}
