"""Buildkite agents and jobs: internal records, their lifecycle and their wire format."""

from __future__ import annotations

import base64
import functools
import hashlib
import uuid
from typing import Any

from mock_server.clock import format_iso_ms
from mock_server.indexes import Index
from mock_server.simulation import simulate
from mock_server.store import Event, Store

__all__ = ["LISTED_AGENTS", "LISTED_STATES", "agent_json", "apply_event", "request_stop", "start_job"]

#: the list shows connected agents; a stopping agent is still connected while it finishes its job
LISTED_STATES = frozenset({"connected", "stopping"})
#: an organization's listed agents by name: the list pages through it without scanning every agent
LISTED_AGENTS = Index(
    name="buildkite.listed_agents",
    collection="agents",
    partition=lambda a: a["organization"] if a["connection_state"] in LISTED_STATES else None,
    order=lambda a: a["name"],
)
STOP_DELAY = 2.0  # seconds from "stopping" with no job to "stopped" (the agent's next heartbeat)
CANCEL_DELAY = 1.0  # seconds from "canceling" to "canceled"
_NS = uuid.UUID("5b0a2c0e-6a43-4a42-9d7e-8c4b3f2a1c00")


def stable_uuid(*parts: str) -> str:
    """A UUID derived from names, so fixtures need no ids and ids never change between runs."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


@functools.lru_cache(maxsize=8192)
def graphql_id(kind: str, ident: str) -> str:
    return base64.b64encode(f"{kind}---{ident}".encode()).decode()


def _ts(value: float | None) -> str | None:
    return None if value is None else format_iso_ms(value)


@functools.lru_cache(maxsize=2048)
def avatar_url(email: str) -> str:
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return "https://www.gravatar.com/avatar/" + digest


# --- lifecycle ----------------------------------------------------------------------------------
def start_job(store: Store, job: dict[str, Any]) -> None:
    """Schedule the end of a running job from its simulated command."""
    run = simulate(job["command"] or "")
    store.schedule(job["started_at"] + run.duration, "job.finished", job_id=job["id"], exit_status=run.exit_status)


def request_stop(store: Store, agent: dict[str, Any], *, force: bool, now: float) -> None:
    """The real rules: an idle agent stops; a busy one cancels its job (force) or finishes it first.

    A second stop of a ``stopping`` agent changes nothing, except that ``force`` cancels the job it waits for.
    """
    already_stopping = agent["connection_state"] == "stopping"
    agent["connection_state"] = "stopping"
    job = store.find("jobs", agent["job_id"]) if agent["job_id"] else None
    if job is None:
        if not already_stopping:
            store.schedule(now + STOP_DELAY, "agent.stopped", agent_id=agent["id"])
    elif force and job["state"] == "running":
        job["state"] = "canceling"
        store.schedule(now + CANCEL_DELAY, "job.canceled", job_id=job["id"])


def apply_event(store: Store, event: Event) -> None:
    if event.kind == "job.finished":
        job = store.get("jobs", event.data["job_id"])
        if job["state"] == "running":
            code = event.data["exit_status"]
            _end_job(store, job, "passed" if code == 0 else "failed", code, event.at)
    elif event.kind == "job.canceled":
        job = store.get("jobs", event.data["job_id"])
        if job["state"] == "canceling":
            _end_job(store, job, "canceled", -1, event.at)
    elif event.kind == "agent.stopped":
        agent = store.get("agents", event.data["agent_id"])
        if agent["connection_state"] == "stopping":
            agent["connection_state"] = "stopped"
            agent["disconnected_at"] = event.at
    else:
        raise ValueError(f"unknown Buildkite lifecycle event {event.kind!r}")


def _end_job(store: Store, job: dict[str, Any], state: str, exit_status: int, at: float) -> None:
    job.update(state=state, exit_status=exit_status, finished_at=at)
    agent = store.find("agents", job["agent_id"])
    if agent is None or agent["job_id"] != job["id"]:
        return
    agent["job_id"] = None
    agent["last_job_finished_at"] = at
    if agent["connection_state"] == "stopping":
        store.schedule(at + STOP_DELAY, "agent.stopped", agent_id=agent["id"])


# --- wire format --------------------------------------------------------------------------------
#: renderings of agents by what they were rendered from (the stamps of the agent, its creator and its job, and
#: the base URL); a page of 30 agents is most of a list's cost, and a polled list renders the same agents again
_RENDERED: dict[tuple[str, str | None, str | None, str], dict[str, Any]] = {}
RENDERED_LIMIT = 2048


def agent_json(store: Store, agent: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The API's agent object. In a read transaction of a store that stamps its records, the same agent, creator,
    job and base URL give back the same (shared, never to be changed) dict, rendered once."""
    creator = store.find("users", agent["creator_id"]) if agent["creator_id"] else None
    job = store.find("jobs", agent["job_id"]) if agent["job_id"] else None
    stamp = store.stamp("agents", agent["id"])
    if stamp is None:
        return _agent_json(agent, creator, job, base_url)
    creator_stamp = None if creator is None else store.stamp("users", agent["creator_id"])
    job_stamp = None if job is None else store.stamp("jobs", agent["job_id"])
    if (creator is not None and creator_stamp is None) or (job is not None and job_stamp is None):
        return _agent_json(agent, creator, job, base_url)
    key = (stamp, creator_stamp, job_stamp, base_url)
    rendered = _RENDERED.get(key)
    if rendered is None:
        if len(_RENDERED) >= RENDERED_LIMIT:
            _RENDERED.clear()
        rendered = _RENDERED[key] = _agent_json(agent, creator, job, base_url)
    return rendered


def _agent_json(agent: dict[str, Any], creator: dict[str, Any] | None, job: dict[str, Any] | None,
                base_url: str) -> dict[str, Any]:
    org = agent["organization"]
    return {
        "id": agent["id"],
        "graphql_id": graphql_id("Agent", agent["id"]),
        "url": f"{base_url}/v2/organizations/{org}/agents/{agent['id']}",
        "web_url": f"https://buildkite.com/organizations/{org}/agents/{agent['id']}",
        "name": agent["name"],
        "connection_state": agent["connection_state"],
        "hostname": agent["hostname"],
        "ip_address": agent["ip_address"],
        "user_agent": agent["user_agent"],
        "version": agent["version"],
        "creator": None if creator is None else _user_json(creator),
        "created_at": format_iso_ms(agent["created_at"]),
        "job": None if job is None else _job_json(job, base_url),
        "last_job_finished_at": _ts(agent["last_job_finished_at"]),
        "priority": agent["priority"],
        "meta_data": list(agent["meta_data"]),
    }


def _user_json(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "graphql_id": graphql_id("User", user["id"]),
        "name": user["name"],
        "email": user["email"],
        "avatar_url": avatar_url(user["email"]),
        "created_at": format_iso_ms(user["created_at"]),
    }


def _job_json(job: dict[str, Any], base_url: str) -> dict[str, Any]:
    org, pipeline, number = job["organization"], job["pipeline"], job["build_number"]
    build_url = f"{base_url}/v2/organizations/{org}/pipelines/{pipeline}/builds/{number}"
    job_url = f"{build_url}/jobs/{job['id']}"
    return {
        "id": job["id"],
        "graphql_id": graphql_id("Job", job["id"]),
        "type": "script",
        "name": job["name"],
        "agent_query_rules": list(job["agent_query_rules"]),
        "state": job["state"],
        "build_url": build_url,
        "web_url": f"https://buildkite.com/{org}/{pipeline}/builds/{number}#{job['id']}",
        "log_url": f"{job_url}/log",
        "raw_log_url": f"{job_url}/log.txt",
        "artifacts_url": f"{job_url}/artifacts",
        "script_path": job["command"],
        "command": job["command"],
        "soft_failed": False,
        "exit_status": job["exit_status"],
        "artifact_paths": job["artifact_paths"],
        "agent": None,
        "created_at": format_iso_ms(job["created_at"]),
        "scheduled_at": _ts(job["scheduled_at"]),
        "started_at": _ts(job["started_at"]),
        "finished_at": _ts(job["finished_at"]),
    }
