"""The conformance report: what ran, what passed, what was found. Built from runner events; writers render it."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from contract_tests.spec import OperationRef

if TYPE_CHECKING:
    from contract_tests.events import Event

__all__ = [
    "CheckOutcome",
    "CheckResult",
    "ConformanceReport",
    "Finding",
    "HttpExchange",
    "HttpRequest",
    "HttpResponse",
    "PhaseTiming",
    "OperationRef",
    "OperationResult",
    "RunError",
    "SkippedProbe",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    """A request as sent; credentials the run knows appear as ``${CIAPI_TOKEN}``-style references."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    body_truncated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    """A response as received (the body cut to `contract_tests.http.BODY_LIMIT` characters)."""

    status: int
    reason: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    body_truncated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpExchange:
    request: HttpRequest
    response: HttpResponse | None = None  # None when the request got no answer (timeout, reset)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One way the server departs from the contract, named after the check that saw it."""

    check: str
    operation: OperationRef | None
    title: str
    message: str
    curl: str | None = None
    response: str | None = None  # "404 Not Found" plus a body excerpt
    phase: str = ""
    occurrences: int = 1
    exchange: HttpExchange | None = None  # the request and response that show it

    @property
    def key(self) -> tuple[str, str, str]:
        """Findings with the same key are one finding (first seen wins, occurrences add up)."""
        return (self.operation.label if self.operation else "", self.check, self.title)


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedProbe:
    """A probe the suite could not run (not a finding), e.g. the 403 probe without a limited token."""

    check: str
    operation: OperationRef | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunError:
    """Something that stopped part of the run (network error, engine error): the result is incomplete."""

    message: str
    operation: OperationRef | None = None
    phase: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseTiming:
    name: str
    elapsed: float


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_RUN = "not run"  # not applicable to the operation, or never reached


@dataclass(slots=True)
class CheckResult:
    check: str
    passed: int = 0
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> CheckOutcome:
        if self.findings:
            return CheckOutcome.FAILED
        if self.passed:
            return CheckOutcome.PASSED
        if self.skipped:
            return CheckOutcome.SKIPPED
        return CheckOutcome.NOT_RUN


@dataclass(slots=True)
class OperationResult:
    operation: OperationRef
    checks: dict[str, CheckResult] = field(default_factory=dict)

    def result(self, check: str) -> CheckResult:
        return self.checks.setdefault(check, CheckResult(check))

    def outcome(self, check: str) -> CheckOutcome:
        result = self.checks.get(check)
        return result.outcome if result is not None else CheckOutcome.NOT_RUN


@dataclass(slots=True, kw_only=True)
class ConformanceReport:
    """Everything a run produced; `from_events` builds it from `run_conformance`'s event stream.

    Example:
        ```python
        report = ConformanceReport.from_events(run_conformance(target, RunOptions(max_examples=10)))
        assert report.is_conformant, report.findings
        ```
    """

    api: str = ""
    base_url: str = ""
    seed: int | None = None
    checks: tuple[str, ...] = ()
    operations: dict[OperationRef, OperationResult] = field(default_factory=dict)
    run_findings: list[Finding] = field(default_factory=list)  # findings tied to no operation
    skipped: list[SkippedProbe] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    elapsed: float = 0.0
    finished: bool = False
    started_at: str = ""  # ISO-8601 UTC
    # coverage: the response keys the spec documents per operation ("200", "4XX", "default"), statuses received
    documented: dict[OperationRef, tuple[str, ...]] = field(default_factory=dict)
    observed: dict[OperationRef, Counter[int]] = field(default_factory=dict)
    phases: list[PhaseTiming] = field(default_factory=list)
    planned_steps: int = 0
    done_steps: int = 0

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> ConformanceReport:
        report = cls()
        for event in events:
            report.apply(event)
        return report

    def apply(self, event: Event) -> None:
        """Fold one runner event into the report."""
        event.apply_to(self)

    @property
    def findings(self) -> list[Finding]:
        """Every finding, in a stable order: operations as listed, then checks as selected, then titles."""
        order = {check: index for index, check in enumerate(self.checks)}
        found = []
        for result in self.operations.values():
            chosen = sorted(result.checks.values(), key=lambda r: (order.get(r.check, len(order)), r.check))
            found += [f for r in chosen for f in sorted(r.findings, key=lambda f: f.title)]
        return found + self.run_findings

    @property
    def is_conformant(self) -> bool:
        return not self.findings and not self.errors

    def operation(self, ref: OperationRef) -> OperationResult:
        return self.operations.setdefault(ref, OperationResult(ref))

    def add_finding(self, finding: Finding) -> None:
        """Record ``finding``, merging it into an earlier one with the same key."""
        bucket = (
            self.run_findings
            if finding.operation is None
            else (self.operation(finding.operation).result(finding.check).findings)
        )
        for index, existing in enumerate(bucket):
            if existing.key == finding.key:
                bucket[index] = dataclasses.replace(existing, occurrences=existing.occurrences + finding.occurrences)
                return
        bucket.append(finding)

    def add_passes(self, operation: OperationRef, check: str, count: int = 1) -> None:
        self.operation(operation).result(check).passed += count

    def observe(self, operation: OperationRef, status: int, count: int = 1) -> None:
        """Count a response the run received (for the coverage of documented statuses)."""
        self.observed.setdefault(operation, Counter())[status] += count

    def add_skip(self, skipped: SkippedProbe) -> None:
        self.skipped.append(skipped)
        if skipped.operation is not None:
            self.operation(skipped.operation).result(skipped.check).skipped.append(skipped.reason)
