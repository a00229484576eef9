"""Faults on demand: the rule language, the board (both stores), the admin plane and the request path."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app, get_state
from mock_server.dashboard import get_faults
from mock_server.faults import FaultBoard, FaultError, normalise_rule, parse_fault
from mock_server.sqlite_store import SqliteStore
from mock_server.store import MemoryStore

AGENTS = "/v2/organizations/my-great-org/agents"
OPERATIONS = ("listAgents", "getAgent", "stopAgent")


# --- the rule language ----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("latency=200ms", {"operation": None, "kind": "latency", "latency_ms": [200.0, 200.0]}),
    ("latency=100ms..1.5s", {"kind": "latency", "latency_ms": [100.0, 1500.0]}),
    ("latency=50", {"kind": "latency", "latency_ms": [50.0, 50.0]}),
    ("getAgent:status=503", {"operation": "getAgent", "kind": "error", "status": 503, "message": None}),
    ("status=500,message=boom, it broke", {"kind": "error", "status": 500, "message": "boom, it broke"}),
    ("status=429", {"kind": "rate_limit", "status": 429, "retry_after": 1}),
    ("listAgents:rate-limit,retry-after=30", {"operation": "listAgents", "kind": "rate_limit", "retry_after": 30}),
    ("reset,p=0.25", {"kind": "reset", "probability": 0.25}),
    ("*:truncate,p=50%,times=2", {"operation": None, "kind": "truncate", "probability": 0.5, "times": 2}),
])
def test_text_form(text: str, expected: dict[str, object]) -> None:
    rule = normalise_rule(text, OPERATIONS)
    assert expected.items() <= rule.items()
    assert normalise_rule(rule["spec"], OPERATIONS) == rule  # the canonical text reads back the same


@pytest.mark.parametrize(("text", "problem"), [
    ("slow", "say which fault"),
    ("latency=fast", "not a duration"),
    ("status=200", "status must be an integer between 400 and 599"),
    ("status=503,p=2", "probability"),
    ("reset,times=0", "times must be an integer >= 1"),
    ("reset,colour=red", "unknown option"),
    ("getJob:reset", "no operation 'getJob'"),
])
def test_text_form_errors_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(FaultError, match=problem):
        normalise_rule(text, OPERATIONS)


def test_mapping_form_checks_fields() -> None:
    assert normalise_rule({"kind": "latency", "latency_ms": [10, 20]})["spec"] == "latency=10ms..20ms"
    assert normalise_rule({"spec": "reset", "probability": 0.5})["spec"] == "reset,p=0.5"
    with pytest.raises(FaultError, match="unknown field"):
        normalise_rule({"kind": "reset", "delay": 1})
    with pytest.raises(FaultError, match="kind must be one of"):
        normalise_rule({"kind": "explode"})
    with pytest.raises(FaultError, match="latency_ms"):
        normalise_rule({"kind": "latency", "latency_ms": [20, 10]})
    assert parse_fault("getAgent:status=503") == {"operation": "getAgent", "kind": "error", "status": "503"}


# --- the board, on both stores --------------------------------------------------------------------
@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "faults.db")


def test_no_rule_means_nothing_to_look_at(store: object) -> None:
    board = FaultBoard(store, OPERATIONS)
    assert not board.active() and board.rules() == [] and len(board) == 0


def test_rules_apply_per_operation_or_to_the_whole_api(store: object) -> None:
    board = FaultBoard(store, OPERATIONS, seed=1)
    board.add("getAgent:status=503")
    board.add(kind="latency", latency_ms=5)
    rules = board.active()
    assert rules is not None
    on_get = board.plan(rules, "getAgent")
    assert on_get.final is not None and on_get.final["status"] == 503 and on_get.latency_ms == 5
    assert [f["kind"] for f in on_get.faults] == ["error", "latency"]
    on_list = board.plan(rules, "listAgents")
    assert on_list.final is None and on_list.faults == [{"rule": 2, "kind": "latency", "ms": 5.0}]


def test_the_first_terminal_fault_wins(store: object) -> None:
    board = FaultBoard(store, OPERATIONS, startup=["reset", "status=500"])
    plan = board.plan(board.rules(), None)
    assert plan.final is not None and plan.final["kind"] == "reset" and len(plan.faults) == 1


def test_same_seed_same_faults_and_reset_replays_them(store: object, tmp_path: Path) -> None:
    def pattern(board: FaultBoard) -> list[bool]:
        return [board.plan(board.rules(), "getAgent").final is not None for _ in range(200)]

    board = FaultBoard(store, OPERATIONS, startup=["status=503,p=0.3"], seed=42)
    first = pattern(board)
    assert 30 < sum(first) < 90  # about 60 of 200
    board.reset()
    assert pattern(board) == first
    other = FaultBoard(MemoryStore(), OPERATIONS, startup=["status=503,p=0.3"], seed=42)
    assert pattern(other) == first  # the draws do not depend on the store
    other.set_seed(7)
    assert pattern(other) != first
    assert board.status()["draws"] == 200 and board.seed == 42


def test_random_latency_stays_in_its_range(store: object) -> None:
    board = FaultBoard(store, OPERATIONS, startup=["latency=10ms..20ms"], seed=3)
    delays = {board.plan(board.rules(), None).latency_ms for _ in range(50)}
    assert len(delays) > 40 and all(10 <= d <= 20 for d in delays)


def test_times_limits_a_rule_then_it_goes(store: object) -> None:
    board = FaultBoard(store, OPERATIONS)
    board.add("status=503,times=2")
    fired = [board.plan(board.rules(), None).final is not None for _ in range(2)]
    assert fired == [True, True] and board.rules() == [] and not board.active()


def test_remove_clear_and_reset(store: object) -> None:
    board = FaultBoard(store, OPERATIONS, startup=["latency=1ms"])
    added = board.add("reset")
    assert [r["id"] for r in board] == [1, added["id"]] == [1, 2]
    assert board.remove(2) and not board.remove(2)
    board.clear()
    assert board.rules() == []
    board.reset()
    assert [r["spec"] for r in board] == ["latency=1ms"]
    with pytest.raises(FaultError):
        board.add("reset", kind="reset")


def test_workers_share_the_rules(tmp_path: Path) -> None:
    one = FaultBoard(SqliteStore(tmp_path / "s.db"), OPERATIONS, seed=5)
    two = FaultBoard(SqliteStore(tmp_path / "s.db"), OPERATIONS, seed=5)  # another process's view
    one.add("getAgent:status=502,times=1")
    assert [r["spec"] for r in two] == ["getAgent:status=502,times=1"]
    assert two.plan(two.rules(), "getAgent").final is not None
    assert one.rules() == []  # used up, for both


# --- the admin plane and the request path (Flask test client, both stores) --------------------------
def test_admin_plane_adds_lists_and_removes(client: FlaskClient) -> None:
    added = client.post("/_mock/faults", json={"spec": "getAgent:status=503"})
    assert added.status_code == 201 and added.json["faults"][0]["id"] == 1
    many = client.post("/_mock/faults", json=[{"kind": "latency", "latency_ms": 1}, "listAgents:reset,p=0.5"])
    assert [r["spec"] for r in many.json["faults"]] == ["latency=1ms", "listAgents:reset,p=0.5"]
    listed = client.get("/_mock/faults").json
    assert [r["id"] for r in listed["faults"]] == [1, 2, 3]
    assert "getAgent" in listed["operations"] and "truncate" in listed["kinds"] and isinstance(listed["seed"], int)
    assert client.delete("/_mock/faults/2").status_code == 204
    assert client.delete("/_mock/faults/2").status_code == 404
    assert client.post("/_mock/faults/seed", json={"seed": 9}).json["seed"] == 9
    assert client.delete("/_mock/faults").status_code == 204
    assert client.get("/_mock/faults").json["faults"] == []


def test_admin_plane_refuses_bad_rules_all_or_nothing(client: FlaskClient) -> None:
    for body in ({"kind": "nope"}, [{"kind": "reset"}, {"spec": "getJob:reset"}], 42, [], None):
        response = client.post("/_mock/faults", json=body)
        assert response.status_code == 400 and "error" in response.json, body
    assert client.get("/_mock/faults").json["faults"] == []
    assert client.post("/_mock/faults/seed", json={"seed": "x"}).status_code == 400


def test_error_fault_answers_with_the_apis_own_body_and_skips_the_handler(client: FlaskClient) -> None:
    [agent] = client.get(AGENTS + "?name=agent-01").json
    client.post("/_mock/faults", json={"spec": "stopAgent:status=503"})
    response = client.put(f"{AGENTS}/{agent['id']}/stop", json={"force": True})
    assert response.status_code == 503 and response.json == {"message": "Service Unavailable"}
    assert client.get(f"{AGENTS}/{agent['id']}").json["connection_state"] == "connected"  # not stopped
    client.post("/_mock/faults", json={"kind": "error", "status": 500, "message": "Oops"})
    assert client.get(AGENTS).json == {"message": "Oops"}
    entry = client.get("/_mock/requests?limit=1").json["requests"][0]
    assert entry["status"] == 500 and entry["valid"] is None and entry["operation_id"] == "listAgents"
    assert entry["faults"] == [{"rule": 2, "kind": "error", "status": 500}]


def test_rate_limit_fault_sends_buildkites_headers(client: FlaskClient) -> None:
    client.post("/_mock/faults", json={"spec": "rate-limit,retry-after=42"})
    response = client.get(AGENTS)
    assert response.status_code == 429
    assert response.json == {"message": "You have exceeded your rest API rate limit. Please wait 42 seconds before "
                                         "making more requests."}
    expected = {"RateLimit-Remaining": "0", "RateLimit-Limit": "200", "RateLimit-Reset": "42",
                "RateLimit-Scope": "rest"}
    assert {k: response.headers[k] for k in expected} == expected
    assert "Retry-After" not in response.headers  # Buildkite sends none


def test_latency_fault_slows_the_answer_and_shows_in_the_journal(client: FlaskClient) -> None:
    client.post("/_mock/faults", json={"spec": "getAgent:latency=150ms"})
    started = time.perf_counter()
    assert client.get(AGENTS + "/nope").status_code == 404
    assert time.perf_counter() - started >= 0.15
    entry = client.get("/_mock/requests?limit=1").json["requests"][0]
    assert entry["valid"] is True and entry["faults"] == [{"rule": 1, "kind": "latency", "ms": 150.0}]
    started = time.perf_counter()
    client.get(AGENTS)  # another operation: no delay
    assert time.perf_counter() - started < 0.15
    assert client.get("/_mock/requests?limit=1").json["requests"][0]["faults"] == []


def test_truncate_fault_declares_the_whole_length_and_sends_half(client: FlaskClient) -> None:
    whole = client.get(AGENTS).get_data()
    client.post("/_mock/faults", json={"spec": "listAgents:truncate"})
    response = client.get(AGENTS)
    assert response.status_code == 200 and int(response.headers["Content-Length"]) == len(whole)
    assert response.get_data() == whole[: len(whole) // 2]
    entry = client.get("/_mock/requests?limit=1").json["requests"][0]
    assert entry["faults"] == [{"rule": 1, "kind": "truncate"}] and entry["valid"] is True


def test_reset_fault_without_a_socket_raises_and_is_journaled(client: FlaskClient) -> None:
    client.post("/_mock/faults", json={"spec": "reset"})
    with pytest.raises(ConnectionResetError):
        client.get(AGENTS)
    entry = client.get("/_mock/requests?limit=1").json["requests"][0]
    assert entry["status"] is None and entry["faults"] == [{"rule": 1, "kind": "reset"}]


def test_admin_plane_is_never_faulted(client: FlaskClient) -> None:
    client.post("/_mock/faults", json={"spec": "status=500"})
    assert client.get("/_mock/health").status_code == 200
    assert client.get("/_mock/ui").status_code == 200


def test_mock_reset_clears_runtime_faults(client: FlaskClient, app: Flask) -> None:
    client.post("/_mock/faults", json={"spec": "status=500"})
    client.post("/_mock/reset")
    assert client.get("/_mock/faults").json["faults"] == []
    assert client.get(AGENTS).status_code == 200
    assert get_state(app).on_reset  # the board's reset is hooked in


def test_start_up_faults_come_back_after_reset() -> None:
    app = create_app("buildkite", tokens=["T"], faults=["getAgent:status=502"], fault_seed=1, strict=True)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer T"
    assert client.get(AGENTS + "/x").status_code == 502
    client.delete("/_mock/faults")
    assert client.get(AGENTS + "/x").status_code == 404
    client.post("/_mock/reset")
    assert client.get(AGENTS + "/x").status_code == 502
    assert get_faults(app).seed == 1
    with pytest.raises(FaultError):
        create_app("buildkite", faults=["getJob:reset"])


def test_the_pytest_fixture_sets_faults(buildkite_mock: object) -> None:
    import requests

    server: Any = buildkite_mock
    url = server.url + AGENTS + "/nope"
    auth = {"Authorization": f"Bearer {server.token}"}
    rule = server.faults.add("getAgent:status=503,times=1")
    assert rule["id"] == 1 and [r["spec"] for r in server.faults] == ["getAgent:status=503,times=1"]
    assert requests.get(url, headers=auth, timeout=10).status_code == 503
    assert requests.get(url, headers=auth, timeout=10).status_code == 404  # times=1: used up
    server.faults.add(kind="rate_limit", retry_after=3)
    assert requests.get(url, headers=auth, timeout=10).headers["RateLimit-Reset"] == "3"
    assert server.requests[0]["faults"][0]["kind"] == "rate_limit"
    server.reset()  # what the plugin does before each test
    assert len(server.faults) == 0
