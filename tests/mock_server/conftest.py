from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app, get_state
from mock_server.state import MockState

TOKEN = "test-token"
ORG = "my-great-org"
AGENTS = f"/v2/organizations/{ORG}/agents"


@pytest.fixture(scope="session", params=["memory", "sqlite"])
def store_for(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """Every behaviour test runs on both state stores: ``store_for("semaphore")`` gives that API its own."""
    if request.param == "memory":
        return lambda api: "memory"
    folder = tmp_path_factory.mktemp("store")
    return lambda api: f"sqlite:{folder / (api + '.db')}"


@pytest.fixture(scope="session")
def store_backend(store_for: Callable[[str], str]) -> str:
    """The Buildkite app's store."""
    return store_for("buildkite")


@pytest.fixture(scope="session")
def _app(store_backend: str) -> Flask:
    return create_app("buildkite", tokens=[TOKEN], strict=True, store=store_backend)


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The Buildkite mock (strict self-validation, manual clock), reset for each test."""
    state = get_state(_app)
    state.reset()
    yield _app
    assert not state.violations, f"the mock broke its spec: {state.violations}"


@pytest.fixture
def state(app: Flask) -> MockState:
    return get_state(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client
