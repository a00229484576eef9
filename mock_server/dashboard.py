"""What people look at and click: the dashboard (``/_mock/ui``), the API docs (``/_mock/docs``) and the
fault endpoints (``/_mock/faults``) of the admin plane.

Every asset ships in ``mock_server/static/`` (Swagger UI is vendored there), so both pages work offline.
The docs serve each spec file of the API with ``servers`` pointing at the mock itself, so "Try it out"
talks to the mock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from contract_tests.catalog import load_spec
from mock_server.fault_wsgi import FaultInjector
from mock_server.faults import FAULT_KINDS, FaultBoard, FaultError
from mock_server.state import MockState

__all__ = ["get_faults", "install_devtools", "ui_blueprint"]

ui_blueprint = Blueprint("_mock_ui", __name__, url_prefix="/_mock", static_folder="static",
                         static_url_path="/static")
_FAULTS_KEY = "ciapi.faults"


def install_devtools(app: Flask, state: MockState, *, faults: Iterable[str | Mapping[str, Any]] = (),
                     seed: int | None = None) -> FaultBoard:
    """Give ``app`` its fault board and injector, the dashboard and the docs (``create_app`` calls this)."""
    board = FaultBoard(state.store, [op.operation_id for op in state.profile.spec.operations], startup=faults,
                       seed=seed)
    app.extensions[_FAULTS_KEY] = board
    state.on_reset.append(board.reset)
    app.wsgi_app = FaultInjector(app.wsgi_app, app, state, board)  # type: ignore[method-assign]
    app.register_blueprint(ui_blueprint)
    return board


def get_faults(app: Flask) -> FaultBoard:
    """The fault board of a mock app (``MockServer.faults``)."""
    board: FaultBoard = app.extensions[_FAULTS_KEY]
    return board


def _state() -> MockState:
    state: MockState = current_app.extensions["ciapi"]
    return state


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    content_type="application/json")


# --- pages ----------------------------------------------------------------------------------------
@ui_blueprint.get("/ui")
def dashboard() -> Response:
    return ui_blueprint.send_static_file("dashboard.html")


@ui_blueprint.get("/docs")
def docs() -> Response:
    return ui_blueprint.send_static_file("docs.html")


@ui_blueprint.get("/docs/index.json")
def docs_index() -> Response:
    """The API's specs for the docs page, and a full-access token to try operations with (if one was given)."""
    state = _state()
    info = state.profile.info
    specs = [{"name": path.stem, "file": path.name, "title": load_spec(path).get("info", {}).get("title", path.stem),
              "url": f"docs/specs/{path.stem}.json"} for path in info.spec_paths]
    return _json({"api": info.name, "title": info.title, "specs": specs,
                  "token": state.tokens[0] if state.tokens else None})


@ui_blueprint.get("/docs/specs/<name>.json")
def docs_spec(name: str) -> Response:
    """One spec file as JSON, its ``servers`` replaced by this mock's own URL."""
    path = next((p for p in _state().profile.info.spec_paths if p.stem == name), None)
    if path is None:
        return _json({"error": f"no spec {name!r} in this API"}, 404)
    document = dict(load_spec(path))  # the cached original: copy what is changed
    here = [{"url": request.host_url.rstrip("/"), "description": "this ciapi mock"}]
    document["servers"] = here
    paths = {}
    for template, item in (document.get("paths") or {}).items():
        item = {k: ({kk: vv for kk, vv in v.items() if kk != "servers"} if isinstance(v, Mapping) else v)
                for k, v in item.items() if k != "servers"}
        paths[template] = item
    document["paths"] = paths
    return _json(document)


# --- faults -----------------------------------------------------------------------------------------
def _board() -> FaultBoard:
    return get_faults(current_app)


@ui_blueprint.get("/faults")
def list_faults() -> Response:
    board = _board()
    return _json({**board.status(), "kinds": list(FAULT_KINDS), "operations": list(board.operations)})


@ui_blueprint.post("/faults")
def add_faults() -> Response:
    """Add one rule or a list of rules: ``{"kind": "error", "status": 503}``, ``{"spec": "reset,p=0.1"}`` or text."""
    board = _board()
    body = request.get_json(silent=True) if request.is_json else request.get_data(as_text=True).strip() or None
    items: list[Any] = body if isinstance(body, list) else [body]
    if not items or any(not isinstance(i, str | dict) for i in items):
        return _json({"error": 'send a rule, e.g. {"kind": "latency", "latency_ms": 200} or '
                               '{"spec": "getAgent:status=503"}, or a list of rules'}, 400)
    try:
        for item in items:  # check them all first: all or nothing
            board.check(item)
    except FaultError as exc:
        return _json({"error": str(exc)}, 400)
    added = [board.add(item) for item in items]
    return _json({"faults": added}, 201)


@ui_blueprint.delete("/faults")
def clear_faults() -> Response:
    _board().clear()
    return Response(status=204)


@ui_blueprint.delete("/faults/<int:rule_id>")
def remove_fault(rule_id: int) -> Response:
    if not _board().remove(rule_id):
        return _json({"error": f"no fault rule {rule_id}"}, 404)
    return Response(status=204)


@ui_blueprint.post("/faults/seed")
def seed_faults() -> Response:
    body = request.get_json(silent=True)
    seed = body.get("seed") if isinstance(body, dict) else None
    if isinstance(seed, bool) or not isinstance(seed, int):
        return _json({"error": 'send {"seed": integer}'}, 400)
    board = _board()
    board.set_seed(seed)
    return _json(board.status())
