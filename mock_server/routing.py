"""A small router for the API's own routes, built once at start-up from the same rules Flask registers.

Werkzeug's matcher is general (converters, host matching, redirects); matching one request with it costs
more than a mock's whole GET of one record. The API's routes are simpler: static segments and whole-segment
``<name>`` variables. ``Router`` matches those with one dict lookup per segment, static before variable,
as werkzeug does. It answers only when it is sure: a path it does not match, or a set of rules it cannot
represent (other converters, a variable inside a segment), is left to werkzeug (``match`` returns None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Router"]

_VARIABLE = re.compile(r"^<([A-Za-z_][A-Za-z0-9_]*)>$")


class _Ambiguous(Exception):
    pass


class _Node:
    __slots__ = ("endpoint", "static", "variable")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.variable: tuple[str, _Node] | None = None
        self.endpoint: str | None = None


class Router:
    """``(rule, endpoint, methods)`` triples in; ``match(path, method)`` gives ``(endpoint, args)`` or None."""

    def __init__(self, rules: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        self._trees: dict[str, _Node] = {}
        self.usable = True
        for rule, endpoint, methods in rules:
            segments = rule.split("/")
            if not rule.startswith("/") or any("<" in seg and not _VARIABLE.match(seg) for seg in segments):
                self.usable = False  # werkzeug must decide between this rule and the others: it does it all
                return
            for method in methods:
                try:
                    self._add(self._trees.setdefault(method.upper(), _Node()), segments[1:], endpoint)
                except _Ambiguous:
                    self.usable = False
                    return

    @staticmethod
    def _add(node: _Node, segments: list[str], endpoint: str) -> None:
        for seg in segments:
            variable = _VARIABLE.match(seg)
            if variable is None:
                node = node.static.setdefault(seg, _Node())
            else:
                if node.variable is None:
                    node.variable = (variable.group(1), _Node())
                elif node.variable[0] != variable.group(1):
                    raise _Ambiguous  # which one werkzeug prefers depends on its rule weights: let it decide
                node = node.variable[1]
        if node.endpoint is None:
            node.endpoint = endpoint

    def match(self, path: str, method: str) -> tuple[str, dict[str, str]] | None:
        if not self.usable or not path.startswith("/"):
            return None
        tree = self._trees.get("GET" if method == "HEAD" else method)
        if tree is None:
            return None
        args: dict[str, str] = {}
        endpoint = _walk(tree, path.split("/")[1:], 0, args)
        return None if endpoint is None else (endpoint, args)


def _walk(node: _Node, segments: list[str], at: int, args: dict[str, str]) -> str | None:
    if at == len(segments):
        return node.endpoint
    seg = segments[at]
    child = node.static.get(seg)
    if child is not None:
        found = _walk(child, segments, at + 1, args)
        if found is not None:
            return found
    if node.variable is not None and seg:
        name, child = node.variable
        found = _walk(child, segments, at + 1, args)
        if found is not None:
            args[name] = seg
            return found
    return None
