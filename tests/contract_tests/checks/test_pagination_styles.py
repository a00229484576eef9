"""Every pagination style the profiles can name, walked by the same `pagination` check: cursors in the body
(Semaphore's ``cursor``, ``next_page_token``, sr.ht's ``next``) and Link headers with count headers."""

from __future__ import annotations

import json
from types import MappingProxyType
from urllib.parse import parse_qs

import pytest

from contract_tests.checks._probe import ProbeContext
from contract_tests.checks.pagination import probe_pagination
from contract_tests.http import ProbeClient
from contract_tests.pagination_styles import (
    CursorPagination,
    LinkHeaderPagination,
    header_token_pagination,
    page_token_pagination,
    srht_pagination,
)
from contract_tests.profiles import ApiProfile
from contract_tests.report.model import ConformanceReport
from contract_tests.spec import iter_operations

ITEMS = [{"id": n, "name": f"item-{n:02d}"} for n in range(23, 0, -1)]  # newest first, like sr.ht


def spec(params: list[str], schema: dict, headers: tuple[str, ...] = ()) -> dict:
    return {"openapi": "3.1.0", "paths": {"/things": {"get": {
        "operationId": "listThings",
        "parameters": [{"name": p, "in": "query", "schema": {"type": "string"}} for p in params],
        "responses": {"200": {"description": "a page", "headers": {h: {"schema": {"type": "string"}} for h in headers},
                              "content": {"application/json": {"schema": schema}}}}}}}}


def envelope(items: str, cursor: str) -> dict:
    return {"type": "object", "properties": {items: {"type": "array"}, cursor: {"type": ["string", "null"]}}}


def cursor_app(*, items_key: str, cursor_key: str, cursor_param: str, size_param: str | None, default: int,
               fault: str = "", end=None):
    """A list served by cursor: the cursor is the id of the first item of the next page."""

    def app(environ, start_response):
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        size = int(query.get(size_param or "", default) or default)
        start = int(query[cursor_param]) if query.get(cursor_param) else ITEMS[0]["id"]
        rest = [i for i in ITEMS if i["id"] <= start]
        page, following = rest[:size], rest[size:]
        if fault == "repeat" and start != ITEMS[0]["id"]:
            page = [ITEMS[0], *page[:-1]]
        cursor = str(following[0]["id"]) if following else end
        if fault == "cursor_on_last" and not following:
            cursor = "0"
        body = {items_key: page, cursor_key: cursor, "total": len(ITEMS), "results_per_page": size}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return app


def walk(url: str, root: dict, style) -> ConformanceReport:
    [operation] = list(iter_operations(root))
    client = ProbeClient(api_url=url, authorization=None, secrets={}, timeout=5)
    ctx = ProbeContext(client=client, profile=ApiProfile(api="test", pagination=style), operations=[operation],
                       fixed={}, rng=__import__("random").Random(1))
    report = ConformanceReport()
    report.operation(operation.ref)
    for event in probe_pagination(ctx, operation):
        report.apply(event)
    return report


STYLES = {
    "sr.ht next/start": (srht_pagination(default_per_page=5),
                         dict(items_key="results", cursor_key="next", cursor_param="start", size_param=None,
                              default=5)),
    "semaphore cursor": (CursorPagination(cursor_param="cursor", cursor_field="cursor", items_field="agents",
                                          per_page_param="page_size", default_per_page=10, max_per_page=50,
                                          min_per_page=5),
                         dict(items_key="agents", cursor_key="cursor", cursor_param="cursor", size_param="page_size",
                              default=10, end="")),
    "next_page_token": (page_token_pagination("jobs", default_per_page=10, max_per_page=50),
                        dict(items_key="jobs", cursor_key="next_page_token", cursor_param="page_token",
                             size_param="page_size", default=10, end="")),
}


@pytest.mark.parametrize("name", STYLES)
def test_cursor_styles_walk_every_item_once(serve_wsgi, name):
    style, app = STYLES[name]
    params = [style.cursor_param, *([style.per_page_param] if style.per_page_param else [])]
    root = spec(params, envelope(style.items_field, style.cursor_field))

    report = walk(serve_wsgi(cursor_app(**app)), root, style)

    assert report.findings == [] and report.skipped == []
    assert next(iter(report.operations.values())).checks["pagination"].passed >= 3


@pytest.mark.parametrize(("fault", "title"), [("repeat", "Item returned on more than one page"),
                                              ("cursor_on_last", "`next` cursor on the last page")])
def test_cursor_faults_are_caught(serve_wsgi, fault, title):
    style, app = STYLES["sr.ht next/start"]
    root = spec([style.cursor_param], envelope(style.items_field, style.cursor_field))

    report = walk(serve_wsgi(cursor_app(**app, fault=fault)), root, style)

    assert title in {f.title for f in report.findings}
    assert all(f.check == "pagination" for f in report.findings)


def test_count_headers_are_checked(serve_wsgi):
    # Given a Link-header list whose `total` header counts one item too many
    def app(environ, start_response):
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        page, size = int(query.get("page", 1)), int(query.get("page_size", 10))
        items = ITEMS[(page - 1) * size: page * size]
        pages = -(-len(ITEMS) // size)
        host = environ["HTTP_HOST"]
        target = f"http://{host}/things?page={page + 1}&page_size={size}"
        link = [("link", f'<{target}>; rel="next"')] if page < pages else []
        start_response("200 OK", [("Content-Type", "application/json"), *link, ("total", "24"),
                                  ("per-page", str(size)), ("total-pages", str(pages)), ("page-number", str(page))])
        return [json.dumps(items).encode()]

    style = LinkHeaderPagination(per_page_param="page_size", header="link", default_per_page=10, max_per_page=50,
                                 count_headers=MappingProxyType({"total": "total", "per_page": "per-page",
                                                                 "total_pages": "total-pages", "page": "page-number"}))
    root = spec(["page", "page_size"], {"type": "array"}, ("link",))

    report = walk(serve_wsgi(app), root, style)

    assert [f.title for f in report.findings] == ["`total` header does not match the items listed"]


def test_a_cursor_in_a_response_header(serve_wsgi):
    # Given Semaphore v2's style: a bare array, `page_token` in, the `next-page-token` header out
    def app(environ, start_response):
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        size, start = int(query.get("page_size", 20)), int(query.get("page_token") or 0)
        following = str(start + size) if start + size < len(ITEMS) else ""
        start_response("200 OK", [("Content-Type", "application/json"), ("next-page-token", following)])
        return [json.dumps(ITEMS[start:start + size]).encode()]

    style = header_token_pagination(default_per_page=20, max_per_page=50)
    root = spec(["page_token", "page_size"], {"type": "array"}, ("next-page-token",))

    report = walk(serve_wsgi(app), root, style)

    assert report.findings == [] and next(iter(report.operations.values())).checks["pagination"].passed >= 5
