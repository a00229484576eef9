"""RFC 8288 ``Link`` header parsing, plus the stricter layout page-number clients rely on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

__all__ = ["Link", "LinkHeaderError", "link_problems", "parse_link_header"]

_TCHAR = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# What pybuildkite (splits on ", " and "; ") and go-buildkite (rel="...") need: <url>; rel="x", <url>; rel="y"
_STRICT_VALUE = r'<[^<>]*>(?:; [!#$%&\'*+.^_`|~0-9A-Za-z-]+="[^"]*")+'
_STRICT = re.compile(rf"{_STRICT_VALUE}(?:, {_STRICT_VALUE})*")


class LinkHeaderError(ValueError):
    """The header is not a valid RFC 8288 ``Link`` value; the message says where."""


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def rels(self) -> list[str]:
        return self.params.get("rel", "").split()


def parse_link_header(value: str) -> list[Link]:
    """Parse ``Link: <url>; rel="next", <url>; rel="last"`` (RFC 8288 section 3, with OWS/BWS)."""
    parser = _Parser(value)
    links: list[Link] = []
    while True:
        parser.skip(" \t,")
        if parser.done():
            return links
        links.append(parser.link())
        parser.skip(" \t")
        if not parser.done() and not parser.peek(","):
            raise LinkHeaderError(f"expected ',' at offset {parser.pos} of {value!r}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, chars: str) -> bool:
        return not self.done() and self.text[self.pos] in chars

    def skip(self, chars: str) -> None:
        while self.peek(chars):
            self.pos += 1

    def expect(self, char: str) -> None:
        if not self.peek(char):
            raise LinkHeaderError(f"expected {char!r} at offset {self.pos} of {self.text!r}")
        self.pos += 1

    def token(self) -> str:
        match = _TCHAR.match(self.text, self.pos)
        if match is None:
            raise LinkHeaderError(f"expected a token at offset {self.pos} of {self.text!r}")
        self.pos = match.end()
        return match.group()

    def quoted(self) -> str:
        self.expect('"')
        out = []
        while not self.done() and not self.peek('"'):
            if self.peek("\\"):
                self.pos += 1
            if not self.done():
                out.append(self.text[self.pos])
                self.pos += 1
        self.expect('"')
        return "".join(out)

    def link(self) -> Link:
        self.expect("<")
        end = self.text.find(">", self.pos)
        if end < 0:
            raise LinkHeaderError(f"unterminated '<' in {self.text!r}")
        url, self.pos = self.text[self.pos : end], end + 1
        params: dict[str, str] = {}
        while True:
            self.skip(" \t")
            if not self.peek(";"):
                return Link(url, params)
            self.pos += 1
            self.skip(" \t")
            name = self.token().lower()
            self.skip(" \t")
            value = ""
            if self.peek("="):
                self.pos += 1
                self.skip(" \t")
                value = self.quoted() if self.peek('"') else self.token()
            params.setdefault(name, value)  # RFC 8288: occurrences after the first are ignored


def link_problems(value: str, rels: frozenset[str], page_param: str) -> tuple[list[Link], list[tuple[str, str]]]:
    """Parse ``value`` and list ``(title, detail)`` problems for clients of a page-number API."""
    try:
        links = parse_link_header(value)
    except LinkHeaderError as exc:
        return [], [("Link header does not parse (RFC 8288)", str(exc))]
    problems = []
    if not _STRICT.fullmatch(value):
        problems.append(
            (
                'Link header layout is not exactly `<url>; rel="x", <url>; rel="y"`',
                f'entries must be joined by ", " and parameters by "; " with quoted values (pybuildkite): {value!r}',
            )
        )
    seen: list[str] = []
    for link in links:
        if not link.rels:
            problems.append(("Link header entry without rel", f"<{link.url}> has no rel parameter"))
        for rel in link.rels:
            if rel not in rels:
                problems.append((f"Link header rel outside {'/'.join(sorted(rels))}", f"rel={rel!r} in {value!r}"))
            elif rel in seen:
                problems.append(("Link header repeats a rel", f"rel={rel!r} appears twice in {value!r}"))
            seen.append(rel)
        if page_param not in parse_qs(urlsplit(link.url).query):
            problems.append((f"Link target without a `{page_param}` query parameter", f"<{link.url}>"))
    return links, problems
