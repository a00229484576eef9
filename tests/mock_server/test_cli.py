"""``ciapi serve`` and ``ciapi apis``: real processes where the behaviour is about processes."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import struct
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contract_tests.catalog import API_NAMES
from mock_server.cli import main


def _get(url: str, token: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_apis_lists_names_specs_and_base_paths() -> None:
    result = CliRunner().invoke(main, ["apis"])
    assert result.exit_code == 0
    assert "buildkite" in result.output and "buildkite.yaml" in result.output and "/v2" in result.output


def test_serve_with_token_gives_full_access(serve: Callable[..., Any]) -> None:
    served = serve("--api", "buildkite", "--port", "0", "--token", "my-token")
    assert "my-token (full access)" in served.banner
    assert served.url.startswith("http://127.0.0.1:")
    status, body = _get(served.url + "/v2/organizations/other-org/agents", "my-token")
    assert status == 200 and len(body) == 3
    assert _get(served.url + "/_mock/health")[1]["clock"]["kind"] == "real"


def test_serve_without_api_serves_every_api_with_a_table(serve: Callable[..., Any]) -> None:
    served = serve("--port", "0")
    assert set(served.urls) == set(API_NAMES)
    assert served.banner.splitlines()[0].split() == ["API", "BASE", "URL", "TOKENS", "ADMIN"]
    for api, url in served.urls.items():
        assert _get(url + "/_mock/health")[1]["api"] == api


def test_serve_with_custom_fixtures(serve: Callable[..., Any], tmp_path: Path) -> None:
    fixtures = tmp_path / "mine.yaml"
    fixtures.write_text("organizations: [{slug: acme}]\nagents: [{organization: acme, name: only-one}]\n"
                        "tokens: [{token: acme-token}]\n")
    served = serve("--api", "buildkite", "--port", "0", "--fixtures", str(fixtures))
    status, body = _get(served.url + "/v2/organizations/acme/agents", "acme-token")
    assert status == 200 and [a["name"] for a in body] == ["only-one"]


def test_bad_fixtures_exit_with_the_problems(tmp_path: Path) -> None:
    fixtures = tmp_path / "bad.yaml"
    fixtures.write_text("agents: [{organization: nowhere, name: a}]\n")
    result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--port", "0", "--fixtures", str(fixtures)])
    assert result.exit_code == 1
    assert "agents[0] (name 'a').organization: no organization 'nowhere'" in result.output


def test_fixtures_need_one_api(tmp_path: Path) -> None:
    fixtures = tmp_path / "f.yaml"
    fixtures.write_text("{}\n")
    result = CliRunner().invoke(main, ["serve", "--fixtures", str(fixtures)])
    assert result.exit_code == 2 and "--fixtures needs exactly one --api" in result.output


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--port", str(port)])
    assert result.exit_code == 1 and f"cannot serve buildkite on 127.0.0.1:{port}" in result.output


def test_unknown_api_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["serve", "--api", "jenkins"])
    assert result.exit_code == 2 and "jenkins" in result.output


def _stop_agent_and_wait(url: str, token: str) -> str:
    agents = url + "/v2/organizations/my-great-org/agents"
    _, found = _get(agents + "?name=agent-01", token)
    agent_id = found[0]["id"]
    req = urllib.request.Request(f"{agents}/{agent_id}/stop", method="PUT",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 204
    req = urllib.request.Request(url + "/_mock/clock", data=b'{"advance": 5}', method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).close()
    return str(agent_id)


@pytest.mark.parametrize("server", [None, "uvicorn", "granian", "gunicorn"])
def test_workers_share_one_state(serve: Callable[..., Any], server: str | None) -> None:
    chosen = ["--server", server] if server else []
    served = serve("--api", "buildkite", "--port", "0", "--token", "T", "--clock", "manual", "--workers", "2", *chosen)
    assert f"2 workers ({server or 'uvicorn'}) share the state." in served.banner
    agent_id = _stop_agent_and_wait(served.url, "T")
    # urllib opens a connection per request, which either worker may accept
    states = {_get(f"{served.url}/v2/organizations/my-great-org/agents/{agent_id}", "T")[1]["connection_state"]
              for _ in range(12)}
    assert states == {"stopped"}
    journal = _get(served.url + "/_mock/requests?limit=100")[1]["requests"]
    assert sum(1 for e in journal if e["operation_id"] == "getAgent") == 12


def test_uvicorn_workers_each_serve_requests(serve: Callable[..., Any]) -> None:
    served = serve("--api", "buildkite", "--port", "0", "--workers", "2")
    workers = set(_descendants(served.process.pid))
    assert len(workers) == 2
    seen: set[int] = set()
    deadline = time.monotonic() + 20
    while seen != workers and time.monotonic() < deadline:
        # a connection kept open is served by the worker that accepted it: find which, by its socket
        with socket.create_connection(("127.0.0.1", urllib.parse.urlsplit(served.url).port or 80), 5) as conn:
            conn.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert conn.recv(64).startswith(b"HTTP/1.1 200 OK")
            local = conn.getsockname()
            seen |= {pid for pid in workers if _holds_connection(pid, local)}
    assert seen == workers


def _open_served(port: int, count: int) -> list[http.client.HTTPConnection]:
    """``count`` kept-alive connections, each with a request sent at once (before any hand-over) and answered."""
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(count)]
    for conn in conns:
        conn.request("GET", "/_mock/health")
    for conn in conns:
        with conn.getresponse() as resp:
            assert resp.status == 200 and json.loads(resp.read())["status"] == "ok"
    return conns


def _split(workers: list[int], conns: list[http.client.HTTPConnection]) -> list[int]:
    """How many of ``conns`` each worker holds, in the order of ``workers``; every one held by exactly one."""
    holders = [[pid for pid in workers if _holds_connection(pid, conn.sock.getsockname())] for conn in conns]
    assert all(len(held) == 1 for held in holders), holders
    return [sum(held == [pid] for held in holders) for pid in workers]


@pytest.mark.parametrize("workers", [2, 3])
def test_uvicorn_workers_share_the_connections_evenly(serve: Callable[..., Any], workers: int) -> None:
    # the kernel spreads connections by a hash: 2 connections share a worker half the time with 2 workers,
    # so 12 rounds of even splits would happen by chance once in 4,096 runs without the balancer
    served = serve("--api", "buildkite", "--port", "0", "--workers", str(workers))
    port = urllib.parse.urlsplit(served.url).port or 80
    pids = _descendants(served.process.pid)
    assert len(pids) == workers
    for _ in range(12):
        conns = _open_served(port, workers)
        try:
            assert _split(pids, conns) == [1] * workers
        finally:
            for conn in conns:
                conn.close()
        # closed by the client is not yet closed by the worker: wait until every worker has counted them out,
        # or the next round is spread by counts still holding this round's connections
        _wait_for(lambda: _connection_counts(pids[0], workers) == [0] * workers)
    conns = _open_served(port, 4 * workers)  # a burst, as a client's connection pool opens it
    try:
        assert _split(pids, conns) == [4] * workers
        assert _connection_counts(pids[0], workers) == [4] * workers  # the counts agree with the kernel's view
        for conn in conns:  # every connection, moved or not, keeps being served
            conn.request("GET", "/_mock/health")
            with conn.getresponse() as resp:
                assert resp.status == 200 and json.loads(resp.read())["status"] == "ok"
    finally:
        for conn in conns:
            conn.close()


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _connection_counts(pid: int, workers: int) -> list[int]:
    """The connections each worker counts itself as serving, read from the balancer's shared memory through
    worker ``pid``'s descriptor of it (its first ``workers`` slots, mock_server.balance)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd).startswith("/memfd:ciapi-balance"):
                return list(struct.unpack(f"={workers}q", fd.read_bytes()[:8 * workers]))
    raise AssertionError(f"worker {pid} has no balancer memory")


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_a_port_another_server_listens_on_is_refused(serve: Callable[..., Any], server: str) -> None:
    first = serve("--api", "buildkite", "--port", "0", "--workers", "2")  # its workers allow SO_REUSEPORT
    port = str(urllib.parse.urlsplit(first.url).port)
    result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--port", port, "--workers", "2",
                                       "--server", server])
    assert result.exit_code == 1 and "cannot serve on 127.0.0.1: Address already in use" in result.output


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _holds_connection(pid: int, client: tuple[str, int]) -> bool:
    """Whether process ``pid`` has the server end of the TCP connection whose client end is ``client``."""
    inodes = _socket_inodes(pid)
    port = f"{client[1]:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[2].endswith(":" + port) and fields[9] in inodes:
            return True
    return False


def test_a_sqlite_store_is_resumed_after_a_restart(serve: Callable[..., Any], tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'state.db'}"
    first = serve("--api", "buildkite", "--port", "0", "--token", "T", "--clock", "manual", "--store", store)
    agent_id = _stop_agent_and_wait(first.url, "T")
    first.process.terminate()
    first.process.wait(timeout=10)
    second = serve("--api", "buildkite", "--port", "0", "--token", "T", "--clock", "manual", "--store", store)
    agent = _get(f"{second.url}/v2/organizations/my-great-org/agents/{agent_id}", "T")[1]
    assert agent["connection_state"] == "stopped"
    assert _get(second.url + "/_mock/clock")[1]["now"] == "2026-01-05T09:00:05.000Z"
    urllib.request.urlopen(urllib.request.Request(second.url + "/_mock/reset", method="POST"), timeout=10).close()
    agent = _get(f"{second.url}/v2/organizations/my-great-org/agents/{agent_id}", "T")[1]
    assert agent["connection_state"] == "connected"


def test_werkzeug_serves_one_worker_only() -> None:
    result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--workers", "2", "--server", "werkzeug"])
    assert result.exit_code == 2 and "werkzeug serves from one process" in result.output


@pytest.mark.parametrize("server", ["uvicorn", "granian", "gunicorn"])
def test_one_worker_under_a_production_server_keeps_memory_state(serve: Callable[..., Any], server: str) -> None:
    served = serve("--api", "buildkite", "--port", "0", "--token", "T", "--clock", "manual", "--server", server)
    agent_id = _stop_agent_and_wait(served.url, "T")
    agent = _get(f"{served.url}/v2/organizations/my-great-org/agents/{agent_id}", "T")[1]
    assert agent["connection_state"] == "stopped"


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_every_api_under_a_server_each_on_its_port(serve: Callable[..., Any], server: str) -> None:
    served = serve("--port", "0", "--workers", "2", "--server", server)
    assert len(served.urls) == 4 and len({url for url in served.urls.values()}) == 4
    for url in served.urls.values():
        assert _get(url + "/_mock/health")[0] == 200


def test_workers_cannot_share_memory() -> None:
    result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--workers", "2", "--store", "memory"])
    assert result.exit_code == 2 and "several workers cannot share a memory store" in result.output


def test_unknown_store_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["serve", "--api", "buildkite", "--store", "redis://x"])
    assert result.exit_code == 2 and "unknown store 'redis://x'" in result.output


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


#: processes under ``ciapi serve --workers 2`` serving every API: granian runs a server and 2 workers per API;
#: uvicorn, 2 workers that serve every API
PROCESSES = {"granian": 4 * 3, "uvicorn": 2}


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_a_server_that_dies_stops_ciapi_with_status_1(serve: Callable[..., Any], server: str) -> None:
    served = serve("--api", "buildkite", "--port", "0", "--workers", "2", "--server", server)
    children = [int(p) for p in Path(f"/proc/{served.process.pid}/task/{served.process.pid}/children")
                .read_text().split()]
    if server == "granian":
        [victim] = children  # granian's server: its 2 workers go with it
        workers = _descendants(victim)
    else:
        victim, workers = children[0], children  # one of the 2 uvicorn workers: the other is stopped
    assert len(workers) == 2
    os.kill(victim, signal.SIGKILL)
    assert served.process.wait(timeout=30) == 1
    deadline = time.monotonic() + 15
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _running(w)], "workers left running"


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_sigterm_stops_every_process(serve: Callable[..., Any], server: str) -> None:
    served = serve("--port", "0", "--workers", "2", "--server", server)  # every API
    everyone = _descendants(served.process.pid)
    assert len(everyone) == PROCESSES[server]
    served.process.terminate()
    assert served.process.wait(timeout=30) == 0
    deadline = time.monotonic() + 15
    while any(_running(p) for p in everyone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in everyone if _running(p)]


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_nothing_outlives_a_killed_ciapi(serve: Callable[..., Any], server: str) -> None:
    served = serve("--api", "buildkite", "--port", "0", "--workers", "2", "--server", server)
    everyone = _descendants(served.process.pid)
    assert len(everyone) == (3 if server == "granian" else 2)
    served.process.kill()  # SIGKILL to ciapi alone, not to its process group
    served.process.wait(timeout=10)
    deadline = time.monotonic() + 20
    while any(_running(p) for p in everyone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in everyone if _running(p)]


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
