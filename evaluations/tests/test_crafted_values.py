"""Crafted query and form values (issue 15, finding 2): a superscript digit, letters or an empty value where a
year, an id or a version is expected is "not given" or a 404, never a server error.

``"²".isdigit()`` is true and ``int("²")`` raises ValueError: the pages that tested ``isdigit`` before ``int``,
or passed the raw text to an integer lookup, answered 500 (the test client re-raises the error, so these tests
failed before the one reader, ``evaluations.workflow.versions.whole_number``).
"""

import pytest
from django.urls import reverse

from evaluations.workflow.versions import MISSING_VERSION, whole_number

pytestmark = pytest.mark.django_db

GARBLED = ["²", "abc", "١٢", " ", "9" * 40]


@pytest.mark.parametrize("raw", GARBLED)
def test_a_crafted_number_reads_as_not_given(raw):
    assert whole_number(raw) is None


def test_plain_digits_read_as_numbers():
    assert (whole_number("2024"), whole_number(" 7 "), whole_number(None), whole_number(12)) == (2024, 7, None, None)


@pytest.mark.parametrize("raw", GARBLED)
@pytest.mark.parametrize(
    "who, url, parameter",
    [
        ("department_reviewer", "quality:list", "year"),
        ("department_reviewer", "quality:list", "department"),
        ("finance_reviewer", "quality:list", "department"),
        ("finance_reviewer", "finance:board", "department"),
        ("finance_reviewer", "finance:board", "year"),
    ],
)
def test_list_pages_ignore_or_refuse_a_crafted_filter(client, cast, year, who, url, parameter, raw):
    client.force_login(getattr(cast, who))

    response = client.get(reverse(url), {parameter: raw})

    assert response.status_code in (200, 404)


@pytest.mark.parametrize("raw", GARBLED)
def test_the_summary_download_refuses_a_crafted_department(client, cast, year, raw):
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("reports:summary", args=[year.year, "xlsx"]), {"department": raw})

    assert response.status_code == 404


@pytest.mark.parametrize("field", ["year", "department"])
@pytest.mark.parametrize("raw", GARBLED)
def test_starting_an_export_refuses_a_crafted_year_or_department(client, cast, year, field, raw):
    client.force_login(cast.finance_reviewer)
    data = {"year": year.year, "kind": "summary", "format": "xlsx", field: raw}

    response = client.post(reverse("reports:export_start"), data)

    assert response.status_code == 404


@pytest.mark.parametrize("raw", GARBLED)
def test_copying_from_a_crafted_project_is_a_404(client, cast, year, raw):
    client.force_login(cast.unit_filler)

    response = client.post(reverse("budgets:project_copy"), {"project": raw})

    assert response.status_code == 404


def test_a_crafted_version_is_a_stale_version():
    class Posted:
        POST = {"version": "²"}

    from evaluations.workflow.versions import posted_version

    assert posted_version(Posted()) == MISSING_VERSION


@pytest.mark.parametrize("page", ["99999999999999999999", "9" * 18, "１２３４５６７８９０１２３４５６７８９０"])
@pytest.mark.parametrize(
    ("who", "url"), [("unit_filler", "budgets:project_list"), ("finance_reviewer", "finance:board")]
)
def test_a_page_number_past_any_list_shows_the_first_page(client, cast, year, who, url, page):
    """Issue 15 (the request fuzz): ``?page=99999999999999999999`` made the lazy paginator ask the database for
    rows at an OFFSET past its integers ("datatype mismatch" on SQLite, "out of range" on PostgreSQL): a 500."""
    client.force_login(getattr(cast, who))

    response = client.get(reverse(url), {"page": page})

    assert response.status_code == 200
