#!/usr/bin/env bash
# Spawn benchmark: JupyterHub 6.1.1 + configurable-http-proxy 5.3.0 vs `ganymede serve`, side
# by side in one run (bench/spawn.py has the details; --help lists the options).
#
#   bash bench/spawn.sh [--skip-build] [options for bench/spawn.py]
#
# Installs the peers (scripts/peers.sh: the JupyterHub venv and CHP) and builds the release
# binary first. Run as root: the servers run as the Unix account `gybench`.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
args=()
for a in "$@"; do
    if [ "$a" = --skip-build ]; then build=0; else args+=("$a"); fi
done
eval "$(bash scripts/peers.sh)"
export PEERS_VENV CHP_BIN
if [ "$build" = 1 ]; then
    cargo build --release --bin ganymede >&2
fi
exec "$PEERS_VENV/bin/python" bench/spawn.py "${args[@]}"
