"""Checks of what a record states against the scoring rules (SPEC §4.4, §5): each broken rule is a Problem.

Claimed indicator and budget scores against the computed ones, stated rates against the computed rate, how
三级 weights roll up to the year's profile, and whether a row's 一级/二级 pair exists in its taxonomy. Pure
Python, no Django; evaluations.quality turns these Problems into findings.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from domain.decimals import ZERO, as_decimal, fmt, is_blank, non_negative
from domain.scoring import BudgetResult, IndicatorResult, qualitative_band
from domain.signs import QUALITATIVE_LABELS, SIGN_QUALITATIVE, required_sign, unknown_label_message


@dataclass(frozen=True)
class Problem:
    """One broken rule: a stable code, a Chinese message, and the values involved (left out of comparisons)."""

    code: str
    message: str
    values: Mapping[str, object] = field(default_factory=dict, compare=False)


def check_claimed_indicator_score(
    *,
    sign: str,
    weight: Decimal,
    claimed: Decimal | None,
    computed: IndicatorResult | None,
    label: str | None = None,
    deviation_reason: str = "",
) -> list[Problem]:
    """Problems with the score a unit claims for one indicator, against SPEC §4.4 and §5.2.

    A missing or out-of-range score is reported alone: every other check would only repeat it. Each problem
    carries the values it compared (claimed, weight, computed score, band, completion).
    """
    sign = required_sign(sign)
    weight = non_negative(weight, "分值")
    if claimed is None:
        return [Problem("score_missing", f"未填写得分（分值 {fmt(weight)} 分）", {"weight": weight})]
    claimed = as_decimal(claimed, "得分")
    values = {"claimed": claimed, "weight": weight}
    if not 0 <= claimed <= weight:
        message = f"得分 {fmt(claimed)} 分超出范围，应在 0 至 {fmt(weight)} 分之间"
        return [Problem("score_out_of_range", message, values)]

    over_achieved = computed is not None and computed.over_achieved
    has_reason = not is_blank(deviation_reason)
    problems = []
    if sign == SIGN_QUALITATIVE:
        problems += _label_problems(claimed=claimed, weight=weight, label=label, values=values)
    elif computed is not None and computed.score is not None:
        lowering_allowed = over_achieved and has_reason
        problems += _computed_score_problems(
            claimed=claimed, computed=computed, over_achieved=over_achieved, allowed=lowering_allowed, values=values
        )
    if not has_reason:
        problems += _deviation_reason_problems(
            claimed=claimed, weight=weight, computed=computed, over_achieved=over_achieved, values=values
        )
    return problems


def _label_problems(*, claimed: Decimal, weight: Decimal, label: str | None, values: dict) -> list[Problem]:
    """A 定性 indicator: its label must be one of the three, and the claimed score inside that label's band."""
    if is_blank(label):
        return [Problem("label_missing", "定性指标未选择完成情况", values)]
    if label not in QUALITATIVE_LABELS:
        return [Problem("label_unknown", unknown_label_message(label), {**values, "label": label})]
    band = qualitative_band(label=label, weight=weight)
    if band.contains(claimed):
        return []
    message = f"得分 {fmt(claimed)} 分与“{label}”不符，{band.describe()}"
    band_values = {"label": label, "band_low": band.low, "band_high": band.high}
    return [Problem("score_outside_band", message, {**values, **band_values})]


def _computed_score_problems(
    *, claimed: Decimal, computed: IndicatorResult, over_achieved: bool, allowed: bool, values: dict
) -> list[Problem]:
    """A 定量 indicator: never above the computed score; below it only where ``allowed``."""
    here = f"得分 {fmt(claimed)} 分"
    compared = {**values, "computed": computed.score}
    if claimed > computed.score:
        message = f"{here}高于按完成值计算的 {fmt(computed.score)} 分"
        return [Problem("score_above_computed", message, compared)]
    if claimed < computed.score and not allowed:
        # §5.2 allows lowering the computed score only for over-achievement, and only with a reason.
        why = "须填写偏差原因" if over_achieved else "只有完成值高于指标值较多时才可调减"
        message = f"{here}低于按完成值计算的 {fmt(computed.score)} 分，{why}"
        return [Problem("score_below_computed_without_reason", message, compared)]
    return []


def _deviation_reason_problems(
    *, claimed: Decimal, weight: Decimal, computed: IndicatorResult | None, over_achieved: bool, values: dict
) -> list[Problem]:
    """No 偏差原因: required when the score is below the weight or the indicator is over-achieved (SPEC §4.4)."""
    causes = []
    if claimed < weight:
        causes.append(f"得分 {fmt(claimed)} 分低于分值 {fmt(weight)} 分")
    if over_achieved:
        rate = "" if computed.completion is None else f"（完成率 {fmt(computed.completion * 100)}%）"
        causes.append(f"完成值高于指标值较多{rate}")
    if not causes:
        return []
    message = f"{'；'.join(causes)}，须填写偏差原因分析及改进措施"
    reason_values = {**values, "over_achieved": over_achieved}
    if over_achieved and computed.completion is not None:
        reason_values["completion"] = computed.completion
    return [Problem("deviation_reason_required", message, reason_values)]


def check_claimed_budget_score(*, weight: Decimal, claimed: Decimal | None, computed: BudgetResult) -> list[Problem]:
    """Problems with a stated 预算执行得分 against weight × min(B / A, 1) (SPEC §5.1).

    Nothing to compare when no score is stated or A is 0 (the row is not scored then). A score above the
    weight (seed 001: 100 where the weight is 10) is one problem, with the score the rate gives.
    """
    weight = non_negative(weight, "分值")
    if claimed is None or computed.score is None:
        return []
    claimed = as_decimal(claimed, "预算执行得分")
    if claimed == computed.score:
        return []
    above = claimed > weight
    rate = "—" if computed.rate is None else f"{fmt(computed.rate * 100)}%"
    message = (
        f"预算执行得分填报 {fmt(claimed)} 分"
        + (f"，高于分值 {fmt(weight)} 分" if above else "")
        + f"，按执行率 {rate} 应为 {fmt(computed.score)} 分"
    )
    values = {"claimed": claimed, "weight": weight, "computed": computed.score, "rate": computed.rate}
    return [Problem("budget_score_above_weight" if above else "budget_score_mismatch", message, values)]


def stated_rate_matches(*, stated: Decimal, rate: Decimal) -> bool:
    """Whether a published rate (a fraction, e.g. 0.2869 for "28.69%") follows from the computed ``rate``.

    Published rates are percentages with 2 decimals (SPEC §9), some with more; the stated figure matches when
    the computed one, rounded half-up or cut off at the stated precision (never coarser than 2 decimals of a
    percent), gives it. Seed 000 cuts 28.6979% to 28.69%; seed 004 states 14.50% for 2.20 / 15.15 = 14.52%.
    """
    stated, rate = as_decimal(stated, "填报执行率") * 100, as_decimal(rate, "执行率") * 100
    places = max(2, -stated.normalize().as_tuple().exponent)
    quantum = Decimal(1).scaleb(-places)
    return stated in (rate.quantize(quantum, rounding=ROUND_HALF_UP), rate.quantize(quantum, rounding=ROUND_DOWN))


@dataclass(frozen=True)
class WeightLine:
    level1: str
    level2: str
    weight: Decimal | None


def check_weight_rollup(
    *,
    budget_weight: Decimal,
    level1_weights: Mapping[str, Decimal],
    lines: Iterable[WeightLine],
    level2_weights: Mapping[tuple[str, str], Decimal | None] | None = None,
    total: Decimal = Decimal(100),
    report_unknown: bool = True,
) -> list[Problem]:
    """Problems with how 三级 weights roll up to 二级, 一级 and the profile total (blank weight = 0).

    ``level2_weights`` lists the taxonomy's 二级 with their points; None points are not fixed (only the 一级
    sum counts). With ``report_unknown`` off, lines outside the taxonomy are left to the caller to report.
    """
    budget_weight, total = as_decimal(budget_weight, "预算执行分值"), as_decimal(total, "总分值")
    sums: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        weight = ZERO if line.weight is None else as_decimal(line.weight, "分值")
        sums[line.level1, line.level2] = sums.get((line.level1, line.level2), ZERO) + weight

    def sum_of(level1: str) -> Decimal:
        return sum((value for (l1, _), value in sums.items() if l1 == level1), ZERO)

    problems = []
    level1_total = sum((as_decimal(w, "一级指标分值") for w in level1_weights.values()), ZERO)
    if budget_weight + level1_total != total:
        message = (
            f"预算执行分值 {fmt(budget_weight)} 分与一级指标分值合计 {fmt(level1_total)} 分之和为 "
            f"{fmt(budget_weight + level1_total)} 分，应为 {fmt(total)} 分"
        )
        values = {"budget_weight": budget_weight, "level1_total": level1_total, "expected": total}
        problems.append(Problem("profile_total_mismatch", message, values))
    for level1, expected in level1_weights.items():
        if sum_of(level1) != as_decimal(expected, "一级指标分值"):
            message = f"{level1}的三级指标分值合计 {fmt(sum_of(level1))} 分，应为 {fmt(expected)} 分"
            values = {"level1": level1, "actual": sum_of(level1), "expected": expected}
            problems.append(Problem("level1_weight_mismatch", message, values))
    if report_unknown:
        for level1 in dict.fromkeys(l1 for l1, _ in sums if l1 not in level1_weights):
            message = f"一级指标“{level1}”不在本年度规则中，其三级指标分值合计 {fmt(sum_of(level1))} 分"
            problems.append(Problem("unknown_level1", message, {"level1": level1, "actual": sum_of(level1)}))
    if level2_weights is not None:
        for (level1, level2), expected in level2_weights.items():
            actual = sums.get((level1, level2), ZERO)
            if expected is not None and actual != as_decimal(expected, "二级指标分值"):
                message = f"{level1}—{level2}的三级指标分值合计 {fmt(actual)} 分，应为 {fmt(expected)} 分"
                values = {"level1": level1, "level2": level2, "actual": actual, "expected": expected}
                problems.append(Problem("level2_weight_mismatch", message, values))
        if report_unknown:
            for (level1, level2), actual in sums.items():
                if level1 in level1_weights and (level1, level2) not in level2_weights:
                    message = f"二级指标“{level1}—{level2}”不在本年度规则中，其三级指标分值合计 {fmt(actual)} 分"
                    values = {"level1": level1, "level2": level2, "actual": actual}
                    problems.append(Problem("unknown_level2", message, values))
    return problems


def check_indicator_total(
    *, budget_weight: Decimal, lines: Iterable[WeightLine], total: Decimal = Decimal(100)
) -> list[Problem]:
    """For profiles whose 一级 points are free (Sichuan): the 三级 weights must fill total − budget exactly."""
    budget_weight, total = as_decimal(budget_weight, "预算执行分值"), as_decimal(total, "总分值")
    expected = total - budget_weight
    actual = sum((as_decimal(line.weight, "分值") for line in lines if line.weight is not None), ZERO)
    if actual == expected:
        return []
    message = (
        f"三级指标分值合计 {fmt(actual)} 分，应为 {fmt(expected)} 分"
        f"（总分 {fmt(total)} 分减预算执行 {fmt(budget_weight)} 分）"
    )
    values = {"actual": actual, "expected": expected, "budget_weight": budget_weight, "total": total}
    return [Problem("indicator_total_mismatch", message, values)]


def check_category(*, level1: str, level2: str, taxonomy: Mapping[str, Collection[str]]) -> Problem | None:
    """Whether a row's 一级 / 二级 pair exists in the profile's taxonomy (一级 → its 二级); blank parts are not judged.

    A 二级 that the taxonomy files under another 一级 is named with where it belongs.
    """
    if not level1 or not level2:
        return None
    values = {"level1": level1, "level2": level2}
    if level1 not in taxonomy:
        return Problem("unknown_level1", f"一级指标“{level1}”不在本年度规则中", values)
    if level2 in taxonomy[level1]:
        return None
    homes = [name for name, level2s in taxonomy.items() if level2 in level2s]
    where = f"（本年度规则中属于“{'、'.join(homes)}”）" if homes else "（本年度规则中没有该二级指标）"
    return Problem("unknown_level2", f"二级指标“{level2}”不属于一级指标“{level1}”{where}", {**values, "homes": homes})
