"""Pipelines: the lifecycle on the clock, blocks and dependencies, results, terminate, list filters, formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

V1 = "/api/v1alpha"
WEB = "e48c5cf8-7389-4df1-9904-235c06473af1"
API_PROJECT = "c394d20b-b3c6-4c90-b743-a9a65fa95a78"
DOCS = "3796efe0-81a0-4157-8774-7ad72d41ac28"
FIRST_WORKFLOW = "b1e7b07d-2d62-4af9-83ce-1f6df09d871f"
FIRST_PIPELINE = "8a97c0a9-4b8a-4027-9bd2-2602e9f72e37"
PIPELINE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}Z$")
EPOCH = "1970-01-01 00:00:00.000000Z"


def _describe(api: FlaskClient, ppl_id: str, detailed: bool = True) -> dict[str, Any]:
    response = api.get(f"{V1}/pipelines/{ppl_id}" + ("?detailed=true" if detailed else ""))
    assert response.status_code == 200
    return dict(response.json)


def _blocks(body: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {b["name"]: (b["state"], b.get("result")) for b in body["blocks"]}


def test_a_pipeline_goes_through_its_states_on_the_clock(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                                         advance: Callable[[float], None]) -> None:
    ppl_id = run()["pipeline_id"]
    states = []
    for _ in range(4):
        body = _describe(api, ppl_id)
        states.append(body["pipeline"]["state"])
        assert "result" not in body["pipeline"] and "result_reason" not in body["pipeline"]
        advance(1)
    assert states == ["initializing", "pending", "queuing", "running"]
    body = _describe(api, ppl_id)
    assert _blocks(body) == {"Build": ("running", None), "Test": ("waiting", None), "Package": ("waiting", None)}
    assert [j["name"] for j in body["blocks"][0]["jobs"]] == ["Compile"]
    assert body["blocks"][1]["jobs"] == [] and body["blocks"][1]["build_req_id"] == ""
    advance(600)
    body = _describe(api, ppl_id)
    pipeline = body["pipeline"]
    assert (pipeline["state"], pipeline["result"], pipeline["result_reason"]) == ("done", "passed", "test")
    assert set(_blocks(body).values()) == {("done", "passed")}
    assert [j["name"] for j in body["blocks"][1]["jobs"]] == ["Unit tests", "Lint - 1/2", "Lint - 2/2"]
    assert {j["status"] for b in body["blocks"] for j in b["jobs"]} == {"FINISHED"}
    assert all(PIPELINE_TIME.match(pipeline[k]) for k in ("created_at", "running_at", "done_at"))
    assert pipeline["stopping_at"] == EPOCH


def test_describe_is_detailed_only_for_the_exact_string_true(api: FlaskClient) -> None:
    for value in ("", "?detailed=false", "?detailed=TRUE", "?detailed=1"):
        assert api.get(f"{V1}/pipelines/{FIRST_PIPELINE}{value}").json["blocks"] == []
    assert len(_describe(api, FIRST_PIPELINE)["blocks"]) == 3


def test_blocks_wait_for_their_dependencies(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                            advance: Callable[[float], None]) -> None:
    ppl_id = run(project_id=API_PROJECT)["pipeline_id"]
    advance(5)  # running at +3, Build's job runs from +5 for 10 s
    assert _blocks(_describe(api, ppl_id))["Build"] == ("running", None)
    advance(10)
    blocks = _blocks(_describe(api, ppl_id))
    assert blocks == {"Build": ("done", "passed"), "Unit": ("running", None), "Integration": ("running", None),
                      "Release": ("waiting", None)}
    advance(35)  # Unit (30 s) is done, Integration (45 s) is not
    blocks = _blocks(_describe(api, ppl_id))
    assert blocks["Unit"] == ("done", "passed") and blocks["Release"] == ("waiting", None)
    advance(30)
    body = _describe(api, ppl_id)
    assert body["pipeline"]["result"] == "passed"
    assert [j["name"] for j in body["blocks"][1]["jobs"]] == ["Unit tests - GO_VERSION=1.22",
                                                              "Unit tests - GO_VERSION=1.23"]


def test_a_failing_job_fails_its_block_and_cancels_the_dependents(api: FlaskClient,
                                                                   run: Callable[..., dict[str, Any]],
                                                                   advance: Callable[[float], None]) -> None:
    ppl_id = run(".semaphore/failing.yml")["pipeline_id"]
    advance(60)
    body = _describe(api, ppl_id)
    assert _blocks(body) == {"Test": ("done", "failed"), "Deploy": ("done", "canceled")}
    assert body["blocks"][0]["jobs"][0]["result"] == "FAILED" and body["blocks"][1]["jobs"] == []
    assert (body["pipeline"]["result"], body["pipeline"]["result_reason"]) == ("failed", "test")


def test_an_exceeded_time_limit_stops_the_pipeline(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                                    advance: Callable[[float], None]) -> None:
    ppl_id = run(".semaphore/slow.yml")["pipeline_id"]
    advance(200)
    assert _describe(api, ppl_id)["pipeline"]["state"] == "running"
    advance(200)  # the job started at +5 and may run 5 minutes
    body = _describe(api, ppl_id)
    assert (body["pipeline"]["result"], body["pipeline"]["result_reason"]) == ("stopped", "timeout")
    assert body["blocks"][0]["jobs"][0]["result"] == "STOPPED"


@pytest.mark.parametrize("pipeline_file", [".semaphore/broken.yml", ".semaphore/missing.yml"])
def test_a_malformed_or_missing_file_fails_the_pipeline(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                                        advance: Callable[[float], None], pipeline_file: str) -> None:
    ppl_id = run(pipeline_file, project_id=DOCS)["pipeline_id"]
    advance(1)
    pipeline = _describe(api, ppl_id)["pipeline"]
    assert (pipeline["state"], pipeline["result"], pipeline["result_reason"]) == ("done", "failed", "malformed")
    assert pipeline["error_description"].startswith("{:malformed, ")


# --- terminate -------------------------------------------------------------------------------------------------------
def test_terminate_moves_through_stopping_to_stopped(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                                     advance: Callable[[float], None]) -> None:
    ppl_id = run()["pipeline_id"]
    advance(10)
    response = api.patch(f"{V1}/pipelines/{ppl_id}", json={"terminate_request": True})
    assert response.status_code == 200 and response.json == "Pipeline termination started."
    body = _describe(api, ppl_id)
    assert body["pipeline"]["state"] == "stopping" and _blocks(body)["Build"] == ("stopping", None)
    assert body["blocks"][0]["jobs"][0]["status"] == "STOPPING"
    advance(1)
    body = _describe(api, ppl_id)
    assert (body["pipeline"]["state"], body["pipeline"]["result"]) == ("done", "stopped")
    assert _blocks(body) == {"Build": ("done", "stopped"), "Test": ("done", "canceled"),
                             "Package": ("done", "canceled")}
    assert PIPELINE_TIME.match(body["pipeline"]["stopping_at"]) and body["pipeline"]["stopping_at"] != EPOCH


def test_terminate_before_running_and_after_done(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                                 advance: Callable[[float], None]) -> None:
    ppl_id = run()["pipeline_id"]
    assert api.patch(f"{V1}/pipelines/{ppl_id}", json={"terminate_request": True}).status_code == 200
    advance(5)
    pipeline = _describe(api, ppl_id)["pipeline"]
    assert (pipeline["state"], pipeline["result"], pipeline["running_at"]) == ("done", "stopped", EPOCH)
    done = api.patch(f"{V1}/pipelines/{FIRST_PIPELINE}", json={"terminate_request": True})
    assert done.status_code == 200 and _describe(api, FIRST_PIPELINE)["pipeline"]["result"] == "passed"


@pytest.mark.parametrize("body", [{"terminate_request": "true"}, {"terminate_request": False}, {}])
def test_terminate_needs_the_json_boolean_true(api: FlaskClient, body: dict[str, Any]) -> None:
    response = api.patch(f"{V1}/pipelines/{FIRST_PIPELINE}", json=body)
    assert response.status_code == 400
    assert response.json == "Value of 'terminate_request' field must be boolean value 'true'."


# --- list ------------------------------------------------------------------------------------------------------------
def test_list_items_use_upper_case_and_seconds_nanos(api: FlaskClient, run: Callable[..., dict[str, Any]]) -> None:
    run()
    items = api.get(f"{V1}/pipelines?project_id={WEB}").json
    assert items[0]["state"] == "INITIALIZING" and "result" not in items[0]
    assert items[0]["created_at"].keys() == {"seconds", "nanos"} and items[0]["done_at"] == {"seconds": 0,
                                                                                              "nanos": 0}
    done = [p for p in items if p["state"] == "DONE"]
    assert {p["result"] for p in done} >= {"PASSED", "FAILED"} and {p["result_reason"] for p in done} >= {"TEST"}


def test_list_needs_a_project_or_a_workflow(api: FlaskClient) -> None:
    response = api.get(f"{V1}/pipelines")
    assert response.status_code == 404 and response.get_data(as_text=True) == "Not Found"
    by_workflow = api.get(f"{V1}/pipelines?wf_id={FIRST_WORKFLOW}").json
    assert [p["ppl_id"] for p in by_workflow] == [FIRST_PIPELINE]
    assert api.get(f"{V1}/pipelines?wf_id=nope").status_code == 404


def test_list_filters(api: FlaskClient) -> None:
    base = f"{V1}/pipelines?project_id={WEB}&page_size=100"
    failing = api.get(base + "&yml_file_path=.semaphore/failing.yml").json
    assert failing and {p["yaml_file_name"] for p in failing} == {"failing.yml"}
    assert {p["branch_name"] for p in api.get(base + "&branch_name=feature/login").json} == {"feature/login"}
    everything = api.get(base).json
    cut = everything[10]["done_at"]["seconds"]
    later = api.get(base + f"&done_after={cut}").json
    assert later and all(p["done_at"]["seconds"] > cut for p in later)
    assert api.get(f"{V1}/pipelines?project_id={WEB}").headers["total"] == "35"
