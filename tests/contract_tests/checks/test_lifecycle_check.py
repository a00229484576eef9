from __future__ import annotations

import time

from contract_tests.catalog import get_api, load_spec
from contract_tests.checks.lifecycle import find_actions
from contract_tests.lifecycle import TransitionTracker, observe_states, reachable
from contract_tests.spec import iter_operations

TABLE = {"connected": ("stopping", "lost"), "stopping": ("stopped",), "lost": ("connected",), "stopped": ()}
ROOT: dict = {}
SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"},
    "state": {"type": "string", "x-ciapi-transitions": {k: list(v) for k, v in TABLE.items()}},
    "job": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {
        "id": {"type": "string"},
        "state": {"type": "string", "x-ciapi-transitions": {"running": ["passed"], "passed": []}}}}]},
    "status": {"type": "object", "properties": {
        "state": {"type": "string", "x-ciapi-identity": "metadata.name", "x-ciapi-transitions": {"a": ["b"]}}}},
}}


def test_reachability_allows_unseen_states_in_between():
    assert reachable(TABLE, "connected", "stopped")
    assert reachable(TABLE, "stopping", "stopping")
    assert not reachable(TABLE, "stopped", "connected")
    assert not reachable(TABLE, "stopping", "connected")


def test_states_are_keyed_by_the_identity_of_their_holder():
    body = {"id": "a1", "state": "connected", "job": {"id": "j1", "state": "running"},
            "metadata": {"name": "n1"}, "status": {"state": "a"}}

    found = {o.path: o.key for o in observe_states(ROOT, SCHEMA, body)}

    assert found == {"$.state": ("a1", ".state"), "$.job.state": ("j1", ".state"),
                     "$.status.state": ("n1", ".status.state")}


def test_tracker_reports_only_moves_no_path_allows():
    tracker = TransitionTracker()
    seen = [{"id": "a1", "state": s, "job": None} for s in ("connected", "stopped", "stopped", "connected")]

    illegal = [tracker.observe(observe_states(ROOT, SCHEMA, body)) for body in seen]

    assert [len(i) for i in illegal] == [0, 0, 0, 1]
    assert (illegal[3][0].previous, illegal[3][0].observation.state, illegal[3][0].allowed) == ("stopped",
                                                                                               "connected", ())


def test_a_new_job_is_a_new_state_machine():
    tracker = TransitionTracker()
    first = {"id": "a1", "state": "connected", "job": {"id": "j1", "state": "passed"}}
    second = {"id": "a1", "state": "connected", "job": {"id": "j2", "state": "running"}}

    assert tracker.observe(observe_states(ROOT, SCHEMA, first)) == []
    assert tracker.observe(observe_states(ROOT, SCHEMA, second)) == []


def test_buildkite_stop_is_an_action_described_by_get_agent():
    root = load_spec(get_api("buildkite").spec_paths[0])

    actions = find_actions(list(iter_operations(root)))

    assert [(a.operation.operation_id, a.describe.operation_id) for a in actions] == [("stopAgent", "getAgent")]


def test_against_the_mock_the_clock_is_moved_instead_of_waiting(mock, check_server):
    started, clock = time.monotonic(), mock.clock.now()

    report = check_server(mock.url, checks=("lifecycle",), lifecycle_timeout=0.0)

    assert time.monotonic() - started < 5
    assert report.findings == [] and report.skipped == []
    stop = next(r for r in report.operations.values() if r.operation.operation_id == "stopAgent")
    assert stop.checks["lifecycle"].passed == 2  # an idle and a busy agent
    assert mock.clock.now() - clock >= 4  # mock seconds passed through POST /_mock/clock


def test_a_live_server_is_polled_until_the_timeout(serve_wsgi, check_server, token):
    # Given a mock that hides its admin plane (so it looks live) and whose clock runs 100x faster than wall time
    from mock_server.app import create_app

    app = create_app("buildkite", tokens=[token], clock="real", clock_speed=100.0)

    def live(environ, start_response):
        if environ["PATH_INFO"].startswith("/_mock"):
            start_response("404 NOT FOUND", [("Content-Type", "application/json")])
            return [b'{"message": "Not Found"}']
        return app(environ, start_response)

    report = check_server(serve_wsgi(live), checks=("lifecycle",), lifecycle_timeout=5.0)

    assert report.findings == [] and report.skipped == []
    get_agent = next(r for r in report.operations.values() if r.operation.operation_id == "getAgent")
    assert get_agent.checks["lifecycle"].passed >= 3


def test_an_illegal_jump_is_caught(mock, broken, serve_wsgi, check_server):
    report = check_server(serve_wsgi(broken.stopped_agent_reconnects(mock.app)), checks=("lifecycle",))

    [finding] = report.findings
    assert finding.title == "Illegal state transition: connection_state stopped -> connected"
    assert finding.operation.operation_id == "getAgent" and "is final" in finding.message
    assert finding.curl.startswith("curl -X GET")
