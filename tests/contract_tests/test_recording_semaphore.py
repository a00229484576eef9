"""``ciapi proxy semaphore --record``: what the proxy saw of the Semaphore mock, replayed by a fresh mock.

The upstream is the Semaphore mock with its default fixtures on loopback; ``sem-demo-token`` is alice's token in
``acme`` there. On loopback the host names no organization, so the recording learns it from the v2 jobs.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from contract_tests.catalog import get_api, load_spec
from contract_tests.proxy import ValidationProxy
from contract_tests.recording import RecordingError, SemaphoreRecorder
from contract_tests.spec import SpecOperation, iter_operations
from mock_server import MockServer
from mock_server.app import create_app

from .conftest import run_ciapi_proxy

AUTH = {"Authorization": "Token sem-demo-token"}
REPLAY_TOKEN = "ciapi-replay-token"  # the recording holds no tokens: the fresh mock gets a full-access one
TYPES = "/api/v1alpha/self_hosted_agent_types"
AGENTS = "/api/v1alpha/agents"
JOBS = "/api/v2/jobs"
EMPTY = {"api": "semaphore", "organizations": [], "projects": [], "agent_types": [], "agents": []}


@pytest.fixture(scope="module")
def _upstream_session() -> Iterator[MockServer]:
    with MockServer(api="semaphore", token=None) as server:
        yield server


@pytest.fixture
def upstream(_upstream_session: MockServer) -> MockServer:
    """The Semaphore mock with its default fixtures, reset for each test."""
    _upstream_session.reset()
    return _upstream_session


def get(url: str, auth: dict[str, str] = AUTH, **params: Any) -> requests.Response:
    return requests.get(url, params=params or None, headers=auth, timeout=10)


def agent_types(url: str, auth: dict[str, str] = AUTH) -> list[dict[str, Any]]:
    answer = get(url + TYPES, auth)
    assert answer.status_code == 200
    return list(answer.json()["agent_types"])


def agents(url: str, auth: dict[str, str] = AUTH) -> list[dict[str, Any]]:
    """Every page of the agent list (default page size 200: acme's 204 agents are two pages)."""
    found: list[dict[str, Any]] = []
    cursor, pages = "", 0
    while True:
        answer = get(url + AGENTS, auth, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200
        found += answer.json()["agents"]
        cursor, pages = answer.json()["cursor"], pages + 1
        if not cursor:
            break
    assert pages >= 1
    return found


def jobs(url: str, auth: dict[str, str] = AUTH) -> list[dict[str, Any]]:
    """Every page of the v2 job list (the only answers that name projects and their organization)."""
    found: list[dict[str, Any]] = []
    next_url: str | None = f"{url}{JOBS}?page_size=100"
    while next_url:
        answer = requests.get(next_url, headers=auth, timeout=10)
        assert answer.status_code == 200
        found += answer.json()
        next_url = answer.links.get("next", {}).get("url")
    return found


def project_refs(seen_jobs: list[dict[str, Any]]) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Project id -> (project ref, organization ref), as the v2 jobs show them."""
    return {j["metadata"]["project"]["id"]: (j["metadata"]["project"], j["metadata"]["organization"])
            for j in seen_jobs}


def test_what_the_proxy_records_replays_as_the_same_agent_types_agents_and_projects(upstream, tmp_path: Path):
    with ValidationProxy("semaphore", upstream.url, record=True) as proxy:
        seen_types = agent_types(proxy.url)
        seen_agents = agents(proxy.url)
        seen_jobs = jobs(proxy.url)
        described_type = get(f"{proxy.url}{TYPES}/s1-aws-large").json()
        described_agent = get(f"{proxy.url}{AGENTS}/busy-linux-01").json()
        described_job = get(f"{proxy.url}{JOBS}/{seen_jobs[-1]['metadata']['id']}").json()
    assert proxy.report.findings == []
    assert len(seen_types) == 3 and len(seen_agents) == 204
    assert any("disabled_at" in a["metadata"] for a in seen_agents)  # a disabled agent that has not left yet
    projects = project_refs([*seen_jobs, described_job])
    assert {ref["name"] for ref, _ in projects.values()} == {"web", "api", "docs"}

    recording = proxy.recording()
    assert recording is not None
    assert recording["organizations"] == [{"name": "acme", "id": "2b4e4c0f-c760-4f47-9dc4-b3e84f993f63"}]
    text = yaml.safe_dump(recording, sort_keys=False, allow_unicode=True)
    assert "registration_token" not in text and "sem-demo-token" not in text  # no secrets
    path = tmp_path / "recorded.yaml"
    path.write_text(text, encoding="utf-8")
    create_app("semaphore", fixtures=[path])  # loads on its own, without problems (raises FixtureError otherwise)

    with MockServer(api="semaphore", token=REPLAY_TOKEN, fixtures=[path]) as replay:
        auth = {"Authorization": f"Token {REPLAY_TOKEN}"}
        # Agent types and agents come back whole: every field of their answers is kept (times are whole unix
        # seconds, so ISO-8601 in the fixture loses nothing). total_agent_count is not kept but counted again by
        # the mock from the recorded agents. Not kept: the registration token (a secret, and only the answer to
        # createAgentType carries it; list and describe never do).
        assert agent_types(replay.url, auth) == seen_types
        assert agents(replay.url, auth) == seen_agents
        assert get(f"{replay.url}{TYPES}/s1-aws-large", auth).json() == described_type
        assert get(f"{replay.url}{AGENTS}/busy-linux-01", auth).json() == described_agent
        # Projects: the APIs have no project list or describe, so the recording keeps what the v2 jobs name: the
        # project's id and name and its organization's id and name. Not kept: the repository files (and so
        # workflows and jobs), which no answer carries. A job created in the replay names the same project.
        for project_id, (project, organization) in projects.items():
            assert get(f"{replay.url}/api/v1alpha/plumber-workflows", auth, project_id=project_id).status_code == 200
            created = requests.post(f"{replay.url}{JOBS}", headers=auth, timeout=10, json={
                "metadata": {"name": "replay"},
                "spec": {"project_id": project_id, "agent": {"machine": {"type": "e1-standard-2",
                                                                         "os_image": "ubuntu2004"}},
                         "commands": ["echo hello"]}})
            assert created.status_code == 200, created.text
            assert created.json()["metadata"]["project"] == project
            assert created.json()["metadata"]["organization"] == organization
        assert replay.violations == []


def test_answers_other_than_200_record_nothing(upstream):
    with ValidationProxy("semaphore", upstream.url, record=True) as proxy:
        assert get(f"{proxy.url}{AGENTS}/no-such-agent").status_code == 404
        assert get(f"{proxy.url}{TYPES}/s1-no-such-type").status_code == 404
        assert get(f"{proxy.url}{JOBS}/00000000-0000-4000-8000-000000000000").status_code == 404
        assert get(f"{proxy.url}{JOBS}", auth={}).status_code == 401
        assert get(f"{proxy.url}{AGENTS}", page_size=300).status_code == 400

    assert proxy.exchanges == 5
    assert proxy.recording() == EMPTY


@pytest.mark.parametrize("status", ["404 Not Found", "203 Non-Authoritative Information"])
def test_a_record_in_an_answer_other_than_200_is_not_recorded(upstream, serve_wsgi, status):
    """The mock's real answers, agent types, agents and jobs included, sent with another status."""

    def restatus(environ: dict[str, Any], start_response: Any) -> Any:
        return upstream.app(environ, lambda _status, headers, *exc: start_response(status, headers, *exc))

    with ValidationProxy("semaphore", serve_wsgi(restatus), record=True) as proxy:
        for path in (TYPES, f"{TYPES}/s1-aws-large", AGENTS, f"{AGENTS}/busy-linux-01", JOBS):
            answer = get(proxy.url + path)
            assert answer.status_code == int(status[:3]) and answer.json()

    assert proxy.exchanges == 5
    assert proxy.recording() == EMPTY


def test_the_last_200_answer_for_a_record_wins(upstream):
    with ValidationProxy("semaphore", upstream.url, record=True) as proxy:
        get(f"{proxy.url}{JOBS}", page_size=1)  # names the organization
        first = get(f"{proxy.url}{AGENTS}/busy-linux-01").json()
        assert requests.post(f"{proxy.url}{TYPES}/s1-linux-small/disable_all", json={"only_idle": False},
                             headers=AUTH, timeout=10).status_code == 200
        last = get(f"{proxy.url}{AGENTS}/busy-linux-01").json()
    assert "disabled_at" not in first["metadata"] and isinstance(last["metadata"]["disabled_at"], int)

    recording = proxy.recording()
    assert recording is not None
    assert [a["name"] for a in recording["agents"]] == ["busy-linux-01"]
    assert recording["agents"][0]["disabled_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                  time.gmtime(last["metadata"]["disabled_at"]))
    # the agent's type was never listed nor described: it is kept by name only, so that the agent loads
    assert recording["agent_types"] == [{"organization": "acme", "name": "s1-linux-small"}]
    create_app("semaphore", fixtures=[recording])


def test_agents_of_an_organization_nothing_names_are_refused_clearly(upstream):
    with ValidationProxy("semaphore", upstream.url, record=True) as proxy:
        agent_types(proxy.url)

    assert proxy.recorder is not None and "127.0.0.1 is an IP address" in (proxy.recorder.notice or "")
    with pytest.raises(RecordingError, match=r"cannot tell the organization .* 127\.0\.0\.1 is an IP address"):
        proxy.recording()


def _operation(operation_id: str) -> SpecOperation:
    return next(op for path in get_api("semaphore").spec_paths for op in iter_operations(load_spec(path))
                if op.operation_id == operation_id)


@pytest.mark.parametrize(("upstream_url", "organization", "problem"), [
    ("https://acme.semaphoreci.com", "acme", None),
    ("https://ACME-2.semaphoreci.com:443/", "acme-2", None),
    ("https://my_org.semaphoreci.com", None, "first label 'my_org' does not match"),
    ("http://localhost:8081", None, "it has one label"),
    ("http://[::1]:8081", None, "is an IP address"),
])
def test_without_a_named_organization_the_upstream_host_gives_it(upstream_url, organization, problem):
    recorder = SemaphoreRecorder(upstream_url)
    body = {"agent_types": [{"metadata": {"name": "s1-small", "create_time": 1700000000, "update_time": ""},
                             "spec": {"agent_name_settings": {"assignment_origin": "assignment_origin_unspecified",
                                                              "release_after": 0, "aws": None}},
                             "status": {"total_agent_count": 0, "registration_token": "secret"}}]}
    recorder.observe(_operation("listAgentTypes"), {}, 200, body)

    if organization is None:
        with pytest.raises(RecordingError, match=problem):
            recorder.document()
        return
    document = recorder.document()
    assert document["organizations"] == [{"name": organization}]
    # "" (unset) and the unspecified origin are left out, not invented; the token is never kept
    assert document["agent_types"] == [{"organization": organization, "name": "s1-small", "release_after": 0,
                                        "created_at": "2023-11-14T22:13:20Z"}]
    create_app("semaphore", fixtures=[document])


@pytest.mark.parametrize("api", ["semaphore-ui", "builds-srht"])
def test_record_is_still_refused_for_apis_without_a_recorder(api):
    with pytest.raises(ValueError, match=rf"--record is not available for {api} yet \(only: buildkite, semaphore\)"):
        ValidationProxy(api, "http://127.0.0.1:1", record=True)


def _run_proxy(upstream: MockServer, record: Path, drive: Any) -> subprocess.CompletedProcess[str]:
    return run_ciapi_proxy("semaphore", upstream.url, ["--record", str(record)], drive)


def test_ciapi_proxy_semaphore_record_writes_a_document_or_says_why_not(upstream, tmp_path: Path):
    record = tmp_path / "seen.yaml"
    done = _run_proxy(upstream, record, lambda url: (agent_types(url), get(f"{url}{JOBS}", page_size=1)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "--record: the upstream host 127.0.0.1 is an IP address" in done.stderr
    document = yaml.safe_load(record.read_text())
    assert [t["name"] for t in document["agent_types"]] == ["s1-aws-large", "s1-linux-small", "s1-spare"]
    create_app("semaphore", fixtures=[record])

    refused = tmp_path / "refused.yaml"
    done = _run_proxy(upstream, refused, agent_types)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"nothing written to {refused}: cannot tell the organization" in done.stderr
    assert "exchange(s) checked" in done.stderr and not refused.exists()
