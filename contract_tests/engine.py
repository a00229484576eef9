"""The schemathesis phases (examples, coverage, fuzzing, stateful): config in, our events out."""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_tests.checks._failure import ConformanceFailure
from contract_tests.events import (
    ChecksPassed,
    Event,
    FindingReported,
    PhaseFinished,
    PhaseStarted,
    ProbeSkipped,
    RunErrored,
)
from contract_tests.http import curl_command, summarize_response
from contract_tests.report.model import Finding, RunError, SkippedProbe
from contract_tests.schemas import load_schemas
from contract_tests.spec import OperationRef

if TYPE_CHECKING:
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events as st_events
    from schemathesis.engine.recorder import CheckFailureInfo, ScenarioRecorder

__all__ = ["EngineSettings", "build_config", "run_engine"]

TESTING_PHASES = ("examples", "coverage", "fuzzing", "stateful")
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
        "workers": 1,
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
                yield PhaseFinished(name=name, elapsed=time.monotonic() - started.pop(name))
            elif isinstance(event, st_events.ScenarioFinished):
                yield from _translate_scenario(settings, event.phase.value, event.recorder)
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


def _translate_scenario(settings: EngineSettings, phase: str, recorder: ScenarioRecorder) -> Iterator[Event]:
    passes: Counter[tuple[OperationRef, str]] = Counter()
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
            yield FindingReported(finding=_finding(settings, phase, recorder, case_id, node.name, node.failure_info))
    for (ref, check), count in passes.items():
        yield ChecksPassed(operation=ref, check=check, count=count)


def _finding(
    settings: EngineSettings, phase: str, recorder: ScenarioRecorder, case_id: str, check: str, info: CheckFailureInfo
) -> Finding:
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
    curl = response = None
    interaction = recorder.interactions.get(case_id)
    if interaction is not None:
        request = interaction.request
        headers = {name: values[0] for name, values in request.headers.items() if values}
        curl = curl_command(request.method, request.uri, headers, request.body, settings.secrets)
        if interaction.response is not None:
            r = interaction.response
            response = summarize_response(r.status_code, r.message, r.content)
    return Finding(check=check, operation=ref, title=title, message=message, curl=curl, response=response, phase=phase)


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
