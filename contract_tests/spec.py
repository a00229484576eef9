"""Read-only views of a raw OpenAPI document: operations, parameters, responses, with local ``$ref`` resolved.

The probes and our checks use these instead of schemathesis internals, so they work on any spec dict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "OperationMatcher",
    "OperationRef",
    "SpecOperation",
    "base_path",
    "documented_statuses",
    "find_operation",
    "iter_operations",
    "parameter_example",
    "resolve",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True, order=True)
class OperationRef:
    """Identifies an operation in reports: method, full path (server base path included) and operationId."""

    method: str
    path: str
    operation_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def display(self) -> str:
        """``GET /v2/organizations/{org}/agents (listAgents)``."""
        return f"{self.label} ({self.operation_id})" if self.operation_id else self.label

    @property
    def short(self) -> str:
        return self.operation_id or self.label


def resolve(root: Mapping[str, Any], node: Any, *, depth: int = 32) -> Any:
    """Follow local ``$ref`` pointers (``#/components/...``) until a non-reference node; unknown refs give ``{}``."""
    while isinstance(node, Mapping) and "$ref" in node and depth > 0:
        node = _lookup(root, str(node["$ref"]))
        depth -= 1
    return node


def _lookup(root: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        return {}
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return {}
        node = node[part]
    return node


def base_path(root: Mapping[str, Any]) -> str:
    """Path part of the first server URL (``/v2`` for ``https://api.buildkite.com/v2``), without a trailing slash."""
    servers = root.get("servers") or []
    if not servers or not isinstance(servers[0], Mapping):
        return ""
    return urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")


@dataclass(frozen=True, slots=True)
class SpecOperation:
    """One operation of a raw spec, with helpers to read its parameters and documented responses."""

    root: Mapping[str, Any] = field(repr=False)
    method: str  # upper case
    path: str  # as written in the spec
    definition: Mapping[str, Any] = field(repr=False)
    parameters: tuple[Mapping[str, Any], ...] = field(repr=False)

    @property
    def operation_id(self) -> str | None:
        value = self.definition.get("operationId")
        return str(value) if value is not None else None

    @property
    def ref(self) -> OperationRef:
        return OperationRef(self.method, base_path(self.root) + self.path, self.operation_id)

    def params_in(self, location: str) -> list[Mapping[str, Any]]:
        return [p for p in self.parameters if p.get("in") == location]

    def param(self, name: str, location: str | None = None) -> Mapping[str, Any] | None:
        for p in self.parameters:
            if p.get("name") == name and (location is None or p.get("in") == location):
                return p
        return None

    def response(self, status: int | str) -> Mapping[str, Any] | None:
        """The documented response for ``status``: exact code, then ``4XX`` style range, then ``default``."""
        responses = self.definition.get("responses") or {}
        code = str(status)
        for key in (code, f"{code[0]}XX", f"{code[0]}xx", "default"):
            if key in responses:
                return resolve(self.root, responses[key])
        return None

    def documents_status(self, status: int | str) -> bool:
        return str(status) in (self.definition.get("responses") or {})

    def json_schema(self, status: int | str) -> Any | None:
        """The JSON schema of the documented response for ``status`` (unresolved, may be a ``$ref``)."""
        response = self.response(status)
        content = (response or {}).get("content") or {}
        for media_type, media in content.items():
            if media_type.split(";")[0].strip() == "application/json" or media_type.endswith("+json"):
                return (media or {}).get("schema")
        return None

    def returns_list(self) -> bool:
        """A GET whose 200 response is a JSON array."""
        schema = resolve(self.root, self.json_schema(200))
        return self.method == "GET" and isinstance(schema, Mapping) and schema.get("type") == "array"

    def response_headers(self, status: int | str) -> set[str]:
        response = self.response(status) or {}
        return {name.lower() for name in (response.get("headers") or {})}

    def requires_auth(self) -> bool:
        security = self.definition.get("security", self.root.get("security"))
        if not security:
            return False
        # `{}` in the list means "anonymous is allowed too".
        return all(bool(requirement) for requirement in security)

    def json_body_example(self) -> tuple[bool, Any]:
        """``(has_json_body, example)``: the request body to send in probes (its example, else ``{}``)."""
        body = resolve(self.root, self.definition.get("requestBody")) or {}
        for media_type, media in (body.get("content") or {}).items():
            if media_type.split(";")[0].strip() == "application/json":
                media = media or {}
                if "example" in media:
                    return True, media["example"]
                for example in (media.get("examples") or {}).values():
                    example = resolve(self.root, example)
                    if isinstance(example, Mapping) and "value" in example:
                        return True, example["value"]
                return True, {}
        return False, None


def iter_operations(root: Mapping[str, Any]) -> Iterator[SpecOperation]:
    """Every operation of the spec, in document order."""
    for path, item in (root.get("paths") or {}).items():
        item = resolve(root, item)
        if not isinstance(item, Mapping):
            continue
        shared = [resolve(root, p) for p in item.get("parameters") or []]
        for method in HTTP_METHODS:
            definition = item.get(method)
            if not isinstance(definition, Mapping):
                continue
            own = [resolve(root, p) for p in definition.get("parameters") or []]
            keys = {(p.get("name"), p.get("in")) for p in own}
            merged = tuple([p for p in shared if (p.get("name"), p.get("in")) not in keys] + own)
            yield SpecOperation(root, method.upper(), str(path), definition, merged)


def parameter_example(root: Mapping[str, Any], parameter: Mapping[str, Any]) -> Any | None:
    """The parameter's ``example`` (or first ``examples`` value, or its schema's ``example``), if any."""
    if "example" in parameter:
        return parameter["example"]
    for example in (parameter.get("examples") or {}).values():
        example = resolve(root, example)
        if isinstance(example, Mapping) and "value" in example:
            return example["value"]
    schema = resolve(root, parameter.get("schema")) or {}
    if isinstance(schema, Mapping) and "example" in schema:
        return schema["example"]
    return None


def find_operation(root: Mapping[str, Any], method: str, path: str) -> SpecOperation | None:
    """The operation ``method path`` (path as written in the spec), or ``None``."""
    for operation in iter_operations(root):
        if operation.method == method.upper() and operation.path == path:
            return operation
    return None


class OperationMatcher:
    """Finds the operation a concrete request is for, from its method and URL (the server base path included).

    A base URL with a path prefix of its own (a proxy) works too: the spec path is matched at the end of the
    URL path. Literal segments win over templates (``/agents/stop`` before ``/agents/{id}``).
    """

    def __init__(self, roots: Iterable[Mapping[str, Any]]) -> None:
        self._patterns: list[tuple[re.Pattern[str], SpecOperation]] = []
        for root in roots:
            for operation in iter_operations(root):
                full = base_path(root) + operation.path
                pattern = re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(full))
                self._patterns.append((re.compile(f"(?:^|/){pattern.lstrip('/')}/?$"), operation))
        self._patterns.sort(key=lambda item: -len(re.sub(r"\{[^}]*\}", "", item[1].path)))

    def match(self, method: str, url: str) -> SpecOperation | None:
        path = urlsplit(url).path
        for pattern, operation in self._patterns:
            if operation.method == method.upper() and pattern.search(path):
                return operation
        return None


def documented_statuses(operation: SpecOperation) -> tuple[str, ...]:
    """The response keys of ``operation`` as written: ``"200"``, ``"4XX"``, ``"default"``."""
    return tuple(str(key) for key in (operation.definition.get("responses") or {}))
