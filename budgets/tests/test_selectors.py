"""Reads of projects, scoped to the user first: who sees which projects, units and years, and the list's sums."""

from decimal import Decimal

import pytest

from accounts.scopes import units_visible_to
from budgets.models import BudgetLine, FiscalYear
from budgets.scopes import fiscal_years_visible_to, projects_visible_to
from evaluations.filling.selectors import project_list_rows
from evaluations.filling.services import project_create
from evaluations.models import ProjectEvaluation
from evaluations.tests.factories import FiscalYearFactory

DONGGUAN_PROJECTS = ["人社局信息化经费", "实验中学校舍维修", "技师学院培训经费", "社保经办经费"]
DONGGUAN_UNITS = [
    "东莞市人力资源和社会保障局",
    "东莞市实验中学",
    "东莞市技师学院",
    "东莞市教育局",
    "东莞市社会保险基金管理中心",
]


@pytest.fixture
def spread(org, year):
    """One project in each corner of the tree, and one of another finance bureau."""
    other_year = FiscalYearFactory(finance_bureau=org.other_bureau, year=2024)
    project_create(fiscal_year=year, unit=org.unit, name="技师学院培训经费")
    project_create(fiscal_year=year, unit=org.other_unit, name="社保经办经费")
    project_create(fiscal_year=year, unit=org.department, name="人社局信息化经费")
    project_create(fiscal_year=year, unit=org.foreign_unit, name="实验中学校舍维修")
    project_create(fiscal_year=other_year, unit=org.other_bureau_department, name="烈山区就业补助")
    return other_year


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("unit_filler", ["技师学院培训经费"]),
        ("other_unit_filler", ["社保经办经费"]),
        ("foreign_unit_filler", ["实验中学校舍维修"]),
        ("department_reviewer", ["人社局信息化经费", "技师学院培训经费", "社保经办经费"]),
        ("other_department_reviewer", ["实验中学校舍维修"]),
        ("finance_reviewer", DONGGUAN_PROJECTS),
        ("other_bureau_finance_reviewer", ["烈山区就业补助"]),
        ("admin", DONGGUAN_PROJECTS),
        ("no_organisation", []),
    ],
)
def test_each_user_sees_the_projects_of_their_part_of_the_tree(cast, spread, name, expected):
    projects = projects_visible_to(getattr(cast, name))

    assert sorted(projects.values_list("name", flat=True)) == expected


def test_an_inactive_user_sees_no_projects(cast, spread):
    cast.finance_reviewer.is_active = False
    cast.finance_reviewer.save(update_fields=["is_active"])

    assert list(projects_visible_to(cast.finance_reviewer)) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("unit_filler", ["东莞市技师学院"]),
        ("department_reviewer", ["东莞市人力资源和社会保障局", "东莞市技师学院", "东莞市社会保险基金管理中心"]),
        ("other_department_reviewer", ["东莞市实验中学", "东莞市教育局"]),
        ("finance_reviewer", DONGGUAN_UNITS),
        ("admin", DONGGUAN_UNITS),
        ("other_bureau_finance_reviewer", ["烈山区人社局"]),
        ("no_organisation", []),
    ],
)
def test_each_user_may_pick_only_the_units_they_see(cast, name, expected):
    units = units_visible_to(getattr(cast, name))

    assert sorted(units.values_list("name", flat=True)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("unit_filler", [(2024, "东莞市财政局"), (2023, "东莞市财政局")]),
        ("department_reviewer", [(2024, "东莞市财政局"), (2023, "东莞市财政局")]),
        ("finance_reviewer", [(2024, "东莞市财政局"), (2023, "东莞市财政局")]),
        ("other_bureau_finance_reviewer", [(2024, "烈山区财政局")]),
        ("no_organisation", []),
    ],
)
def test_each_user_sees_only_the_fiscal_years_of_their_bureau(cast, org, spread, name, expected):
    FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.CLOSED)

    years = fiscal_years_visible_to(getattr(cast, name))

    assert [(fy.year, fy.finance_bureau.name) for fy in years] == expected


@pytest.fixture
def amounts(org, year):
    """Three projects: two fund rows with amounts, a budget of 0, and nothing typed yet."""
    typed = project_create(fiscal_year=year, unit=org.unit, name="有金额")
    BudgetLine.objects.filter(project=typed, fund_source="本年财政拨款").update(
        initial_wan=Decimal("1200.5"), adjusted_wan=Decimal("1200.5"), executed_wan=Decimal("1100.25")
    )
    BudgetLine.objects.filter(project=typed, fund_source="上年结转资金").update(
        initial_wan=Decimal("300.25"), adjusted_wan=Decimal("300.25"), executed_wan=Decimal("250")
    )
    zero = project_create(fiscal_year=year, unit=org.unit, name="预算为零")
    BudgetLine.objects.filter(project=zero, fund_source="本年财政拨款").update(
        initial_wan=Decimal(0), adjusted_wan=Decimal(0), executed_wan=Decimal(0)
    )
    project_create(fiscal_year=year, unit=org.unit, name="未填写")


def _rates(user):
    return {
        row.name: (
            row.total_initial,
            row.total_adjusted,
            row.total_executed,
            None if row.execution_rate is None else row.execution_rate.quantize(Decimal("0.0001")),
        )
        for row in project_list_rows(user)
    }


def test_the_list_rows_carry_the_sums_of_the_fund_rows_and_the_execution_rate(cast, amounts):
    rates = _rates(cast.unit_filler)

    assert rates == {
        "有金额": (Decimal("1500.75"), Decimal("1500.75"), Decimal("1350.25"), Decimal("0.8997")),
        "预算为零": (Decimal(0), Decimal(0), Decimal(0), None),
        "未填写": (None, None, None, None),
    }


def test_the_execution_rate_of_whole_number_amounts_is_exact(cast, org, year):
    project = project_create(fiscal_year=year, unit=org.unit, name="整数金额")
    BudgetLine.objects.filter(project=project, fund_source="本年财政拨款").update(
        adjusted_wan=Decimal(100), executed_wan=Decimal(95)
    )

    rates = _rates(cast.unit_filler)

    assert rates == {"整数金额": (None, Decimal(100), Decimal(95), Decimal("0.9500"))}


@pytest.mark.parametrize(
    ("claimed_total", "computed_total", "claimed_grade", "computed_grade", "expected"),
    [
        (None, Decimal("88.5"), "", "良", (Decimal("88.50"), "良")),
        (Decimal("91"), Decimal("88.5"), "优", "良", (Decimal("91.00"), "优")),
        # A stated total without a stated grade reports that total's grade (domain.grades.reported_grade).
        (Decimal("91"), None, "", "", (Decimal("91.00"), "优")),
        (None, None, "", "", (None, None)),
    ],
    ids=["computed", "stated-wins", "stated-total-only", "nothing"],
)
def test_the_list_rows_report_the_stated_total_and_grade_before_the_computed_ones(
    cast, org, year, claimed_total, computed_total, claimed_grade, computed_grade, expected
):
    project = project_create(fiscal_year=year, unit=org.unit, name="自评项目")
    ProjectEvaluation.objects.filter(project=project).update(
        claimed_total=claimed_total,
        computed_total=computed_total,
        claimed_grade=claimed_grade,
        computed_grade=computed_grade,
    )

    row = project_list_rows(cast.unit_filler).get()

    assert (row.self_total, row.self_grade) == expected


def test_the_list_rows_are_read_in_one_query(cast, amounts, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = [
            (row.name, row.unit.name, row.fiscal_year.year, row.evaluation.status, row.total_adjusted)
            for row in project_list_rows(cast.unit_filler)
        ]

    assert len(rows) == 3


def test_the_list_rows_do_not_multiply_sums_when_filtered_by_status(cast, amounts):
    rows = project_list_rows(cast.unit_filler).filter(evaluation__status=ProjectEvaluation.Status.DRAFT)

    assert sorted((row.name, row.total_adjusted) for row in rows) == [
        ("有金额", Decimal("1500.75")),
        ("未填写", None),
        ("预算为零", Decimal(0)),
    ]
