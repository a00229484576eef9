"""``ciapi``: the one command. Each subcommand is a thin layer over a library call."""

from __future__ import annotations

import logging
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from contract_tests.catalog import API_NAMES, get_api
from mock_server.serving import SERVERS

__all__ = ["main"]


class _Commands(click.Group):
    """The subcommands, with ``check`` and ``proxy`` imported on first use (they load schemathesis, which
    ``ciapi serve`` never needs: a third of its start-up time)."""

    lazy = {"check": ("contract_tests.cli", "check"), "proxy": ("contract_tests.proxy_cli", "proxy")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, attribute = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ciapi")
def main() -> None:
    """Stateful mock servers and conformance checks for the HTTP APIs of CI services."""


@main.command()
def apis() -> None:
    """List the APIs ciapi knows, with their specs and base paths."""
    rows = [("API", "SPEC", "BASE PATH", "DEFAULT PORT")]
    for name in API_NAMES:
        info = get_api(name)
        for i, path in enumerate(info.spec_paths):
            rows.append((name if i == 0 else "", str(path), ", ".join(info.base_paths), str(info.default_port)))
    _table(rows)


@main.command()
@click.option("--api", "api_names", multiple=True, type=click.Choice(API_NAMES),
              help="API to serve (repeatable). Default: every API, each on its own port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (0 picks a free one). With several APIs, the first; the others follow it. "
                   "Default: each API's own port (see `ciapi apis`).")
@click.option("--fixtures", "fixture_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Fixture file to seed from instead of the API's defaults (repeatable). Needs a single --api.")
@click.option("--token", "tokens", multiple=True, help="Add a token with full access to everything (repeatable).")
@click.option("--clock", type=click.Choice(["real", "manual"]), default="real", show_default=True,
              help="real: time passes (see --clock-speed); manual: only POST /_mock/clock moves it.")
@click.option("--clock-speed", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="How much faster than wall time the real clock runs.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes. Above 1 the mock runs under --server and the workers share a SQLite store.")
@click.option("--server", type=click.Choice(["werkzeug", *SERVERS]), default=None,
              help="HTTP server. Default: werkzeug (threads, one process) with one worker, uvicorn (one thread "
                   "per worker, keep-alive) with more. granian is as fast but cannot inject the 'reset' fault; "
                   "gunicorn (sync workers, a connection per request) is slower.")
@click.option("--store", default=None, metavar="memory|sqlite:PATH",
              help="Where the state lives. Default: memory with one worker, a temporary SQLite file with more. "
                   "An existing SQLite file is resumed as it is (with several APIs, one file each: PATH-<api>).")
@click.option("--strict/--no-strict", default=False, show_default=True,
              help="Answer 500 instead of a response that breaks the spec (always logged and flagged in the "
                   "X-Ciapi-Violations header).")
@click.option("--fault", "faults", multiple=True, metavar="[OPERATION:]FAULT[,p=P][,times=N]",
              help="Inject a fault (repeatable): latency=200ms, latency=100ms..2s, status=503, status=429 (the "
                   "API's rate-limit answer; retry-after=S), reset or truncate; for one operationId or the whole "
                   "API, e.g. 'getAgent:status=503,p=0.5'. POST /_mock/reset brings back these and only these.")
@click.option("--fault-seed", type=int, default=None,
              help="Seed of the faults' random draws: the same seed and requests give the same faults.")
@click.option("--admin-token", default=None, envvar="CIAPI_ADMIN_TOKEN", metavar="TOKEN",
              help="Open the admin plane (/_mock/) to requests sending 'Authorization: Bearer TOKEN', and only to "
                   "them. Without it /_mock/ answers only on loopback; needed to serve on another address.")
def serve(api_names: tuple[str, ...], host: str, port: int | None, fixture_files: tuple[Path, ...],
          tokens: tuple[str, ...], clock: str, clock_speed: float, workers: int, store: str | None,
          strict: bool, faults: tuple[str, ...] = (), fault_seed: int | None = None,
          admin_token: str | None = None, server: str | None = None) -> None:
    """Serve mock APIs until interrupted."""
    from mock_server.admin import is_loopback
    from mock_server.app import create_app
    from mock_server.seeding import FixtureError

    if not admin_token and not is_loopback(host):
        raise click.UsageError(f"refusing to serve on {host}, which is not a loopback address, without "
                               "--admin-token: anyone who can reach it could reset, reseed or read the mock "
                               "through /_mock/. Pass --admin-token TOKEN (or bind 127.0.0.1).")
    names = list(api_names or API_NAMES)
    if fixture_files and len(api_names) != 1:
        raise click.UsageError("--fixtures needs exactly one --api")
    server = server or ("werkzeug" if workers == 1 else SERVERS[0])
    if server == "werkzeug" and workers > 1:
        raise click.UsageError("werkzeug serves from one process: use --server uvicorn, granian or gunicorn "
                               "for --workers")
    fault_rules = _faults_per_api(faults, names)
    if server == "granian" and any("reset" in rules for rules in _fault_kinds(fault_rules)):
        raise click.BadParameter(NO_RESET_UNDER_GRANIAN, param_hint="--fault")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="ciapi-") as scratch:
        apps = []
        for i, name in enumerate(names):
            try:
                app = create_app(name, fixtures=list(fixture_files) or None, tokens=tokens, clock=clock,
                                 clock_speed=clock_speed, strict=strict,
                                 store=_store_for(name, store, workers, len(names), Path(scratch)),
                                 faults=fault_rules[name], fault_seed=fault_seed, admin_token=admin_token)
            except FixtureError as exc:
                raise click.ClickException(str(exc)) from None
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--store") from None
            apps.append((name, app, get_api(name).default_port if port is None else (port + i if port else 0)))
        if server == "gunicorn":
            from mock_server.serving import run_gunicorn

            run_gunicorn(apps, host=host, workers=workers,
                         on_ready=lambda bound: _print_servers(bound, host, tokens, workers, server))
            return
        if server in ("uvicorn", "granian"):
            from mock_server.serving import run_granian, run_uvicorn

            if server == "granian":
                from mock_server.dashboard import get_faults

                for _, app, _ in apps:
                    get_faults(app).refused["reset"] = NO_RESET_UNDER_GRANIAN
            run = run_uvicorn if server == "uvicorn" else run_granian
            try:
                run(apps, host=host, workers=workers,
                    on_ready=lambda bound: _print_servers(bound, host, tokens, workers, server))
            except OSError as exc:
                raise click.ClickException(f"cannot serve on {host}: {exc.strerror or exc}") from None
            return
        servers = _bind(apps, host)
        _print_servers([(name, server.app, server.server_port) for name, server in servers], host, tokens, 1)
        _run_until_interrupted([server for _, server in servers])


def _store_for(name: str, store: str | None, workers: int, count: int, scratch: Path) -> str:
    if store is None:
        return "memory" if workers == 1 else f"sqlite:{scratch / (get_api(name).key + '.db')}"
    if store == "memory":
        if workers > 1:
            raise click.BadParameter("several workers cannot share a memory store: use sqlite:PATH",
                                     param_hint="--store")
        return store
    if store.startswith("sqlite:") and count > 1:
        path = Path(store[len("sqlite:"):])
        return f"sqlite:{path.with_name(f'{path.stem}-{get_api(name).key}{path.suffix}')}"
    return store


def _bind(apps: list[tuple[str, Any, int]], host: str) -> list[tuple[str, Any]]:
    from werkzeug.serving import make_server

    servers: list[tuple[str, Any]] = []
    for name, app, wanted in apps:
        try:
            servers.append((name, make_server(host, wanted, app, threaded=True)))
        except (OSError, SystemExit) as exc:  # werkzeug exits on a busy port after saying so
            for _, server in servers:
                server.server_close()
            reason = exc.strerror if isinstance(exc, OSError) else "the address is in use"
            raise click.ClickException(f"cannot serve {name} on {host}:{wanted}: {reason}") from None
    return servers


def _print_servers(servers: list[tuple[str, Any, int]], host: str, tokens: tuple[str, ...], workers: int,
                   server: str = "werkzeug") -> None:
    from mock_server.app import get_state

    shown = f"[{host}]" if ":" in host else host
    rows = [("API", "BASE URL", "TOKENS", "ADMIN")]
    for name, app, port in servers:
        state = get_state(app)
        with state.store.transaction():
            fixture_tokens = [r["id"] for r in state.store.all("tokens") if r["id"] not in tokens]
        base = f"http://{shown}:{port}"
        listed = ", ".join([*(f"{t} (full access)" for t in tokens), *fixture_tokens]) or "-"
        rows.append((name, base + get_api(name).base_paths[0], listed, base + "/_mock/health"))
    _table(rows)
    if workers > 1:
        print(f"{workers} workers ({server}) share the state.", flush=True)
    print("Dashboard: /_mock/ui and API docs: /_mock/docs on each server.", flush=True)
    print("Press Ctrl+C to stop.", flush=True)


NO_RESET_UNDER_GRANIAN = ("the 'reset' fault needs the connection's socket, which granian does not give the app: "
                          "serve with --server uvicorn (the default) or gunicorn, or one worker, to inject resets")


def _fault_kinds(rules: dict[str, list[str]]) -> list[set[str]]:
    from mock_server.faults import normalise_rule

    return [{normalise_rule(text)["kind"] for text in texts} for texts in rules.values()]


def _faults_per_api(faults: tuple[str, ...], names: list[str]) -> dict[str, list[str]]:
    """Each API's share of the --fault rules: those for the whole API, and those naming one of its operations."""
    from contract_tests.catalog import load_spec
    from mock_server.faults import FaultError, normalise_rule

    out: dict[str, list[str]] = {name: [] for name in names}
    for text in faults:
        try:
            rule = normalise_rule(text)
        except FaultError as exc:
            raise click.BadParameter(str(exc), param_hint="--fault") from None
        wanted = [name for name in names if rule.get("operation") is None or rule["operation"] in {
            op.get("operationId") for path in get_api(name).spec_paths
            for item in (load_spec(path).get("paths") or {}).values() for op in item.values() if isinstance(op, dict)}]
        if not wanted:
            raise click.BadParameter(f"{text!r}: no API served here has the operation {rule['operation']!r}",
                                     param_hint="--fault")
        for name in wanted:
            out[name].append(text)
    return out


def _run_until_interrupted(servers: list[Any]) -> None:
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
        print("Stopped.", file=sys.stderr)


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
