"""The dashboard and the API docs in headless Chromium (Debian's ``chromium``, driven by Playwright).

Chromium is installed by the test itself (``apt-get install chromium``) when it is missing and we are root; the
Playwright package is used only as a driver (``executable_path``), never to download a browser. Every request
the pages make outside the mock is refused and reported, so the pages are proven to work offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from contract_tests.catalog import API_NAMES, get_api, load_spec
from mock_server.server import MockServer

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ORG_AGENTS = "/v2/organizations/my-great-org/agents"
TOKEN = "browser-token"


def _ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMIUM} is missing and cannot be installed here (needs root and apt-get): "
                    "install Debian's chromium package to run the browser tests")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    assert CHROMIUM.exists(), "apt-get installed chromium but /usr/bin/chromium is not there"


class Page:
    """A Playwright page that records console errors, page errors and every request leaving the mock."""

    def __init__(self, context: Any, allowed_origin: str) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

        def guard(route: Any) -> None:
            url = route.request.url
            if url.startswith(allowed_origin) or url.startswith("data:"):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        self.page.route("**/*", guard)

    def check_clean(self) -> None:
        assert self.outside == [], f"the page reached outside the mock: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need Playwright: "
                                                                 "pip install -e '.[test]'")
    _ensure_chromium()
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(20_000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer("buildkite", token=TOKEN) as running:
        yield running


@pytest.fixture
def mock(server: MockServer) -> MockServer:
    server.reset()
    return server


def _api(mock: MockServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, mock.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10,
                            **kwargs)


def test_dashboard_shows_state_moving_with_the_clock_faults_and_the_journal(
        browser: Any, mock: MockServer, artifacts_dir: Path) -> None:
    view = Page(browser, mock.url)
    page = view.page
    page.goto(mock.url + "/_mock/ui")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#api-title") == "buildkite mock"
    assert page.get_attribute("#docs-link", "href") == "docs"

    [agent] = _api(mock, "GET", ORG_AGENTS, params={"name": "agent-03"}).json()  # busy: it runs a job
    job_id = agent["job"]["id"]
    assert _api(mock, "PUT", f"{ORG_AGENTS}/{agent['id']}/stop", json={"force": True}).status_code == 204
    agent_state = f'details[data-collection="agents"] tr[data-id="{agent["id"]}"] td.state'
    job_state = f'details[data-collection="jobs"] tr[data-id="{job_id}"] td.state'
    page.wait_for_function("([a, j]) => document.querySelector(a)?.textContent === 'stopping' && "
                           "document.querySelector(j)?.textContent === 'canceling'", arg=[agent_state, job_state])
    assert page.inner_text(f'details[data-collection="agents"] tr[data-id="{agent["id"]}"] td.name') == "agent-03"
    before = page.inner_text("#clock-now")

    page.fill("#advance-seconds", "10")
    page.click("#advance")  # the job is canceled after 1 s, the agent stops 2 s later
    page.wait_for_function("([a, j]) => document.querySelector(a)?.textContent === 'stopped' && "
                           "document.querySelector(j)?.textContent === 'canceled'", arg=[agent_state, job_state])
    assert page.inner_text("#clock-now") == "2026-01-05T09:00:10.000Z" != before

    page.select_option("#fault-operation", "getAgent")
    page.select_option("#fault-kind", "error")
    assert page.is_hidden("#fault-ms") and page.is_visible("#fault-status")
    page.fill("#fault-status", "503")
    page.click("#fault-add")
    page.wait_for_selector("#fault-list code:text('getAgent:status=503')")
    assert [r["spec"] for r in mock.faults] == ["getAgent:status=503"]
    assert _api(mock, "GET", f"{ORG_AGENTS}/{agent['id']}").status_code == 503
    page.wait_for_selector("#journal tbody tr.faulted .badge.fault-error:text('error 503')")
    first = page.locator("#journal tbody tr").first
    assert first.locator("td.status").inner_text() == "503" and first.locator("td.operation").inner_text() == "getAgent"
    assert "stopAgent" in page.inner_text("#journal tbody")  # the whole journal is there
    valid = page.locator("#journal tbody tr:not(.faulted) td.verdict").first.inner_text()
    assert valid == "✓ valid"

    page.fill("#speed", "60")
    page.click("#play")
    page.wait_for_selector("#clock-mode:text('running ×60')")
    page.click("#pause")
    page.wait_for_selector("#clock-mode:text('paused (manual)')")
    page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)
    page.click("#reset")  # fixtures, clock and faults as at start-up
    page.wait_for_selector("#fault-list li.hint")
    page.wait_for_function("s => document.querySelector(s)?.textContent === 'running'", arg=job_state)
    assert mock.faults.rules() == []
    view.check_clean()
    page.close()


def test_docs_render_offline_and_try_it_out_calls_the_mock(browser: Any, mock: MockServer,
                                                           artifacts_dir: Path) -> None:
    view = Page(browser, mock.url)
    page = view.page
    page.goto(mock.url + "/_mock/docs")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() == 3
    assert mock.url in page.inner_text(".swagger-ui .servers")
    page.click("#operations-agents-listAgents .opblock-summary")
    page.click("#operations-agents-listAgents .try-out__btn")
    page.click("#operations-agents-listAgents .execute")
    page.wait_for_selector("#operations-agents-listAgents .live-responses-table")
    entry = mock.requests[0]
    assert entry["operation_id"] == "listAgents" and entry["status"] == 200  # authorized with the --token
    page.screenshot(path=str(artifacts_dir / "docs.png"))
    view.check_clean()
    page.close()


@pytest.mark.parametrize("api", [name for name in API_NAMES if name != "buildkite"])
def test_every_apis_pages_load_cleanly(browser: Any, api: str) -> None:
    with MockServer(api, token=TOKEN) as running:
        view = Page(browser, running.url)
        page = view.page
        page.goto(running.url + "/_mock/ui")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#collections details").count() >= 1
        for path in get_api(api).spec_paths:
            page.goto(f"{running.url}/_mock/docs?spec={path.stem}")
            page.wait_for_selector("body[data-ready=true]")
            operations = sum(1 for item in load_spec(path)["paths"].values() for key in item
                             if key in ("get", "put", "post", "delete", "patch", "head", "options"))
            page.wait_for_function(f"document.querySelectorAll('.swagger-ui .opblock').length === {operations}")
        view.check_clean()
        page.close()
