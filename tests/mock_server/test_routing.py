"""The API dispatcher's own router and renderer must agree with werkzeug's, which they stand in for."""

from __future__ import annotations

import re

import pytest
from werkzeug.test import EnvironBuilder

from contract_tests.catalog import API_NAMES
from mock_server.app import create_app
from mock_server.handlers import Reply
from mock_server.rendering import Sent, render
from mock_server.routing import Router


def _sample_paths(rule: str) -> list[str]:
    """Paths the rule matches: its variables filled with plain, odd and static-looking values."""
    return [re.sub(r"<[^>]+>", value, rule) for value in ("x1", "a%20b", "agents", "42", "é")]


@pytest.mark.parametrize("api", API_NAMES)
def test_the_router_matches_what_werkzeug_matches(api: str) -> None:
    app = create_app(api)
    dispatcher = app.wsgi_app.wsgi_app  # type: ignore[attr-defined]  # fault injector -> dispatcher
    router: Router = dispatcher.router
    adapter = app.url_map.bind("ciapi.invalid")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint in dispatcher.views]
    assert rules
    checked = 0
    for rule in rules:
        for method in sorted(rule.methods or ()):
            for path in _sample_paths(rule.rule):
                ours = router.match(path, method)
                if ours is None:  # not decided here: werkzeug answers, which is always right
                    continue
                assert ours == adapter.match(path, method), (api, rule.rule, method, path)
                checked += 1
    if router.usable:
        assert checked >= len(rules)
    for path in ("/", "/nope", "/_mock/health", "//v2", rules[0].rule.rstrip("/") + "/extra/segment"):
        ours = router.match(path, "GET")
        if ours is not None:
            assert ours == adapter.match(path, "GET")


def test_static_segments_win_over_variables_and_head_is_get() -> None:
    router = Router([("/a/<x>", "var", ["GET"]), ("/a/b", "static", ["GET"]), ("/a/<x>/c", "deep", ["POST"])])
    assert router.match("/a/b", "GET") == ("static", {})
    assert router.match("/a/z", "HEAD") == ("var", {"x": "z"})
    assert router.match("/a/b/c", "POST") == ("deep", {"x": "b"})  # backtracks from the static "b"
    assert router.match("/a/b/c", "GET") is None and router.match("/a/", "GET") is None
    assert router.match("/a/b", "DELETE") is None  # werkzeug decides 405 / 404


def test_rules_it_cannot_represent_leave_everything_to_werkzeug() -> None:
    assert not Router([("/jobs/<int:id>", "e", ["GET"]), ("/a", "a", ["GET"])]).usable
    assert not Router([("/jobs/<id>.json", "e", ["GET"])]).usable
    assert not Router([("/a/<x>", "one", ["GET"]), ("/a/<y>/b", "two", ["GET"])]).usable
    assert Router([("/jobs/<int:id>", "e", ["GET"])]).match("/jobs/1", "GET") is None


@pytest.mark.parametrize("reply", [
    Reply.json({"a": 1, "é": [None, True]}),
    Reply.json([], status=201, headers={"Link": '<http://x/?page=2>; rel="next"', "X-Total": "9"}),
    Reply.no_content(),
    Reply(status=200, body=None, media_type=None),
    Reply.text("plain é", status=404),
    Reply.empty(401),
    Reply(status=200, body="raw", media_type="application/json", raw=True),
    Reply.json({"x": 1}, status=299),
], ids=["json", "headers", "204", "200-no-body", "text", "empty-401", "raw", "odd-status"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_plain_reply_is_sent_as_werkzeug_would_send_it(reply: Reply, method: str) -> None:
    from flask import Response

    from mock_server import fastjson

    extra = [("X-Ciapi-Violations", "1; a problem")]
    sent = render(reply, extra)
    assert isinstance(sent, Sent)
    if reply.media_type is None:
        expected = Response(status=reply.status, headers=reply.headers, content_type=None)
    else:
        data = fastjson.dumps(reply.body) if reply.media_type.startswith("application/json") and not reply.raw \
            else reply.body
        media = "application/json; charset=utf-8" if not reply.raw and reply.media_type.startswith(
            "application/json") else reply.media_type
        expected = Response(data, status=reply.status, headers=reply.headers, content_type=media)
    for key, value in extra:
        expected.headers[key] = value
    environ = EnvironBuilder(method=method).get_environ()
    got: list[object] = []
    want: list[object] = []
    body = b"".join(sent(environ, lambda status, headers, exc=None: got.extend([status, headers])))
    expected_body = b"".join(expected(environ, lambda status, headers, exc=None: want.extend([status, headers])))
    assert (got[0], got[1], body) == (want[0], list(want[1]), expected_body)  # type: ignore[call-overload]


def test_header_values_with_line_breaks_still_go_through_werkzeug() -> None:
    with pytest.raises(ValueError, match="newline"):
        render(Reply.json({}, headers={"Link": "a\r\nSet-Cookie: x=1"}), [])


def test_options_and_unknown_paths_are_flasks() -> None:
    client = create_app("buildkite").test_client()
    options = client.open("/v2/organizations/o/agents", method="OPTIONS")
    assert options.status_code == 200 and "GET" in options.headers["Allow"]
    missing = client.get("/v2/nowhere")
    assert missing.status_code == 404 and missing.get_json() == {"message": "Not Found"}
    head = client.head("/v2/organizations/my-great-org/agents", headers={"Authorization": "Bearer bk-demo-token"})
    assert head.status_code == 200 and head.data == b"" and int(head.headers["Content-Length"]) > 1000


def test_werkzeug_raises_http_exceptions_the_dispatcher_turns_into_api_errors() -> None:
    client = create_app("buildkite").test_client()
    too_big = client.put("/v2/organizations/o/agents/a/stop", data=b"x" * (1024 * 1024 + 1),
                          headers={"Authorization": "Bearer bk-demo-token", "Content-Type": "application/json"})
    assert too_big.status_code == 413 and too_big.get_json() == {"message": "Request body too large"}


def test_a_handler_that_fails_gets_the_apis_500_and_a_journal_entry(caplog: pytest.LogCaptureFixture,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.apis.buildkite import handlers
    from mock_server.app import get_state

    def broken(*args: object) -> object:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(handlers, "agent_json", broken)
    app = create_app("buildkite")
    client = app.test_client()
    agent = client.get("/v2/organizations/my-great-org/agents", headers={"Authorization": "Bearer bk-demo-token"})
    assert agent.status_code == 500  # the list renders agents too
    response = client.get("/v2/organizations/my-great-org/agents/x", headers={"Authorization": "Bearer bk-demo-token"})
    assert response.status_code == 404  # no such agent: the handler answers before rendering
    assert agent.get_json() == {"message": "Internal Server Error"}
    assert "a bug in a handler" in caplog.text
    assert get_state(app).journal.entries()[1]["status"] == 500
