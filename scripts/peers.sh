#!/usr/bin/env bash
# Install the real peers Ganymede is tested against (idempotent):
#   * a Python venv (Debian's /usr/bin/python3, world-readable) with JupyterHub,
#     JupyterLab, pytest, requests, websocket-client, jupyterhub-idle-culler -- the e2e
#     test runner, the hub and the culler;
#   * configurable-http-proxy (npm, exact version) -- the reference proxy;
#   * Debian's chromium and playwright-core (npm, exact version) -- the browser tests.
#
#   bash scripts/peers.sh          install what is missing, print KEY=VALUE facts
#   bash scripts/peers.sh reset    delete the peers directory
#
# Facts go to stdout and to $DIR/env; progress and errors go to stderr.
# Env: GANYMEDE_PEERS_DIR (default /var/cache/ganymede-peers; not under /root,
#      which is mode 700 and would hide the venv from spawned users).
set -euo pipefail

DIR="${GANYMEDE_PEERS_DIR:-/var/cache/ganymede-peers}"
VENV="$DIR/venv"
NODE_DIR="$DIR/node"
CHP_VERSION=5.3.0
PLAYWRIGHT_VERSION=1.64.1
CHROMIUM_BIN=/usr/bin/chromium
JUPYTERHUB_VERSION=6.1.1
# Pinned to what resolved on 2026-11 (Debian 12, Python 3.11.2).
PY_REQS=(
  "jupyterhub==$JUPYTERHUB_VERSION"
  "jupyterlab==4.6.6"
  "pytest==9.2.0"
  "requests==2.34.2"
  "websocket-client==1.9.2"
  "jupyterhub-idle-culler==2.0.0"
  # Fernet decoding changed when cryptography moved it to Rust; the auth_state cross-check
  # (crates/crypt/tests/fernet_crosscheck.rs) holds Ganymede to this release's answers.
  "cryptography==51.0.1"
)

log() { echo "[peers] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

apt_install() {
  local missing=() p try
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  for try in 1 2 3; do
    if apt-get -o DPkg::Lock::Timeout=600 -y -qq install --no-install-recommends \
        "${missing[@]}" >"$DIR/apt.log" 2>&1; then
      return 0
    fi
    log "apt-get install failed (try $try); apt-get update and retry"
    apt-get -o DPkg::Lock::Timeout=600 -qq update >>"$DIR/apt.log" 2>&1 || sleep 5
  done
  tail -20 "$DIR/apt.log" >&2
  die "could not install ${missing[*]}"
}

install_venv() {
  local stamp="$VENV/.ganymede-peers-stamp" want
  want="$(readlink -f /usr/bin/python3) ${PY_REQS[*]}"
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  [ -x /usr/bin/python3 ] || apt_install python3
  /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
  log "creating $VENV with ${PY_REQS[*]} (about a minute)"
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV"
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check "${PY_REQS[@]}" >"$DIR/pip.log" 2>&1; then
    tail -30 "$DIR/pip.log" >&2
    rm -rf "$VENV"
    die "pip install failed (log: $DIR/pip.log)"
  fi
  "$VENV/bin/python" -c "import jupyterhub, jupyterhub_idle_culler, jupyterlab, pytest, requests, websocket, sys; \
sys.exit(jupyterhub.__version__ != '$JUPYTERHUB_VERSION')" || die "venv check failed"
  chmod -R a+rX "$VENV"
  echo "$want" >"$stamp"
}

install_chp() {
  local pkg="$NODE_DIR/node_modules/configurable-http-proxy/package.json" major
  if [ -f "$pkg" ] && grep -q "\"version\": \"$CHP_VERSION\"" "$pkg" \
     && [ -x "$NODE_DIR/node_modules/.bin/configurable-http-proxy" ]; then
    return 0
  fi
  command -v node >/dev/null && command -v npm >/dev/null \
    || die "node and npm (Node >= 20) are required for configurable-http-proxy"
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "configurable-http-proxy $CHP_VERSION needs Node >= 20 (found $(node --version))"
  log "npm install configurable-http-proxy@$CHP_VERSION into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || echo '{"name": "ganymede-peers", "private": true}' >"$NODE_DIR/package.json"
  if ! (cd "$NODE_DIR" && npm install --save-exact --no-audit --no-fund --loglevel=error \
          "configurable-http-proxy@$CHP_VERSION") >"$DIR/npm.log" 2>&1; then
    tail -30 "$DIR/npm.log" >&2
    die "npm install failed (log: $DIR/npm.log)"
  fi
  grep -q "\"version\": \"$CHP_VERSION\"" "$pkg" || die "wrong configurable-http-proxy version installed"
  chmod -R a+rX "$NODE_DIR"
}

install_chromium() {
  [ -x "$CHROMIUM_BIN" ] && return 0
  apt_install chromium
  [ -x "$CHROMIUM_BIN" ] || die "chromium installed but $CHROMIUM_BIN is missing"
}

# playwright-core drives the system chromium; it downloads no browser of its own.
install_playwright() {
  local pkg="$NODE_DIR/node_modules/playwright-core/package.json"
  if [ -f "$pkg" ] && grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$pkg"; then
    return 0
  fi
  log "npm install playwright-core@$PLAYWRIGHT_VERSION into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || echo '{"name": "ganymede-peers", "private": true}' >"$NODE_DIR/package.json"
  if ! (cd "$NODE_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --save-exact --no-audit --no-fund \
          --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION") >"$DIR/npm-playwright.log" 2>&1; then
    tail -30 "$DIR/npm-playwright.log" >&2
    die "npm install failed (log: $DIR/npm-playwright.log)"
  fi
  grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$pkg" || die "wrong playwright-core version installed"
  chmod -R a+rX "$NODE_DIR"
}

case "${1:-install}" in
  install) ;;
  reset) rm -rf "$DIR"; exit 0 ;;
  *) echo "usage: $0 [install|reset]" >&2; exit 2 ;;
esac

mkdir -p "$DIR"
chmod 755 "$DIR"
install_venv
install_chp
install_chromium
install_playwright

cat <<EOF | tee "$DIR/env.tmp"
PEERS_DIR=$DIR
PEERS_VENV=$VENV
PEERS_PYTHON=$VENV/bin/python
CHP_BIN=$NODE_DIR/node_modules/.bin/configurable-http-proxy
CHP_VERSION=$CHP_VERSION
CHROMIUM_BIN=$CHROMIUM_BIN
PLAYWRIGHT_NODE_PATH=$NODE_DIR/node_modules
PLAYWRIGHT_VERSION=$PLAYWRIGHT_VERSION
JUPYTERHUB_VERSION=$JUPYTERHUB_VERSION
EOF
mv "$DIR/env.tmp" "$DIR/env"
