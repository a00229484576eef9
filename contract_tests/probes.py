"""The probe phases: our checks that send their own requests (error_codes, pagination, lifecycle)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import requests

from contract_tests.checks._probe import ProbeContext
from contract_tests.checks.error_codes import probe_error_codes
from contract_tests.checks.lifecycle import find_actions, probe_lifecycle
from contract_tests.checks.pagination import is_paginated_list, probe_pagination
from contract_tests.events import Event, PhaseFinished, PhaseStarted, ResponseObserved, RunErrored, StepFinished
from contract_tests.http import ProbeClient, ProbeError
from contract_tests.plan import RunPlan
from contract_tests.report.model import RunError
from contract_tests.spec import OperationMatcher, SpecOperation

__all__ = ["planned_probe_steps", "run_probes"]

Probe = Callable[[ProbeContext, Any], Iterator[Event]]


def _targets(plan: RunPlan, operations: list[SpecOperation]) -> dict[str, list[Any]]:
    """What each selected probe runs on: operations, list operations, lifecycle actions."""
    targets: dict[str, list[Any]] = {}
    if "error_codes" in plan.checks:
        targets["error_codes"] = list(operations)
    if "pagination" in plan.checks:
        targets["pagination"] = [op for op in operations if is_paginated_list(op, plan.profile.pagination_for(op))]
    if "lifecycle" in plan.checks:
        targets["lifecycle"] = find_actions(operations)
    return targets


def planned_probe_steps(plan: RunPlan) -> int:
    """How many probe steps the run will take (one per probe and operation or action)."""
    total = 0
    for _, root in plan.specs:
        operations = [op for op in plan.operations if op.root is root]
        total += sum(len(found) for found in _targets(plan, operations).values())
    return total


def run_probes(plan: RunPlan) -> Iterator[Event]:
    """Run the selected probes on every spec file's selected operations."""
    rng = random.Random(plan.seed)
    session = requests.Session()
    matcher = OperationMatcher([root for _, root in plan.specs])
    admin_url: str | None = None
    looked_up = False
    limited: tuple[str | None, str] | None = None
    for _, root in plan.specs:
        operations = [op for op in plan.operations if op.root is root]
        if not operations:
            continue
        client = ProbeClient(
            api_url=plan.api_url(root),
            authorization=plan.profile.authorization(plan.target.token),
            secrets=plan.secrets,
            timeout=plan.options.request_timeout,
            session=session,
        )
        ctx = ProbeContext(client=client, profile=plan.profile, operations=operations, fixed=plan.fixed, rng=rng,
                           lifecycle_timeout=plan.options.lifecycle_timeout)
        if not looked_up:
            admin_url, looked_up = _mock_admin_url(plan, client), True
        ctx.admin_url = admin_url
        targets = _targets(plan, operations)
        if "error_codes" in targets:
            limited = limited or _limited_authorization(plan, ctx, rng)
            ctx.limited_authorization, ctx.limited_skip_reason = limited
            yield from _probe_phase("error_codes", ctx, targets["error_codes"], probe_error_codes, matcher)
        if "pagination" in targets:
            yield from _probe_phase("pagination", ctx, targets["pagination"], probe_pagination, matcher)
        if "lifecycle" in targets:
            yield from _probe_phase("lifecycle", ctx, targets["lifecycle"], probe_lifecycle, matcher)


def _probe_phase(
    name: str, ctx: ProbeContext, targets: Sequence[Any], probe: Probe, matcher: OperationMatcher
) -> Iterator[Event]:
    start = time.monotonic()
    yield PhaseStarted(name=name)
    for target in targets:
        operation: SpecOperation = getattr(target, "operation", target)
        try:
            yield from probe(ctx, target)
        except ProbeError as exc:
            yield RunErrored(error=RunError(message=str(exc), operation=operation.ref, phase=name))
        yield from _observed(ctx, matcher)
        yield StepFinished(phase=name, operation=operation.ref)
    yield PhaseFinished(name=name, elapsed=time.monotonic() - start)


def _observed(ctx: ProbeContext, matcher: OperationMatcher) -> Iterator[Event]:
    """Statuses the probes received, per operation (coverage); admin-plane requests are not counted."""
    sent, ctx.client.sent = ctx.client.sent, []
    for method, url, status in sent:
        found = None if "/_mock/" in url else matcher.match(method, url)
        if found is not None:
            yield ResponseObserved(operation=found.ref, status=status)


def _mock_admin_url(plan: RunPlan, client: ProbeClient) -> str | None:
    """Where the target answers ``GET /_mock/health`` like a ciapi mock (its base URL or origin), if it does."""
    for base in dict.fromkeys((plan.target.base_url.rstrip("/"), plan.target.origin)):
        try:
            health = client.send("GET", f"{base}/_mock/health", authorization=None)
        except ProbeError:
            continue
        ok, body = health.json()
        if health.status == 200 and ok and isinstance(body, dict) and body.get("status") == "ok":
            return base
    return None


def _limited_authorization(plan: RunPlan, ctx: ProbeContext, rng: random.Random) -> tuple[str | None, str]:
    """A token without scopes: ``--limited-token``, else one created through a ciapi mock's admin plane."""
    if plan.target.limited_token:
        return plan.profile.authorization(plan.target.limited_token), ""
    token = f"ciapi-limited-{rng.getrandbits(64):016x}"
    if ctx.admin_url is None:
        return None, "no token without scopes: pass --limited-token (the target is not a ciapi mock)"
    fixture = plan.profile.limited_token_fixture(token)
    try:
        created = ctx.client.send("POST", f"{ctx.admin_url}/_mock/fixtures", authorization=None, json=fixture)
    except ProbeError as exc:
        return None, f"the ciapi mock did not take the token fixture ({exc})"
    if 200 <= created.status < 300:
        return plan.profile.authorization(token), ""
    return None, f"the ciapi mock refused the token fixture ({created.summary})"
