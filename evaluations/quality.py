"""Quality findings (智能审核, SPEC §11) on a stored project: each rule a small function with a stable code.

A rule returns Findings: code, severity (错误 blocks submission, 提示 does not), a Chinese message naming the
values, and where it points (a project field, or an indicator row). Scores come from the scorecard, rules from
evaluations.scoring; nothing here re-derives a score. The submit checks of evaluations.validation are the
blocking half of the same idea; the rules below are what a reviewer looks for in records already filed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from evaluations import scoring
from evaluations.scorecard import Scorecard, build_scorecard

ERROR, HINT = "错误", "提示"
# A stated rate may differ from the computed one by the rounding of its last printed digit (seed 000: 28.69%).
RATE_TOLERANCE = Decimal("0.0001")
EXECUTION_RATE_WORDS = ("执行率", "预算执行", "资金执行", "支出进度")
SATISFACTION_WORD = "满意度"
SATISFACTION_LEVEL1 = "满意度指标"
COST_CATEGORY = "成本指标"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    field: str = ""
    indicator_id: int | None = None


def _pct(rate: Decimal) -> str:
    return f"{scoring.round2(rate * 100)}%"


def _pts(value: Decimal) -> str:
    return f"{scoring.round2(value)}"


def target_too_low(project, card: Scorecard, profile) -> list[Finding]:
    """完成值高于指标值较多 — seed 000's reviewer flags completion at or above 150% as 目标设置过低."""
    found = []
    for line in card.lines:
        ind, result = line.indicator, line.result
        if not result or result.completion is None or ind.sign not in (*scoring.POSITIVE_SIGNS, scoring.SIGN_EQ):
            continue
        if result.completion >= profile.target_too_low_ratio:
            message = (
                f"“{ind.name}”完成值 {ind.actual_text or ind.actual_value} 为指标值 {ind.target_text} 的 "
                f"{_pct(result.completion)}，达到 {_pct(profile.target_too_low_ratio)} 以上，目标设置过低"
            )
            found.append(Finding("target_too_low", HINT, message, "actual_text", ind.pk))
    return found


def execution_rate_as_cost(project, card: Scorecard, profile) -> list[Finding]:
    """预算执行率 is the budget block's own measure, not a 成本指标 (seed 000 finds it in several projects)."""
    return [
        Finding(
            "execution_rate_as_cost",
            HINT,
            f"“{line.indicator.name}”是预算执行情况，不宜作为成本指标",
            "name",
            line.indicator.pk,
        )
        for line in card.lines
        if COST_CATEGORY in (line.indicator.level1, line.indicator.level2)
        and any(word in line.indicator.name for word in EXECUTION_RATE_WORDS)
    ]


def satisfaction_misfiled(project, card: Scorecard, profile) -> list[Finding]:
    return [
        Finding(
            "satisfaction_misfiled",
            HINT,
            f"“{line.indicator.name}”是满意度指标，却归入“{line.indicator.level1}—{line.indicator.level2}”",
            "category",
            line.indicator.pk,
        )
        for line in card.lines
        if SATISFACTION_WORD in line.indicator.name and line.indicator.level1 != SATISFACTION_LEVEL1
    ]


def score_above_weight(project, card: Scorecard, profile) -> list[Finding]:
    found = []
    for line in card.lines:
        ind = line.indicator
        if ind.claimed_score is not None and ind.weight is not None and ind.claimed_score > ind.weight:
            message = f"“{ind.name}”得分 {_pts(ind.claimed_score)} 分高于分值 {_pts(ind.weight)} 分"
            found.append(Finding("score_above_weight", ERROR, message, "claimed_score", ind.pk))
    return found


def total_not_sum(project, card: Scorecard, profile) -> list[Finding]:
    evaluation = project.evaluation
    if evaluation.claimed_total is None or card.total is None or evaluation.claimed_total == card.total:
        return []
    message = f"填报总分 {_pts(evaluation.claimed_total)} 分，按各项得分合计应为 {_pts(card.total)} 分"
    return [Finding("total_not_sum", ERROR, message, "claimed_total")]


def grade_not_total(project, card: Scorecard, profile) -> list[Finding]:
    evaluation = project.evaluation
    total = evaluation.self_total
    if not evaluation.claimed_grade or total is None:
        return []
    expected = scoring.grade_for(total=total, thresholds=profile.grade_thresholds)
    if expected == evaluation.claimed_grade:
        return []
    message = f"自评等级“{evaluation.claimed_grade}”与总分 {_pts(total)} 分不符，应为“{expected}”"
    return [Finding("grade_not_total", ERROR, message, "claimed_grade")]


def stated_rate_differs(project, card: Scorecard, profile) -> list[Finding]:
    evaluation, budget = project.evaluation, card.budget
    if evaluation.stated_execution_rate is None or budget is None or budget.rate is None:
        return []
    if abs(evaluation.stated_execution_rate - budget.rate) <= RATE_TOLERANCE:
        return []
    message = f"填报执行率 {_pct(evaluation.stated_execution_rate)}，按执行数/全年预算数应为 {_pct(budget.rate)}"
    return [Finding("stated_rate_differs", ERROR, message, "executed_wan")]


def budget_score_differs(project, card: Scorecard, profile) -> list[Finding]:
    evaluation, budget = project.evaluation, card.budget
    if evaluation.claimed_budget_score is None or budget is None or budget.score is None:
        return []
    if evaluation.claimed_budget_score == budget.score:
        return []
    message = f"预算执行得分填报 {_pts(evaluation.claimed_budget_score)} 分，按执行率应为 {_pts(budget.score)} 分"
    return [Finding("budget_score_differs", ERROR, message, "claimed_budget_score")]


def finance_grade_differs(project, card: Scorecard, profile) -> list[Finding]:
    evaluation = project.evaluation
    review = getattr(evaluation, "review", None)
    if review is None or not review.grade or not evaluation.self_grade or review.grade == evaluation.self_grade:
        return []
    message = f"自评等级“{evaluation.self_grade}”与财政抽查审核结果“{review.grade}”不一致"
    return [Finding("finance_grade_differs", HINT, message, "claimed_grade")]


RULES: list[Callable] = [
    target_too_low,
    execution_rate_as_cost,
    satisfaction_misfiled,
    score_above_weight,
    total_not_sum,
    grade_not_total,
    stated_rate_differs,
    budget_score_differs,
    finance_grade_differs,
]
RULE_LABELS = {
    "target_too_low": "完成率过高（目标设置过低）",
    "execution_rate_as_cost": "预算执行率作为成本指标",
    "satisfaction_misfiled": "满意度指标归类错误",
    "score_above_weight": "得分高于分值",
    "total_not_sum": "总分不等于各项之和",
    "grade_not_total": "等级与总分不符",
    "stated_rate_differs": "执行率与金额不符",
    "budget_score_differs": "预算执行得分与执行率不符",
    "finance_grade_differs": "自评等级与财政等级不一致",
}


def project_findings(project, profile=None, card: Scorecard | None = None) -> list[Finding]:
    """Every finding of every rule on ``project`` as stored."""
    profile = profile or project.fiscal_year.profile
    card = card or build_scorecard(project, profile)
    return [finding for rule in RULES for finding in rule(project, card, profile)]
