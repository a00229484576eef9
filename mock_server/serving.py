"""``ciapi serve --workers N``: the mock apps under a production server, the workers sharing one state.

Three servers, chosen with ``--server``:

- **uvicorn** (the default): ``ciapi`` binds every API's port, then forks the workers; each runs uvicorn
  (uvloop, httptools) on every port and calls the API's WSGI app inline, on the event loop's thread
  (``mock_server.wsgi_on_loop``): one thread per worker, keep-alive, and every fault kind. A worker that
  holds more connections than another hands new ones to it (``mock_server.balance``).
- **granian**: a Rust HTTP server. Each API gets its own granian server, run by a child of the ``ciapi``
  process; its workers each bind the port with ``SO_REUSEPORT``. Each worker runs the app on one Python
  thread beside granian's own, and hands every request from one to the other. Granian gives the app no
  socket, so the ``reset`` fault is refused under it (see ``faults``).
- **gunicorn** (sync workers): one master for every API, one set of listening sockets per API, and a small
  dispatcher that picks the app by the port a request arrived on. Every fault kind works under it.

Under each the apps are built once, before any fork, and the workers inherit them; with a SQLite store
they share one state.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from mock_server.balance import Balancer

__all__ = ["SERVERS", "PortDispatcher", "run_granian", "run_gunicorn", "run_uvicorn"]

#: the servers ``ciapi serve --workers N`` can run under, the default first
SERVERS = ("uvicorn", "granian", "gunicorn")
Ready = Callable[[list[tuple[str, Flask, int]]], None]


class PortDispatcher:
    """A WSGI app that hands each request to the app bound to the port it came in on."""

    def __init__(self) -> None:
        self.by_port: dict[str, Flask] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self.by_port.get(str(environ.get("SERVER_PORT")))
        if app is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no ciapi mock on this port\n"]
        result: Iterable[bytes] = app(environ, start_response)
        return result


def run_gunicorn(apps: list[tuple[str, Flask, int]], *, host: str, workers: int,
                 on_ready: Callable[[list[tuple[str, Flask, int]]], None], access_log: bool = False) -> None:
    """Serve ``(name, app, wanted_port)`` triples until SIGINT/SIGTERM; ``on_ready`` gets the bound ports."""
    from gunicorn.app.base import BaseApplication

    dispatcher = PortDispatcher()
    shown = f"[{host}]" if ":" in host else host

    def when_ready(server: Any) -> None:
        bound = []
        for (name, app, _), listener in zip(apps, server.LISTENERS, strict=True):
            port = int(listener.sock.getsockname()[1])
            dispatcher.by_port[str(port)] = app
            bound.append((name, app, port))
        on_ready(bound)

    class _App(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": [f"{shown}:{port}" for _, _, port in apps],
                "workers": workers,
                "worker_class": "sync",
                "preload_app": True,
                "accesslog": "-" if access_log else None,
                "errorlog": "-",
                "loglevel": "warning",
                "when_ready": when_ready,
                "proc_name": "ciapi",
                "limit_request_line": 8190,  # the most gunicorn allows; its default of 4094 cuts real list URLs
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> PortDispatcher:
            return dispatcher

    _App().run()


def run_uvicorn(apps: list[tuple[str, Flask, int]], *, host: str, workers: int, on_ready: Ready) -> None:
    """Serve ``(name, app, wanted_port)`` triples from ``workers`` uvicorn processes until SIGINT/SIGTERM.

    The ports are reserved here (port 0 picks a free one); every worker listens on all of them with
    ``SO_REUSEPORT``, so that the kernel spreads the connections over the workers (on one shared socket, a
    burst of new connections could all go to one worker; the kernel's spread, a hash, is evened out by
    ``Balancer``), and picks the app by the port a request came in on.
    ``on_ready`` is called once every worker listens. Exits with status 1 when a worker stops by itself (the
    others are then stopped).
    """
    import uvicorn  # noqa: F401 - imported once, before the forks, rather than in each worker

    from mock_server.balance import Balancer
    from mock_server.wsgi_on_loop import WsgiOnLoop  # noqa: F401

    reservations = _reserve_all(host, apps)
    gc.collect()
    gc.freeze()  # as under granian: the apps built so far stay out of the collector's sight in the workers
    bound = [(name, app, r.getsockname()[1]) for (name, app, _), r in zip(apps, reservations, strict=True)]
    dispatcher = PortDispatcher()
    dispatcher.by_port.update({str(port): app for _, app, port in bound})
    balancer = Balancer(workers)  # evens out the kernel's spread of the connections (mock_server.balance)
    children = _Children(reservations)
    ready_read, ready_write = os.pipe()

    def worker(index: int) -> None:
        os.close(ready_read)
        balancer.enter_worker(index)
        _uvicorn_worker(dispatcher, [_listen(host, port) for _, _, port in bound], ready_write, balancer)

    for index in range(workers):
        children.fork(lambda index=index: worker(index), "a uvicorn worker")  # type: ignore[misc]
    os.close(ready_write)
    balancer.close()
    try:
        children.supervise(lambda: _wait_started(ready_read, workers, children.pids, timeout=60.0),
                           lambda: on_ready(bound), "the uvicorn workers did not start within 60 s")
    finally:
        os.close(ready_read)


class _Children:
    """The processes ``ciapi serve --workers`` forks, and their supervision: a SIGTERM or SIGINT to ciapi stops
    them all; one that stops by itself stops the others, and ciapi with status 1."""

    def __init__(self, reservations: list[socket.socket]) -> None:
        self.pids: list[int] = []
        self.stopping = threading.Event()
        self._reservations = reservations  # the ports, held until the children listen
        self._parent = os.getpid()
        signal.signal(signal.SIGTERM, self.stop)  # before the forks: a stop that comes meanwhile still reaches all
        signal.signal(signal.SIGINT, self.stop)

    def stop(self, *_: object) -> None:
        self.stopping.set()
        for pid in self.pids:
            _signal(pid, signal.SIGTERM)

    def fork(self, run: Callable[[], None], what: str) -> None:
        """Fork a child that runs ``run()`` (a server: it returns when asked to stop) and exits."""
        # a SIGTERM that came between the fork and the child's SIG_DFL would run the parent's stop() in the child
        stops = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child serves and never returns (the CLI tests run it)
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # until the server installs its own
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
                for reservation in self._reservations:  # the parent's copies hold the ports meanwhile
                    reservation.close()
                _die_with_parent(self._parent, signal.SIGTERM)  # ciapi killed: the child stops as if asked to
                run()
                code = 0
            except BaseException as exc:  # noqa: BLE001 - a child must not return into the parent's code
                sys.stderr.write(f"ciapi: {what} failed: {exc}\n")
            finally:
                os._exit(code)
        self.pids.append(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)  # a stop that came meanwhile runs now, for this child too
        if self.stopping.is_set():  # asked to stop while forking: this child, too
            _signal(pid, signal.SIGTERM)

    def supervise(self, wait_ready: Callable[[], bool], on_ready: Callable[[], None], not_ready: str) -> None:
        """Wait for the children to listen, release the ports, announce the servers (``on_ready``), and wait
        for the children to end; every child is killed on the way out."""
        try:
            ready = wait_ready()
            for reservation in self._reservations:
                reservation.close()
            if ready:
                on_ready()
            elif not self.stopping.is_set():
                sys.stderr.write(f"ciapi: {not_ready}\n")
                self.stop()
            failed = _wait_children(self.pids, self.stopping) or not ready
        finally:
            for pid in self.pids:
                _signal(pid, signal.SIGKILL)
        if failed:
            raise SystemExit(1)


def _reserve_all(host: str, apps: list[tuple[str, Flask, int]]) -> list[socket.socket]:
    """``_reserve`` every API's port; none held if one cannot be."""
    reservations: list[socket.socket] = []
    try:
        for _, _, port in apps:
            reservations.append(_reserve(host, port))
    except OSError:
        for reservation in reservations:
            reservation.close()
        raise
    return reservations


def _listen(host: str, port: int) -> socket.socket:
    """A worker's own listening socket on a port ``_reserve`` holds (``SO_REUSEPORT``)."""
    sock = _bound(host, port)
    try:
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _bound(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``(host, port)`` with ``SO_REUSEPORT``."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _uvicorn_worker(dispatcher: PortDispatcher, listeners: list[socket.socket], ready: int,
                    balancer: Balancer) -> None:
    import asyncio

    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from mock_server.balance import balanced
    from mock_server.wsgi_on_loop import WsgiOnLoop

    protocol = balanced(HttpToolsProtocol, balancer)
    config = uvicorn.Config(
        WsgiOnLoop(dispatcher), interface="asgi3", http=protocol, ws="none", lifespan="off", loop="auto",
        proxy_headers=False,  # the client's own address, as werkzeug, gunicorn and granian give it
        server_header=False, access_log=False, log_level="warning", timeout_keep_alive=30,
        timeout_graceful_shutdown=5)  # then unfinished requests are cancelled, within the parent's 10 s grace

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            loop = asyncio.get_running_loop()

            def taken() -> asyncio.Protocol:  # for a connection another worker hands over
                made = protocol(config=config, server_state=self.server_state, app_state=self.lifespan.state,
                                _loop=loop)
                made.taken = True
                return made

            balancer.take_over(loop, taken)
            os.write(ready, b"1")  # listening: the parent counts one byte per worker

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            balancer.stop_taking()  # before uvicorn closes the connections it has: none comes in after
            await super().shutdown(sockets=sockets)

    _Server(config).run(sockets=listeners)


def _any_exited(children: list[int]) -> bool:
    """Whether one of ``children`` has exited (it is left to be reaped: ``_wait_children`` reports it)."""
    return any(os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None for pid in children)


def _wait_started(pipe: int, count: int, children: list[int], *, timeout: float) -> bool:
    """Whether ``count`` bytes (one per started worker) arrive on ``pipe`` before ``timeout``; False at once
    when a worker has exited (not reaped: ``_wait_children`` reports it)."""
    import select

    deadline = time.monotonic() + timeout
    got = 0
    while got < count and time.monotonic() < deadline:
        if _any_exited(children):
            return False
        if select.select([pipe], [], [], 0.05)[0]:
            data = os.read(pipe, count)
            if not data:  # every writer gone
                return False
            got += len(data)
    return got >= count


def run_granian(apps: list[tuple[str, Flask, int]], *, host: str, workers: int, on_ready: Ready) -> None:
    """Serve ``(name, app, wanted_port)`` triples under granian until SIGINT/SIGTERM (see the module's doc).

    The ports are reserved first (port 0 picks a free one), so the table ``on_ready`` prints is right; it is
    called once every API answers a TCP connection. Exits with status 1 when a server stops by itself.
    """
    import multiprocessing  # here: the other servers do without it (a shorter start)

    # granian starts its workers with multiprocessing's default method; they must fork, to inherit the apps
    multiprocessing.set_start_method("fork", force=True)
    # the specs, validators and fixtures built so far live as long as the server: out of the collector's
    # sight, a full collection in a worker no longer walks them (shorter pauses), nor touches their pages
    gc.collect()
    gc.freeze()
    reservations = _reserve_all(host, apps)
    bound = [(name, app, r.getsockname()[1]) for (name, app, _), r in zip(apps, reservations, strict=True)]
    children = _Children(reservations)
    for name, app, port in bound:
        # ciapi killed: the child (granian's server) stops its workers
        children.fork(lambda app=app, port=port: _granian(app, host, port, workers),  # type: ignore[misc]
                      f"the {name} server")
    children.supervise(lambda: _wait_listening(host, [port for _, _, port in bound], children.pids, timeout=60.0),
                       lambda: on_ready(bound), "the servers did not start listening within 60 s")


def _granian(app: Flask, host: str, port: int, workers: int) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    server = Server("ciapi:app", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
                    blocking_threads=1,  # one app thread per worker: more only adds GIL hand-offs
                    runtime_threads=1, log_level=LogLevels.warning, workers_kill_timeout=10)
    server_pid = os.getpid()

    def in_worker(*_: object, **__: object) -> Flask:  # granian calls it in each worker, before serving
        _die_with_parent(server_pid, signal.SIGKILL)  # granian's server gone: nothing would stop this worker
        return app

    server.serve(target_loader=in_worker)


def _die_with_parent(parent: int, sig: int) -> None:
    """Have the kernel send ``sig`` to this process when ``parent`` dies (Linux ``PR_SET_PDEATHSIG``), so that
    no server or worker outlives a ``ciapi serve`` killed with SIGKILL; exits at once if it already has."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, sig, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux: nothing to ask for
        return
    if os.getppid() != parent:
        os._exit(1)


def _reserve(host: str, port: int) -> socket.socket:
    """Hold the port (bound, not listening, ``SO_REUSEPORT``) until the workers listen on it too.

    A port some other process listens on is refused (``EADDRINUSE``), even if that one allows ``SO_REUSEPORT``
    too (another ``ciapi serve``): the workers must not end up sharing its connections.
    """
    if port:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:  # no SO_REUSEPORT: fails on any listener
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    return _bound(host, port)


def _wait_listening(host: str, ports: list[int], children: list[int], *, timeout: float) -> bool:
    """Whether every port accepts a connection before ``timeout``; False at once if a server has exited."""
    deadline = time.monotonic() + timeout
    waiting = list(ports)
    while waiting and time.monotonic() < deadline:
        if _any_exited(children):
            return False  # (not reaped: _wait_children reports it)
        try:
            with socket.create_connection((host, waiting[0]), timeout=1.0):
                waiting.pop(0)
        except OSError:
            time.sleep(0.01)
    return not waiting


def _wait_children(children: list[int], stopping: threading.Event, grace: float = 10.0) -> bool:
    """Wait until every child has exited; True if one exited before it was asked to (the others are then
    stopped). A child still there ``grace`` seconds after the stop is killed, with its workers."""
    failed = False
    alive = set(children)
    deadline: float | None = None
    while alive:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid in alive:
            alive.discard(pid)
            if not stopping.is_set():
                failed = True
                stopping.set()
                for other in alive:
                    _signal(other, signal.SIGTERM)
            continue
        if stopping.is_set():
            deadline = deadline or time.monotonic() + grace
            if time.monotonic() > deadline:
                for child in alive:
                    for grandchild in _children_of(child):
                        _signal(grandchild, signal.SIGKILL)
                    _signal(child, signal.SIGKILL)
                deadline = time.monotonic() + grace
        time.sleep(0.05)
    return failed


def _children_of(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                found += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return found


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
