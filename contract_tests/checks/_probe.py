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

__all__ = ["ProbeContext", "format_path"]


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
        if parent is None or not parent.returns_list():
            return None
        exchange = self.client.send("GET", format_path(parent.path, self.path_values(parent)))
        ok, body = exchange.json()
        key = self.profile.pagination.item_key if self.profile.pagination else "id"
        if exchange.status == 200 and ok and isinstance(body, list) and body and isinstance(body[0], dict):
            value = body[0].get(key)
            self._discovered[parent_path] = str(value) if value is not None else None
        return self._discovered[parent_path]


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
        )
    )


def passed(check: str, operation: SpecOperation, count: int = 1) -> Iterator[Event]:
    if count:
        yield ChecksPassed(operation=operation.ref, check=check, count=count)
