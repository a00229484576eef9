"""The runner's logs: the setup log and each task's log, as text that grows with the clock."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mock_server.apis.builds_srht.model import manifest_of
from mock_server.simulation import simulate

__all__ = ["setup_commands", "setup_log", "task_log"]

_ENDINGS = {"success": "Build complete.", "failed": "Build failed.", "timeout": "Build timed out.",
            "cancelled": "Build cancelled."}


def setup_commands(job: Mapping[str, Any]) -> list[str]:
    """What the runner does before the first task, as a script for the shared command simulation."""
    m = manifest_of(job)
    boot = f"Booting image {m.image} ({m.arch or 'default'}) on the ciapi mock runner"
    script = [_echo(boot), "sleep 8", _echo("Waiting for guest to settle"), "sleep 2", _echo("Sending tasks"),
              _echo("Sending build environment")]
    if m.repositories:
        script += [_echo("Adding repositories: " + ", ".join(m.repositories)), "sleep 1"]
    if m.packages:
        script += [_echo("Installing packages: " + " ".join(m.packages)), f"sleep {len(m.packages)}"]
    if m.sources:
        script.append(_echo("Cloning repositories"))
        for source in m.sources:
            name = posixpath.basename(source.split("#")[0].rstrip("/")).removesuffix(".git")
            script += [_echo(f"Cloning into '{name}'..."), "sleep 1"]
    return script


def setup_log(job: Mapping[str, Any], now: float) -> str | None:
    """The setup log up to ``now``, or ``None`` while no runner has the job."""
    plan = job["plan"]
    if not job["runner"] or plan is None:
        return None
    limit = _limit(job, now)
    start = plan["setup"][0]
    lines = [(line.at, line.text) for line in simulate(setup_commands(job), start=start).lines if line.at <= limit]
    if job["ended"] is not None and job["ended"] <= now:
        lines.append((job["ended"], _ENDINGS.get(job["status"], "Build ended.")))
    return "".join(f"[#{job['id']}] {_stamp(at)} {text}\n" for at, text in lines)


def task_log(job: Mapping[str, Any], name: str, now: float) -> str | None:
    """A task's log up to ``now`` (``+ command`` then its output), or ``None`` if the task has not started."""
    plan = job["plan"]
    index = next((i for i, t in enumerate(job["tasks"]) if t["name"] == name), None)
    if plan is None or index is None or index >= len(plan["tasks"]):
        return None
    start, limit = plan["tasks"][index][0], _limit(job, now)
    if start > limit:
        return None
    out: list[str] = []
    for run in simulate(job["tasks"][index]["script"], start=start).commands:
        if run.started > limit:
            break
        out.append(f"+ {run.command}")
        out += [line.text for line in run.output if line.at <= limit]
    return "".join(line + "\n" for line in out)


def _limit(job: Mapping[str, Any], now: float) -> float:
    return now if job["ended"] is None else min(now, job["ended"])


def _echo(text: str) -> str:
    return "echo " + shlex.quote(text)


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
