"""``null_fields``: every property a response schema documents is present (``null`` when blank, never omitted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import schemathesis

from contract_tests.checks._failure import ConformanceFailure
from contract_tests.checks._guards import documented_json, requires_ciapi_schema
from contract_tests.schema_tools import type_fits
from contract_tests.spec import resolve

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

__all__ = ["missing_properties", "null_fields"]

_MAX_DEPTH = 32
def missing_properties(root: Mapping[str, Any], schema: Any, instance: Any, path: str = "$") -> list[str]:
    """JSON paths (``$[3].priority``) of documented properties absent from ``instance``."""
    return _missing(root, schema, instance, path, 0)


def _missing(root: Mapping[str, Any], schema: Any, instance: Any, path: str, depth: int) -> list[str]:
    schema = resolve(root, schema)
    if not isinstance(schema, Mapping) or instance is None or depth > _MAX_DEPTH:
        return []
    found: list[str] = []
    for sub in schema.get("allOf") or []:
        found += _missing(root, sub, instance, path, depth + 1)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            found += _best_branch(root, schema[key], instance, path, depth)
    if isinstance(instance, dict):
        properties = schema.get("properties") or {}
        for name, sub in properties.items():
            if name not in instance:
                found.append(f"{path}.{name}")
            else:
                found += _missing(root, sub, instance[name], f"{path}.{name}", depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            for name in instance.keys() - properties.keys():
                found += _missing(root, extra, instance[name], f"{path}.{name}", depth + 1)
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(instance):
            found += _missing(root, schema["items"], item, f"{path}[{index}]", depth + 1)
    return found


def _best_branch(root: Mapping[str, Any], branches: list[Any], instance: Any, path: str, depth: int) -> list[str]:
    """Missing properties for the branch that fits ``instance`` best (none missing wins)."""
    results = [
        _missing(root, branch, instance, path, depth + 1) for branch in branches if type_fits(root, branch, instance)
    ]
    return min(results, key=len) if results else []


@schemathesis.check
@requires_ciapi_schema
def null_fields(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Documented properties of JSON response objects are present, with ``null`` for blank values."""
    documented = documented_json(case, response)
    if documented is None:
        return True
    root, schema, body = documented
    missing = missing_properties(root, schema, body)
    if not missing:
        return None
    names = sorted({path.rsplit(".", 1)[-1] for path in missing})
    shown = ", ".join(missing[:8]) + (f" (and {len(missing) - 8} more)" if len(missing) > 8 else "")
    raise ConformanceFailure(
        f"Documented properties missing: {', '.join(names)}",
        f"Received: a {response.status_code} body without {shown}\n"
        "Documented: every property in the response schema is present; blank values are `null`, never omitted",
    )
