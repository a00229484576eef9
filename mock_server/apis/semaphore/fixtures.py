"""The fixture format of the Semaphore mock: its JSON Schema, and staging a document into records.

Workflows in fixtures are *run* from the project's pipeline file at their ``created_at``: the lifecycle events
of the past fire when the fixtures load, so a workflow created two days ago is done, with real results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mock_server.apis.semaphore.common import sha1, stable_uuid
from mock_server.apis.semaphore.lifecycle import normalize_path
from mock_server.profile import Staged
from mock_server.seeding import fixture_time
from mock_server.store import Store

__all__ = ["FIXTURE_WORKFLOWS", "collection_schemas", "stage_records"]

FIXTURE_WORKFLOWS = "_fixture_workflows"  # staged, run by after_load, then removed
_NAME = {"type": "string", "minLength": 1}
_TIME = {"type": "string", "minLength": 1, "description": "ISO-8601, or an offset from the clock start: -2h"}
_SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}
_UUID = {"type": "string", "format": "uuid"}
_RULES = {"type": "array", "items": {"type": "object", "required": ["selector", "age"], "additionalProperties": False,
                                     "properties": {"selector": _NAME, "age": _NAME}}}
TRIGGERS = ["HOOK", "SCHEDULE", "API", "MANUAL_RUN"]


def _records(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "object", "required": required, "additionalProperties": False,
                                       "properties": properties}}


def collection_schemas() -> dict[str, Any]:
    return {
        "organizations": _records(["name"], {"name": _SLUG, "id": _UUID}),
        "users": _records(["name"], {"name": _NAME, "id": _UUID, "login": _NAME, "uid": _NAME,
                                     "organization": _SLUG}),
        "projects": _records(["name", "organization"], {
            "name": _NAME, "organization": _SLUG, "id": _UUID, "repository_id": _UUID,
            "files": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "repository files by path, e.g. .semaphore/semaphore.yml"}}),
        "tasks": _records(["name", "project"], {
            "name": _NAME, "project": _NAME, "id": _UUID, "branch": _NAME, "pipeline_file": _NAME,
            "parameters": _records(["name"], {"name": _NAME, "required": {"type": "boolean"},
                                              "default_value": {"type": ["string", "null"]},
                                              "description": {"type": "string"}})}),
        "workflows": _records(["project"], {
            "project": _NAME, "id": _UUID, "pipeline_id": _UUID, "branch": _NAME, "reference": _NAME,
            "commit_sha": {"type": "string", "pattern": "^[0-9a-f]{40}$"}, "pipeline_file": _NAME,
            "created_at": _TIME, "requester": _NAME, "triggered_by": {"enum": TRIGGERS},
            "parameters": {"type": "object", "additionalProperties": {"type": "string"}}}),
        "agent_types": _records(["organization", "name"], {
            "organization": _SLUG, "name": {"type": "string", "pattern": "^s1-[a-zA-Z0-9-_]+$"},
            "assignment_origin": {"enum": ["assignment_origin_agent", "assignment_origin_aws_sts"]},
            "release_after": {"type": "integer", "minimum": 0}, "created_at": _TIME, "updated_at": _TIME,
            "aws": {"type": "object", "required": ["account_id", "role_name_patterns"], "additionalProperties": False,
                    "properties": {"account_id": _NAME, "role_name_patterns": _NAME}}}),
        "agents": _records(["organization", "type", "name"], {
            "organization": _SLUG, "type": _NAME, "name": _NAME,
            "count": {"type": "integer", "minimum": 1, "description": "that many agents; name holds {n}"},
            "state": {"enum": ["waiting_for_job", "running_job"]}, "version": _NAME, "os": _NAME, "arch": _NAME,
            "hostname": _NAME, "ip_address": _NAME, "pid": {"type": "integer"}, "connected_at": _TIME,
            "disabled_at": _TIME}),
        "retention_policies": _records(["project"], {"project": _NAME, "project_level": _RULES,
                                                     "workflow_level": _RULES, "job_level": _RULES}),
    }


class _Stager:
    def __init__(self, store: Store, document: Mapping[str, Any], origin: float, problems: list[str]) -> None:
        self.store, self.document, self.origin, self.problems = store, document, origin, problems
        self.staged: Staged = []
        self.orgs = {o["name"]: o["id"] for o in store.all("organizations")}
        self.users = {u["name"]: u["id"] for u in store.all("users")}
        self.projects = {p["name"]: p for p in store.all("projects")}
        self.types = {t["id"] for t in store.all("agent_types")}

    def when(self, value: Any, where: str, default: float | None) -> float | None:
        return fixture_time(value, where, default, origin=self.origin, problems=self.problems)

    def each(self, collection: str, label: str, stage: Callable[[dict[str, Any], str, int], None]) -> None:
        for i, item in enumerate(self.document.get(collection, [])):
            stage(item, f"{collection}[{i}] ({label} {item.get(label)!r})", i)

    def org(self, name: str, where: str) -> str:
        if name not in self.orgs:
            self.problems.append(f"{where}.organization: no organization {name!r} in the fixtures")
        return self.orgs.get(name, "")

    def project(self, name: str, where: str) -> dict[str, Any] | None:
        project = self.projects.get(name) or next((p for p in self.projects.values() if p["id"] == name), None)
        if project is None:
            self.problems.append(f"{where}.project: no project {name!r} in the fixtures")
        return project

    def organization(self, item: dict[str, Any], where: str, i: int) -> None:
        self.orgs[item["name"]] = item.get("id") or stable_uuid("organization", item["name"])
        self.staged.append(("organizations", {"id": self.orgs[item["name"]], "name": item["name"]}))

    def user(self, item: dict[str, Any], where: str, i: int) -> None:
        uid = item.get("uid", str(30660198 + i))
        self.users[item["name"]] = item.get("id") or stable_uuid("user", item["name"])
        org = self.org(item["organization"], where) if "organization" in item else None
        self.staged.append(("users", {"id": self.users[item["name"]], "name": item["name"],
                                      "login": item.get("login", item["name"]), "uid": uid, "organization_id": org,
                                      "avatar": f"https://avatars.githubusercontent.com/u/{uid}?v=4"}))

    def project_record(self, item: dict[str, Any], where: str, i: int) -> None:
        org = self.org(item["organization"], where)
        pid = item.get("id") or stable_uuid("project", item["organization"], item["name"])
        record = {"id": pid, "name": item["name"], "organization_id": org,
                  "repository_id": item.get("repository_id") or stable_uuid("repository", pid),
                  "files": {normalize_path(k): v for k, v in item.get("files", {}).items()}}
        self.projects[item["name"]] = record
        self.staged.append(("projects", record))

    def task(self, item: dict[str, Any], where: str, i: int) -> None:
        project = self.project(item["project"], where)
        if project is None:
            return
        params = [{"name": p["name"], "required": p.get("required", False), "default_value": p.get("default_value"),
                   "description": p.get("description", "")} for p in item.get("parameters", [])]
        self.staged.append(("tasks", {
            "id": item.get("id") or stable_uuid("task", project["id"], item["name"]), "name": item["name"],
            "project_id": project["id"], "organization_id": project["organization_id"],
            "branch": item.get("branch", "master"), "pipeline_file": normalize_path(item.get("pipeline_file")),
            "parameters": params}))

    def workflow(self, item: dict[str, Any], where: str, i: int) -> None:
        project = self.project(item["project"], where)
        requester = item.get("requester")
        if requester is not None and requester not in self.users:
            self.problems.append(f"{where}.requester: no user {requester!r} in the fixtures")
        if project is None:
            return
        reference = item.get("reference") or f"refs/heads/{item.get('branch', 'master')}"
        self.staged.append((FIXTURE_WORKFLOWS, {
            "id": f"fixture-{len(self.staged)}", "project_id": project["id"], "reference": reference,
            "wf_id": item.get("id"), "ppl_id": item.get("pipeline_id"), "commit_sha": item.get("commit_sha"),
            "pipeline_file": item.get("pipeline_file"), "parameters": item.get("parameters", {}),
            "created_at": self.when(item.get("created_at"), f"{where}.created_at", self.origin - 3600),
            "requester_id": self.users.get(requester or "", next(iter(self.users.values()), "")),
            "triggered_by": TRIGGERS.index(item.get("triggered_by", "HOOK"))}))

    def agent_type(self, item: dict[str, Any], where: str, i: int) -> None:
        org = self.org(item["organization"], where)
        created = self.when(item.get("created_at"), f"{where}.created_at", self.origin - 30 * 86400)
        key = f"{org}/{item['name']}"
        self.types.add(key)
        origin = item.get("assignment_origin", "assignment_origin_agent")
        self.staged.append(("agent_types", {
            "id": key, "organization_id": org, "name": item["name"], "assignment_origin": origin,
            "release_after": item.get("release_after", 0), "aws": item.get("aws"), "created_at": created,
            "updated_at": self.when(item.get("updated_at"), f"{where}.updated_at", created),
            "registration_token": sha1("registration", key, "fixture")}))

    def agents(self, item: dict[str, Any], where: str, i: int) -> None:
        org = self.org(item["organization"], where)
        if f"{org}/{item['type']}" not in self.types:
            self.problems.append(f"{where}.type: no agent type {item['type']!r} in {item['organization']!r}")
        count = item.get("count", 1)
        if count > 1 and "{n}" not in item["name"]:
            self.problems.append(f"{where}.name: with count, the name needs a {{n}} placeholder")
            return
        connected = self.when(item.get("connected_at"), f"{where}.connected_at", self.origin - 86400)
        for n in range(1, count + 1):
            name = item["name"].replace("{n}", f"{n:03d}")
            self.staged.append(("agents", {
                "id": f"{org}/{name}", "organization_id": org, "name": name, "type": item["type"],
                "state": item.get("state", "waiting_for_job"), "version": item.get("version", "v2.2.23"),
                "os": item.get("os", "Ubuntu 22.04.4 LTS"), "arch": item.get("arch", "x86_64"),
                "hostname": item.get("hostname", name), "ip_address": item.get("ip_address", f"10.2.{i}.{n % 250}"),
                "pid": item.get("pid", 1000 + n), "connected_at": connected,
                "disabled_at": self.when(item.get("disabled_at"), f"{where}.disabled_at", None)}))

    def retention(self, item: dict[str, Any], where: str, i: int) -> None:
        project = self.project(item["project"], where)
        if project is not None:
            levels = {f"{level}_level_retention_policies": [dict(rule) for rule in item.get(f"{level}_level", [])]
                      for level in ("project", "workflow", "job")}
            self.staged.append(("retention_policies", {"id": project["id"], **levels}))


def stage_records(store: Store, document: Mapping[str, Any], origin: float, problems: list[str]) -> Staged:
    """Records for every collection of ``document``; semantic problems are appended to ``problems``."""
    stager = _Stager(store, document, origin, problems)
    stager.each("organizations", "name", stager.organization)
    stager.each("users", "name", stager.user)
    stager.each("projects", "name", stager.project_record)
    stager.each("tasks", "name", stager.task)
    stager.each("workflows", "project", stager.workflow)
    stager.each("agent_types", "name", stager.agent_type)
    stager.each("agents", "name", stager.agents)
    stager.each("retention_policies", "project", stager.retention)
    for i, token in enumerate(document.get("tokens", [])):
        where = f"tokens[{i}] (token {token['token']!r})"
        for name in token.get("organizations") or []:
            stager.org(name, where)
        if token.get("user") and token["user"] not in stager.users:
            problems.append(f"{where}.user: no user {token['user']!r} in the fixtures")
    return stager.staged
