"""The mock's clock: manual in tests, real time (with a speed factor) in ``ciapi serve``.

Both kinds can be advanced by hand; lifecycles read ``now()`` and never sleep.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["CLOCK_MODES", "DEFAULT_EPOCH", "Clock", "ManualClock", "RealClock", "check_mode", "format_iso_ms",
           "parse_instant"]

#: Where a manual clock starts when the fixtures name no start: fixed, so tests are repeatable.
DEFAULT_EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC).timestamp()

_RELATIVE = re.compile(r"^\s*([+-])\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: what ``set_mode`` accepts: frozen until advanced, or running at a speed factor of wall time
CLOCK_MODES = ("manual", "real")


class Clock(Protocol):
    kind: str

    def now(self) -> float:
        """Seconds since the Unix epoch, as the mocked service sees them."""
        ...

    def advance(self, seconds: float) -> float:
        """Move time forward; returns the new ``now()``."""
        ...

    def reset(self) -> None:
        """Back to where the clock started."""
        ...


class ManualClock:
    """A clock that moves only when told to."""

    kind = "manual"
    speed: float | None = None  # the speed it runs (or last ran) at after set_mode("real", ...)

    def __init__(self, start: float = DEFAULT_EPOCH) -> None:
        self.start = start
        self._now = start
        self._lock = threading.Lock()
        self._running: tuple[float, float] | None = None  # (monotonic start, speed) while set to real time

    def now(self) -> float:
        running = self._running
        if running is None:
            return self._now
        return self._now + (time.monotonic() - running[0]) * running[1]

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now += seconds
            return self.now()

    def reset(self) -> None:
        with self._lock:
            self._now = self.start
            self._running = None
            self.kind, self.speed = "manual", None

    def set_mode(self, kind: str, speed: float | None = None) -> float:
        """Freeze (``manual``) or run at ``speed`` times wall time (``real``) from now on; ``now()`` does not jump.

        ``speed`` defaults to the last one set (1.0 at first). ``reset()`` goes back to manual.
        """
        speed = check_mode(kind, speed, self.speed)
        with self._lock:
            self._now = self.now()
            self._running = (time.monotonic(), speed) if kind == "real" else None
            self.kind, self.speed = kind, speed
            return self._now


class RealClock:
    """Wall time from ``start``, running ``speed`` times faster than real time, plus manual advances."""

    kind = "real"

    def __init__(self, start: float | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.start = time.time() if start is None else start
        self.speed = speed
        self._t0 = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()
        self._initial_speed = speed
        self._frozen: float | None = None  # now() while paused by set_mode("manual")

    def now(self) -> float:
        frozen = self._frozen
        if frozen is not None:
            return frozen
        return self.start + (time.monotonic() - self._t0) * self.speed + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._frozen = self.start  # readers see a consistent time while the parts change
            self._t0 = time.monotonic()
            self._offset = 0.0
            self.kind, self.speed = "real", self._initial_speed
            self._frozen = None

    def set_mode(self, kind: str, speed: float | None = None) -> float:
        """Pause (``manual``: only ``advance`` moves it) or run at ``speed`` times wall time (``real``).

        ``now()`` does not jump; ``speed`` defaults to the current one. ``reset()`` goes back to running.
        """
        speed = check_mode(kind, speed, self.speed)
        with self._lock:
            now = self.now()
            self._frozen = now  # readers see ``now`` until the switch is complete
            self.kind, self.speed = kind, speed
            if kind == "real":
                self._t0, self._offset = time.monotonic(), now - self.start
                self._frozen = None
            return now


def check_mode(kind: str, speed: float | None, current: float | None) -> float:
    """Validate a ``set_mode`` call; returns the speed to use (``current``, else 1.0, when none is given)."""
    if kind not in CLOCK_MODES:
        raise ValueError(f"unknown clock mode {kind!r}: use 'manual' or 'real'")
    if speed is None:
        return current or 1.0
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0 < speed < float("inf"):
        raise ValueError("speed must be a finite number > 0")
    return float(speed)


@functools.lru_cache(maxsize=8192)
def format_iso_ms(ts: float) -> str:
    """``2024-01-02T03:04:05.678Z``: ISO-8601 UTC with milliseconds.

    Cached: stored records keep their times, so a list formats the same instants request after request.
    """
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_instant(value: object, *, origin: float) -> float:
    """Read a fixture time: an ISO-8601 string, or an offset from ``origin`` such as ``-2h`` or ``+30s``.

    Raises:
        ValueError: with a message naming the accepted forms.
    """
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return dt.timestamp()
    if isinstance(value, str):
        m = _RELATIVE.match(value)
        if m:
            sign = -1.0 if m.group(1) == "-" else 1.0
            return origin + sign * float(m.group(2)) * _UNIT_SECONDS[m.group(3)]
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
    raise ValueError(f"{value!r} is not a time: use ISO-8601 ('2026-01-05T09:00:00Z') or an offset ('-2h', '+30s')")
