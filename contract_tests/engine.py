"""The schemathesis phases (examples, coverage, fuzzing, stateful): config in, our events out."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_tests.checks._attribution import Verdict, attribute
from contract_tests.checks._failure import ConformanceFailure
from contract_tests.events import (
    ChecksPassed,
    Event,
    FindingReported,
    PhaseFinished,
    PhaseStarted,
    ProbeSkipped,
    ResponseObserved,
    RunErrored,
    StepFinished,
)
from contract_tests.http import curl_command, http_exchange, summarize_response
from contract_tests.plan import TESTING_PHASES
from contract_tests.report.model import Finding, RunError, SkippedProbe
from contract_tests.schemas import load_schemas
from contract_tests.spec import OperationRef, find_operation

if TYPE_CHECKING:
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events as st_events
    from schemathesis.engine.recorder import CheckFailureInfo, ScenarioRecorder

__all__ = ["TESTING_PHASES", "EngineSettings", "build_config", "run_engine"]

# positive_data_acceptance's default expected statuses (schemathesis 4), extended per operation by the profile.
_POSITIVE_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineSettings:
    """What the schemathesis phases need from the run plan."""

    spec_path: Path
    api_url: str
    headers: Mapping[str, str]
    parameters: Mapping[str, Any]
    checks: tuple[str, ...]  # engine checks to enable (schemathesis' and our per-response ones)
    operation_ids: tuple[str, ...]  # empty = all
    phases: tuple[str, ...]
    max_examples: int
    seed: int
    request_timeout: float
    state_conflict_statuses: Mapping[str, tuple[str, ...]]
    to_ref: Callable[[str, str], OperationRef]  # (method, spec path) -> OperationRef
    secrets: Mapping[str, str]
    root: Mapping[str, Any] | None = None  # the raw spec, for attributing findings to our checks
    selected: tuple[str, ...] = ()  # every check of the run (probes too): see `checks._attribution`
    workers: int = 1


def build_config(settings: EngineSettings) -> SchemathesisConfig:
    """A schemathesis config for one spec file: no example database, no cache dir, fixed seed, our checks."""
    from schemathesis.config import SchemathesisConfig

    data: dict[str, Any] = {
        "seed": settings.seed,
        "cache": {"enabled": False},
        "base-url": settings.api_url,
        "headers": dict(settings.headers),
        "parameters": dict(settings.parameters),
        "continue-on-failure": True,
        "request-timeout": settings.request_timeout,
        "workers": settings.workers,
        "generation": {"max-examples": settings.max_examples, "database": "none"},
        "phases": {name: {"enabled": name in settings.phases} for name in TESTING_PHASES},
        "operations": [
            {
                "include-operation-id": operation_id,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*_POSITIVE_DEFAULT, *statuses]}},
            }
            for operation_id, statuses in settings.state_conflict_statuses.items()
        ],
    }
    config = SchemathesisConfig.from_dict(data)
    config.projects.default.checks.update(included_check_names=list(settings.checks))
    return config


def run_engine(settings: EngineSettings) -> Iterator[Event]:
    """Run the enabled schemathesis phases against one spec file and translate what they report."""
    from schemathesis.engine import events as st_events
    from schemathesis.engine import from_schema
    from schemathesis.filters import FilterSet

    (schema,) = load_schemas([settings.spec_path], build_config(settings))
    if settings.operation_ids:
        # Not `schema.include(...)`: that ORs with the `[[operations]]` entries of the config.
        selected = FilterSet()
        selected.include(operation_id=list(settings.operation_ids))
        schema.filter_set = schema.config.operations.filter_set_with(include=selected)
    started: dict[str, float] = {}
    with _hypothesis_home(), _without_local_constants():
        for event in from_schema(schema).execute():
            if isinstance(event, st_events.PhaseStarted) and event.phase.name.value in TESTING_PHASES:
                started[event.phase.name.value] = time.monotonic()
                yield PhaseStarted(name=event.phase.name.value)
            elif isinstance(event, st_events.PhaseFinished) and event.phase.name.value in started:
                name = event.phase.name.value
                if name == "stateful":
                    yield StepFinished(phase=name)
                yield PhaseFinished(name=name, elapsed=time.monotonic() - started.pop(name))
            elif isinstance(event, st_events.ScenarioFinished):
                yield from _translate_scenario(settings, event.phase.value, event.recorder)
                if event.phase.value != "stateful":
                    yield StepFinished(phase=event.phase.value, operation=_scenario_ref(settings, event.recorder))
            elif isinstance(event, st_events.NonFatalError) and _is_missing_links(event):
                reason = "stateful phase not run: no OpenAPI links between the selected operations"
                yield ProbeSkipped(skipped=SkippedProbe(check="stateful", operation=None, reason=reason))
            elif isinstance(event, st_events.NonFatalError):
                yield RunErrored(error=_error(settings, event))
            elif isinstance(event, st_events.FatalError):
                yield RunErrored(error=RunError(message=f"schemathesis stopped: {event.exception!r}"))


def _is_missing_links(event: st_events.NonFatalError) -> bool:
    from schemathesis.engine.errors import RuntimeErrorKind

    return getattr(event.info, "_kind", None) == RuntimeErrorKind.SCHEMA_NO_LINKS_FOUND


def _error(settings: EngineSettings, event: st_events.NonFatalError) -> RunError:
    method, _, path = event.label.partition(" ")
    operation = settings.to_ref(method, path) if path.startswith("/") else None
    message = f"{event.info.title}: {event.info.message}".strip(": ")
    return RunError(message=message, operation=operation, phase=event.phase.value if event.phase else None)


def _scenario_ref(settings: EngineSettings, recorder: ScenarioRecorder) -> OperationRef | None:
    for node in recorder.cases.values():
        return settings.to_ref(node.value.operation.method, node.value.operation.path)
    return None


def _translate_scenario(settings: EngineSettings, phase: str, recorder: ScenarioRecorder) -> Iterator[Event]:
    passes: Counter[tuple[OperationRef, str]] = Counter()
    statuses: Counter[tuple[OperationRef, int]] = Counter()
    for case_id, interaction in recorder.interactions.items():
        node_case = recorder.cases.get(case_id)
        if node_case is not None and interaction.response is not None:
            operation = node_case.value.operation
            if interaction.request.method.upper() == operation.method.upper():  # not unsupported_method's probes
                ref = settings.to_ref(operation.method, operation.path)
                statuses[(ref, interaction.response.status_code)] += 1
    for case_id, nodes in recorder.checks.items():
        node_case = recorder.cases.get(case_id)
        if node_case is None:
            continue
        operation = node_case.value.operation
        ref = settings.to_ref(operation.method, operation.path)
        for node in nodes:
            if node.failure_info is None:
                if node.status.value == "success":
                    passes[(ref, node.name)] += 1
                continue
            found = _finding(settings, phase, recorder, case_id, node.name, node.failure_info)
            if found is not None:
                yield FindingReported(finding=found)
    for (ref, check), count in passes.items():
        yield ChecksPassed(operation=ref, check=check, count=count)
    for (ref, status), count in statuses.items():
        yield ResponseObserved(operation=ref, status=status, count=count)


def _finding(
    settings: EngineSettings, phase: str, recorder: ScenarioRecorder, case_id: str, check: str, info: CheckFailureInfo
) -> Finding | None:
    failure = info.failure
    case_id = failure.case_id if failure.case_id in recorder.interactions else case_id
    operation = recorder.cases[case_id].value.operation if case_id in recorder.cases else None
    ref = settings.to_ref(operation.method, operation.path) if operation is not None else None
    if failure.operation:
        method, _, path = str(failure.operation).partition(" ")
        ref = settings.to_ref(method, path) if path.startswith("/") else ref
    exception = getattr(failure, "exception", None)
    if isinstance(exception, ConformanceFailure):
        title, message = exception.title, exception.message
    else:
        title, message = failure.title, failure.message
    curl = response = record = None
    interaction = recorder.interactions.get(case_id)
    status = content = None
    if interaction is not None:
        request = interaction.request
        headers = {name: values[0] for name, values in request.headers.items() if values}
        curl = curl_command(request.method, request.uri, headers, request.body, settings.secrets)
        answer = None
        if interaction.response is not None:
            r = interaction.response
            status, content = r.status_code, r.content
            response = summarize_response(r.status_code, r.message, r.content)
            answer = (r.status_code, r.message, {k: ", ".join(v) for k, v in r.headers.items()}, r.content)
        record = http_exchange(request.method, request.uri, headers, request.body, answer, settings.secrets)
    verdict = _verdict(settings, check, operation, status, content, message)
    if verdict.action == "drop":
        return None
    if verdict.action == "relabel" and verdict.check:
        message = f"(seen by schemathesis' {check})\n{message}"
        check, title = verdict.check, verdict.title or title
    return Finding(check=check, operation=ref, title=title, message=message, curl=curl, response=response,
                   phase=phase, exchange=record)


def _verdict(
    settings: EngineSettings, check: str, operation: Any, status: int | None, content: bytes | None, message: str
) -> Verdict:
    """Who reports this failure (see `checks._attribution`)."""
    root = settings.root
    spec_operation = find_operation(root, operation.method, operation.path) if root and operation else None
    schema = spec_operation.json_schema(status) if spec_operation is not None and status is not None else None
    body, has_body = None, False
    if content:
        try:
            body, has_body = json.loads(content), True
        except ValueError:
            pass
    return attribute(check, settings.selected, status=status, root=root, schema=schema, body=body, has_body=has_body,
                     message=message, fixed=tuple(settings.parameters))


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """Keep Hypothesis from mining constants out of whatever "local" modules happen to be imported.

    Hypothesis feeds literals of local (non site-packages) modules into generation, so the same seed would give
    other cases depending on what the process imported (an in-process mock, the user's code...).
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - Hypothesis internals moved
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    if original is None or not hasattr(providers, "Constants"):  # pragma: no cover
        yield
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()


@contextlib.contextmanager
def _hypothesis_home() -> Iterator[None]:
    """Point Hypothesis' storage (charmap cache, constants) away from the user's cwd for the run."""
    from hypothesis import configuration

    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    attribute = "__hypothesis_home_directory"
    previous = getattr(configuration, attribute, None)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ciapi" / "hypothesis"
    configuration.set_hypothesis_home_dir(cache)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)
