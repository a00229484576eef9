"""Pipelines: list, describe (``detailed``), terminate; YAML validation; tasks' ``run_now``."""

from __future__ import annotations

from typing import Any

from mock_server.apis.semaphore.access import find_pipeline, find_project, find_workflow, paged, time_filter, user_id
from mock_server.apis.semaphore.compiler import validate_pipeline
from mock_server.apis.semaphore.errors import json_error, not_found
from mock_server.apis.semaphore.lifecycle import create_workflow, normalize_path, terminate_pipeline
from mock_server.apis.semaphore.registry import HANDLERS
from mock_server.apis.semaphore.render import block_json, pipeline_json
from mock_server.handlers import Reply, RequestContext

MANUAL_RUN_TRIGGER = 3


@HANDLERS.handles("listPipelines")
def list_pipelines(ctx: RequestContext) -> Reply:
    query = ctx.query
    if "project_id" not in query and "wf_id" not in query:
        raise not_found()
    items = ctx.store.all("pipelines")
    if "project_id" in query:
        project = find_project(ctx, query["project_id"])
        items = [p for p in items if p["project_id"] == project["id"]]
    if "wf_id" in query:
        workflow = find_workflow(ctx, query["wf_id"])
        items = [p for p in items if p["wf_id"] == workflow["id"]]
    if "branch_name" in query:
        items = [p for p in items if ctx.store.get("workflows", p["wf_id"])["branch_name"] == query["branch_name"]]
    if "yml_file_path" in query:
        items = [p for p in items if p["yaml_path"] == normalize_path(query["yml_file_path"])]
    items = time_filter(items, ctx, "created_at", "created_after", "created_before")
    items = time_filter(items, ctx, "done_at", "done_after", "done_before")
    items.sort(key=lambda p: (p["created_at"], p["id"]), reverse=True)
    return paged(ctx, items, lambda p: pipeline_json(ctx.store, p, listed=True))


@HANDLERS.handles("describePipeline")
def describe_pipeline(ctx: RequestContext) -> Reply:
    pipeline = find_pipeline(ctx, ctx.path["pipeline_id"])
    detailed = ctx.query.get("detailed") == "true"
    blocks = [block_json(ctx.store, b) for b in pipeline["blocks"]] if detailed else []
    return Reply.json({"pipeline": pipeline_json(ctx.store, pipeline, listed=False), "blocks": blocks})


@HANDLERS.handles("terminatePipeline")
def terminate(ctx: RequestContext) -> Reply:
    terminate_pipeline(ctx.store, find_pipeline(ctx, ctx.path["pipeline_id"]), ctx.now, user_id(ctx))
    return Reply.json("Pipeline termination started.")


@HANDLERS.handles("validateYaml")
def validate_yaml(ctx: RequestContext) -> Reply:
    report = validate_pipeline(ctx.body["yaml_definition"])
    if report is not None:
        raise json_error(400, report)
    return Reply.json({"message": "YAML definition is valid.", "pipeline_id": ""})


def _task_reference(body: dict[str, Any], task: dict[str, Any]) -> str:
    reference = body.get("reference")
    if isinstance(reference, dict):
        kind = "tags" if reference.get("type") == "TAG" else "heads"
        return f"refs/{kind}/{reference['name']}"
    name = reference or body.get("branch") or task["branch"]
    return name if name.startswith("refs/") else f"refs/heads/{name}"


@HANDLERS.handles("runTask")
def run_task(ctx: RequestContext) -> Reply:
    task = ctx.store.find("tasks", str(ctx.path["task_id"]))
    if task is None or task["organization_id"] != ctx.principal["organization_id"]:
        raise not_found(lower=True)
    body: dict[str, Any] = ctx.body or {}
    given = {k: str(v) for k, v in (body.get("parameters") or {}).items()}
    values = {p["name"]: p["default_value"] for p in task["parameters"] if p["default_value"] is not None}
    values.update(given)
    for parameter in task["parameters"]:
        if parameter["required"] and not values.get(parameter["name"]):
            raise json_error(400, f"Missing value for required parameter: {parameter['name']}")
    project = ctx.store.get("projects", task["project_id"])
    workflow, _ = create_workflow(
        ctx.store, project, now=ctx.now, reference=_task_reference(body, task), requester_id=user_id(ctx),
        triggered_by=MANUAL_RUN_TRIGGER, pipeline_file=body.get("pipeline_file") or task["pipeline_file"],
        parameters=values)
    return Reply.json({"workflow_id": workflow["id"]})
