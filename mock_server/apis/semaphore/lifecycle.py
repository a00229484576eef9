"""Workflows and pipelines: compile the project's pipeline file, then move the pipeline, its blocks and jobs
through their states on the clock.

Pipeline: initializing -> pending -> queuing -> running -> done (one second per step until running), or
stopping -> done when stopped. Blocks wait for their dependencies, run their jobs, and end done with a result;
blocks whose dependencies did not pass are canceled.
"""

from __future__ import annotations

from typing import Any

from mock_server.apis.semaphore.common import counter, sha1, stable_uuid
from mock_server.apis.semaphore.compiler import PipelineError, compile_pipeline
from mock_server.apis.semaphore.jobstate import JOB_EVENTS, apply_job_event, job_id_for, new_job, stop_job
from mock_server.store import Event, Store

__all__ = ["apply_event", "create_workflow", "job_finished", "normalize_path", "terminate_pipeline"]

STEP = 1.0  # seconds per pipeline step before running
NEXT_STATE = {"initializing": "pending", "pending": "queuing", "queuing": "running"}
DEFAULT_PIPELINE = ".semaphore/semaphore.yml"


def normalize_path(path: str | None) -> str:
    path = (path or DEFAULT_PIPELINE).strip()
    while path.startswith(("/", "./")):
        path = path[1:] if path.startswith("/") else path[2:]
    return path or DEFAULT_PIPELINE


def branch_of(reference: str) -> str:
    """``refs/heads/main`` -> ``main``; ``refs/pull/7`` -> ``pull-request-7``; tags keep their full name."""
    if reference.startswith("refs/heads/"):
        return reference.removeprefix("refs/heads/")
    if reference.startswith("refs/pull/"):
        return "pull-request-" + reference.removeprefix("refs/pull/").split("/")[0]
    return reference


def create_workflow(store: Store, project: dict[str, Any], *, now: float, reference: str,
                    requester_id: str, triggered_by: int, pipeline_file: str | None = None,
                    commit_sha: str | None = None, parameters: dict[str, str] | None = None, rerun_of: str = "",
                    wf_id: str | None = None, ppl_id: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Store a workflow and its initial pipeline; the pipeline starts initializing at ``now``."""
    number = counter(store, f"workflows:{project['id']}")
    wf_id = wf_id or stable_uuid("workflow", project["id"], number)
    branch = branch_of(reference)
    workflow = {
        "id": wf_id, "project_id": project["id"], "organization_id": project["organization_id"],
        "repository_id": project["repository_id"], "reference": reference, "branch_name": branch,
        "branch_id": stable_uuid("branch", project["id"], branch), "number": number,
        "commit_sha": commit_sha or sha1(project["id"], branch, number), "hook_id": stable_uuid("hook", wf_id),
        "requester_id": requester_id, "triggered_by": triggered_by, "rerun_of": rerun_of, "created_at": now,
        "pipeline_file": normalize_path(pipeline_file), "parameters": dict(parameters or {}), "reschedules": {},
        "initial_ppl_id": ppl_id or stable_uuid("pipeline", wf_id, 0),
    }
    store.put("workflows", workflow)
    pipeline = _create_pipeline(store, workflow, project, now)
    return workflow, pipeline


def _create_pipeline(store: Store, workflow: dict[str, Any], project: dict[str, Any],
                     now: float) -> dict[str, Any]:
    path = workflow["pipeline_file"]
    directory, _, file_name = path.rpartition("/")
    ppl_id = workflow["initial_ppl_id"]
    pipeline: dict[str, Any] = {
        "id": ppl_id, "wf_id": workflow["id"], "project_id": project["id"],
        "organization_id": project["organization_id"], "name": "Pipeline", "yaml_path": path,
        "working_directory": directory, "yaml_file_name": file_name, "state": "initializing", "result": None,
        "result_reason": None, "created_at": now, "pending_at": None, "queuing_at": None, "running_at": None,
        "stopping_at": None, "done_at": None, "terminate_request": "", "terminated_by": "", "error_description": "",
        "blocks": [], "execution_time_limit": None,
        "env_vars": [{"name": k, "value": v} for k, v in workflow["parameters"].items()],
    }
    text = project["files"].get(path)
    try:
        if text is None:
            raise PipelineError(f'{{:malformed, "Could not fetch file \'{path}\' from the repository."}}')
        plan = compile_pipeline(text)
    except PipelineError as exc:
        pipeline["error_description"] = str(exc)
        store.schedule(now + STEP, "ppl.malformed", ppl_id=ppl_id)
    else:
        pipeline["name"] = plan["name"]
        pipeline["execution_time_limit"] = plan["execution_time_limit"]
        pipeline["blocks"] = [
            {"block_id": stable_uuid("block", ppl_id, i), "name": b["name"], "dependencies": b["dependencies"],
             "plan": b["jobs"], "state": "waiting", "result": None, "result_reason": None, "build_req_id": "",
             "job_ids": []}
            for i, b in enumerate(plan["blocks"])
        ]
        store.schedule(now + STEP, "ppl.advance", ppl_id=ppl_id, to="pending")
    store.put("pipelines", pipeline)
    return pipeline


# --- stopping ---------------------------------------------------------------------------------------------------------
def terminate_pipeline(store: Store, pipeline: dict[str, Any], now: float, user_id: str) -> bool:
    """Ask the pipeline to stop; ``False`` if it is done or already stopping."""
    if pipeline["state"] in ("done", "stopping"):
        return False
    pipeline.update(state="stopping", stopping_at=now, terminate_request="stop", terminated_by=user_id)
    for block in pipeline["blocks"]:
        if block["state"] == "running":
            block["state"] = "stopping"
            for job_id in block["job_ids"]:
                stop_job(store, store.get("jobs", job_id), now)
    store.schedule(now + STEP, "ppl.check", ppl_id=pipeline["id"])
    return True


# --- events -----------------------------------------------------------------------------------------------------------
def apply_event(store: Store, event: Event) -> None:
    """Apply one scheduled lifecycle event (stale events, e.g. of a stopped pipeline, change nothing)."""
    if event.kind in JOB_EVENTS:
        apply_job_event(store, event)
        return
    pipeline = store.find("pipelines", event.data.get("ppl_id"))
    if pipeline is None:
        return
    if event.kind == "ppl.advance":
        to = event.data["to"]
        if NEXT_STATE.get(pipeline["state"]) != to:
            return
        pipeline["state"] = to
        pipeline[f"{to}_at"] = event.at
        if to == "running":
            _advance_blocks(store, pipeline, event.at)
        else:
            store.schedule(event.at + STEP, "ppl.advance", ppl_id=pipeline["id"], to=NEXT_STATE[to])
    elif event.kind == "ppl.malformed" and pipeline["state"] == "initializing":
        pipeline.update(state="done", result="failed", result_reason="malformed", done_at=event.at)
    elif event.kind == "ppl.check":
        _advance_blocks(store, pipeline, event.at)


def job_finished(store: Store, job: dict[str, Any], at: float) -> None:
    """A job of a pipeline finished: close its block when every job of the block has."""
    pipeline = store.find("pipelines", job["pipeline_id"])
    if pipeline is None:
        return
    block = pipeline["blocks"][job["block_index"]]
    jobs = [store.get("jobs", job_id) for job_id in block["job_ids"]]
    if block["state"] not in ("running", "stopping") or any(j["state"] != "finished" for j in jobs):
        return
    results = {j["result"] for j in jobs}
    if "stopped" in results:
        timeout = any(j["stop_reason"] == "timeout" for j in jobs)
        block.update(result="stopped", result_reason="timeout" if timeout else "user")
    else:
        block.update(result="failed" if "failed" in results else "passed", result_reason="test")
    block["state"] = "done"
    _advance_blocks(store, pipeline, at)


def _advance_blocks(store: Store, pipeline: dict[str, Any], at: float) -> None:
    """Start the blocks whose dependencies passed, cancel those that cannot run, and close the pipeline."""
    if pipeline["state"] not in ("running", "stopping"):
        return
    blocks = pipeline["blocks"]
    changed = True
    while changed:
        changed = False
        for index, block in enumerate(blocks):
            if block["state"] != "waiting":
                continue
            deps = [b for b in blocks if b["name"] in block["dependencies"]]
            if pipeline["state"] == "stopping" or any(d["state"] == "done" and d["result"] != "passed"
                                                      for d in deps):
                block.update(state="done", result="canceled",
                             result_reason="user" if pipeline["state"] == "stopping" else "fast_failing")
                changed = True
            elif all(d["state"] == "done" for d in deps):
                _start_block(store, pipeline, index, at)
                changed = True
    if all(b["state"] == "done" for b in blocks):
        _close(pipeline, at)


def _close(pipeline: dict[str, Any], at: float) -> None:
    results = [b["result"] for b in pipeline["blocks"]]
    reasons = [b["result_reason"] for b in pipeline["blocks"] if b["result"] == "stopped"]
    if pipeline["state"] == "stopping" or "stopped" in results:
        pipeline.update(result="stopped", result_reason="timeout" if "timeout" in reasons else "user")
    elif "failed" in results or "canceled" in results:
        pipeline.update(result="failed", result_reason="test")
    else:
        pipeline.update(result="passed", result_reason="test")
    pipeline.update(state="done", done_at=at)


def _start_block(store: Store, pipeline: dict[str, Any], index: int, at: float) -> None:
    block = pipeline["blocks"][index]
    workflow = store.get("workflows", pipeline["wf_id"])
    block.update(state="running", build_req_id=stable_uuid("build", block["block_id"]))
    semaphore_env = [
        {"name": "SEMAPHORE_WORKFLOW_ID", "value": workflow["id"]},
        {"name": "SEMAPHORE_WORKFLOW_NUMBER", "value": str(workflow["number"])},
        {"name": "SEMAPHORE_PIPELINE_ARTEFACT_ID", "value": pipeline["id"]},
        {"name": "SEMAPHORE_PIPELINE_ID", "value": pipeline["id"]},
        {"name": "SEMAPHORE_PIPELINE_0_ARTEFACT_ID", "value": pipeline["id"]},
        {"name": "SEMAPHORE_GIT_BRANCH", "value": workflow["branch_name"]},
        {"name": "SEMAPHORE_GIT_SHA", "value": workflow["commit_sha"]},
    ]
    for j, plan in enumerate(block["plan"]):
        spec = {
            "agent": {**plan["agent"], "image_pull_secrets": []},
            "env_vars": semaphore_env + pipeline["env_vars"] + plan["env_vars"],
            "secrets": [{"name": s} for s in plan["secrets"]], "files": [], "commands": plan["commands"],
            "epilogue_commands": [], "epilogue_always_commands": plan["epilogue_always"],
            "epilogue_on_pass_commands": plan["epilogue_on_pass"],
            "epilogue_on_fail_commands": plan["epilogue_on_fail"],
        }
        job = new_job(store, job_id=job_id_for(pipeline["id"], index, j), name=plan["name"],
                      organization_id=pipeline["organization_id"], project_id=pipeline["project_id"], spec=spec,
                      limit=plan["execution_time_limit"], now=at, requester_id=workflow["requester_id"],
                      pipeline=pipeline, block_index=index, index=j)
        block["job_ids"].append(job["id"])
