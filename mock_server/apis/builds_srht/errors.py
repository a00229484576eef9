"""sourcehut's error envelope ``{"errors": [{"field"?, "reason"}]}`` and the real texts, for every error."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mock_server.handlers import ApiError, Reply

__all__ = [
    "BAD_AUTH", "BAD_TOKEN", "NO_AUTH", "NOT_FOUND", "NOT_PERMITTED", "TAGS_REASON", "UNAUTHORIZED",
    "error_reply", "field_errors", "not_found", "request_problems",
]

NO_AUTH = "No authorization supplied (expected an OAuth token)"
BAD_AUTH = "Invalid authorization supplied"
BAD_TOKEN = "Invalid or expired OAuth token"
NOT_PERMITTED = "Your OAuth token is not permitted to use this endpoint (needs {scope})"
NOT_FOUND = "404 not found"
UNAUTHORIZED = "401 unauthorized"
TAGS_REASON = ("Invalid tag name, tags must use lowercase alphanumeric characters, underscores, dashes, "
               "or dots")
MANIFEST_TOO_LONG = "Manifest must be less than 16384 bytes"

# Werkzeug's texts for errors raised before a handler runs, as srht answers them under /api.
_GENERIC = {"Not Found": NOT_FOUND, "Method Not Allowed": "405 method not allowed",
            "Request body too large": "413 request entity too large"}
# Python type names srht's Validation uses in "<field> should be a <type>".
_KINDS = {"manifest": "str", "note": "str", "tags": "list", "access:read": "list", "access:write": "list",
          "triggers": "list", "execute": "bool", "secrets": "bool"}
_ORDER = ("manifest", "note", "access:read", "access:write", "secrets", "tags", "triggers", "execute")
_REQUIRED = re.compile(r'^"(.+)" is a required property$')
_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_TRIGGER_ENUMS = {"action": "TriggerType", "condition": "TriggerCondition"}


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND)


def field_errors(status: int, errors: Sequence[dict[str, str]]) -> ApiError:
    """An error carrying several ``{"field"?, "reason"}`` items (the first one is its message)."""
    return ApiError(status, errors[0]["reason"], errors=list(errors))


def error_reply(error: ApiError) -> Reply:
    errors = error.extra.get("errors")
    if not errors:
        item: dict[str, Any] = {"reason": _GENERIC.get(error.message, error.message)}
        if error.extra.get("field"):
            item = {"field": error.extra["field"], **item}
        errors = [item]
    return Reply.json({"errors": errors}, status=error.status, headers=error.headers)


def request_problems(problems: list[str]) -> ApiError:
    """Turn the core's request problems into what srht answers: 404 for a bad path id, else field errors."""
    if any(p.startswith("id: ") for p in problems):
        return not_found()
    errors: list[dict[str, str]] = []
    for problem in problems:
        item = _translate(problem)
        if item not in errors:
            errors.append(item)
    errors.sort(key=_rank)
    return field_errors(400, errors)


def _rank(item: dict[str, str]) -> int:
    top = re.split(r"[.\[]", item.get("field", ""), maxsplit=1)[0]
    return _ORDER.index(top) if top in _ORDER else len(_ORDER)


def _translate(problem: str) -> dict[str, str]:
    if problem.startswith("start: "):
        return {"field": "start", "reason": "start should be an int"}
    if problem == "the request body is not valid JSON":
        return {"reason": "Invalid JSON provided"}
    if problem == "the request body is required":
        return {"field": "manifest", "reason": "manifest is required"}
    head, _, message = problem.partition(": ")
    if head != "body" and not head.startswith(("body.", "body[")):
        return {"reason": problem}
    path = [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _SEGMENT.finditer(head[4:])]
    required = _REQUIRED.match(message)
    if not path:
        if required:
            return {"field": required.group(1), "reason": f"{required.group(1)} is required"}
        return {"reason": "Expected JSON dictionary"}
    return _field_problem(path, message, required)


def _field_problem(path: list[str | int], message: str, required: re.Match[str] | None) -> dict[str, str]:
    name = str(path[0])
    if name == "manifest":
        reason = MANIFEST_TOO_LONG if "longer than" in message else (
            "manifest is required" if "shorter than" in message else "manifest should be a str")
        return {"field": "manifest", "reason": reason}
    if name == "tags" and len(path) > 1:
        return {"field": "tags", "reason": TAGS_REASON}
    if name == "triggers" and len(path) > 1:
        where = f"triggers[{path[1]}]"
        if required:
            return {"field": f"{where}.{required.group(1)}", "reason": f"{required.group(1)} is required"}
        if len(path) > 2 and str(path[2]) in _TRIGGER_ENUMS:
            key = str(path[2])
            return {"field": f"{where}.{key}", "reason": f"{key} should be a valid {_TRIGGER_ENUMS[key]}"}
        return {"field": where, "reason": "Expected JSON dictionary"}
    if name in _KINDS:
        return {"field": name, "reason": f"{name} should be a {_KINDS[name]}"}
    return {"field": name, "reason": message}
