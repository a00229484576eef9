"""Handlers for the Buildkite agents API, one per operationId."""

from __future__ import annotations

from typing import Any

from mock_server.apis.buildkite.model import LISTED_AGENTS, LISTED_STATES, agent_json, request_stop
from mock_server.handlers import ApiError, HandlerRegistry, Reply, RequestContext
from mock_server.indexes import key_text
from mock_server.pagination import link_header, page_slice

HANDLERS = HandlerRegistry("buildkite")
FILTERS = ("name", "hostname", "version")


def _organization(ctx: RequestContext) -> str:
    slug = ctx.path["org"]
    allowed = ctx.principal.get("organizations")
    if ctx.store.find("organizations", slug) is None or (allowed is not None and slug not in allowed):
        raise ApiError(404, "No organization found")
    return str(slug)


def _agent(ctx: RequestContext) -> dict[str, Any]:
    org = _organization(ctx)
    agent = ctx.store.find("agents", ctx.path["id"])
    if agent is None or agent["organization"] != org:
        raise ApiError(404, "No agent found")
    return agent


@HANDLERS.handles("listAgents")
def list_agents(ctx: RequestContext) -> Reply:
    org = _organization(ctx)
    wanted = {f: ctx.query[f] for f in FILTERS if f in ctx.query}
    page, per_page = max(ctx.query["page"], 1), ctx.query["per_page"]
    if wanted:  # filtered lists are scanned; the plain list pages through the index
        agents = [
            a for a in ctx.store.all("agents")
            if a["organization"] == org and a["connection_state"] in LISTED_STATES
            and all(a[f] == v for f, v in wanted.items())
        ]
        agents.sort(key=lambda a: (a["name"], key_text(a["id"])))
        shown, total = page_slice(agents, page, per_page), len(agents)
    else:
        shown, total = ctx.store.page(LISTED_AGENTS.name, org, (page - 1) * per_page, per_page)
    body = [agent_json(ctx.store, a, ctx.base_url) for a in shown]
    link = link_header(ctx.path_url, ctx.raw_query, page=page, per_page=per_page, total=total)
    return Reply.json(body, headers={"Link": link} if link else None)


@HANDLERS.handles("getAgent")
def get_agent(ctx: RequestContext) -> Reply:
    return Reply.json(agent_json(ctx.store, _agent(ctx), ctx.base_url))


@HANDLERS.handles("stopAgent")
def stop_agent(ctx: RequestContext) -> Reply:
    agent = _agent(ctx)
    if agent["connection_state"] not in LISTED_STATES:  # a stopping agent is still connected
        raise ApiError(400, "Can only stop connected agents")
    force = (ctx.body or {}).get("force", True)
    request_stop(ctx.store, agent, force=bool(force), now=ctx.now)
    return Reply.no_content()
