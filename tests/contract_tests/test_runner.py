from __future__ import annotations

import socket
from pathlib import Path

import pytest

from contract_tests import (
    ConfigurationError,
    ConformanceReport,
    RunOptions,
    Target,
    TargetUnreachableError,
    run_conformance,
)
from contract_tests.catalog import UnknownApiError, get_api
from contract_tests.checks import ALL_CHECKS, UnknownCheckError, resolve_checks
from contract_tests.events import ChecksPassed, FindingReported, PhaseFinished, RunFinished, RunStarted


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_events_start_and_finish_the_run(mock, token):
    events = list(
        run_conformance(
            Target(api="buildkite", base_url=mock.url, token=token),
            RunOptions(checks=("error_codes", "pagination"), seed=1),
        )
    )

    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert events[0].checks == ("pagination", "error_codes")
    assert [e.name for e in events if isinstance(e, PhaseFinished)] == ["error_codes", "pagination"]
    assert any(isinstance(e, ChecksPassed) for e in events)


def test_operations_filter(mock, check_server):
    report = check_server(mock.url, checks=("error_codes",), operations=("getAgent",))

    assert [op.operation_id for op in report.operations] == ["getAgent"]


def test_params_fix_path_parameters(mock, check_server):
    # an org that does not exist: every probe request carries it, so the list fails
    report = check_server(mock.url, checks=("pagination",), params={"org": "no-such-org"})

    assert [f.title for f in report.findings] == ["List request failed"]
    assert "/organizations/no-such-org/agents" in report.findings[0].curl


def test_same_seed_same_findings(mock, broken, check_server, serve_wsgi):
    url = serve_wsgi(broken.drop_agent_field(mock.app, "priority"))

    def run() -> list[tuple[str, str, str | None]]:
        mock.reset()
        report = check_server(url, checks=("null_fields", "error_codes"), seed=42, phases=("examples", "fuzzing"))
        return [(f.check, f.title, f.curl) for f in report.findings]

    assert run() == run()


def test_findings_are_deduplicated_per_operation_check_and_title(mock, broken, check_server, serve_wsgi):
    report = check_server(serve_wsgi(broken.not_found_as_text(mock.app)), checks=("error_codes",))

    keys = [f.key for f in report.findings]
    assert len(keys) == len(set(keys))
    get_agent = next(f for f in report.findings if f.operation.operation_id == "getAgent")
    assert get_agent.occurrences == 2  # unknown org and unknown id


def test_spec_paths_override(mock, check_server, tmp_path: Path):
    spec = tmp_path / "copy.yaml"
    spec.write_text(get_api("buildkite").spec_paths[0].read_text())

    report = check_server(mock.url, checks=("error_codes",), spec_paths=(spec,))

    assert report.findings == [] and len(report.operations) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"operations": ("nope",)}, "unknown operationId(s) nope"),
        ({"params": {"nope": "1"}}, "no operation has a parameter named nope"),
        ({"max_examples": 0}, "max_examples must be at least 1"),
        ({"phases": ("warmup",)}, "unknown phase(s)"),
        ({"spec_paths": (Path("/no/such/spec.yaml"),)}, "does not exist"),
    ],
)
def test_bad_options_raise_before_any_event(mock, token, options, message):
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_conformance(Target(api="buildkite", base_url=mock.url, token=token), RunOptions(**options))


def test_unknown_check_and_api():
    with pytest.raises(UnknownCheckError, match="error_codes"):
        resolve_checks(("nope",))
    with pytest.raises(UnknownApiError, match="buildkite"):
        Target(api="nope", base_url="http://127.0.0.1:1", token="t")


def test_check_selection():
    assert resolve_checks(None) == ALL_CHECKS
    assert resolve_checks(("all",), ("pagination",)) == tuple(c for c in ALL_CHECKS if c != "pagination")
    assert resolve_checks(("pagination", "null_fields")) == ("null_fields", "pagination")


def test_unreachable_target_raises():
    with pytest.raises(TargetUnreachableError, match="cannot reach"):
        run_conformance(Target(api="buildkite", base_url=closed_port_url(), token="t"))


def test_report_folds_events_incrementally(mock, token):
    report = ConformanceReport()
    for event in run_conformance(
        Target(api="buildkite", base_url=mock.url, token=token), RunOptions(checks=("error_codes",), seed=3)
    ):
        report.apply(event)
        if isinstance(event, FindingReported):
            raise AssertionError(event.finding)

    assert report.finished and report.is_conformant and report.seed == 3
