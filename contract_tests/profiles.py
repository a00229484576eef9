"""Per-API expectations the spec cannot express: auth scheme, error envelope, pagination style, quirks.

Adding an API to the suite means adding one `ApiProfile` here (and its spec in the catalogue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from contract_tests.catalog import get_api

__all__ = ["ApiProfile", "LinkHeaderPagination", "get_profile"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkHeaderPagination:
    """Page-number pagination with an RFC 8288 ``Link`` header (GitHub/Buildkite style)."""

    page_param: str = "page"
    per_page_param: str = "per_page"
    default_per_page: int = 30
    max_per_page: int = 100
    probe_per_page: int = 5
    rels: frozenset[str] = frozenset({"next", "prev", "first", "last"})
    item_key: str = "id"
    max_pages: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiProfile:
    """What the suite expects from one API beyond its OpenAPI document."""

    api: str
    # Authorization header value is f"{auth_scheme} {token}" ("Bearer", "Token", "token"...).
    auth_scheme: str = "Bearer"
    # Used to validate error bodies when the spec documents no schema for that status.
    error_schema: Mapping[str, Any] = field(default_factory=dict)
    pagination: LinkHeaderPagination | None = None
    # Status for a well-formed but unknown path id (org slug, agent id...).
    unknown_id_status: int = 404
    # operationId -> statuses that answer a *valid* request refused because of the resource's state
    # (Buildkite: 400 "Can only stop connected agents"); schemathesis' positive_data_acceptance allows them.
    state_conflict_statuses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def authorization(self, token: str) -> str:
        return f"{self.auth_scheme} {token}"

    def limited_token_fixture(self, token: str) -> dict[str, Any]:
        """The ciapi mock fixture document that creates ``token`` with no scopes."""
        return {"tokens": [{"token": token, "scopes": []}]}


_MESSAGE_ERROR = MappingProxyType(
    {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
)

_PROFILES: dict[str, ApiProfile] = {
    profile.api: profile
    for profile in (
        ApiProfile(
            api="buildkite",
            auth_scheme="Bearer",
            error_schema=_MESSAGE_ERROR,
            pagination=LinkHeaderPagination(),
            state_conflict_statuses=MappingProxyType({"stopAgent": ("400",)}),
        ),
    )
}


def get_profile(api: str) -> ApiProfile:
    """The profile of ``api`` (any spelling the catalogue accepts); APIs without one get neutral defaults."""
    info = get_api(api)
    return _PROFILES.get(info.key) or ApiProfile(api=info.key)
