"""The whole suite against the conformant Buildkite mock: zero findings, zero errors, no mock self-violations."""

from __future__ import annotations

import os

from contract_tests.checks import ALL_CHECKS


def test_full_run_against_the_mock_is_conformant(mock, check_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    report = check_server(mock.url, max_examples=25, seed=2024)

    assert report.findings == [], "\n\n".join(f"{f.check}: {f.title}\n{f.message}\n{f.curl}" for f in report.findings)
    assert report.errors == [] and report.skipped == []
    assert report.checks == ALL_CHECKS
    ours = {"error_codes", "null_fields"}
    assert all(op.checks[c].passed for op in report.operations.values() for c in ours)
    assert mock.violations == []
    assert os.listdir(tmp_path) == []  # no .hypothesis / .schemathesis left in the cwd
