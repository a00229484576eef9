"""The Buildkite agents mock behaves like the real service (see x-ciapi-notes in openapi/buildkite.yaml)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.state import MockState

AGENTS = "/v2/organizations/my-great-org/agents"
AUTH_REQUIRED = ("Authentication required. Please supply a valid API Access Token: "
                 "https://buildkite.com/docs/apis/rest-api#authentication")


def _agent(client: FlaskClient, name: str) -> dict[str, Any]:
    found = client.get(f"{AGENTS}?name={name}").json
    assert len(found) == 1, found
    return found[0]


def _get(client: FlaskClient, agent_id: str) -> dict[str, Any]:
    response = client.get(f"{AGENTS}/{agent_id}")
    assert response.status_code == 200
    return response.json


def _advance(state: MockState, seconds: float) -> None:
    state.clock.advance(seconds)


# --- listAgents -------------------------------------------------------------------------------------
def test_list_shows_connected_agents_only_across_pages(client: FlaskClient) -> None:
    first = client.get(AGENTS)
    second = client.get(AGENTS + "?page=2")
    names = [a["name"] for a in first.json + second.json]
    assert len(first.json) == 30 and len(names) == 42 == len(set(names))
    assert {a["connection_state"] for a in first.json + second.json} == {"connected"}
    assert "old-agent-1" not in names and "other-agent-1" not in names


def test_link_header_is_what_pybuildkite_parses(client: FlaskClient) -> None:
    link = client.get(AGENTS + "?per_page=5&page=2&version=3.80.0").headers["Link"]
    entries = link.split(", ")
    rels = [e.split("; ")[1] for e in entries]
    assert rels == ['rel="next"', 'rel="prev"', 'rel="first"', 'rel="last"']
    for entry in entries:
        url = entry.split("; ")[0].strip("<>")
        assert url.startswith("http://localhost" + AGENTS + "?version=3.80.0&page=")
        assert all("=" in part for part in url.split("?")[1].split("&"))


def test_no_next_on_the_last_page(client: FlaskClient) -> None:
    link = client.get(AGENTS + "?page=2").headers["Link"]
    assert 'rel="next"' not in link and 'rel="last"' not in link and 'rel="prev"' in link


def test_filters_are_exact(client: FlaskClient) -> None:
    assert [a["name"] for a in client.get(AGENTS + "?name=agent-05").json] == ["agent-05"]
    assert client.get(AGENTS + "?name=agent-5").json == []
    by_host = client.get(AGENTS + "?hostname=ci-01.example.internal").json
    assert sorted(a["name"] for a in by_host) == ["agent-01", "agent-02", "agent-03", "agent-04"]
    versions = {a["version"] for a in client.get(AGENTS + "?version=3.81.0&per_page=100").json}
    assert versions == {"3.81.0"}


def test_trailing_slash_and_page_zero_like_pybuildkite(client: FlaskClient) -> None:
    response = client.get(AGENTS + "/?page=0&per_page=100")
    assert response.status_code == 200 and len(response.json) == 42
    assert client.get(AGENTS + "/?page=0").json == client.get(AGENTS + "?page=1").json


@pytest.mark.parametrize("query", ["per_page=0", "per_page=101", "per_page=x", "page=-1", "page=1.5"])
def test_bad_paging_is_a_400_with_a_message(client: FlaskClient, query: str) -> None:
    response = client.get(f"{AGENTS}?{query}")
    assert response.status_code == 400
    assert isinstance(response.json["message"], str) and response.json["message"]


def test_page_past_the_end_is_empty(client: FlaskClient) -> None:
    response = client.get(AGENTS + "?page=9")
    assert response.json == [] and 'rel="first"' in response.headers["Link"]


# --- auth -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer nope", "Token test-token", "bearer test-token", "Bearer"])
def test_missing_or_bad_credentials_are_401(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    client.environ_base.pop("HTTP_AUTHORIZATION")
    response = client.get(AGENTS, headers=headers)
    assert response.status_code == 401 and response.json == {"message": AUTH_REQUIRED}


def test_missing_scope_is_403(client: FlaskClient) -> None:
    read_only = {"Authorization": "Bearer bk-read-only-token"}
    agent = _agent(client, "agent-01")
    assert client.get(AGENTS, headers=read_only).status_code == 200
    response = client.put(f"{AGENTS}/{agent['id']}/stop", headers=read_only)
    assert response.status_code == 403 and "write_agents" in response.json["message"]


def test_other_organizations_are_404(client: FlaskClient) -> None:
    other = {"Authorization": "Bearer bk-other-org-token"}
    assert client.get(AGENTS, headers=other).json == {"message": "No organization found"}
    assert client.get("/v2/organizations/other-org/agents", headers=other).status_code == 200
    assert client.get("/v2/organizations/nope/agents").status_code == 404


# --- getAgent ---------------------------------------------------------------------------------------
def test_get_any_agent_including_disconnected(client: FlaskClient, state: MockState) -> None:
    gone = next(a for a in state.store.all("agents") if a["name"] == "old-agent-1")
    body = _get(client, gone["id"])
    assert body["connection_state"] == "disconnected" and body["job"] is None
    assert body["url"] == f"http://localhost{AGENTS}/{gone['id']}"


def test_unknown_or_foreign_agent_is_404(client: FlaskClient, state: MockState) -> None:
    foreign = next(a for a in state.store.all("agents") if a["organization"] == "other-org")
    for agent_id in ("nope", foreign["id"], "0b461f65-e7be-4c80-888a-ef11d81fd971"):
        response = client.get(f"{AGENTS}/{agent_id}")
        assert response.status_code == 404 and response.json == {"message": "No agent found"}


def test_nulls_are_sent_not_omitted(client: FlaskClient) -> None:
    idle = _agent(client, "agent-01")
    assert idle["job"] is None and idle["priority"] is None and idle["creator"] is None
    busy = _agent(client, "agent-03")
    assert busy["job"]["finished_at"] is None and busy["job"]["exit_status"] is None
    assert busy["job"]["agent"] is None


# --- stopAgent and lifecycles ----------------------------------------------------------------------
def test_idle_agent_stops_as_the_clock_moves(client: FlaskClient, state: MockState) -> None:
    agent = _agent(client, "agent-01")
    response = client.put(f"{AGENTS}/{agent['id']}/stop", json={"force": False})
    assert response.status_code == 204 and response.data == b""
    assert _get(client, agent["id"])["connection_state"] == "stopping"
    _advance(state, 5)
    assert _get(client, agent["id"])["connection_state"] == "stopped"
    assert client.get(AGENTS + "?name=agent-01").json == []


def test_force_is_the_default_and_cancels_the_job(client: FlaskClient, state: MockState) -> None:
    agent = _agent(client, "agent-03")
    assert agent["job"]["state"] == "running"
    assert client.put(f"{AGENTS}/{agent['id']}/stop").status_code == 204
    stopping = _get(client, agent["id"])
    assert stopping["connection_state"] == "stopping" and stopping["job"]["state"] == "canceling"
    _advance(state, 10)
    stopped = _get(client, agent["id"])
    assert stopped["connection_state"] == "stopped" and stopped["job"] is None
    job = state.store.get("jobs", agent["job"]["id"])
    assert job["state"] == "canceled" and job["finished_at"] is not None


def test_without_force_the_agent_stops_when_its_job_finishes(client: FlaskClient, state: MockState) -> None:
    agent = _agent(client, "agent-11")
    assert client.put(f"{AGENTS}/{agent['id']}/stop", json={"force": False}).status_code == 204
    _advance(state, 300)
    waiting = _get(client, agent["id"])
    assert waiting["connection_state"] == "stopping" and waiting["job"]["state"] == "running"
    assert _agent(client, "agent-11")["connection_state"] == "stopping"  # still listed: still connected
    _advance(state, 330)  # the job's `sleep 600` ends 600 s after it started (2 min before the clock's start)
    done = _get(client, agent["id"])
    assert done["connection_state"] == "stopped" and done["job"] is None
    assert done["last_job_finished_at"] is not None
    assert state.store.get("jobs", agent["job"]["id"])["state"] == "passed"


def test_a_stopping_agent_can_still_be_forced(client: FlaskClient, state: MockState) -> None:
    agent = _agent(client, "agent-20")
    client.put(f"{AGENTS}/{agent['id']}/stop", json={"force": False})
    assert client.put(f"{AGENTS}/{agent['id']}/stop", json={"force": True}).status_code == 204
    _advance(state, 5)
    assert _get(client, agent["id"])["connection_state"] == "stopped"


def test_jobs_finish_on_their_own_and_can_fail(client: FlaskClient, state: MockState) -> None:
    agent = _agent(client, "agent-07")  # echo compiling; sleep 120; exit 1 -- started 30 s before the start
    _advance(state, 89)
    assert _agent(client, "agent-07")["job"]["state"] == "running"
    _advance(state, 2)
    after = _get(client, agent["id"])
    assert after["job"] is None and after["connection_state"] == "connected"
    job = state.store.get("jobs", agent["job"]["id"])
    assert (job["state"], job["exit_status"]) == ("failed", 1)


@pytest.mark.parametrize("name", ["old-agent-1", "old-agent-2", "flaky-agent", "new-agent"])
def test_only_connected_agents_can_be_stopped(client: FlaskClient, state: MockState, name: str) -> None:
    agent = next(a for a in state.store.all("agents") if a["name"] == name)
    response = client.put(f"{AGENTS}/{agent['id']}/stop")
    assert response.status_code == 400 and response.json == {"message": "Can only stop connected agents"}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("{", "application/json"), ('{"force": "yes"}', "application/json"), ("[]", "application/json"),
     ("force=true", "application/x-www-form-urlencoded")],
)
def test_bad_stop_bodies_are_400(client: FlaskClient, data: str, content_type: str) -> None:
    agent = _agent(client, "agent-01")
    response = client.put(f"{AGENTS}/{agent['id']}/stop", data=data, content_type=content_type)
    assert response.status_code == 400 and isinstance(response.json["message"], str)
    assert _get(client, agent["id"])["connection_state"] == "connected"


def test_pybuildkite_style_extra_query_is_ignored(client: FlaskClient) -> None:
    agent = _agent(client, "agent-01")
    assert client.get(f"{AGENTS}/{agent['id']}?per_page=100").status_code == 200
    assert client.put(f"{AGENTS}/{agent['id']}/stop?per_page=100", json={"force": False}).status_code == 204


# --- the generic plane ------------------------------------------------------------------------------
def test_unknown_path_and_method(client: FlaskClient) -> None:
    assert client.get("/v2/nope").json == {"message": "Not Found"}
    response = client.delete(AGENTS)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_oversized_body_is_413(client: FlaskClient) -> None:
    agent = _agent(client, "agent-01")
    response = client.put(f"{AGENTS}/{agent['id']}/stop", data="x" * (1024 * 1024 + 1),
                          content_type="application/json")
    assert response.status_code == 413 and "message" in response.json


def test_a_response_that_breaks_the_spec_is_caught(client: FlaskClient, state: MockState,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import mock_server.apis.buildkite.handlers as handlers

    real = handlers.agent_json
    monkeypatch.setattr(handlers, "agent_json", lambda *a: {k: v for k, v in real(*a).items() if k != "priority"})
    agent = next(a for a in state.store.all("agents") if a["name"] == "agent-01")
    response = client.get(f"{AGENTS}/{agent['id']}")
    assert response.status_code == 500  # strict mode: tests fail on it
    assert "priority" in response.json["violations"][0]
    assert response.headers["X-Ciapi-Violations"].startswith("1; 200 body")
    assert state.violations and state.violations[0]["operation_id"] == "getAgent"
    state.violation_log.clear()


def test_huge_page_numbers_are_pages_past_the_end(client: FlaskClient) -> None:
    response = client.get(AGENTS + "?page=11479555574525257054504190214144")
    assert response.status_code == 200 and response.json == []
