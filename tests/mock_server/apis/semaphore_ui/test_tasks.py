"""Semaphore UI tasks: launch, lifecycle on the clock, output, stop."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.state import MockState

from .conftest import ALICE_TOKEN, bearer

TASKS = "/api/project/1/tasks"


def _launch(client: FlaskClient, template_id: int, **fields: Any) -> dict[str, Any]:
    response = client.post(TASKS, json={"template_id": template_id, **fields})
    assert response.status_code == 201, response.data
    task: dict[str, Any] = response.json
    return task


def _post(client: FlaskClient, path: str, body: Any) -> Any:
    """POST ``body`` as JSON, ``None`` included (the test client's ``json=None`` sends no body at all)."""
    return client.post(path, data=json.dumps(body), content_type="application/json")


def _status(client: FlaskClient, task_id: int) -> str:
    return str(client.get(f"{TASKS}/{task_id}").json["status"])


def _output(client: FlaskClient, task_id: int) -> list[str]:
    return [line["output"] for line in client.get(f"{TASKS}/{task_id}/output").json]


def test_a_launched_task_is_waiting_with_every_task_field(sui: FlaskClient) -> None:
    task = _launch(sui, 1, message="release 1.4", git_branch="main", debug=True, environment=None)
    assert task["status"] == "waiting" and task["id"] == 7 and task["user_id"] == 1
    given = (task["message"], task["git_branch"], task["debug"], task["environment"])
    assert given == ("release 1.4", "main", True, "")
    assert (task["created"], task["start"], task["end"]) == ("2026-01-05T09:00:00Z", None, None)
    assert "tpl_alias" not in task and task == sui.get(f"{TASKS}/{task['id']}").json


def test_a_task_goes_through_the_queue_and_its_output_accrues(sui: FlaskClient, sui_state: MockState) -> None:
    task = _launch(sui, 1)  # echo Building the demo app; sleep 5; echo Build finished
    seen = []
    for step in (0, 1, 1, 4, 1):
        sui_state.clock.advance(step)
        seen.append((_status(sui, task["id"]), len(_output(sui, task["id"]))))
    assert seen == [("waiting", 0), ("starting", 1), ("running", 2), ("running", 2), ("success", 3)]
    done = sui.get(f"{TASKS}/{task['id']}").json
    assert (done["start"], done["end"]) == ("2026-01-05T09:00:02Z", "2026-01-05T09:00:07Z")
    lines = sui.get(f"{TASKS}/{task['id']}/output").json
    assert lines[2] == {"task_id": task["id"], "task": "", "time": "2026-01-05T09:00:07Z", "output": "Build finished"}
    raw = sui.get(f"{TASKS}/{task['id']}/raw_output")
    assert raw.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.data.decode() == "Started task #7 of template 'Build'\nBuilding the demo app\nBuild finished\n"


def test_a_failing_script_ends_in_error(sui: FlaskClient, sui_state: MockState) -> None:
    task = _launch(sui, 3)  # echo Linting; sleep 2; echo ...; exit 1
    sui_state.clock.advance(10)
    assert _status(sui, task["id"]) == "error"
    assert _output(sui, task["id"])[-2:] == ["src/app.py:3: unused import", "Failed to run task: exit status 1"]


def test_tasks_are_listed_newest_first_with_their_template(sui: FlaskClient) -> None:
    new = _launch(sui, 2)
    listed = sui.get(TASKS).json
    assert [t["id"] for t in listed] == [new["id"], 5, 4, 3, 2, 1]
    assert {k: listed[0][k] for k in ("tpl_alias", "tpl_playbook", "tpl_type", "tpl_app", "user_name", "build_task")} \
        == {"tpl_alias": "Test", "tpl_playbook": "test.sh", "tpl_type": "", "tpl_app": "bash",
            "user_name": "Ada Admin", "build_task": None}


@pytest.mark.parametrize("body", [{"template_id": 99}, {"template_id": 5}, {}, None])
def test_an_unknown_or_missing_template_is_an_empty_404(sui: FlaskClient, body: Any) -> None:
    response = _post(sui, TASKS, body)
    assert response.status_code == 404 and response.data == b""


@pytest.mark.parametrize("data", ["", "{", '{"template_id": "1"}', '{"debug": "yes"}', "[1]"])
def test_a_body_that_is_not_the_json_a_task_needs_is_an_empty_400(sui: FlaskClient, data: str) -> None:
    response = sui.post(TASKS, data=data, content_type="application/json")
    assert response.status_code == 400 and response.data == b""


def test_a_member_may_launch_in_their_project_only(anon: FlaskClient) -> None:
    assert anon.post(TASKS, json={"template_id": 1}, headers=bearer(ALICE_TOKEN)).json["user_id"] == 2
    response = anon.post("/api/project/2/tasks", json={"template_id": 5}, headers=bearer(ALICE_TOKEN))
    assert response.status_code == 404


@pytest.mark.parametrize("path", [f"{TASKS}/99", f"{TASKS}/6", f"{TASKS}/abc", f"{TASKS}/99/output",
                                  f"{TASKS}/99/raw_output"])
def test_an_unknown_task_is_an_empty_400_not_a_404(sui: FlaskClient, path: str) -> None:
    response = sui.get(path)  # task 6 belongs to project 2
    assert response.status_code == 400 and response.data == b""


def test_fixture_tasks_are_where_their_history_put_them(sui: FlaskClient) -> None:
    assert [_status(sui, i) for i in range(1, 6)] == ["success", "success", "error", "stopped", "running"]
    assert _output(sui, 4) == ["Started task #4 of template 'Deploy'", "Deploying"]  # stopped while sleeping


# --- stop ----------------------------------------------------------------------------------------
def test_stop_needs_a_body(sui: FlaskClient) -> None:
    response = sui.post(f"{TASKS}/5/stop")
    assert response.status_code == 400 and response.data == b""
    assert _status(sui, 5) == "running"


def test_a_stop_goes_through_stopping_and_cuts_the_output(sui: FlaskClient, sui_state: MockState) -> None:
    task = _launch(sui, 2)  # echo Running 42 tests; sleep 30; echo 42 passed
    sui_state.clock.advance(10)
    response = sui.post(f"{TASKS}/{task['id']}/stop", json={"force": False})
    assert response.status_code == 204 and response.data == b""
    assert _status(sui, task["id"]) == "stopping"
    sui_state.clock.advance(1)
    stopped = sui.get(f"{TASKS}/{task['id']}").json
    assert (stopped["status"], stopped["end"]) == ("stopped", "2026-01-05T09:00:11Z")
    sui_state.clock.advance(60)
    assert _status(sui, task["id"]) == "stopped"
    assert _output(sui, task["id"]) == [f"Started task #{task['id']} of template 'Test'", "Running 42 tests"]


@pytest.mark.parametrize("body", [{"force": True}, {"force": False}, {}, None])
def test_stopping_a_waiting_task(sui: FlaskClient, sui_state: MockState, body: Any) -> None:
    task = _launch(sui, 1)
    assert _post(sui, f"{TASKS}/{task['id']}/stop", body).status_code == 204
    assert _status(sui, task["id"]) == ("stopped" if body and body["force"] else "stopping")
    sui_state.clock.advance(30)
    assert _status(sui, task["id"]) == "stopped" and _output(sui, task["id"]) == []


def test_an_ended_task_is_left_as_it_is(sui: FlaskClient) -> None:
    assert sui.post(f"{TASKS}/1/stop", json={"force": True}).status_code == 204
    assert _status(sui, 1) == "success"


@pytest.mark.parametrize("data", ['{"force": "yes"}', "nope", '{"force": 1}'])
def test_a_stop_body_of_the_wrong_shape_is_an_empty_400(sui: FlaskClient, data: str) -> None:
    response = sui.post(f"{TASKS}/5/stop", data=data, content_type="application/json")
    assert response.status_code == 400 and response.data == b""
