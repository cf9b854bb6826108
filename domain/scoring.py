"""Scoring rules of SPEC §5: the budget execution score, the indicator score table and the 定性 bands, the total.

The one place these rules exist: forms, imports, reports and quality checks call these functions and never
re-derive a score. Pure functions over ``Decimal`` (floats are refused), no Django. Rates are fractions
(``Decimal("0.9692")``, not 96.92); scores are rounded half-up to 2 decimals. Grades are in domain.grades,
the checks of stated figures in domain.rule_checks, the department formulas of SPEC §7 in
domain.department_formulas.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.decimals import ZERO, as_decimal, fmt, non_negative, round2
from domain.signs import (
    LABEL_ACHIEVED,
    LABEL_NOT_ACHIEVED,
    LABEL_PARTIAL,
    REVERSE_SIGNS,
    SIGN_EQ,
    SIGN_QUALITATIVE,
    required_sign,
    unknown_label_message,
)

DEFAULT_OVER_ACHIEVEMENT_RATIO = Decimal("1.2")
DEFAULT_EXECUTION_REASON_THRESHOLD = Decimal("0.9")


class ReverseRule(StrEnum):
    """How a 反向 (``≤`` ``<``) indicator above its target is scored (SPEC §5.2); a rule profile picks one.

    LINEAR, the provincial systems': round((1 − (A − T) / T) × w, 2) for T < A < 2T, 0 from 2T on.
    RATIO, the national text (财预〔2020〕10号): 年度指标值 / 实际完成值 × 分值, round(T / A × w, 2).
    """

    LINEAR = "linear"
    RATIO = "ratio"


FLAG_BUDGET_ZERO = "budget_zero"
FLAG_OVER_EXECUTED = "over_executed"
FLAG_EXECUTION_REASON_REQUIRED = "execution_reason_required"
FLAG_ADJUSTMENT_REASON_REQUIRED = "adjustment_reason_required"
FLAG_NOT_NUMERIC = "not_numeric"
FLAG_OVER_ACHIEVED = "over_achieved"


def execution_rate(*, adjusted: Decimal, executed: Decimal) -> Decimal | None:
    """执行率 B / A, unrounded; None when A is 0."""
    adjusted, executed = as_decimal(adjusted, "全年预算数"), as_decimal(executed, "全年执行数")
    return None if adjusted == 0 else executed / adjusted


def adjustment_rate(*, initial: Decimal, adjusted: Decimal) -> Decimal | None:
    """预算调整率 |A − 年初| / 年初, unrounded; None when 年初 is 0."""
    initial, adjusted = as_decimal(initial, "年初预算数"), as_decimal(adjusted, "全年预算数")
    return None if initial == 0 else abs(adjusted - initial) / initial


def is_adjusted(*, initial: Decimal, adjusted: Decimal) -> bool:
    """Whether A differs from 年初预算数 (a budget first granted during the year counts too)."""
    return as_decimal(adjusted, "全年预算数") != as_decimal(initial, "年初预算数")


@dataclass(frozen=True)
class BudgetResult:
    rate: Decimal | None
    score: Decimal | None
    flags: tuple[str, ...]


def budget_score(
    *,
    weight: Decimal,
    adjusted: Decimal,
    executed: Decimal,
    initial: Decimal | None = None,
    reason_threshold: Decimal = DEFAULT_EXECUTION_REASON_THRESHOLD,
) -> BudgetResult:
    """预算执行率得分 = weight × min(B / A, 1) (SPEC §5.1), with the flags the record needs.

    A negative 执行数 counts as 0, also in the returned rate. A = 0 is not scored (flag ``budget_zero``).
    """
    weight = non_negative(weight, "分值")
    adjusted = non_negative(adjusted, "全年预算数")
    executed = max(as_decimal(executed, "全年执行数"), ZERO)
    reason_threshold = as_decimal(reason_threshold, "执行率说明阈值")
    flags = []
    rate = score = None
    if adjusted == 0:
        flags.append(FLAG_BUDGET_ZERO)
    else:
        rate = executed / adjusted
        score = round2(weight * min(rate, Decimal(1)))
    if executed > adjusted:
        flags.append(FLAG_OVER_EXECUTED)
    if rate is not None and rate < reason_threshold:
        flags.append(FLAG_EXECUTION_REASON_REQUIRED)
    if initial is not None and is_adjusted(initial=initial, adjusted=adjusted):
        flags.append(FLAG_ADJUSTMENT_REASON_REQUIRED)
    return BudgetResult(rate=rate, score=score, flags=tuple(flags))


def is_over_achieved(*, sign: str, target: Decimal | None, actual: Decimal | None, ratio: Decimal) -> bool:
    """Whether a 正向 or ``=`` indicator's actual reaches ``ratio`` × its (positive) target (SPEC §5.2).

    The same test serves the over-achievement ratio (a 偏差原因 is required) and the finance bureau's
    "目标设置过低" ratio; a negative actual counts as 0, a 反向 or 定性 indicator is never over-achieved.
    """
    sign = required_sign(sign)
    ratio = as_decimal(ratio, "超额完成比例")
    if sign in (*REVERSE_SIGNS, SIGN_QUALITATIVE) or target is None or actual is None:
        return False
    target = as_decimal(target, "年度指标值")
    actual = max(as_decimal(actual, "实际完成值"), ZERO)
    return target > 0 and actual >= target * ratio


@dataclass(frozen=True)
class IndicatorResult:
    score: Decimal | None
    completion: Decimal | None
    over_achieved: bool
    flags: tuple[str, ...]


def indicator_score(
    *,
    sign: str,
    weight: Decimal,
    target: Decimal | None,
    actual: Decimal | None,
    reverse_rule: ReverseRule | str,
    over_achievement_ratio: Decimal = DEFAULT_OVER_ACHIEVEMENT_RATIO,
) -> IndicatorResult:
    """Suggested score of one 三级 indicator by the SPEC §5.2 table; always 0 ≤ score ≤ weight.

    ``reverse_rule`` is the profile's rule for a 反向 indicator above its target (no default: every caller
    passes its profile's). 定性 indicators get no score (the unit picks one inside its label's band). A 定量
    indicator without a numeric target or actual gets none either and is flagged ``not_numeric``.
    """
    sign = required_sign(sign)
    reverse_rule = _required_reverse_rule(reverse_rule)
    weight = non_negative(weight, "分值")
    ratio = as_decimal(over_achievement_ratio, "超额完成比例")
    if sign == SIGN_QUALITATIVE:
        return IndicatorResult(score=None, completion=None, over_achieved=False, flags=())
    if target is None or actual is None:
        return IndicatorResult(score=None, completion=None, over_achieved=False, flags=(FLAG_NOT_NUMERIC,))
    target = as_decimal(target, "年度指标值")
    actual = max(as_decimal(actual, "实际完成值"), ZERO)

    if sign in REVERSE_SIGNS:
        if target == 0:
            score = weight if actual <= 0 else ZERO
        elif actual <= target:
            score = weight
        elif reverse_rule == ReverseRule.RATIO:
            # A negative target is missed by any actual (a negative actual counts as 0): 0, as by the linear rule.
            score = round2(target / actual * weight) if target > 0 else ZERO
        elif actual >= 2 * target:
            score = ZERO
        else:
            score = round2((1 - (actual - target) / target) * weight)
    elif sign == SIGN_EQ and target == 0:
        score = weight if actual <= 0 else ZERO
    elif target == 0 or actual >= target:
        score = weight
    else:
        score = round2(actual / target * weight)

    over_achieved = is_over_achieved(sign=sign, target=target, actual=actual, ratio=ratio)
    return IndicatorResult(
        score=min(max(score, ZERO), weight),
        completion=None if target == 0 else actual / target,
        over_achieved=over_achieved,
        flags=(FLAG_OVER_ACHIEVED,) if over_achieved else (),
    )


def _required_reverse_rule(rule: ReverseRule | str) -> ReverseRule:
    if not isinstance(rule, str):
        raise TypeError(f"反向指标计分规则必须是文本：{rule!r}")
    try:
        return ReverseRule(rule)
    except ValueError:
        raise ValueError(f"无法识别的反向指标计分规则“{rule}”，应为 linear 或 ratio") from None


@dataclass(frozen=True)
class Band:
    low: Decimal
    high: Decimal
    high_inclusive: bool

    def contains(self, score: Decimal) -> bool:
        score = as_decimal(score, "得分")
        return self.low <= score and (score <= self.high if self.high_inclusive else score < self.high)

    def describe(self) -> str:
        """The band in words, e.g. "应在 16.00 至 20.00 分之间"."""
        text = f"应在 {fmt(self.low)} 至 {fmt(self.high)} 分之间"
        return text if self.high_inclusive else f"{text}（不含 {fmt(self.high)} 分）"


def qualitative_band(*, label: str, weight: Decimal) -> Band:
    """The score band of a 定性 label: 达成 [0.8w, w], 部分达成 [0.6w, 0.8w), 未达成 [0, 0.6w)."""
    weight = non_negative(weight, "分值")
    if label == LABEL_ACHIEVED:
        return Band(low=weight * Decimal("0.8"), high=weight, high_inclusive=True)
    if label == LABEL_PARTIAL:
        return Band(low=weight * Decimal("0.6"), high=weight * Decimal("0.8"), high_inclusive=False)
    if label == LABEL_NOT_ACHIEVED:
        return Band(low=ZERO, high=weight * Decimal("0.6"), high_inclusive=False)
    raise ValueError(unknown_label_message(label))


def qualitative_label_for(*, score: Decimal, weight: Decimal) -> str:
    """The 定性 label whose band holds ``score`` (0 ≤ score ≤ weight)."""
    score, weight = as_decimal(score, "得分"), non_negative(weight, "分值")
    if not 0 <= score <= weight:
        raise ValueError(f"得分 {fmt(score)} 分超出范围，应在 0 至 {fmt(weight)} 分之间")
    if score >= weight * Decimal("0.8"):
        return LABEL_ACHIEVED
    if score >= weight * Decimal("0.6"):
        return LABEL_PARTIAL
    return LABEL_NOT_ACHIEVED


def total_score(*, budget: Decimal | None, indicators: Iterable[Decimal | None]) -> Decimal:
    """总分 = budget score + Σ indicator scores; a missing score counts as 0."""
    return round2(sum((as_decimal(part, "得分") for part in (budget, *indicators) if part is not None), ZERO))
