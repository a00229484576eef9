"""What the validation proxy saw, written as a fixture document the ciapi mock loads (``ciapi proxy --record``).

One recorder per API (`RECORDERS`); Buildkite records organizations, the agents it saw (the last answer for
each wins), their creators and the jobs they are running.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from contract_tests.spec import SpecOperation

__all__ = ["RECORDERS", "BuildkiteRecorder", "Recorder", "recorder_for"]

_BUILD_URL = re.compile(r"/pipelines/([a-z0-9][a-z0-9-]*)/builds/(\d+)")


class Recorder:
    """Collects records from successful responses; `document` returns the fixture document."""

    api = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def observe(self, operation: SpecOperation, path_values: Mapping[str, str], status: int, body: Any) -> None:
        with self._lock:
            self._observe(operation, path_values, status, body)

    def _observe(self, operation: SpecOperation, path_values: Mapping[str, str], status: int, body: Any) -> None:
        raise NotImplementedError

    def document(self) -> dict[str, Any]:
        raise NotImplementedError


class BuildkiteRecorder(Recorder):
    api = "buildkite"

    def __init__(self) -> None:
        super().__init__()
        self.organizations: dict[str, None] = {}
        self.agents: dict[str, dict[str, Any]] = {}  # id -> fixture record
        self.users: dict[str, dict[str, Any]] = {}  # email -> fixture record

    def _observe(self, operation: SpecOperation, path_values: Mapping[str, str], status: int, body: Any) -> None:
        org = path_values.get("org")
        if status != 200 or not org or operation.operation_id not in ("listAgents", "getAgent"):
            return
        self.organizations.setdefault(org)
        for agent in body if isinstance(body, list) else [body]:
            if isinstance(agent, Mapping) and isinstance(agent.get("id"), str) and isinstance(agent.get("name"), str):
                self.agents[agent["id"]] = self._agent(org, agent)

    def _agent(self, org: str, agent: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"organization": org, "id": agent["id"], "name": agent["name"]}
        for key in ("hostname", "version", "user_agent", "connection_state", "created_at", "last_job_finished_at",
                    "priority", "meta_data"):
            if agent.get(key) is not None or key in ("last_job_finished_at", "priority"):
                record[key] = agent.get(key)
        if _is_ipv4(agent.get("ip_address")):
            record["ip_address"] = agent["ip_address"]
        creator = agent.get("creator")
        if isinstance(creator, Mapping) and creator.get("email") and creator.get("name"):
            self.users.setdefault(creator["email"], {
                "name": creator["name"], "email": creator["email"], "id": creator.get("id"),
                "created_at": creator.get("created_at"),
            })
            record["creator"] = creator["email"]
        job = agent.get("job")
        if isinstance(job, Mapping) and job.get("state") == "running" and record.get("connection_state") in (
                "connected", "stopping", None):
            record["job"] = _job(job)
        return record

    def document(self) -> dict[str, Any]:
        with self._lock:
            users = [{k: v for k, v in u.items() if v is not None} for u in self.users.values()]
            return {
                "api": self.api,
                "organizations": [{"slug": slug, "name": slug} for slug in self.organizations],
                "users": users,
                "agents": list(self.agents.values()),
            }


def _is_ipv4(value: Any) -> bool:
    try:
        return isinstance(value, str) and isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


def _job(job: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"command": job.get("command") or ""}
    if isinstance(job.get("id"), str):
        record["id"] = job["id"]
    if isinstance(job.get("name"), str) and job["name"]:
        record["name"] = job["name"]
    match = _BUILD_URL.search(str(job.get("build_url") or ""))
    if match:
        record["pipeline"], record["build_number"] = match.group(1), int(match.group(2))
    for key in ("started_at", "artifact_paths", "agent_query_rules"):
        if job.get(key) is not None:
            record[key] = job[key]
    return record


RECORDERS: dict[str, Callable[[], Recorder]] = {"buildkite": BuildkiteRecorder}


def recorder_for(api_key: str) -> Recorder | None:
    """A new recorder for the API (its catalogue key), or ``None`` when ciapi cannot record it yet."""
    factory = RECORDERS.get(api_key)
    return factory() if factory else None
