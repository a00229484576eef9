"""HTML report: one self-contained file (inline CSS and a few lines of script, no external assets).

Sections: verdict and run facts, the conformance matrix (operations x checks), every finding with its request,
response and curl command, spec coverage (operations, documented statuses, error responses), skips and errors.
Everything is rendered here; the script only adds "copy" buttons, so the page reads the same without it.
"""

from __future__ import annotations

import json
from html import escape
from typing import TextIO

from contract_tests.report.coverage import coverage_summary, is_error_key, operation_coverage
from contract_tests.report.json_report import tool_version
from contract_tests.report.model import CheckOutcome, ConformanceReport, Finding, HttpExchange

__all__ = ["render_html", "write_html"]

_CELL = {
    CheckOutcome.PASSED: ("passed", "ok"),
    CheckOutcome.FAILED: ("failed", "FAIL"),
    CheckOutcome.SKIPPED: ("skipped", "skip"),
    CheckOutcome.NOT_RUN: ("notrun", "–"),
}

_CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--skip:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328}
header,main,footer{padding:0 24px}header{border-bottom:1px solid var(--line);padding-bottom:8px}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:0 0 4px}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px;overflow:auto;
white-space:pre-wrap;word-break:break-all;margin:4px 0}
.verdict{font-weight:600;font-size:16px;padding:6px 10px;border-radius:6px;display:inline-block;color:#fff}
.verdict.ok{background:var(--ok)}.verdict.bad{background:var(--bad)}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:8px 0}dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0}nav a{margin-right:14px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;
vertical-align:top}
table.matrix th.check{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:500;
padding:6px 2px}
table.matrix td{text-align:center;min-width:34px;font-size:12px}
td.passed{background:#dafbe1;color:var(--ok)}td.failed{background:#ffebe9;color:var(--bad);font-weight:700}
td.skipped{background:#fff8c5;color:var(--skip)}td.notrun{color:#8c959f}td.failed a{color:inherit}
.op{font-weight:600}.path{color:var(--muted);font-size:12px}
.finding{border:1px solid var(--line);border-left:4px solid var(--bad);border-radius:6px;padding:10px 12px;
margin:10px 0}
.badge{display:inline-block;background:#ffebe9;color:var(--bad);border-radius:10px;padding:0 8px;font-size:12px;
margin-right:6px}
.where{color:var(--muted);margin:0 0 6px}summary{cursor:pointer;color:#0969da;margin-top:4px}
.chip{display:inline-block;border-radius:10px;padding:0 7px;margin:1px;font-size:12px;border:1px solid var(--line)}
.chip.hit{background:#dafbe1;border-color:#aceebb}.chip.miss{background:#fff;color:var(--muted)}
.chip.err{font-weight:600}.chip.undoc{background:#ffebe9;border-color:#ffcecb}
button.copy{font-size:12px;margin:2px 0 6px}.muted{color:var(--muted)}
"""

_SCRIPT = """
(function () {
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = document.getElementById(button.getAttribute("data-for")).textContent;
      if (navigator.clipboard) { navigator.clipboard.writeText(text).catch(function () {}); }
      button.textContent = "Copied";
    });
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
"""


def write_html(report: ConformanceReport, stream: TextIO) -> None:
    stream.write(render_html(report))


def render_html(report: ConformanceReport) -> str:
    """The whole page as one string."""
    findings = report.findings
    ids = {id(f): f"finding-{i}" for i, f in enumerate(findings, 1)}
    verdict = ("ok", "CONFORMANT") if report.is_conformant else ("bad", "NOT CONFORMANT")
    detail = f"{len(findings)} finding(s), {len(report.errors)} error(s) in {len(report.operations)} operations"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>ciapi check {escape(report.api)}: {verdict[1]}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>ciapi conformance report: {escape(report.api)}</h1>",
        f'<p><span class="verdict {verdict[0]}">{verdict[1]}</span> <span class="muted">{escape(detail)}</span></p>',
        _meta(report),
        '<nav><a href="#matrix">Matrix</a><a href="#findings">Findings</a><a href="#coverage">Coverage</a>'
        '<a href="#skipped">Skipped</a><a href="#errors">Errors</a></nav></header><main>',
        _matrix(report, ids),
        _findings(findings, ids),
        _coverage(report),
        _skipped(report),
        _errors(report),
        f'</main><footer><p class="muted">Generated by ciapi {escape(tool_version())}.</p></footer>',
        f"<script>{_SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _meta(report: ConformanceReport) -> str:
    rows = [
        ("Server", report.base_url),
        ("Seed", "" if report.seed is None else str(report.seed)),
        ("Started", report.started_at or "-"),
        ("Duration", f"{report.elapsed:.1f} s"),
        ("Phases", ", ".join(f"{p.name} ({p.elapsed:.1f} s)" for p in report.phases) or "-"),
        ("Checks", ", ".join(report.checks)),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<dl class="meta">{items}</dl>'


def _matrix(report: ConformanceReport, ids: dict[int, str]) -> str:
    head = "".join(f'<th class="check" scope="col">{escape(check)}</th>' for check in report.checks)
    rows = []
    for result in report.operations.values():
        ref = result.operation
        cells = []
        for check in report.checks:
            outcome = result.outcome(check)
            css, text = _CELL[outcome]
            found = result.checks.get(check)
            title = f"{ref.short} / {check}: {outcome.value}"
            if found is not None and found.findings:
                text = f'<a href="#{ids.get(id(found.findings[0]), "findings")}">FAIL {len(found.findings)}</a>'
            elif found is not None and found.passed:
                title += f" ({found.passed} passing assertions)"
            elif found is not None and found.skipped:
                title += ": " + "; ".join(found.skipped)
            cells.append(f'<td class="{css}" title="{escape(title)}">{text}</td>')
        label = f'<span class="op">{escape(ref.short)}</span><br><span class="path">{escape(ref.label)}</span>'
        rows.append(f'<tr><th scope="row">{label}</th>{"".join(cells)}</tr>')
    legend = ("ok = passed, FAIL = findings (click to read them), skip = the probe could not run, "
              "– = not applicable to the operation or not reached")
    return (f'<section id="matrix"><h2>Conformance matrix</h2><table class="matrix"><thead><tr>'
            f'<th scope="col">operation</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<p class="muted">{escape(legend)}</p></section>')


def _findings(findings: list[Finding], ids: dict[int, str]) -> str:
    if not findings:
        return '<section id="findings"><h2>Findings</h2><p>No findings.</p></section>'
    articles = [_finding(f, ids[id(f)]) for f in findings]
    note = ('<p class="muted">The curl commands read the token from <code>$CIAPI_TOKEN</code> '
            "(and <code>$CIAPI_LIMITED_TOKEN</code>).</p>")
    return f'<section id="findings"><h2>Findings ({len(findings)})</h2>{note}{"".join(articles)}</section>'


def _finding(finding: Finding, anchor: str) -> str:
    where = finding.operation.display if finding.operation else "(whole run)"
    seen = f", seen {finding.occurrences}×" if finding.occurrences > 1 else ""
    parts = [
        f'<article class="finding" id="{anchor}">',
        f'<h3><span class="badge">{escape(finding.check)}</span>{escape(finding.title)}</h3>',
        f'<p class="where">{escape(where)} · phase {escape(finding.phase or "-")}{seen}</p>',
        f'<pre class="message">{escape(finding.message)}</pre>',
    ]
    if finding.curl:
        parts.append(f'<details open><summary>Reproduce with curl</summary><pre id="{anchor}-curl">'
                     f'{escape(finding.curl)}</pre><button type="button" class="copy" data-for="{anchor}-curl" '
                     "hidden>Copy</button></details>")
    request, response = _exchange_text(finding.exchange)
    if request:
        parts.append(f"<details><summary>Request</summary><pre>{escape(request)}</pre></details>")
    if response:
        parts.append(f"<details open><summary>Response</summary><pre>{escape(response)}</pre></details>")
    elif finding.response:
        parts.append(f"<details open><summary>Response</summary><pre>{escape(finding.response)}</pre></details>")
    parts.append("</article>")
    return "".join(parts)


def _exchange_text(exchange: HttpExchange | None) -> tuple[str, str]:
    if exchange is None:
        return "", ""
    r = exchange.request
    request = "\n".join([f"{r.method} {r.url}", *(f"{k}: {v}" for k, v in r.headers.items())])
    if r.body:
        request += "\n\n" + r.body + ("\n[... cut]" if r.body_truncated else "")
    if exchange.response is None:
        return request, "(no response)"
    a = exchange.response
    response = "\n".join([f"{a.status} {a.reason}".rstrip(), *(f"{k}: {v}" for k, v in a.headers.items())])
    if a.body:
        response += "\n\n" + (a.body + "\n[... cut]" if a.body_truncated else _pretty(a.body))
    return request, response


def _pretty(body: str) -> str:
    """JSON bodies indented (they are easier to read than one long line); anything else as it came."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _coverage(report: ConformanceReport) -> str:
    summary = coverage_summary(report)
    labels = {"operations": "Operations exercised", "statuses": "Documented statuses received",
              "error_responses": "Documented error responses received"}
    totals = "".join(
        f"<tr><th scope=\"row\">{labels[key]}</th><td>{value['exercised']} / {value['total']}</td>"
        f"<td>{value['percent']}%</td></tr>"
        for key, value in summary.items()
    )
    rows = []
    for row in operation_coverage(report):
        chips = "".join(
            f'<span class="chip {"hit" if key in row.exercised else "miss"}{" err" if is_error_key(key) else ""}" '
            f'title="{"received" if key in row.exercised else "never received"}">{escape(key)}</span>'
            for key in row.documented
        )
        undocumented = "".join(f'<span class="chip undoc">{s}</span>' for s in row.undocumented) or "-"
        received = ", ".join(f"{status}×{count}" for status, count in row.received.items()) or "none"
        label = f'<span class="op">{escape(row.operation.short)}</span><br><span class="path">' \
                f"{escape(row.operation.label)}</span>"
        rows.append(f"<tr><th scope=\"row\">{label}</th><td>{chips}</td><td>{undocumented}</td>"
                    f"<td>{escape(received)}</td></tr>")
    return (f'<section id="coverage"><h2>Spec coverage</h2><table>{totals}</table>'
            '<table><thead><tr><th>operation</th><th>documented statuses (green: received; bold: errors)</th>'
            "<th>received, undocumented</th><th>responses by status</th></tr></thead>"
            f'<tbody>{"".join(rows)}</tbody></table></section>')


def _skipped(report: ConformanceReport) -> str:
    if not report.skipped:
        return '<section id="skipped"><h2>Skipped probes</h2><p>None.</p></section>'
    items = "".join(
        f"<li><b>{escape(s.check)}</b> {escape(s.operation.display if s.operation else '')}: {escape(s.reason)}</li>"
        for s in report.skipped
    )
    return f'<section id="skipped"><h2>Skipped probes ({len(report.skipped)})</h2><ul>{items}</ul></section>'


def _errors(report: ConformanceReport) -> str:
    if not report.errors:
        return '<section id="errors"><h2>Errors</h2><p>None.</p></section>'
    items = "".join(
        f"<li><b>{escape(e.phase or 'run')}</b> {escape(e.operation.display if e.operation else '')}: "
        f"{escape(e.message)}</li>"
        for e in report.errors
    )
    return (f'<section id="errors"><h2>Errors ({len(report.errors)}): the results are incomplete</h2>'
            f"<ul>{items}</ul></section>")
