"""Jobs: pending -> enqueued -> running -> finished (passed, failed, stopped), driven by scheduled events.

A stop moves an unfinished job to ``stopping``; a second later it ends ``stopped``. Jobs of a pipeline tell
their block when they finish (``lifecycle.job_finished``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from mock_server.apis.semaphore.common import stable_uuid
from mock_server.apis.semaphore.joblog import cut_run, plan_run
from mock_server.store import Event, Store

__all__ = ["JOB_EVENTS", "apply_job_event", "job_id_for", "new_job", "ssh_port", "stop_job", "v1_state"]

ENQUEUE_DELAY = 1.0  # pending -> enqueued
START_DELAY = 1.0  # enqueued -> running
STOP_DELAY = 1.0  # stopping -> finished
JOB_EVENTS = ("job.advance", "job.finish", "job.stopped")


def ssh_port(job_id: str) -> int:
    return 30000 + int(hashlib.md5(job_id.encode(), usedforsecurity=False).hexdigest()[:4], 16) % 2000


def agent_ip(job_id: str) -> str:
    digest = hashlib.md5(job_id.encode(), usedforsecurity=False).digest()
    return f"10.{digest[0]}.{digest[1]}.{digest[2] % 250 + 2}"


def new_job(store: Store, *, job_id: str, name: str, organization_id: str, project_id: str,
            spec: dict[str, Any], limit: int, now: float, requester_id: str,
            pipeline: dict[str, Any] | None = None, block_index: int = 0, index: int = 0) -> dict[str, Any]:
    """Store a new pending job and schedule its way to running."""
    job: dict[str, Any] = {
        "id": job_id, "name": name, "organization_id": organization_id, "project_id": project_id,
        "pipeline_id": pipeline["id"] if pipeline else None, "wf_id": pipeline["wf_id"] if pipeline else None,
        "block_index": block_index, "index": index, "spec": spec, "execution_time_limit": limit,
        "state": "pending", "result": None, "stop_reason": None, "requester_id": requester_id,
        "created_at": now, "updated_at": now, "enqueued_at": None, "started_at": None, "finished_at": None,
        "events": [], "finish_at": None, "planned_result": None,
    }
    store.put("jobs", job)
    store.schedule(now + ENQUEUE_DELAY, "job.advance", job_id=job_id, to="enqueued")
    return job


def stop_job(store: Store, job: dict[str, Any], now: float, reason: str = "user") -> bool:
    """Ask an unfinished job to stop; ``False`` when it already finished or is stopping."""
    if job["state"] in ("finished", "stopping"):
        return False
    job["state"] = "stopping"
    job["stop_reason"] = reason
    job["updated_at"] = now
    store.schedule(now + STOP_DELAY, "job.stopped", job_id=job["id"])
    return True


def v1_state(job: dict[str, Any]) -> str:
    """PENDING, QUEUED, RUNNING or FINISHED (a stopping job shows where it got to)."""
    if job["state"] == "finished":
        return "FINISHED"
    if job["started_at"] is not None:
        return "RUNNING"
    return "QUEUED" if job["enqueued_at"] is not None else "PENDING"


def _finish(store: Store, job: dict[str, Any], result: str, at: float) -> None:
    job.update(state="finished", result=result, finished_at=at, updated_at=at)
    if job["pipeline_id"] is not None:
        from mock_server.apis.semaphore.lifecycle import job_finished

        job_finished(store, job, at)


def apply_job_event(store: Store, event: Event) -> None:
    job = store.find("jobs", event.data["job_id"])
    if job is None:
        return
    if event.kind == "job.advance":
        _advance(store, job, event.data["to"], event.at)
    elif event.kind == "job.finish":
        if job["state"] in ("running", "stopping") and job["finish_at"] == event.at:
            _finish(store, job, job["planned_result"], event.at)
    elif event.kind == "job.stopped" and job["state"] == "stopping":
        if job["started_at"] is not None:
            job["events"] = cut_run(job["events"], event.at).events
        _finish(store, job, "stopped", event.at)


def _advance(store: Store, job: dict[str, Any], to: str, at: float) -> None:
    if to == "enqueued" and job["state"] == "pending":
        job.update(state="enqueued", enqueued_at=at, updated_at=at)
        store.schedule(at + START_DELAY, "job.advance", job_id=job["id"], to="running")
    elif to == "running" and job["state"] == "enqueued":
        run = plan_run(job, at)
        job.update(state="running", started_at=at, updated_at=at, events=run.events, finish_at=run.finish_at,
                   planned_result=run.result, stop_reason="timeout" if run.result == "stopped" else None,
                   agent_ip=agent_ip(job["id"]), agent_name="")
        store.schedule(run.finish_at, "job.finish", job_id=job["id"])


def job_id_for(pipeline_id: str, block_index: int, index: int) -> str:
    return stable_uuid("job", pipeline_id, block_index, index)
