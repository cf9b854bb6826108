"""Scoring rules of SPEC §5 and the computable department formulas of SPEC §7.

The one place these rules exist: forms, imports, reports and quality checks call these functions and never
re-derive a score. Pure functions over ``Decimal`` (floats are refused), no Django. Rates are fractions
(``Decimal("0.9692")``, not 96.92); scores are rounded half-up to 2 decimals.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

SIGN_GE, SIGN_GT, SIGN_EQ, SIGN_LE, SIGN_LT, SIGN_QUALITATIVE = "≥", ">", "=", "≤", "<", "定性"
POSITIVE_SIGNS = (SIGN_GE, SIGN_GT)
REVERSE_SIGNS = (SIGN_LE, SIGN_LT)

LABEL_ACHIEVED = "达成年度指标"
LABEL_PARTIAL = "部分达成年度指标并具有一定效果"
LABEL_NOT_ACHIEVED = "未达成年度指标且效果较差"
QUALITATIVE_LABELS = (LABEL_ACHIEVED, LABEL_PARTIAL, LABEL_NOT_ACHIEVED)

GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR, GRADE_POOR = "优", "良", "中", "差"
DEFAULT_GRADE_THRESHOLDS = {GRADE_EXCELLENT: Decimal(90), GRADE_GOOD: Decimal(80), GRADE_FAIR: Decimal(60)}
DEFAULT_OVER_ACHIEVEMENT_RATIO = Decimal("1.2")
DEFAULT_EXECUTION_REASON_THRESHOLD = Decimal("0.9")

FLAG_BUDGET_ZERO = "budget_zero"
FLAG_OVER_EXECUTED = "over_executed"
FLAG_EXECUTION_REASON_REQUIRED = "execution_reason_required"
FLAG_ADJUSTMENT_REASON_REQUIRED = "adjustment_reason_required"
FLAG_NOT_NUMERIC = "not_numeric"
FLAG_OVER_ACHIEVED = "over_achieved"

CENT = Decimal("0.01")
ZERO = Decimal(0)

_SIGN_FORMS = {"=": SIGN_EQ, ">": SIGN_GT, "<": SIGN_LT, "定性": SIGN_QUALITATIVE}
_SIGN_FORMS |= dict.fromkeys((">=", "≥", "≧"), SIGN_GE) | dict.fromkeys(("<=", "≤", "≦"), SIGN_LE)
_FULL_WIDTH = str.maketrans({"＝": "=", "＞": ">", "＜": "<", "　": ""})


def _decimal(value: object, name: str) -> Decimal:
    """Return ``value`` as a finite Decimal; floats and other types are refused."""
    if isinstance(value, float):
        raise TypeError(f"{name}必须是 Decimal，不能是浮点数：{value!r}")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name}必须是 Decimal：{value!r}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{name}不是有效数值：{value}")
    return value


def _non_negative(value: object, name: str) -> Decimal:
    value = _decimal(value, name)
    if value < 0:
        raise ValueError(f"{name}不能为负数：{value}")
    return value


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}必须是整数：{value!r}")
    if value < 0:
        raise ValueError(f"{name}不能为负数：{value}")
    return value


def _fmt(value: Decimal) -> str:
    return format(round2(value), "f")


def _is_blank(text: str | None) -> bool:
    return text is None or not text.strip()


def round2(value: Decimal) -> Decimal:
    """Round half-up to 2 decimals (2.345 → 2.35)."""
    return _decimal(value, "数值").quantize(CENT, rounding=ROUND_HALF_UP)


def normalise_sign(text: str | None) -> str | None:
    """Map any written form of 指标性质 (full-width, ``>=``) to one of the six signs; blank → None."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(f"指标性质必须是文本：{text!r}")
    key = text.translate(_FULL_WIDTH).strip()
    if not key:
        return None
    if key not in _SIGN_FORMS:
        raise ValueError(f"无法识别的指标性质“{text}”，应为 ≥、>、=、≤、< 或 定性")
    return _SIGN_FORMS[key]


def _required_sign(sign: str) -> str:
    normalised = normalise_sign(sign)
    if normalised is None:
        raise ValueError("指标性质为空，无法计算得分")
    return normalised


def execution_rate(*, adjusted: Decimal, executed: Decimal) -> Decimal | None:
    """执行率 B / A, unrounded; None when A is 0."""
    adjusted, executed = _decimal(adjusted, "全年预算数"), _decimal(executed, "全年执行数")
    return None if adjusted == 0 else executed / adjusted


def adjustment_rate(*, initial: Decimal, adjusted: Decimal) -> Decimal | None:
    """预算调整率 |A − 年初| / 年初, unrounded; None when 年初 is 0."""
    initial, adjusted = _decimal(initial, "年初预算数"), _decimal(adjusted, "全年预算数")
    return None if initial == 0 else abs(adjusted - initial) / initial


def is_adjusted(*, initial: Decimal, adjusted: Decimal) -> bool:
    """Whether A differs from 年初预算数 (a budget first granted during the year counts too)."""
    return _decimal(adjusted, "全年预算数") != _decimal(initial, "年初预算数")


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
    weight = _non_negative(weight, "分值")
    adjusted = _non_negative(adjusted, "全年预算数")
    executed = max(_decimal(executed, "全年执行数"), ZERO)
    reason_threshold = _decimal(reason_threshold, "执行率说明阈值")
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
    sign = _required_sign(sign)
    ratio = _decimal(ratio, "超额完成比例")
    if sign in (*REVERSE_SIGNS, SIGN_QUALITATIVE) or target is None or actual is None:
        return False
    target = _decimal(target, "年度指标值")
    actual = max(_decimal(actual, "实际完成值"), ZERO)
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
    over_achievement_ratio: Decimal = DEFAULT_OVER_ACHIEVEMENT_RATIO,
) -> IndicatorResult:
    """Suggested score of one 三级 indicator by the SPEC §5.2 table; always 0 ≤ score ≤ weight.

    定性 indicators get no score (the unit picks one inside its label's band). A 定量 indicator without a
    numeric target or actual gets none either and is flagged ``not_numeric``.
    """
    sign = _required_sign(sign)
    weight = _non_negative(weight, "分值")
    ratio = _decimal(over_achievement_ratio, "超额完成比例")
    if sign == SIGN_QUALITATIVE:
        return IndicatorResult(score=None, completion=None, over_achieved=False, flags=())
    if target is None or actual is None:
        return IndicatorResult(score=None, completion=None, over_achieved=False, flags=(FLAG_NOT_NUMERIC,))
    target = _decimal(target, "年度指标值")
    actual = max(_decimal(actual, "实际完成值"), ZERO)

    if sign in REVERSE_SIGNS:
        if target == 0:
            score = weight if actual <= 0 else ZERO
        elif actual <= target:
            score = weight
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


@dataclass(frozen=True)
class Band:
    low: Decimal
    high: Decimal
    high_inclusive: bool

    def contains(self, score: Decimal) -> bool:
        score = _decimal(score, "得分")
        return self.low <= score and (score <= self.high if self.high_inclusive else score < self.high)

    def describe(self) -> str:
        """The band in words, e.g. "应在 16.00 至 20.00 分之间"."""
        text = f"应在 {_fmt(self.low)} 至 {_fmt(self.high)} 分之间"
        return text if self.high_inclusive else f"{text}（不含 {_fmt(self.high)} 分）"


def qualitative_band(*, label: str, weight: Decimal) -> Band:
    """The score band of a 定性 label: 达成 [0.8w, w], 部分达成 [0.6w, 0.8w), 未达成 [0, 0.6w)."""
    weight = _non_negative(weight, "分值")
    if label == LABEL_ACHIEVED:
        return Band(low=weight * Decimal("0.8"), high=weight, high_inclusive=True)
    if label == LABEL_PARTIAL:
        return Band(low=weight * Decimal("0.6"), high=weight * Decimal("0.8"), high_inclusive=False)
    if label == LABEL_NOT_ACHIEVED:
        return Band(low=ZERO, high=weight * Decimal("0.6"), high_inclusive=False)
    raise ValueError(_unknown_label_message(label))


def _unknown_label_message(label: str) -> str:
    return f"无法识别的定性指标完成情况“{label}”，应为：{'、'.join(QUALITATIVE_LABELS)}"


def qualitative_label_for(*, score: Decimal, weight: Decimal) -> str:
    """The 定性 label whose band holds ``score`` (0 ≤ score ≤ weight)."""
    score, weight = _decimal(score, "得分"), _non_negative(weight, "分值")
    if not 0 <= score <= weight:
        raise ValueError(f"得分 {_fmt(score)} 分超出范围，应在 0 至 {_fmt(weight)} 分之间")
    if score >= weight * Decimal("0.8"):
        return LABEL_ACHIEVED
    if score >= weight * Decimal("0.6"):
        return LABEL_PARTIAL
    return LABEL_NOT_ACHIEVED


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
    sign = _required_sign(sign)
    weight = _non_negative(weight, "分值")
    if claimed is None:
        return [Problem("score_missing", f"未填写得分（分值 {_fmt(weight)} 分）", {"weight": weight})]
    claimed = _decimal(claimed, "得分")
    values = {"claimed": claimed, "weight": weight}
    if not 0 <= claimed <= weight:
        message = f"得分 {_fmt(claimed)} 分超出范围，应在 0 至 {_fmt(weight)} 分之间"
        return [Problem("score_out_of_range", message, values)]

    problems = []
    no_reason = _is_blank(deviation_reason)
    over_achieved = computed is not None and computed.over_achieved
    if sign == SIGN_QUALITATIVE:
        if _is_blank(label):
            problems.append(Problem("label_missing", "定性指标未选择完成情况", values))
        elif label not in QUALITATIVE_LABELS:
            problems.append(Problem("label_unknown", _unknown_label_message(label), {**values, "label": label}))
        else:
            band = qualitative_band(label=label, weight=weight)
            if not band.contains(claimed):
                message = f"得分 {_fmt(claimed)} 分与“{label}”不符，{band.describe()}"
                band_values = {"label": label, "band_low": band.low, "band_high": band.high}
                problems.append(Problem("score_outside_band", message, {**values, **band_values}))
    elif computed is not None and computed.score is not None:
        here = f"得分 {_fmt(claimed)} 分"
        compared = {**values, "computed": computed.score}
        if claimed > computed.score:
            message = f"{here}高于按完成值计算的 {_fmt(computed.score)} 分"
            problems.append(Problem("score_above_computed", message, compared))
        elif claimed < computed.score and not (over_achieved and not no_reason):
            # §5.2 allows lowering the computed score only for over-achievement, and only with a reason.
            why = "须填写偏差原因" if over_achieved else "只有完成值高于指标值较多时才可调减"
            message = f"{here}低于按完成值计算的 {_fmt(computed.score)} 分，{why}"
            problems.append(Problem("score_below_computed_without_reason", message, compared))

    if no_reason:
        causes = []
        if claimed < weight:
            causes.append(f"得分 {_fmt(claimed)} 分低于分值 {_fmt(weight)} 分")
        if over_achieved:
            rate = "" if computed.completion is None else f"（完成率 {_fmt(computed.completion * 100)}%）"
            causes.append(f"完成值高于指标值较多{rate}")
        if causes:
            message = f"{'；'.join(causes)}，须填写偏差原因分析及改进措施"
            reason_values = {**values, "over_achieved": over_achieved}
            if over_achieved and computed.completion is not None:
                reason_values["completion"] = computed.completion
            problems.append(Problem("deviation_reason_required", message, reason_values))
    return problems


def check_claimed_budget_score(*, weight: Decimal, claimed: Decimal | None, computed: BudgetResult) -> list[Problem]:
    """Problems with a stated 预算执行得分 against weight × min(B / A, 1) (SPEC §5.1).

    Nothing to compare when no score is stated or A is 0 (the row is not scored then). A score above the
    weight (seed 001: 100 where the weight is 10) is one problem, with the score the rate gives.
    """
    weight = _non_negative(weight, "分值")
    if claimed is None or computed.score is None:
        return []
    claimed = _decimal(claimed, "预算执行得分")
    if claimed == computed.score:
        return []
    above = claimed > weight
    rate = "—" if computed.rate is None else f"{_fmt(computed.rate * 100)}%"
    message = (
        f"预算执行得分填报 {_fmt(claimed)} 分"
        + (f"，高于分值 {_fmt(weight)} 分" if above else "")
        + f"，按执行率 {rate} 应为 {_fmt(computed.score)} 分"
    )
    values = {"claimed": claimed, "weight": weight, "computed": computed.score, "rate": computed.rate}
    return [Problem("budget_score_above_weight" if above else "budget_score_mismatch", message, values)]


def stated_rate_matches(*, stated: Decimal, rate: Decimal) -> bool:
    """Whether a published rate (a fraction, e.g. 0.2869 for "28.69%") follows from the computed ``rate``.

    Published rates are percentages with 2 decimals (SPEC §9), some with more; the stated figure matches when
    the computed one, rounded half-up or cut off at the stated precision (never coarser than 2 decimals of a
    percent), gives it. Seed 000 cuts 28.6979% to 28.69%; seed 004 states 14.50% for 2.20 / 15.15 = 14.52%.
    """
    stated, rate = _decimal(stated, "填报执行率") * 100, _decimal(rate, "执行率") * 100
    places = max(2, -stated.normalize().as_tuple().exponent)
    quantum = Decimal(1).scaleb(-places)
    return stated in (rate.quantize(quantum, rounding=ROUND_HALF_UP), rate.quantize(quantum, rounding=ROUND_DOWN))


def total_score(*, budget: Decimal | None, indicators: Iterable[Decimal | None]) -> Decimal:
    """总分 = budget score + Σ indicator scores; a missing score counts as 0."""
    return round2(sum((_decimal(part, "得分") for part in (budget, *indicators) if part is not None), ZERO))


def grade_for(*, total: Decimal, thresholds: Mapping[str, Decimal] = DEFAULT_GRADE_THRESHOLDS) -> str:
    """The grade whose threshold ``total`` reaches, checked 优 → 良 → 中; below all of them 差."""
    total = _decimal(total, "总分")
    for grade in (GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR):
        if total >= _decimal(thresholds[grade], f"{grade}的分数线"):
            return grade
    return GRADE_POOR


def reported_grade(
    *, claimed_grade: str, claimed_total: Decimal | None, computed_grade: str, thresholds: Mapping[str, Decimal]
) -> str:
    """The grade a record reports: as stated; else that of its stated total; else the computed one ("" if none).

    A table that states a total and no grade (common in published tables) reports the grade of that total,
    not that of a total the rules compute and the table does not print. ``evaluations.models.reported_grade_sql``
    is the same rule for querysets.
    """
    if claimed_grade:
        return claimed_grade
    if claimed_total is not None:
        return grade_for(total=claimed_total, thresholds=thresholds)
    return computed_grade or ""


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
    budget_weight, total = _decimal(budget_weight, "预算执行分值"), _decimal(total, "总分值")
    sums: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        weight = ZERO if line.weight is None else _decimal(line.weight, "分值")
        sums[line.level1, line.level2] = sums.get((line.level1, line.level2), ZERO) + weight

    def sum_of(level1: str) -> Decimal:
        return sum((value for (l1, _), value in sums.items() if l1 == level1), ZERO)

    problems = []
    level1_total = sum((_decimal(w, "一级指标分值") for w in level1_weights.values()), ZERO)
    if budget_weight + level1_total != total:
        message = (
            f"预算执行分值 {_fmt(budget_weight)} 分与一级指标分值合计 {_fmt(level1_total)} 分之和为 "
            f"{_fmt(budget_weight + level1_total)} 分，应为 {_fmt(total)} 分"
        )
        values = {"budget_weight": budget_weight, "level1_total": level1_total, "expected": total}
        problems.append(Problem("profile_total_mismatch", message, values))
    for level1, expected in level1_weights.items():
        if sum_of(level1) != _decimal(expected, "一级指标分值"):
            message = f"{level1}的三级指标分值合计 {_fmt(sum_of(level1))} 分，应为 {_fmt(expected)} 分"
            values = {"level1": level1, "actual": sum_of(level1), "expected": expected}
            problems.append(Problem("level1_weight_mismatch", message, values))
    if report_unknown:
        for level1 in dict.fromkeys(l1 for l1, _ in sums if l1 not in level1_weights):
            message = f"一级指标“{level1}”不在本年度规则中，其三级指标分值合计 {_fmt(sum_of(level1))} 分"
            problems.append(Problem("unknown_level1", message, {"level1": level1, "actual": sum_of(level1)}))
    if level2_weights is not None:
        for (level1, level2), expected in level2_weights.items():
            actual = sums.get((level1, level2), ZERO)
            if expected is not None and actual != _decimal(expected, "二级指标分值"):
                message = f"{level1}—{level2}的三级指标分值合计 {_fmt(actual)} 分，应为 {_fmt(expected)} 分"
                values = {"level1": level1, "level2": level2, "actual": actual, "expected": expected}
                problems.append(Problem("level2_weight_mismatch", message, values))
        if report_unknown:
            for (level1, level2), actual in sums.items():
                if level1 in level1_weights and (level1, level2) not in level2_weights:
                    message = f"二级指标“{level1}—{level2}”不在本年度规则中，其三级指标分值合计 {_fmt(actual)} 分"
                    values = {"level1": level1, "level2": level2, "actual": actual}
                    problems.append(Problem("unknown_level2", message, values))
    return problems


def check_indicator_total(
    *, budget_weight: Decimal, lines: Iterable[WeightLine], total: Decimal = Decimal(100)
) -> list[Problem]:
    """For profiles whose 一级 points are free (Sichuan): the 三级 weights must fill total − budget exactly."""
    budget_weight, total = _decimal(budget_weight, "预算执行分值"), _decimal(total, "总分值")
    expected = total - budget_weight
    actual = sum((_decimal(line.weight, "分值") for line in lines if line.weight is not None), ZERO)
    if actual == expected:
        return []
    message = (
        f"三级指标分值合计 {_fmt(actual)} 分，应为 {_fmt(expected)} 分"
        f"（总分 {_fmt(total)} 分减预算执行 {_fmt(budget_weight)} 分）"
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


def self_evaluation_difference(*, self_total: Decimal, reviewer_total: Decimal) -> Decimal | None:
    """|self − reviewer| / reviewer, unrounded; None when the reviewer's total is 0."""
    self_total = _non_negative(self_total, "自评得分")
    reviewer_total = _non_negative(reviewer_total, "抽查得分")
    return None if reviewer_total == 0 else abs(self_total - reviewer_total) / reviewer_total


def self_evaluation_accuracy_deduction(*, self_total: Decimal, reviewer_total: Decimal) -> Decimal:
    """自评准确 deduction (SPEC §5.4): 0, 4, 8 or 10 points by the relative difference from the reviewer.

    Each band includes its upper bound, as "在5%以内" reads: exactly 5% costs nothing, exactly 10% costs 4,
    exactly 20% costs 8, anything above 20% costs 10. A reviewer total of 0 only matches a self total of 0.
    """
    difference = self_evaluation_difference(self_total=self_total, reviewer_total=reviewer_total)
    if difference is None:
        return round2(ZERO if self_total == 0 else Decimal(10))
    for bound, deduction in ((Decimal("0.05"), 0), (Decimal("0.10"), 4), (Decimal("0.20"), 8)):
        if difference <= bound:
            return round2(Decimal(deduction))
    return round2(Decimal(10))


def _clamped(value: Decimal, points: Decimal) -> Decimal:
    return round2(min(max(value, ZERO), points))


def dept_goal_achievement(*, achieved: int, total: int, points: Decimal = Decimal(10)) -> Decimal:
    """目标实现: achieved / total quantity indicators × points; no quantity indicators → full points."""
    achieved, total = _count(achieved, "达标数量指标个数"), _count(total, "数量指标个数")
    points = _non_negative(points, "指标分值")
    if achieved > total:
        raise ValueError(f"达标数量指标个数 {achieved} 不能多于数量指标个数 {total}")
    return round2(points if total == 0 else Decimal(achieved) / total * points)


def dept_compilation_accuracy(
    *, adjustment_amount: Decimal, initial_budget: Decimal, points: Decimal = Decimal(10)
) -> Decimal:
    """编制准确: (1 − 10 × |调剂金额| / 年初预算) × points; 0 once the ratio exceeds 0.1."""
    adjustment = abs(_decimal(adjustment_amount, "预算调剂金额"))
    initial, points = _non_negative(initial_budget, "年初部门预算数"), _non_negative(points, "指标分值")
    if initial == 0:
        return round2(ZERO if adjustment else points)
    return _clamped((1 - 10 * adjustment / initial) * points, points)


def dept_expenditure_control(*, deviation: Decimal, points: Decimal = Decimal(10)) -> Decimal:
    """支出控制: 预决算偏差 within 10% → points, within 20% → half, beyond → 0 (bounds inclusive)."""
    deviation, points = abs(_decimal(deviation, "预决算偏差")), _non_negative(points, "指标分值")
    if deviation <= Decimal("0.10"):
        return round2(points)
    return round2(points / 2 if deviation <= Decimal("0.20") else ZERO)


def dept_dynamic_adjustment(
    *, cancelled: Decimal, written_off: Decimal, annual_budget: Decimal, points: Decimal = Decimal(10)
) -> Decimal:
    """动态调整 from 监控调整取消额 and 结余注销额, by seed 004's three cases."""
    cancelled = _non_negative(cancelled, "绩效监控调整取消额")
    written_off = _non_negative(written_off, "结余注销额")
    annual_budget, points = _non_negative(annual_budget, "年度预算总额"), _non_negative(points, "指标分值")
    if written_off == 0:
        # Nothing was left to write off: every adjustment (if any) went through monitoring, which is the goal.
        # Seed 004 names only "both zero"; its first formula gives cancelled / cancelled = full points too.
        return round2(points)
    if cancelled != 0:
        return _clamped(cancelled / (cancelled + written_off) * points, points)
    if annual_budget == 0:
        return round2(ZERO)
    return _clamped((1 - 10 * written_off / annual_budget) * points, points)


# (month, target execution rate, points earned at the target)
_PROGRESS_TARGETS = (
    ("6月", Decimal("0.40"), Decimal(3)),
    ("9月", Decimal("0.675"), Decimal(4)),
    ("11月", Decimal("0.825"), Decimal(3)),
)


def dept_execution_progress(*, june: Decimal, september: Decimal, november: Decimal) -> Decimal:
    """执行进度: June / September / November at 40% / 67.5% / 82.5% earn 3 / 4 / 3, pro rata below."""
    earned = ZERO
    for rate, (month, target, part) in zip((june, september, november), _PROGRESS_TARGETS, strict=True):
        earned += min(max(_decimal(rate, f"{month}执行进度"), ZERO) / target, Decimal(1)) * part
    return _clamped(earned, Decimal(10))


def dept_budget_completion(*, december: Decimal, points: Decimal = Decimal(10)) -> Decimal:
    """预算完成: December execution rate × points, full at 100%."""
    december, points = _decimal(december, "12月执行进度"), _non_negative(points, "指标分值")
    return _clamped(min(december, Decimal(1)) * points, points)


def dept_violations(
    *,
    findings: int,
    points: Decimal = Decimal(10),
    per_finding: Decimal = Decimal("0.5"),
) -> Decimal:
    """违规记录: points minus per_finding for each audit or inspection finding, never below 0."""
    findings, points = _count(findings, "违规问题个数"), _non_negative(points, "指标分值")
    return _clamped(points - findings * _non_negative(per_finding, "每个问题扣分"), points)
