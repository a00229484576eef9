"""``WsgiOnLoop``: a WSGI app under a real uvicorn server on loopback, as ``ciapi serve --workers N`` runs it."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
import uvicorn

from mock_server.wsgi_on_loop import RESET_ENVIRON_KEY, WsgiOnLoop, transport_of

SHOWN = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE",
         "REMOTE_ADDR", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_X_TWICE", "HTTP_X_TOKEN", "wsgi.url_scheme")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("the app failed")
    if path == "/short":  # declares 10 bytes, sends 5: the truncate fault's shape
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return [b"12345"]
    if path == "/reset":
        environ[RESET_ENVIRON_KEY]()
        raise ConnectionResetError("reset on purpose")
    if path == "/write-then-fail":  # write() a part, then replace the answer with an error (PEP 3333 exc_info)
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"partial")
        try:
            raise ValueError("late")
        except ValueError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain"), ("Content-Length", "4")],
                           sys.exc_info())
        return [b"oops"]
    if path == "/pieces":  # an iterable of several chunks, with a close() to call
        start_response("201 Created", [("Content-Type", "text/plain")])
        return _Closing([b"a", b"", b"bc"])
    body = environ["wsgi.input"].read()
    shown = {key: environ.get(key) for key in SHOWN}
    payload = json.dumps({**shown, "body": body.decode("latin-1")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                              ("X-Reply", "yes")])
    return [payload]


class _Closing(list[bytes]):
    closed = 0

    def close(self) -> None:
        _Closing.closed += 1


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with _serving() as (listening, _):
        yield listening


@contextlib.contextmanager
def _serving() -> Iterator[tuple[int, threading.Thread]]:
    """A uvicorn server in a thread, asked to stop at the end (the thread is left to the caller to join)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(WsgiOnLoop(app), interface="asgi3", http="httptools", ws="none", lifespan="off",
                            log_level="critical", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    try:
        yield sock.getsockname()[1], thread
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _request(port: int, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {},
                     encode_chunked=(headers or {}).get("Transfer-Encoding") == "chunked")
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_the_environ_is_the_wsgi_one(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("POST", "/caf%C3%A9/a%20b?x=%20y&z=1")
    conn.putheader("X-Twice", "one")
    conn.putheader("X-Twice", "two")
    conn.putheader("X_Token", "underscored")
    conn.putheader("X-Token", "dashed")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", "7")
    conn.endheaders(b'{"a":1}')
    response = conn.getresponse()
    seen = json.loads(response.read())
    conn.close()
    assert response.status == 200 and response.getheader("X-Reply") == "yes"
    assert seen == {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/café/a b".encode().decode("latin-1"),  # PEP 3333: the bytes, as latin-1
        "QUERY_STRING": "x=%20y&z=1",
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "uvicorn",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "7",
        "HTTP_X_TWICE": "one,two",
        "HTTP_X_TOKEN": "dashed",  # X_Token (an underscore) is dropped: it must not pass for X-Token
        "wsgi.url_scheme": "http",
        "body": '{"a":1}',
    }


def test_a_chunked_body_is_read_whole_and_given_its_length(port: int) -> None:
    status, _, raw = _request(port, "PUT", "/echo", body=iter([b"abc", b"defg"]),  # type: ignore[arg-type]
                              headers={"Transfer-Encoding": "chunked"})
    seen = json.loads(raw)
    assert status == 200 and seen["body"] == "abcdefg" and seen["CONTENT_LENGTH"] == "7"


def test_keep_alive_serves_several_requests_on_one_connection(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for i in range(3):
            conn.request("GET", f"/n?i={i}")
            response = conn.getresponse()
            assert json.loads(response.read())["QUERY_STRING"] == f"i={i}"
            assert response.getheader("Connection") != "close"
    finally:
        conn.close()


def _head_then_get(port: int, path: str) -> tuple[bytes, bytes]:
    """The raw answer to ``HEAD path``, then to a GET on the same connection (b"" if it was closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.2)  # a body, if one were sent, would be here by now
        head = conn.recv(65536)
        conn.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            after = conn.recv(65536)
        except ConnectionResetError:
            after = b""
    return head, after


def test_head_sends_the_headers_without_the_body(port: int) -> None:
    head, after = _head_then_get(port, "/echo")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: " in head.lower()
    assert head.endswith(b"\r\n\r\n")  # the headers and nothing after them
    assert after.startswith(b"HTTP/1.1 200 OK")


def test_head_of_a_short_body_keeps_the_connection(port: int) -> None:
    head, after = _head_then_get(port, "/short")  # a HEAD has no body to be short of its Content-Length
    assert head.startswith(b"HTTP/1.1 200 OK") and head.endswith(b"\r\n\r\n")
    assert after.startswith(b"HTTP/1.1 200 OK")


def test_a_percent_encoded_byte_reaches_the_app_as_that_byte(port: int) -> None:
    status, _, raw = _request(port, "GET", "/a%FFb%2Fc")
    assert status == 200 and json.loads(raw)["PATH_INFO"] == "/a\xffb/c"


def test_an_answer_replaced_by_an_error_drops_what_was_written(port: int) -> None:
    assert _request(port, "GET", "/write-then-fail")[::2] == (500, b"oops")


@pytest.mark.parametrize("first", ["/short", "/reset"])
def test_a_request_pipelined_behind_a_cut_connection_does_not_hold_the_server(first: str) -> None:
    with _serving() as (listening, thread):
        with socket.create_connection(("127.0.0.1", listening), timeout=10) as conn:
            conn.sendall(f"GET {first} HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
                         .encode())
            with contextlib.suppress(ConnectionResetError):
                while conn.recv(4096):
                    pass
    assert not thread.is_alive()  # uvicorn stopped within the 10 s: no request task left waiting


def test_an_iterable_answer_is_joined_and_closed(port: int) -> None:
    before = _Closing.closed
    assert _request(port, "GET", "/pieces")[::2] == (201, b"abc")
    assert _Closing.closed == before + 1


def test_an_app_error_is_a_500_and_the_server_lives_on(port: int) -> None:
    assert _request(port, "GET", "/boom")[0] == 500
    assert _request(port, "GET", "/echo")[0] == 200


def test_a_short_body_is_sent_then_the_connection_closed(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/short")
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead) as info:
        response.read()
    conn.close()
    assert info.value.partial == b"12345" and info.value.expected == 5
    assert _request(port, "GET", "/echo")[0] == 200


def test_the_reset_callable_sends_an_rst(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /reset HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            while conn.recv(4096):  # an RST, not an answer nor an orderly end
                pass
    assert _request(port, "GET", "/echo")[0] == 200


def test_transport_of_wants_uvicorns_bound_send() -> None:
    async def send(_: Any) -> None:
        return None

    assert transport_of(send) is None
