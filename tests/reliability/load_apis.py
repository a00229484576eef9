"""The four APIs' load drivers (see ``load_drivers.py``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import requests
from load_drivers import SRHT_FINAL, SRHT_STATES, SUI_FINAL, SUI_STATES, Driver, Ledger

__all__ = ["DRIVERS"]

BK_ORG = "/v2/organizations/my-great-org/agents"
SEM_PROJECT = "e48c5cf8-7389-4df1-9904-235c06473af1"  # acme/web
SRHT_MANIFEST = "image: alpine/edge\ntasks:\n  - build: echo building\n  - wait: sleep 4\n  - done: echo done\n"


def _link_next(response: requests.Response) -> str | None:
    return response.links.get("next", {}).get("url")


class Buildkite(Driver):
    """No creates in this API: agents are stopped, read and listed; the list shows connected/stopping ones."""

    api = "buildkite"
    headers = {"Authorization": "Bearer bk-demo-token"}

    def __init__(self, base: str, ledger: Ledger) -> None:
        super().__init__(base, ledger)
        self.all_ids: list[str] = []

    def known(self) -> list[str]:
        with requests.Session() as http:
            self.all_ids = self.traverse(http)
        return list(self.all_ids)

    def stop(self, http: requests.Session, ident: str) -> bool:
        return self.call(http, "PUT", f"{BK_ORG}/{ident}/stop", expect=(204, 400)).status_code == 204

    def read(self, http: requests.Session, ident: str) -> None:
        response = self.call(http, "GET", f"{BK_ORG}/{ident}")
        if response.status_code == 200:
            self.observe("getAgent", response.json())

    def pages(self, http: requests.Session) -> Iterator[list[str]]:
        url: str | None = f"{BK_ORG}?per_page=7"
        while url:
            response = self.call(http, "GET", url)
            if response.status_code != 200:
                return
            self.observe("listAgents", response.json())
            yield [a["id"] for a in response.json()]
            url = _link_next(response)

    def final_problems(self, http: requests.Session, before: int, listed: list[str]) -> list[str]:
        states = {i: self.call(http, "GET", f"{BK_ORG}/{i}").json()["connection_state"] for i in self.all_ids}
        problems = [f"agent {i} was stopped but is {states[i]}" for i in self.ledger.stopped if states[i] != "stopped"]
        shown = {i for i, s in states.items() if s in ("connected", "stopping")}
        if set(listed) != shown:
            problems.append(f"the list shows {len(listed)} agents, {len(shown)} are connected or stopping")
        return problems


class Semaphore(Driver):
    api = "semaphore"
    headers = {"Authorization": "Token sem-demo-token"}

    def __init__(self, base: str, ledger: Ledger) -> None:
        super().__init__(base, ledger)
        self.pipelines: dict[str, str] = {}
        self.lock = threading.Lock()

    def create(self, http: requests.Session) -> str | None:
        response = self.call(http, "POST", "/api/v1alpha/plumber-workflows",
                             json={"project_id": SEM_PROJECT, "reference": "refs/heads/main"})
        if response.status_code != 200:
            return None
        body = response.json()
        with self.lock:
            self.pipelines[body["workflow_id"]] = body["pipeline_id"]
        return str(body["workflow_id"])

    def stop(self, http: requests.Session, ident: str) -> bool:
        response = self.call(http, "POST", f"/api/v1alpha/plumber-workflows/{ident}/terminate")
        return response.status_code == 200 and response.json() == "Termination started for 1 pipelines."

    def _pipeline(self, http: requests.Session, ident: str) -> dict[str, Any] | None:
        response = self.call(http, "GET", f"/api/v1alpha/pipelines/{self.pipelines[ident]}?detailed=true")
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        self.observe("describePipeline", body)
        pipeline = body["pipeline"]
        if pipeline["state"] == "done":
            with self.ledger.lock:
                self.ledger.seen_final.setdefault(ident, pipeline["result"])
        return body

    def read(self, http: requests.Session, ident: str) -> None:
        self._pipeline(http, ident)

    def log(self, http: requests.Session, ident: str) -> None:
        body = self._pipeline(http, ident)
        jobs = [j["job_id"] for b in (body or {}).get("blocks", []) for j in b.get("jobs", [])]
        if jobs:
            self.call(http, "GET", f"/api/v1alpha/logs/{jobs[0]}")

    def pages(self, http: requests.Session) -> Iterator[list[str]]:
        url: str | None = f"/api/v1alpha/plumber-workflows?project_id={SEM_PROJECT}&page_size=30"
        while url:
            response = self.call(http, "GET", url)
            if response.status_code != 200:
                return
            yield [w["wf_id"] for w in response.json()]
            url = _link_next(response)

    def final_problems(self, http: requests.Session, before: int, listed: list[str]) -> list[str]:
        problems = [f"{len(listed)} workflows listed, {before} + {len(self.ledger.created)} expected"] if len(
            listed) != before + len(self.ledger.created) else []
        for ident in self.ledger.created:
            pipeline = (self._pipeline(http, ident) or {}).get("pipeline", {})
            result = (pipeline.get("state"), pipeline.get("result"))
            if result[0] != "done":
                problems.append(f"workflow {ident} never finished: {result}")
            if ident in self.ledger.stopped and result[1] != "stopped":
                problems.append(f"workflow {ident} was terminated but ended {result}")
            if self.ledger.seen_final.get(ident, result[1]) != result[1]:
                problems.append(f"workflow {ident} was seen {self.ledger.seen_final[ident]}, ended {result}")
        return problems


class SemaphoreUi(Driver):
    api = "semaphore-ui"
    headers = {"Authorization": "Bearer ep484xlu11jqnk6upoe7nsxu2bvnazhom1ofnp4gcvm="}
    tasks = "/api/project/1/tasks"

    def __init__(self, base: str, ledger: Ledger) -> None:
        super().__init__(base, ledger)
        self.tokens: list[str] = []
        self.lock = threading.Lock()

    def create(self, http: requests.Session) -> str | None:
        if len(self.tokens) % 4 == 3 or not self.tokens:  # now and then an API token
            response = self.call(http, "POST", "/api/user/tokens", expect=(201,))
            if response.status_code == 201:
                with self.lock:
                    self.tokens.append(response.json()["id"])
        response = self.call(http, "POST", self.tasks, json={"template_id": 1}, expect=(201,))
        return str(response.json()["id"]) if response.status_code == 201 else None

    def stop(self, http: requests.Session, ident: str) -> bool:
        return self.call(http, "POST", f"{self.tasks}/{ident}/stop", json={}, expect=(204,)).status_code == 204

    def _status(self, http: requests.Session, ident: str) -> str | None:
        response = self.call(http, "GET", f"{self.tasks}/{ident}")
        if response.status_code != 200:
            return None
        status = str(response.json()["status"])
        self.observe_plain(ident, status, SUI_STATES, SUI_FINAL)
        return status

    def read(self, http: requests.Session, ident: str) -> None:
        self._status(http, ident)

    def log(self, http: requests.Session, ident: str) -> None:
        self.call(http, "GET", f"{self.tasks}/{ident}/output")

    def pages(self, http: requests.Session) -> Iterator[list[str]]:
        response = self.call(http, "GET", self.tasks)
        if response.status_code == 200:
            yield [str(t["id"]) for t in response.json()]

    def final_problems(self, http: requests.Session, before: int, listed: list[str]) -> list[str]:
        problems = [f"{len(listed)} tasks listed, {before} + {len(self.ledger.created)} expected"] if len(
            listed) != min(1000, before + len(self.ledger.created)) else []
        for ident in self.ledger.created:
            status = self._status(http, ident)
            if status not in SUI_FINAL:
                problems.append(f"task {ident} never finished: {status}")
            if self.ledger.seen_final.get(ident, status) != status:
                problems.append(f"task {ident} was seen {self.ledger.seen_final[ident]}, ended {status}")
        tokens = [t["id"] for t in self.call(http, "GET", "/api/user/tokens").json()]
        if len(tokens) != len(set(tokens)) or not set(self.tokens) <= set(tokens):
            problems.append("API tokens lost or duplicated")
        return problems


class BuildsSrht(Driver):
    api = "builds-srht"
    headers = {"Authorization": "token alice-token"}

    def create(self, http: requests.Session) -> str | None:
        response = self.call(http, "POST", "/api/jobs", json={"manifest": SRHT_MANIFEST})
        return str(response.json()["id"]) if response.status_code == 200 else None

    def stop(self, http: requests.Session, ident: str) -> bool:
        return self.call(http, "POST", f"/api/jobs/{ident}/cancel").status_code == 200

    def _job(self, http: requests.Session, ident: str) -> dict[str, Any] | None:
        response = self.call(http, "GET", f"/api/jobs/{ident}")
        if response.status_code != 200:
            return None
        job: dict[str, Any] = response.json()
        self.observe_plain(ident, job["status"], SRHT_STATES, SRHT_FINAL)
        return job

    def read(self, http: requests.Session, ident: str) -> None:
        self._job(http, ident)

    def log(self, http: requests.Session, ident: str) -> None:
        job = self._job(http, ident)
        if job and job.get("setup_log"):
            self.call(http, "GET", self.base + "/" + job["setup_log"].split("/", 3)[3], expect=(200, 404))

    def pages(self, http: requests.Session) -> Iterator[list[str]]:
        url: str | None = "/api/jobs"
        while url:
            response = self.call(http, "GET", url)
            if response.status_code != 200:
                return
            body = response.json()
            yield [str(j["id"]) for j in body["results"]]
            url = f"/api/jobs?start={body['next']}" if body["next"] else None

    def final_problems(self, http: requests.Session, before: int, listed: list[str]) -> list[str]:
        problems = [f"{len(listed)} jobs listed, {before} + {len(self.ledger.created)} expected"] if len(
            listed) != before + len(self.ledger.created) else []
        for ident in self.ledger.created:
            status = (self._job(http, ident) or {}).get("status")
            if status not in SRHT_FINAL:
                problems.append(f"job {ident} never finished: {status}")
            if self.ledger.seen_final.get(ident, status) != status:
                problems.append(f"job {ident} was seen {self.ledger.seen_final[ident]}, ended {status}")
        return problems


DRIVERS: dict[str, type[Driver]] = {"buildkite": Buildkite, "semaphore": Semaphore, "semaphore-ui": SemaphoreUi,
                                    "builds-srht": BuildsSrht}
