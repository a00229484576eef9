"""HTTP load with wrk (``-t2 --latency``), parsed into requests/s and latency percentiles.

Each pass also brings back wrk's whole latency histogram (``wrk_histogram.lua``), so that several passes can be
merged and their percentiles taken over every request they sent (:func:`merged`), as one longer pass would give.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
HISTOGRAM_SCRIPT = Path(__file__).resolve().parent / "wrk_histogram.lua"
_HISTOGRAM = re.compile(r"^ciapi-latency-histogram\n(.*?)^ciapi-latency-histogram-end$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class LoadResult:
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    #: wrk's latency histogram of the pass: (microseconds, number of requests), by increasing latency
    histogram: tuple[tuple[int, int], ...] = field(default=(), repr=False)
    #: the largest p99 of a single pass, when this result merges several
    worst_pass_p99_ms: float | None = None


def percentile_ms(histogram: Iterable[tuple[int, int]], p: float) -> float:
    """The ``p``-th percentile of a (microseconds, count) histogram, computed as wrk computes it."""
    pairs = sorted(histogram)
    total = sum(count for _, count in pairs)
    if not total:
        raise ValueError("an empty latency histogram has no percentiles")
    rank = math.floor(p / 100.0 * total + 0.5)
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value / 1000.0
    return pairs[-1][0] / 1000.0


def merged(results: list[LoadResult]) -> LoadResult:
    """Several passes as one: req/s averaged over the passes; p50 and p99 over every request of every pass
    (their histograms added up), with the worst single pass's p99 kept beside them."""
    if not results:
        raise ValueError("no passes to merge")
    histogram: Counter[int] = Counter()
    for result in results:
        if result.requests and not result.histogram:
            raise ValueError("a wrk pass came back without its latency histogram")
        histogram.update(dict(result.histogram))  # a pass with no answer adds none (its errors still count)
    pairs = tuple(sorted(histogram.items()))
    return LoadResult(
        connections=results[0].connections,
        rps=sum(r.rps for r in results) / len(results),
        p50_ms=percentile_ms(pairs, 50.0) if pairs else math.nan,
        p99_ms=percentile_ms(pairs, 99.0) if pairs else math.nan,
        requests=sum(r.requests for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        histogram=pairs,
        worst_pass_p99_ms=max((r.p99_ms for r in results if r.requests), default=math.nan),
    )


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"cannot read wrk's duration {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str, connections: int) -> LoadResult:
    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match:
            return match[1]
        if default is None:
            raise ValueError(f"wrk's output has no {pattern!r}:\n{output}")
        return default

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    found = _HISTOGRAM.search(output)
    histogram = tuple((int(value), int(count)) for value, count in
                      (line.split() for line in found[1].splitlines())) if found else ()
    return LoadResult(
        connections=connections,
        rps=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)")),
        p99_ms=_ms(find(r"^\s+99%\s+(\S+)")),
        requests=int(find(r"^\s+(\d+) requests in")),
        non_2xx=int(find(r"^\s+Non-2xx or 3xx responses: (\d+)", "0")),
        # wrk counts each closed keep-alive connection of a server that closes after every response as a
        # read error on some versions; connect and timeout errors are the ones that matter
        socket_errors=int(errors[1]) + int(errors[4]) if errors else 0,
        histogram=histogram,
    )


def run_wrk(wrk: str, url: str, headers: Mapping[str, str], *, connections: int, seconds: float,
            threads: int = 2) -> LoadResult:
    """One bounded wrk pass against ``url`` (loopback only)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"loads go to 127.0.0.1 only, not {url}")
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s",
            "-s", str(HISTOGRAM_SCRIPT)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout, connections)
