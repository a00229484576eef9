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
    assert set(WRITERS) >= {"junit", "json", "html", "text"}


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


def sample_with_exchange() -> ConformanceReport:
    from contract_tests.http import http_exchange

    report = sample_report()
    report.documented = {LIST: ("200", "4XX"), GET: ("200", "404", "default")}
    report.observe(LIST, 200, 3)
    report.observe(LIST, 401)
    report.observe(GET, 500)
    record = http_exchange("GET", "http://x/v2/a", {"Authorization": "Bearer secret"}, None,
                           (404, "Not Found", {"Content-Type": "application/json"}, b'{"message": "No agent found"}'),
                           {"secret": "CIAPI_TOKEN"})
    report.add_finding(Finding(check="null_fields", operation=LIST, title="t", message="m", exchange=record))
    report.elapsed, report.finished = 1.5, True
    return report


def test_json_report_follows_its_schema():
    import json

    import jsonschema

    from contract_tests.report.json_report import SCHEMA_PATH, report_to_dict

    document = report_to_dict(sample_with_exchange())

    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["format"] == "ciapi-conformance-report" and document["format_version"] == 1
    assert document["summary"]["findings"] == 2 and document["conformant"] is False
    listed = next(f for f in document["findings"] if f["check"] == "null_fields")
    assert listed["request"]["headers"] == {"Authorization": "Bearer ${CIAPI_TOKEN}"}
    assert listed["response"]["status"] == 404 and "No agent found" in listed["response"]["body"]
    cells = {op["operation_id"]: op["checks"] for op in document["operations"]}
    assert cells["getAgent"]["error_codes"] == {"outcome": "failed", "passed": 0, "findings": 1, "skipped": []}


def test_coverage_counts_documented_statuses_and_error_responses():
    from contract_tests.report.coverage import coverage_summary, operation_coverage

    report = sample_with_exchange()

    rows = {row.operation.operation_id: row for row in operation_coverage(report)}
    assert rows["listAgents"].exercised == ("200", "4XX") and rows["listAgents"].missing == ()
    assert rows["getAgent"].exercised == ("default",) and rows["getAgent"].missing == ("200", "404")
    summary = coverage_summary(report)
    assert summary["operations"] == {"total": 2, "exercised": 2, "percent": 100.0}
    assert summary["statuses"]["exercised"] == 3 and summary["statuses"]["total"] == 5
    assert summary["error_responses"] == {"total": 3, "exercised": 2, "percent": 66.7}


def test_progress_bar_draws_only_when_enabled():
    from contract_tests.events import PhaseStarted, RunFinished, RunStarted, StepFinished
    from contract_tests.report.progress import ProgressBar

    events = [RunStarted(api="a", base_url="u", seed=1, checks=(), operations=(), planned_steps=4),
              PhaseStarted(name="fuzzing"), StepFinished(phase="fuzzing", operation=GET), RunFinished(elapsed=1)]
    quiet, shown = io.StringIO(), io.StringIO()
    bars = [ProgressBar(quiet, enabled=False), ProgressBar(shown, enabled=True, min_interval=0)]
    for event in events:
        for bar in bars:
            bar.handle(event)

    assert quiet.getvalue() == ""
    assert "[#######" in shown.getvalue() and "25%  1/4  fuzzing getAgent" in shown.getvalue()
    assert shown.getvalue().endswith("\r\x1b[2K")  # erased at the end


def test_terminal_table_wraps_many_operations():
    report = ConformanceReport(api="x", checks=("error_codes",))
    for n in range(30):
        report.operation(OperationRef("GET", f"/things/{n}", f"operationNumber{n:02d}"))

    lines = render_terminal(report).splitlines()

    headers = [line for line in lines if line.startswith("check ")]
    assert len(headers) > 1 and all(len(line) <= 120 for line in lines if line.startswith(("check", "error_codes")))
