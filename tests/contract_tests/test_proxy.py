"""``ciapi proxy``: forwards to the upstream, checks every exchange, writes the reports and a fixture recording."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml

from contract_tests.proxy import ValidationProxy
from contract_tests.report.json_report import SCHEMA_PATH
from mock_server import MockServer

from .conftest import run_ciapi_proxy

AGENTS = "/v2/organizations/my-great-org/agents"


def drive(url: str, token: str, clock) -> None:
    """What a client does: page through the agents, describe one, stop it, watch it stop, ask for a stranger."""
    auth = {"Authorization": f"Bearer {token}"}
    page = requests.get(url + AGENTS, params={"per_page": 10}, headers=auth, timeout=10)
    assert page.status_code == 200
    assert page.links["next"]["url"].startswith(url)  # Link headers point back at the proxy
    agent = requests.get(page.links["next"]["url"], headers=auth, timeout=10).json()[0]["id"]
    assert requests.put(f"{url}{AGENTS}/{agent}/stop", json={"force": True}, headers=auth, timeout=10).ok
    for _ in range(3):
        clock.advance(2)
        requests.get(f"{url}{AGENTS}/{agent}", headers=auth, timeout=10)
    assert requests.get(f"{url}{AGENTS}/no-such-agent", headers=auth, timeout=10).status_code == 404
    assert requests.get(url + AGENTS, timeout=10).status_code == 401


def test_the_mock_behind_the_proxy_is_conformant_and_recorded(mock, token):
    with ValidationProxy("buildkite", mock.url, record=True) as proxy:
        drive(proxy.url, token, mock.clock)
    report = proxy.report

    assert report.findings == [] and proxy.exchanges == 8
    listed = next(r for r in report.operations.values() if r.operation.operation_id == "listAgents")
    assert listed.checks["pagination"].passed and listed.checks["null_fields"].passed
    assert report.observed[listed.operation][401] == 1
    recording = proxy.recording()
    assert len(recording["agents"]) == 20 and recording["organizations"] == [{"slug": "my-great-org",
                                                                              "name": "my-great-org"}]
    with MockServer(api="buildkite", token=token, fixtures=recording) as replay:
        names = {a["name"] for a in requests.get(replay.url + AGENTS, params={"per_page": 100}, timeout=10,
                                                 headers={"Authorization": f"Bearer {token}"}).json()}
    assert names == {a["name"] for a in recording["agents"] if a["connection_state"] in ("connected", "stopping")}


@pytest.mark.parametrize(
    ("breaker", "check", "title"),
    [
        ("omit_nulls", "null_fields", "Documented properties missing"),
        ("stopped_agent_reconnects", "lifecycle", "Illegal state transition: connection_state stopped -> connected"),
        ("wrong_error_body", "error_codes", "404 error body does not match the documented error schema"),
        ("timestamps_without_milliseconds", "timestamps", "Timestamps not in the documented format: created_at"),
    ],
)
def test_a_broken_upstream_is_reported_by_the_right_check(mock, broken, serve_wsgi, token, breaker, check, title):
    upstream = serve_wsgi(getattr(broken, breaker)(mock.app))

    with ValidationProxy("buildkite", upstream) as proxy:
        drive(proxy.url, token, mock.clock)

    assert {f.check for f in proxy.report.findings} == {check}
    finding = next(f for f in proxy.report.findings if f.title.startswith(title))
    assert finding.curl.startswith("curl -X GET") and "${CIAPI_TOKEN}" in finding.curl and token not in finding.curl
    assert finding.exchange.request.headers["Authorization"] == "Bearer ${CIAPI_TOKEN}"


def test_ciapi_proxy_writes_every_report_when_it_stops(mock, token, tmp_path: Path):
    files = {fmt: tmp_path / f"proxy.{fmt}" for fmt in ("junit", "json", "html")}
    record = tmp_path / "recorded.yaml"
    done = run_ciapi_proxy("buildkite", mock.url, [
        "--record", str(record), *(arg for fmt, path in files.items() for arg in (f"--{fmt}", str(path)))],
        lambda url: drive(url, token, mock.clock))
    out, err = done.stdout, done.stderr

    assert done.returncode == 0, out + err
    assert "CONFORMANT" in out and "exchange(s) checked" in err
    document = json.loads(files["json"].read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["seed"] is None and document["coverage"]["operations"]["exercised"] == 3
    assert "<testsuite" in files["junit"].read_text() and "<!DOCTYPE html>" in files["html"].read_text()
    assert yaml.safe_load(record.read_text())["api"] == "buildkite"
