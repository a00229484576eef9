"""Bad input, for every operation of every API: the API's own 4xx and error body, never a 5xx, and the mock keeps
serving.

The apps run in strict mode, so a response that breaks the spec (an undocumented status, a wrong body) is
already a 500 here. Most cases go through Flask's test client; `test_raw_socket` sends what only a real socket
can carry (invalid UTF-8 in the request line, a 64 KiB query string, a NUL in the path).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from contract_tests.catalog import API_NAMES
from mock_server import MockServer
from mock_server.app import create_app, get_state
from mock_server.specs import Operation

TOKEN = "ciapi-bad-input-token"  # lower case: Semaphore UI stores token ids lower-cased
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEALTH = {  # a normal request that must still succeed after the bad ones
    "buildkite": "/v2/organizations/my-great-org/agents",
    "semaphore-ui": "/api/projects",
    "builds-srht": "/api/jobs",
    "semaphore": "/api/v1alpha/self_hosted_agent_types",
}
WEB = "e48c5cf8-7389-4df1-9904-235c06473af1"  # Semaphore's "web" project
BASE_QUERY = {  # what an operation needs to answer 200 at all, so that the page cases reach the paging code
    "listWorkflows": f"project_id={WEB}&", "listPipelines": f"project_id={WEB}&", "v2ListJobs": f"project_id={WEB}&",
}
DISCOVER = {  # path parameter -> (list URL, how to take an existing id from its body), per API
    "buildkite": {"id": ("/v2/organizations/my-great-org/agents", lambda b: b[0]["id"])},
    "builds-srht": {"id": ("/api/jobs", lambda b: b["results"][0]["id"])},
    "semaphore": {"job_id": (f"/api/v2/jobs?project_id={WEB}", lambda b: b[0]["metadata"]["id"]),
                  "id": (f"/api/v2/jobs?project_id={WEB}", lambda b: b[0]["metadata"]["id"]),
                  "agent_name": ("/api/v1alpha/agents", lambda b: b["agents"][0]["metadata"]["name"])},
}
PAGE_PARAMS = {"page", "per_page", "page_size", "start", "limit", "cursor", "page_token"}
DEEP = 10_000
MIB = 1024 * 1024


# --- the apps and the operations -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def apps() -> Iterator[dict[str, Any]]:
    apps = {api: create_app(api, tokens=[TOKEN], strict=True) for api in API_NAMES}
    for api, app in apps.items():
        known = app.config.setdefault("ciapi_test_ids", {})
        for name, (url, pick) in DISCOVER.get(api, {}).items():
            known[name] = str(pick(app.test_client().get(url, headers=AUTH).get_json()))
    yield apps


def _operations() -> list[Any]:
    from mock_server.app import build_profile

    cases = []
    for api in API_NAMES:
        profile = build_profile(api)
        for op in profile.spec.operations:
            cases.append(pytest.param(api, op.operation_id, id=f"{api}-{op.operation_id}"))
    return cases


def _operation(app: Any, operation_id: str) -> Operation:
    return get_state(app).profile.spec.operation(operation_id)


def _example(op: Operation, name: str, documents: Any) -> str:
    """The spec's example for a path parameter (a real fixture id), else a plausible value."""
    for document in documents:
        item = (document.get("paths") or {}).get(op.path)
        if not item:
            continue
        for param in [*item.get("parameters", []), *item.get(op.method.lower(), {}).get("parameters", [])]:
            if param.get("name") == name and param.get("in") == "path":
                for value in (param.get("example"), (param.get("schema") or {}).get("example"),
                              *[e.get("value") for e in (param.get("examples") or {}).values()]):
                    if value is not None:
                        return str(value)
    return "1"


def _url(app: Any, op: Operation, **override: str) -> str:
    documents = get_state(app).profile.spec.documents
    path = op.path
    for param in op.params:
        if param.location == "path":
            known = app.config.get("ciapi_test_ids", {}).get(param.name) or _example(op, param.name, documents)
            value = override.get(param.name, quote(known, safe=""))
            path = path.replace("{" + param.name + "}", value)
    return path


# --- what an error must look like, per API ---------------------------------------------------------------------
def _error_shape(api: str, op: Operation | None, status: int, content_type: str, data: bytes) -> str | None:
    """``None`` when the body is the API's own error body for ``status``, else what is wrong."""
    text = data.decode("utf-8", "replace")
    body: Any = None
    if "json" in content_type and data:
        try:
            body = json.loads(data)
        except ValueError:
            return f"invalid JSON error body {text[:200]!r}"
    if api == "buildkite":
        ok = isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]
    elif api == "builds-srht":
        ok = isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"] and all(
            isinstance(e, dict) and isinstance(e.get("reason"), str) for e in body["errors"])
    elif api == "semaphore-ui":  # empty (401/403/404/400...), {"error": ...}, or the router's "Not Found\n"
        ok = not data or (isinstance(body, dict) and isinstance(body.get("error"), str)) or (
            status == 404 and text == "Not Found\n") or (status == 405 and not data)
    else:  # semaphore: text (v1alpha), a JSON string, grpc {"code","message","details"}, v2 {"message",...}
        ok = bool(data) and (body is None and "json" not in content_type or isinstance(body, str) or (
            isinstance(body, dict) and isinstance(body.get("message"), str)))
    return None if ok else f"not a {api} error body: {content_type!r} {text[:200]!r}"


# --- the request matrix ----------------------------------------------------------------------------------------
Case = tuple[str, dict[str, Any], Callable[[int], bool] | None]  # (label, request kwargs, expected status)


def _bad_request(api: str, op: Operation) -> Callable[[int], bool]:
    """A documented 4xx of the operation for a malformed request (400, or Semaphore v2's 422)."""
    documented = {int(s) for s in op.responses if s.isdigit() and s.startswith("4")}
    return lambda status: status in documented and status in (400, 404, 422)


def _string_for_number(op: Operation) -> Any:
    schema = op.raw.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    for name, prop in _properties(schema).items():
        kinds = prop.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if {"integer", "number", "boolean"} & set(kinds) and "string" not in kinds:
            return {name: "not-a-number"}
    return "not-an-object"


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    props = dict(schema.get("properties") or {})
    for sub in schema.get("allOf", []):
        props.update(_properties(sub))
    return props


def _body_cases(api: str, op: Operation) -> list[Case]:
    json_body = op.body is not None and "application/json" in op.body.media_types
    bad = _bad_request(api, op) if json_body else None
    jtype = {"Content-Type": "application/json"}
    cases: list[Case] = [
        ("malformed JSON", {"data": b'{"force": tru', "headers": jtype}, bad),
        ("array for object", {"data": b"[1, 2, 3]", "headers": jtype}, bad),
        ("string for number", {"data": json.dumps(_string_for_number(op)), "headers": jtype}, bad),
        ("invalid UTF-8", {"data": b'{"note": "\xff\xfe\xc3("}', "headers": jtype}, bad),
        ("deeply nested array", {"data": "[" * DEEP + "]" * DEEP, "headers": jtype}, bad),
        ("deeply nested object", {"data": '{"a":' * DEEP + "1" + "}" * DEEP, "headers": jtype}, bad),
        ("over 1 MiB", {"data": b'{"note": "' + b"x" * (MIB + 10) + b'"}', "headers": jtype},
         lambda status: status == 413),
        ("wrong content type", {"data": b"<xml/>", "headers": {"Content-Type": "application/xml"}}, bad),
    ]
    if op.body is not None and op.body.required:
        cases.append(("empty body", {"data": b"", "headers": jtype}, bad))
    return cases


def _query_cases(api: str, op: Operation) -> list[Case]:
    cases: list[Case] = [
        ("unknown query parameter", {"query_string": "ciapi_unknown=1&zzz=%00"}, None),
        ("64 KiB query string", {"query_string": "q=" + "a" * 65536}, None),
    ]
    base = BASE_QUERY.get(op.operation_id, "")
    for param in op.params:
        if param.location == "query":
            cases.append((f"repeated {param.name}", {"query_string": f"{base}{param.name}=1&{param.name}=2"}, None))
            cases.append((f"CRLF in {param.name}",
                          {"query_string": f"{base}{param.name}=a%0D%0ASet-Cookie:%20x=1"}, None))
        if param.location == "query" and param.name in PAGE_PARAMS:
            for value in ("-1", "0", "99999999999999999999999", "abc", "1.5", ""):
                cases.append((f"{param.name}={value}", {"query_string": f"{base}{param.name}={value}"}, None))
    return cases


def _path_cases(app: Any, op: Operation) -> list[Case]:
    names = [p.name for p in op.params if p.location == "path"]
    cases: list[Case] = []
    for name in names:
        for label, value in ((".." , ".."), ("%2F", "a%2Fb"), ("NUL", "%00"), ("overlong id", "9" * 5000),
                             ("overlong text id", "x" * 10_000), ("CRLF", "a%0D%0Ab")):
            cases.append((f"{label} in {{{name}}}", {"path": _url(app, op, **{name: value})}, None))
    return cases


def _check(api: str, op: Operation, label: str, response: Any, expected: Callable[[int], bool] | None) -> list[str]:
    status = response.status_code
    problems = []
    if status >= 500:
        problems.append(f"{label}: {status} {response.get_data()[:300]!r}")
    elif expected is not None and not expected(status):
        problems.append(f"{label}: unexpected status {status} {response.get_data()[:200]!r}")
    elif status >= 400:
        shape = _error_shape(api, op, status, response.content_type or "", response.get_data())
        if shape:
            problems.append(f"{label}: {status} {shape}")
    for name, value in response.headers.items():
        if "\r" in value or "\n" in value or (name.lower() == "set-cookie" and "x=1" in value):
            problems.append(f"{label}: header {name} carries client text: {value!r}")
    return problems


@pytest.mark.parametrize(("api", "operation_id"), _operations())
def test_bad_input_gets_the_apis_own_error(apps: dict[str, Any], api: str, operation_id: str) -> None:
    app = apps[api]
    op = _operation(app, operation_id)
    client = app.test_client()
    url = _url(app, op)
    problems: list[str] = []
    for label, kwargs, expected in [*_body_cases(api, op), *_query_cases(api, op), *_path_cases(app, op)]:
        path = kwargs.pop("path", url)
        headers = {**AUTH, **kwargs.pop("headers", {})}
        response = client.open(path, method=op.method, headers=headers, **kwargs)
        problems += _check(api, op, label, response, expected)
    assert not problems, "\n".join(problems)
    assert client.get(HEALTH[api], headers=AUTH).status_code == 200
    assert get_state(app).violations == []


# --- classes of mistake with a documented answer ----------------------------------------------------------------
PAGING = [  # (api, url, expected status): what the real services answer for odd page numbers and sizes
    ("buildkite", "/v2/organizations/my-great-org/agents?page=0", 200),  # pybuildkite sends page=0
    ("buildkite", "/v2/organizations/my-great-org/agents?page=99999999999999999999", 200),  # past the end: []
    ("semaphore", f"/api/v1alpha/plumber-workflows?project_id={WEB}&page=-1", 200),  # <= 0: the default
    ("semaphore", f"/api/v1alpha/plumber-workflows?project_id={WEB}&page=abc&page_size=abc", 200),
    ("semaphore", f"/api/v1alpha/pipelines?project_id={WEB}&page_size=0", 200),
    ("semaphore", "/api/v1alpha/agents?page_size=x", 400),  # "Invalid value of 'page_size' param"
    ("semaphore", f"/api/v2/jobs?project_id={WEB}&page_size=0", 422),  # page_size 1..100
    ("semaphore", f"/api/v2/jobs?project_id={WEB}&page_size=101", 422),
    ("builds-srht", "/api/jobs?start=-1", 200),  # core.sr.ht's own iterator starts with -1
    ("builds-srht", "/api/jobs?start=99999999999999999999", 200),
]


@pytest.mark.parametrize(("api", "url", "status"), PAGING)
def test_page_numbers_and_sizes(apps: dict[str, Any], api: str, url: str, status: int) -> None:
    response = apps[api].test_client().get(url, headers=AUTH)

    assert response.status_code == status, response.get_data()[:300]
    if status >= 400:
        assert _error_shape(api, None, status, response.content_type, response.get_data()) is None


LINKED = [  # list URLs with a page size of 1, so that the Link header has every relation it can have
    ("buildkite", "/v2/organizations/my-great-org/agents?per_page=1&page=2", "Link"),
    ("semaphore", f"/api/v1alpha/plumber-workflows?project_id={WEB}&page_size=1&page=2", "link"),
    ("semaphore", f"/api/v1alpha/pipelines?project_id={WEB}&page_size=1&page=2", "link"),
    ("semaphore", f"/api/v2/jobs?project_id={WEB}&page_size=1", "link"),
]


@pytest.mark.parametrize(("api", "url", "header"), LINKED)
def test_crlf_in_query_values_never_splits_the_link_header(apps: dict[str, Any], api: str, url: str,
                                                           header: str) -> None:
    injected = url + "&x=a%0D%0ASet-Cookie:%20evil=1%0D%0A%0D%0A&y=%0Aend"

    response = apps[api].test_client().get(injected, headers=AUTH)

    assert response.status_code == 200, response.get_data()[:300]
    link = response.headers[header]
    assert "\r" not in link and "\n" not in link and "Set-Cookie" not in response.headers
    parts = link.split(", ")
    assert parts and all(re.fullmatch(r'<[^<>\s]+>; rel="(next|prev|first|last)"', part) for part in parts), link
    assert "%0D%0ASet-Cookie" in link  # the value survives, URL-encoded


@pytest.mark.parametrize(("api", "url", "first"), [
    ("builds-srht", "/api/jobs?start=5&start=10", 5),  # Flask's request.args.get: the first value
    ("buildkite", "/v2/organizations/my-great-org/agents?per_page=1&per_page=2", 2),  # Rails: the last value
])
def test_repeated_query_parameters_take_the_value_the_real_service_takes(apps: dict[str, Any], api: str, url: str,
                                                                         first: int) -> None:
    body = apps[api].test_client().get(url, headers=AUTH).get_json()

    if api == "builds-srht":
        assert body["results"][0]["id"] == first
    else:
        assert len(body) == first


# --- what only a real socket carries ----------------------------------------------------------------------------
def _raw(port: int, request: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is; (status, headers, body) of the answer. A hang fails with a socket timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        return _answer(sock)


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def _get(target: bytes, extra: bytes = b"") -> bytes:
    return (b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode()
            + b"\r\nConnection: close\r\n" + extra + b"\r\n")


@pytest.mark.parametrize("api", API_NAMES)
def test_raw_socket(api: str) -> None:
    health = HEALTH[api].encode()
    prefix = health.rsplit(b"/", 1)[0]
    with MockServer(api=api, token=TOKEN) as server:
        port = int(server.url.rsplit(":", 1)[1])
        answers = {
            "invalid UTF-8 in the path": _raw(port, _get(prefix + b"/\xff\xfe\xc3(")),
            "NUL in the path": _raw(port, _get(prefix + b"/a\x00b")),
            "invalid UTF-8 in the query": _raw(port, _get(health + b"?name=\xff\xfe&x=\xc3(")),
            "64 KiB query string": _raw(port, _get(health + b"?q=" + b"a" * 65536)),
            "60 KiB query string": _raw(port, _get(health + b"?q=" + b"a" * 60000)),
            "bad Content-Length": _raw(port, _get(health, b"Content-Length: abc\r\n")),
            "2 MiB body announced": _raw(port, _get(health, b"Content-Type: application/json\r\n"
                                                            b"Content-Length: 2097152\r\n")),
            "body shorter than Content-Length": _raw_short_body(port, health),
        }
        for label, (status, headers, body) in answers.items():
            assert status < 500, (label, status, body[:300])
            if status in (400, 404, 405, 413) and label not in ("bad Content-Length", "64 KiB query string"):
                shape = _error_shape(api, None, status, headers.get("Content-Type", ""), body)
                assert shape is None, (label, shape)
        assert answers["64 KiB query string"][0] in (200, 414)  # 414: the server's request-line limit (nginx too)
        assert answers["60 KiB query string"][0] == 200
        assert answers["2 MiB body announced"][0] == 413  # answered without reading (or waiting for) the body
        assert _raw(port, _get(health))[0] == 200  # still serving
        assert server.violations == []


def _raw_short_body(port: int, health: bytes) -> tuple[int, dict[str, str], bytes]:
    """A client that promises 100 bytes and sends 10: the server answers when the client gives up, and the
    connection does not hold the server (another request is served meanwhile)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as stuck:
        stuck.sendall(_get(health, b"Content-Type: application/json\r\nContent-Length: 100\r\n") + b'{"a": 1, ')
        other = _raw(port, _get(health))
        assert other[0] == 200
        stuck.shutdown(socket.SHUT_WR)
        return _answer(stuck)
