"""The app factory: one Flask app serving one API from its spec, plus the ``/_mock`` admin plane."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from contract_tests.catalog import get_api
from mock_server.clock import Clock, ManualClock, RealClock, format_iso_ms, parse_instant
from mock_server.handlers import ApiError, Reply, RequestContext
from mock_server.journal import Journal
from mock_server.profile import ApiProfile
from mock_server.seeding import default_fixtures_path, read_fixture_file
from mock_server.specs import MISSING, CompiledSpec, Operation, compile_spec, errors_of
from mock_server.state import MockState
from mock_server.store import MemoryStore

__all__ = ["build_profile", "create_app", "get_state"]

MAX_BODY_BYTES = 1024 * 1024
VIOLATIONS_HEADER = "X-Ciapi-Violations"


def build_profile(api: str) -> ApiProfile:
    """Compile the API's spec and instantiate its profile (``mock_server.apis.<key>.Profile``)."""
    info = get_api(api)
    module = importlib.import_module(f"mock_server.apis.{info.key}")
    spec = compile_spec(info.spec_paths)
    profile: ApiProfile = module.Profile(spec)
    missing = [op.operation_id for op in spec.operations
               if op.operation_id not in profile.handlers and op.operation_id not in profile.unimplemented]
    if missing:
        raise RuntimeError(f"{info.name}: no handler for operation(s) {', '.join(missing)}")
    return profile


def create_app(
    api: str,
    *,
    fixtures: str | Path | Mapping[str, Any] | Iterable[str | Path | Mapping[str, Any]] | None = None,
    tokens: Iterable[str] = (),
    clock: str | Clock = "manual",
    clock_speed: float = 1.0,
    strict: bool = False,
    journal_size: int = 1000,
) -> Flask:
    """Build the mock server for ``api``.

    Args:
        fixtures: a fixture file, a fixture document, or several; ``None`` means the API's default fixtures.
        tokens: extra bearer tokens with full access to everything in the fixtures.
        clock: ``"manual"`` (moves only when advanced), ``"real"`` (wall time times ``clock_speed``) or a Clock.
        strict: replace a response that breaks the spec by a 500 that says why (tests); otherwise it is
            logged and marked with the ``X-Ciapi-Violations`` header.
    """
    profile = build_profile(api)
    documents = _fixture_documents(profile, fixtures)
    start = next((d["clock"] for _, d in documents if isinstance(d.get("clock"), str)), None)
    the_clock = clock if not isinstance(clock, str) else _make_clock(clock, start, clock_speed)
    state = MockState(profile=profile, store=MemoryStore(), clock=the_clock, journal=Journal(journal_size),
                      fixtures=documents, tokens=tuple(tokens), strict=strict)
    state.reset()

    app = Flask(f"ciapi.{profile.info.key}")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["ciapi"] = state
    _register_operations(app, state, profile.spec)
    from mock_server.admin import admin_blueprint

    app.register_blueprint(admin_blueprint)
    app.register_error_handler(HTTPException, _http_error)
    return app


def get_state(app: Flask) -> MockState:
    state: MockState = app.extensions["ciapi"]
    return state


def _make_clock(kind: str, start: str | None, speed: float) -> Clock:
    origin = parse_instant(start, origin=0.0) if start else None
    if kind == "manual":
        return ManualClock(origin) if origin is not None else ManualClock()
    if kind == "real":
        return RealClock(origin, speed=speed)
    raise ValueError(f"unknown clock {kind!r}: use 'manual' or 'real'")


def _fixture_documents(profile: ApiProfile, fixtures: Any) -> list[tuple[str, Mapping[str, Any]]]:
    if fixtures is None:
        fixtures = [default_fixtures_path(profile.info.key)]
    elif isinstance(fixtures, str | Path | Mapping):
        fixtures = [fixtures]
    out: list[tuple[str, Mapping[str, Any]]] = []
    for item in fixtures:
        if isinstance(item, Mapping):
            out.append(("<fixture document>", item))
        else:
            out.append((str(item), read_fixture_file(item)))
    return out


# --- the request path ---------------------------------------------------------------------------
def _register_operations(app: Flask, state: MockState, spec: CompiledSpec) -> None:
    for op in spec.operations:
        view = _make_view(state, op)
        endpoint = f"{state.profile.info.key}.{op.operation_id}"
        app.add_url_rule(op.flask_rule, endpoint, view, methods=[op.method])
        if state.profile.trailing_slash and not op.flask_rule.endswith("/"):
            app.add_url_rule(op.flask_rule + "/", endpoint + "/", view, methods=[op.method])


def _make_view(state: MockState, op: Operation) -> Any:
    profile = state.profile
    handler = profile.handlers.get(op.operation_id)

    def view(**path: str) -> Response:
        started = time.perf_counter()
        store = state.store
        with store.transaction():
            now = state.tick()
            try:
                if handler is None:
                    raise ApiError(501, f"{op.operation_id} is not implemented by the ciapi mock")
                principal = None if op.public else profile.authenticate(request.headers, store, op)
                ctx = _context(state, op, path, now, principal)
                reply = handler(ctx)
            except ApiError as error:
                reply = profile.error_reply(error)
        return _finish(state, op, reply, started)

    view.__name__ = op.operation_id
    return view


def _context(state: MockState, op: Operation, path: dict[str, str], now: float, principal: Any) -> RequestContext:
    problems: list[str] = []
    values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
    args = request.args
    for param in op.params:
        if param.location == "path":
            raw = [path[param.name]]
        elif param.location == "query":
            raw = args.getlist(param.name)
        elif param.location == "header":
            raw = request.headers.getlist(param.name)
        else:
            continue
        if not raw:
            if param.required:
                problems.append(f"{param.name}: required {param.location} parameter is missing")
            elif param.default is not MISSING:
                values[param.location][param.name] = param.default
            continue
        value, problem = param.coerce(raw)
        if problem is None:
            problems += param.check(value)
        else:
            problems.append(problem)
        values[param.location][param.name] = value
    body = _body(op, problems)
    if problems:
        raise state.profile.invalid_request(op, problems)
    base_url = request.host_url.rstrip("/")
    return RequestContext(
        operation=op, path=values["path"], query=values["query"], raw_query=list(args.items(multi=True)),
        headers=request.headers, body=body, store=state.store, now=now, base_url=base_url,
        path_url=base_url + request.path, principal=principal,
    )


def _body(op: Operation, problems: list[str]) -> Any:
    raw = request.get_data(cache=True)
    if op.body is None or not raw:
        if op.body is not None and op.body.required:
            problems.append("the request body is required")
        return None
    media_type = (request.mimetype or "").lower()
    if media_type not in op.body.media_types:
        accepted = ", ".join(op.body.media_types)
        problems.append(f"content type {media_type or '(none)'!r} is not accepted: use {accepted}")
        return None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        problems.append("the request body is not valid JSON")
        return None
    problems += errors_of(op.body.validators[media_type], body, "body")
    return body


def _render(reply: Reply) -> Response:
    if reply.media_type is None:
        return Response(status=reply.status, headers=reply.headers, content_type=None)
    if reply.media_type.startswith("application/json"):
        data: str | bytes = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":"))
        content_type = "application/json; charset=utf-8"
    else:
        data = reply.body if isinstance(reply.body, str | bytes) else str(reply.body)
        content_type = reply.media_type
    return Response(data, status=reply.status, headers=reply.headers, content_type=content_type)


def _finish(state: MockState, op: Operation | None, reply: Reply, started: float) -> Response:
    problems: list[str] = []
    if op is not None:
        media_type = reply.media_type.split(";")[0].strip() if reply.media_type else None
        problems = op.validate_response(reply.status, media_type, reply.body, reply.headers)
    if problems:
        entry = {"method": request.method, "path": request.path, "status": reply.status,
                 "operation_id": op.operation_id if op else None, "problems": problems}
        state.record_violation(entry)
        if state.strict:
            reply = Reply.json({"message": "ciapi mock bug: the response breaks the spec", "violations": problems},
                               status=500)
    response = _render(reply)
    if problems:
        response.headers[VIOLATIONS_HEADER] = _header_safe(f"{len(problems)}; {problems[0]}")
    state.journal.record({
        "time": format_iso_ms(state.clock.now()),
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode("latin-1"),
        "operation_id": op.operation_id if op else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "valid": not problems,
        "violations": problems,
    })
    return response


def _header_safe(text: str) -> str:
    return "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in text)[:1000]


def _http_error(exc: HTTPException) -> Response:
    """Errors raised before a handler runs (unknown path, wrong method, body too large)."""
    from flask import current_app

    state = get_state(current_app)
    if request.path.startswith("/_mock"):
        return Response(json.dumps({"error": exc.description}), status=exc.code or 500,
                        content_type="application/json")
    message = {404: "Not Found", 405: "Method Not Allowed", 413: "Request body too large"}.get(exc.code or 500,
                                                                                               exc.name)
    reply = state.profile.error_reply(ApiError(exc.code or 500, message))
    if exc.code == 405 and exc.response is None:
        allowed = getattr(exc, "valid_methods", None) or []
        reply.headers["Allow"] = ", ".join(allowed)
    return _finish(state, None, reply, time.perf_counter())

