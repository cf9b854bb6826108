"""Apply the scoring rules to one project as stored: the adapter between the ORM and ``domain.scoring``.

Forms, reports, quality checks and the demo loader read scores from here; none of them computes one itself.
Give it a project with ``budget_lines`` and ``indicators`` prefetched and it runs no query of its own
beyond what the relations already hold.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from domain import grades, scoring, signs


@dataclass(frozen=True)
class BudgetTotals:
    """The 年度资金总额 row: the sum of the fund-source rows (None where every row is empty)."""

    initial: Decimal | None
    adjusted: Decimal | None
    executed: Decimal | None


@dataclass(frozen=True)
class IndicatorLine:
    indicator: object
    result: scoring.IndicatorResult | None
    # The score that counts towards the total: the unit's claimed score, else the computed one.
    score: Decimal | None


@dataclass(frozen=True)
class Level1Total:
    name: str
    profile_weight: Decimal | None
    weight: Decimal
    score: Decimal


@dataclass(frozen=True)
class Scorecard:
    totals: BudgetTotals
    budget: scoring.BudgetResult | None
    lines: list[IndicatorLine]
    level1_totals: list[Level1Total]
    indicator_total: Decimal
    total: Decimal | None
    grade: str
    flags: list[str] = field(default_factory=list)


def _sum(values):
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def budget_totals(budget_lines) -> BudgetTotals:
    lines = list(budget_lines)
    return BudgetTotals(
        initial=_sum(line.initial_wan for line in lines),
        adjusted=_sum(line.adjusted_wan for line in lines),
        executed=_sum(line.executed_wan for line in lines),
    )


def indicator_result(indicator, profile) -> scoring.IndicatorResult | None:
    """The computed result of one indicator row (a bare number target without a sign scored as 正向), or None for
    a row with no weight, or with neither a sign nor a numeric target."""
    sign = signs.scoring_sign(indicator.sign, indicator.target_value)
    if not sign or indicator.weight is None:
        return None
    return scoring.indicator_score(
        sign=sign,
        weight=indicator.weight,
        target=indicator.target_value,
        actual=indicator.actual_value,
        reverse_rule=profile.reverse_rule,
        over_achievement_ratio=profile.over_achievement_ratio,
    )


def build_scorecard(project, profile=None) -> Scorecard:
    """Score ``project`` as stored, under ``profile`` (default: its fiscal year's)."""
    profile = profile or project.fiscal_year.profile
    return score_rows(profile=profile, budget_lines=project.budget_lines.all(), indicators=project.indicators.all())


def score_rows(*, profile, budget_lines, indicators) -> Scorecard:
    """Score budget lines and indicator rows that need not be saved (the form's live preview uses this)."""
    totals = budget_totals(budget_lines)

    budget = None
    if totals.adjusted is not None or totals.executed is not None:
        budget = scoring.budget_score(
            weight=profile.budget_weight,
            adjusted=totals.adjusted or Decimal(0),
            executed=totals.executed or Decimal(0),
            initial=totals.initial,
            reason_threshold=profile.execution_reason_threshold,
        )

    lines = []
    for indicator in indicators:
        result = indicator_result(indicator, profile)
        computed = result.score if result else None
        score = indicator.claimed_score if indicator.claimed_score is not None else computed
        lines.append(IndicatorLine(indicator=indicator, result=result, score=score))

    profile_weights = {level.name: level.weight for level in profile.level1_categories.all()}
    level1_names = list(profile_weights) + [
        name for name in dict.fromkeys(line.indicator.level1 for line in lines) if name and name not in profile_weights
    ]
    level1_totals = [
        Level1Total(
            name=name,
            profile_weight=profile_weights.get(name),
            weight=sum((ln.indicator.weight or Decimal(0) for ln in lines if ln.indicator.level1 == name), Decimal(0)),
            score=sum((ln.score or Decimal(0) for ln in lines if ln.indicator.level1 == name), Decimal(0)),
        )
        for name in level1_names
    ]

    indicator_total = scoring.total_score(budget=None, indicators=[line.score for line in lines])
    # Without a single weighted indicator there is no self-evaluation to total yet (a record that holds
    # only its budget, or a narrative report without a score sheet): a total of the budget points alone
    # would read as a failing grade.
    if any(line.indicator.weight is not None for line in lines):
        total = scoring.total_score(budget=budget.score if budget else None, indicators=[line.score for line in lines])
    else:
        total = None
    grade = grades.grade_for(total=total, thresholds=profile.grade_thresholds) if total is not None else ""
    flags = list(budget.flags) if budget else []
    return Scorecard(
        totals=totals,
        budget=budget,
        lines=lines,
        level1_totals=level1_totals,
        indicator_total=indicator_total,
        total=total,
        grade=grade,
        flags=flags,
    )
