"""The SQLite store: the in-memory store's semantics, shared across connections and processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from mock_server.sqlite_store import SharedClock, SqliteJournal, SqliteStore
from mock_server.store import NotFoundError, WriteNeeded


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


def test_mutations_of_read_records_are_written_back(path: Path) -> None:
    store = SqliteStore(path)
    with store.transaction():
        store.put("agents", {"id": "a", "state": "connected"})
    with store.transaction():
        store.get("agents", "a")["state"] = "stopping"
    other = SqliteStore(path)  # another connection, as another worker would have
    assert other.get("agents", "a")["state"] == "stopping"


def test_a_failed_transaction_leaves_nothing(path: Path) -> None:
    store = SqliteStore(path)
    store.put("agents", {"id": "a", "n": 1})
    with pytest.raises(RuntimeError), store.transaction():
        store.get("agents", "a")["n"] = 2
        store.put("agents", {"id": "b"})
        raise RuntimeError("boom")
    assert store.get("agents", "a")["n"] == 1
    with pytest.raises(NotFoundError):
        store.get("agents", "b")


def test_ids_keep_their_type_and_order(path: Path) -> None:
    store = SqliteStore(path)
    with store.transaction():
        for ident in (3, 1, "1"):
            store.put("jobs", {"id": ident})
    assert [r["id"] for r in store.all("jobs")] == [3, 1, "1"]
    assert store.find("jobs", 1) == {"id": 1} and store.find("jobs", "1") == {"id": "1"}
    store.delete("jobs", 1)
    assert store.count("jobs") == 2


def test_events_fire_in_time_order(path: Path) -> None:
    store = SqliteStore(path)
    store.schedule(5, "late", n=1)
    store.schedule(1, "early", n=2)
    assert store.pop_due(0) is None
    first = store.pop_due(10)
    assert first is not None and (first.kind, first.data) == ("early", {"n": 2})
    assert [e.kind for e in store.pending_events()] == ["late"]


def test_clear_keeps_the_clock(path: Path) -> None:
    store = SqliteStore(path)
    clock = SharedClock(store, "manual", start=100.0)
    clock.advance(5)
    store.put("x", {"id": 1})
    store.clear()
    assert store.all("x") == [] and clock.now() == 105.0


def test_shared_clock_is_the_same_for_every_connection(path: Path) -> None:
    one = SharedClock(SqliteStore(path), "manual", start=100.0)
    two = SharedClock(SqliteStore(path), "manual", start=100.0)
    one.advance(30)
    assert two.now() == 130.0
    two.reset()
    assert one.now() == 100.0


def test_journal_is_bounded_and_newest_first(path: Path) -> None:
    journal = SqliteJournal(SqliteStore(path), maxlen=3)
    for i in range(10):
        journal.record({"n": i})
    assert [e["n"] for e in journal.entries()] == [9, 8, 7]
    assert len(journal) == 3
    journal.clear()
    assert journal.entries() == []


def _increment(path: str, times: int) -> None:
    store = SqliteStore(path)
    for _ in range(times):
        with store.transaction():
            store.get("counters", "c")["n"] += 1


def test_concurrent_writers_in_processes_lose_nothing(path: Path) -> None:
    store = SqliteStore(path)
    store.put("counters", {"id": "c", "n": 0})
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_increment, args=(str(path), 200)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert store.get("counters", "c")["n"] == 600


# --- read transactions, the per-connection cache, the journal's own file -------------------------------
def test_a_read_transaction_that_writes_raises_write_needed_and_writes_nothing(path: Path) -> None:
    store = SqliteStore(path)
    store.put("agents", {"id": "a", "n": 1})
    for attempt in (lambda: store.put("agents", {"id": "b"}), lambda: store.delete("agents", "a"),
                    lambda: store.schedule(1.0, "tick"), lambda: store.meta_set("k", 1)):
        with pytest.raises(WriteNeeded), store.transaction(write=False):
            attempt()
    other = SqliteStore(path)
    assert [r["id"] for r in other.all("agents")] == ["a"] and other.pending_events() == []
    assert other.meta_get("k") is None


def test_a_read_transaction_that_changes_what_it_read_raises_at_commit(path: Path) -> None:
    store = SqliteStore(path)
    store.put("agents", {"id": "a", "n": 1})
    assert store.get("agents", "a")["n"] == 1  # now in the connection's cache
    with pytest.raises(WriteNeeded), store.transaction(write=False):
        store.get("agents", "a")["n"] = 2
    assert store.get("agents", "a")["n"] == 1  # the changed dict left the cache with the rollback
    assert SqliteStore(path).get("agents", "a")["n"] == 1
    with store.transaction():  # the same change, as a writer, sticks
        store.get("agents", "a")["n"] = 2
    assert SqliteStore(path).get("agents", "a")["n"] == 2


def test_a_connection_sees_what_another_committed_after_it_cached(path: Path) -> None:
    one, two = SqliteStore(path), SqliteStore(path)
    one.put("agents", {"id": "a", "n": 1})
    assert two.get("agents", "a")["n"] == 1 and two.meta_get("flag") is None  # both cached by two
    assert two.pop_due(100.0) is None  # and "no event is due" too
    with one.transaction():
        one.get("agents", "a")["n"] = 5
        one.meta_set("flag", True)
        one.schedule(50.0, "later")
    assert two.get("agents", "a")["n"] == 5 and two.meta_get("flag") is True
    due = two.pop_due(100.0)
    assert due is not None and due.kind == "later"


def test_a_get_finding_an_event_due_retries_as_a_writer(path: Path) -> None:
    store = SqliteStore(path)
    store.put("agents", {"id": "a", "state": "stopping"})
    store.schedule(5.0, "stopped")
    fired: list[str] = []

    def request(write: bool) -> str:
        with store.transaction(write=write):
            while (event := store.pop_due(10.0)) is not None:
                fired.append(event.kind)
                store.get("agents", "a")["state"] = event.kind
            return str(store.get("agents", "a")["state"])

    with pytest.raises(WriteNeeded):
        request(write=False)
    assert fired == [] and SqliteStore(path).pending_events() != []
    assert request(write=True) == "stopped" and fired == ["stopped"]
    assert SqliteStore(path).get("agents", "a")["state"] == "stopped"


def test_the_journal_is_a_file_of_its_own(path: Path) -> None:
    store = SqliteStore(path)
    journal = SqliteJournal(store)
    journal.record({"n": 1})
    assert Path(journal.path).exists() and journal.path != str(path)
    with store.transaction(write=False):  # journaling never needs the state's write lock
        journal.record({"n": 2})
    assert [(e["id"], e["n"]) for e in SqliteJournal(SqliteStore(path)).entries()] == [(2, 2), (1, 1)]


def test_journal_ids_go_on_through_trims_and_clears(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqliteJournal, "TRIM_BYTES", 200)
    journal = SqliteJournal(SqliteStore(path), maxlen=5)
    for i in range(1, 101):
        journal.record({"n": i})
    assert Path(journal.path).stat().st_size < 600  # trimmed as it grew: never much past the limit
    assert [e["id"] for e in journal.entries()] == [100, 99, 98, 97, 96] and len(journal) == 5
    assert [e["n"] for e in journal.entries(limit=2)] == [100, 99]
    journal.clear()
    assert journal.entries() == [] and len(journal) == 0
    journal.record({"n": 101})
    assert [(e["id"], e["n"]) for e in SqliteJournal(SqliteStore(path), maxlen=5).entries()] == [(101, 101)]


def _append(path: str, tag: str, times: int) -> None:
    journal = SqliteJournal(SqliteStore(path), maxlen=50)
    for i in range(times):
        journal.record({"tag": tag, "i": i})


def test_journal_appends_from_processes_lose_nothing_while_it_is_trimmed(path: Path) -> None:
    SqliteJournal.TRIM_BYTES = 4096  # inherited by the forked writers: trims happen under their appends
    try:
        context = multiprocessing.get_context("fork")
        writers = [context.Process(target=_append, args=(str(path), tag, 300)) for tag in "abc"]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=60)
        assert [w.exitcode for w in writers] == [0, 0, 0]
        entries = SqliteJournal(SqliteStore(path), maxlen=50).entries()
    finally:
        SqliteJournal.TRIM_BYTES = 1 << 21
    assert Path(f"{path}.requests.jsonl").stat().st_size < 3 * 4096  # it was trimmed, many times
    # 900 appends, 900 ids: none lost to a trim or a reopen, none given twice
    assert [e["id"] for e in entries] == list(range(900, 850, -1))
    for tag in "abc":  # each writer's entries in its own order
        mine = [e["i"] for e in reversed(entries) if e["tag"] == tag]
        assert mine == sorted(mine)


def test_keys_of_any_json_shape_work(path: Path) -> None:
    store = SqliteStore(path)
    for key in (["org", 1], ("org", 2), 3, "3", True):
        store.put("things", {"id": key, "k": repr(key)})
    assert store.get("things", ["org", 1])["k"] == "['org', 1]"
    assert store.get("things", ("org", 2))["k"] == "('org', 2)" and store.get("things", ["org", 2])["k"] == "('org', 2)"
    assert store.get("things", 3)["k"] == "3" and store.get("things", "3")["k"] == "'3'"
    assert store.get("things", True)["k"] == "True"


def test_the_record_cache_stays_bounded(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mock_server.sqlite_store as module

    monkeypatch.setattr(module, "CACHE_LIMIT", 10)
    store = SqliteStore(path)
    with store.transaction():
        for i in range(50):
            store.put("agents", {"id": i, "n": i})
    for i in range(50):
        assert store.get("agents", i)["n"] == i
        assert len(store._c().cache) <= 10
    assert [store.get("agents", i)["n"] for i in (0, 25, 49)] == [0, 25, 49]  # evicted ones are read again


# --- responses that broke the spec: one list for every worker ------------------------------------------
def _record_violation(path: str, where: str) -> None:
    from mock_server.app import create_app, get_state

    get_state(create_app("buildkite", store=f"sqlite:{path}", clock="manual")).record_violation(
        {"method": "GET", "path": where, "status": 200, "operation_id": "getAgent", "problems": ["x"]})


def test_violations_found_by_any_worker_are_listed_by_every_worker(path: Path) -> None:
    from mock_server.app import create_app, get_state

    app = create_app("buildkite", store=f"sqlite:{path}", clock="manual")
    context = multiprocessing.get_context("spawn")
    for where in ("/first", "/second"):  # other processes on the same store, as the workers are
        worker = context.Process(target=_record_violation, args=(str(path), where))
        worker.start()
        worker.join(timeout=60)
        assert worker.exitcode == 0
    listed = app.test_client().get("/_mock/violations").get_json()["violations"]
    assert [v["path"] for v in listed] == ["/first", "/second"]  # oldest first, as with one process
    assert listed[0] == {"method": "GET", "path": "/first", "status": 200, "operation_id": "getAgent",
                         "problems": ["x"]}
    assert Path(f"{path}.violations.jsonl").exists()
    get_state(app).reset()  # a reset by any worker empties it for all
    assert get_state(create_app("buildkite", store=f"sqlite:{path}", clock="manual")).violations == []
