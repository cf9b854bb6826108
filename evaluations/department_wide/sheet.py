"""The department-wide score sheet (部门整体支出绩效自评, SPEC §7): each item beside the score its formula gives.

Reads only: the sheet puts each item of the profile's department indicator system beside the score its formula
gives (domain.department_formulas holds every formula), the score the department claims and the inputs the formula
read, and lists what must hold before submitting. The writes live in evaluations.department_wide.services.
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from budgets.models import DepartmentIndicator, Project
from domain import department_formulas, formatting, grades, scoring
from evaluations.models import DepartmentEvaluation

Formula = DepartmentIndicator.Formula
Status = DepartmentEvaluation.Status

# 目标实现: a quantity indicator counts as achieved when completed without exceeding its target by more than 30%.
GOAL_EXCESS_LIMIT = Decimal("1.3")
QUANTITY_LEVEL2 = "数量指标"

# What the department types on the form, besides the score sheet. Amounts in 万元, rates as fractions.
BUDGET_FIELDS = ("initial_wan", "adjusted_wan", "executed_wan", "basic_expenditure_wan", "project_expenditure_wan")
NARRATIVE_FIELDS = ("goal", "performance_narrative", "management_narrative", "conclusion", "problems", "improvements")
INPUT_FIELDS = (
    "adjustment_amount_wan",
    "expenditure_deviation",
    "monitoring_cancelled_wan",
    "written_off_wan",
    "progress_june",
    "progress_september",
    "progress_november",
    "progress_december",
    "violation_count",
)
EDITABLE_FIELDS = BUDGET_FIELDS + NARRATIVE_FIELDS + INPUT_FIELDS
RATE_FIELDS = (
    "expenditure_deviation",
    "progress_june",
    "progress_september",
    "progress_november",
    "progress_december",
)

# The fields each formula reads (目标实现 reads the department's projects, 自评准确 the finance review).
FORMULA_INPUTS = {
    Formula.COMPILATION_ACCURACY: ("adjustment_amount_wan", "initial_wan"),
    Formula.EXPENDITURE_CONTROL: ("expenditure_deviation",),
    Formula.DYNAMIC_ADJUSTMENT: ("monitoring_cancelled_wan", "written_off_wan", "adjusted_wan"),
    Formula.EXECUTION_PROGRESS: ("progress_june", "progress_september", "progress_november"),
    Formula.BUDGET_COMPLETION: ("progress_december",),
    Formula.VIOLATIONS: ("violation_count",),
    Formula.BUDGET_EXECUTION_RATE: ("adjusted_wan", "executed_wan"),
}

# Required before submitting, with the message shown next to the field.
REQUIRED_TO_SUBMIT = {
    "initial_wan": "请填写年初预算数。",
    "adjusted_wan": "请填写全年预算数。",
    "executed_wan": "请填写全年执行数。",
    "goal": "请填写年度总体目标。",
    "performance_narrative": "请填写履职效能分析。",
    "management_narrative": "请填写管理效率分析。",
}


def field_label(name: str) -> str:
    """The field's name in Chinese, without the unit (万元) its verbose_name carries."""
    return str(DepartmentEvaluation._meta.get_field(name).verbose_name).replace("（万元）", "")


def inputs_for(indicators) -> list[str]:
    """The formula inputs (outside the budget block) the given indicator system reads, in form order."""
    needed = {name for indicator in indicators for name in FORMULA_INPUTS.get(indicator.formula, ())}
    return [name for name in INPUT_FIELDS if name in needed]


# --- formatting for the explanations -------------------------------------------------------------------


def _wan(amount: Decimal) -> str:
    return f"{formatting.amount(amount, grouped=False)} 万元"


def _pct(rate: Decimal) -> str:
    return formatting.percent(rate)


def _pts(points: Decimal) -> str:
    return f"{formatting.points(points)} 分"


# --- the score sheet ----------------------------------------------------------------------------------


def quantity_indicator_counts(evaluation: DepartmentEvaluation) -> tuple[int, int]:
    """(achieved, total) over the department's projects' numeric 数量指标 of the year."""
    projects = Project.objects.of_department(evaluation.department).filter(fiscal_year=evaluation.fiscal_year)
    achieved = total = 0
    for project in projects.prefetch_related("indicators"):
        for indicator in project.indicators.all():
            if indicator.level2 != QUANTITY_LEVEL2 or indicator.target_value is None or indicator.actual_value is None:
                continue
            if indicator.target_value <= 0:
                continue
            total += 1
            completion = indicator.actual_value / indicator.target_value
            if Decimal(1) <= completion <= GOAL_EXCESS_LIMIT:
                achieved += 1
    return achieved, total


def finance_review(evaluation):
    """The finance bureau's spot-check review of ``evaluation``, or None."""
    try:
        return evaluation.review
    except DepartmentEvaluation.review.RelatedObjectDoesNotExist:
        return None


def computed_item_score(
    evaluation: DepartmentEvaluation, indicator: DepartmentIndicator, *, goal_counts: tuple[int, int] | None = None
) -> Decimal | None:
    """The score the formula gives, or None when the item is judged or an input is missing."""
    points = indicator.points
    formula = indicator.formula
    e = evaluation
    if formula == Formula.GOAL_ACHIEVEMENT:
        achieved, total = goal_counts if goal_counts is not None else quantity_indicator_counts(e)
        return (
            department_formulas.dept_goal_achievement(achieved=achieved, total=total, points=points) if total else None
        )
    if any(getattr(e, name) is None for name in FORMULA_INPUTS.get(formula, ())):
        return None
    if formula == Formula.COMPILATION_ACCURACY:
        return department_formulas.dept_compilation_accuracy(
            adjustment_amount=e.adjustment_amount_wan, initial_budget=e.initial_wan, points=points
        )
    if formula == Formula.EXPENDITURE_CONTROL:
        return department_formulas.dept_expenditure_control(deviation=e.expenditure_deviation, points=points)
    if formula == Formula.DYNAMIC_ADJUSTMENT:
        return department_formulas.dept_dynamic_adjustment(
            cancelled=e.monitoring_cancelled_wan,
            written_off=e.written_off_wan,
            annual_budget=e.adjusted_wan,
            points=points,
        )
    if formula == Formula.EXECUTION_PROGRESS:
        return department_formulas.dept_execution_progress(
            june=e.progress_june, september=e.progress_september, november=e.progress_november
        )
    if formula == Formula.BUDGET_COMPLETION:
        return department_formulas.dept_budget_completion(december=e.progress_december, points=points)
    if formula == Formula.VIOLATIONS:
        return department_formulas.dept_violations(findings=e.violation_count, points=points)
    if formula == Formula.BUDGET_EXECUTION_RATE:
        return scoring.budget_score(weight=points, adjusted=e.adjusted_wan, executed=e.executed_wan).score
    if formula == Formula.SELF_EVALUATION_ACCURACY:
        review = finance_review(e)
        self_total = e.claimed_total if e.claimed_total is not None else e.computed_total
        if review is None or review.reviewer_total is None or self_total is None:
            return None
        deduction = grades.self_evaluation_accuracy_deduction(
            self_total=self_total, reviewer_total=review.reviewer_total
        )
        return max(points - deduction, Decimal(0))
    return None


def missing_inputs(evaluation: DepartmentEvaluation, indicator: DepartmentIndicator) -> list[str]:
    """The names of the inputs the item's formula reads that are still blank."""
    names = FORMULA_INPUTS.get(indicator.formula, ())
    return [field_label(name) for name in names if getattr(evaluation, name) is None]


def explain_item(
    evaluation: DepartmentEvaluation, indicator: DepartmentIndicator, goal_counts: tuple[int, int] | None
) -> str:
    """The inputs the item's formula read, in words (the score itself always comes from domain.department_formulas)."""
    e = evaluation
    formula = indicator.formula
    if missing_inputs(e, indicator):
        return ""
    if formula == Formula.JUDGED:
        return "人工评分。"
    if formula == Formula.GOAL_ACHIEVEMENT:
        achieved, total = goal_counts or (0, 0)
        if not total:
            return "本年度本部门的项目中没有可计算的数量指标，须自评打分并说明。"
        return (
            f"本部门本年度项目的数量指标共 {total} 个，达到指标值且未超过 30% 的 {achieved} 个"
            f"（{achieved}/{total}×{_pts(indicator.points)}）。"
        )
    if formula == Formula.COMPILATION_ACCURACY:
        ratio = "—" if e.initial_wan == 0 else _pct(abs(e.adjustment_amount_wan) / e.initial_wan)
        adjustment, initial = _wan(e.adjustment_amount_wan), _wan(e.initial_wan)
        return f"预算调剂金额 {adjustment} ÷ 年初预算数 {initial} = {ratio}；超过 10% 不得分。"
    if formula == Formula.EXPENDITURE_CONTROL:
        deviation = _pct(e.expenditure_deviation)
        return f"公用经费预决算偏差率 {deviation}（10% 以内满分，10%–20% 得一半，超过 20% 不得分）。"
    if formula == Formula.DYNAMIC_ADJUSTMENT:
        return (
            f"绩效监控调整取消额 {_wan(e.monitoring_cancelled_wan)}，预算结余注销额 {_wan(e.written_off_wan)}，"
            f"全年预算数 {_wan(e.adjusted_wan)}。"
        )
    if formula == Formula.EXECUTION_PROGRESS:
        return (
            f"6月 {_pct(e.progress_june)}、9月 {_pct(e.progress_september)}、11月 {_pct(e.progress_november)}"
            "（目标 40%、67.5%、82.5%，分别计 3、4、3 分，未达到按比例计分）。"
        )
    if formula == Formula.BUDGET_COMPLETION:
        return f"12月执行进度 {_pct(e.progress_december)}（达到 100% 得满分，未达到按比例计分）。"
    if formula == Formula.VIOLATIONS:
        return f"审计、财政检查发现问题 {e.violation_count} 个，每个扣 0.5 分。"
    if formula == Formula.BUDGET_EXECUTION_RATE:
        rate = scoring.execution_rate(adjusted=e.adjusted_wan, executed=e.executed_wan)
        shown = "—（全年预算数为 0，不计分）" if rate is None else _pct(rate)
        return f"全年执行数 {_wan(e.executed_wan)} ÷ 全年预算数 {_wan(e.adjusted_wan)} = {shown}。"
    if formula == Formula.SELF_EVALUATION_ACCURACY:
        review = finance_review(e)
        if review is None or review.reviewer_total is None:
            return "由财政评价组抽查后打分，部门自评时不打分。"
        return f"财政评价组抽查得分 {_pts(review.reviewer_total)}，与部门自评得分比较计分。"
    return ""


@dataclass
class SheetLine:
    indicator: DepartmentIndicator
    computed: Decimal | None
    claimed: Decimal | None
    note: str
    explanation: str
    # The inputs the formula lacks (their names); the computed score is None while any is missing.
    missing: list[str] = field(default_factory=list)
    # On the first line of its 一级 / 二级 group: how many lines the group spans (0 on the others).
    level1_rowspan: int = 0
    level2_rowspan: int = 0

    @property
    def is_computable(self) -> bool:
        return self.indicator.formula != Formula.JUDGED

    @property
    def self_scored(self) -> bool:
        return self.indicator.self_scored

    @property
    def score(self) -> Decimal | None:
        """The score that counts: the one claimed where the department gave one, else the computed one."""
        return self.claimed if self.claimed is not None else self.computed

    @property
    def is_override(self) -> bool:
        return self.is_computable and self.claimed is not None and self.claimed != self.computed


@dataclass
class Sheet:
    lines: list[SheetLine]
    total: Decimal | None
    grade: str
    # The points the department can reach itself (90 in the Sichuan system) and those of the whole system.
    self_scored_points: Decimal
    all_points: Decimal
    not_self_scored: list[DepartmentIndicator] = field(default_factory=list)


def _with_rowspans(lines: list[SheetLine]) -> list[SheetLine]:
    """Mark the first line of each 一级 and 二级 group with the number of lines the group spans."""
    position = 0
    for _, level1_group in groupby(lines, key=lambda line: line.indicator.level1):
        level1_lines = list(level1_group)
        lines[position].level1_rowspan = len(level1_lines)
        for _, level2_lines in groupby(level1_lines, key=lambda line: line.indicator.level2):
            count = len(list(level2_lines))
            lines[position].level2_rowspan = count
            position += count
    return lines


# In place of the 自评准确 workings for a reader who may not yet see the finance review.
WITHHELD = "财政抽查审核结果公开后显示。"


def build_sheet(
    evaluation: DepartmentEvaluation,
    *,
    values: Mapping[str, object] | None = None,
    claims: Mapping[int, tuple[Decimal | None, str]] | None = None,
    finance_results: bool = True,
) -> Sheet:
    """The score sheet of ``evaluation`` as stored, or as it would be with ``values`` and ``claims`` applied.

    ``values`` maps field names of EDITABLE_FIELDS to new values; ``claims`` maps indicator ids to (claimed
    score, note). Nothing is written: the edit form uses this to show what an unsaved input would score.
    Without ``finance_results`` (a reader who may not see them yet, SPEC §12) the items scored from the finance
    review (自评准确) carry neither its score nor its workings.
    """
    if values:
        evaluation = copy.copy(evaluation)
        for name, value in values.items():
            setattr(evaluation, name, value)
    indicators = list(evaluation.fiscal_year.profile.department_indicators.all())
    stored = {item.indicator_id: item for item in evaluation.score_items.all()} if evaluation.pk else {}
    goal_counts = None
    if any(indicator.formula == Formula.GOAL_ACHIEVEMENT for indicator in indicators):
        goal_counts = quantity_indicator_counts(evaluation)
    lines = []
    for indicator in indicators:
        item = stored.get(indicator.pk)
        claimed, note = (item.claimed_score, item.note) if item else (None, "")
        if claims is not None and indicator.pk in claims:
            claimed, note = claims[indicator.pk]
            note = note or ""
        withheld = not finance_results and indicator.formula == Formula.SELF_EVALUATION_ACCURACY
        lines.append(
            SheetLine(
                indicator=indicator,
                computed=None if withheld else computed_item_score(evaluation, indicator, goal_counts=goal_counts),
                claimed=claimed,
                note=note,
                explanation=WITHHELD if withheld else explain_item(evaluation, indicator, goal_counts),
                missing=missing_inputs(evaluation, indicator),
            )
        )
    scores = [line.score for line in lines if line.self_scored and line.score is not None]
    total = scoring.total_score(budget=None, indicators=scores) if scores else None
    profile = evaluation.fiscal_year.profile
    return Sheet(
        lines=_with_rowspans(lines),
        total=total,
        grade=grades.grade_for(total=total, thresholds=profile.grade_thresholds) if total is not None else "",
        self_scored_points=sum((i.points for i in indicators if i.self_scored), Decimal(0)),
        all_points=sum((i.points for i in indicators), Decimal(0)),
        not_self_scored=[i for i in indicators if not i.self_scored],
    )


# --- what must hold before submitting -----------------------------------------------------------------


@dataclass(frozen=True)
class FieldProblem:
    """A problem shown next to a form field: ``field`` of the evaluation, or of the item of ``indicator_id``."""

    field: str
    message: str
    indicator_id: int | None = None


def claim_problems(line: SheetLine) -> list[FieldProblem]:
    """What is wrong with the score claimed on one line, at any time (a draft may not hold these either)."""
    indicator = line.indicator
    if line.claimed is None:
        return []
    if not indicator.self_scored:
        message = f"{indicator.name}由财政评价组打分，部门自评时不打分。"
        return [FieldProblem("claimed_score", message, indicator.pk)]
    if not 0 <= line.claimed <= indicator.points:
        message = f"得分 {_pts(line.claimed)}超出范围，应在 0 至 {_pts(indicator.points)}之间。"
        return [FieldProblem("claimed_score", message, indicator.pk)]
    return []


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def submission_problems(evaluation: DepartmentEvaluation, sheet: Sheet) -> list[FieldProblem]:
    """Everything that stops ``evaluation`` with ``sheet`` from being submitted, field by field."""
    problems = [
        FieldProblem(name, message) for name, message in REQUIRED_TO_SUBMIT.items() if _blank(getattr(evaluation, name))
    ]
    basic, project, executed = (
        evaluation.basic_expenditure_wan,
        evaluation.project_expenditure_wan,
        evaluation.executed_wan,
    )
    if None not in (basic, project, executed) and basic + project != executed:
        message = f"基本支出 {_wan(basic)} 与项目支出 {_wan(project)} 之和应等于全年执行数 {_wan(executed)}。"
        problems.append(FieldProblem("project_expenditure_wan", message))
    for line in sheet.lines:
        indicator = line.indicator
        if not indicator.self_scored:
            continue
        problems += claim_problems(line)
        if line.score is None:
            if line.missing:
                message = f"缺少计分数据（{'、'.join(line.missing)}）：请补全，或填写自评得分并说明理由。"
            elif line.is_computable:
                message = "无法计算得分，请填写自评得分并在说明中写明理由。"
            else:
                message = f"请填写自评得分（分值 {_pts(indicator.points)}）。"
            problems.append(FieldProblem("claimed_score", message, indicator.pk))
            continue
        if line.note.strip():
            continue
        if line.is_override:
            computed = "无法计算" if line.computed is None else f"计算得分为 {_pts(line.computed)}"
            message = f"自评得分 {_pts(line.claimed)}与计算结果不同（{computed}），须在说明中写明理由。"
            problems.append(FieldProblem("note", message, indicator.pk))
        elif line.score < indicator.points:
            message = f"得分 {_pts(line.score)}低于分值 {_pts(indicator.points)}，须说明扣分原因及改进措施。"
            problems.append(FieldProblem("note", message, indicator.pk))
    return problems
