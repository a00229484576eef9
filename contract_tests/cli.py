"""``ciapi check API``: the conformance suite on the command line (a thin layer over `run_conformance`)."""

from __future__ import annotations

import sys

import click

from contract_tests.catalog import UnknownApiError, get_api
from contract_tests.checks import ALL_CHECKS
from contract_tests.errors import ConfigurationError, TargetUnreachableError
from contract_tests.report.files import write_report_files
from contract_tests.report.model import ConformanceReport
from contract_tests.report.progress import ProgressBar
from contract_tests.report.terminal import render_terminal
from contract_tests.runner import RunOptions, run_conformance
from contract_tests.targets import Target

__all__ = ["check", "main"]

EXIT_CONFORMANT, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _SetupError(click.ClickException):
    """The run could not start (unreachable server...): exit 2 like a usage error."""

    exit_code = EXIT_USAGE


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _api(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return get_api(value).name
    except UnknownApiError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _params(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", ctx=ctx, param=param)
        parsed[name.strip()] = value
    return parsed


@click.command("check")
@click.argument("api", metavar="API", callback=_api)
@click.option("--base-url", required=True, envvar="CIAPI_BASE_URL", help="Server to check, e.g. http://127.0.0.1:8080.")
@click.option("--token", required=True, envvar="CIAPI_TOKEN", help="Token with every scope the API has.")
@click.option("--checks", default=None, metavar="A,B", help=f"Only these checks (default all): {', '.join(ALL_CHECKS)}")
@click.option("--exclude-checks", default="", metavar="A,B", help="Leave these checks out.")
@click.option("--operations", default="", metavar="ID,ID", help="Only these operationIds (default: all).")
@click.option(
    "--max-examples",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Cases per operation in each generating phase.",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed for a reproducible run.")
@click.option(
    "--param", "params", multiple=True, metavar="NAME=VALUE", callback=_params, help="Fix a path/query parameter."
)
@click.option("--limited-token", envvar="CIAPI_LIMITED_TOKEN", default=None, help="Token without scopes (403 probe).")
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True,
    help="Operations tested at once in the generating phases.",
)
@click.option(
    "--lifecycle-timeout", type=click.FloatRange(min=0), default=60.0, show_default=True,
    help="Seconds the lifecycle check polls a live server for state changes (a ciapi mock's clock is moved instead).",
)
@click.option("--junit", type=click.Path(dir_okay=False, writable=True), default=None, help="Write JUnit XML here.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the JSON report here (docs/conformance-report.md).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the HTML report here (one self-contained file).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (it is only drawn on a terminal anyway).")
@click.pass_context
def check(
    ctx: click.Context,
    api: str,
    base_url: str,
    token: str,
    checks: str | None,
    exclude_checks: str,
    operations: str,
    max_examples: int,
    seed: int | None,
    params: dict[str, str],
    limited_token: str | None,
    workers: int,
    lifecycle_timeout: float,
    junit: str | None,
    json_file: str | None,
    html_file: str | None,
    quiet: bool,
) -> None:
    """Check the server at --base-url against the contract of API.

    \b
    Runs our probes (error_codes, pagination, lifecycle) and the schemathesis phases (examples,
    coverage, fuzzing, stateful) with schemathesis' checks plus null_fields and timestamps. Fixture-changing operations
    (e.g. stopAgent) are called: point it at a mock or a test organisation, not at production.

    \b
    --param NAME=VALUE fixes a parameter for every operation that has it. Without it, path
    parameters that scope a list use their spec example (org=my-great-org for buildkite);
    item ids (agent id) are generated, taken from list responses or followed through links.
    The 403 probe uses --limited-token, or creates a token without scopes when the target is a
    ciapi mock (GET /_mock/health answers); otherwise it is reported as skipped.

    \b
    Findings print a curl command; the token appears as ${CIAPI_TOKEN} (and ${CIAPI_LIMITED_TOKEN}),
    other credentials (deliberately invalid ones, generated tokens) appear as sent.
    Options also read CIAPI_BASE_URL, CIAPI_TOKEN and CIAPI_LIMITED_TOKEN.

    \b
    Reports: a summary table (operations x checks) on stdout, a progress bar on stderr while it runs
    (on a terminal, unless --quiet); --junit, --json and --html write files. Same --seed, same cases
    (with --workers 1).

    \b
    Exit codes: 0 conformant; 1 findings or run errors; 2 usage error (unknown API, check,
    operationId or parameter, bad option value), the base URL does not answer HTTP, or the
    server rejects --token with 401.
    """  # noqa: D301
    options = RunOptions(
        checks=_names(checks) or None,
        exclude_checks=_names(exclude_checks),
        operations=_names(operations),
        max_examples=max_examples,
        seed=seed,
        params=params,
        workers=workers,
        lifecycle_timeout=lifecycle_timeout,
    )
    try:
        target = Target(api=api, base_url=base_url, token=token, limited_token=limited_token)
        events = run_conformance(target, options)
    except (ConfigurationError, ValueError) as exc:  # UnknownCheckError, UnknownApiError, bad base URL
        raise click.UsageError(str(exc), ctx=ctx) from None
    except TargetUnreachableError as exc:
        raise _SetupError(str(exc)) from None
    report = ConformanceReport()
    progress = ProgressBar(sys.stderr, enabled=not quiet and sys.stderr.isatty())
    try:
        for event in events:
            report.apply(event)
            progress.handle(event)
    finally:
        progress.close()
    click.echo(render_terminal(report), nl=False)
    for path in write_report_files(report, {"junit": junit, "json": json_file, "html": html_file}):
        click.echo(f"Wrote {path}", err=True)
    ctx.exit(EXIT_CONFORMANT if report.is_conformant else EXIT_FINDINGS)


def main() -> None:
    """``python -m contract_tests``: the ``check`` command on its own."""
    check(prog_name="python -m contract_tests")
