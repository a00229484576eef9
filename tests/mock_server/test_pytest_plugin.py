"""The pytest plugin, as another repo's CI uses it (pytester runs real pytest sessions)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_buildkite_mock_fixture_resets_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import requests

        AGENTS = "/v2/organizations/my-great-org/agents"

        def _agents(mock, **params):
            r = requests.get(mock.url + AGENTS, params=params,
                             headers={"Authorization": f"Bearer {mock.token}"}, timeout=10)
            assert r.status_code == 200, r.text
            return r.json()

        def test_stop_changes_state(buildkite_mock):
            [agent] = _agents(buildkite_mock, name="agent-01")
            url = f"{buildkite_mock.url}{AGENTS}/{agent['id']}/stop"
            r = requests.put(url, json={"force": False}, headers={"Authorization": f"Bearer {buildkite_mock.token}"})
            assert r.status_code == 204
            buildkite_mock.clock.advance(10)
            assert _agents(buildkite_mock, name="agent-01") == []
            assert buildkite_mock.requests[0]["operation_id"] == "listAgents"

        def test_next_test_sees_fresh_state(buildkite_mock):
            assert len(_agents(buildkite_mock, name="agent-01")) == 1
            assert len(buildkite_mock.requests) == 1

        def test_load_adds_records(buildkite_mock):
            buildkite_mock.load({"agents": [{"organization": "my-great-org", "name": "loaded"}]})
            assert [a["name"] for a in _agents(buildkite_mock, name="loaded")] == ["loaded"]

        def test_factory_gives_the_same_server(ciapi_mock, buildkite_mock):
            assert ciapi_mock("buildkite") is buildkite_mock
            assert ciapi_mock("buildkite").url.startswith("http://127.0.0.1:")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_options_fixture_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pytest

        @pytest.fixture(scope="session")
        def ciapi_mock_options():
            return lambda api: {"token": "custom-token", "fixtures": {"organizations": [{"slug": "acme"}]}}
    """)
    pytester.makepyfile("""
        import requests

        def test_custom(buildkite_mock):
            assert buildkite_mock.token == "custom-token"
            r = requests.get(buildkite_mock.url + "/v2/organizations/acme/agents",
                             headers={"Authorization": "Bearer custom-token"}, timeout=10)
            assert r.status_code == 200 and r.json() == []
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_mock_response_that_breaks_the_spec_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import requests
        import mock_server.apis.buildkite.handlers as handlers

        def test_broken(buildkite_mock, monkeypatch):
            real = handlers.agent_json
            monkeypatch.setattr(handlers, "agent_json",
                                lambda *a: {k: v for k, v in real(*a).items() if k != "meta_data"})
            requests.get(buildkite_mock.url + "/v2/organizations/my-great-org/agents",
                         headers={"Authorization": f"Bearer {buildkite_mock.token}"}, timeout=10)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the ciapi mock sent responses that break its spec*", "*meta_data*"])
