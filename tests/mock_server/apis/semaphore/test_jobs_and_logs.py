"""v1alpha jobs (grpc-gateway style) and their logs, which grow as the clock moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

V1 = "/api/v1alpha"
FIRST_PIPELINE = "8a97c0a9-4b8a-4027-9bd2-2602e9f72e37"


def _first_job(api: FlaskClient, ppl_id: str, block: int = 0) -> str:
    blocks = api.get(f"{V1}/pipelines/{ppl_id}?detailed=true").json["blocks"]
    return str(blocks[block]["jobs"][0]["job_id"])


def _events(api: FlaskClient, job_id: str) -> list[dict[str, Any]]:
    response = api.get(f"{V1}/logs/{job_id}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return list(response.json["events"])


def test_a_job_in_the_grpc_gateway_style(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                         advance: Callable[[float], None]) -> None:
    ppl_id = run()["pipeline_id"]
    advance(3)  # the Build block starts: its job is pending
    job_id = _first_job(api, ppl_id)
    job = api.get(f"{V1}/jobs/{job_id}").json
    assert job["status"] == {"result": "NONE", "state": "PENDING", "agent": None}
    assert job["metadata"]["start_time"] == "0" and job["metadata"]["create_time"].isdigit()
    assert job["spec"]["commands"] == ["checkout", "echo compiling", "sleep 20", "echo compiled"]
    assert job["spec"]["agent"] == {"machine": {"type": "e1-standard-2", "os_image": "ubuntu2004"},
                                    "containers": [], "image_pull_secrets": []}
    assert {e["name"] for e in job["spec"]["env_vars"]} >= {"SEMAPHORE_WORKFLOW_ID", "SEMAPHORE_PIPELINE_ID"}
    advance(1)
    assert api.get(f"{V1}/jobs/{job_id}").json["status"]["state"] == "QUEUED"
    advance(1)
    running = api.get(f"{V1}/jobs/{job_id}").json["status"]
    assert running["state"] == "RUNNING" and running["agent"]["ports"][0]["name"] == "ssh"
    advance(30)
    done = api.get(f"{V1}/jobs/{job_id}").json
    assert (done["status"]["state"], done["status"]["result"]) == ("FINISHED", "PASSED")
    assert int(done["metadata"]["finish_time"]) - int(done["metadata"]["start_time"]) == 21


def test_the_log_grows_with_the_clock(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                      advance: Callable[[float], None]) -> None:
    ppl_id = run()["pipeline_id"]
    advance(3)
    job_id = _first_job(api, ppl_id)
    assert _events(api, job_id) == []
    advance(2)  # started
    events = _events(api, job_id)
    assert events[0]["event"] == "job_started"
    assert events[1] == {"event": "cmd_started", "timestamp": events[0]["timestamp"],
                         "directive": "Exporting environment variables"}
    assert events[-1] == {"event": "cmd_started", "timestamp": events[0]["timestamp"], "directive": "checkout"}
    advance(11)  # checkout (1 s), echo, then 10 s into sleep 20
    directives = [e.get("directive") for e in _events(api, job_id) if e["event"] == "cmd_started"]
    assert directives[-2:] == ["echo compiling", "sleep 20"]
    advance(20)
    events = _events(api, job_id)
    outputs = [e["output"] for e in events if e["event"] == "cmd_output" and not e["output"].startswith("Export")]
    assert outputs == ["compiling\n", "compiled\n"]
    sleep = next(e for e in events if e["event"] == "cmd_finished" and e["directive"] == "sleep 20")
    assert sleep["exit_code"] == 0 and sleep["finished_at"] - sleep["started_at"] == 20
    assert events[-1] == {"event": "job_finished", "timestamp": sleep["finished_at"], "result": "passed"}


def test_epilogues_run_by_their_rules(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                      advance: Callable[[float], None]) -> None:
    ppl_id = run(".semaphore/failing.yml")["pipeline_id"]
    advance(60)
    events = _events(api, _first_job(api, ppl_id))
    finished = [(e["directive"], e["exit_code"]) for e in events if e["event"] == "cmd_finished"]
    assert finished[-3:] == [("echo 1 test failed", 0), ("exit 1", 1), ("echo uploading failure report", 0)]
    assert events[-1]["result"] == "failed"
    job = api.get(f"{V1}/jobs/{_first_job(api, ppl_id)}").json
    assert job["spec"]["epilogue_on_fail_commands"] == ["echo uploading failure report"]


def test_stopping_a_running_job(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                advance: Callable[[float], None]) -> None:
    ppl_id = run()["pipeline_id"]
    advance(10)
    job_id = _first_job(api, ppl_id)
    response = api.post(f"{V1}/jobs/{job_id}/stop")
    assert response.status_code == 200 and response.json == {}
    assert api.get(f"{V1}/jobs/{job_id}").json["status"]["state"] == "RUNNING"
    advance(1)
    job = api.get(f"{V1}/jobs/{job_id}").json
    assert (job["status"]["state"], job["status"]["result"]) == ("FINISHED", "STOPPED")
    events = _events(api, job_id)
    assert events[-2]["event"] == "cmd_finished" and events[-2]["exit_code"] == 1
    assert events[-1] == {"event": "job_finished", "timestamp": events[-2]["timestamp"], "result": "stopped"}
    advance(100)
    pipeline = api.get(f"{V1}/pipelines/{ppl_id}").json["pipeline"]
    assert (pipeline["result"], pipeline["result_reason"]) == ("stopped", "user")
    assert api.post(f"{V1}/jobs/{job_id}/stop").json == {}  # a finished job: nothing changes


def test_stopping_a_pending_job_leaves_no_log(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                              advance: Callable[[float], None]) -> None:
    ppl_id = run()["pipeline_id"]
    advance(3)
    job_id = _first_job(api, ppl_id)
    api.post(f"{V1}/jobs/{job_id}/stop", data="")
    advance(5)
    job = api.get(f"{V1}/jobs/{job_id}").json
    assert (job["status"]["result"], job["metadata"]["start_time"], job["status"]["agent"]) == ("STOPPED", "0", None)
    assert _events(api, job_id) == []


def test_unknown_and_foreign_jobs(api: FlaskClient, sem_app: Flask) -> None:
    response = api.get(f"{V1}/jobs/nope")
    assert response.status_code == 404
    assert response.json == {"code": 5, "message": "Job nope not found", "details": []}
    assert api.post(f"{V1}/jobs/nope/stop").json["code"] == 5
    logs = api.get(f"{V1}/logs/nope")
    assert logs.status_code == 404 and logs.get_data(as_text=True) == "Not found"
    job_id = _first_job(api, FIRST_PIPELINE)
    globex = sem_app.test_client()
    globex.environ_base["HTTP_AUTHORIZATION"] = "Bearer sem-globex-token"
    assert globex.get(f"{V1}/jobs/{job_id}").status_code == 404
    assert globex.get(f"{V1}/logs/{job_id}").status_code == 404


def test_a_body_that_is_not_an_object_is_a_grpc_400(api: FlaskClient) -> None:
    job_id = _first_job(api, FIRST_PIPELINE)
    response = api.post(f"{V1}/jobs/{job_id}/stop", json=[1, 2])
    assert response.status_code == 400 and response.json["code"] == 3 and response.json["details"] == []
