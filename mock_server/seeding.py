"""Fixture documents: read, validate (saying file, record and field), and load into a store.

A fixture document is YAML or JSON::

    api: buildkite          # which API it seeds (required)
    clock: "2026-01-05T09:00:00Z"   # optional: where the clock starts
    tokens:                 # optional, every API: bearer tokens and what they may do
      - token: my-token
        scopes: [read_agents]
    <collection>: [...]     # the API's own collections (see its fixture schema)

The API's profile gives the JSON Schema of the whole document; semantic checks (references to
records that do not exist, duplicates) are the profile's ``load``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

from contract_tests.catalog import safe_load_yaml
from mock_server.clock import parse_instant

if TYPE_CHECKING:
    from mock_server.profile import ApiProfile
    from mock_server.store import Store

__all__ = ["FixtureError", "default_fixtures_path", "fixture_time", "fixtures_dir", "load_document",
           "read_fixture_file"]


class FixtureError(ValueError):
    """A fixture document that cannot be loaded; ``problems`` name the record and field of each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the fixtures:\n{lines}")


def fixtures_dir() -> Path:
    """Packaged fixtures inside an installed wheel, or ``fixtures/`` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_fixtures", here.parent / "fixtures"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no fixtures found next to {here} (looked for _fixtures/ and ../fixtures/)")


def default_fixtures_path(api_key: str) -> Path:
    return fixtures_dir() / api_key / "default.yaml"


def read_fixture_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        document = safe_load_yaml(text)
    except yaml.YAMLError as exc:
        raise FixtureError(str(path), [f"not valid YAML: {exc}"]) from None
    if not isinstance(document, dict):
        raise FixtureError(str(path), [f"the top level must be a mapping, not {type(document).__name__}"])
    return document


def _where(document: Mapping[str, Any], path: list[str | int]) -> str:
    """``agents[3] (name 'agent-04').connection_state``: a record is named by its id or name when it has one."""
    out = ""
    node: Any = document
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, Mapping):
                label = next((k for k in ("name", "id", "slug", "token") if isinstance(node.get(k), str | int)), None)
                if label:
                    out += f" ({label} {node[label]!r})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out or "(document)"


def validate_document(profile: ApiProfile, document: Any, source: str) -> None:
    if not isinstance(document, Mapping):
        raise FixtureError(source, [f"the document must be a mapping, not {type(document).__name__}"])
    validator = jsonschema.Draft202012Validator(profile.fixture_schema(), format_checker=jsonschema.FormatChecker())
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        problems.append(f"{_where(document, list(error.absolute_path))}: {error.message}")
    api = document.get("api")
    if api is not None and str(api).replace("_", "-") != profile.name:
        problems.insert(0, f"api: this document seeds {api!r}, but the server runs {profile.name!r}")
    if problems:
        raise FixtureError(source, problems)


def load_document(profile: ApiProfile, store: Store, document: Any, source: str, *, origin: float) -> None:
    """Validate ``document`` and add its records to ``store`` (records with the same id are replaced).

    Raises:
        FixtureError: nothing is loaded when any record is wrong.
    """
    validate_document(profile, document, source)
    problems: list[str] = []
    staged = profile.stage(store, document, origin, problems)
    if problems:
        raise FixtureError(source, problems)
    for collection, record in staged:
        store.put(collection, record)
    profile.after_load(store, staged, origin)


def fixture_time(value: Any, where: str, default: Any, *, origin: float, problems: list[str]) -> Any:
    """A fixture time (ISO-8601 or an offset such as ``-2h`` from ``origin``); ``default`` when absent.

    A value that is not a time becomes a problem naming ``where`` (and ``default`` is returned), so a
    document reports all its mistakes at once.
    """
    if value is None:
        return default
    try:
        return parse_instant(value, origin=origin)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return default
