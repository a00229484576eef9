"""Auth and errors: srht's OAuth decorator texts, and the sr.ht envelope for every error."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

NO_AUTH = "No authorization supplied (expected an OAuth token)"


def _reasons(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["reason"] for e in response.get_json()["errors"]]


@pytest.mark.parametrize(("header", "reason"), [
    (None, NO_AUTH),
    ("Basic YWxpY2U6cHc=", NO_AUTH),
    ("Token alice-token", NO_AUTH),  # the scheme is case-sensitive: lower-case "token" or "Bearer"
    ("tokenalice-token", NO_AUTH),
    ("token alice-token extra", "Invalid authorization supplied"),
    ("token nope", "Invalid or expired OAuth token"),
    ("Bearer ", "Invalid or expired OAuth token"),
])
def test_401_texts(client: FlaskClient, header: str | None, reason: str) -> None:
    headers = {"Authorization": header} if header is not None else {}
    client.environ_base.pop("HTTP_AUTHORIZATION")
    response = client.get("/api/jobs", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"errors": [{"reason": reason}]}


@pytest.mark.parametrize("header", ["token alice-token", "Bearer alice-token"])
def test_token_and_bearer_both_work(client: FlaskClient, header: str) -> None:
    assert client.get("/api/jobs", headers={"Authorization": header}).status_code == 200


def test_403_names_the_missing_scope(client: FlaskClient) -> None:
    read_only = {"Authorization": "token alice-read"}
    response = client.post("/api/jobs", json={"manifest": "image: x"}, headers=read_only)
    assert response.status_code == 403
    assert _reasons(response) == ["Your OAuth token is not permitted to use this endpoint (needs jobs:write)"]
    none = client.get("/api/jobs/1", headers={"Authorization": "token alice-no-scopes"})
    assert none.status_code == 403 and _reasons(none) == [
        "Your OAuth token is not permitted to use this endpoint (needs jobs:read)"]
    assert client.get("/api/jobs/1", headers=read_only).status_code == 200


def test_write_scope_and_star_grant_reading(client: FlaskClient, state) -> None:  # type: ignore[no-untyped-def]
    state.load({"tokens": [{"token": "w", "user": "alice", "scopes": ["jobs:write"]}]}, "test")
    assert client.get("/api/jobs", headers={"Authorization": "token w"}).status_code == 200
    assert client.get("/api/jobs", headers={"Authorization": "token carol-token"}).status_code == 200


@pytest.mark.parametrize("path", ["/api/jobs/99999", "/api/jobs/abc", "/api/jobs/99999/artifacts",
                                  "/api/jobs/99999/manifest", "/api/nothing/here"])
def test_404_is_the_srht_envelope(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json() == {"errors": [{"reason": "404 not found"}]}


def test_405_is_the_srht_envelope_too(client: FlaskClient) -> None:
    response = client.delete("/api/jobs/1")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.get_json() == {"errors": [{"reason": "405 method not allowed"}]}


def test_a_start_that_is_not_an_integer_is_a_field_error(client: FlaskClient) -> None:
    response = client.get("/api/jobs?start=newest")
    assert response.status_code == 400
    assert response.get_json() == {"errors": [{"field": "start", "reason": "start should be an int"}]}


def test_every_error_is_json(client: FlaskClient) -> None:
    for response in (client.get("/api/jobs/1/nope"), client.post("/api/jobs/1"), client.get("/api/jobs/0")):
        assert response.mimetype == "application/json" and response.get_json()["errors"]
