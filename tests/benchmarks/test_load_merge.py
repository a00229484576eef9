"""The benchmark harness's merging of wrk passes: percentiles over every request, as wrk computes them."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from load import merged, parse_wrk, percentile_ms  # noqa: E402

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:1/x
  2 threads and 8 connections
  Latency Distribution
     50%  {p50}
     75%  1.00ms
     90%  1.00ms
     99%  {p99}
  {n} requests in 5.00s, 1.00MB read
Requests/sec:  {rps}
Transfer/sec:      1.00MB
ciapi-latency-histogram
{histogram}
ciapi-latency-histogram-end
"""


def _pass(latencies_us: list[int], rps: float) -> str:
    counts: dict[int, int] = {}
    for value in latencies_us:
        counts[value] = counts.get(value, 0) + 1
    lines = "\n".join(f"{value} {count}" for value, count in sorted(counts.items()))
    ordered = sorted(latencies_us)
    return WRK_OUTPUT.format(p50=f"{ordered[len(ordered) // 2] / 1000:.2f}ms",
                             p99=f"{ordered[int(len(ordered) * 0.99)] / 1000:.2f}ms",
                             n=len(latencies_us), rps=rps, histogram=lines)


def _nearest_rank(values: list[int], p: float) -> float:
    ordered = sorted(values)
    rank = int(p / 100 * len(ordered) + 0.5)
    return ordered[max(rank, 1) - 1] / 1000


def test_parse_reads_the_histogram() -> None:
    result = parse_wrk(_pass([100, 100, 250, 4000], 10.0), 8)
    assert result.histogram == ((100, 2), (250, 1), (4000, 1))
    assert result.requests == 4


def test_percentiles_pool_every_request_of_every_pass() -> None:
    rng = random.Random(7)
    quiet = [rng.randint(500, 2000) for _ in range(9000)]
    stalled = [rng.randint(500, 2000) for _ in range(8880)] + [rng.randint(12000, 40000) for _ in range(120)]
    passes = [parse_wrk(_pass(quiet, 1000.0), 8), parse_wrk(_pass(stalled, 3000.0), 8)]
    both = merged(passes)
    assert both.requests == 18000
    assert both.rps == 2000.0
    assert both.p99_ms == _nearest_rank(quiet + stalled, 99)
    assert both.p50_ms == _nearest_rank(quiet + stalled, 50)
    assert both.worst_pass_p99_ms == passes[1].p99_ms > 10  # the stalled pass on its own
    assert both.p99_ms < 10  # 1.3% of that pass, 0.67% of all requests


def test_a_pass_that_got_no_answer_adds_nothing_but_its_errors() -> None:
    answered = parse_wrk(_pass([1000, 2000], 2.0), 8)
    silent = parse_wrk("""  Latency Distribution
     50%    0.00us
     99%    0.00us
  0 requests in 5.00s, 0.00B read
  Socket errors: connect 0, read 0, write 0, timeout 8
Requests/sec:      0.00
ciapi-latency-histogram
ciapi-latency-histogram-end
""", 8)
    both = merged([answered, silent])
    assert silent.histogram == () and both.requests == 2 and both.socket_errors == 8
    assert both.p99_ms == 2.0 and both.worst_pass_p99_ms == answered.p99_ms


def test_a_pass_without_its_histogram_is_an_error() -> None:
    bare = parse_wrk(_pass([100], 1.0).split("ciapi-latency-histogram")[0], 8)
    assert bare.histogram == ()
    with pytest.raises(ValueError, match="without its latency histogram"):
        merged([bare])
    with pytest.raises(ValueError, match="empty"):
        percentile_ms([], 99)
