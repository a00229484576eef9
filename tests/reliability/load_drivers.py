"""Mixed-load drivers for every API: creates, stops, lists, log reads, with a shared ledger of what the clients
were told, and the checks that the final state agrees with it.

Used by ``test_load.py`` (CI) and ``soak.py`` (long runs). Only loopback traffic.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from contract_tests.catalog import get_api, load_spec
from contract_tests.lifecycle import TransitionTracker, observe_states

TIMEOUT = 15.0

#: state sets of APIs whose spec has no ``x-ciapi-transitions`` table for the field: (field, final states, all)
SUI_FINAL = {"stopped", "success", "error"}
SUI_STATES = {"waiting", "starting", "running", "stopping", *SUI_FINAL}
SRHT_FINAL = {"success", "failed", "timeout", "cancelled"}
SRHT_STATES = {"pending", "queued", "running", *SRHT_FINAL}


@dataclass
class Ledger:
    """What the clients were told, from every thread."""

    created: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)  # acknowledged stops
    seen_final: dict[str, str] = field(default_factory=dict)  # id -> a final state a client saw
    problems: list[str] = field(default_factory=list)
    operations: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **kinds: list[str]) -> None:
        with self.lock:
            for kind, items in kinds.items():
                getattr(self, kind).extend(items)


class Observer:
    """Checks every state a thread sees against the spec's transition tables (one tracker per thread)."""

    def __init__(self, api: str) -> None:
        self.schemas: dict[str, tuple[dict[str, Any], Any]] = {}
        for path in get_api(api).spec_paths:
            root = load_spec(path)
            for item in (root.get("paths") or {}).values():
                for op in item.values():
                    if not isinstance(op, dict) or "operationId" not in op:
                        continue
                    for status in ("200", "201"):
                        content = ((op.get("responses") or {}).get(status) or {}).get("content") or {}
                        schema = (content.get("application/json") or {}).get("schema")
                        if schema is not None:
                            self.schemas[op["operationId"]] = (root, schema)
        self.local = threading.local()

    def tracker(self) -> TransitionTracker:
        if not hasattr(self.local, "tracker"):
            self.local.tracker = TransitionTracker()
        tracker: TransitionTracker = self.local.tracker
        return tracker

    def observe(self, operation_id: str, body: Any) -> list[str]:
        if operation_id not in self.schemas:
            return []
        root, schema = self.schemas[operation_id]
        illegal = self.tracker().observe(observe_states(root, schema, body))
        return [f"{operation_id}: {i.observation.key} moved {i.previous} -> {i.observation.state}" for i in illegal]


class Driver:
    """One API's operations; subclasses say how to create, stop, read, list and check."""

    api = ""
    headers: dict[str, str] = {}

    def __init__(self, base: str, ledger: Ledger) -> None:
        self.base = base
        self.ledger = ledger
        self.observer = Observer(self.api)
        self.local_states: threading.local = threading.local()

    # plumbing -----------------------------------------------------------------------------------------------
    def call(self, http: requests.Session, method: str, path: str, *, expect: tuple[int, ...] = (200,),
             **kwargs: Any) -> requests.Response:
        response = http.request(method, path if path.startswith("http") else self.base + path,
                                headers=self.headers, timeout=TIMEOUT, **kwargs)
        if response.status_code not in expect or "X-Ciapi-Violations" in response.headers:
            self.ledger.add(problems=[f"{method} {path}: {response.status_code} {response.text[:200]!r} "
                                      f"{response.headers.get('X-Ciapi-Violations', '')}"])
        return response

    def observe(self, operation_id: str, body: Any) -> None:
        problems = self.observer.observe(operation_id, body)
        if problems:
            self.ledger.add(problems=problems)

    def observe_plain(self, ident: str, state: str, states: set[str], final: set[str]) -> None:
        """For a field without a table: known values only, and a final state never changes again."""
        seen: dict[str, str] = self.local_states.__dict__.setdefault("seen", {})
        if state not in states:
            self.ledger.add(problems=[f"{ident}: unknown state {state!r}"])
        previous = seen.get(ident)
        if previous in final and state != previous:
            self.ledger.add(problems=[f"{ident}: left the final state {previous} for {state}"])
        seen[ident] = state
        if state in final:
            with self.ledger.lock:
                self.ledger.seen_final.setdefault(ident, state)

    # the mix ------------------------------------------------------------------------------------------------
    def create(self, http: requests.Session) -> str | None:
        return None

    def stop(self, http: requests.Session, ident: str) -> bool:
        raise NotImplementedError

    def read(self, http: requests.Session, ident: str) -> None:
        raise NotImplementedError

    def log(self, http: requests.Session, ident: str) -> None:
        self.read(http, ident)

    def list_page(self, http: requests.Session) -> None:
        next(iter(self.pages(http)), None)

    def pages(self, http: requests.Session) -> Iterator[list[str]]:
        raise NotImplementedError

    def known(self) -> list[str]:
        return []

    def traverse(self, http: requests.Session) -> list[str]:
        ids: list[str] = []
        for i, page in enumerate(self.pages(http)):
            assert i < 10_000, "the pages never end"
            ids += page
        return ids

    def final_problems(self, http: requests.Session, before: int, listed: list[str]) -> list[str]:
        """After the load and a long clock advance: what disagrees with what the clients were told."""
        raise NotImplementedError


def run_load(driver: Driver, *, threads: int, ops: int, seed: int = 8,
             advance: Callable[[float], None] | None = None, deadline: float = 600.0) -> None:
    """``threads`` clients doing ``ops`` mixed operations each; one in 50 operations moves the clock."""
    pool = list(driver.known())
    pool_lock = threading.Lock()
    errors: list[BaseException] = []

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        http = requests.Session()
        mine: list[str] = []
        end = time.monotonic() + deadline
        try:
            for _ in range(ops):
                if time.monotonic() > end:
                    driver.ledger.add(problems=[f"thread {index}: out of time"])
                    return
                roll = rng.random()
                with pool_lock:
                    target = rng.choice(mine or pool) if (mine or pool) else None
                if roll < 0.02 and advance is not None:
                    advance(rng.choice((0.5, 1, 2, 5)))
                elif roll < 0.30:
                    ident = driver.create(http)
                    if ident is not None:
                        mine.append(ident)
                        driver.ledger.add(created=[ident])
                        with pool_lock:
                            pool.append(ident)
                    elif target is not None:
                        driver.read(http, target)
                elif roll < 0.45 and target is not None:
                    if driver.stop(http, target):
                        driver.ledger.add(stopped=[target])
                elif roll < 0.65:
                    driver.list_page(http)
                elif roll < 0.85 and target is not None:
                    driver.read(http, target)
                elif target is not None:
                    driver.log(http, target)
                with driver.ledger.lock:
                    driver.ledger.operations += 1
        except BaseException as exc:  # noqa: BLE001 (reported by the caller)
            errors.append(exc)
        finally:
            http.close()

    workers = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=deadline + 30)
    assert not any(w.is_alive() for w in workers), "a client thread hung"
    if errors:
        raise errors[0]
