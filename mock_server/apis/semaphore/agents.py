"""Self-hosted agent types (list, create, describe, update, delete, disable_all) and agents (cursor list)."""

from __future__ import annotations

import re
from typing import Any

from mock_server.apis.semaphore.access import org_id
from mock_server.apis.semaphore.common import counter, sha1
from mock_server.apis.semaphore.errors import json_error
from mock_server.apis.semaphore.registry import HANDLERS
from mock_server.apis.semaphore.render import agent_json, agent_type_json
from mock_server.handlers import Reply, RequestContext
from mock_server.indexes import Index
from mock_server.store import Store

NAME = re.compile(r"^s1-[a-zA-Z0-9-_]+$")
IDLE_GONE_AFTER = 5.0  # a disabled idle agent disconnects within seconds
BUSY_GONE_AFTER = 60.0  # a disabled busy agent finishes its job first
AWS_STS = "assignment_origin_aws_sts"


def schedule_gone(store: Store, agent: dict[str, Any], disabled_at: float) -> None:
    """A disabled agent disconnects (and leaves the list) once idle: within seconds, or after its job."""
    delay = IDLE_GONE_AFTER if agent["state"] == "waiting_for_job" else BUSY_GONE_AFTER
    store.schedule(disabled_at + delay, "agent.gone", agent_id=agent["id"])


def _key(ctx: RequestContext, name: str) -> str:
    return f"{org_id(ctx)}/{name}"


def _agent_type(ctx: RequestContext, name: str) -> dict[str, Any]:
    agent_type = ctx.store.find("agent_types", _key(ctx, name))
    if agent_type is None:
        raise json_error(404, "agent type not found")
    return agent_type


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    raw = (body.get("spec") or {}).get("agent_name_settings") or {}
    origin = raw.get("assignment_origin", "assignment_origin_agent")
    aws = raw.get("aws") if origin == AWS_STS else None
    if origin == AWS_STS and not (aws and aws.get("account_id") and aws.get("role_name_patterns")):
        raise json_error(400, "AWS account ID and role name patterns are required for assignment_origin_aws_sts")
    return {"assignment_origin": origin, "release_after": raw.get("release_after", 0),
            "aws": {"account_id": aws["account_id"], "role_name_patterns": aws["role_name_patterns"]} if aws else None}


@HANDLERS.handles("listAgentTypes")
def list_agent_types(ctx: RequestContext) -> Reply:
    types = sorted((t for t in ctx.store.all("agent_types") if t["organization_id"] == org_id(ctx)),
                   key=lambda t: t["name"])
    return Reply.json({"agent_types": [agent_type_json(ctx.store, t) for t in types]})


@HANDLERS.handles("createAgentType")
def create_agent_type(ctx: RequestContext) -> Reply:
    raw_name = ctx.body["metadata"]["name"]
    name = raw_name.strip(" ")
    if not NAME.match(name):
        raise json_error(400, f"The agent type name '{raw_name}' is invalid: must follow the pattern {NAME.pattern}")
    if ctx.store.find("agent_types", _key(ctx, name)) is not None:
        raise json_error(400, "agent type name must by unique in the organization")
    record = {"id": _key(ctx, name), "organization_id": org_id(ctx), "name": name, **_settings(ctx.body),
              "created_at": ctx.now, "updated_at": ctx.now,
              "registration_token": sha1("registration", _key(ctx, name), counter(ctx.store, "agent_type_tokens"))}
    ctx.store.put("agent_types", record)
    return Reply.json(agent_type_json(ctx.store, record, token=True))


@HANDLERS.handles("describeAgentType")
def describe_agent_type(ctx: RequestContext) -> Reply:
    return Reply.json(agent_type_json(ctx.store, _agent_type(ctx, ctx.path["agent_type_name"])))


@HANDLERS.handles("updateAgentType")
def update_agent_type(ctx: RequestContext) -> Reply:
    _agent_type(ctx, ctx.path["agent_type_name"])
    agent_type = ctx.store.find("agent_types", _key(ctx, ctx.body["metadata"]["name"]))
    if agent_type is None:
        raise json_error(404, "record not found")
    agent_type.update(_settings(ctx.body), updated_at=ctx.now)
    return Reply.json(agent_type_json(ctx.store, agent_type))


@HANDLERS.handles("deleteAgentType")
def delete_agent_type(ctx: RequestContext) -> Reply:
    agent_type = _agent_type(ctx, ctx.path["agent_type_name"])
    if any(a["organization_id"] == org_id(ctx) and a["type"] == agent_type["name"] for a in ctx.store.all("agents")):
        raise json_error(400, "can't delete agent type with existing agents")
    ctx.store.delete("agent_types", agent_type["id"])
    return Reply.json({})


@HANDLERS.handles("disableAllAgents")
def disable_all(ctx: RequestContext) -> Reply:
    agent_type = _agent_type(ctx, ctx.path["agent_type_name"])
    only_idle = (ctx.body or {}).get("only_idle", True) in (True, "true")
    for agent in ctx.store.all("agents"):
        if agent["organization_id"] != org_id(ctx) or agent["type"] != agent_type["name"]:
            continue
        idle = agent["state"] == "waiting_for_job"
        if (only_idle and not idle) or agent["disabled_at"] is not None:
            continue
        agent["disabled_at"] = ctx.now
        schedule_gone(ctx.store, agent, ctx.now)
    return Reply.json({})


#: an organization's agents by name: the unfiltered list pages through it without scanning every agent
AGENTS_BY_NAME = Index(name="semaphore.agents_by_name", collection="agents",
                       partition=lambda a: str(a["organization_id"]), order=lambda a: a["name"])


@HANDLERS.handles("listAgents")
def list_agents(ctx: RequestContext) -> Reply:
    size = ctx.query.get("page_size") or 200
    after = ctx.query.get("cursor") or None
    if ctx.query.get("agent_type"):  # filtered lists are scanned
        agents = sorted((a for a in ctx.store.all("agents")
                         if a["organization_id"] == org_id(ctx) and a["type"] == ctx.query["agent_type"]
                         and (after is None or a["name"] > after)), key=lambda a: a["name"])
    else:  # one more than the page says whether there is a next one
        agents, _ = ctx.store.page(AGENTS_BY_NAME.name, org_id(ctx), 0, size + 1, after=after)
    page = agents[:size]
    cursor = page[-1]["name"] if len(agents) > size else ""
    return Reply.json({"agents": [agent_json(a) for a in page], "cursor": cursor})


@HANDLERS.handles("describeAgent")
def describe_agent(ctx: RequestContext) -> Reply:
    agent = ctx.store.find("agents", _key(ctx, ctx.path["agent_name"]))
    if agent is None:
        raise json_error(404, "agent not found")
    return Reply.json(agent_json(agent))
