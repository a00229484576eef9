"""HTTP plumbing shared by the probes: a small client, exchanges with a curl reproduction, response summaries."""

from __future__ import annotations

import json as jsonlib
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from contract_tests.report.model import HttpExchange, HttpRequest, HttpResponse

__all__ = [
    "BODY_LIMIT",
    "Exchange",
    "ProbeClient",
    "ProbeError",
    "curl_command",
    "http_exchange",
    "redact_headers",
    "summarize_response",
]

# Headers `requests` adds on its own; they only add noise to a reproduction.
_NOISE = {"user-agent", "accept-encoding", "connection", "content-length", "x-schemathesis-testcaseid"}
_MISSING = object()
BODY_EXCERPT = 300
BODY_LIMIT = 8000  # characters of a body kept in a finding's request/response
_SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}


class ProbeError(Exception):
    """A probe request failed at the network level."""


def curl_command(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | str | None,
    secrets: Mapping[str, str],
) -> str:
    """A curl command for the request; header values found in ``secrets`` become ``$VARIABLE`` references."""
    parts = ["curl", "-X", method.upper()]
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _NOISE or (lowered == "accept" and value == "*/*"):
            continue
        parts += ["-H", _header_arg(name, value, secrets)]
    if body:
        text = body.decode("utf-8", "backslashreplace") if isinstance(body, bytes) else body
        parts += ["-d", shlex.quote(text)]
    parts.append(shlex.quote(url))
    return " ".join(parts)


def _header_arg(name: str, value: str, secrets: Mapping[str, str]) -> str:
    scheme, _, credential = value.rpartition(" ")
    variable = secrets.get(credential) if name.lower() == "authorization" else None
    if variable and re.fullmatch(r"[\w.-]*", scheme):
        # Double quotes so the shell expands the variable; the scheme is a plain word.
        return f'"{name}: {scheme + " " if scheme else ""}${{{variable}}}"'
    return shlex.quote(f"{name}: {value}")


def redact_headers(headers: Mapping[str, str], secrets: Mapping[str, str], *, redact_unknown: bool = False
                   ) -> dict[str, str]:
    """Headers with known credentials as ``${VARIABLE}`` (unknown ones as ``<redacted>`` if asked), noise dropped."""
    out = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _NOISE:
            continue
        if lowered in _SECRET_HEADERS:
            scheme, _, credential = value.rpartition(" ")
            if credential in secrets:
                value = f"{scheme + ' ' if scheme else ''}${{{secrets[credential]}}}"
            elif redact_unknown:
                value = f"{scheme + ' ' if scheme else ''}<redacted>"
        out[name] = value
    return out


def _text(body: bytes | str | None) -> tuple[str | None, bool]:
    if body is None or body == b"" or body == "":
        return None, False
    text = body.decode("utf-8", "backslashreplace") if isinstance(body, bytes) else body
    return (text[:BODY_LIMIT], True) if len(text) > BODY_LIMIT else (text, False)


def http_exchange(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | str | None,
    response: tuple[int, str, Mapping[str, str], bytes | None] | None,
    secrets: Mapping[str, str],
    *,
    redact_unknown: bool = False,
) -> HttpExchange:
    """The request and response of a finding, ready for reports (credentials redacted, bodies cut)."""
    text, cut = _text(body)
    request = HttpRequest(method=method.upper(), url=url, headers=redact_headers(headers, secrets,
                          redact_unknown=redact_unknown), body=text, body_truncated=cut)
    if response is None:
        return HttpExchange(request=request)
    status, reason, response_headers, content = response
    text, cut = _text(content)
    answer = HttpResponse(status=status, reason=reason, headers=redact_headers(response_headers, {},
                          redact_unknown=True), body=text, body_truncated=cut)
    return HttpExchange(request=request, response=answer)


def summarize_response(status: int, reason: str, content: bytes | None) -> str:
    """``404 Not Found: {"message": "No agent found"}`` with the body cut to a few hundred characters."""
    text = (content or b"").decode("utf-8", "backslashreplace").strip()
    if len(text) > BODY_EXCERPT:
        text = text[:BODY_EXCERPT] + "..."
    head = f"{status} {reason}".strip()
    return f"{head}: {text}" if text else f"{head} (empty body)"


@dataclass(frozen=True, slots=True)
class Exchange:
    """A request a probe sent and the response it got."""

    request: requests.PreparedRequest
    response: requests.Response
    secrets: Mapping[str, str]

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def url(self) -> str:
        return str(self.request.url)

    @property
    def curl(self) -> str:
        body = self.request.body
        return curl_command(str(self.request.method), self.url, dict(self.request.headers), body, self.secrets)

    @property
    def summary(self) -> str:
        return summarize_response(self.status, self.response.reason or "", self.response.content)

    @property
    def record(self) -> HttpExchange:
        """The request and response for a report."""
        r = self.response
        return http_exchange(str(self.request.method), self.url, dict(self.request.headers), self.request.body,
                             (r.status_code, r.reason or "", dict(r.headers), r.content), self.secrets)

    def json(self) -> tuple[bool, Any]:
        """``(True, value)`` when the body parses as JSON, else ``(False, None)``."""
        try:
            return True, jsonlib.loads(self.response.content)
        except ValueError:
            return False, None

    @property
    def is_json_media_type(self) -> bool:
        media_type = self.response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return media_type == "application/json" or media_type.endswith("+json")


class ProbeClient:
    """Sends probe requests relative to the API URL, with the run's token unless told otherwise."""

    def __init__(
        self,
        *,
        api_url: str,
        authorization: str | None,
        secrets: Mapping[str, str],
        timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.authorization = authorization
        self.secrets = secrets
        self.timeout = timeout
        self.session = session or requests.Session()
        self.sent: list[tuple[str, str, int]] = []  # (method, url, status) of every answered request, for coverage

    def url_for(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.api_url + path

    def send(
        self,
        method: str,
        path: str,
        *,
        authorization: str | None | object = _MISSING,
        params: Mapping[str, Any] | None = None,
        json: Any = _MISSING,
    ) -> Exchange:
        """Send one request; ``authorization=None`` sends none, a string replaces the run's header value."""
        auth = self.authorization if authorization is _MISSING else authorization
        headers = {"Accept": "application/json"}
        if isinstance(auth, str):
            headers["Authorization"] = auth
        request = requests.Request(method, self.url_for(path), headers=headers, params=dict(params or {}))
        if json is not _MISSING:
            request.json = json
        # `Request.prepare` rather than `Session.prepare_request`: no netrc credentials sneak into probes.
        prepared = request.prepare()
        settings = self.session.merge_environment_settings(prepared.url, {}, None, None, None)
        try:
            response = self.session.send(prepared, timeout=self.timeout, allow_redirects=False, **settings)
        except requests.RequestException as exc:
            raise ProbeError(f"{method} {prepared.url}: {exc}") from exc
        self.sent.append((method.upper(), str(prepared.url), response.status_code))
        return Exchange(prepared, response, self.secrets)

    def follow(self, base: str, link: str) -> str:
        return urljoin(base, link)
