"""The v2 Jobs resource over the same jobs as v1alpha: list, describe, create, terminate, log events, debug."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from mock_server.apis.semaphore.access import find_job, find_project, org_id, user_id
from mock_server.apis.semaphore.common import counter, sha1, stable_uuid
from mock_server.apis.semaphore.errors import v2_error
from mock_server.apis.semaphore.joblog import log_events
from mock_server.apis.semaphore.jobstate import new_job, stop_job, v1_state
from mock_server.apis.semaphore.registry import HANDLERS
from mock_server.apis.semaphore.render import job_v2
from mock_server.handlers import Reply, RequestContext

DEFAULT_LIMIT = 3600


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        value = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        value = ""
    if not value.isdigit():
        raise v2_error(422, "Validation Failed", [{"title": "Invalid value", "source": {"pointer": "/page_token"},
                                                   "detail": "the page token is not valid"}])
    return int(value)


def _links(ctx: RequestContext, next_token: str, prev_token: str) -> str:
    """``next`` and ``prev`` when those pages exist, then ``first``; the query is kept, ``page_token`` replaced."""
    kept = [(k, v) for k, v in ctx.raw_query if k != "page_token"]

    def url(token: str) -> str:
        query = kept + ([("page_token", token)] if token else [])
        return f"{ctx.path_url}?{urlencode(query)}" if query else ctx.path_url

    links = [f'<{url(token)}>; rel="{rel}"' for token, rel in ((next_token, "next"), (prev_token, "prev")) if token]
    return ", ".join([*links, f'<{url("")}>; rel="first"'])


@HANDLERS.handles("v2ListJobs")
def list_jobs(ctx: RequestContext) -> Reply:
    jobs = [j for j in ctx.store.all("jobs") if j["organization_id"] == org_id(ctx)]
    if "project_id" in ctx.query:
        project = find_project(ctx, ctx.query["project_id"], v2_error(404, "Not Found"))
        jobs = [j for j in jobs if j["project_id"] == project["id"]]
    if "state" in ctx.query:
        jobs = [j for j in jobs if v1_state(j) == ctx.query["state"]]
    jobs.sort(key=lambda j: (j["created_at"], j["id"]), reverse=True)
    size = ctx.query["page_size"]
    start = _offset(ctx.query["page_token"]) if ctx.query.get("page_token") else 0
    next_token = _token(start + size) if start + size < len(jobs) else ""
    prev_token = _token(max(start - size, 0)) if start > 0 else ""
    headers = {"link": _links(ctx, next_token, prev_token), "per-page": str(size), "next-page-token": next_token,
               "previous-page-token": prev_token}
    return Reply.json([job_v2(ctx.store, j) for j in jobs[start:start + size]], headers=headers)


def _agent(raw: dict[str, Any]) -> dict[str, Any]:
    containers = [{"name": c["name"], "image": c["image"], "command": c.get("command", ""),
                   "env_vars": list(c.get("env_vars", [])), "secrets": list(c.get("secrets", []))}
                  for c in raw.get("containers", [])]
    machine = raw["machine"]
    return {"machine": {"type": machine["type"], "os_image": machine["os_image"]}, "containers": containers,
            "image_pull_secrets": []}


@HANDLERS.handles("v2CreateJob")
def create_job(ctx: RequestContext) -> Reply:
    spec: dict[str, Any] = ctx.body["spec"]
    project = find_project(ctx, spec["project_id"], v2_error(404, "Not Found"))
    job_spec = {
        "agent": _agent(spec["agent"]), "env_vars": list(spec.get("env_vars", [])),
        "secrets": list(spec.get("secrets", [])), "files": [], "commands": list(spec["commands"]),
        "epilogue_commands": [], "epilogue_always_commands": list(spec.get("epilogue_always_commands", [])),
        "epilogue_on_pass_commands": list(spec.get("epilogue_on_pass_commands", [])),
        "epilogue_on_fail_commands": list(spec.get("epilogue_on_fail_commands", [])),
    }
    job = new_job(ctx.store, job_id=stable_uuid("api-job", project["id"], counter(ctx.store, "api_jobs")),
                  name=ctx.body["metadata"]["name"], organization_id=org_id(ctx), project_id=project["id"],
                  spec=job_spec, limit=spec.get("execution_time_limit", DEFAULT_LIMIT), now=ctx.now,
                  requester_id=user_id(ctx))
    return Reply.json(job_v2(ctx.store, job))


@HANDLERS.handles("v2DescribeJob")
def describe_job(ctx: RequestContext) -> Reply:
    return Reply.json(job_v2(ctx.store, find_job(ctx, ctx.path["id"], "v2")))


@HANDLERS.handles("v2TerminateJob")
def terminate_job(ctx: RequestContext) -> Reply:
    stop_job(ctx.store, find_job(ctx, ctx.path["id"], "v2"), ctx.now)
    return Reply.no_content()


@HANDLERS.handles("v2ListJobLogEvents")
def log(ctx: RequestContext) -> Reply:
    return Reply.json({"events": log_events(find_job(ctx, ctx.path["id"], "v2"), ctx.now)})


@HANDLERS.handles("v2GetJobDebugSshKey")
def debug_ssh_key(ctx: RequestContext) -> Reply:
    job = find_job(ctx, ctx.path["id"], "v2")
    if v1_state(job) != "RUNNING" or job["state"] == "stopping":
        raise v2_error(400, "Debug SSH key is only available for running jobs.")
    key = base64.b64encode(bytes.fromhex(sha1("ssh", job["id"]) * 3)).decode()
    return Reply.json({"key": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{key}\n-----END OPENSSH PRIVATE KEY-----\n"})


@HANDLERS.handles("v2DebugJob")
def debug(ctx: RequestContext) -> Reply:
    original = find_job(ctx, ctx.path["id"], "v2")
    body: dict[str, Any] = ctx.body or {}
    limit = body.get("execution_time_limit", DEFAULT_LIMIT)
    spec = {**original["spec"], "commands": [f"sleep {limit}"], "epilogue_always_commands": [],
            "epilogue_on_pass_commands": [], "epilogue_on_fail_commands": []}
    if "agent" in body:
        spec["agent"] = _agent(body["agent"])
    job = new_job(ctx.store, job_id=stable_uuid("debug-job", original["id"], counter(ctx.store, "debug_jobs")),
                  name=f"Debug: {original['name']}", organization_id=original["organization_id"],
                  project_id=original["project_id"], spec=spec, limit=limit, now=ctx.now, requester_id=user_id(ctx))
    return Reply.json(job_v2(ctx.store, job))
