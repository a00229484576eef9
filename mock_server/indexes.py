"""Ordered indexes over a collection, so that a page of a large list costs the page, not the list.

An index puts each record in at most one partition (e.g. an organization's connected agents) in the
order of a string key (e.g. the name), ties broken by id. Both stores keep their indexes up to date
with the records a transaction touched, so handlers keep mutating plain dicts.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Index", "MemoryIndex"]

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    collection: str
    #: the partition a record belongs to, or None when it is not in the index
    partition: Callable[[Record], str | None]
    #: the sort key within a partition
    order: Callable[[Record], str]

    def keys(self, record: Record) -> tuple[str, str] | None:
        part = self.partition(record)
        return None if part is None else (part, self.order(record))


def _order(entry: tuple[str, str, Any]) -> str:
    return entry[0]


def key_text(key: object) -> str:
    return json.dumps(key, separators=(",", ":"))


class MemoryIndex:
    """One index in memory: per partition a sorted list of ``(order, id text, id)``."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._parts: dict[str, list[tuple[str, str, Any]]] = {}
        self._where: dict[Any, tuple[str, tuple[str, str, Any]]] = {}

    def update(self, key: Any, record: Record | None) -> None:
        """(Re)place ``record`` (``None``: it was deleted)."""
        keys = None if record is None else self.index.keys(record)
        old = self._where.get(key)
        if old is not None and keys is not None and old[0] == keys[0] and old[1][0] == keys[1]:
            return  # unchanged: the common case, a record read and not moved (no id text to build)
        if old is None and keys is None:
            return
        if old is not None:
            entries = self._parts[old[0]]
            del entries[bisect.bisect_left(entries, old[1])]
            del self._where[key]
        if keys is not None:
            new = (keys[0], (keys[1], key_text(key), key))
            bisect.insort(self._parts.setdefault(new[0], []), new[1])
            self._where[key] = new

    def page(self, part: str, offset: int, limit: int, after: str | None = None) -> tuple[list[Any], int]:
        entries = self._parts.get(part, [])
        start = offset if after is None else bisect.bisect_right(entries, after, key=_order) + offset
        return [entry[2] for entry in entries[start : start + limit]], len(entries)

    def clear(self) -> None:
        self._parts.clear()
        self._where.clear()
