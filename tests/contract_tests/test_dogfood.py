"""The whole suite against each API's conformant mock: zero findings, zero errors, no mock self-violations, and all
three reports written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from contract_tests.catalog import API_NAMES
from contract_tests.checks import ALL_CHECKS
from contract_tests.report.files import write_report_files
from contract_tests.report.json_report import SCHEMA_PATH
from mock_server import MockServer

TOKEN = "ciapi-dogfood-token"


@pytest.mark.parametrize("api", API_NAMES)
def test_every_api_mock_is_conformant(api, check_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with MockServer(api=api, token=TOKEN) as mock:
        report = check_server(mock.url, api=api, token=TOKEN, max_examples=3, seed=2024)
        violations = mock.violations

    shown = "\n\n".join(f"{f.check} {f.operation}: {f.title}\n{f.message}\n{f.curl}" for f in report.findings)
    assert report.findings == [], shown
    assert report.errors == [] and violations == []
    assert report.checks == ALL_CHECKS and report.finished
    assert {p.name for p in report.phases} >= {"examples", "coverage", "fuzzing", "stateful"}
    assert os.listdir(tmp_path) == []  # no .hypothesis / .schemathesis left in the cwd
    written = write_report_files(report, {f: tmp_path / f"report.{f}" for f in ("junit", "json", "html")})
    assert len(written) == 3
    document = json.loads((tmp_path / "report.json").read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["conformant"] is True and document["coverage"]["operations"]["exercised"] > 0


def test_buildkite_mock_passes_every_check_of_ours(mock, check_server, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    report = check_server(mock.url, max_examples=10, seed=2024)

    assert report.findings == [] and report.errors == [] and report.skipped == []
    outcomes = {(op.operation.operation_id, c): r.outcome.value for op in report.operations.values()
                for c, r in op.checks.items()}
    for operation in ("listAgents", "getAgent", "stopAgent"):
        for check in ("error_codes", "null_fields", "timestamps"):
            assert outcomes[(operation, check)] == "passed", (operation, check)
    assert outcomes[("listAgents", "pagination")] == "passed"
    assert outcomes[("stopAgent", "lifecycle")] == "passed" and outcomes[("getAgent", "lifecycle")] == "passed"
    assert mock.violations == []
