"""The wire format of each resource, in each endpoint's own encoding (see the module docs of the specs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mock_server.apis.semaphore.common import (
    int64_string,
    iso_ms,
    pipeline_time,
    seconds_nanos,
    stable_uuid,
    unix_or_empty,
    user_ref,
)
from mock_server.apis.semaphore.jobstate import ssh_port, v1_state
from mock_server.store import Store

__all__ = ["agent_json", "agent_type_json", "block_json", "job_v1", "job_v2", "pipeline_json", "workflow_json"]

TRIGGERS = ["HOOK", "SCHEDULE", "API", "MANUAL_RUN"]
_TIMES = ("created_at", "pending_at", "queuing_at", "running_at", "stopping_at", "done_at")


def workflow_json(workflow: dict[str, Any], *, listed: bool) -> dict[str, Any]:
    """A workflow; ``triggered_by`` is the enum's number in lists and its name in describe."""
    trigger = workflow["triggered_by"]
    return {
        "wf_id": workflow["id"],
        "triggered_by": trigger if listed else TRIGGERS[trigger],
        "rerun_of": workflow["rerun_of"],
        "requester_id": workflow["requester_id"],
        "repository_id": workflow["repository_id"],
        "project_id": workflow["project_id"],
        "organization_id": workflow["organization_id"],
        "initial_ppl_id": workflow["initial_ppl_id"],
        "hook_id": workflow["hook_id"],
        "created_at": seconds_nanos(workflow["created_at"]),
        "commit_sha": workflow["commit_sha"],
        "branch_name": workflow["branch_name"],
        "branch_id": workflow["branch_id"],
    }


def _triggerer(store: Store, workflow: dict[str, Any], pipeline: dict[str, Any]) -> dict[str, Any]:
    user = store.find("users", workflow["requester_id"]) or {}
    return {
        "wf_triggered_by": workflow["triggered_by"], "wf_triggerer_id": workflow["hook_id"],
        "wf_triggerer_user_id": workflow["requester_id"],
        "wf_triggerer_provider_login": user.get("login", ""), "wf_triggerer_provider_uid": user.get("uid", ""),
        "wf_triggerer_provider_avatar": user.get("avatar", ""), "workflow_rerun_of": workflow["rerun_of"],
        "ppl_triggered_by": 0, "ppl_triggerer_id": stable_uuid("triggerer", pipeline["id"]),
        "ppl_triggerer_user_id": workflow["requester_id"],
    }


def pipeline_json(store: Store, pipeline: dict[str, Any], *, listed: bool) -> dict[str, Any]:
    """A pipeline: upper-case enums and ``{seconds, nanos}`` in lists, lower-case and strings in describe."""
    workflow = store.get("workflows", pipeline["wf_id"])
    time: Callable[[float | None], Any] = seconds_nanos if listed else pipeline_time
    case: Callable[[str], str] = str.upper if listed else str.lower
    body: dict[str, Any] = {key: time(pipeline[key]) for key in _TIMES}
    body["state"] = case(pipeline["state"])
    if pipeline["state"] == "done":
        body["result"] = case(pipeline["result"])
        body["result_reason"] = case(pipeline["result_reason"])
    path = pipeline["yaml_path"]
    body.update({
        "ppl_id": pipeline["id"], "name": pipeline["name"], "project_id": pipeline["project_id"],
        "branch_name": workflow["branch_name"], "commit_sha": workflow["commit_sha"],
        "terminate_request": pipeline["terminate_request"], "hook_id": workflow["hook_id"],
        "branch_id": workflow["branch_id"], "error_description": pipeline["error_description"], "switch_id": "",
        "working_directory": pipeline["working_directory"], "yaml_file_name": pipeline["yaml_file_name"],
        "terminated_by": pipeline["terminated_by"], "wf_id": workflow["id"], "snapshot_id": "",
        "queue": {"queue_id": stable_uuid("queue", pipeline["project_id"], workflow["branch_name"], path),
                  "name": f"{workflow['branch_name']}-{path}", "scope": "project",
                  "project_id": pipeline["project_id"], "organization_id": pipeline["organization_id"], "type": 0},
        "promotion_of": "", "partial_rerun_of": "", "commit_message": f"Pipeline run #{workflow['number']}",
        "partially_rerun_by": "", "compile_task_id": stable_uuid("compile", pipeline["id"]),
        "with_after_task": False, "after_task_id": "", "repository_id": workflow["repository_id"],
        "env_vars": [dict(e) for e in pipeline["env_vars"]], "triggerer": _triggerer(store, workflow, pipeline),
        "organization_id": pipeline["organization_id"],
    })
    return body


def block_json(store: Store, block: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"block_id": block["block_id"], "name": block["name"],
                            "build_req_id": block["build_req_id"], "state": block["state"]}
    if block["state"] == "done":
        body.update(result=block["result"], result_reason=block["result_reason"])
    body["error_description"] = ""
    jobs = []
    for job_id in block["job_ids"]:
        job = store.get("jobs", job_id)
        status = {"pending": "ENQUEUED", "enqueued": "ENQUEUED", "running": "RUNNING", "stopping": "STOPPING",
                  "finished": "FINISHED"}[job["state"]]
        jobs.append({"name": job["name"], "index": job["index"], "job_id": job_id, "status": status,
                     "result": (job["result"] or "passed").upper()})
    body["jobs"] = jobs
    return body


def _v1_result(job: dict[str, Any]) -> str:
    return "NONE" if job["state"] != "finished" else job["result"].upper()


def job_v1(job: dict[str, Any]) -> dict[str, Any]:
    """A job as the grpc-gateway answers it: every field, int64 as strings, enum names."""
    spec = job["spec"]
    agent = None
    if job["started_at"] is not None:
        agent = {"ip": job["agent_ip"], "ports": [{"name": "ssh", "number": ssh_port(job["id"])}],
                 "name": job["agent_name"]}
    return {
        "metadata": {"name": job["name"], "id": job["id"], "create_time": int64_string(job["created_at"]),
                     "update_time": int64_string(job["updated_at"]), "start_time": int64_string(job["started_at"]),
                     "finish_time": int64_string(job["finished_at"])},
        "spec": {
            "project_id": job["project_id"],
            "agent": {"machine": dict(spec["agent"]["machine"]), "containers": list(spec["agent"]["containers"]),
                      "image_pull_secrets": list(spec["agent"].get("image_pull_secrets", []))},
            "secrets": list(spec["secrets"]), "env_vars": list(spec["env_vars"]), "files": list(spec["files"]),
            "commands": list(spec["commands"]), "epilogue_commands": list(spec["epilogue_commands"]),
            "epilogue_always_commands": list(spec["epilogue_always_commands"]),
            "epilogue_on_pass_commands": list(spec["epilogue_on_pass_commands"]),
            "epilogue_on_fail_commands": list(spec["epilogue_on_fail_commands"]),
        },
        "status": {"result": _v1_result(job), "state": v1_state(job), "agent": agent},
    }


def job_v2(store: Store, job: dict[str, Any]) -> dict[str, Any]:
    """A job as the v2 resource: ``apiVersion``/``kind``, ISO-8601 timelines, ``{id, name}`` references."""
    spec = job["spec"]
    organization = store.get("organizations", job["organization_id"])
    project = store.get("projects", job["project_id"])
    requester = user_ref(store, job["requester_id"])
    containers = [{"name": c["name"], "image": c["image"], "command": c.get("command", ""),
                   "env_vars": list(c.get("env_vars", [])), "secrets": list(c.get("secrets", []))}
                  for c in spec["agent"]["containers"]]
    return {
        "apiVersion": "v2",
        "kind": "Job",
        "metadata": {
            "id": job["id"], "name": job["name"],
            "organization": {"id": organization["id"], "name": organization["name"]},
            "project": {"id": project["id"], "name": project["name"]},
            "workflow": {"id": job["wf_id"]} if job["wf_id"] else None,
            "pipeline": {"id": job["pipeline_id"]} if job["pipeline_id"] else None,
            "timeline": {"created_at": iso_ms(job["created_at"]), "created_by": requester,
                         "updated_at": iso_ms(job["updated_at"]), "updated_by": requester},
        },
        "spec": {
            "agent": {"ports": [{"name": "ssh", "number": ssh_port(job["id"])}], "containers": containers,
                      "machine": dict(spec["agent"]["machine"])},
            "env_vars": list(spec["env_vars"]), "secrets": list(spec["secrets"]), "commands": list(spec["commands"]),
            "epilogue_always_commands": list(spec["epilogue_always_commands"]),
            "epilogue_on_fail_commands": list(spec["epilogue_on_fail_commands"]),
            "epilogue_on_pass_commands": list(spec["epilogue_on_pass_commands"]),
            "execution_time_limit": job["execution_time_limit"],
        },
        "status": {
            "agent": None if job["started_at"] is None else {"name": job["agent_name"], "ip": job["agent_ip"]},
            "result": _v1_result(job), "state": v1_state(job),
            "timeline": {"created_at": iso_ms(job["created_at"]), "enqueued_at": iso_ms(job["enqueued_at"]),
                         "scheduled_at": iso_ms(job["enqueued_at"]), "started_at": iso_ms(job["started_at"]),
                         "finished_at": iso_ms(job["finished_at"])},
        },
    }


def agent_type_json(store: Store, agent_type: dict[str, Any], *, token: bool = False) -> dict[str, Any]:
    count = sum(1 for a in store.all("agents")
                if a["organization_id"] == agent_type["organization_id"] and a["type"] == agent_type["name"])
    status: dict[str, Any] = {"total_agent_count": count}
    if token:
        status["registration_token"] = agent_type["registration_token"]
    return {
        "metadata": {"name": agent_type["name"], "create_time": unix_or_empty(agent_type["created_at"]),
                     "update_time": unix_or_empty(agent_type["updated_at"])},
        "spec": {"agent_name_settings": {"assignment_origin": agent_type["assignment_origin"],
                                         "release_after": agent_type["release_after"],
                                         "aws": dict(agent_type["aws"]) if agent_type["aws"] else None}},
        "status": status,
    }


def agent_json(agent: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": agent["name"], "type": agent["type"], "connected_at": unix_or_empty(agent["connected_at"]),
        "version": agent["version"], "os": agent["os"], "arch": agent["arch"], "hostname": agent["hostname"],
        "ip_address": agent["ip_address"], "pid": agent["pid"],
    }
    if agent["disabled_at"] is not None:
        metadata["disabled_at"] = unix_or_empty(agent["disabled_at"])
    return {"metadata": metadata, "status": {"state": agent["state"]}}
