"""The admin plane under ``/_mock``: health, reset, clock, request journal, fixtures, state, profile views.

Outside the API's own paths on every mock server; users script it, the pytest plugin drives it and
the conformance suite detects a ciapi mock by ``GET /_mock/health``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
from typing import Any

import yaml
from flask import Blueprint, Response, current_app, request

from mock_server.clock import check_mode, format_iso_ms
from mock_server.seeding import FixtureError
from mock_server.state import MockState

__all__ = ["ADMIN_TOKEN_CONFIG", "admin_blueprint", "guard_admin_plane", "is_loopback"]

#: app.config key of the admin token (``create_app(admin_token=...)``, ``ciapi serve --admin-token``)
ADMIN_TOKEN_CONFIG = "CIAPI_ADMIN_TOKEN"

admin_blueprint = Blueprint("_mock", __name__, url_prefix="/_mock")


def _state() -> MockState:
    state: MockState = current_app.extensions["ciapi"]
    return state


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


def _error(message: str, status: int = 400, **extra: Any) -> Response:
    return _json({"error": message, **extra}, status)


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` (an IP, or ``localhost``) is a loopback address (IPv4-mapped IPv6 included)."""
    if not address:
        return False
    if address.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def guard_admin_plane() -> Response | None:
    """``before_request`` of the app: ``/_mock/*`` only from loopback, or with the admin token when one is set.

    With a token every admin request (loopback too) must send ``Authorization: Bearer <admin-token>``.
    """
    if request.path != "/_mock" and not request.path.startswith("/_mock/"):
        return None
    token = current_app.config.get(ADMIN_TOKEN_CONFIG)
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Bearer" and hmac.compare_digest(given.strip().encode(), str(token).encode()):
            return None
        response = _error("the admin plane needs the admin token: Authorization: Bearer <admin-token>", 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="ciapi admin"'
        return response
    if is_loopback(request.remote_addr):
        return None
    return _error("the admin plane answers only on loopback; start the server with --admin-token to open it", 403)


def _clock_view(state: MockState) -> dict[str, Any]:
    now = state.clock.now()
    return {"now": format_iso_ms(now), "epoch": now, "kind": state.clock.kind,
            "speed": getattr(state.clock, "speed", None)}


@admin_blueprint.get("/health")
def health() -> Response:
    state = _state()
    info = state.profile.info
    return _json({"status": "ok", "api": info.name, "specs": list(info.spec_files),
                  "base_paths": list(info.base_paths), "clock": _clock_view(state)})


@admin_blueprint.post("/reset")
def reset() -> Response:
    state = _state()
    state.reset()
    return _json({"status": "reset", "clock": _clock_view(state)})


@admin_blueprint.get("/clock")
def get_clock() -> Response:
    state = _state()
    state.tick()
    return _json(_clock_view(state))


@admin_blueprint.post("/clock")
def move_clock() -> Response:
    state = _state()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body or not set(body) <= {"advance", "mode", "speed"}:
        return _error('send {"advance": seconds} and/or {"mode": "manual" | "real", "speed": factor}')
    seconds = body.get("advance", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        return _error("advance must be a finite number of seconds >= 0")
    if "mode" in body or "speed" in body:  # pause, or run in real time at a speed factor
        problem = _set_clock_mode(state, body.get("mode"), body.get("speed"))
        if problem:
            return _error(problem)
    if "advance" in body:
        state.clock.advance(float(seconds))
    state.tick()
    return _json(_clock_view(state))


def _set_clock_mode(state: MockState, mode: Any, speed: Any) -> str | None:
    """Switch the clock's mode (default: the current one) and speed; a problem message, or None when done."""
    set_mode = getattr(state.clock, "set_mode", None)
    if set_mode is None:
        return "this server's clock cannot change mode"
    mode = state.clock.kind if mode is None else mode
    try:
        check_mode(mode, speed, None)
    except (ValueError, TypeError) as exc:
        return str(exc)
    state.tick()  # what was due at the old pace happens before the pace changes
    set_mode(mode, speed)
    return None


@admin_blueprint.get("/requests")
def list_requests() -> Response:
    state = _state()
    raw = request.args.get("limit", "100")
    if not raw.isdigit():
        return _error("limit must be a non-negative integer")
    entries = state.journal.entries(int(raw))
    return _json({"requests": entries, "total": len(state.journal), "capacity": state.journal.maxlen})


@admin_blueprint.delete("/requests")
def clear_requests() -> Response:
    _state().journal.clear()
    return Response(status=204)


@admin_blueprint.get("/violations")
def list_violations() -> Response:
    state = _state()
    return _json({"violations": list(state.violations)})


@admin_blueprint.post("/fixtures")
def load_fixtures() -> Response:
    state = _state()
    raw = request.get_data(as_text=True)
    try:
        document = json.loads(raw) if request.mimetype == "application/json" else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as exc:
        return _error(f"the body is neither JSON nor YAML: {exc}")
    try:
        state.load(document, "POST /_mock/fixtures")
    except FixtureError as exc:
        return _error("the fixture document was not loaded", problems=exc.problems)
    return _json({"status": "loaded", "collections": {c: state.store.count(c) for c in state.store.collections()}})


@admin_blueprint.get("/state")
def show_state() -> Response:
    state = _state()
    state.tick()
    profile = state.profile
    out: dict[str, Any] = {}
    with state.store.transaction():
        for collection in profile.state_fields:
            records = state.store.all(collection)
            out[collection] = [{"id": r["id"], "name": r.get("name"),
                                "state": profile.state_of(state.store, collection, r)} for r in records]
    return _json({"collections": out, "clock": _clock_view(state), "views": sorted(profile.admin_views())})


@admin_blueprint.get("/views")
def list_views() -> Response:
    return _json({"views": sorted(_state().profile.admin_views())})


@admin_blueprint.get("/views/<name>")
def show_view(name: str) -> Response:
    """One of the extra views the API's profile adds (e.g. builds-srht's email outbox)."""
    state = _state()
    views = state.profile.admin_views()
    if name not in views:
        return _error(f"no admin view {name!r}; this API has: {', '.join(sorted(views)) or 'none'}", 404)
    state.tick()
    with state.store.transaction():
        body = views[name](state.store)
    return _json({name: body, "clock": _clock_view(state)})
