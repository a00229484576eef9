"""``pagination``: list operations page correctly with page/per_page and an RFC 8288 ``Link`` header.

A probe, run once per list operation: it reads page 1 at the default size, walks every page at the largest
size (the reference), then walks again from page 1 at a small size following ``next``, and compares.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from contract_tests.checks._probe import ProbeContext, finding, format_path, passed
from contract_tests.checks.links import link_problems
from contract_tests.events import Event, ProbeSkipped
from contract_tests.http import Exchange
from contract_tests.profiles import LinkHeaderPagination
from contract_tests.report.model import SkippedProbe
from contract_tests.spec import SpecOperation

__all__ = ["CHECK", "is_paginated_list", "probe_pagination"]

CHECK = "pagination"
PHASE = "pagination"


def is_paginated_list(operation: SpecOperation, style: LinkHeaderPagination) -> bool:
    """GET, a 200 JSON array, ``page`` and ``per_page`` query parameters, and a documented ``Link`` header."""
    return (
        operation.returns_list()
        and operation.param(style.page_param, "query") is not None
        and operation.param(style.per_page_param, "query") is not None
        and "link" in operation.response_headers(200)
    )


@dataclass(slots=True)
class _Walk:
    first: Exchange
    ids: list[Any] = field(default_factory=list)
    complete: bool = False


def probe_pagination(ctx: ProbeContext, operation: SpecOperation) -> Iterator[Event]:
    """Probe one list operation; yields findings and passes."""
    style = ctx.profile.pagination
    if style is None:
        return
    path = format_path(operation.path, ctx.path_values(operation))
    query = {k: v for k, v in ctx.query_values(operation).items() if k not in (style.page_param, style.per_page_param)}
    first = ctx.client.send("GET", path, params=query)
    ok, body = first.json()
    if first.status != 200 or not ok or not isinstance(body, list):
        yield _failed_request(operation, first)
        return
    if len(body) > style.default_per_page:
        title = f"Page 1 at the default page size has more than {style.default_per_page} items"
        yield finding(CHECK, operation, first, title, f"Received: {len(body)} items", PHASE)
    else:
        yield from passed(CHECK, operation)
    reference = yield from _walk(ctx, operation, style, path, query, style.max_per_page)
    if not reference.complete:
        return
    if not reference.ids:
        reason = "the list is empty: nothing to page through"
        yield ProbeSkipped(skipped=SkippedProbe(check=CHECK, operation=operation.ref, reason=reason))
        return
    per_page = min(style.probe_per_page, max(1, len(reference.ids) // 2))
    small = yield from _walk(ctx, operation, style, path, query, per_page)
    found = set(small.ids)
    missing = [item for item in reference.ids if item not in found]
    if small.complete and missing:
        yield finding(
            CHECK,
            operation,
            small.first,
            "Following `next` does not yield every item",
            f"Received: {len(missing)} of {len(reference.ids)} items never appear with {style.per_page_param}="
            f"{per_page} (e.g. {missing[:3]})\nDocumented: every item exactly once across the pages",
            PHASE,
        )


def _walk(
    ctx: ProbeContext,
    operation: SpecOperation,
    style: LinkHeaderPagination,
    path: str,
    query: dict[str, str],
    per_page: int,
) -> Generator[Event, None, _Walk]:
    """Follow ``next`` from page 1 at ``per_page``; returns the ids seen and whether the walk ended cleanly."""
    exchange = ctx.client.send("GET", path, params={**query, style.per_page_param: per_page})
    walk = _Walk(exchange)
    visited = {exchange.url}
    seen: set[Any] = set()
    duplicates_reported = False
    for page in range(1, style.max_pages + 1):
        ok, items = exchange.json()
        if exchange.status != 200 or not ok or not isinstance(items, list):
            yield _failed_request(operation, exchange)
            return walk
        problems = list(_page_problems(style, exchange, items, per_page, page))
        for title, detail in problems:
            yield finding(CHECK, operation, exchange, title, detail, PHASE)
        if page > 1 and not items:
            return walk  # reported above: `next` led to an empty page
        repeated = [_key(item, style) for item in items if _key(item, style) in seen]
        if repeated and not duplicates_reported:
            duplicates_reported = True
            yield finding(
                CHECK,
                operation,
                exchange,
                "Item returned on more than one page",
                f"Received: {style.item_key}={repeated[0]!r} again on page {page} ({style.per_page_param}="
                f"{per_page})\nDocumented: every item exactly once across the pages",
                PHASE,
            )
        elif not problems:
            yield from passed(CHECK, operation)
        for item in items:
            if _key(item, style) not in seen:
                seen.add(_key(item, style))
                walk.ids.append(_key(item, style))
        next_url = _next_url(ctx, exchange)
        if next_url is None:
            walk.complete = True
            return walk
        if next_url in visited:
            yield finding(
                CHECK,
                operation,
                exchange,
                "`next` link loops back to a visited page",
                f"Received: next=<{next_url}> on page {page}\nDocumented: `next` moves forward and stops",
                PHASE,
            )
            return walk
        visited.add(next_url)
        exchange = ctx.client.send("GET", next_url)
    yield finding(
        CHECK,
        operation,
        exchange,
        f"Pagination does not end within {style.max_pages} pages",
        f"Received: a `next` link on page {style.max_pages} ({style.per_page_param}={per_page})",
        PHASE,
    )
    return walk


def _page_problems(
    style: LinkHeaderPagination, exchange: Exchange, items: list[Any], per_page: int, page: int
) -> Iterator[tuple[str, str]]:
    if len(items) > per_page:
        yield (
            f"Page has more items than {style.per_page_param}",
            f"Received: {len(items)} items on page {page}\nDocumented: at most {style.per_page_param}={per_page}",
        )
    if page > 1 and not items:
        yield (
            "`next` link on the last page",
            f"Received: page {page}, reached through `next`, is empty\nDocumented: no `next` on the last page",
        )
    header = exchange.response.headers.get("Link")
    if header is not None:
        _, problems = link_problems(header, style.rels, style.page_param)
        yield from ((title, f"Received: {detail}") for title, detail in problems)


def _next_url(ctx: ProbeContext, exchange: Exchange) -> str | None:
    header = exchange.response.headers.get("Link")
    if header is None:
        return None
    links, _ = link_problems(header, frozenset(), "")
    target = next((link.url for link in links if "next" in link.rels), None)
    if target is None:
        return None
    # Never send the token elsewhere: keep the path and query, use the target's scheme and host.
    absolute = urlsplit(urljoin(exchange.url, target))
    here = urlsplit(ctx.client.api_url)
    return urlunsplit((here.scheme, here.netloc, absolute.path, absolute.query, ""))


def _key(item: Any, style: LinkHeaderPagination) -> Any:
    return item.get(style.item_key) if isinstance(item, dict) else repr(item)


def _failed_request(operation: SpecOperation, exchange: Exchange) -> Event:
    return finding(
        CHECK,
        operation,
        exchange,
        "List request failed",
        f"Received: {exchange.summary}\nDocumented: 200 with a JSON array",
        PHASE,
    )
