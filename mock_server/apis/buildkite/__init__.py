"""The Buildkite REST API (agents): auth, errors, fixtures and lifecycles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import Headers

from mock_server.apis.buildkite.handlers import HANDLERS
from mock_server.apis.buildkite.model import LISTED_AGENTS, apply_event, stable_uuid, start_job
from mock_server.handlers import ApiError, Reply
from mock_server.indexes import Index
from mock_server.profile import ApiProfile, Staged
from mock_server.seeding import fixture_time
from mock_server.specs import Operation
from mock_server.store import Event, Store

AUTH_REQUIRED = ("Authentication required. Please supply a valid API Access Token: "
                 "https://buildkite.com/docs/apis/rest-api#authentication")
CONNECTION_STATES = ["connected", "disconnected", "stopped", "stopping", "lost", "never_connected"]
RATE_LIMIT = 200  # REST requests a minute per organization
_TIME = {"type": "string", "minLength": 1}
_NAME = {"type": "string", "minLength": 1}


class Profile(ApiProfile):
    name = "buildkite"
    handlers = HANDLERS
    trailing_slash = True  # pybuildkite lists agents at .../agents/?page=0
    state_fields = {"agents": "connection_state", "jobs": "state"}

    def indexes(self) -> list[Index]:
        return [LISTED_AGENTS]

    def authenticate(self, headers: Headers, store: Store, operation: Operation) -> Any:
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        record = store.find("tokens", token.strip()) if scheme == "Bearer" and token.strip() else None
        if record is None:
            raise ApiError(401, AUTH_REQUIRED)
        missing = [s for s in operation.scopes if s not in record["scopes"]]
        if missing:
            raise ApiError(403, f"Forbidden: your access token does not have the {missing[0]} scope")
        return record

    def collection_schemas(self) -> dict[str, Any]:
        job = {
            "type": "object",
            "required": ["command"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "command": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                "name": _NAME,
                "pipeline": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
                "build_number": {"type": "integer", "minimum": 1},
                "started_at": _TIME,
                "artifact_paths": {"type": ["string", "null"]},
                "agent_query_rules": {"type": "array", "items": {"type": "string"}},
            },
        }
        agent = {
            "type": "object",
            "required": ["name", "organization"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "organization": _NAME,
                "name": _NAME,
                "hostname": _NAME,
                "ip_address": {"type": "string", "format": "ipv4"},
                "version": _NAME,
                "user_agent": _NAME,
                "connection_state": {"enum": CONNECTION_STATES},
                "creator": {"type": ["string", "null"], "description": "a user's email"},
                "created_at": _TIME,
                "last_job_finished_at": {"type": ["string", "null"]},
                "priority": {"type": ["integer", "null"]},
                "meta_data": {"type": "array", "items": {"type": "string", "pattern": "^[^=]+=.*$"}},
                "job": job,
            },
        }
        return {
            "organizations": {"type": "array", "items": {
                "type": "object", "required": ["slug"], "additionalProperties": False,
                "properties": {"slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}, "name": _NAME}}},
            "users": {"type": "array", "items": {
                "type": "object", "required": ["name", "email"], "additionalProperties": False,
                "properties": {"id": {"type": "string", "format": "uuid"}, "name": _NAME,
                               "email": {"type": "string", "format": "email"}, "created_at": _TIME}}},
            "agents": {"type": "array", "items": agent},
        }

    def stage(self, store: Store, document: Mapping[str, Any], origin: float, problems: list[str]) -> Staged:
        staged = super().stage(store, document, origin, problems)

        def when(value: Any, where: str, default: float | None) -> float | None:
            return fixture_time(value, where, default, origin=origin, problems=problems)

        orgs = {o["slug"] for o in document.get("organizations", [])} | {o["id"] for o in store.all("organizations")}
        for o in document.get("organizations", []):
            staged.append(("organizations", {"id": o["slug"], "slug": o["slug"], "name": o.get("name", o["slug"])}))
        users = {u["email"]: u["id"] for u in store.all("users")}
        for i, u in enumerate(document.get("users", [])):
            uid = u.get("id") or stable_uuid("user", u["email"])
            users[u["email"]] = uid
            created = when(u.get("created_at"), f"users[{i}].created_at", origin - 86400 * 400)
            staged.append(("users", {"id": uid, "name": u["name"], "email": u["email"], "created_at": created}))
        for i, a in enumerate(document.get("agents", [])):
            where = f"agents[{i}] (name {a['name']!r})"
            if a["organization"] not in orgs:
                problems.append(f"{where}.organization: no organization {a['organization']!r} in the fixtures")
            if a.get("creator") and a["creator"] not in users:
                problems.append(f"{where}.creator: no user with email {a['creator']!r} in the fixtures")
            agent_id = a.get("id") or stable_uuid("agent", a["organization"], a["name"])
            version = a.get("version", "3.80.0")
            state = a.get("connection_state", "connected")
            record: dict[str, Any] = {
                "id": agent_id, "organization": a["organization"], "name": a["name"],
                "hostname": a.get("hostname", f"{a['name']}.ci.internal"),
                "ip_address": a.get("ip_address", f"10.0.{i // 250}.{i % 250 + 1}"),
                "version": version,
                "user_agent": a.get("user_agent", f"buildkite-agent/{version} (linux; amd64)"),
                "connection_state": state,
                "creator_id": users.get(a["creator"]) if a.get("creator") else None,
                "created_at": when(a.get("created_at"), f"{where}.created_at", origin - 86400 * 30),
                "last_job_finished_at": when(a.get("last_job_finished_at"), f"{where}.last_job_finished_at", None),
                "priority": a.get("priority"),
                "meta_data": list(a.get("meta_data", ["queue=default"])),
                "job_id": None,
                "disconnected_at": None,
            }
            if "job" in a:
                if state not in ("connected", "stopping"):
                    problems.append(f"{where}.job: only a connected agent can run a job (it is {state!r})")
                job = self._job(a["job"], record, f"{where}.job", origin, when)
                record["job_id"] = job["id"]
                staged.append(("jobs", job))
            staged.append(("agents", record))
        return staged

    @staticmethod
    def _job(j: Mapping[str, Any], agent: dict[str, Any], where: str, origin: float, when: Any) -> dict[str, Any]:
        command = j["command"] if isinstance(j["command"], str) else "\n".join(j["command"])
        started = when(j.get("started_at"), f"{where}.started_at", origin)
        return {
            "id": j.get("id") or stable_uuid("job", agent["id"], str(j.get("pipeline")), str(j.get("build_number"))),
            "organization": agent["organization"], "agent_id": agent["id"],
            "name": j.get("name", "build"), "command": command,
            "pipeline": j.get("pipeline", "pipeline"), "build_number": j.get("build_number", 1),
            "state": "running", "exit_status": None,
            "created_at": started - 12.0, "scheduled_at": started - 10.0, "started_at": started, "finished_at": None,
            "agent_query_rules": list(j.get("agent_query_rules", ["queue=default"])),
            "artifact_paths": j.get("artifact_paths"),
        }

    def after_load(self, store: Store, staged: Staged, origin: float) -> None:
        for collection, record in staged:
            if collection == "jobs":
                start_job(store, record)
            elif collection == "agents" and record["connection_state"] == "stopping" and not record["job_id"]:
                store.schedule(origin + 2.0, "agent.stopped", agent_id=record["id"])

    def rate_limit_reply(self, retry_after: int) -> Reply:
        """Buildkite's 429: ``RateLimit-*`` headers (200 requests a minute per organization), no ``Retry-After``."""
        message = (f"You have exceeded your rest API rate limit. Please wait {retry_after} seconds before making "
                   "more requests.")
        headers = {"RateLimit-Remaining": "0", "RateLimit-Limit": str(RATE_LIMIT), "RateLimit-Reset": str(retry_after),
                   "RateLimit-Scope": "rest"}
        return self.error_reply(ApiError(429, message, headers=headers))

    def on_event(self, store: Store, event: Event) -> None:
        apply_event(store, event)
