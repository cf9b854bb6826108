"""Quality checks that used to stay silent (issue 16, finding 6), one test each.

Each test starts from ``clean`` (make_submittable: no finding at all) and writes what a published or typed
table says: full marks with nothing to support them, a row without 计算符号, a table without 满意度 under a
profile that does not fix its points, a whole-percent 执行率, and a 总分 above rows with an empty weight-0 row.
"""

from decimal import Decimal

import pytest

from budgets.models import BudgetLine, ProfileLevel1, Project, RuleProfile
from evaluations.quality.engine import project_findings
from evaluations.quality.findings import ERROR, GRID, HINT
from evaluations.quality.validation import submission_problems
from evaluations.tests.factories import (
    FiscalYearFactory,
    IndicatorFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    make_submittable,
)

pytestmark = pytest.mark.django_db

D = Decimal


def _project(year, unit, name="日常办学经费"):
    project = make_submittable(ProjectFactory(fiscal_year=year, unit=unit, name=name))
    ProjectEvaluationFactory(project=project)
    return project


@pytest.fixture
def clean(org, year):
    """日常办学经费 (national): budget 100 → 95 万元, 培训人数 50 + 就业质量提升 30 + 学员满意度 10."""
    return _project(year, org.unit)


def _findings(project):
    return project_findings(Project.objects.get(pk=project.pk))


def _shown(project):
    """(code, severity, field, message, values) of each finding, in the engine's order."""
    return [(f.code, f.severity, f.field, f.message, dict(f.values)) for f in _findings(project)]


def _update(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(fields))


def _training(project):
    return project.indicators.get(name="培训人数")


# 1. full marks and neither a target nor an actual


def test_full_marks_without_a_target_or_an_actual(clean):
    # As published: the row keeps its 分值 and 得分 (50 of 50) and nothing else, not even a 计算符号.
    _update(_training(clean), sign="", target_text="", target_value=None, actual_text="", actual_value=None)
    found = _shown(clean)
    _update(_training(clean), claimed_score=D(45))
    below_full = _findings(clean)

    assert (found, below_full) == (
        [
            (
                "full_score_without_values",
                ERROR,
                "claimed_score",
                "“培训人数”得分 50.00 分为满分（分值 50.00 分），但没有年度指标值和实际完成值。",
                {"claimed": D(50), "weight": D(50)},
            )
        ],
        [],
    )


def test_full_marks_with_only_a_qualitative_label_is_supported(clean):
    # 就业质量提升 (定性, 30 of 30): without a target text its 完成情况 label still supports the score.
    _update(clean.indicators.get(name="就业质量提升"), target_text="", actual_text="")

    assert _findings(clean) == []


# 2. a row without 计算符号: read as 正向, and its claimed score against the 正向 score


def test_a_row_without_a_sign_is_read_as_positive_and_its_score_compared(clean):
    # 80 of a target of 100 earns 40 of 50 as 正向; the table claims the full 50.
    _update(_training(clean), sign="", target_text="100", actual_text="80", actual_value=D(80))
    found = _shown(clean)
    _update(_training(clean), claimed_score=D(40))
    computed_claimed = [f.code for f in _findings(clean)]

    assert (found, computed_claimed) == (
        [
            (
                "unsigned_score_differs",
                HINT,
                "claimed_score",
                "“培训人数”未写计算符号，按正向（≥）计算：实际完成值“80”、年度指标值“100”、分值 50.00 分应得 40.00 分，"
                "填报得分 50.00 分。",
                {"claimed": D(50), "weight": D(50), "computed": D(40), "target": D(100), "actual": D(80)},
            ),
            (
                "sign_missing_read_as_positive",
                HINT,
                "sign",
                "“培训人数”未写计算符号，按正向计分（年度指标值“100”按“≥100”计）。",
                {"sign": "≥", "target": D(100)},
            ),
        ],
        ["sign_missing_read_as_positive"],
    )


def test_an_unsigned_over_achieved_row_may_be_lowered_with_a_reason(clean):
    # 130 of 100 (over the 120% ratio) earns 50 as 正向; 45 is allowed only with a 偏差原因 (SPEC §5.2).
    _update(_training(clean), sign="", actual_text="130", actual_value=D(130), claimed_score=D(45))
    without_reason = [f.code for f in _findings(clean)]
    _update(_training(clean), deviation_reason="目标设置偏低，按偏离度调减。")

    assert (without_reason, [f.code for f in _findings(clean)]) == (
        ["unsigned_score_differs", "sign_missing_read_as_positive"],
        ["sign_missing_read_as_positive"],
    )


# 3. no 满意度 indicator: an error only where the profile fixes its points above 0


def test_missing_satisfaction_follows_the_profiles_points(org):
    sichuan = FiscalYearFactory(finance_bureau=org.bureau, year=2023, profile=RuleProfile.objects.get(code="sichuan"))
    project = _project(sichuan, org.unit, "工资性支出")
    # A 工资性支出 table has no 满意度 block: its 90 points go to 产出 and 效益.
    project.indicators.get(name="学员满意度").delete()
    _update(_training(project), weight=D(60), claimed_score=D(60))
    free_points = _shown(project)
    blocked = [p.code for p in submission_problems(Project.objects.get(pk=project.pk))]
    # The same table under a profile that gives 满意度 10 fixed points is short of a required 一级.
    ProfileLevel1.objects.filter(profile__code="sichuan", name="满意度指标").update(weight=D(10))
    fixed_points = [(f.code, f.severity, dict(f.values)) for f in _findings(project)]
    ProfileLevel1.objects.filter(profile__code="sichuan", name="满意度指标").update(weight=D(0))
    no_points = _findings(project)

    assert (free_points, blocked, fixed_points, no_points) == (
        [
            (
                "missing_satisfaction_unweighted",
                HINT,
                GRID,
                "缺少“满意度指标”类指标。本年度规则未给“满意度指标”设定分值，表样没有满意度部分的（如工资性支出表）"
                "可不填报，请核实。",
                {"level1": "满意度指标", "weight": None},
            )
        ],
        [],
        [("missing_category", ERROR, {"level1": "满意度指标"})],
        [],
    )


# 4. a stated 执行率 compared at the precision it was stated


@pytest.mark.parametrize(
    ("stated", "found"),
    [
        # 86.2 / 100 = 86.20%: "86%" is a rounding, "87%" a slip; "86.20%" and "86.19%" at two decimals.
        ("0.86", False),
        ("0.87", True),
        ("0.8620", False),
        ("0.8619", True),
        # A whole 100% against 86.20% is no rounding.
        ("1", True),
    ],
)
def test_a_whole_percent_execution_rate_is_compared_at_whole_percents(clean, stated, found):
    BudgetLine.objects.filter(project=clean).update(executed_wan=D("86.2"))
    _update(clean, execution_reason="部分培训延至次年。")
    _update(clean.evaluation, stated_execution_rate=D(stated))

    assert [f.code for f in _findings(clean)] == (["execution_rate_mismatch"] if found else [])


# 5. a stated 总分 over rows with an empty weight-0 row, and a budget score above its weight


def test_total_mismatch_counts_an_empty_weight_0_row_as_0(clean):
    # As the national table publishes it: an empty 生态效益 row of 分值 0 without 得分, 预算执行得分 100 of 10
    # and 总分 97.5.
    IndicatorFactory(
        project=clean,
        order=3,
        level1="效益指标",
        level2="生态效益指标",
        name="",
        sign="",
        target_text="",
        target_value=None,
        unit="",
        actual_value=None,
        weight=D(0),
        claimed_score=None,
    )
    _update(clean.evaluation, claimed_budget_score=D(100), claimed_total=D("97.5"))

    assert [(code, severity, values) for code, severity, _, _, values in _shown(clean)] == [
        (
            "budget_score_mismatch",
            HINT,
            {"claimed": D(100), "weight": D(10), "computed": D("9.50"), "rate": D("0.95"), "above_weight": True},
        ),
        # 100 + 50 + 30 + 10 + 0 = 190 stated; 9.50 + 90 = 99.50 by the rules.
        ("total_mismatch", HINT, {"claimed_total": D("97.5"), "parts_total": D(190), "computed_total": D("99.50")}),
    ]


@pytest.mark.parametrize(
    ("amounts", "why"),
    [
        (None, "未填写预算金额"),
        ({"initial_wan": D(0), "adjusted_wan": D(0), "executed_wan": D(0)}, "全年预算数为 0"),
    ],
)
def test_a_budget_score_above_its_weight_without_a_rate_to_compare(clean, amounts, why):
    if amounts is None:
        BudgetLine.objects.filter(project=clean).delete()
    else:
        BudgetLine.objects.filter(project=clean).update(**amounts)
    _update(clean.evaluation, claimed_budget_score=D(10))
    at_weight = _findings(clean)
    _update(clean.evaluation, claimed_budget_score=D(100))

    assert (at_weight, _shown(clean)) == (
        [],
        [
            (
                "budget_score_above_weight",
                HINT,
                "claimed_budget_score",
                f"预算执行得分填报 100.00 分，高于分值 10.00 分（{why}，无法按执行率计算）。",
                {"claimed": D(100), "weight": D(10)},
            )
        ],
    )
