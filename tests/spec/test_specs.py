"""Generic checks over every hand-written OpenAPI file in openapi/.

Each spec must be valid OpenAPI, name every operation uniquely, and carry examples that match their schemas:
the mock server and the conformance suite both rely on those examples.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_DIR = Path(__file__).resolve().parents[2] / "openapi"
SPEC_FILES = sorted(SPEC_DIR.glob("*.yaml"))
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SPEC_URI = "urn:spec"  # the whole spec is one JSON Schema resource, so "#/components/..." refs resolve inside it

# JSON Schema keywords holding one subschema, a list of them, or a map of them (walked for schema-level examples)
_ONE_SUBSCHEMA = ("items", "not", "if", "then", "else", "contains", "additionalProperties", "propertyNames")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")

Example = tuple[str, str, Any]  # (where the example is, JSON pointer of its schema, the example value)


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --- JSON pointers ------------------------------------------------------------------------------------------------


def pointer(*parts: str | int) -> str:
    """Build a JSON pointer (RFC 6901) from raw segments: ``pointer("paths", "/a/{id}")`` -> ``/paths/~1a~1{id}``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def at(spec: dict[str, Any], ptr: str) -> Any:
    """The node a JSON pointer (``/a/b`` or ``#/a/b``) designates."""
    node: Any = spec
    for part in ptr.removeprefix("#").split("/")[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(spec: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref``s between OpenAPI objects (responses, parameters, examples...)."""
    while "$ref" in obj:
        obj = at(spec, obj["$ref"])
    return obj


# --- walking the spec ---------------------------------------------------------------------------------------------


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``("GET /path", operation)`` for every operation in ``paths``."""
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _headers_and_media(ptr: str, obj: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, header in obj.get("headers", {}).items():
        yield ptr + pointer("headers", name), header
    for mime, media_type in obj.get("content", {}).items():
        yield ptr + pointer("content", mime), media_type


def _in_operation(ptr: str, op: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, param in enumerate(op.get("parameters", [])):
        yield ptr + pointer("parameters", i), param
    if "requestBody" in op:
        yield from _headers_and_media(ptr + pointer("requestBody"), op["requestBody"])
    for status, response in op.get("responses", {}).items():
        yield from _headers_and_media(ptr + pointer("responses", status), response)


def schema_holders(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(pointer, object)`` for every parameter, header and media type object, inline or in components.

    ``$ref`` objects among them are yielded too; callers skip them, since their target is visited in components.
    """
    for path, item in spec.get("paths", {}).items():
        yield from _in_operation(pointer("paths", path), item)  # path-level parameters
        for method in HTTP_METHODS:
            if method in item:
                yield from _in_operation(pointer("paths", path, method), item[method])
    components = spec.get("components", {})
    for kind in ("parameters", "headers"):
        for name, obj in components.get(kind, {}).items():
            yield pointer("components", kind, name), obj
    for kind in ("requestBodies", "responses"):
        for name, obj in components.get(kind, {}).items():
            yield from _headers_and_media(pointer("components", kind, name), obj)


def schema_examples(ptr: str, schema: Any) -> Iterator[Example]:
    """Yield the ``example`` / ``examples`` written on a schema object or any of its subschemas."""
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield ptr + pointer("example"), ptr, schema["example"]
    if isinstance(schema.get("examples"), list):
        for i, value in enumerate(schema["examples"]):
            yield ptr + pointer("examples", i), ptr, value
    for key in _ONE_SUBSCHEMA:
        yield from schema_examples(ptr + pointer(key), schema.get(key))
    for key in _SUBSCHEMA_LISTS:
        for i, sub in enumerate(schema.get(key, [])):
            yield from schema_examples(ptr + pointer(key, i), sub)
    for key in _SUBSCHEMA_MAPS:
        for name, sub in schema.get(key, {}).items():
            yield from schema_examples(ptr + pointer(key, name), sub)


def all_examples(spec: dict[str, Any]) -> Iterator[Example]:
    """Every example in the spec, with the pointer of the schema it must satisfy."""
    for ptr, holder in schema_holders(spec):
        if "$ref" in holder or "schema" not in holder:
            continue
        schema_ptr = ptr + pointer("schema")
        if "example" in holder:
            yield ptr + pointer("example"), schema_ptr, holder["example"]
        for name, example in holder.get("examples", {}).items():
            example = resolve(spec, example)
            if "value" in example:  # an externalValue cannot be checked offline
                yield ptr + pointer("examples", name), schema_ptr, example["value"]
        yield from schema_examples(schema_ptr, holder["schema"])
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        yield from schema_examples(pointer("components", "schemas", name), schema)


def example_errors(spec: dict[str, Any]) -> list[str]:
    """Validate every example against its schema (JSON Schema 2020-12, formats checked); describe each failure."""
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))
    errors = []
    for where, schema_ptr, value in all_examples(spec):
        schema = {"$ref": f"{SPEC_URI}#{quote(schema_ptr)}"}
        validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
        for error in validator.iter_errors(value):
            error = best_match([error])  # for anyOf/oneOf, name the failing leaf rather than the whole branch
            errors.append(f"{where} at {error.json_path}: {error.message}")
    return errors


# --- tests --------------------------------------------------------------------------------------------------------

each_spec = pytest.mark.parametrize("spec_path", SPEC_FILES, ids=lambda p: p.name)


def test_there_are_specs() -> None:
    assert SPEC_FILES, f"no *.yaml files in {SPEC_DIR}"


@each_spec
def test_spec_is_valid_openapi(spec_path: Path) -> None:
    validate_openapi(load(spec_path))  # picks the 3.0 / 3.1 / ... validator from the `openapi` field


@each_spec
def test_operation_ids_are_present_and_unique(spec_path: Path) -> None:
    seen: dict[str, str] = {}
    for where, op in operations(load(spec_path)):
        op_id = op.get("operationId")
        assert op_id, f"{where} has no operationId"
        assert op_id not in seen, f"{where} reuses operationId {op_id!r} of {seen.get(op_id)}"
        seen[op_id] = where


@each_spec
def test_every_response_with_content_has_schema_and_example(spec_path: Path) -> None:
    missing = missing_schemas_and_examples(load(spec_path))
    assert not missing, "\n".join(missing)


def missing_schemas_and_examples(spec: dict[str, Any]) -> list[str]:
    """Response media types without a schema or an example.

    A media type may go without both only when ``x-ciapi-no-schema`` says why (e.g. Semaphore UI's 401: a JSON
    Content-Type on an empty body, which no JSON schema can describe).
    """
    missing = []
    for where, op in operations(spec):
        for status, response in op.get("responses", {}).items():
            for mime, media_type in resolve(spec, response).get("content", {}).items():
                if isinstance(media_type.get("x-ciapi-no-schema"), str) and media_type["x-ciapi-no-schema"].strip():
                    continue
                if "schema" not in media_type:
                    missing.append(f"{where} {status} {mime}: no schema")
                if "example" not in media_type and not media_type.get("examples"):
                    missing.append(f"{where} {status} {mime}: no example")
    return missing


def test_a_media_type_without_schema_must_say_why() -> None:
    def spec(media_type: dict[str, Any]) -> dict[str, Any]:
        return {"paths": {"/x": {"get": {"responses": {"401": {"description": "no", "content": {
            "application/json": media_type}}}}}}}

    assert missing_schemas_and_examples(spec({})) == ["GET /x 401 application/json: no schema",
                                                      "GET /x 401 application/json: no example"]
    assert missing_schemas_and_examples(spec({"x-ciapi-no-schema": " "})) != []
    assert missing_schemas_and_examples(spec({"x-ciapi-no-schema": "the body is empty"})) == []


@each_spec
def test_examples_match_their_schemas(spec_path: Path) -> None:
    spec = load(spec_path)
    assert next(all_examples(spec), None) is not None, "the spec has no examples at all"
    errors = example_errors(spec)
    assert not errors, "\n".join(errors)


@each_spec
def test_example_check_reports_a_broken_example(spec_path: Path) -> None:
    # Given a copy of the spec and its first object example whose schema requires a property
    spec = copy.deepcopy(load(spec_path))
    for _, schema_ptr, example in all_examples(spec):
        required = resolve(spec, at(spec, schema_ptr)).get("required", [])
        if isinstance(example, dict) and required and required[0] in example:
            break
    else:
        pytest.skip("no object example with a required property to break")
    # When that property is deleted from the example
    del example[required[0]]
    # Then the helper that passes on the intact spec reports it
    errors = example_errors(spec)
    assert any(f"'{required[0]}' is a required property" in e for e in errors), errors
