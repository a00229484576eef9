"""``error_codes``: missing/invalid credentials -> 401, missing scope -> 403, unknown ids -> 404, each with the
API's own error body (the schema the spec documents for that status, else the profile's error envelope).

A probe: it sends its own requests, once per operation, before the schemathesis phases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from contract_tests.checks._probe import ProbeContext, finding, format_path, passed
from contract_tests.events import Event, ProbeSkipped
from contract_tests.http import Exchange
from contract_tests.report.model import SkippedProbe
from contract_tests.schema_tools import validation_errors
from contract_tests.spec import SpecOperation

__all__ = ["CHECK", "probe_error_codes"]

CHECK = "error_codes"
PHASE = "error_codes"


def probe_error_codes(ctx: ProbeContext, operation: SpecOperation) -> Iterator[Event]:
    """Probe one operation; yields findings, passes and skipped probes."""
    values = ctx.path_values(operation)
    has_body, body = operation.json_body_example()

    def send(path_values: dict[str, str], **kwargs: Any) -> Exchange:
        if has_body:
            kwargs["json"] = body
        path = format_path(operation.path, path_values)
        return ctx.client.send(operation.method, path, params=ctx.query_values(operation), **kwargs)

    if operation.requires_auth():
        yield from _auth_probes(ctx, operation, lambda **kw: send(values, **kw))
    for param in operation.params_in("path"):
        name = str(param.get("name"))
        unknown = {**values, name: ctx.unknown_value(operation, param)}
        exchange = send(unknown)
        status = ctx.profile.unknown_id_statuses.get(name, ctx.profile.unknown_id_status)
        yield from _expect(ctx, operation, exchange, status, f"Unknown `{name}`")


def _auth_probes(ctx: ProbeContext, operation: SpecOperation, send: Callable[..., Exchange]) -> Iterator[Event]:
    yield from _expect(ctx, operation, send(authorization=None), 401, "Missing credentials")
    invalid = ctx.profile.authorization(f"ciapi-invalid-{ctx.rng.getrandbits(64):016x}")
    yield from _expect(ctx, operation, send(authorization=invalid), 401, "Invalid token")
    if not operation.documents_status(403):
        return
    if ctx.limited_authorization is None:
        skipped = SkippedProbe(check=CHECK, operation=operation.ref, reason=f"403 probe: {ctx.limited_skip_reason}")
        yield ProbeSkipped(skipped=skipped)
        return
    yield from _expect(ctx, operation, send(authorization=ctx.limited_authorization), 403, "Token without scopes")


def _expect(ctx: ProbeContext, operation: SpecOperation, exchange: Exchange, status: int, what: str) -> Iterator[Event]:
    if exchange.status != status:
        yield finding(
            CHECK,
            operation,
            exchange,
            f"{what} not answered with {status}",
            f"Received: {exchange.status} {exchange.response.reason or ''}".rstrip()
            + f"\nDocumented: {status} with the API's error body",
            PHASE,
        )
        return
    problems = _error_body_problems(ctx, operation, exchange, status)
    if problems:
        yield finding(
            CHECK,
            operation,
            exchange,
            f"{status} error body does not match the documented error schema",
            "Received: " + "; ".join(problems) + f"\nDocumented: {_documented(ctx, operation, status)}",
            PHASE,
        )
        return
    yield from passed(CHECK, operation)


def _error_schema(ctx: ProbeContext, operation: SpecOperation, status: int) -> Any | None:
    schema = operation.json_schema(status)
    return schema if schema is not None else (dict(ctx.profile.error_schema) or None)


def _documented(ctx: ProbeContext, operation: SpecOperation, status: int) -> str:
    if operation.json_schema(status) is not None:
        return f"the JSON schema of the {status} response in the spec"
    return f"the API's error envelope {dict(ctx.profile.error_schema)}"


def _error_body_problems(ctx: ProbeContext, operation: SpecOperation, exchange: Exchange, status: int) -> list[str]:
    schema = _error_schema(ctx, operation, status)
    if schema is None:
        return _media_type_problems(operation, exchange, status)
    problems = []
    if not exchange.is_json_media_type:
        problems.append(f"Content-Type {exchange.response.headers.get('Content-Type', '(none)')!r}")
    ok, body = exchange.json()
    if not ok:
        return [*problems, "a body that is not JSON"]
    return problems + validation_errors(operation.root, schema, body)


def _media_type_problems(operation: SpecOperation, exchange: Exchange, status: int) -> list[str]:
    """Without a JSON schema to check: a non-empty body has one of the documented media types."""
    documented = [m.split(";")[0].strip().lower() for m in ((operation.response(status) or {}).get("content") or {})]
    received = exchange.response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not documented or not exchange.response.content or received in documented:
        return []
    return [f"Content-Type {received or '(none)'!r}, documented: {', '.join(documented)}"]
