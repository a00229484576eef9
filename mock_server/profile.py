"""What every API plugs into the generic mock: its handlers, auth, errors, fixtures and lifecycles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contract_tests.catalog import ApiInfo, get_api
from mock_server.handlers import ApiError, HandlerRegistry, RawRequest, Reply
from mock_server.indexes import Index

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

    from mock_server.specs import CompiledSpec, Operation
    from mock_server.store import Event, Store

__all__ = ["AdminView", "ApiProfile", "ExtraRoute", "Staged"]

Staged = list[tuple[str, dict[str, Any]]]  # (collection, record) pairs to store
AdminView = Callable[["Store"], Any]  # what GET /_mock/views/<name> answers (JSON-able)


@dataclass(frozen=True, slots=True)
class ExtraRoute:
    """A route the real service serves outside its API (e.g. build logs on a runner host).

    It has no operation in the spec: no auth, no parameter coercion and no response validation, but it runs
    in a store transaction after due lifecycle events, and it is journaled.
    """

    rule: str  # a Flask rule, e.g. "/logs/<int:job_id>/log"
    name: str  # unique among the profile's extra routes
    handler: Callable[[RawRequest], Reply]
    methods: tuple[str, ...] = ("GET",)


class ApiProfile:
    """Base class: subclasses set ``name`` and ``handlers`` and override the hooks they need."""

    name: str = ""
    handlers: HandlerRegistry
    #: also answer every path with a trailing slash (real clients send one)
    trailing_slash: bool = False
    #: operationIds answered 501 on purpose; everything else in the spec must have a handler
    unimplemented: frozenset[str] = frozenset()
    #: collections shown by the admin plane's state view, with the field that holds the lifecycle state
    state_fields: Mapping[str, str] = {}
    #: the value a repeated non-array query parameter takes: "last" (Rails, Plug) or "first" (Go, Flask)
    repeated_query_value: str = "last"

    def __init__(self, spec: CompiledSpec) -> None:
        self.spec = spec

    @property
    def info(self) -> ApiInfo:
        return get_api(self.name)

    # auth -----------------------------------------------------------------------------------------
    def authenticate(self, headers: Headers, store: Store, operation: Operation) -> Any:
        """Return the principal, or raise ``ApiError`` (401/403) as the real service would."""
        raise NotImplementedError

    def full_access_token(self, token: str) -> dict[str, Any]:
        """The token record ``--token`` adds: every scope, every organization."""
        return {"id": token, "token": token, "scopes": list(self.spec.scopes), "organizations": None}

    # errors ---------------------------------------------------------------------------------------
    def error_reply(self, error: ApiError) -> Reply:
        return Reply.json({"message": error.message}, status=error.status, headers=error.headers)

    def rate_limit_reply(self, retry_after: int) -> Reply:
        """The 429 of the rate-limit fault: the API's error body with the headers the real service sends."""
        return self.error_reply(ApiError(429, "Too Many Requests", headers={"Retry-After": str(retry_after)}))

    def invalid_request(self, operation: Operation, problems: list[str]) -> ApiError:
        """The error for a request that breaks the spec (bad parameter, bad body)."""
        return ApiError(400, "; ".join(problems))

    # fixtures -------------------------------------------------------------------------------------
    def fixture_schema(self) -> dict[str, Any]:
        """JSON Schema of a whole fixture document for this API."""
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "api": {"type": "string"},
                "clock": {"type": "string"},
                "tokens": {"type": "array", "items": self.token_schema()},
                **self.collection_schemas(),
            },
        }

    def token_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["token"],
            "additionalProperties": False,
            "properties": {
                "token": {"type": "string", "pattern": r"^[\x21-\x7e]+$"},
                "scopes": {"type": "array", "items": {"enum": list(self.spec.scopes)}, "uniqueItems": True},
                "organizations": {"type": ["array", "null"], "items": {"type": "string"}},
                "description": {"type": "string"},
            },
        }

    def collection_schemas(self) -> dict[str, Any]:
        return {}

    def stage(self, store: Store, document: Mapping[str, Any], origin: float, problems: list[str]) -> Staged:
        """Turn a validated document into records; append a ``problems`` entry per semantic error."""
        staged: Staged = []
        for token in document.get("tokens", []):
            record = {"id": token["token"], "scopes": list(self.spec.scopes), "organizations": None, **token}
            staged.append(("tokens", record))
        return staged

    def after_load(self, store: Store, staged: Staged, origin: float) -> None:
        """Schedule lifecycle events for freshly loaded records."""

    # lifecycle ------------------------------------------------------------------------------------
    def on_event(self, store: Store, event: Event) -> None:
        raise NotImplementedError(f"{self.name}: no handler for lifecycle event {event.kind!r}")

    def state_of(self, store: Store, collection: str, record: Mapping[str, Any]) -> Any:
        field = self.state_fields.get(collection)
        return record.get(field) if field else None

    # indexes --------------------------------------------------------------------------------------
    def indexes(self) -> list[Index]:
        """Ordered indexes the handlers page through with ``store.page()`` (none by default)."""
        return []

    # extras ---------------------------------------------------------------------------------------
    def extra_routes(self) -> list[ExtraRoute]:
        """Routes served beside the spec's operations (none by default)."""
        return []

    def admin_views(self) -> Mapping[str, AdminView]:
        """Extra read-only admin views, answered at ``GET /_mock/views/<name>`` (none by default)."""
        return {}
