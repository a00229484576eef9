"""Guards for our schemathesis checks: return ``True`` (= skipped) when a precondition does not hold."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from contract_tests.schemas import is_ciapi_schema

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, CheckFunction, Response

__all__ = ["requires_ciapi_schema"]


def requires_ciapi_schema(check: CheckFunction) -> CheckFunction:
    """Run only for schemas the suite loaded, so importing ciapi does not change other schemathesis runs."""

    @functools.wraps(check)
    def wrapper(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        if not is_ciapi_schema(case.operation.schema):
            return True
        return check(ctx, response, case)

    return wrapper
