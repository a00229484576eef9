"""builds.sr.ht jobs and artifacts: internal records, access rules and their wire format."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from mock_server.apis.builds_srht.manifest import Manifest, parse_manifest
from mock_server.store import Store

__all__ = [
    "DEFAULT_TIMEOUT", "ENDED", "PER_PAGE", "Caller", "artifact_json", "artifact_url", "can_read", "can_write",
    "job_json", "job_timeout", "manifest_of", "new_job", "next_id", "page_json", "srht_time", "username",
]

PER_PAGE = 50
DEFAULT_TIMEOUT = 45 * 60.0  # the runner's default `timeout` (builds.sr.ht worker config; UNVERIFIED for hosted)
ENDED = frozenset({"success", "failed", "timeout", "cancelled"})


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the token's user and the token record."""

    user: str
    token: Mapping[str, Any]


def username(name: str) -> str:
    """``~alice`` and ``alice`` name the same user."""
    return name[1:] if name.startswith("~") else name


def srht_time(ts: float) -> str:
    """``2024-01-02T03:04:05+00:00``: how srht writes datetimes."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def next_id(store: Store, collection: str) -> int:
    return max((int(r["id"]) for r in store.all(collection)), default=0) + 1


def job_timeout(store: Store) -> float:
    settings = store.find("settings", "settings")
    return float(settings["job_timeout"]) if settings else DEFAULT_TIMEOUT


def new_job(
    store: Store, *, owner: str, text: str, manifest: Manifest, created: float, origin: str,
    note: str | None = None, tags: Sequence[str] = (), read: Iterable[str] | None = None,
    write: Iterable[str] = (), secrets: bool = True, job_id: int | None = None,
    api_triggers: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A job record in ``pending`` state (not stored yet). ``origin`` is the mock's URL for webhook bodies."""
    readers = [username(u) for u in (["*"] if read is None else read)]
    return {
        "id": job_id if job_id is not None else next_id(store, "jobs"),
        "owner": owner,
        "manifest": text,
        "note": note,
        "tags": list(tags),
        "read": list(dict.fromkeys([owner, *readers])),
        "write": list(dict.fromkeys([owner, *(username(u) for u in write)])),
        "secrets": secrets,
        "api_triggers": [dict(t) for t in api_triggers],
        "status": "pending",
        "runner": False,
        "created": created,
        "updated": created,
        "started": None,
        "ended": None,
        "origin": origin,
        "run": 0,  # bumped whenever the job (re)starts or is cancelled: older scheduled events are ignored
        "plan": None,
        "tasks": [{"name": name, "script": script, "status": "pending"} for name, script in manifest.tasks],
    }


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> Manifest:
    manifest, problems = parse_manifest(text)
    if manifest is None:
        raise ValueError(f"a stored manifest is invalid: {problems[0].reason}")
    return manifest


def manifest_of(job: Mapping[str, Any]) -> Manifest:
    """The job's parsed manifest (records hold only JSON data, so that every store can keep them)."""
    return _parsed(job["manifest"])


def can_read(job: Mapping[str, Any], user: str | None) -> bool:
    return "*" in job["read"] or (user is not None and (user == job["owner"] or user in job["read"]))


def can_write(job: Mapping[str, Any], user: str) -> bool:
    return user == job["owner"] or user in job["write"]


# --- wire format --------------------------------------------------------------------------------
def job_json(job: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    runner = urlsplit(base_url).netloc if job["runner"] else None
    logs = f"{base_url}/logs/{job['id']}"
    return {
        "id": job["id"],
        "status": job["status"],
        "setup_log": f"{logs}/log" if runner else None,
        "tasks": [
            {"name": t["name"], "status": t["status"], "log": f"{logs}/{t['name']}/log" if runner else None}
            for t in job["tasks"]
        ],
        "note": job["note"],
        "runner": runner,
        "tags": "/".join(job["tags"]) or None,
        "owner": {"canonical_name": "~" + job["owner"], "name": job["owner"]},
    }


def artifact_url(artifact: Mapping[str, Any], base_url: str) -> str:
    return f"{base_url}/artifacts/~{artifact['owner']}/{artifact['job_id']}/{quote(artifact['name'])}"


def artifact_json(artifact: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    return {
        "id": artifact["id"],
        "created": srht_time(artifact["created"]),
        "path": artifact["path"],
        "name": artifact["name"],
        "url": artifact_url(artifact, base_url),
        "size": artifact["size"],
    }


def page_json(items: list[dict[str, Any]], next_id_: int | None, total: int) -> dict[str, Any]:
    return {"next": None if next_id_ is None else str(next_id_), "results": items, "total": total,
            "results_per_page": PER_PAGE}
