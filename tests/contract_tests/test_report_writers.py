from __future__ import annotations

import io
from xml.etree import ElementTree

from contract_tests.report import WRITERS, render_terminal, write_junit
from contract_tests.report.model import ConformanceReport, Finding, RunError, SkippedProbe
from contract_tests.spec import OperationRef

LIST = OperationRef("GET", "/v2/organizations/{org}/agents", "listAgents")
GET = OperationRef("GET", "/v2/organizations/{org}/agents/{id}", "getAgent")


def sample_report() -> ConformanceReport:
    report = ConformanceReport(
        api="buildkite",
        base_url="http://127.0.0.1:1",
        seed=5,
        checks=("error_codes", "pagination", "not_a_server_error"),
    )
    report.operation(LIST)
    report.operation(GET)
    report.add_passes(LIST, "pagination", 3)
    report.add_passes(GET, "not_a_server_error", 10)
    finding = Finding(
        check="error_codes",
        operation=GET,
        title="Unknown `id` not answered with 404",
        message="Received: 500\nDocumented: 404",
        curl="curl -X GET 'http://x/\x01'",
        response="500 Internal Server Error",
        phase="error_codes",
    )
    report.add_finding(finding)
    report.add_finding(finding)
    report.add_skip(SkippedProbe(check="error_codes", operation=LIST, reason="403 probe: no token"))
    return report


def test_junit_has_one_testcase_per_operation_and_check():
    out = io.StringIO()

    write_junit(sample_report(), out)

    root = ElementTree.fromstring(out.getvalue())
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 2 * 3
    outcomes = {(c.get("classname"), c.get("name")): [child.tag for child in c] for c in cases}
    assert outcomes[("buildkite.getAgent", "error_codes")] == ["failure"]
    assert outcomes[("buildkite.listAgents", "error_codes")] == ["skipped"]
    assert outcomes[("buildkite.listAgents", "pagination")] == []
    assert outcomes[("buildkite.getAgent", "pagination")] == ["skipped"]  # not applicable
    failure = root.find("./testsuite/testcase[@name='error_codes'][@classname='buildkite.getAgent']/failure")
    assert failure is not None and "Received: 500" in failure.text and "\x01" not in failure.text
    assert root.get("tests") == "6" and root.get("failures") == "1"


def test_junit_run_errors_get_their_own_testcase():
    report = sample_report()
    report.errors.append(RunError(message="connection reset", operation=LIST, phase="fuzzing"))
    out = io.StringIO()

    write_junit(report, out)

    root = ElementTree.fromstring(out.getvalue())
    run = root.find("./testsuite/testcase[@name='(run)']/error")
    assert run is not None and "connection reset" in run.text


def test_terminal_shows_table_findings_curl_and_verdict():
    text = render_terminal(sample_report())

    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()[3:7] if line.strip()}
    assert rows["check"] == ["listAgents", "getAgent"]
    assert rows["error_codes"] == ["skip", "FAIL", "1"]
    assert rows["pagination"] == ["ok", "-"]
    assert rows["not_a_server_error"] == ["-", "ok"]
    assert "seen 2x" in text and "curl -X GET" in text and "403 probe: no token" in text
    assert text.rstrip().endswith("NOT CONFORMANT: 1 finding(s) in 2 operations")


def test_writers_registry():
    assert set(WRITERS) >= {"junit", "text"}


def test_curl_hides_only_the_configured_tokens():
    from contract_tests.http import curl_command

    secrets = {"a": "CIAPI_TOKEN"}
    headers = {"Authorization": "Bearer a", "Content-Type": "application/json", "User-Agent": "python-requests"}

    curl = curl_command("PUT", "http://h/x?q=1", headers, b'{"force": true}', secrets)

    assert curl == (
        "curl -X PUT -H \"Authorization: Bearer ${CIAPI_TOKEN}\" -H 'Content-Type: application/json' "
        "-d '{\"force\": true}' 'http://h/x?q=1'"
    )
    assert "'Authorization: Bearer other'" in curl_command(
        "GET", "http://h/", {"Authorization": "Bearer other"}, None, secrets
    )
