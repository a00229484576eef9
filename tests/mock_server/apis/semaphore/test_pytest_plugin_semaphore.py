"""Other repos' CI: the ciapi pytest plugin serves the Semaphore mock like any other API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests


def test_the_plugin_serves_semaphore_with_its_clock(ciapi_mock: Callable[[str], Any]) -> None:
    server = ciapi_mock("semaphore")
    auth = {"Authorization": f"Token {server.token}"}
    body = {"project_id": "e48c5cf8-7389-4df1-9904-235c06473af1", "reference": "refs/heads/master"}
    started = requests.post(server.url + "/api/v1alpha/plumber-workflows", json=body, headers=auth, timeout=10)
    assert started.status_code == 200
    pipeline = server.url + f"/api/v1alpha/pipelines/{started.json()['pipeline_id']}"
    assert requests.get(pipeline, headers=auth, timeout=10).json()["pipeline"]["state"] == "initializing"
    server.clock.advance(3)
    assert requests.get(pipeline, headers=auth, timeout=10).json()["pipeline"]["state"] == "running"
    assert server.requests[0]["operation_id"] == "describePipeline"
