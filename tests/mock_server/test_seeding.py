"""Fixture files: loaded whole or not at all, with errors that name the file, the record and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.app import create_app
from mock_server.seeding import FixtureError, default_fixtures_path, read_fixture_file

AGENTS = "/v2/organizations/my-great-org/agents"


def _problems(fixtures: object) -> list[str]:
    with pytest.raises(FixtureError) as info:
        create_app("buildkite", fixtures=fixtures)  # type: ignore[arg-type]
    return info.value.problems


def test_default_fixtures_have_two_pages_of_connected_agents() -> None:
    doc = read_fixture_file(default_fixtures_path("buildkite"))
    connected = [a for a in doc["agents"] if a["organization"] == "my-great-org"
                 and a.get("connection_state", "connected") == "connected"]
    assert len(connected) > 30


def test_schema_error_names_file_record_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("organizations: [{slug: acme}]\nagents:\n"
                    "  - {organization: acme, name: a1}\n"
                    "  - {organization: acme, name: a2, connection_state: sleeping}\n")
    with pytest.raises(FixtureError) as info:
        create_app("buildkite", fixtures=path)
    message = str(info.value)
    assert str(path) in message
    assert "agents[1] (name 'a2').connection_state: 'sleeping' is not one of" in message


def test_reference_errors_are_reported_all_at_once() -> None:
    problems = _problems({"agents": [
        {"organization": "nope", "name": "a1"},
        {"organization": "nope", "name": "a2", "creator": "who@example.com", "created_at": "last week"},
    ]})
    assert "agents[0] (name 'a1').organization: no organization 'nope' in the fixtures" in problems
    assert "agents[1] (name 'a2').creator: no user with email 'who@example.com' in the fixtures" in problems
    assert any(p.startswith("agents[1] (name 'a2').created_at: 'last week' is not a time") for p in problems)


def test_unknown_fields_and_scopes_are_refused() -> None:
    problems = _problems({"tokens": [{"token": "t", "scopes": ["admin"]}], "agents": [], "pipelines": []})
    assert any("pipelines" in p and "Additional properties" in p for p in problems)
    assert any(p.startswith("tokens[0] (token 't').scopes[0]: 'admin' is not one of") for p in problems)


def test_wrong_api_is_refused() -> None:
    assert _problems({"api": "builds-srht"})[0].startswith("api: this document seeds 'builds-srht'")


def test_unreadable_and_non_yaml_files(tmp_path: Path) -> None:
    assert "cannot read the file" in _problems(tmp_path / "missing.yaml")[0]
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents: [\n")
    assert "not valid YAML" in _problems(bad)[0]


def test_a_bad_document_loads_nothing(client, state) -> None:  # type: ignore[no-untyped-def]
    before = state.store.count("agents")
    with pytest.raises(FixtureError):
        state.load({"agents": [{"organization": "my-great-org", "name": "fine"},
                               {"organization": "my-great-org", "name": "bad", "connection_state": "x"}]}, "t")
    assert state.store.count("agents") == before
    assert client.get(AGENTS + "?name=fine").json == []
