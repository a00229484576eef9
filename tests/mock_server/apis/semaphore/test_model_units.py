"""Units of the Semaphore mock: the pipeline compiler, job runs and logs, time formats, fixture errors, form bodies."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.apis.semaphore.common import int64_string, pipeline_time, seconds_nanos, unix_or_empty
from mock_server.apis.semaphore.compiler import PipelineError, compile_pipeline
from mock_server.apis.semaphore.joblog import cut_run, log_events, plan_run
from mock_server.app import _form, create_app
from mock_server.seeding import FixtureError

PIPELINE = """
version: v1.0
name: Units
agent: {machine: {type: e1-standard-2, os_image: ubuntu2004}}
execution_time_limit: {minutes: 30}
global_job_config:
  prologue: {commands: [checkout]}
  env_vars: [{name: CI, value: 'true'}]
  secrets: [{name: creds}]
  epilogue: {always: {commands: [echo always]}}
blocks:
  - name: A
    task:
      secrets: [{name: creds}, {name: more}]
      jobs:
        - {name: par, parallelism: 2, commands: [echo p]}
        - {name: m, matrix: [{env_var: X, values: [a, b]}, {env_var: Y, values: [1]}], commands: [echo m]}
  - name: B
    execution_time_limit: {hours: 2}
    task:
      agent: {machine: {type: s1-linux-small}, containers: [{name: main, image: ruby:3}]}
      epilogue: {on_pass: {commands: [echo yay]}}
      jobs:
        - {name: one, commands: [echo one], execution_time_limit: {minutes: 1}}
"""


def test_compile_expands_jobs_and_merges_global_config() -> None:
    plan = compile_pipeline(PIPELINE)
    a, b = plan["blocks"]
    assert (a["dependencies"], b["dependencies"]) == ([], ["A"])
    assert [j["name"] for j in a["jobs"]] == ["par - 1/2", "par - 2/2", "m - X=a, Y=1", "m - X=b, Y=1"]
    par = a["jobs"][0]
    assert par["commands"] == ["checkout", "echo p"] and par["secrets"] == ["creds", "more"]
    assert par["env_vars"] == [{"name": "CI", "value": "true"}, {"name": "SEMAPHORE_JOB_INDEX", "value": "1"},
                               {"name": "SEMAPHORE_JOB_COUNT", "value": "2"}]
    assert par["epilogue_always"] == ["echo always"] and par["execution_time_limit"] == 1800
    one = b["jobs"][0]
    assert one["agent"]["machine"] == {"type": "s1-linux-small", "os_image": ""}
    assert one["agent"]["containers"][0]["image"] == "ruby:3"
    assert one["epilogue_on_pass"] == ["echo yay"] and one["execution_time_limit"] == 60
    assert compile_pipeline(PIPELINE) == plan and compile_pipeline(PIPELINE) is not plan  # fresh copies


def test_time_limits_over_a_day_are_refused() -> None:
    with pytest.raises(PipelineError, match="between 1 minute and 24 hours"):
        compile_pipeline(PIPELINE.replace("{minutes: 30}", "{hours: 25}"))


def _job(commands: list[str], limit: int | None = None, **epilogues: list[str]) -> dict[str, Any]:
    return {"execution_time_limit": limit, "spec": {
        "env_vars": [{"name": "A", "value": "1"}], "commands": commands,
        "epilogue_always_commands": epilogues.get("always", []),
        "epilogue_on_pass_commands": epilogues.get("on_pass", []),
        "epilogue_on_fail_commands": epilogues.get("on_fail", [])}}


def test_a_run_follows_the_simulation_and_the_epilogue_rules() -> None:
    run = plan_run(_job(["echo hi", "sleep 5", "exit 3", "echo never"], always=["echo a"], on_pass=["echo p"],
                        on_fail=["echo f"]), 100.0)
    assert (run.result, run.finish_at) == ("failed", 105.0)
    directives = [e["directive"] for e in run.events if e["event"] == "cmd_started"]
    assert directives == ["Exporting environment variables", "echo hi", "sleep 5", "exit 3", "echo a", "echo f"]
    assert log_events({"events": run.events}, 102.0)[-1] == {"event": "cmd_started", "timestamp": 100,
                                                             "directive": "sleep 5"}


def test_a_run_past_its_time_limit_is_cut() -> None:
    run = plan_run(_job(["sleep 100", "echo done"], limit=30), 0.0)
    assert (run.result, run.finish_at) == ("stopped", 30.0)
    assert run.events[-2] == {"at": 30.0, "event": "cmd_finished", "directive": "sleep 100", "exit_code": 1,
                              "started_at": 0.0, "finished_at": 30.0}
    assert cut_run(run.events, 10.0).events[-1] == {"at": 10.0, "event": "job_finished", "result": "stopped"}


def test_time_formats() -> None:
    ts = 1571063401.559492
    assert seconds_nanos(ts) == {"seconds": 1571063401, "nanos": 559492000}
    assert seconds_nanos(None) == {"seconds": 0, "nanos": 0}
    assert pipeline_time(ts) == "2019-10-14 14:30:01.559492Z" and pipeline_time(None).startswith("1970-01-01")
    assert (int64_string(ts), int64_string(None), unix_or_empty(ts), unix_or_empty(None)) == (
        "1571063401", "0", 1571063401, "")


@pytest.mark.parametrize(("document", "problem"), [
    ({"workflows": [{"project": "nope"}]}, "workflows[0] (project 'nope').project: no project 'nope'"),
    ({"agents": [{"organization": "acme", "type": "s1-none", "name": "a"}]}, "no agent type 's1-none' in 'acme'"),
    ({"agents": [{"organization": "acme", "type": "s1-spare", "name": "a", "count": 2}]}, "needs a {n} placeholder"),
    ({"projects": [{"name": "p", "organization": "initech"}]}, "no organization 'initech'"),
    ({"tokens": [{"token": "t", "user": "mallory"}]}, "no user 'mallory'"),
    ({"workflows": [{"project": "web", "created_at": "yesterday"}]}, "created_at: 'yesterday' is not a time"),
])
def test_fixture_problems_name_the_record(document: dict[str, Any], problem: str) -> None:
    app = create_app("semaphore")
    from mock_server.app import get_state

    with pytest.raises(FixtureError) as caught:
        get_state(app).load(document, "extra.yaml")
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_form_bodies_become_flat_mappings() -> None:
    assert _form(b"a=1&b=x+y&a=2&empty=") == {"a": "2", "b": "x y", "empty": ""}
    assert _form(b"\xff=1") is None
