"""``Reply.empty``: zero bytes with a Content-Type, and how self-validation judges it."""

from __future__ import annotations

from pathlib import Path

import yaml

from mock_server.handlers import Reply
from mock_server.rendering import render
from mock_server.specs import compile_spec

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {"/x": {"get": {"operationId": "getX", "responses": {
        "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}},
        "401": {"description": "empty", "content": {"application/json": {"x-ciapi-no-schema": "empty body"}}},
    }}}},
}


def _operation(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    return compile_spec([path]).operation("getX")


def test_an_empty_reply_renders_zero_bytes_with_its_content_type() -> None:
    response = render(Reply.empty(401, headers={"X-Y": "z"}), [])
    assert (response.status_code, response.body) == (401, b"")
    headers = dict(response.headers)
    assert headers["Content-Type"] == "application/json" and headers["Content-Length"] == "0"
    assert headers["X-Y"] == "z"


def test_a_json_reply_still_renders_as_json() -> None:
    assert render(Reply.json(None), []).body == b"null"


def test_an_empty_body_passes_only_where_the_spec_documents_no_schema(tmp_path: Path) -> None:
    op = _operation(tmp_path)
    assert op.validate_response(401, "application/json", b"", {}, empty=True) == []
    problems = op.validate_response(200, "application/json", b"", {}, empty=True)
    assert problems == ["200: the body is empty, but the spec documents a schema for application/json"]
    assert op.validate_response(200, "application/json", {"a": 1}, {}) == []
