"""Rules on department-wide self-evaluations (部门整体支出绩效自评): the budget adjustment, the stated total and
grade, and the comparison with the finance review.
"""

from collections.abc import Callable
from decimal import Decimal

from domain import scoring
from evaluations.models import DepartmentEvaluation
from evaluations.quality.budget_checks import adjustment_facts
from evaluations.quality.consistency_checks import grade_finding, self_vs_finance_findings
from evaluations.quality.findings import Finding, make_finding, pts, wan
from evaluations.quality.project_record import with_taxonomy


class DepartmentRecord:
    """One department-wide self-evaluation as the rules see it: the evaluation, its finance review, its profile."""

    def __init__(self, evaluation: DepartmentEvaluation, profile):
        self.evaluation, self.profile = evaluation, profile
        review = getattr(evaluation, "review", None)
        self.review = None if review is None or review.excluded else review

    @property
    def self_total(self) -> Decimal | None:
        e = self.evaluation
        return e.claimed_total if e.claimed_total is not None else e.computed_total


def department_total_mismatch(record: DepartmentRecord) -> list[Finding]:
    """A stated total that is not the sum of the self-scored items, once every such item has a score."""
    evaluation = record.evaluation
    if evaluation.claimed_total is None:
        return []
    scores = {item.indicator_id: item for item in evaluation.score_items.all()}
    parts = []
    for indicator in record.profile.department_indicators.all():
        if not indicator.self_scored:
            continue
        item = scores.get(indicator.pk)
        score = (
            None if item is None else (item.claimed_score if item.claimed_score is not None else item.computed_score)
        )
        if score is None:
            return []  # parts unknown (a narrative that explains only the deductions, seed 003)
        parts.append(score)
    if not parts:
        return []
    total = scoring.total_score(budget=None, indicators=parts)
    if total == evaluation.claimed_total:
        return []
    detail = f"填报总分 {pts(evaluation.claimed_total)} 分，各评分项得分合计为 {pts(total)} 分。"
    return [
        make_finding(
            "total_mismatch", detail, field="claimed_total", claimed_total=evaluation.claimed_total, parts_total=total
        )
    ]


def department_grade_mismatch(record: DepartmentRecord) -> list[Finding]:
    e = record.evaluation
    return grade_finding(
        claimed_grade=e.claimed_grade,
        total=record.self_total,
        profile=record.profile,
        total_is_stated=e.claimed_total is not None,
    )


def department_self_vs_finance(record: DepartmentRecord) -> list[Finding]:
    return self_vs_finance_findings(
        self_grade=record.evaluation.self_grade, self_total=record.self_total, review=record.review
    )


def department_adjustment_rate(record: DepartmentRecord) -> list[Finding]:
    """The department's 全年预算数 moved away from 年初预算数 (seed 000: 147472.07 → 105150.54, 28.69%)."""
    e = record.evaluation
    if e.initial_wan is None or e.adjusted_wan is None:
        return []
    if not scoring.is_adjusted(initial=e.initial_wan, adjusted=e.adjusted_wan):
        return []
    shown, values = adjustment_facts(initial=e.initial_wan, adjusted=e.adjusted_wan)
    detail = f"部门整体年初预算 {wan(e.initial_wan)} 万元，调整后预算 {wan(e.adjusted_wan)} 万元{shown}。"
    return [make_finding("adjustment_rate", detail, field="adjusted_wan", **values)]


DEPARTMENT_RULES: list[Callable[[DepartmentRecord], list[Finding]]] = [
    department_adjustment_rate,
    department_total_mismatch,
    department_grade_mismatch,
    department_self_vs_finance,
]
DEPARTMENT_FINANCE_RULES = frozenset({department_self_vs_finance})


def department_findings(
    evaluation: DepartmentEvaluation, profile=None, *, finance_results: bool = True
) -> list[Finding]:
    """Every finding on a department-wide self-evaluation (部门整体支出绩效自评) as stored.

    Without ``finance_results`` the rules that compare with the finance review are not run.
    """
    profile = with_taxonomy(profile or evaluation.fiscal_year.profile, "department_indicators")
    record = DepartmentRecord(evaluation, profile)
    rules = [rule for rule in DEPARTMENT_RULES if finance_results or rule not in DEPARTMENT_FINANCE_RULES]
    return [finding for rule in rules for finding in rule(record)]
