"""Memory soak: mixed load against ``ciapi serve --workers 2`` for a while, sampling the server's RSS.

Not a test (pytest does not collect it). Linux only (reads /proc). Loopback only. Example:

    python tests/reliability/soak.py --api semaphore --minutes 10

Prints the RSS of the whole server process group (ciapi, the server and its workers) at the start, the end and its
peak, the journal size, and exits 1 if the end RSS grew more than ``--max-growth`` (default 25%) over the
RSS measured after the first minute's warm-up, or if the load found a problem.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_apis import DRIVERS  # noqa: E402
from load_drivers import Ledger, run_load  # noqa: E402


def group_rss_kib(pgid: int) -> int:
    """The summed VmRSS of every process in the process group ``pgid``."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total


def start_server(api: str, workers: int) -> tuple[subprocess.Popen[str], str]:
    script = Path(sys.executable).with_name("ciapi")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]
    process = subprocess.Popen([*command, "serve", "--api", api, "--port", "0", "--workers", str(workers),
                                "--clock", "manual"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    assert process.stdout is not None
    for line in process.stdout:
        match = re.match(rf"^{api}\s+(http://[^/\s]+)", line)
        if match:
            url = match.group(1)
        if line.startswith("Press Ctrl+C"):
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore
            return process, url
    raise SystemExit("ciapi serve did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", choices=sorted(DRIVERS), default="semaphore")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-growth", type=float, default=0.25, help="allowed RSS growth after warm-up")
    args = parser.parse_args()

    process, url = start_server(args.api, args.workers)
    samples: list[tuple[float, int]] = []
    done = threading.Event()
    problems: list[str] = []
    rounds = 0

    def load() -> None:
        nonlocal rounds
        while not done.is_set():
            ledger = Ledger()
            run_load(DRIVERS[args.api](url, ledger), threads=args.threads, ops=50,
                     advance=lambda s: requests.post(url + "/_mock/clock", json={"advance": s}, timeout=15) and None)
            problems.extend(ledger.problems)
            rounds += 1
            requests.post(url + "/_mock/clock", json={"advance": 3600}, timeout=15)

    started = time.monotonic()
    loader = threading.Thread(target=load, daemon=True)
    try:
        loader.start()
        while time.monotonic() - started < args.minutes * 60:
            samples.append((time.monotonic() - started, group_rss_kib(process.pid)))
            time.sleep(1)
        done.set()
        loader.join(timeout=120)
        journal = requests.get(url + "/_mock/requests?limit=0", timeout=15).json()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    warm = next((rss for t, rss in samples if t >= min(60.0, args.minutes * 30)), samples[0][1])
    start, end, peak = samples[0][1], samples[-1][1], max(rss for _, rss in samples)
    print(f"{args.api}: {rounds} load rounds of {args.threads}x50 operations in {args.minutes:g} min")
    print(f"RSS (KiB, whole process group): start {start}, after warm-up {warm}, end {end}, peak {peak}")
    print(f"journal: {journal['total']} entries (capacity {journal['capacity']}); load problems: {len(problems)}")
    for problem in problems[:10]:
        print("  " + problem)
    grew = (end - warm) / warm if warm else 0.0
    print(f"growth after warm-up: {grew:+.1%} (allowed {args.max_growth:.0%})")
    return 1 if problems or grew > args.max_growth else 0


if __name__ == "__main__":
    raise SystemExit(main())
