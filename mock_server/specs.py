"""Compile an OpenAPI 3.1 document once, at start-up, into per-operation validators.

Nothing here runs on the request path except the compiled ``Operation`` methods, which only call
precompiled jsonschema-rs validators: no spec walking, no ``$ref`` resolution per request.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

from contract_tests.catalog import load_spec

__all__ = ["BodySpec", "CompiledSpec", "Operation", "Param", "SpecError", "compile_spec", "resolve_refs"]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_MISSING = object()


class SpecError(ValueError):
    """The spec cannot drive a mock (bad ``$ref``, a cycle, a parameter style we do not support)."""


def resolve_refs(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with every local ``$ref`` inlined (siblings of a ``$ref`` kept via ``allOf``)."""
    cache: dict[str, Any] = {}

    def lookup(ref: str, stack: tuple[str, ...]) -> Any:
        if not ref.startswith("#/"):
            raise SpecError(f"only local references are supported, got {ref!r}")
        if ref in stack:
            raise SpecError(f"reference cycle: {' -> '.join((*stack, ref))}")
        if ref not in cache:
            node: Any = document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, Mapping) or part not in node:
                    raise SpecError(f"unresolvable reference {ref!r}")
                node = node[part]
            cache[ref] = walk(node, (*stack, ref))
        return copy.deepcopy(cache[ref])

    def walk(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, Mapping):
            if isinstance(node.get("$ref"), str):
                target = lookup(node["$ref"], stack)
                siblings = {k: walk(v, stack) for k, v in node.items() if k != "$ref"}
                return {"allOf": [target], **siblings} if siblings else target
            return {k: walk(v, stack) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, stack) for v in node]
        return node

    result = walk(document, ())
    assert isinstance(result, dict)
    return result


def _validator(schema: Mapping[str, Any]) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(_jsonschema(schema), validate_formats=True)


def _jsonschema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Drop OpenAPI-only keywords that JSON Schema does not know (``example``, ``xml``...)."""
    return {k: v for k, v in schema.items() if k not in ("example", "xml", "externalDocs")}


def errors_of(validator: jsonschema_rs.Draft202012Validator, instance: Any, where: str) -> list[str]:
    if validator.is_valid(instance):  # the common case, and cheaper than collecting no errors
        return []
    problems = []
    for error in validator.iter_errors(instance):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
        problems.append(f"{where}{path}: {error.message}")
    return problems


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    type: str  # the schema's primary type: string, integer, number, boolean, array
    item_type: str
    default: Any
    validator: jsonschema_rs.Draft202012Validator

    def coerce(self, raw: list[str]) -> tuple[Any, str | None]:
        """Turn the raw string(s) into the schema's type: (value, problem)."""
        if self.type == "array":
            values = [_coerce_scalar(v, self.item_type) for v in raw]
            bad = [v for v, ok in values if not ok]
            if bad:
                return None, f"{self.name}: {bad[0]!r} is not a valid {self.item_type}"
            return [v for v, _ in values], None
        value, ok = _coerce_scalar(raw[-1], self.type)
        if not ok:
            return None, f"{self.name}: {raw[-1]!r} is not a valid {self.type}"
        return value, None

    def check(self, value: Any) -> list[str]:
        return errors_of(self.validator, value, self.name)


def _coerce_scalar(value: str, kind: str) -> tuple[Any, bool]:
    if kind == "integer":
        return (int(value), True) if re.fullmatch(r"[+-]?\d{1,4000}", value) else (value, False)
    if kind == "number":
        try:
            return float(value), True
        except ValueError:
            return value, False
    if kind == "boolean":
        lowered = value.lower()
        return (lowered == "true", True) if lowered in ("true", "false") else (value, False)
    return value, True


@dataclass(frozen=True, slots=True)
class BodySpec:
    required: bool
    media_types: tuple[str, ...]
    validators: Mapping[str, jsonschema_rs.Draft202012Validator]


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    status: str  # "200", "4XX" or "default"
    validators: Mapping[str, jsonschema_rs.Draft202012Validator | None]  # media type -> body validator
    headers: Mapping[str, jsonschema_rs.Draft202012Validator]
    required_headers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # OpenAPI template, e.g. /v2/organizations/{org}/agents
    params: tuple[Param, ...]
    body: BodySpec | None
    scopes: tuple[str, ...]  # required scopes (any one security requirement's list)
    public: bool
    responses: Mapping[str, ResponseSpec]
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def flask_rule(self) -> str:
        return re.sub(r"\{([^}/]+)\}", r"<\1>", self.path)

    @property
    def documented_statuses(self) -> tuple[str, ...]:
        return tuple(self.responses)

    def response_for(self, status: int) -> ResponseSpec | None:
        key = str(status)
        return self.responses.get(key) or self.responses.get(f"{key[0]}XX") or self.responses.get("default")

    def validate_response(
        self, status: int, media_type: str | None, body: Any, headers: Mapping[str, str], *, empty: bool = False
    ) -> list[str]:
        """Problems with a response we are about to send: undocumented status, media type, body, headers.

        ``empty``: the body has zero bytes although ``media_type`` is set; only a media type documented
        without a schema allows that.
        """
        spec = self.response_for(status)
        if spec is None:
            return [f"status {status} is not documented for {self.operation_id} ({', '.join(self.responses)})"]
        problems: list[str] = []
        if spec.validators:
            if media_type is None or media_type not in spec.validators:
                return [f"{status}: media type {media_type!r} is not documented ({', '.join(spec.validators)})"]
            validator = spec.validators[media_type]
            if validator is not None and empty:
                problems.append(f"{status}: the body is empty, but the spec documents a schema for {media_type}")
            elif validator is not None and body is not _MISSING:
                problems += errors_of(validator, body, f"{status} body")
        elif media_type is not None:
            problems.append(f"{status}: documented without a body, but the response has {media_type!r}")
        lowered = {k.lower(): v for k, v in headers.items()}
        for name in spec.required_headers:
            if name.lower() not in lowered:
                problems.append(f"{status}: required header {name} is missing")
        for name, validator in spec.headers.items():
            if name.lower() in lowered:
                problems += errors_of(validator, lowered[name.lower()], f"{status} header {name}")
        return problems


@dataclass(frozen=True, slots=True)
class CompiledSpec:
    paths: tuple[Path, ...]
    operations: tuple[Operation, ...]
    scopes: tuple[str, ...]  # every scope any operation requires
    documents: tuple[Mapping[str, Any], ...] = field(repr=False)

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(operation_id)


def compile_spec(paths: tuple[Path, ...] | list[Path]) -> CompiledSpec:
    """Parse, resolve and compile one or more spec files served together."""
    operations: list[Operation] = []
    documents = []
    for path in paths:
        document = resolve_refs(load_spec(path))
        documents.append(document)
        default_security = document.get("security")
        for template, item in (document.get("paths") or {}).items():
            shared = item.get("parameters", [])
            for method in METHODS:
                if method in item:
                    try:
                        operations.append(_operation(template, method, item[method], shared, default_security))
                    except SpecError as exc:
                        raise SpecError(f"{path.name}: {method.upper()} {template}: {exc}") from None
    seen: set[str] = set()
    for op in operations:
        if op.operation_id in seen:
            raise SpecError(f"operationId {op.operation_id!r} is used twice")
        seen.add(op.operation_id)
    scopes = sorted({s for op in operations for s in op.scopes})
    return CompiledSpec(tuple(paths), tuple(operations), tuple(scopes), tuple(documents))


def _operation(
    template: str, method: str, raw: Mapping[str, Any], shared: list[Any], default_security: Any
) -> Operation:
    if "operationId" not in raw:
        raise SpecError("operation has no operationId")
    merged = {(p["name"], p["in"]): p for p in shared}
    merged.update({(p["name"], p["in"]): p for p in raw.get("parameters", [])})
    params = tuple(_param(p) for p in merged.values())
    security = raw.get("security", default_security)
    public = security is not None and (security == [] or {} in security)
    scopes: tuple[str, ...] = ()
    if security:
        scopes = tuple(next(iter(security[0].values()), []) or ())
    return Operation(
        operation_id=raw["operationId"],
        method=method.upper(),
        path=template,
        params=params,
        body=_body(raw.get("requestBody")),
        scopes=scopes,
        public=public,
        responses={str(code): _response(str(code), r) for code, r in (raw.get("responses") or {}).items()},
        raw=raw,
    )


def _param(raw: Mapping[str, Any]) -> Param:
    schema = raw.get("schema", {})
    kind = _primary_type(schema)
    item_kind = _primary_type(schema.get("items", {})) if kind == "array" else kind
    if raw.get("style", "form" if raw["in"] == "query" else "simple") not in ("form", "simple"):
        raise SpecError(f"parameter {raw['name']}: style {raw['style']!r} is not supported")
    return Param(
        name=raw["name"],
        location=raw["in"],
        required=bool(raw.get("required", raw["in"] == "path")),
        type=kind,
        item_type=item_kind,
        default=schema.get("default", _MISSING),
        validator=_validator(schema),
    )


def _primary_type(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _body(raw: Mapping[str, Any] | None) -> BodySpec | None:
    if not raw:
        return None
    content = raw.get("content") or {}
    return BodySpec(
        required=bool(raw.get("required", False)),
        media_types=tuple(content),
        validators={mt: _validator(c.get("schema", {})) for mt, c in content.items()},
    )


def _response(status: str, raw: Mapping[str, Any]) -> ResponseSpec:
    content = raw.get("content") or {}
    headers = raw.get("headers") or {}
    return ResponseSpec(
        status=status,
        validators={mt: (_validator(c["schema"]) if "schema" in c else None) for mt, c in content.items()},
        headers={name: _validator(h.get("schema", {})) for name, h in headers.items()},
        required_headers=tuple(name for name, h in headers.items() if h.get("required")),
    )


MISSING = _MISSING
