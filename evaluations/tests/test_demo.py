"""The demo data: every seed loaded, published claims kept beside the computed values, idempotent."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import HttpRequest

from accounts.models import Organisation, User
from budgets.models import BudgetLine, Project
from evaluations.demo import load_demo
from evaluations.models import (
    DepartmentEvaluation,
    DepartmentScoreItem,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
)
from indicators.models import Indicator, LibraryIndicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    return load_demo()


def _evaluation(name, year=None):
    lookup = {"project__name": name}
    if year:
        lookup["project__fiscal_year__year"] = year
    return ProjectEvaluation.objects.select_related("project").get(**lookup)


def _sides(name):
    e = _evaluation(name)
    return (e.computed_budget_score, e.computed_total, e.claimed_total)


def test_consistent_seed_004_tables_recompute_to_their_published_totals(demo):
    totals = {
        name: _sides(name)
        for name in ("人才发展资金", "人事档案管理费（2023）", "基层就业和社会保障中心标准化建设项目（2023）")
    }

    assert totals == {
        "人才发展资金": (Decimal("10.00"), Decimal("95.00"), Decimal("95.00")),
        "人事档案管理费（2023）": (Decimal("10.00"), Decimal("94.00"), Decimal("94.00")),
        "基层就业和社会保障中心标准化建设项目（2023）": (Decimal("10.00"), Decimal("93.00"), Decimal("93.00")),
    }


def test_inconsistent_tables_keep_the_published_total_beside_the_computed_one(demo):
    totals = {name: _sides(name) for name in ("老字号", "城乡居民基本养老保险", "社保公共服务能力建设资金")}

    assert totals == {
        # Seed 001: the rows add up to 90 (weights 10 + 80), the table says 100.
        "老字号": (Decimal("10.00"), Decimal("90.00"), Decimal("100.00")),
        "城乡居民基本养老保险": (Decimal("10.00"), Decimal("100.00"), Decimal("97.50")),
        # Seed 004: 2.20 of 15.15 executed is 14.52%, worth 1.45 points, yet the table claims 10.
        "社保公共服务能力建设资金": (Decimal("1.45"), Decimal("82.45"), Decimal("91.00")),
    }


def test_published_budget_score_and_rate_are_kept_as_written(demo):
    e = _evaluation("社保公共服务能力建设资金")

    assert (e.claimed_budget_score, e.stated_execution_rate) == (Decimal("10.00"), Decimal("0.145000"))


def test_seed_001_stores_its_indicators_and_not_its_empty_categories(demo):
    # 生态效益指标 and 可持续影响指标 are printed with nothing beside them: layout, not indicators (the national
    # table still prints every category of the taxonomy).
    project = Project.objects.get(name="老字号")

    rows = [(i.level2, i.name, i.sign, i.weight, i.claimed_score) for i in project.indicators.all()]

    assert rows == [
        ("数量指标", "运转保障率", "≤", Decimal("20.00"), Decimal("20.00")),
        ("质量指标", "经费支出合规律", "", Decimal("10.00"), Decimal("10.00")),
        ("时效指标", "经费支出及时率", "", Decimal("10.00"), Decimal("10.00")),
        ("成本指标", "项目单项成本", "≤", Decimal("10.00"), Decimal("10.00")),
        ("经济效益指标", "保障机构正常运转", "定性", Decimal("10.00"), Decimal("10.00")),
        ("社会效益指标", "政策宣传", "定性", Decimal("10.00"), Decimal("10.00")),
        ("服务对象满意度指标", "群众满意度", "", Decimal("10.00"), Decimal("10.00")),
    ]


def test_seed_001_qualitative_actuals_map_to_the_official_label(demo):
    labels = list(
        Indicator.objects.filter(project__name="老字号", sign="定性").values_list("actual_text", "actual_label")
    )

    assert labels == [("达成预期指标", "达成年度指标"), ("达成预期指标", "达成年度指标")]


def test_seed_004_uses_the_sichuan_fund_rows_and_codes(demo):
    project = Project.objects.get(name="人才发展资金")

    lines = [(b.fund_source, b.initial_wan, b.adjusted_wan, b.executed_wan) for b in project.budget_lines.all()]

    assert (project.code, project.fiscal_year.profile.code, lines) == (
        "51090422T000005836329",
        "sichuan",
        [
            ("财政资金", Decimal("9.000000"), Decimal("133.630000"), Decimal("133.630000")),
            ("财政专户管理资金", Decimal("0E-6"), Decimal("0E-6"), Decimal("0E-6")),
            ("单位资金", Decimal("0E-6"), Decimal("0E-6"), Decimal("0E-6")),
            ("其他资金", None, None, None),
        ],
    )


def test_seed_000_summary_rows_keep_their_order_grades_and_opinions(demo):
    projects = Project.objects.filter(fiscal_year__year=2024, fiscal_year__finance_bureau__name="东莞市财政局")

    rows = list(projects.order_by("sort_order").values_list("sort_order", "unit__name", "evaluation__claimed_grade"))

    assert (len(rows), rows[0], rows[-2], rows[-1]) == (
        35,
        (2, "东莞市人力资源和社会保障局", "良"),
        (35, "东莞市社会保险基金管理中心", "优"),
        (36, "东莞市社会保险基金管理中心", "优"),
    )


def test_seed_000_has_seventeen_finance_reviews_including_the_department_wide_row(demo):
    reviews = FinanceReview.objects.all()
    department_wide = DepartmentEvaluation.objects.get(department__name="东莞市人力资源和社会保障局")

    assert (
        reviews.count(),
        department_wide.sort_order,
        department_wide.claimed_grade,
        department_wide.review.grade,
    ) == (
        17,
        1,
        "良",
        "良",
    )


def test_seed_000_opinions_are_stored_as_sanitised_paragraphs(demo):
    review = FinanceReview.objects.get(evaluation__project__name="技能人才之都2.0")

    assert review.opinion_html.startswith(
        "<p>1. 预算执行情况：市级财政年初预算金额576.60万元，实际下达预算金额756.75万元"
    )


def test_seed_000_reviewed_projects_get_their_budget_from_the_opinion(demo):
    line = BudgetLine.objects.get(project__name="促进创业带动就业补贴（一级）")
    evaluation = _evaluation("促进创业带动就业补贴（一级）")

    assert (line.initial_wan, line.adjusted_wan, line.executed_wan, evaluation.computed_budget_score) == (
        Decimal("9932.920000"),
        Decimal("8674.580000"),
        Decimal("8453.360000"),
        Decimal("9.74"),
    )


def test_unsampled_seed_000_rows_have_no_review(demo):
    evaluation = _evaluation("促进就业创业专项资金")

    assert (evaluation.status, FinanceReview.objects.filter(evaluation=evaluation).exists()) == ("approved", False)


def test_department_wide_evaluations_of_seeds_003_and_004_keep_their_published_totals(demo):
    totals = dict(
        DepartmentEvaluation.objects.filter(claimed_total__isnull=False).values_list(
            "department__name", "claimed_total"
        )
    )
    anju = DepartmentEvaluation.objects.get(department__name="遂宁市安居区人力资源和社会保障局")

    assert (totals, anju.computed_total, anju.score_items.count()) == (
        {
            "广州市番禺区人力资源和社会保障局": Decimal("99.66"),
            "遂宁市安居区人力资源和社会保障局": Decimal("89.00"),
        },
        Decimal("89.00"),
        12,
    )


def test_panyu_budget_execution_item_is_computed_from_its_rate_as_published(demo):
    item = DepartmentScoreItem.objects.get(
        evaluation__department__name="广州市番禺区人力资源和社会保障局", indicator__name="部门预算资金支出率"
    )

    assert item.claimed_score == Decimal("9.69")


def test_every_imported_evaluation_has_one_audit_record(demo):
    assert EvaluationTransition.objects.count() == ProjectEvaluation.objects.count() == 47


def test_loading_twice_changes_nothing(demo):
    before = _snapshot()

    call_command("load_demo", verbosity=0)

    assert _snapshot() == before


def _snapshot():
    return {
        model.__name__: model.objects.count()
        for model in (
            Organisation,
            User,
            Project,
            BudgetLine,
            Indicator,
            ProjectEvaluation,
            EvaluationTransition,
            DepartmentEvaluation,
            DepartmentScoreItem,
            FinanceReview,
            LibraryIndicator,
        )
    } | {"totals": list(ProjectEvaluation.objects.order_by("pk").values_list("computed_total", "claimed_total"))}


def test_every_demo_account_logs_in_with_the_published_password(demo, client):
    results = {
        username: client.login(request=HttpRequest(), username=username, password="demo1234") for username in demo.users
    }

    assert results == dict.fromkeys(demo.users, True)


def test_main_demo_accounts_have_their_roles_and_organisations(demo):
    accounts = dict(
        User.objects.filter(username__in=["admin", "finance", "dept", "unit", "unit2"]).values_list("username", "role")
    )
    organisations = dict(
        User.objects.filter(username__in=["dept", "unit", "unit2"]).values_list("username", "organisation__name")
    )

    assert (accounts, organisations) == (
        {
            "admin": "admin",
            "finance": "finance_reviewer",
            "dept": "department_reviewer",
            "unit": "unit_filler",
            "unit2": "unit_filler",
        },
        {"dept": "东莞市人力资源和社会保障局", "unit": "东莞市技师学院", "unit2": "东莞市社会保险基金管理中心"},
    )
