//! Repository rules that no compiler checks: the code map names every crate, the proxy depends
//! on no hub crate, and the README and CI agree on the test command.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn crate_dirs(root: &Path) -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(root.join("crates"))
        .expect("crates/ exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn architecture_code_map_names_every_crate() {
    let root = workspace_root();
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    for dir in crate_dirs(&root) {
        let heading = format!("### `crates/{dir}` (`ganymede-{dir}`)");
        assert!(
            map.contains(&heading),
            "ARCHITECTURE.md has no code-map entry `{heading}`"
        );
    }
}

#[test]
fn proxy_depends_on_no_hub_crate() {
    let root = workspace_root();
    let manifest =
        std::fs::read_to_string(root.join("crates/proxy/Cargo.toml")).expect("proxy manifest");
    let hub_deps: Vec<&str> = manifest
        .lines()
        .filter(|line| line.trim_start().starts_with("ganymede-"))
        .collect();
    assert!(
        hub_deps.is_empty(),
        "crates/proxy must not depend on other ganymede crates: {hub_deps:?}"
    );
}

#[test]
fn readme_starts_with_the_two_setup_commands() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let block: Vec<&str> = readme
        .split("```sh")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a sh code block near the top of README.md")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(
        block.len(),
        2,
        "the first code block holds exactly two commands"
    );
    assert!(block[1].contains("scripts/test.sh"));
    let ci = std::fs::read_to_string(root.join(".ci/run")).expect(".ci/run");
    assert!(
        ci.contains("scripts/test.sh"),
        ".ci/run runs the README's test command"
    );
}
