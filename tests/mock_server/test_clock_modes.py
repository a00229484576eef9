"""Clocks that switch at runtime between paused (manual) and real time at a speed factor (the dashboard's controls)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from mock_server.clock import ManualClock, RealClock
from mock_server.sqlite_store import SharedClock, SqliteStore

AGENTS = "/v2/organizations/my-great-org/agents"


def test_manual_clock_can_run_in_real_time_and_pause_again() -> None:
    clock = ManualClock(1000.0)
    clock.set_mode("real", speed=1000)
    time.sleep(0.05)
    running = clock.now()
    assert clock.kind == "real" and clock.speed == 1000 and 1040 <= running < 1500
    paused_at = clock.set_mode("manual")
    assert paused_at >= running and clock.now() == paused_at and clock.kind == "manual"
    time.sleep(0.02)
    assert clock.now() == paused_at
    assert clock.advance(5) == paused_at + 5
    clock.reset()
    assert (clock.now(), clock.kind, clock.speed) == (1000.0, "manual", None)


def test_real_clock_pauses_resumes_without_a_jump_and_changes_speed() -> None:
    clock = RealClock(start=0.0, speed=1.0)
    paused = clock.set_mode("manual")
    time.sleep(0.02)
    assert clock.now() == paused and clock.kind == "manual"
    assert clock.advance(100) == paused + 100
    resumed = clock.set_mode("real", speed=500)
    assert resumed == paused + 100 and clock.kind == "real"
    time.sleep(0.02)
    assert clock.now() >= resumed + 5
    clock.reset()
    assert clock.kind == "real" and clock.speed == 1.0 and clock.now() < 1


def test_modes_are_checked() -> None:
    clock = ManualClock()
    for kind, speed in (("fast", None), ("real", 0), ("real", -1), ("real", float("inf")), ("real", True)):
        with pytest.raises(ValueError):
            clock.set_mode(kind, speed)  # type: ignore[arg-type]


def test_shared_clock_mode_is_seen_by_every_worker(tmp_path: Path) -> None:
    one = SharedClock(SqliteStore(tmp_path / "c.db"), "manual", start=100.0)
    two = SharedClock(SqliteStore(tmp_path / "c.db"), "manual", start=100.0)
    one.advance(10)
    one.set_mode("real", speed=1000)
    time.sleep(0.02)
    assert two.kind == "real" and two.speed == 1000 and two.now() > 115
    frozen = two.set_mode("manual")
    assert one.kind == "manual" and one.now() == frozen
    assert one.advance(1) == frozen + 1 == two.now()
    two.kind = "real"  # the setter switches the mode too
    assert one.kind == "real"
    one.reset()
    assert (two.kind, two.now()) == ("manual", 100.0)


def test_admin_plane_switches_the_mode(client: FlaskClient) -> None:
    [agent] = client.get(AGENTS + "?name=agent-01").json
    assert client.put(f"{AGENTS}/{agent['id']}/stop", json={"force": True}).status_code == 204
    running = client.post("/_mock/clock", json={"mode": "real", "speed": 200}).json
    assert running["kind"] == "real" and running["speed"] == 200
    deadline = time.monotonic() + 5
    while client.get(f"{AGENTS}/{agent['id']}").json["connection_state"] != "stopped":  # 2 s of mock time
        assert time.monotonic() < deadline, "the clock did not run"
        time.sleep(0.01)
    paused = client.post("/_mock/clock", json={"mode": "manual"}).json
    assert paused["kind"] == "manual"
    time.sleep(0.02)
    assert client.get("/_mock/clock").json["epoch"] == paused["epoch"]
    both = client.post("/_mock/clock", json={"speed": 3, "advance": 60}).json  # speed alone keeps the mode
    assert both["kind"] == "manual" and both["speed"] == 3 and both["epoch"] == paused["epoch"] + 60
    assert client.post("/_mock/reset").json["clock"]["kind"] == "manual"


@pytest.mark.parametrize("body", [{"mode": "fast"}, {"mode": "real", "speed": 0}, {"speed": "x"},
                                  {"mode": "real", "advance": -1}, {"mode": "real", "colour": 1}])
def test_admin_plane_refuses_bad_modes(client: FlaskClient, body: dict[str, object]) -> None:
    response = client.post("/_mock/clock", json=body)
    assert response.status_code == 400 and "error" in response.json
    assert client.get("/_mock/clock").json["kind"] == "manual"  # nothing changed
