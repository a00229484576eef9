"""The connection balancer of ``serve --workers`` under uvicorn (mock_server.balance), in one process.

The tests of ``ciapi serve --workers N`` (test_cli.py) check the connections end up evenly spread over real
workers; these check the counts and the hand-over itself, playing each worker in turn (``index``).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mock_server.balance import Balancer, balanced


@pytest.fixture
def make() -> Iterator[Callable[[int], Balancer]]:
    made: list[Balancer] = []

    def build(workers: int) -> Balancer:
        made.append(Balancer(workers))
        return made[-1]

    yield build
    for balancer in made:
        balancer.close()


def test_a_worker_keeps_a_connection_until_it_holds_more_than_another(make: Callable[[int], Balancer]) -> None:
    balancer = make(3)
    balancer.index = 0
    assert balancer.target() is None  # all at 0
    balancer.count_in()
    assert balancer.target() in (1, 2)  # 1 here, 0 there: a second one would make it 2 to 0
    balancer.index = 1
    balancer.count_in()
    balancer.index = 2
    balancer.count_in()
    balancer.index = 0
    assert balancer.target() is None  # 1 each
    balancer.count_in()
    balancer.index = 2
    balancer.count_out()
    balancer.index = 0
    assert balancer.target() == 2  # 2, 1, 0: to the least loaded
    assert [balancer.load(j) for j in range(3)] == [2, 1, 0]


def test_a_socket_on_its_way_counts_for_the_worker_it_goes_to(make: Callable[[int], Balancer]) -> None:
    balancer = make(2)
    balancer.index = 0
    balancer.count_in()
    left, right = socket.socketpair()
    with left, right:
        assert balancer.target() == 1
        assert balancer.hand_over(left.fileno(), 1)
        assert (balancer.load(0), balancer.load(1)) == (1, 1)  # not taken yet, and already counted for 1
        assert balancer.target() is None  # so the next one stays: no burst all sent to one worker


def test_a_taken_socket_is_served_by_the_worker_it_was_sent_to(make: Callable[[int], Balancer]) -> None:
    balancer = make(2)
    served: list[bytes] = []

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            served.append(data)
            self.transport.write(data.upper())  # type: ignore[attr-defined]

    async def scenario() -> bytes:
        loop = asyncio.get_running_loop()
        balancer.index = 1
        balancer.take_over(loop, Echo)
        client, server_end = socket.socketpair()
        with client:
            balancer.index = 0
            assert balancer.hand_over(server_end.fileno(), 1)
            server_end.close()  # as the sending worker does: only the message holds the socket now
            client.setblocking(False)
            await loop.sock_sendall(client, b"ping")
            answer = await asyncio.wait_for(loop.sock_recv(client, 16), 5)
        return answer

    assert asyncio.run(scenario()) == b"PING"
    assert served == [b"ping"]
    assert (balancer.held(0), balancer.held(1), balancer.load(1)) == (0, 1, 1)  # taken: held, no longer on its way


def test_a_socket_that_cannot_be_sent_stays_with_the_worker_that_has_it(make: Callable[[int], Balancer]) -> None:
    balancer = make(2)
    balancer.index = 0
    balancer._inboxes[1][0].close()  # worker 1 is gone: nothing would ever take from its inbox
    left, right = socket.socketpair()
    with left, right:
        assert not balancer.hand_over(left.fileno(), 1)
        assert balancer.load(1) == 0  # nothing counted on its way
        left.sendall(b"still here")  # and the socket is intact
        assert right.recv(16) == b"still here"


@pytest.mark.parametrize("step", ["admit", "take"])
def test_deciding_and_taking_wait_for_the_lock_another_worker_holds(make: Callable[[int], Balancer],
                                                                    step: str) -> None:
    # each reads the loads and changes them: if two workers did so at once, both could send to the same least
    # loaded worker, or read a load between a take's two writes; so another process holding the lock holds
    # them up (any process: POSIX record locks are per process, so it cannot be this one)
    balancer = make(2)
    balancer.index = 0
    fork = multiprocessing.get_context("fork")
    holding, release = fork.Event(), fork.Event()

    def hold() -> None:
        with balancer._locked():
            holding.set()
            release.wait(30)

    holder = fork.Process(target=hold)
    holder.start()
    mine, theirs = socket.socketpair()
    try:
        assert holding.wait(10)
        if step == "take":  # something on its way to worker 0, to take
            balancer.index = 1
            assert balancer.hand_over(theirs.fileno(), 0)
            balancer.index = 0
        done = threading.Event()
        result: list[Any] = []

        def run() -> None:
            result.append(balancer.admit(mine.fileno()) if step == "admit" else balancer.take())
            done.set()

        worker = threading.Thread(target=run)
        worker.start()
        assert not done.wait(0.3), "went ahead while another worker held the lock"
        release.set()
        assert done.wait(10)
        worker.join()
    finally:
        release.set()
        holder.join(10)
        mine.close()
        theirs.close()
    if step == "admit":
        assert result == [False] and balancer.held(0) == 1  # 0 to 0: kept, counted once the lock was free
    else:
        assert len(result[0]) == 1 and (balancer.held(0), balancer.load(0)) == (1, 1)
        result[0][0].close()


@pytest.mark.parametrize("workers", [0, 70_000])
def test_a_worker_count_out_of_range_is_refused(workers: int) -> None:
    with pytest.raises(ValueError, match="workers must be 1 to 65535"):
        Balancer(workers)


def test_a_stopping_worker_takes_no_more_and_closes_what_was_on_its_way(make: Callable[[int], Balancer]) -> None:
    balancer = make(2)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        balancer.index = 1
        balancer.take_over(loop, asyncio.Protocol)
        queued_client, queued = socket.socketpair()
        later_client, later = socket.socketpair()
        with queued_client, queued, later_client, later:
            balancer.index = 0
            assert balancer.hand_over(queued.fileno(), 1)  # sent, not yet taken: the loop has not run
            queued.close()
            balancer.index = 1
            balancer.stop_taking()
            assert queued_client.recv(16) == b""  # its last descriptor closed: the client sees the end
            balancer.index = 0
            assert not balancer.hand_over(later.fileno(), 1)  # refused: the sender keeps it
            later.sendall(b"kept")
            assert later_client.recv(16) == b"kept"

    asyncio.run(scenario())


class _Base(asyncio.Protocol):
    """Stands in for uvicorn's protocol: records what reaches it."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.seen.append("made")

    def connection_lost(self, exc: Exception | None) -> None:
        self.seen.append("lost")


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.aborted = False

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None

    def abort(self) -> None:
        self.aborted = True


def test_the_protocol_hands_over_or_counts_in_and_out(make: Callable[[int], Balancer]) -> None:
    balancer = make(2)
    balancer.index = 0
    protocol = balanced(_Base, balancer)
    left, right = socket.socketpair()
    with left, right:
        kept = protocol()
        kept.connection_made(_Transport(left))  # 0 to 0: kept, counted, passed on
        assert kept.seen == ["made"] and balancer.held(0) == 1
        moved, transport = protocol(), _Transport(right)
        moved.connection_made(transport)  # 1 to 0: handed to worker 1, never seen by the base protocol
        assert transport.aborted and moved.seen == [] and balancer.load(1) == 1 and balancer.held(0) == 1
        moved.connection_lost(None)  # the abort's echo: not this worker's connection
        assert moved.seen == [] and balancer.held(0) == 1
        kept.connection_lost(None)
        kept.connection_lost(None)  # counted out once only
        assert kept.seen == ["made", "lost"] and balancer.held(0) == 0
