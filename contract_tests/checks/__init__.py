"""The checks the suite runs: schemathesis' own plus ours (one module per check of ours).

Importing this package registers our per-response checks with schemathesis (``@schemathesis.check``).
"""

from __future__ import annotations

from contract_tests.checks import null_fields as _null_fields  # noqa: F401  (registers the check)
from contract_tests.checks import timestamps as _timestamps  # noqa: F401  (registers the check)
from contract_tests.errors import ConfigurationError

__all__ = [
    "ALL_CHECKS",
    "ENGINE_CHECKS",
    "ENGINE_OUR_CHECKS",
    "OUR_CHECKS",
    "PROBE_CHECKS",
    "SCHEMATHESIS_CHECKS",
    "UnknownCheckError",
    "resolve_checks",
]

# Ours: per-response checks run inside the schemathesis phases; probes run their own requests.
ENGINE_OUR_CHECKS: tuple[str, ...] = ("null_fields", "timestamps")
PROBE_CHECKS: tuple[str, ...] = ("pagination", "error_codes", "lifecycle")
OUR_CHECKS: tuple[str, ...] = ENGINE_OUR_CHECKS + PROBE_CHECKS

# schemathesis 4 OpenAPI checks (max_response_time is left out: it needs a limit).
SCHEMATHESIS_CHECKS: tuple[str, ...] = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
)
ENGINE_CHECKS: tuple[str, ...] = SCHEMATHESIS_CHECKS + ENGINE_OUR_CHECKS
ALL_CHECKS: tuple[str, ...] = OUR_CHECKS + SCHEMATHESIS_CHECKS


class UnknownCheckError(ConfigurationError):
    """A check name the suite does not know; the message lists the valid names."""


def resolve_checks(include: tuple[str, ...] | None, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The selected check names, in `ALL_CHECKS` order; ``include=None`` (or ``"all"``) means every check."""
    unknown = [name for name in (*(include or ()), *exclude) if name not in ALL_CHECKS and name != "all"]
    if unknown:
        raise UnknownCheckError(f"unknown check(s) {', '.join(unknown)}; choose from: {', '.join(ALL_CHECKS)}")
    chosen = set(ALL_CHECKS if include is None or "all" in include else include) - set(exclude)
    return tuple(name for name in ALL_CHECKS if name in chosen)
