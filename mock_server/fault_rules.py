"""The fault rule language: the text form, the JSON form, and their one canonical mapping.

Text form (``ciapi serve --fault``, ``server.faults.add("...")``)::

    [OPERATION:]FAULT[,p=PROBABILITY][,times=N][,retry-after=S][,message=TEXT]

    latency=200ms | latency=100ms..2s | status=503 | status=429 | rate-limit | reset | truncate

JSON form (``POST /_mock/faults``): ``{"kind": "error", "operation": "getAgent", "status": 503, "probability": 0.5}``
with the fields of the canonical mapping, or ``{"spec": "<text form>"}``.
"""

from __future__ import annotations

import http
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["FAULT_KINDS", "FaultError", "describe", "http_reason", "normalise_rule", "parse_fault"]

FAULT_KINDS = ("latency", "error", "rate_limit", "reset", "truncate")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")
_OPERATION = re.compile(r"^([A-Za-z_][\w.-]*|\*):(.*)$")
_OPTION_NAMES = {"p": "probability", "probability": "probability", "times": "times", "retry-after": "retry_after",
                 "retry_after": "retry_after", "message": "message"}


class FaultError(ValueError):
    """A fault rule that cannot be understood; the message says what is wrong and what is accepted."""


# --- rules: text and JSON forms -----------------------------------------------------------------
def parse_fault(text: str) -> dict[str, Any]:
    """Turn the text form (``getAgent:status=503,p=0.5``) into a rule mapping for ``normalise_rule``."""
    rule: dict[str, Any] = {}
    rest = text.strip()
    match = _OPERATION.match(rest)
    if match and "=" not in match.group(1):
        rule["operation"] = None if match.group(1) == "*" else match.group(1)
        rest = match.group(2)
    head, _, message = rest.partition(",message=")
    if message:
        rule["message"] = message
    for i, part in enumerate(p.strip() for p in head.split(",")):
        name, eq, value = (s.strip() for s in part.partition("="))
        if i == 0:
            rule.update(_fault_part(name.lower(), value if eq else None, text))
        elif name.lower() in _OPTION_NAMES and eq:
            rule[_OPTION_NAMES[name.lower()]] = value
        else:
            raise FaultError(f"{text!r}: unknown option {part!r}; options are p=, times=, retry-after=, message=")
    return rule


def _fault_part(name: str, value: str | None, text: str) -> dict[str, Any]:
    if name == "latency" and value:
        low, _, high = value.partition("..")
        return {"kind": "latency", "latency_ms": [_duration_ms(low, text), _duration_ms(high or low, text)]}
    if name == "status" and value:
        return {"kind": "error", "status": value}
    if name in ("rate-limit", "rate_limit", "reset", "truncate") and value is None:
        return {"kind": name.replace("-", "_")}
    raise FaultError(f"{text!r}: say which fault: latency=200ms, latency=100ms..2s, status=503, status=429 "
                     "(or rate-limit), reset or truncate, optionally after 'OPERATION:'")


def _duration_ms(value: str, text: str) -> float:
    match = _DURATION.match(value)
    if not match:
        raise FaultError(f"{text!r}: {value!r} is not a duration; use 250ms, 1.5s (a bare number is ms)")
    return float(match.group(1)) * (1000.0 if match.group(2) == "s" else 1.0)


def normalise_rule(data: str | Mapping[str, Any], operations: Iterable[str] | None = None) -> dict[str, Any]:
    """Check a rule (text form or mapping) and return its canonical mapping, without an ``id``.

    ``operations`` are the operationIds the API has; a rule naming another one is refused.
    """
    raw = parse_fault(data) if isinstance(data, str) else dict(data)
    if "spec" in raw:
        raw = {**parse_fault(str(raw.pop("spec"))), **raw}
    unknown = set(raw) - {"kind", "operation", "probability", "times", "latency_ms", "status", "message",
                          "retry_after", "id"}
    if unknown:
        raise FaultError(f"unknown field(s) {', '.join(sorted(unknown))} in fault {raw!r}")
    kind = raw.get("kind")
    if kind == "error" and _int(raw.get("status", 503), "status") == 429:
        kind = "rate_limit"
    if kind not in FAULT_KINDS:
        raise FaultError(f"kind must be one of {', '.join(FAULT_KINDS)} (got {kind!r})")
    operation = raw.get("operation")
    if operation is not None and (not isinstance(operation, str) or (
            operations is not None and operation not in set(operations))):
        raise FaultError(f"no operation {operation!r} in this API" if isinstance(operation, str)
                         else "operation must be an operationId, or null for the whole API")
    rule: dict[str, Any] = {"operation": operation, "kind": kind,
                            "probability": _probability(raw.get("probability", 1.0)),
                            "times": None if raw.get("times") is None else _int(raw["times"], "times", low=1)}
    if kind == "latency":
        rule["latency_ms"] = _latency(raw.get("latency_ms"))
    elif kind == "error":
        rule["status"] = _int(raw.get("status", 503), "status", low=400, high=599)
        rule["message"] = None if raw.get("message") is None else str(raw["message"])
    elif kind == "rate_limit":
        rule["status"] = 429
        rule["retry_after"] = _int(raw.get("retry_after", 1), "retry_after", low=0)
    rule["spec"] = describe(rule)
    return rule


def describe(rule: Mapping[str, Any]) -> str:
    """The text form of a canonical rule."""
    kind = rule["kind"]
    if kind == "latency":
        low, high = rule["latency_ms"]
        text = f"latency={low:g}ms" + ("" if low == high else f"..{high:g}ms")
    elif kind in ("error", "rate_limit"):
        text = f"status={rule['status']}" + (f",retry-after={rule['retry_after']}" if kind == "rate_limit" else "")
    else:
        text = kind
    if rule.get("operation"):
        text = f"{rule['operation']}:{text}"
    if rule["probability"] < 1:
        text += f",p={rule['probability']:g}"
    if rule.get("times") is not None:
        text += f",times={rule['times']}"
    if rule.get("message"):
        text += f",message={rule['message']}"
    return text


def _int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low) or (
            high is not None and value > high):
        bounds = f" between {low} and {high}" if high is not None else (f" >= {low}" if low is not None else "")
        raise FaultError(f"{name} must be an integer{bounds} (got {value!r})")
    return value


def _probability(value: Any) -> float:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise FaultError(f"probability must be a number in (0, 1], or a percentage (got {value!r})")
    return float(value)


def _latency(value: Any) -> list[float]:
    pair = value if isinstance(value, list | tuple) else [value, value]
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 600_000
                             for v in pair) or pair[0] > pair[1]:
        raise FaultError(f"latency_ms must be milliseconds (0 to 600000) or [min, max] (got {value!r})")
    return [float(pair[0]), float(pair[1])]


def http_reason(status: int) -> str:
    """The reason phrase of ``status`` (``Service Unavailable``), for an error fault's default message."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
