"""Handlers for the Semaphore UI API, one per operationId (in ``account`` and ``projects``)."""

from __future__ import annotations

from mock_server.apis.semaphore_ui import account, projects  # noqa: F401  (their decorators register them)
from mock_server.apis.semaphore_ui._registry import HANDLERS

__all__ = ["HANDLERS"]
