"""JSON Schema helpers for OpenAPI schemas: inline local ``$ref``s, map OpenAPI 3.0 ``nullable``, validate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from contract_tests.spec import resolve

__all__ = ["allows_null", "to_json_schema", "validation_errors"]

_MAX_DEPTH = 24


def to_json_schema(root: Mapping[str, Any], schema: Any, *, _depth: int = 0) -> Any:
    """A self-contained JSON Schema: local refs inlined (recursion cut at a fixed depth), ``nullable`` mapped."""
    if _depth > _MAX_DEPTH:
        return {}
    schema = resolve(root, schema)
    if isinstance(schema, list):
        return [to_json_schema(root, item, _depth=_depth + 1) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "definitions", "$defs") and isinstance(value, Mapping):
            out[key] = {name: to_json_schema(root, sub, _depth=_depth + 1) for name, sub in value.items()}
        elif key in ("example", "examples", "enum", "const", "default", "required", "type"):
            out[key] = value
        elif isinstance(value, Mapping | list):
            out[key] = to_json_schema(root, value, _depth=_depth + 1)
        else:
            out[key] = value
    if out.pop("nullable", False) is True:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def validation_errors(root: Mapping[str, Any], schema: Any, instance: Any, *, limit: int = 5) -> list[str]:
    """Messages of the first ``limit`` errors of ``instance`` against ``schema`` (empty when valid)."""
    validator = jsonschema.Draft202012Validator(to_json_schema(root, schema))
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    messages = []
    for error in errors[:limit]:
        where = "".join(f"[{p!r}]" for p in error.absolute_path) or "(root)"
        messages.append(f"{where}: {error.message}")
    return messages


def allows_null(root: Mapping[str, Any], schema: Any, *, _depth: int = 0) -> bool:
    """Whether ``schema`` accepts ``null`` (``nullable``, ``type: [.., "null"]``, a null branch of anyOf/oneOf)."""
    schema = resolve(root, schema)
    if not isinstance(schema, Mapping) or _depth > _MAX_DEPTH:
        return False
    if schema.get("nullable") is True:
        return True
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "enum" in schema and None in (schema.get("enum") or []):
        return True
    return any(allows_null(root, sub, _depth=_depth + 1) for key in ("anyOf", "oneOf") for sub in schema.get(key) or [])


_JSON_TYPES: dict[type, str] = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def type_fits(root: Mapping[str, Any], schema: Any, instance: Any) -> bool:
    """Whether ``instance`` has a type ``schema`` declares (no ``type``: anything fits); picks union branches."""
    schema = resolve(root, schema)
    if not isinstance(schema, Mapping):
        return True
    declared = schema.get("type")
    if declared is None:
        return True
    kinds = {declared} if isinstance(declared, str) else set(declared)
    if schema.get("nullable") is True:
        kinds.add("null")
    actual = _JSON_TYPES.get(type(instance), "number")
    if actual == "number" and isinstance(instance, int):
        return bool(kinds & {"integer", "number"})
    return actual in kinds
