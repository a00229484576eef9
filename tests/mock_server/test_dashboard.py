"""The dashboard and the API docs of every API: served offline from packaged assets, specs pointing at the mock."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

import mock_server
from contract_tests.catalog import API_NAMES, get_api, load_spec
from mock_server.app import create_app

STATIC = Path(mock_server.__file__).parent / "static"
OWN_ASSETS = ["dashboard.html", "dashboard.js", "dashboard.css", "docs.html", "docs.js"]


@pytest.fixture(scope="module", params=API_NAMES)
def api_client(request: pytest.FixtureRequest) -> FlaskClient:
    return create_app(request.param, tokens=["docs-token"]).test_client()


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"#]+)"', html)


@pytest.mark.parametrize("page", ["/_mock/ui", "/_mock/docs"])
def test_pages_and_every_asset_they_load_are_served_locally(api_client: FlaskClient, page: str) -> None:
    response = api_client.get(page)
    assert response.status_code == 200 and response.mimetype == "text/html"
    for asset in _assets(response.get_data(as_text=True)):
        if asset.startswith("data:"):
            continue
        assert not re.match(r"^[a-z]+://|^//", asset), f"{page} loads {asset} from elsewhere"
        url = "/_mock/" + asset  # relative to /_mock/ui and /_mock/docs
        if asset.startswith("static/"):
            assert api_client.get(url).status_code == 200, url


def test_docs_index_lists_each_spec_of_the_api(api_client: FlaskClient) -> None:
    index = api_client.get("/_mock/docs/index.json").json
    info = get_api(index["api"])
    assert [s["file"] for s in index["specs"]] == list(info.spec_files)
    assert index["token"] == "docs-token" and index["title"] == info.title
    for spec, path in zip(index["specs"], info.spec_paths, strict=True):
        served = api_client.get("/_mock/" + spec["url"]).json
        assert served["servers"] == [{"url": "http://localhost", "description": "this ciapi mock"}]
        original = load_spec(path)
        assert served["info"]["title"] == spec["title"] == original["info"]["title"]
        assert list(served["paths"]) == list(original["paths"])
        for item in served["paths"].values():
            assert "servers" not in item
            assert all("servers" not in op for op in item.values() if isinstance(op, dict))
    assert load_spec(info.spec_paths[0])["servers"] != served["servers"]  # the cached original is untouched


def test_unknown_spec_is_a_json_404(api_client: FlaskClient) -> None:
    response = api_client.get("/_mock/docs/specs/nope.json")
    assert response.status_code == 404 and "error" in response.json


def test_faults_endpoint_lists_the_apis_operations(api_client: FlaskClient) -> None:
    body = api_client.get("/_mock/faults").json
    info = get_api(api_client.get("/_mock/health").json["api"])
    ids = {op.get("operationId") for p in info.spec_paths for item in load_spec(p)["paths"].values()
           for op in item.values() if isinstance(op, dict)}
    assert set(body["operations"]) == ids - {None} and body["faults"] == []


def test_state_view_names_records(api_client: FlaskClient) -> None:
    collections = api_client.get("/_mock/state").json["collections"]
    assert all(set(item) == {"id", "name", "state"} for items in collections.values() for item in items)


def test_own_assets_use_no_network_but_the_mocks() -> None:
    for name in OWN_ASSETS:
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://|//cdn|@import", text), f"{name} reaches outside the mock"


def test_swagger_ui_is_vendored_with_its_licence_and_kept_small() -> None:
    vendored = STATIC / "swagger-ui"
    names = sorted(p.name for p in vendored.iterdir())
    assert names == ["LICENSE", "NOTICE", "swagger-ui-bundle.js", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css"]
    assert "Apache License" in (vendored / "LICENSE").read_text(encoding="utf-8")
    assert sum(p.stat().st_size for p in vendored.iterdir()) < 2_500_000
    assert "sourceMappingURL" not in (vendored / "swagger-ui-bundle.js").read_text(encoding="utf-8")[-300:]
