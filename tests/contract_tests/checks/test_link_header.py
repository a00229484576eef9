from __future__ import annotations

import pytest

from contract_tests.checks.links import LinkHeaderError, link_problems, parse_link_header

RELS = frozenset({"next", "prev", "first", "last"})


def test_parses_rfc8288_with_optional_whitespace_and_quoted_values():
    links = parse_link_header('<http://x/a?page=2>;rel="next" ,  <http://x/a?page=9> ; rel=last; title="a, b"')

    assert [(link.url, link.rels) for link in links] == [
        ("http://x/a?page=2", ["next"]),
        ("http://x/a?page=9", ["last"]),
    ]
    assert links[1].params["title"] == "a, b"


@pytest.mark.parametrize("value", ['http://x; rel="next"', '<http://x>; rel="next" junk', '<http://x; rel="next"'])
def test_rejects_malformed_values(value):
    with pytest.raises(LinkHeaderError):
        parse_link_header(value)


def test_exact_layout_passes():
    value = '<http://x/a?page=3&per_page=5>; rel="next", <http://x/a?page=9&per_page=5>; rel="last"'

    assert link_problems(value, RELS, "page")[1] == []


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ('<http://x/a?page=2>;rel="next"', 'Link header layout is not exactly `<url>; rel="x", <url>; rel="y"`'),
        ("<http://x/a?page=2>; rel=next", 'Link header layout is not exactly `<url>; rel="x", <url>; rel="y"`'),
        ('<http://x/a?page=2>; rel="self"', "Link header rel outside first/last/next/prev"),
        ('<http://x/a?page=2>; rel="next", <http://x/a?page=3>; rel="next"', "Link header repeats a rel"),
        ('<http://x/a?p=2>; rel="next"', "Link target without a `page` query parameter"),
        ("<http://x/a?page=2", "Link header does not parse (RFC 8288)"),
    ],
)
def test_problems_are_named(value, title):
    assert title in [t for t, _ in link_problems(value, RELS, "page")[1]]
