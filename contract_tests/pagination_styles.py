"""How list operations page: one class per style, named by the API's `ApiProfile`.

Every style answers the same questions for the `pagination` check: does it apply to an operation, how is the
first page requested, where are the items of a page, how is the next page reached, and what is wrong with one
page. The check walks any style the same way (every item exactly once, no `next` on the last page, page sizes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from contract_tests.checks.links import link_problems
from contract_tests.spec import SpecOperation, resolve

__all__ = [
    "CursorPagination",
    "LinkHeaderPagination",
    "NextPage",
    "PaginationStyle",
    "header_token_pagination",
    "item_key_of",
    "page_token_pagination",
    "srht_pagination",
]

Problem = tuple[str, str]  # (title, "Received: ...\nDocumented: ...")


@dataclass(frozen=True, slots=True)
class NextPage:
    """Where the next page is: a URL to follow (``Link``), or query parameters for the same list."""

    url: str | None = None
    params: Mapping[str, Any] | None = None
    marker: str = ""  # what pointed there (the link URL or the cursor), for messages and loop detection


class PaginationStyle(Protocol):
    """What the `pagination` check needs from a style (see the two implementations below)."""

    @property
    def kind(self) -> str: ...
    @property
    def default_per_page(self) -> int: ...
    @property
    def max_per_page(self) -> int: ...
    @property
    def probe_per_page(self) -> int: ...
    @property
    def min_per_page(self) -> int: ...
    @property
    def item_key(self) -> str: ...
    @property
    def max_pages(self) -> int: ...
    @property
    def per_page_param(self) -> str | None: ...
    @property
    def operations(self) -> frozenset[str]: ...
    @property
    def next_name(self) -> str: ...

    def applies_to(self, operation: SpecOperation) -> bool: ...

    def controlled_params(self) -> frozenset[str]: ...

    def first_params(self, per_page: int | None) -> dict[str, Any]: ...

    def items(self, body: Any) -> list[Any] | None: ...

    def next_page(self, headers: Mapping[str, str], body: Any, params: Mapping[str, Any]) -> NextPage | None: ...

    def page_problems(
        self, headers: Mapping[str, str], body: Any, per_page: int | None, page: int
    ) -> list[Problem]: ...

    def total_problems(self, first_headers: Mapping[str, str], first_body: Any, count: int, pages: int
                       ) -> list[Problem]: ...


def item_key_of(item: Any, key: str) -> Any:
    """The value at the dotted ``key`` (``metadata.name``) of an item, else its ``repr``."""
    value = item
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return repr(item)
        value = value[part]
    return value if isinstance(value, str | int | float | bool) else repr(value)


def _selected(operations: frozenset[str], operation: SpecOperation) -> bool:
    return not operations or operation.operation_id in operations


def _items_at(body: Any, items_field: str | None) -> list[Any] | None:
    if items_field is None:
        return body if isinstance(body, list) else None
    if isinstance(body, Mapping) and isinstance(body.get(items_field), list):
        return list(body[items_field])
    return None


def _schema_has_items(operation: SpecOperation, items_field: str | None, extra: str | None = None) -> bool:
    schema = resolve(operation.root, operation.json_schema(200))
    if not isinstance(schema, Mapping):
        return False
    if items_field is None:
        return schema.get("type") == "array"
    props = schema.get("properties") or {}
    return items_field in props and (extra is None or extra in props)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.strip().isdigit() else None


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkHeaderPagination:
    """Page numbers plus an RFC 8288 ``Link`` header (Buildkite, GitHub; Semaphore v1alpha with ``page_size``).

    ``count_headers`` maps roles to header names for APIs that also send counts, e.g. Semaphore's
    ``{"total": "total", "per_page": "per-page", "total_pages": "total-pages", "page": "page-number"}``.
    ``strict_layout`` demands exactly ``<url>; rel="x", <url>; rel="y"`` (what pybuildkite splits on).
    ``operations`` limits the style to these operationIds (empty: every list that fits).
    """

    page_param: str = "page"
    per_page_param: str | None = "per_page"
    default_per_page: int = 30
    max_per_page: int = 100
    probe_per_page: int = 5
    min_per_page: int = 1
    rels: frozenset[str] = frozenset({"next", "prev", "first", "last"})
    item_key: str = "id"
    max_pages: int = 200
    header: str = "Link"
    strict_layout: bool = True
    count_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    items_field: str | None = None
    operations: frozenset[str] = frozenset()
    # rels whose URL may leave the page parameter out (Semaphore v2's `first` has no `page_token`)
    page_param_optional_rels: frozenset[str] = frozenset()
    kind: str = "link"

    @property
    def next_name(self) -> str:
        return "`next` link"

    def applies_to(self, operation: SpecOperation) -> bool:
        """GET, a 200 JSON list, the page (and page-size) query parameters, and a documented link header."""
        return (
            _selected(self.operations, operation)
            and operation.method == "GET"
            and _schema_has_items(operation, self.items_field)
            and operation.param(self.page_param, "query") is not None
            and (self.per_page_param is None or operation.param(self.per_page_param, "query") is not None)
            and self.header.lower() in operation.response_headers(200)
        )

    def controlled_params(self) -> frozenset[str]:
        return frozenset(p for p in (self.page_param, self.per_page_param) if p)

    def first_params(self, per_page: int | None) -> dict[str, Any]:
        return {self.per_page_param: per_page} if self.per_page_param and per_page is not None else {}

    def items(self, body: Any) -> list[Any] | None:
        return _items_at(body, self.items_field)

    def next_page(self, headers: Mapping[str, str], body: Any, params: Mapping[str, Any]) -> NextPage | None:
        value = headers.get(self.header)
        if value is None:
            return None
        links, _ = link_problems(value, frozenset(), "")
        target = next((link.url for link in links if "next" in link.rels), None)
        return NextPage(url=target, marker=target) if target is not None else None

    def page_problems(self, headers: Mapping[str, str], body: Any, per_page: int | None, page: int) -> list[Problem]:
        problems: list[Problem] = []
        value = headers.get(self.header)
        if value is not None:
            links, found = link_problems(value, self.rels, self.page_param)
            optional = {f"<{link.url}>" for link in links if set(link.rels) & self.page_param_optional_rels}
            for title, detail in found:
                if title.startswith("Link header layout") and not self.strict_layout:
                    continue
                if title.startswith("Link target without") and detail in optional:
                    continue
                problems.append((title, f"Received: {detail}"))
        named = self.count_headers
        if "page" in named and _int_header(headers, named["page"]) not in (None, page):
            problems.append((f"`{named['page']}` header does not match the page reached",
                             f"Received: {named['page']}: {headers.get(named['page'])} on page {page}\n"
                             f"Documented: the number of the page returned"))
        if "per_page" in named and per_page is not None and _int_header(headers, named["per_page"]) not in (
                None, per_page):
            problems.append((f"`{named['per_page']}` header does not match the page size asked for",
                             f"Received: {named['per_page']}: {headers.get(named['per_page'])} with "
                             f"{self.per_page_param}={per_page}\nDocumented: the page size used"))
        missing = [name for name in named.values() if name not in headers]
        if missing:
            problems.append(("Pagination headers missing", f"Received: no {', '.join(missing)} header\n"
                             "Documented: every page carries them"))
        return problems

    def total_problems(self, first_headers: Mapping[str, str], first_body: Any, count: int, pages: int
                       ) -> list[Problem]:
        problems: list[Problem] = []
        total = self.count_headers.get("total")
        if total and _int_header(first_headers, total) not in (None, count):
            problems.append((f"`{total}` header does not match the items listed",
                             f"Received: {total}: {first_headers.get(total)}, but following `next` lists "
                             f"{count} items\nDocumented: how many items the whole list has"))
        total_pages = self.count_headers.get("total_pages")
        if total_pages and _int_header(first_headers, total_pages) not in (None, max(pages, 1)):
            problems.append((f"`{total_pages}` header does not match the pages walked",
                             f"Received: {total_pages}: {first_headers.get(total_pages)}, but following `next` "
                             f"visits {pages} pages\nDocumented: how many pages the list has"))
        return problems


@dataclass(frozen=True, slots=True, kw_only=True)
class CursorPagination:
    """A cursor in the body that the client sends back (Semaphore agents' ``cursor``, ``next_page_token``,
    builds.sr.ht's ``next`` passed as ``start``). The list ends when the cursor is one of ``end_values``.

    ``per_page_param`` is ``None`` when the page size is fixed (sr.ht: 50). ``total_field`` and
    ``per_page_field`` name body fields that count the whole list and echo the page size, when the API has them.
    With ``cursor_in="header"`` the cursor is the response header ``cursor_field`` (Semaphore v2's
    ``next-page-token``), and ``items_field=None`` means the body is the bare array.
    """

    cursor_param: str
    cursor_field: str
    items_field: str | None
    cursor_in: str = "body"  # or "header"
    per_page_param: str | None = None
    default_per_page: int = 30
    max_per_page: int = 100
    probe_per_page: int = 5
    min_per_page: int = 1
    item_key: str = "id"
    max_pages: int = 200
    total_field: str | None = None
    per_page_field: str | None = None
    end_values: tuple[Any, ...] = (None, "")
    operations: frozenset[str] = frozenset()
    kind: str = "cursor"

    @property
    def next_name(self) -> str:
        return f"`{self.cursor_field}` cursor"

    def applies_to(self, operation: SpecOperation) -> bool:
        """GET, a 200 JSON object with the items and the cursor fields, and the cursor query parameter."""
        in_body = self.cursor_in == "body"
        return (
            _selected(self.operations, operation)
            and operation.method == "GET"
            and _schema_has_items(operation, self.items_field, self.cursor_field if in_body else None)
            and (in_body or self.cursor_field.lower() in operation.response_headers(200))
            and operation.param(self.cursor_param, "query") is not None
        )

    def controlled_params(self) -> frozenset[str]:
        return frozenset(p for p in (self.cursor_param, self.per_page_param) if p)

    def first_params(self, per_page: int | None) -> dict[str, Any]:
        return {self.per_page_param: per_page} if self.per_page_param and per_page is not None else {}

    def items(self, body: Any) -> list[Any] | None:
        return _items_at(body, self.items_field)

    def next_page(self, headers: Mapping[str, str], body: Any, params: Mapping[str, Any]) -> NextPage | None:
        if self.cursor_in == "header":
            cursor: Any = headers.get(self.cursor_field)
        else:
            cursor = body.get(self.cursor_field) if isinstance(body, Mapping) else None
        if cursor in self.end_values:
            return None
        return NextPage(params={**params, self.cursor_param: cursor}, marker=f"{self.cursor_field}={cursor!r}")

    def page_problems(self, headers: Mapping[str, str], body: Any, per_page: int | None, page: int) -> list[Problem]:
        problems: list[Problem] = []
        if self.cursor_in == "header" and self.cursor_field not in headers:
            problems.append((f"Page without the `{self.cursor_field}` header",
                             "Received: no such header\nDocumented: every page says where the next starts"))
        if not isinstance(body, Mapping):
            return problems
        if self.cursor_in == "body" and self.cursor_field not in body:
            problems.append((f"Page without the `{self.cursor_field}` field",
                             f"Received: fields {sorted(body)}\nDocumented: every page says where the next starts"))
        expected = per_page if per_page is not None else self.default_per_page
        if self.per_page_field and self.per_page_field in body and body[self.per_page_field] != expected:
            problems.append((f"`{self.per_page_field}` does not match the page size",
                             f"Received: {self.per_page_field}={body[self.per_page_field]!r}\n"
                             f"Documented: {expected}"))
        return problems

    def total_problems(self, first_headers: Mapping[str, str], first_body: Any, count: int, pages: int
                       ) -> list[Problem]:
        if not self.total_field or not isinstance(first_body, Mapping) or self.total_field not in first_body:
            return []
        total = first_body[self.total_field]
        if total == count:
            return []
        return [(f"`{self.total_field}` does not match the items listed",
                 f"Received: {self.total_field}={total!r}, but following `{self.cursor_field}` lists {count} items\n"
                 "Documented: how many items the whole list has")]


def page_token_pagination(items_field: str, **options: Any) -> CursorPagination:
    """``page_token`` / ``next_page_token`` (Semaphore v1alpha jobs, Semaphore v2), page size in ``page_size``."""
    options.setdefault("per_page_param", "page_size")
    return CursorPagination(cursor_param="page_token", cursor_field="next_page_token", items_field=items_field,
                            **options)


def header_token_pagination(**options: Any) -> CursorPagination:
    """Semaphore v2 lists: a bare array, ``page_token`` in, the ``next-page-token`` header out (empty at the end)."""
    options.setdefault("per_page_param", "page_size")
    options.setdefault("default_per_page", 20)
    return CursorPagination(cursor_param="page_token", cursor_field="next-page-token", items_field=None,
                            cursor_in="header", **options)


def srht_pagination(**options: Any) -> CursorPagination:
    """builds.sr.ht: ``{"next", "results", "total", "results_per_page"}``, ``?start=<next>``, 50 per page."""
    options.setdefault("default_per_page", 50)
    return CursorPagination(cursor_param="start", cursor_field="next", items_field="results", per_page_param=None,
                            total_field="total", per_page_field="results_per_page", **options)
