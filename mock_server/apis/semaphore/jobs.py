"""v1alpha jobs (grpc-gateway style): describe and stop; and their logs (Elixir style)."""

from __future__ import annotations

from mock_server.apis.semaphore.access import find_job
from mock_server.apis.semaphore.joblog import log_events
from mock_server.apis.semaphore.jobstate import stop_job
from mock_server.apis.semaphore.registry import HANDLERS
from mock_server.apis.semaphore.render import job_v1
from mock_server.handlers import Reply, RequestContext


@HANDLERS.handles("describeJob")
def describe_job(ctx: RequestContext) -> Reply:
    return Reply.json(job_v1(find_job(ctx, ctx.path["job_id"], "grpc")))


@HANDLERS.handles("stopJob")
def stop(ctx: RequestContext) -> Reply:
    stop_job(ctx.store, find_job(ctx, ctx.path["job_id"], "grpc"), ctx.now)
    return Reply.json({})


@HANDLERS.handles("getJobLogs")
def get_logs(ctx: RequestContext) -> Reply:
    return Reply.json({"events": log_events(find_job(ctx, ctx.path["job_id"], "text"), ctx.now)})
