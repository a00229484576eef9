"""Events the runner yields. Each knows how to fold itself into a `ConformanceReport` (`apply_to`)."""

from __future__ import annotations

from dataclasses import dataclass

from contract_tests.report.model import ConformanceReport, Finding, RunError, SkippedProbe
from contract_tests.spec import OperationRef

__all__ = [
    "ChecksPassed",
    "Event",
    "FindingReported",
    "PhaseFinished",
    "PhaseStarted",
    "ProbeSkipped",
    "RunErrored",
    "RunFinished",
    "RunStarted",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted:
    api: str
    base_url: str
    seed: int
    checks: tuple[str, ...]
    operations: tuple[OperationRef, ...]

    def apply_to(self, report: ConformanceReport) -> None:
        report.api, report.base_url, report.seed, report.checks = self.api, self.base_url, self.seed, self.checks
        for operation in self.operations:
            report.operation(operation)


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
        return None


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
    RunStarted | PhaseStarted | PhaseFinished | ChecksPassed | FindingReported | ProbeSkipped | RunErrored | RunFinished
)
