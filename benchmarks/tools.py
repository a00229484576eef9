"""Installs what the benchmarks need, each only when missing: Prism (npm, local), wrk (Debian), gunicorn (pip)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = HERE / ".tools"
PRISM_PACKAGE = "@stoplight/prism-cli@5.14.2"  # the version behind issue 7's reference figures
PRISM_BIN = TOOLS / "node_modules" / ".bin" / "prism"


class ToolError(RuntimeError):
    pass


def _run(cmd: list[str], what: str, timeout: float = 600, env: dict[str, str] | None = None) -> None:
    print(f"  installing {what}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolError(f"cannot install {what}: {exc}") from None
    if done.returncode != 0:
        raise ToolError(f"cannot install {what} (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def ensure_prism() -> list[str]:
    """The command that runs Prism, installed into benchmarks/.tools with the machine's node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise ToolError("Prism needs node and npm on PATH (e.g. `apt-get install -y nodejs npm`)")
    if not PRISM_BIN.exists():
        TOOLS.mkdir(exist_ok=True)
        _run([npm, "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--loglevel=error", PRISM_PACKAGE],
             "Prism")
    return [str(PRISM_BIN)]


def ensure_wrk() -> str:
    """Path of wrk; installs Debian's package (as root) when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if not apt:
        raise ToolError("wrk is missing and there is no apt-get: install wrk by hand")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run([*prefix, apt, "update"], "the Debian package lists", env=env)
    _run([*prefix, apt, "install", "-y", "wrk"], "wrk", env=env)
    found = shutil.which("wrk")
    if not found:
        raise ToolError("apt-get installed wrk but it is not on PATH")
    return found


def ensure_gunicorn() -> str:
    """Path of gunicorn in the running Python's environment; pip-installs it there if missing."""
    if importlib.util.find_spec("gunicorn") is None:
        _run([sys.executable, "-m", "pip", "install", "--quiet", "gunicorn"], "gunicorn")
        importlib.invalidate_caches()
    script = Path(sys.executable).parent / "gunicorn"
    return str(script) if script.exists() else shutil.which("gunicorn") or "gunicorn"


def ensure_all() -> dict[str, list[str] | str]:
    print("Checking tools (Prism, wrk, gunicorn)...", file=sys.stderr, flush=True)
    return {"prism": ensure_prism(), "wrk": ensure_wrk(), "gunicorn": ensure_gunicorn()}
