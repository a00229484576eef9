"""One question, one check: schemathesis findings that one of our checks answers more precisely.

Some schemathesis checks ask a wider question than ours, so one broken rule would be reported twice:
a missing property fails ``response_schema_conformance`` *and* ``null_fields``, a timestamp in the wrong format
fails it *and* ``timestamps``. When the more precise check of ours runs, it owns the finding:

- ``response_schema_conformance`` on a response whose every schema error is a missing documented property
  (``null_fields``) or a timestamp in the wrong format (``timestamps``) is dropped: ours fail on the same response;
- ``response_schema_conformance``, ``content_type_conformance``, ``null_fields`` and ``timestamps`` on a 401, 403
  or 404 response, and ``ignored_auth`` or ``missing_required_header`` about ``Authorization``,
  become ``error_codes`` findings: the API's auth and error bodies are that check's question.

A schema error that none of ours explains keeps the schemathesis finding, so nothing is lost. One schemathesis
failure is the suite's own doing and is dropped: ``negative_data_rejection`` for a negative value of a parameter
the run fixes (the fixed, valid value replaced it before sending).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from contract_tests.checks.null_fields import missing_properties
from contract_tests.checks.timestamps import timestamp_problems
from contract_tests.schema_tools import to_json_schema

__all__ = ["ERROR_STATUSES", "Verdict", "attribute"]

ERROR_STATUSES = frozenset({401, 403, 404})
_ERROR_BODY_CHECKS = frozenset(
    {"response_schema_conformance", "content_type_conformance", "null_fields", "timestamps"}
)



@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a schemathesis finding: keep it, drop it, or report it under ``check`` (and ``title``)."""

    action: str  # "keep" | "drop" | "relabel"
    check: str | None = None
    title: str | None = None


KEEP = Verdict("keep")


def attribute(
    check: str,
    selected: Collection[str],
    *,
    status: int | None,
    root: Mapping[str, Any] | None = None,
    schema: Any = None,
    body: Any = None,
    has_body: bool = False,
    message: str = "",
    fixed: Collection[str] = (),
) -> Verdict:
    """Decide who reports a failure of the schemathesis ``check`` on a response (``status``, parsed ``body``).

    ``fixed`` names the parameters the run fixes (``--param``, scope examples): a negative case that only broke
    one of them was sent with the fixed, valid value, so its ``negative_data_rejection`` failure is dropped.
    """
    if check == "negative_data_rejection" and fixed:
        names = set(re.findall(r"`([^`]+)`", message.partition("Invalid component:")[2]))
        if names and names <= set(fixed):
            return Verdict("drop")
    if "error_codes" in selected:
        if check == "ignored_auth" or (check == "missing_required_header" and "authorization" in message.lower()):
            return Verdict("relabel", "error_codes")
        if check in _ERROR_BODY_CHECKS and status in ERROR_STATUSES:
            return Verdict("relabel", "error_codes", f"{status} error body does not match the documented error schema")
    if check != "response_schema_conformance" or root is None or schema is None or not has_body:
        return KEEP
    ours = {name for name in ("null_fields", "timestamps") if name in selected}
    if ours and _all_explained(root, schema, body, ours):
        return Verdict("drop")
    return KEEP


def _all_explained(root: Mapping[str, Any], schema: Any, body: Any, ours: set[str]) -> bool:
    validator = jsonschema.Draft202012Validator(to_json_schema(root, schema))
    errors = list(validator.iter_errors(body))
    if not errors:
        return False  # the failure was about something else (e.g. the body did not parse): keep it
    missing = set(missing_properties(root, schema, body)) if "null_fields" in ours else set()
    bad_times = {path for path, _, _ in timestamp_problems(root, schema, body)} if "timestamps" in ours else set()
    return all(_explained(error, missing, bad_times) for error in errors)


def _path(parts: Iterable[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _explained(error: jsonschema.ValidationError, missing: set[str], bad_times: set[str]) -> bool:
    where = _path(error.absolute_path)
    if where in bad_times:
        return True
    if error.validator == "required":
        names = [n for n in error.validator_value if isinstance(error.instance, dict) and n not in error.instance]
        return bool(names) and all(f"{where}.{name}" in missing for name in names)
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[jsonschema.ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
        return any(all(_explained(sub, missing, bad_times) for sub in subs) for subs in branches.values())
    if error.validator == "allOf" and error.context:
        return all(_explained(sub, missing, bad_times) for sub in error.context)
    return False
