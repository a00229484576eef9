from __future__ import annotations

import pytest

from mock_server.simulation import simulate


def test_echo_sleep_exit_make_a_timeline() -> None:
    run = simulate("echo one\nsleep 5\necho 'two words'\nsleep 1m\nexit 3\necho never")
    assert [(line.at, line.text) for line in run.lines] == [(0.0, "one"), (5.0, "two words")]
    assert run.duration == 65.0
    assert run.exit_status == 3
    assert not run.passed


def test_a_script_that_ends_normally_passes() -> None:
    run = simulate(["echo hi", "sleep 2", "true"])
    assert run.passed and run.duration == 2.0


def test_first_failure_stops_the_script() -> None:
    run = simulate(["false", "sleep 100"])
    assert run.exit_status == 1 and run.duration == 0.0


def test_unknown_commands_fail_like_a_shell() -> None:
    run = simulate("make test\nsleep 10")
    assert run.exit_status == 127
    assert run.lines[0].text == "sh: 1: make: not found"


@pytest.mark.parametrize("bad", ["sleep", "sleep abc", "sleep 1 2"])
def test_bad_sleep_is_an_error(bad: str) -> None:
    assert simulate(bad).exit_status == 1


def test_output_until() -> None:
    run = simulate("echo a\nsleep 10\necho b")
    assert [line.text for line in run.output_until(9.9)] == ["a"]
    assert [line.text for line in run.output_until(10)] == ["a", "b"]
