"""The conformance suite against the builds-srht mock: no findings, no run errors, no mock self-violations."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests import ConformanceReport, RunOptions, Target, run_conformance
from mock_server import MockServer


@pytest.mark.slow
def test_ciapi_check_finds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with MockServer(api="builds-srht", token="conformance-token") as server:
        target = Target(api="builds-srht", base_url=server.url, token="conformance-token")
        report = ConformanceReport.from_events(run_conformance(target, RunOptions(max_examples=20, seed=2024)))
        violations = server.violations
    assert report.findings == [], "\n\n".join(f"{f.check}: {f.title}\n{f.message}\n{f.curl}" for f in report.findings)
    assert report.errors == []
    assert violations == []
