"""Fixtures for the Semaphore behaviour tests: the mock in strict mode on a manual clock, on both stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import get_state
from mock_server.state import MockState

TOKEN = "sem-demo-token"  # alice, organization acme (from the default fixtures)
GLOBEX_TOKEN = "sem-globex-token"  # bob, organization globex
WEB = "e48c5cf8-7389-4df1-9904-235c06473af1"  # acme/web: 35 workflows
API_PROJECT = "c394d20b-b3c6-4c90-b743-a9a65fa95a78"  # acme/api: blocks with dependencies
DOCS = "3796efe0-81a0-4157-8774-7ad72d41ac28"  # acme/docs: a retention policy, a malformed pipeline file
VAULT = "726dbefd-b30c-4c80-bc9a-c0613968a2ca"  # globex/vault
FIRST_WORKFLOW = "b1e7b07d-2d62-4af9-83ce-1f6df09d871f"
FIRST_PIPELINE = "8a97c0a9-4b8a-4027-9bd2-2602e9f72e37"
TASK = "a2e4f1d2-5c1e-4f0e-9b0a-6e7f8d9c0b1a"
V1 = "/api/v1alpha"


@pytest.fixture
def sem_app(session_app: Callable[..., Flask], fresh: Callable[[Flask], Flask]) -> Flask:
    """The Semaphore mock (strict self-validation, manual clock), reset for each test."""
    return fresh(session_app("semaphore"))


@pytest.fixture
def sem_state(sem_app: Flask) -> MockState:
    return get_state(sem_app)


@pytest.fixture
def api(sem_app: Flask) -> FlaskClient:
    """A client authenticated as alice (``Authorization: Token sem-demo-token``)."""
    client = sem_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Token {TOKEN}"
    return client


@pytest.fixture
def advance(sem_state: MockState) -> Callable[[float], None]:
    """Move the manual clock; due lifecycle events fire at the next request."""
    return lambda seconds: sem_state.clock.advance(seconds)


@pytest.fixture
def run(api: FlaskClient) -> Callable[..., dict[str, Any]]:
    """Run a workflow of acme/web (or ``project_id=``) and return the answer."""

    def start(pipeline_file: str | None = None, project_id: str = WEB, **extra: Any) -> dict[str, Any]:
        body = {"project_id": project_id, "reference": "refs/heads/master", **extra}
        if pipeline_file:
            body["pipeline_file"] = pipeline_file
        response = api.post(f"{V1}/plumber-workflows", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        return dict(response.json)

    return start
