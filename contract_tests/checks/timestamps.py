"""``timestamps``: every timestamp field of a response is in its documented format.

A field is a timestamp when its schema has ``format: date-time`` or ``format: date``, or an ``x-ciapi-timestamp``
note for formats JSON Schema cannot name. The note is a style name or an object:

- ``rfc3339``: the same as ``format: date-time``; ``date``: ``YYYY-MM-DD``;
- ``unix`` / ``unix-ms``: a non-negative integer of seconds / milliseconds since the epoch;
- ``protobuf``: ``{"seconds": int, "nanos": 0..999999999}`` (Google's ``Timestamp`` as JSON objects);
- ``{"strptime": "%Y-%m-%d %H:%M:%S"}``: a string Python's ``strptime`` parses with that format.

A ``pattern`` on the field is part of the format too (Buildkite: milliseconds and ``Z``, always).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import schemathesis

from contract_tests.checks._failure import ConformanceFailure
from contract_tests.checks._guards import documented_json, requires_ciapi_schema
from contract_tests.schema_tools import type_fits
from contract_tests.spec import resolve

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

__all__ = ["CHECK", "TimestampProblem", "describe_format", "timestamp_problems", "timestamp_style", "timestamps"]

CHECK = "timestamps"
TimestampProblem = tuple[str, Any, str]  # (JSON path, value, what the spec documents)
_MAX_DEPTH = 32
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_STYLES = ("rfc3339", "date", "unix", "unix-ms", "protobuf")


def timestamp_style(schema: Any) -> dict[str, Any] | None:
    """``{"style": ..., "pattern": ..., "strptime": ...}`` when ``schema`` documents a timestamp, else ``None``."""
    if not isinstance(schema, Mapping):
        return None
    note = schema.get("x-ciapi-timestamp")
    style: dict[str, Any] = {}
    if isinstance(note, str):
        style["style"] = note
    elif isinstance(note, Mapping):
        style.update({k: v for k, v in note.items() if k in ("style", "strptime", "pattern")})
        style.setdefault("style", "strptime" if "strptime" in note else "rfc3339")
    elif schema.get("format") == "date-time":
        style["style"] = "rfc3339"
    elif schema.get("format") == "date":
        style["style"] = "date"
    else:
        return None
    if isinstance(schema.get("pattern"), str):
        style.setdefault("pattern", schema["pattern"])
    return style


def describe_format(style: Mapping[str, Any]) -> str:
    names = {
        "rfc3339": "an RFC 3339 date-time (2015-05-09T21:05:59.874Z)",
        "date": "an RFC 3339 full-date (2015-05-09)",
        "unix": "unix seconds (an integer)",
        "unix-ms": "unix milliseconds (an integer)",
        "protobuf": 'a protobuf Timestamp {"seconds": int, "nanos": int}',
        "strptime": f"a time in strptime format {style.get('strptime')!r}",
    }
    text = names.get(str(style.get("style")), f"the style {style.get('style')!r}")
    return text + (f" matching {style['pattern']}" if style.get("pattern") else "")


def _valid(style: Mapping[str, Any], value: Any) -> bool:
    kind = style.get("style")
    if kind not in (*_STYLES, "strptime"):
        return True  # an unknown style: not ours to judge
    if isinstance(value, str) and style.get("pattern") and not re.search(str(style["pattern"]), value):
        return False
    if kind == "rfc3339":
        return isinstance(value, str) and _rfc3339(value)
    if kind == "date":
        match = _DATE.fullmatch(value) if isinstance(value, str) else None
        return match is not None and _date(*match.groups())
    if kind in ("unix", "unix-ms"):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind == "protobuf":
        return _protobuf(value)
    try:
        dt.datetime.strptime(value, str(style["strptime"]))
    except (TypeError, ValueError):
        return False
    return True


def _date(year: str, month: str, day: str) -> bool:
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _rfc3339(value: str) -> bool:
    match = _RFC3339.fullmatch(value)
    if match is None or not _date(*match.groups()[:3]):
        return False
    hour, minute, second = (int(x) for x in match.groups()[3:6])
    offset_ok = match.group(9) is None or (int(match.group(9)) < 24 and int(match.group(10)) < 60)
    return hour < 24 and minute < 60 and second <= 60 and offset_ok


def _protobuf(value: Any) -> bool:
    if not isinstance(value, Mapping) or not set(value) <= {"seconds", "nanos"}:
        return False
    seconds, nanos = value.get("seconds", 0), value.get("nanos", 0)
    ints = all(isinstance(x, int) and not isinstance(x, bool) for x in (seconds, nanos))
    return ints and 0 <= nanos <= 999_999_999


def timestamp_problems(root: Mapping[str, Any], schema: Any, instance: Any, path: str = "$") -> list[TimestampProblem]:
    """``(path, value, documented format)`` for every timestamp in ``instance`` that breaks its documented format."""
    return _walk(root, schema, instance, path, 0)


def _walk(root: Mapping[str, Any], schema: Any, instance: Any, path: str, depth: int) -> list[TimestampProblem]:
    schema = resolve(root, schema)
    if not isinstance(schema, Mapping) or instance is None or depth > _MAX_DEPTH:
        return []
    style = timestamp_style(schema)
    if style is not None:
        return [] if _valid(style, instance) else [(path, instance, describe_format(style))]
    found: list[TimestampProblem] = []
    for sub in schema.get("allOf") or []:
        found += _walk(root, sub, instance, path, depth + 1)
    for key in ("anyOf", "oneOf"):
        branches = [b for b in schema.get(key) or [] if type_fits(root, b, instance)]
        if branches:
            results: list[list[TimestampProblem]] = [_walk(root, b, instance, path, depth + 1) for b in branches]
            best: list[TimestampProblem] = min(results, key=len)
            found.extend(best)
    if isinstance(instance, dict):
        properties = schema.get("properties") or {}
        for name, sub in properties.items():
            if name in instance:
                found += _walk(root, sub, instance[name], f"{path}.{name}", depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            for name in instance.keys() - properties.keys():
                found += _walk(root, extra, instance[name], f"{path}.{name}", depth + 1)
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(instance):
            found += _walk(root, schema["items"], item, f"{path}[{index}]", depth + 1)
    return found


@schemathesis.check
@requires_ciapi_schema
def timestamps(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Timestamp fields of JSON responses are in the format the spec documents for them."""
    documented = documented_json(case, response)
    if documented is None:
        return True
    root, schema, body = documented
    problems = timestamp_problems(root, schema, body)
    if not problems:
        return None
    raise ConformanceFailure(*failure_text(problems))


def failure_text(problems: list[TimestampProblem]) -> tuple[str, str]:
    """The title and message of a timestamps finding."""
    names = sorted({path.rsplit(".", 1)[-1].split("[")[0] for path, _, _ in problems})
    shown = "; ".join(f"{path} = {value!r}" for path, value, _ in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    documented = sorted({text for _, _, text in problems})
    return (
        f"Timestamps not in the documented format: {', '.join(names)}",
        f"Received: {shown}{more}\nDocumented: {'; '.join(documented)}",
    )
