"""Plain-text report: a checks x operations table, then every finding with a curl reproduction."""

from __future__ import annotations

from typing import TextIO

from contract_tests.report.model import CheckOutcome, ConformanceReport, Finding, OperationResult

__all__ = ["render_finding", "render_terminal", "write_terminal"]

_CELL = {
    CheckOutcome.PASSED: "ok",
    CheckOutcome.FAILED: "FAIL",
    CheckOutcome.SKIPPED: "skip",
    CheckOutcome.NOT_RUN: "-",
}
TABLE_WIDTH = 120
LEGEND = "ok = passed, FAIL = findings, skip = probe skipped, - = not applicable or not reached"


def write_terminal(report: ConformanceReport, stream: TextIO) -> None:
    stream.write(render_terminal(report))


def render_terminal(report: ConformanceReport) -> str:
    """The whole text report, ending with a one-line verdict."""
    lines = [
        f"ciapi check {report.api} against {report.base_url}",
        f"seed {report.seed}, {len(report.operations)} operations, {len(report.checks)} checks, {report.elapsed:.1f} s",
        "",
        *_table(report),
        "",
        LEGEND,
    ]
    findings = report.findings
    if findings:
        lines += ["", f"Findings ({len(findings)})", ""]
        for index, finding in enumerate(findings, 1):
            lines += [*render_finding(index, finding), ""]
        if any("${CIAPI_TOKEN}" in (f.curl or "") for f in findings):
            lines.append("The curl commands read the token from $CIAPI_TOKEN (and $CIAPI_LIMITED_TOKEN).")
    if report.skipped:
        lines += ["", f"Skipped probes ({len(report.skipped)})"]
        for skipped in report.skipped:
            where = f"{skipped.operation.display}: " if skipped.operation else ""
            lines.append(f"  - [{skipped.check}] {where}{skipped.reason}")
    if report.errors:
        lines += ["", f"Errors ({len(report.errors)}): the results are incomplete"]
        for error in report.errors:
            where = f"{error.operation.display}: " if error.operation else ""
            lines.append(f"  - [{error.phase or 'run'}] {where}{error.message}")
    lines += ["", _verdict(report)]
    return "\n".join(lines) + "\n"


def _table(report: ConformanceReport, max_width: int = TABLE_WIDTH) -> list[str]:
    """Checks down, operations across; operations that do not fit in ``max_width`` go to a further block."""
    results = list(report.operations.values())
    width = max([len("check"), *(len(c) for c in report.checks)])
    blocks: list[list[OperationResult]] = [[]]
    used = width
    for result in results:
        column = max(len(result.operation.short), 6) + 2
        if blocks[-1] and used + column > max_width:
            blocks.append([])
            used = width
        blocks[-1].append(result)
        used += column
    rows: list[str] = []
    for block in blocks:
        if rows:
            rows.append("")
        headers = [r.operation.short for r in block]
        widths = [max(len(h), 6) for h in headers]
        rows.append("  ".join(["check".ljust(width), *(h.ljust(w) for h, w in zip(headers, widths, strict=True))])
                    .rstrip())
        for check in report.checks:
            cells = [_cell(result, check).ljust(w) for result, w in zip(block, widths, strict=True)]
            rows.append("  ".join([check.ljust(width), *cells]).rstrip())
    rows += ["", *(f"{r.operation.short}: {r.operation.label}" for r in results if r.operation.operation_id)]
    return rows


def _cell(result: OperationResult, check: str) -> str:
    outcome = result.outcome(check)
    if outcome is CheckOutcome.FAILED:
        return f"FAIL {len(result.checks[check].findings)}"
    return _CELL[outcome]


def render_finding(index: int, finding: Finding) -> list[str]:
    """The lines of one finding: check, operation, title, message, response and a curl reproduction."""
    where = finding.operation.display if finding.operation else "(whole run)"
    seen = f", seen {finding.occurrences}x" if finding.occurrences > 1 else ""
    lines = [f"{index}. [{finding.check}] {where}", f"   {finding.title}  (phase {finding.phase or '-'}{seen})"]
    lines += [f"   {line}" for line in finding.message.splitlines() if line.strip()]
    if finding.response:
        lines.append(f"   Response: {finding.response}")
    if finding.curl:
        lines += ["   Reproduce:", f"     {finding.curl}"]
    return lines


def _verdict(report: ConformanceReport) -> str:
    if report.is_conformant:
        return f"CONFORMANT: no findings in {len(report.operations)} operations"
    parts = [f"{len(report.findings)} finding(s)"]
    if report.errors:
        parts.append(f"{len(report.errors)} error(s)")
    return f"NOT CONFORMANT: {', '.join(parts)} in {len(report.operations)} operations"
