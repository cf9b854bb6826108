"""One amount prints the same everywhere (issue 14): 579.825 万元 is 579.83 on the list page, in the project
table's PDF and Excel, in a quality finding and in the drafted opinion — half-up, as SPEC §4.2 and §5 say.

Before domain/formatting.py the list page and the PDF rounded half-even (579.82) while findings and the
opinion rounded half-up (579.83).
"""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from domain import formatting
from evaluations.finance_review.services import draft_opinion
from evaluations.quality.engine import project_findings
from evaluations.reports.project_table import project_table_pdf, project_table_xlsx
from evaluations.scorecard import build_scorecard
from evaluations.tests.factories import BudgetLineFactory, ProjectEvaluationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

HALF = Decimal("579.825")


@pytest.fixture
def project(org, year):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="格式一致项目")
    ProjectEvaluationFactory(project=project)
    BudgetLineFactory(
        project=project,
        fund_source="本年财政拨款",
        initial_wan=Decimal(500),
        adjusted_wan=HALF,
        executed_wan=Decimal("463.86"),
    )
    return project


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages))


def test_the_half_cent_rounds_up_in_the_one_formatting_rule():
    assert (formatting.amount(HALF), formatting.amount(HALF, grouped=False), formatting.points(HALF)) == (
        "579.83",
        "579.83",
        "579.83",
    )
    assert (formatting.amount(Decimal("1010")), formatting.percent(Decimal("0.974550"))) == ("1,010.00", "97.46%")


def test_579_825_wan_prints_579_83_on_the_page_in_the_pdf_and_excel_in_a_finding_and_in_the_opinion(
    client, cast, project
):
    client.force_login(cast.unit_filler)
    listing = client.get(reverse("budgets:project_list")).content.decode()
    pdf = _pdf_text(project_table_pdf(project))
    sheet = load_workbook(BytesIO(project_table_xlsx(project))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == float(HALF)]
    findings = [finding.message for finding in project_findings(project)]
    opinion = draft_opinion(project=project, card=build_scorecard(project, project.fiscal_year.profile))

    assert ("579.83" in listing, "579.82" in listing) == (True, False)
    assert ("579.83" in pdf, "579.82" in pdf) == (True, False)
    # Excel keeps the number and shows it with two places, which Excel rounds half away from zero: 579.83.
    assert cells and all(cell.number_format.endswith("0.00") for cell in cells)
    assert any("全年预算数 579.83 万元" in message for message in findings), findings
    assert "实际下达预算金额579.83万元" in opinion


# --- one grade for a record that states a total and no grade ---------------------------------------------------


def test_a_stated_total_without_a_stated_grade_reports_that_totals_grade_everywhere(client, cast, org, year, project):
    """Stated 92.00 and no grade, computed 良: 优 on the list, the table, the summary sheet and the dashboard.

    Before the one rule (domain.grades.reported_grade) the list, the page, the summary and the dashboard showed the
    computed 良 while the department table graded the stated total.
    """
    from evaluations.dashboard.figures import grade_distribution
    from evaluations.models import DepartmentEvaluation, ProjectEvaluation
    from evaluations.reports.department_table import build_department_table
    from evaluations.reports.summary import build_summary

    ProjectEvaluation.objects.filter(project=project).update(
        status=ProjectEvaluation.Status.APPROVED,
        claimed_total=Decimal(92),
        computed_total=Decimal(85),
        computed_grade="良",
        claimed_grade="",
    )
    department = DepartmentEvaluation.objects.create(
        fiscal_year=year,
        department=org.department,
        status=DepartmentEvaluation.Status.SUBMITTED,
        claimed_total=Decimal(92),
        computed_total=Decimal(85),
        computed_grade="良",
    )
    client.force_login(cast.department_reviewer)

    listed = client.get(reverse("budgets:project_list"), {"grade": "优"}).context["table"].data
    page = client.get(reverse("budgets:project_detail", kwargs={"pk": project.pk})).content.decode()
    summary = {row.project_name: row.self_grade for row in build_summary(fiscal_year=year, department=None).rows}
    distribution = grade_distribution(user=cast.finance_reviewer, fiscal_year=year)
    excellent = next(row for row in distribution.rows if row.grade == "优")

    assert [row.name for row in listed] == ["格式一致项目"]
    assert "等级：<strong>优</strong>" in page
    assert set(summary.values()) == {"优"}, summary
    assert (excellent.self_projects, excellent.self_department_wide) == (1, 1)
    assert (department.self_grade, build_department_table(department).grade) == ("优", "优")
