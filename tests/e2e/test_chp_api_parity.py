"""Side-by-side parity: the real configurable-http-proxy vs the proxy under test.

Every case resets both route tables, runs the same steps against both proxies and
compares, step by step, the status code and (for JSON bodies) the normalized JSON:
values keep their type, `last_activity` is reduced to its format, and each proxy's own
port is replaced by "<port>". Non-JSON bodies (CHP's odd texts) are not compared.
Proxied requests go to echo backends, so the comparison covers what the backend saw.

PARITY_RECORD=<file> appends the raw responses of both proxies as JSON lines.
"""
import json
import os
import re
import time
from dataclasses import dataclass, field

import pytest
import requests

from conftest import AUTH_TOKEN, Proxy, free_port

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HOP_BY_HOP = {"connection", "keep-alive"}


@dataclass
class Step:
    where: str               # "api" | "public" | "setup" (api, must succeed, not compared)
    method: str
    path: str
    json: object = None
    data: object = None
    token: object = AUTH_TOKEN
    headers: dict = field(default_factory=dict)


def api(method, path, json=None, **kw):
    return Step("api", method, path, json=json, **kw)


def setup(method, path, json=None):
    return Step("setup", method, path, json=json)


def pub(method, path, **kw):
    return Step("public", method, path, **kw)


USER_ROUTE = {"target": "{alpha}", "jupyterhub": True, "user": "alice", "server_name": ""}
HUB_ROUTE = {"target": "{beta}", "jupyterhub": True, "hub": True}
FUTURE, PAST = "2999-01-01T00:00:00.000Z", "2000-01-01T00:00:00Z"
ADD_ALICE = setup("POST", "/api/routes/user/alice", USER_ROUTE)
ADD_HUB = setup("POST", "/api/routes/", HUB_ROUTE)

API_CASES = {
    "list_empty": [api("GET", "/api/routes")],
    "list_empty_trailing_slash": [api("GET", "/api/routes/")],
    "add_user_route_extra_keys": [
        api("POST", "/api/routes/user/alice", USER_ROUTE),
        api("GET", "/api/routes/user/alice"),
        api("GET", "/api/routes")],
    "add_root_route": [api("POST", "/api/routes/", HUB_ROUTE), api("GET", "/api/routes")],
    "add_root_route_no_slash": [api("POST", "/api/routes", {"target": "{beta}"}),
                                api("GET", "/api/routes/")],
    "add_value_types_kept": [
        api("POST", "/api/routes/svc", {"target": "{alpha}", "n": 1, "f": 1.5, "b": False,
                                        "none": None, "list": [1, "a"], "obj": {"k": [True]}}),
        api("GET", "/api/routes/svc")],
    "add_overwrites_data": [
        ADD_ALICE, api("POST", "/api/routes/user/alice", {"target": "{beta}", "other": "x"}),
        api("GET", "/api/routes/user/alice")],
    "client_last_activity_replaced": [
        api("POST", "/api/routes/user/alice", {"target": "{alpha}", "last_activity": "garbage"}),
        api("GET", "/api/routes/user/alice")],
    "get_one": [ADD_ALICE, ADD_HUB, api("GET", "/api/routes/user/alice")],
    "get_missing": [ADD_ALICE, api("GET", "/api/routes/user/nobody")],
    "get_parent_of_route_is_missing": [ADD_ALICE, api("GET", "/api/routes/user")],
    "list_two": [ADD_ALICE, ADD_HUB, api("GET", "/api/routes")],
    "inactive_since_future_includes_all": [
        ADD_ALICE, ADD_HUB, api("GET", f"/api/routes?inactive_since={FUTURE}")],
    "inactive_since_past_includes_none": [
        ADD_ALICE, ADD_HUB, api("GET", f"/api/routes?inactive_since={PAST}")],
    "inactiveSince_camel_case": [ADD_ALICE, api("GET", f"/api/routes?inactiveSince={FUTURE}")],
    "inactive_since_empty_means_no_filter": [ADD_ALICE, api("GET", "/api/routes?inactive_since=")],
    "inactive_since_garbage_400": [ADD_ALICE, api("GET", "/api/routes?inactive_since=garbage")],
    "delete": [ADD_ALICE, api("DELETE", "/api/routes/user/alice"),
               api("GET", "/api/routes/user/alice"), api("GET", "/api/routes")],
    "delete_missing_404": [api("DELETE", "/api/routes/user/nobody")],
    "delete_twice": [ADD_ALICE, api("DELETE", "/api/routes/user/alice"),
                     api("DELETE", "/api/routes/user/alice")],
    "delete_root": [ADD_HUB, ADD_ALICE, api("DELETE", "/api/routes/"), api("GET", "/api/routes")],
    "wrong_token_403": [ADD_ALICE, api("GET", "/api/routes", token="wrong"),
                        api("GET", "/api/routes/user/alice", token="wrong"),
                        api("POST", "/api/routes/user/eve", {"target": "{alpha}"}, token="wrong"),
                        api("DELETE", "/api/routes/user/alice", token="wrong"),
                        api("GET", "/api/routes")],
    "missing_token_403": [api("GET", "/api/routes", token=None),
                          api("POST", "/api/routes/user/eve", {"target": "{alpha}"}, token=None),
                          api("DELETE", "/api/routes/user/eve", token=None)],
    "bearer_token_403": [api("GET", "/api/routes", token=None,
                             headers={"Authorization": f"Bearer {AUTH_TOKEN}"})],
    "post_not_json_400": [api("POST", "/api/routes/user/x", data="not json{"),
                          api("GET", "/api/routes")],
    "post_empty_body_400": [api("POST", "/api/routes/user/x", data="")],
    "post_json_null_400": [api("POST", "/api/routes/user/x", data="null")],
    "post_without_target_400": [api("POST", "/api/routes/user/x", {"user": "x"}),
                                api("GET", "/api/routes")],
    "post_non_string_target_400": [api("POST", "/api/routes/user/x", {"target": 8080}),
                                   api("POST", "/api/routes/user/x", {"target": None}),
                                   api("GET", "/api/routes")],
    "put_405": [api("PUT", "/api/routes/user/x", {"target": "{alpha}"})],
    "patch_405": [ADD_ALICE, api("PATCH", "/api/routes/user/alice", {"target": "{beta}"})],
    "unknown_api_path_404": [api("GET", "/api/nope"), api("GET", "/api/routesx"),
                             api("GET", "/"), api("POST", "/api/nope", {"target": "{alpha}"})],
    "healthz_not_on_api_port": [api("GET", "/_chp_healthz")],
    "trailing_slash_same_route": [
        api("POST", "/api/routes/user/bob/", {"target": "{alpha}"}),
        api("GET", "/api/routes/user/bob"), api("GET", "/api/routes/user/bob/"),
        api("GET", "/api/routes"), api("DELETE", "/api/routes/user/bob/"),
        api("GET", "/api/routes/user/bob")],
    "percent_encoded_path": [
        api("POST", "/api/routes/user/a%40b%20c", {"target": "{alpha}"}),
        api("GET", "/api/routes"), api("GET", "/api/routes/user/a%40b%20c"),
        api("GET", "/api/routes/user/a@b%20c"), api("DELETE", "/api/routes/user/a%40b%20c"),
        api("GET", "/api/routes")],
    "healthz_public": [pub("GET", "/_chp_healthz")],
}

HDRS = {"X-Test": "yes", "Cookie": "c=1", "User-Agent": "parity-test"}
PROXY_CASES = {
    "forward_path_and_query": [ADD_ALICE, ADD_HUB, pub("GET", "/user/alice/lab?x=1&y=%20z",
                                                       headers=HDRS)],
    "forward_exact_prefix": [ADD_ALICE, pub("GET", "/user/alice")],
    "forward_prefix_trailing_slash": [ADD_ALICE, pub("GET", "/user/alice/")],
    "longest_prefix_whole_segments": [ADD_ALICE, ADD_HUB, pub("GET", "/user/alice2/lab"),
                                      pub("GET", "/user/alicex"), pub("GET", "/user"),
                                      pub("GET", "/user/alice/tree/deep/er")],
    "nested_routes": [ADD_HUB, ADD_ALICE, setup("POST", "/api/routes/user/alice/gpu",
                                                {"target": "{beta}"}),
                      pub("GET", "/user/alice/gpu/x"), pub("GET", "/user/alice/gp")],
    "root_route_catches_all": [ADD_HUB, pub("GET", "/"), pub("GET", "/hub/login?next=%2F")],
    "post_body_forwarded": [ADD_ALICE, pub("POST", "/user/alice/api/x", data='{"a": 1}',
                                           headers={"Content-Type": "application/json"})],
    "other_methods": [ADD_ALICE, pub("DELETE", "/user/alice/api/x"), pub("PUT", "/user/alice/p",
                      data="x"), pub("PATCH", "/user/alice/p", data="y"),
                      pub("OPTIONS", "/user/alice/p")],
    "percent_encoded_route_matches_encoded_request": [
        setup("POST", "/api/routes/user/a%40b%20c", {"target": "{alpha}"}),
        ADD_HUB, pub("GET", "/user/a%40b%20c/lab"), pub("GET", "/user/a@b%20c/lab")],
    "no_route_404": [ADD_ALICE, pub("GET", "/nope/x")],
    "target_down_503": [setup("POST", "/api/routes/user/dead", {"target": "{dead}"}),
                        pub("GET", "/user/dead/lab")],
    "x_forwarded_headers_appended": [
        ADD_ALICE, pub("GET", "/user/alice/h", headers={"X-Forwarded-For": "10.1.2.3",
                                                        "X-Forwarded-Proto": "https",
                                                        "X-Forwarded-Host": "hub.example",
                                                        "X-Forwarded-Port": "443"})],
    "host_header_passthrough": [ADD_ALICE, pub("GET", "/user/alice/h",
                                               headers={"Host": "hub.example:9999"})],
    "healthz_with_query_is_proxied": [ADD_HUB, pub("GET", "/_chp_healthz?x=1")],
    "api_paths_not_served_publicly": [ADD_HUB, pub("GET", "/api/routes")],
}


# With --error-target URL, CHP fetches GET URL/<code>?url=<request url> and relays that
# body (and content-type) under the original status; JupyterHub always passes it.
ERROR_TARGET_CASES = {
    "error_target_404": [ADD_ALICE, pub("GET", "/nope/x?a=1&b=%2F")],
    "error_target_503": [setup("POST", "/api/routes/user/dead", {"target": "{dead}"}),
                         pub("GET", "/user/dead/lab?x=1", headers=HDRS)],
}


def _fill(obj, subst):
    if isinstance(obj, str):
        return obj.format(**subst) if "{" in obj and "}" in obj else obj
    if isinstance(obj, dict):
        return {k: _fill(v, subst) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, subst) for v in obj]
    return obj


def _norm(value, port, key=None):
    """Typed, port-independent form of a JSON value."""
    if key == "last_activity":
        ok = isinstance(value, str) and ISO_MS_Z.match(value)
        return "<iso8601 ms Z>" if ok else f"<bad last_activity {value!r}>"
    if isinstance(value, dict):
        return {k: _norm(v, port, k) for k, v in value.items()
                if not (key == "headers" and k in HOP_BY_HOP)}
    if isinstance(value, list):
        return [_norm(v, port) for v in value]
    if isinstance(value, str):
        return "str:" + re.sub(rf"(?<![0-9]){port}(?![0-9])", "<port>", value)
    return f"{type(value).__name__}:{json.dumps(value)}"


def _shape(resp, port):
    out = {"status": resp.status_code}
    try:
        body = resp.json() if resp.content else None
    except ValueError:
        body = None
    if body is not None:
        out["content_type"] = resp.headers.get("Content-Type", "").split(";")[0].strip()
        out["json"] = _norm(body, port)
    return out


def _send(proxy, step, subst):
    kw = {"json": _fill(step.json, subst)} if step.json is not None else {}
    if step.data is not None:
        kw["data"] = step.data
    headers = dict(step.headers)
    if step.where == "public":
        return requests.request(step.method, proxy.url + step.path, headers=headers,
                                timeout=10, allow_redirects=False, **kw)
    return proxy.api(step.method, step.path, token=step.token, headers=headers, **kw)


def _record(case, i, proxy, resp):
    path = os.environ.get("PARITY_RECORD")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"case": case, "step": i, "proxy": proxy.name,
                                "status": resp.status_code, "headers": dict(resp.headers),
                                "body": resp.text}) + "\n")


def _run_case(name, steps, pair, subst):
    for proxy in pair:
        proxy.clear_routes()
    for i, step in enumerate(steps):
        resps = [_send(p, step, subst) for p in pair]
        for p, r in zip(pair, resps):
            _record(name, i, p, r)
        what = f"step {i}: {step.where} {step.method} {step.path}"
        if step.where == "setup":
            for p, r in zip(pair, resps):
                assert r.status_code < 300, f"{what} on {p.name}: {r.status_code} {r.text!r}"
            continue
        shapes = [_shape(r, p.port) for p, r in zip(pair, resps)]
        assert shapes[1] == shapes[0], (
            f"{what}\n  chp: {shapes[0]}\n  sut: {shapes[1]}\n"
            f"  chp body: {resps[0].text[:300]!r}\n  sut body: {resps[1].text[:300]!r}")


@pytest.fixture(scope="module")
def subst(backends):
    return dict(backends, dead=f"http://127.0.0.1:{free_port()}")


@pytest.fixture(scope="module")
def error_target_pair(tmp_path_factory, chp_cmd, proxy_cmd, backends):
    log_dir = tmp_path_factory.mktemp("proxies-error-target")
    args = ["--error-target", backends["alpha"] + "/hub/error"]
    started = []
    try:
        started.append(Proxy("chp-et", chp_cmd, log_dir, args))
        started.append(Proxy("sut-et", proxy_cmd, log_dir, args))
        yield tuple(started)
    finally:
        for p in started:
            p.proc.stop()


def test_initial_route_table_is_empty(proxy_pair):
    """Without --default-target a fresh proxy has no routes at all."""
    assert [p.initial_routes for p in proxy_pair] == [{}, {}]


@pytest.mark.parametrize("name", list(API_CASES))
def test_api_parity(name, proxy_pair, subst):
    _run_case(name, API_CASES[name], proxy_pair, subst)


@pytest.mark.parametrize("name", list(PROXY_CASES))
def test_proxy_parity(name, proxy_pair, subst):
    _run_case(name, PROXY_CASES[name], proxy_pair, subst)


@pytest.mark.parametrize("name", list(ERROR_TARGET_CASES))
def test_error_target_parity(name, error_target_pair, subst):
    _run_case(name, ERROR_TARGET_CASES[name], error_target_pair, subst)


def test_last_activity_bumped_by_proxied_request(proxy_pair, subst):
    """A successful proxied request moves the route's last_activity forward."""
    results = []
    for proxy in proxy_pair:
        proxy.clear_routes()
        assert proxy.api("POST", "/api/routes/user/alice",
                         json={"target": subst["alpha"]}).status_code == 201
        before = proxy.api("GET", "/api/routes/user/alice").json()["last_activity"]
        deadline, after = time.monotonic() + 3, before
        while after == before and time.monotonic() < deadline:
            assert requests.get(proxy.url + "/user/alice/x", timeout=10).status_code == 200
            after = proxy.api("GET", "/api/routes/user/alice").json()["last_activity"]
        results.append(after > before)
        listed = proxy.api("GET", f"/api/routes?inactive_since={after}").json()
        results.append(sorted(listed))  # strictly-older comparison: not inactive since itself
    assert results[2:] == results[:2] and results[0] is True, results
