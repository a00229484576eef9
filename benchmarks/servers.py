"""Starting, probing, measuring and stopping the servers under test (all on 127.0.0.1).

Every server runs in its own process group, so stopping it stops its workers too; every process
started here is registered and `stop_all()` (called on exit, errors and Ctrl+C) ends what is left.
"""

from __future__ import annotations

import http.client
import os
import resource
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds a server may take to answer its first 200
_LIVE: set[Running] = set()
LOG_DIR = Path(tempfile.mkdtemp(prefix="ciapi-bench-"))


class ServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: ``argv`` may contain ``{port}``; ``probe`` is a path answered with 200."""

    name: str
    argv: Sequence[str]
    probe: str
    headers: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    env: Mapping[str, str] | None = None
    #: frozen (SIGSTOP) while another server is loaded; not gunicorn, whose master kills the workers that have
    #: not checked in for its timeout (30 s) the moment it is continued
    freezable: bool = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, headers: Mapping[str, str], timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=dict(headers))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class Running:
    """A started server: its process group, port and log file."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.port = free_port()
        argv = [a.replace("{port}", str(self.port)) for a in spec.argv]
        self.log = LOG_DIR / f"{spec.name.replace(' ', '_').replace('/', '_')}-{self.port}.log"
        env = {**os.environ, **(spec.env or {})}
        with self.log.open("wb") as out:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(argv, cwd=spec.cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        _LIVE.add(self)

    def wait_ready(self) -> float:
        """Seconds from spawn to the first 200 on the probe path (polls every 5 ms, bounded)."""
        deadline = self.started + START_TIMEOUT
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.spec.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                status, _ = http_get(self.port, self.spec.probe, self.spec.headers, timeout=2.0)
                if status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.005)
        raise ServerError(f"{self.spec.name} did not answer 200 on {self.spec.probe} within {START_TIMEOUT:.0f} s:\n"
                          f"{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid)

    def pause(self) -> None:
        """Freeze the whole server (SIGSTOP to its process group) while another one is measured: an idle
        server's wake-ups (timers, heartbeats) otherwise take a core from the one under load at random moments,
        which shows as stalls in its p99."""
        if self.spec.freezable and self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        _signal_group(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.resume()  # a frozen process would not act on SIGTERM until continued
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        _signal_group(self.proc.pid, signal.SIGKILL)  # workers that outlived their master
        _LIVE.discard(self)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all() -> None:
    for server in list(_LIVE):
        server.stop()


def start(spec: ServerSpec, samples: int) -> tuple[Running, list[float]]:
    """Start the server ``samples`` times, measuring spawn-to-first-200; the last one keeps running."""
    times: list[float] = []
    for i in range(samples):
        server = Running(spec)
        try:
            times.append(server.wait_ready())
        except BaseException:
            server.stop()
            raise
        if i < samples - 1:
            server.stop()
    return server, times


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- memory ---------------------------------------------------------------------------------------
def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- CPU -------------------------------------------------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


def machine_cpu_s() -> tuple[float, float]:
    """(CPU seconds spent by processes on the whole machine: user + nice + system, not irq, softirq or idle;
    CPU seconds the hypervisor ran something else while this virtual machine had work: "steal", 0 on bare
    metal), from the first line of /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    return (fields[0] + fields[1] + fields[2]) / TICK, (fields[7] / TICK if len(fields) > 7 else 0.0)


def _tree_cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().decode(errors="replace").rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


def _own_cpu_s() -> float:
    """This harness and the children it has waited for (wrk)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass(frozen=True)
class CpuUse:
    server_s: float  # CPU seconds of the server's process tree
    others_share: float  # share of the machine's CPUs used by processes other than server, wrk and harness
    steal_s: float = 0.0  # CPU seconds the hypervisor took from this machine during the pass


def cpu_of(server: Running, action: Callable[[], T]) -> tuple[T, CpuUse]:
    """Run ``action`` (a wrk pass) and account the CPU it cost the server and what other processes took."""
    pids = server.pids()
    (busy, steal), tree, own = machine_cpu_s(), _tree_cpu_s(pids), _own_cpu_s()
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    d_tree = _tree_cpu_s(pids) - tree
    busy_after, steal_after = machine_cpu_s()
    others = busy_after - busy - d_tree - (_own_cpu_s() - own)
    return result, CpuUse(d_tree, max(0.0, others) / (elapsed * CPUS), steal_after - steal)


def others_share_now(window: float = 0.5) -> float:
    """Share of the CPUs that other processes use right now (call with no server of ours running)."""
    (busy, _), own = machine_cpu_s(), _own_cpu_s()
    time.sleep(window)
    return max(0.0, machine_cpu_s()[0] - busy - (_own_cpu_s() - own)) / (window * CPUS)


class QuietGate:
    """Waits, before each server, until other processes use under ``limit`` of the CPUs; ``budget_s`` in all."""

    def __init__(self, budget_s: float, limit: float = 0.15) -> None:
        self.budget_s = budget_s
        self.limit = limit
        self.waited_s = 0.0

    def wait(self) -> float:
        """Returns the share other processes used at the last look."""
        share = others_share_now()
        while share > self.limit and self.waited_s < self.budget_s:
            time.sleep(1.5)
            self.waited_s += 2.0
            share = others_share_now()
        return share


class RssSampler:
    """Samples the RSS of a server's process tree every 0.25 s in a thread: peak sum, processes, peak per process."""

    def __init__(self, server: Running) -> None:
        self.server = server
        self.peak_mib = 0.0
        self.processes = 0
        self.peak_process_mib = 0.0
        self._pids: list[int] = []
        self._samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        if self._samples % 20 == 0:  # the tree rarely changes: look it up every 5 s
            self._pids = self.server.pids()
        self._samples += 1
        rss = {p: _status_kib(p, "VmRSS") for p in self._pids}
        live = [p for p, kib in rss.items() if kib]
        total = sum(rss.values()) / 1024
        if total > self.peak_mib:
            self.peak_mib, self.processes = total, len(live)
        self.peak_process_mib = max([self.peak_process_mib, *(_status_kib(p, "VmHWM") / 1024 for p in live)])

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.sample()

    def start(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(timeout=2)
            self._samples = 0
            self.sample()
