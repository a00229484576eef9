"""Self-hosted agent types (registration token only on create, s1- names, disable_all) and the agent cursor."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

V1 = "/api/v1alpha"
TYPES = f"{V1}/self_hosted_agent_types"
AGENTS = f"{V1}/agents"
AWS = "assignment_origin_aws_sts"


def test_list_agent_types_of_the_organization(api: FlaskClient) -> None:
    types = api.get(TYPES).json["agent_types"]
    assert [t["metadata"]["name"] for t in types] == ["s1-aws-large", "s1-linux-small", "s1-spare"]
    aws = types[0]
    assert aws["spec"]["agent_name_settings"] == {
        "assignment_origin": "assignment_origin_aws_sts", "release_after": 60,
        "aws": {"account_id": "1234567890", "role_name_patterns": "ci-runner,ci-runner-*"}}
    assert aws["status"] == {"total_agent_count": 3} and isinstance(aws["metadata"]["create_time"], int)
    assert types[1]["spec"]["agent_name_settings"]["aws"] is None
    assert "registration_token" not in str(types)
    assert api.get(f"{TYPES}?page=x").json == "Invalid value of 'page' param: \"x\" - needs to be integer."


def test_create_shows_the_registration_token_once(api: FlaskClient) -> None:
    created = api.post(TYPES, json={"metadata": {"name": " s1-new "}})
    assert created.status_code == 200 and created.json["metadata"]["name"] == "s1-new"
    assert len(created.json["status"]["registration_token"]) == 40
    assert created.json["spec"]["agent_name_settings"] == {"assignment_origin": "assignment_origin_agent",
                                                           "release_after": 0, "aws": None}
    described = api.get(f"{TYPES}/s1-new").json
    assert described["status"] == {"total_agent_count": 0}
    assert described["metadata"] == created.json["metadata"]


@pytest.mark.parametrize(("body", "message"), [
    ({"metadata": {"name": "my-type"}},
     "The agent type name 'my-type' is invalid: must follow the pattern ^s1-[a-zA-Z0-9-_]+$"),
    ({"metadata": {"name": "s1-linux-small"}}, "agent type name must by unique in the organization"),
    ({"metadata": {}}, "Name must be provided"),
    ({"metadata": {"name": "s1-x"}, "spec": {"agent_name_settings": {"assignment_origin": "assignment_origin_ldap"}}},
     "invalid assignment_origin 'assignment_origin_ldap'"),
    ({"metadata": {"name": "s1-x"}, "spec": {"agent_name_settings": {"assignment_origin": AWS}}},
     "AWS account ID and role name patterns are required for assignment_origin_aws_sts"),
])
def test_create_refusals(api: FlaskClient, body: dict[str, object], message: str) -> None:
    response = api.post(TYPES, json=body)
    assert response.status_code == 400 and response.json == message


def test_update_replaces_the_name_settings(api: FlaskClient) -> None:
    settings = {"assignment_origin": "assignment_origin_aws_sts", "release_after": 30,
                "aws": {"account_id": "42", "role_name_patterns": "r1"}}
    body = {"metadata": {"name": "s1-spare"}, "spec": {"agent_name_settings": settings}}
    updated = api.patch(f"{TYPES}/s1-spare", json=body)
    assert updated.status_code == 200 and updated.json["spec"]["agent_name_settings"] == settings
    assert "registration_token" not in updated.json["status"]
    assert api.get(f"{TYPES}/s1-spare").json["spec"]["agent_name_settings"] == settings
    unknown_path = api.patch(f"{TYPES}/s1-nope", json=body)
    assert unknown_path.status_code == 404 and unknown_path.json == "agent type not found"
    unknown_body = api.patch(f"{TYPES}/s1-spare", json={"metadata": {"name": "s1-nope"}})
    assert unknown_body.status_code == 404 and unknown_body.json == "record not found"


def test_delete_only_without_agents(api: FlaskClient) -> None:
    busy = api.delete(f"{TYPES}/s1-linux-small")
    assert busy.status_code == 400 and busy.json == "can't delete agent type with existing agents"
    assert api.delete(f"{TYPES}/s1-spare").json == {}
    missing = api.get(f"{TYPES}/s1-spare")
    assert missing.status_code == 404 and missing.json == "agent type not found"
    assert api.delete(f"{TYPES}/s1-spare").status_code == 404


def _agent_names(api: FlaskClient, agent_type: str) -> dict[str, object]:
    agents = api.get(f"{AGENTS}?agent_type={agent_type}").json["agents"]
    return {a["metadata"]["name"]: a["metadata"].get("disabled_at") for a in agents}


def test_disable_all_idle_agents_by_default(api: FlaskClient, advance: Callable[[float], None]) -> None:
    assert api.post(f"{TYPES}/s1-aws-large/disable_all").json == {}
    agents = _agent_names(api, "s1-aws-large")
    assert isinstance(agents["i-0f9e8d7c6b5a49382"], int) and agents["i-0a1b2c3d4e5f60718"] is None
    advance(6)
    assert "i-0f9e8d7c6b5a49382" not in _agent_names(api, "s1-aws-large")
    assert "i-0a1b2c3d4e5f60718" in _agent_names(api, "s1-aws-large")


def test_disable_all_agents_with_a_form_body(api: FlaskClient, advance: Callable[[float], None]) -> None:
    assert api.post(f"{TYPES}/s1-aws-large/disable_all", data={"only_idle": "false"}).status_code == 200
    assert all(isinstance(v, int) for v in _agent_names(api, "s1-aws-large").values())
    advance(61)
    assert _agent_names(api, "s1-aws-large") == {}
    assert api.delete(f"{TYPES}/s1-aws-large").status_code == 200


@pytest.mark.parametrize("value", ["maybe", 1])
def test_disable_all_refuses_a_non_boolean(api: FlaskClient, value: object) -> None:
    response = api.post(f"{TYPES}/s1-aws-large/disable_all", json={"only_idle": value})
    assert response.status_code == 400 and response.json == f"Invalid 'only_idle': '{value}' is not a boolean."


# --- agents ----------------------------------------------------------------------------------------------------------
def test_agents_page_with_a_cursor(api: FlaskClient) -> None:
    first = api.get(AGENTS).json
    assert len(first["agents"]) == 200 and first["cursor"] == first["agents"][-1]["metadata"]["name"]
    second = api.get(f"{AGENTS}?cursor={first['cursor']}").json
    assert len(second["agents"]) == 4 and second["cursor"] == ""
    names = [a["metadata"]["name"] for a in first["agents"] + second["agents"]]
    assert len(set(names)) == 204 and names == sorted(names) and "globex-agent-1" not in names


def test_small_pages_follow_the_cursor_to_the_end(api: FlaskClient) -> None:
    seen, cursor, pages = [], "", 0
    while True:
        body = api.get(f"{AGENTS}?agent_type=s1-aws-large&page_size=5&cursor={cursor}").json
        seen += [a["metadata"]["name"] for a in body["agents"]]
        pages += 1
        cursor = body["cursor"]
        if not cursor:
            break
    assert pages == 1 and len(seen) == 3


@pytest.mark.parametrize(("query", "message"), [
    ("page_size=3", "page size of 3 is invalid: must be greater than 0 and between 5-200"),
    ("page_size=201", "page size of 201 is invalid: must be greater than 0 and between 5-200"),
    ("page_size=x", "Invalid value of 'page_size' param: \"x\" - needs to be integer."),
])
def test_agent_page_size_limits(api: FlaskClient, query: str, message: str) -> None:
    response = api.get(f"{AGENTS}?{query}")
    assert response.status_code == 400 and response.json == message


def test_describe_agent_and_isolation(api: FlaskClient, sem_app: Flask) -> None:
    agent = api.get(f"{AGENTS}/busy-linux-01").json
    assert agent == {"metadata": {"name": "busy-linux-01", "type": "s1-linux-small", "connected_at":
                                  agent["metadata"]["connected_at"], "version": "v2.2.23", "os": "Ubuntu 22.04.4 LTS",
                                  "arch": "x86_64", "hostname": "ci-box-1", "ip_address": "203.0.113.21",
                                  "pid": 4242},
                     "status": {"state": "running_job"}}
    missing = api.get(f"{AGENTS}/globex-agent-1")
    assert missing.status_code == 404 and missing.json == "agent not found"
    globex = sem_app.test_client()
    globex.environ_base["HTTP_AUTHORIZATION"] = "Token sem-globex-token"
    assert [a["metadata"]["name"] for a in globex.get(AGENTS).json["agents"]] == ["globex-agent-1"]
    assert globex.get(f"{TYPES}/s1-linux-small").status_code == 404


def test_a_disabled_agent_from_the_fixtures_leaves_after_its_job(api: FlaskClient,
                                                                 advance: Callable[[float], None]) -> None:
    assert isinstance(_agent_names(api, "s1-aws-large")["i-0123456789abcdef0"], int)
    advance(51)
    assert "i-0123456789abcdef0" not in _agent_names(api, "s1-aws-large")
