"""kill -9 under write load: with the SQLite store, every acknowledged write survives and the file is sound.

The whole ``ciapi serve --workers 2`` process group (ciapi and its uvicorn workers) is killed with SIGKILL
while 8 clients write, then a new server resumes the same file.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

WRITERS = 8
#: api -> (auth header, create path, body for the n-th write, (id of the answer), path to read it back, marker)
APIS: dict[str, dict[str, Any]] = {
    "builds-srht": {
        "auth": {"Authorization": "token alice-token"}, "create": "/api/jobs", "created": 200,
        "body": lambda n: {"manifest": "image: alpine/edge\ntasks:\n  - a: echo hi\n", "note": f"write {n}"},
        "read": "/api/jobs/{id}", "marker": lambda body: body["note"],
    },
    "semaphore-ui": {
        "auth": {"Authorization": "Bearer ep484xlu11jqnk6upoe7nsxu2bvnazhom1ofnp4gcvm="},
        "create": "/api/project/1/tasks", "created": 201,
        "body": lambda n: {"template_id": 1, "message": f"write {n}"},
        "read": "/api/project/1/tasks/{id}", "marker": lambda body: body["message"],
    },
}


def _ciapi() -> list[str]:
    script = Path(sys.executable).with_name("ciapi")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


class Server:
    """``ciapi serve`` in its own process group, so that SIGKILL reaches the server and its workers."""

    def __init__(self, api: str, db: Path) -> None:
        self.process = subprocess.Popen(
            [*_ciapi(), "serve", "--api", api, "--port", "0", "--workers", "2", "--clock", "manual",
             "--store", f"sqlite:{db}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        assert self.process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (lines and lines[-1].startswith("Press Ctrl+C")):
            line = self.process.stdout.readline()
            if not line:
                break
            lines.append(line)
        match = next((m for line in lines if (m := re.match(rf"^{api}\s+(http://[^/\s]+)", line))), None)
        if match is None:
            self.kill()
            raise AssertionError("ciapi serve did not start:\n" + "".join(lines))
        self.url = match.group(1)
        self.drain = threading.Thread(target=lambda: [None for _ in self.process.stdout],  # type: ignore[union-attr]
                                      daemon=True)
        self.drain.start()

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        drain = getattr(self, "drain", None)
        if drain is not None:
            drain.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


@pytest.mark.parametrize("api", sorted(APIS))
def test_kill_9_under_write_load_loses_no_acknowledged_write(api: str, tmp_path: Path,
                                                             servers: list[Server]) -> None:
    conf = APIS[api]
    db = tmp_path / "state.db"
    first = Server(api, db)
    servers.append(first)
    acknowledged: dict[str, str] = {}  # id -> marker the client sent
    lock = threading.Lock()
    stop = threading.Event()

    def writer(index: int) -> None:
        with requests.Session() as http:
            for n in range(index * 100_000, index * 100_000 + 5_000):
                if stop.is_set():
                    return
                try:
                    response = http.post(first.url + conf["create"], json=conf["body"](n), headers=conf["auth"],
                                         timeout=10)
                except requests.RequestException:
                    return  # the server is gone
                if response.status_code == conf["created"]:
                    with lock:
                        acknowledged[str(response.json()["id"])] = f"write {n}"

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.kill()  # mid-flight: SIGKILL to master and workers at once
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(t.is_alive() for t in threads)
    assert len(acknowledged) >= 150, "the load never got going"

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    second = Server(api, db)
    servers.append(second)
    with requests.Session() as http:
        missing = []
        for ident, marker in acknowledged.items():
            response = http.get(second.url + conf["read"].format(id=ident), headers=conf["auth"], timeout=10)
            if response.status_code != 200 or conf["marker"](response.json()) != marker:
                missing.append((ident, response.status_code))
        assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged writes lost: {missing[:5]}"
        # it serves again, writes included
        again = http.post(second.url + conf["create"], json=conf["body"](-1), headers=conf["auth"], timeout=10)
        assert again.status_code == conf["created"]
        assert str(again.json()["id"]) not in acknowledged, "a new write reused an acknowledged id"
        assert http.get(second.url + "/_mock/health", timeout=10).json()["status"] == "ok"
    second.kill()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
