"""Workflows: run, list, describe, reschedule (idempotent per request token), terminate."""

from __future__ import annotations

from typing import Any

from mock_server.apis.semaphore.access import find_project, find_workflow, org_id, paged, time_filter, user_id
from mock_server.apis.semaphore.errors import json_error
from mock_server.apis.semaphore.lifecycle import create_workflow, terminate_pipeline
from mock_server.apis.semaphore.registry import HANDLERS
from mock_server.apis.semaphore.render import workflow_json
from mock_server.handlers import Reply, RequestContext

API_TRIGGER = 2


def _parameters(body: dict[str, Any]) -> dict[str, str]:
    """``parameters`` of a JSON body, or the ``parameters[NAME]=value`` fields of a form (as Plug nests them)."""
    given = body.get("parameters")
    if isinstance(given, dict):
        return {str(k): str(v) for k, v in given.items()}
    return {k[len("parameters["):-1]: str(v) for k, v in body.items()
            if k.startswith("parameters[") and k.endswith("]") and len(k) > len("parameters[]")}


@HANDLERS.handles("runWorkflow")
def run_workflow(ctx: RequestContext) -> Reply:
    body: dict[str, Any] = ctx.body
    project = find_project(ctx, body["project_id"])
    parameters = _parameters(body)
    workflow, pipeline = create_workflow(
        ctx.store, project, now=ctx.now, reference=body["reference"], requester_id=user_id(ctx),
        triggered_by=API_TRIGGER, pipeline_file=body.get("pipeline_file"), commit_sha=body.get("commit_sha") or None,
        parameters=parameters)
    return Reply.json({"workflow_id": workflow["id"], "pipeline_id": pipeline["id"]})


@HANDLERS.handles("listWorkflows")
def list_workflows(ctx: RequestContext) -> Reply:
    project = find_project(ctx, ctx.query["project_id"])
    items = [w for w in ctx.store.all("workflows") if w["project_id"] == project["id"]]
    if "branch_name" in ctx.query:
        items = [w for w in items if w["branch_name"] == ctx.query["branch_name"]]
    items = time_filter(items, ctx, "created_at", "created_after", "created_before")
    items.sort(key=lambda w: (w["created_at"], w["id"]), reverse=True)
    return paged(ctx, items, lambda w: workflow_json(w, listed=True))


@HANDLERS.handles("describeWorkflow")
def describe_workflow(ctx: RequestContext) -> Reply:
    return Reply.json({"workflow": workflow_json(find_workflow(ctx, ctx.path["wf_id"]), listed=False)})


@HANDLERS.handles("rescheduleWorkflow")
def reschedule_workflow(ctx: RequestContext) -> Reply:
    original = find_workflow(ctx, ctx.path["wf_id"])
    token = ctx.query.get("request_token") or (ctx.body or {}).get("request_token")
    if not token:
        raise json_error(400, "Missing required post parameter request_token.")
    if token not in original["reschedules"]:
        project = find_project(ctx, original["project_id"])
        rerun, _ = create_workflow(
            ctx.store, project, now=ctx.now, reference=original["reference"], requester_id=user_id(ctx),
            triggered_by=original["triggered_by"], pipeline_file=original["pipeline_file"],
            commit_sha=original["commit_sha"], parameters=original["parameters"], rerun_of=original["id"])
        original["reschedules"][token] = rerun["id"]
    rerun = ctx.store.get("workflows", original["reschedules"][token])
    return Reply.json({"wf_id": rerun["id"], "ppl_id": rerun["initial_ppl_id"]})


@HANDLERS.handles("terminateWorkflow")
def terminate_workflow(ctx: RequestContext) -> Reply:
    workflow = find_workflow(ctx, ctx.path["wf_id"])
    pipelines = [p for p in ctx.store.all("pipelines")
                 if p["wf_id"] == workflow["id"] and p["organization_id"] == org_id(ctx)]
    count = sum(terminate_pipeline(ctx.store, p, ctx.now, user_id(ctx)) for p in pipelines)
    return Reply.json(f"Termination started for {count} pipelines.")
