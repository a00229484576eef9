from __future__ import annotations

import time

import pytest

from mock_server.clock import ManualClock, RealClock, format_iso_ms, parse_instant


def test_manual_clock_moves_only_when_advanced_and_resets() -> None:
    clock = ManualClock(1000.0)
    assert clock.now() == 1000.0
    assert clock.advance(2.5) == 1002.5
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.reset()
    assert clock.now() == 1000.0


def test_real_clock_runs_at_its_speed_and_can_be_advanced() -> None:
    clock = RealClock(start=0.0, speed=100.0)
    time.sleep(0.05)
    assert 4.0 <= clock.now() < 60.0
    before = clock.now()
    assert clock.advance(1000) >= before + 1000
    clock.reset()
    assert clock.now() < 60.0


def test_format_has_milliseconds() -> None:
    assert format_iso_ms(0.1234) == "1970-01-01T00:00:00.123Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("-2h", 1000 - 7200), ("+30s", 1030), ("-1.5m", 910), ("1970-01-01T00:00:10Z", 10), ("1970-01-01T00:00:10", 10)],
)
def test_parse_instant(value: str, expected: float) -> None:
    assert parse_instant(value, origin=1000) == expected


def test_parse_instant_says_what_it_accepts() -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_instant("yesterday", origin=0)
