"""Jobs run through the shared command simulation as the clock moves: logs grow, failures skip, timeouts end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.state import MockState


def _job(client: FlaskClient, job_id: int) -> dict[str, Any]:
    response = client.get(f"/api/jobs/{job_id}")
    assert response.status_code == 200
    job: dict[str, Any] = response.get_json()
    return job


def _statuses(job: dict[str, Any]) -> tuple[str, list[str]]:
    return job["status"], [t["status"] for t in job["tasks"]]


def _text(client: FlaskClient, url: str) -> tuple[int, str]:
    response = client.get(url.removeprefix("http://localhost"))
    return response.status_code, response.get_data(as_text=True)


def test_a_job_runs_to_success_with_the_clock(client: FlaskClient, state: MockState,
                                              submit: Callable[..., dict[str, Any]]) -> None:
    manifest = ("image: alpine/edge\npackages: [make, gcc]\nsources: [https://git.sr.ht/~alice/app#main]\n"
                "tasks:\n  - build: |\n      echo building\n      sleep 30\n      echo built\n"
                "  - test: echo testing\nartifacts:\n  - app/app.tar.gz\n")
    job = submit(manifest)
    assert _statuses(job) == ("queued", ["pending", "pending"]) and job["setup_log"] is None
    state.clock.advance(2)  # a runner picks it up: setup (boot 10 s, 2 packages, 1 source)
    job = _job(client, job["id"])
    assert _statuses(job) == ("running", ["pending", "pending"])
    assert job["runner"] == "localhost" and job["setup_log"] == f"http://localhost/logs/{job['id']}/log"
    assert _text(client, job["setup_log"]) == (200, f"[#{job['id']}] 2026-01-05 09:00:02 Booting image alpine/edge "
                                                    "(default) on the ciapi mock runner\n")
    assert _text(client, job["tasks"][0]["log"])[0] == 404  # not started yet
    state.clock.advance(14)  # setup done at 09:00:15, build running
    job = _job(client, job["id"])
    assert _statuses(job) == ("running", ["running", "pending"])
    setup = _text(client, job["setup_log"])[1]
    assert "Installing packages: make gcc" in setup and "Cloning into 'app'..." in setup
    assert _text(client, job["tasks"][0]["log"]) == (200, "+ echo building\nbuilding\n+ sleep 30\n")
    assert client.get(f"/api/jobs/{job['id']}/artifacts").get_json()["results"] == []
    state.clock.advance(30)
    job = _job(client, job["id"])
    assert _statuses(job) == ("success", ["success", "success"])
    assert _text(client, job["tasks"][0]["log"])[1].endswith("+ echo built\nbuilt\n")
    assert _text(client, job["tasks"][1]["log"]) == (200, "+ echo testing\ntesting\n")
    assert _text(client, job["setup_log"])[1].endswith("Build complete.\n")
    [artifact] = client.get(f"/api/jobs/{job['id']}/artifacts").get_json()["results"]
    assert artifact["path"] == "app/app.tar.gz" and artifact["name"] == "app.tar.gz"
    assert artifact["created"] == "2026-01-05T09:00:45+00:00"
    download = client.get(artifact["url"].removeprefix("http://localhost"))
    assert download.status_code == 200 and len(download.data) == artifact["size"] > 0


def test_a_failing_task_skips_the_rest(client: FlaskClient, state: MockState,
                                       submit: Callable[..., dict[str, Any]]) -> None:
    manifest = ("image: debian/stable\ntasks:\n  - a: echo one\n  - b: |\n      echo two\n      exit 3\n"
                "      echo never\n  - c: echo three\nartifacts: [out.txt]\n")
    job = submit(manifest)
    state.clock.advance(60)
    job = _job(client, job["id"])
    assert _statuses(job) == ("failed", ["success", "failed", "skipped"])
    assert _text(client, job["tasks"][1]["log"]) == (200, "+ echo two\ntwo\n+ exit 3\n")
    assert _text(client, job["tasks"][2]["log"])[0] == 404
    assert _text(client, job["setup_log"])[1].endswith("Build failed.\n")
    assert client.get(f"/api/jobs/{job['id']}/artifacts").get_json()["total"] == 0  # only successes have them


def test_the_runner_timeout_ends_a_job_in_timeout(client: FlaskClient, state: MockState,
                                                  submit: Callable[..., dict[str, Any]]) -> None:
    state.load({"settings": {"job_timeout": "10m"}}, "test")
    job = submit("image: alpine/edge\ntasks:\n  - slow: sleep 1h\n  - after: echo never\n")
    state.clock.advance(2 + 599)
    assert _statuses(_job(client, job["id"])) == ("running", ["running", "pending"])
    state.clock.advance(1)
    assert _statuses(_job(client, job["id"])) == ("timeout", ["failed", "skipped"])


def test_the_default_timeout_is_45_minutes(client: FlaskClient, state: MockState,
                                           submit: Callable[..., dict[str, Any]]) -> None:
    job = submit("image: alpine/edge\ntasks:\n  - slow: sleep 2h\n")
    state.clock.advance(2 + 45 * 60 - 1)
    assert _job(client, job["id"])["status"] == "running"
    state.clock.advance(1)
    assert _job(client, job["id"])["status"] == "timeout"


def test_shell_keeps_the_job_up_until_the_timeout(client: FlaskClient, state: MockState,
                                                  submit: Callable[..., dict[str, Any]]) -> None:
    job = submit("image: alpine/edge\nshell: true\ntasks:\n  - a: echo hi\n")
    state.clock.advance(60)
    assert _statuses(_job(client, job["id"])) == ("running", ["success"])
    state.clock.advance(45 * 60)
    assert _statuses(_job(client, job["id"])) == ("timeout", ["success"])


def test_cancel_ends_a_running_job(client: FlaskClient, state: MockState,
                                   submit: Callable[..., dict[str, Any]]) -> None:
    job = submit("image: alpine/edge\ntasks:\n  - a: echo one\n  - b: sleep 100\n  - c: echo three\n")
    state.clock.advance(30)
    assert client.post(f"/api/jobs/{job['id']}/cancel").get_json() == {}
    assert _statuses(_job(client, job["id"])) == ("cancelled", ["success", "failed", "skipped"])
    state.clock.advance(600)  # events of the cancelled run change nothing
    assert _statuses(_job(client, job["id"])) == ("cancelled", ["success", "failed", "skipped"])
    assert client.post(f"/api/jobs/{job['id']}/cancel").get_json() == {}  # ended: nothing happens
    assert _text(client, _job(client, job["id"])["setup_log"])[1].endswith("Build cancelled.\n")


@pytest.mark.parametrize("execute", [True, False])
def test_cancel_before_the_job_ran(client: FlaskClient, state: MockState, submit: Callable[..., dict[str, Any]],
                                   execute: bool) -> None:
    job = submit(execute=execute)
    assert client.post(f"/api/jobs/{job['id']}/cancel").get_json() == {}
    state.clock.advance(60)
    job = _job(client, job["id"])
    assert _statuses(job) == ("cancelled", ["skipped", "skipped"]) and job["runner"] is None


def test_the_fixture_jobs_move_on_with_the_clock(client: FlaskClient, state: MockState) -> None:
    assert _statuses(_job(client, 58)) == ("running", ["running", "pending"])
    assert _statuses(_job(client, 60)) == ("queued", ["pending", "pending"])
    state.clock.advance(200)
    assert _statuses(_job(client, 58)) == ("success", ["success", "success"])
    assert _job(client, 60)["status"] == "success"
    assert _job(client, 59)["status"] == "pending"
    states = {j["id"]: j["state"] for j in client.get("/_mock/state").get_json()["collections"]["jobs"]}
    assert states[56] == "failed" and states[66] == "cancelled" and states[59] == "pending"


def test_the_job_list_pages_with_start_and_next(client: FlaskClient) -> None:
    first = client.get("/api/jobs").get_json()
    assert (first["total"], first["results_per_page"], len(first["results"])) == (60, 50, 50)
    ids = [j["id"] for j in first["results"]]
    assert ids == sorted(ids, reverse=True) and ids[0] == 60 and first["next"] == "10"
    second = client.get(f"/api/jobs?start={first['next']}").get_json()
    assert second["next"] is None and second["total"] == 60
    assert [j["id"] for j in second["results"]] == list(range(10, 0, -1))
    assert client.get("/api/jobs?start=-1").get_json() == first
    assert client.get("/api/jobs?start=0").get_json()["results"] == []


def test_artifacts_page_too(client: FlaskClient, state: MockState, submit: Callable[..., dict[str, Any]]) -> None:
    paths = "".join(f"  - out/file-{i:02d}.txt\n" for i in range(55))
    job = submit(f"image: alpine/edge\ntasks:\n  - a: echo hi\nartifacts:\n{paths}")
    state.clock.advance(60)
    url = f"/api/jobs/{job['id']}/artifacts"
    first = client.get(url).get_json()
    assert first["total"] == 55 and len(first["results"]) == 50 and first["next"] is not None
    second = client.get(f"{url}?start={first['next']}").get_json()
    names = [a["name"] for a in first["results"] + second["results"]]
    assert second["next"] is None and sorted(names) == [f"file-{i:02d}.txt" for i in range(55)]
