"""The foundation's "done when", with real processes: ``ciapi serve`` checked by ``ciapi check``."""

from __future__ import annotations

import importlib.util
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from mock_server import MockServer

HERE = Path(__file__).resolve().parent


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def broken_server() -> Iterator[str]:
    """The Buildkite mock behind a middleware that drops `priority` from agents: a contract breach."""
    spec = importlib.util.spec_from_file_location("broken_buildkite", HERE / "contract_tests/apps/broken_buildkite.py")
    assert spec and spec.loader
    broken = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(broken)
    mock = MockServer(api="buildkite", token="T", strict=False)
    server = make_server("127.0.0.1", 0, broken.drop_agent_field(mock.app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_ciapi_check_passes_ciapi_serve(serve: Callable[..., Any], ciapi_cli: Cli, tmp_path: Path) -> None:
    served = serve("--api", "buildkite", "--port", "0", "--token", "T", "--clock", "manual")
    junit, report, page = tmp_path / "report.xml", tmp_path / "report.json", tmp_path / "report.html"
    done = ciapi_cli("check", "buildkite", "--base-url", served.url, "--token", "T", "--max-examples", "10",
                  "--seed", "7", "--junit", str(junit), "--json", str(report), "--html", str(page), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert junit.read_text().count("<testcase") >= 3
    assert '"conformant": true' in report.read_text() and "CONFORMANT" in page.read_text()


def test_ciapi_check_names_the_broken_rule(broken_server: str, ciapi_cli: Cli, tmp_path: Path) -> None:
    done = ciapi_cli("check", "buildkite", "--base-url", broken_server, "--token", "T", "--max-examples", "10",
                  "--seed", "7", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "null_fields" in done.stdout and "priority" in done.stdout
