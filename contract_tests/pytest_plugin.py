"""The conformance suite as pytest tests: ``pytest --pyargs contract_tests --ciapi-api NAME --ciapi-base-url URL
--ciapi-token T``.

One test per operation and check (``test_conformance[getAgent-null_fields]``): it fails with the findings of that
cell, is skipped when the check does not apply or its probe could not run, and passes otherwise. The suite runs
once, on the first test; ``--ciapi-json``/``--ciapi-html``/``--ciapi-junit`` also write ciapi's own reports
(pytest's ``--junitxml`` works as usual).

Registered through the ``pytest11`` entry point. It only adds ``--ciapi-*`` options and fixtures whose names
start with ``ciapi_conformance``; tests of other projects never see it unless they ask for those fixtures.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract_tests.report.model import ConformanceReport

__all__ = ["ConformanceCase", "assert_conformant_cell"]

_NOT_CONFIGURED = "the conformance suite needs --ciapi-api, --ciapi-base-url and --ciapi-token"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ciapi-conformance", "ciapi conformance suite (pytest --pyargs contract_tests)")
    group.addoption("--ciapi-api", default=None, metavar="NAME", help="API to check (see `ciapi apis`).")
    group.addoption("--ciapi-base-url", default=None, metavar="URL", help="Server to check (or CIAPI_BASE_URL).")
    group.addoption("--ciapi-token", default=None, metavar="T", help="Token with every scope (or CIAPI_TOKEN).")
    group.addoption("--ciapi-limited-token", default=None, metavar="T", help="Token without scopes (403 probe).")
    group.addoption("--ciapi-checks", default=None, metavar="A,B", help="Only these checks.")
    group.addoption("--ciapi-exclude-checks", default="", metavar="A,B", help="Leave these checks out.")
    group.addoption("--ciapi-operations", default="", metavar="ID,ID", help="Only these operationIds.")
    group.addoption("--ciapi-max-examples", type=int, default=20, metavar="N", help="Cases per operation and phase.")
    group.addoption("--ciapi-seed", type=int, default=None, metavar="N", help="Seed for a reproducible run.")
    group.addoption("--ciapi-workers", type=int, default=1, metavar="N", help="Operations tested at once.")
    group.addoption("--ciapi-lifecycle-timeout", type=float, default=60.0, metavar="S",
                    help="Seconds to poll a live server in the lifecycle check.")
    group.addoption("--ciapi-param", action="append", default=[], metavar="NAME=VALUE", help="Fix a parameter.")
    for fmt in ("junit", "json", "html"):
        group.addoption(f"--ciapi-{fmt}", default=None, metavar="FILE", help=f"Also write ciapi's {fmt} report.")


class ConformanceCase:
    """One cell of the matrix: an operation and a check."""

    def __init__(self, operation: Any, check: str) -> None:
        self.operation, self.check = operation, check

    @property
    def id(self) -> str:
        return f"{self.operation.short}-{self.check}"


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _settings(config: pytest.Config) -> dict[str, Any] | None:
    api = config.getoption("ciapi_api")
    if not api:
        return None
    base_url = config.getoption("ciapi_base_url") or os.environ.get("CIAPI_BASE_URL")
    token = config.getoption("ciapi_token") or os.environ.get("CIAPI_TOKEN")
    if not base_url or not token:
        raise pytest.UsageError(f"{_NOT_CONFIGURED} (or CIAPI_BASE_URL and CIAPI_TOKEN)")
    params = {}
    for item in config.getoption("ciapi_param"):
        name, sep, value = item.partition("=")
        if not sep:
            raise pytest.UsageError(f"--ciapi-param expects NAME=VALUE, got {item!r}")
        params[name.strip()] = value
    return {"api": api, "base_url": base_url, "token": token, "params": params,
            "limited_token": config.getoption("ciapi_limited_token") or os.environ.get("CIAPI_LIMITED_TOKEN")}


def pytest_configure(config: pytest.Config) -> None:
    """Bad ``--ciapi-*`` options are usage errors before collection (nothing happens without ``--ciapi-api``)."""
    settings = _settings(config)
    if settings is not None:
        _cases(config, settings)


def pytest_report_header(config: pytest.Config) -> str | None:
    api = config.getoption("ciapi_api", None)
    if not api:
        return None
    return f"ciapi conformance: {api} at {config.getoption('ciapi_base_url') or os.environ.get('CIAPI_BASE_URL')}"


def _cases(config: pytest.Config, settings: dict[str, Any]) -> list[ConformanceCase]:
    from contract_tests.catalog import UnknownApiError, get_api, load_spec
    from contract_tests.checks import resolve_checks
    from contract_tests.errors import ConfigurationError
    from contract_tests.spec import iter_operations

    try:
        info = get_api(settings["api"])
        checks = resolve_checks(_names(config.getoption("ciapi_checks")) or None,
                                _names(config.getoption("ciapi_exclude_checks")))
    except (UnknownApiError, ConfigurationError) as exc:
        raise pytest.UsageError(str(exc)) from None
    wanted = _names(config.getoption("ciapi_operations"))
    operations = [op for path in info.spec_paths for op in iter_operations(load_spec(path))
                  if not wanted or op.operation_id in wanted]
    return [ConformanceCase(op.ref, check) for op in operations for check in checks]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ciapi_conformance_case" not in metafunc.fixturenames:
        return
    settings = _settings(metafunc.config)
    if settings is None:
        metafunc.parametrize("ciapi_conformance_case", [None], ids=["not-configured"])
        return
    cases = _cases(metafunc.config, settings)
    metafunc.parametrize("ciapi_conformance_case", cases, ids=[case.id for case in cases])


@pytest.fixture(scope="session")
def ciapi_conformance_report(request: pytest.FixtureRequest) -> ConformanceReport:
    """The suite's report, run once per session on the first test that needs it."""
    from contract_tests import ConformanceError, ConformanceReport, RunOptions, Target, run_conformance
    from contract_tests.report.files import write_report_files

    config = request.config
    settings = _settings(config)
    if settings is None:
        pytest.skip(_NOT_CONFIGURED)
    options = RunOptions(
        checks=_names(config.getoption("ciapi_checks")) or None,
        exclude_checks=_names(config.getoption("ciapi_exclude_checks")),
        operations=_names(config.getoption("ciapi_operations")),
        max_examples=config.getoption("ciapi_max_examples"),
        seed=config.getoption("ciapi_seed"),
        params=settings["params"],
        workers=config.getoption("ciapi_workers"),
        lifecycle_timeout=config.getoption("ciapi_lifecycle_timeout"),
    )
    target = Target(api=settings["api"], base_url=settings["base_url"], token=settings["token"],
                    limited_token=settings["limited_token"])
    try:
        report = ConformanceReport.from_events(run_conformance(target, options))
    except (ConformanceError, ValueError) as exc:
        pytest.fail(f"the conformance suite could not start: {exc}", pytrace=False)
    write_report_files(report, {fmt: config.getoption(f"ciapi_{fmt}") for fmt in ("junit", "json", "html")})
    return report


@pytest.fixture
def ciapi_conformance_cell(ciapi_conformance_case: ConformanceCase | None,
                           ciapi_conformance_report: ConformanceReport) -> None:
    """Fails, skips or passes like the report's cell for this test's operation and check."""
    if ciapi_conformance_case is None:
        pytest.skip(_NOT_CONFIGURED)
    assert_conformant_cell(ciapi_conformance_report, ciapi_conformance_case)


def assert_conformant_cell(report: ConformanceReport, case: ConformanceCase) -> None:
    """``pytest.fail`` with the cell's findings, ``pytest.skip`` when it did not run, else return."""
    from contract_tests.report.model import CheckOutcome
    from contract_tests.report.terminal import render_finding

    result = report.operations.get(case.operation)
    outcome = result.outcome(case.check) if result is not None else CheckOutcome.NOT_RUN
    if outcome is CheckOutcome.FAILED and result is not None:
        findings = result.checks[case.check].findings
        text = "\n\n".join("\n".join(render_finding(i, f)) for i, f in enumerate(findings, 1))
        pytest.fail(f"{len(findings)} finding(s) for {case.operation.display} / {case.check}\n\n{text}", pytrace=False)
    if outcome is CheckOutcome.SKIPPED and result is not None:
        pytest.skip("; ".join(result.checks[case.check].skipped))
    if outcome is CheckOutcome.NOT_RUN:
        pytest.skip("not applicable to this operation, or not reached")
    errors = [e for e in report.errors if e.operation == case.operation]
    if errors:
        pytest.fail("the run did not complete: " + "; ".join(e.message for e in errors), pytrace=False)
