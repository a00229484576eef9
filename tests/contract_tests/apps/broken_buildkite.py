"""WSGI middlewares around the Buildkite mock, each breaking exactly one rule of the contract.

Like schemathesis' test/apps/catalog: the suite must pass on the mock and name the right check on each of these.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode

from mock_server.wsgi_on_loop import run_whole

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[str, str]]
Rewrite = Callable[[dict[str, Any], str, Headers, bytes], tuple[str, Headers, bytes]]

AGENTS = "/v2/organizations/my-great-org/agents"


def rewriting(app: WSGIApp, rewrite: Rewrite) -> WSGIApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, headers, body = rewrite(environ, *run_whole(app, environ))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]

    return middleware


def _header(headers: Headers, name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def _replace_header(headers: Headers, name: str, value: str | None) -> Headers:
    kept = [(k, v) for k, v in headers if k.lower() != name.lower()]
    return kept + ([(name, value)] if value is not None else [])


def _is_agent_list(environ: dict[str, Any], status: str) -> bool:
    return environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"].rstrip("/") == AGENTS and status[:3] == "200"


# --- null_fields ----------------------------------------------------------------------------------------
def drop_agent_field(app: WSGIApp, field: str = "priority") -> WSGIApp:
    """Leave a documented (nullable) property out of every agent object."""
    return _rewrite_agents(app, lambda agent: agent.pop(field, None))


# --- pagination -------------------------------------------------------------------------------------------
def squashed_link_separators(app: WSGIApp) -> WSGIApp:
    """``<a>;rel="next",<b>;rel="last"``: valid RFC 8288, but not the exact layout pybuildkite splits on."""

    def rewrite(environ: dict[str, Any], status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        link = _header(headers, "Link")
        if link is not None:
            headers = _replace_header(headers, "Link", link.replace(", ", ",").replace("; ", ";"))
        return status, headers, body

    return rewriting(app, rewrite)


def next_on_last_page(app: WSGIApp) -> WSGIApp:
    """Add ``rel="next"`` to pages that have none (including the last one)."""

    def rewrite(environ: dict[str, Any], status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        if not _is_agent_list(environ, status):
            return status, headers, body
        link = _header(headers, "Link") or ""
        if 'rel="next"' not in link:
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            page = max(int(query.get("page", "1")), 1)
            url = f"http://{environ['HTTP_HOST']}{AGENTS}?{urlencode({**query, 'page': page + 1})}"
            headers = _replace_header(headers, "Link", ", ".join(filter(None, [link, f'<{url}>; rel="next"'])))
        return status, headers, body

    return rewriting(app, rewrite)


def duplicate_across_pages(app: WSGIApp) -> WSGIApp:
    """Page N (N >= 2) starts with the last agent of page N-1 (and so drops one agent)."""

    def rewrite(environ: dict[str, Any], status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        page = int(query["page"]) if query.get("page", "").isdigit() else 1
        if not _is_agent_list(environ, status) or page < 2:
            return status, headers, body
        previous_env = {**environ, "QUERY_STRING": urlencode({**query, "page": page - 1})}
        previous = json.loads(run_whole(app, previous_env)[2])
        items = json.loads(body)
        if previous and items:
            items = [previous[-1], *items[:-1]]
        return status, headers, json.dumps(items).encode()

    return rewriting(app, rewrite)


def ignore_per_page(app: WSGIApp) -> WSGIApp:
    """Drop ``per_page`` before the mock sees it: pages are always 30 items long."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = [(k, v) for k, values in parse_qs(environ.get("QUERY_STRING", "")).items() for v in values]
        environ = {**environ, "QUERY_STRING": urlencode([(k, v) for k, v in query if k != "per_page"])}
        return app(environ, start_response)

    return middleware


# --- error_codes -------------------------------------------------------------------------------------------
def accept_without_credentials(app: WSGIApp, token: str) -> WSGIApp:
    """A request without Authorization is served as if it carried the full-access token."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if "HTTP_AUTHORIZATION" not in environ:
            environ = {**environ, "HTTP_AUTHORIZATION": f"Bearer {token}"}
        return app(environ, start_response)

    return middleware


def ignore_scopes(app: WSGIApp, token: str) -> WSGIApp:
    """A 403 (token without the scope) is retried with the full-access token."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sent = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))  # the retry sends it again
        status, headers, body = run_whole(app, {**environ, "wsgi.input": io.BytesIO(sent)})
        if status.startswith("403"):
            retry = {**environ, "wsgi.input": io.BytesIO(sent), "HTTP_AUTHORIZATION": f"Bearer {token}"}
            status, headers, body = run_whole(app, retry)
        start_response(status, headers)
        return [body]

    return middleware


def not_found_as_text(app: WSGIApp) -> WSGIApp:
    """404s carry a plain-text body instead of ``{"message": ...}``."""

    def rewrite(environ: dict[str, Any], status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        if status.startswith("404"):
            return status, _replace_header(headers, "Content-Type", "text/plain"), b"Not Found"
        return status, headers, body

    return rewriting(app, rewrite)


def not_found_as_server_error(app: WSGIApp) -> WSGIApp:
    """An unknown id crashes: 500 instead of 404."""

    def rewrite(environ: dict[str, Any], status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        if status.startswith("404"):
            return "500 INTERNAL SERVER ERROR", headers, b'{"message": "boom"}'
        return status, headers, body

    return rewriting(app, rewrite)


def _rewrite_agents(app: WSGIApp, change: Callable[[dict[str, Any]], None]) -> WSGIApp:
    """Apply ``change`` to every agent object of a successful agents response."""

    def rewrite(environ: dict[str, Any], status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        if not environ["PATH_INFO"].startswith("/v2/") or not status.startswith("2") or not body:
            return status, headers, body
        data = json.loads(body)
        for agent in data if isinstance(data, list) else [data]:
            if isinstance(agent, dict):
                change(agent)
        return status, headers, json.dumps(data).encode()

    return rewriting(app, rewrite)


# --- null_fields (a blank value left out instead of null) --------------------------------------------------
def omit_nulls(app: WSGIApp) -> WSGIApp:
    """Leave out the agent properties whose value is null (`priority`, `last_job_finished_at`, `creator`...)."""

    def change(agent: dict[str, Any]) -> None:
        for key in [k for k, v in agent.items() if v is None]:
            del agent[key]

    return _rewrite_agents(app, change)


# --- status_code_conformance ----------------------------------------------------------------------------------
def stop_answers_202(app: WSGIApp) -> WSGIApp:
    """A successful stop answers 202 Accepted, which the spec does not document (it says 204)."""

    def rewrite(environ: dict[str, Any], status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        if environ["REQUEST_METHOD"] == "PUT" and status.startswith("204"):
            return "202 ACCEPTED", headers, body
        return status, headers, body

    return rewriting(app, rewrite)


# --- error_codes (the API's error body) ---------------------------------------------------------------------------
def wrong_error_body(app: WSGIApp) -> WSGIApp:
    """404s carry ``{"error": "not_found"}`` (JSON, but not Buildkite's ``{"message": ...}``)."""

    def rewrite(environ: dict[str, Any], status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        if status.startswith("404") and environ["PATH_INFO"].startswith("/v2/"):
            return status, headers, b'{"error": "not_found"}'
        return status, headers, body

    return rewriting(app, rewrite)


# --- timestamps ------------------------------------------------------------------------------------------------------
def timestamps_without_milliseconds(app: WSGIApp) -> WSGIApp:
    """``created_at`` as ``2015-05-09T21:05:59Z``: RFC 3339, but not Buildkite's documented ``.sssZ`` form."""

    def change(agent: dict[str, Any]) -> None:
        if isinstance(agent.get("created_at"), str):
            agent["created_at"] = agent["created_at"][:19] + "Z"

    return _rewrite_agents(app, change)


# --- lifecycle -------------------------------------------------------------------------------------------------------
def stopped_agent_reconnects(app: WSGIApp) -> WSGIApp:
    """An agent once reported `stopped` is reported `connected` again: `stopped` is final (no transition out)."""
    stopped: set[str] = set()

    def change(agent: dict[str, Any]) -> None:
        if agent.get("connection_state") == "stopped":
            if agent.get("id") in stopped:
                agent["connection_state"] = "connected"
            stopped.add(str(agent.get("id")))

    return _rewrite_agents(app, change)
