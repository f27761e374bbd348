#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this): lints, Rust tests, and the
# end-to-end tests against real JupyterHub 6.1.1, JupyterLab and configurable-http-proxy 5.3.0,
# and the hub's pages in headless Chromium.
# It installs what it needs on a fresh machine (Debian packages, the Python venv, npm packages).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# The binary cargo builds, wherever CARGO_TARGET_DIR puts it (worktrees share no target dir).
bin="${CARGO_TARGET_DIR:-$root/target}/debug/ganymede"

step() { printf '\n=== %s\n' "$*" >&2; }

step "peers: JupyterHub venv, configurable-http-proxy, chromium and playwright-core"
eval "$(bash scripts/peers.sh)"
export PEERS_VENV

step "databases: PostgreSQL and MariaDB for the storage tests"
eval "$(bash scripts/databases.sh)"
export GANYMEDE_TEST_POSTGRES_URL GANYMEDE_TEST_MYSQL_URL

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
cargo build --workspace --locked

step "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

step "end-to-end tests (real JupyterHub, JupyterLab, CHP) with ganymede as the proxy"
export PROXY_CMD="$bin proxy" GANYMEDE_BIN="$bin"
export CHP_BIN PEERS_VENV
"$PEERS_VENV/bin/pytest" tests/e2e -q -p no:cacheprovider

step "browser tests: the hub's pages in headless Chromium against ganymede serve"
GANYMEDE_BIN="$bin" CHROMIUM_BIN="$CHROMIUM_BIN" NODE_PATH="$PLAYWRIGHT_NODE_PATH" \
  node --test tests/browser/
