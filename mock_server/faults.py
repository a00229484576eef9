"""Faults on demand: rules that delay, fail, rate-limit, reset or truncate the mock's answers.

A rule applies to one operation (by ``operationId``) or to the whole API, fires with a probability, and
optionally only a number of times. Rules are data; ``FaultBoard`` keeps them where every worker sees them
(in memory for a memory store, in the SQLite meta table for a shared store) and draws its random numbers
from a seed, so the same seed and the same requests give the same faults. ``mock_server.fault_rules`` reads
the rules (text or JSON) and ``mock_server.fault_wsgi`` applies them on the request path. Pure: imports
neither Flask nor the spec.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from mock_server.fault_rules import FAULT_KINDS, FaultError, describe, http_reason, normalise_rule, parse_fault

__all__ = ["FAULT_KINDS", "FaultBoard", "FaultError", "Plan", "http_reason", "normalise_rule", "parse_fault"]

_RULES, _STATE = "fault_rules", "fault_state"  # keys in the board's key-value space


# --- where the rules live -----------------------------------------------------------------------
class _MemorySpace:
    """One process: the values sit here (a memory store is never shared by processes)."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.RLock()

    def get(self, key: str) -> Any:
        return self._values.get(key)

    def set(self, key: str, value: Any) -> None:
        self._values[key] = value

    def transaction(self) -> AbstractContextManager[Any]:
        return self._lock


class _SharedSpace:
    """Several workers: the values sit in the SQLite store's meta table (``meta_get``/``meta_set``)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def get(self, key: str) -> Any:
        return self._store.meta_get(key)

    def set(self, key: str, value: Any) -> None:
        self._store.meta_set(key, value)

    def transaction(self) -> AbstractContextManager[Any]:
        transaction: AbstractContextManager[Any] = self._store.transaction()
        return transaction


@dataclass(slots=True)
class Plan:
    """What to do to one request: sleep, then maybe one terminal fault; ``faults`` is what the journal shows."""

    latency_ms: float = 0.0
    final: dict[str, Any] | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)


class FaultBoard:
    """The fault rules of one mock server, with the seeded draws that decide probabilistic ones."""

    def __init__(self, store: Any, operations: Iterable[str], *, startup: Iterable[str | Mapping[str, Any]] = (),
                 seed: int | None = None) -> None:
        self.operations = tuple(operations)
        self._space = _SharedSpace(store) if hasattr(store, "meta_get") else _MemorySpace()
        self._startup = [normalise_rule(r, self.operations) for r in startup]
        self._seed = random.SystemRandom().randrange(2**32) if seed is None else seed
        #: fault kinds the server cannot carry out, with the reason (granian gives the app no socket to reset)
        self.refused: dict[str, str] = {}
        self.reset()

    # what the request path calls -----------------------------------------------------------------
    def active(self) -> list[dict[str, Any]] | None:
        """The rules in force (``None`` or empty when there is none): the one check on every request."""
        rules: list[dict[str, Any]] | None = self._space.get(_RULES)
        return rules

    def plan(self, rules: list[dict[str, Any]], operation: str | None) -> Plan:
        """Decide which rules fire for one request to ``operation`` (``None``: outside the spec's operations)."""
        plan = Plan()
        for rule in rules:
            if rule["operation"] is not None and rule["operation"] != operation:
                continue
            terminal = rule["kind"] != "latency"
            if terminal and plan.final is not None:
                continue
            if rule["probability"] < 1 and self._draw() >= rule["probability"]:
                continue
            if rule["times"] is not None and not self._consume(rule["id"]):
                continue
            shown: dict[str, Any] = {"rule": rule["id"], "kind": rule["kind"]}
            if terminal:
                plan.final = rule
                shown.update({k: rule[k] for k in ("status", "retry_after") if k in rule})
            else:
                low, high = rule["latency_ms"]
                ms = low if low == high else low + (high - low) * self._draw()
                plan.latency_ms += ms
                shown["ms"] = round(ms, 3)
            plan.faults.append(shown)
        return plan

    # what the admin plane and the Python API call --------------------------------------------------
    def rules(self) -> list[dict[str, Any]]:
        return list(self.active() or [])

    def add(self, data: str | Mapping[str, Any] | None = None, /, **fields: Any) -> dict[str, Any]:
        """Add a rule: ``add("getAgent:status=503")`` or ``add(kind="latency", latency_ms=200)``; returns it."""
        if data is not None and fields:
            raise FaultError("give a rule as text or as fields, not both")
        rule = self.check(data if data is not None else fields)
        with self._space.transaction():
            state = dict(self._space.get(_STATE))
            rule = {"id": state["next_id"], **rule}
            self._space.set(_STATE, {**state, "next_id": state["next_id"] + 1})
            self._space.set(_RULES, [*self.rules(), rule])
        return rule

    def check(self, data: str | Mapping[str, Any]) -> dict[str, Any]:
        """The rule, normalised; ``FaultError`` if it is malformed or its kind is refused by this server."""
        rule = normalise_rule(data, self.operations)
        if rule["kind"] in self.refused:
            raise FaultError(self.refused[rule["kind"]])
        return rule

    def remove(self, rule_id: int) -> bool:
        """Remove one rule; ``False`` if there is none with that id."""
        with self._space.transaction():
            rules = self.rules()
            kept = [r for r in rules if r["id"] != rule_id]
            self._space.set(_RULES, kept or None)
        return len(kept) != len(rules)

    def clear(self) -> None:
        """Remove every rule (those given at start-up too, until the next reset)."""
        self._space.set(_RULES, None)

    @property
    def seed(self) -> int:
        return int(self._space.get(_STATE)["seed"])

    def set_seed(self, seed: int) -> None:
        """Draw from ``seed`` from the first draw on again."""
        with self._space.transaction():
            self._space.set(_STATE, {**self._space.get(_STATE), "seed": int(seed), "draws": 0})

    def status(self) -> dict[str, Any]:
        state = self._space.get(_STATE)
        return {"faults": self.rules(), "seed": state["seed"], "draws": state["draws"]}

    def reset(self) -> None:
        """Back to the rules given at start-up and the first draw of the start-up seed."""
        with self._space.transaction():
            rules = [{"id": i, **rule} for i, rule in enumerate(self._startup, 1)]
            self._space.set(_STATE, {"seed": self._seed, "draws": 0, "next_id": len(rules) + 1})
            self._space.set(_RULES, rules or None)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rules())

    def __len__(self) -> int:
        return len(self.rules())

    # internals ---------------------------------------------------------------------------------
    def _draw(self) -> float:
        """The next number in [0, 1) of the seeded sequence (shared by the workers of a shared store)."""
        with self._space.transaction():
            state = self._space.get(_STATE)
            self._space.set(_STATE, {**state, "draws": state["draws"] + 1})
        digest = hashlib.blake2b(f"{state['seed']}:{state['draws']}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def _consume(self, rule_id: int) -> bool:
        """Use up one of a rule's ``times``; an exhausted rule is removed. ``False`` if it was already gone."""
        with self._space.transaction():
            rules = self.rules()
            rule = next((r for r in rules if r["id"] == rule_id), None)
            if rule is None:
                return False
            left = rule["times"] - 1
            others = [r for r in rules if r["id"] != rule_id]
            updated = [{**r, "times": left, "spec": describe({**r, "times": left})} if r["id"] == rule_id else r
                       for r in rules]
            self._space.set(_RULES, updated if left > 0 else (others or None))
        return True
