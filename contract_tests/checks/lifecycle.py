"""``lifecycle``: after an action (stop an agent, run a workflow), states only move along documented transitions.

A probe. An *action* is a non-GET operation whose success response links (OpenAPI ``links``) to a GET operation
whose response holds a state field with ``x-ciapi-transitions`` (see `contract_tests.lifecycle`). For each action
the probe picks up to two items from the parent list (different states, not final), describes each, acts, then
describes it again until every state is final or ``lifecycle_timeout`` passes. Against a ciapi mock it moves the
mock's clock (``POST /_mock/clock``) between polls instead of waiting, so a run takes a moment.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from contract_tests.checks._links import LinkedCall, resolve_link
from contract_tests.checks._probe import ProbeContext, finding, format_path, list_items, passed
from contract_tests.events import Event, ProbeSkipped
from contract_tests.http import Exchange
from contract_tests.lifecycle import IllegalTransition, TransitionTracker, has_state_machine, observe_states
from contract_tests.report.model import SkippedProbe
from contract_tests.spec import SpecOperation, iter_operations, resolve

__all__ = ["CHECK", "LifecycleAction", "find_actions", "probe_lifecycle"]

CHECK = "lifecycle"
PHASE = "lifecycle"
MOCK_STEPS = (1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)  # seconds of mock time between polls
LIVE_INTERVALS = (0.5, 1, 1, 2, 2, 3, 5)  # seconds between polls of a live server (the last one repeats)
MAX_CANDIDATES = 2


@dataclass(frozen=True, slots=True)
class LifecycleAction:
    operation: SpecOperation  # the action
    link: Mapping[str, Any]  # its response's link to the describe operation
    describe: SpecOperation


def find_actions(operations: list[SpecOperation]) -> list[LifecycleAction]:
    """Actions among ``operations`` (their describe operation may be any operation of the same spec)."""
    actions = []
    for operation in operations:
        if operation.method == "GET":
            continue
        by_id = {op.operation_id: op for op in iter_operations(operation.root)}
        for status, response in (operation.definition.get("responses") or {}).items():
            if not str(status).startswith("2"):
                continue
            for link in (resolve(operation.root, response).get("links") or {}).values():
                link = resolve(operation.root, link)
                target = by_id.get(link.get("operationId")) if isinstance(link, Mapping) else None
                if target is not None and target.method == "GET" and has_state_machine(target.root,
                                                                                        target.json_schema(200)):
                    actions.append(LifecycleAction(operation, link, target))
                    break
            else:
                continue
            break
    return actions


def probe_lifecycle(ctx: ProbeContext, action: LifecycleAction) -> Iterator[Event]:
    """Act on up to two items and follow their states; yields findings, passes and skips."""
    candidates = _candidates(ctx, action)
    reasons: list[str] = []
    acted = False
    for values in candidates:
        outcome = yield from _follow(ctx, action, values)
        if outcome:
            reasons.append(outcome)
        else:
            acted = True
    if not acted:
        reason = "; ".join(dict.fromkeys(reasons)) or "no item to act on"
        yield ProbeSkipped(skipped=SkippedProbe(check=CHECK, operation=action.operation.ref, reason=reason))


def _candidates(ctx: ProbeContext, action: LifecycleAction) -> list[dict[str, str]]:
    """Path values for the action: fixed ones, plus ids of list items in different, non-final states."""
    operation = action.operation
    free = [str(p["name"]) for p in operation.params_in("path") if str(p["name"]) not in ctx.fixed]
    base = {str(p["name"]): str(ctx.fixed[str(p["name"])]) for p in operation.params_in("path")
            if str(p["name"]) in ctx.fixed}
    if not free:
        return [base]
    name = free[-1]
    parent_path = operation.path[: operation.path.index("{" + name + "}")].rstrip("/")
    parent = next((op for op in iter_operations(operation.root) if op.method == "GET" and op.path == parent_path), None)
    if parent is None or len(free) > 1:
        return []
    exchange = ctx.client.send("GET", format_path(parent.path, ctx.path_values(parent)))
    ok, body = exchange.json()
    items = list_items(ctx.profile, parent, body) if ok and exchange.status == 200 else None
    item_schema = _item_schema(parent)
    chosen: dict[tuple[str, ...], dict[str, str]] = {}
    for item in items or []:
        if not isinstance(item, Mapping):
            continue
        states = observe_states(parent.root, item_schema, item)
        signature = tuple(sorted(str(o.state) for o in states))
        ident = item.get(name, item.get("id"))
        if ident is None or signature in chosen or all(not o.transitions.get(str(o.state)) for o in states):
            continue
        chosen[signature] = {**base, name: str(ident)}
        if len(chosen) == MAX_CANDIDATES:
            break
    return list(chosen.values())


def _item_schema(operation: SpecOperation) -> Any:
    schema = resolve(operation.root, operation.json_schema(200)) or {}
    if schema.get("type") == "array":
        return schema.get("items")
    arrays = [resolve(operation.root, s) for s in (schema.get("properties") or {}).values()]
    arrays = [s for s in arrays if isinstance(s, Mapping) and s.get("type") == "array"]
    return arrays[0].get("items") if len(arrays) == 1 else None


def _follow(ctx: ProbeContext, action: LifecycleAction, values: dict[str, str]) -> Generator[Event, None, str]:
    """Describe, act, poll. Returns a reason when the action could not be done (no finding), else ``""``."""
    tracker = TransitionTracker()
    call = LinkedCall(path_values=values, query=ctx.query_values(action.operation))
    has_body, body = action.operation.json_body_example()
    if has_body:
        call.body = body
    before = resolve_link(action.link, action.describe, call, None)
    if before is not None:
        exchange = _describe(ctx, action, before)
        if exchange is not None and exchange.status == 200:
            tracker.observe(_observe(action, exchange, before))
    sent = ctx.client.send(action.operation.method, format_path(action.operation.path, values),
                           params=call.query, **({"json": body} if has_body else {}))
    if not 200 <= sent.status < 300:
        return f"{action.operation.ref.short}: the action answered {sent.summary}"
    ok, answer = sent.json()
    target = resolve_link(action.link, action.describe, call, answer if ok else None)
    if target is None:
        return f"{action.operation.ref.short}: the link to {action.describe.operation_id} could not be resolved"
    illegal_seen = False
    waiter = _Waiter(ctx)
    confirmations = 1  # once every state is final, look once more: final states stay put
    while True:
        exchange = _describe(ctx, action, target)
        if exchange is None or exchange.status != 200:
            break
        observations = _observe(action, exchange, target)
        for illegal in tracker.observe(observations):
            illegal_seen = True
            yield _illegal(action, exchange, illegal)
        if not illegal_seen:
            yield from passed(CHECK, action.describe)
        if tracker.settled(observations):
            if confirmations == 0:
                break
            confirmations -= 1
        if not waiter.wait():
            break
    if not illegal_seen:
        yield from passed(CHECK, action.operation)
    return ""


def _describe(ctx: ProbeContext, action: LifecycleAction, values: dict[str, str]) -> Exchange | None:
    if any(v is None for v in values.values()):
        return None
    return ctx.client.send("GET", format_path(action.describe.path, values),
                           params=ctx.query_values(action.describe))


def _observe(action: LifecycleAction, exchange: Exchange, values: dict[str, str]) -> list[Any]:
    ok, body = exchange.json()
    if not ok:
        return []
    scope = format_path(action.describe.path, values)
    return observe_states(action.describe.root, action.describe.json_schema(200), body, scope=scope)


class _Waiter:
    """Between polls: move a ciapi mock's clock, or sleep until ``lifecycle_timeout`` is used up."""

    def __init__(self, ctx: ProbeContext) -> None:
        self.ctx = ctx
        self.deadline = time.monotonic() + ctx.lifecycle_timeout
        self.steps = iter(MOCK_STEPS)
        self.intervals = iter(LIVE_INTERVALS)

    def wait(self) -> bool:
        """Wait for the next poll; ``False`` when time is up."""
        if self.ctx.admin_url:
            step = next(self.steps, None)
            if step is None:
                return False
            url = f"{self.ctx.admin_url}/_mock/clock"
            return self.ctx.client.send("POST", url, authorization=None, json={"advance": step}).status == 200
        pause = next(self.intervals, LIVE_INTERVALS[-1])
        if time.monotonic() + pause > self.deadline:
            return False
        time.sleep(pause)
        return True


def _illegal(action: LifecycleAction, exchange: Exchange, illegal: IllegalTransition) -> Event:
    o = illegal.observation
    if illegal.allowed:
        documented = f"from {illegal.previous!r}, {o.field} moves only to {', '.join(illegal.allowed)}"
    else:
        documented = f"{illegal.previous!r} is final: {o.field} never leaves it"
    return finding(
        CHECK,
        action.describe,
        exchange,
        f"Illegal state transition: {o.field} {illegal.previous} -> {o.state}",
        f"Received: {o.path} was {illegal.previous!r}, then {o.state!r} (after {action.operation.ref.short})\n"
        f"Documented: {documented} (x-ciapi-transitions in the spec; unseen states in between are allowed)",
        PHASE,
    )
