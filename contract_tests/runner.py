"""Run the conformance suite: validate options, probe, run the schemathesis phases, yield events. No printing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from contract_tests.catalog import get_api, load_spec
from contract_tests.checks import ENGINE_CHECKS, PROBE_CHECKS, resolve_checks
from contract_tests.checks._probe import ProbeContext, format_path
from contract_tests.checks.error_codes import probe_error_codes
from contract_tests.checks.pagination import is_paginated_list, probe_pagination
from contract_tests.engine import TESTING_PHASES, EngineSettings, run_engine
from contract_tests.errors import ConfigurationError, TargetUnreachableError
from contract_tests.events import Event, PhaseFinished, PhaseStarted, RunErrored, RunFinished, RunStarted
from contract_tests.http import ProbeClient, ProbeError
from contract_tests.profiles import ApiProfile, get_profile
from contract_tests.report.model import RunError
from contract_tests.spec import OperationRef, SpecOperation, base_path, iter_operations, parameter_example
from contract_tests.targets import Target

__all__ = ["RunOptions", "run_conformance"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """How to run the suite.

    Args:
        checks: Check names to run (``None`` = all); see `contract_tests.checks.ALL_CHECKS`.
        exclude_checks: Check names to leave out.
        operations: operationIds to test (empty = all).
        max_examples: Cases per operation in the fuzzing and stateful phases.
        seed: Seed for every random choice (schemathesis and probes); random when ``None``.
        params: Fixed values for path/query parameters, by name (``{"org": "my-great-org"}``).
        phases: schemathesis phases to run.
        spec_paths: Spec files to use instead of the catalogue's.
        request_timeout: Seconds per request.
    """

    checks: tuple[str, ...] | None = None
    exclude_checks: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    max_examples: int = 100
    seed: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    phases: tuple[str, ...] = TESTING_PHASES
    spec_paths: tuple[Path, ...] | None = None
    request_timeout: float = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    target: Target
    options: RunOptions
    profile: ApiProfile
    specs: tuple[tuple[Path, Mapping[str, Any]], ...]
    operations: tuple[SpecOperation, ...]
    checks: tuple[str, ...]
    fixed: Mapping[str, Any]
    seed: int

    def api_url(self, root: Mapping[str, Any]) -> str:
        return self.target.api_url(base_path(root))


def run_conformance(target: Target, options: RunOptions | None = None) -> Iterator[Event]:
    """Check ``target`` against its API's contract; yields events (fold them with `ConformanceReport.from_events`).

    Options are validated and the target is contacted before this returns, so usage errors raise here:
    `ConfigurationError`, `TargetUnreachableError`, `UnknownApiError`, `UnknownCheckError`.

    Example:
        ```python
        events = run_conformance(Target(api="buildkite", base_url=url, token="T"), RunOptions(max_examples=10))
        report = ConformanceReport.from_events(events)
        ```
    """
    plan = _prepare(target, options or RunOptions())
    return _execute(plan)


def _prepare(target: Target, options: RunOptions) -> _Plan:
    info = get_api(target.api)
    if options.max_examples < 1:
        raise ConfigurationError(f"max_examples must be at least 1, got {options.max_examples}")
    unknown_phases = set(options.phases) - set(TESTING_PHASES)
    if unknown_phases:
        raise ConfigurationError(f"unknown phase(s) {sorted(unknown_phases)}; choose from {list(TESTING_PHASES)}")
    paths = options.spec_paths or info.spec_paths
    for path in paths:
        if not Path(path).is_file():
            raise ConfigurationError(f"spec file {path} does not exist")
    specs = tuple((Path(path), load_spec(Path(path))) for path in paths)
    everything = [op for _, root in specs for op in iter_operations(root)]
    known_ids = {op.operation_id for op in everything}
    unknown_ids = [name for name in options.operations if name not in known_ids]
    if unknown_ids:
        choices = ", ".join(sorted(str(i) for i in known_ids if i))
        raise ConfigurationError(f"unknown operationId(s) {', '.join(unknown_ids)}; choose from: {choices}")
    operations = tuple(op for op in everything if not options.operations or op.operation_id in options.operations)
    plan = _Plan(
        target=target,
        options=options,
        profile=get_profile(target.api),
        specs=specs,
        operations=operations,
        checks=resolve_checks(options.checks, options.exclude_checks),
        fixed=_fixed_values(everything, options.params),
        seed=options.seed if options.seed is not None else random.SystemRandom().randrange(2**32),
    )
    _ensure_reachable(plan.api_url(specs[0][1]), options.request_timeout)
    _ensure_token_accepted(plan)
    return plan


def _fixed_values(operations: list[SpecOperation], params: Mapping[str, Any]) -> dict[str, Any]:
    """``--param`` values, else the spec ``example`` of the path parameters that scope a collection.

    A scope parameter (``org``) appears in the path of a list operation; item ids (``id``) and query parameters
    keep being generated, so fuzzing varies them and the stateful phase can follow links with real ids.
    """
    names = {str(p.get("name")) for op in operations for p in op.parameters}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ConfigurationError(f"no operation has a parameter named {', '.join(unknown)}; known: {sorted(names)}")
    fixed: dict[str, Any] = {}
    for op in operations:
        if not op.returns_list():
            continue
        for param in op.params_in("path"):
            example = parameter_example(op.root, param)
            if example is not None:
                fixed.setdefault(str(param["name"]), example)
    return {**fixed, **params}


def _ensure_reachable(url: str, timeout: float) -> None:
    try:
        requests.get(url, timeout=min(timeout, 5.0), allow_redirects=False)
    except requests.RequestException as exc:
        raise TargetUnreachableError(f"cannot reach {url}: {exc.__class__.__name__}: {exc}") from None


def _ensure_token_accepted(plan: _Plan) -> None:
    """One authorized GET of a list whose path is fully fixed: a 401 there means a wrong --token, not a finding."""
    for _, root in plan.specs:
        for operation in iter_operations(root):
            names = [str(p.get("name")) for p in operation.params_in("path")]
            if not operation.returns_list() or not operation.requires_auth() or not all(n in plan.fixed for n in names):
                continue
            url = plan.api_url(root) + format_path(operation.path, {n: plan.fixed[n] for n in names})
            headers = {"Authorization": plan.profile.authorization(plan.target.token)}
            try:
                response = requests.get(url, headers=headers, timeout=plan.options.request_timeout)
            except requests.RequestException as exc:
                raise TargetUnreachableError(f"cannot reach {url}: {exc.__class__.__name__}: {exc}") from None
            if response.status_code == 401:
                raise ConfigurationError(f"the server rejects the token: GET {url} answered 401 {response.text[:200]}")
            return


def _execute(plan: _Plan) -> Iterator[Event]:
    start = time.monotonic()
    refs = tuple(op.ref for op in plan.operations)
    yield RunStarted(
        api=plan.target.api, base_url=plan.target.base_url, seed=plan.seed, checks=plan.checks, operations=refs
    )
    if any(check in PROBE_CHECKS for check in plan.checks):
        yield from _run_probes(plan)
    engine_checks = tuple(check for check in plan.checks if check in ENGINE_CHECKS)
    if engine_checks and plan.options.phases:
        for path, root in plan.specs:
            yield from run_engine(_engine_settings(plan, path, root, engine_checks))
    yield RunFinished(elapsed=time.monotonic() - start)


def _secrets(plan: _Plan) -> dict[str, str]:
    secrets = {plan.target.token: "CIAPI_TOKEN"}
    if plan.target.limited_token:
        secrets[plan.target.limited_token] = "CIAPI_LIMITED_TOKEN"
    return secrets


def _engine_settings(plan: _Plan, path: Path, root: Mapping[str, Any], checks: tuple[str, ...]) -> EngineSettings:
    prefix = base_path(root)
    ids = {(op.method, op.path): op.operation_id for op in iter_operations(root)}
    in_file = {op.operation_id for op in iter_operations(root)}

    def to_ref(method: str, spec_path: str) -> OperationRef:
        return OperationRef(method.upper(), prefix + spec_path, ids.get((method.upper(), spec_path)))

    return EngineSettings(
        spec_path=path,
        api_url=plan.api_url(root),
        headers={"Authorization": plan.profile.authorization(plan.target.token)},
        parameters=plan.fixed,
        checks=checks,
        operation_ids=tuple(i for i in plan.options.operations if i in in_file) or (),
        phases=plan.options.phases,
        max_examples=plan.options.max_examples,
        seed=plan.seed,
        request_timeout=plan.options.request_timeout,
        state_conflict_statuses=plan.profile.state_conflict_statuses,
        to_ref=to_ref,
        secrets=_secrets(plan),
    )


def _run_probes(plan: _Plan) -> Iterator[Event]:
    rng = random.Random(plan.seed)
    session = requests.Session()
    for _, root in plan.specs:
        operations = [op for op in plan.operations if op.root is root]
        if not operations:
            continue
        client = ProbeClient(
            api_url=plan.api_url(root),
            authorization=plan.profile.authorization(plan.target.token),
            secrets=_secrets(plan),
            timeout=plan.options.request_timeout,
            session=session,
        )
        ctx = ProbeContext(client=client, profile=plan.profile, operations=operations, fixed=plan.fixed, rng=rng)
        if "error_codes" in plan.checks:
            ctx.limited_authorization, ctx.limited_skip_reason = _limited_authorization(plan, client, rng)
            yield from _probe_phase("error_codes", ctx, operations, probe_error_codes)
        style = plan.profile.pagination
        if "pagination" in plan.checks and style is not None:
            lists = [op for op in operations if is_paginated_list(op, style)]
            yield from _probe_phase("pagination", ctx, lists, probe_pagination)


Probe = Callable[[ProbeContext, SpecOperation], Iterator[Event]]


def _probe_phase(name: str, ctx: ProbeContext, operations: list[SpecOperation], probe: Probe) -> Iterator[Event]:
    start = time.monotonic()
    yield PhaseStarted(name=name)
    for operation in operations:
        try:
            yield from probe(ctx, operation)
        except ProbeError as exc:
            yield RunErrored(error=RunError(message=str(exc), operation=operation.ref, phase=name))
    yield PhaseFinished(name=name, elapsed=time.monotonic() - start)


def _limited_authorization(plan: _Plan, client: ProbeClient, rng: random.Random) -> tuple[str | None, str]:
    """A token without scopes: ``--limited-token``, else one created through a ciapi mock's admin plane."""
    if plan.target.limited_token:
        return plan.profile.authorization(plan.target.limited_token), ""
    token = f"ciapi-limited-{rng.getrandbits(64):016x}"
    for base in dict.fromkeys((plan.target.base_url.rstrip("/"), plan.target.origin)):
        try:
            health = client.send("GET", f"{base}/_mock/health", authorization=None)
            ok, body = health.json()
            if health.status != 200 or not ok or not isinstance(body, dict) or body.get("status") != "ok":
                continue
            fixture = plan.profile.limited_token_fixture(token)
            created = client.send("POST", f"{base}/_mock/fixtures", authorization=None, json=fixture)
        except ProbeError:
            continue
        if 200 <= created.status < 300:
            return plan.profile.authorization(token), ""
        return None, f"the ciapi mock refused the token fixture ({created.summary})"
    return None, "no token without scopes: pass --limited-token (the target is not a ciapi mock)"
