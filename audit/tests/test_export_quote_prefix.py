"""The auditor's export shows formula-like text exactly as typed (a string cell with the quote-prefix style, no
visible apostrophe, never a formula), and drops the control characters no xlsx can hold."""

from io import BytesIO

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db

FORMULA_LIKE = ["=1+2", "+SUM(A1)", "-2+3", "@cmd"]


def _exported_cells(client, cast, project):
    client.force_login(cast.finance_reviewer)
    response = client.get(reverse("audit:export"), {"year": project.fiscal_year.year})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content)))["变更记录"]
    return [cell for row in sheet.iter_rows(min_row=2) for cell in row if isinstance(cell.value, str)]


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_a_formula_like_name_is_exported_exactly_with_the_quote_prefix(client, cast, evaluation, name):
    project = evaluation.project
    project.name = name
    project.save()

    cells = _exported_cells(client, cast, project)

    shown = [(cell.value, cell.data_type, cell.quotePrefix) for cell in cells if cell.value == name]
    assert shown and set(shown) == {(name, "s", True)}
    assert not [cell for cell in cells if cell.value.startswith("'")]
    assert {cell.quotePrefix for cell in cells if cell.value == "日常办学经费"} == {False}


def test_a_name_with_control_characters_is_exported_without_them(client, cast, evaluation):
    project = evaluation.project
    # PostgreSQL refuses NUL in text: there the name carries BEL alone.
    project.name = "培训" + ("" if connection.vendor == "postgresql" else "\x00") + "经费\x07项目"
    project.save()

    cells = _exported_cells(client, cast, project)

    assert "培训经费项目" in {cell.value for cell in cells}
    named = [cell.value for cell in cells if "经费" in cell.value]
    assert named and not [value for value in named if "_x00" in value or "\x00" in value or "\x07" in value]
