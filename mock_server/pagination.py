"""Pagination styles the real services use. Pure functions: no Flask, no spec."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlencode

__all__ = ["id_cursor_page", "link_header", "page_slice"]

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
    kept = tuple((k, v) for k, v in query if k not in (page_param, size_param))
    return _link(path_url, kept, page, per_page, total, tuple(rels), page_param, size_param)


@functools.lru_cache(maxsize=1024)  # a client polling a list asks for the same few pages again and again
def _link(path_url: str, kept: tuple[tuple[str, str], ...], page: int, per_page: int, total: int,
          rels: tuple[str, ...], page_param: str, size_param: str) -> str | None:
    last = last_page(total, per_page)

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


def id_cursor_page(
    items: Sequence[T], *, start: int | None, per_page: int, key: Callable[[T], int]
) -> tuple[list[T], int | None]:
    """sourcehut style: newest (highest id) first, ``start`` keeps ids <= start (``None`` or -1: from the newest).

    Returns the page and the id of the first item of the next page (``None`` on the last page), which the
    client passes back as ``start``.
    """
    ordered = sorted(items, key=key, reverse=True)
    if start is not None and start != -1:
        ordered = [item for item in ordered if key(item) <= start]
    page = ordered[: per_page + 1]
    next_id = key(page[per_page]) if len(page) > per_page else None
    return page[:per_page], next_id


def scrivener_headers(
    path_url: str,
    query: Sequence[tuple[str, str]],
    *,
    page: int,
    page_size: int,
    total: int,
    page_param: str = "page",
) -> dict[str, str]:
    """The headers Elixir's ``scrivener_headers`` writes (Semaphore v1alpha lists).

    ``link`` lists ``next`` (when a later page exists), ``prev`` (when 1 < page <= last), then ``first`` and
    ``last``, which are always there. Each URL carries the request's query (a repeated key keeps its last value,
    as Plug decodes it) with ``page`` replaced, keys in alphabetical order. ``total``, ``per-page``,
    ``total-pages`` and ``page-number`` complete it. A list with no items has one (empty) page.
    """
    last = last_page(total, page_size)
    params = dict(query)

    def url(target: int) -> str:
        return f"{path_url}?{urlencode(sorted({**params, page_param: str(target)}.items()))}"

    targets = [("next", page + 1 if page < last else None), ("prev", page - 1 if 1 < page <= last else None),
               ("first", 1), ("last", last)]
    link = ", ".join(f'<{url(target)}>; rel="{rel}"' for rel, target in targets if target is not None)
    return {"link": link, "total": str(total), "per-page": str(page_size), "total-pages": str(last),
            "page-number": str(page)}
