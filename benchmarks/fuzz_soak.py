"""Fuzz every API's mock with schemathesis (positive and negative cases) through ciapi's own suite.

Usage: ``python benchmarks/fuzz_soak.py [--seed N] [--cases 1000] [--api NAME ...]``

Each API's mock runs in strict mode on a loopback port; the suite's fuzzing phase generates cases for every
operation until the API has had at least ``--cases`` of them (rounds of growing seeds). Prints one row per API:
cases, operations, 5xx responses, spec violations the mock found in its own answers, and the suite's findings.
Exits 1 if any API had a 5xx, a violation or a finding.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contract_tests.catalog import API_NAMES  # noqa: E402
from contract_tests.checks import ENGINE_CHECKS  # noqa: E402
from contract_tests.report.model import ConformanceReport  # noqa: E402
from contract_tests.runner import RunOptions, run_conformance  # noqa: E402
from contract_tests.targets import Target  # noqa: E402
from mock_server import MockServer  # noqa: E402

TOKEN = "ciapi-fuzz-token"


@dataclass
class FuzzResult:
    api: str
    cases: int = 0
    operations: int = 0
    server_errors: int = 0
    violations: list[dict[str, object]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rounds: int = 0
    elapsed: float = 0.0

    @property
    def clean(self) -> bool:
        return not (self.server_errors or self.violations or self.findings or self.errors)


def fuzz_api(api: str, *, seed: int, cases: int, max_examples: int = 50, workers: int = 1) -> FuzzResult:
    """Fuzz ``api``'s mock until it has answered at least ``cases`` generated requests (one round per seed)."""
    result = FuzzResult(api=api)
    started = time.monotonic()
    with MockServer(api=api, token=TOKEN, strict=True) as mock:
        options = dict(checks=ENGINE_CHECKS, phases=("fuzzing",), max_examples=max_examples, workers=workers)
        while result.cases < cases:
            run = RunOptions(seed=seed + result.rounds, **options)  # type: ignore[arg-type]
            report = ConformanceReport.from_events(run_conformance(Target(api=api, base_url=mock.url, token=TOKEN),
                                                                   run))
            observed = report.observed
            result.rounds += 1
            result.operations = max(result.operations, len(observed))
            round_cases = sum(sum(counter.values()) for counter in observed.values())
            result.cases += round_cases
            result.server_errors += sum(n for counter in observed.values() for s, n in counter.items() if s >= 500)
            result.findings += [f"{f.check} {f.operation}: {f.title}" for f in report.findings]
            result.errors += [e.message for e in report.errors]
            mock.reset()  # fresh fixtures for the next round; the violations list is kept below
            if round_cases == 0:
                result.errors.append("a round generated no cases")
                break
        result.violations = list(mock.violations)
    result.elapsed = time.monotonic() - started
    return result


def table(results: list[FuzzResult], seed: int) -> str:
    lines = [f"seed {seed}",
             f"{'API':<14} {'cases':>7} {'ops':>4} {'rounds':>6} {'5xx':>5} {'violations':>10} {'findings':>8} "
             f"{'errors':>6} {'seconds':>8}"]
    for r in results:
        lines.append(f"{r.api:<14} {r.cases:>7} {r.operations:>4} {r.rounds:>6} {r.server_errors:>5} "
                     f"{len(r.violations):>10} {len(r.findings):>8} {len(r.errors):>6} {r.elapsed:>8.1f}")
    for r in results:
        for line in [*r.findings, *(str(v) for v in r.violations), *r.errors][:20]:
            lines.append(f"  {r.api}: {line}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--cases", type=int, default=1000, help="minimum cases per API (default 1000)")
    parser.add_argument("--max-examples", type=int, default=50, help="cases per operation and round")
    parser.add_argument("--api", action="append", choices=API_NAMES, help="only these APIs (repeatable)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    results = [fuzz_api(api, seed=args.seed, cases=args.cases, max_examples=args.max_examples)
               for api in (args.api or API_NAMES)]
    print(table(results, args.seed))
    return 0 if all(r.clean for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
