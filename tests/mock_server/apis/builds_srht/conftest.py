"""Fixtures for the builds.sr.ht mock: a strict in-process app on the manual clock, reset for each test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import get_state
from mock_server.state import MockState

ALICE = {"Authorization": "token alice-token"}
BOB = {"Authorization": "token bob-token"}
CAROL = {"Authorization": "Bearer carol-token"}
SIMPLE = "image: alpine/edge\ntasks:\n  - build: |\n      echo building\n      sleep 30\n  - test: echo testing\n"


@pytest.fixture
def app(session_app: Callable[..., Flask], fresh: Callable[[Flask], Flask]) -> Flask:
    """The builds.sr.ht mock (strict, manual clock, in memory), reset for each test."""
    return fresh(session_app("builds-srht", tokens=["srht-test-token"], store="memory"))


@pytest.fixture
def state(app: Flask) -> MockState:
    return get_state(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client that is alice (jobs:read and jobs:write) unless a test sends other headers."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = ALICE["Authorization"]
    return client


@pytest.fixture
def submit(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """Submit a job as alice and return its JSON (asserting a 200)."""

    def run(manifest: str = SIMPLE, **fields: Any) -> dict[str, Any]:
        response = client.post("/api/jobs", json={"manifest": manifest, **fields})
        assert response.status_code == 200, response.get_json()
        job: dict[str, Any] = response.get_json()
        return job

    return run


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records the JSON bodies POSTed to it."""

    def __init__(self, status: int = 204) -> None:
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        self.received = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                outer.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                outer.received.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(status: int = 204) -> Receiver:
        started.append(Receiver(status))
        return started[-1]

    yield start
    for r in started:
        r.close()
