from __future__ import annotations

from mock_server.pagination import link_header, page_slice

URL = "http://h/v2/x"


def test_page_slice() -> None:
    items = list(range(7))
    assert page_slice(items, 1, 3) == [0, 1, 2]
    assert page_slice(items, 3, 3) == [6]
    assert page_slice(items, 4, 3) == []


def test_first_page_has_next_and_last_only() -> None:
    assert link_header(URL, [], page=1, per_page=3, total=7) == (
        f'<{URL}?page=2&per_page=3>; rel="next", <{URL}?page=3&per_page=3>; rel="last"'
    )


def test_middle_page_has_every_rel_in_order() -> None:
    value = link_header(URL, [("name", "a b"), ("page", "2")], page=2, per_page=3, total=7)
    assert value is not None
    rels = [part.split("; ")[1] for part in value.split(", ")]
    assert rels == ['rel="next"', 'rel="prev"', 'rel="first"', 'rel="last"']
    assert f"<{URL}?name=a+b&page=3&per_page=3>" in value


def test_last_page_has_no_next() -> None:
    value = link_header(URL, [], page=3, per_page=3, total=7)
    assert value == f'<{URL}?page=2&per_page=3>; rel="prev", <{URL}?page=1&per_page=3>; rel="first"'


def test_single_page_has_no_header() -> None:
    assert link_header(URL, [], page=1, per_page=30, total=5) is None


def test_values_cannot_split_the_header() -> None:
    value = link_header(URL, [("name", 'x>; rel="last", \r\nX: y')], page=1, per_page=1, total=2)
    assert value is not None
    assert "\r" not in value and "\n" not in value
    assert value.count("<") == 2
