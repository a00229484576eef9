"""OAuth tokens as srht's ``@oauth`` decorator checks them: ``token <t>`` or ``Bearer <t>``, then scopes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from werkzeug.datastructures import Headers

from mock_server.apis.builds_srht.errors import BAD_AUTH, BAD_TOKEN, NO_AUTH, NOT_PERMITTED
from mock_server.apis.builds_srht.model import Caller
from mock_server.handlers import ApiError
from mock_server.store import Store

__all__ = ["authenticate", "identify", "token_user"]

_SCHEMES = ("token ", "Bearer ", "Internal ")
DEFAULT_USER = "ciapi"  # the user of a token without one when the fixtures hold no user


def authenticate(headers: Headers, store: Store, scopes: Sequence[str]) -> Caller:
    """The caller, or the 401/403 the real service answers."""
    raw = headers.get("Authorization")
    if not raw or not raw.startswith(_SCHEMES):
        raise ApiError(401, NO_AUTH)
    parts = raw.split(" ")
    if len(parts) != 2:
        raise ApiError(401, BAD_AUTH)
    record = store.find("tokens", parts[1]) if parts[0] != "Internal" and parts[1] else None
    if record is None:
        raise ApiError(401, BAD_TOKEN)
    missing = [s for s in scopes if not _fulfils(record["scopes"], s)]
    if missing:
        raise ApiError(403, NOT_PERMITTED.format(scope=missing[0]))
    return Caller(user=token_user(store, record), token=record)


def identify(headers: Headers, store: Store) -> str | None:
    """The user of a valid token in ``headers``, or ``None`` (for operations that need no token)."""
    raw = headers.get("Authorization") or ""
    parts = raw.split(" ")
    if len(parts) != 2 or parts[0] not in ("token", "Bearer"):
        return None
    record = store.find("tokens", parts[1])
    return None if record is None else token_user(store, record)


def token_user(store: Store, record: Mapping[str, Any]) -> str:
    if record.get("user"):
        return str(record["user"])
    users = store.all("users")
    return str(users[0]["id"]) if users else DEFAULT_USER


def _fulfils(granted: Sequence[str], wanted: str) -> bool:
    """``*`` grants everything; ``jobs:write`` also grants ``jobs:read``."""
    if "*" in granted or wanted in granted:
        return True
    resource, _, access = wanted.partition(":")
    return access == "read" and f"{resource}:write" in granted
