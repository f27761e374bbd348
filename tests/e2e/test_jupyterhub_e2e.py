"""Real JupyterHub 6.1.1 driving the proxy under test (PROXY_CMD), end to end:
browser-style login, spawn, JupyterLab through the OAuth redirects, a kernel
executing `1+1` over a websocket through the proxy, and the proxy's route table."""
import json
import os
import re
import secrets
import sys
import uuid
from datetime import datetime, timezone

import pytest
import requests
import websocket

from conftest import AUTH_TOKEN, free_port, pid_alive, port_open, wait_for

USER, PASSWORD = "alice", "e2e-password"
SERVICE, SERVICE_TOKEN = "e2e-test", "e2e-service-token-" + secrets.token_hex(8)
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

HUB_CONFIG = """\
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{proxy_port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{tmp}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{tmp}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{tmp}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = {proxy_cmd!r}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.pid_file = "{tmp}/jupyterhub-proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {{{user!r}}}
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = "{tmp}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.JupyterHub.services = [{{"name": {service!r}, "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "e2e-service-admin", "services": [{service!r}],
    "scopes": ["admin:users", "admin:servers", "tokens", "read:hub", "proxy"]}}]
"""


@pytest.fixture
def hub(tmp_path, spawn, peers_venv, proxy_cmd):
    """A running JupyterHub whose proxy is PROXY_CMD; yields a dict of facts."""
    ports = {"proxy_port": free_port(), "hub_port": free_port(), "api_port": free_port()}
    (tmp_path / "home").mkdir()
    config = HUB_CONFIG.format(tmp=tmp_path, proxy_cmd=list(proxy_cmd), password=PASSWORD,
                               user=USER, singleuser=str(peers_venv / "bin/jupyterhub-singleuser"),
                               service=SERVICE, service_token=SERVICE_TOKEN, **ports)
    (tmp_path / "jupyterhub_config.py").write_text(config)
    env = dict(os.environ, CONFIGPROXY_AUTH_TOKEN=AUTH_TOKEN,
               PATH=f"{peers_venv}/bin:{os.environ.get('PATH', '/usr/bin:/bin')}")
    env.pop("JUPYTERHUB_API_TOKEN", None)
    proc = spawn("jupyterhub", [str(peers_venv / "bin/jupyterhub"), "-f",
                                str(tmp_path / "jupyterhub_config.py")], env=env, cwd=tmp_path)
    facts = dict(ports, proc=proc, tmp=tmp_path,
                 url=f"http://127.0.0.1:{ports['proxy_port']}",
                 api=f"http://127.0.0.1:{ports['proxy_port']}/hub/api",
                 proxy_api=f"http://127.0.0.1:{ports['api_port']}")

    def hub_up():
        r = requests.get(facts["api"] + "/", timeout=5)  # through the proxy
        return r.status_code == 200 and "version" in r.json()
    wait_for(hub_up, 60, "JupyterHub API through the proxy", [proc])
    yield facts
    # SIGTERM lets JupyterHub stop the servers and its proxy itself; the proxy must go
    try:
        pid_file = tmp_path / "jupyterhub-proxy.pid"
        proxy_pid = int(pid_file.read_text()) if pid_file.exists() else None
        assert proc.terminate(30), "JupyterHub did not exit within 30 s of SIGTERM"
        wait_for(lambda: not port_open(ports["proxy_port"]) and not (
            proxy_pid and pid_alive(proxy_pid)), 10,
            "the proxy to exit after JupyterHub's shutdown")
    finally:
        proc.stop()


def svc(method, hub, path, **kw):
    headers = {"Authorization": f"token {SERVICE_TOKEN}"}
    return requests.request(method, hub["api"] + path, headers=headers, timeout=30, **kw)


def proxy_routes(hub):
    r = requests.get(hub["proxy_api"] + "/api/routes",
                     headers={"Authorization": f"token {AUTH_TOKEN}"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def login(hub):
    s = requests.Session()
    r = s.get(hub["url"] + "/hub/login", timeout=30)
    assert r.status_code == 200, r.text[:500]
    xsrf = s.cookies.get("_xsrf")
    assert xsrf, f"no _xsrf cookie from /hub/login: {s.cookies}"
    r = s.post(hub["url"] + "/hub/login", timeout=30, allow_redirects=False,
               data={"username": USER, "password": PASSWORD, "_xsrf": xsrf})
    assert r.status_code == 302, f"login: {r.status_code} {r.text[:500]}"
    return s


def execute(ws_url, token, code, timeout=60):
    """Send an execute_request over the kernel websocket; return the execute_result."""
    ws = websocket.create_connection(ws_url, timeout=timeout,
                                     header=[f"Authorization: token {token}"])
    try:
        msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
        ws.send(json.dumps({
            "channel": "shell",
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": USER,
                       "session": session, "version": "5.3",
                       "date": datetime.now(timezone.utc).isoformat()},
            "parent_header": {}, "metadata": {}, "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))
        seen = []
        while True:  # recv() raises on timeout: the deadline is the socket timeout
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            seen.append(msg["msg_type"])
            if msg["msg_type"] == "execute_result":
                return msg
            if msg["msg_type"] == "error" or len(seen) > 50:
                raise AssertionError(f"no execute_result; got {seen}: {msg.get('content')}")
    finally:
        ws.close()


def test_jupyterhub_through_proxy_runs_cell(hub):
    # the hub route is in the proxy's table
    routes = proxy_routes(hub)
    assert routes.get("/", {}).get("hub") is True, routes

    session = login(hub)

    # spawn and wait until the hub says the server is ready
    r = svc("POST", hub, f"/users/{USER}/server")
    assert r.status_code in (201, 202), f"spawn: {r.status_code} {r.text}"

    def ready():
        model = svc("GET", hub, f"/users/{USER}").json()
        return model.get("servers", {}).get("", {}).get("ready")
    wait_for(ready, 90, f"{USER}'s server ready", [hub["proc"]])

    # the user route as JupyterHub wrote it, plus CHP's last_activity
    route = proxy_routes(hub).get(f"/user/{USER}")
    assert route is not None, proxy_routes(hub)
    assert route["jupyterhub"] is True and route["user"] == USER and route["server_name"] == ""
    assert re.match(r"^http://127\.0\.0\.1:\d+$", route["target"]), route
    assert ISO_MS_Z.match(route["last_activity"]), route

    # JupyterLab through the proxy, following the OAuth redirects with the same session
    r = session.get(f"{hub['url']}/user/{USER}/lab", timeout=60)
    hops = [h.status_code for h in r.history]
    assert r.status_code == 200, f"lab: {r.status_code} after {hops}: {r.text[:500]}"
    assert r.url.rstrip("/").endswith(f"/user/{USER}/lab"), r.url
    assert "JupyterLab" in r.text and "jupyter-config-data" in r.text, r.text[:500]
    assert any(h.status_code in (302, 303) and "oauth2/authorize" in h.headers.get("Location", "")
               for h in r.history), f"expected the OAuth round trip, got {hops}"

    # a user API token, made with the service token
    r = svc("POST", hub, f"/users/{USER}/tokens", json={"note": "e2e", "expires_in": 600})
    assert r.status_code == 201, f"token: {r.status_code} {r.text}"
    user_token = r.json()["token"]
    auth = {"Authorization": f"token {user_token}"}

    # a kernel, created through the proxy
    r = requests.post(f"{hub['url']}/user/{USER}/api/kernels", headers=auth,
                      json={"name": "python3"}, timeout=60)
    assert r.status_code == 201, f"kernel: {r.status_code} {r.text}"
    kernel_id = r.json()["id"]

    ws_url = f"ws://127.0.0.1:{hub['proxy_port']}/user/{USER}/api/kernels/{kernel_id}/channels"
    result = execute(ws_url, user_token, "1+1")
    assert result["content"]["data"]["text/plain"] == "2", result

    r = requests.delete(f"{hub['url']}/user/{USER}/api/kernels/{kernel_id}", headers=auth,
                        timeout=30)
    assert r.status_code == 204, r.text

    # stop the server: JupyterHub deletes the route first
    r = svc("DELETE", hub, f"/users/{USER}/server")
    assert r.status_code in (202, 204), f"stop: {r.status_code} {r.text}"
    wait_for(lambda: not svc("GET", hub, f"/users/{USER}").json().get("servers"), 60,
             f"{USER}'s server stopped", [hub["proc"]])
    assert f"/user/{USER}" not in proxy_routes(hub)
    print(f"python {sys.version.split()[0]}; lab redirects {hops}", file=sys.stderr)
