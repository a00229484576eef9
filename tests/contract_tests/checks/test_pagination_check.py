from __future__ import annotations

import pytest


def test_passes_on_the_mock(mock, check_server):
    report = check_server(mock.url, checks=("pagination",))

    assert report.findings == [] and report.errors == []
    list_agents = next(r for r in report.operations.values() if r.operation.operation_id == "listAgents")
    # default page + 1 page at per_page=100 + 42 connected agents at per_page=5 -> 9 pages
    assert list_agents.checks["pagination"].passed >= 1 + 1 + 9


def test_applies_to_list_operations_only(mock, check_server):
    report = check_server(mock.url, checks=("pagination",))

    applied = {r.operation.operation_id for r in report.operations.values() if "pagination" in r.checks}
    assert applied == {"listAgents"}


@pytest.mark.parametrize(
    ("breaker", "expected"),
    [
        ("squashed_link_separators", 'Link header layout is not exactly `<url>; rel="x", <url>; rel="y"`'),
        ("next_on_last_page", "`next` link on the last page"),
        ("duplicate_across_pages", "Item returned on more than one page"),
        ("ignore_per_page", "Page has more items than per_page"),
    ],
)
def test_broken_pagination_is_caught(mock, broken, check_server, serve_wsgi, breaker, expected):
    url = serve_wsgi(getattr(broken, breaker)(mock.app))

    report = check_server(url, checks=("pagination",))

    assert expected in {f.title for f in report.findings}
    assert {f.check for f in report.findings} == {"pagination"}
    finding = next(f for f in report.findings if f.title == expected)
    assert finding.operation.operation_id == "listAgents"
    assert finding.curl is None or finding.curl.startswith("curl -X GET")


def test_walk_is_capped(mock, check_server, serve_wsgi):
    # Given a server whose `next` always points to a new page with the same single item
    def endless(environ, start_response):
        page = int(dict(p.split("=") for p in environ["QUERY_STRING"].split("&") if "=" in p).get("page", "1"))
        host = environ["HTTP_HOST"]
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Link", f'<http://{host}/v2/organizations/my-great-org/agents?page={page + 1}>; rel="next"'),
            ],
        )
        return [b'[{"id": "same"}]']

    report = check_server(serve_wsgi(endless), checks=("pagination",), operations=("listAgents",))

    titles = {f.title for f in report.findings}
    assert "Pagination does not end within 200 pages" in titles
    assert "Item returned on more than one page" in titles
