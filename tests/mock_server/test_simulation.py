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


def test_other_commands_succeed_after_a_second_printing_nothing() -> None:
    run = simulate("make test\nsleep 10\necho built")
    assert run.passed and run.duration == 11.0
    assert [(line.at, line.text) for line in run.lines] == [(11.0, "built")]


def test_each_command_has_its_times_and_exit_code() -> None:
    run = simulate(["echo a", "sleep 3", "false", "echo never"], start=100)
    assert [(c.command, c.started, c.finished, c.exit_code) for c in run.commands] == [
        ("echo a", 100, 100, 0), ("sleep 3", 100, 103, 0), ("false", 103, 103, 1)]
    assert [c.command for c in run.commands_until(102)] == ["echo a", "sleep 3"]


def test_exit_zero_ends_the_script() -> None:
    run = simulate(["exit 0", "sleep 5"])
    assert run.passed and run.duration == 0.0 and len(run.commands) == 1


@pytest.mark.parametrize("bad", ["sleep", "sleep abc", "sleep 1 2"])
def test_bad_sleep_is_an_error(bad: str) -> None:
    assert simulate(bad).exit_status == 1


def test_output_until() -> None:
    run = simulate("echo a\nsleep 10\necho b")
    assert [line.text for line in run.output_until(9.9)] == ["a"]
    assert [line.text for line in run.output_until(10)] == ["a", "b"]
