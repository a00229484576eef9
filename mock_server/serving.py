"""``ciapi serve --workers N``: the mock apps under gunicorn (sync workers), one master for every API.

The apps are built once in the master (``preload_app``) and the workers fork from it; with a SQLite store
they share one state. One set of listening sockets per API; a small dispatcher picks the app by the
port a request arrived on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

__all__ = ["PortDispatcher", "run_gunicorn"]


class PortDispatcher:
    """A WSGI app that hands each request to the app bound to the port it came in on."""

    def __init__(self) -> None:
        self.by_port: dict[str, Flask] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self.by_port.get(str(environ.get("SERVER_PORT")))
        if app is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no ciapi mock on this port\n"]
        result: Iterable[bytes] = app(environ, start_response)
        return result


def run_gunicorn(apps: list[tuple[str, Flask, int]], *, host: str, workers: int,
                 on_ready: Callable[[list[tuple[str, Flask, int]]], None], access_log: bool = False) -> None:
    """Serve ``(name, app, wanted_port)`` triples until SIGINT/SIGTERM; ``on_ready`` gets the bound ports."""
    from gunicorn.app.base import BaseApplication

    dispatcher = PortDispatcher()
    shown = f"[{host}]" if ":" in host else host

    def when_ready(server: Any) -> None:
        bound = []
        for (name, app, _), listener in zip(apps, server.LISTENERS, strict=True):
            port = int(listener.sock.getsockname()[1])
            dispatcher.by_port[str(port)] = app
            bound.append((name, app, port))
        on_ready(bound)

    class _App(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": [f"{shown}:{port}" for _, _, port in apps],
                "workers": workers,
                "worker_class": "sync",
                "preload_app": True,
                "accesslog": "-" if access_log else None,
                "errorlog": "-",
                "loglevel": "warning",
                "when_ready": when_ready,
                "proc_name": "ciapi",
                "limit_request_line": 8190,  # the most gunicorn allows; its default of 4094 cuts real list URLs
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> PortDispatcher:
            return dispatcher

    _App().run()
