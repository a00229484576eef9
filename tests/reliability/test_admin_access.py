"""The admin plane answers only on loopback, unless an admin token is set, and then only with that token."""

from __future__ import annotations

import subprocess

import pytest

from mock_server.admin import is_loopback
from mock_server.app import create_app

REMOTE = {"REMOTE_ADDR": "10.1.2.3"}
ADMIN_PATHS = [("GET", "/_mock/health"), ("GET", "/_mock/requests"), ("POST", "/_mock/reset"),
               ("GET", "/_mock/state"), ("GET", "/_mock/ui"), ("GET", "/_mock/faults"), ("GET", "/_mock/nope")]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "localhost"])
def test_loopback_addresses(address: str) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize("address", ["10.1.2.3", "0.0.0.0", "::", "192.168.1.1", "example.com", "", None])
def test_other_addresses(address: str | None) -> None:
    assert not is_loopback(address)


def test_without_a_token_the_admin_plane_answers_loopback_only() -> None:
    app = create_app("buildkite")
    client = app.test_client()
    for method, path in ADMIN_PATHS:
        response = client.open(path, method=method, environ_base=REMOTE)
        assert response.status_code == 403, (method, path)
        assert "loopback" in response.get_json()["error"]
    assert client.get("/_mock/health").status_code == 200  # the test client comes from 127.0.0.1
    assert client.get("/_mock/health", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # the API itself is not concerned
    api = client.get("/v2/organizations/my-great-org/agents", environ_base=REMOTE,
                     headers={"Authorization": "Bearer bk-demo-token"})
    assert api.status_code == 200


def test_with_a_token_only_requests_bearing_it_get_in() -> None:
    app = create_app("semaphore", admin_token="s3cret")
    client = app.test_client()
    good = {"Authorization": "Bearer s3cret"}
    for environ in (REMOTE, {"REMOTE_ADDR": "127.0.0.1"}):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"},
                        {"Authorization": "Token s3cret"}, {"X-Ciapi-Admin-Token": "s3cret"}):
            response = client.get("/_mock/state", environ_base=environ, headers=headers)
            assert response.status_code == 401, (environ, headers)
            assert "admin token" in response.get_json()["error"]
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert client.get("/_mock/health", environ_base=environ, headers=good).status_code == 200
        assert client.post("/_mock/clock", environ_base=environ, headers=good, json={"advance": 1}).status_code == 200
    assert client.get("/_mock/nope", environ_base=REMOTE, headers=good).status_code == 404


def test_serving_on_another_address_without_a_token_is_refused(ciapi_cli) -> None:  # type: ignore[no-untyped-def]
    for host in ("0.0.0.0",):  # other addresses: the CliRunner test below
        result = ciapi_cli("serve", "--api", "buildkite", "--host", host, "--port", "0", timeout=60)
        assert result.returncode == 2, result
        assert "--admin-token" in result.stderr and "loopback" in result.stderr


def test_the_refusal_comes_before_anything_binds() -> None:
    from click.testing import CliRunner

    from mock_server.cli import main

    result = CliRunner().invoke(main, ["serve", "--api", "semaphore", "--host", "10.1.2.3", "--workers", "2"])
    assert result.exit_code == 2
    assert "not a loopback address" in result.output


def test_cli_loopback_still_serves_without_a_token(serve) -> None:  # type: ignore[no-untyped-def]
    served = serve("--api", "buildkite", "--port", "0")
    import urllib.request

    with urllib.request.urlopen(served.url + "/_mock/health", timeout=10) as response:
        assert response.status == 200
    assert isinstance(served.process, subprocess.Popen)
