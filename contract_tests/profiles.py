"""Per-API expectations the spec cannot express: auth scheme, error envelope, pagination style, quirks.

Adding an API to the suite means adding one `ApiProfile` here (and its spec in the catalogue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from contract_tests.catalog import get_api
from contract_tests.pagination_styles import (
    CursorPagination,
    LinkHeaderPagination,
    PaginationStyle,
    header_token_pagination,
    page_token_pagination,
    srht_pagination,
)
from contract_tests.spec import SpecOperation

__all__ = [
    "ApiProfile",
    "CursorPagination",
    "LinkHeaderPagination",
    "PaginationStyle",
    "get_profile",
    "header_token_pagination",
    "page_token_pagination",
    "srht_pagination",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiProfile:
    """What the suite expects from one API beyond its OpenAPI document."""

    api: str
    # Authorization header value is f"{auth_scheme} {token}" ("Bearer", "Token", "token"...).
    auth_scheme: str = "Bearer"
    # Used to validate error bodies when the spec documents no schema for that status.
    error_schema: Mapping[str, Any] = field(default_factory=dict)
    # How lists page (`pagination_styles`): `pagination` first, then `paginations` (e.g. Semaphore v1alpha mixes a
    # Link header, a body `cursor` and `next_page_token`); each style's `operations` can pin it to operationIds.
    pagination: PaginationStyle | None = None
    paginations: tuple[PaginationStyle, ...] = ()
    # Status for a well-formed but unknown path id (org slug, agent id...).
    unknown_id_status: int = 404
    # Path parameter name -> status where an unknown value answers otherwise (Semaphore UI: task_id -> 400).
    unknown_id_statuses: Mapping[str, int] = field(default_factory=dict)
    # operationId -> statuses that answer a *valid* request refused because of the resource's state
    # (Buildkite: 400 "Can only stop connected agents"); schemathesis' positive_data_acceptance allows them.
    state_conflict_statuses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def authorization(self, token: str) -> str:
        return f"{self.auth_scheme} {token}"

    def pagination_for(self, operation: SpecOperation) -> PaginationStyle | None:
        """The first style that describes how ``operation`` pages, if any."""
        styles = ([self.pagination] if self.pagination is not None else []) + list(self.paginations)
        return next((style for style in styles if style.applies_to(operation)), None)

    def limited_token_fixture(self, token: str) -> dict[str, Any]:
        """The ciapi mock fixture document that creates ``token`` with no scopes."""
        return {"tokens": [{"token": token, "scopes": []}]}


_MESSAGE_ERROR = MappingProxyType(
    {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
)

_SRHT_ERRORS = MappingProxyType({
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["reason"],
        "properties": {"field": {"type": "string"}, "reason": {"type": "string"}}}}},
})

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
        ApiProfile(
            api="builds_srht",
            auth_scheme="token",  # sourcehut's documented form; "Bearer" works too
            error_schema=_SRHT_ERRORS,
            pagination=srht_pagination(),  # {"next", "results", "total", "results_per_page"} with ?start=
            # submit: a schema-valid manifest string can still be an invalid manifest (400 with field errors);
            # start: a job that is no longer pending answers 400 "This job is already ...".
            state_conflict_statuses=MappingProxyType({"submitBuildJob": ("400",), "startBuildJob": ("400",)}),
        ),
        ApiProfile(
            api="semaphore_ui",
            auth_scheme="Bearer",  # matched without regard to case; the session cookie `semaphore` works too
            # no error envelope: errors are empty bodies with a JSON Content-Type (a few 400s carry {"error": ...})
            # no pagination: lists are bare arrays
            # an unknown task id is a 400 (empty body), not a 404 (the real GetTaskMiddleware)
            unknown_id_statuses=MappingProxyType({"task_id": 400}),
            state_conflict_statuses=MappingProxyType(
                {op: ("400",) for op in ("getTask", "getTaskOutput", "getTaskRawOutput", "stopTask")}
            ),
        ),
        ApiProfile(
            api="semaphore",
            auth_scheme="Token",  # `Bearer` works too
            # no error envelope: errors differ per endpoint family (plain text, JSON strings, grpc-gateway, v2)
            paginations=(
                *(LinkHeaderPagination(
                    per_page_param="page_size", max_per_page=100, header="link", item_key=key,
                    count_headers=MappingProxyType({"total": "total", "per_page": "per-page",
                                                    "total_pages": "total-pages", "page": "page-number"}),
                    operations=frozenset({operation}))
                  for operation, key in (("listWorkflows", "wf_id"), ("listPipelines", "ppl_id"))),
                CursorPagination(cursor_param="cursor", cursor_field="cursor", items_field="agents",
                                 per_page_param="page_size", default_per_page=200, max_per_page=200, min_per_page=5,
                                 item_key="metadata.name", operations=frozenset({"listAgents"})),
            ),
            # valid requests refused for what they say or for the state of things: an invalid pipeline YAML, a
            # taken or malformed agent type name (or AWS settings without account), an agent type that still has
            # agents, a task parameter without value, a rerun without request token, a job that is not running.
            state_conflict_statuses=MappingProxyType({
                **{op: ("400",) for op in ("validateYaml", "createAgentType", "updateAgentType", "deleteAgentType",
                                           "runTask", "rescheduleWorkflow", "v2GetJobDebugSshKey")},
                "v2ListJobs": ("422",),  # a page token that is not one the server issued
            }),
        ),
    )
}


def get_profile(api: str) -> ApiProfile:
    """The profile of ``api`` (any spelling the catalogue accepts); APIs without one get neutral defaults."""
    info = get_api(api)
    return _PROFILES.get(info.key) or ApiProfile(api=info.key)
