"""pytest fixtures for other repos' CI: ciapi mock servers, one per API per session, reset per test.

Example:
    ```python
    def test_lists_agents(buildkite_mock):
        r = requests.get(buildkite_mock.url + "/v2/organizations/my-great-org/agents",
                         headers={"Authorization": f"Bearer {buildkite_mock.token}"})
        assert r.status_code == 200

    def test_any_api(ciapi_mock):
        server = ciapi_mock("buildkite")
        server.clock.advance(30)
    ```

Override ``ciapi_mock_options`` in a ``conftest.py`` to choose fixtures, token or clock per API.
Imports of the mock happen inside the fixtures, so loading this plugin costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mock_server.server import MockServer

__all__ = ["buildkite_mock", "ciapi_mock", "ciapi_mock_options", "ciapi_servers"]


class _Pool:
    """The session's servers, started on first use."""

    def __init__(self, options: Callable[[str], dict[str, Any]]) -> None:
        self._options = options
        self._servers: dict[str, MockServer] = {}

    def get(self, api: str) -> MockServer:
        from contract_tests.catalog import get_api
        from mock_server.server import MockServer

        name = get_api(api).name
        if name not in self._servers:
            self._servers[name] = MockServer(api=name, **self._options(name)).start()
        return self._servers[name]

    def close(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


@pytest.fixture(scope="session")
def ciapi_mock_options() -> Callable[[str], dict[str, Any]]:
    """Keyword arguments for ``MockServer`` per API name (``fixtures``, ``token``, ``clock``, ``strict``...).

    Override it in your ``conftest.py``; the default is the API's default fixtures, token
    ``ciapi-test-token``, a manual clock, and strict self-validation.
    """
    return lambda api: {}


@pytest.fixture(scope="session")
def ciapi_servers(ciapi_mock_options: Callable[[str], dict[str, Any]]) -> Iterator[_Pool]:
    pool = _Pool(ciapi_mock_options)
    yield pool
    pool.close()


@pytest.fixture
def ciapi_mock(ciapi_servers: _Pool) -> Iterator[Callable[[str], MockServer]]:
    """A factory: ``ciapi_mock("buildkite")`` gives that API's server, reset to its fixtures for this test.

    After the test, any response the mock sent that broke its spec fails the test.
    """
    used: dict[str, MockServer] = {}

    def get(api: str) -> MockServer:
        server = ciapi_servers.get(api)
        if server.api not in used:
            server.reset()
            used[server.api] = server
        return server

    yield get
    broken = [(name, v) for name, server in used.items() for v in server.violations]
    if broken:
        lines = [f"{name}: {v['method']} {v['path']} -> {v['status']}: {'; '.join(v['problems'])}"
                 for name, v in broken]
        pytest.fail("the ciapi mock sent responses that break its spec:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
def buildkite_mock(ciapi_mock: Callable[[str], MockServer]) -> MockServer:
    """The Buildkite agents mock, reset for this test (``.url``, ``.token``, ``.clock``, ``.requests``, ``.load``)."""
    return ciapi_mock("buildkite")
