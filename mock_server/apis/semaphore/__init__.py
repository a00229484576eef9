"""Semaphore CI: the v1alpha public API and the v2 Jobs resource, served by one mock over one state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import Headers

from mock_server.apis.semaphore import agents, jobs, pipelines, retention, v2_jobs, workflows  # noqa: F401
from mock_server.apis.semaphore.agents import AGENTS_BY_NAME, schedule_gone
from mock_server.apis.semaphore.common import stable_uuid
from mock_server.apis.semaphore.errors import error_reply, invalid_request, text_error
from mock_server.apis.semaphore.fixtures import FIXTURE_WORKFLOWS, collection_schemas, stage_records
from mock_server.apis.semaphore.lifecycle import apply_event, create_workflow
from mock_server.apis.semaphore.registry import HANDLERS
from mock_server.handlers import ApiError, Reply
from mock_server.indexes import Index
from mock_server.profile import ApiProfile, Staged
from mock_server.specs import Operation
from mock_server.store import Event, Store

__all__ = ["Profile"]


class Profile(ApiProfile):
    name = "semaphore"
    handlers = HANDLERS
    state_fields = {"pipelines": "state", "jobs": "state", "agents": "state"}

    def indexes(self) -> list[Index]:
        return [AGENTS_BY_NAME]

    # auth -----------------------------------------------------------------------------------------------------------
    def authenticate(self, headers: Headers, store: Store, operation: Operation) -> Any:
        """``Token <t>`` or ``Bearer <t>`` (case-sensitive); the organization is the host's, else the token's."""
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        record = store.find("tokens", token) if scheme in ("Token", "Bearer") and token else None
        organization = _organization(headers, store, record) if record is not None else None
        if record is None or organization is None:
            raise text_error(401, "Unauthorized")
        return {"token": token, "organization_id": organization["id"],
                "user_id": _user(store, record, organization)}

    def full_access_token(self, token: str) -> dict[str, Any]:
        return {**super().full_access_token(token), "user": None}

    def token_schema(self) -> dict[str, Any]:
        schema = super().token_schema()
        schema["properties"]["user"] = {"type": ["string", "null"], "description": "the user (name) it belongs to"}
        return schema

    # errors ---------------------------------------------------------------------------------------------------------
    def error_reply(self, error: ApiError) -> Reply:
        return error_reply(error)

    def invalid_request(self, operation: Operation, problems: list[str]) -> ApiError:
        return invalid_request(operation.operation_id, problems)

    # fixtures -------------------------------------------------------------------------------------------------------
    def collection_schemas(self) -> dict[str, Any]:
        return collection_schemas()

    def stage(self, store: Store, document: Mapping[str, Any], origin: float, problems: list[str]) -> Staged:
        return super().stage(store, document, origin, problems) + stage_records(store, document, origin, problems)

    def after_load(self, store: Store, staged: Staged, origin: float) -> None:
        for collection, request in staged:
            if collection == "agents" and request["disabled_at"] is not None:
                schedule_gone(store, request, request["disabled_at"])
            if collection == FIXTURE_WORKFLOWS:
                store.delete(FIXTURE_WORKFLOWS, request["id"])
                create_workflow(store, store.get("projects", request["project_id"]), now=request["created_at"],
                                reference=request["reference"], requester_id=request["requester_id"],
                                triggered_by=request["triggered_by"], pipeline_file=request["pipeline_file"],
                                commit_sha=request["commit_sha"], parameters=request["parameters"],
                                wf_id=request["wf_id"], ppl_id=request["ppl_id"])

    # lifecycle ------------------------------------------------------------------------------------------------------
    def on_event(self, store: Store, event: Event) -> None:
        if event.kind == "agent.gone":
            store.delete("agents", event.data["agent_id"])
        else:
            apply_event(store, event)


def _organization(headers: Headers, store: Store, token: Mapping[str, Any]) -> dict[str, Any] | None:
    """The host's organization (``<org>.semaphoreci.com``) if it has one, else the token's first, else the first."""
    allowed = token.get("organizations")
    by_name = {o["name"]: o for o in store.all("organizations")}
    host = headers.get("Host", "").split(":")[0]
    subdomain = host.split(".")[0] if "." in host else ""
    if subdomain in by_name:
        return by_name[subdomain] if allowed is None or subdomain in allowed else None
    if allowed:
        return next((by_name[name] for name in allowed if name in by_name), None)
    return next(iter(by_name.values()), None)


def _user(store: Store, token: Mapping[str, Any], organization: Mapping[str, Any]) -> str:
    users = store.all("users")
    named = next((u for u in users if u["name"] == token.get("user")), None)
    member = next((u for u in users if u.get("organization_id") == organization["id"]), None)
    chosen = named or member
    return str(chosen["id"]) if chosen else stable_uuid("user", token["id"])
