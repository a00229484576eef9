"""What the validation proxy saw, written as a fixture document the ciapi mock loads (``ciapi proxy --record``).

One recorder per API (`RECORDERS`, by catalogue key), fed with the 200 answers of the operations it knows; the
last answer seen for a record wins, and a field the answer leaves blank is left out (the mock's default applies).

- Buildkite records organizations, the agents it saw, their creators and the jobs they are running.
- Semaphore records self-hosted agent types and agents (v1alpha list and describe), projects and the
  organizations they belong to. The Semaphore APIs have no project list or describe operation: projects (id,
  name, organization) come from the v2 jobs that name them (``v2ListJobs``, ``v2DescribeJob``). Agent types and
  agents do not name their organization: it is the one the v2 jobs name (the service answers for one
  organization, the host's), else the first label of the upstream host (``https://acme.semaphoreci.com``:
  ``acme``). Registration tokens, agent counts and everything else the fixture format cannot hold are not kept.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from contract_tests.spec import SpecOperation

__all__ = ["RECORDERS", "BuildkiteRecorder", "Recorder", "RecordingError", "SemaphoreRecorder", "recorder_for"]

_BUILD_URL = re.compile(r"/pipelines/([a-z0-9][a-z0-9-]*)/builds/(\d+)")


class RecordingError(ValueError):
    """What was seen cannot be written as a fixture document that loads (the message says why)."""


class Recorder:
    """Collects records from successful responses; `document` returns the fixture document.

    ``upstream`` is the URL the proxy forwards to; ``notice`` says, before anything is recorded, what the
    recording will lack or need (``None`` when nothing).
    """

    api = ""

    def __init__(self, upstream: str = "") -> None:
        self._lock = threading.Lock()
        self.upstream = upstream
        self.notice: str | None = None

    def observe(self, operation: SpecOperation, path_values: Mapping[str, str], status: int, body: Any) -> None:
        with self._lock:
            self._observe(operation, path_values, status, body)

    def _observe(self, operation: SpecOperation, path_values: Mapping[str, str], status: int, body: Any) -> None:
        raise NotImplementedError

    def document(self) -> dict[str, Any]:
        raise NotImplementedError


class BuildkiteRecorder(Recorder):
    api = "buildkite"

    def __init__(self, upstream: str = "") -> None:
        super().__init__(upstream)
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


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # an organization name of the Semaphore fixtures (and a host label)
_AGENT_TYPE = re.compile(r"^s1-[a-zA-Z0-9-_]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ORIGINS = ("assignment_origin_agent", "assignment_origin_aws_sts")  # what the fixture takes (not ..._unspecified)
_AGENT_STATES = ("waiting_for_job", "running_job")
_AGENT_TEXT = ("version", "os", "arch", "hostname", "ip_address")


class SemaphoreRecorder(Recorder):
    """Semaphore: agent types and agents (v1alpha), projects from v2 jobs, and their organizations.

    Records are keyed by agent type name, agent name and project id: the last 200 answer for each wins. Not
    kept: registration tokens (secrets; only ``createAgentType`` answers one, and it is not recorded),
    ``total_agent_count`` (the mock counts the agents), a project's repository files (no answer carries them).
    """

    api = "semaphore"

    def __init__(self, upstream: str = "") -> None:
        super().__init__(upstream)
        self.host_organization, self.host_problem = host_organization(upstream)
        if self.host_problem:
            self.notice = (f"{self.host_problem}; agent types and agents are recorded with the organization a "
                           "v2 job answer names, and the recording fails without one")
        self.named: dict[str, str | None] = {}  # organizations the answers named -> their id, when known
        self.agent_types: dict[str, dict[str, Any]] = {}  # name -> fixture record without its organization
        self.agents: dict[str, dict[str, Any]] = {}  # name -> fixture record without its organization
        self.projects: dict[str, dict[str, Any]] = {}  # id (or organization/name) -> fixture record

    def _observe(self, operation: SpecOperation, path_values: Mapping[str, str], status: int, body: Any) -> None:
        if status != 200:
            return
        op = operation.operation_id
        if op in ("listAgentTypes", "describeAgentType"):
            for item in _items(body, "agent_types" if op == "listAgentTypes" else None):
                record = _agent_type(item)
                if record is not None:
                    self.agent_types[record["name"]] = record
        elif op in ("listAgents", "describeAgent"):
            for item in _items(body, "agents" if op == "listAgents" else None):
                record = _sem_agent(item)
                if record is not None:
                    self.agents[record["name"]] = record
        elif op in ("v2ListJobs", "v2DescribeJob"):
            for item in _items(body, None):
                self._job(item)

    def _job(self, job: Mapping[str, Any]) -> None:
        metadata = job.get("metadata")
        if not isinstance(metadata, Mapping):
            return
        organization, project = metadata.get("organization"), metadata.get("project")
        if not isinstance(organization, Mapping) or not _is_slug(organization.get("name")):
            return  # a project needs its organization, by a name the fixture takes
        org = organization["name"]
        self.named[org] = _uuid(organization.get("id")) or self.named.get(org)
        if isinstance(project, Mapping) and isinstance(project.get("name"), str) and project["name"]:
            record: dict[str, Any] = {"name": project["name"], "organization": org}
            pid = _uuid(project.get("id"))
            if pid:
                record["id"] = pid
            self.projects[pid or f"{org}/{project['name']}"] = record

    def organization(self) -> str:
        """The organization of the agent types and agents: the one the answers named, else the upstream host's."""
        if len(self.named) == 1:
            return next(iter(self.named))
        if self.named:
            if self.host_organization in self.named:
                return self.host_organization
            raise RecordingError(f"the answers named several organizations ({', '.join(self.named)}) and the "
                                 "upstream host names none of them: cannot tell which one the agent types and "
                                 "agents belong to")
        if self.host_organization:
            return self.host_organization
        raise RecordingError(f"cannot tell the organization of the agent types and agents: no answer named it "
                             f"(only v2 jobs do) and {self.host_problem}")

    def document(self) -> dict[str, Any]:
        with self._lock:
            org = self.organization() if self.agent_types or self.agents else None
            organizations: dict[str, str | None] = {org: self.named.get(org)} if org else {}
            for project in self.projects.values():
                organizations.setdefault(project["organization"], self.named.get(project["organization"]))
            types = {name: {"organization": org, **record} for name, record in self.agent_types.items()}
            for agent in self.agents.values():  # an agent's type exists: keep its name when no answer showed it
                types.setdefault(agent["type"], {"organization": org, "name": agent["type"]})
            return {
                "api": self.api,
                "organizations": [{"name": name, **({"id": oid} if oid else {})}
                                  for name, oid in organizations.items()],
                "projects": list(self.projects.values()),
                "agent_types": list(types.values()),
                "agents": [{"organization": org, **record} for record in self.agents.values()],
            }


def host_organization(upstream: str) -> tuple[str | None, str | None]:
    """The organization an upstream URL names (``https://acme.semaphoreci.com``: ``acme``), or why it names none."""
    host = urlsplit(upstream).hostname or ""
    if not host:
        return None, f"the upstream URL {upstream!r} has no host"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None, f"the upstream host {host} is an IP address, not <organization>.semaphoreci.com"
    label = host.split(".")[0]
    if "." not in host:
        return None, f"the upstream host {host} is not <organization>.semaphoreci.com (it has one label)"
    if not _SLUG.match(label):
        return None, (f"the upstream host {host} does not name a valid organization: its first label {label!r} "
                      f"does not match {_SLUG.pattern}")
    return label, None


def _items(body: Any, key: str | None) -> list[Mapping[str, Any]]:
    """The objects of an answer: ``body[key]`` for a wrapped list, the body for a bare list or one object."""
    if key is not None:
        body = body.get(key) if isinstance(body, Mapping) else None
    items = body if isinstance(body, list) else [body]
    return [item for item in items if isinstance(item, Mapping)]


def _is_slug(value: Any) -> bool:
    return isinstance(value, str) and bool(_SLUG.match(value))


def _uuid(value: Any) -> str | None:
    return value if isinstance(value, str) and _UUID.match(value) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unix_time(value: Any) -> str | None:
    """Unix seconds (agent types, agents) as the ISO-8601 a fixture takes; ``""`` (unset) and the like: ``None``."""
    if not _is_int(value) or value <= 0:
        return None
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def _agent_type(item: Mapping[str, Any]) -> dict[str, Any] | None:
    metadata = item.get("metadata")
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("name"), str):
        return None
    if not _AGENT_TYPE.match(metadata["name"]):
        return None
    record: dict[str, Any] = {"name": metadata["name"]}
    spec = item.get("spec")
    settings = spec.get("agent_name_settings") if isinstance(spec, Mapping) else None
    if isinstance(settings, Mapping):
        if settings.get("assignment_origin") in _ORIGINS:
            record["assignment_origin"] = settings["assignment_origin"]
        if _is_int(settings.get("release_after")) and settings["release_after"] >= 0:
            record["release_after"] = settings["release_after"]
        aws = settings.get("aws")
        if isinstance(aws, Mapping) and all(isinstance(aws.get(k), str) and aws[k]
                                            for k in ("account_id", "role_name_patterns")):
            record["aws"] = {"account_id": aws["account_id"], "role_name_patterns": aws["role_name_patterns"]}
    for key, field in (("created_at", "create_time"), ("updated_at", "update_time")):
        when = _unix_time(metadata.get(field))
        if when:
            record[key] = when
    return record


def _sem_agent(item: Mapping[str, Any]) -> dict[str, Any] | None:
    metadata = item.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    name, agent_type = metadata.get("name"), metadata.get("type")
    # a name with "{n}" would be read as a count placeholder by the fixture loader
    if not isinstance(name, str) or not name or "{n}" in name:
        return None
    if not isinstance(agent_type, str) or not _AGENT_TYPE.match(agent_type):
        return None
    record: dict[str, Any] = {"type": agent_type, "name": name}
    status = item.get("status")
    if isinstance(status, Mapping) and status.get("state") in _AGENT_STATES:
        record["state"] = status["state"]
    for key in _AGENT_TEXT:
        if isinstance(metadata.get(key), str) and metadata[key]:
            record[key] = metadata[key]
    if _is_int(metadata.get("pid")):
        record["pid"] = metadata["pid"]
    for key in ("connected_at", "disabled_at"):
        when = _unix_time(metadata.get(key))
        if when:
            record[key] = when
    return record


RECORDERS: dict[str, Callable[[str], Recorder]] = {"buildkite": BuildkiteRecorder, "semaphore": SemaphoreRecorder}


def recorder_for(api_key: str, upstream: str = "") -> Recorder | None:
    """A new recorder for the API (its catalogue key) behind ``upstream``, or ``None`` when ciapi cannot record it
    yet."""
    factory = RECORDERS.get(api_key)
    return factory(upstream) if factory else None
