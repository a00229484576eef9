"""Guards for our schemathesis checks: return ``True`` (= skipped) when a precondition does not hold."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from contract_tests.schemas import is_ciapi_schema
from contract_tests.spec import find_operation

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, CheckFunction, Response

__all__ = ["documented_json", "requires_ciapi_schema"]


def requires_ciapi_schema(check: CheckFunction) -> CheckFunction:
    """Run only for schemas the suite loaded, so importing ciapi does not change other schemathesis runs."""

    @functools.wraps(check)
    def wrapper(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        if not is_ciapi_schema(case.operation.schema):
            return True
        return check(ctx, response, case)

    return wrapper


def documented_json(case: Case, response: Response) -> tuple[Mapping[str, Any], Any, Any] | None:
    """``(spec, response schema, parsed body)`` when the spec documents a JSON body for this status and the
    response has one; ``None`` otherwise (content_type/response_schema_conformance report non-JSON bodies)."""
    root = case.operation.schema.raw_schema
    operation = find_operation(root, case.operation.method, case.operation.path)
    schema = operation.json_schema(response.status_code) if operation is not None else None
    if schema is None:
        return None
    try:
        return root, schema, response.json()
    except ValueError:
        return None
