"""Fixtures for the conformance-suite tests: the Buildkite mock (session) with a reset per test, a way to serve
any WSGI app on loopback, the broken-server middlewares, and a helper that runs the suite into a report."""

from __future__ import annotations

import importlib.util
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from contract_tests import ConformanceReport, RunOptions, Target, run_conformance
from mock_server import MockServer

TOKEN = "ciapi-contract-tests-token"
APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture(scope="session", autouse=True)
def _quiet_werkzeug() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def _mock_session() -> Iterator[MockServer]:
    with MockServer(api="buildkite", token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def token() -> str:
    """The mock's full-access token."""
    return TOKEN


@pytest.fixture
def mock(_mock_session: MockServer) -> MockServer:
    """The Buildkite mock, reset to its default fixtures."""
    _mock_session.reset()
    return _mock_session


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a daemon thread; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def serve_wsgi() -> Iterator[Callable[[Any], str]]:
    """``url = serve_wsgi(app)``: served until the end of the test."""
    stack: list[Any] = []

    def start(app: Any) -> str:
        context = served(app)
        stack.append(context)
        return context.__enter__()

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def broken() -> ModuleType:
    """The middlewares of ``apps/broken_buildkite.py`` (loaded by path: no ``__init__.py`` in tests)."""
    spec = importlib.util.spec_from_file_location("ciapi_broken_buildkite", APPS / "broken_buildkite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def check_server() -> Callable[..., ConformanceReport]:
    """``check_server(url, checks=(...), **options)``: run the suite and fold it into a report."""

    def run(
        url: str,
        *,
        checks: tuple[str, ...] | None = None,
        limited_token: str | None = None,
        api: str = "buildkite",
        token: str = TOKEN,
        **options: Any,
    ) -> ConformanceReport:
        options.setdefault("seed", 7)
        options.setdefault("max_examples", 5)
        target = Target(api=api, base_url=url, token=token, limited_token=limited_token)
        return ConformanceReport.from_events(run_conformance(target, RunOptions(checks=checks, **options)))

    return run


def run_ciapi_proxy(api: str, upstream: str, options: list[str], drive: Callable[[str], Any]
                    ) -> subprocess.CompletedProcess[str]:
    """Run the real ``ciapi proxy API --upstream URL OPTIONS`` on a free loopback port, call ``drive`` with its
    URL once it answers, then stop it with SIGINT (as Ctrl+C does) and return what it printed and its exit code."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [sys.executable, "-m", "mock_server", "proxy", api, "--upstream", upstream, "--port", str(port),
               *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(url + "/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        drive(url)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(command, process.returncode, out, err)
