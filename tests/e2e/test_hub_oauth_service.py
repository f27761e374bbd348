"""hub_oauth_service_whoami: a Python service built on JupyterHub's own
`jupyterhub.services.auth.HubOAuth` authenticates a browser user through Ganymede's OAuth
provider, behind Ganymede's proxy at /services/whoami/. Also the first run of a hub with no
login configured."""
import html
import os
import re
import secrets

import pytest
import requests

from conftest import ManagedProcess, free_port, wait_for
from test_ganymede_spawn import ganymede_bin

SERVICE_TOKEN = secrets.token_hex(16)
PASSWORD = "e2e-user-password"

CONFIG = """\
[hub]
bind_url = "http://127.0.0.1:{proxy_port}"
hub_bind_url = "http://127.0.0.1:{hub_port}"
data_dir = "{tmp}"

[[hub.services]]
name = "whoami"
url = "http://127.0.0.1:{service_port}"
api_token = "{token}"

[[hub.load_roles]]
name = "whoami-users"
scopes = ["access:services!service=whoami"]
users = ["alice"]

[proxy]
api_url = "http://127.0.0.1:{api_port}"

[spawner]
cmd = ["/bin/false"]

[authenticator]
allowed_users = ["alice", "bob"]

[authenticator.shared_password]
user_password = "{password}"
"""


@pytest.fixture
def hub(tmp_path, spawn, peers_venv):
    ports = {k: free_port() for k in ("proxy_port", "hub_port", "api_port", "service_port")}
    config = tmp_path / "ganymede.toml"
    config.write_text(CONFIG.format(tmp=tmp_path, token=SERVICE_TOKEN, password=PASSWORD, **ports))
    proc = spawn("ganymede", [str(ganymede_bin()), "serve", "-f", str(config)], cwd=tmp_path)
    url = f"http://127.0.0.1:{ports['proxy_port']}"
    wait_for(lambda: requests.get(url + "/hub/api/", timeout=5).status_code == 200, 30,
             "Ganymede's API", [proc])
    env = dict(os.environ,
               JUPYTERHUB_API_TOKEN=SERVICE_TOKEN,
               JUPYTERHUB_API_URL=f"http://127.0.0.1:{ports['hub_port']}/hub/api",
               JUPYTERHUB_BASE_URL="/",
               JUPYTERHUB_HOST="",
               JUPYTERHUB_SERVICE_NAME="whoami",
               JUPYTERHUB_SERVICE_PREFIX="/services/whoami/",
               JUPYTERHUB_SERVICE_URL=f"http://127.0.0.1:{ports['service_port']}",
               JUPYTERHUB_CLIENT_ID="service-whoami",
               JUPYTERHUB_OAUTH_CALLBACK_URL="/services/whoami/oauth_callback")
    service = spawn("whoami", [str(peers_venv / "bin/python"),
                               os.path.join(os.path.dirname(__file__), "fixtures/whoami_service.py")],
                    env=env)
    wait_for(lambda: requests.get(f"{url}/services/whoami/", timeout=5,
                                  allow_redirects=False).status_code == 302, 30,
             "the whoami service behind the proxy", [proc, service])
    return url


def login(url, name):
    s = requests.Session()
    s.get(url + "/hub/login", timeout=10)
    r = s.post(url + "/hub/login", allow_redirects=False, timeout=10,
               data={"username": name, "password": PASSWORD, "_xsrf": s.cookies.get("_xsrf")})
    assert r.status_code == 302, r.text[:300]
    return s


def test_hub_oauth_service_whoami(hub):
    alice = login(hub, "alice")
    r = alice.get(f"{hub}/services/whoami/", timeout=30)
    hops = [(h.status_code, h.headers.get("Location", "")) for h in r.history]
    assert r.status_code == 200, f"{r.status_code} after {hops}: {r.text[:300]}"
    assert any("/hub/api/oauth2/authorize" in loc for _, loc in hops), hops
    # A service that does not set oauth_no_confirm asks once: the user presses Authorize.
    assert 'id="authorize"' in r.text and "access:services!service=whoami" in r.text, r.text[:500]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    r = alice.post(r.url, data=fields, timeout=30)
    hops = [(h.status_code, h.headers.get("Location", "")) for h in r.history]
    assert r.status_code == 200, f"{r.status_code} after {hops}: {r.text[:300]}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), (r.url, hops, r.text[:500])
    model = r.json()
    assert model["name"] == "alice" and model["kind"] == "user", model
    assert "access:services!service=whoami" in model["scopes"], model

    # Once authorized, the same scopes are not asked about again (JupyterHub's
    # needs_oauth_confirm), even from another browser of the same user.
    again = login(hub, "alice")
    r = again.get(f"{hub}/services/whoami/", timeout=30)
    assert r.status_code == 200 and 'id="authorize"' not in r.text, r.text[:300]
    assert r.json()["name"] == "alice"

    # bob holds no access:services for it: the hub refuses to authorize
    bob = login(hub, "bob")
    r = bob.get(f"{hub}/services/whoami/", timeout=30)
    assert r.status_code == 403, (r.status_code, r.url, r.text[:300])
    assert "You do not have permission to access" in r.text


def test_first_run_lets_one_user_in(tmp_path, spawn):
    """No login configured, on loopback: one user may log in with a generated password kept in
    <data_dir>/first-run-password; the log names the file, never the password."""
    port = free_port()
    proc = spawn("ganymede-first-run", [str(ganymede_bin()), "serve",
                                        "--set", f"hub.bind_url=http://127.0.0.1:{port}/",
                                        "--set", "hub.hub_bind_url=http://127.0.0.1:0/",
                                        "--set", "proxy.api_url=http://127.0.0.1:0/",
                                        "--set", "spawner.cmd=[\"/bin/false\"]"],
                 cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "SUDO_USER"})
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(url + "/hub/api/", timeout=5).status_code == 200, 30,
             "Ganymede's API", [proc])
    password = (tmp_path / "first-run-password").read_text().strip()
    assert len(password) >= 16 and oct((tmp_path / "first-run-password").stat().st_mode)[-3:] == "600"
    name = "jupyter" if os.geteuid() == 0 else __import__("pwd").getpwuid(os.getuid()).pw_name
    s = requests.Session()
    s.get(url + "/hub/login", timeout=10)
    r = s.post(url + "/hub/login", allow_redirects=False, timeout=10,
               data={"username": name, "password": password, "_xsrf": s.cookies.get("_xsrf")})
    assert r.status_code == 302, r.text[:300]
    r = s.post(url + "/hub/login", allow_redirects=False, timeout=10,
               data={"username": "someone-else", "password": password, "_xsrf": s.cookies.get("_xsrf")})
    assert r.status_code == 403
    assert password not in proc.log_path.read_text()
    assert "first-run-password" in proc.log_path.read_text()
