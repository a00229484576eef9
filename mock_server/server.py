"""Running mock servers: in a thread (tests, the pytest plugin) or in the foreground (``ciapi serve``)."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from mock_server.app import create_app, get_state
from mock_server.dashboard import get_faults
from mock_server.faults import FaultBoard
from mock_server.state import MockState

__all__ = ["MockServer", "MockServerError"]


class MockServerError(RuntimeError):
    pass


class MockServer:
    """One API's mock on a real loopback port, served from a daemon thread.

    Example:
        ```python
        with MockServer(api="buildkite", token="T") as server:
            requests.get(server.url + "/v2/organizations/my-great-org/agents",
                         headers={"Authorization": "Bearer T"})
            server.clock.advance(60)
        ```
    """

    def __init__(
        self,
        api: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = "ciapi-test-token",
        fixtures: str | Path | Mapping[str, Any] | Iterable[Any] | None = None,
        clock: str = "manual",
        strict: bool = True,
        faults: Iterable[str | Mapping[str, Any]] = (),
        fault_seed: int | None = None,
    ) -> None:
        self.api = api
        self.host = host
        self.port = port
        self.token = token
        self.app: Flask = create_app(api, fixtures=fixtures, tokens=[token] if token else [], clock=clock,
                                     strict=strict, faults=faults, fault_seed=fault_seed)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> MockServer:
        if self._server is not None:
            raise MockServerError(f"the {self.api} mock server is already running at {self.url}")
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"ciapi-{self.api}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # what tests use ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def state(self) -> MockState:
        return get_state(self.app)

    @property
    def clock(self) -> _ClockControl:
        return _ClockControl(self.state)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request journal, newest first."""
        return self.state.journal.entries()

    @property
    def faults(self) -> FaultBoard:
        """The fault rules: ``.add("getAgent:status=503")``, ``.add(kind="latency", latency_ms=200)``, ``.clear()``.

        A reset (each test, with the pytest plugin) brings back the rules the server was created with.
        """
        return get_faults(self.app)

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Responses the mock sent that broke the spec (a mock bug): empty in a healthy run."""
        return list(self.state.violations)

    def reset(self) -> None:
        self.state.reset()

    def load(self, document: Mapping[str, Any]) -> None:
        """Add the records of a fixture document (same format as a fixture file)."""
        self.state.load(document, "MockServer.load()")

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the admin plane over HTTP (what an out-of-process user would do)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/_mock/{path.lstrip('/')}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback)
            raw = resp.read()
        return json.loads(raw) if raw else None


class _ClockControl:
    def __init__(self, state: MockState) -> None:
        self._state = state

    def now(self) -> float:
        return self._state.clock.now()

    def advance(self, seconds: float) -> float:
        """Move the mock's clock forward; due lifecycle transitions fire at once."""
        now = self._state.clock.advance(seconds)
        self._state.tick()
        return now
