#!/usr/bin/env bash
# Hub benchmark: Python JupyterHub 6.1.1 vs `ganymede serve`, side by side, on the REST API.
#
#   bash bench/hub.sh [options] [SIZES...]          (default sizes: 1000 10000; see --help)
#
# For every size (users in the database) it creates the missing users through
# POST /hub/api/users (100 names per call, timed), restarts each hub (time until
# GET /hub/api answers 200), measures GET /hub/api/users/{name}, /users?limit=200,
# /users?offset=<random page>&limit=200 and /user with wrk (1 thread, 16 connections,
# a service token with admin scopes), and reads each hub's RSS and CPU use.
# A markdown report goes to stdout (progress to stderr). Only 127.0.0.1 is used;
# every process the script starts is killed on exit.

set -uo pipefail
CMDLINE="bash bench/hub.sh${*:+ $*}"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- options
SIZES=()
REPEAT=3
DURATION=10
WARMUP=2
CONNS=16
THREADS=1
BATCH=100
SKIP_JH_ABOVE=""
HUBS="jupyterhub ganymede"
JH_PROXY=chp
DO_INSTALL=1
DO_BUILD=auto
OUT=""
KEEP_TMP=0
WAIT_QUIET=0
PEERS_DIR=${GANYMEDE_PEERS_DIR:-/var/cache/ganymede-peers}
GANY=${GANYMEDE_BIN:-}

usage() {
    cat <<EOF
Usage: bash bench/hub.sh [options] [SIZES...]

SIZES are user counts, measured in increasing order on the same databases
(default: 1000 10000; add 100000 for the large run).

  --repeat N                 wrk runs per measurement; the report shows the median (default $REPEAT)
  --duration S               seconds per wrk run (default $DURATION)
  --warmup S                 unrecorded wrk run before the first measurement of each size (default $WARMUP)
  --connections N            wrk connections (default $CONNS; wrk always uses $THREADS thread)
  --batch N                  user names per POST /hub/api/users (default $BATCH)
  --skip-jupyterhub-above N  measure JupyterHub only at sizes <= N (it needs ~12 ms per user created)
  --hubs L                   subset of "jupyterhub ganymede" (default both)
  --jupyterhub-proxy P       proxy JupyterHub starts: chp (configurable-http-proxy, default) or ganymede
  --ganymede-bin PATH        the ganymede binary (env GANYMEDE_BIN; default \$CARGO_TARGET_DIR/release/ganymede)
  --build                    run cargo build --release --bin ganymede even if the binary exists
  --skip-build               never build (the binary must exist)
  --skip-install             don't apt-get install wrk / run scripts/peers.sh
  --wait-quiet S             before measuring, wait up to S seconds for other processes to use < 15% CPU
  --out FILE                 also write the report to FILE (default bench/out/hub-<UTC time>.md)
  --keep-tmp                 keep the temporary directory (configs, databases, logs)
  -h, --help                 this help

Environment: CARGO_TARGET_DIR (default <repo>/target), GANYMEDE_BIN, CHP_BIN,
GANYMEDE_PEERS_DIR (default /var/cache/ganymede-peers: the JupyterHub venv and CHP from scripts/peers.sh).
EOF
}

need_arg() { [ $# -ge 2 ] || { echo "missing value for $1" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) need_arg "$@"; REPEAT=$2; shift 2 ;;
        --duration) need_arg "$@"; DURATION=$2; shift 2 ;;
        --warmup) need_arg "$@"; WARMUP=$2; shift 2 ;;
        --connections) need_arg "$@"; CONNS=$2; shift 2 ;;
        --batch) need_arg "$@"; BATCH=$2; shift 2 ;;
        --skip-jupyterhub-above) need_arg "$@"; SKIP_JH_ABOVE=$2; shift 2 ;;
        --hubs) need_arg "$@"; HUBS=$2; shift 2 ;;
        --jupyterhub-proxy) need_arg "$@"; JH_PROXY=$2; shift 2 ;;
        --ganymede-bin) need_arg "$@"; GANY=$2; shift 2 ;;
        --build) DO_BUILD=1; shift ;;
        --skip-build) DO_BUILD=0; shift ;;
        --skip-install) DO_INSTALL=0; shift ;;
        --wait-quiet) need_arg "$@"; WAIT_QUIET=$2; shift 2 ;;
        --out) need_arg "$@"; OUT=$2; shift 2 ;;
        --keep-tmp) KEEP_TMP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
        *) SIZES+=("$1"); shift ;;
    esac
done
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000)
for v in REPEAT DURATION WARMUP CONNS BATCH WAIT_QUIET; do
    case "${!v}" in ''|*[!0-9]*) echo "--${v,,} must be a non-negative integer" >&2; exit 2 ;; esac
done
for s in "${SIZES[@]}" ${SKIP_JH_ABOVE:+"$SKIP_JH_ABOVE"}; do
    case "$s" in ''|*[!0-9]*) echo "sizes must be positive integers, not $s" >&2; exit 2 ;; esac
done
[ "$REPEAT" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$BATCH" -ge 1 ] && [ "$CONNS" -ge 1 ] \
    || { echo "--repeat, --duration, --batch and --connections must be >= 1" >&2; exit 2; }
mapfile -t SIZES < <(printf '%s\n' "${SIZES[@]}" | sort -n | uniq)
[ "${SIZES[0]}" -ge 1 ] || { echo "sizes must be >= 1" >&2; exit 2; }
case "$JH_PROXY" in chp|ganymede) ;; *) echo "--jupyterhub-proxy must be chp or ganymede" >&2; exit 2 ;; esac
for h in $HUBS; do
    case "$h" in jupyterhub|ganymede) ;; *) echo "--hubs takes jupyterhub and/or ganymede, not $h" >&2; exit 2 ;; esac
done
want() { [[ " $HUBS " == *" $1 "* ]]; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
[ -n "$GANY" ] || GANY=$TARGET_DIR/release/ganymede
VENV=$PEERS_DIR/venv
PY=$VENV/bin/python
TOKEN="bench$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
PROXY_TOKEN="proxy$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
PASSWORD="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
PREFIX=user
HZ=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/ganymede-hubbench.XXXXXX)
chmod 755 "$WORK"

log() { printf '[hubbench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[hubbench %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tail_of() { [ -f "$1" ] && tail -n "${2:-5}" "$1" | sed 's/^/    /' >&2; }

# ---------------------------------------------------------------- process bookkeeping
PIDS=()
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
stop_pid() { # SIGTERM, wait up to $2 seconds (default 15), then SIGKILL
    local p=$1 secs=${2:-15}
    alive "$p" || return 0
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 $((secs * 20))); do alive "$p" || break; sleep 0.05; done
    alive "$p" && { warn "pid $p ignored SIGTERM for ${secs}s; killing it"; kill -KILL "$p" 2>/dev/null; }
    wait "$p" 2>/dev/null
    return 0
}
children_of() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$'; }
cleanup() {
    local p
    for p in "${PIDS[@]}"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
    sleep 1
    for p in "${PIDS[@]}"; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "$KEEP_TMP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- install and build
apt_install() {
    [ "$(id -u)" = 0 ] || { warn "not root: cannot apt-get install $*"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$WORK/apt.log" 2>&1 || {
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$WORK/apt.log" 2>&1
    } || { warn "apt-get install $* failed:"; tail_of "$WORK/apt.log" 5; return 1; }
}
if [ "$DO_INSTALL" = 1 ]; then
    missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v curl >/dev/null || missing+=(curl)
    [ ${#missing[@]} -eq 0 ] || { log "apt-get install ${missing[*]}"; apt_install "${missing[@]}"; }
fi
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

JH_VER=""; CHP_VER=""
if want jupyterhub; then
    # scripts/peers.sh installs the JupyterHub 6.1.1 venv and CHP; another run may be installing right now.
    for _ in $(seq 1 120); do
        [ -f "$VENV/.ganymede-peers-stamp" ] && break
        [ "$_" = 1 ] && log "waiting for $VENV/.ganymede-peers-stamp (scripts/peers.sh may be installing)"
        sleep 5
    done
    if [ "$DO_INSTALL" = 1 ] && { [ ! -x "$VENV/bin/jupyterhub" ] || [ ! -f "$PEERS_DIR/env" ]; }; then
        log "bash scripts/peers.sh (log: $WORK/peers.log)"
        bash "$ROOT/scripts/peers.sh" >"$WORK/peers.out" 2>"$WORK/peers.log" || { warn "scripts/peers.sh failed:"; tail_of "$WORK/peers.log"; }
    fi
    if [ -z "${CHP_BIN:-}" ] && [ -f "$PEERS_DIR/env" ]; then
        CHP_BIN=$(sed -n 's/^CHP_BIN=//p' "$PEERS_DIR/env" | tail -n1)
    fi
    if [ ! -x "$VENV/bin/jupyterhub" ]; then
        warn "no JupyterHub in $VENV (run bash scripts/peers.sh); measuring Ganymede alone"
        HUBS=${HUBS//jupyterhub/}
    else
        JH_VER=$("$VENV/bin/jupyterhub" --version 2>/dev/null | tail -n1)
        [ "$JH_VER" = 6.1.1 ] || warn "JupyterHub in $VENV is $JH_VER, not 6.1.1"
    fi
    if want jupyterhub && [ "$JH_PROXY" = chp ]; then
        if [ -x "${CHP_BIN:-}" ]; then
            CHP_VER=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$(dirname "$(readlink -f "$CHP_BIN")")/../package.json" 2>/dev/null | head -n1)
        else
            warn "configurable-http-proxy not found (CHP_BIN=${CHP_BIN:-unset}); JupyterHub will use ganymede proxy"
            JH_PROXY=ganymede
        fi
    fi
fi
# Helpers run with the venv's Python when there is one (only the standard library is used).
[ -x "$PY" ] || PY=$(command -v python3) || { echo "python3 is required" >&2; exit 1; }

if [ "$DO_BUILD" = 1 ] || { [ "$DO_BUILD" = auto ] && [ ! -x "$GANY" ]; }; then
    log "cargo build --release --bin ganymede (CARGO_TARGET_DIR=$TARGET_DIR; log: $WORK/build.log)"
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET_DIR cargo build --release --bin ganymede) >"$WORK/build.log" 2>&1 \
        || { tail_of "$WORK/build.log" 20; echo "cannot build ganymede" >&2; exit 1; }
    GANY=$TARGET_DIR/release/ganymede
fi
if want ganymede || [ "$JH_PROXY" = ganymede ]; then
    [ -x "$GANY" ] || { echo "missing $GANY (drop --skip-build, or pass --ganymede-bin)" >&2; exit 1; }
    head_time=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)
    [ "$(stat -c %Y "$GANY")" -lt "$head_time" ] && warn "$GANY is older than the last commit; pass --build to rebuild it"
fi

# ---------------------------------------------------------------- Python helper (standard library only)
cat >"$WORK/hubtool.py" <<'PYEOF'
import http.client, json, random, socket, sys, time

def conn(port):
    return http.client.HTTPConnection("127.0.0.1", int(port), timeout=3600)

def populate(port, token, prefix, start, end, batch):
    """POST /hub/api/users with `batch` names per call, one call at a time, on one keep-alive connection."""
    start, end, batch = int(start), int(end), int(batch)
    c = conn(port)
    hdr = {"Authorization": "token " + token, "Content-Type": "application/json"}
    t0 = time.monotonic()
    calls = 0
    step = max((end - start) // 10, batch)
    next_report = start + step
    for i in range(start, end, batch):
        names = [f"{prefix}{j}" for j in range(i, min(end, i + batch))]
        c.request("POST", "/hub/api/users", json.dumps({"usernames": names}), hdr)
        r = c.getresponse()
        body = r.read()
        if r.status != 201:
            print(f"error=HTTP{r.status} at={i} body={body[:300]!r}", file=sys.stderr)
            sys.exit(1)
        calls += 1
        done = min(end, i + batch)
        if done >= next_report and done < end:
            print(f"  {done - start}/{end - start} users in {time.monotonic() - t0:.1f}s", file=sys.stderr, flush=True)
            next_report += step
    print(f"seconds={time.monotonic() - t0:.3f} users={end - start} calls={calls}")

def ready(port, timeout):
    """Poll GET /hub/api every 10 ms until it answers 200; exit 1 after `timeout` seconds."""
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=2)
            c.request("GET", "/hub/api")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.01)
    sys.exit(1)

def total(port, token):
    """Users in the hub, from the pagination envelope of GET /hub/api/users?limit=1."""
    c = conn(port)
    c.request("GET", "/hub/api/users?limit=1", headers={
        "Authorization": "token " + token, "Accept": "application/jupyterhub-pagination+json"})
    r = c.getresponse()
    body = json.loads(r.read())
    print(body["_pagination"]["total"])

def check(port, token, path, want):
    """GET path; print the status and the first bytes of the body when it is not `want`."""
    c = conn(port)
    c.request("GET", path, headers={"Authorization": "token " + token})
    r = c.getresponse()
    body = r.read()
    if r.status != int(want):
        print(f"HTTP {r.status}: {body[:200]!r}")
        sys.exit(1)

def ports(n):
    """n free TCP ports on 127.0.0.1, below the ephemeral range so outgoing connections can't take them."""
    got = set()
    while len(got) < int(n):
        p = random.randint(20000, 30000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            got.add(p)
        except OSError:
            pass
        finally:
            s.close()
    print(" ".join(map(str, sorted(got))))

if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
PYEOF
tool() { "$PY" "$WORK/hubtool.py" "$@"; }

# ---------------------------------------------------------------- measurement helpers
declare -A PID HUBPORT S_RPS S_P50 S_P99 S_CPU S_BUSY M_RPS M_P50 M_P99 M_CPU M_BUSY
declare -A FIRST_READY CREATE_S CREATE_N READY_S RSS_READY RSS_END HWM_END PROXY_RSS NOTE MEASURED TOTAL

note() { NOTE[$1]="${NOTE[$1]:-}${NOTE[$1]:+; }$2"; }
median() { printf '%s\n' "$@" | grep -E '^[0-9.eE+-]+$' | sort -g | awk '{a[NR]=$1} END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
fmt() { [ -n "${2:-}" ] && awk -v d="$1" -v v="$2" 'BEGIN { printf "%.*f", d, v }' || printf 'n/a'; }
fmtk() { [ -n "${1:-}" ] && awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); n = length(s); o = ""; for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," } printf "%s", o }' || printf 'n/a'; }
better() { # better HIGHER|LOWER GANYMEDE JUPYTERHUB -> how many times better Ganymede is ("12.3x")
    local dir=$1 g=${2:-} j=${3:-}
    if [ -z "$g" ] || [ -z "$j" ]; then printf 'n/a'; return; fi
    awk -v d="$dir" -v g="$g" -v j="$j" 'BEGIN {
        if (d == "HIGHER") { if (j <= 0) { print "n/a"; exit } r = g / j } else { if (g <= 0) { print "n/a"; exit } r = j / g }
        printf (r >= 10 ? "%.0fx" : "%.2fx"), r }'
}
kv() { grep -o "$1=[^ ]*" <<<"$2" | tail -n1 | cut -d= -f2; }
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' /proc/"$1"/status 2>/dev/null; }
hwm_mb() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' /proc/"$1"/status 2>/dev/null; }
ticks() { sed 's/.*) //' /proc/"$1"/stat 2>/dev/null | awk '{ print $12 + $13 }'; }
stat_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
cpu_busy_pct() { # share of all CPUs busy over 2 s
    local a b
    a=$(stat_busy); sleep 2; b=$(stat_busy)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }'
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

# The four measured calls. {name} and {page} are chosen at random by a wrk Lua script per size.
EPS=(name list page user)
declare -A EP_LABEL=(
    [name]="GET /hub/api/users/{name}"
    [list]="GET /hub/api/users?limit=200"
    [page]="GET /hub/api/users?offset={random page}&limit=200"
    [user]="GET /hub/api/user"
)
declare -A EP_PATH=([name]=/hub/api/users/${PREFIX}0 [list]="/hub/api/users?limit=200" [page]="/hub/api/users?offset=0&limit=200" [user]=/hub/api/user)
write_lua() { # write_lua SIZE: Lua scripts that pick a random user name / page among SIZE users
    local n=$1
    cat >"$WORK/name-$n.lua" <<EOF
math.randomseed(4242)
request = function()
  return wrk.format("GET", "/hub/api/users/$PREFIX" .. math.random(0, $((n - 1))))
end
EOF
    cat >"$WORK/page-$n.lua" <<EOF
math.randomseed(4243)
request = function()
  return wrk.format("GET", "/hub/api/users?offset=" .. (200 * math.random(0, $(((n - 1) / 200)))) .. "&limit=200")
end
EOF
}

# run_wrk HUB EP SIZE SECONDS -> "rps=.. p50=.. p99=.. non2xx=.. sockerr=.. cpu=<hub %> busy=<machine %>"
run_wrk() {
    local h=$1 ep=$2 n=$3 secs=$4 out t0 t1 c0 c1 b0 b1
    local args=(-t"$THREADS" -c"$CONNS" -d"${secs}s" --latency -H "Authorization: token $TOKEN")
    case "$ep" in name|page) args+=(-s "$WORK/$ep-$n.lua") ;; esac
    c0=$(ticks "${PID[$h]}"); b0=$(stat_busy); t0=$EPOCHREALTIME
    out=$(timeout $((secs + 60)) wrk "${args[@]}" "http://127.0.0.1:${HUBPORT[$h]}${EP_PATH[$ep]}" 2>&1)
    t1=$EPOCHREALTIME; c1=$(ticks "${PID[$h]}"); b1=$(stat_busy)
    printf '== %s %s %s users\n%s\n' "$h" "$ep" "$n" "$out" >>"$WORK/wrk.log"
    local cpu busy
    cpu=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN { printf "%.0f", 100 * (b - a) / hz / (t1 - t0) }')
    busy=$(awk -v a="$b0" -v b="$b1" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }')
    echo "$(wrk_parse <<<"$out") cpu=$cpu busy=$busy"
}

# ---------------------------------------------------------------- hub configs and start/stop
read -r P_JH_PUB P_JH_HUB P_JH_API P_G_PUB P_G_HUB P_G_API < <(tool ports 6) || { echo "no free ports" >&2; exit 1; }
HUBPORT[jupyterhub]=$P_JH_HUB
HUBPORT[ganymede]=$P_G_HUB
SCOPES='"admin:users", "admin:servers", "admin:groups", "tokens", "read:hub", "proxy"'

JH_DIR=$WORK/jupyterhub
mkdir -p "$JH_DIR"
if [ "$JH_PROXY" = chp ]; then JH_PROXY_CMD="['${CHP_BIN:-configurable-http-proxy}']"; else JH_PROXY_CMD="['$GANY', 'proxy']"; fi
cat >"$JH_DIR/jupyterhub_config.py" <<EOF
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:$P_JH_PUB"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:$P_JH_HUB"
c.JupyterHub.db_url = "sqlite:///$JH_DIR/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "$JH_DIR/cookie_secret"
c.JupyterHub.pid_file = "$JH_DIR/jupyterhub.pid"
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = "$PASSWORD"
c.Authenticator.allow_all = True
c.JupyterHub.services = [{"name": "bench", "api_token": "$TOKEN"}]
c.JupyterHub.load_roles = [{"name": "bench-admin", "scopes": [$SCOPES], "services": ["bench"]}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:$P_JH_API"
c.ConfigurableHTTPProxy.auth_token = "$PROXY_TOKEN"
c.ConfigurableHTTPProxy.command = $JH_PROXY_CMD
c.ConfigurableHTTPProxy.pid_file = "$JH_DIR/proxy.pid"
EOF

G_DIR=$WORK/ganymede
mkdir -p "$G_DIR"
cat >"$G_DIR/ganymede.toml" <<EOF
[hub]
bind_url = "http://127.0.0.1:$P_G_PUB"
hub_bind_url = "http://127.0.0.1:$P_G_HUB"
data_dir = "$G_DIR"
db_url = "sqlite:///$G_DIR/ganymede.sqlite"

[[hub.services]]
name = "bench"
api_token = "$TOKEN"

[[hub.load_roles]]
name = "bench-admin"
scopes = [$SCOPES]
services = ["bench"]

[authenticator]
allow_all = true

[authenticator.shared_password]
user_password = "$PASSWORD"

[proxy]
mode = "internal"
api_url = "http://127.0.0.1:$P_G_API"

# The API benchmark starts no server: never prepare a jupyterhub-singleuser venv.
[spawner]
cmd = ["/bin/false"]
EOF

RESTARTS=0
# start_hub HUB: start it and wait until GET /hub/api answers 200; sets PID[HUB], LAST_READY (seconds).
start_hub() {
    local h=$1 t0 t1
    RESTARTS=$((RESTARTS + 1))
    t0=$EPOCHREALTIME
    case "$h" in
        jupyterhub)
            (cd "$JH_DIR" && exec "$VENV/bin/jupyterhub" -f "$JH_DIR/jupyterhub_config.py") \
                >>"$WORK/jupyterhub.log" 2>&1 &
            ;;
        ganymede)
            (cd "$G_DIR" && exec "$GANY" serve -f "$G_DIR/ganymede.toml") >>"$WORK/ganymede.log" 2>&1 &
            ;;
    esac
    PID[$h]=$!
    PIDS+=("${PID[$h]}")
    if ! tool ready "${HUBPORT[$h]}" 300; then
        LAST_READY=""
        warn "$h did not answer GET /hub/api within 300 s; log tail:"; tail_of "$WORK/$h.log" 10
        return 1
    fi
    t1=$EPOCHREALTIME
    LAST_READY=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    alive "${PID[$h]}" || { warn "$h exited after answering"; return 1; }
    # The proxy JupyterHub started: stop it with everything else if JupyterHub cannot.
    if [ "$h" = jupyterhub ]; then
        local c
        for c in $(children_of "${PID[$h]}"); do PIDS+=("$c"); done
    fi
    return 0
}
stop_hub() {
    local h=$1
    [ -n "${PID[$h]:-}" ] || return 0
    local kids
    kids=$(children_of "${PID[$h]}")
    stop_pid "${PID[$h]}" 30
    for c in $kids; do stop_pid "$c" 5; done   # JupyterHub stops its proxy itself; this is a backstop
    PID[$h]=""
}
proxy_rss() { # RSS of JupyterHub's proxy child, MB
    local c total=""
    for c in $(children_of "${PID[jupyterhub]}"); do total=$(awk -v t="${total:-0}" -v r="$(rss_mb "$c")" 'BEGIN { printf "%.1f", t + r }'); done
    echo "$total"
}
hub_ok() { [ -n "${PID[$1]:-}" ] && alive "${PID[$1]}"; }

# ---------------------------------------------------------------- start
LIVE=()
for h in jupyterhub ganymede; do
    want "$h" || continue
    log "starting $h (hub API on 127.0.0.1:${HUBPORT[$h]})"
    if start_hub "$h"; then
        if msg=$(tool check "${HUBPORT[$h]}" "$TOKEN" /hub/api/user 200); then
            LIVE+=("$h"); FIRST_READY[$h]=$LAST_READY
            log "  $h ready in ${LAST_READY}s"
        else
            warn "$h: GET /hub/api/user with the service token: $msg"; note "$h" "the service token does not work: $msg"
            stop_hub "$h"
        fi
    else
        note "$h" "did not start: $(tail -n 3 "$WORK/$h.log" | tr '\n' ' ')"
    fi
done
[ ${#LIVE[@]} -gt 0 ] || { echo "no hub started" >&2; exit 1; }

BUSY_START=$(cpu_busy_pct)
if [ "$WAIT_QUIET" -gt 0 ] && [ "$BUSY_START" -gt 15 ]; then
    log "other processes use $BUSY_START% CPU; waiting up to ${WAIT_QUIET}s for < 15%"
    quiet_end=$((SECONDS + WAIT_QUIET))
    while [ "$BUSY_START" -gt 15 ] && [ "$SECONDS" -lt "$quiet_end" ]; do sleep 3; BUSY_START=$(cpu_busy_pct); done
fi
log "CPU busy before measuring: $BUSY_START% (other processes)"
[ "$BUSY_START" -gt 15 ] && warn "the machine is busy ($BUSY_START% CPU); numbers will be noisy"

# CPU ticks of this script and its reaped children, into the variable named $1 (must run in this shell).
own_cpu_ticks() {
    times >"$WORK/times"
    printf -v "$1" '%s' "$(awk -v hz="$HZ" '{ for (i = 1; i <= NF; i++) { split($i, m, "m"); sub(/s$/, "", m[2]); s += m[1] * 60 + m[2] } } END { printf "%.0f", s * hz }' "$WORK/times")"
}
RUN_STAT0=$(stat_busy)
own_cpu_ticks RUN_OWN0

# ---------------------------------------------------------------- per size
PREV=0
for N in "${SIZES[@]}"; do
    log "==== $N users"
    write_lua "$N"
    HS=()
    for h in "${LIVE[@]}"; do
        hub_ok "$h" || continue
        if [ "$h" = jupyterhub ] && [ -n "$SKIP_JH_ABOVE" ] && [ "$N" -gt "$SKIP_JH_ABOVE" ]; then
            log "  stopping JupyterHub: --skip-jupyterhub-above $SKIP_JH_ABOVE"
            stop_hub "$h"
            continue
        fi
        HS+=("$h")
    done
    [ ${#HS[@]} -gt 0 ] || { warn "no hub left to measure"; break; }
    # 1. create the missing users, 100 per call, one call at a time
    for h in "${HS[@]}"; do
        log "  $h: creating users $PREFIX$PREV .. $PREFIX$((N - 1)) ($BATCH per POST)"
        # In the background, so Ctrl-C and SIGTERM are handled at once (bash runs traps during `wait`).
        tool populate "${HUBPORT[$h]}" "$TOKEN" "$PREFIX" "$PREV" "$N" "$BATCH" >"$WORK/populate.out" 2>"$WORK/populate.err" &
        PIDS+=("$!")
        tail -f --pid="$!" "$WORK/populate.err" >&2 &
        if wait "${PIDS[-1]}"; then
            res=$(cat "$WORK/populate.out")
            CREATE_S[$N,$h]=$(kv seconds "$res"); CREATE_N[$N,$h]=$((N - PREV))
            log "  $h: $res"
        else
            tail_of "$WORK/populate.err"; note "$h" "creating users up to $N failed: $(tail -n 1 "$WORK/populate.err")"
        fi
    done
    # 2. restart: SIGTERM, start again, time until GET /hub/api is 200
    for h in "${HS[@]}"; do
        stop_hub "$h"
        log "  $h: restarting with $N users"
        if start_hub "$h"; then
            READY_S[$N,$h]=$LAST_READY; RSS_READY[$N,$h]=$(rss_mb "${PID[$h]}")
            TOTAL[$N,$h]=$(tool total "${HUBPORT[$h]}" "$TOKEN" 2>/dev/null)
            log "  $h: ready in ${LAST_READY}s, RSS ${RSS_READY[$N,$h]} MB, $(printf '%s' "${TOTAL[$N,$h]}") users listed"
            [ "${TOTAL[$N,$h]:-}" = "$N" ] || note "$h" "at $N: the hub lists ${TOTAL[$N,$h]:-?} users"
        else
            note "$h" "did not come back after a restart at $N users"
        fi
    done
    MHS=()
    for h in "${HS[@]}"; do hub_ok "$h" && MHS+=("$h"); done
    # 3. wrk, interleaved: for each run, each call, each hub
    if [ "$WARMUP" -gt 0 ]; then
        for h in "${MHS[@]}"; do for ep in "${EPS[@]}"; do run_wrk "$h" "$ep" "$N" "$WARMUP" >/dev/null; done; done
    fi
    for r in $(seq 1 "$REPEAT"); do
        for ep in "${EPS[@]}"; do
            for h in "${MHS[@]}"; do
                hub_ok "$h" || continue
                res=$(run_wrk "$h" "$ep" "$N" "$DURATION")
                k=$N,$h,$ep
                S_RPS[$k]="${S_RPS[$k]:-}$(kv rps "$res") "; S_P50[$k]="${S_P50[$k]:-}$(kv p50 "$res") "
                S_P99[$k]="${S_P99[$k]:-}$(kv p99 "$res") "; S_CPU[$k]="${S_CPU[$k]:-}$(kv cpu "$res") "
                S_BUSY[$k]="${S_BUSY[$k]:-}$(kv busy "$res") "
                log "  run $r $h ${EP_LABEL[$ep]}: $res"
                bad=$(( $(kv non2xx "$res") + $(kv sockerr "$res") ))
                [ "$bad" -gt 0 ] && note "$h" "$N users, ${EP_LABEL[$ep]} run $r: $(kv non2xx "$res") non-2xx responses, $(kv sockerr "$res") socket errors"
            done
        done
    done
    for h in "${MHS[@]}"; do
        hub_ok "$h" || { note "$h" "exited during the measurements at $N users"; continue; }
        MEASURED[$N,$h]=1
        RSS_END[$N,$h]=$(rss_mb "${PID[$h]}"); HWM_END[$N,$h]=$(hwm_mb "${PID[$h]}")
        [ "$h" = jupyterhub ] && PROXY_RSS[$N]=$(proxy_rss)
        for ep in "${EPS[@]}"; do
            k=$N,$h,$ep
            M_RPS[$k]=$(median ${S_RPS[$k]:-}); M_P50[$k]=$(median ${S_P50[$k]:-}); M_P99[$k]=$(median ${S_P99[$k]:-})
            M_CPU[$k]=$(median ${S_CPU[$k]:-}); M_BUSY[$k]=$(median ${S_BUSY[$k]:-})
        done
    done
    PREV=$N
done

# ---------------------------------------------------------------- report
# Stop (and reap) the hubs first, so their CPU time is counted as ours (`times` sees reaped children).
for h in "${LIVE[@]}"; do stop_hub "$h"; done
RUN_STAT1=$(stat_busy)
own_cpu_ticks RUN_OWN1
OTHER_RUN=$(awk -v a="$RUN_STAT0" -v b="$RUN_STAT1" -v o0="$RUN_OWN0" -v o1="$RUN_OWN1" 'BEGIN {
    split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; o = (y[1] - x[1]) - (o1 - o0); if (o < 0) o = 0
    printf "%.0f", (t > 0 ? 100 * o / t : 0) }')

commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commits yet")
[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n1)" ] && commit="$commit (dirty worktree)"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
gver=$("$GANY" --version 2>/dev/null | head -n1)
pyver=$("$PY" --version 2>&1)
proxy_label() { if [ "$JH_PROXY" = chp ]; then echo "configurable-http-proxy ${CHP_VER:-?}"; else echo "ganymede proxy"; fi; }
MAXJH=""   # largest size JupyterHub was measured at
for N in "${SIZES[@]}"; do [ -n "${MEASURED[$N,jupyterhub]:-}" ] && MAXJH=$N; done

# met TEXT: "yes"/"no" from an awk condition
met() { awk "BEGIN { exit !($1) }" && echo yes || echo "**no**"; }

report() {
    echo "# Ganymede hub benchmark"
    echo
    echo "- command: \`$CMDLINE\`"
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); commit: $commit"
    echo "- machine: $(nproc) CPUs ($cpu), $mem RAM, kernel $(uname -r), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"); load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- hubs: JupyterHub ${JH_VER:-n/a} ($pyver, SQLite, $(proxy_label) started by the hub), ${gver:-ganymede} (\`ganymede serve\`, SQLite, in-process proxy); both with a service \`bench\` whose api_token has the role \`bench-admin\` (${SCOPES//\"/}) through load_roles, the shared-password authenticator and allow_all"
    echo "- tools: $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2), curl $(curl --version | head -n1 | cut -d' ' -f2)"
    echo "- CPU used by other processes: $BUSY_START% just before the measurements; during the run: $OTHER_RUN%$( [ "$OTHER_RUN" -gt 10 ] && echo " -- **other processes competed for the CPUs; numbers are noisy**")"
    echo "- method: requests go straight to each hub's own port (hub_bind_url), not through a proxy; wrk -t$THREADS -c$CONNS -d${DURATION}s --latency with \`Authorization: token\` of the service, median of $REPEAT interleaved runs after a ${WARMUP}s warm-up per call; {name} is a random user and {random page} a random offset (multiple of 200) among all users, chosen by a wrk Lua script; users are created by POST /hub/api/users with $BATCH names per call, one call at a time, the databases growing from one size to the next; ready = SIGTERM, start again, until GET /hub/api answers 200 (polled every 10 ms); RSS = VmRSS of the hub process; hub CPU = its utime+stime during the wrk run (100% = one core; wrk itself needs part of the other core)"
    for N in "${SIZES[@]}"; do
        local any=0 h
        for h in jupyterhub ganymede; do [ -n "${MEASURED[$N,$h]:-}" ] && any=1; done
        [ "$any" = 1 ] || continue
        local big=0; [ "$N" -ge 100000 ] && big=1
        local refN=$N ref_note=""
        if [ -z "${MEASURED[$N,jupyterhub]:-}" ] && [ -n "$MAXJH" ]; then refN=$MAXJH; ref_note=" (JupyterHub at $MAXJH users)"; fi
        echo
        echo "## $(fmtk "$N") users"
        echo
        [ -n "$ref_note" ] && echo "JupyterHub was not run at this size; ratios and the 50x target compare with its numbers at $(fmtk "$MAXJH") users, where it was faster or equal." && echo
        echo "| measurement | JupyterHub ${JH_VER:-} | Ganymede | Ganymede better by | target | met? |"
        echo "|---|---:|---:|---:|---|---|"
        local jn=${CREATE_N[$N,jupyterhub]:-} gn=${CREATE_N[$N,ganymede]:-}
        local js=${CREATE_S[$N,jupyterhub]:-} gs=${CREATE_S[$N,ganymede]:-}
        local jk="" gk=""
        [ -n "$js" ] && jk=$(awk -v s="$js" -v n="$jn" 'BEGIN { printf "%.3f", 1000 * s / n }')
        [ -n "$gs" ] && gk=$(awk -v s="$gs" -v n="$gn" 'BEGIN { printf "%.3f", 1000 * s / n }')
        echo "| create $(fmtk "${gn:-$jn}") users ($BATCH per POST), s | $(fmt 2 "$js") | $(fmt 2 "$gs") | $(better LOWER "$gs" "$js") | | |"
        local rjk=$jk; [ -n "$ref_note" ] && [ -n "${CREATE_S[$refN,jupyterhub]:-}" ] && rjk=$(awk -v s="${CREATE_S[$refN,jupyterhub]}" -v n="${CREATE_N[$refN,jupyterhub]}" 'BEGIN { printf "%.3f", 1000 * s / n }')
        echo "| s per 1,000 users created | $(fmt 2 "$jk") | $(fmt 3 "$gk") | $(better LOWER "$gk" "$rjk")$ref_note | | |"
        local ep
        for ep in "${EPS[@]}"; do
            local kj=$N,jupyterhub,$ep kg=$N,ganymede,$ep kr=$refN,jupyterhub,$ep
            local target="≥ 50x JupyterHub" m="n/a"
            local gr=${M_RPS[$kg]:-} jr=${M_RPS[$kr]:-}
            [ -n "$gr" ] && [ -n "$jr" ] && m=$(met "$gr >= 50 * $jr")
            echo "| ${EP_LABEL[$ep]}: req/s | $(fmt 0 "${M_RPS[$kj]:-}") | $(fmt 0 "$gr") | $(better HIGHER "$gr" "$jr")$ref_note | $target | $m |"
            echo "| … p50 ms | $(fmt 1 "${M_P50[$kj]:-}") | $(fmt 2 "${M_P50[$kg]:-}") | $(better LOWER "${M_P50[$kg]:-}" "${M_P50[$kr]:-}") | | |"
            local pt="" pm=""
            if [ "$ep" = list ] || [ "$ep" = page ]; then
                pt="< 100 ms per page at 100k users"; pm="n/a"
                [ -n "${M_P99[$kg]:-}" ] && pm=$(met "${M_P99[$kg]} < 100")
                [ "$big" = 1 ] || pm="($pm at this size)"
            fi
            echo "| … p99 ms | $(fmt 1 "${M_P99[$kj]:-}") | $(fmt 2 "${M_P99[$kg]:-}") | $(better LOWER "${M_P99[$kg]:-}" "${M_P99[$kr]:-}") | $pt | $pm |"
            echo "| … hub CPU % (machine busy %) | $(fmt 0 "${M_CPU[$kj]:-}") ($(fmt 0 "${M_BUSY[$kj]:-}")) | $(fmt 0 "${M_CPU[$kg]:-}") ($(fmt 0 "${M_BUSY[$kg]:-}")) | | both cores | $( [ -n "${M_CPU[$kg]:-}" ] && { awk -v c="${M_CPU[$kg]}" 'BEGIN { exit !(c > 100) }' && echo "yes (> 100%)" || echo "**no** (≤ 100%)"; } || echo n/a) |"
        done
        local rm="n/a" tm="n/a"
        [ -n "${READY_S[$N,ganymede]:-}" ] && rm=$(met "${READY_S[$N,ganymede]} < 2")
        [ -n "${RSS_END[$N,ganymede]:-}" ] && tm=$(met "${RSS_END[$N,ganymede]} < 200")
        [ "$big" = 1 ] || { rm="($rm at this size)"; tm="($tm at this size)"; }
        echo "| ready after restart, s | $(fmt 2 "${READY_S[$N,jupyterhub]:-}") | $(fmt 2 "${READY_S[$N,ganymede]:-}") | $(better LOWER "${READY_S[$N,ganymede]:-}" "${READY_S[$refN,jupyterhub]:-}") | < 2 s at 100k users | $rm |"
        echo "| RSS right after restart, MB | $(fmt 1 "${RSS_READY[$N,jupyterhub]:-}") | $(fmt 1 "${RSS_READY[$N,ganymede]:-}") | $(better LOWER "${RSS_READY[$N,ganymede]:-}" "${RSS_READY[$refN,jupyterhub]:-}") | | |"
        echo "| RSS after the measurements, MB (peak) | $(fmt 1 "${RSS_END[$N,jupyterhub]:-}") ($(fmt 1 "${HWM_END[$N,jupyterhub]:-}")) | $(fmt 1 "${RSS_END[$N,ganymede]:-}") ($(fmt 1 "${HWM_END[$N,ganymede]:-}")) | $(better LOWER "${RSS_END[$N,ganymede]:-}" "${RSS_END[$refN,jupyterhub]:-}") | < 200 MB at 100k users | $tm |"
        [ -n "${PROXY_RSS[$N]:-}" ] && echo "| + JupyterHub's proxy ($(proxy_label)), MB | $(fmt 1 "${PROXY_RSS[$N]}") | (in-process) | | | |"
    done
    echo
    echo "## Raw samples (req/s of each run, in order)"
    echo
    for N in "${SIZES[@]}"; do
        for h in jupyterhub ganymede; do
            [ -n "${MEASURED[$N,$h]:-}" ] || continue
            local line="" ep
            for ep in "${EPS[@]}"; do line="$line $ep [$(printf '%s' "${S_RPS[$N,$h,$ep]:-}" | sed 's/ $//; s/ /, /g')];"; done
            echo "- $N users, $h:${line%;}"
        done
    done
    local any=0 h
    for h in jupyterhub ganymede; do
        if [ -n "${NOTE[$h]:-}" ]; then
            [ "$any" = 0 ] && { echo; echo "## Problems"; echo; any=1; }
            echo "- $h: ${NOTE[$h]}"
        fi
    done
    if [ -n "$SKIP_JH_ABOVE" ]; then
        echo
        echo "JupyterHub was measured only up to $(fmtk "$SKIP_JH_ABOVE") users (--skip-jupyterhub-above)."
    fi
    return 0
}

report | tee "$WORK/report.md"
if [ -z "$OUT" ]; then
    mkdir -p "$ROOT/bench/out" && OUT="$ROOT/bench/out/hub-$(date -u +%Y%m%dT%H%M%SZ).md"
fi
cp "$WORK/report.md" "$OUT" && log "report written to $OUT"
if [ "$KEEP_TMP" = 1 ]; then cp "$WORK/wrk.log" "${OUT%.md}.wrk.log" 2>/dev/null; fi
