"""A job's life: queued, picked up by a runner, setup, each task through the shared command simulation, the end.

Everything is computed when the runner picks the job up (``begin``) and placed on the clock as scheduled
events; ``apply_event`` moves the records when the clock reaches them. A ``run`` counter on the job makes
events of an earlier run (before a cancel or a restart) harmless.
"""

from __future__ import annotations

import posixpath
from typing import Any

from mock_server.apis.builds_srht.logs import setup_commands
from mock_server.apis.builds_srht.model import ENDED, job_timeout, manifest_of, next_id
from mock_server.apis.builds_srht.triggers import Delivery, fire_triggers
from mock_server.simulation import simulate
from mock_server.store import Event, Store

__all__ = ["QUEUE_DELAY", "apply_event", "begin", "cancel", "finish", "queue"]

QUEUE_DELAY = 2.0  # seconds a queued job waits for a runner


def queue(store: Store, job: dict[str, Any], at: float) -> None:
    """Queue the job; a runner picks it up ``QUEUE_DELAY`` seconds later."""
    job["run"] += 1
    job.update(status="queued", updated=at)
    store.schedule(at + QUEUE_DELAY, "job.begin", job_id=job["id"], run=job["run"])


def begin(store: Store, job: dict[str, Any], at: float) -> None:
    """A runner has the job: plan its setup and tasks on the clock (the first failing task ends the run)."""
    setup = simulate(setup_commands(job))
    t = at + setup.duration
    tasks: list[list[Any]] = []
    for task in job["tasks"]:
        run = simulate(task["script"])
        tasks.append([t, t + run.duration, run.exit_status])
        t += run.duration
        if run.exit_status != 0:
            break
    result = "success" if all(code == 0 for *_, code in tasks) else "failed"
    end, deadline = t, at + job_timeout(store)
    if manifest_of(job).shell or end > deadline:  # shell: the VM stays up for SSH until the runner's timeout
        end, result = deadline, "timeout"
    job.update(status="running", runner=True, started=at, updated=at,
               plan={"setup": [at, at + setup.duration], "tasks": tasks, "end": end, "result": result})
    for moment in sorted({m for start, stop, _ in tasks for m in (start, stop) if m < end}):
        store.schedule(moment, "job.sync", job_id=job["id"], run=job["run"])
    store.schedule(end, "job.finish", job_id=job["id"], run=job["run"], status=result)


def cancel(store: Store, job: dict[str, Any], at: float) -> None:
    """End a job that has not ended; its triggers run on the next tick (never on the request path)."""
    if job["status"] in ENDED:
        return
    job["run"] += 1
    finish(store, job, "cancelled", at)
    store.schedule(at, "job.triggers", job_id=job["id"], run=job["run"])


def finish(store: Store, job: dict[str, Any], status: str, at: float) -> None:
    """The job ends: running tasks fail, tasks not started are skipped, a success yields the artifacts."""
    if job["plan"] is not None:
        _sync(job, at)
    for task in job["tasks"]:
        if task["status"] == "running":
            task["status"] = "failed"
        elif task["status"] == "pending":
            task["status"] = "skipped"
    job.update(status=status, ended=at, updated=at)
    if status == "success":
        _create_artifacts(store, job, at)


def apply_event(store: Store, event: Event) -> list[Delivery]:
    """Apply one scheduled event; returns the webhook deliveries it queued."""
    job = store.find("jobs", event.data["job_id"])
    if job is None or event.data.get("run") != job["run"]:
        return []
    if event.kind == "job.begin":
        if job["status"] == "queued":
            begin(store, job, event.at)
    elif event.kind == "job.sync":
        if job["status"] == "running":
            _sync(job, event.at)
    elif event.kind == "job.finish":
        if job["status"] == "running":
            finish(store, job, event.data["status"], event.at)
            return fire_triggers(store, job, event.at)
    elif event.kind == "job.triggers":
        return fire_triggers(store, job, event.at)
    else:
        raise ValueError(f"unknown builds.sr.ht lifecycle event {event.kind!r}")
    return []


def _sync(job: dict[str, Any], at: float) -> None:
    plan = job["plan"]["tasks"]
    for task, step in zip(job["tasks"], plan, strict=False):
        start, stop, code = step
        task["status"] = "pending" if at < start else "running" if at < stop else (
            "success" if code == 0 else "failed")
    job["updated"] = at


def _create_artifacts(store: Store, job: dict[str, Any], at: float) -> None:
    for path in manifest_of(job).artifacts:
        content = f"ciapi mock artifact {path} of job #{job['id']}\n"
        store.put("artifacts", {
            "id": next_id(store, "artifacts"), "job_id": job["id"], "owner": job["owner"], "path": path,
            "name": posixpath.basename(path.rstrip("/")), "created": at, "content": content,
            "size": len(content.encode()),
        })
