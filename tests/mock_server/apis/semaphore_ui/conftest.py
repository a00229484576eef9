"""Fixtures for the Semaphore UI mock: one strict app per session, reset before each test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import get_state
from mock_server.state import MockState

MASTER = "sui-test-token"  # a --token: acts as the first admin (admin, id 1)
ADMIN_TOKEN = "ep484xlu11jqnk6upoe7nsxu2bvnazhom1ofnp4gcvm="
ALICE_TOKEN = "28xfib72q9a44ogzko6bkztrhzxqlzxifyyq8frrcvu="  # member of project 1 only
EXPIRED_TOKEN = "ivtuef7lii6x_v7dy0nihombp3jfrwxtnep_aaflpic="


@pytest.fixture
def sui_app(session_app: Callable[..., Flask], fresh: Callable[[Flask], Flask]) -> Flask:
    """The Semaphore UI mock (strict, manual clock), reset for each test, on both stores."""
    return fresh(session_app("semaphore-ui", tokens=[MASTER]))


@pytest.fixture
def sui_state(sui_app: Flask) -> MockState:
    return get_state(sui_app)


@pytest.fixture
def anon(sui_app: Flask) -> FlaskClient:
    """No credentials."""
    return sui_app.test_client()


@pytest.fixture
def sui(sui_app: Flask) -> FlaskClient:
    """Bearer ``MASTER`` (the admin)."""
    client = sui_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {MASTER}"
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
