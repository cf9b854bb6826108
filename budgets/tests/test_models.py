"""Limits the database itself enforces on the organisation tree, rule profiles, projects and budget lines, and
the two rule profiles that migration 0002 installs (SPEC §2, §4.1–4.2, §6).

The organisation tree lives in accounts; its constraint is tested here because projects hang off it.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Organisation
from budgets.models import BudgetLine, Project, RuleProfile
from evaluations.tests.factories import BudgetLineFactory, FiscalYearFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org, year):
    return ProjectFactory(fiscal_year=year, unit=org.unit, name="日常办学经费", code="44190022T000000001")


def _grades(excellent, good, fair):
    return {"grade_excellent_min": Decimal(excellent), "grade_good_min": Decimal(good), "grade_fair_min": Decimal(fair)}


# --- the organisation tree --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Organisation.Kind.DEPARTMENT, Organisation.Kind.UNIT])
def test_a_root_organisation_that_is_not_a_finance_bureau_is_refused(kind):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        OrganisationFactory(name="无上级单位", kind=kind, parent=None)

    assert ("organisation_only_bureaus_are_roots" in str(refused.value), Organisation.objects.count()) == (True, 0)


def test_a_finance_bureau_under_another_organisation_is_refused(org):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        OrganisationFactory(name="下级财政局", kind=Organisation.Kind.FINANCE_BUREAU, parent=org.bureau)

    assert (
        "organisation_only_bureaus_are_roots" in str(refused.value),
        Organisation.objects.filter(name="下级财政局").exists(),
    ) == (True, False)


# --- rule profiles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grades",
    [
        _grades(80, 80, 60),
        _grades(80, 90, 60),
        _grades(90, 60, 60),
        _grades(90, 60, 80),
        _grades(90, 80, -1),
    ],
    ids=["优-equals-良", "良-above-优", "中-equals-良", "中-above-良", "中-negative"],
)
def test_grade_thresholds_that_do_not_descend_are_refused(grades):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        RuleProfile.objects.create(code="custom", name="自定义", **grades)

    assert (
        "ruleprofile_grade_thresholds_descend" in str(refused.value),
        RuleProfile.objects.filter(code="custom").exists(),
    ) == (True, False)


def test_the_80_70_60_thresholds_some_provinces_use_are_accepted():
    profile = RuleProfile.objects.create(code="provincial", name="某省", **_grades(80, 70, 60))

    assert RuleProfile.objects.get(pk=profile.pk).grade_thresholds == {
        "优": Decimal("80.00"),
        "良": Decimal("70.00"),
        "中": Decimal("60.00"),
    }


# --- projects ---------------------------------------------------------------------------------------


def test_a_second_project_of_the_same_name_in_the_same_unit_and_year_is_refused(org, year, project):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectFactory(fiscal_year=year, unit=org.unit, name="日常办学经费")

    assert list(Project.objects.filter(name="日常办学经费").values_list("unit__name", "fiscal_year__year")) == [
        ("东莞市技师学院", 2024)
    ]


def test_the_same_project_name_is_fine_in_another_unit_and_in_another_year(org, year, project):
    next_year = FiscalYearFactory(finance_bureau=org.bureau, year=2025)

    ProjectFactory(fiscal_year=year, unit=org.other_unit, name="日常办学经费")
    ProjectFactory(fiscal_year=next_year, unit=org.unit, name="日常办学经费")

    assert sorted(Project.objects.filter(name="日常办学经费").values_list("unit__name", "fiscal_year__year")) == [
        ("东莞市技师学院", 2024),
        ("东莞市技师学院", 2025),
        ("东莞市社会保险基金管理中心", 2024),
    ]


def test_a_second_project_with_the_same_code_in_the_same_year_is_refused(org, year, project):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectFactory(fiscal_year=year, unit=org.other_unit, name="另一个项目", code="44190022T000000001")

    assert list(Project.objects.filter(code="44190022T000000001").values_list("name", flat=True)) == ["日常办学经费"]


def test_the_same_code_is_fine_in_another_year(org, year, project):
    next_year = FiscalYearFactory(finance_bureau=org.bureau, year=2025)

    ProjectFactory(fiscal_year=next_year, unit=org.unit, name="日常办学经费", code="44190022T000000001")

    assert sorted(Project.objects.filter(code="44190022T000000001").values_list("fiscal_year__year", flat=True)) == [
        2024,
        2025,
    ]


def test_two_projects_without_a_code_in_the_same_year_are_fine(org, year):
    ProjectFactory(fiscal_year=year, unit=org.unit, name="人才培养经费", code="")

    ProjectFactory(fiscal_year=year, unit=org.other_unit, name="社保经办经费", code="")

    assert sorted(Project.objects.filter(fiscal_year=year, code="").values_list("name", flat=True)) == [
        "人才培养经费",
        "社保经办经费",
    ]


# --- budget lines -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["initial_wan", "adjusted_wan", "executed_wan"])
def test_a_negative_budget_amount_is_refused(project, field):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        BudgetLineFactory(project=project, **{field: Decimal("-0.000001")})

    assert ("budgetline_amounts_non_negative" in str(refused.value), BudgetLine.objects.count()) == (True, 0)


def test_zero_and_missing_budget_amounts_are_accepted(project):
    BudgetLineFactory(project=project, fund_source="本年财政拨款", initial_wan=0, adjusted_wan=0, executed_wan=0)
    BudgetLineFactory(project=project, fund_source="其他资金", initial_wan=None, adjusted_wan=None, executed_wan=None)

    rows = list(project.budget_lines.order_by("fund_source").values_list("initial_wan", "adjusted_wan", "executed_wan"))

    assert rows == [(None, None, None), (Decimal(0), Decimal(0), Decimal(0))]


def test_a_fund_source_appears_only_once_per_project(project):
    BudgetLineFactory(project=project, fund_source="上年结转资金")

    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetLineFactory(project=project, fund_source="上年结转资金")

    assert list(project.budget_lines.values_list("fund_source", flat=True)) == ["上年结转资金"]


def test_the_same_fund_source_is_fine_in_another_project(org, year, project):
    other = ProjectFactory(fiscal_year=year, unit=org.unit, name="实训设备购置")
    BudgetLineFactory(project=project, fund_source="本年财政拨款")

    BudgetLineFactory(project=other, fund_source="本年财政拨款")

    assert sorted(BudgetLine.objects.values_list("project__name", "fund_source")) == [
        ("实训设备购置", "本年财政拨款"),
        ("日常办学经费", "本年财政拨款"),
    ]


# --- the builtin rule profiles ----------------------------------------------------------------------


def _settings(profile):
    return {
        "layout": profile.layout,
        "total_points": profile.total_points,
        "budget_weight": profile.budget_weight,
        "grades": (profile.grade_excellent_min, profile.grade_good_min, profile.grade_fair_min),
        "over_achievement_ratio": profile.over_achievement_ratio,
        "target_too_low_ratio": profile.target_too_low_ratio,
        "execution_reason_threshold": profile.execution_reason_threshold,
    }


def _taxonomy(profile):
    return [
        (level1.name, level1.weight, level1.required, [level2.name for level2 in level1.level2_categories.all()])
        for level1 in profile.level1_categories.all()
    ]


def _department_system(profile):
    return [
        (item.level1, item.level1_points, item.level2, item.level2_points, item.name, item.points, item.formula)
        for item in profile.department_indicators.all()
    ]


def test_migration_0002_installs_the_national_and_the_sichuan_profile():
    assert list(RuleProfile.objects.values_list("code", "name")) == [
        ("national", "全国通用（财预〔2020〕10号）"),
        ("sichuan", "四川省（部门预算项目支出绩效自评表）"),
    ]


def test_the_national_profile_follows_the_national_form():
    profile = RuleProfile.objects.get(code="national")

    assert (_settings(profile), _taxonomy(profile), [f.name for f in profile.fund_sources.all()]) == (
        {
            "layout": "national",
            "total_points": Decimal("100.00"),
            "budget_weight": Decimal("10.00"),
            "grades": (Decimal("90.00"), Decimal("80.00"), Decimal("60.00")),
            "over_achievement_ratio": Decimal("1.200000"),
            "target_too_low_ratio": Decimal("1.500000"),
            "execution_reason_threshold": Decimal("0.900000"),
        },
        [
            ("产出指标", Decimal("50.00"), True, ["数量指标", "质量指标", "时效指标", "成本指标"]),
            ("效益指标", Decimal("30.00"), True, ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]),
            ("满意度指标", Decimal("10.00"), True, ["服务对象满意度指标"]),
        ],
        ["本年财政拨款", "上年结转资金", "其他资金"],
    )


def test_the_national_department_system_is_50_points_of_performance_and_50_of_management():
    profile = RuleProfile.objects.get(code="national")

    assert _department_system(profile) == [
        ("履职效能", 50, "部门整体绩效目标", 40, "产出指标完成情况", 20, "judged"),
        ("履职效能", 50, "部门整体绩效目标", 40, "效益指标完成情况", 20, "judged"),
        ("履职效能", 50, "部门预算资金支出率", 10, "部门预算资金支出率", 10, "budget_execution_rate"),
        ("管理效率", 50, "预算编制", 6, "预算编制", 6, "judged"),
        ("管理效率", 50, "预算执行", 8, "预算执行", 8, "judged"),
        ("管理效率", 50, "信息公开", 4, "信息公开", 4, "judged"),
        ("管理效率", 50, "绩效管理", 8, "绩效管理", 8, "judged"),
        ("管理效率", 50, "采购管理", 10, "采购管理", 10, "judged"),
        ("管理效率", 50, "资产管理", 10, "资产管理", 10, "judged"),
        ("管理效率", 50, "运行成本", 4, "运行成本", 4, "judged"),
    ]


def test_the_sichuan_profile_follows_the_sichuan_form():
    profile = RuleProfile.objects.get(code="sichuan")

    assert (_settings(profile), _taxonomy(profile), [f.name for f in profile.fund_sources.all()]) == (
        {
            "layout": "sichuan",
            "total_points": Decimal("100.00"),
            "budget_weight": Decimal("10.00"),
            "grades": (Decimal("90.00"), Decimal("80.00"), Decimal("60.00")),
            "over_achievement_ratio": Decimal("1.200000"),
            "target_too_low_ratio": Decimal("1.500000"),
            "execution_reason_threshold": Decimal("0.900000"),
        },
        [
            ("产出指标", None, True, ["数量指标", "质量指标", "时效指标", "成本指标"]),
            ("效益指标", None, True, ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]),
            ("成本指标", None, False, ["经济成本指标", "社会成本指标", "生态环境成本指标"]),
            ("满意度指标", None, True, ["服务对象满意度指标", "满意度指标"]),
        ],
        ["财政资金", "财政专户管理资金", "单位资金", "其他资金"],
    )


def test_the_sichuan_department_system_has_the_12_indicators_of_seed_004():
    profile = RuleProfile.objects.get(code="sichuan")

    assert _department_system(profile) == [
        ("部门预算管理", 80, "预算编制", 30, "目标制定", 10, "judged"),
        ("部门预算管理", 80, "预算编制", 30, "目标实现", 10, "goal_achievement"),
        ("部门预算管理", 80, "预算编制", 30, "编制准确", 10, "compilation_accuracy"),
        ("部门预算管理", 80, "预算执行", 30, "支出控制", 10, "expenditure_control"),
        ("部门预算管理", 80, "预算执行", 30, "动态调整", 10, "dynamic_adjustment"),
        ("部门预算管理", 80, "预算执行", 30, "执行进度", 10, "execution_progress"),
        ("部门预算管理", 80, "完成结果", 20, "预算完成", 10, "budget_completion"),
        ("部门预算管理", 80, "完成结果", 20, "违规记录", 10, "violations"),
        ("绩效结果应用", 10, "信息公开", 2, "自评公开", 2, "judged"),
        ("绩效结果应用", 10, "整改反馈", 8, "结果整改", 4, "judged"),
        ("绩效结果应用", 10, "整改反馈", 8, "应用反馈", 4, "judged"),
        ("自评质量", 10, "自评质量", 10, "自评准确", 10, "self_evaluation_accuracy"),
    ]


def test_in_the_sichuan_system_only_self_evaluation_accuracy_is_left_to_the_finance_bureau():
    profile = RuleProfile.objects.get(code="sichuan")

    not_self_scored = list(profile.department_indicators.filter(self_scored=False).values_list("name", flat=True))

    # 自评准确 is scored by the evaluation team, so a department's own score tops out at 90 (SPEC §7).
    assert (not_self_scored, sum(i.points for i in profile.department_indicators.filter(self_scored=True))) == (
        ["自评准确"],
        Decimal("90.00"),
    )
