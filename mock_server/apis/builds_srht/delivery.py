"""Webhook delivery: real HTTP POSTs from one daemon thread, never under the store lock or on a request path.

Lifecycle events only queue a delivery (``send``); the sender thread posts it and writes the outcome into the
delivery's ``webhooks`` record (shown at ``GET /_mock/views/webhooks``). Only loopback hosts are contacted:
a mock must not make the machine it runs on call out to the internet on behalf of a submitted manifest.
"""

from __future__ import annotations

import ipaddress
import json
import os
import queue
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from mock_server.apis.builds_srht.triggers import Delivery
from mock_server.store import Store

__all__ = ["WebhookSender", "is_loopback_url"]

USER_AGENT = "builds.sr.ht webhook (ciapi mock)"


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebhookSender:
    """Posts queued webhooks one at a time from a daemon thread started on first use."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._queue: queue.Queue[tuple[Store, Delivery]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._start_lock = threading.Lock()
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy

    def send(self, store: Store, delivery: Delivery) -> None:
        """Queue one delivery (cheap: safe to call under the store lock)."""
        if not is_loopback_url(delivery.url):
            _record(store, delivery, {"status": "refused", "error": "the ciapi mock delivers webhooks to "
                                                                    "loopback addresses only"})
            return
        with self._start_lock:
            if self._pid != os.getpid():  # a forked worker: the parent's thread and queue are not ours
                self._queue, self._thread, self._pid = queue.Queue(), None, os.getpid()
            self._queue.put((store, delivery))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ciapi-builds-srht-webhooks", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery has been attempted (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _run(self) -> None:
        while True:
            store, delivery = self._queue.get()
            try:
                outcome = self._post(delivery)
                with store.transaction():
                    _record(store, delivery, outcome)
            finally:
                self._queue.task_done()

    def _post(self, delivery: Delivery) -> dict[str, Any]:
        data = json.dumps(delivery.payload).encode()
        request = urllib.request.Request(delivery.url, data=data, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT})
        started = time.perf_counter()
        outcome: dict[str, Any]
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                outcome = {"status": "delivered", "response_status": response.status, "error": None}
        except urllib.error.HTTPError as exc:
            outcome = {"status": "failed", "response_status": exc.code, "error": f"HTTP {exc.code} {exc.reason}"}
        except (OSError, ValueError) as exc:
            outcome = {"status": "failed", "response_status": None, "error": f"{type(exc).__name__}: {exc}"}
        outcome["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return outcome


def _record(store: Store, delivery: Delivery, outcome: dict[str, Any]) -> None:
    record = store.find("webhooks", delivery.record_id)
    if record is not None and record.get("delivery") == delivery.key:  # not after a reset
        record.update(outcome)
