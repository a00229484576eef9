"""The fault injector: WSGI middleware around the mock's Flask app that applies the fault rules.

With no rule set, a request costs one look at the board. Otherwise the request's operation is found from
the URL map and the board's plan is carried out: latency sleeps (outside any store transaction), an error or
a 429 is answered with the API's own body without running the handler, a reset closes the connection with
an RST, and a truncated answer declares its full ``Content-Length`` but sends half the bytes. Every injected
fault goes into the request's journal entry (``faults``).
"""

from __future__ import annotations

import errno
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from mock_server.clock import format_iso_ms
from mock_server.faults import FaultBoard, http_reason
from mock_server.handlers import ApiError
from mock_server.rendering import render
from mock_server.wsgi_on_loop import RESET_ENVIRON_KEY, linger_zero, run_whole

if TYPE_CHECKING:
    from flask import Flask

    from mock_server.state import MockState

__all__ = ["FAULTS_ENVIRON_KEY", "FaultInjector"]

#: where the injector leaves the faults of a request for the journal entry the app writes
FAULTS_ENVIRON_KEY = "ciapi.faults"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FaultInjector:
    def __init__(self, wsgi_app: WSGIApp, app: Flask, state: MockState, board: FaultBoard) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.state = state
        self.board = board
        key = state.profile.info.key
        self._operations: dict[str, str] = {}
        for op in state.profile.spec.operations:
            self._operations[f"{key}.{op.operation_id}"] = op.operation_id
            self._operations[f"{key}.{op.operation_id}/"] = op.operation_id  # the trailing-slash twin

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        rules = self.board.active()
        if not rules or environ.get("PATH_INFO", "").startswith("/_mock/"):
            return self.wsgi_app(environ, start_response)
        operation = self._operation(environ)
        plan = self.board.plan(rules, operation)
        if not plan.faults:
            return self.wsgi_app(environ, start_response)
        environ[FAULTS_ENVIRON_KEY] = plan.faults
        if plan.latency_ms:
            time.sleep(plan.latency_ms / 1000)
        final = plan.final
        if final is None:
            return self.wsgi_app(environ, start_response)
        if final["kind"] == "truncate":
            return self._truncated(environ, start_response)
        started = time.perf_counter()
        if final["kind"] == "reset":
            self._journal(environ, operation, None, started)
            reset_connection(environ)
        profile = self.state.profile
        if final["kind"] == "rate_limit":
            reply = profile.rate_limit_reply(final["retry_after"])
        else:
            reply = profile.error_reply(ApiError(final["status"], final["message"] or http_reason(final["status"])))
        self._journal(environ, operation, reply.status, started)
        return render(reply)(environ, start_response)  # sent as the app sends its own answers

    def _operation(self, environ: dict[str, Any]) -> str | None:
        try:
            rule, _ = self.app.url_map.bind_to_environ(environ).match(return_rule=True)
        except HTTPException:
            return None
        return self._operations.get(rule.endpoint)

    def _truncated(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Run the app, then declare the whole body's length and send only its first half."""
        status, captured, body = run_whole(self.wsgi_app, environ)
        headers = [(k, v) for k, v in captured if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        if environ.get("SERVER_SOFTWARE") == "Granian":
            return _half_then_abort(body)  # granian waits for the missing bytes: end the body by failing
        return [body[: len(body) // 2]]  # werkzeug, gunicorn and uvicorn close the connection after a short body

    def _journal(self, environ: dict[str, Any], operation: str | None, status: int | None, started: float) -> None:
        """The journal entry of a request the app never saw (the same fields as the app's own entries)."""
        request = Request(environ)
        self.state.journal.record({
            "time": format_iso_ms(self.state.clock.now()),
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "operation_id": operation,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "valid": None,  # not checked: an injected fault is not the API's documented behaviour
            "violations": [],
            "faults": environ.get(FAULTS_ENVIRON_KEY, []),
        })


class TruncatedOnPurpose(Exception):  # noqa: N818 - the name is the message in the server's log
    """Raised half-way through a body by the ``truncate`` fault, so that the server drops the connection."""


def _half_then_abort(body: bytes) -> Iterator[bytes]:
    yield body[: len(body) // 2]
    # granian drops what it has not written yet when the body fails: give it the time to write the half
    time.sleep(TRUNCATE_FLUSH_S)
    raise TruncatedOnPurpose("ciapi fault: truncated body")


TRUNCATE_FLUSH_S = 0.05


def reset_connection(environ: dict[str, Any]) -> NoReturn:
    """Close the client's connection at once with an RST (``SO_LINGER`` 0), then stop the server answering.

    The server (werkzeug or gunicorn) still holds the socket, so its descriptor is pointed at a dead end of a
    socket pair: the connection's last descriptor closes (the RST goes out) and the server's later writes and
    reads fail or see EOF on a descriptor that stays valid. The ``ConnectionResetError`` raised here is what
    both servers treat as a client gone away. Under uvicorn, ``environ["ciapi.reset"]`` aborts the connection's
    transport with the same ``SO_LINGER`` (see ``mock_server.wsgi_on_loop``). Without a socket (Flask's test
    client) only the error is raised.
    """
    abort = environ.get(RESET_ENVIRON_KEY)
    if abort is not None:
        abort()
        raise ConnectionResetError(errno.ECONNRESET, "ciapi fault: connection reset")
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket) and sock.fileno() >= 0:
        linger_zero(sock)
        dead_end, other = socket.socketpair()
        other.close()
        try:
            os.dup2(dead_end.fileno(), sock.fileno())
        finally:
            dead_end.close()
    raise ConnectionResetError(errno.ECONNRESET, "ciapi fault: connection reset")
