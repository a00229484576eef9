"""State store: collections of records plus a queue of scheduled lifecycle events.

Pure Python: imports neither Flask nor the spec. Every request runs inside ``transaction()``, so a
handler sees and leaves a consistent state; lifecycle events fire in time order before it runs.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from mock_server.indexes import Index, MemoryIndex

__all__ = ["Event", "MemoryStore", "NotFoundError", "Store", "WriteNeeded"]

Record = dict[str, Any]


class NotFoundError(LookupError):
    def __init__(self, collection: str, key: object) -> None:
        super().__init__(f"no {collection} record {key!r}")
        self.collection = collection
        self.key = key


class WriteNeeded(Exception):  # noqa: N818 - a signal to the caller, not an error
    """A read-only transaction (``transaction(write=False)``) tried to write.

    Nothing was written. The caller runs the whole unit of work again in a write transaction; that is how a
    GET that finds a lifecycle event due, or a handler that changes what it read, still takes effect.
    """


@dataclass(order=True, slots=True)
class Event:
    at: float
    seq: int
    kind: str = field(compare=False)
    data: dict[str, Any] = field(compare=False, default_factory=dict)


class Store(Protocol):
    """What handlers and profiles may call; ``MemoryStore`` and ``SqliteStore`` implement it."""

    def transaction(self, write: bool = True) -> AbstractContextManager[Any]: ...
    def get(self, collection: str, key: object) -> Record: ...
    def find(self, collection: str, key: object) -> Record | None: ...
    def put(self, collection: str, record: Record) -> Record: ...
    def delete(self, collection: str, key: object) -> None: ...
    def all(self, collection: str) -> list[Record]: ...
    def count(self, collection: str) -> int: ...
    def collections(self) -> list[str]: ...
    def clear(self) -> None: ...
    def schedule(self, at: float, kind: str, **data: Any) -> Event: ...
    def pop_due(self, now: float) -> Event | None: ...
    def pending_events(self) -> list[Event]: ...
    def declare_index(self, index: Index) -> None: ...
    def page(self, index: str, partition: str, offset: int, limit: int, after: str | None = None
             ) -> tuple[list[Record], int]: ...
    def stamp(self, collection: str, key: object) -> str | None: ...


class MemoryStore:
    """In-memory store for one process. Records are plain dicts keyed by their ``id``."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._collections: dict[str, dict[Any, Record]] = {}
        self._events: list[Event] = []
        self._seq = itertools.count()
        self._indexes: dict[str, MemoryIndex] = {}
        self._indexed: dict[str, list[MemoryIndex]] = {}  # collection -> its indexes
        self._touched: dict[str, set[Any]] = {}  # indexed records handed out since the last reindex

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[MemoryStore]:
        """One unit of work under the store's lock; ``write`` is the SQLite store's hint, all one here."""
        with self._lock:
            try:
                yield self
            finally:
                self._reindex()

    # records -------------------------------------------------------------------------------------
    def get(self, collection: str, key: object) -> Record:
        try:
            record = self._collections[collection][key]
        except KeyError:
            raise NotFoundError(collection, key) from None
        self._touch(collection, key)
        return record

    def find(self, collection: str, key: object) -> Record | None:
        record = self._collections.get(collection, {}).get(key)
        if record is not None:
            self._touch(collection, key)
        return record

    def put(self, collection: str, record: Record) -> Record:
        self._collections.setdefault(collection, {})[record["id"]] = record
        self._touch(collection, record["id"])
        return record

    def stamp(self, collection: str, key: object) -> str | None:
        """Always ``None``: records here change in place, with nothing to tell one version from the next (see
        ``SqliteStore.stamp``)."""
        return None

    def delete(self, collection: str, key: object) -> None:
        self._collections.get(collection, {}).pop(key, None)
        for index in self._indexed.get(collection, ()):
            index.update(key, None)

    def all(self, collection: str) -> list[Record]:
        """Records in insertion order."""
        records = self._collections.get(collection, {})
        if collection in self._indexed:
            self._touched.setdefault(collection, set()).update(records)
        return list(records.values())

    # indexes -------------------------------------------------------------------------------------
    def declare_index(self, index: Index) -> None:
        with self._lock:
            if index.name in self._indexes:
                raise ValueError(f"index {index.name!r} is declared twice")
            memory = self._indexes[index.name] = MemoryIndex(index)
            self._indexed.setdefault(index.collection, []).append(memory)
            for key, record in self._collections.get(index.collection, {}).items():
                memory.update(key, record)

    def page(self, index: str, partition: str, offset: int, limit: int, after: str | None = None
             ) -> tuple[list[Record], int]:
        """One page of an index's partition, in its order, and the partition's size. With ``after`` (a cursor)
        the page starts at the first record whose sort key is greater, then skips ``offset``."""
        with self.transaction():
            self._reindex()
            memory = self._indexes[index]
            keys, total = memory.page(partition, offset, limit, after)
            return [self.get(memory.index.collection, key) for key in keys], total

    def _touch(self, collection: str, key: Any) -> None:
        if collection in self._indexed:
            self._touched.setdefault(collection, set()).add(key)

    def _reindex(self) -> None:
        touched, self._touched = self._touched, {}
        for collection, keys in touched.items():
            records = self._collections.get(collection, {})
            for index in self._indexed[collection]:
                for key in keys:
                    index.update(key, records.get(key))

    def count(self, collection: str) -> int:
        return len(self._collections.get(collection, {}))

    def collections(self) -> list[str]:
        return sorted(self._collections)

    def clear(self) -> None:
        with self._lock:
            self._collections.clear()
            self._events.clear()
            self._touched.clear()
            for index in self._indexes.values():
                index.clear()

    # scheduled events ----------------------------------------------------------------------------
    def schedule(self, at: float, kind: str, **data: Any) -> Event:
        event = Event(at, next(self._seq), kind, data)
        heapq.heappush(self._events, event)
        return event

    def pop_due(self, now: float) -> Event | None:
        """The earliest event due at ``now`` or before, removed from the queue; ``None`` when none is due."""
        if self._events and self._events[0].at <= now:
            return heapq.heappop(self._events)
        return None

    def pending_events(self) -> list[Event]:
        return sorted(self._events)
