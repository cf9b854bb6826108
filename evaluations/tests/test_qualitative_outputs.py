"""A 定性 row whose 实际完成值 is only an official label prints that label everywhere an actual is printed.

Finding 7 of issue 13: the page showed the label, while the project table (PDF and Excel) printed an empty
实际完成值 and the drafted report asked for it (【请补充：实际完成值】).
"""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse

from budgets.models import RuleProfile
from evaluations.reports.narrative import draft_project_report
from evaluations.reports.project_table import build_project_table, project_table_pdf, project_table_xlsx
from evaluations.tests.factories import (
    BudgetLineFactory,
    FiscalYearFactory,
    IndicatorFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
)
from indicators.models import QualitativeLabel

pytestmark = pytest.mark.django_db

NAME = "就业质量"
# Each label with the score a unit claims for it (weight 30) and, below full marks, the reason it owes.
LABELS = [
    (QualitativeLabel.ACHIEVED, Decimal(30), ""),
    (QualitativeLabel.PARTIAL, Decimal(24), "部分学员尚未就业"),
    (QualitativeLabel.NOT_ACHIEVED, Decimal(10), "就业渠道不足"),
]
# The header cell of the 实际完成值 column in each layout's Excel sheet.
ACTUAL_HEADER = {RuleProfile.Layout.NATIONAL: "实际完成值", RuleProfile.Layout.SICHUAN: "完成值"}


@pytest.fixture(params=["national", "sichuan"])
def layout_year(request, org):
    """The year of 东莞市财政局 under the national or the Sichuan profile."""
    return FiscalYearFactory(finance_bureau=org.bureau, year=2024, profile=RuleProfile.objects.get(code=request.param))


def _project_with_label_only_row(org, fiscal_year, label, score, reason):
    project = ProjectFactory(fiscal_year=fiscal_year, unit=org.unit, name="职业技能培训", goal_actual="按计划实施")
    ProjectEvaluationFactory(project=project)
    BudgetLineFactory(project=project, executed_wan=Decimal(100))
    IndicatorFactory(project=project, order=0, name="培训人数", actual_text="100", weight=Decimal(60))
    IndicatorFactory(
        project=project,
        order=1,
        level1="效益指标",
        level2="社会效益指标",
        name=NAME,
        sign="定性",
        target_text="明显提升",
        target_value=None,
        unit="",
        actual_text="",
        actual_value=None,
        actual_label=label,
        weight=Decimal(30),
        claimed_score=score,
        deviation_reason=reason,
    )
    return project


def _xlsx_actual(xlsx: bytes, layout: str) -> str:
    """The 实际完成值 cell of the row named NAME, found under its column header."""
    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(xlsx)).active.iter_rows(values_only=True))
    header = next(row for row in rows if ACTUAL_HEADER[layout] in row)
    row = next(row for row in rows if NAME in row)
    return row[header.index(ACTUAL_HEADER[layout])]


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages))


@pytest.mark.parametrize(("label", "score", "reason"), LABELS)
def test_the_project_table_prints_the_label_as_the_actual(org, layout_year, label, score, reason):
    project = _project_with_label_only_row(org, layout_year, label, score, reason)

    table = build_project_table(project)
    xlsx = project_table_xlsx(project)

    assert [row.actual for row in table.indicator_rows if row.name == NAME] == [label.label]
    assert _xlsx_actual(xlsx, layout_year.profile.layout) == label.label


def test_the_project_pdf_prints_the_label(org, layout_year):
    project = _project_with_label_only_row(org, layout_year, QualitativeLabel.ACHIEVED, Decimal(30), "")

    text = _pdf_text(project_table_pdf(project))

    assert QualitativeLabel.ACHIEVED.label in text


@pytest.mark.parametrize(("label", "score", "reason"), LABELS)
def test_the_drafted_report_states_the_label_and_asks_nothing_for_that_row(org, year, label, score, reason):
    project = _project_with_label_only_row(org, year, label, score, reason)

    report = draft_project_report(project)

    sentences = [p.text for section in report.sections for p in section.paragraphs if f"（{NAME}）" in p.text]
    reason_text = f"偏差原因分析及改进措施：{reason}。" if reason else ""
    assert sentences == [
        f"社会效益指标（{NAME}）：年度指标值为明显提升，实际完成值为{label.label}；"
        f"分值30分，得分{score}分。{reason_text}"
    ]


def test_the_page_shows_the_label_as_the_actual_not_as_a_note_under_an_empty_cell(client, cast, org, layout_year):
    project = _project_with_label_only_row(org, layout_year, QualitativeLabel.PARTIAL, Decimal(24), "学员流失")
    client.force_login(cast.unit_filler)

    html = client.get(reverse("budgets:project_detail", args=[project.pk])).content.decode()

    row = re.search(rf"<tr><td>效益指标</td><td>社会效益指标</td><td>{NAME}</td>(.*?)</tr>", html, re.S).group(1)
    cells = [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    actual = cells[1] if layout_year.profile.layout == RuleProfile.Layout.NATIONAL else cells[3]
    assert actual == QualitativeLabel.PARTIAL.label
