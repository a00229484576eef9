"""builds.sr.ht legacy REST API: auth, sr.ht errors, fixtures, job lifecycles, runner routes and triggers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import Headers

from mock_server.apis.builds_srht import artifacts as _artifacts  # noqa: F401  (registers its handlers)
from mock_server.apis.builds_srht import jobs as _jobs  # noqa: F401  (registers its handlers)
from mock_server.apis.builds_srht.auth import authenticate
from mock_server.apis.builds_srht.delivery import WebhookSender
from mock_server.apis.builds_srht.errors import error_reply, request_problems
from mock_server.apis.builds_srht.fixtures import after_load, collection_schemas, stage_records, token_schema
from mock_server.apis.builds_srht.lifecycle import apply_event
from mock_server.apis.builds_srht.registry import HANDLERS
from mock_server.apis.builds_srht.routes import ROUTES
from mock_server.apis.builds_srht.triggers import outbox_view, webhooks_view
from mock_server.handlers import ApiError, Reply
from mock_server.profile import AdminView, ApiProfile, ExtraRoute, Staged
from mock_server.specs import CompiledSpec, Operation
from mock_server.store import Event, Store


class Profile(ApiProfile):
    name = "builds-srht"
    repeated_query_value = "first"  # Flask: request.args.get
    handlers = HANDLERS
    state_fields = {"jobs": "status"}

    def __init__(self, spec: CompiledSpec) -> None:
        super().__init__(spec)
        self.webhooks = WebhookSender()

    # auth and errors ------------------------------------------------------------------------------
    def authenticate(self, headers: Headers, store: Store, operation: Operation) -> Any:
        return authenticate(headers, store, operation.scopes)

    def full_access_token(self, token: str) -> dict[str, Any]:
        return {"id": token, "token": token, "scopes": list(self.spec.scopes), "user": None}

    def error_reply(self, error: ApiError) -> Reply:
        return error_reply(error)

    def invalid_request(self, operation: Operation, problems: list[str]) -> ApiError:
        return request_problems(problems)

    # fixtures -------------------------------------------------------------------------------------
    def token_schema(self) -> dict[str, Any]:
        return token_schema(self.spec.scopes)

    def collection_schemas(self) -> dict[str, Any]:
        return collection_schemas()

    def stage(self, store: Store, document: Mapping[str, Any], origin: float, problems: list[str]) -> Staged:
        staged = super().stage(store, document, origin, problems)
        for _, record in staged:
            record.pop("organizations", None)
        return stage_records(store, document, origin, problems, staged)

    def after_load(self, store: Store, staged: Staged, origin: float) -> None:
        after_load(store, staged, origin)

    # lifecycle and extras -------------------------------------------------------------------------
    def on_event(self, store: Store, event: Event) -> None:
        for delivery in apply_event(store, event):
            self.webhooks.send(store, delivery)

    def extra_routes(self) -> list[ExtraRoute]:
        return list(ROUTES)

    def admin_views(self) -> Mapping[str, AdminView]:
        return {"outbox": outbox_view, "webhooks": webhooks_view}
