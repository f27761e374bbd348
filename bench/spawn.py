"""Spawn benchmark: Python JupyterHub 6.1.1 (+ configurable-http-proxy) vs `ganymede serve`,
side by side in one run. Issue 4's four measurements:

1. hub overhead per spawn: a fake server that listens at once (tests/e2e/fixtures/
   fake_singleuser.py), from the POST to the server answering through the proxy, one spawn
   at a time, minus the time the same fake server takes to answer when started by hand;
2. a surge of concurrent spawns of that fake server: the total time until every one is
   ready, and the hub's CPU seconds and peak RSS (JupyterHub's proxy counted with it);
3. login to JupyterLab for the real jupyterhub-singleuser (the default server runs it),
   median of several runs;
4. activity: users' servers posting `last_activity`, each with a token of its own, to the
   hub's own port (JUPYTERHUB_API_URL) at
   the rate of one post per user per minute, and the hub's CPU percent while they do. The
   first minute (every user's first post) is a warm-up and not measured: servers post
   for as long as they run, so the steady state is what costs.

Run as root (the servers run as a Unix account, `gybench`, created if missing) with the
peers venv's Python: `bash bench/spawn.sh [options]` (see --help). Only 127.0.0.1 is used,
and every process the script starts is stopped at the end. The report (markdown) goes to
stdout and to bench/out/; progress goes to stderr.
"""
import argparse
import concurrent.futures as cf
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
USER = "gybench"
PASSWORD = "bench-password-" + os.urandom(4).hex()
TOKEN = os.urandom(16).hex()
PROXY_TOKEN = os.urandom(16).hex()
SCOPES = ["admin:users", "admin:servers", "users:activity", "read:hub", "tokens"]
TICK = os.sysconf("SC_CLK_TCK")


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]
    except OSError:
        return []


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


class Sampler:
    """Samples the summed RSS of some processes every 0.1 s; `peak` is the largest sum."""

    def __init__(self, pids):
        self.pids, self.peak, self._stop = pids, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(rss_mb(p) for p in self.pids))
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Hub:
    """One hub under test: its processes, URLs and service token."""

    def __init__(self, name, work, args, wrapper):
        self.name, self.dir = name, work / name
        self.dir.mkdir(mode=0o755)
        self.public_port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.public = f"http://127.0.0.1:{self.public_port}"
        self.api = f"{self.public}/hub/api"
        # Where single-user servers reach the hub (JUPYTERHUB_API_URL): its own port, not the proxy.
        self.server_api = f"http://127.0.0.1:{self.hub_port}/hub/api"
        self.headers = {"Authorization": f"token {TOKEN}"}
        self.log_path = work / f"{name}.log"
        self.proc = None
        if name == "jupyterhub":
            self.argv = [f"{args.venv}/bin/jupyterhub", "-f", str(self.dir / "jupyterhub_config.py")]
            (self.dir / "jupyterhub_config.py").write_text(f"""\
c = get_config()  # noqa
c.JupyterHub.bind_url = "{self.public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{self.hub_port}"
c.JupyterHub.db_url = "sqlite:///{self.dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{self.dir}/cookie_secret"
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = "{PASSWORD}"
c.Authenticator.allow_all = True
c.JupyterHub.allow_named_servers = True
c.JupyterHub.concurrent_spawn_limit = {args.concurrent_spawn_limit}
c.JupyterHub.services = [{{"name": "bench", "api_token": "{TOKEN}"}}]
c.JupyterHub.load_roles = [{{"name": "bench", "scopes": {SCOPES!r}, "services": ["bench"]}}]
c.Spawner.cmd = ["{wrapper}"]
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.api_port}"
c.ConfigurableHTTPProxy.auth_token = "{PROXY_TOKEN}"
c.ConfigurableHTTPProxy.command = ["{args.chp}"]
""")
        else:
            self.argv = [str(args.ganymede_bin), "serve", "-f", str(self.dir / "ganymede.toml")]
            roles = ", ".join(f'"{s}"' for s in SCOPES)
            (self.dir / "ganymede.toml").write_text(f"""\
[hub]
bind_url = "{self.public}"
hub_bind_url = "http://127.0.0.1:{self.hub_port}"
data_dir = "{self.dir}"
allow_named_servers = true
concurrent_spawn_limit = {args.concurrent_spawn_limit}

[[hub.services]]
name = "bench"
api_token = "{TOKEN}"

[[hub.load_roles]]
name = "bench"
scopes = [{roles}]
services = ["bench"]

[authenticator]
allow_all = true

[authenticator.shared_password]
user_password = "{PASSWORD}"

[proxy]
api_url = "http://127.0.0.1:{self.api_port}"

[spawner]
cmd = ["{wrapper}"]
start_timeout = 300
http_timeout = 300
""")

    def start(self):
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=self.dir, stdout=out, stderr=out,
                                         start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited at startup; see {self.log_path}")
            try:
                if requests.get(self.api + "/", timeout=2).status_code == 200:
                    r = self.call("POST", f"/users/{USER}")
                    assert r.status_code in (201, 409), f"{self.name}: create {USER}: {r.status_code}"
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer within 120 s; see {self.log_path}")

    def pids(self):
        """The hub and, for JupyterHub, the proxy it started."""
        if not self.proc:
            return []
        pids = [self.proc.pid]
        if self.name == "jupyterhub":
            pids += [p for p in children(self.proc.pid) if "configurable-http-proxy" in cmdline(p)]
        return pids

    def cpu(self):
        return sum(cpu_seconds(p) for p in self.pids())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def call(self, method, path, session=None, api=None, **kw):
        return (session or requests).request(method, (api or self.api) + path, headers=self.headers,
                                             timeout=600, **kw)

    def servers(self):
        return self.call("GET", f"/users/{USER}").json().get("servers", {})

    def stop_all_servers(self):
        names = list(self.servers())
        with cf.ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda n: self.call("DELETE", f"/users/{USER}/servers/{n}" if n else f"/users/{USER}/server"), names))
        wait_until(lambda: not any(s.get("ready") or s.get("pending") for s in self.servers().values()),
                   300, f"{self.name}: every server stopped")


def wait_until(check, seconds, what, every=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(every)
    raise SystemExit(f"timed out after {seconds} s waiting for {what}")


def answers_as(url, server):
    """The fake server answers JSON naming itself; before its route exists the hub answers."""
    try:
        r = requests.get(url, timeout=5, allow_redirects=False)
        return r.status_code == 200 and r.headers.get("Content-Type", "").startswith("application/json") \
            and r.json().get("server") == server
    except (requests.RequestException, ValueError):
        return False


def start_with_retry(hub, name, session):
    """POST a start; JupyterHub answers 429 above its spawn limit (Retry-After: 30-60 s):
    retry after at most 1 s, kinder to it than its own header."""
    retries = 0
    while True:
        r = hub.call("POST", f"/users/{USER}/servers/{name}", session=session)
        if r.status_code != 429:
            return r.status_code, retries
        retries += 1
        time.sleep(min(1.0, float(r.headers.get("Retry-After", "1"))))


# ---------------------------------------------------------------- measurements

def fake_baseline(args, wrapper, runs):
    """The fake server alone: started as the user by hand, until it answers."""
    times = []
    for i in range(runs):
        port = free_port()
        env = {"JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}/user/{USER}/b{i}/",
               "JUPYTERHUB_SERVER_NAME": f"b{i}", "PATH": "/usr/bin:/bin"}
        t0 = time.monotonic()
        # as the hubs start it: setgid/setuid in the child, then exec
        proc = subprocess.Popen([str(wrapper)], env=env, cwd="/", user=USER, group=USER,
                                extra_groups=[], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: answers_as(f"http://127.0.0.1:{port}/", f"b{i}"), 30,
                       "the fake server", every=0.005)
            times.append(time.monotonic() - t0)
        finally:
            proc.terminate()
            proc.wait()
    return times


def sequential_spawns(hub, runs):
    times, session = [], requests.Session()
    for i in range(runs):
        name = f"seq{i}"
        t0 = time.monotonic()
        status, _ = start_with_retry(hub, name, session)
        assert status in (201, 202), f"{hub.name}: start {name}: {status}"
        wait_until(lambda: answers_as(f"{hub.public}/user/{USER}/{name}/", name), 120,
                   f"{hub.name}: {name} through the proxy", every=0.005)
        times.append(time.monotonic() - t0)
        hub.call("DELETE", f"/users/{USER}/servers/{name}", session=session)
    hub.stop_all_servers()
    return times


def surge(hub, count):
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=200))
    cpu0, t0 = hub.cpu(), time.monotonic()
    with Sampler(hub.pids()) as sampler:
        with cf.ThreadPoolExecutor(min(count, 200)) as pool:
            results = list(pool.map(lambda i: start_with_retry(hub, f"s{i}", session), range(count)))
        wait_until(lambda: sum(1 for s in hub.servers().values() if s.get("ready")) >= count,
                   900, f"{hub.name}: {count} servers ready")
        seconds = time.monotonic() - t0
    cpu = hub.cpu() - cpu0
    statuses = sorted({s for s, _ in results})
    retries = sum(r for _, r in results)
    hub.stop_all_servers()
    return {"seconds": seconds, "cpu": cpu, "peak_rss": sampler.peak, "statuses": statuses,
            "retries": retries}


def login_to_lab(hub, runs):
    times = []
    for _ in range(runs):
        s = requests.Session()
        t0 = time.monotonic()
        s.get(f"{hub.public}/hub/login", timeout=30)
        r = s.post(f"{hub.public}/hub/login", timeout=30, allow_redirects=False,
                   data={"username": USER, "password": PASSWORD, "_xsrf": s.cookies.get("_xsrf", "")})
        assert r.status_code == 302, f"{hub.name}: login: {r.status_code}"
        r = hub.call("POST", f"/users/{USER}/server")
        assert r.status_code in (201, 202, 400), f"{hub.name}: start: {r.status_code} {r.text[:200]}"

        def lab_loaded():
            page = s.get(f"{hub.public}/user/{USER}/lab", timeout=30)
            return page.status_code == 200 and "jupyter-config-data" in page.text
        wait_until(lab_loaded, 300, f"{hub.name}: JupyterLab")
        times.append(time.monotonic() - t0)
        hub.call("DELETE", f"/users/{USER}/server")
        wait_until(lambda: not hub.servers().get("", {}).get("ready"), 120, "the lab server stopped")
    return times


def activity(hub, users, seconds, warmup, tokens, workers=32):
    names = [f"act{i}" for i in range(users)]
    for i in range(0, users, 100):
        r = hub.call("POST", "/users", json={"usernames": names[i:i + 100]})
        assert r.status_code in (201, 409), f"{hub.name}: create users: {r.status_code} {r.text[:200]}"
    headers = {name: hub.headers for name in names}
    if tokens == "server":
        # Each user's fake server posts with a token of its own, noted as JupyterHub notes a
        # server's token ("Server at <url>"), so the user's activity is not also recorded.
        def token_of(name):
            r = hub.call("POST", f"/users/{name}/tokens", json={"note": f"Server at /user/{name}/",
                                                                 "scopes": [f"users:activity!user={name}"]})
            assert r.status_code in (200, 201), f"{hub.name}: token for {name}: {r.status_code} {r.text[:200]}"
            return name, {"Authorization": f"token {r.json()['token']}"}
        with cf.ThreadPoolExecutor(8) as pool:
            headers.update(pool.map(token_of, names))
        log(f"{hub.name}: {users} server tokens created")
    rate = users / 60.0
    sent, failed = [0], [0]
    lock = threading.Lock()
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=workers))

    def post(name):
        now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        # Servers post to JUPYTERHUB_API_URL, the hub's own port, as these do.
        r = session.post(f"{hub.server_api}/users/{name}/activity", headers=headers[name],
                         json={"last_activity": now}, timeout=600)
        with lock:
            sent[0] += 1
            failed[0] += r.status_code != 200

    t0 = time.monotonic()
    measured = None
    with cf.ThreadPoolExecutor(workers) as pool:
        i = 0
        while time.monotonic() - t0 < warmup + seconds:
            if measured is None and time.monotonic() - t0 >= warmup:
                measured = (hub.cpu(), time.monotonic(), sent[0])
            due = int((time.monotonic() - t0) * rate)
            while i < due:
                pool.submit(post, names[i % users])
                i += 1
            time.sleep(0.01)
        cpu1, t1, sent1 = hub.cpu(), time.monotonic(), sent[0]
    cpu0, t_start, sent0 = measured
    wall = t1 - t_start
    return {"cpu_pct": 100 * (cpu1 - cpu0) / wall, "posts": sent[0], "failed": failed[0],
            "rate": (sent1 - sent0) / wall}


# ---------------------------------------------------------------- main

def median(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio(a, b):
    return f"{a / b:.1f}" if a and b else "—"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hubs", default="jupyterhub,ganymede")
    p.add_argument("--sequential", type=int, default=20, help="one-at-a-time spawns (default 20)")
    p.add_argument("--surge", type=int, default=1000, help="concurrent spawns (default 1000)")
    p.add_argument("--concurrent-spawn-limit", type=int, default=100, help="both hubs (JupyterHub's default 100)")
    p.add_argument("--lab-runs", type=int, default=5)
    p.add_argument("--activity-users", type=int, default=10000)
    p.add_argument("--activity-seconds", type=int, default=60, help="measured seconds (default 60)")
    p.add_argument("--activity-tokens", choices=["server", "service"], default="server",
                   help="what the posts authenticate with: a token per user's server (default), "
                        "or the bench service's one token")
    p.add_argument("--activity-warmup", type=int, default=60,
                   help="unmeasured seconds of posts first (default 60: every user posts once)")
    p.add_argument("--venv", default=os.environ.get("PEERS_VENV", "/var/cache/ganymede-peers/venv"))
    p.add_argument("--chp", default=os.environ.get("CHP_BIN", "configurable-http-proxy"))
    p.add_argument("--ganymede-bin", default=os.environ.get("GANYMEDE_BIN", ""))
    p.add_argument("--out", default="")
    args = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the servers run as the Unix account gybench")
    if not args.ganymede_bin:
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        args.ganymede_bin = target / "release/ganymede"
    args.ganymede_bin = Path(args.ganymede_bin).resolve()
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-m", USER], check=True)

    work = Path(tempfile.mkdtemp(prefix="ganymede-spawn-bench-"))
    work.chmod(0o755)
    fake = work / "fake_singleuser.py"
    shutil.copy(ROOT / "tests/e2e/fixtures/fake_singleuser.py", fake)
    fake.chmod(0o644)
    # The default server is the real jupyterhub-singleuser (JupyterLab); named ones are fake.
    wrapper = work / "server.sh"
    wrapper.write_text(f"""#!/bin/sh
if [ -z "$JUPYTERHUB_SERVER_NAME" ]; then exec {args.venv}/bin/jupyterhub-singleuser "$@"; fi
exec /usr/bin/python3 {fake}
""")
    wrapper.chmod(0o755)

    started = datetime.now(timezone.utc)
    load0 = os.getloadavg()
    hubs = [Hub(n, work, args, wrapper) for n in args.hubs.split(",")]
    results = {h.name: {} for h in hubs}
    log(f"work directory {work}")
    base = fake_baseline(args, wrapper, 10)
    log(f"fake server alone: median {median(base) * 1000:.0f} ms")
    try:
        for hub in hubs:
            log(f"{hub.name}: starting")
            hub.start()
            res = results[hub.name]
            if args.sequential:
                res["seq"] = sequential_spawns(hub, args.sequential)
                log(f"{hub.name}: spawn to reachable, median {median(res['seq']) * 1000:.0f} ms")
            if args.surge:
                res["surge"] = surge(hub, args.surge)
                log(f"{hub.name}: surge {res['surge']}")
            if args.lab_runs:
                res["lab"] = login_to_lab(hub, args.lab_runs)
                log(f"{hub.name}: login to JupyterLab, median {median(res['lab']):.2f} s")
            if args.activity_users:
                res["activity"] = activity(hub, args.activity_users, args.activity_seconds,
                                           args.activity_warmup, args.activity_tokens)
                log(f"{hub.name}: activity {res['activity']}")
            res["rss_end"] = sum(rss_mb(p) for p in hub.pids())
            hub.stop()
    finally:
        for hub in hubs:
            hub.stop()

    jh, g = results.get("jupyterhub", {}), results.get("ganymede", {})
    b = median(base)
    lines = [
        "## Spawn benchmark",
        "",
        f"- command: `bash bench/spawn.sh {' '.join(sys.argv[1:])}`".rstrip(),
        f"- date: {started:%Y-%m-%d %H:%M} UTC; commit: "
        + subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        f"- machine: {os.cpu_count()} CPUs, {platform.platform()}; load average at start "
        f"{load0[0]:.2f}, at end {os.getloadavg()[0]:.2f}",
        f"- both hubs: SQLite, concurrent_spawn_limit {args.concurrent_spawn_limit}; JupyterHub 6.1.1 with "
        "configurable-http-proxy 5.3.0, ganymede with its in-process proxy; servers run as `gybench`",
        f"- the fake server alone (started as the user by hand, until it answers): median {b * 1000:.0f} ms",
        "",
        "| measurement | JupyterHub 6.1.1 | ganymede | JupyterHub / ganymede |",
        "|---|---:|---:|---:|",
    ]

    def row(label, key, fmt):
        a, c = key(jh), key(g)
        lines.append(f"| {label} | {fmt(a)} | {fmt(c)} | {ratio(a, c)} |")

    def get(*path):
        def f(res):
            for k in path:
                if not isinstance(res, dict) or k not in res:
                    return None
                res = res[k]
            return res
        return f
    ms = lambda v: "—" if v is None else f"{v * 1000:.0f} ms"  # noqa: E731
    sec = lambda v: "—" if v is None else f"{v:.2f} s"  # noqa: E731
    num = lambda unit: (lambda v: "—" if v is None else f"{v:.1f}{unit}")  # noqa: E731
    if args.sequential:
        row(f"spawn to reachable through the proxy (median of {args.sequential})",
            lambda r: median(r["seq"]) if "seq" in r else None, ms)
        row("hub overhead per spawn (that minus the fake server alone)",
            lambda r: median(r["seq"]) - b if "seq" in r else None, ms)
    if args.surge:
        row(f"{args.surge} concurrent spawns: all ready", get("surge", "seconds"), sec)
        row(f"{args.surge} concurrent spawns: hub CPU seconds", get("surge", "cpu"), num(" s"))
        row(f"{args.surge} concurrent spawns: peak RSS", get("surge", "peak_rss"), num(" MB"))
    if args.lab_runs:
        row(f"login to JupyterLab (median of {args.lab_runs})", lambda r: median(r["lab"]) if "lab" in r else None, sec)
    if args.activity_users:
        row(f"activity of {args.activity_users} users, one post each per minute: hub CPU",
            get("activity", "cpu_pct"), num(" %"))
    lines.append("")
    for name, res in results.items():
        if "surge" in res:
            s = res["surge"]
            lines.append(f"- {name}: surge answers {s['statuses']}, {s['retries']} retries after 429")
        if "activity" in res:
            a = res["activity"]
            lines.append(f"- {name}: {a['posts']} activity posts at {a['rate']:.0f}/s, {a['failed']} failed")
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(args.out) if args.out else ROOT / f"bench/out/spawn-{started:%Y%m%d-%H%M%S}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    log(f"report written to {out}; logs in {work}")


if __name__ == "__main__":
    main()
