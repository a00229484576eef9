"""The ceiling: a bare WSGI app answering fixed JSON bodies, run by the harness under gunicorn ``-w 2`` (issue 7's
ceiling), and under uvicorn ``-w 2`` (``asgi``: the app inline on the event loop, as ``ciapi serve --workers``
runs by default) and granian ``-w 2``, the two servers ``ciapi serve --workers`` runs under.

``CIAPI_BENCH_BODIES`` names a JSON file mapping request paths to the body to send (the harness writes
there the bodies ciapi sent, so both answer the same bytes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

with open(os.environ["CIAPI_BENCH_BODIES"], encoding="utf-8") as _fh:
    _BODIES = {path: body.encode() for path, body in json.load(_fh).items()}


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = _BODIES.get(environ.get("PATH_INFO", ""))
    if body is None:
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]
    start_response("200 OK", [("Content-Type", "application/json; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]


def _asgi() -> Any:
    from mock_server.wsgi_on_loop import WsgiOnLoop

    return WsgiOnLoop(app)


#: the app as ``ciapi serve --workers N`` runs it under uvicorn (``uvicorn bare_wsgi:asgi``)
asgi = _asgi()
