"""What the real service serves outside its API, served by the mock too: runner logs and artifact downloads.

On builds.sr.ht these live on other hosts (the runner's HTTP server, object storage), so they are not
operations of the spec: the profile registers them as extra routes. No token is needed, as on the runner.
"""

from __future__ import annotations

from mock_server.apis.builds_srht.logs import setup_log, task_log
from mock_server.handlers import RawRequest, Reply
from mock_server.profile import ExtraRoute

__all__ = ["ROUTES"]

_NOT_FOUND = "404 page not found\n"


def _text(text: str | None) -> Reply:
    if text is None:
        return Reply.text(_NOT_FOUND, status=404)
    return Reply.text(text)


def get_setup_log(req: RawRequest) -> Reply:
    job = req.store.find("jobs", req.path["job_id"])
    return _text(None if job is None else setup_log(job, req.now))


def get_task_log(req: RawRequest) -> Reply:
    job = req.store.find("jobs", req.path["job_id"])
    return _text(None if job is None else task_log(job, req.path["task"], req.now))


def get_artifact(req: RawRequest) -> Reply:
    path = req.path
    for artifact in req.store.all("artifacts"):
        if (artifact["job_id"], artifact["owner"], artifact["name"]) == (path["job_id"], path["owner"], path["name"]):
            return Reply(body=artifact["content"].encode(), media_type="application/octet-stream")
    return _text(None)


ROUTES = [
    ExtraRoute("/logs/<int:job_id>/log", "setup_log", get_setup_log),
    ExtraRoute("/logs/<int:job_id>/<task>/log", "task_log", get_task_log),
    ExtraRoute("/artifacts/~<owner>/<int:job_id>/<name>", "artifact", get_artifact),
]
