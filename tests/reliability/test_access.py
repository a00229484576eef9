"""Access: every operation of every API refuses missing, malformed, unknown and expired credentials the way
its API does, scopes are enforced where the API has them, and one tenant never sees another's resources.

In-process (Flask test client, strict mode: a response that breaks the spec would be a 500).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app, get_state
from mock_server.seeding import default_fixtures_path, read_fixture_file
from mock_server.specs import Operation

# --- each API's refusal ----------------------------------------------------------------------------------------------
BK_AUTH = ("Authentication required. Please supply a valid API Access Token: "
           "https://buildkite.com/docs/apis/rest-api#authentication")


def _buildkite_401(response: Any) -> None:
    assert response.status_code == 401
    assert response.get_json() == {"message": BK_AUTH}


def _semaphore_401(response: Any) -> None:
    assert response.status_code == 401
    assert response.get_data(as_text=True).strip() == "Unauthorized"


def _semaphore_ui_401(response: Any) -> None:
    assert response.status_code == 401
    assert response.get_data() == b""


def _srht_401(reason: str) -> Callable[[Any], None]:
    def check(response: Any) -> None:
        assert response.status_code == 401
        assert response.get_json() == {"errors": [{"reason": reason}]}

    return check


SRHT_NO_AUTH = _srht_401("No authorization supplied (expected an OAuth token)")
SRHT_BAD_AUTH = _srht_401("Invalid authorization supplied")
SRHT_BAD_TOKEN = _srht_401("Invalid or expired OAuth token")

#: api -> (a valid token's Authorization header, [(case, headers, check)])
CASES: dict[str, tuple[str, list[tuple[str, dict[str, str], Callable[[Any], None]]]]] = {
    "buildkite": ("Bearer bk-demo-token", [
        ("missing", {}, _buildkite_401),
        ("empty", {"Authorization": ""}, _buildkite_401),
        ("no scheme", {"Authorization": "bk-demo-token"}, _buildkite_401),
        ("basic", {"Authorization": "Basic YmstZGVtby10b2tlbjo="}, _buildkite_401),
        ("bearer without token", {"Authorization": "Bearer "}, _buildkite_401),
        ("token scheme", {"Authorization": "Token bk-demo-token"}, _buildkite_401),
        ("unknown", {"Authorization": "Bearer no-such-token"}, _buildkite_401),
    ]),
    "semaphore": ("Token sem-demo-token", [
        ("missing", {}, _semaphore_401),
        ("empty", {"Authorization": ""}, _semaphore_401),
        ("no scheme", {"Authorization": "sem-demo-token"}, _semaphore_401),
        ("basic", {"Authorization": "Basic c2VtLWRlbW8tdG9rZW46"}, _semaphore_401),
        ("lower-case scheme", {"Authorization": "token sem-demo-token"}, _semaphore_401),
        ("scheme only", {"Authorization": "Token "}, _semaphore_401),
        ("unknown", {"Authorization": "Token no-such-token"}, _semaphore_401),
        ("other organization's host", {"Authorization": "Token sem-globex-token", "Host": "acme.semaphoreci.com"},
         _semaphore_401),
    ]),
    "semaphore-ui": ("Bearer ep484xlu11jqnk6upoe7nsxu2bvnazhom1ofnp4gcvm=", [
        ("missing", {}, _semaphore_ui_401),
        ("empty", {"Authorization": ""}, _semaphore_ui_401),
        ("basic", {"Authorization": "Basic YWRtaW46YWRtaW4="}, _semaphore_ui_401),
        ("bearer without token", {"Authorization": "Bearer "}, _semaphore_ui_401),
        ("unknown", {"Authorization": "Bearer " + "x" * 44}, _semaphore_ui_401),
        ("expired", {"Authorization": "Bearer ivtuef7lii6x_v7dy0nihombp3jfrwxtnep_aaflpic="}, _semaphore_ui_401),
        ("unknown cookie", {"Cookie": "semaphore=nope"}, _semaphore_ui_401),
        ("unknown bearer beats a cookie", {"Authorization": "Bearer nope", "Cookie": "semaphore=nope"},
         _semaphore_ui_401),
    ]),
    "builds-srht": ("token alice-token", [
        ("missing", {}, SRHT_NO_AUTH),
        ("empty", {"Authorization": ""}, SRHT_NO_AUTH),
        ("no scheme", {"Authorization": "alice-token"}, SRHT_NO_AUTH),
        ("basic", {"Authorization": "Basic YWxpY2U6"}, SRHT_NO_AUTH),
        ("two spaces", {"Authorization": "token  alice-token"}, SRHT_BAD_AUTH),
        ("three parts", {"Authorization": "token alice-token extra"}, SRHT_BAD_AUTH),
        ("internal", {"Authorization": "Internal alice-token"}, SRHT_BAD_TOKEN),
        ("unknown", {"Authorization": "token no-such-token"}, SRHT_BAD_TOKEN),
        ("scheme only", {"Authorization": "Bearer "}, SRHT_BAD_TOKEN),
    ]),
}
#: the check for a token that worked and was then revoked or expired
REVOKED = {"buildkite": _buildkite_401, "semaphore": _semaphore_401, "semaphore-ui": _semaphore_ui_401,
           "builds-srht": SRHT_BAD_TOKEN}
DEFAULT_HOST = {"semaphore": "acme.semaphoreci.com"}

_APPS: dict[str, Flask] = {}


def _app(api: str) -> Flask:
    if api not in _APPS:
        _APPS[api] = create_app(api, strict=True)
    return _APPS[api]


def _url(op: Operation) -> str:
    return re.sub(r"\{[^}/]+\}", "1", op.path)


def _send(client: FlaskClient, op: Operation, headers: dict[str, str], api: str) -> Any:
    headers = {"Host": DEFAULT_HOST.get(api, "localhost"), **headers}
    kwargs: dict[str, Any] = {}
    if op.body is not None:
        kwargs["json"] = {}
    return client.open(_url(op), method=op.method, headers=headers, **kwargs)


def _guarded(api: str) -> list[Operation]:
    return [op for op in _app(api).extensions["ciapi"].profile.spec.operations if not op.public]


@pytest.mark.parametrize("api", sorted(CASES))
def test_every_operation_refuses_bad_credentials(api: str) -> None:
    app = _app(api)
    client = app.test_client()
    tried = 0
    for op in _guarded(api):
        for case, headers, check in CASES[api][1]:
            response = _send(client, op, headers, api)
            try:
                check(response)
            except AssertionError as exc:
                raise AssertionError(f"{api} {op.operation_id} with {case} credentials: {response.status_code} "
                                     f"{response.get_data()[:200]!r}") from exc
            tried += 1
    assert tried >= 3 * len(CASES[api][1])
    assert get_state(app).violations == []


@pytest.mark.parametrize("api", sorted(CASES))
def test_a_revoked_token_is_refused_by_every_operation(api: str) -> None:
    app = create_app(api, strict=True, tokens=["short-lived-token"])
    client = app.test_client()
    scheme = CASES[api][0].split(" ")[0]
    header = {"Authorization": f"{scheme} short-lived-token"}
    first = _guarded(api)[0]
    assert _send(client, first, header, api).status_code != 401  # it worked...
    store = get_state(app).store
    with store.transaction():
        store.delete("tokens", "short-lived-token")  # ...until it expired
    for op in _guarded(api):
        REVOKED[api](_send(client, op, header, api))


def test_a_semaphore_ui_token_expired_through_the_api_is_refused() -> None:
    app = create_app("semaphore-ui", strict=True)
    client = app.test_client()
    admin = {"Authorization": CASES["semaphore-ui"][0]}
    created = client.post("/api/user/tokens", headers=admin)
    assert created.status_code == 201, created.get_data()
    token = created.get_json()["id"]
    mine = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/user", headers=mine).status_code == 200
    assert client.delete(f"/api/user/tokens/{token}", headers=mine).status_code == 204
    for op in _guarded("semaphore-ui"):
        _semaphore_ui_401(_send(client, op, mine, "semaphore-ui"))


# --- scopes ----------------------------------------------------------------------------------------------------------
def _scoped_app(api: str, tokens: list[dict[str, Any]]) -> Flask:
    default = read_fixture_file(default_fixtures_path(api.replace("-", "_")))
    return create_app(api, strict=True, fixtures=[default, {"tokens": tokens}])


def test_buildkite_scopes_are_enforced_on_every_operation() -> None:
    app = _scoped_app("buildkite", [{"token": "bk-write-only", "scopes": ["write_agents"]},
                                    {"token": "bk-no-scopes", "scopes": []}])
    client = app.test_client()
    grants = {"bk-read-only-token": {"read_agents"}, "bk-write-only": {"write_agents"}, "bk-no-scopes": set()}
    checked = 0
    for op in _guarded("buildkite"):
        for token, scopes in grants.items():
            missing = [s for s in op.scopes if s not in scopes]
            response = _send(client, op, {"Authorization": f"Bearer {token}"}, "buildkite")
            if missing:
                assert response.status_code == 403, (op.operation_id, token)
                assert response.get_json() == {
                    "message": f"Forbidden: your access token does not have the {missing[0]} scope"}
                checked += 1
            else:
                assert response.status_code not in (401, 403), (op.operation_id, token)
    assert checked >= 4


def test_srht_scopes_are_enforced_on_every_operation() -> None:
    app = _app("builds-srht")
    client = app.test_client()
    grants = {"alice-read": {"jobs:read"}, "alice-no-scopes": set(), "alice-token": {"jobs:read", "jobs:write"}}
    checked = 0
    for op in _guarded("builds-srht"):
        for token, scopes in grants.items():
            missing = [s for s in op.scopes if s not in scopes]
            response = _send(client, op, {"Authorization": f"token {token}"}, "builds-srht")
            if missing:
                assert response.status_code == 403, (op.operation_id, token)
                reason = f"Your OAuth token is not permitted to use this endpoint (needs {missing[0]})"
                assert response.get_json() == {"errors": [{"reason": reason}]}
                checked += 1
            else:
                assert response.status_code not in (401, 403), (op.operation_id, token, response.get_data())
    assert checked >= 6


# --- one tenant never sees another's resources -----------------------------------------------------------------------
def _assert_hidden(client: FlaskClient, method: str, url: str, ident: str, headers: dict[str, str],
                   **kwargs: Any) -> None:
    """``url`` (naming ``ident``) answers the foreign caller exactly like an id that does not exist."""
    foreign = client.open(url, method=method, headers=headers, **kwargs)
    ghost_id = "99999" if ident.isdigit() else "00000000-0000-4000-8000-00000000dead"
    ghost = client.open(url.replace(ident, ghost_id), method=method, headers=headers, **kwargs)
    assert foreign.status_code == 404, (method, url, foreign.status_code, foreign.get_data()[:200])
    assert foreign.get_data().replace(ident.encode(), ghost_id.encode()) == ghost.get_data(), (method, url)


def test_buildkite_organizations_are_isolated() -> None:
    client = _app("buildkite").test_client()
    mine = {"Authorization": "Bearer bk-demo-token"}
    other = {"Authorization": "Bearer bk-other-org-token"}
    agents = client.get("/v2/organizations/my-great-org/agents", headers=mine).get_json()
    assert agents
    ident = agents[0]["id"]
    listing = client.get("/v2/organizations/my-great-org/agents", headers=other)
    assert listing.status_code == 404 and listing.get_json() == {"message": "No organization found"}
    for method, url in [("GET", f"/v2/organizations/my-great-org/agents/{ident}"),
                        ("PUT", f"/v2/organizations/my-great-org/agents/{ident}/stop"),
                        ("GET", f"/v2/organizations/other-org/agents/{ident}"),
                        ("PUT", f"/v2/organizations/other-org/agents/{ident}/stop")]:
        _assert_hidden(client, method, url, ident, other)
    theirs = client.get("/v2/organizations/other-org/agents", headers=other).get_json()
    assert not {a["id"] for a in theirs} & {a["id"] for a in agents}
    assert client.get(f"/v2/organizations/my-great-org/agents/{ident}", headers=mine).status_code == 200


def test_semaphore_organizations_are_isolated() -> None:
    client = _app("semaphore").test_client()
    acme = {"Authorization": "Token sem-demo-token", "Host": "acme.semaphoreci.com"}
    globex = {"Authorization": "Token sem-globex-token", "Host": "globex.semaphoreci.com"}
    job = client.get("/api/v2/jobs", headers=acme).get_json()[0]["metadata"]["id"]
    workflow, pipeline = "b1e7b07d-2d62-4af9-83ce-1f6df09d871f", "8a97c0a9-4b8a-4027-9bd2-2602e9f72e37"
    project = "e48c5cf8-7389-4df1-9904-235c06473af1"
    probes = [("GET", f"/api/v1alpha/plumber-workflows/{workflow}", workflow),
              ("POST", f"/api/v1alpha/plumber-workflows/{workflow}/terminate", workflow),
              ("GET", f"/api/v1alpha/pipelines/{pipeline}", pipeline),
              ("GET", f"/api/v1alpha/plumber-workflows?project_id={project}", project),
              ("GET", f"/api/v1alpha/pipelines?project_id={project}", project),
              ("GET", f"/api/v1alpha/jobs/{job}", job), ("POST", f"/api/v1alpha/jobs/{job}/stop", job),
              ("GET", f"/api/v1alpha/logs/{job}", job), ("GET", f"/api/v2/jobs/{job}", job),
              ("POST", f"/api/v2/jobs/{job}/terminate", job), ("GET", f"/api/v2/jobs/{job}/log_events", job)]
    for method, url, ident in probes:
        _assert_hidden(client, method, url, ident, globex)
    assert job not in {j["metadata"]["id"] for j in client.get("/api/v2/jobs", headers=globex).get_json()}
    assert client.get(f"/api/v2/jobs/{job}", headers=acme).status_code == 200


def test_semaphore_ui_users_see_only_their_projects() -> None:
    client = _app("semaphore-ui").test_client()
    alice = {"Authorization": "Bearer 28xfib72q9a44ogzko6bkztrhzxqlzxifyyq8frrcvu="}  # member of project 1 only
    admin = {"Authorization": CASES["semaphore-ui"][0]}
    assert [p["id"] for p in client.get("/api/projects", headers=alice).get_json()] == [1]
    task = client.get("/api/project/2/tasks", headers=admin).get_json()
    assert task, "the fixtures hold tasks in project 2"
    task_id = task[0]["id"]
    template_id = task[0]["template_id"]
    for method, url in [("GET", "/api/project/2"), ("GET", "/api/project/2/templates"),
                        ("GET", f"/api/project/2/templates/{template_id}"), ("GET", "/api/project/2/tasks"),
                        ("GET", f"/api/project/2/tasks/{task_id}"), ("GET", f"/api/project/2/tasks/{task_id}/output"),
                        ("POST", f"/api/project/2/tasks/{task_id}/stop")]:
        response = client.open(url, method=method, headers=alice, json={} if method == "POST" else None)
        assert response.status_code == 404 and response.get_data() == b"", (method, url, response.status_code)
    admin_tokens = {t["id"] for t in client.get("/api/user/tokens", headers=admin).get_json()}
    alice_tokens = {t["id"] for t in client.get("/api/user/tokens", headers=alice).get_json()}
    assert alice_tokens and not admin_tokens & alice_tokens


def test_srht_users_see_only_what_they_may() -> None:
    app = create_app("builds-srht", strict=True)
    client = app.test_client()
    alice, bob = {"Authorization": "token alice-token"}, {"Authorization": "token bob-token"}
    manifest = "image: alpine/edge\ntasks:\n  - hello: echo hello\n"
    private = client.post("/api/jobs", headers=alice, json={"manifest": manifest, "access:read": [],
                                                            "execute": False})
    assert private.status_code == 200, private.get_data()
    ident = str(private.get_json()["id"])
    for method, url in [("GET", f"/api/jobs/{ident}"), ("GET", f"/api/jobs/{ident}/artifacts"),
                        ("GET", f"/api/jobs/{ident}/manifest"), ("POST", f"/api/jobs/{ident}/start"),
                        ("POST", f"/api/jobs/{ident}/cancel")]:
        _assert_hidden(client, method, url, ident, bob)
    public = client.post("/api/jobs", headers=alice, json={"manifest": manifest, "execute": False}).get_json()
    assert client.get(f"/api/jobs/{public['id']}", headers=bob).status_code == 200  # public by default
    refused = client.post(f"/api/jobs/{public['id']}/cancel", headers=bob)
    assert refused.status_code == 401 and refused.get_json() == {"errors": [{"reason": "401 unauthorized"}]}
    listed = client.get("/api/jobs", headers=bob).get_json()["results"]
    assert all(job["owner"]["name"] == "bob" for job in listed)
    assert client.get(f"/api/jobs/{ident}", headers=alice).status_code == 200


# --- secrets stay out of the journal and the logs; cookies are HttpOnly ---------------------------------------------
def test_tokens_and_passwords_never_reach_the_journal_or_the_log(caplog: pytest.LogCaptureFixture) -> None:
    import json
    import logging

    caplog.set_level(logging.DEBUG)
    secrets = {"bk-demo-token", "sem-demo-token", "alice-token", "alice-pw",
               "28xfib72q9a44ogzko6bkztrhzxqlzxifyyq8frrcvu="}
    journals = []
    for api in sorted(CASES):
        app = create_app(api, strict=True)
        client = app.test_client()
        header = {"Authorization": CASES[api][0], "Host": DEFAULT_HOST.get(api, "localhost")}
        for op in _guarded(api)[:4]:
            _send(client, op, header, api)
        client.get(_url(_guarded(api)[0]) + "?access_token=alice-token&private_token=sem-demo-token", headers=header)
        journals.append(json.dumps(get_state(app).journal.entries()))
    sui = create_app("semaphore-ui", strict=True).test_client()
    login = sui.post("/api/auth/login", json={"auth": "alice", "password": "alice-pw"})
    assert login.status_code == 204
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie.split("; ")
    sui.get("/api/user", headers={"Authorization": "Bearer 28xfib72q9a44ogzko6bkztrhzxqlzxifyyq8frrcvu="})
    journals.append(json.dumps(get_state(sui.application).journal.entries()))
    text = "\n".join(journals) + "\n" + caplog.text
    assert "[redacted]" in text
    assert not [s for s in secrets if s in text]
