"""``ciapi proxy``: a validation proxy. Clients talk to it; it forwards to the upstream server, checks every
exchange against the spec and our checks (`contract_tests.observer`), and folds the results into a report.

Example:
    ```python
    with ValidationProxy(api="buildkite", upstream="http://127.0.0.1:8080") as proxy:
        requests.get(proxy.url + "/v2/organizations/my-great-org/agents", headers=auth)
    proxy.report.findings
    ```
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import requests
from werkzeug.serving import BaseWSGIServer, make_server

from contract_tests.catalog import get_api, load_spec
from contract_tests.events import RunFinished, RunStarted
from contract_tests.observer import OBSERVED_CHECKS, ExchangeChecker, Observed
from contract_tests.profiles import get_profile
from contract_tests.recording import RECORDERS, Recorder, recorder_for
from contract_tests.report.model import ConformanceReport
from contract_tests.spec import SpecOperation, base_path, documented_statuses, iter_operations

__all__ = ["ValidationProxy"]

# RFC 9110 hop-by-hop headers, plus what `requests` re-encodes for us.
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "content-length", "content-encoding", "host"}


class ValidationProxy:
    """Forward to ``upstream``, check every exchange, keep a `ConformanceReport` (``.report``)."""

    def __init__(self, api: str, upstream: str, *, host: str = "127.0.0.1", port: int = 0, record: bool = False,
                 timeout: float = 60.0, checks: tuple[str, ...] = OBSERVED_CHECKS) -> None:
        info = get_api(api)
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"invalid upstream URL {upstream!r}: expected http(s)://host[:port][/path]")
        self.api, self.upstream, self.host, self.port = info.name, upstream.rstrip("/"), host, port
        self.timeout = timeout
        roots = [load_spec(path) for path in info.spec_paths]
        self.operations = [op for root in roots for op in iter_operations(root)]
        self.checker = ExchangeChecker(roots, get_profile(api), checks)
        self.recorder: Recorder | None = recorder_for(info.key, self.upstream) if record else None
        if record and self.recorder is None:
            able = ", ".join(sorted(get_api(key).name for key in RECORDERS))
            raise ValueError(f"--record is not available for {info.name} yet (only: {able})")
        self.report = ConformanceReport()
        self.report.apply(RunStarted(
            api=info.name, base_url=self.upstream, seed=0, checks=checks,
            operations=tuple(op.ref for op in self.operations),
            documented={op.ref: documented_statuses(op) for op in self.operations},
            started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        ))
        self.report.seed = None
        self._session = requests.Session()
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.exchanges = 0

    # serving ----------------------------------------------------------------------------------------
    def bind(self) -> ValidationProxy:
        self._server = make_server(self.host, self.port, self, threaded=True)
        self.port = self._server.server_port
        return self

    def start(self) -> ValidationProxy:
        """Serve from a daemon thread (tests); ``ciapi proxy`` calls `serve_forever` instead."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name="ciapi-proxy", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._server.serve_forever()

    def shutdown(self) -> None:
        """Make `serve_forever` return (from another thread)."""
        if self._server is not None:
            self._server.shutdown()

    def stop(self) -> ConformanceReport:
        """Stop serving and finish the report."""
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
            self._server.server_close()
        self._server = self._thread = None
        with self._lock:
            if not self.report.finished:
                self.report.apply(RunFinished(elapsed=time.monotonic() - self._started))
        return self.report

    def __enter__(self) -> ValidationProxy:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def recording(self) -> dict[str, Any] | None:
        """The fixture document of what was recorded (``None`` without ``record``).

        Raises:
            contract_tests.recording.RecordingError: what was seen cannot be written as a document that loads
                (a `ValueError`; e.g. Semaphore agents whose organization nothing named).
        """
        return self.recorder.document() if self.recorder is not None else None

    # WSGI -------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if not raw:
            query = environ.get("QUERY_STRING", "")
            raw = quote(environ.get("PATH_INFO", "").encode("latin-1")) + (f"?{query}" if query else "")
        url = self.upstream + raw
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers = {k: v for k, v in headers.items() if k.lower() not in _HOP}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        try:
            answer = self._session.request(method, url, headers=headers, data=body, timeout=self.timeout,
                                           allow_redirects=False)
        except requests.RequestException as exc:
            start_response("502 Bad Gateway", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"ciapi proxy: the upstream did not answer: {exc}".encode()]
        out_headers = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
        seen = Observed(method, url, headers, body, answer.status_code, answer.reason or "", out_headers,
                        answer.content)
        self._observe(seen)
        proxy_origin = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST') or self.url}"
        proxy_origin = _origin(proxy_origin) if "//" in proxy_origin.split("://", 1)[1] else proxy_origin
        for name in [k for k in out_headers if k.lower() == "link"]:
            out_headers[name] = out_headers[name].replace(_origin(self.upstream), proxy_origin)
        start_response(f"{answer.status_code} {answer.reason or ''}".strip(),
                       [*out_headers.items(), ("Content-Length", str(len(answer.content)))])
        return [answer.content]

    def _observe(self, seen: Observed) -> None:
        operation, events = self.checker.check(seen)
        with self._lock:
            self.exchanges += 1
            for event in events:
                self.report.apply(event)
        if operation is not None and self.recorder is not None and 200 <= seen.status < 300:
            try:
                body = json.loads(seen.body)
            except ValueError:
                return
            self.recorder.observe(operation, _path_values(operation, seen.url), seen.status, body)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _path_values(operation: SpecOperation, url: str) -> dict[str, str]:
    template = base_path(operation.root) + operation.path
    names = re.findall(r"\{([^}/]+)\}", template)
    pattern = re.escape(template)
    for name in names:
        pattern = pattern.replace(re.escape("{" + name + "}"), "([^/]+)", 1)
    match = re.search(pattern + "/?$", urlsplit(url).path)
    return {name: unquote(value) for name, value in zip(names, match.groups(), strict=True)} if match else {}
