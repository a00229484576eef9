"""``pytest --pyargs contract_tests --ciapi-api ...``: the suite as pytest tests, for other repos' CI."""

from __future__ import annotations

import json

import pytest

# The entry point is named after the module, so `-p` never loads the plugin twice once ciapi is installed.
PLUGIN = ("-p", "contract_tests.pytest_plugin")


def run_suite(pytester: pytest.Pytester, url: str, token: str, *extra: str) -> pytest.RunResult:
    return pytester.runpytest(
        *PLUGIN, "-p", "no:cacheprovider", "--pyargs", "contract_tests", "--ciapi-api", "buildkite",
        "--ciapi-base-url", url, "--ciapi-token", token, "--ciapi-max-examples", "2", "--ciapi-seed", "5", *extra,
    )


def test_one_test_per_operation_and_check_against_the_mock(pytester, mock, token, tmp_path):
    report = tmp_path / "report.json"

    result = run_suite(pytester, mock.url, token, "-v", "--ciapi-json", str(report))

    result.assert_outcomes(passed=54, skipped=3)
    result.stdout.fnmatch_lines(["*test_conformance[[]listAgents-pagination[]] PASSED*",
                                 "*test_conformance[[]getAgent-pagination[]] SKIPPED*"])
    assert json.loads(report.read_text())["conformant"] is True


def test_findings_fail_their_cell_with_a_curl_command(pytester, mock, broken, serve_wsgi, token):
    url = serve_wsgi(broken.drop_agent_field(mock.app, "hostname"))

    result = run_suite(pytester, url, token, "--ciapi-checks", "null_fields,error_codes")

    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines(["*Documented properties missing: hostname*", "*curl -X GET*",
                                 "FAILED *test_conformance[[]listAgents-null_fields[]]*"])


def test_without_options_the_suite_is_skipped_with_the_reason(pytester):
    result = pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider", "--pyargs", "contract_tests", "-rs")

    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*needs --ciapi-api, --ciapi-base-url and --ciapi-token*"])


def test_other_sessions_are_not_disturbed(pytester):
    pytester.makepyfile(test_mine="def test_mine(request):\n    assert 'ciapi_conformance_case' not in "
                                  "request.fixturenames\n")

    result = pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    help_text = pytester.runpytest(*PLUGIN, "--help")

    result.assert_outcomes(passed=1)
    help_text.stdout.fnmatch_lines(["*--ciapi-api=NAME*"])


def test_bad_options_are_usage_errors(pytester):
    result = pytester.runpytest(*PLUGIN, "--pyargs", "contract_tests", "--ciapi-api", "gitlab",
                                           "--ciapi-base-url", "http://127.0.0.1:1", "--ciapi-token", "t")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown API 'gitlab'*"])
