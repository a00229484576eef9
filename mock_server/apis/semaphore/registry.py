"""The handler registry every Semaphore handler module registers into (v1alpha and v2 share one state)."""

from __future__ import annotations

from mock_server.handlers import HandlerRegistry

__all__ = ["HANDLERS"]

HANDLERS = HandlerRegistry("semaphore")
