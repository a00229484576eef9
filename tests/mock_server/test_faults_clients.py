"""Each fault as real clients see it over a real socket: the published ``pybuildkite`` and plain ``requests``.

They must fail as they would against the real service: ``HTTPError`` carrying the status, body and headers
for an error or a 429, ``ConnectionError`` for a reset, ``ChunkedEncodingError`` (an ``IncompleteRead``) for a
truncated body, and a slower answer for latency. Every server is covered: werkzeug (one worker), and uvicorn,
granian and gunicorn (``--workers 2``, shared SQLite state). Granian gives the app no socket to reset: there the
``reset`` fault is refused with a reason, at start-up and on the admin plane.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from pybuildkite.buildkite import Buildkite

from mock_server.cli import main

ORG = "my-great-org"
TOKEN = "fault-token"


class Target:
    def __init__(self, url: str, server: str) -> None:
        self.url = url
        self.server = server
        self.bk = Buildkite()
        self.bk.set_access_token(TOKEN)
        self.bk.base_url = url + "/v2/"  # type: ignore[attr-defined]
        self.agents = self.bk.agents()
        self.list_url = f"{url}/v2/organizations/{ORG}/agents"

    def fault(self, spec: str) -> None:
        requests.delete(self.url + "/_mock/faults", timeout=10)
        response = requests.post(self.url + "/_mock/faults", json={"spec": spec}, timeout=10)
        assert response.status_code == 201, response.text

    def get(self, url: str) -> requests.Response:
        return requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)

    def journal(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = requests.get(self.url + "/_mock/requests", timeout=10).json()["requests"]
        return entries


@pytest.fixture(scope="module", params=["werkzeug", "uvicorn", "gunicorn", "granian"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    # start_serve from tests/conftest.py (a plugin, not importable by name under --import-mode=importlib)
    start_serve = next(p.start_serve for p in request.config.pluginmanager.get_plugins()
                       if hasattr(p, "start_serve"))
    workers = [] if request.param == "werkzeug" else ["--workers", "2", "--server", request.param]
    served = start_serve(["--api", "buildkite", "--port", "0", "--token", TOKEN, "--clock", "manual", *workers])
    try:
        yield Target(served.url, request.param)
    finally:
        served.process.terminate()
        served.process.wait(timeout=10)


@pytest.fixture(autouse=True)
def _reset(target: Target) -> None:
    requests.post(target.url + "/_mock/reset", timeout=10)


def test_error_status_is_an_http_error_with_the_apis_body(target: Target) -> None:
    [agent] = target.agents.list_all(ORG, name="agent-01")
    target.fault("getAgent:status=503")
    with pytest.raises(requests.HTTPError) as info:
        target.agents.get_agent(ORG, agent["id"])
    assert info.value.response.status_code == 503
    assert info.value.response.json() == {"message": "Service Unavailable"}
    assert target.agents.list_all(ORG, name="agent-01") == [agent]  # only getAgent is faulted
    plain = target.get(f"{target.list_url}/{agent['id']}")
    assert plain.status_code == 503 and plain.headers["Content-Type"].startswith("application/json")


def test_rate_limit_is_a_429_with_the_real_headers(target: Target) -> None:
    target.fault("status=429,retry-after=17")
    with pytest.raises(requests.HTTPError) as info:
        target.agents.list_all(ORG)
    response = info.value.response
    assert response.status_code == 429
    assert response.headers["RateLimit-Remaining"] == "0" and response.headers["RateLimit-Reset"] == "17"
    assert response.headers["RateLimit-Limit"] == "200" and response.headers["RateLimit-Scope"] == "rest"
    assert "Please wait 17 seconds" in response.json()["message"]
    assert target.journal()[0]["faults"] == [{"rule": 1, "kind": "rate_limit", "status": 429, "retry_after": 17}]


def test_reset_is_a_connection_error(target: Target) -> None:
    if target.server == "granian":
        response = requests.post(target.url + "/_mock/faults", json={"spec": "listAgents:reset"}, timeout=10)
        assert response.status_code == 400 and "--server uvicorn" in response.json()["error"]
        assert requests.get(target.url + "/_mock/faults", timeout=10).json()["faults"] == []
        assert target.get(target.list_url).status_code == 200
        return
    target.fault("listAgents:reset")
    with pytest.raises(requests.ConnectionError) as info:
        target.agents.list_all(ORG)
    assert "reset" in str(info.value).lower()
    with pytest.raises(requests.ConnectionError):
        target.get(target.list_url)
    entry = target.journal()[0]
    assert entry["status"] is None and entry["faults"] == [{"rule": 1, "kind": "reset"}]
    assert target.get(target.list_url + "/nope").status_code == 404  # the server lives on


def test_truncated_body_is_an_incomplete_read(target: Target) -> None:
    target.fault("listAgents:truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        target.agents.list_all(ORG)
    streamed = requests.get(target.list_url, headers={"Authorization": f"Bearer {TOKEN}"}, stream=True, timeout=10)
    declared = int(streamed.headers["Content-Length"])  # the whole body's length...
    with pytest.raises(requests.exceptions.ChunkedEncodingError) as info:
        streamed.content  # noqa: B018
    half = declared // 2  # ...of which half arrives
    assert f"IncompleteRead({half} bytes read, {declared - half} more expected)" in str(info.value)
    assert target.journal()[0]["faults"] == [{"rule": 1, "kind": "truncate"}]


def test_latency_makes_it_slower(target: Target) -> None:
    target.fault("latency=300ms")
    started = time.perf_counter()
    assert len(target.agents.list_all(ORG)) == 42  # pybuildkite asks for per_page=100
    assert time.perf_counter() - started >= 0.3
    assert target.journal()[0]["faults"] == [{"rule": 1, "kind": "latency", "ms": 300.0}]
    requests.delete(target.url + "/_mock/faults", timeout=10)
    assert target.get(target.list_url).elapsed.total_seconds() < 0.3


def test_probability_with_a_seed_is_repeatable(target: Target) -> None:
    requests.post(target.url + "/_mock/faults/seed", json={"seed": 11}, timeout=10)
    target.fault("status=500,p=0.5")

    def statuses() -> list[int]:
        return [target.get(target.list_url + "/nope").status_code for _ in range(12)]

    first = statuses()
    assert set(first) == {404, 500}
    requests.post(target.url + "/_mock/faults/seed", json={"seed": 11}, timeout=10)
    assert statuses() == first


# --- ciapi serve flags ---------------------------------------------------------------------------------
def test_serve_flags_set_start_up_faults_with_a_seed(serve: Callable[..., Any]) -> None:
    served = serve("--api", "buildkite", "--port", "0", "--token", TOKEN, "--fault", "getAgent:status=502",
                   "--fault", "latency=1ms..2ms,p=0.5", "--fault-seed", "123")
    listed = requests.get(served.url + "/_mock/faults", timeout=10).json()
    assert [r["spec"] for r in listed["faults"]] == ["getAgent:status=502", "latency=1ms..2ms,p=0.5"]
    assert listed["seed"] == 123
    url = served.url + f"/v2/organizations/{ORG}/agents"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.get(url + "/x", headers=auth, timeout=10).status_code == 502
    requests.delete(served.url + "/_mock/faults", timeout=10)
    assert requests.get(url + "/x", headers=auth, timeout=10).status_code == 404
    requests.post(served.url + "/_mock/reset", timeout=10)  # back to the flags' faults
    assert requests.get(url + "/x", headers=auth, timeout=10).status_code == 502


def test_serve_with_every_api_gives_each_its_share_of_faults(serve: Callable[..., Any]) -> None:
    served = serve("--port", "0", "--fault", "getAgent:status=503", "--fault", "reset,p=0.01")
    for api, url in served.urls.items():
        specs = [r["spec"] for r in requests.get(url + "/_mock/faults", timeout=10).json()["faults"]]
        assert specs == (["getAgent:status=503", "reset,p=0.01"] if api == "buildkite" else ["reset,p=0.01"]), api


def test_serve_under_granian_refuses_a_reset_fault_at_start_up() -> None:
    result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--workers", "2", "--server", "granian",
                                       "--fault", "reset,p=0.1"])
    assert result.exit_code == 2 and "--server uvicorn" in result.output and "--fault" in result.output


@pytest.mark.parametrize(("flag", "message"), [
    ("explode", "say which fault"),
    ("getJob:reset", "no API served here has the operation 'getJob'"),
    ("status=700", "status must be an integer between 400 and 599"),
])
def test_serve_refuses_a_bad_fault(flag: str, message: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--fault", flag])
    assert result.exit_code == 2 and message in result.output and "--fault" in result.output
