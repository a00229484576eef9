"""Artifact retention policies of a project: configure and describe."""

from __future__ import annotations

from typing import Any

from mock_server.apis.semaphore.access import find_project
from mock_server.apis.semaphore.errors import not_found
from mock_server.apis.semaphore.registry import HANDLERS
from mock_server.handlers import Reply, RequestContext

LEVELS = ("project_level_retention_policies", "workflow_level_retention_policies", "job_level_retention_policies")


def _policy(record: dict[str, Any] | None) -> dict[str, list[dict[str, str]]]:
    """The three lists, empty when the project has no policy."""
    return {level: [dict(rule) for rule in (record or {}).get(level, [])] for level in LEVELS}


@HANDLERS.handles("configureRetentionPolicy")
def configure(ctx: RequestContext) -> Reply:
    project = find_project(ctx, ctx.body["project_id"], not_found(lower=True))
    record = {"id": project["id"], **{level: [{"selector": r["selector"], "age": r["age"]}
                                               for r in ctx.body.get(level) or []] for level in LEVELS}}
    ctx.store.put("retention_policies", record)
    return Reply.json(_policy(record))


@HANDLERS.handles("describeRetentionPolicy")
def describe(ctx: RequestContext) -> Reply:
    project = find_project(ctx, ctx.path["project_id"], not_found(lower=True))
    return Reply.json(_policy(ctx.store.find("retention_policies", project["id"])))
