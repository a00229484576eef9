"""A store on SQLite (WAL) that several worker processes share, with the same interface as ``MemoryStore``.

Handlers mutate the dicts they get, as with the in-memory store: within a transaction every record read
is kept in an identity map, and on commit the ones that changed are written back. ``BEGIN IMMEDIATE``
serialises writers across processes, so a request sees and leaves a consistent state; a committed
transaction survives the process being killed.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mock_server.indexes import Index
from mock_server.store import Event, NotFoundError

__all__ = ["SharedClock", "SqliteJournal", "SqliteStore"]

Record = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (collection TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
                                    PRIMARY KEY (collection, key));
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
                                   data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_at ON events (at, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idx (name TEXT NOT NULL, key TEXT NOT NULL, part TEXT NOT NULL, ord TEXT NOT NULL,
                                PRIMARY KEY (name, key));
CREATE INDEX IF NOT EXISTS idx_page ON idx (name, part, ord, key);
CREATE TABLE IF NOT EXISTS idx_count (name TEXT NOT NULL, part TEXT NOT NULL, n INTEGER NOT NULL,
                                      PRIMARY KEY (name, part));
"""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Tx:
    """One thread's open transaction: depth and the identity map."""

    def __init__(self) -> None:
        self.depth = 0
        self.loaded: dict[tuple[str, str], tuple[Record, str | None]] = {}  # -> (record, json as read)
        self.deleted: set[tuple[str, str]] = set()


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._indexes: dict[str, Index] = {}
        self._indexed: dict[str, list[Index]] = {}
        with self._connection() as conn:
            conn.executescript(_SCHEMA)

    # connections and transactions ------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():  # never reuse one across fork()
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache per connection
            conn.execute("PRAGMA mmap_size=268435456")
            # writers queue on a file lock (woken by the kernel at once) rather than in SQLite's busy
            # handler, which sleeps in steps of up to 100 ms and made the p99 of two workers ~0.7 s
            lock = open(self.path + ".lock", "a+b")
            self._local.conn, self._local.pid, self._local.tx, self._local.lock = conn, os.getpid(), _Tx(), lock
        return conn

    @property
    def _tx(self) -> _Tx:
        self._connection()
        tx: _Tx = self._local.tx
        return tx

    @contextmanager
    def transaction(self) -> Iterator[SqliteStore]:
        conn, tx = self._connection(), self._tx
        if tx.depth == 0:
            fcntl.flock(self._local.lock, fcntl.LOCK_EX)
            try:
                conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                fcntl.flock(self._local.lock, fcntl.LOCK_UN)
                raise
        tx.depth += 1
        try:
            yield self
        except BaseException:
            tx.depth -= 1
            if tx.depth == 0:
                tx.loaded.clear()
                tx.deleted.clear()
                try:
                    conn.execute("ROLLBACK")
                finally:
                    fcntl.flock(self._local.lock, fcntl.LOCK_UN)
            raise
        tx.depth -= 1
        if tx.depth == 0:
            try:
                self._flush(conn, tx)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                tx.loaded.clear()
                tx.deleted.clear()
                fcntl.flock(self._local.lock, fcntl.LOCK_UN)

    def _flush(self, conn: sqlite3.Connection, tx: _Tx) -> None:
        """Write what changed so far (also mid-transaction, before an index is read)."""
        for collection, key in tx.deleted:
            conn.execute("DELETE FROM records WHERE collection = ? AND key = ?", (collection, key))
            for index in self._indexed.get(collection, ()):
                self._index_update(conn, index, key, None)
        tx.deleted.clear()
        rows = []
        for ident, (record, original) in tx.loaded.items():
            data = _dumps(record)
            if data != original:
                rows.append((*ident, data))
                tx.loaded[ident] = (record, data)
                for index in self._indexed.get(ident[0], ()):
                    self._index_update(conn, index, ident[1], record)
        if rows:
            conn.executemany("INSERT OR REPLACE INTO records (collection, key, data) VALUES (?, ?, ?)", rows)

    # indexes ---------------------------------------------------------------------------------------
    def declare_index(self, index: Index) -> None:
        """Use ``index`` from now on; built from the stored records when the database has not got it yet."""
        if index.name in self._indexes:
            raise ValueError(f"index {index.name!r} is declared twice")
        self._indexes[index.name] = index
        self._indexed.setdefault(index.collection, []).append(index)
        with self.transaction():
            if self.meta_get(f"index:{index.name}") is None:
                conn = self._connection()
                for key, data in conn.execute("SELECT key, data FROM records WHERE collection = ?",
                                              (index.collection,)).fetchall():
                    self._index_update(conn, index, key, json.loads(data))
                self.meta_set(f"index:{index.name}", True)

    def _index_update(self, conn: sqlite3.Connection, index: Index, key: str, record: Record | None) -> None:
        keys = None if record is None else index.keys(record)
        row = conn.execute("SELECT part, ord FROM idx WHERE name = ? AND key = ?", (index.name, key)).fetchone()
        if row is not None and keys is not None and tuple(row) == keys:
            return
        if row is not None:
            conn.execute("DELETE FROM idx WHERE name = ? AND key = ?", (index.name, key))
            conn.execute("UPDATE idx_count SET n = n - 1 WHERE name = ? AND part = ?", (index.name, row[0]))
        if keys is not None:
            conn.execute("INSERT INTO idx (name, key, part, ord) VALUES (?, ?, ?, ?)", (index.name, key, *keys))
            conn.execute("INSERT INTO idx_count (name, part, n) VALUES (?, ?, 1) "
                         "ON CONFLICT (name, part) DO UPDATE SET n = n + 1", (index.name, keys[0]))

    def page(self, index: str, partition: str, offset: int, limit: int) -> tuple[list[Record], int]:
        """One page of an index's partition, in its order, and the partition's size."""
        with self.transaction():
            conn, spec = self._connection(), self._indexes[index]
            self._flush(conn, self._tx)
            row = conn.execute("SELECT n FROM idx_count WHERE name = ? AND part = ?", (index, partition)).fetchone()
            total = int(row[0]) if row else 0
            if offset >= total:  # also keeps huge offsets away from SQLite's 64-bit integers
                return [], total
            keys = [row[0] for row in conn.execute(
                "SELECT key FROM idx WHERE name = ? AND part = ? ORDER BY ord, key LIMIT ? OFFSET ?",
                (index, partition, limit, offset))]
            return [self.get(spec.collection, json.loads(key)) for key in keys], total

    # records ---------------------------------------------------------------------------------------
    def get(self, collection: str, key: object) -> Record:
        record = self.find(collection, key)
        if record is None:
            raise NotFoundError(collection, key)
        return record

    def find(self, collection: str, key: object) -> Record | None:
        with self.transaction():
            ident = (collection, _dumps(key))
            tx = self._tx
            if ident in tx.deleted:
                return None
            if ident in tx.loaded:
                return tx.loaded[ident][0]
            row = self._connection().execute(
                "SELECT data FROM records WHERE collection = ? AND key = ?", ident).fetchone()
            if row is None:
                return None
            record: Record = json.loads(row[0])
            tx.loaded[ident] = (record, row[0])
            return record

    def put(self, collection: str, record: Record) -> Record:
        with self.transaction():
            ident = (collection, _dumps(record["id"]))
            tx = self._tx
            tx.deleted.discard(ident)
            original = tx.loaded[ident][1] if ident in tx.loaded else None
            tx.loaded[ident] = (record, original)
        return record

    def delete(self, collection: str, key: object) -> None:
        with self.transaction():
            ident = (collection, _dumps(key))
            self._tx.loaded.pop(ident, None)
            self._tx.deleted.add(ident)

    def all(self, collection: str) -> list[Record]:
        """Records in insertion order (within the identity map, the live dicts)."""
        with self.transaction():
            tx = self._tx
            out = []
            rows = self._connection().execute(
                "SELECT key, data FROM records WHERE collection = ? ORDER BY rowid", (collection,)).fetchall()
            seen = set()
            for key, data in rows:
                ident = (collection, key)
                seen.add(ident)
                if ident in tx.deleted:
                    continue
                if ident not in tx.loaded:
                    tx.loaded[ident] = (json.loads(data), data)
                out.append(tx.loaded[ident][0])
            out += [rec for ident, (rec, _) in tx.loaded.items() if ident[0] == collection and ident not in seen]
            return out

    def count(self, collection: str) -> int:
        return len(self.all(collection))

    def collections(self) -> list[str]:
        with self.transaction():
            rows = self._connection().execute("SELECT DISTINCT collection FROM records").fetchall()
            names = {r[0] for r in rows} | {c for c, _ in self._tx.loaded}
            return sorted(names)

    def clear(self) -> None:
        with self.transaction():
            conn = self._connection()
            conn.execute("DELETE FROM records")
            conn.execute("DELETE FROM events")
            conn.execute("DELETE FROM idx")
            conn.execute("DELETE FROM idx_count")
            self._tx.loaded.clear()
            self._tx.deleted.clear()

    # scheduled events ------------------------------------------------------------------------------
    def schedule(self, at: float, kind: str, **data: Any) -> Event:
        with self.transaction():
            cur = self._connection().execute("INSERT INTO events (at, kind, data) VALUES (?, ?, ?)",
                                             (at, kind, _dumps(data)))
            return Event(at, int(cur.lastrowid or 0), kind, data)

    def pop_due(self, now: float) -> Event | None:
        with self.transaction():
            conn = self._connection()
            row = conn.execute("SELECT seq, at, kind, data FROM events WHERE at <= ? ORDER BY at, seq LIMIT 1",
                               (now,)).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM events WHERE seq = ?", (row[0],))
            return Event(row[1], row[0], row[2], json.loads(row[3]))

    def pending_events(self) -> list[Event]:
        with self.transaction():
            rows = self._connection().execute("SELECT seq, at, kind, data FROM events ORDER BY at, seq").fetchall()
        return [Event(at, seq, kind, json.loads(data)) for seq, at, kind, data in rows]

    # small shared values (the clock, flags) --------------------------------------------------------
    def meta_get(self, key: str, default: Any = None) -> Any:
        row = self._connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def meta_set(self, key: str, value: Any) -> None:
        with self.transaction():
            self._connection().execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, _dumps(value)))


class SqliteJournal:
    """The request journal in the shared database: the last ``maxlen`` entries, newest first."""

    def __init__(self, store: SqliteStore, maxlen: int = 1000) -> None:
        if maxlen < 1:
            raise ValueError("the journal keeps at least one entry")
        self._store = store
        self.maxlen = maxlen

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._store.transaction():
            conn = self._store._connection()
            cur = conn.execute("INSERT INTO journal (data) VALUES (?)", (_dumps(entry),))
            ident = int(cur.lastrowid or 0)
            conn.execute("DELETE FROM journal WHERE id <= ?", (ident - self.maxlen,))
        return {"id": ident, **entry}

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        rows = self._store._connection().execute(
            "SELECT id, data FROM journal ORDER BY id DESC LIMIT ?", (self.maxlen if limit is None else limit,)
        ).fetchall()
        return [{"id": ident, **json.loads(data)} for ident, data in rows]

    def clear(self) -> None:
        with self._store.transaction():
            self._store._connection().execute("DELETE FROM journal")

    def __len__(self) -> int:
        row = self._store._connection().execute("SELECT COUNT(*) FROM journal").fetchone()
        return int(row[0])


class SharedClock:
    """A clock whose offset and start live in the shared database, so every worker tells the same time.

    ``set_mode`` (pause, or run at another speed) is shared too: the mode and speed go into the database beside
    the offset; until it is called, and again after ``reset()``, the clock runs as it was created.
    """

    def __init__(self, store: SqliteStore, kind: str, start: float, speed: float = 1.0) -> None:
        if kind not in ("manual", "real"):
            raise ValueError(f"unknown clock {kind!r}: use 'manual' or 'real'")
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self._store = store
        self._kind = kind
        self.start = start
        self._speed = speed

    def _state(self) -> tuple[float, float, str, float]:
        """(offset, anchor, mode, speed); mode and speed are the initial ones until set_mode()."""
        value: list[Any] = self._store.meta_get("clock") or [0.0, None]
        offset, anchor = value[0], value[1]
        kind, speed = (value[2], value[3]) if len(value) >= 4 else (self._kind, self._speed)
        if anchor is None:  # first use: the clock starts now
            anchor = time.time()
            self._store.meta_set("clock", (offset, anchor))
        return float(offset), float(anchor), kind, float(speed)

    @property
    def kind(self) -> str:
        return self._state()[2]

    @kind.setter
    def kind(self, value: str) -> None:
        self.set_mode(value)

    @property
    def speed(self) -> float:
        return self._state()[3]

    def now(self) -> float:
        offset, anchor, kind, speed = self._state()
        if kind == "manual":
            return self.start + offset
        return self.start + (time.time() - anchor) * speed + offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._store.transaction():
            value = self._store.meta_get("clock") or ()
            offset, anchor, kind, speed = self._state()
            mode = (kind, speed) if len(value) >= 4 else ()
            self._store.meta_set("clock", (offset + seconds, anchor, *mode))
        return self.now()

    def reset(self) -> None:
        self._store.meta_set("clock", (0.0, time.time()))

    def set_mode(self, kind: str, speed: float | None = None) -> float:
        """Freeze (``manual``) or run at ``speed`` times wall time (``real``), for every worker; no jump in time."""
        from mock_server.clock import check_mode

        with self._store.transaction():
            now = self.now()
            speed = check_mode(kind, speed, self.speed)
            self._store.meta_set("clock", (now - self.start, time.time(), kind, speed))
        return now
