from __future__ import annotations

import pytest

from contract_tests.checks.timestamps import timestamp_problems, timestamp_style

ROOT: dict = {"components": {"schemas": {"Stamp": {"type": "string", "format": "date-time"}}}}


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"type": "string", "format": "date-time"}, "2015-05-09T21:05:59.874Z", "2015-05-09 21:05:59"),
        ({"type": "string", "format": "date-time"}, "2015-05-09T21:05:59+02:00", "2015-13-09T21:05:59Z"),
        ({"type": "string", "format": "date"}, "2015-05-09", "2015-05-32"),
        ({"type": "string", "format": "date-time", "pattern": r"\.\d{3}Z$"}, "2015-05-09T21:05:59.874Z",
         "2015-05-09T21:05:59Z"),
        ({"type": "integer", "x-ciapi-timestamp": "unix"}, 1686917254, -5),
        ({"type": "integer", "x-ciapi-timestamp": "unix-ms"}, 1686917254000, "1686917254000"),
        ({"type": "object", "x-ciapi-timestamp": "protobuf"}, {"seconds": 1570792145, "nanos": 544028000},
         {"seconds": 1570792145, "nanos": 10**9}),
        ({"type": "string", "x-ciapi-timestamp": {"strptime": "%Y-%m-%d %H:%M:%S"}}, "2024-01-02 03:04:05",
         "2024-01-02T03:04:05Z"),
    ],
)
def test_each_documented_format(schema, good, bad):
    wrapper = {"type": "object", "properties": {"at": schema}}

    assert timestamp_problems(ROOT, wrapper, {"at": good}) == []
    [(path, value, documented)] = timestamp_problems(ROOT, wrapper, {"at": bad})
    assert (path, value) == ("$.at", bad) and documented


def test_walks_refs_arrays_and_nullable_unions():
    schema = {"type": "array", "items": {"type": "object", "properties": {
        "done": {"anyOf": [{"$ref": "#/components/schemas/Stamp"}, {"type": "null"}]}}}}

    items = [{"done": None}, {"done": "yesterday"}, {"done": "2020-01-01T00:00:00Z"}]

    problems = timestamp_problems(ROOT, schema, items)

    assert [(p, v) for p, v, _ in problems] == [("$[1].done", "yesterday")]


def test_only_documented_timestamps_are_checked():
    assert timestamp_style({"type": "string"}) is None
    assert timestamp_style({"type": "string", "pattern": "^x$"}) is None
    assert timestamp_style({"format": "date-time", "pattern": "Z$"}) == {"style": "rfc3339", "pattern": "Z$"}


def test_passes_on_the_mock_and_catches_a_wrong_format(mock, broken, check_server, serve_wsgi):
    assert check_server(mock.url, checks=("timestamps",), phases=("fuzzing",), max_examples=3).findings == []

    url = serve_wsgi(broken.timestamps_without_milliseconds(mock.app))
    report = check_server(url, checks=("timestamps",), phases=("fuzzing",), max_examples=3)

    assert {f.operation.operation_id for f in report.findings} == {"listAgents", "getAgent"}
    assert "matching ^\\d{4}" in report.findings[0].message
