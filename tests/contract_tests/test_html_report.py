"""The HTML report: one self-contained file, with the matrix, findings (request, response, curl) and coverage;
it renders in headless Chromium without console errors (a screenshot goes to the artifacts directory)."""

from __future__ import annotations

import html.parser
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from contract_tests import ConformanceReport, RunOptions, Target, run_conformance
from contract_tests.report.html import render_html

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Injected before the report's own markup: records uncaught errors and console.error calls into the DOM.
CAPTURE = """<script>
window.__ciapiErrors = [];
window.addEventListener("error", function (e) { window.__ciapiErrors.push("error: " + e.message); });
(function () { var original = console.error; console.error = function () {
  window.__ciapiErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
  return original.apply(console, arguments); }; })();
window.addEventListener("load", function () {
  document.documentElement.setAttribute("data-errors", JSON.stringify(window.__ciapiErrors)); });
</script>"""


class _Resources(html.parser.HTMLParser):
    """Collects every attribute that would make the browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action") and value and not value.startswith("#"):
                self.fetches.append((tag, name, value))
            if tag == "link":
                self.fetches.append((tag, name or "", value or ""))


@pytest.fixture(scope="module")
def broken_report(_mock_session, broken, token):
    """A report with findings: the suite against the mock with timestamps in the wrong format and a bad 404 body."""
    _mock_session.reset()
    app = broken.wrong_error_body(broken.timestamps_without_milliseconds(_mock_session.app))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        target = Target(api="buildkite", base_url=f"http://127.0.0.1:{server.server_port}", token=token)
        yield ConformanceReport.from_events(run_conformance(target, RunOptions(max_examples=2, seed=3)))
    finally:
        server.shutdown()
        server.server_close()


def test_report_is_self_contained_and_complete(broken_report):
    page = render_html(broken_report)

    parser = _Resources()
    parser.feed(page)
    assert parser.fetches == []
    assert "<style>" in page and page.count("<script>") == 1
    assert 'id="matrix"' in page and 'id="coverage"' in page
    assert page.count('class="finding"') == len(broken_report.findings) >= 2
    assert "Reproduce with curl" in page and "${CIAPI_TOKEN}" in page
    assert "<summary>Request</summary>" in page and "<summary>Response</summary>" in page


def test_report_escapes_what_the_server_sent(broken_report):
    import copy
    import dataclasses

    report = copy.deepcopy(broken_report)
    report.add_finding(dataclasses.replace(report.findings[0], title="<img src=x onerror=alert(1)>"))

    page = render_html(report)

    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("Chromium is not installed and this process cannot install it (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"cannot install Chromium: {' '.join(command)} failed: {done.stderr.strip()[-500:]}")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("apt-get installed no /usr/bin/chromium")
    return "/usr/bin/chromium"


@pytest.mark.slow
def test_report_renders_in_headless_chromium_without_console_errors(broken_report, tmp_path, artifacts_dir):
    chromium = _chromium()
    page = render_html(broken_report)
    (artifacts_dir / "conformance-report.html").write_text(page, encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("<head>", "<head>" + CAPTURE, 1), encoding="utf-8")
    base = [chromium, *CHROMIUM_FLAGS, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]

    dumped = subprocess.run([*base, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", probe.as_uri()],
                            capture_output=True, text=True, timeout=120)
    shot = artifacts_dir / "conformance-report.png"
    shot.unlink(missing_ok=True)
    screenshot = subprocess.run([*base, f"--user-data-dir={tmp_path / 'profile-shot'}", f"--screenshot={shot}",
                                 "--window-size=1280,1800", probe.as_uri()], capture_output=True, text=True,
                                timeout=120)

    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert 'data-ready="1"' in dumped.stdout, "the report's script did not run to its end"
    errors = dumped.stdout.split('data-errors="', 1)[1].split('"', 1)[0] if 'data-errors="' in dumped.stdout else None
    assert errors is not None and json.loads(html.unescape(errors)) == []
    console = [line for line in (dumped.stderr + screenshot.stderr).splitlines()
               if "CONSOLE" in line and ("Uncaught" in line or ":ERROR:" in line)]
    assert console == []
    assert 'class="finding"' in dumped.stdout and "Conformance matrix" in dumped.stdout
    assert screenshot.returncode == 0 and shot.stat().st_size > 10_000, screenshot.stderr[-2000:]
