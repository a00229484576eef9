"""Handlers for artifacts: the paginated list of a job's artifacts."""

from __future__ import annotations

from mock_server.apis.builds_srht.model import PER_PAGE, artifact_json, page_json
from mock_server.apis.builds_srht.registry import HANDLERS, visible_job
from mock_server.handlers import Reply, RequestContext
from mock_server.pagination import id_cursor_page


@HANDLERS.handles("listBuildJobArtifacts")
def list_artifacts(ctx: RequestContext) -> Reply:
    job = visible_job(ctx)
    artifacts = [a for a in ctx.store.all("artifacts") if a["job_id"] == job["id"]]
    page, next_id = id_cursor_page(artifacts, start=ctx.query.get("start"), per_page=PER_PAGE,
                                   key=lambda a: a["id"])
    return Reply.json(page_json([artifact_json(a, ctx.base_url) for a in page], next_id, len(artifacts)))
