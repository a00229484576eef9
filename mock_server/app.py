"""The app factory: one Flask app serving one API from its spec, plus the ``/_mock`` admin plane."""

from __future__ import annotations

import importlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Request

from contract_tests.catalog import get_api
from mock_server.clock import DEFAULT_EPOCH, Clock, ManualClock, RealClock, format_iso_ms, parse_instant
from mock_server.handlers import ApiError, RawRequest, Reply, RequestContext
from mock_server.journal import Journal
from mock_server.profile import ApiProfile, ExtraRoute
from mock_server.rendering import render
from mock_server.routing import Router
from mock_server.seeding import default_fixtures_path, read_fixture_file
from mock_server.specs import MISSING, CompiledSpec, Operation, compile_spec, errors_of
from mock_server.state import VIOLATIONS_KEPT, MockState
from mock_server.store import MemoryStore, WriteNeeded

__all__ = ["build_profile", "create_app", "get_state"]

MAX_BODY_BYTES = 1024 * 1024
VIOLATIONS_HEADER = "X-Ciapi-Violations"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"  # parsed when an operation documents it
_READ_METHODS = frozenset({"GET", "HEAD"})  # tried first in a read-only transaction


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
    store: str = "memory",
    faults: Iterable[str | Mapping[str, Any]] = (),
    fault_seed: int | None = None,
    admin_token: str | None = None,
) -> Flask:
    """Build the mock server for ``api``.

    Args:
        fixtures: a fixture file, a fixture document, or several; ``None`` means the API's default fixtures.
        tokens: extra bearer tokens with full access to everything in the fixtures.
        clock: ``"manual"`` (moves only when advanced), ``"real"`` (wall time times ``clock_speed``) or a Clock.
        strict: replace a response that breaks the spec by a 500 that says why (tests); otherwise it is
            logged and marked with the ``X-Ciapi-Violations`` header.
        store: ``"memory"`` (one process) or ``"sqlite:PATH"``, which worker processes share; a database that
            already holds state is resumed as it is, a new one is seeded from the fixtures.
        faults: fault rules in force from the start and after each reset (``"getAgent:status=503"``, or
            mappings; see ``mock_server.faults``); ``fault_seed`` makes their random draws repeatable.
        admin_token: without it the admin plane (``/_mock/*``) answers only requests from loopback; with it,
            only requests that send ``Authorization: Bearer <admin_token>``.
    """
    profile = build_profile(api)
    documents = _fixture_documents(profile, fixtures)
    start = next((d["clock"] for _, d in documents if isinstance(d.get("clock"), str)), None)
    state = _make_state(profile, documents, start, tokens=tuple(tokens), clock=clock, clock_speed=clock_speed,
                        strict=strict, journal_size=journal_size, store=store)

    app = Flask(f"ciapi.{profile.info.key}")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["ciapi"] = state
    views = _register_operations(app, state, profile.spec)
    _register_extra_routes(app, state, views)
    app.wsgi_app = ApiDispatcher(app, app.wsgi_app, state, views)  # type: ignore[method-assign]
    from mock_server.admin import ADMIN_TOKEN_CONFIG, admin_blueprint, guard_admin_plane

    app.config[ADMIN_TOKEN_CONFIG] = admin_token or None
    app.before_request(guard_admin_plane)
    app.register_blueprint(admin_blueprint)
    app.register_error_handler(HTTPException, _http_error)
    from mock_server.dashboard import install_devtools

    install_devtools(app, state, faults=faults, seed=fault_seed)
    return app


def get_state(app: Flask) -> MockState:
    state: MockState = app.extensions["ciapi"]
    return state


def _make_state(profile: ApiProfile, documents: list[tuple[str, Mapping[str, Any]]], start: str | None, *,
                tokens: tuple[str, ...], clock: str | Clock, clock_speed: float, strict: bool, journal_size: int,
                store: str) -> MockState:
    if store == "memory":
        the_clock = clock if not isinstance(clock, str) else _make_clock(clock, start, clock_speed)
        memory = MemoryStore()
        for index in profile.indexes():
            memory.declare_index(index)
        state = MockState(profile=profile, store=memory, clock=the_clock, journal=Journal(journal_size),
                          fixtures=documents, tokens=tokens, strict=strict)
        state.reset()
        return state
    if not store.startswith("sqlite:") or not store[len("sqlite:"):]:
        raise ValueError(f"unknown store {store!r}: use 'memory' or 'sqlite:PATH'")
    from mock_server.sqlite_store import SharedClock, SqliteJournal, SqliteStore

    if not isinstance(clock, str):
        raise ValueError("a store shared by processes needs a clock kind ('manual' or 'real'), not a Clock object")
    shared = SqliteStore(store[len("sqlite:"):])
    for index in profile.indexes():
        shared.declare_index(index)
    origin = parse_instant(start, origin=0.0) if start else (DEFAULT_EPOCH if clock == "manual" else None)
    with shared.transaction():
        first = shared.meta_get("seeded") is None
        if first:
            shared.meta_set("start", origin if origin is not None else time.time())
        the_clock = SharedClock(shared, clock, start=shared.meta_get("start"), speed=clock_speed)
        state = MockState(profile=profile, store=shared, clock=the_clock, journal=SqliteJournal(shared, journal_size),
                          fixtures=documents, tokens=tokens, strict=strict,
                          violation_log=SqliteJournal(shared, VIOLATIONS_KEPT, name="violations"))
        if first:
            state.reset()
            shared.meta_set("seeded", True)
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
class ApiRequest(Request):
    """The request a view reads (werkzeug's, with the mock's body limit: larger bodies get a 413)."""

    max_content_length = MAX_BODY_BYTES


View = Callable[..., Response]


def _register_operations(app: Flask, state: MockState, spec: CompiledSpec) -> dict[str, View]:
    """Route every operation; returns the views by endpoint (``ApiDispatcher`` calls them without Flask)."""
    views: dict[str, View] = {}
    for op in spec.operations:
        view = _make_view(state, op)
        endpoint = f"{state.profile.info.key}.{op.operation_id}"
        _add_route(app, views, op.flask_rule, endpoint, view, [op.method])
        if state.profile.trailing_slash and not op.flask_rule.endswith("/"):
            _add_route(app, views, op.flask_rule + "/", endpoint + "/", view, [op.method])
    return views


def _register_extra_routes(app: Flask, state: MockState, views: dict[str, View]) -> None:
    for route in state.profile.extra_routes():
        endpoint = f"{state.profile.info.key}.extra.{route.name}"
        _add_route(app, views, route.rule, endpoint, _make_extra_view(state, route), list(route.methods))


def _add_route(app: Flask, views: dict[str, View], rule: str, endpoint: str, view: View, methods: list[str]) -> None:
    views[endpoint] = view

    def flask_view(**path: Any) -> Response:  # the same view, for a request that reaches Flask after all
        return view(request._get_current_object(), **path)  # type: ignore[attr-defined]

    flask_view.__name__ = view.__name__
    app.add_url_rule(rule, endpoint, flask_view, methods=methods)


class ApiDispatcher:
    """The WSGI entry of the API's own routes: matched against the app's URL map and run without Flask.

    Flask's request context, signals and dispatch cost about as much as a whole GET of the mock; the API's
    views need none of it. Everything else (``/_mock``, unknown paths, wrong methods, redirects) goes to
    Flask as before.
    """

    def __init__(self, app: Flask, flask_wsgi: Callable[..., Iterable[bytes]], state: MockState,
                 views: dict[str, View]) -> None:
        self.flask_wsgi = flask_wsgi
        self.state = state
        self.views = views
        self.logger = app.logger
        self.adapter = app.url_map.bind("ciapi.invalid")  # matching needs a host; the routes use none
        self.router = Router((rule.rule, rule.endpoint, rule.methods or ()) for rule in app.url_map.iter_rules()
                             if rule.endpoint in views)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path.startswith("/_mock") or environ.get("REQUEST_METHOD") == "OPTIONS":  # Flask answers OPTIONS
            return self.flask_wsgi(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            path = path.encode("latin-1").decode("utf-8")
            found = self.router.match(path, method)
            endpoint, args = found if found is not None else self.adapter.match(path, method)
        except (HTTPException, UnicodeError):
            return self.flask_wsgi(environ, start_response)  # 404, 405, redirect: Flask's handlers answer
        view = self.views.get(endpoint)
        if view is None:
            return self.flask_wsgi(environ, start_response)
        req = ApiRequest(environ)
        try:
            response = view(req, **args)
        except HTTPException as exc:  # a body over the limit (413)
            response = _http_error_response(self.state, req, exc)
        except Exception as exc:  # a bug in the mock: logged, and answered as Flask would (a 500 in the API's shape)
            self.logger.exception("Exception on %s [%s]", req.path, req.method)
            response = _http_error_response(self.state, req, InternalServerError(original_exception=exc))
        return response(environ, start_response)


def _make_extra_view(state: MockState, route: ExtraRoute) -> View:
    """A profile's route outside the spec: lifecycle events fire first; no auth, no validation; journaled."""

    def view(req: Request, **path: Any) -> Response:
        started = time.perf_counter()
        with state.store.transaction():
            now = state.tick()
            raw = RawRequest(path=path, query={k: req.args.getlist(k) for k in req.args},
                             headers=req.headers, store=state.store, now=now,
                             base_url=_base_url(req))
            try:
                reply = route.handler(raw)
            except ApiError as error:
                reply = state.profile.error_reply(error)
        return _finish(state, req, None, reply, started, now)

    view.__name__ = f"extra_{route.name}"
    return view


def _make_view(state: MockState, op: Operation) -> View:
    profile = state.profile
    handler = profile.handlers.get(op.operation_id)
    read_first = op.method in _READ_METHODS

    def view(req: Request, **path: str) -> Response:
        started = time.perf_counter()
        store = state.store
        req.get_data(cache=True)  # read the body before the store's lock: a slow client holds no one else up
        write = not read_first
        while True:
            try:
                with store.transaction(write=write):
                    now = state.tick()
                    try:
                        if handler is None:
                            raise ApiError(501, f"{op.operation_id} is not implemented by the ciapi mock")
                        principal = None if op.public else profile.authenticate(req.headers, store, op)
                        ctx = _context(state, req, op, path, now, principal)
                        reply = handler(ctx)
                    except ApiError as error:
                        reply = profile.error_reply(error)
                break
            except WriteNeeded:  # a GET found an event due, or changed what it read: again, as a writer
                if write:
                    raise
                write = True
        return _finish(state, req, op, reply, started, now)

    view.__name__ = op.operation_id
    return view


def _context(state: MockState, req: Request, op: Operation, path: dict[str, str], now: float,
             principal: Any) -> RequestContext:
    problems: list[str] = []
    values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
    args = req.args
    for param in op.params:
        if param.location == "path":
            raw = [path[param.name]]
        elif param.location == "query":
            raw = args.getlist(param.name)
            if param.type != "array" and state.profile.repeated_query_value == "first":
                raw = raw[:1]  # Go's Query().Get and Flask's args.get read the first of repeated values
        elif param.location == "header":
            raw = req.headers.getlist(param.name)
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
    body = _body(req, op, problems)
    if problems:
        raise state.profile.invalid_request(op, problems)
    base_url = _base_url(req)
    return RequestContext(
        operation=op, path=values["path"], query=values["query"], raw_query=list(args.items(multi=True)),
        headers=req.headers, body=body, store=state.store, now=now, base_url=base_url,
        path_url=base_url + req.path, principal=principal,
    )


def _body(req: Request, op: Operation, problems: list[str]) -> Any:
    raw = req.get_data(cache=True)
    if op.body is None or not raw:
        if op.body is not None and op.body.required:
            problems.append("the request body is required")
        return None
    media_type = (req.mimetype or "").lower()
    if media_type not in op.body.media_types:
        accepted = ", ".join(op.body.media_types)
        problems.append(f"content type {media_type or '(none)'!r} is not accepted: use {accepted}")
        return None
    if media_type == FORM_MEDIA_TYPE:
        body: Any = _form(raw)
        if body is None:
            problems.append("the request body is not valid form data")
            return None
    else:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            problems.append("the request body is not valid JSON")
            return None
    problems += errors_of(op.body.validators[media_type], body, "body")
    return body


_base_urls: dict[tuple[Any, ...], str] = {}


def _base_url(req: Request) -> str:
    """``scheme://host[:port]`` as werkzeug's ``host_url`` gives it, remembered for the few hosts a mock sees."""
    env = req.environ
    key = (env.get("wsgi.url_scheme"), env.get("HTTP_HOST"), env.get("SERVER_NAME"), env.get("SERVER_PORT"))
    url = _base_urls.get(key)
    if url is None:
        url = req.host_url.rstrip("/")
        if len(_base_urls) < 256:  # a client inventing Host headers gets no more memory than this
            _base_urls[key] = url
    return url


def _form(raw: bytes) -> dict[str, str] | None:
    """A form-encoded body as a flat mapping (a repeated field keeps its last value); ``None`` if not UTF-8."""
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return None


def _finish(state: MockState, req: Request, op: Operation | None, reply: Reply, started: float,
            now: float | None = None) -> Any:
    """Validate the reply against the spec, render it and journal the exchange (at ``now``, or the clock's)."""
    problems: list[str] = []
    if op is not None:
        media_type = reply.media_type.split(";")[0].strip() if reply.media_type else None
        empty = reply.raw and not reply.body
        problems = op.validate_response(reply.status, media_type, reply.body, reply.headers, empty=empty)
    if problems:
        entry = {"method": req.method, "path": req.path, "status": reply.status,
                 "operation_id": op.operation_id if op else None, "problems": problems}
        state.record_violation(entry)
        if state.strict:
            reply = Reply.json({"message": "ciapi mock bug: the response breaks the spec", "violations": problems},
                               status=500)
    response = render(reply, [(VIOLATIONS_HEADER, _header_safe(f"{len(problems)}; {problems[0]}"))] if problems
                       else [])
    state.journal.record({
        "time": format_iso_ms(state.clock.now() if now is None else now),
        "method": req.method,
        "path": req.path,
        "query": _redacted_query(req.query_string.decode("latin-1")),
        "operation_id": op.operation_id if op else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "valid": not problems,
        "violations": problems,
        "faults": req.environ.get("ciapi.faults", []),
    })
    return response


_SECRET_PARAM = re.compile(r"(?i)((?:^|&)[^=&]*(?:token|password|passwd|secret|api_?key|authorization)[^=&]*=)[^&]*")


def _redacted_query(query: str) -> str:
    """The query string for the journal, with the values of secret-looking parameters replaced."""
    return _SECRET_PARAM.sub(r"\1[redacted]", query)


def _header_safe(text: str) -> str:
    return "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in text)[:1000]


def _http_error(exc: HTTPException) -> Response:
    """Errors raised before a handler runs (unknown path, wrong method, body too large)."""
    from flask import current_app

    return _http_error_response(get_state(current_app), request._get_current_object(), exc)  # type: ignore[attr-defined]


def _http_error_response(state: MockState, req: Request, exc: HTTPException) -> Response:
    if req.path.startswith("/_mock"):
        return Response(json.dumps({"error": exc.description}), status=exc.code or 500,
                        content_type="application/json")
    message = {404: "Not Found", 405: "Method Not Allowed", 413: "Request body too large"}.get(exc.code or 500,
                                                                                               exc.name)
    reply = state.profile.error_reply(ApiError(exc.code or 500, message))
    if exc.code == 405 and exc.response is None:
        allowed = getattr(exc, "valid_methods", None) or []
        reply.headers["Allow"] = ", ".join(allowed)
    return _finish(state, req, None, reply, time.perf_counter())
