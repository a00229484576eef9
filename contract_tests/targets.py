"""The server under test: which API, where, and with which credentials."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from contract_tests.catalog import get_api

__all__ = ["Target"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A server to check.

    Args:
        api: API name from the catalogue (``buildkite``).
        base_url: Where the server listens, e.g. ``http://127.0.0.1:8080``; the spec's server base path
            (``/v2``) is appended unless the URL already ends with it.
        token: A token with every scope the API has.
        limited_token: Optional token without scopes, for the 403 probe.

    Example:
        ```python
        target = Target(api="buildkite", base_url="http://127.0.0.1:8080", token="secret")
        ```
    """

    api: str
    base_url: str
    token: str
    limited_token: str | None = None

    def __post_init__(self) -> None:
        get_api(self.api)  # raises UnknownApiError with the valid names
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"invalid base URL {self.base_url!r}: expected http(s)://host[:port][/path]")

    @classmethod
    def from_env(cls, api: str, environ: Mapping[str, str] | None = None) -> Target:
        """Build from ``CIAPI_BASE_URL``, ``CIAPI_TOKEN`` and ``CIAPI_LIMITED_TOKEN``."""
        env = os.environ if environ is None else environ
        return cls(
            api=api,
            base_url=env["CIAPI_BASE_URL"],
            token=env["CIAPI_TOKEN"],
            limited_token=env.get("CIAPI_LIMITED_TOKEN") or None,
        )

    def api_url(self, spec_base_path: str) -> str:
        """The URL operation paths are appended to."""
        url = self.base_url.rstrip("/")
        if spec_base_path and not urlsplit(url).path.endswith(spec_base_path):
            url += spec_base_path
        return url

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"
