"""Spec coverage: which operations, documented statuses and error responses the run exercised."""

from __future__ import annotations

from dataclasses import dataclass

from contract_tests.report.model import ConformanceReport, OperationRef

__all__ = ["OperationCoverage", "coverage_summary", "operation_coverage"]


@dataclass(frozen=True, slots=True)
class OperationCoverage:
    operation: OperationRef
    documented: tuple[str, ...]  # response keys as the spec writes them: "200", "4XX", "default"
    exercised: tuple[str, ...]  # documented keys some received status matched
    received: dict[int, int]  # status -> responses
    undocumented: tuple[int, ...]  # received statuses no key documents

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(key for key in self.documented if key not in self.exercised)

    @property
    def error_keys(self) -> tuple[str, ...]:
        return tuple(key for key in self.documented if is_error_key(key))


def is_error_key(key: str) -> bool:
    return key == "default" or key[:1] in ("4", "5")


def _key_for(status: int, documented: tuple[str, ...]) -> str | None:
    code = str(status)
    for key in (code, f"{code[0]}XX", f"{code[0]}xx", "default"):
        if key in documented:
            return key
    return None


def operation_coverage(report: ConformanceReport) -> list[OperationCoverage]:
    """Per operation of the run, in report order."""
    out = []
    for ref in report.operations:
        documented = report.documented.get(ref, ())
        received = dict(sorted(report.observed.get(ref, {}).items()))
        matched = {_key_for(status, documented) for status in received}
        exercised = tuple(key for key in documented if key in matched)
        undocumented = tuple(status for status in received if _key_for(status, documented) is None)
        out.append(OperationCoverage(ref, documented, exercised, received, undocumented))
    return out


def _ratio(done: int, total: int) -> dict[str, float | int]:
    return {"total": total, "exercised": done, "percent": round(100.0 * done / total, 1) if total else 100.0}


def coverage_summary(report: ConformanceReport) -> dict[str, dict[str, float | int]]:
    """Totals: operations that got any response, documented statuses and documented error responses exercised."""
    rows = operation_coverage(report)
    return {
        "operations": _ratio(sum(1 for r in rows if r.received), len(rows)),
        "statuses": _ratio(sum(len(r.exercised) for r in rows), sum(len(r.documented) for r in rows)),
        "error_responses": _ratio(
            sum(1 for r in rows for key in r.exercised if is_error_key(key)), sum(len(r.error_keys) for r in rows)
        ),
    }
