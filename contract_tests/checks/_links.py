"""OpenAPI link parameters: runtime expressions (``$request.path.id``, ``$response.body#/0/id``) evaluated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contract_tests.spec import SpecOperation

__all__ = ["LinkedCall", "evaluate", "resolve_link"]

_UNSET = object()


@dataclass(slots=True)
class LinkedCall:
    """The request a link starts from."""

    path_values: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None


def _pointer(document: Any, pointer: str) -> Any:
    if pointer in ("", "/"):
        return document
    node = document
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return _UNSET
    return node


def evaluate(expression: Any, call: LinkedCall, response_body: Any, response_headers: Mapping[str, str] | None = None
             ) -> Any:
    """The value of one link parameter expression; ``None`` when it cannot be evaluated (yet)."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        return expression  # a constant
    source, _, rest = expression.partition("#")
    if source == "$response.body":
        value = _pointer(response_body, rest) if response_body is not None else _UNSET
    elif source == "$request.body":
        value = _pointer(call.body, rest) if call.body is not None else _UNSET
    elif source.startswith("$request.path."):
        value = call.path_values.get(source.removeprefix("$request.path."), _UNSET)
    elif source.startswith("$request.query."):
        value = call.query.get(source.removeprefix("$request.query."), _UNSET)
    elif source.startswith("$request.header."):
        value = call.headers.get(source.removeprefix("$request.header."), _UNSET)
    elif source.startswith("$response.header.") and response_headers is not None:
        value = response_headers.get(source.removeprefix("$response.header."), _UNSET)
    else:
        value = _UNSET
    return None if value is _UNSET else value


def resolve_link(
    link: Mapping[str, Any],
    target: SpecOperation,
    call: LinkedCall,
    response_body: Any,
    response_headers: Mapping[str, str] | None = None,
) -> dict[str, str] | None:
    """The target's path values the link gives, or ``None`` when one cannot be evaluated (yet)."""
    values: dict[str, str] = {}
    parameters = link.get("parameters") or {}
    for param in target.params_in("path"):
        name = str(param["name"])
        expression = parameters.get(name, parameters.get(f"path.{name}", _UNSET))
        if expression is _UNSET:
            expression = f"$request.path.{name}"  # same name in the source request (org)
        value = evaluate(expression, call, response_body, response_headers)
        if value is None or isinstance(value, Mapping | list):
            return None
        values[name] = str(value)
    return values
