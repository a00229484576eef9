"""The side-by-side HTTP benchmark: ciapi, Prism (default logging, silent) and bare WSGI on one API.

All servers of an API run at once (frozen with SIGSTOP but for the one under load, so that their idle wake-ups
do not land in its latencies; gunicorn-based ones stay running, see ``ServerSpec.freezable``), and the wrk
passes are interleaved:
each round loads every server in turn, the order rotating from round to round, so that load from other
processes on a shared machine spreads over all servers instead of favouring one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from load import LoadResult, merged, run_wrk
from report import ms, num, ratio, table
from servers import (
    HOST,
    CpuUse,
    QuietGate,
    RssSampler,
    Running,
    ServerError,
    ServerSpec,
    cpu_of,
    http_get,
    median,
    start,
)
from suites import ApiBench, bare_server, ciapi_server, prism_server


@dataclass(frozen=True)
class Settings:
    seconds: float  # each c=8 pass
    seconds_64: float  # each c=64 pass (0: none)
    rounds: int  # passes per server, endpoint and concurrency, interleaved
    warmup: float
    startup_samples: int
    quiet: QuietGate  # waits for other processes to calm down before each round, within a budget


@dataclass
class Row:
    api: str
    endpoint: str
    server: str
    body_bytes: int
    c8: LoadResult
    c64: LoadResult | None
    rss_mib: float
    processes: int
    rss_process_mib: float
    startup_s: float | None
    cpu_ms_per_request: float | None  # the server's CPU time per request at c=8 (robust to other load)
    others_share: float  # the largest share of CPU other processes took during a pass (disturbance)
    steal_ms: float = 0.0  # the most CPU time the hypervisor took from this machine during one c=8 pass

    @property
    def errors(self) -> int:
        passes = [p for p in (self.c8, self.c64) if p is not None]
        return sum(p.non_2xx + p.socket_errors for p in passes)


@dataclass
class Live:
    """A running server with its endpoints, RSS sampler and the passes measured so far."""

    spec: ServerSpec
    server: Running
    startups: list[float]
    endpoints: list[tuple[str, str]]  # (label, path)
    sizes: dict[str, int]
    rss: RssSampler
    passes: dict[tuple[str, int], list[tuple[LoadResult, CpuUse]]] = field(default_factory=dict)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


Endpoints = Callable[[Running], list[tuple[str, str]]]


def launch(spec: ServerSpec, bench: ApiBench, endpoints: Endpoints, settings: Settings,
           bodies: dict[str, str] | None = None) -> Live:
    """Start ``spec`` (timing its start-ups; the last one keeps running) and check each endpoint answers 200."""
    log(f"  {spec.name}: {settings.startup_samples} start-ups...")
    server, startups = start(spec, settings.startup_samples)
    try:
        paths = endpoints(server)
        sizes = {}
        for label, path in paths:
            status, body = http_get(server.port, path, bench.headers)
            if status != 200:
                raise ServerError(f"{spec.name}: GET {path} answered {status}: {body[:300]!r}")
            sizes[label] = len(body)
            if bodies is not None:
                bodies[path.split("?")[0]] = body.decode()
        rss = RssSampler(server).start()
    except BaseException:
        server.stop()
        raise
    return Live(spec, server, startups, paths, sizes, rss)


def _pass(live: Live, bench: ApiBench, wrk: str, label: str, path: str, connections: int, seconds: float) -> None:
    url = f"http://{HOST}:{live.server.port}{path}"
    result = cpu_of(live.server, lambda: run_wrk(wrk, url, bench.headers, connections=connections, seconds=seconds))
    live.passes.setdefault((label, connections), []).append(result)


@contextmanager
def _alone(live: Live, lives: list[Live]) -> Iterator[None]:
    """The other servers frozen (SIGSTOP) while ``live`` is loaded, and continued after."""
    others = [other for other in lives if other is not live]
    for other in others:
        other.server.pause()
    try:
        yield
    finally:
        for other in others:
            other.server.resume()


def load_rounds(lives: list[Live], bench: ApiBench, wrk: str, settings: Settings) -> None:
    for live in lives:
        with _alone(live, lives):
            for label, path in live.endpoints:
                _pass(live, bench, wrk, label, path, 8, settings.warmup)
        live.passes.clear()  # the warm-up does not count
    plan = [(8, settings.seconds)] + ([(64, settings.seconds_64)] if settings.seconds_64 else [])
    for connections, seconds in plan:
        for round_no in range(settings.rounds):
            others = settings.quiet.wait()
            log(f"  round {round_no + 1}/{settings.rounds} at c={connections}, {seconds:.0f} s per pass "
                f"(other processes use {others:.0%} of the CPUs)")
            turn = round_no % len(lives)
            for live in lives[turn:] + lives[:turn]:
                with _alone(live, lives):
                    for label, path in live.endpoints:
                        _pass(live, bench, wrk, label, path, connections, seconds)


def _combined(passes: list[tuple[LoadResult, CpuUse]]) -> LoadResult:
    return merged([result for result, _ in passes])


def rows_of(live: Live, bench: ApiBench) -> list[Row]:
    rows = []
    for i, (label, _) in enumerate(live.endpoints):
        c8 = live.passes[(label, 8)]
        c64 = live.passes.get((label, 64))
        requests = sum(r.requests for r, _ in c8)
        cpu = sum(c.server_s for _, c in c8)
        others = max(c.others_share for _, c in c8 + (c64 or []))
        steal_ms = max(c.steal_s for _, c in c8) * 1e3
        rows.append(Row(bench.label, label, live.spec.name, live.sizes[label], _combined(c8),
                        _combined(c64) if c64 else None, live.rss.peak_mib, live.rss.processes,
                        live.rss.peak_process_mib, median(live.startups) if i == 0 else None,
                        cpu * 1e3 / requests if requests else None, others, steal_ms))
    return rows


def bench_api(bench: ApiBench, tools: dict[str, list[str] | str], ciapi: Sequence[str], workers: int | None,
              settings: Settings, folder: Path, single_too: bool = False, servers: Sequence[str] = ()) -> list[Row]:
    """All servers on one API; a server that fails is reported and left out, ciapi failing stops the API.

    ``servers`` are ``ciapi serve --server`` choices, the default first (empty: a ciapi without the option);
    the main variant is ``--workers`` under the default. ``single_too`` adds the other servers' ``--workers``
    variants and ``ciapi serve`` in one process (memory store), and the bare app under uvicorn and granian.
    """
    wrk = str(tools["wrk"])
    prism = list(tools["prism"])
    log(f"{bench.label}: {bench.spec}")

    def ciapi_endpoints(server: Running) -> list[tuple[str, str]]:
        status, raw = http_get(server.port, bench.list_path, bench.headers)
        if status != 200:
            raise ServerError(f"ciapi: GET {bench.list_path} answered {status}: {raw[:300]!r}")
        return [("get one", bench.item_path(json.loads(raw))), ("list", bench.list_path)]

    bodies: dict[str, str] = {}
    lives: list[Live] = []
    try:
        settings.quiet.wait()
        main = servers[0] if servers and workers else None
        lives.append(launch(ciapi_server(bench, ciapi, workers, main), bench, ciapi_endpoints, settings, bodies))
        resolved = lives[0].endpoints  # ciapi's paths, which the bare server answers too
        prism_paths = [("get one", bench.prism_get_path), ("list", bench.list_path)]
        extra = single_too and bool(workers)
        others = [
            *([(ciapi_server(bench, ciapi, workers, other), resolved) for other in servers[1:]] if extra else []),
            *([(ciapi_server(bench, ciapi, None), resolved)] if extra else []),
            (prism_server(bench, prism, silent=False), prism_paths),
            (prism_server(bench, prism, silent=True), prism_paths),
            (bare_server(bench, "gunicorn", bodies, folder), resolved),
            *[(bare_server(bench, name, bodies, folder), resolved)
              for name in ("uvicorn", "granian") if extra and name in servers],
        ]
        for spec, paths in others:
            try:
                lives.append(launch(spec, bench, lambda _server, paths=paths: paths, settings))
            except ServerError as exc:
                log(f"  {spec.name} left out: {exc}")
        load_rounds(lives, bench, wrk, settings)
        return [row for live in lives for row in rows_of(live, bench)]
    finally:
        for live in lives:
            live.rss.stop()
            live.server.stop()


def main_ciapi(rows: list[Row]) -> dict[tuple[str, str], Row]:
    """Per (API, endpoint), the ciapi row the ratios compare with: the first, i.e. the --workers variant."""
    out: dict[tuple[str, str], Row] = {}
    for r in rows:
        if r.server.startswith("ciapi"):
            out.setdefault((r.api, r.endpoint), r)
    return out


def render(rows: list[Row], settings: Settings) -> str:
    ciapi = main_ciapi(rows)
    out = []
    for r in rows:
        mine = ciapi.get((r.api, r.endpoint))
        is_main = mine is r
        c64 = r.c64
        out.append([
            r.api, r.endpoint, r.server, num(r.body_bytes),
            num(r.c8.rps), ms(r.c8.p50_ms), ms(r.c8.p99_ms),
            ms(r.c8.worst_pass_p99_ms),
            num(c64.rps) if c64 else "-", ms(c64.p50_ms) if c64 else "-", ms(c64.p99_ms) if c64 else "-",
            ms(r.cpu_ms_per_request), f"{r.others_share:.0%}", num(r.steal_ms),
            num(r.errors), f"{num(r.rss_mib)} ({r.processes})", num(r.rss_process_mib),
            num(r.startup_s, 2) if r.startup_s is not None else "",
            "" if is_main or mine is None else ratio(mine.c8.rps, r.c8.rps),
            "" if is_main or mine is None or not (c64 and mine.c64) else ratio(mine.c64.rps, c64.rps),
        ])
    headers = ["API", "endpoint", "server", "body B",
               "c=8 req/s", "p50 ms", "p99 ms", "worst pass p99 ms", "c=64 req/s", "p50 ms", "p99 ms",
               "CPU ms/req", "others CPU", "steal ms",
               "errors", "peak RSS MiB (procs)", "max/proc MiB", "start-up s", "ciapi ÷ this c=8", "ciapi ÷ this c=64"]
    passes = f"{settings.rounds} interleaved pass{'es' if settings.rounds > 1 else ''}"
    notes = [
        f"wrk -t2 --latency, {passes} of {settings.seconds:.0f} s at 8 connections"
        + (f" and of {settings.seconds_64:.0f} s at 64" if settings.seconds_64 else "")
        + f" per server and endpoint, after a {settings.warmup:.0f} s warm-up. req/s is the mean over the passes; "
        "p50 and p99 are over every request of the passes (wrk's latency histograms of the passes added up), "
        "and worst pass p99 is the highest p99 of a single c=8 pass. All on 127.0.0.1, sharing the machine's "
        "cores with wrk; while one server is loaded the others are frozen (SIGSTOP; not the gunicorn-based ones, "
        "whose master would kill its workers once continued), so that their idle wake-ups do not land in its "
        "figures. ciapi ÷ this compares the first ciapi row of the API with the row's server.",
        "errors = non-2xx answers + connect/timeout errors over all passes (must be 0). body B = bytes of the "
        "answer: Prism sends its spec example (the list example has 1-2 items), ciapi and bare WSGI the stored "
        "records (a page of up to 30).",
        "CPU ms/req = CPU time of the server's processes per request at c=8 (less sensitive to other load "
        "than req/s). others CPU = the largest share of the machine's CPUs that processes other than the "
        "servers, wrk and this harness used during a pass: above a few % the figures are disturbed. steal ms = the "
        "most CPU time the hypervisor took from this virtual machine during one c=8 pass (/proc/stat; 0 on bare "
        "metal): a stall no process here can cause.",
        f"start-up = spawn to first 200, median of {settings.startup_samples}. peak RSS = sum over the process "
        "tree, sampled every 0.25 s while the servers ran; max/proc = the largest per-process peak (VmHWM).",
    ]
    return table("HTTP: ciapi, Prism and bare WSGI on the same spec", headers, out, notes)
