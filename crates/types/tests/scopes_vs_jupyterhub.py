"""Answer scope and name questions with JupyterHub 6.1.1's own code.

Driven by crates/types/tests/scopes_vs_jupyterhub.rs, which compares the answers with the
Rust implementation. Reads one JSON object on stdin:

    {"memberships": [[user, group], ...], "cases": [{"op": ..., ...}, ...]}

and writes one JSON object on stdout:

    {"definitions": [...], "default_roles": [...], "results": [...]}

with one result per case, in order. Group membership lives in an in-memory SQLite database
made with JupyterHub's own ORM; cases that say "groups": false get no database session, as
JupyterHub's callers without one do.
"""

import json
import logging
import sys
import warnings

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from tornado import web

from jupyterhub import orm, roles, scopes
from jupyterhub._memoize import DoNotCache
from jupyterhub.auth import Authenticator
from jupyterhub.services.service import Service
from jupyterhub.slugs import is_valid_safe_slug

logging.disable(logging.CRITICAL)

# JupyterHub memoizes these with cache keys that leave out the db session, so an answer
# computed without group lookups could be replayed for a later case that has them. Every case
# here must be computed afresh.
for _name in [
    "_intersect_expanded_scopes",
    "access_scopes",
    "check_scope_filter",
    "expand_scopes",
    "has_scope",
    "identify_scopes",
    "parse_scopes",
    "reduce_scopes",
    "unparse_scopes",
]:
    _cached = getattr(scopes, _name)

    def _uncached(*args, _inner=_cached.__wrapped__, **kwargs):
        result = _inner(*args, **kwargs)
        return result.result if isinstance(result, DoNotCache) else result

    setattr(scopes, _name, _uncached)


def make_db(memberships):
    # orm.new_session_factory would also stamp an alembic revision, which imports the whole
    # app and triples the run time; the tables are all these questions need.
    engine = create_engine("sqlite://")
    orm.Base.metadata.create_all(engine)
    db = sessionmaker(bind=engine)()
    users, groups = {}, {}
    for user_name, group_name in memberships:
        user = users.setdefault(user_name, orm.User(name=user_name))
        group = groups.setdefault(group_name, orm.Group(name=group_name))
        group.users.append(user)
    db.add_all([*users.values(), *groups.values()])
    db.commit()
    return db


def transient_owner(spec):
    if spec is None:
        return None
    if "user" in spec:
        return orm.User(name=spec["user"])
    return orm.Service(name=spec["service"])


def transient_client(spec):
    """An OAuthClient not in any session: 'hub', {'service': s} or {'server': 'u/s'}."""
    if spec is None:
        return None
    if spec == "hub":
        return orm.OAuthClient(identifier="jupyterhub")
    client = orm.OAuthClient(identifier="client")
    if "service" in spec:
        client.service = orm.Service(name=spec["service"])
    else:
        user_name, _, server_name = spec["server"].partition("/")
        client.spawner = orm.Spawner(name=server_name, user=orm.User(name=user_name))
    return client


def expand(case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expanded = scopes.expand_scopes(
            set(case["scopes"]),
            owner=transient_owner(case["owner"]),
            oauth_client=transient_client(case["client"]),
        )
    unresolved = []
    for warning in caught:
        message = str(warning.message)
        if message.startswith("Not expanding 'self'"):
            unresolved.append("self")
        elif message.startswith("Not expanding !"):
            unresolved.append(message.rpartition(" in ")[2])
    return {"scopes": sorted(expanded), "unresolved": sorted(unresolved)}


def _no_resource(self):
    return "ok"


def _user(self, user_name):
    return "ok"


def _server(self, user_name, server_name):
    return "ok"


def _group(self, group_name):
    return "ok"


def _service(self, service_name):
    return "ok"


# needs_scope binds the decorated method's signature to find the resource in its arguments.
METHODS = {None: _no_resource, "user": _user, "server": _server, "group": _group, "service": _service}


def needs(case, db):
    """Run a handler method decorated with @needs_scope; 'ok' or [status, message]."""
    resource = case["resource"] or {}
    kind, args = None, {}
    if "server" in resource:
        kind = "server"
        args["user_name"], _, args["server_name"] = resource["server"].partition("/")
    elif resource:
        ((kind, value),) = resource.items()
        args[f"{kind}_name"] = value
    method = scopes.needs_scope(*case["any_of"], post_filter=case["post_filter"])(METHODS[kind])

    class Request:
        path = "/hub/api/test"

    class Handler:
        current_user = object()
        expanded_scopes = set(case["have"])
        parsed_scopes = scopes.parse_scopes(set(case["have"]))
        request = Request()

    handler = Handler()
    handler.db = db if case["groups"] else None
    try:
        return method(handler, **args)
    except web.HTTPError as error:
        return [error.status_code, error.log_message]


def resolve(case, db):
    user = db.query(orm.User).filter_by(name=case["user"]).one()
    client = transient_client(case["client"])
    allowed, refused = scopes._resolve_requested_scopes(
        set(case["requested"]), set(case["have"]), user, client, db
    )
    return {"allowed": sorted(allowed), "refused": sorted(refused)}


def token(case, db):
    """get_scopes_for a token whose owner holds one role with case['roles'] scopes."""
    owner_spec = case["owner"]
    try:
        if "user" in owner_spec:
            owner = db.query(orm.User).filter_by(name=owner_spec["user"]).one()
        else:
            owner = orm.Service(name=owner_spec["service"])
            db.add(owner)
        role = roles.create_role(
            db, {"name": "cross-check", "scopes": case["roles"]}, commit=False
        )
        owner.roles = [role]
        client_spec = case["client"]
        client = orm.OAuthClient(identifier="jupyterhub" if client_spec == "hub" else "client")
        if client_spec != "hub" and "service" in client_spec:
            client.service = orm.Service(name=client_spec["service"])
        elif client_spec != "hub":
            user_name, _, server_name = client_spec["server"].partition("/")
            spawner_user = db.query(orm.User).filter_by(name=user_name).one()
            client.spawner = orm.Spawner(name=server_name, user=spawner_user)
        api_token = orm.APIToken(scopes=case["token"], oauth_client=client)
        if "user" in owner_spec:
            api_token.user = owner
        else:
            api_token.service = owner
        db.add(api_token)
        db.flush()
        return sorted(scopes.get_scopes_for(api_token))
    finally:
        db.rollback()


def exists(case):
    """None if JupyterHub accepts the scope in a role and can expand it, else its error."""
    try:
        scopes._check_scopes_exist([case["scope"]])
        # Expansion (for an owner and a client that resolve every owner-relative filter)
        # ends in parse_scopes, which is where an empty filter value is refused.
        client = transient_client({"server": "alice/gpu"})
        scopes.expand_scopes({case["scope"]}, owner=orm.User(name="alice"), oauth_client=client)
    except (KeyError, ValueError) as error:
        return str(error)
    return None


def name_ok(case):
    kind, name = case["kind"], case["name"]
    if kind == "user":
        return Authenticator().validate_username(name)
    if kind == "slug":
        return is_valid_safe_slug(name)
    try:
        if kind == "service":
            Service(name=name)
        else:
            roles._validate_role_name(name)
    except ValueError:
        return False
    return True


def main():
    request = json.load(sys.stdin)
    db = make_db(request["memberships"])
    results = []
    for case in request["cases"]:
        op = case["op"]
        if op == "expand":
            results.append(expand(case))
        elif op == "intersect":
            both = (set(case["a"]), set(case["b"]))
            got = scopes._intersect_expanded_scopes(*both, db=db if case["groups"] else None)
            results.append(sorted(got))
        elif op == "needs":
            results.append(needs(case, db))
        elif op == "resolve":
            results.append(resolve(case, db))
        elif op == "token":
            results.append(token(case, db))
        elif op == "exists":
            results.append(exists(case))
        elif op == "name":
            results.append(name_ok(case))
        else:
            raise ValueError(f"unknown op {op!r}")
    definitions = [
        {
            "name": name,
            "description": definition["description"],
            "doc_description": definition.get("doc_description"),
            "subscopes": definition.get("subscopes", []),
        }
        for name, definition in scopes.scope_definitions.items()
    ]
    json.dump(
        {
            "definitions": definitions,
            "default_roles": roles.get_default_roles(),
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
