"""ciapi's benchmarks (issue 7), one command: ``python benchmarks/run.py [--quick]``.

Installs what it needs (Prism into benchmarks/.tools, wrk from Debian, gunicorn into this venv; uvicorn and
granian come with ciapi), then measures and prints markdown tables: ciapi vs Prism vs a bare WSGI ceiling over
HTTP, the pytest fixture's start and reset, get/list latency with 100 to 100,000 stored agents, and `ciapi check` speed.
Progress (and each table as soon as it is ready) goes to stderr, the whole report to stdout at the end.
Every server binds 127.0.0.1 and is stopped at the end, also on errors and Ctrl+C.
"""

from __future__ import annotations

import argparse
import atexit
import json
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import conformance  # noqa: E402
import tools  # noqa: E402
from http_bench import Row, Settings, bench_api, log, render  # noqa: E402
from report import ms, num, table  # noqa: E402
from servers import QuietGate, others_share_now, stop_all  # noqa: E402
from suites import BUILDKITE, ROOT, ciapi_command, semaphore_v1alpha, serve_has_workers, serve_servers  # noqa: E402
from targets import targets_table  # noqa: E402

SECTIONS = ("http", "fixture", "latency", "check")


def _on_sigterm(*_: object) -> None:
    raise KeyboardInterrupt


def _inprocess(args: list[str], timeout: float) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(HERE / "inprocess.py"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"inprocess.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def fixture_section(samples: int) -> tuple[str, dict[str, float]]:
    log(f"pytest fixture: {samples} fresh processes (first ciapi_mock('buildkite'), then 100 resets)...")
    runs = [_inprocess(["session"], timeout=120) for _ in range(samples)]

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    summary = {k: med(k) for k in ("import_s", "create_s", "start_s", "first_reset_s", "session_start_s",
                                   "first_request_s", "reset_median_ms", "reset_max_ms")}
    rows = [[ms(summary["import_s"] * 1e3), ms(summary["create_s"] * 1e3), ms(summary["start_s"] * 1e3),
             ms(summary["first_reset_s"] * 1e3), ms(summary["session_start_s"] * 1e3),
             ms(summary["first_request_s"] * 1e3), ms(summary["reset_median_ms"]), ms(summary["reset_max_ms"])]]
    headers = ["import ms", "create ms", "start ms", "first reset ms", "session start ms", "then first request ms",
               "reset median ms", "reset max ms"]
    notes = [f"Median of {samples} fresh processes (pytest already imported, as in a session). session start = "
             "import + MockServer('buildkite') with the plugin's defaults + start() + the factory's reset(); "
             "reset = server.reset() with the default fixtures, median and max of 100."]
    return table("pytest fixture: session start and per-test reset", headers, rows, notes), summary


def latency_section(sizes: tuple[int, ...], stores: tuple[str, ...], quick: bool) -> tuple[str, dict[str, Any]]:
    results: dict[str, list[dict[str, Any]]] = {}
    rows = []
    for store in stores:
        for size in sizes:
            log(f"latency with {size:,} agents stored ({store} store)...")
            args = ["latency", str(size), store, *(["--quick"] if quick else [])]
            results.setdefault(store, []).append(_inprocess(args, timeout=900))
        runs = results[store]
        rows += [[store, num(r["agents"]), num(r["load_s"], 2), ms(r["get"]["median_ms"]), ms(r["get"]["p90_ms"]),
                  ms(r["list"]["median_ms"]), ms(r["list"]["p90_ms"]),
                  f"{r['get']['bytes']:,} / {r['list']['bytes']:,}", f"{r['get']['samples']} / {r['list']['samples']}"]
                 for r in runs]
        first, last = runs[0], runs[-1]
        rows.append([store, f"**ratio {last['agents']:,}/{first['agents']:,}**", "",
                     f"**{last['get']['median_ms'] / first['get']['median_ms']:.2f}x**", "",
                     f"**{last['list']['median_ms'] / first['list']['median_ms']:.2f}x**", "", "", ""])
    headers = ["store", "agents stored", "seed s", "get ms", "get p90 ms", "list ms", "list p90 ms",
               "body B get / list", "samples get / list"]
    notes = ["Flask test client in one process (no HTTP), Buildkite, one organization, 9 in 10 agents connected, "
             "1 in 100 running a job; get = an agent with a job half-way through the store; list = page 1 (30 of "
             "the organization's connected agents). get ms and list ms = the lowest median of 5 interleaved "
             "batches (robust to other load); p90 over all samples. seed = create_app with the records. sqlite = "
             "the store `serve --workers` uses, on a fresh file."]
    return table("Latency by number of stored records (in process)", headers, rows, notes), results


def check_section(ciapi: list[str], quick: bool) -> tuple[str, list[dict[str, Any]]]:
    from contract_tests.catalog import API_NAMES

    help_text = subprocess.run([*ciapi, "check", "--help"], capture_output=True, text=True, timeout=60).stdout
    has_json = "--json" in help_text
    apis = ["buildkite"] if quick else list(API_NAMES)
    results = []
    for api in apis:
        log(f"ciapi check {api} against the mock...")
        results.append(conformance.check_api(ciapi, api, has_json=has_json, quick=quick))
    rows = [[r["api"], r.get("error") or str(r.get("exit")), num(r.get("wall_s"), 1), num(r.get("requests")),
             num(r.get("rps")), r.get("counted_from", "-") if r.get("requests") else "-"] for r in results]
    total = sum(r.get("wall_s", 0.0) for r in results)
    rows.append(["all", "", num(total, 1), num(sum(r.get("requests") or 0 for r in results)), "", ""])
    notes = [f"`ciapi check API --seed 1{' --max-examples 10' if quick else ''}` against `ciapi serve --api API "
             f"--clock manual` (one process), one API after the other; requests (= test cases) counted from the "
             "--json report when it has a count, else from the mock's request journal (the id of a probe request "
             "before and after). exit 0 = conformant, 1 = findings, 2 = could not run."]
    headers = ["API", "exit", "wall s", "requests", "requests/s", "counted from"]
    return table("ciapi check against the mock", headers, rows, notes), results


def header(quick: bool, ciapi_mode: str, prism: str, others: float) -> str:
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0] or "wrk"
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            return f"no {name}"

    return (f"# ciapi benchmarks{' (--quick)' if quick else ''}\n\n"
            f"{time.strftime('%Y-%m-%d %H:%M')}, this machine: "
            f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, Python "
            f"{platform.python_version()}, {prism}, {wrk}, {installed('gunicorn')}, {installed('uvicorn')}, "
            f"{installed('granian')}; ciapi served as "
            f"{ciapi_mode}. Other processes used {others:.0%} of the CPUs when the run started.\n")


def latency_stores() -> tuple[str, ...]:
    """memory, plus sqlite when create_app takes a store (the shared store of ``serve --workers``)."""
    import inspect

    from mock_server.app import create_app

    return ("memory", "sqlite") if "store" in inspect.signature(create_app).parameters else ("memory",)


def prism_version() -> str:
    try:
        data = json.loads((tools.TOOLS / "node_modules/@stoplight/prism-cli/package.json").read_text())
        return f"Prism {data['version']}"
    except (OSError, ValueError, KeyError):
        return "Prism"


def compile_checkout() -> None:
    """Byte-compile this checkout's packages, as pip does on install: with PYTHONDONTWRITEBYTECODE set (as on
    this machine) every start-up would otherwise compile ciapi's modules from source again (30-70 ms more)."""
    log("Byte-compiling the checkout (python -m compileall)...")
    packages = [str(ROOT / name) for name in ("mock_server", "contract_tests") if (ROOT / name).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, timeout=300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short loads, 2 start-ups, up to 10,000 records")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {','.join(SECTIONS)}")
    args = parser.parse_args()
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    quick = args.quick
    signal.signal(signal.SIGTERM, _on_sigterm)
    atexit.register(stop_all)
    started = time.perf_counter()
    found = tools.ensure_all()
    compile_checkout()
    ciapi = ciapi_command()
    workers = 2 if serve_has_workers(ciapi) else None
    servers = serve_servers(ciapi)
    quiet = QuietGate(budget_s=0 if quick else 120)
    settings = Settings(seconds=3, seconds_64=2, rounds=1, warmup=1, startup_samples=2, quiet=quiet) if quick else \
        Settings(seconds=5, seconds_64=5, rounds=2, warmup=2, startup_samples=5, quiet=quiet)
    mode = (f"`ciapi serve --workers {workers}`" + (f" (under {servers[0]}, its default)" if servers else "")
            if workers else "one process (`ciapi serve`, no --workers in this version)")
    out = [header(quick, mode, prism_version(), others_share_now(1.0))]
    data: dict[str, Any] = {"workers": workers, "quick": quick}
    try:
        if "http" in sections:
            rows: list[Row] = []
            with tempfile.TemporaryDirectory(prefix="ciapi-bench-") as folder:
                semaphore = semaphore_v1alpha()
                if semaphore is None:
                    log("Semaphore v1alpha: no mock serves openapi/semaphore-v1alpha.yaml yet; its rows are skipped")
                for bench in [b for b in (BUILDKITE, semaphore) if b is not None]:
                    rows += bench_api(bench, found, ciapi, workers, settings, Path(folder),
                                      single_too=bench is BUILDKITE, servers=servers)
            data["http"] = rows
            out.append(render(rows, settings))
            log(out[-1])
        if "fixture" in sections:
            quiet.wait()
            text, data["fixture"] = fixture_section(2 if quick else 5)
            out.append(text)
            log(text)
        if "latency" in sections:
            quiet.wait()
            sizes = (100, 10_000) if quick else (100, 10_000, 100_000)
            text, data["latency"] = latency_section(sizes, latency_stores(), quick)
            out.append(text)
            log(text)
        if "check" in sections:
            quiet.wait()
            text, data["check"] = check_section(ciapi, quick)
            out.append(text)
            log(text)
        out.append(targets_table(data))
        if quiet.waited_s:
            out.append(f"(The run waited {quiet.waited_s:.0f} s in all for other processes to quieten.)\n")
    except KeyboardInterrupt:
        log("interrupted: stopping the servers")
        return 130
    finally:
        stop_all()
    log(f"done in {time.perf_counter() - started:.0f} s; the whole report:\n")
    print("\n".join(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
