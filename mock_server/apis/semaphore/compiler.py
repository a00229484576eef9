"""Semaphore pipeline YAML: validation (as ``POST /yaml`` answers) and compilation into blocks and jobs.

``compile_pipeline(text)`` returns a plan (plain dicts, so it can live in the store) or raises
``PipelineError`` with the message the pipeline service reports, ``{:malformed, ...}``.
"""

from __future__ import annotations

import functools
import itertools
import json
from typing import Any

import yaml

__all__ = ["DEFAULT_TIME_LIMIT", "PipelineError", "compile_pipeline", "validate_pipeline"]

DEFAULT_TIME_LIMIT = 3600  # seconds: pipelines and blocks run at most one hour unless they say otherwise
MAX_TIME_LIMIT = 24 * 3600
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TYPES = {type(None): "Null", bool: "Boolean", int: "Integer", float: "Number", str: "String", list: "Array",
          dict: "Object"}


class PipelineError(ValueError):
    """The definition is invalid; ``str()`` is the report, e.g. ``{:malformed, "..."}``."""


def _schema_error(message: str, path: str) -> PipelineError:
    return PipelineError(f'{{:malformed, {{"{message}", "{path}"}}}}')


def _semantic_error(message: str) -> PipelineError:
    return PipelineError(f'{{:malformed, "{message}"}}')


def _expect(value: Any, kind: type, path: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _schema_error(f"Type mismatch. Expected {_TYPES[kind]} but got {_TYPES.get(type(value), 'Object')}.",
                            path)
    return value


def _required(node: dict[str, Any], key: str, path: str) -> Any:
    if key not in node:
        raise _schema_error(f"Required property {key} was not present.", path)
    return node[key]


def _strings(value: Any, path: str) -> list[str]:
    items = _expect(value, list, path)
    for i, item in enumerate(items):
        _expect(item, str, f"{path}/{i}")
    return list(items)


def _commands(node: Any, path: str) -> list[str]:
    if node is None:
        return []
    return _strings(_required(_expect(node, dict, path), "commands", path), f"{path}/commands")


def _env_vars(node: dict[str, Any], path: str) -> list[dict[str, str]]:
    out = []
    for i, item in enumerate(_expect(node.get("env_vars", []), list, f"{path}/env_vars")):
        where = f"{path}/env_vars/{i}"
        _expect(item, dict, where)
        name = _expect(_required(item, "name", where), str, f"{where}/name")
        out.append({"name": name, "value": str(item.get("value", ""))})
    return out


def _secrets(node: dict[str, Any], path: str) -> list[str]:
    out = []
    for i, item in enumerate(_expect(node.get("secrets", []), list, f"{path}/secrets")):
        out.append(_expect(_required(_expect(item, dict, f"{path}/secrets/{i}"), "name", f"{path}/secrets/{i}"),
                           str, f"{path}/secrets/{i}/name"))
    return out


def _agent(node: Any, path: str) -> dict[str, Any]:
    _expect(node, dict, path)
    machine = _expect(_required(node, "machine", path), dict, f"{path}/machine")
    machine_type = _expect(_required(machine, "type", f"{path}/machine"), str, f"{path}/machine/type")
    containers = []
    for i, c in enumerate(_expect(node.get("containers", []), list, f"{path}/containers")):
        where = f"{path}/containers/{i}"
        _expect(c, dict, where)
        containers.append({"name": _expect(_required(c, "name", where), str, f"{where}/name"),
                           "image": _expect(_required(c, "image", where), str, f"{where}/image"),
                           "command": str(c.get("command", "")), "env_vars": _env_vars(c, where),
                           "secrets": [{"name": s} for s in _secrets(c, where)]})
    return {"machine": {"type": machine_type, "os_image": str(machine.get("os_image", ""))},
            "containers": containers}


def _time_limit(node: dict[str, Any], path: str, default: int) -> int:
    if "execution_time_limit" not in node:
        return default
    limit = _expect(node["execution_time_limit"], dict, f"{path}/execution_time_limit")
    seconds = 0
    for unit, factor in (("hours", 3600), ("minutes", 60)):
        if unit in limit:
            seconds += _expect(limit[unit], int, f"{path}/execution_time_limit/{unit}") * factor
    if not 0 < seconds <= MAX_TIME_LIMIT:
        raise _semantic_error("Execution time limit must be between 1 minute and 24 hours.")
    return seconds


def _epilogue(node: Any, path: str) -> dict[str, list[str]]:
    if node is None:
        return {"always": [], "on_pass": [], "on_fail": []}
    _expect(node, dict, path)
    return {key: _commands(node.get(key), f"{path}/{key}") for key in ("always", "on_pass", "on_fail")}


def _expand(job: dict[str, Any], path: str) -> list[tuple[str, list[dict[str, str]]]]:
    """A job's instances: ``(name, extra env vars)`` for parallelism and matrix jobs."""
    name = _expect(_required(job, "name", path), str, f"{path}/name")
    if "parallelism" in job:
        count = _expect(job["parallelism"], int, f"{path}/parallelism")
        if count < 1:
            raise _schema_error(f"Expected the value to be >= 1 but got {count}.", f"{path}/parallelism")
        return [(f"{name} - {i}/{count}", [{"name": "SEMAPHORE_JOB_INDEX", "value": str(i)},
                                           {"name": "SEMAPHORE_JOB_COUNT", "value": str(count)}])
                for i in range(1, count + 1)]
    if "matrix" in job:
        axes = []
        for i, axis in enumerate(_expect(job["matrix"], list, f"{path}/matrix")):
            where = f"{path}/matrix/{i}"
            _expect(axis, dict, where)
            var = _expect(_required(axis, "env_var", where), str, f"{where}/env_var")
            axes.append([(var, str(v)) for v in _expect(_required(axis, "values", where), list, f"{where}/values")])
        combos = list(itertools.product(*axes))
        return [(f"{name} - " + ", ".join(f"{k}={v}" for k, v in combo),
                 [{"name": k, "value": v} for k, v in combo]) for combo in combos]
    return [(name, [])]


def _block(block: Any, index: int, top: dict[str, Any], limit: int) -> dict[str, Any]:
    path = f"#/blocks/{index}"
    _expect(block, dict, path)
    name = _expect(_required(block, "name", path), str, f"{path}/name")
    task = _expect(_required(block, "task", path), dict, f"{path}/task")
    jobs = _expect(_required(task, "jobs", f"{path}/task"), list, f"{path}/task/jobs")
    if not jobs:
        raise _schema_error("Expected a minimum of 1 items but got 0.", f"{path}/task/jobs")
    if "agent" in task:
        agent = _agent(task["agent"], f"{path}/task/agent")
    elif top.get("agent") is not None:
        agent = top["agent"]
    else:
        raise _schema_error("Required property agent was not present.", "#")
    block_limit = _time_limit(block, path, limit)
    prologue = top["prologue"] + _commands(task.get("prologue"), f"{path}/task/prologue")
    epilogue = _epilogue(task.get("epilogue"), f"{path}/task/epilogue")
    env = top["env_vars"] + _env_vars(task, f"{path}/task")
    secrets = top["secrets"] + _secrets(task, f"{path}/task")
    compiled = []
    for j, job in enumerate(jobs):
        where = f"{path}/task/jobs/{j}"
        _expect(job, dict, where)
        commands = _strings(_required(job, "commands", where), f"{where}/commands")
        for job_name, extra in _expand(job, where):
            compiled.append({
                "name": job_name, "commands": prologue + commands,
                "env_vars": env + _env_vars(job, where) + extra, "secrets": list(dict.fromkeys(secrets)),
                "agent": agent, "epilogue_always": top["epilogue"]["always"] + epilogue["always"],
                "epilogue_on_pass": top["epilogue"]["on_pass"] + epilogue["on_pass"],
                "epilogue_on_fail": top["epilogue"]["on_fail"] + epilogue["on_fail"],
                "execution_time_limit": _time_limit(job, where, block_limit),
            })
    deps = block.get("dependencies")
    return {"name": name, "dependencies": None if deps is None else _strings(deps, f"{path}/dependencies"),
            "jobs": compiled}


def _check_dependencies(blocks: list[dict[str, Any]]) -> None:
    names = [b["name"] for b in blocks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _semantic_error(f"There are at least two blocks with same name: {', '.join(duplicates)}")
    declared = [b["dependencies"] is not None for b in blocks]
    if any(declared) and not all(declared):
        raise _semantic_error("Either all blocks should have dependencies property or none of them.")
    if not any(declared):
        for i, block in enumerate(blocks):
            block["dependencies"] = [blocks[i - 1]["name"]] if i else []
        return
    for block in blocks:
        for dep in block["dependencies"]:
            if dep not in names or dep == block["name"]:
                raise _semantic_error(f"Unknown block name '{dep}' in dependencies of block '{block['name']}'.")
    done: set[str] = set()
    while len(done) < len(blocks):
        ready = [b["name"] for b in blocks if b["name"] not in done and set(b["dependencies"]) <= done]
        if not ready:
            raise _semantic_error("There are cycles in the dependencies of blocks.")
        done.update(ready)


def _promotions(document: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for i, promotion in enumerate(_expect(document.get("promotions", []), list, "#/promotions")):
        where = f"#/promotions/{i}"
        _expect(promotion, dict, where)
        out.append({"name": _expect(_required(promotion, "name", where), str, f"{where}/name"),
                    "pipeline_file": _expect(_required(promotion, "pipeline_file", where), str,
                                             f"{where}/pipeline_file")})
    return out


def compile_pipeline(text: str) -> dict[str, Any]:
    """Validate and compile a pipeline definition: ``{name, blocks: [{name, dependencies, jobs}], ...}``."""
    ok, payload = _compile_cached(text)
    if not ok:
        raise PipelineError(payload)
    plan: dict[str, Any] = json.loads(payload)
    return plan


@functools.lru_cache(maxsize=256)
def _compile_cached(text: str) -> tuple[bool, str]:
    """(True, the plan as JSON) or (False, the report): a fresh copy per call, parsed once per text."""
    try:
        return True, json.dumps(_compile(text))
    except PipelineError as exc:
        return False, str(exc)


def _compile(text: str) -> dict[str, Any]:
    try:
        document = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _semantic_error(f"Invalid YAML: {problem}") from None
    _expect(document, dict, "#")
    version = _required(document, "version", "#")
    if version != "v1.0":
        raise _schema_error(f"Value {version!r} is not allowed in enum.".replace("'", '\\"'), "#/version")
    name = _expect(document.get("name", "Pipeline"), str, "#/name")
    global_config = _expect(document.get("global_job_config") or {}, dict, "#/global_job_config")
    top = {
        "agent": _agent(document["agent"], "#/agent") if "agent" in document else None,
        "prologue": _commands(global_config.get("prologue"), "#/global_job_config/prologue"),
        "epilogue": _epilogue(global_config.get("epilogue"), "#/global_job_config/epilogue"),
        "env_vars": _env_vars(global_config, "#/global_job_config"),
        "secrets": _secrets(global_config, "#/global_job_config"),
    }
    limit = _time_limit(document, "#", DEFAULT_TIME_LIMIT)
    raw_blocks = _expect(_required(document, "blocks", "#"), list, "#/blocks")
    if not raw_blocks:
        raise _schema_error("Expected a minimum of 1 items but got 0.", "#/blocks")
    blocks = [_block(block, i, top, limit) for i, block in enumerate(raw_blocks)]
    _check_dependencies(blocks)
    return {"name": name, "blocks": blocks, "promotions": _promotions(document), "execution_time_limit": limit}


def validate_pipeline(text: str) -> str | None:
    """``None`` when the definition is valid, else the report."""
    try:
        compile_pipeline(text)
    except PipelineError as exc:
        return str(exc)
    return None
