"""Shared pieces of the Semaphore mock: stable ids, the endpoints' time formats, counters, visibility."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from mock_server.clock import format_iso_ms
from mock_server.store import Store

__all__ = [
    "counter",
    "int64_string",
    "iso_ms",
    "pipeline_time",
    "seconds_nanos",
    "sha1",
    "stable_uuid",
    "unix_or_empty",
    "user_ref",
]

_NS = uuid.UUID("0c5ea7b1-54a2-4c1e-8d7b-3e9f1a2b4c6d")
EPOCH_ZERO = "1970-01-01 00:00:00.000000Z"


def stable_uuid(*parts: object) -> str:
    """A UUID derived from names, so that ids never change between runs."""
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def sha1(*parts: object) -> str:
    """A commit-like 40-hex digest derived from names."""
    return hashlib.sha1("/".join(str(p) for p in parts).encode(), usedforsecurity=False).hexdigest()


def counter(store: Store, name: str) -> int:
    """The next value of a named counter (1, 2, ...); counters live in the store, so a reset restarts them."""
    record = store.find("counters", name)
    if record is None:
        record = store.put("counters", {"id": name, "value": 0})
    record["value"] += 1
    return int(record["value"])


# --- the endpoints' time formats ------------------------------------------------------------------------------------
def _micros(ts: float) -> int:
    return round(ts * 1_000_000)


def seconds_nanos(ts: float | None) -> dict[str, int]:
    """``{"seconds", "nanos"}`` (workflows, pipeline list); an unset moment is all zeros."""
    if ts is None:
        return {"seconds": 0, "nanos": 0}
    micros = _micros(ts)
    return {"seconds": micros // 1_000_000, "nanos": (micros % 1_000_000) * 1000}


def pipeline_time(ts: float | None) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffffZ`` (pipeline describe); an unset moment is the epoch."""
    if ts is None:
        return EPOCH_ZERO
    micros = _micros(ts)
    dt = datetime.fromtimestamp(micros // 1_000_000, tz=UTC)
    return dt.strftime("%Y-%m-%d %H:%M:%S") + f".{micros % 1_000_000:06d}Z"


def int64_string(ts: float | None) -> str:
    """Unix seconds as a JSON string (grpc-gateway jobs); ``"0"`` when unset."""
    return "0" if ts is None else str(int(ts))


def unix_or_empty(ts: float | None) -> int | str:
    """Unix seconds as an integer (agent types, agents); ``""`` when unset."""
    return "" if ts is None else int(ts)


def iso_ms(ts: float | None) -> str | None:
    """ISO-8601 with milliseconds (v2); ``None`` when unset."""
    return None if ts is None else format_iso_ms(ts)


def user_ref(store: Store, user_id: str | None) -> dict[str, Any]:
    """A v2 requester: ``{"id", "type", "name"}``."""
    user = store.find("users", user_id) if user_id else None
    return {"id": user_id or "", "type": "USER", "name": user["name"] if user else ""}
