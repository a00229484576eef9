"""The /_mock admin plane: health, reset, clock, journal, fixtures, state."""

from __future__ import annotations

from flask.testing import FlaskClient

AGENTS = "/v2/organizations/my-great-org/agents"


def test_health_names_the_api(client: FlaskClient) -> None:
    body = client.get("/_mock/health").json
    assert body["status"] == "ok" and body["api"] == "buildkite"
    assert body["base_paths"] == ["/v2"] and body["clock"]["kind"] == "manual"


def test_clock_advances_and_reset_rewinds(client: FlaskClient) -> None:
    start = client.get("/_mock/clock").json["epoch"]
    moved = client.post("/_mock/clock", json={"advance": 90}).json
    assert moved["epoch"] == start + 90
    assert client.post("/_mock/reset").json["clock"]["epoch"] == start


def test_clock_refuses_bad_input(client: FlaskClient) -> None:
    for body in ({}, {"advance": -1}, {"advance": "10"}, {"advance": True}, {"advance": 1, "x": 2}):
        response = client.post("/_mock/clock", json=body)
        assert response.status_code == 400, body
        assert "error" in response.json


def test_journal_is_newest_first_and_bounded(client: FlaskClient) -> None:
    client.get(AGENTS + "?per_page=1")
    client.get(AGENTS + "/nope")
    entries = client.get("/_mock/requests").json["requests"]
    assert [(e["path"], e["status"], e["operation_id"]) for e in entries[:2]] == [
        (AGENTS + "/nope", 404, "getAgent"), (AGENTS, 200, "listAgents")]
    assert entries[1]["query"] == "per_page=1" and entries[1]["valid"] is True
    assert client.get("/_mock/requests?limit=1").json["requests"][0]["path"] == AGENTS + "/nope"
    assert client.delete("/_mock/requests").status_code == 204
    assert client.get("/_mock/requests").json["requests"] == []


def test_journal_capacity() -> None:
    from mock_server.journal import Journal

    journal = Journal(maxlen=3)
    for i in range(10):
        journal.record({"n": i})
    assert [e["n"] for e in journal.entries()] == [9, 8, 7]


def test_fixtures_are_loaded_and_reset_drops_them(client: FlaskClient) -> None:
    doc = {"agents": [{"organization": "my-great-org", "name": "extra-agent"}]}
    assert client.post("/_mock/fixtures", json=doc).status_code == 200
    assert len(client.get(AGENTS + "?name=extra-agent").json) == 1
    client.post("/_mock/reset")
    assert client.get(AGENTS + "?name=extra-agent").json == []


def test_fixtures_accept_yaml_and_explain_errors(client: FlaskClient) -> None:
    ok = client.post("/_mock/fixtures", data="tokens:\n  - token: yaml-token\n", content_type="application/yaml")
    assert ok.status_code == 200
    assert client.get(AGENTS, headers={"Authorization": "Bearer yaml-token"}).status_code == 200
    bad = client.post("/_mock/fixtures", json={"agents": [{"name": "no-org"}]})
    assert bad.status_code == 400
    assert bad.json["problems"] == ["agents[0] (name 'no-org'): 'organization' is a required property"]


def test_state_shows_lifecycle_states(client: FlaskClient) -> None:
    agents = client.get("/_mock/state").json["collections"]["agents"]
    states = {a["state"] for a in agents}
    assert {"connected", "disconnected", "stopped", "lost", "never_connected"} <= states


def test_unknown_admin_path_is_json_404(client: FlaskClient) -> None:
    response = client.get("/_mock/nope")
    assert response.status_code == 404 and "error" in response.json
