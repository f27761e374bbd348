"""Shared fixtures for Ganymede's end-to-end tests against real peers.

Environment:
  PROXY_CMD           proxy under test, shell words (default: CHP_BIN), e.g.
                      "/work/main/target/debug/ganymede proxy"
  CHP_BIN             reference configurable-http-proxy (default: from the peers env file)
  PEERS_VENV          venv with jupyterhub/jupyterlab (default: from the peers env file)
  GANYMEDE_PEERS_DIR  where scripts/peers.sh installed the peers (/var/cache/ganymede-peers)

Peers missing is a test failure, not a skip: run `bash scripts/peers.sh` first.
"""
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

PEERS_DIR = Path(os.environ.get("GANYMEDE_PEERS_DIR", "/var/cache/ganymede-peers"))
AUTH_TOKEN = "e2e-proxy-token-0123456789abcdef"
LOG_TAIL_LINES = 60

# ---------------------------------------------------------------- peers / env


def _peers_env():
    facts = {}
    env_file = PEERS_DIR / "env"
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                facts[key.strip()] = value.strip()
    return facts


def _need(key):
    value = os.environ.get(key) or _peers_env().get(key)
    if not value:
        pytest.fail(f"{key} is not set and {PEERS_DIR}/env has no {key}: "
                    "run `bash scripts/peers.sh` first", pytrace=False)
    return value


@pytest.fixture(scope="session")
def chp_cmd():
    """The reference proxy (real CHP) as an argv list."""
    path = _need("CHP_BIN")
    if not os.access(path, os.X_OK):
        pytest.fail(f"CHP_BIN={path} is not executable: run scripts/peers.sh", pytrace=False)
    return [path]


@pytest.fixture(scope="session")
def proxy_cmd(chp_cmd):
    """The proxy under test (PROXY_CMD, default: real CHP) as an argv list."""
    words = shlex.split(os.environ.get("PROXY_CMD", "")) or list(chp_cmd)
    exe = shutil.which(words[0])  # absolute: JupyterHub runs it from another cwd
    if not exe:
        pytest.fail(f"PROXY_CMD executable {words[0]!r} not found/executable", pytrace=False)
    return [os.path.abspath(exe)] + words[1:]


@pytest.fixture(scope="session")
def peers_venv():
    venv = Path(_need("PEERS_VENV"))
    for exe in ("jupyterhub", "jupyterhub-singleuser"):
        if not (venv / "bin" / exe).exists():
            pytest.fail(f"{venv}/bin/{exe} missing: run scripts/peers.sh", pytrace=False)
    return venv


# ---------------------------------------------------------------- ports / polling

_handed_out = set()


def free_port():
    """A port that was free on 127.0.0.1 a moment ago (never the same twice per session)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def wait_for(check, timeout, what, procs=()):
    """Poll check() until it returns a truthy value; fail after `timeout` seconds,
    or at once if one of `procs` has exited."""
    deadline = time.monotonic() + timeout
    delay, last_exc = 0.02, None
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # connection refused etc.: keep polling
            last_exc = exc
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"{p.name} exited with {p.returncode} while waiting for {what}"
                                     f"\n{p.tail()}")
        if time.monotonic() > deadline:
            tails = "".join("\n" + p.tail() for p in procs)
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 f" (last error: {last_exc!r}){tails}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


# ---------------------------------------------------------------- processes

_live = []  # ManagedProcess objects whose logs are shown when a test fails


def _proc_start_time(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _descendants(root):
    """(pid, start time) of every live descendant of `root`, read from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append((child, _proc_start_time(child)))
            todo.append(child)
    return found


class ManagedProcess:
    """A child in its own process group (session), output captured to a log file.
    stop() signals the group, then any descendant that escaped into its own session
    (JupyterHub starts the proxy and the single-user servers that way)."""

    def __init__(self, name, argv, log_dir, env=None, cwd=None):
        self.name, self.argv = name, list(argv)
        self.log_path = Path(log_dir) / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     start_new_session=True)
        self.pid = self.proc.pid
        self._known, self._stopped = {}, False
        _live.append(self)

    @property
    def returncode(self):
        return self.proc.returncode

    def poll(self):
        if self.proc.poll() is None:
            self._known.update(_descendants(self.pid))  # remember the tree while we can
        return self.proc.returncode

    def tail(self, lines=LOG_TAIL_LINES):
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError as exc:
            text = [f"<cannot read log: {exc}>"]
        return f"----- {self.name} ({' '.join(self.argv)}) log tail -----\n" + "\n".join(text)

    def _signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def terminate(self, timeout):
        """SIGTERM the group and wait for the leader only; True if it exited in time."""
        if self.poll() is None:
            self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stop(self, timeout=10):
        if self._stopped:
            return
        self._stopped = True
        if self.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(5)
        self._signal_group(signal.SIGKILL)  # leftovers in our group
        # descendants that moved to their own session, still the same processes
        strays = [pid for pid, st in self._known.items() if st and _proc_start_time(pid) == st]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in strays:
                if _proc_start_time(pid) == self._known[pid]:
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(
                    _proc_start_time(p) == self._known[p] for p in strays):
                time.sleep(0.05)
        self._log.close()
        if self in _live:
            _live.remove(self)


@pytest.fixture
def spawn(tmp_path):
    """spawn(name, argv, env=None, cwd=None) -> ManagedProcess, stopped at teardown."""
    started = []

    def _spawn(name, argv, env=None, cwd=None):
        p = ManagedProcess(name, argv, tmp_path, env=env, cwd=cwd)
        started.append(p)
        return p

    yield _spawn
    for p in reversed(started):
        p.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when in ("setup", "call") and rep.failed and _live:
        rep.sections.append(("process logs", "\n\n".join(p.tail() for p in list(_live))))


# ---------------------------------------------------------------- proxies


class Proxy:
    """A CHP-compatible proxy: public port, API port, an API helper."""

    def __init__(self, name, cmd, log_dir, extra_args=()):
        self.name, self.port, self.api_port = name, free_port(), free_port()
        env = dict(os.environ, CONFIGPROXY_AUTH_TOKEN=AUTH_TOKEN)
        argv = list(cmd) + ["--ip", "127.0.0.1", "--port", str(self.port),
                            "--api-ip", "127.0.0.1", "--api-port", str(self.api_port),
                            "--log-level", "debug", *extra_args]
        self.proc = ManagedProcess(name, argv, log_dir, env=env)
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        try:
            wait_for(lambda: self.api("GET", "/api/routes").status_code == 200, 20,
                     f"{name} API on :{self.api_port}", [self.proc])
            wait_for(lambda: port_open(self.port), 20, f"{name} public port :{self.port}",
                     [self.proc])
        except BaseException:
            self.proc.stop()
            raise
        self.initial_routes = self.api("GET", "/api/routes").json()

    def api(self, method, path, token=AUTH_TOKEN, **kw):
        headers = dict(kw.pop("headers", None) or {})
        if token is not None:
            headers.setdefault("Authorization", f"token {token}")
        return requests.request(method, self.api_url + path, headers=headers, timeout=10, **kw)

    def clear_routes(self):
        for path in self.api("GET", "/api/routes").json():
            r = self.api("DELETE", "/api/routes" + requests.utils.quote(path))
            assert r.status_code == 204, (self.name, path, r.status_code)


@pytest.fixture(scope="module")
def proxy_pair(tmp_path_factory, chp_cmd, proxy_cmd):
    """(reference CHP, proxy under test), started side by side with the same token."""
    log_dir = tmp_path_factory.mktemp("proxies")
    started = []
    try:
        started.append(Proxy("chp", chp_cmd, log_dir))
        started.append(Proxy("sut", proxy_cmd, log_dir))
        yield tuple(started)
    finally:
        for p in started:
            p.proc.stop()


# ---------------------------------------------------------------- echo backends


class _EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _echo(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        seen = {"backend": self.server.backend_name, "method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        out = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _echo

    def log_message(self, fmt, *args):
        pass


@pytest.fixture(scope="session")
def backends():
    """Two echo servers, {'alpha': url, 'beta': url}: each answers with what it saw."""
    servers, urls = [], {}
    for name in ("alpha", "beta"):
        srv = ThreadingHTTPServer(("127.0.0.1", free_port()), _EchoHandler)
        srv.daemon_threads = True
        srv.backend_name = name
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        urls[name] = f"http://127.0.0.1:{srv.server_address[1]}"
    yield urls
    for srv in servers:
        srv.shutdown()
        srv.server_close()
