"""Semaphore UI records: task lifecycle and output, tokens and sessions, and the wire format."""

from __future__ import annotations

import base64
import math
import secrets
from datetime import UTC, datetime
from typing import Any

from mock_server.simulation import simulate
from mock_server.store import Event, Store

__all__ = [
    "FINISHED",
    "apply_event",
    "first_admin",
    "launch_task",
    "new_task",
    "new_token_id",
    "next_id",
    "output_lines",
    "request_stop",
    "rfc3339",
]

QUEUE_DELAY = 1.0  # seconds a new task waits in the queue ("waiting") before the runner takes it ("starting")
PREPARE_DELAY = 1.0  # seconds "starting" lasts (checkout, inventory) before the commands run ("running")
STOP_DELAY = 1.0  # seconds from "stopping" to "stopped" (the killed process ends)
SESSION_IDLE = 7 * 86400.0  # a session unused this long is expired
FINISHED = frozenset({"success", "error", "stopped"})


def rfc3339(ts: float) -> str:
    """Go's ``time.Time`` in JSON: ``2026-01-05T09:00:00Z``, fractional seconds only when non-zero."""
    dt = datetime.fromtimestamp(round(ts, 6), tz=UTC)
    fraction = f"{dt.microsecond:06d}".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def _ts(value: float | None) -> str | None:
    return None if value is None else rfc3339(value)


def next_id(store: Store, collection: str) -> int:
    return max((int(r["id"]) for r in store.all(collection)), default=0) + 1


def new_token_id() -> str:
    """Like the real ``createAPIToken``: 32 random bytes, URL-safe base64, lower-cased (44 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().lower()


def new_session_cookie(user_id: int, session_id: int, now: float) -> str:
    """An opaque cookie value (the real one is a gorilla/securecookie encoding of user and session ids)."""
    raw = f"{int(now)}|{session_id}|{user_id}|{secrets.token_hex(12)}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def first_admin(store: Store) -> dict[str, Any] | None:
    """Who a ``--token`` token acts as: the admin with the lowest id, else the user with the lowest id."""
    users = sorted(store.all("users"), key=lambda u: u["id"])
    return next((u for u in users if u["admin"]), users[0] if users else None)


# --- task lifecycle -----------------------------------------------------------------------------
def new_task(task_id: int, template: dict[str, Any], fields: dict[str, Any], *, user_id: int | None,
             created: float) -> dict[str, Any]:
    """A ``waiting`` task record; ``fields`` are the run's overrides (``message``, ``git_branch``...)."""
    def text(name: str) -> str:
        return str(fields.get(name) or "")

    return {
        "id": task_id, "template_id": template["id"], "project_id": template["project_id"], "status": "waiting",
        "debug": bool(fields.get("debug")), "dry_run": bool(fields.get("dry_run")), "diff": bool(fields.get("diff")),
        "playbook": text("playbook"), "environment": text("environment"), "limit": text("limit"), "secret": "",
        "arguments": fields.get("arguments"), "git_branch": fields.get("git_branch"), "user_id": user_id,
        "integration_id": None, "schedule_id": None, "created": created, "start": None, "end": None,
        "message": text("message"), "commit_hash": None, "commit_message": "", "build_task_id": None,
        "version": None, "inventory_id": fields.get("inventory_id"),
        "_script": template["_script"], "_starting_at": None, "_halted_at": None, "_exit_code": None,
    }


def launch_task(store: Store, task: dict[str, Any]) -> None:
    """Schedule a new task's way through the queue: waiting -> starting -> running -> success/error."""
    created = task["created"]
    store.schedule(created + QUEUE_DELAY, "task.starting", task_id=task["id"])
    store.schedule(created + QUEUE_DELAY + PREPARE_DELAY, "task.running", task_id=task["id"])


def request_stop(store: Store, task: dict[str, Any], *, force: bool, now: float) -> None:
    """Stop a task: ``stopping`` until its process has ended (``force``: ``stopped`` at once); ended tasks stay."""
    if task["status"] in FINISHED:
        return
    if task["_halted_at"] is None:
        task["_halted_at"] = now  # the process is killed now: it prints nothing more
    if force:
        task.update(status="stopped", end=now)
    elif task["status"] != "stopping":
        task["status"] = "stopping"
        store.schedule(now + STOP_DELAY, "task.stopped", task_id=task["id"])


def apply_event(store: Store, event: Event) -> None:
    task = store.find("tasks", event.data.get("task_id"))
    if task is None:  # removed by a later fixture load
        return
    if event.kind == "task.starting" and task["status"] == "waiting":
        task.update(status="starting", _starting_at=event.at)
    elif event.kind == "task.running" and task["status"] == "starting":
        task.update(status="running", start=event.at)
        run = simulate(task["_script"])
        store.schedule(event.at + run.duration, "task.finished", task_id=task["id"], exit_code=run.exit_status)
    elif event.kind == "task.finished" and task["status"] == "running":
        code = event.data["exit_code"]
        task.update(status="success" if code == 0 else "error", end=event.at, _exit_code=code)
    elif event.kind == "task.stopped" and task["status"] == "stopping":
        task.update(status="stopped", end=event.at)
    elif event.kind == "task.stop":
        request_stop(store, task, force=bool(event.data.get("force")), now=event.at)
    elif event.kind not in ("task.starting", "task.running", "task.finished", "task.stopped"):
        raise ValueError(f"unknown Semaphore UI lifecycle event {event.kind!r}")


def output_lines(store: Store, task: dict[str, Any], now: float) -> list[tuple[float, str]]:
    """The lines the task has logged by ``now``: ``(time, text)``, oldest first."""
    lines: list[tuple[float, str]] = []
    if task["_starting_at"] is not None:
        template = store.find("templates", task["template_id"])
        name = template["name"] if template else str(task["template_id"])
        lines.append((task["_starting_at"], f"Started task #{task['id']} of template '{name}'"))
    if task["start"] is not None:
        cutoff = min(now, task["_halted_at"] if task["_halted_at"] is not None else math.inf)
        run = simulate(task["_script"], start=task["start"])
        lines += [(line.at, line.text) for line in run.lines if line.at <= cutoff]
    if task["status"] == "error" and task["end"] is not None:
        lines.append((task["end"], f"Failed to run task: exit status {task['_exit_code']}"))
    return lines


# --- wire format --------------------------------------------------------------------------------
def user_json(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "created": rfc3339(user["created"]),
        "username": user["username"],
        "name": user["name"],
        "email": user["email"],
        "admin": user["admin"],
        "external": user["external"],
        "alert": user["alert"],
    }


def token_json(token: dict[str, Any], user_id: int, now: float) -> dict[str, Any]:
    created = token["created"] if token["created"] is not None else now
    return {"id": token["id"], "created": rfc3339(created), "expired": token["expired"], "user_id": user_id,
            "name": token["name"]}


def project_json(project: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": project["id"],
        "name": project["name"],
        "created": rfc3339(project["created"]),
        "alert": project["alert"],
        "alert_chat": project["alert_chat"],
        "max_parallel_tasks": project["max_parallel_tasks"],
        "type": project["type"],
    }


_TASK_FIELDS = ("id", "template_id", "project_id", "status", "debug", "dry_run", "diff", "playbook", "environment",
                "limit", "secret", "arguments", "git_branch", "user_id", "integration_id", "schedule_id")
_TASK_TAIL = ("message", "commit_hash", "commit_message", "build_task_id", "version", "inventory_id")


def task_json(task: dict[str, Any]) -> dict[str, Any]:
    body = {name: task[name] for name in _TASK_FIELDS}
    body.update(created=rfc3339(task["created"]), start=_ts(task["start"]), end=_ts(task["end"]))
    body.update({name: task[name] for name in _TASK_TAIL})
    return body


def task_with_tpl_json(store: Store, task: dict[str, Any]) -> dict[str, Any]:
    template = store.find("templates", task["template_id"]) or {}
    user = store.find("users", task["user_id"]) if task["user_id"] is not None else None
    return {
        **task_json(task),
        "tpl_playbook": template.get("playbook", ""),
        "tpl_alias": template.get("name", ""),
        "tpl_type": template.get("type", ""),
        "tpl_app": template.get("app", ""),
        "user_name": user["name"] if user else None,
        "build_task": None,
    }


def template_json(store: Store, template: dict[str, Any]) -> dict[str, Any]:
    runs = sorted((t for t in store.all("tasks") if t["template_id"] == template["id"]),
                  key=lambda t: (t["created"], t["id"]))
    body = {name: template[name] for name in (
        "id", "project_id", "inventory_id", "repository_id", "environment_id", "name", "playbook", "arguments",
        "allow_override_args_in_task", "description")}
    body.update(vaults=[], type=template["type"], start_version=template["start_version"],
                build_template_id=template["build_template_id"], view_id=template["view_id"],
                last_task=task_with_tpl_json(store, runs[-1]) if runs else None, autorun=template["autorun"],
                git_branch=template["git_branch"], survey_vars=[],
                suppress_success_alerts=template["suppress_success_alerts"], app=template["app"], tasks=len(runs))
    return body


def output_json(task: dict[str, Any], lines: list[tuple[float, str]]) -> list[dict[str, Any]]:
    return [{"task_id": task["id"], "task": "", "time": rfc3339(at), "output": text} for at, text in lines]
