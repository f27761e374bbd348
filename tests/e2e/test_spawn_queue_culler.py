"""Spawning at scale with a fake server that is ready at once (fixtures/fake_singleuser.py):

* surge_is_queued: 200 concurrent starts with concurrent_spawn_limit = 20 all complete, none
  gets a 429, and the queue positions a waiting spawn reports count down;
* stop_interrupts_pending_spawns: a DELETE on a server still waiting in the queue, or started
  and not yet answering, stops it at once (JupyterHub 6 cancels the pending spawn), and the
  slots it held serve the next start;
* idle_culler_works: the real jupyterhub-idle-culler (PyPI), with a service token, stops an
  idle server and leaves one that reports activity alone."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from conftest import ManagedProcess, free_port, wait_for
from test_ganymede_spawn import IS_ROOT, ganymede_bin

TAG = os.urandom(3).hex()
USER = f"gyq{TAG}"
ADMIN_TOKEN = os.urandom(16).hex()
CULLER_TOKEN = os.urandom(16).hex()
SURGE = 200

CONFIG = """\
[hub]
bind_url = "http://127.0.0.1:{proxy_port}"
hub_bind_url = "http://127.0.0.1:{hub_port}"
data_dir = "{tmp}"
allow_named_servers = true
concurrent_spawn_limit = 20

[hub.api_tokens]
"{admin_token}" = "gyqadmin{tag}"

[[hub.services]]
name = "idle-culler"
api_token = "{culler_token}"

[[hub.load_roles]]
name = "idle-culler"
scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
services = ["idle-culler"]

[proxy]
api_url = "http://127.0.0.1:{api_port}"

[authenticator]
admin_users = ["gyqadmin{tag}"]
allowed_users = ["{user}"]

[spawner]
cmd = ["/usr/bin/python3", "{fake}"]
create_system_users = {create_users}
http_timeout = 60
poll_interval = 2
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ganymede-queue")
    tmp.chmod(0o755)
    # pytest's temporary directories are private to root; the servers run as the user.
    shared = Path(tempfile.mkdtemp(prefix="ganymede-fake-"))
    shared.chmod(0o755)
    fake = shared / "fake_singleuser.py"
    shutil.copy(Path(__file__).parent / "fixtures/fake_singleuser.py", fake)
    fake.chmod(0o644)
    ports = {"proxy_port": free_port(), "hub_port": free_port(), "api_port": free_port()}
    config = tmp / "ganymede.toml"
    config.write_text(CONFIG.format(tmp=tmp, admin_token=ADMIN_TOKEN, culler_token=CULLER_TOKEN,
                                    tag=TAG, user=USER, fake=fake,
                                    create_users="true" if IS_ROOT else "false", **ports))
    proc = ManagedProcess("ganymede-queue", [str(ganymede_bin()), "serve", "-f", str(config)],
                          tmp, cwd=tmp)
    api = f"http://127.0.0.1:{ports['proxy_port']}/hub/api"
    wait_for(lambda: requests.get(api + "/", timeout=5).status_code == 200, 30,
             "Ganymede's API", [proc])
    facts = {"api": api, "proc": proc, "tmp": tmp, "ports": ports}
    yield facts
    try:
        model = admin(facts, "GET", f"/users/{USER}").json()
        for name in model.get("servers", {}):
            admin(facts, "DELETE", f"/users/{USER}/servers/{name}")
        wait_for(lambda: not admin(facts, "GET", f"/users/{USER}").json().get("servers"), 60,
                 "every server stopped", [proc])
    finally:
        proc.stop()
        shutil.rmtree(shared, ignore_errors=True)
        if IS_ROOT:
            subprocess.run(["userdel", "-r", USER], capture_output=True)


def admin(hub, method, path, **kw):
    return requests.request(method, hub["api"] + path, timeout=120,
                            headers={"Authorization": f"token {ADMIN_TOKEN}"}, **kw)


def test_surge_is_queued(hub):
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=SURGE)
    session.mount("http://", adapter)
    headers = {"Authorization": f"token {ADMIN_TOKEN}"}

    def start(i):
        return session.post(f"{hub['api']}/users/{USER}/servers/s{i}", headers=headers,
                            timeout=120).status_code

    with ThreadPoolExecutor(max_workers=SURGE) as pool:
        statuses = list(pool.map(start, range(SURGE)))
    assert 429 not in statuses, statuses
    assert set(statuses) <= {201, 202}, sorted(set(statuses))

    def all_ready():
        servers = admin(hub, "GET", f"/users/{USER}").json().get("servers", {})
        return sum(1 for s in servers.values() if s["ready"]) == SURGE
    wait_for(all_ready, 120, f"{SURGE} servers ready", [hub["proc"]])

    # every server answers through the proxy as its own user
    base = f"http://127.0.0.1:{hub['ports']['proxy_port']}/user/{USER}"
    for i in (0, SURGE // 2, SURGE - 1):
        r = requests.get(f"{base}/s{i}/api", timeout=10, allow_redirects=False)
        assert r.status_code == 200 and r.json()["server"] == f"s{i}", r.text


def _events(url, headers):
    events = []
    with requests.get(url, headers=headers, stream=True, timeout=120) as r:
        for line in r.iter_lines(decode_unicode=True):
            if line and line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if events[-1].get("ready") or events[-1].get("failed"):
                    break
    return events


def test_queue_positions_count_down(hub):
    # 20 slow starts hold every slot (concurrent_spawn_limit = 20) and start listening 1 s apart:
    # the readiness check backs off to one try a second, so closer finishes can be seen as
    # ready together and free several slots at once. Five more wait in line, and the last
    # one's stream shows its place counting down.
    headers = {"Authorization": f"token {ADMIN_TOKEN}"}
    slow = [f"slow{1500 + 1000 * i}" for i in range(20)]
    waiting = [f"w{i}" for i in range(5)]
    results = {}

    def start(name):
        results[name] = requests.post(f"{hub['api']}/users/{USER}/servers/{name}",
                                      headers=headers, timeout=120).status_code

    def pending():
        servers = admin(hub, "GET", f"/users/{USER}").json().get("servers", {})
        return sum(1 for s in servers.values() if s["pending"] == "spawn")

    threads = [threading.Thread(target=start, args=(name,)) for name in slow]
    for t in threads:
        t.start()
    wait_for(lambda: pending() == len(slow), 30, "20 slow starts holding the slots")
    for name in waiting:
        t = threading.Thread(target=start, args=(name,))
        t.start()
        threads.append(t)
        wait_for(lambda: name in admin(hub, "GET", f"/users/{USER}").json().get("servers", {}),
                 10, f"{name} recorded")
    events = _events(f"{hub['api']}/users/{USER}/servers/{waiting[-1]}/progress", headers)
    for t in threads:
        t.join()
    assert set(results.values()) <= {201, 202}, results
    assert events[-1].get("ready") is True, events
    positions = [int(e["message"].split("position ")[1].split(" ")[0])
                 for e in events if "position" in e.get("message", "")]
    assert positions and positions[0] == len(waiting), events
    assert len(set(positions)) >= 2 and positions == sorted(positions, reverse=True), (positions, events)
    for name in slow + waiting:
        admin(hub, "DELETE", f"/users/{USER}/servers/{name}")


def test_stop_interrupts_pending_spawns(hub):
    # 20 servers that take a minute to listen hold every slot; one more waits in the queue.
    headers = {"Authorization": f"token {ADMIN_TOKEN}"}
    starting = [f"slow{60000 + i}" for i in range(20)]
    results = {}

    def start(name):
        results[name] = admin(hub, "POST", f"/users/{USER}/servers/{name}").status_code

    def server(name):
        return admin(hub, "GET", f"/users/{USER}").json().get("servers", {}).get(name)

    # each POST answers 202 after slow_spawn_timeout (10 s): send them together
    threads = [threading.Thread(target=start, args=(name,)) for name in starting]
    for t in threads:
        t.start()
    wait_for(lambda: all((server(n) or {}).get("pending") == "spawn" for n in starting), 30,
             "20 slow starts holding the slots")
    threads.append(threading.Thread(target=start, args=("queued",)))
    threads[-1].start()
    wait_for(lambda: (server("queued") or {}).get("pending") == "spawn", 30, "queued recorded")
    with requests.get(f"{hub['api']}/users/{USER}/servers/queued/progress", headers=headers,
                      timeout=10, stream=True) as r:
        assert r.status_code == 200

    started = time.monotonic()
    r = admin(hub, "DELETE", f"/users/{USER}/servers/queued")
    assert r.status_code == 204, r.text
    assert server("queued") is None or server("queued")["stopped"], server("queued")
    for name in starting:
        r = admin(hub, "DELETE", f"/users/{USER}/servers/{name}")
        assert r.status_code in (202, 204), (name, r.text)
    for t in threads:
        t.join()
    # the interrupted starts answer as failed spawns (JupyterHub: 500) or as pending
    assert set(results.values()) <= {202, 500}, results
    wait_for(lambda: all(server(n) is None or server(n)["stopped"] for n in starting), 30,
             "every interrupted server stopped", [hub["proc"]])
    assert time.monotonic() - started < 30, "interrupting should not wait for the slow servers"
    # the slots are free again: a fresh start is served at once
    r = admin(hub, "POST", f"/users/{USER}/servers/after")
    assert r.status_code in (201, 202), r.text
    wait_for(lambda: (server("after") or {}).get("ready"), 30, "a start after the interruptions")
    admin(hub, "DELETE", f"/users/{USER}/servers/after")


def test_idle_culler_works(hub, peers_venv):
    culler = peers_venv / "bin/jupyterhub-idle-culler"
    if not culler.exists():
        pytest.fail(f"{culler} is missing: run scripts/peers.sh", pytrace=False)
    for name in ("idle", "busy"):
        r = admin(hub, "POST", f"/users/{USER}/servers/{name}")
        assert r.status_code in (201, 202), r.text
    wait_for(lambda: all(admin(hub, "GET", f"/users/{USER}").json()["servers"].get(n, {}).get("ready")
                         for n in ("idle", "busy")), 60, "both servers ready")
    stop = threading.Event()

    def keep_busy():
        while not stop.is_set():
            now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
            admin(hub, "POST", f"/users/{USER}/activity",
                  json={"servers": {"busy": {"last_activity": now}}})
            stop.wait(0.5)

    busy = threading.Thread(target=keep_busy, daemon=True)
    busy.start()
    env = dict(os.environ, JUPYTERHUB_API_TOKEN=CULLER_TOKEN, JUPYTERHUB_API_URL=hub["api"])
    proc = ManagedProcess("idle-culler", [str(culler), "--timeout=4", "--cull-every=1"],
                          hub["tmp"], env=env)
    try:
        def idle_gone():
            servers = admin(hub, "GET", f"/users/{USER}").json()["servers"]
            return "idle" not in servers or servers["idle"]["stopped"]
        wait_for(idle_gone, 60, "the culler to stop the idle server", [proc, hub["proc"]])
        servers = admin(hub, "GET", f"/users/{USER}").json()["servers"]
        assert servers["busy"]["ready"] is True, servers
    finally:
        stop.set()
        proc.stop()
        busy.join(5)
