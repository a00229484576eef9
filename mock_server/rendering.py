"""A ``Reply`` as a WSGI response: what the app and the fault injector send.

A plain reply becomes a ``Sent``, which starts the response itself; one with headers werkzeug rewrites or
checks (``Location``, a ``Content-Type`` of its own, a line break in a value) or a 304 goes through werkzeug's
``Response``, as every reply once did. Either way the bytes on the wire are werkzeug's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import Response

from mock_server import fastjson
from mock_server.handlers import Reply

__all__ = ["Sent", "render"]


def render(reply: Reply, extra: Sequence[tuple[str, str]] = ()) -> Any:
    """The reply as a WSGI response: a ``Sent`` when it is plain, else werkzeug's (which handles the rest)."""
    if reply.media_type is None:
        data: str | bytes = b""
        content_type = None
    elif reply.media_type.startswith("application/json") and not reply.raw:
        data = fastjson.dumps(reply.body)
        content_type = "application/json; charset=utf-8"
    else:
        data = reply.body if isinstance(reply.body, str | bytes) else str(reply.body)
        content_type = reply.media_type
    headers = list(reply.headers.items())
    plain = reply.status != 304 and all(k.lower() not in _HEADERS_FOR_WERKZEUG and "\n" not in v and "\r" not in v
                                        for k, v in [*headers, *extra])
    if plain:
        body = data.encode() if isinstance(data, str) else data
        # what werkzeug's Response would send: Flask's default type when there is none, then the length
        headers.append(("Content-Type", content_type or "text/html; charset=utf-8"))
        length = [] if reply.status == 204 or 100 <= reply.status < 200 else [("Content-Length", str(len(body)))]
        # werkzeug sets the length with a body, and only on sending without one: after the extra headers then
        headers += [*length, *extra] if content_type else [*extra, *length]
        return Sent(reply.status, headers, body)
    response = (Response(status=reply.status, headers=reply.headers, content_type=None) if content_type is None
                else Response(data, status=reply.status, headers=reply.headers, content_type=content_type))
    for key, value in extra:
        response.headers[key] = value
    return response


class Sent:
    """A rendered reply as a WSGI app (what werkzeug's ``Response`` does for a plain reply, for less)."""

    __slots__ = ("body", "headers", "status_code")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.body = body

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status = self.status_code
        start_response(_status_line(status), self.headers)
        if environ.get("REQUEST_METHOD") == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return []
        return [self.body]


@functools.cache
def _status_line(status: int) -> str:
    line: str = Response(status=status).status  # werkzeug's wording ("404 NOT FOUND"), as before
    return line


#: headers werkzeug rewrites or checks; a reply with one of them is sent through its Response
_HEADERS_FOR_WERKZEUG = frozenset({"content-type", "content-length", "location", "content-location"})
