"""The Semaphore UI API: auth (Bearer token or session cookie), empty-bodied errors, fixtures, task lifecycles.

A ``--token`` token acts as the first admin of the fixtures; it is not listed by ``listApiTokens`` and cannot be
expired through the API (tokens from the fixtures or from ``createApiToken`` can).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.http import parse_cookie

from mock_server.apis.semaphore_ui._registry import empty_error
from mock_server.apis.semaphore_ui.fixtures import collection_schemas, stage_document, token_schema
from mock_server.apis.semaphore_ui.handlers import HANDLERS
from mock_server.apis.semaphore_ui.model import apply_event, first_admin, launch_task
from mock_server.handlers import ApiError, Reply
from mock_server.profile import ApiProfile, Staged
from mock_server.specs import Operation
from mock_server.store import Event, Store


class Profile(ApiProfile):
    name = "semaphore-ui"
    repeated_query_value = "first"  # Go: r.URL.Query().Get
    handlers = HANDLERS
    trailing_slash = True  # the generated clients call /api/user/ and /api/project/1/
    state_fields = {"tasks": "status", "tokens": "expired", "sessions": "expired"}  # see state_of

    def authenticate(self, headers: Headers, store: Store, operation: Operation) -> Any:
        """The real rules: a header mentioning ``bearer`` (any case) is judged by its token alone, else the cookie."""
        header = headers.get("Authorization", "").lower()
        if "bearer" in header:
            token = store.find("tokens", header.replace("bearer ", "", 1))
            if token is None or token["expired"]:
                raise empty_error(401)
            user = store.find("users", token["user_id"]) if token["user_id"] is not None else first_admin(store)
            session = None
        else:
            cookie = parse_cookie(headers.get("Cookie", "")).get("semaphore")
            session = store.find("sessions", cookie) if cookie else None
            if session is None or session["expired"]:
                raise empty_error(401)
            user = store.find("users", session["user_id"])
        if user is None:
            raise empty_error(401)
        return {"user": user, "session": session}  # the session's idle time is checked by the handlers

    def full_access_token(self, token: str) -> dict[str, Any]:
        return {"id": token.lower(), "user_id": None, "created": None, "expired": False, "name": ""}

    def error_reply(self, error: ApiError) -> Reply:
        if "error" in error.extra:
            return Reply.json({"error": error.extra["error"]}, status=error.status, headers=error.headers)
        if error.extra.get("empty"):
            return Reply.empty(error.status, headers=error.headers)
        if error.status == 404:  # no route: the real NotFoundHandler's http.Error
            return Reply(status=404, body="Not Found\n", media_type="text/plain; charset=utf-8",
                         headers={"X-Content-Type-Options": "nosniff", **error.headers})
        if error.status == 405:  # gorilla/mux: an empty 405
            return Reply(status=405, media_type=None, headers=error.headers)
        return Reply.empty(error.status, headers=error.headers)

    def invalid_request(self, operation: Operation, problems: list[str]) -> ApiError:
        """A non-integer project id is ``{"error": "Invalid project ID"}``; anything else an empty 400."""
        if any(problem.startswith("project_id:") for problem in problems):
            return ApiError(400, "Invalid project ID", error="Invalid project ID")
        return ApiError(400, "; ".join(problems), empty=True)

    def token_schema(self) -> dict[str, Any]:
        return token_schema()

    def collection_schemas(self) -> dict[str, Any]:
        return collection_schemas()

    def stage(self, store: Store, document: Mapping[str, Any], origin: float, problems: list[str]) -> Staged:
        return stage_document(store, document, origin, problems)

    def after_load(self, store: Store, staged: Staged, origin: float) -> None:
        for collection, record in staged:
            if collection == "tasks" and record["status"] == "waiting":
                launch_task(store, record)
                if record["_stop"] is not None:
                    after, force = record["_stop"]
                    store.schedule(record["created"] + after, "task.stop", task_id=record["id"], force=force)

    def on_event(self, store: Store, event: Event) -> None:
        apply_event(store, event)

    def state_of(self, store: Store, collection: str, record: Mapping[str, Any]) -> Any:
        if collection in ("tokens", "sessions"):
            return "expired" if record["expired"] else "active"
        return super().state_of(store, collection, record)
