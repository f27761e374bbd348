"""Ganymede's own hub spawning the real jupyterhub-singleuser 6.1.1 with JupyterLab, end to
end over HTTP: login, the spawn page and its progress stream, JupyterLab through the OAuth
provider, a kernel that reports the user's own uid, another user refused, and a hub killed
with SIGKILL that finds its servers again without restarting them.

As root (CI), the servers run as real Unix accounts the hub creates (`create_system_users`)
and this module deletes afterwards; otherwise they run as the current user."""
import json
import os
import pwd
import re
import secrets
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import ManagedProcess, free_port, pid_alive, wait_for
from test_jupyterhub_e2e import execute

ROOT = Path(__file__).resolve().parents[2]
TAG = secrets.token_hex(3)
ALICE, BOB, ADMIN = f"gya{TAG}", f"gyb{TAG}", f"gyadmin{TAG}"
PASSWORD = "e2e-user-password"
ADMIN_PASSWORD = "e2e-admin-password-" + "x" * 20
ADMIN_TOKEN = secrets.token_hex(16)
IS_ROOT = os.geteuid() == 0

CONFIG = """\
[hub]
bind_url = "http://127.0.0.1:{proxy_port}"
hub_bind_url = "http://127.0.0.1:{hub_port}"
data_dir = "{tmp}"
last_activity_interval = 5

[hub.api_tokens]
"{admin_token}" = "{admin}"

[proxy]
api_url = "http://127.0.0.1:{api_port}"

[authenticator]
admin_users = ["{admin}"]
allowed_users = ["{alice}", "{bob}"]

[authenticator.shared_password]
user_password = "{password}"
admin_password = "{admin_password}"

[spawner]
cmd = ["{venv}/bin/jupyterhub-singleuser"]
default_url = "/lab"
create_system_users = {create_users}
start_timeout = 90
http_timeout = 90
poll_interval = 2
"""


def ganymede_bin():
    path = Path(os.environ.get("GANYMEDE_BIN", ROOT / "target/debug/ganymede"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run `cargo build` (or set GANYMEDE_BIN)", pytrace=False)
    return path


class Hub:
    """`ganymede serve` on free ports; restartable with the same data directory."""

    def __init__(self, tmp, venv):
        self.tmp = tmp
        self.ports = {"proxy_port": free_port(), "hub_port": free_port(), "api_port": free_port()}
        self.config = tmp / "ganymede.toml"
        self.config.write_text(CONFIG.format(
            tmp=tmp, venv=venv, admin_token=ADMIN_TOKEN, admin=ADMIN, alice=ALICE, bob=BOB,
            password=PASSWORD, admin_password=ADMIN_PASSWORD,
            create_users="true" if IS_ROOT else "false", **self.ports))
        self.env = dict(os.environ, PATH=f"{venv}/bin:/usr/local/bin:/usr/bin:/bin")
        self.url = f"http://127.0.0.1:{self.ports['proxy_port']}"
        self.api = self.url + "/hub/api"
        self.proc = None
        self.runs = 0

    def start(self):
        self.runs += 1
        self.proc = ManagedProcess(f"ganymede-{self.runs}",
                                   [str(ganymede_bin()), "serve", "-f", str(self.config)],
                                   self.tmp, env=self.env, cwd=self.tmp)
        wait_for(lambda: requests.get(self.api + "/", timeout=5).status_code == 200, 30,
                 "Ganymede's API through its proxy", [self.proc])

    def admin(self, method, path, **kw):
        headers = {"Authorization": f"token {ADMIN_TOKEN}"}
        return requests.request(method, self.api + path, headers=headers, timeout=60, **kw)

    def login(self, name, password=PASSWORD):
        s = requests.Session()
        r = s.get(self.url + "/hub/login", timeout=30)
        assert r.status_code == 200, r.text[:300]
        r = s.post(self.url + "/hub/login", allow_redirects=False, timeout=30,
                   data={"username": name, "password": password, "_xsrf": s.cookies.get("_xsrf")})
        assert r.status_code == 302, f"login {name}: {r.status_code} {r.text[:300]}"
        return s


def xsrf_of(session):
    return session.cookies.get("_xsrf", path="/hub/")


@pytest.fixture(scope="module")
def hub(tmp_path_factory, peers_venv):
    tmp = tmp_path_factory.mktemp("ganymede-spawn")
    tmp.chmod(0o755)
    hub = Hub(tmp, peers_venv)
    hub.start()
    yield hub
    try:
        for user in (ALICE, BOB):
            hub.admin("DELETE", f"/users/{user}/server")
        wait_for(lambda: hub.admin("GET", "/users?state=active").json() == [], 30,
                 "every server stopped")
    finally:
        if hub.proc:
            hub.proc.stop()
        if IS_ROOT:
            for user in (ALICE, BOB):
                subprocess.run(["userdel", "-r", user], capture_output=True)


def uid_of(name):
    return pwd.getpwnam(name).pw_uid if IS_ROOT else os.getuid()


def progress_events(session, url, timeout=120):
    """Reads the event stream until its terminal event."""
    events = []
    with session.get(url, stream=True, timeout=timeout,
                     headers={"Accept": "text/event-stream"}) as r:
        assert r.status_code == 200, f"progress: {r.status_code} {r.text[:300]}"
        assert r.headers["Content-Type"].startswith("text/event-stream")
        for line in r.iter_lines(decode_unicode=True):
            if line and line.startswith("data: "):
                event = json.loads(line[len("data: "):])
                events.append(event)
                if event.get("ready") or event.get("failed"):
                    break
    return events


def test_login_spawn_lab_runs_cell(hub):
    alice = hub.login(ALICE)
    # the start page is a form posting the XSRF token; posting it starts the server
    r = alice.get(f"{hub.url}/hub/spawn/{ALICE}", timeout=30)
    assert r.status_code == 200 and 'id="spawn_form"' in r.text, r.text[:500]
    r = alice.post(f"{hub.url}/hub/spawn/{ALICE}", data={"_xsrf": xsrf_of(alice)},
                   allow_redirects=False, timeout=60)
    assert r.status_code == 302, f"spawn: {r.status_code} {r.text[:500]}"
    assert r.headers["Location"].endswith(f"/hub/spawn-pending/{ALICE}"), r.headers
    r = alice.get(hub.url + r.headers["Location"], allow_redirects=False, timeout=30)
    assert r.status_code in (200, 302), r.text[:500]

    # the progress stream ends with the ready event
    url = f"{hub.api}/users/{ALICE}/server/progress?_xsrf={xsrf_of(alice)}"
    events = progress_events(alice, url)
    assert events[-1].get("ready") is True, events
    assert len(events) > 1, f"the page's start answers within 1 s, so progress shows: {events}"
    assert events[0] == {"progress": 0, "message": "Server requested"}, events
    assert events[-1]["url"] == f"/user/{ALICE}/", events

    model = hub.admin("GET", f"/users/{ALICE}").json()
    server = model["servers"][""]
    assert server["ready"] is True and server["pending"] is None and model["server"] == f"/user/{ALICE}/"
    pid = server["state"]["pid"]
    assert pid_alive(pid)

    # JupyterLab through the proxy, after the OAuth round trip with the hub
    r = alice.get(f"{hub.url}/user/{ALICE}/lab", timeout=60)
    hops = [(h.status_code, h.headers.get("Location", "")) for h in r.history]
    assert r.status_code == 200, f"lab: {r.status_code} after {hops}: {r.text[:500]}"
    assert "JupyterLab" in r.text and "jupyter-config-data" in r.text, r.text[:300]
    assert any("oauth2/authorize" in loc for _, loc in hops), hops

    # a kernel, running as alice's own Unix account
    r = alice.post(f"{hub.api}/users/{ALICE}/tokens", json={"note": "e2e"},
                   headers={"X-XSRFToken": xsrf_of(alice)}, timeout=30)
    assert r.status_code == 201, f"token: {r.status_code} {r.text}"
    token = r.json()["token"]
    auth = {"Authorization": f"token {token}"}
    r = requests.post(f"{hub.url}/user/{ALICE}/api/kernels", headers=auth,
                      json={"name": "python3"}, timeout=60)
    assert r.status_code == 201, f"kernel: {r.status_code} {r.text}"
    kernel = r.json()["id"]
    ws = f"ws://127.0.0.1:{hub.ports['proxy_port']}/user/{ALICE}/api/kernels/{kernel}/channels"
    result = execute(ws, token, "import os; kept = 41; os.getuid()")
    assert result["content"]["data"]["text/plain"] == str(uid_of(ALICE)), result
    hub.alice = {"token": token, "kernel": kernel, "pid": pid}


def test_other_user_is_refused(hub):
    bob = hub.login(BOB)
    r = bob.get(f"{hub.url}/user/{ALICE}/lab", timeout=60)
    assert r.status_code == 403, f"bob at alice's lab: {r.status_code} {r.url} {r.text[:300]}"
    # a token of bob's has no access scope for alice's server
    r = bob.post(f"{hub.api}/users/{BOB}/tokens", json={"note": "e2e"},
                 headers={"X-XSRFToken": xsrf_of(bob)}, timeout=30)
    assert r.status_code == 201, r.text
    r = requests.get(f"{hub.url}/user/{ALICE}/api/status", timeout=30,
                     headers={"Authorization": f"token {r.json()['token']}"})
    assert r.status_code == 403, f"bob's token at alice's API: {r.status_code} {r.text[:300]}"


def test_hub_restart_keeps_servers(hub):
    facts = getattr(hub, "alice", None)
    assert facts, "test_login_spawn_lab_runs_cell must run first"
    os.kill(hub.proc.pid, signal.SIGKILL)
    hub.proc.proc.wait(10)
    hub.proc.stop()  # the log; the server is in its own session and survives
    assert pid_alive(facts["pid"]), "the server died with the hub"
    hub.start()
    auth = {"Authorization": f"token {facts['token']}"}
    wait_for(lambda: requests.get(f"{hub.url}/user/{ALICE}/api/status", headers=auth,
                                  timeout=10).status_code == 200, 30,
             "alice's server through the proxy after the restart", [hub.proc])
    model = hub.admin("GET", f"/users/{ALICE}").json()
    assert model["servers"][""]["state"]["pid"] == facts["pid"], model
    ws = (f"ws://127.0.0.1:{hub.ports['proxy_port']}/user/{ALICE}/api/kernels/"
          f"{facts['kernel']}/channels")
    result = execute(ws, facts["token"], "kept + 1")
    assert result["content"]["data"]["text/plain"] == "42", result

    # stopping: route first, then the process; the server's OAuth tokens are revoked
    r = hub.admin("DELETE", f"/users/{ALICE}/server")
    assert r.status_code in (202, 204), r.text
    wait_for(lambda: not pid_alive(facts["pid"]), 30, "alice's server process to exit")
    r = requests.get(f"{hub.url}/user/{ALICE}/api/status", headers=auth,
                     allow_redirects=False, timeout=10)
    assert r.status_code == 302 and "/hub/user/" in r.headers["Location"], (r.status_code, r.headers)
    r = requests.get(hub.url + r.headers["Location"], headers=auth, allow_redirects=False, timeout=10)
    assert r.status_code == 424, (r.status_code, r.text[:300])
    assert re.search(r"Restart the server at .*/hub/spawn/" + ALICE, r.json()["message"])
