"""Pagination styles the real services use. Pure functions: no Flask, no spec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import urlencode

__all__ = ["link_header", "page_slice"]

T = TypeVar("T")


def page_slice(items: Sequence[T], page: int, per_page: int) -> list[T]:
    """Items on ``page`` (1-based; pages past the end are empty)."""
    start = (page - 1) * per_page
    return list(items[start : start + per_page])


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def link_header(
    path_url: str,
    query: Sequence[tuple[str, str]],
    *,
    page: int,
    per_page: int,
    total: int,
    rels: Sequence[str] = ("next", "prev", "first", "last"),
    page_param: str = "page",
    size_param: str = "per_page",
) -> str | None:
    """An RFC 8288 ``Link`` value: ``<URL>; rel="next", <URL>; rel="last"`` (entries joined by ``", "``).

    ``next``/``last`` appear when there is a later page, ``prev``/``first`` when there is an earlier one.
    Other query parameters are kept, in order, so filters survive; the values are URL-encoded, so no
    client-supplied text can split the header.
    """
    last = last_page(total, per_page)
    kept = [(k, v) for k, v in query if k not in (page_param, size_param)]

    def url(target: int) -> str:
        return f"{path_url}?{urlencode([*kept, (page_param, str(target)), (size_param, str(per_page))])}"

    targets = {
        "next": page + 1 if page < last else None,
        "prev": min(page - 1, last) if page > 1 else None,
        "first": 1 if page > 1 else None,
        "last": last if page < last else None,
    }
    parts = [f'<{url(target)}>; rel="{rel}"' for rel in rels if (target := targets.get(rel)) is not None]
    return ", ".join(parts) or None
