"""ciapi's stateful mock servers for the HTTP APIs of CI services, driven by their OpenAPI specs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.app import create_app
    from mock_server.server import MockServer

__all__ = ["MockServer", "create_app"]


def __getattr__(name: str) -> Any:  # lazy, so that loading the pytest plugin stays cheap
    if name == "create_app":
        from mock_server.app import create_app

        return create_app
    if name == "MockServer":
        from mock_server.server import MockServer

        return MockServer
    raise AttributeError(name)
