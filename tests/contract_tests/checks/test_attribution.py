"""One question, one check: which schemathesis failures our more precise checks take over."""

from __future__ import annotations

import pytest

from contract_tests.checks._attribution import attribute

ROOT: dict = {}
SCHEMA = {"type": "object", "required": ["id", "at", "n"], "properties": {
    "id": {"type": "string"},
    "at": {"anyOf": [{"type": "string", "format": "date-time", "pattern": r"\.\d{3}Z$"}, {"type": "null"}]},
    "n": {"type": "integer"}}}
ALL = ("null_fields", "timestamps", "error_codes", "response_schema_conformance")


def verdict(body, selected=ALL, status=200, check="response_schema_conformance", message=""):
    return attribute(check, selected, status=status, root=ROOT, schema=SCHEMA, body=body, has_body=True,
                     message=message, fixed=("org",))


@pytest.mark.parametrize(
    ("body", "action"),
    [
        ({"at": None, "n": 1}, "drop"),  # missing `id`: null_fields says it
        ({"id": "x", "at": "2020-01-01T00:00:00Z", "n": 1}, "drop"),  # timestamps says it
        ({"at": "2020-01-01T00:00:00Z", "n": 1}, "drop"),  # both
        ({"id": "x", "at": None, "n": "one"}, "keep"),  # a wrong type: nobody else says it
        ({"at": None, "n": "one"}, "keep"),  # partly explained: keep the whole
    ],
)
def test_schema_failures_explained_by_our_checks_are_dropped(body, action):
    assert verdict(body).action == action


def test_nothing_is_dropped_when_our_check_does_not_run():
    assert verdict({"at": None, "n": 1}, selected=("timestamps", "response_schema_conformance")).action == "keep"


@pytest.mark.parametrize("check", ["response_schema_conformance", "content_type_conformance", "null_fields"])
def test_error_bodies_belong_to_error_codes(check):
    found = verdict({"error": "x"}, status=404, check=check)

    assert (found.action, found.check, found.title) == (
        "relabel", "error_codes", "404 error body does not match the documented error schema")


def test_auth_questions_belong_to_error_codes():
    assert verdict(None, check="ignored_auth").check == "error_codes"
    assert verdict(None, check="missing_required_header", message="missing 'Authorization' header").check == \
        "error_codes"
    assert verdict(None, check="missing_required_header", message="missing 'X-Trace' header").action == "keep"


def test_negative_cases_on_fixed_parameters_are_the_suites_own_doing():
    message = "Invalid data should have been rejected\nInvalid component: parameter `org` in path - too long"

    assert verdict(None, check="negative_data_rejection", message=message).action == "drop"
    assert verdict(None, check="negative_data_rejection", message=message.replace("org", "id")).action == "keep"
