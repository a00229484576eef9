"""JSON on the request path: orjson where it can, the standard library where orjson refuses.

Both write the same compact text (``separators=(",", ":")``, UTF-8, keys in insertion order). orjson refuses
integers beyond 64 bits and non-string keys; those values go through :mod:`json`, which writes them the way
the mock always has (a non-string key becomes its string). orjson writes ``NaN`` and infinities as ``null``;
no record of the mock holds them. Reading stays with :mod:`json`: orjson reads integers beyond 64 bits as
floats.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "dumps_text"]


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def dumps_text(value: Any) -> str:
    """``value`` as compact JSON text (what the SQLite store keeps)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
