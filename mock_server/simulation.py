"""The command simulation shared by every API's jobs and tasks.

A script is a list of commands (or one string, a command per line). Three are understood:
``echo TEXT`` prints TEXT, ``sleep N`` (N seconds; ``Ns``, ``Nm``, ``Nh`` also work) lets time pass,
``exit N`` ends the script with status N; ``true`` and ``false`` exit 0 and 1. The script stops at the
first command that fails, like a CI step. Anything else fails as a shell in an empty image would:
``sh: 1: NAME: not found`` and status 127, so a fixture never passes by accident.

The result is a timeline; callers place it on the clock at the moment the job starts.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

__all__ = ["LogLine", "Simulation", "simulate"]

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smh]?)$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class LogLine:
    at: float  # seconds after the start
    text: str


@dataclass(frozen=True, slots=True)
class Simulation:
    lines: tuple[LogLine, ...] = field(default_factory=tuple)
    duration: float = 0.0
    exit_status: int = 0

    @property
    def passed(self) -> bool:
        return self.exit_status == 0

    def output_until(self, elapsed: float) -> list[LogLine]:
        """The lines printed within ``elapsed`` seconds of the start."""
        return [line for line in self.lines if line.at <= elapsed]


def simulate(script: str | list[str] | tuple[str, ...]) -> Simulation:
    commands = script.splitlines() if isinstance(script, str) else list(script)
    now = 0.0
    lines: list[LogLine] = []
    for raw in commands:
        command = raw.strip()
        if not command or command.startswith("#"):
            continue
        status, elapsed, output = _run(command)
        lines.extend(LogLine(now, text) for text in output)
        now += elapsed
        if status is not None:
            return Simulation(tuple(lines), now, status)
    return Simulation(tuple(lines), now, 0)


def _run(command: str) -> tuple[int | None, float, list[str]]:
    """One command: (exit status if the script ends here, seconds taken, lines printed)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return 2, 0.0, [f"sh: 1: Syntax error: {command}"]
    name, args = words[0], words[1:]
    if name == "echo":
        return None, 0.0, [" ".join(args)]
    if name == "sleep":
        seconds = _duration(args)
        if seconds is None:
            return 1, 0.0, [f"sleep: invalid time interval {' '.join(args)!r}"]
        return None, seconds, []
    if name == "exit":
        code = args[0] if args else "0"
        if not code.isdigit():
            return 2, 0.0, [f"sh: 1: exit: Illegal number: {code}"]
        return int(code) % 256, 0.0, []
    if name == "true":
        return None, 0.0, []
    if name == "false":
        return 1, 0.0, []
    return 127, 0.0, [f"sh: 1: {name}: not found"]


def _duration(args: list[str]) -> float | None:
    if len(args) != 1:
        return None
    m = _DURATION.match(args[0])
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None
