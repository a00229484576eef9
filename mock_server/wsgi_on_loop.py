"""A WSGI app served by uvicorn on the event loop's own thread (what ``ciapi serve --workers N`` runs by default).

uvicorn parses and writes HTTP/1.1 (httptools, uvloop), and this ASGI app calls the WSGI app right there,
inline, without a thread pool: one request at a time per worker process, like a sync worker, but with
keep-alive and without the hand-off between a server thread and a Python thread that granian makes on each
request. The whole body is read before the app runs and the app's answer is sent in one piece (ciapi's
answers are small and never streamed).

Two things a WSGI server does that ASGI has no word for are done with the connection's transport, which
uvicorn's ``send`` is bound to: a body shorter than its ``Content-Length`` (the ``truncate`` fault) is sent and
the connection closed, as werkzeug and gunicorn do; and ``environ["ciapi.reset"]`` aborts the connection with an
RST (the ``reset`` fault, see ``mock_server.fault_wsgi.reset_connection``).
"""

from __future__ import annotations

import io
import socket
import struct
import sys
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Protocol

__all__ = ["RESET_ENVIRON_KEY", "WsgiOnLoop", "linger_zero", "run_whole", "transport_of"]

#: the environ key of a callable that aborts the request's connection with an RST
RESET_ENVIRON_KEY = "ciapi.reset"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Transport(Protocol):
    def abort(self) -> None: ...
    def close(self) -> None: ...
    def is_closing(self) -> bool: ...
    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


def transport_of(send: Send) -> _Transport | None:
    """The connection's transport, from uvicorn's ``send`` (a method of its request cycle); None elsewhere."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if all(callable(getattr(transport, name, None)) for name in ("abort", "close", "is_closing", "get_extra_info")):
        return transport
    return None


def linger_zero(sock: Any) -> None:
    """Make the socket's last close send an RST instead of a FIN (``SO_LINGER`` on, 0 s)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _reset(transport: _Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        linger_zero(sock)  # close() sends an RST
    transport.abort()


def _gone(send: Send) -> None:
    """Tell uvicorn's request cycle that its connection is gone (closed or aborted here), so that it neither
    answers 500 for a response left unfinished nor waits for the client: a request pipelined behind this one
    would keep it waiting for good (uvicorn only tells the newest cycle of a connection that it was lost)."""
    cycle = getattr(send, "__self__", None)
    if cycle is not None:
        cycle.disconnected = True


def run_whole(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run ``app`` to the end and return its status, headers and whole body; nothing is sent meanwhile, so an
    error answer (``start_response`` with ``exc_info``) replaces what came before it. The result is closed."""
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        if started and exc_info is None:
            raise AssertionError("start_response called twice without exc_info")
        started[:] = [status, headers]
        written.clear()  # and with it what the app wrote before the error
        return written.append

    result = app(environ, start_response)
    try:
        written.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return started[0], started[1], b"".join(written)


class WsgiOnLoop:
    """An ASGI app running ``app`` (WSGI) inline on the event loop; ``server_software`` goes in the environ."""

    def __init__(self, app: WSGIApp, server_software: str = "uvicorn") -> None:
        self.app = app
        self.server_software = server_software

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # ciapi runs uvicorn without lifespan and websockets: nothing else comes
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":  # the client left before its request was whole
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        transport = transport_of(send)
        environ = self.environ(scope, b"".join(chunks))
        if transport is not None:
            environ[RESET_ENVIRON_KEY] = lambda: _reset(transport)
        try:
            status, headers, body = run_whole(self.app, environ)
        except ConnectionResetError:
            if transport is None or not transport.is_closing():
                raise
            _gone(send)  # the reset fault aborted the connection
            return
        declared = next((value for name, value in headers if name.lower() == "content-length"), None)
        await send({"type": "http.response.start", "status": int(status.split(" ", 1)[0]),
                    "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]})
        if (transport is not None and declared is not None and len(body) < int(declared)
                and scope["method"] != "HEAD"):
            # a body shorter than it says (the truncate fault): what there is, then the connection closes
            await send({"type": "http.response.body", "body": body, "more_body": True})
            transport.close()
            _gone(send)
            return
        await send({"type": "http.response.body", "body": body})

    def environ(self, scope: Scope, body: bytes) -> dict[str, Any]:
        """The WSGI environ (PEP 3333) of an ASGI HTTP request whose whole body is ``body``."""
        server = scope.get("server") or ("", 0)
        client = scope.get("client") or ("", 0)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": "",
            # from the raw path, as werkzeug and gunicorn do: %FF stays the byte 0xFF (scope["path"] has U+FFFD)
            "PATH_INFO": (urllib.parse.unquote_to_bytes(scope["raw_path"]).decode("latin-1") if "raw_path" in scope
                          else scope["path"].encode("utf-8").decode("latin-1")),
            "QUERY_STRING": scope["query_string"].decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
            "SERVER_SOFTWARE": self.server_software,
            "REMOTE_ADDR": str(client[0]),
            "REMOTE_PORT": str(client[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for raw_name, raw_value in scope["headers"]:
            if b"_" in raw_name:  # X_Token would pass for X-Token: dropped, as gunicorn (22 on) and nginx do
                continue
            name = raw_name.decode("latin-1").upper().replace("-", "_")
            value = raw_value.decode("latin-1")
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[name] = value
                continue
            key = "HTTP_" + name
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        if body and "CONTENT_LENGTH" not in environ:  # a chunked request: its length once read
            environ["CONTENT_LENGTH"] = str(len(body))
        return environ
