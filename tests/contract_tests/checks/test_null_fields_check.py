from __future__ import annotations

from contract_tests.checks.null_fields import missing_properties

ROOT = {
    "components": {
        "schemas": {
            "Agent": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "job": {"anyOf": [{"$ref": "#/components/schemas/Job"}, {"type": "null"}]},
                    "priority": {"type": ["integer", "null"]},
                },
            },
            "Job": {"type": "object", "properties": {"id": {"type": "string"}, "agent": {"nullable": True}}},
        }
    }
}
LIST = {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}


def test_complete_objects_pass():
    agents = [{"id": "a", "job": None, "priority": None}, {"id": "b", "job": {"id": "j", "agent": None}, "priority": 1}]

    assert missing_properties(ROOT, LIST, agents) == []


def test_missing_properties_are_found_through_refs_arrays_and_any_of():
    agents = [{"id": "a", "job": None}, {"id": "b", "job": {"id": "j"}, "priority": 1}]

    assert missing_properties(ROOT, LIST, agents) == ["$[0].priority", "$[1].job.agent"]


def test_openapi_30_nullable_and_all_of():
    schema = {"allOf": [{"$ref": "#/components/schemas/Job"}], "nullable": True}

    assert missing_properties(ROOT, schema, None) == []
    assert missing_properties(ROOT, schema, {"id": "j"}) == ["$.agent"]


def test_passes_on_the_mock(mock, check_server):
    report = check_server(mock.url, checks=("null_fields",), phases=("examples", "fuzzing"))

    assert report.findings == [] and report.errors == []
    passed = {r.operation.operation_id: r.checks["null_fields"].passed for r in report.operations.values()}
    assert passed["listAgents"] > 0 and passed["getAgent"] > 0


def test_dropped_field_is_caught(mock, broken, check_server, serve_wsgi):
    url = serve_wsgi(broken.drop_agent_field(mock.app, "priority"))

    report = check_server(url, checks=("null_fields",), phases=("examples", "fuzzing"))

    findings = [f for f in report.findings if f.check == "null_fields"]
    assert {f.title for f in findings} == {"Documented properties missing: priority"}
    assert "listAgents" in {f.operation.operation_id for f in findings}
    assert all("Received:" in f.message and "Documented:" in f.message for f in findings)
    assert all(f.curl and "${CIAPI_TOKEN}" in f.curl for f in findings)


def test_other_schemathesis_schemas_are_left_alone():
    import schemathesis

    from contract_tests.checks.null_fields import null_fields

    schema = schemathesis.openapi.from_dict(
        {"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": {}}}}}
    )
    case = schema["/a"]["GET"].Case()

    assert null_fields(None, None, case) is True  # skipped: not loaded by the suite
