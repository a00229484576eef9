"""A whole Semaphore workflow over HTTP only, against a real ``ciapi serve --api semaphore`` process.

Run a workflow, watch it progress as the (manual) clock moves, read a job's log, stop a second workflow, and page
through the workflow list by following the ``link`` header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

WEB = "e48c5cf8-7389-4df1-9904-235c06473af1"
TOKEN = "e2e-token"


class Semaphore:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {TOKEN}"

    def get(self, path: str) -> requests.Response:
        response = self.http.get(path if path.startswith("http") else self.base + path, timeout=10)
        assert "X-Ciapi-Violations" not in response.headers, response.headers["X-Ciapi-Violations"]
        return response

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        response = self.http.post(self.base + path, timeout=10, **kwargs)
        assert "X-Ciapi-Violations" not in response.headers, response.headers["X-Ciapi-Violations"]
        return response

    def advance(self, seconds: float) -> None:
        assert requests.post(f"{self.base}/_mock/clock", json={"advance": seconds}, timeout=10).status_code == 200

    def pipeline(self, ppl_id: str) -> dict[str, Any]:
        response = self.get(f"/api/v1alpha/pipelines/{ppl_id}?detailed=true")
        assert response.status_code == 200
        return dict(response.json())


def test_a_whole_workflow_over_http(serve: Callable[..., Any]) -> None:
    served = serve("--api", "semaphore", "--port", "0", "--clock", "manual", "--token", TOKEN)
    sem = Semaphore(served.urls["semaphore"])

    # run a workflow
    started = sem.post("/api/v1alpha/plumber-workflows", json={"project_id": WEB, "reference": "refs/heads/main"})
    assert started.status_code == 200
    ppl_id = started.json()["pipeline_id"]

    # watch it progress with the clock
    states = []
    for _ in range(4):
        states.append(sem.pipeline(ppl_id)["pipeline"]["state"])
        sem.advance(1)
    assert states == ["initializing", "pending", "queuing", "running"]
    sem.advance(2)
    build = sem.pipeline(ppl_id)["blocks"][0]
    assert build["state"] == "running" and build["jobs"][0]["status"] == "RUNNING"
    job_id = build["jobs"][0]["job_id"]

    # read the log while the job runs, and once it has finished
    running_log = sem.get(f"/api/v1alpha/logs/{job_id}").json()["events"]
    assert running_log[0]["event"] == "job_started" and running_log[-1]["event"] != "job_finished"
    sem.advance(600)
    final = sem.pipeline(ppl_id)
    assert (final["pipeline"]["state"], final["pipeline"]["result"]) == ("done", "passed")
    log = sem.get(f"/api/v1alpha/logs/{job_id}").json()["events"]
    assert [e["output"] for e in log if e["event"] == "cmd_output" and not e["output"].startswith("Export")] == [
        "compiling\n", "compiled\n"]
    assert log[-1]["event"] == "job_finished" and log[-1]["result"] == "passed"
    assert sem.get(f"/api/v2/jobs/{job_id}").json()["status"]["result"] == "PASSED"

    # stop a second one
    second = sem.post("/api/v1alpha/plumber-workflows", data={"project_id": WEB, "reference": "refs/heads/main"})
    second_wf, second_ppl = second.json()["workflow_id"], second.json()["pipeline_id"]
    sem.advance(10)
    stopped = sem.post(f"/api/v1alpha/plumber-workflows/{second_wf}/terminate")
    assert stopped.json() == "Termination started for 1 pipelines."
    assert sem.pipeline(second_ppl)["pipeline"]["state"] == "stopping"
    sem.advance(1)
    pipeline = sem.pipeline(second_ppl)["pipeline"]
    assert (pipeline["state"], pipeline["result"], pipeline["result_reason"]) == ("done", "stopped", "user")

    # page through the workflow list by following `link`
    url: str | None = f"/api/v1alpha/plumber-workflows?project_id={WEB}&page_size=10"
    seen: list[str] = []
    total = None
    while url:
        page = sem.get(url)
        total = total or int(page.headers["total"])
        seen += [w["wf_id"] for w in page.json()]
        links = {part.split("; ")[1][5:-1]: part.split("; ")[0].strip("<>")
                 for part in page.headers["link"].split(", ")}
        url = links.get("next")
    assert total == 37 and len(seen) == len(set(seen)) == 37
    assert {second_wf, started.json()["workflow_id"]} <= set(seen)
