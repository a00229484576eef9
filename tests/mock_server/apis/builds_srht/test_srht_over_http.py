"""The builds-srht mock driven over HTTP only, against a real ``ciapi serve --api builds-srht`` process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests


def test_builds_srht_over_http(serve: Callable[..., Any], receiver: Callable[..., Any]) -> None:
    served = serve("--api", "builds-srht", "--port", "0", "--token", "http-token", "--clock", "manual", "--strict")
    api = served.url + "/api"
    http = requests.Session()
    http.headers["Authorization"] = "token http-token"

    def advance(seconds: float) -> None:
        assert http.post(served.url + "/_mock/clock", json={"advance": seconds}, timeout=10).status_code == 200

    def job(job_id: int) -> dict[str, Any]:
        response = http.get(f"{api}/jobs/{job_id}", timeout=10)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    # an invalid manifest is refused field by field
    bad = http.post(f"{api}/jobs", json={"manifest": "tasks:\n  - Build: make\n  - ok: x\n  - ok: y\n",
                                         "tags": ["fine", "not fine"]}, timeout=10)
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["tags"]
    bad = http.post(f"{api}/jobs", json={"manifest": "tasks:\n  - Build: make\n  - ok: x\n  - ok: y\n"}, timeout=10)
    assert bad.status_code == 400
    assert [(e["field"], e["reason"]) for e in bad.json()["errors"]] == [
        ("manifest.image", "Missing image in manifest"),
        ("manifest.tasks[0]", "Task name 'Build' is invalid (must be all lowercase letters, numbers, underscores, "
                              "and dashes, and <=128 characters)"),
        ("manifest.tasks[2]", "Duplicate task name 'ok'"),
    ]

    # a valid one runs to success with the clock; its logs and artifacts are readable; its webhook is delivered
    hook = receiver()
    manifest = ("image: alpine/edge\ntasks:\n  - build: |\n      echo compiling\n      sleep 20\n"
                "  - package: echo packaged\nartifacts:\n  - dist/app.tar.gz\n"
                f"triggers:\n  - {{action: webhook, condition: always, url: '{hook.url}/builds'}}\n")
    submitted = http.post(f"{api}/jobs", json={"manifest": manifest, "tags": ["http"]}, timeout=10)
    assert submitted.status_code == 200 and submitted.json()["status"] == "queued"
    job_id = submitted.json()["id"]
    advance(15)
    running = job(job_id)
    assert running["status"] == "running" and [t["status"] for t in running["tasks"]] == ["running", "pending"]
    log = requests.get(running["tasks"][0]["log"], timeout=10)
    assert log.status_code == 200 and log.text == "+ echo compiling\ncompiling\n+ sleep 20\n"
    assert requests.get(running["setup_log"], timeout=10).text.startswith(f"[#{job_id}] ")
    advance(30)
    done = job(job_id)
    assert done["status"] == "success" and [t["status"] for t in done["tasks"]] == ["success", "success"]
    assert requests.get(done["tasks"][1]["log"], timeout=10).text == "+ echo packaged\npackaged\n"
    [artifact] = http.get(f"{api}/jobs/{job_id}/artifacts", timeout=10).json()["results"]
    download = requests.get(artifact["url"], timeout=10)
    assert download.status_code == 200 and len(download.content) == artifact["size"]
    assert requests.get(f"{api}/jobs/{job_id}/manifest", timeout=10).text == manifest
    assert hook.received.wait(10), "the webhook never reached the receiver"
    assert hook.paths == ["/builds"] and hook.bodies[0]["id"] == job_id and hook.bodies[0]["status"] == "success"
    deliveries = http.get(served.url + "/_mock/views/webhooks", timeout=10).json()["webhooks"]
    assert [(d["job_id"], d["status"], d["response_status"]) for d in deliveries] == [(job_id, "delivered", 204)]

    # a failing one skips the rest
    failing = "image: alpine/edge\ntasks:\n  - one: echo 1\n  - two: exit 1\n  - three: echo 3\n"
    failed_id = http.post(f"{api}/jobs", json={"manifest": failing}, timeout=10).json()["id"]
    advance(60)
    failed = job(failed_id)
    assert failed["status"] == "failed"
    assert [t["status"] for t in failed["tasks"]] == ["success", "failed", "skipped"]

    # the job list pages with start/next, newest first
    seen: list[int] = []
    page = http.get(f"{api}/jobs", timeout=10).json()
    while True:
        seen += [j["id"] for j in page["results"]]
        assert len(page["results"]) <= page["results_per_page"] == 50
        if page["next"] is None:
            break
        page = http.get(f"{api}/jobs", params={"start": page["next"]}, timeout=10).json()
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == page["total"] == 62
    assert seen[:2] == [failed_id, job_id]

    assert http.get(served.url + "/_mock/violations", timeout=10).json() == {"violations": []}
