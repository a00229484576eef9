"""What is loaded: per API, the two endpoints (get one, list) and the servers that answer them."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servers import HOST, ServerSpec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOKEN = "bench-token"


@dataclass(frozen=True)
class ApiBench:
    label: str
    api: str  # the ciapi API name
    spec: str  # the spec file Prism serves (relative to the repo)
    scheme: str  # Authorization scheme
    list_path: str
    prism_get_path: str  # a path answered with the spec's example (Prism accepts any token)
    item_path: Callable[[Any], str]  # the ciapi get path, from ciapi's parsed list body

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"{self.scheme} {TOKEN}"}


def _buildkite_item(body: list[dict[str, Any]]) -> str:
    agent = next((a for a in body if a.get("job")), body[0])  # one running a job, like the spec's example
    return f"/v2/organizations/my-great-org/agents/{agent['id']}"


def _semaphore_item(body: dict[str, Any]) -> str:
    return f"/api/v1alpha/agents/{body['agents'][0]['metadata']['name']}"


BUILDKITE = ApiBench(
    label="Buildkite", api="buildkite", spec="openapi/buildkite.yaml", scheme="Bearer",
    list_path="/v2/organizations/my-great-org/agents",
    prism_get_path="/v2/organizations/my-great-org/agents/0b461f65-e7be-4c80-888a-ef11d81fd971",
    item_path=_buildkite_item,
)


def semaphore_v1alpha() -> ApiBench | None:
    """The Semaphore v1alpha bench (describeAgent, listAgents), if its spec and its mock exist in this checkout."""
    sys.path.insert(0, str(ROOT))
    from contract_tests.catalog import API_NAMES, get_api

    spec = "semaphore-v1alpha.yaml"
    if not (ROOT / "openapi" / spec).exists():
        return None
    for name in API_NAMES:
        info = get_api(name)
        if spec in info.spec_files and importlib.util.find_spec(f"mock_server.apis.{info.key}") is not None:
            return ApiBench(
                label="Semaphore v1alpha", api=name, spec=f"openapi/{spec}", scheme="Token",
                list_path="/api/v1alpha/agents?page_size=30",
                prism_get_path="/api/v1alpha/agents/tE77rxu2gHy2clIe4tHV",
                item_path=_semaphore_item,
            )
    return None


# --- the servers ----------------------------------------------------------------------------------
def ciapi_command() -> list[str]:
    script = Path(sys.executable).parent / "ciapi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


def serve_has_workers(ciapi: Sequence[str]) -> bool:
    done = subprocess.run([*ciapi, "serve", "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    return "--workers" in done.stdout


def serve_servers(ciapi: Sequence[str]) -> list[str]:
    """The --server choices of this checkout's ``ciapi serve`` (none before it had the option)."""
    done = subprocess.run([*ciapi, "serve", "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    return [name for name in ("uvicorn", "granian", "gunicorn") if "--server" in done.stdout and name in done.stdout]


def ciapi_server(bench: ApiBench, ciapi: Sequence[str], workers: int | None, server: str | None = None
                 ) -> ServerSpec:
    """``ciapi serve`` with ``--workers`` (and ``--server`` when given), or in one process."""
    argv = [*ciapi, "serve", "--api", bench.api, "--clock", "manual", "--host", HOST, "--port", "{port}",
            "--token", TOKEN]
    if workers:
        argv += ["--workers", str(workers)]
    if server:
        argv += ["--server", server]
    name = (f"ciapi --workers {workers}" + (f" ({server})" if server else "")) if workers else "ciapi (1 process)"
    return ServerSpec(name=name, argv=argv, probe=bench.list_path, headers=bench.headers, cwd=str(ROOT),
                      freezable=server != "gunicorn")


def prism_server(bench: ApiBench, prism: Sequence[str], silent: bool) -> ServerSpec:
    argv = [*prism, "mock", bench.spec, "-h", HOST, "-p", "{port}"]
    if silent:
        argv += ["-v", "silent"]
    name = "Prism -v silent" if silent else "Prism (default logging)"
    return ServerSpec(name=name, argv=argv, probe=bench.list_path, headers=bench.headers, cwd=str(ROOT))


#: the bare server issue 7 calls the machine's ceiling, which the ">= 50% of bare WSGI" target divides by
BARE_CEILING = "bare WSGI (gunicorn -w 2)"
BARE_GRANIAN = "bare WSGI (granian -w 2)"
BARE_UVICORN = "bare WSGI (uvicorn -w 2)"


def bare_server(bench: ApiBench, server: str, bodies: dict[str, str], folder: Path) -> ServerSpec:
    """A bare WSGI app answering the bodies ciapi sent, path for path: under gunicorn -w 2 (sync), the
    issue's ceiling; or under uvicorn -w 2 (the app inline on the event loop) or granian -w 2 (one app thread per
    worker), the servers ``ciapi serve --workers`` runs under."""
    bodies_file = folder / f"bodies-{bench.api}.json"
    bodies_file.write_text(json.dumps(bodies))
    bindir = Path(sys.executable).parent
    if server == "gunicorn":
        argv = [str(bindir / "gunicorn"), "-w", "2", "-b", f"{HOST}:{{port}}", "--chdir", str(HERE),
                "--log-level", "warning", "bare_wsgi:app"]
        name = BARE_CEILING
    elif server == "uvicorn":
        argv = [str(bindir / "uvicorn"), "--workers", "2", "--http", "httptools", "--no-access-log",
                "--no-proxy-headers", "--no-server-header", "--log-level", "warning", "--host", HOST,
                "--port", "{port}", "bare_wsgi:asgi"]
        name = BARE_UVICORN
    else:
        argv = [str(bindir / "granian"), "--interface", "wsgi", "--workers", "2", "--blocking-threads", "1",
                "--runtime-threads", "1", "--host", HOST, "--port", "{port}", "--log-level", "warning",
                "bare_wsgi:app"]
        name = BARE_GRANIAN
    probe = bench.list_path.split("?")[0]
    env = {"CIAPI_BENCH_BODIES": str(bodies_file)}
    # not uvicorn's: its supervisor pings the workers with a timeout, which a freeze of both would run out
    return ServerSpec(name=name, argv=argv, probe=probe, cwd=str(HERE), env=env,
                      freezable=server == "granian")
