"""JSON report: a stable, documented document (docs/conformance-report.md; schema in ``report.schema.json``)."""

from __future__ import annotations

import json
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from contract_tests.report.coverage import coverage_summary, operation_coverage
from contract_tests.report.model import (
    CheckOutcome,
    ConformanceReport,
    Finding,
    HttpExchange,
    OperationRef,
    RunError,
    SkippedProbe,
)

__all__ = ["FORMAT", "FORMAT_VERSION", "SCHEMA_PATH", "report_to_dict", "write_json"]

FORMAT = "ciapi-conformance-report"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def write_json(report: ConformanceReport, stream: TextIO) -> None:
    """Write ``report`` as one JSON document (UTF-8, indented, keys in a fixed order)."""
    json.dump(report_to_dict(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def tool_version() -> str:
    try:
        return metadata.version("ciapi")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _operation(ref: OperationRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"operation_id": ref.operation_id, "method": ref.method, "path": ref.path}


def _exchange(exchange: HttpExchange | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if exchange is None:
        return None, None
    r = exchange.request
    request = {"method": r.method, "url": r.url, "headers": dict(r.headers), "body": r.body,
               "body_truncated": r.body_truncated}
    if exchange.response is None:
        return request, None
    a = exchange.response
    response = {"status": a.status, "reason": a.reason, "headers": dict(a.headers), "body": a.body,
                "body_truncated": a.body_truncated}
    return request, response


def _finding(index: int, finding: Finding) -> dict[str, Any]:
    request, response = _exchange(finding.exchange)
    return {
        "id": f"F{index}",
        "check": finding.check,
        "operation": _operation(finding.operation),
        "title": finding.title,
        "message": finding.message,
        "phase": finding.phase,
        "occurrences": finding.occurrences,
        "curl": finding.curl,
        "response_summary": finding.response,
        "request": request,
        "response": response,
    }


def _skip(skipped: SkippedProbe) -> dict[str, Any]:
    return {"check": skipped.check, "operation": _operation(skipped.operation), "reason": skipped.reason}


def _error(error: RunError) -> dict[str, Any]:
    return {"message": error.message, "operation": _operation(error.operation), "phase": error.phase}


def report_to_dict(report: ConformanceReport) -> dict[str, Any]:
    """The JSON document as Python data (what `write_json` serialises)."""
    outcomes: Counter[str] = Counter()
    operations = []
    for result in report.operations.values():
        checks = {}
        for check in report.checks:
            outcome = result.outcome(check)
            outcomes[outcome.value] += 1
            found = result.checks.get(check)
            checks[check] = {
                "outcome": outcome.value,
                "passed": found.passed if found else 0,
                "findings": len(found.findings) if found else 0,
                "skipped": list(found.skipped) if found else [],
            }
        operations.append({**(_operation(result.operation) or {}), "checks": checks})
    findings = report.findings
    coverage = coverage_summary(report)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool": {"name": "ciapi", "version": tool_version()},
        "api": report.api,
        "base_url": report.base_url,
        "seed": report.seed,
        "started_at": report.started_at or None,
        "elapsed": round(report.elapsed, 3),
        "finished": report.finished,
        "conformant": report.is_conformant,
        "summary": {
            "operations": len(report.operations),
            "checks": len(report.checks),
            "findings": len(findings),
            "errors": len(report.errors),
            "skipped": len(report.skipped),
            "outcomes": {o.value: outcomes.get(o.value, 0) for o in CheckOutcome},
        },
        "checks": list(report.checks),
        "phases": [{"name": p.name, "elapsed": round(p.elapsed, 3)} for p in report.phases],
        "operations": operations,
        "findings": [_finding(i, f) for i, f in enumerate(findings, 1)],
        "skipped": [_skip(s) for s in report.skipped],
        "errors": [_error(e) for e in report.errors],
        "coverage": {
            **coverage,
            "by_operation": [
                {
                    **(_operation(row.operation) or {}),
                    "documented": list(row.documented),
                    "exercised": list(row.exercised),
                    "missing": list(row.missing),
                    "undocumented": list(row.undocumented),
                    "received": {str(status): count for status, count in row.received.items()},
                }
                for row in operation_coverage(report)
            ],
        },
    }
