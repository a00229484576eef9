"""Handlers for projects, templates and tasks."""

from __future__ import annotations

import re
from typing import Any

from mock_server.apis.semaphore_ui._registry import HANDLERS, current_user, empty_error, find_project, find_task
from mock_server.apis.semaphore_ui.model import (
    launch_task,
    new_task,
    next_id,
    output_json,
    output_lines,
    project_json,
    request_stop,
    task_json,
    task_with_tpl_json,
    template_json,
)
from mock_server.handlers import Reply, RequestContext

MAX_TASKS = 1000  # the real GetAllTasks limit
TASK_FIELDS = ("debug", "dry_run", "diff", "playbook", "environment", "limit", "git_branch", "message", "arguments",
               "inventory_id")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


@HANDLERS.handles("listProjects")
def list_projects(ctx: RequestContext) -> Reply:
    user = current_user(ctx)
    projects = [p for p in ctx.store.all("projects") if user["admin"] or p["id"] in user["projects"]]
    return Reply.json([project_json(p) for p in sorted(projects, key=lambda p: p["id"])])


@HANDLERS.handles("getProject")
def get_project(ctx: RequestContext) -> Reply:
    return Reply.json(project_json(find_project(ctx)))


def _template(ctx: RequestContext, project: dict[str, Any], template_id: Any) -> dict[str, Any]:
    template = ctx.store.find("templates", template_id)
    if template is None or template["project_id"] != project["id"]:
        raise empty_error(404)
    return template


@HANDLERS.handles("listTemplates")
def list_templates(ctx: RequestContext) -> Reply:
    project = find_project(ctx)
    templates = [t for t in ctx.store.all("templates") if t["project_id"] == project["id"]]
    field = "playbook" if ctx.query.get("sort") == "playbook" else "name"  # no inventories etc. in the mock
    templates.sort(key=lambda t: (t[field], t["id"]), reverse=ctx.query.get("order") == "desc")
    return Reply.json([template_json(ctx.store, t) for t in templates])


@HANDLERS.handles("getTemplate")
def get_template(ctx: RequestContext) -> Reply:
    project = find_project(ctx)
    return Reply.json(template_json(ctx.store, _template(ctx, project, ctx.path["template_id"])))


@HANDLERS.handles("listTasks")
def list_tasks(ctx: RequestContext) -> Reply:
    project = find_project(ctx)
    tasks = sorted((t for t in ctx.store.all("tasks") if t["project_id"] == project["id"]),
                   key=lambda t: (t["created"], t["id"]), reverse=True)
    return Reply.json([task_with_tpl_json(ctx.store, t) for t in tasks[:MAX_TASKS]])


@HANDLERS.handles("createTask")
def create_task(ctx: RequestContext) -> Reply:
    project = find_project(ctx)
    body = ctx.body or {}
    template = _template(ctx, project, body.get("template_id") or 0)
    fields = {name: body[name] for name in TASK_FIELDS if body.get(name) is not None}
    task = new_task(next_id(ctx.store, "tasks"), template, fields, user_id=ctx.principal["user"]["id"],
                    created=ctx.now)
    ctx.store.put("tasks", task)
    launch_task(ctx.store, task)
    return Reply.json(task_json(task), status=201)


@HANDLERS.handles("getTask")
def get_task(ctx: RequestContext) -> Reply:
    return Reply.json(task_json(find_task(ctx)))


@HANDLERS.handles("getTaskOutput")
def get_task_output(ctx: RequestContext) -> Reply:
    task = find_task(ctx)
    return Reply.json(output_json(task, output_lines(ctx.store, task, ctx.now)))


@HANDLERS.handles("getTaskRawOutput")
def get_task_raw_output(ctx: RequestContext) -> Reply:
    task = find_task(ctx)
    return Reply.text("".join(_ANSI.sub("", text) + "\n" for _, text in output_lines(ctx.store, task, ctx.now)))


@HANDLERS.handles("stopTask")
def stop_task(ctx: RequestContext) -> Reply:
    task = find_task(ctx)
    request_stop(ctx.store, task, force=bool((ctx.body or {}).get("force")), now=ctx.now)
    return Reply.no_content()
