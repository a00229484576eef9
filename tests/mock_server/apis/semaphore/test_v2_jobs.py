"""The v2 Jobs resource, over the same jobs as v1alpha."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

V1 = "/api/v1alpha"
JOBS = "/api/v2/jobs"
WEB = "e48c5cf8-7389-4df1-9904-235c06473af1"
VAULT = "726dbefd-b30c-4c80-bc9a-c0613968a2ca"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.semaphoreci.com/reference/api"}


def _create(api: FlaskClient, commands: list[str], **spec: Any) -> dict[str, Any]:
    body = {"apiVersion": "v2", "kind": "Job", "metadata": {"name": "Job #1"},
            "spec": {"project_id": WEB, "agent": {"machine": {"type": "e1-standard-2", "os_image": "ubuntu2004"}},
                     "commands": commands, **spec}}
    response = api.post(JOBS, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.json)


def test_create_runs_the_job_and_it_is_the_same_job_in_v1alpha(api: FlaskClient,
                                                                advance: Callable[[float], None]) -> None:
    job = _create(api, ["echo hello", "sleep 30"], env_vars=[{"name": "GREETING", "value": "hello"}],
                  epilogue_always_commands=["echo bye"])
    assert (job["apiVersion"], job["kind"]) == ("v2", "Job")
    assert job["metadata"]["organization"] == {"id": "2b4e4c0f-c760-4f47-9dc4-b3e84f993f63", "name": "acme"}
    assert job["metadata"]["project"] == {"id": WEB, "name": "web"} and job["metadata"]["workflow"] is None
    assert job["metadata"]["timeline"]["created_by"]["name"] == "alice"
    assert job["status"] == {"agent": None, "result": "NONE", "state": "PENDING", "timeline": {
        "created_at": job["metadata"]["timeline"]["created_at"], "enqueued_at": None, "scheduled_at": None,
        "started_at": None, "finished_at": None}}
    assert ISO.match(job["status"]["timeline"]["created_at"]) and job["spec"]["execution_time_limit"] == 3600
    job_id = job["metadata"]["id"]
    advance(2)
    assert api.get(f"{JOBS}/{job_id}").json["status"]["state"] == "RUNNING"
    v1 = api.get(f"{V1}/jobs/{job_id}").json
    assert v1["status"]["state"] == "RUNNING" and v1["spec"]["commands"] == ["echo hello", "sleep 30"]
    advance(30)
    done = api.get(f"{JOBS}/{job_id}").json
    assert (done["status"]["state"], done["status"]["result"]) == ("FINISHED", "PASSED")
    events = api.get(f"{JOBS}/{job_id}/log_events").json["events"]
    assert events == api.get(f"{V1}/logs/{job_id}").json["events"]
    assert [e["output"] for e in events if e["event"] == "cmd_output"] == ["Exporting GREETING\n", "hello\n",
                                                                          "bye\n"]


def test_terminate_stops_the_job(api: FlaskClient, advance: Callable[[float], None]) -> None:
    job_id = _create(api, ["sleep 600"])["metadata"]["id"]
    advance(5)
    response = api.post(f"{JOBS}/{job_id}/terminate")
    assert response.status_code == 204 and response.get_data() == b""
    advance(1)
    job = api.get(f"{JOBS}/{job_id}").json
    assert (job["status"]["state"], job["status"]["result"]) == ("FINISHED", "STOPPED")
    assert ISO.match(job["status"]["timeline"]["finished_at"])


def test_the_time_limit_is_enforced(api: FlaskClient, advance: Callable[[float], None]) -> None:
    job_id = _create(api, ["sleep 600"], execution_time_limit=60)["metadata"]["id"]
    advance(70)
    assert api.get(f"{JOBS}/{job_id}").json["status"]["result"] == "STOPPED"
    assert api.get(f"{JOBS}/{job_id}/log_events").json["events"][-1]["result"] == "stopped"


def test_debug_ssh_key_only_while_running(api: FlaskClient, advance: Callable[[float], None]) -> None:
    job_id = _create(api, ["sleep 60"])["metadata"]["id"]
    pending = api.get(f"{JOBS}/{job_id}/debug_ssh_key")
    assert pending.status_code == 400 and pending.json == "Debug SSH key is only available for running jobs."
    advance(2)
    key = api.get(f"{JOBS}/{job_id}/debug_ssh_key").json["key"]
    assert key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    advance(100)
    assert api.get(f"{JOBS}/{job_id}/debug_ssh_key").status_code == 400


def test_debug_starts_a_copy_that_waits(api: FlaskClient, advance: Callable[[float], None]) -> None:
    original = _create(api, ["make test"], env_vars=[{"name": "A", "value": "1"}])
    machine = {"type": "e1-standard-4", "os_image": "ubuntu2204"}
    debug = api.post(f"{JOBS}/{original['metadata']['id']}/debug",
                     json={"agent": {"machine": machine}, "execution_time_limit": 120}).json
    assert debug["metadata"]["name"] == "Debug: Job #1" and debug["spec"]["commands"] == ["sleep 120"]
    assert debug["spec"]["agent"]["machine"] == machine and debug["spec"]["env_vars"] == [{"name": "A",
                                                                                          "value": "1"}]
    advance(60)
    assert api.get(f"{JOBS}/{debug['metadata']['id']}/debug_ssh_key").status_code == 200


def test_list_filters_and_pages_with_tokens(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                            advance: Callable[[float], None]) -> None:
    run()
    advance(10)
    running = api.get(f"{JOBS}?state=RUNNING").json
    assert running and {j["status"]["state"] for j in running} == {"RUNNING"}
    first = api.get(f"{JOBS}?project_id={WEB}&page_size=50")
    assert first.headers["per-page"] == "50" and first.headers["previous-page-token"] == ""
    token = first.headers["next-page-token"]
    assert first.headers["link"].endswith(f'<http://localhost{JOBS}?project_id={WEB}&page_size=50>; rel="first"')
    assert f"page_token={token}" in first.headers["link"].split(", ")[0]
    seen = [j["metadata"]["id"] for j in first.json]
    while token:
        page = api.get(f"{JOBS}?project_id={WEB}&page_size=50&page_token={token}")
        assert page.headers["previous-page-token"]
        seen += [j["metadata"]["id"] for j in page.json]
        token = page.headers["next-page-token"]
    assert len(seen) == len(set(seen)) and {api.get(f"{JOBS}/{i}").json["metadata"]["project"]["id"]
                                             for i in seen[:3]} == {WEB}
    assert len(api.get(JOBS).json) == 20


@pytest.mark.parametrize(("query", "pointer"), [("page_size=0", "/page_size"), ("state=DONE", "/state"),
                                                ("page_token=%21%21", "/page_token")])
def test_invalid_list_parameters_are_422(api: FlaskClient, query: str, pointer: str) -> None:
    response = api.get(f"{JOBS}?{query}")
    assert response.status_code == 422 and response.json["message"] == "Validation Failed"
    assert response.json["errors"][0]["source"]["pointer"] == pointer


def test_an_invalid_body_is_422_with_pointers(api: FlaskClient) -> None:
    response = api.post(JOBS, json={"metadata": {"name": "x"}, "spec": {"project_id": WEB, "commands": []}})
    assert response.status_code == 422
    assert {e["source"]["pointer"] for e in response.json["errors"]} == {"/spec/agent", "/spec/commands"}


def test_unknown_and_foreign_jobs_and_projects_are_404(api: FlaskClient, sem_app: Flask) -> None:
    assert api.get(f"{JOBS}/nope").json == NOT_FOUND
    assert api.get(f"{JOBS}?project_id={VAULT}").status_code == 404
    body = {"metadata": {"name": "x"}, "spec": {"project_id": VAULT, "agent": {"machine": {
        "type": "e1-standard-2", "os_image": ""}}, "commands": ["echo"]}}
    assert api.post(JOBS, json=body).json == NOT_FOUND
    job_id = _create(api, ["echo"])["metadata"]["id"]
    globex = sem_app.test_client()
    globex.environ_base["HTTP_AUTHORIZATION"] = "Bearer sem-globex-token"
    for path in ("", "/log_events", "/debug_ssh_key"):
        assert globex.get(f"{JOBS}/{job_id}{path}").status_code == 404
    assert job_id not in {j["metadata"]["id"] for j in globex.get(f"{JOBS}?page_size=100").json}
