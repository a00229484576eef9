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


# --- scrivener_headers (Semaphore v1alpha) ------------------------------------------------------------------------
def test_scrivener_first_page_has_next_first_last_and_counts() -> None:
    from mock_server.pagination import scrivener_headers

    headers = scrivener_headers(URL, [("project_id", "P"), ("page_size", "1"), ("branch_name", "staging")],
                                page=1, page_size=1, total=2)
    assert headers["link"] == (
        f'<{URL}?branch_name=staging&page=2&page_size=1&project_id=P>; rel="next", '
        f'<{URL}?branch_name=staging&page=1&page_size=1&project_id=P>; rel="first", '
        f'<{URL}?branch_name=staging&page=2&page_size=1&project_id=P>; rel="last"'
    )
    assert (headers["total"], headers["per-page"], headers["total-pages"], headers["page-number"]) == ("2", "1", "2",
                                                                                                       "1")


def test_scrivener_middle_page_orders_next_prev_first_last() -> None:
    from mock_server.pagination import scrivener_headers

    link = scrivener_headers(URL, [("page", "2")], page=2, page_size=3, total=7)["link"]
    assert [part.split("; ")[1] for part in link.split(", ")] == [
        'rel="next"', 'rel="prev"', 'rel="first"', 'rel="last"']


def test_scrivener_past_the_end_and_empty_lists() -> None:
    from mock_server.pagination import scrivener_headers

    past = scrivener_headers(URL, [], page=9, page_size=3, total=7)
    assert 'rel="next"' not in past["link"] and 'rel="prev"' not in past["link"]
    empty = scrivener_headers(URL, [], page=1, page_size=30, total=0)
    assert empty["link"] == f'<{URL}?page=1>; rel="first", <{URL}?page=1>; rel="last"'
    assert empty["total-pages"] == "1" and empty["total"] == "0"
