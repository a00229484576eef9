"""POST /yaml validates the real structure of a pipeline; tasks' run_now starts a workflow with parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

V1 = "/api/v1alpha"
TASK = "a2e4f1d2-5c1e-4f0e-9b0a-6e7f8d9c0b1a"
GLOBEX_TASK = "5b9c2d7e-8f1a-4b3c-9d4e-6f7a8b9c0d1e"
AGENT = "agent:\n  machine: {type: e1-standard-2, os_image: ubuntu2004}\n"
JOB = "{name: j, commands: [echo hi]}"
VALID = f"version: v1.0\nname: ok\n{AGENT}blocks:\n  - name: A\n    task:\n      jobs: [{JOB}]\n"


def _validate(api: FlaskClient, text: str) -> tuple[int, Any]:
    response = api.post(f"{V1}/yaml", json={"yaml_definition": text})
    return response.status_code, response.json


def test_a_valid_definition(api: FlaskClient) -> None:
    assert _validate(api, VALID) == (200, {"message": "YAML definition is valid.", "pipeline_id": ""})


@pytest.mark.parametrize(("text", "report"), [
    ("version: v1.0\n" + AGENT, '{"Required property blocks was not present.", "#"}'),
    (f"name: x\n{AGENT}blocks: []", '{"Required property version was not present.", "#"}'),
    (f"version: v2.0\n{AGENT}blocks: [{{name: A, task: {{jobs: [{JOB}]}}}}]", '"#/version"'),
    (f"version: v1.0\nblocks: [{{name: A, task: {{jobs: [{JOB}]}}}}]", "Required property agent"),
    (f"version: v1.0\n{AGENT}blocks: [{{name: A, task: null}}]",
     '{"Type mismatch. Expected Object but got Null.", "#/blocks/0/task"}'),
    (f"version: v1.0\n{AGENT}blocks: [{{name: A, task: {{jobs: [{{name: j}}]}}}}]",
     '{"Required property commands was not present.", "#/blocks/0/task/jobs/0"}'),
    (f"version: v1.0\n{AGENT}blocks: [{{name: A, task: {{jobs: [{JOB}]}}}}, {{name: A, task: {{jobs: [{JOB}]}}}}]",
     "at least two blocks with same name: A"),
    (f"version: v1.0\n{AGENT}blocks: [{{name: A, dependencies: [B], task: {{jobs: [{JOB}]}}}}]",
     "Unknown block name 'B' in dependencies of block 'A'."),
    (f"version: v1.0\n{AGENT}blocks: [{{name: A, dependencies: [], task: {{jobs: [{JOB}]}}}}, "
     f"{{name: B, task: {{jobs: [{JOB}]}}}}]", "Either all blocks should have dependencies"),
    (f"version: v1.0\n{AGENT}blocks: [{{name: A, dependencies: [B], task: {{jobs: [{JOB}]}}}}, "
     f"{{name: B, dependencies: [A], task: {{jobs: [{JOB}]}}}}]", "cycles"),
    (VALID + "promotions: [{name: Prod}]", '{"Required property pipeline_file was not present.", "#/promotions/0"}'),
    ("blocks: [", "Invalid YAML"),
])
def test_invalid_definitions_are_400_with_a_report(api: FlaskClient, text: str, report: str) -> None:
    status, body = _validate(api, text)
    assert status == 400 and body.startswith("{:malformed, ") and report in body


def test_a_missing_definition_is_400(api: FlaskClient) -> None:
    response = api.post(f"{V1}/yaml", json={})
    assert response.status_code == 400 and response.json == "Missing required post parameter yaml_definition."


# --- tasks -----------------------------------------------------------------------------------------------------------
def _env(api: FlaskClient, workflow_id: str, advance: Callable[[float], None]) -> dict[str, str]:
    ppl_id = api.get(f"{V1}/plumber-workflows/{workflow_id}").json["workflow"]["initial_ppl_id"]
    advance(5)
    blocks = api.get(f"{V1}/pipelines/{ppl_id}?detailed=true").json["blocks"]
    job = api.get(f"{V1}/jobs/{blocks[0]['jobs'][0]['job_id']}").json
    return {e["name"]: e["value"] for e in job["spec"]["env_vars"]}


def test_run_now_starts_the_task_with_its_parameters(api: FlaskClient, advance: Callable[[float], None]) -> None:
    response = api.post(f"{V1}/tasks/{TASK}/run_now")
    assert response.status_code == 200 and set(response.json) == {"workflow_id"}
    workflow = api.get(f"{V1}/plumber-workflows/{response.json['workflow_id']}").json["workflow"]
    assert (workflow["triggered_by"], workflow["branch_name"]) == ("MANUAL_RUN", "master")
    env = _env(api, workflow["wf_id"], advance)
    assert (env["TARGET"], env["DRY_RUN"]) == ("staging", "false")


def test_run_now_options_override_the_task(api: FlaskClient, advance: Callable[[float], None]) -> None:
    body = {"branch": "release", "pipeline_file": ".semaphore/semaphore.yml", "parameters": {"TARGET": "prod"}}
    workflow_id = api.post(f"{V1}/tasks/{TASK}/run_now", json=body).json["workflow_id"]
    workflow = api.get(f"{V1}/plumber-workflows/{workflow_id}").json["workflow"]
    assert workflow["branch_name"] == "release" and _env(api, workflow_id, advance)["TARGET"] == "prod"
    tagged = api.post(f"{V1}/tasks/{TASK}/run_now", json={"reference": {"type": "TAG", "name": "v1.0"}}).json
    assert api.get(f"{V1}/plumber-workflows/{tagged['workflow_id']}").json["workflow"]["branch_name"] == (
        "refs/tags/v1.0")


def test_run_now_refuses_a_required_parameter_without_value(api: FlaskClient) -> None:
    response = api.post(f"{V1}/tasks/{TASK}/run_now", json={"parameters": {"TARGET": ""}})
    assert response.status_code == 400 and response.json == "Missing value for required parameter: TARGET"


@pytest.mark.parametrize(("task", "status", "body"), [
    ("not-a-uuid", 400, '"schedule identifier should be a UUID"'),
    ("0b461f65-e7be-4c80-888a-ef11d81fd971", 404, "Not found"),
    (GLOBEX_TASK, 404, "Not found"),
])
def test_run_now_errors(api: FlaskClient, task: str, status: int, body: str) -> None:
    response = api.post(f"{V1}/tasks/{task}/run_now")
    assert response.status_code == status and response.get_data(as_text=True) == body
