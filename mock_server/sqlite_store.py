"""A store on SQLite (WAL) that several worker processes share, with the same interface as ``MemoryStore``.

Handlers mutate the dicts they get, as with the in-memory store: within a transaction every record read
is kept in an identity map, and on commit the ones that changed are written back. A write transaction
(``BEGIN IMMEDIATE``, after a file lock that queues the writers of every process) serialises writers, so a
request sees and leaves a consistent state; a committed transaction survives the process being killed.

Reads do not queue. ``transaction(write=False)`` reads one snapshot without any lock, and raises
``WriteNeeded`` (having written nothing) as soon as it would write; the caller then runs its work again in a
write transaction. Each connection keeps the records and shared values it has read, decoded, for as long as
no other connection commits (SQLite's ``data_version``): a GET that nothing has changed since costs no
decoding. The request journal is a file of its own beside the state (``PATH.requests.jsonl``), so that
journaling a read neither waits for the state's writers nor makes the other workers drop their cache.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mock_server.fastjson import dumps_text as _dumps
from mock_server.indexes import Index
from mock_server.store import Event, NotFoundError, WriteNeeded

__all__ = ["SharedClock", "SqliteJournal", "SqliteStore"]

Record = dict[str, Any]
Ident = tuple[str, str]  # (collection, the key as JSON text)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (collection TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
                                    PRIMARY KEY (collection, key));
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
                                   data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_at ON events (at, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idx (name TEXT NOT NULL, key TEXT NOT NULL, part TEXT NOT NULL, ord TEXT NOT NULL,
                                PRIMARY KEY (name, key));
CREATE INDEX IF NOT EXISTS idx_page ON idx (name, part, ord, key);
CREATE TABLE IF NOT EXISTS idx_count (name TEXT NOT NULL, part TEXT NOT NULL, n INTEGER NOT NULL,
                                      PRIMARY KEY (name, part));
"""

UNKNOWN: Any = object()  # a cached value that must be read again
#: decoded records a connection keeps between transactions (a few KB of Python objects each): the hot ones
CACHE_LIMIT = 4096

# A connection must never be used on both sides of a fork(); the count tells a child it must open its own.
_forks = [0]
os.register_at_fork(after_in_child=lambda: _forks.__setitem__(0, _forks[0] + 1))


def _open(path: str, schema: str) -> tuple[sqlite3.Connection, Any]:
    """A connection in WAL mode and the file lock that queues the writers of every process."""
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache per connection
    conn.execute("PRAGMA mmap_size=268435456")
    # writers queue on a file lock (woken by the kernel at once) rather than in SQLite's busy handler,
    # which sleeps in steps of up to 100 ms and made the p99 of two workers ~0.7 s
    lock = open(path + ".lock", "a+b")  # noqa: SIM115 - lives as long as the connection
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        conn.executescript(schema)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
    return conn, lock


class _Conn:
    """One thread's connection in one process, its open transaction and what it has cached."""

    __slots__ = ("cache", "conn", "depth", "deleted", "fork", "loaded", "lock", "meta", "next_due", "version",
                 "write")

    def __init__(self, path: str) -> None:
        self.conn, self.lock = _open(path, _SCHEMA)
        self.fork = _forks[0]
        self.depth = 0
        self.write = False
        self.loaded: dict[Ident, tuple[Record, str | None]] = {}  # the identity map: -> (record, json as read)
        self.deleted: set[Ident] = set()
        self.cache: dict[Ident, tuple[Record, str]] = {}  # committed records, valid while version holds
        self.meta: dict[str, str | None] = {}  # meta values as JSON text (None: no such key)
        self.next_due: float | None = UNKNOWN  # when the earliest scheduled event is due (None: none is)
        self.version: int | None = None

    def __del__(self) -> None:
        self.lock.close()
        self.conn.close()

    def check_version(self) -> None:
        """Drop what was cached if another connection has committed since (call inside a read snapshot)."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self.version:
            self.cache.clear()
            self.meta.clear()
            self.next_due = UNKNOWN
            self.version = version

    def need_write(self) -> None:
        if not self.write:
            raise WriteNeeded


def _key(key: object) -> str:
    """A record key as the JSON text it is stored under."""
    try:
        return _cached_key(key)
    except TypeError:  # an unhashable key (a list): not cached
        return _dumps(key)


@functools.lru_cache(maxsize=16384, typed=True)  # ids repeat: the same few thousand keys, request after request
def _cached_key(key: object) -> str:
    return _dumps(key)


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._indexes: dict[str, Index] = {}
        self._indexed: dict[str, list[Index]] = {}
        self._c()

    # connections and transactions ------------------------------------------------------------------
    def _c(self) -> _Conn:
        c: _Conn | None = getattr(self._local, "c", None)
        if c is None or c.fork != _forks[0]:
            c = self._local.c = _Conn(self.path)
        return c

    def _connection(self) -> sqlite3.Connection:
        return self._c().conn

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[SqliteStore]:
        """A unit of work; nested ones join the outermost, whose ``write`` decides (see the module's doc)."""
        c = self._c()
        if c.depth:
            c.depth += 1
            try:
                yield self
            finally:
                c.depth -= 1
            return
        self._begin(c, write)
        c.depth = 1
        try:
            yield self
        except BaseException:
            c.depth = 0
            self._rollback(c)
            raise
        c.depth = 0
        self._commit(c)

    def _begin(self, c: _Conn, write: bool) -> None:
        if write:
            fcntl.flock(c.lock, fcntl.LOCK_EX)
        try:
            c.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            c.write = write
            try:
                c.check_version()
            except BaseException:
                c.conn.execute("ROLLBACK")
                raise
        except BaseException:
            if write:
                fcntl.flock(c.lock, fcntl.LOCK_UN)
            raise

    def _commit(self, c: _Conn) -> None:
        try:
            self._flush(c)
            c.conn.execute("COMMIT")
        except BaseException:
            self._rollback(c)
            raise
        cache = c.cache
        for ident, (record, data) in c.loaded.items():
            if data is not None:
                cache[ident] = (record, data)
        c.loaded.clear()
        if len(cache) > CACHE_LIMIT:
            for ident in list(cache)[: len(cache) - CACHE_LIMIT // 2]:
                del cache[ident]
        if c.write:
            fcntl.flock(c.lock, fcntl.LOCK_UN)

    def _rollback(self, c: _Conn) -> None:
        try:
            if c.conn.in_transaction:
                c.conn.execute("ROLLBACK")
        finally:
            for ident in c.loaded:  # the handler may have changed them: they no longer match the database
                c.cache.pop(ident, None)
            c.loaded.clear()
            c.deleted.clear()
            c.meta.clear()
            c.next_due = UNKNOWN
            if c.write:
                fcntl.flock(c.lock, fcntl.LOCK_UN)

    def _flush(self, c: _Conn) -> None:
        """Write what changed so far (also mid-transaction, before an index is read)."""
        conn = c.conn
        if c.deleted:
            c.need_write()
            for collection, key in c.deleted:
                conn.execute("DELETE FROM records WHERE collection = ? AND key = ?", (collection, key))
                c.cache.pop((collection, key), None)
                for index in self._indexed.get(collection, ()):
                    self._index_update(conn, index, key, None)
            c.deleted.clear()
        changed = [(ident, record, data) for ident, (record, original) in c.loaded.items()
                   if (data := _dumps(record)) != original]
        if not changed:
            return
        c.need_write()
        for ident, record, data in changed:
            c.loaded[ident] = (record, data)
            for index in self._indexed.get(ident[0], ()):
                self._index_update(conn, index, ident[1], record)
        conn.executemany("INSERT OR REPLACE INTO records (collection, key, data) VALUES (?, ?, ?)",
                         [(*ident, data) for ident, _, data in changed])

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

    def page(self, index: str, partition: str, offset: int, limit: int, after: str | None = None
             ) -> tuple[list[Record], int]:
        """One page of an index's partition, in its order, and the partition's size (``after``: see
        ``MemoryStore.page``)."""
        with self.transaction(write=False):
            c, spec = self._c(), self._indexes[index]
            self._flush(c)
            row = c.conn.execute("SELECT n FROM idx_count WHERE name = ? AND part = ?",
                                 (index, partition)).fetchone()
            total = int(row[0]) if row else 0
            if offset >= total:  # also keeps huge offsets away from SQLite's 64-bit integers
                return [], total
            keys = c.conn.execute(
                "SELECT key FROM idx WHERE name = ? AND part = ? ORDER BY ord, key LIMIT ? OFFSET ?",
                (index, partition, limit, offset)).fetchall() if after is None else c.conn.execute(
                "SELECT key FROM idx WHERE name = ? AND part = ? AND ord > ? ORDER BY ord, key LIMIT ? OFFSET ?",
                (index, partition, after, limit, offset)).fetchall()
            out = []
            for (key,) in keys:
                record = self._find(c, (spec.collection, key))
                if record is None:
                    raise NotFoundError(spec.collection, json.loads(key))
                out.append(record)
            return out, total

    # records ---------------------------------------------------------------------------------------
    def get(self, collection: str, key: object) -> Record:
        record = self.find(collection, key)
        if record is None:
            raise NotFoundError(collection, key)
        return record

    def find(self, collection: str, key: object) -> Record | None:
        c = self._c()
        if c.depth:
            return self._find(c, (collection, _key(key)))
        with self.transaction(write=False):
            return self._find(c, (collection, _key(key)))

    def _find(self, c: _Conn, ident: Ident) -> Record | None:
        hit = c.loaded.get(ident)
        if hit is not None:
            return hit[0]
        if ident in c.deleted:
            return None
        cached = c.cache.get(ident)
        if cached is None:
            row = c.conn.execute("SELECT data FROM records WHERE collection = ? AND key = ?", ident).fetchone()
            if row is None:
                return None
            cached = (json.loads(row[0]), row[0])
        c.loaded[ident] = cached
        return cached[0]

    def stamp(self, collection: str, key: object) -> str | None:
        """The stored text of a record that this read transaction has read: two records with the same stamp are
        equal, so what is derived from one only (a rendering) can be reused for the other.

        ``None`` outside a transaction, in a write transaction (records change in place there, the text would be
        stale) and for a record not read yet. A read transaction's handler that changes a record in place makes a
        stamp stale too, but such a transaction never commits: it raises ``WriteNeeded`` and the request runs
        again as a writer, where there are no stamps.
        """
        c = self._c()
        if not c.depth or c.write:
            return None
        hit = c.loaded.get((collection, _key(key)))
        return hit[1] if hit is not None else None

    def put(self, collection: str, record: Record) -> Record:
        with self.transaction():
            c = self._c()
            c.need_write()
            ident = (collection, _key(record["id"]))
            c.deleted.discard(ident)
            hit = c.loaded.get(ident)
            c.loaded[ident] = (record, hit[1] if hit is not None else None)
        return record

    def delete(self, collection: str, key: object) -> None:
        with self.transaction():
            c = self._c()
            c.need_write()
            ident = (collection, _key(key))
            c.loaded.pop(ident, None)
            c.deleted.add(ident)

    def all(self, collection: str) -> list[Record]:
        """Records in insertion order (within the identity map, the live dicts)."""
        with self.transaction(write=False):
            c = self._c()
            out = []
            rows = c.conn.execute(
                "SELECT key, data FROM records WHERE collection = ? ORDER BY rowid", (collection,)).fetchall()
            seen = set()
            for key, data in rows:
                ident = (collection, key)
                seen.add(ident)
                if ident in c.deleted:
                    continue
                if ident not in c.loaded:
                    cached = c.cache.get(ident)
                    c.loaded[ident] = cached if cached is not None else (json.loads(data), data)
                out.append(c.loaded[ident][0])
            out += [rec for ident, (rec, _) in c.loaded.items() if ident[0] == collection and ident not in seen]
            return out

    def count(self, collection: str) -> int:
        return len(self.all(collection))

    def collections(self) -> list[str]:
        with self.transaction(write=False):
            c = self._c()
            rows = c.conn.execute("SELECT DISTINCT collection FROM records").fetchall()
            names = {r[0] for r in rows} | {collection for collection, _ in c.loaded}
            return sorted(names)

    def clear(self) -> None:
        with self.transaction():
            c = self._c()
            c.need_write()
            for table in ("records", "events", "idx", "idx_count"):
                c.conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            c.loaded.clear()
            c.deleted.clear()
            c.cache.clear()
            c.next_due = None

    # scheduled events ------------------------------------------------------------------------------
    def schedule(self, at: float, kind: str, **data: Any) -> Event:
        with self.transaction():
            c = self._c()
            c.need_write()
            cur = c.conn.execute("INSERT INTO events (at, kind, data) VALUES (?, ?, ?)", (at, kind, _dumps(data)))
            if c.next_due is not UNKNOWN:
                c.next_due = at if c.next_due is None else min(c.next_due, at)
            return Event(at, int(cur.lastrowid or 0), kind, data)

    def pop_due(self, now: float) -> Event | None:
        with self.transaction(write=not self._c().depth):  # on its own it may well write
            c = self._c()
            if c.next_due is not UNKNOWN and (c.next_due is None or c.next_due > now):
                return None  # every request asks; the answer holds until someone schedules or commits
            row = c.conn.execute("SELECT seq, at, kind, data FROM events ORDER BY at, seq LIMIT 1").fetchone()
            if row is None or row[1] > now:
                c.next_due = None if row is None else row[1]
                return None
            c.need_write()
            c.conn.execute("DELETE FROM events WHERE seq = ?", (row[0],))
            c.next_due = UNKNOWN
            return Event(row[1], row[0], row[2], json.loads(row[3]))

    def pending_events(self) -> list[Event]:
        with self.transaction(write=False):
            rows = self._connection().execute("SELECT seq, at, kind, data FROM events ORDER BY at, seq").fetchall()
        return [Event(at, seq, kind, json.loads(data)) for seq, at, kind, data in rows]

    # small shared values (the clock, flags) --------------------------------------------------------
    def meta_get(self, key: str, default: Any = None) -> Any:
        c = self._c()
        if not c.depth:
            c.check_version()  # read before the value: a commit in between only costs a miss later
        try:
            text = c.meta[key]
        except KeyError:
            row = c.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            text = c.meta[key] = None if row is None else row[0]
        if text is None:
            return default
        return None if text == "null" else json.loads(text)

    def meta_set(self, key: str, value: Any) -> None:
        with self.transaction():
            c = self._c()
            c.need_write()
            text = _dumps(value)
            c.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, text))
            c.meta[key] = text


class SqliteJournal:
    """The request journal of a shared store: the last ``maxlen`` entries, newest first, shared by the workers.

    An append-only file of JSON lines beside the database (``PATH.requests.jsonl``; the responses that broke the
    spec have one of their own, ``PATH.violations.jsonl``): recording a request is
    one ``write()`` with ``O_APPEND`` (a few microseconds; a SQLite insert cost fifteen times that), visible
    to every worker at once. The first line holds the id of the line before the first entry, so entries keep
    the ids they were given: every request is numbered, also across trims and ``clear()``. Appenders hold a
    shared ``flock``; trimming (when the file passes ``TRIM_BYTES``) and ``clear()`` write a new file and
    rename it over the old one under the exclusive lock, and an appender that finds the file replaced
    reopens it before writing.
    """

    TRIM_BYTES = 1 << 21  # 2 MiB: entries() reads the whole file, which stays small

    def __init__(self, store: SqliteStore, maxlen: int = 1000, name: str = "requests") -> None:
        if maxlen < 1:
            raise ValueError("the journal keeps at least one entry")
        self.path = f"{store.path}.{name}.jsonl"
        self.maxlen = maxlen
        self._local: dict[str, Any] = {}  # this process's descriptors (re-opened after a fork)
        with self._locked(fcntl.LOCK_EX):
            if not os.path.exists(self.path):
                self._replace(0, [])

    def _fds(self) -> tuple[int, int]:
        """(the journal, opened for appending; its lock file), re-opened after a fork or a replacement."""
        local = self._local
        if local.get("fork") != _forks[0]:
            local.clear()
            local.update(fork=_forks[0], lock=os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o644))
        return local.get("fd", -1), local["lock"]

    @contextmanager
    def _locked(self, how: int) -> Iterator[None]:
        lock = self._fds()[1]
        fcntl.flock(lock, how)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        line = _dumps(entry).encode() + b"\n"
        with self._locked(fcntl.LOCK_SH):
            fd = self._fds()[0]
            if fd < 0 or os.fstat(fd).st_ino != self._inode():  # trimmed or cleared meanwhile
                if fd >= 0:
                    os.close(fd)
                fd = self._local["fd"] = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            os.write(fd, line)
            size = os.fstat(fd).st_size
        if size > self._local.get("trim_at", self.TRIM_BYTES):
            with self._locked(fcntl.LOCK_EX):
                self._trim()
                # a journal whose maxlen entries alone pass TRIM_BYTES is trimmed when it has doubled
                self._local["trim_at"] = max(self.TRIM_BYTES, 2 * os.stat(self.path).st_size)
        return entry

    def _trim(self) -> None:
        """Keep the newest ``maxlen`` entries (a millisecond or two: bytes are searched, not split into lines)."""
        with open(self.path, "rb") as fh:
            data = fh.read()
        head_end = data.index(b"\n")
        total = data.count(b"\n") - 1
        if total <= self.maxlen:  # another worker trimmed it first
            return
        start = len(data) - 1  # the newline that ends the last entry
        for _ in range(self.maxlen):
            start = data.rfind(b"\n", head_end, start)
        base = int(data[:head_end].lstrip(b"#"))
        self._replace(base + total - self.maxlen, [data[start + 1 : -1]])

    def _inode(self) -> int:
        try:
            return os.stat(self.path).st_ino
        except FileNotFoundError:  # removed from under us: start a new one (the ids start again too)
            self._replace(0, [])
            return os.stat(self.path).st_ino

    def _read(self) -> tuple[int, list[bytes]]:
        with open(self.path, "rb") as fh:
            head, *lines = fh.read().split(b"\n")[:-1]
        return int(head.lstrip(b"#")), lines

    def _replace(self, base: int, lines: list[bytes]) -> None:
        temporary = f"{self.path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as fh:
            fh.write(b"#%d\n" % base + b"".join(line + b"\n" for line in lines))
        os.replace(temporary, self.path)

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        with self._locked(fcntl.LOCK_SH):
            base, lines = self._read()
        wanted = min(self.maxlen, len(lines) if limit is None else limit)
        out = []
        for offset in range(len(lines) - 1, max(len(lines) - wanted, 0) - 1, -1):
            try:
                out.append({"id": base + offset + 1, **json.loads(lines[offset])})
            except ValueError:  # a line cut short by a full disk: skipped, its id stays taken
                continue
        return out

    def clear(self) -> None:
        with self._locked(fcntl.LOCK_EX):
            base, lines = self._read()
            self._replace(base + len(lines), [])

    def __len__(self) -> int:
        with self._locked(fcntl.LOCK_SH):
            return min(self.maxlen, len(self._read()[1]))


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
