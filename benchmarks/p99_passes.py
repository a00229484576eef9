"""How often a pass misses the 10 ms p99: many short wrk passes, each pass's p99 printed, per server.

``run.py`` reports p99 over every request of its two passes, and the worst single pass beside it. This runs N
passes (default 10 of 5 s at 8 connections) against ciapi's main variant (``serve --workers 2``, uvicorn),
the same under granian, Prism ``-v silent`` and the bare app under granian, one server at a time, on
Buildkite's get and list, and prints every pass's p99, the count of passes over 10 ms, the p99 over every
request of all the passes, each pass's requests/s, and the CPU time the hypervisor took from this virtual
machine during each pass ("steal", /proc/stat). Loopback only; every server is stopped at the end.

    python benchmarks/p99_passes.py [--passes 10] [--seconds 5]
"""

from __future__ import annotations

import argparse
import atexit
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tools  # noqa: E402
from load import merged, run_wrk  # noqa: E402
from servers import Running, ServerError, http_get, machine_cpu_s, start, stop_all  # noqa: E402
from suites import BUILDKITE, bare_server, ciapi_command, ciapi_server, prism_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    atexit.register(stop_all)
    found = tools.ensure_all()
    wrk, bench = str(found["wrk"]), BUILDKITE
    print(f"| server | endpoint | p99 ms of each {args.seconds:g} s pass at c=8 | passes over 10 ms "
          "| p99 ms of all requests | req/s of each pass | steal ms of each pass |")
    print("| --- | --- | --- | --- | --- | --- | --- |")

    def passes(server: Running, name: str, endpoints: dict[str, str]) -> None:
        for label, path in endpoints.items():
            url = f"http://127.0.0.1:{server.port}{path}"
            run_wrk(wrk, url, bench.headers, connections=8, seconds=1)  # warm-up
            results, steals = [], []
            for _ in range(args.passes):
                before = machine_cpu_s()[1]
                results.append(run_wrk(wrk, url, bench.headers, connections=8, seconds=args.seconds))
                steals.append((machine_cpu_s()[1] - before) * 1e3)
            p99s = [r.p99_ms for r in results]
            shown = ", ".join(f"{p:.1f}" for p in p99s)
            print(f"| {name} | {label} | {shown} | {sum(p > 10 for p in p99s)} of {len(p99s)} "
                  f"| {merged(results).p99_ms:.2f} | {', '.join(f'{r.rps:,.0f}' for r in results)} "
                  f"| {', '.join(f'{s:.0f}' for s in steals)} |", flush=True)

    spec = ciapi_server(bench, ciapi_command(), 2)
    server, _ = start(spec, 1)
    try:
        status, raw = http_get(server.port, bench.list_path, bench.headers)
        if status != 200:
            raise ServerError(f"ciapi answered {status}: {raw[:200]!r}")
        paths = {"get one": bench.item_path(json.loads(raw)), "list": bench.list_path}
        bodies = {path.split("?")[0]: http_get(server.port, path, bench.headers)[1].decode()
                  for path in paths.values()}
        passes(server, spec.name, paths)
    finally:
        server.stop()
    with tempfile.TemporaryDirectory(prefix="ciapi-p99-") as folder:
        for other, endpoints in (
            (ciapi_server(bench, ciapi_command(), 2, "granian"), paths),
            (prism_server(bench, list(found["prism"]), silent=True),
             {"get one": bench.prism_get_path, "list": bench.list_path}),
            (bare_server(bench, "granian", bodies, Path(folder)), paths),
        ):
            server, _ = start(other, 1)
            try:
                passes(server, other.name, endpoints)
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
