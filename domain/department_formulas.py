"""The computable department-wide formulas of SPEC §7 (部门整体支出绩效自评), one function per scored item.

Pure functions over ``Decimal`` (floats are refused), no Django; each result is clamped to 0 … points and
rounded half-up to 2 decimals.
"""

from decimal import Decimal

from domain.decimals import ZERO, as_decimal, count, non_negative, round2


def _clamped(value: Decimal, points: Decimal) -> Decimal:
    return round2(min(max(value, ZERO), points))


def dept_goal_achievement(*, achieved: int, total: int, points: Decimal = Decimal(10)) -> Decimal:
    """目标实现: achieved / total quantity indicators × points; no quantity indicators → full points."""
    achieved, total = count(achieved, "达标数量指标个数"), count(total, "数量指标个数")
    points = non_negative(points, "指标分值")
    if achieved > total:
        raise ValueError(f"达标数量指标个数 {achieved} 不能多于数量指标个数 {total}")
    return round2(points if total == 0 else Decimal(achieved) / total * points)


def dept_compilation_accuracy(
    *, adjustment_amount: Decimal, initial_budget: Decimal, points: Decimal = Decimal(10)
) -> Decimal:
    """编制准确: (1 − 10 × |调剂金额| / 年初预算) × points; 0 once the ratio exceeds 0.1."""
    adjustment = abs(as_decimal(adjustment_amount, "预算调剂金额"))
    initial, points = non_negative(initial_budget, "年初部门预算数"), non_negative(points, "指标分值")
    if initial == 0:
        return round2(ZERO if adjustment else points)
    return _clamped((1 - 10 * adjustment / initial) * points, points)


def dept_expenditure_control(*, deviation: Decimal, points: Decimal = Decimal(10)) -> Decimal:
    """支出控制: 预决算偏差 within 10% → points, within 20% → half, beyond → 0 (bounds inclusive)."""
    deviation, points = abs(as_decimal(deviation, "预决算偏差")), non_negative(points, "指标分值")
    if deviation <= Decimal("0.10"):
        return round2(points)
    return round2(points / 2 if deviation <= Decimal("0.20") else ZERO)


def dept_dynamic_adjustment(
    *, cancelled: Decimal, written_off: Decimal, annual_budget: Decimal, points: Decimal = Decimal(10)
) -> Decimal:
    """动态调整 from 监控调整取消额 and 结余注销额, by seed 004's three cases."""
    cancelled = non_negative(cancelled, "绩效监控调整取消额")
    written_off = non_negative(written_off, "结余注销额")
    annual_budget, points = non_negative(annual_budget, "年度预算总额"), non_negative(points, "指标分值")
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
        earned += min(max(as_decimal(rate, f"{month}执行进度"), ZERO) / target, Decimal(1)) * part
    return _clamped(earned, Decimal(10))


def dept_budget_completion(*, december: Decimal, points: Decimal = Decimal(10)) -> Decimal:
    """预算完成: December execution rate × points, full at 100%."""
    december, points = as_decimal(december, "12月执行进度"), non_negative(points, "指标分值")
    return _clamped(min(december, Decimal(1)) * points, points)


def dept_violations(
    *,
    findings: int,
    points: Decimal = Decimal(10),
    per_finding: Decimal = Decimal("0.5"),
) -> Decimal:
    """违规记录: points minus per_finding for each audit or inspection finding, never below 0."""
    findings, points = count(findings, "违规问题个数"), non_negative(points, "指标分值")
    return _clamped(points - findings * non_negative(per_finding, "每个问题扣分"), points)
