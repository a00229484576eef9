"""Everything one mock server holds: spec, profile, store, clock, journal and the fixtures to reset to."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mock_server.clock import Clock, parse_instant
from mock_server.journal import Journal
from mock_server.profile import ApiProfile
from mock_server.seeding import load_document
from mock_server.store import Store

if TYPE_CHECKING:
    from mock_server.sqlite_store import SqliteJournal

__all__ = ["MockState"]

log = logging.getLogger("ciapi.mock")
VIOLATIONS_KEPT = 1000


@dataclass(slots=True)
class MockState:
    profile: ApiProfile
    store: Store
    clock: Clock
    journal: Journal | SqliteJournal
    #: fixture documents loaded at start-up, replayed by reset(): (source, document)
    fixtures: list[tuple[str, Mapping[str, Any]]]
    tokens: tuple[str, ...] = ()
    #: in strict mode (tests) a response that breaks the spec is replaced by a 500 that says why
    strict: bool = False
    #: responses that broke the spec (the last 1,000); with a SQLite store, one file shared by the workers
    violation_log: Journal | SqliteJournal = field(default_factory=lambda: Journal(VIOLATIONS_KEPT))
    #: called at the end of reset() (the fault rules go back to those the server started with)
    on_reset: list[Callable[[], None]] = field(default_factory=list)

    def reset(self) -> None:
        """Back to the start-up fixtures and the clock's start; the journal and violations are emptied."""
        with self.store.transaction():
            self.store.clear()
            self.clock.reset()
            for source, document in self.fixtures:
                self.load(document, source)
            for token in self.tokens:
                self.store.put("tokens", self.profile.full_access_token(token))
        self.journal.clear()
        self.violation_log.clear()
        for hook in self.on_reset:
            hook()

    def load(self, document: Mapping[str, Any], source: str) -> None:
        """Add one fixture document's records (raises ``FixtureError``; loads nothing then)."""
        with self.store.transaction():
            origin = self.clock.now()
            if "clock" in document and isinstance(document["clock"], str):
                origin = parse_instant(document["clock"], origin=origin)
            load_document(self.profile, self.store, document, source, origin=origin)
            self.tick()

    def tick(self) -> float:
        """Fire every lifecycle event due by now, in time order; returns now."""
        now = self.clock.now()
        store = self.store
        with store.transaction():
            while (event := store.pop_due(now)) is not None:
                self.profile.on_event(store, event)
        return now

    def record_violation(self, entry: dict[str, Any]) -> None:
        log.warning("response breaks the spec: %s %s -> %s: %s", entry["method"], entry["path"], entry["status"],
                    "; ".join(entry["problems"]))
        self.violation_log.record(entry)

    @property
    def violations(self) -> list[dict[str, Any]]:
        """The responses that broke the spec, oldest first (the last 1,000, from every worker)."""
        return [{k: v for k, v in entry.items() if k != "id"} for entry in reversed(self.violation_log.entries())]
