"""Semaphore UI API tokens, projects and templates."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from .conftest import ADMIN_TOKEN, ALICE_TOKEN, bearer


# --- tokens --------------------------------------------------------------------------------------
def test_a_created_token_looks_like_a_real_one_and_works(sui: FlaskClient, anon: FlaskClient) -> None:
    response = sui.post("/api/user/tokens")
    assert response.status_code == 201
    token = response.json
    assert re.fullmatch(r"[a-z0-9_-]{43}=", token["id"])
    assert token == {"id": token["id"], "created": "2026-01-05T09:00:00Z", "expired": False, "user_id": 1, "name": ""}
    assert anon.get("/api/user", headers=bearer(token["id"])).json["id"] == 1
    assert token["id"] in [t["id"] for t in sui.get("/api/user/tokens").json]


def test_a_token_can_have_a_name(sui: FlaskClient) -> None:
    assert sui.post("/api/user/tokens", json={"name": "my CI token"}).json["name"] == "my CI token"


def test_tokens_are_listed_per_user_oldest_first_expired_ones_included(anon: FlaskClient) -> None:
    listed = anon.get("/api/user/tokens", headers=bearer(ADMIN_TOKEN)).json
    assert [(t["name"], t["expired"]) for t in listed] == [("old", True), ("dredd", False), ("ci", False)]
    assert [t["name"] for t in anon.get("/api/user/tokens", headers=bearer(ALICE_TOKEN)).json] == ["alice laptop"]


def test_expiring_a_token_keeps_it_listed_and_refuses_it(anon: FlaskClient) -> None:
    new = anon.post("/api/user/tokens", headers=bearer(ADMIN_TOKEN)).json["id"]
    response = anon.delete(f"/api/user/tokens/{new}", headers=bearer(new))  # a token may expire itself
    assert response.status_code == 204 and response.data == b""
    refused = anon.get("/api/projects", headers=bearer(new))
    assert refused.status_code == 401 and refused.data == b""
    listed = {t["id"]: t for t in anon.get("/api/user/tokens", headers=bearer(ADMIN_TOKEN)).json}
    assert listed[new]["expired"] is True
    assert anon.delete(f"/api/user/tokens/{new}", headers=bearer(ADMIN_TOKEN)).status_code == 204  # again: 204


@pytest.mark.parametrize("token_id", ["no-such-token", ALICE_TOKEN])
def test_expiring_an_unknown_or_foreign_token_is_an_empty_404(anon: FlaskClient, token_id: str) -> None:
    response = anon.delete(f"/api/user/tokens/{token_id}", headers=bearer(ADMIN_TOKEN))
    assert response.status_code == 404 and response.data == b""
    assert anon.get("/api/user", headers=bearer(ALICE_TOKEN)).status_code == 200


def test_the_serve_token_acts_as_the_first_admin_and_is_not_listed(sui: FlaskClient) -> None:
    assert sui.get("/api/user").json["username"] == "admin"
    assert "sui-test-token" not in [t["id"] for t in sui.get("/api/user/tokens").json]


# --- projects ------------------------------------------------------------------------------------
def test_admins_see_every_project_members_their_own(sui: FlaskClient, anon: FlaskClient) -> None:
    assert [p["name"] for p in sui.get("/api/projects").json] == ["Demo", "Infrastructure"]
    assert [p["id"] for p in anon.get("/api/projects", headers=bearer(ALICE_TOKEN)).json] == [1]


def test_a_project_has_the_real_field_set(sui: FlaskClient) -> None:
    assert sui.get("/api/project/2").json == {"id": 2, "name": "Infrastructure", "created": "2025-10-07T09:00:00Z",
                                              "alert": True, "alert_chat": "#ops", "max_parallel_tasks": 2,
                                              "type": ""}


def test_paths_answer_with_a_trailing_slash_too(sui: FlaskClient) -> None:
    assert sui.get("/api/project/1/").json == sui.get("/api/project/1").json
    assert sui.get("/api/user/").json == sui.get("/api/user").json


@pytest.mark.parametrize(("path", "headers"), [("/api/project/999", {}), ("/api/project/2", bearer(ALICE_TOKEN))])
def test_unknown_or_foreign_projects_are_an_empty_404(anon: FlaskClient, path: str, headers: dict[str, str]) -> None:
    response = anon.get(path, headers=headers or bearer(ADMIN_TOKEN))
    assert response.status_code == 404 and response.data == b""
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/project/abc", "/api/project/1.5/tasks", "/api/project/x/templates/1"])
def test_a_project_id_that_is_not_an_integer_is_an_error_body(sui: FlaskClient, path: str) -> None:
    response = sui.get(path)
    assert response.status_code == 400 and response.json == {"error": "Invalid project ID"}


# --- templates -----------------------------------------------------------------------------------
def test_templates_sort_by_name_or_playbook_in_either_order(sui: FlaskClient) -> None:
    def names(query: str) -> list[str]:
        return [t["name"] for t in sui.get(f"/api/project/1/templates{query}").json]

    assert names("") == ["Build", "Deploy", "Lint", "Test"]
    assert names("?sort=name&order=desc") == ["Test", "Lint", "Deploy", "Build"]
    assert names("?sort=playbook&order=asc") == ["Build", "Deploy", "Lint", "Test"]
    assert names("?sort=whatever&order=sideways") == names("")


def test_a_template_has_its_last_task_and_task_count(sui: FlaskClient) -> None:
    template = sui.get("/api/project/1/templates/4").json
    assert template["tasks"] == 2 and template["last_task"]["id"] == 5
    assert template["last_task"]["tpl_alias"] == "Deploy" and template["last_task"]["user_name"] == "Ada Admin"
    assert template["vaults"] == [] and template["survey_vars"] == [] and template["view_id"] is None
    built = sui.post("/api/project/1/tasks", json={"template_id": 1}).json
    assert sui.get("/api/project/1/templates/1").json["last_task"]["id"] == built["id"]


@pytest.mark.parametrize(("path", "status"), [("/api/project/1/templates/5", 404), ("/api/project/1/templates/99", 404),
                                              ("/api/project/1/templates/abc", 400)])
def test_unknown_templates(sui: FlaskClient, path: str, status: int) -> None:
    response = sui.get(path)
    assert response.status_code == status and response.data == b""
