#!/usr/bin/env bash
# Proxy benchmark: direct backend vs nginx vs configurable-http-proxy (CHP) vs `ganymede proxy`.
#
#   bash bench/proxy.sh [--repeat 3] [--duration 10] [--soak-seconds 60] ...   (see --help)
#
# Installs what it needs (apt: nginx-light, wrk; npm: configurable-http-proxy@5.3.0 into a
# cache dir), builds ganymede + ganymede-bench in release mode, then runs every measurement
# in one go and prints a markdown report on stdout (progress goes to stderr).
# Only 127.0.0.1 is used. Every process the script starts is killed on exit.

set -uo pipefail
CMDLINE="bash bench/proxy.sh${*:+ $*}"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# Share of all CPUs busy over 2 s, from /proc/stat (user..steal, without idle and iowait).
cpu_busy_pct() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    sleep 2
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }'
}

# ---------------------------------------------------------------- options
REPEAT=3
DURATION=10
WARMUP=2
CONNS=64
WS_SECONDS=10
ROUTES=10000
ROUTE_CONCURRENCY=16
IDLE=10000
SOAK_SECONDS=60
SOAK_INTERVAL=5
SOAK_WORKERS=8
SOAK_RATE=0
SOAK_PROXIES="ganymede"
PROXIES="direct nginx chp ganymede"
DO_INSTALL=1
DO_BUILD=1
OUT=""
KEEP_TMP=0
WAIT_QUIET=0
CHP_VERSION=5.3.0
PEERS_DIR=${GANYMEDE_PEERS_DIR:-/var/cache/ganymede-peers}

usage() {
    cat <<EOF
Usage: bash bench/proxy.sh [options]

  --repeat N          repeats of every wrk / ws-load measurement; the median is reported (default $REPEAT)
  --duration S        seconds per wrk measurement (default $DURATION)
  --warmup S          seconds of wrk warm-up before each measurement (default $WARMUP)
  --connections N     wrk and ws-load connections (default $CONNS)
  --ws-seconds S      seconds per WebSocket echo measurement (default $WS_SECONDS)
  --routes N          routes added through each proxy's API (default $ROUTES)
  --idle N            idle keep-alive connections for the RSS measurement (default $IDLE)
  --soak-seconds S    WebSocket churn soak length, 0 to skip (default $SOAK_SECONDS; 600 = 10 min)
  --soak-interval S   RSS sampling interval during the soak (default $SOAK_INTERVAL)
  --soak-workers N    concurrent open/echo/close loops during the soak (default $SOAK_WORKERS)
  --soak-rate R       cap on WebSocket cycles per second during the soak, 0 = no cap (default $SOAK_RATE)
  --soak-proxies L    space-separated proxies to soak: ganymede chp nginx (default "$SOAK_PROXIES")
  --proxies L         subset of "direct nginx chp ganymede" to measure (default all)
  --skip-install      don't apt-get / npm install (tools must already be there)
  --skip-build        don't run cargo build (binaries must already be built)
  --wait-quiet S      before measuring, wait up to S seconds for other processes to use < 15% CPU (default 0)
  --out FILE          write the markdown report to FILE (default bench/out/proxy-<UTC time>.md)
  --keep-tmp          keep the temporary directory with configs and logs
  -h, --help          this help

Environment: CARGO_TARGET_DIR (default <repo>/target), CHP_BIN (use this configurable-http-proxy),
GANYMEDE_PEERS_DIR (default /var/cache/ganymede-peers; CHP is installed under <dir>/node).
EOF
}

need_arg() { [ $# -ge 2 ] || { echo "missing value for $1" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) need_arg "$@"; REPEAT=$2; shift 2 ;;
        --duration) need_arg "$@"; DURATION=$2; shift 2 ;;
        --warmup) need_arg "$@"; WARMUP=$2; shift 2 ;;
        --connections) need_arg "$@"; CONNS=$2; shift 2 ;;
        --ws-seconds) need_arg "$@"; WS_SECONDS=$2; shift 2 ;;
        --routes) need_arg "$@"; ROUTES=$2; shift 2 ;;
        --idle) need_arg "$@"; IDLE=$2; shift 2 ;;
        --soak-seconds) need_arg "$@"; SOAK_SECONDS=$2; shift 2 ;;
        --soak-interval) need_arg "$@"; SOAK_INTERVAL=$2; shift 2 ;;
        --soak-workers) need_arg "$@"; SOAK_WORKERS=$2; shift 2 ;;
        --soak-rate) need_arg "$@"; SOAK_RATE=$2; shift 2 ;;
        --soak-proxies) need_arg "$@"; SOAK_PROXIES=$2; shift 2 ;;
        --proxies) need_arg "$@"; PROXIES=$2; shift 2 ;;
        --skip-install) DO_INSTALL=0; shift ;;
        --skip-build) DO_BUILD=0; shift ;;
        --out) need_arg "$@"; OUT=$2; shift 2 ;;
        --wait-quiet) need_arg "$@"; WAIT_QUIET=$2; shift 2 ;;
        --keep-tmp) KEEP_TMP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
for v in REPEAT DURATION WARMUP CONNS WS_SECONDS ROUTES IDLE SOAK_SECONDS SOAK_INTERVAL SOAK_WORKERS WAIT_QUIET; do
    case "${!v}" in ''|*[!0-9]*) echo "--${v,,} must be a non-negative integer" >&2; exit 2 ;; esac
done
[ "$REPEAT" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$SOAK_INTERVAL" -ge 1 ] || { echo "--repeat, --duration and --soak-interval must be >= 1" >&2; exit 2; }
[ "$ROUTES" -ge 1 ] || { echo "--routes must be >= 1" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH=$TARGET_DIR/release/ganymede-bench
GANY=$TARGET_DIR/release/ganymede
TOKEN="bench-$RANDOM$RANDOM$RANDOM"
WORK=$(mktemp -d /tmp/ganymede-bench.XXXXXX)
chmod 755 "$WORK"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[bench %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- process bookkeeping
PIDS=()
LAST_PID=""
# start NAME CMD... : run in the background, output to $WORK/NAME.{out,err}; sets LAST_PID.
start() {
    local name=$1; shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
stop_pid() {
    local p=$1
    alive "$p" || return 0
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 50); do alive "$p" || break; sleep 0.1; done
    alive "$p" && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    return 0
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
    sleep 0.5
    for p in "${PIDS[@]}"; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "$KEEP_TMP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

tail_of() { [ -f "$1" ] && tail -n "${2:-5}" "$1" | sed 's/^/    /' >&2; }

# Raise the soft fd limit to the hard limit for this script and everything it starts.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
if [ "$NOFILE" -lt $((IDLE + 500)) ]; then
    warn "ulimit -n is $NOFILE; --idle $IDLE may not fit (lowering --idle to $((NOFILE - 500)))"
    IDLE=$((NOFILE - 500)); [ "$IDLE" -lt 0 ] && IDLE=0
fi

# ---------------------------------------------------------------- install
apt_install() {
    local pkgs=("$@")
    [ "$(id -u)" = 0 ] || { warn "not root: cannot apt-get install ${pkgs[*]}"; return 1; }
    # Keep Debian's postinst from starting a system nginx; restore afterwards.
    local made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >"$WORK/apt.log" 2>&1 || {
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >>"$WORK/apt.log" 2>&1 || rc=1
    }
    [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    [ "$rc" = 0 ] || { warn "apt-get install ${pkgs[*]} failed:"; tail_of "$WORK/apt.log" 5; }
    return "$rc"
}

find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }

if [ "$DO_INSTALL" = 1 ]; then
    missing=()
    [ -n "$(find_nginx)" ] || missing+=(nginx-light)
    command -v wrk >/dev/null || missing+=(wrk)
    command -v curl >/dev/null || missing+=(curl)
    if [ ${#missing[@]} -gt 0 ]; then
        log "apt-get install ${missing[*]}"
        apt_install "${missing[@]}" || { [ -z "$(find_nginx)" ] && apt_install nginx; }
    fi
fi
NGINX=$(find_nginx)
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
[ -n "$NGINX" ] || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

# configurable-http-proxy: $CHP_BIN, else scripts/peers.sh, else our own npm install.
chp_version_of() {
    local pj
    pj="$(dirname "$(readlink -f "$1")")/../package.json"
    [ -f "$pj" ] && sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pj" | head -n1
}
CHP_NOTE=""
if [ -z "${CHP_BIN:-}" ] && [ -f "$ROOT/scripts/peers.sh" ]; then
    log "asking scripts/peers.sh for CHP_BIN"
    peers_out=$(bash "$ROOT/scripts/peers.sh" 2>"$WORK/peers.err") || warn "scripts/peers.sh failed (see below); installing CHP myself"
    CHP_BIN=$(printf '%s\n' "$peers_out" | sed -n 's/^\(export \)\{0,1\}CHP_BIN=["'\'']\{0,1\}\([^"'\'']*\)["'\'']\{0,1\}$/\2/p' | tail -n1)
    [ -n "$CHP_BIN" ] || tail_of "$WORK/peers.err" 5
fi
if [ -z "${CHP_BIN:-}" ] || [ ! -x "${CHP_BIN:-}" ]; then
    CHP_BIN=$PEERS_DIR/node/node_modules/.bin/configurable-http-proxy
    if [ ! -x "$CHP_BIN" ] || [ "$(chp_version_of "$CHP_BIN")" != "$CHP_VERSION" ]; then
        if [ "$DO_INSTALL" = 1 ]; then
            command -v npm >/dev/null || apt_install nodejs npm
            log "npm install configurable-http-proxy@$CHP_VERSION into $PEERS_DIR/node"
            mkdir -p "$PEERS_DIR/node" "$PEERS_DIR/npm-cache"
            npm_config_cache="$PEERS_DIR/npm-cache" timeout 600 npm install --no-audit --no-fund \
                --prefix "$PEERS_DIR/node" "configurable-http-proxy@$CHP_VERSION" >"$WORK/npm.log" 2>&1 \
                || { warn "npm install failed:"; tail_of "$WORK/npm.log" 5; }
        fi
    fi
fi
CHP_VER=""
[ -x "$CHP_BIN" ] && CHP_VER=$(chp_version_of "$CHP_BIN")
[ -n "$CHP_VER" ] && [ "$CHP_VER" != "$CHP_VERSION" ] && CHP_NOTE="(expected $CHP_VERSION)"

# ---------------------------------------------------------------- build
if [ "$DO_BUILD" = 1 ]; then
    log "cargo build --release -p ganymede-cli -p ganymede-bench (log: $WORK/build.log)"
    if ! (cd "$ROOT" && cargo build --release -p ganymede-cli -p ganymede-bench) >"$WORK/build.log" 2>&1; then
        warn "building ganymede-cli failed; building ganymede-bench alone:"
        tail_of "$WORK/build.log" 8
        (cd "$ROOT" && cargo build --release -p ganymede-bench) >>"$WORK/build.log" 2>&1 \
            || { tail_of "$WORK/build.log" 20; echo "cannot build ganymede-bench" >&2; exit 1; }
        GANY_BUILD_FAILED=1
    fi
fi
[ -x "$BENCH" ] || { echo "missing $BENCH (run without --skip-build)" >&2; exit 1; }

# ---------------------------------------------------------------- helpers
declare -A AVAIL REASON PID API URL WSURL
declare -A S_RPS S_P50 S_P99 S_WMPS S_WP50 S_WP99 S_RRPS S_RP50 S_RP99
declare -A NOTE RSS0 RSS1 RSS2 RSS3 FDS2 IDLE_OK ADD_S ADD_RPS ROUTE_COUNT SOAK_LINE SOAK_SERIES

note() { NOTE[$1]="${NOTE[$1]:-}${NOTE[$1]:+; }$2"; }
fail_proxy() { AVAIL[$1]=0; REASON[$1]=$2; warn "$1: $2"; }
ok() { [ "${AVAIL[$1]:-0}" = 1 ]; }
# Still alive? Otherwise mark it failed with the tail of its log.
check_alive() {
    local n=$1
    ok "$n" || return 1
    [ -z "${PID[$n]:-}" ] && return 0
    if ! alive "${PID[$n]}"; then
        fail_proxy "$n" "process exited unexpectedly ($2); log tail: $(tail -n 3 "$WORK/$n.err" 2>/dev/null | tr '\n' ' ')"
        return 1
    fi
}

median() { printf '%s\n' "$@" | grep -E '^[0-9.eE+-]+$' | sort -g | awk '{a[NR]=$1} END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
fmt() { # fmt DECIMALS VALUE -> value or n/a
    [ -n "${2:-}" ] && awk -v d="$1" -v v="$2" 'BEGIN { printf "%.*f", d, v }' || printf 'n/a'
}
ratio() { # ratio A B -> A/B with 2 decimals, or n/a
    if [ -n "${1:-}" ] && [ -n "${2:-}" ] && awk -v b="$2" 'BEGIN { exit !(b > 0) }'; then
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
    else printf 'n/a'; fi
}
pct() { # pct A B -> 100*A/B %
    if [ -n "${1:-}" ] && [ -n "${2:-}" ] && awk -v b="$2" 'BEGIN { exit !(b > 0) }'; then
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'
    else printf 'n/a'; fi
}
trim() { local x=$1; x=${x% }; printf '%s' "${x// /, }"; }
kv() { grep -o "$1=[^ ]*" <<<"$2" | tail -n1 | cut -d= -f2; }

rss_of() { # MB; nginx master includes its workers
    local n=$1
    if [ "$n" = nginx ] || [ "$n" = direct ]; then "$BENCH" rss --pid "${PID[$n]}" --children 2>/dev/null
    else "$BENCH" rss --pid "${PID[$n]}" 2>/dev/null; fi
}
fds_of() {
    local n=$1 p total=0
    local pids=("${PID[$n]}")
    if [ "$n" = nginx ]; then
        for p in $(cat /proc/"${PID[$n]}"/task/*/children 2>/dev/null); do pids+=("$p"); done
    fi
    for p in "${pids[@]}"; do total=$((total + $(ls /proc/"$p"/fd 2>/dev/null | wc -l))); done
    echo "$total"
}

wait_http() { # wait_http URL SECONDS PID [AUTH] -> 0 when it answers 2xx
    local url=$1 secs=$2 pid=$3 auth=${4:-} code
    for _ in $(seq 1 $((secs * 10))); do
        alive "$pid" || return 1
        if [ -n "$auth" ]; then code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "Authorization: token $auth" "$url")
        else code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url"); fi
        case "$code" in 2*) return 0 ;; esac
        sleep 0.1
    done
    return 1
}

add_route() { # add_route NAME PATH TARGET
    local n=$1 path=$2 target=$3 code
    code=$(curl -s -o "$WORK/$n.route.out" -m 10 -w '%{http_code}' -X POST \
        -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"target\": \"$target\"}" "http://127.0.0.1:${API[$n]}/api/routes$path")
    case "$code" in 2*) return 0 ;; esac
    fail_proxy "$n" "POST /api/routes$path returned HTTP $code: $(head -c 200 "$WORK/$n.route.out" 2>/dev/null)"
    return 1
}

wrk_parse() {
    awk '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
            if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
            return v + 0
        }
        /^Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
        END { printf "rps=%s p50=%s p99=%s non2xx=%d sockerr=%d\n", rps, p50, p99, bad, err }'
}

run_wrk() { # run_wrk NAME URL -> "rps=.. p50=.. p99=.. non2xx=.. sockerr=.."
    local n=$1 url=$2 out
    if [ "$WARMUP" -gt 0 ]; then
        timeout $((WARMUP + 30)) wrk -t1 -c"$CONNS" -d"${WARMUP}s" "$url" >/dev/null 2>&1
    fi
    out=$(timeout $((DURATION + 60)) wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$url" 2>&1)
    printf '%s\n' "$out" >>"$WORK/wrk-$n.log"
    wrk_parse <<<"$out"
}

expect_hello() { # the proxied path must return the backend's body
    local body
    body=$(curl -s -m 5 "$2")
    [ "$body" = "hello" ] && return 0
    fail_proxy "$1" "GET $2 did not return the backend's \"hello\" (got: $(head -c 120 <<<"$body"))"
    return 1
}

# ---------------------------------------------------------------- start backends
read -r P_BACK P_WS P_NGX P_CHP P_CHP_API P_GANY P_GANY_API < <("$BENCH" free-ports --count 7) \
    || { echo "could not find free ports" >&2; exit 1; }

NGX_USER=""
[ "$(id -u)" = 0 ] && NGX_USER="user root;"
nginx_common() { # nginx_common DIR WORKERS
    mkdir -p "$1/tmp"
    cat <<EOF
$NGX_USER
worker_processes $2;
worker_rlimit_nofile $NOFILE;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections $((NOFILE > 20000 ? 19000 : NOFILE - 1000)); multi_accept on; }
EOF
}
nginx_http_common() {
    cat <<EOF
    access_log off;
    client_body_temp_path $1/tmp/body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
    keepalive_timeout 650s;
    keepalive_requests 1000000;
EOF
}

D=$WORK/nginx-backend
mkdir -p "$D"
{
    nginx_common "$D" 1
    echo "http {"
    nginx_http_common "$D"
    cat <<EOF
    server {
        listen 127.0.0.1:$P_BACK backlog=4096;
        location / { default_type text/plain; return 200 "hello"; }
    }
}
EOF
} >"$D/nginx.conf"
log "starting backend: nginx (1 worker) on 127.0.0.1:$P_BACK"
start direct "$NGINX" -p "$D" -c "$D/nginx.conf" -e "$D/error.log" -g 'daemon off;'
PID[direct]=$LAST_PID
if ! wait_http "http://127.0.0.1:$P_BACK/" 10 "${PID[direct]}"; then
    tail_of "$D/error.log"; tail_of "$WORK/direct.err"
    echo "the nginx backend did not start" >&2; exit 1
fi
BACKEND="http://127.0.0.1:$P_BACK"

log "starting WebSocket echo backend"
start ws-echo "$BENCH" ws-echo-server --port "$P_WS"
WS_PID=$LAST_PID
for _ in $(seq 1 50); do [ -s "$WORK/ws-echo.out" ] && break; sleep 0.1; done
alive "$WS_PID" && [ -s "$WORK/ws-echo.out" ] || { tail_of "$WORK/ws-echo.err"; echo "ws-echo-server did not start" >&2; exit 1; }
WS_BACKEND="http://127.0.0.1:$P_WS"

AVAIL[direct]=1
URL[direct]="http://127.0.0.1:$P_BACK"; WSURL[direct]="ws://127.0.0.1:$P_WS"

want() { [[ " $PROXIES " == *" $1 "* ]]; }

# nginx as a reverse proxy: 2 workers, upstream keepalive.
if want nginx; then
    D=$WORK/nginx-proxy
    mkdir -p "$D"
    {
        nginx_common "$D" 2
        echo "http {"
        nginx_http_common "$D"
        cat <<EOF
    upstream backend { server 127.0.0.1:$P_BACK; keepalive 128; keepalive_requests 1000000; keepalive_timeout 600s; }
    upstream wsbackend { server 127.0.0.1:$P_WS; }
    server {
        listen 127.0.0.1:$P_NGX backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
        location /ws/ {
            proxy_pass http://wsbackend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host \$host;
            proxy_read_timeout 3600s;
        }
    }
}
EOF
    } >"$D/nginx.conf"
    log "starting nginx reverse proxy (2 workers) on 127.0.0.1:$P_NGX"
    start nginx "$NGINX" -p "$D" -c "$D/nginx.conf" -e "$D/error.log" -g 'daemon off;'
    PID[nginx]=$LAST_PID
    URL[nginx]="http://127.0.0.1:$P_NGX"; WSURL[nginx]="ws://127.0.0.1:$P_NGX"
    if wait_http "http://127.0.0.1:$P_NGX/" 10 "${PID[nginx]}"; then AVAIL[nginx]=1
    else fail_proxy nginx "did not start: $(tail -n 3 "$D/error.log" "$WORK/nginx.err" 2>/dev/null | tr '\n' ' ')"; fi
    ok nginx && expect_hello nginx "${URL[nginx]}/"
fi

# CHP-compatible proxies: same flags, routes "/" and "/ws" added through the API.
start_chp_like() { # start_chp_like NAME PORT API_PORT CMD...
    local n=$1 port=$2 api=$3; shift 3
    log "starting $n on 127.0.0.1:$port (API $api)"
    CONFIGPROXY_AUTH_TOKEN=$TOKEN start "$n" "$@" --ip 127.0.0.1 --port "$port" \
        --api-ip 127.0.0.1 --api-port "$api" --log-level warn --keep-alive-timeout 600000
    PID[$n]=$LAST_PID; API[$n]=$api
    URL[$n]="http://127.0.0.1:$port"; WSURL[$n]="ws://127.0.0.1:$port"
    if ! wait_http "http://127.0.0.1:$api/api/routes" 20 "${PID[$n]}" "$TOKEN"; then
        if alive "${PID[$n]}"; then
            fail_proxy "$n" "API on 127.0.0.1:$api did not answer GET /api/routes with 2xx within 20 s; log: $(tail -n 3 "$WORK/$n.err" | tr '\n' ' ')"
            stop_pid "${PID[$n]}"
        else
            fail_proxy "$n" "exited at startup; log: $(tail -n 3 "$WORK/$n.err" "$WORK/$n.out" 2>/dev/null | tr '\n' ' ')"
        fi
        return 1
    fi
    AVAIL[$n]=1
    add_route "$n" / "$BACKEND" && add_route "$n" /ws "$WS_BACKEND" || { stop_pid "${PID[$n]}"; return 1; }
    expect_hello "$n" "${URL[$n]}/" || { stop_pid "${PID[$n]}"; return 1; }
}

if want chp; then
    if [ -x "$CHP_BIN" ]; then start_chp_like chp "$P_CHP" "$P_CHP_API" "$CHP_BIN"
    else fail_proxy chp "configurable-http-proxy not found (CHP_BIN=$CHP_BIN)"; fi
fi

if want ganymede; then
    if [ "${GANY_BUILD_FAILED:-0}" = 1 ]; then
        fail_proxy ganymede "cargo build -p ganymede-cli failed (see build log above)"
    elif [ ! -x "$GANY" ]; then
        fail_proxy ganymede "$GANY not built"
    elif ! "$GANY" proxy --help >"$WORK/ganymede-help.txt" 2>&1; then
        fail_proxy ganymede "\`ganymede proxy --help\` failed: $(head -n 2 "$WORK/ganymede-help.txt" | tr '\n' ' ')"
    else
        grep -q -- '--api-port' "$WORK/ganymede-help.txt" \
            || warn "\`ganymede proxy --help\` does not mention --api-port; trying anyway"
        start_chp_like ganymede "$P_GANY" "$P_GANY_API" "$GANY" proxy
    fi
fi

for n in nginx chp ganymede; do
    ok "$n" && RSS0[$n]=$(rss_of "$n")
done

# CPU ticks used by this script and its reaped children, stored in the variable named $1.
# `times` must run in this shell, not in a $(...) subshell, or it reports the subshell.
own_cpu_ticks() {
    times >"$WORK/times"
    printf -v "$1" '%s' "$(awk -v hz="$(getconf CLK_TCK)" '{ for (i = 1; i <= NF; i++) { split($i, m, "m"); sub(/s$/, "", m[2]); s += m[1] * 60 + m[2] } } END { printf "%.0f", s * hz }' "$WORK/times")"
}
BUSY_START=$(cpu_busy_pct)
if [ "$WAIT_QUIET" -gt 0 ] && [ "$BUSY_START" -gt 15 ]; then
    log "other processes use $BUSY_START% CPU; waiting up to ${WAIT_QUIET}s for < 15%"
    quiet_end=$((SECONDS + WAIT_QUIET))
    while [ "$BUSY_START" -gt 15 ] && [ "$SECONDS" -lt "$quiet_end" ]; do
        sleep 3
        BUSY_START=$(cpu_busy_pct)
    done
fi
RUN_STAT0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
own_cpu_ticks RUN_OWN0
log "CPU busy before measuring: $BUSY_START% (other processes)"
[ "$BUSY_START" -gt 15 ] && warn "the machine is busy ($BUSY_START% CPU) before the benchmark; numbers will be noisy"

# ---------------------------------------------------------------- HTTP throughput
ORDER=()
for n in direct nginx chp ganymede; do want "$n" || [ "$n" = direct ] && ORDER+=("$n"); done

log "HTTP: wrk -t1 -c$CONNS -d${DURATION}s (warm-up ${WARMUP}s) x $REPEAT, interleaved: ${ORDER[*]}"
for r in $(seq 1 "$REPEAT"); do
    for n in "${ORDER[@]}"; do
        check_alive "$n" "before wrk" || continue
        res=$(run_wrk "$n" "${URL[$n]}/")
        log "  [$r/$REPEAT] $n: $res"
        rps=$(kv rps "$res")
        [ -n "$rps" ] || { note "$n" "wrk run $r produced no result"; continue; }
        [ "$(kv non2xx "$res")" != 0 ] && note "$n" "run $r: $(kv non2xx "$res") non-2xx responses"
        [ "$(kv sockerr "$res")" != 0 ] && note "$n" "run $r: $(kv sockerr "$res") socket errors"
        S_RPS[$n]+="$rps "; S_P50[$n]+="$(kv p50 "$res") "; S_P99[$n]+="$(kv p99 "$res") "
    done
done

# ---------------------------------------------------------------- WebSocket echo
log "WebSocket echo: ws-load --connections $CONNS --seconds $WS_SECONDS x $REPEAT"
for r in $(seq 1 "$REPEAT"); do
    for n in "${ORDER[@]}"; do
        check_alive "$n" "before ws-load" || continue
        timeout 30 "$BENCH" ws-load --url "${WSURL[$n]}/ws/echo" --connections "$CONNS" --seconds 1 >/dev/null 2>&1
        res=$(timeout $((WS_SECONDS + 60)) "$BENCH" ws-load --url "${WSURL[$n]}/ws/echo" \
            --connections "$CONNS" --seconds "$WS_SECONDS" 2>>"$WORK/ws-load-$n.err")
        log "  [$r/$REPEAT] $n: ${res:-failed: $(tail -n 1 "$WORK/ws-load-$n.err")}"
        m=$(kv msgs_per_sec "$res")
        [ -n "$m" ] || { note "$n" "ws-load run $r failed: $(tail -n 1 "$WORK/ws-load-$n.err")"; continue; }
        e=$(kv errors "$res"); [ "${e:-0}" != 0 ] && note "$n" "ws run $r: $e connection errors"
        S_WMPS[$n]+="$m "; S_WP50[$n]+="$(kv p50_ms "$res") "; S_WP99[$n]+="$(kv p99_ms "$res") "
    done
done

# ---------------------------------------------------------------- route table
DEEP="/user/u$((ROUTES - 1))/api/contents"
RPROXIES=()
for n in chp ganymede; do ok "$n" && RPROXIES+=("$n"); done
for n in "${RPROXIES[@]}"; do
    check_alive "$n" "before add-routes" || continue
    log "adding $ROUTES routes to $n (concurrency $ROUTE_CONCURRENCY)"
    res=$(timeout 900 "$BENCH" add-routes --api "http://127.0.0.1:${API[$n]}" --token "$TOKEN" \
        --count "$ROUTES" --concurrency "$ROUTE_CONCURRENCY" --target "$BACKEND" 2>>"$WORK/add-routes-$n.err")
    log "  $n: ${res:-failed}"
    ADD_S[$n]=$(kv elapsed_s "$res"); ADD_RPS[$n]=$(kv routes_per_sec "$res")
    e=$(kv errors "$res")
    [ "${e:-0}" != 0 ] && note "$n" "add-routes: $e errors: $(tail -n 1 "$WORK/add-routes-$n.err")"
    [ -n "$res" ] || note "$n" "add-routes failed: $(tail -n 1 "$WORK/add-routes-$n.err")"
    if command -v jq >/dev/null; then
        ROUTE_COUNT[$n]=$(curl -s -m 30 -H "Authorization: token $TOKEN" "http://127.0.0.1:${API[$n]}/api/routes" | jq 'length' 2>/dev/null)
        log "  $n: GET /api/routes lists ${ROUTE_COUNT[$n]:-?} routes"
    fi
    expect_hello "$n" "${URL[$n]}$DEEP" || note "$n" "deep route did not answer"
    ok "$n" && RSS1[$n]=$(rss_of "$n")
done

log "HTTP with $ROUTES routes: GET $DEEP x $REPEAT"
for r in $(seq 1 "$REPEAT"); do
    for n in "${RPROXIES[@]}"; do
        check_alive "$n" "before wrk (routes)" || continue
        res=$(run_wrk "$n-routes" "${URL[$n]}$DEEP")
        log "  [$r/$REPEAT] $n: $res"
        rps=$(kv rps "$res")
        [ -n "$rps" ] || continue
        [ "$(kv non2xx "$res")" != 0 ] && note "$n" "routes run $r: $(kv non2xx "$res") non-2xx responses"
        S_RRPS[$n]+="$rps "; S_RP50[$n]+="$(kv p50 "$res") "; S_RP99[$n]+="$(kv p99 "$res") "
    done
done

# ---------------------------------------------------------------- idle connections
if [ "$IDLE" -gt 0 ]; then
    for n in nginx chp ganymede; do
        ok "$n" || continue
        check_alive "$n" "before idle-conns" || continue
        path=/; [ "$n" != nginx ] && path=$DEEP
        log "opening $IDLE idle keep-alive connections to $n"
        start "idle-$n" "$BENCH" idle-conns --url "${URL[$n]}$path" --count "$IDLE" --hold-seconds 900 --report-every 1
        ip=$LAST_PID
        for _ in $(seq 1 1800); do
            grep -q '^READY' "$WORK/idle-$n.out" 2>/dev/null && break
            alive "$ip" || break
            sleep 0.1
        done
        if grep -q '^READY' "$WORK/idle-$n.out" 2>/dev/null; then
            sleep 3
            RSS2[$n]=$(rss_of "$n"); FDS2[$n]=$(fds_of "$n")
            line=$(grep '^idle-conns count=' "$WORK/idle-$n.out")
            live=$(grep -o 'live=[0-9]*' "$WORK/idle-$n.out" | tail -n1 | cut -d= -f2)
            IDLE_OK[$n]="$(kv established "$line")/$IDLE (live $live)"
            log "  $n: $line; now live=$live rss=${RSS2[$n]} MB fds=${FDS2[$n]}"
            [ "$(kv failed "$line")" != 0 ] && note "$n" "idle-conns: $(kv failed "$line") failed: $(tail -n 1 "$WORK/idle-$n.err")"
        else
            note "$n" "idle-conns did not finish opening: $(tail -n 1 "$WORK/idle-$n.err")"
        fi
        stop_pid "$ip"
        check_alive "$n" "during idle-conns" || continue
        sleep 5
        RSS3[$n]=$(rss_of "$n")
    done
fi

# ---------------------------------------------------------------- WebSocket churn soak
if [ "$SOAK_SECONDS" -gt 0 ]; then
    for n in $SOAK_PROXIES; do
        if ! ok "$n"; then
            SOAK_LINE[$n]="skipped: ${REASON[$n]:-not running}"
            warn "soak $n skipped: ${REASON[$n]:-not running}"
            continue
        fi
        if [ "$n" = chp ] || [ "$n" = ganymede ]; then
            # A fresh process, so memory retained from the idle-connection phase cannot hide growth.
            stop_pid "${PID[$n]}"
            read -r sp1 sp2 < <("$BENCH" free-ports --count 2)
            if [ "$n" = chp ]; then start_chp_like chp "$sp1" "$sp2" "$CHP_BIN"
            else start_chp_like ganymede "$sp1" "$sp2" "$GANY" proxy; fi
            if ! ok "$n"; then SOAK_LINE[$n]="skipped: restart failed: ${REASON[$n]:-}"; continue; fi
        fi
        log "WebSocket churn soak through $n for ${SOAK_SECONDS}s ($SOAK_WORKERS workers, RSS every ${SOAK_INTERVAL}s)"
        samples=("$(rss_of "$n")")
        start "soak-$n" "$BENCH" ws-churn --url "${WSURL[$n]}/ws/echo" --connections "$SOAK_WORKERS" \
            --seconds "$SOAK_SECONDS" --echoes 3 --rate "$SOAK_RATE"
        sp=$LAST_PID
        end=$((SECONDS + SOAK_SECONDS + 60))
        while alive "$sp" && [ "$SECONDS" -lt "$end" ]; do
            sleep "$SOAK_INTERVAL"
            alive "${PID[$n]}" || break
            s=$(rss_of "$n") && samples+=("$s")
        done
        stop_pid "$sp"
        sleep 2
        check_alive "$n" "during soak" && samples+=("$(rss_of "$n")")
        res=$(grep '^ws-churn workers=' "$WORK/soak-$n.out")
        first=${samples[0]}; last=${samples[${#samples[@]}-1]}
        max=$(printf '%s\n' "${samples[@]}" | sort -g | tail -n1)
        SOAK_LINE[$n]="| $n | ${SOAK_SECONDS} | $(kv cycles "$res") | $(fmt 0 "$(kv cycles_per_sec "$res")") | $(kv errors "$res") | $first | $last | $max | $(ratio "$last" "$first") |"
        SOAK_SERIES[$n]="${samples[*]}"
        log "  $n: $res; RSS MB: ${samples[*]}"
        e=$(kv errors "$res"); [ "${e:-0}" != 0 ] && note "$n" "soak: $e failed cycles: $(tail -n 1 "$WORK/soak-$n.err")"
    done
fi

# ---------------------------------------------------------------- report
# Stop (and reap) everything we started, so its CPU time is counted; the rest of the
# machine's busy time during the run was other processes competing with the benchmark.
for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
RUN_STAT1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
own_cpu_ticks RUN_OWN1
OTHER_RUN=$(awk -v a="$RUN_STAT0" -v b="$RUN_STAT1" -v o0="$RUN_OWN0" -v o1="$RUN_OWN1" 'BEGIN {
    split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; o = (y[1] - x[1]) - (o1 - o0); if (o < 0) o = 0
    printf "%.0f", (t > 0 ? 100 * o / t : 0) }')
declare -A M_RPS M_P50 M_P99 M_WMPS M_WP50 M_WP99 M_RRPS M_RP50 M_RP99
for n in direct nginx chp ganymede; do
    M_RPS[$n]=$(median ${S_RPS[$n]:-}); M_P50[$n]=$(median ${S_P50[$n]:-}); M_P99[$n]=$(median ${S_P99[$n]:-})
    M_WMPS[$n]=$(median ${S_WMPS[$n]:-}); M_WP50[$n]=$(median ${S_WP50[$n]:-}); M_WP99[$n]=$(median ${S_WP99[$n]:-})
    M_RRPS[$n]=$(median ${S_RRPS[$n]:-}); M_RP50[$n]=$(median ${S_RP50[$n]:-}); M_RP99[$n]=$(median ${S_RP99[$n]:-})
done

label() {
    case "$1" in
        direct) echo "direct (nginx 1 worker, \`return 200\`)" ;;
        nginx) echo "nginx 2 workers, upstream keepalive" ;;
        chp) echo "configurable-http-proxy ${CHP_VER:-?}$CHP_NOTE" ;;
        ganymede) echo "ganymede proxy" ;;
    esac
}
per_conn() { # KB of RSS per idle connection
    local a=${RSS1[$1]:-${RSS0[$1]:-}} b=${RSS2[$1]:-}
    if [ -n "$a" ] && [ -n "$b" ] && [ "$IDLE" -gt 0 ]; then awk -v a="$a" -v b="$b" -v n="$IDLE" 'BEGIN { printf "%.1f", (b - a) * 1024 / n }'
    else printf 'n/a'; fi
}
status_cell() { ok "$1" && return; printf 'not measured: %s' "${REASON[$1]:-not requested}"; }

commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commits yet")
[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n1)" ] && commit="$commit (dirty worktree)"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
gver=""; ok ganymede && gver=$("$GANY" --version 2>/dev/null | head -n1)

report() {
    echo "# Ganymede proxy benchmark"
    echo
    echo "- command: \`$CMDLINE\`"
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); commit: $commit"
    echo "- machine: $(nproc) CPUs ($cpu), $mem RAM, kernel $(uname -r), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"); load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- tools: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2), node $(node --version 2>/dev/null || echo n/a), CHP ${CHP_VER:-n/a}${gver:+, $gver}"
    echo "- CPU used by other processes: $BUSY_START% just before the measurements; during the run: $OTHER_RUN%$( [ "$OTHER_RUN" -gt 10 ] && echo " -- **other processes competed for the CPUs; numbers are noisy**")"
    echo "- method: everything on 127.0.0.1, client and servers share the $(nproc) CPUs; wrk -t1 -c$CONNS -d${DURATION}s --latency after a ${WARMUP}s warm-up; ws-load $CONNS connections x ${WS_SECONDS}s; median of $REPEAT interleaved runs"
    echo
    echo "## HTTP: GET / through each path"
    echo
    echo "| path | req/s | p50 ms | p99 ms | share of direct |"
    echo "|---|---:|---:|---:|---:|"
    for n in "${ORDER[@]}"; do
        if [ -n "${M_RPS[$n]}" ]; then
            echo "| $(label "$n") | $(fmt 0 "${M_RPS[$n]}") | $(fmt 3 "${M_P50[$n]}") | $(fmt 3 "${M_P99[$n]}") | $(pct "${M_RPS[$n]}" "${M_RPS[direct]}") |"
        else
            echo "| $(label "$n") | n/a | n/a | n/a | $(status_cell "$n") |"
        fi
    done
    echo
    echo "Ratios (req/s): ganymede/nginx **$(ratio "${M_RPS[ganymede]}" "${M_RPS[nginx]}")**, ganymede/CHP **$(ratio "${M_RPS[ganymede]}" "${M_RPS[chp]}")**, CHP/nginx $(ratio "${M_RPS[chp]}" "${M_RPS[nginx]}"). p99 latency ganymede/nginx $(ratio "${M_P99[ganymede]}" "${M_P99[nginx]}"), ganymede/CHP $(ratio "${M_P99[ganymede]}" "${M_P99[chp]}")."
    echo
    echo "## WebSocket echo ($CONNS connections, one message in flight per connection)"
    echo
    echo "| path | msgs/s | p50 ms | p99 ms | share of direct |"
    echo "|---|---:|---:|---:|---:|"
    for n in "${ORDER[@]}"; do
        local l; l=$(label "$n"); [ "$n" = direct ] && l="direct (ganymede-bench ws-echo-server)"
        if [ -n "${M_WMPS[$n]}" ]; then
            echo "| $l | $(fmt 0 "${M_WMPS[$n]}") | $(fmt 3 "${M_WP50[$n]}") | $(fmt 3 "${M_WP99[$n]}") | $(pct "${M_WMPS[$n]}" "${M_WMPS[direct]}") |"
        else
            echo "| $l | n/a | n/a | n/a | $(status_cell "$n") |"
        fi
    done
    echo
    echo "Ratios (msgs/s): ganymede/nginx **$(ratio "${M_WMPS[ganymede]}" "${M_WMPS[nginx]}")**, ganymede/CHP **$(ratio "${M_WMPS[ganymede]}" "${M_WMPS[chp]}")**."
    echo
    echo "## Route table: $ROUTES routes added through the REST API"
    echo
    echo "| proxy | add $ROUTES routes (s) | routes/s | routes listed | req/s with $ROUTES routes | p50 ms | p99 ms | vs. same proxy with 2 routes | share of direct |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for n in chp ganymede; do
        want "$n" || continue
        if [ -n "${ADD_S[$n]:-}${M_RRPS[$n]}" ]; then
            echo "| $(label "$n") | $(fmt 2 "${ADD_S[$n]:-}") | $(fmt 0 "${ADD_RPS[$n]:-}") | ${ROUTE_COUNT[$n]:-n/a} | $(fmt 0 "${M_RRPS[$n]}") | $(fmt 3 "${M_RP50[$n]}") | $(fmt 3 "${M_RP99[$n]}") | $(pct "${M_RRPS[$n]}" "${M_RPS[$n]}") | $(pct "${M_RRPS[$n]}" "${M_RPS[direct]}") |"
        else
            echo "| $(label "$n") | n/a | n/a | n/a | n/a | n/a | n/a | n/a | $(status_cell "$n") |"
        fi
    done
    echo
    echo "Requests go to \`$DEEP\` (matches route \`/user/u$((ROUTES - 1))\`, the last one added; concurrency $ROUTE_CONCURRENCY). Ratios: add time CHP/ganymede **$(ratio "${ADD_S[chp]:-}" "${ADD_S[ganymede]:-}")** (>1 = ganymede faster); req/s ganymede/CHP **$(ratio "${M_RRPS[ganymede]}" "${M_RRPS[chp]}")**."
    echo
    echo "## Memory: RSS in MB"
    echo
    echo "| proxy | started, 2 routes | + $ROUTES routes | + $IDLE idle keep-alive conns | open fds then | conns established | 5 s after closing them |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for n in nginx chp ganymede; do
        want "$n" || continue
        if [ -n "${RSS0[$n]:-}" ]; then
            local r1=${RSS1[$n]:-}; [ "$n" = nginx ] && r1="(no API)"
            echo "| $(label "$n") | ${RSS0[$n]} | ${r1:-n/a} | ${RSS2[$n]:-n/a} | ${FDS2[$n]:-n/a} | ${IDLE_OK[$n]:-n/a} | ${RSS3[$n]:-n/a} |"
        else
            echo "| $(label "$n") | n/a | n/a | n/a | n/a | n/a | $(status_cell "$n") |"
        fi
    done
    echo
    echo "nginx is master + 2 workers and has no route table (its idle conns hit \`/\`). Per idle connection: nginx $(per_conn nginx), CHP $(per_conn chp), ganymede $(per_conn ganymede) KB. Ratio RSS with idle conns ganymede/CHP **$(ratio "${RSS2[ganymede]:-}" "${RSS2[chp]:-}")**, ganymede/nginx $(ratio "${RSS2[ganymede]:-}" "${RSS2[nginx]:-}")."
    if [ "$SOAK_SECONDS" -gt 0 ]; then
        echo
        echo "## WebSocket churn soak ($SOAK_WORKERS workers: open, 3 echoes, close; RSS sampled every ${SOAK_INTERVAL}s)"
        echo
        echo "CHP and ganymede are restarted for the soak (2 routes), so their first sample is a fresh process."
        echo
        echo "| proxy | seconds | cycles | cycles/s | failed cycles | RSS first MB | RSS last MB | RSS max MB | last/first |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for n in $SOAK_PROXIES; do
            if [[ "${SOAK_LINE[$n]:-}" == "|"* ]]; then echo "${SOAK_LINE[$n]}"
            else echo "| $n | n/a | n/a | n/a | n/a | n/a | n/a | n/a | ${SOAK_LINE[$n]:-not run} |"; fi
        done
        for n in $SOAK_PROXIES; do
            [ -n "${SOAK_SERIES[$n]:-}" ] && echo && echo "RSS samples $n (MB): ${SOAK_SERIES[$n]}"
        done
    fi
    echo
    echo "## Raw samples"
    echo
    for n in "${ORDER[@]}"; do
        echo "- $n: HTTP req/s [$(trim "${S_RPS[$n]:-}")]; WS msgs/s [$(trim "${S_WMPS[$n]:-}")]${S_RRPS[$n]:+; req/s with routes [$(trim "${S_RRPS[$n]}")]}"
    done
    local any=0
    for n in direct nginx chp ganymede; do
        if [ -n "${NOTE[$n]:-}" ] || { want "$n" && ! ok "$n"; }; then
            [ "$any" = 0 ] && { echo; echo "## Problems"; echo; any=1; }
            [ -n "${REASON[$n]:-}" ] && echo "- $n: ${REASON[$n]}"
            [ -n "${NOTE[$n]:-}" ] && echo "- $n: ${NOTE[$n]}"
        fi
    done
    return 0
}

report | tee "$WORK/report.md"
if [ -z "$OUT" ]; then
    mkdir -p "$ROOT/bench/out" && OUT="$ROOT/bench/out/proxy-$(date -u +%Y%m%dT%H%M%SZ).md"
fi
cp "$WORK/report.md" "$OUT" && log "report written to $OUT"
