"""What a probe (a check that sends its own requests) gets to work with."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from contract_tests.events import ChecksPassed, Event, FindingReported
from contract_tests.http import Exchange, ProbeClient
from contract_tests.profiles import ApiProfile
from contract_tests.report.model import Finding
from contract_tests.spec import SpecOperation, resolve

__all__ = ["ProbeContext", "format_path", "list_items"]


def format_path(template: str, values: Mapping[str, Any]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path


@dataclass(slots=True, kw_only=True)
class ProbeContext:
    """Shared state of the probe phases: client, profile, fixed parameter values, seeded randomness."""

    client: ProbeClient
    profile: ApiProfile
    operations: Sequence[SpecOperation]
    fixed: Mapping[str, Any]  # parameter name -> value (--param, else the spec example of path parameters)
    rng: random.Random
    limited_authorization: str | None = None
    limited_skip_reason: str = "no token without scopes (pass --limited-token)"
    admin_url: str | None = None  # where a ciapi mock answers /_mock/... (None: not a ciapi mock)
    lifecycle_timeout: float = 60.0
    _discovered: dict[str, str | None] = field(default_factory=dict)

    def path_values(self, operation: SpecOperation) -> dict[str, str]:
        """Values for every path parameter: fixed ones, else a real id from the parent list, else an unknown one."""
        values: dict[str, str] = {}
        for param in operation.params_in("path"):
            name = str(param.get("name"))
            if name in self.fixed:
                values[name] = str(self.fixed[name])
            else:
                values[name] = self.discover_id(operation, name) or self.unknown_value(operation, param)
        return values

    def query_values(self, operation: SpecOperation) -> dict[str, str]:
        return {
            str(p["name"]): str(self.fixed[str(p["name"])])
            for p in operation.params_in("query")
            if p["name"] in self.fixed
        }

    def unknown_value(self, operation: SpecOperation, param: Mapping[str, Any]) -> str:
        """A well-formed value that names nothing (a random UUID, a large integer, or a marked string)."""
        schema = resolve(operation.root, param.get("schema")) or {}
        if schema.get("format") == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if schema.get("type") == "integer":
            return str(self.rng.randrange(10**8, 10**9))
        return f"ciapi-unknown-{self.rng.getrandbits(32):08x}"

    def discover_id(self, operation: SpecOperation, name: str) -> str | None:
        """The ``id`` of the first item of the list operation one level above ``{name}``, if there is one."""
        marker = "{" + name + "}"
        parent_path = operation.path[: operation.path.index(marker)].rstrip("/")
        if parent_path in self._discovered:
            return self._discovered[parent_path]
        self._discovered[parent_path] = None
        parent = next((op for op in self.operations if op.method == "GET" and op.path == parent_path), None)
        if parent is None:
            return None
        exchange = self.client.send("GET", format_path(parent.path, self.path_values(parent)))
        ok, body = exchange.json()
        items = list_items(self.profile, parent, body) if ok and exchange.status == 200 else None
        if items and isinstance(items[0], dict):
            value = items[0].get(name) if name in items[0] else items[0].get(self._item_key(parent))
            self._discovered[parent_path] = str(value) if value is not None else None
        return self._discovered[parent_path]

    def _item_key(self, operation: SpecOperation) -> str:
        style = self.profile.pagination_for(operation)
        return style.item_key if style is not None else "id"


def list_items(profile: ApiProfile, operation: SpecOperation, body: Any) -> list[Any] | None:
    """The items of a list response: the pagination style's, a bare array, or an object's only array property."""
    style = profile.pagination_for(operation)
    if style is not None:
        return style.items(body)
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        arrays = [value for value in body.values() if isinstance(value, list)]
        return arrays[0] if len(arrays) == 1 else None
    return None


def finding(
    check: str, operation: SpecOperation, exchange: Exchange | None, title: str, message: str, phase: str
) -> Event:
    return FindingReported(
        finding=Finding(
            check=check,
            operation=operation.ref,
            title=title,
            message=message,
            curl=exchange.curl if exchange is not None else None,
            response=exchange.summary if exchange is not None else None,
            phase=phase,
            exchange=exchange.record if exchange is not None else None,
        )
    )


def passed(check: str, operation: SpecOperation, count: int = 1) -> Iterator[Event]:
    if count:
        yield ChecksPassed(operation=operation.ref, check=check, count=count)
