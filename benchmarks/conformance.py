"""``ciapi check`` against the mock: wall time and requests (= test cases) per second, per API."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from servers import ServerError, ServerSpec, http_get, start

TOKEN = "bench-token"
PROBE = "/_ciapi_bench_probe"  # an unknown path: answered 404 and journaled, which numbers the requests


def _last_request_id(port: int) -> int | None:
    """The journal id of a fresh probe request: ids count every API request the mock has answered."""
    try:
        http_get(port, PROBE, {})
        status, raw = http_get(port, "/_mock/requests?limit=1", {})
        entries = json.loads(raw).get("requests", []) if status == 200 else []
        return int(entries[0]["id"]) if entries and "id" in entries[0] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _count_from_report(path: Path) -> int | None:
    """Requests or cases from a ``--json`` report, if it has such a count."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    for node in (data, data.get("summary") if isinstance(data, dict) else None):
        if isinstance(node, dict):
            for key in ("requests", "cases", "test_cases", "total_requests", "total_cases"):
                if isinstance(node.get(key), int):
                    return int(node[key])
    return None


def check_api(ciapi: Sequence[str], api: str, *, has_json: bool, quick: bool) -> dict[str, Any]:
    """Serve ``api`` (one process, manual clock), run the whole ``ciapi check`` on it, count its requests."""
    spec = ServerSpec(name=f"ciapi-{api}-check",
                      argv=[*ciapi, "serve", "--api", api, "--clock", "manual", "--port", "{port}", "--token", TOKEN],
                      probe="/_mock/health")
    row: dict[str, Any] = {"api": api}
    try:
        server, _ = start(spec, 1)
    except ServerError as exc:
        return {**row, "error": f"could not serve: {str(exc).splitlines()[0]}"}
    try:
        before = _last_request_id(server.port)
        report = Path(tempfile.mkstemp(prefix="ciapi-check-", suffix=".json")[1])
        argv = [*ciapi, "check", api, "--base-url", f"http://127.0.0.1:{server.port}", "--token", TOKEN, "--seed", "1"]
        if quick:
            argv += ["--max-examples", "10"]
        if has_json:
            argv += ["--json", str(report)]
        started = time.perf_counter()
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=300 if quick else 900)
            row["exit"], output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            row["exit"], output = "timeout", ""
        row["wall_s"] = time.perf_counter() - started
        counted = _count_from_report(report) if has_json else None
        row["counted_from"] = "--json report"
        report.unlink(missing_ok=True)
        after = _last_request_id(server.port)
        if counted is None and before is not None and after is not None:
            counted, row["counted_from"] = after - before - 1, "journal"
        row["requests"] = counted
        row["rps"] = counted / row["wall_s"] if counted else None
        if row["exit"] != 0:
            print(f"  ciapi check {api} exited {row['exit']}:\n{output.strip()[-1500:]}", file=sys.stderr)
    finally:
        server.stop()
    return row
