"""The command simulation shared by every API's jobs and tasks.

A script is a list of commands (or one string, a command per line). ``echo TEXT`` prints TEXT,
``sleep N`` lets N seconds of clock pass (``Ns``, ``Nm``, ``Nh`` also work), ``exit N`` ends the script
with status N; ``true`` and ``false`` exit 0 and 1. Any other command succeeds after one second,
printing nothing. The script stops at the first command that fails, like a CI step.

The result is a timeline relative to the start; callers place it on the clock when the job starts and
read it back as the clock moves (``output_until``, ``commands_until``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

__all__ = ["CommandRun", "LogLine", "Simulation", "simulate"]

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smh]?)$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
OTHER_COMMAND_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class LogLine:
    at: float  # seconds after the start
    text: str


@dataclass(frozen=True, slots=True)
class CommandRun:
    command: str
    started: float  # seconds after the start of the script
    finished: float
    exit_code: int
    output: tuple[LogLine, ...]


@dataclass(frozen=True, slots=True)
class Simulation:
    commands: tuple[CommandRun, ...] = field(default_factory=tuple)

    @property
    def duration(self) -> float:
        return self.commands[-1].finished if self.commands else 0.0

    @property
    def exit_status(self) -> int:
        return self.commands[-1].exit_code if self.commands else 0

    @property
    def passed(self) -> bool:
        return self.exit_status == 0

    @property
    def lines(self) -> tuple[LogLine, ...]:
        return tuple(line for run in self.commands for line in run.output)

    def output_until(self, elapsed: float) -> list[LogLine]:
        """The lines printed within ``elapsed`` seconds of the start."""
        return [line for line in self.lines if line.at <= elapsed]

    def commands_until(self, elapsed: float) -> list[CommandRun]:
        """The commands started within ``elapsed`` seconds (the last one may still be running)."""
        return [run for run in self.commands if run.started <= elapsed]


def simulate(script: str | list[str] | tuple[str, ...], *, start: float = 0.0) -> Simulation:
    """Run ``script`` on a simulated clock that starts at ``start`` (seconds)."""
    commands = script.splitlines() if isinstance(script, str) else list(script)
    now = start
    runs: list[CommandRun] = []
    for raw in commands:
        command = raw.strip()
        if not command or command.startswith("#"):
            continue
        status, elapsed, output = _run(command)
        runs.append(CommandRun(command, now, now + elapsed, status, tuple(LogLine(now, t) for t in output)))
        now += elapsed
        if status != 0 or command.split()[0] == "exit":
            break
    return Simulation(tuple(runs))


def _run(command: str) -> tuple[int, float, list[str]]:
    """One command: (exit status, seconds taken, lines printed)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return 2, 0.0, [f"sh: 1: Syntax error: {command}"]
    if not words:
        return 0, 0.0, []
    name, args = words[0], words[1:]
    if name == "echo":
        return 0, 0.0, [" ".join(args)]
    if name == "sleep":
        seconds = _duration(args)
        if seconds is None:
            return 1, 0.0, [f"sleep: invalid time interval {' '.join(args)!r}"]
        return 0, seconds, []
    if name == "exit":
        code = args[0] if args else "0"
        if not code.isdigit():
            return 2, 0.0, [f"sh: 1: exit: Illegal number: {code}"]
        return int(code) % 256, 0.0, []
    if name == "true":
        return 0, 0.0, []
    if name == "false":
        return 1, 0.0, []
    return 0, OTHER_COMMAND_SECONDS, []


def _duration(args: list[str]) -> float | None:
    if len(args) != 1:
        return None
    m = _DURATION.match(args[0])
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None
