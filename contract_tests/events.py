"""Events the runner yields. Each knows how to fold itself into a `ConformanceReport` (`apply_to`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contract_tests.report.model import ConformanceReport, Finding, PhaseTiming, RunError, SkippedProbe
from contract_tests.spec import OperationRef

__all__ = [
    "ChecksPassed",
    "Event",
    "FindingReported",
    "PhaseFinished",
    "PhaseStarted",
    "ProbeSkipped",
    "ResponseObserved",
    "RunErrored",
    "RunFinished",
    "RunStarted",
    "StepFinished",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted:
    api: str
    base_url: str
    seed: int
    checks: tuple[str, ...]
    operations: tuple[OperationRef, ...]
    # the response keys each operation documents ("200", "4XX", "default"), for coverage
    documented: Mapping[OperationRef, tuple[str, ...]] = field(default_factory=dict)
    planned_steps: int = 0  # units of work (probe or phase x operation), for progress bars
    started_at: str = ""

    def apply_to(self, report: ConformanceReport) -> None:
        report.api, report.base_url, report.seed, report.checks = self.api, self.base_url, self.seed, self.checks
        report.planned_steps, report.started_at = self.planned_steps, self.started_at
        for operation in self.operations:
            report.operation(operation)
        report.documented.update(self.documented)


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseStarted:
    name: str  # "error_codes", "pagination", "examples", "coverage", "fuzzing", "stateful"

    def apply_to(self, report: ConformanceReport) -> None:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseFinished:
    name: str
    elapsed: float

    def apply_to(self, report: ConformanceReport) -> None:
        report.phases.append(PhaseTiming(name=self.name, elapsed=self.elapsed))


@dataclass(frozen=True, slots=True, kw_only=True)
class StepFinished:
    """One unit of planned work is done (a probe of one operation, one operation in one phase)."""

    phase: str
    operation: OperationRef | None = None

    def apply_to(self, report: ConformanceReport) -> None:
        report.done_steps += 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseObserved:
    """Responses received for an operation, by status (coverage)."""

    operation: OperationRef
    status: int
    count: int = 1

    def apply_to(self, report: ConformanceReport) -> None:
        report.observe(self.operation, self.status, self.count)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksPassed:
    operation: OperationRef
    check: str
    count: int = 1

    def apply_to(self, report: ConformanceReport) -> None:
        report.add_passes(self.operation, self.check, self.count)


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingReported:
    finding: Finding

    def apply_to(self, report: ConformanceReport) -> None:
        report.add_finding(self.finding)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeSkipped:
    skipped: SkippedProbe

    def apply_to(self, report: ConformanceReport) -> None:
        report.add_skip(self.skipped)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunErrored:
    error: RunError

    def apply_to(self, report: ConformanceReport) -> None:
        report.errors.append(self.error)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished:
    elapsed: float

    def apply_to(self, report: ConformanceReport) -> None:
        report.elapsed = self.elapsed
        report.finished = True


Event = (
    RunStarted
    | PhaseStarted
    | PhaseFinished
    | StepFinished
    | ChecksPassed
    | FindingReported
    | ProbeSkipped
    | ResponseObserved
    | RunErrored
    | RunFinished
)
