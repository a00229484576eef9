"""Submitting jobs: srht's field errors, manifest validation field by field, tags, execute, access lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

TAGS = "Invalid tag name, tags must use lowercase alphanumeric characters, underscores, dashes, or dots"
MANIFEST = "image: alpine/edge\ntasks:\n  - build: echo hi\n"
BOB = {"Authorization": "token bob-token"}


def _errors(client: FlaskClient, body: Any, **kwargs: Any) -> list[dict[str, str]]:
    response = client.post("/api/jobs", json=body, **kwargs) if body is not None else client.post("/api/jobs",
                                                                                                   **kwargs)
    assert response.status_code == 400, response.get_json()
    errors: list[dict[str, str]] = response.get_json()["errors"]
    return errors


@pytest.mark.parametrize(("body", "expected"), [
    ({}, [{"field": "manifest", "reason": "manifest is required"}]),
    ({"manifest": ""}, [{"field": "manifest", "reason": "manifest is required"}]),
    ({"manifest": 42}, [{"field": "manifest", "reason": "manifest should be a str"}]),
    ({"manifest": "x" * 16384}, [{"field": "manifest", "reason": "Manifest must be less than 16384 bytes"}]),
    ({"manifest": MANIFEST, "tags": ["ok", "not ok"]}, [{"field": "tags", "reason": TAGS}]),
    ({"manifest": MANIFEST, "tags": "a/b"}, [{"field": "tags", "reason": "tags should be a list"}]),
    ({"manifest": MANIFEST, "note": 3, "execute": "no", "secrets": 1}, [
        {"field": "note", "reason": "note should be a str"},
        {"field": "secrets", "reason": "secrets should be a bool"},
        {"field": "execute", "reason": "execute should be a bool"}]),
    ({"manifest": MANIFEST, "access:read": "bob"},
     [{"field": "access:read", "reason": "access:read should be a list"}]),
    ({"manifest": MANIFEST, "triggers": [{"action": "sms", "condition": "always"}, {"action": "email"}]}, [
        {"field": "triggers[0].action", "reason": "action should be a valid TriggerType"},
        {"field": "triggers[1].condition", "reason": "condition is required"}]),
    ([MANIFEST], [{"reason": "Expected JSON dictionary"}]),
])
def test_request_fields_are_checked_like_srht_validation(client: FlaskClient, body: Any,
                                                         expected: list[dict[str, str]]) -> None:
    assert _errors(client, body) == expected


def test_bad_json_and_missing_body(client: FlaskClient) -> None:
    assert _errors(client, None, data="{", content_type="application/json") == [{"reason": "Invalid JSON provided"}]
    assert _errors(client, None) == [{"field": "manifest", "reason": "manifest is required"}]


def test_an_invalid_manifest_is_refused_field_by_field(client: FlaskClient) -> None:
    manifest = """
arch: 64
packages: gcc
repositories: {extra: 5}
sources: [https://git.sr.ht/~alice/app]
environment: [A=1]
secrets: [ab]
shell: maybe
artifacts: [out/app, other/app, ""]
tasks:
  - Build!: make
  - test: make check
  - test: make check again
  - {one: a, two: b}
triggers:
  - {action: email, condition: success}
  - {action: webhook, condition: never, url: ftp://example.org}
  - {action: sms, condition: always}
"""
    assert _errors(client, {"manifest": manifest}) == [
        {"field": "manifest.image", "reason": "Missing image in manifest"},
        {"field": "manifest.arch", "reason": "Expected arch to be a string"},
        {"field": "manifest.packages", "reason": "Expected packages to be a string array"},
        {"field": "manifest.repositories.extra", "reason": "Expected url for repository extra"},
        {"field": "manifest.environment", "reason": "Expected environment to be a dictionary"},
        {"field": "manifest.secrets[0]",
         "reason": "Invalid secret 'ab': expected a UUID or a name of 3 to 512 characters"},
        {"field": "manifest.shell", "reason": "Expected shell to be a boolean"},
        {"field": "manifest.artifacts[1]",
         "reason": "Duplicate artifact name 'app' (artifact basenames must be unique)"},
        {"field": "manifest.artifacts[2]", "reason": "Artifact paths must not be empty"},
        {"field": "manifest.tasks[0]", "reason": "Task name 'Build!' is invalid (must be all lowercase letters, "
                                                 "numbers, underscores, and dashes, and <=128 characters)"},
        {"field": "manifest.tasks[2]", "reason": "Duplicate task name 'test'"},
        {"field": "manifest.tasks[3]", "reason": "Expected task to be a string: string"},
        {"field": "manifest.triggers[0].to", "reason": "Expected email trigger to have a 'to' address"},
        {"field": "manifest.triggers[1].condition",
         "reason": "Expected condition to be one of success, failure, always"},
        {"field": "manifest.triggers[1].url", "reason": "Expected webhook trigger to have an http(s) 'url'"},
        {"field": "manifest.triggers[2].action", "reason": "Expected action to be one of email, webhook"},
    ]


@pytest.mark.parametrize(("manifest", "field", "start"), [
    ("image: [unclosed", "manifest", "while parsing a flow sequence"),
    ("just a string", "manifest", "Expected manifest to be a dictionary"),
    ("image: alpine/edge", "manifest.tasks", "Attempted to create manifest with no tasks"),
    ("image: alpine/edge\ntasks: build", "manifest.tasks", "Expected tasks to be a list"),
    ("image: [alpine]\ntasks: [{a: b}]", "manifest.image", "Expected image to be a string"),
])
def test_manifest_problems_name_their_place(client: FlaskClient, manifest: str, field: str, start: str) -> None:
    [error] = _errors(client, {"manifest": manifest})
    assert error["field"] == field and error["reason"].startswith(start)


def test_shell_manifests_need_no_task(submit: Callable[..., dict[str, Any]]) -> None:
    assert submit("image: alpine/edge\nshell: true\n")["tasks"] == []


def test_submit_answers_200_with_the_job(client: FlaskClient, submit: Callable[..., dict[str, Any]]) -> None:
    job = submit(MANIFEST, note="my build", tags=["Release", "v1.2_rc-3"], secrets=False)
    assert job == {
        "id": 68, "status": "queued", "setup_log": None, "tasks": [{"name": "build", "status": "pending", "log": None}],
        "note": "my build", "runner": None, "tags": "Release/v1.2_rc-3",
        "owner": {"canonical_name": "~alice", "name": "alice"},
    }
    manifest = client.get("/api/jobs/68/manifest", headers={"Authorization": ""})
    assert manifest.status_code == 200 and manifest.headers["Content-Type"] == "text/plain"
    assert manifest.get_data(as_text=True) == MANIFEST
    assert client.get("/api/jobs").get_json()["results"][0]["id"] == 68


def test_nulls_mean_not_given(submit: Callable[..., dict[str, Any]]) -> None:
    job = submit(MANIFEST, note=None, tags=None, execute=None, secrets=None, triggers=None, **{"access:read": None})
    assert job["status"] == "queued" and job["tags"] is None and job["note"] is None


def test_execute_false_waits_for_start(client: FlaskClient, submit: Callable[..., dict[str, Any]], state) -> None:  # type: ignore[no-untyped-def]
    job = submit(MANIFEST, execute=False)
    assert job["status"] == "pending"
    state.clock.advance(3600)
    assert client.get(f"/api/jobs/{job['id']}").get_json()["status"] == "pending"
    assert client.post(f"/api/jobs/{job['id']}/start").get_json() == {}
    already = client.post(f"/api/jobs/{job['id']}/start")
    assert already.status_code == 400 and already.get_json() == {"errors": [{"reason": "This job is already queued"}]}
    state.clock.advance(5)
    assert client.post(f"/api/jobs/{job['id']}/start").get_json()["errors"][0]["reason"] == (
        "This job is already running")
    state.clock.advance(60)
    assert client.post(f"/api/jobs/{job['id']}/start").get_json()["errors"][0]["reason"] == (
        "This job is already complete")


def test_private_jobs_of_others_are_404(client: FlaskClient) -> None:
    for path in ("/api/jobs/61", "/api/jobs/61/artifacts", "/api/jobs/62", "/api/jobs/66"):
        assert client.get(path).status_code == 404, path
    assert client.post("/api/jobs/61/cancel").status_code == 404
    assert client.get("/api/jobs/61", headers=BOB).status_code == 200
    assert client.get("/api/jobs/63").get_json()["note"] == "shared with alice"  # access:read [alice]
    assert client.get("/api/jobs/65").status_code == 200  # public: the default access:read is "*"
    assert all(j["owner"]["name"] == "alice" for j in client.get("/api/jobs").get_json()["results"])


def test_private_manifests_need_a_token_that_may_read_them(client: FlaskClient) -> None:
    assert client.get("/api/jobs/61/manifest", headers={"Authorization": ""}).status_code == 404
    assert client.get("/api/jobs/61/manifest").status_code == 404  # alice may not read it
    assert client.get("/api/jobs/61/manifest", headers=BOB).status_code == 200
    assert client.get("/api/jobs/65/manifest", headers={"Authorization": ""}).status_code == 200


def test_only_the_owner_or_access_write_may_start_or_cancel(client: FlaskClient) -> None:
    carol = {"Authorization": "token carol-token"}
    assert client.post("/api/jobs/64/start", headers=carol).status_code == 404  # carol may not even read it
    assert client.post("/api/jobs/64/start").get_json() == {}  # alice is in its access:write
    refused = client.post("/api/jobs/65/cancel")  # bob's public job: alice may read it, not cancel it
    assert refused.status_code == 401 and refused.get_json() == {"errors": [{"reason": "401 unauthorized"}]}
    assert client.post("/api/jobs/65/cancel", headers=BOB).get_json() == {}


def test_access_lists_always_include_the_submitter(client: FlaskClient, submit: Callable[..., dict[str, Any]]) -> None:
    job = submit(MANIFEST, **{"access:read": ["~bob"], "access:write": ["bob"]})
    assert client.get(f"/api/jobs/{job['id']}").status_code == 200
    assert client.get(f"/api/jobs/{job['id']}", headers=BOB).status_code == 200
    assert client.get(f"/api/jobs/{job['id']}", headers={"Authorization": "token carol-token"}).status_code == 404
    assert client.post(f"/api/jobs/{job['id']}/cancel", headers=BOB).get_json() == {}
