"""``pagination``: list operations page correctly, in the API's own style (see `contract_tests.pagination_styles`).

A probe, run once per list operation: it reads page 1 at the default size, walks every page at the largest
size (the reference), then walks again from page 1 at a small size, and compares. Each page is checked in the
style's own terms (``Link`` header syntax and rels, count headers, cursor fields, page-size bounds).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from contract_tests.checks._probe import ProbeContext, finding, format_path, passed
from contract_tests.events import Event, ProbeSkipped
from contract_tests.http import Exchange
from contract_tests.pagination_styles import PaginationStyle, item_key_of
from contract_tests.report.model import SkippedProbe
from contract_tests.spec import SpecOperation

__all__ = ["CHECK", "is_paginated_list", "probe_pagination"]

CHECK = "pagination"
PHASE = "pagination"


def is_paginated_list(operation: SpecOperation, style: PaginationStyle | None) -> bool:
    """Whether ``style`` describes how ``operation`` pages (see each style's ``applies_to``)."""
    return style is not None and style.applies_to(operation)


@dataclass(slots=True)
class _Walk:
    first: Exchange
    ids: list[Any] = field(default_factory=list)
    pages: int = 0
    complete: bool = False


def probe_pagination(ctx: ProbeContext, operation: SpecOperation) -> Iterator[Event]:
    """Probe one list operation; yields findings and passes."""
    style = ctx.profile.pagination_for(operation)
    if style is None:
        return
    path = format_path(operation.path, ctx.path_values(operation))
    query = {k: v for k, v in ctx.query_values(operation).items() if k not in style.controlled_params()}
    first = ctx.client.send("GET", path, params=query)
    ok, body = first.json()
    items = style.items(body) if ok and first.status == 200 else None
    if items is None:
        yield _failed_request(operation, first)
        return
    if len(items) > style.default_per_page:
        title = f"Page 1 at the default page size has more than {style.default_per_page} items"
        yield finding(CHECK, operation, first, title, f"Received: {len(items)} items", PHASE)
    else:
        yield from passed(CHECK, operation)
    largest = style.max_per_page if style.per_page_param else None
    reference = yield from _walk(ctx, operation, style, path, query, largest)
    if not reference.complete:
        return
    if not reference.ids:
        reason = "the list is empty: nothing to page through"
        yield ProbeSkipped(skipped=SkippedProbe(check=CHECK, operation=operation.ref, reason=reason))
        return
    ok, first_body = reference.first.json()
    for title, detail in style.total_problems(reference.first.response.headers, first_body, len(reference.ids),
                                              reference.pages):
        yield finding(CHECK, operation, reference.first, title, detail, PHASE)
    if not style.per_page_param:
        return
    per_page = max(style.min_per_page, min(style.probe_per_page, max(1, len(reference.ids) // 2)))
    small = yield from _walk(ctx, operation, style, path, query, per_page)
    found = set(small.ids)
    missing = [item for item in reference.ids if item not in found]
    if small.complete and missing:
        yield finding(
            CHECK,
            operation,
            small.first,
            f"Following {style.next_name} does not yield every item",
            f"Received: {len(missing)} of {len(reference.ids)} items never appear with {style.per_page_param}="
            f"{per_page} (e.g. {missing[:3]})\nDocumented: every item exactly once across the pages",
            PHASE,
        )


def _walk(
    ctx: ProbeContext,
    operation: SpecOperation,
    style: PaginationStyle,
    path: str,
    query: dict[str, str],
    per_page: int | None,
) -> Generator[Event, None, _Walk]:
    """Follow the pages from the first at ``per_page``; returns the ids seen and whether the walk ended cleanly."""
    params: Mapping[str, Any] = {**query, **style.first_params(per_page)}
    exchange = ctx.client.send("GET", path, params=params)
    walk = _Walk(exchange)
    visited = {exchange.url}
    seen: set[Any] = set()
    duplicates_reported = False
    size = per_page if per_page is not None else style.default_per_page
    for page in range(1, style.max_pages + 1):
        ok, body = exchange.json()
        items = style.items(body) if ok and exchange.status == 200 else None
        if items is None:
            yield _failed_request(operation, exchange)
            return walk
        walk.pages = page
        problems = list(_page_problems(style, exchange, body, items, size, per_page, page))
        for title, detail in problems:
            yield finding(CHECK, operation, exchange, title, detail, PHASE)
        if page > 1 and not items:
            walk.pages -= 1
            return walk  # reported above: the cursor or link led to an empty page
        keys = [item_key_of(item, style.item_key) for item in items]
        repeated = [key for key in keys if key in seen]
        if repeated and not duplicates_reported:
            duplicates_reported = True
            yield finding(
                CHECK,
                operation,
                exchange,
                "Item returned on more than one page",
                f"Received: {style.item_key}={repeated[0]!r} again on page {page} ({_size_label(style, per_page)})"
                "\nDocumented: every item exactly once across the pages",
                PHASE,
            )
        elif not problems:
            yield from passed(CHECK, operation)
        for key in keys:
            if key not in seen:
                seen.add(key)
                walk.ids.append(key)
        following = style.next_page(exchange.response.headers, body, params)
        if following is None:
            walk.complete = True
            return walk
        target = _safe_url(ctx, exchange, following.url) if following.url is not None else None
        where = target or f"{exchange.url.split('?')[0]}?{following.marker}"
        if where in visited:
            yield finding(
                CHECK,
                operation,
                exchange,
                f"{style.next_name[0].upper()}{style.next_name[1:]} loops back to a visited page",
                f"Received: {following.marker} on page {page}\nDocumented: it moves forward and stops",
                PHASE,
            )
            return walk
        visited.add(where)
        if target is not None:
            exchange = ctx.client.send("GET", target)
        else:
            params = following.params or {}
            exchange = ctx.client.send("GET", path, params=params)
    yield finding(
        CHECK,
        operation,
        exchange,
        f"Pagination does not end within {style.max_pages} pages",
        f"Received: a {style.next_name} on page {style.max_pages} ({_size_label(style, per_page)})",
        PHASE,
    )
    return walk


def _size_label(style: PaginationStyle, per_page: int | None) -> str:
    if style.per_page_param and per_page is not None:
        return f"{style.per_page_param}={per_page}"
    return f"default page size {style.default_per_page}"


def _page_problems(
    style: PaginationStyle,
    exchange: Exchange,
    body: Any,
    items: list[Any],
    size: int,
    per_page: int | None,
    page: int,
) -> Iterator[tuple[str, str]]:
    if len(items) > size:
        name = style.per_page_param or "the page size"
        yield (
            f"Page has more items than {name}",
            f"Received: {len(items)} items on page {page}\nDocumented: at most {size}",
        )
    if page > 1 and not items:
        yield (
            f"{style.next_name} on the last page",
            f"Received: page {page}, reached through the {style.next_name}, is empty\n"
            f"Documented: no {style.next_name} on the last page",
        )
    yield from style.page_problems(exchange.response.headers, body, per_page, page)


def _safe_url(ctx: ProbeContext, exchange: Exchange, target: str) -> str:
    """Never send the token elsewhere: keep the path and query of ``target``, use the API's scheme and host."""
    absolute = urlsplit(urljoin(exchange.url, target))
    here = urlsplit(ctx.client.api_url)
    return urlunsplit((here.scheme, here.netloc, absolute.path, absolute.query, ""))


def _failed_request(operation: SpecOperation, exchange: Exchange) -> Event:
    return finding(
        CHECK,
        operation,
        exchange,
        "List request failed",
        f"Received: {exchange.summary}\nDocumented: 200 with a page of the list",
        PHASE,
    )
