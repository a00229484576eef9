"""Fixtures shared by every test area: real ``ciapi serve`` processes on loopback."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def ciapi_command() -> list[str]:
    """The installed ``ciapi`` script next to this interpreter, else ``python -m mock_server``."""
    script = Path(sys.executable).with_name("ciapi")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


@dataclass
class ServedProcess:
    process: subprocess.Popen[str]
    urls: dict[str, str]  # api -> base URL (scheme://host:port)
    banner: str

    @property
    def url(self) -> str:
        return next(iter(self.urls.values()))


def start_serve(args: list[str], *, command: list[str] | None = None, cwd: Path | None = None,
                env: dict[str, str] | None = None, timeout: float = 30.0) -> ServedProcess:
    """Run ``ciapi serve ARGS`` and wait until every API it prints answers /_mock/health."""
    process = subprocess.Popen([*(command or ciapi_command()), "serve", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=cwd, env=env)
    assert process.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line)
        if line.startswith("Press Ctrl+C"):
            break
    urls = {m.group(1): m.group(2) for line in banner if (m := re.match(r"^(\S+)\s+(http://[^/\s]+)", line))}
    if not urls:
        process.kill()
        raise AssertionError("ciapi serve did not start:\n" + "".join(banner) + (process.stdout.read() or ""))
    for url in urls.values():
        with urllib.request.urlopen(url + "/_mock/health", timeout=10) as resp:
            assert json.loads(resp.read())["status"] == "ok"
    # keep draining output so the server never blocks on a full pipe
    import threading

    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    return ServedProcess(process, urls, "".join(banner))


@pytest.fixture
def serve() -> Iterator[Callable[..., ServedProcess]]:
    """Start ``ciapi serve`` processes; they are stopped after the test."""
    started: list[ServedProcess] = []

    def run(*args: str, **kwargs: object) -> ServedProcess:
        served = start_serve(list(args), **kwargs)  # type: ignore[arg-type]
        started.append(served)
        return served

    yield run
    for served in started:
        served.process.terminate()
        try:
            served.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            served.process.kill()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave files for people to look at (``test-artifacts/``, kept by CI)."""
    path = Path(os.environ.get("CIAPI_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


@pytest.fixture
def ciapi_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the ``ciapi`` command: ``ciapi_cli("check", "buildkite", ..., cwd=tmp_path)``."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ciapi_command(), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)

    return run
