"""Artifact retention policies, and authentication: Token or Bearer, 401 text, the organization of the host."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

V1 = "/api/v1alpha"
POLICIES = f"{V1}/artifacts_retention_policies"
WEB = "e48c5cf8-7389-4df1-9904-235c06473af1"
DOCS = "3796efe0-81a0-4157-8774-7ad72d41ac28"
VAULT = "726dbefd-b30c-4c80-bc9a-c0613968a2ca"
EMPTY = {"project_level_retention_policies": [], "workflow_level_retention_policies": [],
         "job_level_retention_policies": []}


def test_a_project_without_a_policy_has_empty_lists(api: FlaskClient) -> None:
    assert api.get(f"{POLICIES}/{WEB}").json == EMPTY
    configured = api.get(f"{POLICIES}/{DOCS}").json
    assert configured["project_level_retention_policies"] == [{"selector": "/**/*", "age": "1 year"}]


def test_configure_then_describe(api: FlaskClient) -> None:
    rules = [{"selector": "/logs/**/*.txt", "age": "3 months"}, {"selector": "/**/*", "age": "5 days"}]
    response = api.post(POLICIES, json={"project_id": WEB, "workflow_level_retention_policies": rules})
    assert response.status_code == 200 and response.json == {**EMPTY, "workflow_level_retention_policies": rules}
    assert api.get(f"{POLICIES}/{WEB}").json == response.json


@pytest.mark.parametrize(("body", "message"), [
    ({"project_id": WEB}, "at least one retention policy configuration must be defined"),
    ({"project_id": WEB, "job_level_retention_policies": []},
     "at least one retention policy configuration must be defined"),
    ({"project_id": "nope", "job_level_retention_policies": [{"selector": "/x", "age": "1 week"}]},
     "project id must be a valid UUID"),
    ({"job_level_retention_policies": [{"selector": "/x", "age": "1 week"}]}, "project_id must be present"),
    ({"project_id": WEB, "job_level_retention_policies": [{"selector": "/x", "age": "13 weeks"}]},
     "invalid 'age' value: '13 weeks' - valid examples: 5 days, 1 week, 2 weeks, 3 months, 4 years"),
    ({"project_id": WEB, "job_level_retention_policies": [{"selector": "", "age": "1 week"}]},
     "the 'selector' filed must be a non-empty string"),
])
def test_invalid_policies_are_400_in_plain_text(api: FlaskClient, body: dict[str, object], message: str) -> None:
    response = api.post(POLICIES, json=body)
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == message


def test_another_organizations_project_is_not_found(api: FlaskClient) -> None:
    rule = [{"selector": "/x", "age": "1 week"}]
    for response in (api.get(f"{POLICIES}/{VAULT}"), api.post(POLICIES, json={"project_id": VAULT,
                                                                                "job_level_retention_policies": rule})):
        assert response.status_code == 404 and response.get_data(as_text=True) == "Not found"


# --- authentication --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Token nope", "token sem-demo-token", "Basic c2VtOg==", "Token",
                                    "Bearer  sem-demo-token"])
def test_bad_credentials_are_401_unauthorized(sem_app: Flask, header: str | None) -> None:
    client = sem_app.test_client()
    for path in (f"{V1}/self_hosted_agent_types", f"{V1}/jobs/x", "/api/v2/jobs"):
        response = client.get(path, headers={"Authorization": header} if header else {})
        assert response.status_code == 401 and response.get_data(as_text=True) == "Unauthorized"
        assert response.mimetype == "text/plain"


def test_token_and_bearer_both_work(sem_app: Flask) -> None:
    client = sem_app.test_client()
    for scheme in ("Token", "Bearer"):
        response = client.get(f"{V1}/self_hosted_agent_types", headers={"Authorization": f"{scheme} sem-demo-token"})
        assert response.status_code == 200


def test_the_host_names_the_organization(sem_app: Flask) -> None:
    client = sem_app.test_client()
    sem_app.config["SERVER_NAME"] = None
    full = {"Authorization": "Token full-access"}
    from mock_server.app import get_state

    state = get_state(sem_app)
    state.store.put("tokens", state.profile.full_access_token("full-access"))
    by_host = client.get(f"{POLICIES}/{VAULT}", headers=full, base_url="http://globex.localhost")
    assert by_host.status_code == 200
    assert client.get(f"{POLICIES}/{VAULT}", headers=full).status_code == 404  # default: the first organization
    alice_elsewhere = client.get(f"{POLICIES}/{VAULT}", headers={"Authorization": "Token sem-demo-token"},
                                 base_url="http://globex.localhost")
    assert alice_elsewhere.status_code == 401


def test_unknown_paths_answer_plain_not_found(api: FlaskClient) -> None:
    response = api.get(f"{V1}/nothing-here")
    assert response.status_code == 404 and response.get_data(as_text=True) == "Not Found"
