"""``ciapi serve`` and ``ciapi apis``: real processes where the behaviour is about processes."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from contract_tests.catalog import API_NAMES
from mock_server.cli import main


def _get(url: str, token: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_apis_lists_names_specs_and_base_paths() -> None:
    result = CliRunner().invoke(main, ["apis"])
    assert result.exit_code == 0
    assert "buildkite" in result.output and "buildkite.yaml" in result.output and "/v2" in result.output


def test_serve_with_token_gives_full_access(serve: Callable[..., Any]) -> None:
    served = serve("--api", "buildkite", "--port", "0", "--token", "my-token")
    assert "my-token (full access)" in served.banner
    assert served.url.startswith("http://127.0.0.1:")
    status, body = _get(served.url + "/v2/organizations/other-org/agents", "my-token")
    assert status == 200 and len(body) == 3
    assert _get(served.url + "/_mock/health")[1]["clock"]["kind"] == "real"


def test_serve_without_api_serves_every_api_with_a_table(serve: Callable[..., Any]) -> None:
    served = serve("--port", "0")
    assert set(served.urls) == set(API_NAMES)
    assert served.banner.splitlines()[0].split() == ["API", "BASE", "URL", "TOKENS", "ADMIN"]
    for api, url in served.urls.items():
        assert _get(url + "/_mock/health")[1]["api"] == api


def test_serve_with_custom_fixtures(serve: Callable[..., Any], tmp_path: Path) -> None:
    fixtures = tmp_path / "mine.yaml"
    fixtures.write_text("organizations: [{slug: acme}]\nagents: [{organization: acme, name: only-one}]\n"
                        "tokens: [{token: acme-token}]\n")
    served = serve("--api", "buildkite", "--port", "0", "--fixtures", str(fixtures))
    status, body = _get(served.url + "/v2/organizations/acme/agents", "acme-token")
    assert status == 200 and [a["name"] for a in body] == ["only-one"]


def test_bad_fixtures_exit_with_the_problems(tmp_path: Path) -> None:
    fixtures = tmp_path / "bad.yaml"
    fixtures.write_text("agents: [{organization: nowhere, name: a}]\n")
    result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--port", "0", "--fixtures", str(fixtures)])
    assert result.exit_code == 1
    assert "agents[0] (name 'a').organization: no organization 'nowhere'" in result.output


def test_fixtures_need_one_api(tmp_path: Path) -> None:
    fixtures = tmp_path / "f.yaml"
    fixtures.write_text("{}\n")
    result = CliRunner().invoke(main, ["serve", "--fixtures", str(fixtures)])
    assert result.exit_code == 2 and "--fixtures needs exactly one --api" in result.output


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--port", str(port)])
    assert result.exit_code == 1 and f"cannot serve buildkite on 127.0.0.1:{port}" in result.output


def test_unknown_api_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["serve", "--api", "jenkins"])
    assert result.exit_code == 2 and "jenkins" in result.output
