"""What a handler sees and returns. Handlers never import Flask.

A handler is ``(ctx: RequestContext) -> Reply``, registered under the spec's ``operationId``.
It raises ``ApiError`` for the API's documented errors; the profile renders the API's own body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

    from mock_server.specs import Operation
    from mock_server.store import Store

__all__ = ["ApiError", "Handler", "HandlerRegistry", "RawRequest", "Reply", "RequestContext"]


class ApiError(Exception):
    """A documented error response: the profile turns it into the API's own error body."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.extra = extra


@dataclass(slots=True)
class Reply:
    status: int = 200
    body: Any = None  # JSON-able value, or str/bytes with a non-JSON media type
    media_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    raw: bool = False  # send ``body`` (str/bytes) as it is, even with a JSON media type

    @classmethod
    def json(cls, body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status=status, body=body, headers=dict(headers or {}))

    @classmethod
    def no_content(cls, status: int = 204) -> Reply:
        return cls(status=status, body=None, media_type=None)

    @classmethod
    def text(cls, body: str, status: int = 200, media_type: str = "text/plain; charset=utf-8") -> Reply:
        return cls(status=status, body=body, media_type=media_type)

    @classmethod
    def empty(cls, status: int, media_type: str = "application/json", headers: Mapping[str, str] | None = None
              ) -> Reply:
        """No body (zero bytes), yet a ``Content-Type``: Semaphore UI's ``401`` is an empty ``application/json``.

        The spec describes such a response as a media type without a schema (``x-ciapi-no-schema``);
        self-validation reports an empty body where the spec documents a schema.
        """
        return cls(status=status, body=b"", media_type=media_type, headers=dict(headers or {}), raw=True)


@dataclass(slots=True)
class RequestContext:
    operation: Operation
    path: dict[str, Any]
    query: dict[str, Any]  # coerced to the spec's types, defaults filled in
    raw_query: list[tuple[str, str]]  # as sent, in order (for building links)
    headers: Headers
    body: Any
    store: Store
    now: float
    base_url: str  # scheme://host:port, no trailing slash
    path_url: str  # base_url + the request path, no query
    principal: Any = None  # what the profile's authenticate() returned


@dataclass(slots=True)
class RawRequest:
    """What the handler of a profile's extra route sees: no spec, no auth, no coercion."""

    path: dict[str, Any]  # the route's variables, as its converters made them
    query: dict[str, list[str]]
    headers: Headers
    store: Store
    now: float
    base_url: str  # scheme://host:port, no trailing slash


Handler = Callable[[RequestContext], Reply]


class HandlerRegistry:
    """Handlers keyed by ``operationId``; registering one twice is an error."""

    def __init__(self, api: str) -> None:
        self.api = api
        self._handlers: dict[str, Handler] = {}

    def handles(self, operation_id: str) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            if operation_id in self._handlers:
                raise ValueError(f"{self.api}: a handler for {operation_id!r} is already registered")
            self._handlers[operation_id] = func
            return func

        return register

    def get(self, operation_id: str) -> Handler | None:
        return self._handlers.get(operation_id)

    def __contains__(self, operation_id: object) -> bool:
        return operation_id in self._handlers

    def names(self) -> list[str]:
        return sorted(self._handlers)
