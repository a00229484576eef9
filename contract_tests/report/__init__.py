"""Report model and writers. Each writer renders a `ConformanceReport`; formats are keyed in `WRITERS`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from contract_tests.report.html import render_html, write_html
from contract_tests.report.json_report import report_to_dict, write_json
from contract_tests.report.junit import write_junit
from contract_tests.report.model import (
    CheckOutcome,
    CheckResult,
    ConformanceReport,
    Finding,
    OperationRef,
    OperationResult,
    RunError,
    SkippedProbe,
)
from contract_tests.report.terminal import render_terminal, write_terminal

__all__ = [
    "WRITERS",
    "CheckOutcome",
    "CheckResult",
    "ConformanceReport",
    "Finding",
    "OperationRef",
    "OperationResult",
    "RunError",
    "SkippedProbe",
    "render_html",
    "render_terminal",
    "report_to_dict",
    "write_html",
    "write_json",
    "write_junit",
    "write_terminal",
]

Writer = Callable[[ConformanceReport, TextIO], None]
# File formats for `--<format> FILE` options.
WRITERS: dict[str, Writer] = {"junit": write_junit, "json": write_json, "html": write_html, "text": write_terminal}
