"""The request journal: the last N exchanges, newest first, bounded in memory."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any

__all__ = ["Journal"]


class Journal:
    def __init__(self, maxlen: int = 1000) -> None:
        if maxlen < 1:
            raise ValueError("the journal keeps at least one entry")
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.maxlen = maxlen

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            entry = {"id": next(self._ids), **entry}
            self._entries.append(entry)
        return entry

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Newest first."""
        with self._lock:
            items = list(reversed(self._entries))
        return items if limit is None else items[:limit]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
