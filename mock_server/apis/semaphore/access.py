"""Looking records up as the caller's organization sees them: anything of another organization is not found."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from mock_server.apis.semaphore.errors import grpc_error, not_found, v2_error
from mock_server.handlers import ApiError, Reply, RequestContext
from mock_server.pagination import page_slice, scrivener_headers

__all__ = ["find_job", "find_pipeline", "find_project", "find_workflow", "org_id", "paged", "user_id"]


def org_id(ctx: RequestContext) -> str:
    return str(ctx.principal["organization_id"])


def user_id(ctx: RequestContext) -> str:
    return str(ctx.principal["user_id"])


def _visible(ctx: RequestContext, collection: str, key: object) -> dict[str, Any] | None:
    record = ctx.store.find(collection, key) if isinstance(key, str) else None
    return record if record is not None and record["organization_id"] == org_id(ctx) else None


def find_project(ctx: RequestContext, project_id: object, error: ApiError | None = None) -> dict[str, Any]:
    project = _visible(ctx, "projects", project_id)
    if project is None:
        raise error or not_found()
    return project


def find_workflow(ctx: RequestContext, wf_id: object) -> dict[str, Any]:
    workflow = _visible(ctx, "workflows", wf_id)
    if workflow is None:
        raise not_found()
    return workflow


def find_pipeline(ctx: RequestContext, ppl_id: object) -> dict[str, Any]:
    pipeline = _visible(ctx, "pipelines", ppl_id)
    if pipeline is None:
        raise not_found()
    return pipeline


def find_job(ctx: RequestContext, job_id: str, style: str) -> dict[str, Any]:
    """The job, or the 404 of the endpoint family: ``grpc`` (v1alpha jobs), ``text`` (logs) or ``v2``."""
    job = _visible(ctx, "jobs", job_id)
    if job is None:
        if style == "grpc":
            raise grpc_error(404, f"Job {job_id} not found")
        if style == "v2":
            raise v2_error(404, "Not Found")
        raise not_found(lower=True)
    return job


def positive_or(raw: object, default: int) -> int:
    """Elixir's ``non_zero_value_or_default``: a positive integer, else the default."""
    if isinstance(raw, str) and re.fullmatch(r"\+?[0-9]{1,9}", raw.strip()) and int(raw) > 0:
        return int(raw)
    return default


def paged(ctx: RequestContext, items: Sequence[dict[str, Any]], render: Callable[[dict[str, Any]], Any]) -> Reply:
    """One page of a v1alpha list: a bare array plus the scrivener headers."""
    page = positive_or(ctx.query.get("page"), 1)
    size = positive_or(ctx.query.get("page_size"), 30)
    headers = scrivener_headers(ctx.path_url, ctx.raw_query, page=page, page_size=size, total=len(items))
    return Reply.json([render(item) for item in page_slice(items, page, size)], headers=headers)


def time_filter(items: list[dict[str, Any]], ctx: RequestContext, field: str, after: str,
                before: str) -> list[dict[str, Any]]:
    """Keep records whose ``field`` is after / before the unix seconds given in the query."""
    if after in ctx.query:
        items = [i for i in items if i[field] is not None and i[field] > ctx.query[after]]
    if before in ctx.query:
        items = [i for i in items if i[field] is not None and i[field] < ctx.query[before]]
    return items
