"""State machines the spec documents, and a tracker that checks observed states only move along them.

A state field documents its transitions with ``x-ciapi-transitions`` on its schema: a map from each state to
the states it may move to next (a state with no entry, or ``[]``, is final)::

    connection_state:
      type: string
      enum: [connected, stopping, stopped]
      x-ciapi-transitions: {connected: [stopping], stopping: [stopped]}

The object that holds the field is identified by its ``id`` property, or by the dotted path that
``x-ciapi-identity`` names (``metadata.name``), looked up in the holder or any object around it.
Observations are compared by reachability: a poll can miss short-lived states, so a move is legal when the new
state can be reached from the old one through documented transitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contract_tests.schema_tools import type_fits
from contract_tests.spec import resolve

__all__ = [
    "IllegalTransition",
    "StateObservation",
    "TransitionTracker",
    "has_state_machine",
    "is_final",
    "observe_states",
    "reachable",
]

_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class StateObservation:
    key: tuple[str, ...]  # what the state belongs to: (identity value, field path in its holder) or a JSON path
    field: str  # the field name, e.g. "connection_state"
    path: str  # JSON path in the response, e.g. "$.job.state"
    state: Any
    transitions: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class IllegalTransition:
    observation: StateObservation
    previous: Any

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.observation.transitions.get(str(self.previous), ())


def _table(schema: Mapping[str, Any]) -> dict[str, tuple[str, ...]] | None:
    raw = schema.get("x-ciapi-transitions")
    if not isinstance(raw, Mapping):
        return None
    return {str(k): tuple(str(x) for x in (v or ())) for k, v in raw.items()}


def reachable(transitions: Mapping[str, tuple[str, ...]], start: str, goal: str) -> bool:
    """Whether ``goal`` is ``start`` or can follow it through documented transitions."""
    seen, todo = {start}, [start]
    while todo:
        for following in transitions.get(todo.pop(), ()):
            if following == goal:
                return True
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return start == goal


def is_final(transitions: Mapping[str, tuple[str, ...]], state: Any) -> bool:
    return not transitions.get(str(state))


def has_state_machine(root: Mapping[str, Any], schema: Any, _depth: int = 0) -> bool:
    """Whether a response schema contains a field with ``x-ciapi-transitions`` anywhere."""
    schema = resolve(root, schema)
    if not isinstance(schema, Mapping) or _depth > _MAX_DEPTH:
        return False
    if _table(schema) is not None:
        return True
    subs: list[Any] = [*(schema.get("properties") or {}).values(), schema.get("items")]
    subs.append(schema.get("additionalProperties"))
    for key in ("allOf", "anyOf", "oneOf"):
        subs += list(schema.get(key) or [])
    return any(has_state_machine(root, sub, _depth + 1) for sub in subs if isinstance(sub, Mapping))


def observe_states(root: Mapping[str, Any], schema: Any, body: Any, *, scope: str = "") -> list[StateObservation]:
    """Every documented state field in ``body``; ``scope`` keys states of objects without an identity."""
    found: list[StateObservation] = []
    _walk(root, schema, body, "$", [], scope, found, 0)
    return found


def _identity(holders: list[tuple[str, Any]], identity: str) -> tuple[str, str] | None:
    """(identity value, path of the holder) from the innermost object that has ``identity``."""
    for path, holder in reversed(holders):
        value: Any = holder
        for part in identity.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value), path
    return None


def _walk(
    root: Mapping[str, Any],
    schema: Any,
    instance: Any,
    path: str,
    holders: list[tuple[str, Any]],
    scope: str,
    found: list[StateObservation],
    depth: int,
) -> None:
    schema = resolve(root, schema)
    if not isinstance(schema, Mapping) or instance is None or depth > _MAX_DEPTH:
        return
    table = _table(schema)
    if table is not None and isinstance(instance, str | int) and holders:
        name = path.rsplit(".", 1)[-1]
        owner = _identity(holders, str(schema.get("x-ciapi-identity", "id")))
        if owner is not None:
            key: tuple[str, ...] = (owner[0], path[len(owner[1]):])
        else:
            key = (scope, path)
        found.append(StateObservation(key, name, path, instance, table))
        return
    for sub in schema.get("allOf") or []:
        _walk(root, sub, instance, path, holders, scope, found, depth + 1)
    for key_word in ("anyOf", "oneOf"):
        for sub in schema.get(key_word) or []:
            resolved = resolve(root, sub)
            if isinstance(resolved, Mapping) and type_fits(root, resolved, instance):
                _walk(root, resolved, instance, path, holders, scope, found, depth + 1)
                break
    if isinstance(instance, dict):
        inner = [*holders, (path, instance)]
        for name, sub in (schema.get("properties") or {}).items():
            if name in instance:
                _walk(root, sub, instance[name], f"{path}.{name}", inner, scope, found, depth + 1)
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(instance):
            _walk(root, schema["items"], item, f"{path}[{index}]", holders, scope, found, depth + 1)


@dataclass(slots=True)
class TransitionTracker:
    """The last state seen of every tracked field; `observe` returns the moves no documented path allows."""

    last: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def observe(self, observations: list[StateObservation]) -> list[IllegalTransition]:
        illegal = []
        for observation in observations:
            previous = self.last.get(observation.key)
            self.last[observation.key] = observation.state
            if previous is None or previous == observation.state:
                continue
            known = set(observation.transitions) | {s for v in observation.transitions.values() for s in v}
            if str(previous) not in known or str(observation.state) not in known:
                continue  # a value the table does not name: the schema's enum is the judge of that
            if not reachable(observation.transitions, str(previous), str(observation.state)):
                illegal.append(IllegalTransition(observation, previous))
        return illegal

    def settled(self, observations: list[StateObservation]) -> bool:
        """Whether every observed state is final."""
        return all(is_final(o.transitions, o.state) for o in observations)
