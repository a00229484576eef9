"""Workflows: run (JSON and form), list with the real pagination headers, describe, reschedule, terminate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

V1 = "/api/v1alpha"
WEB = "e48c5cf8-7389-4df1-9904-235c06473af1"
VAULT = "726dbefd-b30c-4c80-bc9a-c0613968a2ca"
FIRST_WORKFLOW = "b1e7b07d-2d62-4af9-83ce-1f6df09d871f"
ALICE = "fcd7fe34-f73f-4686-821b-ce02cb970b22"
WORKFLOWS = f"{V1}/plumber-workflows"


def _links(header: str) -> list[tuple[str, str]]:
    """``[(rel, url), ...]`` in the header's order."""
    out = []
    for part in header.split(", "):
        url, rel = part.split("; ")
        out.append((rel.removeprefix('rel="').removesuffix('"'), url.strip("<>")))
    return out


# --- run -------------------------------------------------------------------------------------------------------------
def test_run_answers_ids_and_the_workflow_is_described(api: FlaskClient, run: Callable[..., dict[str, Any]]) -> None:
    started = run()
    assert set(started) == {"workflow_id", "pipeline_id"}
    workflow = api.get(f"{WORKFLOWS}/{started['workflow_id']}").json["workflow"]
    assert workflow["initial_ppl_id"] == started["pipeline_id"]
    assert (workflow["triggered_by"], workflow["branch_name"], workflow["requester_id"]) == ("API", "master", ALICE)
    assert workflow["rerun_of"] == "" and len(workflow["commit_sha"]) == 40
    assert set(workflow["created_at"]) == {"seconds", "nanos"}


def test_run_takes_a_form_body_as_the_documentation_shows(api: FlaskClient) -> None:
    form = {"project_id": WEB, "reference": "refs/heads/dev", "parameters[GREETING]": "hi"}
    response = api.post(WORKFLOWS, data=form)
    assert response.status_code == 200
    pipeline = api.get(f"{V1}/pipelines/{response.json['pipeline_id']}").json["pipeline"]
    assert pipeline["branch_name"] == "dev" and pipeline["env_vars"] == [{"name": "GREETING", "value": "hi"}]


def test_run_with_parameters_and_another_pipeline_file(run: Callable[..., dict[str, Any]], api: FlaskClient) -> None:
    started = run("/.semaphore/deploy.yml", parameters={"PARAM_NAME": "PARAM_VALUE"})
    pipeline = api.get(f"{V1}/pipelines/{started['pipeline_id']}").json["pipeline"]
    assert (pipeline["working_directory"], pipeline["yaml_file_name"]) == (".semaphore", "deploy.yml")
    assert pipeline["name"] == "Deploy to production"
    assert pipeline["env_vars"] == [{"name": "PARAM_NAME", "value": "PARAM_VALUE"}]


@pytest.mark.parametrize("project_id", ["nope", VAULT, "0b461f65-e7be-4c80-888a-ef11d81fd971"])
def test_run_for_an_unknown_or_foreign_project_is_404(api: FlaskClient, project_id: str) -> None:
    response = api.post(WORKFLOWS, json={"project_id": project_id, "reference": "refs/heads/master"})
    assert response.status_code == 404 and response.get_data(as_text=True) == "Not Found"
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize("missing", ["project_id", "reference"])
def test_run_without_a_required_field_is_400(api: FlaskClient, missing: str) -> None:
    body = {"project_id": WEB, "reference": "refs/heads/master"}
    del body[missing]
    response = api.post(WORKFLOWS, json=body)
    assert response.status_code == 400 and response.json == f"Missing required post parameter {missing}."


# --- list ------------------------------------------------------------------------------------------------------------
def test_list_pages_with_the_real_headers(api: FlaskClient) -> None:
    first = api.get(f"{WORKFLOWS}?project_id={WEB}")
    assert first.status_code == 200 and len(first.json) == 30
    headers = first.headers
    assert (headers["total"], headers["per-page"], headers["total-pages"], headers["page-number"]) == (
        "35", "30", "2", "1")
    links = _links(headers["link"])
    assert [rel for rel, _ in links] == ["next", "first", "last"]
    assert links[0][1] == f"http://localhost{WORKFLOWS}?page=2&project_id={WEB}"
    second = api.get(links[0][1])
    assert len(second.json) == 5 and [rel for rel, _ in _links(second.headers["link"])] == ["prev", "first", "last"]
    ids = [w["wf_id"] for w in first.json + second.json]
    assert len(set(ids)) == 35 and FIRST_WORKFLOW == ids[-1]  # newest first


def test_following_next_yields_every_workflow_once(api: FlaskClient) -> None:
    url: str | None = f"{WORKFLOWS}?project_id={WEB}&page_size=7&branch_name=master"
    seen: list[str] = []
    while url:
        response = api.get(url)
        seen += [w["wf_id"] for w in response.json]
        url = dict(_links(response.headers["link"])).get("next")
        if url:
            assert list(parse_qs(urlsplit(url).query)) == sorted(parse_qs(urlsplit(url).query))  # sorted keys
    assert len(seen) == len(set(seen)) == int(api.get(f"{WORKFLOWS}?project_id={WEB}&branch_name=master")
                                              .headers["total"])


def test_list_items_number_the_trigger_and_filters_work(api: FlaskClient) -> None:
    items = api.get(f"{WORKFLOWS}?project_id={WEB}&page_size=100").json
    assert {w["triggered_by"] for w in items} == {0, 2}
    feature = api.get(f"{WORKFLOWS}?project_id={WEB}&branch_name=feature/login").json
    assert feature and {w["branch_name"] for w in feature} == {"feature/login"}
    middle = items[17]["created_at"]["seconds"]
    newer = api.get(f"{WORKFLOWS}?project_id={WEB}&created_after={middle}").json
    older = api.get(f"{WORKFLOWS}?project_id={WEB}&created_before={middle}").json
    assert len(newer) == 17 and len(older) == 17


@pytest.mark.parametrize("query", ["page_size=abc", "page_size=0", "page=-1", "page=x"])
def test_bad_paging_values_fall_back_to_the_defaults(api: FlaskClient, query: str) -> None:
    response = api.get(f"{WORKFLOWS}?project_id={WEB}&{query}")
    assert response.status_code == 200 and len(response.json) == 30 and response.headers["page-number"] == "1"


def test_a_page_past_the_end_is_empty_with_first_and_last(api: FlaskClient) -> None:
    response = api.get(f"{WORKFLOWS}?project_id={WEB}&page=5")
    assert response.json == [] and [rel for rel, _ in _links(response.headers["link"])] == ["first", "last"]


@pytest.mark.parametrize("query", ["", "?branch_name=master", f"?project_id={VAULT}", "?project_id=nope"])
def test_list_without_a_visible_project_is_404(api: FlaskClient, query: str) -> None:
    response = api.get(WORKFLOWS + query)
    assert response.status_code == 404 and response.get_data(as_text=True) == "Not Found"


def test_a_time_filter_that_is_not_a_number_is_400(api: FlaskClient) -> None:
    response = api.get(f"{WORKFLOWS}?project_id={WEB}&created_after=yesterday")
    assert response.status_code == 400
    assert response.json == "Invalid value of 'created_after' param: \"yesterday\" - needs to be integer."


def test_another_organizations_workflow_is_404(sem_app: Any) -> None:
    globex = sem_app.test_client()
    globex.environ_base["HTTP_AUTHORIZATION"] = "Token sem-globex-token"
    assert globex.get(f"{WORKFLOWS}/{FIRST_WORKFLOW}").status_code == 404
    assert globex.post(f"{WORKFLOWS}/{FIRST_WORKFLOW}/terminate").status_code == 404


# --- reschedule and terminate ----------------------------------------------------------------------------------------
def test_reschedule_is_idempotent_per_request_token(api: FlaskClient) -> None:
    first = api.post(f"{WORKFLOWS}/{FIRST_WORKFLOW}/reschedule?request_token=t-1")
    again = api.post(f"{WORKFLOWS}/{FIRST_WORKFLOW}/reschedule?request_token=t-1")
    other = api.post(f"{WORKFLOWS}/{FIRST_WORKFLOW}/reschedule", json={"request_token": "t-2"})
    assert first.status_code == again.status_code == other.status_code == 200
    assert first.json == again.json and other.json["wf_id"] != first.json["wf_id"]
    rerun = api.get(f"{WORKFLOWS}/{first.json['wf_id']}").json["workflow"]
    original = api.get(f"{WORKFLOWS}/{FIRST_WORKFLOW}").json["workflow"]
    assert rerun["rerun_of"] == FIRST_WORKFLOW and rerun["initial_ppl_id"] == first.json["ppl_id"]
    assert (rerun["commit_sha"], rerun["branch_name"]) == (original["commit_sha"], original["branch_name"])
    assert api.get(f"{WORKFLOWS}?project_id={WEB}").headers["total"] == "37"


def test_reschedule_without_a_token_is_400_and_an_unknown_workflow_404(api: FlaskClient) -> None:
    response = api.post(f"{WORKFLOWS}/{FIRST_WORKFLOW}/reschedule")
    assert response.status_code == 400 and response.json == "Missing required post parameter request_token."
    assert api.post(f"{WORKFLOWS}/nope/reschedule").status_code == 404


def test_terminate_stops_the_running_pipelines(api: FlaskClient, run: Callable[..., dict[str, Any]],
                                               advance: Callable[[float], None]) -> None:
    started = run()
    advance(10)
    response = api.post(f"{WORKFLOWS}/{started['workflow_id']}/terminate?request_token=x")
    assert response.status_code == 200 and response.json == "Termination started for 1 pipelines."
    pipeline = api.get(f"{V1}/pipelines/{started['pipeline_id']}").json["pipeline"]
    assert pipeline["state"] == "stopping" and pipeline["terminate_request"] == "stop"
    assert pipeline["terminated_by"] == ALICE
    advance(2)
    pipeline = api.get(f"{V1}/pipelines/{started['pipeline_id']}").json["pipeline"]
    assert (pipeline["state"], pipeline["result"], pipeline["result_reason"]) == ("done", "stopped", "user")
    again = api.post(f"{WORKFLOWS}/{started['workflow_id']}/terminate")
    assert again.json == "Termination started for 0 pipelines."
