"""Ordered indexes stay right as handlers mutate records, on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.indexes import Index
from mock_server.sqlite_store import SqliteStore
from mock_server.store import MemoryStore, Store

RUNNING = Index(name="running", collection="jobs",
                partition=lambda j: j["project"] if j["state"] == "running" else None, order=lambda j: j["name"])


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    made: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    made.declare_index(RUNNING)
    return made


def _names(store: Store, part: str, offset: int = 0, limit: int = 10) -> tuple[list[str], int]:
    records, total = store.page("running", part, offset, limit)
    return [r["name"] for r in records], total


def test_pages_follow_the_order_and_count_the_partition(store: Store) -> None:
    with store.transaction():
        for i, name in enumerate(["c", "a", "d", "b"]):
            store.put("jobs", {"id": i, "name": name, "project": "p", "state": "running"})
        store.put("jobs", {"id": 9, "name": "z", "project": "q", "state": "running"})
    assert _names(store, "p") == (["a", "b", "c", "d"], 4)
    assert _names(store, "p", offset=1, limit=2) == (["b", "c"], 4)
    assert _names(store, "p", offset=10**30) == ([], 4)
    assert _names(store, "nope") == ([], 0)


def test_in_place_mutations_move_records_between_partitions(store: Store) -> None:
    with store.transaction():
        store.put("jobs", {"id": 1, "name": "a", "project": "p", "state": "running"})
        store.put("jobs", {"id": 2, "name": "b", "project": "p", "state": "running"})
    with store.transaction():
        store.get("jobs", 1)["state"] = "passed"  # a handler changes a live record
        assert _names(store, "p") == (["b"], 1)  # visible within the same transaction
    with store.transaction():
        store.get("jobs", 2)["name"] = "0-renamed"
        store.put("jobs", {"id": 3, "name": "a2", "project": "p", "state": "running"})
    assert _names(store, "p") == (["0-renamed", "a2"], 2)
    store.delete("jobs", 2)
    assert _names(store, "p") == (["a2"], 1)


def test_clear_empties_the_index(store: Store) -> None:
    store.put("jobs", {"id": 1, "name": "a", "project": "p", "state": "running"})
    store.clear()
    assert _names(store, "p") == ([], 0)


def test_an_existing_database_gets_the_index_built(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "s.db")
    with first.transaction():
        for i in range(3):
            first.put("jobs", {"id": i, "name": f"j{i}", "project": "p", "state": "running"})
    later = SqliteStore(tmp_path / "s.db")
    later.declare_index(RUNNING)
    assert _names(later, "p") == (["j0", "j1", "j2"], 3)


def test_a_cursor_starts_the_page_after_its_sort_key(store: Store) -> None:
    with store.transaction():
        for i, name in enumerate(["b", "a", "d", "c", "c"]):
            store.put("jobs", {"id": i, "project": "p", "state": "running", "name": name})
        store.put("jobs", {"id": 9, "project": "q", "state": "running", "name": "a"})

    def after(cursor: str | None, limit: int = 10, offset: int = 0) -> list[str]:
        records, total = store.page("running", "p", offset, limit, after=cursor)
        assert total == 5  # the partition's size, whatever the cursor
        return [r["name"] for r in records]

    assert after(None) == ["a", "b", "c", "c", "d"]
    assert after("b") == ["c", "c", "d"] and after("c") == ["d"] and after("bz", limit=1) == ["c"]
    assert after("d") == [] and after("") == ["a", "b", "c", "c", "d"] and after("b", offset=2) == ["d"]
