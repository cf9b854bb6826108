"""The quality rule engine (智能审核, SPEC §11), one focused test per rule.

Each test runs on a project built with the factories: ``clean`` passes every check, and each test breaks one
thing. Then the quality_check command's options and errors, the department-wide rules, submission validation
(blocked by errors, never by hints) and the number of queries. The demo data as the seeds publish it is checked
in test_quality.
"""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.models import BudgetLine, ProfileLevel2, Project, RuleProfile
from evaluations.department_wide.services import department_evaluation_recalculate
from evaluations.quality.department_checks import department_findings
from evaluations.quality.engine import RULES, findings_for, project_findings
from evaluations.quality.findings import CODES, ERROR, GRID, HINT, PROJECT_RULE_LABELS, RULE_LABELS
from evaluations.quality.validation import submission_problems
from evaluations.tests.factories import (
    DepartmentEvaluationFactory,
    FinanceReviewFactory,
    FiscalYearFactory,
    IndicatorFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    make_submittable,
)

# Every test is a database test: pytest-django runs database tests before the transactional (browser) ones,
# which empty the database when they end.
pytestmark = pytest.mark.django_db

D = Decimal

# --- focused tests, one rule at a time -----------------------------------------------------------------------


def _project(year, unit, name, **evaluation_fields):
    project = make_submittable(ProjectFactory(fiscal_year=year, unit=unit, name=name))
    ProjectEvaluationFactory(project=project, **evaluation_fields)
    return project


@pytest.fixture
def clean(org, year):
    """日常办学经费 of 技师学院: budget 100 → 95 万元, 培训人数 50 + 就业质量提升 30 + 学员满意度 10, total 99.50."""
    return _project(year, org.unit, "日常办学经费")


def _findings(project):
    return project_findings(Project.objects.get(pk=project.pk))


def _only(project, code):
    """The findings of ``project``, which must all carry ``code``: (field, indicator, values) each."""
    findings = _findings(project)
    assert {f.code for f in findings} == {code}, [f.message for f in findings]
    return [(f.field, f.indicator, dict(f.values)) for f in findings]


def _indicator(project, name):
    return project.indicators.get(name=name)


def _update(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(fields))


def _evaluation(project, **fields):
    _update(project.evaluation, **fields)


def _budget(project, **fields):
    BudgetLine.objects.filter(project=project).update(**fields)


def test_the_clean_project_has_no_finding_and_every_code_has_a_label_and_a_severity(clean):
    assert (
        _findings(clean),
        {severity for _, severity in CODES.values()},
        set(RULE_LABELS) - set(PROJECT_RULE_LABELS),
        len(RULES),
    ) == ([], {ERROR, HINT}, {"adjustment_rate"}, 28)


def test_weights_total_in_a_profile_whose_level1_points_are_free(org):
    sichuan = FiscalYearFactory(finance_bureau=org.bureau, year=2023, profile=RuleProfile.objects.get(code="sichuan"))
    project = _project(sichuan, org.unit, "人才发展资金")

    # Sichuan: the 三级 weights must fill 100 − 10 = 90; make_submittable's 50 + 30 + 10 does exactly that.
    assert _findings(project) == []
    _update(_indicator(project, "培训人数"), weight=D(60), claimed_score=D(60))
    assert _only(project, "weights_total") == [
        (GRID, "", {"actual": D(100), "expected": D(90), "budget_weight": D(10), "total": D(100)})
    ]


def test_weights_rollup_to_level1_and_to_a_fixed_level2(clean):
    _update(_indicator(clean, "培训人数"), weight=D(40), claimed_score=D(40))
    level1 = _only(clean, "weights_rollup")
    _update(_indicator(clean, "培训人数"), weight=D(50), claimed_score=D(50))
    ProfileLevel2.objects.filter(level1__profile__code="national", name="数量指标").update(weight=D(30))

    assert (level1, _only(clean, "weights_rollup")) == (
        [(GRID, "", {"level1": "产出指标", "actual": D(40), "expected": D(50)})],
        [(GRID, "", {"level1": "产出指标", "level2": "数量指标", "actual": D(50), "expected": D(30)})],
    )


def test_score_above_weight(clean):
    _update(_indicator(clean, "培训人数"), claimed_score=D(60))

    assert _only(clean, "score_above_weight") == [("claimed_score", "培训人数", {"claimed": D(60), "weight": D(50)})]


def test_score_mismatch_above_the_computed_score(clean):
    _update(_indicator(clean, "培训人数"), actual_text="80", actual_value=D(80), deviation_reason="学员流失")

    # 80 of 100 earns 40 of 50.
    assert _only(clean, "score_mismatch") == [
        ("claimed_score", "培训人数", {"claimed": D(50), "weight": D(50), "computed": D(40)})
    ]


def test_missing_score(clean):
    _update(_indicator(clean, "培训人数"), claimed_score=None)

    assert _only(clean, "missing_score") == [("claimed_score", "培训人数", {"weight": D(50)})]


def test_missing_deviation_reason_below_weight(clean):
    _update(_indicator(clean, "培训人数"), actual_text="80", actual_value=D(80), claimed_score=D(40))
    found = _only(clean, "missing_deviation_reason")
    _update(_indicator(clean, "培训人数"), deviation_reason="部分学员中途退出，下年度加强招生管理。")

    assert (found, _findings(clean)) == (
        [("deviation_reason", "培训人数", {"claimed": D(40), "weight": D(50), "over_achieved": False})],
        [],
    )


def test_total_mismatch_with_the_stated_parts(clean):
    _evaluation(clean, claimed_total=D(95))

    assert _only(clean, "total_mismatch") == [
        ("claimed_total", "", {"claimed_total": D(95), "parts_total": D("99.50"), "computed_total": D("99.50")})
    ]


def test_grade_mismatch_by_the_profiles_thresholds(clean):
    _evaluation(clean, claimed_grade="良")
    computed_total = _only(clean, "grade_mismatch")
    _evaluation(clean, claimed_total=D(85))  # 85 is 良; the stated parts still add up to 99.50
    findings = {f.code for f in _findings(clean)}
    RuleProfile.objects.filter(code="national").update(grade_excellent_min=D(99), grade_good_min=D(80))
    _evaluation(clean, claimed_total=D("99.50"), claimed_grade="优")

    assert (computed_total, findings, _findings(clean)) == (
        [("claimed_grade", "", {"claimed_grade": "良", "total": D("99.50"), "expected": "优"})],
        {"total_mismatch"},
        [],
    )


def test_budget_score_mismatch(clean):
    _evaluation(clean, claimed_budget_score=D(10))

    assert _only(clean, "budget_score_mismatch") == [
        (
            "claimed_budget_score",
            "",
            {"claimed": D(10), "weight": D(10), "computed": D("9.50"), "rate": D("0.95"), "above_weight": False},
        )
    ]


@pytest.mark.parametrize(
    ("stated", "found"),
    [("0.95", False), ("0.950000", False), ("1", True), ("0.9499", True), ("0.9501", True)],
)
def test_execution_rate_mismatch_to_the_stated_precision(clean, stated, found):
    _evaluation(clean, stated_execution_rate=D(stated))

    assert [f.code for f in _findings(clean)] == (["execution_rate_mismatch"] if found else [])


def test_a_stated_rate_cut_off_rather_than_rounded_matches(clean):
    # Seed 000: 42321.53 / 147472.07 = 28.6979…% published as 28.69%.
    _budget(clean, initial_wan=D("147472.07"), adjusted_wan=D("147472.07"), executed_wan=D("42321.53"))
    _update(clean, execution_reason="年底集中支付未完成。")
    _evaluation(clean, stated_execution_rate=D("0.2869"))
    cut_off = _findings(clean)
    _evaluation(clean, stated_execution_rate=D("0.2868"))

    assert (cut_off, [f.code for f in _findings(clean)]) == ([], ["execution_rate_mismatch"])


def test_execution_over_budget(clean):
    _budget(clean, executed_wan=D(120))

    assert _only(clean, "execution_over_budget") == [("executed_wan", "", {"adjusted": D(100), "executed": D(120)})]


def test_low_execution_no_reason_by_the_profiles_threshold(clean):
    _budget(clean, executed_wan=D(80))
    found = _only(clean, "low_execution_no_reason")
    RuleProfile.objects.filter(code="national").update(execution_reason_threshold=D("0.8"))

    assert (found, _findings(clean)) == (
        [
            (
                "execution_reason",
                "",
                {"rate": D("0.8"), "threshold": D("0.9"), "adjusted": D(100), "executed": D(80)},
            )
        ],
        [],
    )


def test_low_execution_with_a_reason_is_fine(clean):
    _budget(clean, executed_wan=D(80))
    _update(clean, execution_reason="部分培训延至次年。")

    assert _findings(clean) == []


def test_adjustment_no_reason(clean):
    _budget(clean, initial_wan=D(80))
    found = _only(clean, "adjustment_no_reason")
    _update(clean, adjustment_reason="年中追加集训经费。")

    assert (found, _findings(clean)) == (
        [("adjustment_reason", "", {"initial": D(80), "adjusted": D(100), "adjustment_rate": D("0.25")})],
        [],
    )


def test_over_achievement_at_the_profiles_target_too_low_ratio(clean):
    training = _indicator(clean, "培训人数")
    _update(training, actual_text="149", actual_value=D(149), deviation_reason="超额完成。")
    below = _findings(clean)
    _update(training, actual_text="150", actual_value=D(150))
    found = _only(clean, "over_achievement")
    RuleProfile.objects.filter(code="national").update(target_too_low_ratio=D(2))

    assert (below, found, _findings(clean)) == (
        [],
        [
            (
                "actual_text",
                "培训人数",
                {"target": D(100), "actual": D(150), "completion_rate": D("1.5"), "ratio": D("1.5")},
            )
        ],
        [],
    )


def test_over_achievement_without_a_reason_also_misses_the_deviation_reason(clean):
    # At 120% (the profile's over-achievement ratio) a 偏差原因 is required; 目标设置过低 only from 150%.
    _update(_indicator(clean, "培训人数"), actual_text="130", actual_value=D(130))

    assert [(f.code, f.severity, f.message) for f in _findings(clean)] == [
        (
            "missing_deviation_reason",
            ERROR,
            "“培训人数”完成值高于指标值较多（完成率 130.00%），须填写偏差原因分析及改进措施",
        )
    ]


def test_execution_rate_as_cost(clean):
    IndicatorFactory(
        project=clean,
        order=3,
        level2="成本指标",
        name="预算执行率",
        target_text="100%",
        unit="%",
        weight=None,
        claimed_score=None,
    )

    assert _only(clean, "execution_rate_as_cost") == [
        ("name", "预算执行率", {"level1": "产出指标", "level2": "成本指标"})
    ]


def test_non_numeric_quantitative(clean):
    _update(_indicator(clean, "培训人数"), target_text="≤核定单位数量", target_value=None)
    target = _only(clean, "non_numeric_quantitative")
    _update(
        _indicator(clean, "培训人数"),
        target_text="100",
        target_value=D(100),
        actual_text="达成预期指标",
        actual_value=None,
    )

    assert (target, _only(clean, "non_numeric_quantitative")) == (
        [("target_text", "培训人数", {"text": "≤核定单位数量"})],
        [("actual_text", "培训人数", {"text": "达成预期指标"})],
    )


def test_missing_unit(clean):
    _update(_indicator(clean, "培训人数"), unit="")

    assert _only(clean, "missing_unit") == [("unit", "培训人数", {})]


def test_missing_category_of_a_row_and_of_a_required_level1(clean):
    _update(_indicator(clean, "就业质量提升"), level2="")
    row = _only(clean, "missing_category")
    _update(_indicator(clean, "就业质量提升"), level2="社会效益指标")
    _indicator(clean, "学员满意度").delete()
    findings = [(f.code, f.field, dict(f.values)) for f in _findings(clean)]

    assert (row, findings) == (
        [("category", "就业质量提升", {})],
        [
            ("weights_rollup", GRID, {"level1": "满意度指标", "actual": D(0), "expected": D(10)}),
            ("missing_category", GRID, {"level1": "满意度指标"}),
        ],
    )


def test_misfiled_category_a_satisfaction_indicator_under_benefit(clean):
    _update(_indicator(clean, "学员满意度"), level1="效益指标", level2="可持续影响指标", name="社会满意度")
    # The 10 points moved from 满意度 to 效益, so the rollup reports both as well.
    findings = [(f.code, f.field, f.indicator) for f in _findings(clean)]

    assert findings == [
        ("misfiled_category", "category", "社会满意度"),
        ("weights_rollup", GRID, ""),
        ("weights_rollup", GRID, ""),
        ("missing_category", GRID, ""),
    ]


def test_misfiled_category_a_level2_under_the_wrong_level1(clean):
    _update(_indicator(clean, "就业质量提升"), level2="服务对象满意度指标")

    assert _only(clean, "misfiled_category") == [
        (
            "category",
            "就业质量提升",
            {"level1": "效益指标", "level2": "服务对象满意度指标", "homes": ["满意度指标"]},
        )
    ]


def test_qualitative_band(clean):
    _update(_indicator(clean, "就业质量提升"), claimed_score=D(20), deviation_reason="效果一般。")

    assert _only(clean, "qualitative_band") == [
        (
            "claimed_score",
            "就业质量提升",
            {
                "claimed": D(20),
                "weight": D(30),
                "label": "达成年度指标",
                "band_low": D(24),
                "band_high": D(30),
            },
        )
    ]


def test_missing_actual_of_a_quantitative_and_a_qualitative_indicator(clean):
    _update(_indicator(clean, "培训人数"), actual_text="", actual_value=None)
    _update(_indicator(clean, "就业质量提升"), actual_text="", actual_label="")

    assert _only(clean, "missing_actual") == [
        ("actual_text", "培训人数", {}),
        ("actual_label", "就业质量提升", {"text": "", "claimed": D(30), "weight": D(30)}),
    ]


def test_self_vs_finance_grade_and_accuracy_deduction(clean):
    _evaluation(clean, claimed_total=D("99.50"), claimed_grade="优")
    review = FinanceReviewFactory(evaluation=clean.evaluation, grade="良", reviewer_total=D(80))
    found = _only(clean, "self_vs_finance")
    _update(review, excluded=True, excluded_reason="重复抽取")

    # 99.50 against 80: 24.38% apart, over 20% costs all 10 points (SPEC §5.4).
    assert (found, _findings(clean)) == (
        [
            (
                "claimed_grade",
                "",
                {
                    "self_grade": "优",
                    "finance_grade": "良",
                    "self_total": D("99.50"),
                    "reviewer_total": D(80),
                    "difference_rate": D("0.24375"),
                    "deduction": D(10),
                },
            )
        ],
        [],
    )


def test_self_vs_finance_same_grade_within_5_percent_is_fine(clean):
    _evaluation(clean, claimed_total=D("99.50"), claimed_grade="优")
    FinanceReviewFactory(evaluation=clean.evaluation, grade="优", reviewer_total=D(95))

    assert _findings(clean) == []


# --- the command's errors --------------------------------------------------------------------------------------


def _command(*args) -> str:
    out = StringIO()
    call_command("quality_check", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--year", "2019"), "没有 2019 年度的数据。"),
        (("--year", "2024", "--bureau", "不存在财政局"), "财政局“不存在财政局”没有 2024 年度的数据。"),
        (("--year", "2024", "--department", "不存在局"), "2024 年度没有名为“不存在局”的主管部门。"),
        (("--department", "不存在局"), "现有年度中没有名为“不存在局”的主管部门。"),
    ],
    ids=["year", "bureau", "department", "department-any-year"],
)
def test_unknown_year_bureau_or_department_is_refused_in_chinese(year, args, message):
    with pytest.raises(CommandError) as refused:
        _command(*args)

    assert str(refused.value) == message


def test_without_any_year_the_command_says_so():
    with pytest.raises(CommandError) as refused:
        _command()

    assert str(refused.value) == "还没有任何年度的数据。"


def test_a_clean_year_prints_that_nothing_was_found(clean):
    assert _command("--year", "2024") == "检查了 1 份自评，未发现问题。\n"


def test_the_department_option_keeps_to_its_department(org, year, clean):
    other = _project(year, org.foreign_unit, "校舍维修")
    BudgetLine.objects.filter(project=other).update(executed_wan=D(120))

    rows = json.loads(_command("--year", "2024", "--department", "东莞市教育局", "--format", "json"))

    assert [(r["department"], r["unit"], r["project"], r["code"]) for r in rows] == [
        ("东莞市教育局", "东莞市实验中学", "校舍维修", "execution_over_budget")
    ]


# department-wide self-evaluations


@pytest.fixture
def department_wide(org):
    sichuan = FiscalYearFactory(finance_bureau=org.bureau, year=2023, profile=RuleProfile.objects.get(code="sichuan"))
    evaluation = DepartmentEvaluationFactory(fiscal_year=sichuan, department=org.department)
    department_evaluation_recalculate(evaluation=evaluation)
    for item in evaluation.score_items.select_related("indicator"):
        _update(item, claimed_score=item.indicator.points)
    return evaluation


def test_department_total_mismatch_once_every_self_scored_item_has_a_score(department_wide):
    _update(department_wide, claimed_total=D(89))
    found = [(f.code, f.field, dict(f.values)) for f in department_findings(department_wide)]
    department_wide.score_items.filter(indicator__name="目标制定").update(claimed_score=None)

    assert (found, department_findings(department_wide)) == (
        [("total_mismatch", "claimed_total", {"claimed_total": D(89), "parts_total": D(90)})],
        [],
    )


def test_department_adjustment_rate_grade_and_finance(department_wide):
    _update(
        department_wide,
        initial_wan=D("147472.07"),
        adjusted_wan=D("105150.54"),
        claimed_total=D(90),
        claimed_grade="良",
    )
    FinanceReviewFactory(department_evaluation=department_wide, grade="良", reviewer_total=D(80))

    assert [(f.code, f.message) for f in department_findings(department_wide)] == [
        ("adjustment_rate", "部门整体年初预算 147472.07 万元，调整后预算 105150.54 万元，预算调整率 28.70%。"),
        (
            "grade_mismatch",
            "自评等级“良”与填报总分 90.00 分不符，按本年度等级标准（优≥90.00、良≥80.00、中≥60.00）应为“优”。",
        ),
        ("self_vs_finance", "自评总分 90.00 分与核查总分 80.00 分相差 12.50%，自评准确扣 8.00 分。"),
    ]


# --- validation blocks on the engine's errors, never on its hints -----------------------------------------------


def test_submission_is_blocked_by_errors_beside_their_fields_and_not_by_hints(clean):
    _evaluation(clean, claimed_total=D(90), stated_execution_rate=D("0.5"))
    hints_only = submission_problems(Project.objects.get(pk=clean.pk))
    _budget(clean, executed_wan=D(80))
    _update(_indicator(clean, "就业质量提升"), claimed_score=D(20), deviation_reason="效果一般。")

    problems = submission_problems(Project.objects.get(pk=clean.pk))

    assert (hints_only, [(p.where, p.field, p.code, p.message) for p in problems]) == (
        [],
        [
            ("project", "execution_reason", "low_execution_no_reason", "预算执行率 80.00% 低于 90.00%，须说明原因。"),
            (
                "indicator",
                "claimed_score",
                "qualitative_band",
                "得分 20.00 分与“达成年度指标”不符，应在 24.00 至 30.00 分之间",
            ),
        ],
    )


# --- queries -------------------------------------------------------------------------------------------------


def _queries(call):
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return len(queries), result


def test_a_year_takes_the_same_handful_of_queries_for_one_and_for_many_projects(org, year, clean):
    department = DepartmentEvaluationFactory(fiscal_year=year, department=org.department, claimed_grade="良")
    FinanceReviewFactory(department_evaluation=department, grade="良")
    one, records = _queries(lambda: findings_for(year))
    for n in range(12):
        project = _project(year, org.other_unit, f"项目{n}", claimed_grade="优")
        FinanceReviewFactory(evaluation=project.evaluation, grade="良")

    many, more = _queries(lambda: findings_for(year))

    assert (one, many, len(records), len(more), sum(len(r.findings) for r in more)) == (one, one, 2, 14, 12)
    assert one <= 10


def test_one_project_takes_a_few_queries_whatever_its_number_of_indicators(clean):
    for n in range(10):
        IndicatorFactory(project=clean, order=10 + n, name=f"附加指标{n}", weight=D(0), claimed_score=D(0))

    count, _ = _queries(lambda: project_findings(Project.objects.get(pk=clean.pk)))

    assert count <= 9
