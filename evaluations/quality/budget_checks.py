"""Project rules on the budget block (SPEC §5.1): 执行数 over budget, unexplained low execution or adjustment,
stated 执行率 and 预算执行得分 that do not follow from the amounts.

Each rule takes a ProjectRecord and returns its Findings; the flags come from domain.scoring through the
scorecard, the thresholds from the year's rule profile.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from domain import formatting, rule_checks, scoring
from evaluations.quality.findings import Finding, blank, make_finding, pct, pts, wan
from evaluations.quality.project_record import ProjectRecord


def execution_over_budget(record: ProjectRecord) -> list[Finding]:
    """执行数 above 全年预算数 (a budget of 0 with spending counts too)."""
    budget, totals = record.card.budget, record.card.totals
    if budget is None or scoring.FLAG_OVER_EXECUTED not in budget.flags:
        return []
    adjusted, executed = totals.adjusted or Decimal(0), totals.executed or Decimal(0)
    detail = f"全年执行数 {wan(executed)} 万元超过全年预算数 {wan(adjusted)} 万元。"
    return [make_finding("execution_over_budget", detail, field="executed_wan", adjusted=adjusted, executed=executed)]


def _unexplained(record: ProjectRecord, flag: str, reason: str) -> bool:
    """Whether the scorecard raised ``flag`` on the budget and the project gives no ``reason`` for it."""
    budget = record.card.budget
    return budget is not None and flag in budget.flags and blank(reason)


def _amounts(totals) -> dict[str, Decimal | None]:
    """The 全年预算数 (A) and 全年执行数 (B) as a finding records them."""
    return {"adjusted": totals.adjusted, "executed": totals.executed}


def adjustment_facts(*, initial: Decimal, adjusted: Decimal) -> tuple[str, dict[str, object]]:
    """The 预算调整率 in words ("，预算调整率 28.69%", or "，年初无预算") and the values a finding records."""
    rate = scoring.adjustment_rate(initial=initial, adjusted=adjusted)
    shown = f"，预算调整率 {pct(rate)}" if rate is not None else "，年初无预算"
    return shown, {"initial": initial, "adjusted": adjusted, "adjustment_rate": rate}


def low_execution_no_reason(record: ProjectRecord) -> list[Finding]:
    """执行率 below the profile's threshold (90% by default) without a reason."""
    if not _unexplained(record, scoring.FLAG_EXECUTION_REASON_REQUIRED, record.project.execution_reason):
        return []
    rate, threshold = record.card.budget.rate, record.profile.execution_reason_threshold
    detail = f"预算执行率 {pct(rate)} 低于 {pct(threshold)}，须说明原因。"
    values = {"rate": rate, "threshold": threshold, **_amounts(record.card.totals)}
    return [make_finding("low_execution_no_reason", detail, field="execution_reason", **values)]


def adjustment_no_reason(record: ProjectRecord) -> list[Finding]:
    """全年预算数 differing from 年初预算数 (追加或调减; also a budget first granted in the year) without a reason."""
    if not _unexplained(record, scoring.FLAG_ADJUSTMENT_REASON_REQUIRED, record.project.adjustment_reason):
        return []
    totals = record.card.totals
    initial, adjusted = totals.initial, totals.adjusted or Decimal(0)
    shown, values = adjustment_facts(initial=initial, adjusted=adjusted)
    detail = (
        f"全年预算数 {wan(adjusted)} 万元与年初预算数 {wan(initial)} 万元不同（年中追加或调减{shown}），须说明理由。"
    )
    return [make_finding("adjustment_no_reason", detail, field="adjustment_reason", **values)]


# A whole percent as a fraction: 86% is 0.86.
WHOLE_PERCENT = Decimal("0.01")


def stated_rate_matches(*, stated: Decimal, rate: Decimal) -> bool:
    """Whether a stated 执行率 follows from the computed ``rate`` at the precision it was stated.

    The stored rate keeps 6 places whatever was written (86% and 86.00% are both 0.860000), so the precision
    is read from its significant decimals. A whole percent (0.86, 1) is compared at whole percents: 86%
    against 86.20% is a rounding. Anything finer goes by domain.rule_checks, at 2 decimals of a percent or
    more: published tables print "14.50%", never "14.5%", so a 0.145 is taken as 14.50% (seed 004: 14.50%
    against 14.52% stays a slip). Rounded half-up or cut off, as the tables do.
    """
    if rule_checks.stated_rate_matches(stated=stated, rate=rate):
        return True
    if stated != stated.quantize(WHOLE_PERCENT):
        return False
    return stated in (
        rate.quantize(WHOLE_PERCENT, rounding=ROUND_HALF_UP),
        rate.quantize(WHOLE_PERCENT, rounding=ROUND_DOWN),
    )


STATED_TOTALS = (
    ("年初预算数", "stated_initial_wan", "initial"),
    ("全年预算数", "stated_adjusted_wan", "adjusted"),
    ("全年执行数", "stated_executed_wan", "executed"),
)


def budget_total_mismatch(record: ProjectRecord) -> list[Finding]:
    """A 年度资金总额 row, kept as published, that the fund rows below it do not add up to (the scores follow the
    fund rows): one finding naming each column that differs. Compared as printed, to two places; a column the
    total or the rows leave blank is not compared."""
    evaluation, totals = record.evaluation, record.card.totals
    if evaluation is None:
        return []
    differing = []
    for label, stated_field, total_field in STATED_TOTALS:
        stated, summed = getattr(evaluation, stated_field), getattr(totals, total_field)
        if stated is not None and summed is not None and formatting.half_up(stated) != formatting.half_up(summed):
            differing.append((label, stated_field, stated, summed))
    if not differing:
        return []
    parts = "、".join(
        f"{label}写作 {wan(stated)} 万元（合计 {wan(summed)} 万元）" for label, _, stated, summed in differing
    )
    detail = f"年度资金总额与各资金来源合计不一致：{parts}；计分按各资金来源合计。"
    values = {f"{field}": stated for _, field, stated, _ in differing}
    values |= {f"summed_{field.removeprefix('stated_')}": summed for _, field, _, summed in differing}
    return [make_finding("budget_total_mismatch", detail, field=differing[0][1], **values)]


def execution_rate_mismatch(record: ProjectRecord) -> list[Finding]:
    """A stated 执行率 that does not follow from B / A (to its stated precision, rounded or cut off)."""
    evaluation, budget, totals = record.evaluation, record.card.budget, record.card.totals
    if evaluation is None or evaluation.stated_execution_rate is None or budget is None or budget.rate is None:
        return []
    stated = evaluation.stated_execution_rate
    if stated_rate_matches(stated=stated, rate=budget.rate):
        return []
    detail = (
        f"填报执行率 {pct(stated)}，按全年执行数 {wan(totals.executed or 0)} 万元 / "
        f"全年预算数 {wan(totals.adjusted)} 万元应为 {pct(budget.rate)}。"
    )
    values = {"stated_rate": stated, "rate": budget.rate, **_amounts(totals)}
    return [make_finding("execution_rate_mismatch", detail, field="stated_execution_rate", **values)]


def budget_score_mismatch(record: ProjectRecord) -> list[Finding]:
    """A stated 预算执行得分 that is not weight × min(B / A, 1) — seed 001 states 100 where the weight is 10."""
    evaluation, budget = record.evaluation, record.card.budget
    if evaluation is None or budget is None:
        return []
    problems = rule_checks.check_claimed_budget_score(
        weight=record.profile.budget_weight, claimed=evaluation.claimed_budget_score, computed=budget
    )
    return [
        make_finding(
            "budget_score_mismatch",
            f"{p.message}。",
            field="claimed_budget_score",
            above_weight=p.code == "budget_score_above_weight",
            **p.values,
        )
        for p in problems
    ]


def budget_score_above_weight(record: ProjectRecord) -> list[Finding]:
    """A stated 预算执行得分 above the budget weight where no rate gives a score to compare it with.

    With a rate, budget_score_mismatch reports it (seed 001: 100 where the weight is 10, ``above_weight``);
    without one (no amounts, or 全年预算数 0) nothing else would.
    """
    evaluation, budget, weight = record.evaluation, record.card.budget, record.profile.budget_weight
    if evaluation is None or evaluation.claimed_budget_score is None or evaluation.claimed_budget_score <= weight:
        return []
    if budget is not None and budget.score is not None:
        return []
    claimed = evaluation.claimed_budget_score
    why = "全年预算数为 0" if budget is not None else "未填写预算金额"
    detail = f"预算执行得分填报 {pts(claimed)} 分，高于分值 {pts(weight)} 分（{why}，无法按执行率计算）。"
    return [
        make_finding("budget_score_above_weight", detail, field="claimed_budget_score", claimed=claimed, weight=weight)
    ]
