"""A one-line progress bar for terminals (stderr), fed with the runner's events; silent elsewhere."""

from __future__ import annotations

import time
from typing import TextIO

from contract_tests.events import Event, FindingReported, PhaseStarted, RunFinished, RunStarted, StepFinished

__all__ = ["ProgressBar"]


class ProgressBar:
    """``[########------------]  40%  12/30  fuzzing getAgent  2 findings``, redrawn in place.

    Draws only when ``enabled`` (the CLI enables it for a TTY without ``--quiet``); at most 10 redraws a second.
    """

    def __init__(self, stream: TextIO, *, enabled: bool, width: int = 30, min_interval: float = 0.1) -> None:
        self.stream, self.enabled, self.width, self.min_interval = stream, enabled, width, min_interval
        self.total = self.done = self.findings = 0
        self.label = ""
        self._drawn = 0.0
        self._visible = False

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.total = event.planned_steps
        elif isinstance(event, PhaseStarted):
            self.label = event.name
        elif isinstance(event, StepFinished):
            self.done += 1
            operation = event.operation.short if event.operation else ""
            self.label = f"{event.phase} {operation}".strip()
        elif isinstance(event, FindingReported):
            self.findings += 1
        elif isinstance(event, RunFinished):
            self.close()
            return
        self._draw(force=isinstance(event, RunStarted | PhaseStarted))

    def line(self) -> str:
        total = max(self.total, self.done, 1)
        filled = self.width * self.done // total
        bar = "#" * filled + "-" * (self.width - filled)
        found = f"  {self.findings} finding(s)" if self.findings else ""
        return f"[{bar}] {100 * self.done // total:3d}%  {self.done}/{total}  {self.label}"[:100] + found

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < self.min_interval:
            return
        self._drawn = now
        self.stream.write("\r\x1b[2K" + self.line())
        self.stream.flush()
        self._visible = True

    def close(self) -> None:
        """Erase the bar (the summary follows on stdout)."""
        if self.enabled and self._visible:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._visible = False
