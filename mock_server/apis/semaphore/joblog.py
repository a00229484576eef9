"""A job's run as log events, computed once when it starts from the shared command simulation.

The events carry the moment they happen (``at``, seconds since the epoch); the log shows those that have
happened by now. A stop or an exceeded time limit cuts the run: the command in progress ends with exit code 1
and ``job_finished`` says ``stopped``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_server.simulation import simulate

__all__ = ["JobRun", "cut_run", "log_events", "plan_run"]

EXPORT_DIRECTIVE = "Exporting environment variables"


@dataclass(frozen=True, slots=True)
class JobRun:
    events: list[dict[str, Any]]  # each with "at" (float) plus the wire fields but "timestamp"
    finish_at: float
    result: str  # passed, failed, stopped


def _commands(events: list[dict[str, Any]], commands: list[str], start: float) -> tuple[float, int]:
    """Append the events of a command list run from ``start``; returns (end, exit status)."""
    run = simulate(commands, start=start)
    for cmd in run.commands:
        events.append({"at": cmd.started, "event": "cmd_started", "directive": cmd.command})
        events += [{"at": line.at, "event": "cmd_output", "output": line.text + "\n"} for line in cmd.output]
        events.append({"at": cmd.finished, "event": "cmd_finished", "directive": cmd.command,
                       "exit_code": cmd.exit_code, "started_at": cmd.started, "finished_at": cmd.finished})
    return (run.duration if run.commands else start), run.exit_status


def plan_run(job: dict[str, Any], start: float) -> JobRun:
    """The whole run of ``job`` from ``start``: environment, commands, epilogues, and the time limit."""
    spec = job["spec"]
    events: list[dict[str, Any]] = [{"at": start, "event": "job_started"}]
    events.append({"at": start, "event": "cmd_started", "directive": EXPORT_DIRECTIVE})
    events += [{"at": start, "event": "cmd_output", "output": f"Exporting {env['name']}\n"}
               for env in spec["env_vars"]]
    events.append({"at": start, "event": "cmd_finished", "directive": EXPORT_DIRECTIVE, "exit_code": 0,
                   "started_at": start, "finished_at": start})
    end, status = _commands(events, spec["commands"], start)
    result = "passed" if status == 0 else "failed"
    end, _ = _commands(events, spec["epilogue_always_commands"], end)
    follow_up = spec["epilogue_on_pass_commands"] if result == "passed" else spec["epilogue_on_fail_commands"]
    end, _ = _commands(events, follow_up, end)
    limit = job.get("execution_time_limit")
    if limit and end > start + limit:
        return cut_run(events, start + limit)
    events.append({"at": end, "event": "job_finished", "result": result})
    return JobRun(events, end, result)


def cut_run(events: list[dict[str, Any]], at: float) -> JobRun:
    """The run stopped at ``at``: what happened before, the open command ended (exit 1), ``job_finished``."""
    kept = [e for e in events if e["at"] <= at and e["event"] != "job_finished"]
    started = [e for e in kept if e["event"] == "cmd_started"]
    finished = sum(1 for e in kept if e["event"] == "cmd_finished")
    if len(started) > finished:
        command = started[-1]
        kept.append({"at": at, "event": "cmd_finished", "directive": command["directive"], "exit_code": 1,
                     "started_at": command["at"], "finished_at": at})
    kept.append({"at": at, "event": "job_finished", "result": "stopped"})
    return JobRun(kept, at, "stopped")


def log_events(job: dict[str, Any], now: float) -> list[dict[str, Any]]:
    """The wire events that have happened by ``now`` (unix-second integers)."""
    out = []
    for event in job.get("events") or []:
        if event["at"] > now:
            break
        wire = {"event": event["event"], "timestamp": int(event["at"])}
        for key in ("directive", "output", "exit_code", "result"):
            if key in event:
                wire[key] = event[key]
        for key in ("started_at", "finished_at"):
            if key in event:
                wire[key] = int(event[key])
        out.append(wire)
    return out
