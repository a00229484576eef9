"""Fixture documents: validated with file, record and field; jobs put on the clock; any store works."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.seeding import FixtureError
from mock_server.state import MockState


def test_problems_name_the_record_and_the_field(state: MockState) -> None:
    document = {
        "users": [{"name": "dave"}],
        "tokens": [{"token": "t", "user": "erin", "scopes": ["jobs:read", "jobs:admin"]}],
        "jobs": [
            {"owner": "frank"},
            {"id": 500, "owner": "dave", "manifest": "image: alpine/edge\ntasks:\n  - Bad Name: echo\n"},
            {"id": 501, "owner": "dave", "status": "running"},
            {"id": 502, "owner": "dave", "started": "yesterday"},
        ],
    }
    with pytest.raises(FixtureError) as caught:
        state.load(document, "mine.yaml")
    assert str(caught.value).startswith("mine.yaml: ")
    assert caught.value.problems == [
        "jobs[2] (id 501).status: 'running' is not one of ['pending', 'queued', 'cancelled']",
        "tokens[0] (token 't').scopes[1]: 'jobs:admin' is not one of ['jobs:read', 'jobs:write', '*']",
    ]
    del document["jobs"][2]
    document["tokens"][0]["scopes"] = ["jobs:read"]
    with pytest.raises(FixtureError) as caught:
        state.load(document, "mine.yaml")
    assert caught.value.problems == [
        "tokens[0] (token 't').user: no user 'erin' in the fixtures",
        "jobs[0] (id 503).owner: no user 'frank' in the fixtures",
        "jobs[1] (id 500).manifest.tasks[0]: Task name 'Bad Name' is invalid (must be all lowercase letters, "
        "numbers, underscores, and dashes, and <=128 characters)",
        "jobs[2] (id 502): 'yesterday' is not a time: use ISO-8601 ('2026-01-05T09:00:00Z') or an offset "
        "('-2h', '+30s')",
    ]


def test_loaded_jobs_get_the_next_ids_and_start_when_told(client: FlaskClient, state: MockState) -> None:
    state.load({"jobs": [{"owner": "bob", "started": "+1m", "access:read": ["*"]},
                         {"owner": "bob", "status": "pending"}]}, "test")
    assert client.get("/api/jobs/68").get_json()["status"] == "queued"
    assert client.get("/api/jobs/69").get_json()["status"] == "pending"
    state.clock.advance(61)
    assert client.get("/api/jobs/68").get_json()["status"] == "running"


def test_a_token_without_user_is_the_first_user(client: FlaskClient, state: MockState) -> None:
    state.load({"tokens": [{"token": "anon", "scopes": []}, {"token": "anon-rw"}]}, "test")
    assert client.get("/api/jobs", headers={"Authorization": "token anon"}).status_code == 403
    listed = client.get("/api/jobs", headers={"Authorization": "token anon-rw"}).get_json()
    assert listed["total"] == 60  # alice's jobs
    assert client.get("/api/jobs", headers={"Authorization": "token srht-test-token"}).get_json()["total"] == 60


def test_the_sqlite_store_runs_jobs_too(tmp_path: Path) -> None:
    app = create_app("builds-srht", tokens=["T"], strict=True, store=f"sqlite:{tmp_path / 'state.db'}")
    client = app.test_client()
    auth = {"Authorization": "token T"}
    manifest = "image: alpine/edge\ntasks:\n  - a: echo hi\nartifacts: [out/a.txt]\n"
    job = client.post("/api/jobs", json={"manifest": manifest}, headers=auth).get_json()
    assert client.post("/_mock/clock", json={"advance": 60}).status_code == 200
    done = client.get(f"/api/jobs/{job['id']}", headers=auth).get_json()
    assert done["status"] == "success" and done["tasks"][0]["status"] == "success"
    [artifact] = client.get(f"/api/jobs/{job['id']}/artifacts", headers=auth).get_json()["results"]
    assert client.get(artifact["url"].removeprefix("http://localhost")).data.startswith(b"ciapi mock artifact")
    assert client.get(done["tasks"][0]["log"].removeprefix("http://localhost")).get_data(as_text=True) == (
        "+ echo hi\nhi\n")
