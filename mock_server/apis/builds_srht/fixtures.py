"""Fixture documents for builds-srht: users, tokens with a user, jobs (run from their start time) and settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mock_server.apis.builds_srht.lifecycle import begin, finish, queue
from mock_server.apis.builds_srht.manifest import MAX_MANIFEST, parse_manifest
from mock_server.apis.builds_srht.model import new_job, username
from mock_server.clock import parse_instant
from mock_server.profile import Staged
from mock_server.store import Store

__all__ = ["DEFAULT_MANIFEST", "after_load", "collection_schemas", "stage_records", "token_schema"]

DEFAULT_MANIFEST = """image: alpine/edge
tasks:
  - build: |
      echo building
      sleep 20
  - test: |
      echo testing
"""
FIXTURE_ORIGIN = "http://127.0.0.1:8083"  # where webhook bodies of fixture jobs point (no request gave one)
_USER = {"type": "string", "pattern": "^~?[a-z_][a-z0-9_-]*$"}
_TIME = {"type": "string", "minLength": 1}
_LIST = {"type": "array", "items": {"type": "string"}}


def token_schema(scopes: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["token"],
        "additionalProperties": False,
        "properties": {
            "token": {"type": "string", "pattern": r"^[\x21-\x7e]+$"},
            "scopes": {"type": "array", "items": {"enum": [*scopes, "*"]}, "uniqueItems": True},
            "user": {**_USER, "description": "the token's user; default: the first user of the fixtures"},
            "description": {"type": "string"},
        },
    }


def collection_schemas() -> dict[str, Any]:
    job = {
        "type": "object",
        "required": ["owner"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "owner": _USER,
            "manifest": {"type": "string", "minLength": 1, "maxLength": MAX_MANIFEST - 1},
            "note": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"}},
            "access:read": _LIST,
            "access:write": _LIST,
            "secrets": {"type": "boolean"},
            "status": {"enum": ["pending", "queued", "cancelled"],
                       "description": "a job that has not run; leave it out to run the job from `started`"},
            "created": _TIME,
            "started": _TIME,
        },
    }
    return {
        "users": {"type": "array", "items": {
            "type": "object", "required": ["name"], "additionalProperties": False,
            "properties": {"name": _USER, "email": {"type": "string", "format": "email"}}}},
        "jobs": {"type": "array", "items": job},
        "settings": {"type": "object", "additionalProperties": False, "properties": {
            "job_timeout": {"type": "string", "pattern": r"^\d+(\.\d+)?(s|m|h)$",
                            "description": "how long a job may run before it ends in `timeout` (default 45m)"}}},
    }


def stage_records(store: Store, document: Mapping[str, Any], origin: float, problems: list[str],
                  staged: Staged) -> Staged:
    """Add users, jobs and settings to ``staged`` (tokens are already there); report semantic problems."""
    users = [u["id"] for u in store.all("users")]
    for u in document.get("users", []):
        name = username(u["name"])
        users.append(name)
        staged.append(("users", {"id": name, "name": name, "email": u.get("email")}))
    tokens = [record for collection, record in staged if collection == "tokens"]
    for i, record in enumerate(tokens):
        if record.get("user") is not None:
            record["user"] = username(record["user"])
            if record["user"] not in users:
                problems.append(f"tokens[{i}] (token {record['id']!r}).user: no user {record['user']!r} in the "
                                "fixtures")
    if "settings" in document and "job_timeout" in document["settings"]:
        seconds = parse_instant("+" + document["settings"]["job_timeout"], origin=0.0)
        staged.append(("settings", {"id": "settings", "job_timeout": seconds}))
    ids = [int(r["id"]) for r in store.all("jobs")] + [j["id"] for j in document.get("jobs", []) if "id" in j]
    free = max(ids, default=0) + 1
    for i, j in enumerate(document.get("jobs", [])):
        if "id" not in j:
            j, free = {**j, "id": free}, free + 1
        job = _job(store, j, f"jobs[{i}] (id {j['id']})", origin, users, problems)
        if job is not None:
            staged.append(("jobs", job))
    return staged


def _job(store: Store, j: Mapping[str, Any], where: str, origin: float, users: list[str],
         problems: list[str]) -> dict[str, Any] | None:
    owner = username(j["owner"])
    if owner not in users:
        problems.append(f"{where}.owner: no user {owner!r} in the fixtures")
    text = j.get("manifest", DEFAULT_MANIFEST)
    manifest, errors = parse_manifest(text)
    problems += [f"{where}.{e.field}: {e.reason}" for e in errors]
    try:
        started = parse_instant(j.get("started", "+0s"), origin=origin)
        created = parse_instant(j["created"], origin=origin) if "created" in j else (
            started - 2.0 if "status" not in j else origin)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None
    if manifest is None:
        return None
    job = new_job(store, owner=owner, text=text, manifest=manifest, created=created, origin=FIXTURE_ORIGIN,
                  note=j.get("note"), tags=j.get("tags", []), read=j.get("access:read"),
                  write=j.get("access:write", []), secrets=j.get("secrets", True), job_id=j["id"])
    job["fixture"] = {"status": j.get("status"), "started": started}
    return job


def after_load(store: Store, staged: Staged, origin: float) -> None:
    """Put fixture jobs on the clock: queued ones wait for a runner, others run (or ran) from ``started``."""
    for collection, job in staged:
        if collection != "jobs":
            continue
        fixture = job.pop("fixture")
        if fixture["status"] == "queued":
            queue(store, job, origin)
        elif fixture["status"] == "cancelled":
            finish(store, job, "cancelled", job["created"])
        elif fixture["status"] is None and fixture["started"] > origin:
            job["run"] += 1
            job["status"] = "queued"
            store.schedule(fixture["started"], "job.begin", job_id=job["id"], run=job["run"])
        elif fixture["status"] is None:
            begin(store, job, fixture["started"])
