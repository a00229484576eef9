"""In-process measurements, each run by the harness in a fresh process that prints one JSON line.

    python benchmarks/inprocess.py session            # pytest fixture session start + reset time
    python benchmarks/inprocess.py latency N memory|sqlite [--quick]  # get/list latency, N agents stored
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORG = "bench-org"
TOKEN = "bench-token"
_NS = uuid.UUID("5f0c1b8e-1d7a-4b5e-9a43-6c1d2e3f4a5b")


def session(resets: int = 100) -> dict[str, Any]:
    """What the first ``ciapi_mock("buildkite")`` of a pytest session costs: import, create, start, reset."""
    import pytest  # noqa: F401  (already imported in a pytest session: not counted)

    t0 = time.perf_counter()
    from mock_server.server import MockServer  # what _Pool.get imports

    t1 = time.perf_counter()
    server = MockServer(api="buildkite")  # the plugin's defaults: manual clock, strict, default fixtures
    t2 = time.perf_counter()
    server.start()
    t3 = time.perf_counter()
    server.reset()  # the ciapi_mock factory resets on a test's first use
    t4 = time.perf_counter()
    import urllib.request

    request = urllib.request.Request(server.url + "/v2/organizations/my-great-org/agents",
                                     headers={"Authorization": f"Bearer {server.token}"})
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 (loopback)
        resp.read()
    t5 = time.perf_counter()
    times = []
    for _ in range(resets):
        started = time.perf_counter()
        server.reset()
        times.append(time.perf_counter() - started)
    server.stop()
    return {"import_s": t1 - t0, "create_s": t2 - t1, "start_s": t3 - t2, "first_reset_s": t4 - t3,
            "first_request_s": t5 - t4, "session_start_s": t4 - t0, "reset_median_ms": statistics.median(times) * 1e3,
            "reset_max_ms": max(times) * 1e3, "resets": resets}


def agents_document(count: int) -> dict[str, Any]:
    """One organization with ``count`` agents: 9 in 10 connected, 1 in 100 running a job."""
    agents = []
    for i in range(count):
        agent: dict[str, Any] = {
            "organization": ORG, "name": f"agent-{i:06d}", "id": str(uuid.uuid5(_NS, str(i))),
            "connection_state": "disconnected" if i % 10 == 0 else "connected",
            "hostname": f"host-{i % 50:02d}.ci.internal", "version": "3.80.0", "created_at": "-30d",
            "meta_data": ["queue=default", "os=linux"],
        }
        if i % 100 == 1:
            agent["job"] = {"command": ["echo hi", "sleep 600"], "started_at": "-2m", "pipeline": "bench",
                            "build_number": i}
        agents.append(agent)
    return {"api": "buildkite", "organizations": [{"slug": ORG, "name": "Bench Org"}], "agents": agents}


BATCHES = 5


def _check(client: Any, path: str) -> int:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for _ in range(10):  # warm-up
        resp = client.get(path, headers=headers)
    if resp.status_code != 200:
        raise RuntimeError(f"GET {path} answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
    return len(resp.get_data())


def _batch(client: Any, path: str, count: int, deadline: float) -> list[float]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    times: list[float] = []
    while len(times) < count and (len(times) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
    return times


def _timed(client: Any, paths: dict[str, str], samples: int, budget_s: float) -> dict[str, Any]:
    """Per path: the lowest of the medians of BATCHES interleaved batches (robust to other load), p90 of all."""
    sizes = {op: _check(client, path) for op, path in paths.items()}
    times: dict[str, list[list[float]]] = {op: [] for op in paths}
    started = time.perf_counter()
    for i in range(BATCHES):
        for j, (op, path) in enumerate(paths.items()):  # each batch of each path gets its share of the budget
            deadline = started + budget_s * (i * len(paths) + j + 1) / (BATCHES * len(paths))
            times[op].append(_batch(client, path, samples // BATCHES, deadline))
    out = {}
    for op, batches in times.items():
        pooled = sorted(t for batch in batches for t in batch)
        out[op] = {"median_ms": min(statistics.median(b) for b in batches) * 1e3,
                   "p90_ms": pooled[int(len(pooled) * 0.9)] * 1e3, "samples": len(pooled), "bytes": sizes[op]}
    return out


def latency(count: int, store: str, quick: bool) -> dict[str, Any]:
    """Median get and list (page 1 of 30) latency through the Flask test client with ``count`` agents.

    ``store`` is ``memory`` or ``sqlite`` (a fresh file in a temporary folder, as ``serve --workers`` uses).
    """
    from mock_server.app import create_app

    document = agents_document(count)
    with tempfile.TemporaryDirectory(prefix="ciapi-bench-") as folder:
        options = {} if store == "memory" else {"store": f"sqlite:{folder}/state.sqlite"}
        started = time.perf_counter()
        app = create_app("buildkite", fixtures=document, tokens=[TOKEN], clock="manual", strict=False, **options)
        load_s = time.perf_counter() - started
        return {"agents": count, "store": store, "load_s": load_s, **_get_and_list(app, count, quick)}


def _get_and_list(app: Any, count: int, quick: bool) -> dict[str, Any]:
    client = app.test_client()
    middle = count // 2 // 100 * 100 + 1  # a connected agent running a job, half-way through the store
    get_path = f"/v2/organizations/{ORG}/agents/{uuid.uuid5(_NS, str(middle))}"
    samples, budget = (100, 10.0) if quick else (500, 30.0)
    return _timed(client, {"get": get_path, "list": f"/v2/organizations/{ORG}/agents"}, samples, budget)


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    if argv[:1] == ["session"]:
        result = session()
    elif argv[:1] == ["latency"] and len(argv) >= 3 and argv[2] in ("memory", "sqlite"):
        result = latency(int(argv[1]), argv[2], quick="--quick" in argv)
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
