from __future__ import annotations

import socket
from pathlib import Path
from xml.etree import ElementTree

import click
import pytest
from click.testing import CliRunner

from contract_tests.checks import ALL_CHECKS
from contract_tests.cli import check


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(check, list(args), catch_exceptions=False)


def test_is_a_click_command_named_check():
    assert isinstance(check, click.Command) and check.name == "check"


def test_conformant_mock_exits_0(mock, token):
    result = invoke("buildkite", "--base-url", mock.url, "--token", token, "--max-examples", "3", "--seed", "1")

    assert result.exit_code == 0, result.output
    assert "CONFORMANT: no findings" in result.output


def test_findings_exit_1_and_junit_has_operations_x_checks(mock, broken, serve_wsgi, token, tmp_path: Path):
    url = serve_wsgi(broken.not_found_as_server_error(mock.app))
    junit = tmp_path / "report.xml"

    result = invoke(
        "buildkite",
        "--base-url",
        url,
        "--token",
        token,
        "--checks",
        "error_codes,not_a_server_error",
        "--max-examples",
        "3",
        "--seed",
        "1",
        "--junit",
        str(junit),
    )

    assert result.exit_code == 1, result.output
    assert "[error_codes]" in result.output and "Unknown `id` not answered with 404" in result.output
    cases = ElementTree.parse(junit).getroot().findall("./testsuite/testcase")
    assert len(cases) == 3 * 2
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert ("buildkite.getAgent", "error_codes") in failed


def test_all_checks_in_junit(mock, token, tmp_path: Path):
    junit = tmp_path / "all.xml"

    result = invoke(
        "buildkite",
        "--base-url",
        mock.url,
        "--token",
        token,
        "--operations",
        "getAgent",
        "--max-examples",
        "2",
        "--seed",
        "2",
        "--junit",
        str(junit),
    )

    assert result.exit_code == 0, result.output
    assert len(ElementTree.parse(junit).getroot().findall("./testsuite/testcase")) == len(ALL_CHECKS)


def test_params_and_exclude_checks(mock, token):
    result = invoke(
        "buildkite",
        "--base-url",
        mock.url,
        "--token",
        token,
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(c for c in ALL_CHECKS if c != "pagination"),
        "--param",
        "org=no-such-org",
    )

    assert result.exit_code == 1
    assert "List request failed" in result.output and "no-such-org" in result.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gitlab"], "unknown API 'gitlab'"),
        (["buildkite", "--checks", "nope"], "unknown check(s) nope"),
        (["buildkite", "--operations", "deleteAgent"], "unknown operationId(s) deleteAgent"),
        (["buildkite", "--param", "org"], "expected NAME=VALUE"),
        (["buildkite", "--param", "colour=red"], "no operation has a parameter named colour"),
        (["buildkite", "--max-examples", "0"], "0 is not in the range x>=1"),
    ],
)
def test_usage_errors_exit_2(mock, token, args, message):
    result = CliRunner().invoke(check, [*args, "--base-url", mock.url, "--token", token])

    assert result.exit_code == 2, result.output
    assert message in result.output


def test_missing_token_exits_2(mock):
    result = CliRunner().invoke(check, ["buildkite", "--base-url", mock.url], env={"CIAPI_TOKEN": ""})

    assert result.exit_code == 2 and "--token" in result.output


def test_unreachable_base_url_exits_2():
    result = CliRunner().invoke(
        check, ["buildkite", "--base-url", f"http://127.0.0.1:{_closed_port()}", "--token", "t"]
    )

    assert result.exit_code == 2
    assert "cannot reach" in result.output


def test_bad_base_url_exits_2():
    result = CliRunner().invoke(check, ["buildkite", "--base-url", "ftp://example", "--token", "t"])

    assert result.exit_code == 2 and "invalid base URL" in result.output


def test_options_from_environment(mock, token):
    env = {"CIAPI_BASE_URL": mock.url, "CIAPI_TOKEN": token}

    result = CliRunner().invoke(check, ["buildkite", "--checks", "error_codes"], env=env)

    assert result.exit_code == 0, result.output


def test_rejected_token_exits_2(mock):
    result = CliRunner().invoke(check, ["buildkite", "--base-url", mock.url, "--token", "wrong"])

    assert result.exit_code == 2
    assert "the server rejects the token" in result.output


def test_writes_json_and_html_reports_with_workers(mock, token, tmp_path: Path):
    import json

    files = {fmt: tmp_path / "out" / f"report.{fmt}" for fmt in ("json", "html", "junit")}

    result = CliRunner().invoke(check, ["buildkite", "--base-url", mock.url, "--token", token, "--max-examples", "2",
                                        "--seed", "4", "--workers", "2",
                                        *(a for fmt, p in files.items() for a in (f"--{fmt}", str(p)))])

    assert result.exit_code == 0, result.output
    assert json.loads(files["json"].read_text())["conformant"] is True
    assert files["html"].read_text().startswith("<!DOCTYPE html>")
    assert "[##" not in result.stderr  # no progress bar when stderr is not a terminal
    assert all(f"Wrote {p}" in result.stderr for p in files.values())


def test_summary_table_lists_operations_and_our_checks(mock, token):
    result = invoke("buildkite", "--base-url", mock.url, "--token", token, "--checks", "lifecycle,timestamps",
                    "--max-examples", "2", "--quiet")

    assert result.exit_code == 0, result.output
    header, timestamps, lifecycle = (line.split() for line in result.stdout.splitlines()[3:6])
    assert header == ["check", "listAgents", "getAgent", "stopAgent"]
    assert lifecycle == ["lifecycle", "-", "ok", "ok"] and timestamps == ["timestamps", "ok", "ok", "ok"]
