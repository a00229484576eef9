from __future__ import annotations

import pytest

from mock_server.store import MemoryStore, NotFoundError


def test_put_get_all_delete() -> None:
    store = MemoryStore()
    store.put("agents", {"id": "a", "n": 1})
    store.put("agents", {"id": "b", "n": 2})
    assert store.get("agents", "a")["n"] == 1
    assert [r["id"] for r in store.all("agents")] == ["a", "b"]
    store.delete("agents", "a")
    with pytest.raises(NotFoundError):
        store.get("agents", "a")
    assert store.find("agents", "a") is None


def test_events_fire_in_time_then_insertion_order() -> None:
    store = MemoryStore()
    store.schedule(5, "late")
    store.schedule(1, "early")
    store.schedule(1, "early-second")
    assert store.pop_due(0) is None
    fired = []
    while (event := store.pop_due(10)) is not None:
        fired.append(event.kind)
    assert fired == ["early", "early-second", "late"]


def test_clear_drops_records_and_events() -> None:
    store = MemoryStore()
    store.put("x", {"id": 1})
    store.schedule(0, "e")
    store.clear()
    assert store.all("x") == [] and store.pop_due(100) is None
