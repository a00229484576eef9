"""Compiling specs into routes and validators: done once, complete, and strict."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flask import Flask

from contract_tests.catalog import API_NAMES, get_api
from mock_server.app import build_profile
from mock_server.specs import SpecError, compile_spec, resolve_refs


@pytest.mark.parametrize("api", API_NAMES)
def test_every_operation_has_a_handler_and_a_route(api: str) -> None:
    from mock_server.app import create_app

    profile = build_profile(api)
    app: Flask = create_app(api)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for op in profile.spec.operations:
        assert op.operation_id in profile.handlers or op.operation_id in profile.unimplemented
        assert f"{get_api(api).key}.{op.operation_id}" in endpoints


def test_missing_handler_is_refused_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.apis.buildkite import HANDLERS

    monkeypatch.delitem(HANDLERS._handlers, "stopAgent")
    with pytest.raises(RuntimeError, match="no handler for operation.*stopAgent"):
        build_profile("buildkite")


def test_refs_are_inlined_and_cycles_refused() -> None:
    doc = {"a": {"$ref": "#/b"}, "b": {"type": "string"}, "c": {"$ref": "#/b", "description": "x"}}
    resolved = resolve_refs(doc)
    assert resolved["a"] == {"type": "string"}
    assert resolved["c"] == {"allOf": [{"type": "string"}], "description": "x"}
    with pytest.raises(SpecError, match="cycle"):
        resolve_refs({"a": {"$ref": "#/b"}, "b": {"items": {"$ref": "#/a"}}})
    with pytest.raises(SpecError, match="unresolvable"):
        resolve_refs({"a": {"$ref": "#/nope"}})


def test_operations_know_their_scopes_params_and_responses() -> None:
    spec = compile_spec(get_api("buildkite").spec_paths)
    ops = {op.operation_id: op for op in spec.operations}
    assert set(ops) == {"listAgents", "getAgent", "stopAgent"}
    assert ops["listAgents"].scopes == ("read_agents",)
    assert ops["stopAgent"].scopes == ("write_agents",)
    assert ops["listAgents"].flask_rule == "/v2/organizations/<org>/agents"
    per_page = next(p for p in ops["listAgents"].params if p.name == "per_page")
    assert per_page.default == 30
    assert per_page.coerce(["100"]) == (100, None)
    assert per_page.check(101) != []
    assert per_page.coerce(["ten"])[1] is not None


def test_response_validation_reports_each_problem() -> None:
    op = compile_spec(get_api("buildkite").spec_paths).operation("getAgent")
    assert op.validate_response(418, "application/json", {}, {}) == [
        "status 418 is not documented for getAgent (200, 400, 401, 403, 404)"
    ]
    problems = op.validate_response(404, "application/json", {"msg": 1}, {})
    assert problems and "message" in problems[0]
    assert op.validate_response(404, "text/html", "x", {})[0].startswith("404: media type 'text/html'")


def test_an_unsupported_parameter_style_is_a_clear_error(tmp_path: Path) -> None:
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {
        "operationId": "x", "parameters": [{"name": "q", "in": "query", "style": "deepObject",
                                            "schema": {"type": "object"}}],
        "responses": {"200": {"description": "ok"}}}}}}
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError, match=r"x.yaml: GET /x: parameter q: style 'deepObject'"):
        compile_spec([path])
