from __future__ import annotations

import pytest


def test_passes_on_the_mock(mock, check_server):
    report = check_server(mock.url, checks=("error_codes",))

    assert report.findings == [] and report.errors == [] and report.skipped == []
    for result in report.operations.values():
        # 401 missing + 401 invalid + 403 limited token + one 404 per path parameter
        assert result.checks["error_codes"].passed == 3 + result.operation.path.count("{")


def test_limited_token_is_created_through_the_mock_admin_plane(mock, check_server):
    report = check_server(mock.url, checks=("error_codes",))

    created = [t for t in mock.state.store.all("tokens") if str(t["token"]).startswith("ciapi-limited-")]
    assert report.skipped == [] and len(created) == 1 and created[0]["scopes"] == []


def test_403_probe_is_skipped_without_a_mock_or_limited_token(mock, broken, serve_wsgi, check_server):
    # Given a server that does not answer /_mock/health (not a ciapi mock)
    def hide_admin(environ, start_response):
        if environ["PATH_INFO"].startswith("/_mock"):
            start_response("404 NOT FOUND", [("Content-Type", "application/json")])
            return [b'{"message": "Not Found"}']
        return mock.app(environ, start_response)

    report = check_server(serve_wsgi(hide_admin), checks=("error_codes",))

    assert report.findings == []
    assert {s.operation.operation_id for s in report.skipped} == {"listAgents", "getAgent", "stopAgent"}
    assert all("--limited-token" in s.reason for s in report.skipped)


def test_limited_token_option_is_used(mock, check_server):
    mock.admin("POST", "fixtures", {"tokens": [{"token": "no-scopes", "scopes": []}]})

    report = check_server(mock.url, checks=("error_codes",), limited_token="no-scopes")

    assert report.findings == [] and report.skipped == []


def test_answering_without_credentials_is_caught(mock, broken, check_server, serve_wsgi, token):
    url = serve_wsgi(broken.accept_without_credentials(mock.app, token))

    report = check_server(url, checks=("error_codes",))

    found = {(f.operation.operation_id, f.check, f.title) for f in report.findings}
    assert ("listAgents", "error_codes", "Missing credentials not answered with 401") in found
    finding = next(f for f in report.findings if f.title.startswith("Missing credentials"))
    assert "Received: 200" in finding.message and "Authorization" not in (finding.curl or "")


def test_ignoring_scopes_is_caught(mock, broken, check_server, serve_wsgi, token):
    report = check_server(serve_wsgi(broken.ignore_scopes(mock.app, token)), checks=("error_codes",))

    assert {f.title for f in report.findings} == {"Token without scopes not answered with 403"}
    assert {f.operation.operation_id for f in report.findings} == {"listAgents", "getAgent", "stopAgent"}


@pytest.mark.parametrize(
    ("breaker", "title"),
    [
        ("not_found_as_text", "404 error body does not match the documented error schema"),
        ("not_found_as_server_error", "Unknown `id` not answered with 404"),
    ],
)
def test_bad_unknown_id_answers_are_caught(mock, broken, check_server, serve_wsgi, breaker, title):
    url = serve_wsgi(getattr(broken, breaker)(mock.app))

    report = check_server(url, checks=("error_codes",))

    assert title in {f.title for f in report.findings if f.operation.operation_id == "getAgent"}
    assert all(f.check == "error_codes" for f in report.findings)
