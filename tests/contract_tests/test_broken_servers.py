"""Proof that the suite catches what it should: each broken server breaks one rule, and the whole suite (every
check) reports that check and only that check."""

from __future__ import annotations

import pytest

# (middleware in apps/broken_buildkite.py, the check that must report it, a title it must use)
BROKEN = [
    ("drop_hostname", "null_fields", "Documented properties missing: hostname"),
    ("omit_nulls", "null_fields", "Documented properties missing"),
    ("stop_answers_202", "status_code_conformance", "Undocumented status code"),
    ("next_on_last_page", "pagination", "`next` link on the last page"),
    ("duplicate_across_pages", "pagination", "Item returned on more than one page"),
    ("accept_without_credentials", "error_codes", "Missing credentials not answered with 401"),
    ("wrong_error_body", "error_codes", "404 error body does not match the documented error schema"),
    ("timestamps_without_milliseconds", "timestamps", "Timestamps not in the documented format: created_at"),
    ("stopped_agent_reconnects", "lifecycle", "Illegal state transition: connection_state stopped -> connected"),
]


def _app(broken, name, mock, token):
    if name == "drop_hostname":
        return broken.drop_agent_field(mock.app, "hostname")
    if name == "accept_without_credentials":
        return broken.accept_without_credentials(mock.app, token)
    return getattr(broken, name)(mock.app)


@pytest.mark.parametrize(("breaker", "check", "title"), BROKEN, ids=[b[0] for b in BROKEN])
def test_the_suite_names_the_broken_rule_and_only_it(mock, broken, serve_wsgi, check_server, token, breaker, check,
                                                      title):
    url = serve_wsgi(_app(broken, breaker, mock, token))

    report = check_server(url, max_examples=3, seed=11)

    assert {f.check for f in report.findings} == {check}, [(f.check, f.title) for f in report.findings]
    assert any(f.title.startswith(title) for f in report.findings), [f.title for f in report.findings]
    assert report.errors == []
    for finding in report.findings:
        assert finding.curl and finding.curl.startswith("curl -X ")
        assert finding.exchange is not None and finding.exchange.response is not None


def test_every_check_of_ours_has_a_broken_server():
    from contract_tests.checks import OUR_CHECKS

    assert set(OUR_CHECKS) <= {check for _, check, _ in BROKEN}
