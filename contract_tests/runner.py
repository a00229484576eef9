"""Run the conformance suite: validate options, probe, run the schemathesis phases, yield events. No printing."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import requests

from contract_tests.catalog import get_api, load_spec
from contract_tests.checks import ENGINE_CHECKS, PROBE_CHECKS, resolve_checks
from contract_tests.checks._probe import format_path
from contract_tests.engine import EngineSettings, run_engine
from contract_tests.errors import ConfigurationError, TargetUnreachableError
from contract_tests.events import Event, RunFinished, RunStarted
from contract_tests.plan import TESTING_PHASES, RunOptions, RunPlan
from contract_tests.probes import planned_probe_steps, run_probes
from contract_tests.profiles import get_profile
from contract_tests.spec import (
    OperationRef,
    SpecOperation,
    base_path,
    documented_statuses,
    iter_operations,
    parameter_example,
)
from contract_tests.targets import Target

__all__ = ["RunOptions", "RunPlan", "run_conformance"]


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


def _prepare(target: Target, options: RunOptions) -> RunPlan:
    info = get_api(target.api)
    if options.max_examples < 1:
        raise ConfigurationError(f"max_examples must be at least 1, got {options.max_examples}")
    if options.workers < 1:
        raise ConfigurationError(f"workers must be at least 1, got {options.workers}")
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
    plan = RunPlan(
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
    """``--param`` values, else the spec ``example`` of the parameters that scope a collection.

    A scope parameter appears in the path of a list operation (``org``) or is a required query parameter of one
    (Semaphore's ``project_id``); item ids (``id``) and optional query parameters keep being generated, so fuzzing
    varies them and the stateful phase can follow links with real ids.
    """
    names = {str(p.get("name")) for op in operations for p in op.parameters}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ConfigurationError(f"no operation has a parameter named {', '.join(unknown)}; known: {sorted(names)}")
    fixed: dict[str, Any] = {}
    for op in operations:
        if not op.returns_list():
            continue
        scopes = op.params_in("path") + [p for p in op.params_in("query") if p.get("required")]
        for param in scopes:
            example = parameter_example(op.root, param)
            if example is not None:
                fixed.setdefault(str(param["name"]), example)
    return {**fixed, **params}


def _ensure_reachable(url: str, timeout: float) -> None:
    try:
        requests.get(url, timeout=min(timeout, 5.0), allow_redirects=False)
    except requests.RequestException as exc:
        raise TargetUnreachableError(f"cannot reach {url}: {exc.__class__.__name__}: {exc}") from None


def _ensure_token_accepted(plan: RunPlan) -> None:
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


def _execute(plan: RunPlan) -> Iterator[Event]:
    start = time.monotonic()
    refs = tuple(op.ref for op in plan.operations)
    yield RunStarted(
        api=plan.target.api,
        base_url=plan.target.base_url,
        seed=plan.seed,
        checks=plan.checks,
        operations=refs,
        documented={op.ref: documented_statuses(op) for op in plan.operations},
        planned_steps=_planned_steps(plan),
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
    if any(check in PROBE_CHECKS for check in plan.checks):
        yield from run_probes(plan)
    engine_checks = tuple(check for check in plan.checks if check in ENGINE_CHECKS)
    if engine_checks and plan.options.phases:
        for path, root in plan.specs:
            yield from run_engine(_engine_settings(plan, path, root, engine_checks))
    yield RunFinished(elapsed=time.monotonic() - start)


def _planned_steps(plan: RunPlan) -> int:
    """Probe steps plus one step per operation and generating phase (and one per stateful phase)."""
    steps = planned_probe_steps(plan)
    if any(check in ENGINE_CHECKS for check in plan.checks):
        per_operation = [phase for phase in plan.options.phases if phase != "stateful"]
        steps += len(per_operation) * len(plan.operations)
        if "stateful" in plan.options.phases:
            steps += sum(1 for _, root in plan.specs if any(op.root is root for op in plan.operations))
    return steps


def _engine_settings(plan: RunPlan, path: Path, root: Mapping[str, Any], checks: tuple[str, ...]) -> EngineSettings:
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
        secrets=plan.secrets,
        root=root,
        selected=plan.checks,
        workers=plan.options.workers,
    )


