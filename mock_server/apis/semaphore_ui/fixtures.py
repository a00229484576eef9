"""Semaphore UI fixture documents: their JSON Schema, and turning them into records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mock_server.apis.semaphore_ui.model import new_task
from mock_server.profile import Staged
from mock_server.seeding import fixture_time
from mock_server.store import Store

__all__ = ["collection_schemas", "stage_document", "token_schema"]

_TIME = {"type": "string", "minLength": 1}
_ID = {"type": "integer", "minimum": 1}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_NULLABLE_ID = {"type": ["integer", "null"]}
_BOOL = {"type": "boolean"}
APPS = ["ansible", "terraform", "tofu", "bash", "powershell", "python", "pulumi"]


def _record(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False, "properties": properties}


def token_schema() -> dict[str, Any]:
    return _record(
        ["token"],
        token={"type": "string", "pattern": r"^[\x21-\x7e]+$", "description": "stored lower-case"},
        user={"type": "string", "description": "the owner's username; default: the first admin"},
        expired=_BOOL, created=_TIME, name=_TEXT, description=_TEXT,
        scopes={"type": "array", "items": _TEXT, "description": "accepted and ignored: tokens have no scopes"},
        organizations={"type": ["array", "null"], "items": _TEXT, "description": "accepted and ignored"},
    )


def collection_schemas() -> dict[str, Any]:
    user = _record(["id", "username", "password"], id=_ID, username={"type": "string", "pattern": r"^\S+$"},
                   name=_TEXT, email=_TEXT, password=_TEXT, admin=_BOOL, external=_BOOL, alert=_BOOL, created=_TIME,
                   projects={"type": "array", "items": _ID, "uniqueItems": True})
    project = _record(["id", "name"], id=_ID, name=_TEXT, created=_TIME, alert=_BOOL, alert_chat=_NULLABLE_TEXT,
                      max_parallel_tasks={"type": "integer", "minimum": 0}, type=_TEXT)
    script = {"anyOf": [_TEXT, {"type": "array", "items": _TEXT}],
              "description": "what a task of this template runs, through the shared command simulation"}
    template = _record(
        ["id", "project", "name", "script"], id=_ID, project=_ID, name=_TEXT, script=script,
        app={"enum": APPS}, playbook=_TEXT, description=_NULLABLE_TEXT, arguments=_NULLABLE_TEXT,
        type={"enum": ["", "build", "deploy"]}, repository_id=_ID, inventory_id=_NULLABLE_ID,
        environment_id=_NULLABLE_ID, git_branch=_NULLABLE_TEXT, allow_override_args_in_task=_BOOL,
        suppress_success_alerts=_BOOL, autorun=_BOOL, start_version=_NULLABLE_TEXT, build_template_id=_NULLABLE_ID,
        view_id=_NULLABLE_ID)
    task = _record(
        ["template"], id=_ID, template=_ID, user={"type": ["string", "null"], "description": "a username"},
        created=_TIME, message=_TEXT, git_branch=_NULLABLE_TEXT, arguments=_NULLABLE_TEXT, playbook=_TEXT,
        environment=_TEXT, limit=_TEXT, debug=_BOOL, dry_run=_BOOL, diff=_BOOL, inventory_id=_NULLABLE_ID,
        stop_after={"type": "number", "minimum": 0, "description": "seconds after its creation a stop is asked"},
        force={"type": "boolean", "description": "with stop_after: force the stop"})
    return {name: {"type": "array", "items": schema}
            for name, schema in (("users", user), ("projects", project), ("templates", template), ("tasks", task))}


When = Callable[[Any, str, float], float]


def stage_document(store: Store, document: Mapping[str, Any], origin: float, problems: list[str]) -> Staged:
    """Records for a validated document, in dependency order; semantic errors go to ``problems``."""

    def when(value: Any, where: str, default: float) -> float:
        return fixture_time(value, where, default, origin=origin, problems=problems)

    for collection in ("users", "projects", "templates", "tasks"):
        ids = [r["id"] for r in document.get(collection, []) if "id" in r]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"{collection}: id {dup} is used twice")
    projects = {p["id"] for p in store.all("projects")} | {p["id"] for p in document.get("projects", [])}
    staged: Staged = [("projects", _project(p, origin, when)) for p in document.get("projects", [])]
    users = {u["username"]: u for u in store.all("users")}
    for i, u in enumerate(document.get("users", [])):
        for pid in u.get("projects", []):
            if pid not in projects:
                problems.append(f"users[{i}] (username {u['username']!r}).projects: no project {pid} in the fixtures")
        users[u["username"]] = _user(u, origin, when)
        staged.append(("users", users[u["username"]]))
    templates = {t["id"]: t for t in store.all("templates")}
    for i, t in enumerate(document.get("templates", [])):
        if t["project"] not in projects:
            problems.append(f"templates[{i}] (name {t['name']!r}).project: no project {t['project']} in the fixtures")
        templates[t["id"]] = _template(t)
        staged.append(("templates", templates[t["id"]]))
    staged += _tasks(store, document, origin, problems, when, users, templates)
    staged += _tokens(document, origin, problems, when, users)
    return staged


def _project(p: Mapping[str, Any], origin: float, when: When) -> dict[str, Any]:
    return {"id": p["id"], "name": p["name"], "created": when(p.get("created"), f"projects ({p['id']}).created",
                                                             origin - 120 * 86400),
            "alert": p.get("alert", False), "alert_chat": p.get("alert_chat"),
            "max_parallel_tasks": p.get("max_parallel_tasks", 0), "type": p.get("type", "")}


def _user(u: Mapping[str, Any], origin: float, when: When) -> dict[str, Any]:
    created = when(u.get("created"), f"users ({u['username']}).created", origin - 400 * 86400)
    return {"id": u["id"], "username": u["username"], "name": u.get("name", u["username"]),
            "email": u.get("email", f"{u['username']}@example.com"), "password": u["password"],
            "admin": u.get("admin", False), "external": u.get("external", False), "alert": u.get("alert", False),
            "created": created, "projects": list(u.get("projects", []))}


def _template(t: Mapping[str, Any]) -> dict[str, Any]:
    script = t["script"] if isinstance(t["script"], str) else "\n".join(t["script"])
    record = {"id": t["id"], "project_id": t["project"], "name": t["name"], "app": t.get("app", "bash"),
              "playbook": t.get("playbook", ""), "_script": script, "repository_id": t.get("repository_id", 1)}
    for name in ("description", "arguments", "inventory_id", "environment_id", "git_branch", "start_version",
                 "build_template_id", "view_id"):
        record[name] = t.get(name)
    for name in ("allow_override_args_in_task", "suppress_success_alerts", "autorun"):
        record[name] = t.get(name, False)
    record["type"] = t.get("type", "")
    return record


def _tasks(store: Store, document: Mapping[str, Any], origin: float, problems: list[str], when: When,
           users: dict[str, Any], templates: dict[int, Any]) -> Staged:
    staged: Staged = []
    taken = {t["id"] for t in store.all("tasks")} | {t["id"] for t in document.get("tasks", []) if "id" in t}
    next_free = max(taken, default=0) + 1
    for i, t in enumerate(document.get("tasks", [])):
        where = f"tasks[{i}]"
        template, user = templates.get(t["template"]), users.get(t.get("user") or "")
        if template is None:
            problems.append(f"{where}.template: no template {t['template']} in the fixtures")
            continue
        if t.get("user") and user is None:
            problems.append(f"{where}.user: no user {t['user']!r} in the fixtures")
        if "id" in t:
            task_id = t["id"]
        else:
            task_id, next_free = next_free, next_free + 1
        task = new_task(task_id, template, dict(t), user_id=user["id"] if user else None,
                        created=when(t.get("created"), f"{where}.created", origin - 3600))
        task["_stop"] = (t["stop_after"], t.get("force", False)) if "stop_after" in t else None
        staged.append(("tasks", task))
    return staged


def _tokens(document: Mapping[str, Any], origin: float, problems: list[str], when: When,
            users: dict[str, Any]) -> Staged:
    staged: Staged = []
    ranked = sorted(users.values(), key=lambda u: (not u["admin"], u["id"]))
    for i, t in enumerate(document.get("tokens", [])):
        owner = users.get(t["user"]) if "user" in t else (ranked[0] if ranked else None)
        if owner is None:
            problems.append(f"tokens[{i}].user: no user {t.get('user')!r} in the fixtures to own the token")
            continue
        staged.append(("tokens", {"id": t["token"].lower(), "user_id": owner["id"], "expired": t.get("expired", False),
                                  "created": when(t.get("created"), f"tokens[{i}].created", origin - 86400),
                                  "name": t.get("name", "")}))
    return staged
