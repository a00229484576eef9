"""``ciapi proxy API --upstream URL``: the validation proxy on the command line (mounted by ``mock_server.cli``)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click
import yaml

from contract_tests.catalog import UnknownApiError, get_api
from contract_tests.proxy import ValidationProxy
from contract_tests.report.files import write_report_files
from contract_tests.report.terminal import render_terminal

__all__ = ["proxy"]


class _SetupError(click.ClickException):
    exit_code = 2


def _api(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return get_api(value).name
    except UnknownApiError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@click.command("proxy")
@click.argument("api", metavar="API", callback=_api)
@click.option("--upstream", required=True, envvar="CIAPI_UPSTREAM", help="The server to forward to, e.g. "
              "https://api.buildkite.com or http://127.0.0.1:8080.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8090, show_default=True, help="Port (0: any free one).")
@click.option("--record", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Also write what went through as a fixture document the mock loads (buildkite: agents; semaphore: "
                   "agent types, agents, projects).")
@click.option("--junit", type=click.Path(dir_okay=False, writable=True), default=None, help="Write JUnit XML here.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the JSON report here.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the HTML report here.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Seconds to wait for the upstream per request.")
@click.pass_context
def proxy(ctx: click.Context, api: str, upstream: str, host: str, port: int, record: Path | None, junit: str | None,
          json_file: str | None, html_file: str | None, timeout: float) -> None:
    """Forward client traffic to --upstream and check every exchange against the contract of API.

    \b
    Point a client at http://HOST:PORT instead of the real server. Every response is checked (status,
    media type, schema, headers, null_fields, timestamps, error bodies, pagination, state transitions)
    and passed on unchanged (Link headers point back at the proxy). On Ctrl+C or SIGTERM the proxy
    prints the summary and writes the reports; tokens appear in them as ${CIAPI_TOKEN}.

    \b
    Exit codes: 0 no findings; 1 findings; 2 usage error, the port is busy, or what was seen cannot be
    written with --record (the reports are written first).
    """  # noqa: D301
    try:
        server = ValidationProxy(api, upstream, host=host, port=port, record=record is not None, timeout=timeout)
        server.bind()
    except ValueError as exc:
        raise click.UsageError(str(exc), ctx=ctx) from None
    except OSError as exc:
        raise _SetupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    click.echo(f"ciapi proxy for {api}: {server.url} -> {server.upstream}", err=True)
    if server.recorder is not None and server.recorder.notice:
        click.echo(f"--record: {server.recorder.notice}.", err=True)
    click.echo("Press Ctrl+C to stop and write the reports.", err=True)
    _serve_until_stopped(server)
    report = server.stop()
    click.echo(render_terminal(report), nl=False)
    for path in write_report_files(report, {"junit": junit, "json": json_file, "html": html_file}):
        click.echo(f"Wrote {path}", err=True)
    click.echo(f"{server.exchanges} exchange(s) checked.", err=True)
    if record is not None:
        try:
            document = server.recording()
        except ValueError as exc:
            raise _SetupError(f"nothing written to {record}: {exc}") from None
        record.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
        click.echo(f"Wrote {record}", err=True)
    ctx.exit(0 if report.is_conformant else 1)


def _serve_until_stopped(server: ValidationProxy) -> None:
    thread = threading.Thread(target=server.serve_forever, name="ciapi-proxy", daemon=True)
    thread.start()
    stop = threading.Event()
    previous: Any = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
        thread.join(timeout=5)
        click.echo("Stopped.", err=True)
