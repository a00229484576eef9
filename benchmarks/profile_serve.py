"""Where ciapi's request time goes: py-spy on ``ciapi serve`` under wrk load, top self and total time.

    python benchmarks/profile_serve.py [--seconds 10] [--endpoint get|list] [--top 25]

Starts the Buildkite mock as the benchmark does (``--workers 2`` when available), loads one endpoint at
8 connections while ``py-spy record --subprocesses`` samples every process, then prints the functions
with the most samples as the innermost frame (self) and anywhere on the stack (total). Needs py-spy
(pip-installed into this venv if missing) and the right to ptrace (root, or ptrace_scope 0).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tools  # noqa: E402
from load import run_wrk  # noqa: E402
from servers import HOST, http_get, start, stop_all  # noqa: E402
from suites import BUILDKITE, ciapi_command, ciapi_server, serve_has_workers  # noqa: E402


def py_spy() -> str:
    if importlib.util.find_spec("py_spy") is None and not shutil.which("py-spy"):
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"], check=True, timeout=600)
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy") or "py-spy"


def _frame(frame: str) -> str:
    """``func (path/to/module.py:123)`` -> ``func (module.py)``: one entry per function, not per line."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rstrip(")")
    parts = Path(file).parts
    short = "/".join(parts[-2:]) if len(parts) > 1 else file
    return f"{name} ({short})"


def summarize(raw: str, top: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        n = int(count)
        samples += n
        own[frames[-1]] += n
        for name in set(frames):
            total[name] += n
    lines = [f"{samples:,} samples (100 per second per busy process)", "", f"top {top} by self time:"]
    lines += [f"  {100 * n / samples:5.1f}%  {name}" for name, n in own.most_common(top)]
    lines += ["", f"top {top} by total time (self + callees), below the server loop (frames in > 90% left out):"]
    below = [(name, n) for name, n in total.most_common() if n <= 0.9 * samples]
    lines += [f"  {100 * n / samples:5.1f}%  {name}" for name, n in below[:top]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--endpoint", choices=["get", "list"], default="get")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--gil", action="store_true",
                        help="only samples holding the GIL (Python CPU), not time blocked in socket calls")
    args = parser.parse_args()
    wrk = tools.ensure_wrk()
    tools.ensure_gunicorn()
    spy = py_spy()
    ciapi = ciapi_command()
    spec = ciapi_server(BUILDKITE, ciapi, 2 if serve_has_workers(ciapi) else None)
    try:
        server, _ = start(spec, 1)
        status, raw = http_get(server.port, BUILDKITE.list_path, BUILDKITE.headers)
        path = BUILDKITE.item_path(json.loads(raw)) if args.endpoint == "get" else BUILDKITE.list_path
        url = f"http://{HOST}:{server.port}{path}"
        run_wrk(wrk, url, BUILDKITE.headers, connections=8, seconds=2)  # warm-up
        out = Path(tempfile.mkstemp(prefix="ciapi-profile-", suffix=".txt")[1])
        load = threading.Thread(target=run_wrk, args=(wrk, url, BUILDKITE.headers),
                                kwargs={"connections": 8, "seconds": args.seconds + 2}, daemon=True)
        load.start()
        subprocess.run([spy, "record", "--pid", str(server.proc.pid), "--subprocesses", "--duration",
                        str(args.seconds), "--rate", "100", "--format", "raw", "--output", str(out), "--nonblocking",
                        *(["--gil"] if args.gil else [])],
                       check=True, capture_output=True, timeout=args.seconds + 60)
        load.join(timeout=args.seconds + 30)
        what = "holding the GIL" if args.gil else "wall time of busy workers, blocking socket calls included"
        print(f"ciapi ({spec.name}) GET {path}, {args.seconds} s at 8 connections; samples: {what}\n")
        print(summarize(out.read_text(), args.top))
        out.unlink(missing_ok=True)
    finally:
        stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
