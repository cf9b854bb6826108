"""What the quality rules report (智能审核, SPEC §11): the Finding type, its severities, codes and labels.

CODES is the one table of rule codes: each code's Chinese label and severity (错误 blocks submission, 提示 does
not). ``make_finding`` builds a Finding with the values it concerns; ``pct``, ``pts``, ``wan`` and ``num`` print
those values in the messages as every page prints them (domain.formatting).
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from domain import formatting
from evaluations.scorecard import IndicatorLine

ERROR, HINT = "错误", "提示"
SEVERITIES = (ERROR, HINT)


# code → (Chinese label, severity). The one table of codes: labels and severities are read from here only.
# Stated figures (总分, 等级, 预算执行得分, 执行率) are typed or imported, never edited on the form (the system
# computes its own and recomputes on submit), so their mismatches report the record as filed and do not
# block; the finance comparisons and heuristics are hints for the reviewer.
CODES: dict[str, tuple[str, str]] = {
    "weights_total": ("分值合计与规则不符", ERROR),
    "weights_rollup": ("三级指标分值未汇总到一级/二级", ERROR),
    "score_above_weight": ("得分高于分值", ERROR),
    "score_mismatch": ("得分与完成值不符", ERROR),
    "missing_score": ("未填写得分", ERROR),
    "full_score_without_values": ("满分但没有年度指标值和实际完成值", ERROR),
    "sign_missing_read_as_positive": ("未写计算符号，按正向计分", HINT),
    "unsigned_score_differs": ("未写计算符号，得分与按正向计算的得分不符", HINT),
    "total_mismatch": ("总分不等于各项之和", HINT),
    "grade_mismatch": ("等级与总分不符", HINT),
    "budget_score_mismatch": ("预算执行得分与执行率不符", HINT),
    "budget_score_above_weight": ("预算执行得分高于分值", HINT),
    "execution_rate_mismatch": ("填报执行率与金额不符", HINT),
    "budget_total_mismatch": ("年度资金总额与各资金来源合计不符", HINT),
    "execution_over_budget": ("执行数超过全年预算数", ERROR),
    "low_execution_no_reason": ("执行率偏低未说明原因", ERROR),
    "adjustment_no_reason": ("预算调整未说明理由", ERROR),
    "adjustment_rate": ("部门预算调整", HINT),
    "over_achievement": ("完成率过高（目标设置过低）", HINT),
    "missing_deviation_reason": ("未填写偏差原因", ERROR),
    "execution_rate_as_cost": ("预算执行率作为成本指标", HINT),
    "non_numeric_quantitative": ("定量指标值不是数值", ERROR),
    "missing_unit": ("定量指标缺少度量单位", ERROR),
    "missing_category": ("缺少指标类别", ERROR),
    "missing_satisfaction_unweighted": ("缺少满意度指标（规则未定分值）", HINT),
    "misfiled_category": ("指标归类错误", ERROR),
    "qualitative_band": ("定性指标得分超出区间", ERROR),
    "missing_actual": ("未填写实际完成值", ERROR),
    "self_vs_finance": ("自评与财政抽查结果不一致", HINT),
}


RULE_LABELS = {code: label for code, (label, _) in CODES.items()}


# Codes only department-wide self-evaluations can raise (a project's adjustment needs a reason instead).
DEPARTMENT_ONLY_CODES = frozenset({"adjustment_rate"})


PROJECT_RULE_LABELS = {code: label for code, label in RULE_LABELS.items() if code not in DEPARTMENT_ONLY_CODES}


# Codes that compare with the finance review: finance results, shown only to whom the policy shows the year's
# finance results (policy.access.sees_finance_results, SPEC §12).
FINANCE_CODES = frozenset({"self_vs_finance"})


RULE_SEVERITIES = {code: severity for code, (_, severity) in CODES.items()}


# The field of findings about the indicator grid as a whole (weights, required categories).
GRID = "indicators"


# Rates in the values dict: exact to the RATIO fields' 6 places.
RATE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Finding:
    """One broken rule on one record.

    ``detail`` is the message as shown beside its field; ``message`` names the indicator as well, for lists.
    ``field`` is a project field name, or (with ``indicator_id``) a field of that indicator row; ``GRID`` for
    the indicator grid as a whole.
    """

    code: str
    severity: str
    detail: str
    field: str = ""
    indicator_id: int | None = None
    indicator: str = ""
    values: Mapping[str, object] = dataclasses.field(default_factory=dict, hash=False)
    # The indicator row itself, for rows not saved yet (the form's live check places findings by it).
    row: object = dataclasses.field(default=None, compare=False, hash=False, repr=False)

    @property
    def label(self) -> str:
        return RULE_LABELS[self.code]

    @property
    def message(self) -> str:
        return f"“{self.indicator}”{self.detail}" if self.indicator else self.detail

    @property
    def blocks_submission(self) -> bool:
        return self.severity == ERROR


def pct(rate: Decimal) -> str:
    return formatting.percent(rate)


def pts(value: Decimal) -> str:
    return formatting.points(value)


def wan(amount: Decimal) -> str:
    return formatting.amount(amount, grouped=False)


def num(value: Decimal) -> str:
    """A number as written, without the storage's trailing zeros (200.000000 → 200, 0.600000 → 0.6)."""
    return format(value.normalize(), "f")


def _rate(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def indicator_name(indicator) -> str:
    return indicator.name.strip() or f"{indicator.level1 or '—'}/{indicator.level2 or '—'}（第{indicator.order + 1}行）"


def make_finding(code: str, detail: str, *, field: str = "", line: IndicatorLine | None = None, **values) -> Finding:
    indicator = line.indicator if line is not None else None
    return Finding(
        code=code,
        severity=RULE_SEVERITIES[code],
        detail=detail,
        field=field,
        indicator_id=indicator.pk if indicator is not None else None,
        indicator=indicator_name(indicator) if indicator is not None else "",
        row=indicator,
        values={
            name: _rate(v) if name.endswith("rate") and isinstance(v, Decimal) else v for name, v in values.items()
        },
    )


def blank(text: str | None) -> bool:
    return text is None or not text.strip()
