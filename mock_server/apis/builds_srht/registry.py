"""The handler registry of builds-srht and what every handler needs: the caller and the jobs it may see."""

from __future__ import annotations

from typing import Any

from mock_server.apis.builds_srht.errors import not_found
from mock_server.apis.builds_srht.model import Caller, can_read
from mock_server.handlers import HandlerRegistry, RequestContext

__all__ = ["HANDLERS", "caller", "visible_job"]

HANDLERS = HandlerRegistry("builds-srht")


def caller(ctx: RequestContext) -> Caller:
    principal: Caller = ctx.principal
    return principal


def visible_job(ctx: RequestContext) -> dict[str, Any]:
    """The job of the path, or 404 when there is none or the caller may not read it."""
    job = ctx.store.find("jobs", ctx.path["id"])
    if job is None or not can_read(job, caller(ctx).user):
        raise not_found()
    return job
