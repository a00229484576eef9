"""Write a report in several formats to files (what ``--junit/--json/--html FILE`` options do)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from contract_tests.report.html import write_html
from contract_tests.report.json_report import write_json
from contract_tests.report.junit import write_junit
from contract_tests.report.model import ConformanceReport

__all__ = ["FILE_FORMATS", "write_report_files"]

FILE_FORMATS = {"junit": write_junit, "json": write_json, "html": write_html}


def write_report_files(report: ConformanceReport, paths: Mapping[str, str | Path | None]) -> list[Path]:
    """Write ``report`` to each ``{format: path}`` given (``None`` paths are skipped); returns the files written."""
    written = []
    for name, path in paths.items():
        if path is None:
            continue
        target = Path(path)
        if target.parent and not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as stream:
            FILE_FORMATS[name](report, stream)
        written.append(target)
    return written
