"""The handler registry and what every Semaphore UI handler shares: the current user, errors, lookups."""

from __future__ import annotations

from typing import Any

from mock_server.apis.semaphore_ui.model import SESSION_IDLE
from mock_server.handlers import ApiError, HandlerRegistry, RequestContext

__all__ = ["HANDLERS", "current_user", "empty_error", "find_project", "find_task"]

HANDLERS = HandlerRegistry("semaphore-ui")

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}


def empty_error(status: int) -> ApiError:
    """The real server's usual error: a status, ``Content-Type: application/json`` and no body at all."""
    return ApiError(status, _REASONS.get(status, "Error"), empty=True)


def current_user(ctx: RequestContext) -> dict[str, Any]:
    """The authenticated user; a cookie session unused for 7 days expires here (401), else it is touched."""
    session = ctx.principal["session"]
    if session is not None:
        if ctx.now - session["last_active"] > SESSION_IDLE:
            session["expired"] = True
            raise empty_error(401)
        session["last_active"] = ctx.now
    user: dict[str, Any] = ctx.principal["user"]
    return user


def find_project(ctx: RequestContext) -> dict[str, Any]:
    """The path's project: 404 (empty) when it does not exist or the user is not a member (admins see all)."""
    user = current_user(ctx)
    project = ctx.store.find("projects", ctx.path["project_id"])
    if project is None or not (user["admin"] or project["id"] in user["projects"]):
        raise empty_error(404)
    return project


def find_task(ctx: RequestContext) -> dict[str, Any]:
    """The path's task in the path's project: an unknown task is 400 (empty), as the real GetTaskMiddleware says."""
    project = find_project(ctx)
    task = ctx.store.find("tasks", ctx.path["task_id"])
    if task is None or task["project_id"] != project["id"]:
        raise empty_error(400)
    return task
