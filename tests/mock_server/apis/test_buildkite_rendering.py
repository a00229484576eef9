"""Buildkite agents are rendered once per version of what they are rendered from (SQLite store, read
transactions), and a change to any of it (the agent, its job, its creator) shows in the next answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from mock_server.apis.buildkite.model import agent_json
from mock_server.app import create_app, get_state

AGENTS = "/v2/organizations/my-great-org/agents"
AUTH = {"Authorization": "Bearer T"}


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app("buildkite", tokens=("T",), clock="manual", store=f"sqlite:{tmp_path / 'state.db'}")


def _busy(app: Flask) -> dict[str, Any]:
    agents = app.test_client().get(AGENTS, headers=AUTH).json
    return next(a for a in agents if a["job"] and a["creator"])


def _answers(app: Flask, agent_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    client = app.test_client()
    got = client.get(f"{AGENTS}/{agent_id}", headers=AUTH)
    listed = client.get(AGENTS, headers=AUTH)
    assert got.status_code == listed.status_code == 200
    return got.json, next(a for a in listed.json if a["id"] == agent_id)


def test_a_change_to_the_job_alone_shows_in_the_next_answers(app: Flask) -> None:
    busy = _busy(app)
    _answers(app, busy["id"])  # rendered, and kept
    store = get_state(app).store
    with store.transaction():
        job = store.get("jobs", store.get("agents", busy["id"])["job_id"])
        job["state"] = "canceling"  # the agent's own record is unchanged
    for answer in _answers(app, busy["id"]):
        assert answer["job"]["state"] == "canceling"
        assert {k: v for k, v in answer.items() if k != "job"} == {k: v for k, v in busy.items() if k != "job"}


def test_a_change_to_the_creator_alone_shows_in_the_next_answers(app: Flask) -> None:
    busy = _busy(app)
    _answers(app, busy["id"])
    store = get_state(app).store
    with store.transaction():
        store.get("users", store.get("agents", busy["id"])["creator_id"])["name"] = "Renamed Creator"
    for answer in _answers(app, busy["id"]):
        assert answer["creator"]["name"] == "Renamed Creator"


def test_a_change_to_the_agent_shows_in_the_next_answers(app: Flask) -> None:
    busy = _busy(app)
    _answers(app, busy["id"])
    store = get_state(app).store
    with store.transaction():
        store.get("agents", busy["id"])["priority"] = 99
    for answer in _answers(app, busy["id"]):
        assert answer["priority"] == 99


def test_reads_share_one_rendering_and_writes_render_afresh(app: Flask) -> None:
    store, agent_id = get_state(app).store, _busy(app)["id"]

    def rendered(write: bool) -> dict[str, Any]:
        with store.transaction(write=write):
            return agent_json(store, store.get("agents", agent_id), "http://127.0.0.1:8080")

    first = rendered(write=False)
    assert rendered(write=False) is first
    assert rendered(write=True) is not first  # records change in place in a write transaction: no stamps there
    assert rendered(write=True) == first


def test_the_memory_store_renders_every_time() -> None:
    app = create_app("buildkite", tokens=("T",), clock="manual")
    store, agent_id = get_state(app).store, _busy(app)["id"]
    with store.transaction(write=False):
        agent = store.get("agents", agent_id)
        assert store.stamp("agents", agent_id) is None
        assert agent_json(store, agent, "http://x") is not agent_json(store, agent, "http://x")
