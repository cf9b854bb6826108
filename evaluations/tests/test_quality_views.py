"""The 智能审核 list: per year and department, filtered, exported to Excel; each role sees only its own."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organisation, User
from budgets.models import FiscalYear, Project
from evaluations.demo import load_demo
from evaluations.quality.engine import findings_for
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

DONGGUAN = "东莞市人力资源和社会保障局"


@pytest.fixture
def demo():
    load_demo()


def _page_rows(response):
    return [(record.name, finding.code) for record, finding in response.context["rows"]]


def test_the_finance_reviewer_sees_the_years_findings_and_filters_them_by_rule(client, demo):
    client.force_login(User.objects.get(username="finance"))
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    expected = [(r.name, f.code) for r in findings_for(year) for f in r.findings]

    everything = client.get(reverse("quality:list"), {"year": 2024})
    only = client.get(reverse("quality:list"), {"year": 2024, "code": "self_vs_finance"})

    assert (everything.status_code, _page_rows(everything)) == (200, expected)
    assert _page_rows(only) == [row for row in expected if row[1] == "self_vs_finance"]
    assert len(_page_rows(only)) == 8


def test_a_department_reviewer_sees_only_their_department(client, demo):
    reviewer = User.objects.get(username="dept")
    client.force_login(reviewer)
    other = Organisation.objects.create(
        name="东莞市另一局", kind=Organisation.Kind.DEPARTMENT, parent=reviewer.organisation.parent
    )
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    Project.objects.create(fiscal_year=year, unit=other, name="另一局的项目")

    response = client.get(reverse("quality:list"), {"year": 2024, "department": other.pk})

    names = {record.unit.department.name for record, _ in response.context["rows"]}
    assert (response.status_code, names, "另一局的项目" in response.content.decode()) == (200, {DONGGUAN}, False)


def test_the_excel_export_holds_the_same_rows_as_text_that_cannot_run(client, demo):
    client.force_login(User.objects.get(username="finance"))
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    unit = Organisation.objects.get(name="东莞市技师学院")
    project = Project.objects.create(fiscal_year=year, unit=unit, name='=HYPERLINK("http://x","点击")')
    Indicator.objects.create(
        project=project,
        level1="产出指标",
        level2="数量指标",
        name="培训人次",
        sign="≥",
        target_text="10",
        target_value=10,
    )

    page = client.get(reverse("quality:list"), {"year": 2024})
    export = client.get(reverse("quality:list"), {"year": 2024, "format": "xlsx"})

    ws = load_workbook(BytesIO(export.content)).active
    exported = [(row[3], row[5]) for row in ws.iter_rows(min_row=3, values_only=True)]
    labels = [(record.name, finding.label) for record, finding in page.context["rows"]]
    assert (export.status_code, exported) == (200, labels)
    formulas = [c for row in ws.iter_rows(min_row=3) for c in row if str(c.value).startswith("=HYPERLINK")]
    assert formulas and {(c.data_type, c.quotePrefix) for c in formulas} == {("s", True)}


def test_unit_fillers_cannot_open_the_list(client, demo):
    client.force_login(User.objects.get(username="unit"))

    assert client.get(reverse("quality:list")).status_code == 403
