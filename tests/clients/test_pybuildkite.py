"""The published Buildkite client, unmodified but for its base URL, against ``ciapi serve``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from pybuildkite.buildkite import Buildkite

ORG = "my-great-org"


@pytest.fixture
def buildkite(serve: Callable[..., object]) -> Buildkite:
    served = serve("--api", "buildkite", "--port", "0", "--token", "client-token", "--clock", "manual")
    bk = Buildkite()
    bk.set_access_token("client-token")
    bk.base_url = served.url + "/v2/"  # type: ignore[attr-defined]
    bk.admin_url = served.url + "/_mock"  # type: ignore[attr-defined]
    return bk


def test_lists_every_agent_across_pages(buildkite: Buildkite) -> None:
    agents = buildkite.agents()
    page = agents.list_all(ORG, with_pagination=True)  # GET .../agents/?page=0&per_page=100
    assert len(page.body) == 42 and page.next_page is None

    buildkite.client.per_page = 10  # pybuildkite's own page-size knob
    seen: list[str] = []
    page_number = 1
    while page_number:
        response = agents.list_all(ORG, page=page_number, with_pagination=True)
        seen += [a["id"] for a in response.body]
        assert len(response.body) <= 10
        assert response.last_page in (5, None)  # no `last` rel on the last page
        page_number = response.next_page
    assert len(seen) == 42 == len(set(seen))


def test_filters_gets_and_stops_an_agent(buildkite: Buildkite) -> None:
    agents = buildkite.agents()
    [busy] = agents.list_all(ORG, name="agent-03")
    assert busy["job"]["state"] == "running"
    assert agents.get_agent(ORG, busy["id"])["name"] == "agent-03"

    assert agents.stop_agent(ORG, busy["id"], force=False) is True  # 204
    assert agents.get_agent(ORG, busy["id"])["connection_state"] == "stopping"

    requests.post(buildkite.admin_url + "/clock", json={"advance": 3600}, timeout=10)  # type: ignore[attr-defined]
    stopped = agents.get_agent(ORG, busy["id"])
    assert stopped["connection_state"] == "stopped" and stopped["job"] is None
    assert agents.list_all(ORG, name="agent-03") == []

    with pytest.raises(requests.HTTPError) as info:
        agents.stop_agent(ORG, busy["id"])
    assert info.value.response.status_code == 400
    assert info.value.response.json() == {"message": "Can only stop connected agents"}


def test_errors_reach_the_client_as_http_errors(buildkite: Buildkite) -> None:
    with pytest.raises(requests.HTTPError) as info:
        buildkite.agents().get_agent(ORG, "no-such-agent")
    assert info.value.response.status_code == 404
    buildkite.set_access_token("wrong")
    with pytest.raises(requests.HTTPError) as info:
        buildkite.agents().list_all(ORG)
    assert info.value.response.status_code == 401
