"""Every buffer the mock keeps beside the API's own state stays bounded under sustained traffic: the request
journal (memory and SQLite), the violations list, the fault board and the lifecycle event queue.

The long memory soak is ``tests/reliability/soak.py`` (docs/reliability.md).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mock_server.app import create_app, get_state
from mock_server.dashboard import get_faults
from mock_server.sqlite_store import SqliteJournal

AUTH = {"Authorization": "Bearer bk-demo-token"}
AGENTS = "/v2/organizations/my-great-org/agents"


def _traffic(client, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        if i % 3 == 0:
            client.get(AGENTS + "?per_page=2", headers=AUTH)
        elif i % 3 == 1:
            client.get(f"/v2/no/such/path/{i}", headers=AUTH)
        else:
            client.get(AGENTS + f"/{i}", headers={"Authorization": f"Bearer unknown-{i}"})


def test_the_memory_journal_keeps_its_capacity() -> None:
    app = create_app("buildkite", journal_size=100)
    client = app.test_client()
    _traffic(client, 1500)
    state = get_state(app)
    assert len(state.journal) == 100
    listing = client.get("/_mock/requests?limit=100000").get_json()
    assert listing["total"] == listing["capacity"] == 100 and len(listing["requests"]) == 100
    assert listing["requests"][0]["id"] == 1500  # newest first; the oldest were dropped


def test_the_sqlite_journal_keeps_its_capacity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqliteJournal, "TRIM_BYTES", 8192)  # 2 MiB by default; small, to see it trimmed
    db = tmp_path / "state.db"
    app = create_app("buildkite", store=f"sqlite:{db}", journal_size=50)
    client = app.test_client()
    _traffic(client, 600)
    journal = get_state(app).journal
    assert len(journal) == 50 and [e["id"] for e in journal.entries()] == list(range(600, 550, -1))
    size = Path(journal.path).stat().st_size  # type: ignore[union-attr]
    assert size < 2 * 8192  # 600 entries of ~200 bytes: it was trimmed back to 50 each time it passed 8 KiB


def test_the_violations_list_keeps_its_capacity() -> None:
    state = get_state(create_app("buildkite"))
    for i in range(2500):
        state.record_violation({"method": "GET", "path": f"/{i}", "status": 200, "problems": ["x"]})
    assert len(state.violations) == 1000
    assert state.violations[-1]["path"] == "/2499"


def test_faults_do_not_accumulate_anything() -> None:
    app = create_app("buildkite", journal_size=100, faults=["getAgent:status=503,p=0.5", "listAgents:latency=0ms"],
                     fault_seed=3)
    client = app.test_client()
    _traffic(client, 150)
    board_early = json.dumps(get_faults(app).status(), sort_keys=True, default=str)
    _traffic(client, 1500)
    board_late = json.dumps(get_faults(app).status(), sort_keys=True, default=str)
    assert len(board_late) <= len(board_early) + 20  # counters may gain digits, nothing is appended
    assert len(get_state(app).journal) == 100
    faulted = [e for e in client.get("/_mock/requests?limit=100").get_json()["requests"] if e["faults"]]
    assert faulted, "the faults were applied"


def test_the_event_queue_drains(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    app = create_app("builds-srht", store=f"sqlite:{db}")
    client = app.test_client()
    auth = {"Authorization": "token alice-token"}
    for _ in range(200):
        response = client.post("/api/jobs", headers=auth,
                               json={"manifest": "image: alpine/edge\ntasks:\n  - a: echo hi\n"})
        assert response.status_code == 200
    client.post("/_mock/clock", json={"advance": 7 * 24 * 3600})
    with sqlite3.connect(db) as conn:
        pending = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert pending < 10, f"{pending} lifecycle events left after everything ended"
