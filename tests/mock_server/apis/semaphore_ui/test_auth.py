"""Semaphore UI auth: Bearer tokens (any case), the session cookie, and 401s with an empty JSON-typed body."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from mock_server.state import MockState

from .conftest import ADMIN_TOKEN, EXPIRED_TOKEN, MASTER, bearer

SECURED = ["/api/info", "/api/user", "/api/user/tokens", "/api/projects", "/api/project/1", "/api/project/1/tasks",
           "/api/project/1/templates/1", "/api/project/1/tasks/1/output", "/api/project/1/tasks/1/raw_output"]


def _login(client: FlaskClient, auth: str = "admin", password: str = "changeme") -> str:
    response = client.post("/api/auth/login", json={"auth": auth, "password": password})
    assert response.status_code == 204, response.data
    return response.headers["Set-Cookie"]


def _assert_empty_401(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.data == b""  # type: ignore[attr-defined]
    assert response.headers["Content-Type"] == "application/json"  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", SECURED)
def test_no_credentials_is_an_empty_401_with_a_json_content_type(anon: FlaskClient, path: str) -> None:
    _assert_empty_401(anon.get(path))


@pytest.mark.parametrize("header", ["Bearer nope", f"Bearer {EXPIRED_TOKEN}", "Token " + ADMIN_TOKEN, "Bearer"])
def test_bad_tokens_are_refused(anon: FlaskClient, header: str) -> None:
    _assert_empty_401(anon.get("/api/user", headers={"Authorization": header}))


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_matched_without_regard_to_case(anon: FlaskClient, scheme: str) -> None:
    response = anon.get("/api/user", headers={"Authorization": f"{scheme} {ADMIN_TOKEN}"})
    assert response.status_code == 200 and response.json["username"] == "admin"


def test_token_ids_are_compared_in_lower_case(anon: FlaskClient) -> None:
    assert anon.get("/api/user", headers=bearer(ADMIN_TOKEN.upper())).status_code == 200
    assert anon.get("/api/user", headers=bearer(MASTER.upper())).json["id"] == 1


def test_ping_needs_no_auth_and_is_text(anon: FlaskClient) -> None:
    response = anon.get("/api/ping")
    assert response.data == b"pong" and response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_login_metadata_is_public(anon: FlaskClient) -> None:
    assert anon.get("/api/auth/login").json == {"oidc_providers": [], "login_with_password": True}


def test_login_sets_an_http_only_session_cookie_that_authenticates(anon: FlaskClient) -> None:
    cookie = _login(anon)
    assert cookie.startswith("semaphore=") and cookie.endswith("; Path=/; HttpOnly")
    assert anon.get("/api/user").json["username"] == "admin"  # the test client keeps the cookie


def test_login_by_email_in_any_case(anon: FlaskClient) -> None:
    _login(anon, auth="  Alice@Example.COM ", password="alice-pw")
    assert anon.get("/api/user").json["username"] == "alice"


@pytest.mark.parametrize("body", [{"auth": "admin", "password": "wrong"}, {"auth": "nobody", "password": "changeme"},
                                  {}, {"auth": None, "password": None}, None])
def test_bad_credentials_are_an_empty_401(anon: FlaskClient, body: dict[str, object] | None) -> None:
    response = anon.post("/api/auth/login", data=json.dumps(body), content_type="application/json")
    _assert_empty_401(response)
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("data", ["", "not json", "[]", '{"auth": 1}'])
def test_a_login_body_that_is_not_the_json_object_is_an_empty_400(anon: FlaskClient, data: str) -> None:
    response = anon.post("/api/auth/login", data=data, content_type="application/json")
    assert response.status_code == 400 and response.data == b""
    assert response.headers["Content-Type"] == "application/json"


def test_a_bearer_header_is_judged_alone_even_with_a_good_cookie(anon: FlaskClient) -> None:
    _login(anon)
    _assert_empty_401(anon.get("/api/user", headers=bearer("nope")))
    assert anon.get("/api/user", headers={"Authorization": "Basic eDp5"}).status_code == 200  # falls back to cookie


def test_logout_clears_the_cookie_but_the_session_lives_on(anon: FlaskClient) -> None:
    cookie = _login(anon).split(";")[0]
    response = anon.post("/api/auth/logout")
    assert response.status_code == 204
    assert response.headers["Set-Cookie"] == "semaphore=; Path=/; Expires=Mon, 29 Dec 2025 09:00:00 GMT"
    _assert_empty_401(anon.get("/api/user"))  # the client dropped the cookie...
    kept = anon.application.test_client(use_cookies=False)  # ...a client that kept its value still gets in
    assert kept.get("/api/user", headers={"Cookie": cookie}).status_code == 200


def test_a_session_unused_for_a_week_expires(anon: FlaskClient, sui_state: MockState) -> None:
    _login(anon)
    sui_state.clock.advance(6 * 86400)
    assert anon.get("/api/user").status_code == 200  # touches the session
    sui_state.clock.advance(7 * 86400 + 1)
    _assert_empty_401(anon.get("/api/user"))
    sui_state.clock.advance(1)
    _assert_empty_401(anon.get("/api/user"))


def test_info_describes_the_server(sui: FlaskClient) -> None:
    assert sui.get("/api/info").json == {"version": "2.10.33", "ansible": "ansible [core 2.17.5]", "web_host": "",
                                         "use_remote_runner": False}


def test_unknown_paths_are_a_text_404_and_wrong_methods_an_empty_405(sui: FlaskClient) -> None:
    response = sui.get("/api/nothing/here")
    assert response.status_code == 404 and response.data == b"Not Found\n"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response = sui.delete("/api/projects")
    assert response.status_code == 405 and response.data == b""
