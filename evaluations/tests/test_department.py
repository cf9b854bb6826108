"""The department-wide self-evaluation (SPEC §7): its sheet, its formulas fed by the form, and its services.

Numbers follow seed 004 (遂宁市安居区人社局: 978.11 万元 budget, 725.15 basic + 252.96 project) under the Sichuan
system, and seed 003 (番禺: 96.92% execution → 9.69) under the national one.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from budgets.models import RuleProfile
from evaluations.department_wide.forms import DepartmentEditForm
from evaluations.department_wide.services import (
    DepartmentSubmissionRefused,
    department_evaluation_approve,
    department_evaluation_recalculate,
    department_evaluation_return,
    department_evaluation_save,
    department_evaluation_save_and_submit,
    department_evaluation_start,
    department_evaluation_submit,
)
from evaluations.department_wide.sheet import (
    FieldProblem,
    build_sheet,
    submission_problems,
)
from evaluations.models import DepartmentEvaluation, DepartmentScoreItem, EvaluationTransition, ProjectEvaluation
from evaluations.tests.factories import (
    CAST_NAMES,
    DepartmentEvaluationFactory,
    FinanceReviewFactory,
    FiscalYearFactory,
    IndicatorFactory,
    ProjectFactory,
)
from evaluations.workflow.services import StaleEditError, WorkflowError

Status = DepartmentEvaluation.Status

# The inputs of seed 004's department, plus monitoring figures for the formulas that read them.
SICHUAN_VALUES = {
    "initial_wan": Decimal("978.11"),
    "adjusted_wan": Decimal("978.11"),
    "executed_wan": Decimal("978.11"),
    "basic_expenditure_wan": Decimal("725.15"),
    "project_expenditure_wan": Decimal("252.96"),
    "adjustment_amount_wan": Decimal("12.5"),
    "expenditure_deviation": Decimal("0.05"),
    "monitoring_cancelled_wan": Decimal(0),
    "written_off_wan": Decimal("8.2"),
    "progress_june": Decimal("0.38"),
    "progress_september": Decimal("0.70"),
    "progress_november": Decimal("0.85"),
    "progress_december": Decimal(1),
    "violation_count": 1,
}
NARRATIVES = {
    "goal": "落实就业优先政策，全年城镇新增就业3000人以上。",
    "performance_narrative": "全区城镇新增就业3156人，完成全年目标任务的98%。",
    "management_narrative": "严格按照财政部门预算编制通知和有关要求，按时完成预算编制。",
}
NOTE = "6月执行进度未达序时进度；下一步按月调度支出进度。"
REASON = "“目标实现”自评 8 分缺少依据，请补充项目数量指标的完成值。"

# (name, computed score) of every line of the Sichuan system with SICHUAN_VALUES and no projects:
#   编制准确 (1 − 10 × 12.5 / 978.11) × 10 = 8.72; 支出控制 5% ≤ 10% → 10;
#   动态调整 nothing cancelled, 8.2 written off: (1 − 10 × 8.2 / 978.11) × 10 = 9.16;
#   执行进度 38/40 × 3 + 4 + 3 = 9.85; 预算完成 100% → 10; 违规记录 one finding → 9.50.
SICHUAN_COMPUTED = [
    ("目标制定", None),
    ("目标实现", None),
    ("编制准确", Decimal("8.72")),
    ("支出控制", Decimal("10.00")),
    ("动态调整", Decimal("9.16")),
    ("执行进度", Decimal("9.85")),
    ("预算完成", Decimal("10.00")),
    ("违规记录", Decimal("9.50")),
    ("自评公开", None),
    ("结果整改", None),
    ("应用反馈", None),
    ("自评准确", None),
]


@pytest.fixture
def sichuan_year(org):
    return FiscalYearFactory(finance_bureau=org.bureau, year=2025, profile=RuleProfile.objects.get(code="sichuan"))


@pytest.fixture
def draft(org, sichuan_year):
    """An empty draft of 人社局 under the Sichuan system, with its score lines."""
    evaluation = DepartmentEvaluationFactory(fiscal_year=sichuan_year, department=org.department)
    return department_evaluation_recalculate(evaluation=evaluation)


def claims_for(evaluation, **scores):
    """Claims for the lines named in ``scores`` (name → (score, note)), keyed by indicator id."""
    indicators = {i.name: i.pk for i in evaluation.fiscal_year.profile.department_indicators.all()}
    return {indicators[name]: claim for name, claim in scores.items()}


# Judged items at full points; 目标实现 has nothing to count without projects, so it is claimed with a reason;
# the computed deductions carry their explanation.
COMPLETE_CLAIMS = {
    "目标制定": (Decimal(10), ""),
    "目标实现": (Decimal(8), "项目数量指标未填写完成值，按完成情况估计。"),
    "编制准确": (None, "年中调剂 12.5 万元。"),
    "动态调整": (None, "结余注销 8.2 万元。"),
    "执行进度": (None, NOTE),
    "违规记录": (None, "审计发现 1 个问题，已整改。"),
    "自评公开": (Decimal(2), ""),
    "结果整改": (Decimal(4), ""),
    "应用反馈": (Decimal(3), "反馈晚于规定时间。"),
}


def fill_completely(evaluation, actor):
    """Save everything submitting needs, through the service, and return the saved evaluation."""
    return department_evaluation_save(
        evaluation=evaluation,
        actor=actor,
        version=evaluation.version,
        values=SICHUAN_VALUES | NARRATIVES,
        claims=claims_for(evaluation, **COMPLETE_CLAIMS),
    )


def _indicator_names(evaluation):
    return {i.pk: i.name for i in evaluation.fiscal_year.profile.department_indicators.all()}


def _stored(evaluation):
    return DepartmentEvaluation.objects.filter(pk=evaluation.pk).values().get()


def _audit(evaluation):
    return [
        (t.from_status, t.to_status, t.actor, t.comment)
        for t in EvaluationTransition.objects.filter(department_evaluation=evaluation).order_by("pk")
    ]


def _put_in_state(evaluation, status):
    evaluation.status = status
    evaluation.return_reason = REASON if status == Status.RETURNED else ""
    evaluation.save(update_fields=["status", "return_reason"])
    return evaluation


# --- the formulas, fed by what the form stores ------------------------------------------------------


def test_each_computable_item_of_the_sichuan_system_scores_from_the_inputs_saved_through_the_form(cast, draft):
    form = DepartmentEditForm(
        evaluation=draft,
        sheet=build_sheet(draft),
        data={
            "version": "0",
            "initial_wan": "978.11",
            "adjusted_wan": "978.11",
            "executed_wan": "978.11",
            "adjustment_amount_wan": "12.5",
            "expenditure_deviation": "5",
            "monitoring_cancelled_wan": "0",
            "written_off_wan": "8.2",
            "progress_june": "38",
            "progress_september": "70",
            "progress_november": "85",
            "progress_december": "100",
            "violation_count": "1",
        },
    )
    assert form.is_valid()

    department_evaluation_save(
        evaluation=draft, actor=cast.department_reviewer, version=form.version, values=form.values(), claims={}
    )

    stored = DepartmentScoreItem.objects.filter(evaluation=draft).order_by("indicator__order")
    assert [(item.indicator.name, item.computed_score) for item in stored] == SICHUAN_COMPUTED


def test_the_form_takes_rates_as_percentages_and_stores_fractions(draft):
    form = DepartmentEditForm(
        evaluation=draft,
        sheet=build_sheet(draft),
        data={"version": "0", "expenditure_deviation": "-12.5", "progress_june": "96.92", "progress_december": "100"},
    )

    assert form.is_valid()
    values = form.values()
    assert (values["expenditure_deviation"], values["progress_june"], values["progress_december"]) == (
        Decimal("-0.125"),
        Decimal("0.9692"),
        Decimal(1),
    )


def test_the_form_shows_stored_fractions_as_the_percentages_typed_and_amounts_without_trailing_zeros(draft):
    draft.progress_june = Decimal("0.969200")
    draft.initial_wan = Decimal("978.110000")
    draft.violation_count = 0

    form = DepartmentEditForm(evaluation=draft, sheet=build_sheet(draft))

    assert [form.main[name].value() for name in ("progress_june", "initial_wan", "violation_count")] == [
        "96.92",
        "978.11",
        "0",
    ]


def test_the_form_refuses_a_progress_above_100_percent_and_a_negative_amount(draft):
    form = DepartmentEditForm(
        evaluation=draft,
        sheet=build_sheet(draft),
        data={"version": "0", "progress_june": "9692", "written_off_wan": "-1"},
    )

    assert (form.is_valid(), dict(form.main.errors)) == (
        False,
        {"progress_june": ["应不大于 100%。"], "written_off_wan": ["金额不能为负数。"]},
    )


def test_the_form_offers_only_the_inputs_the_profiles_formulas_read(draft, year, org):
    national = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)

    fields = {
        "sichuan": [f.name for f in DepartmentEditForm(evaluation=draft, sheet=build_sheet(draft)).main.input_fields],
        "national": [
            f.name for f in DepartmentEditForm(evaluation=national, sheet=build_sheet(national)).main.input_fields
        ],
    }

    assert fields == {
        "sichuan": [
            "adjustment_amount_wan",
            "expenditure_deviation",
            "monitoring_cancelled_wan",
            "written_off_wan",
            "progress_june",
            "progress_september",
            "progress_november",
            "progress_december",
            "violation_count",
        ],
        "national": [],
    }


def test_goal_achievement_counts_the_departments_quantity_indicators_met_without_exceeding_30_percent(
    org, sichuan_year, draft
):
    own = ProjectFactory(fiscal_year=sichuan_year, unit=org.department, name="人才发展资金")
    units = ProjectFactory(fiscal_year=sichuan_year, unit=org.unit, name="技能培训")
    elsewhere = ProjectFactory(fiscal_year=sichuan_year, unit=org.foreign_unit, name="校舍维修")
    for project, target, actual in [
        (own, 100, 100),  # met
        (own, 100, 130),  # met: exactly 30% over still counts
        (units, 100, 131),  # exceeded by more than 30%
        (units, 100, 80),  # not met
        (elsewhere, 100, 100),  # another department's project
    ]:
        IndicatorFactory(project=project, target_value=Decimal(target), actual_value=Decimal(actual))
    IndicatorFactory(project=own, level2="质量指标", target_value=Decimal(100), actual_value=Decimal(100))

    line = next(line for line in build_sheet(draft).lines if line.indicator.name == "目标实现")

    # 2 of 4 quantity indicators: 2 / 4 × 10.
    assert (line.computed, line.explanation) == (
        Decimal("5.00"),
        "本部门本年度项目的数量指标共 4 个，达到指标值且未超过 30% 的 2 个（2/4×10.00 分）。",
    )


def test_goal_achievement_is_not_computed_without_quantity_indicators(draft):
    line = next(line for line in build_sheet(draft).lines if line.indicator.name == "目标实现")

    assert (line.computed, line.explanation) == (
        None,
        "本年度本部门的项目中没有可计算的数量指标，须自评打分并说明。",
    )


def test_a_computable_item_names_the_inputs_it_still_lacks(draft):
    draft.adjusted_wan = Decimal(100)

    lines = {line.indicator.name: line.missing for line in build_sheet(draft).lines}

    assert (lines["编制准确"], lines["动态调整"], lines["执行进度"]) == (
        ["全年预算调剂金额", "年初预算数"],
        ["绩效监控调整取消额", "预算结余注销额"],
        ["6月执行进度", "9月执行进度", "11月执行进度"],
    )


def test_the_national_systems_execution_rate_item_follows_seed_003(cast, year, org):
    evaluation = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)

    department_evaluation_save(
        evaluation=evaluation,
        actor=cast.department_reviewer,
        version=0,
        values={"adjusted_wan": Decimal(100), "executed_wan": Decimal("96.92")},
        claims={},
    )

    item = DepartmentScoreItem.objects.get(evaluation=evaluation, indicator__name="部门预算资金支出率")
    assert item.computed_score == Decimal("9.69")


def test_self_evaluation_accuracy_is_scored_from_the_finance_reviewers_total_and_not_counted(cast, draft):
    draft.claimed_total = Decimal(89)
    draft.save(update_fields=["claimed_total"])
    # |89 − 80| / 80 = 11.25%: between 10% and 20%, 8 points off.
    FinanceReviewFactory(department_evaluation=draft, reviewer_total=Decimal(80))

    sheet = build_sheet(draft)

    line = next(line for line in sheet.lines if line.indicator.name == "自评准确")
    assert (line.computed, sheet.total) == (Decimal("2.00"), None)


def test_the_sichuan_sheet_maxes_at_90_because_the_finance_bureau_scores_self_evaluation_accuracy(draft):
    sheet = build_sheet(draft)

    assert (sheet.self_scored_points, sheet.all_points, [i.name for i in sheet.not_self_scored]) == (
        Decimal(90),
        Decimal(100),
        ["自评准确"],
    )


def test_the_sheet_groups_its_lines_by_level1_and_level2(draft):
    spans = [(line.indicator.name, line.level1_rowspan, line.level2_rowspan) for line in build_sheet(draft).lines]

    assert spans == [
        ("目标制定", 8, 3),
        ("目标实现", 0, 0),
        ("编制准确", 0, 0),
        ("支出控制", 0, 3),
        ("动态调整", 0, 0),
        ("执行进度", 0, 0),
        ("预算完成", 0, 2),
        ("违规记录", 0, 0),
        ("自评公开", 3, 1),
        ("结果整改", 0, 2),
        ("应用反馈", 0, 0),
        ("自评准确", 1, 1),
    ]


def test_the_total_takes_the_claimed_score_where_given_else_the_computed_one(cast, draft):
    saved = fill_completely(draft, cast.department_reviewer)

    # 10 + 8 + 8.72 + 10 + 9.16 + 9.85 + 10 + 9.50 + 2 + 4 + 3 = 84.23, 良 under 90/80/60.
    assert (saved.computed_total, saved.computed_grade) == (Decimal("84.23"), "良")


# --- saving a draft ---------------------------------------------------------------------------------


def test_save_writes_the_fields_and_claims_counts_the_version_and_names_who_saved(cast, draft):
    saved = department_evaluation_save(
        evaluation=draft,
        actor=cast.department_reviewer,
        version=0,
        values={"goal": NARRATIVES["goal"], "initial_wan": Decimal("978.11")},
        claims=claims_for(draft, 目标制定=(Decimal("9.5"), "  指标细化不够。 ")),
    )

    item = DepartmentScoreItem.objects.get(evaluation=draft, indicator__name="目标制定")
    assert (saved.goal, saved.initial_wan, saved.version, saved.updated_by, item.claimed_score, item.note) == (
        NARRATIVES["goal"],
        Decimal("978.11"),
        1,
        cast.department_reviewer,
        Decimal("9.5"),
        "指标细化不够。",
    )


def test_a_second_save_from_the_same_version_is_refused_and_keeps_the_first(cast, draft):
    colleague = cast.department_reviewer
    department_evaluation_save(
        evaluation=draft, actor=colleague, version=0, values={"goal": "第一人填写的目标"}, claims={}
    )
    late = DepartmentEvaluation.objects.get(pk=draft.pk)
    late.version = 0  # the second person's page was read before the first save

    with pytest.raises(StaleEditError) as refused:
        department_evaluation_save(
            evaluation=late, actor=colleague, version=0, values={"goal": "第二人的目标"}, claims={}
        )

    stored = DepartmentEvaluation.objects.get(pk=draft.pk)
    when = timezone.localtime(stored.updated_at).strftime("%Y-%m-%d %H:%M")
    assert (str(refused.value), stored.goal, stored.version, refused.value.current.version) == (
        f"未保存：在您编辑期间，reviewer于 {when} 保存了该自评的新版本（第 1 版），"
        "为免覆盖对方的修改，您的内容没有保存。",
        "第一人填写的目标",
        1,
        1,
    )


def test_save_refuses_a_claimed_score_above_the_points_and_writes_nothing(cast, draft):
    before = _stored(draft)

    with pytest.raises(WorkflowError) as refused:
        department_evaluation_save(
            evaluation=draft,
            actor=cast.department_reviewer,
            version=0,
            values={"goal": "目标"},
            claims=claims_for(draft, 自评公开=(Decimal(3), "")),
        )

    assert (str(refused.value), _stored(draft)) == ("得分 3.00 分超出范围，应在 0 至 2.00 分之间。", before)


def test_save_refuses_a_claim_on_the_item_the_finance_bureau_scores(cast, draft):
    with pytest.raises(WorkflowError) as refused:
        department_evaluation_save(
            evaluation=draft,
            actor=cast.department_reviewer,
            version=0,
            values={},
            claims=claims_for(draft, 自评准确=(Decimal(10), "")),
        )

    assert str(refused.value) == "自评准确由财政评价组打分，部门自评时不打分。"


@pytest.mark.parametrize("name", [n for n in CAST_NAMES if n != "department_reviewer"])
def test_only_the_departments_own_reviewer_may_save(cast, draft, name):
    before = _stored(draft)

    with pytest.raises(WorkflowError) as refused:
        department_evaluation_save(
            evaluation=draft, actor=getattr(cast, name), version=0, values={"goal": "x"}, claims={}
        )

    assert (str(refused.value), _stored(draft)) == ("只有本部门的主管部门审核人可以填写和提交部门整体自评。", before)


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED])
def test_save_refuses_an_evaluation_that_left_the_department(cast, draft, status):
    _put_in_state(draft, status)
    before = _stored(draft)

    with pytest.raises(WorkflowError) as refused:
        department_evaluation_save(
            evaluation=draft, actor=cast.department_reviewer, version=0, values={"goal": "x"}, claims={}
        )

    label = Status(status).label
    assert (str(refused.value), _stored(draft)) == (
        f"当前状态为“{label}”，不能执行此操作（仅限“草稿、已退回”状态）。",
        before,
    )


def test_save_refuses_a_field_the_form_does_not_own(cast, draft):
    with pytest.raises(ValueError, match="不可修改的字段：status"):
        department_evaluation_save(
            evaluation=draft, actor=cast.department_reviewer, version=0, values={"status": "approved"}, claims={}
        )


# --- starting -----------------------------------------------------------------------------------------


def test_start_creates_an_empty_draft_with_one_line_per_item_of_the_profile(cast, sichuan_year):
    evaluation, created = department_evaluation_start(fiscal_year=sichuan_year, actor=cast.department_reviewer)

    lines = list(evaluation.score_items.order_by("indicator__order").values_list("indicator__name", flat=True))
    assert (created, evaluation.department, evaluation.status, evaluation.version, lines) == (
        True,
        cast.department_reviewer.organisation,
        Status.DRAFT,
        0,
        [name for name, _ in SICHUAN_COMPUTED],
    )


def test_start_opens_the_existing_evaluation_instead_of_a_second_one(cast, draft, sichuan_year):
    evaluation, created = department_evaluation_start(fiscal_year=sichuan_year, actor=cast.department_reviewer)

    assert (evaluation.pk, created, DepartmentEvaluation.objects.count()) == (draft.pk, False, 1)


LOCKED_MESSAGE = "2025年度{}，记录已锁定，不能修改；如需更正，请财政审核员说明原因后重新打开该年度。"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("closed", "只有主管部门审核人可以在填报中的年度开始填写部门整体自评。"),
        # A locked year is named as the reason before the role is (SPEC §13).
        ("finalised", LOCKED_MESSAGE.format("已定稿")),
        ("published", LOCKED_MESSAGE.format("已公开")),
    ],
)
def test_start_is_refused_once_the_year_is_no_longer_open(cast, sichuan_year, status, message):
    sichuan_year.status = status
    sichuan_year.save(update_fields=["status"])

    with pytest.raises(WorkflowError) as refused:
        department_evaluation_start(fiscal_year=sichuan_year, actor=cast.department_reviewer)

    assert (str(refused.value), DepartmentEvaluation.objects.count()) == (message, 0)


@pytest.mark.parametrize("name", ["unit_filler", "finance_reviewer", "admin", "no_organisation"])
def test_start_is_refused_to_anyone_but_a_department_reviewer(cast, sichuan_year, name):
    with pytest.raises(WorkflowError):
        department_evaluation_start(fiscal_year=sichuan_year, actor=getattr(cast, name))

    assert DepartmentEvaluation.objects.count() == 0


# --- submitting -------------------------------------------------------------------------------------


def test_submit_refuses_an_empty_draft_naming_every_problem_and_writes_nothing(cast, draft):
    before = _stored(draft)

    with pytest.raises(DepartmentSubmissionRefused) as refused:
        department_evaluation_submit(evaluation=draft, actor=cast.department_reviewer)

    names = _indicator_names(draft)
    problems = [(p.field, names.get(p.indicator_id, ""), p.message) for p in refused.value.problems]
    missing_score = "请填写自评得分（分值 {} 分）。"
    missing_inputs = "缺少计分数据（{}）：请补全，或填写自评得分并说明理由。"
    assert (str(refused.value), problems, _stored(draft), _audit(draft)) == (
        "未能提交：发现 17 处需要补充或修改的地方。",
        [
            ("initial_wan", "", "请填写年初预算数。"),
            ("adjusted_wan", "", "请填写全年预算数。"),
            ("executed_wan", "", "请填写全年执行数。"),
            ("goal", "", "请填写年度总体目标。"),
            ("performance_narrative", "", "请填写履职效能分析。"),
            ("management_narrative", "", "请填写管理效率分析。"),
            ("claimed_score", "目标制定", missing_score.format("10.00")),
            ("claimed_score", "目标实现", "无法计算得分，请填写自评得分并在说明中写明理由。"),
            (
                "claimed_score",
                "编制准确",
                missing_inputs.format("全年预算调剂金额、年初预算数"),
            ),
            ("claimed_score", "支出控制", missing_inputs.format("公用经费预决算偏差率")),
            (
                "claimed_score",
                "动态调整",
                missing_inputs.format("绩效监控调整取消额、预算结余注销额、全年预算数"),
            ),
            (
                "claimed_score",
                "执行进度",
                missing_inputs.format("6月执行进度、9月执行进度、11月执行进度"),
            ),
            ("claimed_score", "预算完成", missing_inputs.format("12月执行进度")),
            ("claimed_score", "违规记录", missing_inputs.format("审计、财政检查问题数")),
            ("claimed_score", "自评公开", missing_score.format("2.00")),
            ("claimed_score", "结果整改", missing_score.format("4.00")),
            ("claimed_score", "应用反馈", missing_score.format("4.00")),
        ],
        before,
        [],
    )


def test_submit_asks_for_a_note_on_an_override_and_on_every_deduction(cast, draft):
    fill_completely(draft, cast.department_reviewer)
    department_evaluation_save(
        evaluation=DepartmentEvaluation.objects.get(pk=draft.pk),
        actor=cast.department_reviewer,
        version=1,
        values={},
        claims=claims_for(draft, 编制准确=(Decimal(10), ""), 应用反馈=(Decimal(3), ""), 目标实现=(Decimal(8), "")),
    )

    with pytest.raises(DepartmentSubmissionRefused) as refused:
        department_evaluation_submit(evaluation=draft, actor=cast.department_reviewer)

    names = _indicator_names(draft)
    assert [(names[p.indicator_id], p.field, p.message) for p in refused.value.problems] == [
        ("目标实现", "note", "自评得分 8.00 分与计算结果不同（无法计算），须在说明中写明理由。"),
        ("编制准确", "note", "自评得分 10.00 分与计算结果不同（计算得分为 8.72 分），须在说明中写明理由。"),
        ("应用反馈", "note", "得分 3.00 分低于分值 4.00 分，须说明扣分原因及改进措施。"),
    ]


def test_submit_refuses_basic_and_project_expenditure_that_do_not_add_up_to_the_execution(cast, draft):
    fill_completely(draft, cast.department_reviewer)
    DepartmentEvaluation.objects.filter(pk=draft.pk).update(project_expenditure_wan=Decimal("250"))

    with pytest.raises(DepartmentSubmissionRefused) as refused:
        department_evaluation_submit(evaluation=draft, actor=cast.department_reviewer)

    assert refused.value.problems == [
        FieldProblem(
            "project_expenditure_wan",
            "基本支出 725.15 万元 与项目支出 250.00 万元 之和应等于全年执行数 978.11 万元。",
        )
    ]


def test_submit_moves_a_complete_draft_to_submitted_and_keeps_the_total_as_submitted(cast, draft):
    fill_completely(draft, cast.department_reviewer)
    before = timezone.now()

    department_evaluation_submit(evaluation=draft, actor=cast.department_reviewer, version=1)

    stored = DepartmentEvaluation.objects.get(pk=draft.pk)
    assert (
        stored.status,
        before <= stored.submitted_at <= timezone.now(),
        stored.claimed_total,
        stored.claimed_grade,
        stored.version,
        _audit(draft),
    ) == (
        Status.SUBMITTED,
        True,
        Decimal("84.23"),
        "良",
        2,
        [(Status.DRAFT, Status.SUBMITTED, cast.department_reviewer, "")],
    )


def test_submit_from_an_older_version_is_refused(cast, draft):
    fill_completely(draft, cast.department_reviewer)

    with pytest.raises(StaleEditError):
        department_evaluation_submit(evaluation=draft, actor=cast.department_reviewer, version=0)

    assert (DepartmentEvaluation.objects.get(pk=draft.pk).status, _audit(draft)) == (Status.DRAFT, [])


def test_save_and_submit_undoes_the_save_when_the_submit_is_refused(cast, draft):
    before = _stored(draft)
    items_before = list(DepartmentScoreItem.objects.filter(evaluation=draft).values())

    with pytest.raises(DepartmentSubmissionRefused):
        department_evaluation_save_and_submit(
            evaluation=draft,
            actor=cast.department_reviewer,
            version=0,
            values=SICHUAN_VALUES,  # no goal and no narratives
            claims=claims_for(draft, **COMPLETE_CLAIMS),
        )

    assert (_stored(draft), list(DepartmentScoreItem.objects.filter(evaluation=draft).values()), draft.version) == (
        before,
        items_before,
        0,
    )


def test_save_and_submit_does_both_in_one_step(cast, draft):
    department_evaluation_save_and_submit(
        evaluation=draft,
        actor=cast.department_reviewer,
        version=0,
        values=SICHUAN_VALUES | NARRATIVES,
        claims=claims_for(draft, **COMPLETE_CLAIMS),
    )

    assert (draft.status, draft.version, draft.goal, _audit(draft)) == (
        Status.SUBMITTED,
        2,
        NARRATIVES["goal"],
        [(Status.DRAFT, Status.SUBMITTED, cast.department_reviewer, "")],
    )


def test_submission_problems_of_a_filled_evaluation_are_none(cast, draft):
    saved = fill_completely(draft, cast.department_reviewer)

    assert submission_problems(saved, build_sheet(saved)) == []


# --- the workflow of the finance bureau -----------------------------------------------------------

ACTIONS = {
    "submit": lambda e, actor: department_evaluation_submit(evaluation=e, actor=actor),
    "return": lambda e, actor: department_evaluation_return(evaluation=e, actor=actor, reason=REASON),
    "approve": lambda e, actor: department_evaluation_approve(evaluation=e, actor=actor),
}
ALLOWED_FROM = {
    "submit": (Status.DRAFT, Status.RETURNED),
    "return": (Status.SUBMITTED,),
    "approve": (Status.SUBMITTED,),
}
TO_STATUS = {"submit": Status.SUBMITTED, "return": Status.RETURNED, "approve": Status.APPROVED}
RIGHT_ACTOR = {"submit": "department_reviewer", "return": "finance_reviewer", "approve": "finance_reviewer"}
ACTOR_REFUSALS = {
    "submit": "只有本部门的主管部门审核人可以填写和提交部门整体自评。",
    "return": "只有本级财政审核员可以审核或退回部门整体自评。",
    "approve": "只有本级财政审核员可以审核或退回部门整体自评。",
}


@pytest.fixture
def complete(cast, draft):
    return fill_completely(draft, cast.department_reviewer)


@pytest.mark.parametrize(
    ("action", "from_status"),
    [(action, status) for action, statuses in ALLOWED_FROM.items() for status in statuses],
)
def test_the_right_actor_moves_the_evaluation_from_each_allowed_state(cast, complete, action, from_status):
    _put_in_state(complete, from_status)
    actor = getattr(cast, RIGHT_ACTOR[action])

    ACTIONS[action](complete, actor)

    comment = REASON if action == "return" else ""
    assert (DepartmentEvaluation.objects.get(pk=complete.pk).status, _audit(complete)) == (
        TO_STATUS[action],
        [(from_status, TO_STATUS[action], actor, comment)],
    )


@pytest.mark.parametrize(
    ("action", "current"),
    [(a, s) for a, allowed in ALLOWED_FROM.items() for s in Status.values if s not in allowed],
)
def test_every_other_state_is_refused_naming_the_current_state_and_nothing_is_written(cast, complete, action, current):
    _put_in_state(complete, current)
    before = _stored(complete)

    with pytest.raises(WorkflowError) as refused:
        ACTIONS[action](complete, getattr(cast, RIGHT_ACTOR[action]))

    allowed = "、".join(str(Status(s).label) for s in ALLOWED_FROM[action])
    assert (str(refused.value), _stored(complete), _audit(complete)) == (
        f"当前状态为“{Status(current).label}”，不能执行此操作（仅限“{allowed}”状态）。",
        before,
        [],
    )


@pytest.mark.parametrize(
    ("action", "name"), [(a, n) for a, right in RIGHT_ACTOR.items() for n in CAST_NAMES if n != right]
)
def test_every_other_member_of_the_cast_is_refused(cast, complete, action, name):
    _put_in_state(complete, ALLOWED_FROM[action][0])
    before = _stored(complete)

    with pytest.raises(WorkflowError) as refused:
        ACTIONS[action](complete, getattr(cast, name))

    assert (str(refused.value), _stored(complete)) == (ACTOR_REFUSALS[action], before)


@pytest.mark.parametrize("reason", ["", "  \n", None], ids=["empty", "blank", "none"])
def test_return_requires_a_reason(cast, complete, reason):
    _put_in_state(complete, Status.SUBMITTED)

    with pytest.raises(WorkflowError) as refused:
        department_evaluation_return(evaluation=complete, actor=cast.finance_reviewer, reason=reason)

    assert (str(refused.value), DepartmentEvaluation.objects.get(pk=complete.pk).status) == (
        "退回时必须填写退回原因。",
        Status.SUBMITTED,
    )


def test_approve_sets_the_approval_time_and_keeps_the_comment(cast, complete):
    _put_in_state(complete, Status.SUBMITTED)

    department_evaluation_approve(evaluation=complete, actor=cast.finance_reviewer, comment=" 同意。 ")

    stored = DepartmentEvaluation.objects.get(pk=complete.pk)
    assert (stored.status, stored.approved_at is not None, _audit(complete)) == (
        Status.APPROVED,
        True,
        [(Status.SUBMITTED, Status.APPROVED, cast.finance_reviewer, "同意。")],
    )


def test_a_returned_evaluation_is_edited_submitted_again_and_approved_with_one_record_per_step(cast, complete):
    reviewer, finance = cast.department_reviewer, cast.finance_reviewer
    department_evaluation_submit(evaluation=complete, actor=reviewer)
    department_evaluation_return(evaluation=complete, actor=finance, reason=f" {REASON} ")
    department_evaluation_save(
        evaluation=complete,
        actor=reviewer,
        version=complete.version,
        values={},
        claims=claims_for(complete, 目标实现=(Decimal(9), "补充了完成值。")),
    )
    department_evaluation_submit(evaluation=complete, actor=reviewer)

    department_evaluation_approve(evaluation=complete, actor=finance)

    stored = DepartmentEvaluation.objects.get(pk=complete.pk)
    assert (stored.status, stored.return_reason, stored.claimed_total, stored.version, _audit(complete)) == (
        Status.APPROVED,
        REASON,
        Decimal("85.23"),
        # saved once to fill it, then: submit, return, save, submit, approve
        6,
        [
            (Status.DRAFT, Status.SUBMITTED, reviewer, ""),
            (Status.SUBMITTED, Status.RETURNED, finance, REASON),
            (Status.RETURNED, Status.SUBMITTED, reviewer, ""),
            (Status.SUBMITTED, Status.APPROVED, finance, ""),
        ],
    )


def test_a_finance_reviewer_of_another_bureau_may_not_approve(cast, complete):
    _put_in_state(complete, Status.SUBMITTED)

    with pytest.raises(WorkflowError) as refused:
        department_evaluation_approve(evaluation=complete, actor=cast.other_bureau_finance_reviewer)

    assert str(refused.value) == ACTOR_REFUSALS["approve"]


# --- the records themselves --------------------------------------------------------------------------


def test_a_transition_belongs_to_exactly_one_record(cast, draft, evaluation):
    attempts = {}
    for name, targets in {
        "both": {"evaluation": evaluation, "department_evaluation": draft},
        "neither": {},
    }.items():
        try:
            with transaction.atomic():
                EvaluationTransition.objects.create(from_status="draft", to_status="submitted", **targets)
            attempts[name] = "accepted"
        except IntegrityError:
            attempts[name] = "refused"

    assert attempts == {"both": "refused", "neither": "refused"}


def test_the_department_workflow_uses_the_status_codes_of_the_project_workflow():
    department_codes = DepartmentEvaluation.Status.values

    assert (department_codes, set(department_codes) <= set(ProjectEvaluation.Status.values)) == (
        ["draft", "submitted", "returned", "approved", "published", "unsubmitted", "incomplete"],
        True,
    )


def test_a_returned_department_evaluation_must_carry_its_reason(draft):
    draft.status = Status.RETURNED

    with pytest.raises(IntegrityError), transaction.atomic():
        draft.save(update_fields=["status"])
