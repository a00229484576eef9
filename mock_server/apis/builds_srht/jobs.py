"""Handlers for jobs: list, submit, describe, manifest, start, cancel."""

from __future__ import annotations

from mock_server.apis.builds_srht.auth import identify
from mock_server.apis.builds_srht.errors import UNAUTHORIZED, field_errors, not_found
from mock_server.apis.builds_srht.lifecycle import cancel, queue
from mock_server.apis.builds_srht.manifest import parse_manifest
from mock_server.apis.builds_srht.model import PER_PAGE, can_read, can_write, job_json, new_job, page_json
from mock_server.apis.builds_srht.registry import HANDLERS, caller, visible_job
from mock_server.handlers import ApiError, Reply, RequestContext
from mock_server.pagination import id_cursor_page

_ALREADY = {"queued": "queued", "running": "running"}


@HANDLERS.handles("listBuildJobs")
def list_jobs(ctx: RequestContext) -> Reply:
    user = caller(ctx).user
    jobs = [j for j in ctx.store.all("jobs") if j["owner"] == user]
    page, next_id = id_cursor_page(jobs, start=ctx.query.get("start"), per_page=PER_PAGE, key=lambda j: j["id"])
    return Reply.json(page_json([job_json(j, ctx.base_url) for j in page], next_id, len(jobs)))


@HANDLERS.handles("submitBuildJob")
def submit_job(ctx: RequestContext) -> Reply:
    body = ctx.body
    manifest, problems = parse_manifest(body["manifest"])
    if manifest is None:
        raise field_errors(400, [{"field": p.field, "reason": p.reason} for p in problems])
    job = new_job(ctx.store, owner=caller(ctx).user, text=body["manifest"], manifest=manifest, created=ctx.now,
                  origin=ctx.base_url, note=body.get("note"), tags=body.get("tags") or (),
                  read=body.get("access:read"), write=body.get("access:write") or (),
                  secrets=body.get("secrets") is not False, api_triggers=body.get("triggers") or ())
    ctx.store.put("jobs", job)
    if body.get("execute") is not False:
        queue(ctx.store, job, ctx.now)
    return Reply.json(job_json(job, ctx.base_url))


@HANDLERS.handles("getBuildJob")
def get_job(ctx: RequestContext) -> Reply:
    return Reply.json(job_json(visible_job(ctx), ctx.base_url))


@HANDLERS.handles("getBuildJobManifest")
def get_manifest(ctx: RequestContext) -> Reply:
    job = ctx.store.find("jobs", ctx.path["id"])
    if job is None or not can_read(job, identify(ctx.headers, ctx.store)):
        raise not_found()
    return Reply.text(job["manifest"], media_type="text/plain")


@HANDLERS.handles("startBuildJob")
def start_job(ctx: RequestContext) -> Reply:
    job = visible_job(ctx)
    if not can_write(job, caller(ctx).user):
        raise ApiError(401, UNAUTHORIZED)
    if job["status"] != "pending":
        raise ApiError(400, f"This job is already {_ALREADY.get(job['status'], 'complete')}")
    job["origin"] = ctx.base_url
    queue(ctx.store, job, ctx.now)
    return Reply.json({})


@HANDLERS.handles("cancelBuildJob")
def cancel_job(ctx: RequestContext) -> Reply:
    job = visible_job(ctx)
    if not can_write(job, caller(ctx).user):
        raise ApiError(401, UNAUTHORIZED)
    cancel(ctx.store, job, ctx.now)
    return Reply.json({})
