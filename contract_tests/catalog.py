"""The catalogue of APIs ciapi knows: names, spec files and base paths.

Both the conformance suite and the mock server read it; it depends on nothing else in ciapi.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["API_NAMES", "ApiInfo", "UnknownApiError", "get_api", "load_spec", "specs_dir"]


class UnknownApiError(ValueError):
    """Raised for an API name ciapi does not know; the message lists the valid names."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiInfo:
    name: str  # the CLI / plugin name, e.g. "builds-srht"
    title: str
    spec_files: tuple[str, ...]  # file names under openapi/
    base_paths: tuple[str, ...]  # path prefixes the API serves
    default_port: int

    @property
    def key(self) -> str:
        """The Python spelling of the name (``builds_srht``)."""
        return self.name.replace("-", "_")

    @property
    def spec_paths(self) -> tuple[Path, ...]:
        return tuple(specs_dir() / f for f in self.spec_files)


_APIS: dict[str, ApiInfo] = {
    info.name: info
    for info in (
        ApiInfo(
            name="buildkite",
            title="Buildkite REST API: agents",
            spec_files=("buildkite.yaml",),
            base_paths=("/v2",),
            default_port=8080,
        ),
        ApiInfo(
            name="semaphore-ui",
            title="Semaphore UI API: sessions, API tokens, projects, templates and tasks",
            spec_files=("semaphore-ui.yaml",),
            base_paths=("/api",),
            default_port=8082,
        ),
        ApiInfo(
            name="builds-srht",
            title="builds.sr.ht legacy REST API",
            spec_files=("builds-srht.yaml",),
            base_paths=("/api",),
            default_port=8083,
        ),
        ApiInfo(
            name="semaphore",
            title="Semaphore CI public API v1alpha and v2 Jobs",
            spec_files=("semaphore-v1alpha.yaml", "semaphore-v2.yaml"),
            base_paths=("/api/v1alpha", "/api/v2"),
            default_port=8081,
        ),
    )
}

API_NAMES: tuple[str, ...] = tuple(_APIS)


def get_api(name: str) -> ApiInfo:
    """Return the API called ``name`` (``builds-srht`` and ``builds_srht`` both work)."""
    info = _APIS.get(name.replace("_", "-"))
    if info is None:
        raise UnknownApiError(f"unknown API {name!r}; choose one of: {', '.join(API_NAMES)}")
    return info


def specs_dir() -> Path:
    """Where the OpenAPI files are: inside the installed wheel, or ``openapi/`` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_openapi", here.parent / "openapi"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no OpenAPI specs found next to {here} (looked for _openapi/ and ../openapi/)")


#: PyYAML's safe loader, in C when PyYAML was built with libyaml: parsing the specs is most of a cold start
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser when PyYAML has it (same results, several times faster)."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader: libyaml's when installed
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not an OpenAPI document (top level is {type(data).__name__})")
    return data


def load_spec(path: Path) -> dict[str, Any]:
    """Parse one spec file (cached: the result must not be mutated)."""
    return _load(path.resolve())
