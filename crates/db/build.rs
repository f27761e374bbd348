//! Rebuilds the crate when a migration changes: `sqlx::migrate!` embeds the files, and a macro
//! on stable Rust cannot tell cargo which files it read.

// Build scripts talk to cargo through stdout.
#![allow(clippy::print_stdout)]

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
