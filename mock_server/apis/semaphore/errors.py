"""The error bodies of each family of Semaphore endpoints, and how invalid requests are answered.

- ``text``: the auth service and the authorization plugs answer plain text (``Unauthorized``, ``Not Found``);
- ``json``: the Elixir v1alpha handlers answer a JSON-encoded string (``"Missing required post parameter ..."``);
- ``grpc``: the v1alpha jobs endpoints (grpc-gateway) answer ``{"code", "message", "details": []}``;
- ``v2``: ``{"message", "documentation_url"}``, and ``422`` with a list of errors pointing at fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mock_server.handlers import ApiError, Reply

__all__ = ["error_reply", "grpc_error", "invalid_request", "json_error", "not_found", "text_error", "v2_error"]

DOCS_URL = "https://docs.semaphoreci.com/reference/api"
AGE_HINT = "valid examples: 5 days, 1 week, 2 weeks, 3 months, 4 years"
GRPC_STATUS = {400: 3, 404: 5, 409: 9, 500: 13}


def text_error(status: int, message: str) -> ApiError:
    return ApiError(status, message, family="text")


def json_error(status: int, message: str) -> ApiError:
    return ApiError(status, message, family="json")


def grpc_error(status: int, message: str) -> ApiError:
    return ApiError(status, message, family="grpc")


def v2_error(status: int, message: str, errors: list[dict[str, object]] | None = None) -> ApiError:
    return ApiError(status, message, family="v2", errors=errors or [])


def not_found(lower: bool = False) -> ApiError:
    """The authorization plugs' 404: ``Not Found`` (pipelines, workflows) or ``Not found`` (shared plug)."""
    return text_error(404, "Not found" if lower else "Not Found")


def error_reply(error: ApiError) -> Reply:
    family = error.extra.get("family", "text")
    if family == "json":
        return Reply.json(error.message, status=error.status, headers=error.headers)
    if family == "grpc":
        body = {"code": GRPC_STATUS.get(error.status, 2), "message": error.message, "details": []}
        return Reply.json(body, status=error.status, headers=error.headers)
    if family == "v2":
        if error.status == 422:
            body2: dict[str, object] = {"message": "Validation Failed", "documentation_url": DOCS_URL,
                                        "errors": error.extra.get("errors", [])}
            return Reply.json(body2, status=422, headers=error.headers)
        if error.status >= 400 and error.status != 404:
            return Reply.json(error.message, status=error.status, headers=error.headers)
        return Reply.json({"message": error.message, "documentation_url": DOCS_URL}, status=error.status,
                          headers=error.headers)
    reply = Reply.text(error.message, status=error.status)
    reply.headers.update(error.headers)
    return reply


# --- invalid requests -----------------------------------------------------------------------------------------------
_PARAM = re.compile(r"^(?P<name>[\w-]+): '(?P<raw>.*)' is not a valid (?P<type>\w+)$")
_REQUIRED = re.compile(r'"(?P<name>[^"]+)" is a required property')


def _field(problem: str) -> str:
    """The name a problem is about: ``created_after`` for a parameter, ``metadata.name`` for a body field."""
    head, _, rest = problem.partition(": ")
    required = _REQUIRED.search(rest)
    path = head.removeprefix("body").lstrip(".")
    if required:
        path = f"{path}.{required.group('name')}" if path else required.group("name")
    return path


def _value(problem: str) -> str:
    """The offending value quoted in a problem (``"maybe" is not one of ...`` -> ``maybe``)."""
    match = _PARAM.match(problem)
    if match:
        return match.group("raw")
    rest = problem.partition(": ")[2]
    found = re.match(r'^"?(?P<value>.*?)"? (is not|does not|was expected|is less|is greater)', rest)
    return found.group("value") if found else rest


def _v1_generic(problems: list[str]) -> ApiError:
    problem = problems[0]
    name = _field(problem)
    if "required" in problem or problem == "the request body is required":
        return json_error(400, f"Missing required post parameter {name or 'body'}.")
    if _PARAM.match(problem):
        return json_error(400, f"Invalid value of '{name}' param: \"{_value(problem)}\" - needs to be integer.")
    return json_error(400, f"Invalid request: {problem}")


def _list(problems: list[str]) -> ApiError:
    if any(p.startswith("project_id: required") for p in problems):
        return not_found()
    return _v1_generic(problems)


def _agent_type(problems: list[str]) -> ApiError:
    problem = problems[0]
    if _field(problem) in ("metadata", "metadata.name"):
        return json_error(400, "Name must be provided")
    if _field(problem).endswith("assignment_origin"):
        return json_error(400, f"invalid assignment_origin '{_value(problem)}'")
    return _v1_generic(problems)


def _agents(problems: list[str]) -> ApiError:
    problem = problems[0]
    if problem.startswith("page_size") and not _PARAM.match(problem):
        size = problem.partition(": ")[2].split(" ")[0]
        return json_error(400, f"page size of {size} is invalid: must be greater than 0 and between 5-200")
    return _v1_generic(problems)


def _retention(problems: list[str]) -> ApiError:
    problem = problems[0]
    field = _field(problem)
    if field == "project_id" and "required" in problem:
        return text_error(400, "project_id must be present")
    if field == "project_id":
        return text_error(400, "project id must be a valid UUID")
    if field.endswith("selector"):
        return text_error(400, "the 'selector' filed must be a non-empty string")
    if field.endswith(".age") and "does not match" in problem:
        return text_error(400, f"invalid 'age' value: '{_value(problem)}' - {AGE_HINT}")
    if field.endswith("age"):
        return text_error(400, f"the 'age' fields must be a string, {AGE_HINT}")
    if "anyOf" in problem or "any of" in problem or field in ("", "body"):
        return text_error(400, "at least one retention policy configuration must be defined")
    return text_error(400, f"Invalid request: {problem}")


def _v2(problems: list[str]) -> ApiError:
    errors: list[dict[str, object]] = []
    for problem in problems:
        pointer = "/" + _field(problem).replace(".", "/").replace("[", "/").replace("]", "")
        errors.append({"title": "Invalid value", "source": {"pointer": pointer.rstrip("/") or "/"},
                       "detail": problem.partition(": ")[2] or problem})
    return v2_error(422, "Validation Failed", errors)


_BY_OPERATION: dict[str, Callable[[list[str]], ApiError]] = {
    "listWorkflows": _list,
    "listPipelines": _list,
    "terminatePipeline": lambda _: json_error(400, "Value of 'terminate_request' field must be boolean value 'true'."),
    "validateYaml": lambda _: json_error(400, "Missing required post parameter yaml_definition."),
    "createAgentType": _agent_type,
    "updateAgentType": _agent_type,
    "disableAllAgents": lambda p: json_error(400, f"Invalid 'only_idle': '{_value(p[0])}' is not a boolean."),
    "listAgents": _agents,
    "configureRetentionPolicy": _retention,
}


def invalid_request(operation_id: str, problems: list[str]) -> ApiError:
    """The error the real service answers for a request the spec rejects."""
    if operation_id.startswith("v2"):
        return _v2(problems)
    if operation_id in ("describeJob", "stopJob"):
        return grpc_error(400, problems[0])
    if operation_id == "runTask" and any(p.startswith("task_id") for p in problems):
        return json_error(400, "schedule identifier should be a UUID")
    handler = _BY_OPERATION.get(operation_id, _v1_generic)
    return handler(problems)
