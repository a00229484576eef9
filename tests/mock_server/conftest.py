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
def session_app(store_for: Callable[[str], str]) -> Callable[..., Flask]:
    """``session_app("semaphore", tokens=[...])``: one strict mock per API (and store) for the whole session."""
    made: dict[tuple[str, tuple[str, ...], str], Flask] = {}

    def make(api: str, *, tokens: tuple[str, ...] | list[str] = (), store: str | None = None) -> Flask:
        key = (api, tuple(tokens), store or store_for(api))
        if key not in made:
            made[key] = create_app(api, tokens=list(tokens), strict=True, store=key[2])
        return made[key]

    return make


@pytest.fixture
def fresh() -> Iterator[Callable[[Flask], Flask]]:
    """``fresh(app)``: the app reset to its fixtures; after the test, no response may have broken the spec."""
    used: list[Flask] = []

    def reset(app: Flask) -> Flask:
        get_state(app).reset()
        used.append(app)
        return app

    yield reset
    for app in used:
        violations = get_state(app).violations
        assert not violations, f"the mock broke its spec: {violations}"


@pytest.fixture
def app(session_app: Callable[..., Flask], fresh: Callable[[Flask], Flask]) -> Flask:
    """The Buildkite mock (strict self-validation, manual clock), reset for each test."""
    return fresh(session_app("buildkite", tokens=[TOKEN]))


@pytest.fixture
def state(app: Flask) -> MockState:
    return get_state(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client
