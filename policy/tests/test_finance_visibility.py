"""Finance results reach units and departments only once the year is published (SPEC §12), and the official
outputs list only records that reached 已提交 (SPEC §13).

On the demo, 东莞 2024 is 财政审核中: the finance reviewer (`finance`) sees the 财政抽查审核结果, opinions,
reviewer scores and the self-vs-finance findings in every page and output; the department reviewer (`dept`)
sees none of them until the year is finalised and published.
"""

import re
import shutil
import subprocess
import zipfile
from io import BytesIO

import pytest
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organisation, User
from budgets.models import FiscalYear, Project
from evaluations.demo import load_demo
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation, ReportExport
from evaluations.reports.exports import export_run
from evaluations.richtext import opinion_paragraphs
from evaluations.tests.factories import ProjectEvaluationFactory, ProjectFactory
from evaluations.workflow.lifecycle import fiscal_year_finalise, fiscal_year_publish

pytestmark = pytest.mark.django_db

DEPARTMENT = "东莞市人力资源和社会保障局"
HEADER_ROW = 3
SELF_VS_FINANCE = "自评与财政抽查结果不一致"
NOT_PUBLISHED = "未公开"
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the module inside a transaction rolled back at its end (like setUpTestData)."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def dongguan(demo, db):
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    department = Organisation.objects.get(name=DEPARTMENT)
    department_evaluation = DepartmentEvaluation.objects.get(fiscal_year=year, department=department)
    return {
        "year": year,
        "department": department,
        "department_evaluation": department_evaluation,
        "review": department_evaluation.review,
        "finance": User.objects.get(username="finance"),
        "dept": User.objects.get(username="dept"),
    }


def _publish(dongguan):
    finance = dongguan["finance"]
    year = fiscal_year_finalise(fiscal_year=dongguan["year"], actor=finance)
    return fiscal_year_publish(fiscal_year=year, actor=finance)


def _as(client, user):
    client.force_login(user)
    return client


# --- what a page or file shows ----------------------------------------------------------------------------


def _summary_xlsx_rows(client, year):
    response = client.get(reverse("reports:summary", kwargs={"year": year.year, "fmt": "xlsx"}))
    ws = load_workbook(BytesIO(response.content)).active
    return [
        tuple("" if value is None else value for value in row)
        for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
    ]


def _finance_cells(rows):
    """(财政抽查审核结果, 财政抽查审核意见) of every row, the opinion cut to its first paragraph."""
    return [(row[5], str(row[6]).split("\n")[0]) for row in rows]


def _summary_pdf_text(client, year):
    response = client.get(reverse("reports:summary", kwargs={"year": year.year, "fmt": "pdf"}))
    extracted = subprocess.run([PDFTOTEXT, "-", "-"], input=response.content, capture_output=True, check=True)
    return re.sub(r"\s+", "", extracted.stdout.decode())


def _department_page(client, dongguan):
    evaluation = dongguan["department_evaluation"]
    url = reverse(
        "department:detail", kwargs={"year": dongguan["year"].year, "department_pk": evaluation.department_id}
    )
    return client.get(url)


def _opinion_paragraph(review, index=1):
    """A paragraph of a stored opinion as pages and files show it (seed 000 row 1: 一、预算执行方面: …)."""
    return opinion_paragraphs(review.opinion_html)[index]


def _dashboard(client, year):
    return client.get(reverse("dashboard:index"), {"year": year.year})


def _finance_grade_counts(response):
    return [row.finance_count for row in response.context["dashboard"].grades.rows]


def _quality_codes(client, year):
    response = client.get(reverse("quality:list"), {"year": year.year})
    return [finding.code for _, finding in response.context["rows"]]


def _quality_xlsx_rules(client, year):
    response = client.get(reverse("quality:list"), {"year": year.year, "format": "xlsx"})
    ws = load_workbook(BytesIO(response.content)).active
    return {row[5] for row in ws.iter_rows(min_row=3, values_only=True)}


# --- finance results: the bureau's at once, everyone's from publication on (SPEC §12) -------------------------


def test_the_summary_excel_shows_finance_results_to_finance_at_once_and_to_the_department_once_published(
    client, dongguan
):
    finance = _summary_xlsx_rows(_as(client, dongguan["finance"]), dongguan["year"])
    before = _summary_xlsx_rows(_as(client, dongguan["dept"]), dongguan["year"])
    year = _publish(dongguan)
    after = _summary_xlsx_rows(client, year)

    graded = [cells for cells in _finance_cells(finance) if cells[0]]
    assert (len(finance), len(graded), graded[0]) == (36, 17, ("良", _opinion_paragraph(dongguan["review"], 0)))
    assert (len(before), set(_finance_cells(before))) == (36, {(NOT_PUBLISHED, NOT_PUBLISHED)})
    assert _finance_cells(after) == _finance_cells(finance)


def test_the_summary_pdf_shows_the_opinions_to_finance_at_once_and_to_the_department_once_published(client, dongguan):
    finance = _summary_pdf_text(_as(client, dongguan["finance"]), dongguan["year"])
    before = _summary_pdf_text(_as(client, dongguan["dept"]), dongguan["year"])
    year = _publish(dongguan)
    after = _summary_pdf_text(client, year)

    assert [
        ("预算执行情况" in text, "绩效等级" in text, NOT_PUBLISHED in text) for text in (finance, before, after)
    ] == [
        (True, True, False),
        (False, False, True),
        (True, True, False),
    ]


def test_the_department_page_shows_the_finance_review_to_finance_at_once_and_to_the_department_once_published(
    client, dongguan
):
    opinion = _opinion_paragraph(dongguan["review"])
    finance = _department_page(_as(client, dongguan["finance"]), dongguan)
    before = _department_page(_as(client, dongguan["dept"]), dongguan)
    _publish(dongguan)
    after = _department_page(client, dongguan)

    seen = [
        (
            page.context["review"],
            len(page.context["opinion"]),
            opinion in page.content.decode(),
            "审核结果：" in page.content.decode(),
        )
        for page in (finance, before, after)
    ]
    paragraphs = len(opinion_paragraphs(dongguan["review"].opinion_html))
    assert seen == [
        (dongguan["review"], paragraphs, True, True),
        (None, 0, False, False),
        (dongguan["review"], paragraphs, True, True),
    ]
    assert list(finance.context["reviewable_statuses"]) == list(DepartmentEvaluation.REVIEWABLE)


def test_the_dashboard_counts_finance_grades_for_finance_at_once_and_for_the_department_once_published(
    client, dongguan
):
    reviews = FinanceReview.objects.filter(status=FinanceReview.Status.COMPLETED, excluded=False)
    completed = (
        reviews.filter(evaluation__project__fiscal_year=dongguan["year"]).count()
        + reviews.filter(department_evaluation__fiscal_year=dongguan["year"]).count()
    )
    finance = _dashboard(_as(client, dongguan["finance"]), dongguan["year"])
    before = _dashboard(_as(client, dongguan["dept"]), dongguan["year"])
    year = _publish(dongguan)
    after = _dashboard(client, year)

    counts = _finance_grade_counts(finance)
    assert (sum(counts), finance.context["charts"]["grades"]["series"][1]["data"]) == (completed, counts)
    assert (
        _finance_grade_counts(before),
        before.context["charts"]["grades"]["series"][1]["data"],
        SELF_VS_FINANCE in [row.label for row in before.context["dashboard"].findings.rows],
        SELF_VS_FINANCE in before.content.decode(),
    ) == ([0, 0, 0, 0], [None, None, None, None], False, False)
    assert (_finance_grade_counts(after), SELF_VS_FINANCE in after.content.decode()) == (counts, True)


def test_the_quality_list_and_excel_show_self_vs_finance_findings_to_finance_first_and_to_the_department_once_published(
    client, dongguan
):
    _as(client, dongguan["finance"])
    finance = (_quality_codes(client, dongguan["year"]), _quality_xlsx_rules(client, dongguan["year"]))
    _as(client, dongguan["dept"])
    before = (_quality_codes(client, dongguan["year"]), _quality_xlsx_rules(client, dongguan["year"]))
    year = _publish(dongguan)
    after = (_quality_codes(client, year), _quality_xlsx_rules(client, year))

    assert [
        (codes.count("self_vs_finance"), SELF_VS_FINANCE in rules) for codes, rules in (finance, before, after)
    ] == [
        (8, True),
        (0, False),
        (8, True),
    ]
    assert (len(before[0]), len(after[0])) == (len(finance[0]) - 8, len(finance[0]))


def test_a_background_summary_export_shows_finance_results_to_its_owner_only_as_the_policy_allows(dongguan):
    def run(owner):
        export = ReportExport.objects.create(
            owner=owner,
            kind=ReportExport.Kind.SUMMARY,
            format=ReportExport.Format.XLSX,
            fiscal_year=dongguan["year"],
            department=dongguan["department"],
        )
        export_run(export=export)
        ws = load_workbook(BytesIO(export.file.read())).active
        return export.status, [(row[5], row[6]) for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]

    finance = run(dongguan["finance"])
    department = run(dongguan["dept"])

    assert (finance[0], sum(1 for grade, _ in finance[1] if grade in "优良中差" and grade)) == ("done", 17)
    assert (department[0], set(department[1])) == ("done", {(NOT_PUBLISHED, NOT_PUBLISHED)})


# --- only what reached 已提交 (SPEC §13) ------------------------------------------------------------------


@pytest.fixture
def finalised_with_open_records(dongguan):
    """东莞 2024 finalised with a draft never submitted (→ 未提交) and a submission never approved (→ 未完成)."""
    unit = Organisation.objects.get(name="东莞市技师学院")
    draft = ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=dongguan["year"], unit=unit, name="从未提交的项目")
    )
    submitted = ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=dongguan["year"], unit=unit, name="提交后未审核的项目"),
        status=ProjectEvaluation.Status.SUBMITTED,
    )
    year = fiscal_year_finalise(fiscal_year=dongguan["year"], actor=dongguan["finance"])
    draft.refresh_from_db()
    submitted.refresh_from_db()
    assert (draft.status, submitted.status) == (
        ProjectEvaluation.Status.UNSUBMITTED,
        ProjectEvaluation.Status.INCOMPLETE,
    )
    return year


def _reached_submission(year, department=None):
    projects = Project.objects.filter(fiscal_year=year, evaluation__status__in=ProjectEvaluation.REACHED_SUBMISSION)
    return projects.of_department(department) if department is not None else projects


def test_the_summary_sheet_leaves_out_a_draft_never_submitted_in_a_finalised_year(
    client, dongguan, finalised_with_open_records
):
    rows = _summary_xlsx_rows(_as(client, dongguan["finance"]), finalised_with_open_records)

    names = [row[3] for row in rows]
    assert ("从未提交的项目" in names, "提交后未审核的项目" in names, len(rows)) == (False, True, 37)


def test_the_department_statement_counts_only_projects_that_reached_submission(
    client, dongguan, finalised_with_open_records
):
    year = finalised_with_open_records
    expected = _reached_submission(year, dongguan["department"]).count()
    url = reverse(
        "reports:department_statement", kwargs={"year": year.year, "department_pk": dongguan["department"].pk}
    )

    response = _as(client, dongguan["dept"]).get(url)

    text = "\n".join(text for _, text in response.context["sections"])
    assert (
        f"共{expected}个项目" in text,
        "从未提交的项目" in text,
        "提交后未审核的项目" in text,
        expected,
    ) == (True, False, True, 36)


def test_the_dashboard_counts_every_record_that_reached_submission_and_no_other(
    client, dongguan, finalised_with_open_records
):
    year = finalised_with_open_records

    dashboard = _dashboard(_as(client, dongguan["finance"]), year).context["dashboard"]

    projects = _reached_submission(year).count()
    assert (dashboard.execution.projects, dashboard.grades.records) == (projects, projects + 1)


def test_the_project_table_bundle_leaves_out_a_draft_never_submitted(dongguan, finalised_with_open_records):
    export = ReportExport.objects.create(
        owner=dongguan["dept"],
        kind=ReportExport.Kind.PROJECT_TABLES,
        format=ReportExport.Format.XLSX,
        fiscal_year=finalised_with_open_records,
        department=dongguan["department"],
    )

    export_run(export=export)

    names = zipfile.ZipFile(BytesIO(export.file.read())).namelist()
    assert (
        export.status,
        any("从未提交的项目" in name for name in names),
        any("提交后未审核的项目" in name for name in names),
        len(names),
    ) == ("done", False, True, 38)
