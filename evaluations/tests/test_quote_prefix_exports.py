"""Formula-like text in every Excel export comes back exactly as typed: a string cell with the quote-prefix style,
no visible apostrophe and never a formula; control characters no xlsx can hold are dropped, not fatal."""

from io import BytesIO

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from evaluations.models import ProjectEvaluation
from evaluations.reports.department_table import department_table_xlsx
from evaluations.reports.project_table import project_table_xlsx
from evaluations.reports.summary import build_summary, summary_xlsx
from evaluations.tests.factories import DepartmentEvaluationFactory, ProjectEvaluationFactory, ProjectFactory
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

FORMULA_LIKE = ["=1+2", "+SUM(A1)", "-2+3", "@cmd"]
SUMMARY_NAME_COLUMN = 4  # 项目名称
SUMMARY_FIRST_ROW = 4  # under the title, the 部门(单位) line and the header


def _control_name():
    """A name with NUL and BEL in it: PostgreSQL refuses NUL in text, so there the name carries BEL alone."""
    nul = "" if connection.vendor == "postgresql" else "\x00"
    return f"培训{nul}经费\x07项目"


def _cells(content, text):
    """The cells of the reopened workbook's first sheet that hold ``text`` (possibly inside a longer text)."""
    sheet = load_workbook(BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str) and text in cell.value]


def _shown_exactly(cells, text):
    """(value, data type, quote prefix) of every cell holding ``text`` exactly."""
    return [(cell.value, cell.data_type, cell.quotePrefix) for cell in cells if cell.value == text]


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_the_project_table_shows_a_formula_like_name_exactly_with_the_quote_prefix(evaluation, name):
    project = evaluation.project
    project.name = name
    project.save()

    cells = _cells(project_table_xlsx(project), name)

    assert _shown_exactly(cells, name) == [(name, "s", True)]
    assert not any(cell.value.startswith("'") for cell in cells)


def test_the_project_table_exports_a_name_with_control_characters(evaluation):
    project = evaluation.project
    project.name = _control_name()
    project.save()

    cells = _cells(project_table_xlsx(project), "培训经费项目")

    assert _shown_exactly(cells, "培训经费项目") == [("培训经费项目", "s", False)]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_the_department_table_shows_a_formula_like_text_exactly_with_the_quote_prefix(org, year, text):
    evaluation = DepartmentEvaluationFactory(fiscal_year=year, department=org.department, goal=text)

    cells = _cells(department_table_xlsx(evaluation), text)

    assert _shown_exactly(cells, text) == [(text, "s", True)]
    assert not any(cell.value.startswith("'") for cell in cells)


def test_the_department_table_exports_a_text_with_control_characters(org, year):
    evaluation = DepartmentEvaluationFactory(fiscal_year=year, department=org.department, goal=_control_name())

    cells = _cells(department_table_xlsx(evaluation), "培训经费项目")

    assert _shown_exactly(cells, "培训经费项目") == [("培训经费项目", "s", False)]


def _summary(org, year, name):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name=name, sort_order=1)
    ProjectEvaluationFactory(project=project, claimed_grade="优", status=ProjectEvaluation.Status.SUBMITTED)
    content = summary_xlsx(build_summary(fiscal_year=year, department=org.department))
    return load_workbook(BytesIO(content)).active.cell(row=SUMMARY_FIRST_ROW, column=SUMMARY_NAME_COLUMN)


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_the_summary_shows_a_formula_like_name_exactly_with_the_quote_prefix(org, year, name):
    cell = _summary(org, year, name)

    assert (cell.value, cell.data_type, cell.quotePrefix) == (name, "s", True)


def test_the_summary_exports_a_name_with_control_characters(org, year):
    cell = _summary(org, year, _control_name())

    assert (cell.value, cell.data_type, cell.quotePrefix) == ("培训经费项目", "s", False)


def _quality_export(client, cast, evaluation, name):
    project = evaluation.project
    project.name = name
    project.save()
    # An indicator without its actual value: a finding, so the project is listed.
    Indicator.objects.create(
        project=project,
        level1="产出指标",
        level2="数量指标",
        name="培训人次",
        sign="≥",
        target_text="10",
        target_value=10,
    )
    client.force_login(cast.finance_reviewer)
    response = client.get(reverse("quality:list"), {"year": project.fiscal_year.year, "format": "xlsx"})
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_the_quality_list_shows_a_formula_like_name_exactly_with_the_quote_prefix(client, cast, evaluation, name):
    cells = _cells(_quality_export(client, cast, evaluation, name), name)

    shown = _shown_exactly(cells, name)
    assert shown and set(shown) == {(name, "s", True)}
    assert not any(cell.value.startswith("'") for cell in cells)


def test_the_quality_list_exports_a_name_with_control_characters(client, cast, evaluation):
    cells = _cells(_quality_export(client, cast, evaluation, _control_name()), "培训经费项目")

    shown = _shown_exactly(cells, "培训经费项目")
    assert shown and set(shown) == {("培训经费项目", "s", False)}
