"""The department-wide self-evaluation's score sheet (SPEC §7): each computable item from its formula."""

from decimal import Decimal

from budgets.models import DepartmentIndicator, Project
from evaluations import scoring
from evaluations.models import DepartmentEvaluation, DepartmentScoreItem

Formula = DepartmentIndicator.Formula

# 目标实现: a quantity indicator counts as achieved when completed without exceeding its target by more than 30%.
GOAL_EXCESS_LIMIT = Decimal("1.3")
QUANTITY_LEVEL2 = "数量指标"


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


def computed_item_score(evaluation: DepartmentEvaluation, indicator: DepartmentIndicator) -> Decimal | None:
    """The score the formula gives, or None when the item is judged or an input is missing."""
    points = indicator.points
    formula = indicator.formula
    e = evaluation
    if formula == Formula.GOAL_ACHIEVEMENT:
        achieved, total = quantity_indicator_counts(e)
        return scoring.dept_goal_achievement(achieved=achieved, total=total, points=points) if total else None
    if formula == Formula.COMPILATION_ACCURACY and None not in (e.adjustment_amount_wan, e.initial_wan):
        return scoring.dept_compilation_accuracy(
            adjustment_amount=e.adjustment_amount_wan, initial_budget=e.initial_wan, points=points
        )
    if formula == Formula.EXPENDITURE_CONTROL and e.expenditure_deviation is not None:
        return scoring.dept_expenditure_control(deviation=e.expenditure_deviation, points=points)
    if formula == Formula.DYNAMIC_ADJUSTMENT and None not in (
        e.monitoring_cancelled_wan,
        e.written_off_wan,
        e.adjusted_wan,
    ):
        return scoring.dept_dynamic_adjustment(
            cancelled=e.monitoring_cancelled_wan,
            written_off=e.written_off_wan,
            annual_budget=e.adjusted_wan,
            points=points,
        )
    if formula == Formula.EXECUTION_PROGRESS and None not in (
        e.progress_june,
        e.progress_september,
        e.progress_november,
    ):
        return scoring.dept_execution_progress(
            june=e.progress_june, september=e.progress_september, november=e.progress_november
        )
    if formula == Formula.BUDGET_COMPLETION and e.progress_december is not None:
        return scoring.dept_budget_completion(december=e.progress_december, points=points)
    if formula == Formula.VIOLATIONS and e.violation_count is not None:
        return scoring.dept_violations(findings=e.violation_count, points=points)
    if formula == Formula.BUDGET_EXECUTION_RATE and e.adjusted_wan is not None and e.executed_wan is not None:
        return scoring.budget_score(weight=points, adjusted=e.adjusted_wan, executed=e.executed_wan).score
    if formula == Formula.SELF_EVALUATION_ACCURACY:
        review = getattr(e, "review", None)
        self_total = e.claimed_total if e.claimed_total is not None else e.computed_total
        if review is None or review.reviewer_total is None or self_total is None:
            return None
        deduction = scoring.self_evaluation_accuracy_deduction(
            self_total=self_total, reviewer_total=review.reviewer_total
        )
        return max(points - deduction, Decimal(0))
    return None


def department_evaluation_recalculate(*, evaluation: DepartmentEvaluation) -> DepartmentEvaluation:
    """Create missing score lines from the profile's system, compute each, and store the total and grade.

    Side effects: creates DepartmentScoreItem rows, updates their computed_score, and the evaluation's
    computed_total and computed_grade. The total counts the self-scored items only (自评准确 is the
    finance bureau's), using the claimed score where the department gave one.
    """
    profile = evaluation.fiscal_year.profile
    existing = {item.indicator_id: item for item in evaluation.score_items.all()}
    total = Decimal(0)
    any_score = False
    for indicator in profile.department_indicators.all():
        item = existing.get(indicator.pk) or DepartmentScoreItem.objects.create(
            evaluation=evaluation, indicator=indicator
        )
        computed = computed_item_score(evaluation, indicator)
        if item.computed_score != computed:
            item.computed_score = computed
            item.save(update_fields=["computed_score"])
        if not indicator.self_scored:
            continue
        score = item.claimed_score if item.claimed_score is not None else computed
        if score is not None:
            total += score
            any_score = True
    evaluation.computed_total = scoring.round2(total) if any_score else None
    evaluation.computed_grade = (
        scoring.grade_for(total=evaluation.computed_total, thresholds=profile.grade_thresholds) if any_score else ""
    )
    evaluation.save(update_fields=["computed_total", "computed_grade", "updated_at"])
    return evaluation
