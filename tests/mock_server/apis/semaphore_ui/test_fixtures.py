"""Semaphore UI fixture documents: errors name the record and field; loads add records."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.seeding import FixtureError
from mock_server.state import MockState

from .conftest import bearer

DOC: dict[str, Any] = {
    "users": [{"id": 1, "username": "root", "password": "pw", "admin": True}],
    "projects": [{"id": 1, "name": "P"}],
    "templates": [{"id": 1, "project": 1, "name": "T", "script": "echo hi\nsleep 3"}],
    "tokens": [{"token": "MixedCase-Token"}],
}


def _problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(FixtureError) as info:
        create_app("semaphore-ui", fixtures=document)
    return info.value.problems


def test_a_minimal_document_loads_and_its_token_belongs_to_the_first_admin() -> None:
    client = create_app("semaphore-ui", fixtures=DOC, strict=True).test_client()
    assert client.get("/api/user", headers=bearer("mixedcase-token")).json["username"] == "root"
    assert client.get("/api/project/1/templates/1", headers=bearer("mixedcase-token")).json["app"] == "bash"


@pytest.mark.parametrize(("change", "expected"), [
    ({"templates": [{"id": 1, "project": 9, "name": "T", "script": "x"}]},
     "templates[0] (name 'T').project: no project 9 in the fixtures"),
    ({"tasks": [{"template": 9}]}, "tasks[0].template: no template 9 in the fixtures"),
    ({"tasks": [{"template": 1, "user": "ghost"}]}, "tasks[0].user: no user 'ghost' in the fixtures"),
    ({"tokens": [{"token": "t", "user": "ghost"}]}, "tokens[0].user: no user 'ghost' in the fixtures to own the token"),
    ({"users": [{"id": 1, "username": "a", "password": "p", "projects": [7]}]},
     "users[0] (username 'a').projects: no project 7 in the fixtures"),
    ({"projects": [{"id": 1, "name": "A"}, {"id": 1, "name": "B"}]}, "projects: id 1 is used twice"),
    ({"templates": [{"id": 1, "project": 1, "name": "T", "script": "x", "app": "cobol"}]},
     "templates[0] (name 'T').app: 'cobol' is not one of"),
    ({"tasks": [{"template": 1, "created": "yesterday"}]}, "tasks[0].created: 'yesterday' is not a time"),
])
def test_problems_name_the_record_and_field(change: dict[str, Any], expected: str) -> None:
    problems = _problems({**DOC, **change})
    assert any(p.startswith(expected) for p in problems), problems


def test_more_records_can_be_loaded_and_their_tasks_run(sui: FlaskClient, sui_state: MockState) -> None:
    sui_state.load({"templates": [{"id": 9, "project": 2, "name": "Ping", "script": ["echo pong"]}],
                    "tasks": [{"template": 9, "created": "+0s"}]}, "<test>")
    [task] = [t for t in sui.get("/api/project/2/tasks").json if t["template_id"] == 9]
    assert task["id"] == 7 and task["status"] == "waiting" and task["user_id"] is None
    sui_state.clock.advance(2)
    assert sui.get(f"/api/project/2/tasks/{task['id']}").json["status"] == "success"


def test_the_admin_state_view_shows_task_statuses_and_token_expiry(sui: FlaskClient) -> None:
    sui.post("/api/auth/login", json={"auth": "bob", "password": "bob-pw"})
    collections = sui.get("/_mock/state").json["collections"]
    tasks = [t["state"] for t in collections["tasks"]]
    assert tasks == ["success", "success", "error", "stopped", "running", "success"]
    assert [t["state"] for t in collections["tokens"]].count("expired") == 1
    assert [s["state"] for s in collections["sessions"]] == ["active"]


def test_raw_output_drops_ansi_colours_the_json_output_keeps_them() -> None:
    doc = {**DOC, "templates": [{"id": 1, "project": 1, "name": "T", "script": ['echo "\x1b[32mgreen\x1b[0m ok"']}]}
    app = create_app("semaphore-ui", fixtures=doc, strict=True)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer mixedcase-token"
    task = client.post("/api/project/1/tasks", json={"template_id": 1}).json
    app.extensions["ciapi"].clock.advance(5)
    assert client.get(f"/api/project/1/tasks/{task['id']}/output").json[1]["output"] == "\x1b[32mgreen\x1b[0m ok"
    raw = client.get(f"/api/project/1/tasks/{task['id']}/raw_output").data.decode()
    assert raw.splitlines()[1] == "green ok"
