"""Spread a client's connections evenly over the uvicorn workers of ``ciapi serve --workers N``.

Each worker listens on its own ``SO_REUSEPORT`` socket, and the kernel picks the socket of a new connection
by a hash of its addresses. With the few connections a test client opens that is often lopsided: with two
workers, 2 connections land on one worker half the time, and 8 split 7/1 or 8/0 about one time in 16. A
worker is one thread on one core, so the other core then idles while requests queue (8/0 measured 40% fewer
requests/s). So a worker that already holds more connections than another hands a new one over, before it
reads a byte from it: it sends the socket to that worker (``SCM_RIGHTS`` over a Unix datagram socket, one
inbox per worker, made before the fork) and forgets it; that worker serves it as if it had accepted it.

The counts live in memory the workers share (``mmap`` of a ``memfd``, made before the fork); each worker
writes only its own slots. A worker's load is what it holds plus what others have sent it and it has not
taken yet. Deciding where a new connection goes (read every load, then count it in here or send it) and
taking a sent one (count it held, and no longer on its way) each happen under one lock, a POSIX record lock
on the memfd: without it two workers deciding at once can both send to the same least loaded worker, and a
reader between a take's two writes sees a load one short; either leaves a small burst split unevenly.
The lock is per process, and the kernel drops it if its holder dies. A hand-over that cannot be sent (the
inbox full, the worker gone) keeps the connection where it is: served unevenly, never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import mmap
import os
import socket
import struct
from collections.abc import Callable, Iterator
from typing import Any

_SENDER = struct.Struct("=H")  # the message carrying a socket names the worker that sent it


class Balancer:
    """Connection counts and inboxes shared by ``workers`` processes; ``enter_worker`` after the fork."""

    def __init__(self, workers: int) -> None:
        if not 1 <= workers <= 0xFFFF:
            raise ValueError(f"workers must be 1 to 65535, not {workers}")
        self.workers = workers
        self.index = -1  # which worker this process is; -1 in the parent
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop taking sockets (take_over)
        slots = workers * (1 + 2 * workers)
        self._fd = os.memfd_create("ciapi-balance", os.MFD_CLOEXEC)  # shared: the forks see each other's writes
        os.ftruncate(self._fd, 8 * slots)
        self._memory = mmap.mmap(self._fd, 8 * slots)
        counts = memoryview(self._memory).cast("q")
        self._held = counts[:workers]  # [j]: connections worker j serves (written by j)
        self._sent = counts[workers:workers + workers * workers]  # [i*W+j]: handed by i to j (written by i)
        self._taken = counts[workers + workers * workers:]  # [j*W+i]: taken by j from i (written by j)
        self._inboxes = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) for _ in range(workers)]
        for receiving, sending in self._inboxes:
            receiving.setblocking(False)
            sending.setblocking(False)

    # --- process roles ---------------------------------------------------------------------------
    def enter_worker(self, index: int) -> None:
        """In worker ``index`` after the fork: keep its own inbox's receiving end and the others' sending ends
        (so that when a worker is gone, sends to it fail instead of queueing sockets nobody will take)."""
        self.index = index
        for j, (receiving, sending) in enumerate(self._inboxes):
            (sending if j == index else receiving).close()

    def close(self) -> None:
        """In the parent once the workers are forked: it neither sends nor takes."""
        for receiving, sending in self._inboxes:
            receiving.close()
            sending.close()
        os.close(self._fd)  # the workers keep theirs (the mmap holds its own copy)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the lock the workers share (blocking: what it guards takes microseconds)."""
        fcntl.lockf(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN)

    # --- counts ------------------------------------------------------------------------------------
    def load(self, worker: int) -> int:
        """Connections ``worker`` serves plus those on their way to it."""
        w = self.workers
        on_the_way = sum(self._sent[i * w + worker] - self._taken[worker * w + i] for i in range(w))
        return int(self._held[worker]) + on_the_way

    def held(self, worker: int) -> int:
        return int(self._held[worker])

    def target(self) -> int | None:
        """The worker a new connection accepted here should go to, or None to keep it: the least loaded other
        worker, if this one would otherwise hold two or more connections more than it."""
        others = [j for j in range(self.workers) if j != self.index]
        if not others:
            return None
        least = min(others, key=self.load)
        return least if self.load(self.index) > self.load(least) else None

    def admit(self, fd: int) -> bool:
        """A connection (socket ``fd``) was just accepted here: hand it to a less loaded worker (True), or count
        it in as served here (False), in one step no other worker's decision or take interleaves with."""
        with self._locked():
            worker = self.target()
            if worker is not None and self.hand_over(fd, worker):
                return True
            self.count_in()
            return False

    def count_in(self) -> None:
        self._held[self.index] += 1

    def count_out(self) -> None:
        self._held[self.index] -= 1

    # --- moving sockets ----------------------------------------------------------------------------
    def hand_over(self, fd: int, worker: int) -> bool:
        """Send the connected socket ``fd`` to ``worker``'s inbox; False (and nothing sent) if it cannot be."""
        try:
            socket.send_fds(self._inboxes[worker][1], [_SENDER.pack(self.index)], [fd])
        except OSError:
            return False
        self._sent[self.index * self.workers + worker] += 1
        return True

    def take_over(self, loop: asyncio.AbstractEventLoop, protocol: Callable[[], asyncio.Protocol]) -> None:
        """Serve the sockets other workers send to this one with ``protocol()`` on ``loop``; the count of a
        taken connection is already in (``count_in``), its protocol counts it out when it closes."""
        me = self.index
        inbox = self._inboxes[me][0]
        serving: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to its tasks

        def ready() -> None:
            for conn in self._take(me):
                task = loop.create_task(self._serve(loop, protocol, conn, me))
                serving.add(task)
                task.add_done_callback(serving.discard)

        loop.add_reader(inbox.fileno(), ready)
        self._loop = loop

    def take(self) -> list[socket.socket]:
        """The sockets waiting in this worker's inbox, each counted as held here and no longer on its way."""
        return self._take(self.index)

    def _take(self, me: int) -> list[socket.socket]:
        inbox, taken = self._inboxes[me][0], list[socket.socket]()
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(inbox, _SENDER.size, 16)
            except (BlockingIOError, InterruptedError):
                return taken
            with self._locked():
                self._held[me] += len(fds)
                if len(data) == _SENDER.size:  # one message per socket sent, whether its descriptor came or not
                    self._taken[me * self.workers + _SENDER.unpack(data)[0]] += 1
            taken.extend(socket.socket(fileno=fd) for fd in fds)

    def stop_taking(self) -> None:
        """When this worker stops: take no more sockets, and close those sent but not taken (their clients see
        the connection close, as when a server stops with connections still in its listen queue). Later
        hand-overs to this worker fail, and the sender keeps the connection."""
        inbox = self._inboxes[self.index][0] if self.index >= 0 else None
        if inbox is None or inbox.fileno() < 0:
            return
        if self._loop is not None:
            self._loop.remove_reader(inbox.fileno())
        while True:
            try:
                _, fds, _, _ = socket.recv_fds(inbox, _SENDER.size, 16)
            except (BlockingIOError, InterruptedError, OSError):
                break
            for fd in fds:
                os.close(fd)
        inbox.close()

    async def _serve(self, loop: asyncio.AbstractEventLoop, protocol: Callable[[], asyncio.Protocol],
                     conn: socket.socket, me: int) -> None:
        try:
            await loop.connect_accepted_socket(protocol, conn)
        except OSError:  # the client went away on the way over: nothing to serve
            conn.close()
            self._held[me] -= 1
        except BaseException:  # the loop is stopping, say: not served either
            conn.close()
            self._held[me] -= 1
            raise


def balanced(base: type[Any], balancer: Balancer) -> type[Any]:
    """A subclass of the uvicorn protocol ``base`` that hands a new connection to a less loaded worker, or
    counts it as served here."""

    class Balanced(base):
        taken = False  # True on the protocols of sockets taken from another worker (already counted)
        _counted = False

        def connection_made(self, transport: asyncio.Transport) -> None:
            if not self.taken:
                sock = transport.get_extra_info("socket")
                if sock is None:
                    balancer.count_in()
                elif balancer.admit(sock.fileno()):
                    transport.abort()  # closes this process's descriptor only: the other worker has the socket
                    return
            self._counted = True
            super().connection_made(transport)

        def connection_lost(self, exc: Exception | None) -> None:
            if not self._counted:  # handed over: never this worker's connection
                return
            self._counted = False
            balancer.count_out()
            super().connection_lost(exc)

    Balanced.__name__ = Balanced.__qualname__ = f"Balanced{base.__name__}"
    return Balanced
