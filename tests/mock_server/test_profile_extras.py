"""Generic profile extras: routes outside the spec, admin views, and the sourcehut id-cursor pagination."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

import mock_server.app as app_module
from mock_server.handlers import ApiError, RawRequest, Reply
from mock_server.pagination import id_cursor_page
from mock_server.profile import ExtraRoute


def _app(monkeypatch: pytest.MonkeyPatch, routes: list[ExtraRoute], views: dict[str, Any]) -> Flask:
    original = app_module.build_profile

    def build(api: str) -> Any:
        profile = original(api)
        profile.extra_routes = lambda: routes  # type: ignore[method-assign]
        profile.admin_views = lambda: views  # type: ignore[method-assign]
        return profile

    monkeypatch.setattr(app_module, "build_profile", build)
    return app_module.create_app("buildkite", strict=True)


def test_extra_routes_are_served_ticked_and_journaled(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[RawRequest] = []

    def handler(req: RawRequest) -> Reply:
        seen.append(req)
        if req.path["n"] == 0:
            raise ApiError(404, "No such thing")
        return Reply.text(f"n={req.path['n']} q={req.query}", media_type="text/plain")

    app = _app(monkeypatch, [ExtraRoute("/things/<int:n>/raw", "thing", handler)], {})
    client = app.test_client()
    client.post("/_mock/clock", json={"advance": 5})
    response = client.get("/things/7/raw?a=1&a=2")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/plain"
    assert response.get_data(as_text=True) == "n=7 q={'a': ['1', '2']}"
    state = app_module.get_state(app)
    assert seen[0].now == state.clock.now() and seen[0].base_url == "http://localhost"
    missing = client.get("/things/0/raw")
    assert missing.status_code == 404 and missing.get_json() == {"message": "No such thing"}  # the API's own body
    entry = client.get("/_mock/requests?limit=1").get_json()["requests"][0]
    assert entry["path"] == "/things/0/raw" and entry["operation_id"] is None and entry["status"] == 404
    assert client.get("/things/x/raw").status_code == 404  # the converter refuses it


def test_admin_views(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(monkeypatch, [], {"agents_seen": lambda store: sorted(a["name"] for a in store.all("agents"))[:2]})
    client = app.test_client()
    assert client.get("/_mock/views").get_json() == {"views": ["agents_seen"]}
    body = client.get("/_mock/views/agents_seen").get_json()
    assert body["agents_seen"] == ["agent-01", "agent-02"] and "now" in body["clock"]
    assert client.get("/_mock/state").get_json()["views"] == ["agents_seen"]
    unknown = client.get("/_mock/views/nope")
    assert unknown.status_code == 404 and "agents_seen" in unknown.get_json()["error"]


def test_profiles_have_no_extras_by_default() -> None:
    client = app_module.create_app("buildkite").test_client()
    assert client.get("/_mock/views").get_json() == {"views": []}
    assert client.get("/_mock/state").get_json()["views"] == []


def test_id_cursor_page() -> None:
    items = [{"id": i} for i in (3, 1, 7, 5, 9, 2)]

    def page(start: int | None, per_page: int = 2) -> tuple[list[int], int | None]:
        found, next_id = id_cursor_page(items, start=start, per_page=per_page, key=lambda r: r["id"])
        return [r["id"] for r in found], next_id

    assert page(None) == ([9, 7], 5)
    assert page(-1) == page(None)
    assert page(5) == ([5, 3], 2)
    assert page(2) == ([2, 1], None)
    assert page(6, per_page=10) == ([5, 3, 2, 1], None)
    assert page(0) == ([], None)
    assert page(None, per_page=6) == ([9, 7, 5, 3, 2, 1], None)
