"""Quality checks (智能审核, SPEC §11): the rule engine that runs on every stored record, entered or imported.

Each rule is a small function returning Findings with a stable code (the CODES table gives its Chinese label
and severity: 错误 blocks submission, 提示 does not), a Chinese message naming the values involved, the field
it concerns (a project field such as ``execution_reason``, or an indicator row id and one of its fields) and
those values as a dict. Every number comes from domain.scoring (through the scorecard) and every
threshold from the year's rule profile; nothing here re-derives a score. evaluations.quality.validation blocks
submission on the 错误 findings of this engine plus the form's own completeness checks.

History is imported as written (SPEC §10): the checks report what a published table says, they never fix it.
"""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import prefetch_related_objects

from budgets.models import Project, RuleProfile
from domain import formatting, scoring
from evaluations.models import DepartmentEvaluation
from evaluations.scorecard import IndicatorLine, Scorecard, build_scorecard

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
    "total_mismatch": ("总分不等于各项之和", HINT),
    "grade_mismatch": ("等级与总分不符", HINT),
    "budget_score_mismatch": ("预算执行得分与执行率不符", HINT),
    "execution_rate_mismatch": ("填报执行率与金额不符", HINT),
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

# Words that mark an execution-rate indicator (seed 000: "预算执行率作为反映预算完成情况的指标不能作为成本指标").
EXECUTION_RATE_WORDS = ("执行率", "预算执行", "资金执行", "支出进度", "支出率")
COST_WORD = "成本"
EXECUTION_AS_COST = "反映预算执行情况，不能作为成本指标（预算执行率已在预算执行部分计分），应设置科学合理的成本指标。"
SATISFACTION_WORD = "满意度"
# The field of findings about the indicator grid as a whole (weights, required categories).
GRID = "indicators"
# Rates in the values dict: exact to the RATIO fields' 6 places.
RATE_PLACES = Decimal("0.000001")

# scoring.check_claimed_indicator_score's problem codes → (engine code, indicator field).
CLAIM_CODES = {
    "score_missing": ("missing_score", "claimed_score"),
    "score_out_of_range": ("score_above_weight", "claimed_score"),
    "score_above_computed": ("score_mismatch", "claimed_score"),
    "score_below_computed_without_reason": ("score_mismatch", "claimed_score"),
    "label_missing": ("missing_actual", "actual_label"),
    "label_unknown": ("qualitative_band", "actual_label"),
    "score_outside_band": ("qualitative_band", "claimed_score"),
    "deviation_reason_required": ("missing_deviation_reason", "deviation_reason"),
}
# scoring's weight problem codes → engine code.
WEIGHT_CODES = {
    "profile_total_mismatch": "weights_total",
    "indicator_total_mismatch": "weights_total",
    "level1_weight_mismatch": "weights_rollup",
    "level2_weight_mismatch": "weights_rollup",
}


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


# --- formatting --------------------------------------------------------------------------------------


def _pct(rate: Decimal) -> str:
    return formatting.percent(rate)


def _pts(value: Decimal) -> str:
    return formatting.points(value)


def _wan(amount: Decimal) -> str:
    return formatting.amount(amount, grouped=False)


def _num(value: Decimal) -> str:
    """A number as written, without the storage's trailing zeros (200.000000 → 200, 0.600000 → 0.6)."""
    return format(value.normalize(), "f")


def _rate(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _indicator_name(indicator) -> str:
    return indicator.name.strip() or f"{indicator.level1 or '—'}/{indicator.level2 or '—'}（第{indicator.order + 1}行）"


def _finding(code: str, detail: str, *, field: str = "", line: IndicatorLine | None = None, **values) -> Finding:
    indicator = line.indicator if line is not None else None
    return Finding(
        code=code,
        severity=RULE_SEVERITIES[code],
        detail=detail,
        field=field,
        indicator_id=indicator.pk if indicator is not None else None,
        indicator=_indicator_name(indicator) if indicator is not None else "",
        row=indicator,
        values={
            name: _rate(v) if name.endswith("rate") and isinstance(v, Decimal) else v for name, v in values.items()
        },
    )


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _is_quantitative(indicator) -> bool:
    return bool(indicator.sign) and indicator.sign != scoring.SIGN_QUALITATIVE


# --- what the rules read ------------------------------------------------------------------------------


def with_taxonomy(profile, *also: str):
    """``profile`` with its 一级/二级 taxonomy (and the relations ``also`` names) loaded; no query when already so."""
    prefetch_related_objects([profile], "level1_categories__level2_categories", *also)
    return profile


def taxonomy_of(profile) -> dict[str, list[str]]:
    """一级 name → its 二级 names, from the profile (the taxonomy is data, SPEC §4.4)."""
    return {
        level1.name: [level2.name for level2 in level1.level2_categories.all()]
        for level1 in profile.level1_categories.all()
    }


class ProjectRecord:
    """One project as the rules see it: its scorecard, its self-evaluation and finance review, its profile."""

    def __init__(self, project, profile, card: Scorecard):
        self.project, self.profile, self.card = project, profile, card
        self.evaluation = getattr(project, "evaluation", None)
        review = getattr(self.evaluation, "review", None) if self.evaluation is not None else None
        self.review = None if review is None or review.excluded else review

    @cached_property
    def lines(self) -> list[IndicatorLine]:
        """The indicator rows that hold anything (spacer rows as published are left out)."""
        return [line for line in self.card.lines if not line.indicator.is_blank]

    @cached_property
    def taxonomy(self) -> dict[str, list[str]]:
        return taxonomy_of(self.profile)

    @cached_property
    def claims(self) -> list[tuple[IndicatorLine, scoring.Problem]]:
        """What scoring finds wrong with each claimed indicator score, row by row."""
        found = []
        for line in self.lines:
            ind = line.indicator
            if not ind.sign or ind.weight is None:
                continue
            for problem in scoring.check_claimed_indicator_score(
                sign=ind.sign,
                weight=ind.weight,
                claimed=ind.claimed_score,
                computed=line.result,
                label=ind.actual_label or None,
                deviation_reason=ind.deviation_reason,
            ):
                found.append((line, problem))
        return found

    @cached_property
    def weight_problems(self) -> list[scoring.Problem]:
        """How the 三级 weights roll up, once any row has a weight (a narrative report has none to check)."""
        rows = [scoring.WeightLine(ln.indicator.level1, ln.indicator.level2, ln.indicator.weight) for ln in self.lines]
        if not any(row.weight is not None for row in rows):
            return []
        profile = self.profile
        categories = list(profile.level1_categories.all())
        fixed = {c.name: c.weight for c in categories if c.weight is not None}
        if categories and len(fixed) == len(categories):
            level2 = {(c.name, l2.name): l2.weight for c in categories for l2 in c.level2_categories.all()}
            return scoring.check_weight_rollup(
                budget_weight=profile.budget_weight,
                level1_weights=fixed,
                lines=rows,
                level2_weights=level2,
                total=profile.total_points,
                # Rows outside the taxonomy are reported one by one (misfiled_category).
                report_unknown=False,
            )
        return scoring.check_indicator_total(
            budget_weight=profile.budget_weight, lines=rows, total=profile.total_points
        )

    @property
    def stated_budget_score(self) -> Decimal | None:
        evaluation, budget = self.evaluation, self.card.budget
        if evaluation is not None and evaluation.claimed_budget_score is not None:
            return evaluation.claimed_budget_score
        return budget.score if budget else None


# --- budget rules ----------------------------------------------------------------------------------------


def execution_over_budget(record: ProjectRecord) -> list[Finding]:
    """执行数 above 全年预算数 (a budget of 0 with spending counts too)."""
    budget, totals = record.card.budget, record.card.totals
    if budget is None or scoring.FLAG_OVER_EXECUTED not in budget.flags:
        return []
    adjusted, executed = totals.adjusted or Decimal(0), totals.executed or Decimal(0)
    detail = f"全年执行数 {_wan(executed)} 万元超过全年预算数 {_wan(adjusted)} 万元。"
    return [_finding("execution_over_budget", detail, field="executed_wan", adjusted=adjusted, executed=executed)]


def low_execution_no_reason(record: ProjectRecord) -> list[Finding]:
    """执行率 below the profile's threshold (90% by default) without a reason."""
    budget, profile = record.card.budget, record.profile
    if budget is None or scoring.FLAG_EXECUTION_REASON_REQUIRED not in budget.flags:
        return []
    if not _blank(record.project.execution_reason):
        return []
    threshold = profile.execution_reason_threshold
    detail = f"预算执行率 {_pct(budget.rate)} 低于 {_pct(threshold)}，须说明原因。"
    totals = record.card.totals
    return [
        _finding(
            "low_execution_no_reason",
            detail,
            field="execution_reason",
            rate=budget.rate,
            threshold=threshold,
            adjusted=totals.adjusted,
            executed=totals.executed,
        )
    ]


def adjustment_no_reason(record: ProjectRecord) -> list[Finding]:
    """全年预算数 differing from 年初预算数 (追加或调减; also a budget first granted in the year) without a reason."""
    budget, totals = record.card.budget, record.card.totals
    if budget is None or scoring.FLAG_ADJUSTMENT_REASON_REQUIRED not in budget.flags:
        return []
    if not _blank(record.project.adjustment_reason):
        return []
    initial, adjusted = totals.initial, totals.adjusted or Decimal(0)
    rate = scoring.adjustment_rate(initial=initial, adjusted=adjusted)
    shown = f"，预算调整率 {_pct(rate)}" if rate is not None else "，年初无预算"
    detail = (
        f"全年预算数 {_wan(adjusted)} 万元与年初预算数 {_wan(initial)} 万元不同（年中追加或调减{shown}），须说明理由。"
    )
    return [
        _finding(
            "adjustment_no_reason",
            detail,
            field="adjustment_reason",
            initial=initial,
            adjusted=adjusted,
            adjustment_rate=rate,
        )
    ]


def execution_rate_mismatch(record: ProjectRecord) -> list[Finding]:
    """A stated 执行率 that does not follow from B / A (to its printed precision, rounded or cut off)."""
    evaluation, budget, totals = record.evaluation, record.card.budget, record.card.totals
    if evaluation is None or evaluation.stated_execution_rate is None or budget is None or budget.rate is None:
        return []
    stated = evaluation.stated_execution_rate
    if scoring.stated_rate_matches(stated=stated, rate=budget.rate):
        return []
    detail = (
        f"填报执行率 {_pct(stated)}，按全年执行数 {_wan(totals.executed or 0)} 万元 / "
        f"全年预算数 {_wan(totals.adjusted)} 万元应为 {_pct(budget.rate)}。"
    )
    return [
        _finding(
            "execution_rate_mismatch",
            detail,
            field="stated_execution_rate",
            stated_rate=stated,
            rate=budget.rate,
            adjusted=totals.adjusted,
            executed=totals.executed,
        )
    ]


def budget_score_mismatch(record: ProjectRecord) -> list[Finding]:
    """A stated 预算执行得分 that is not weight × min(B / A, 1) — seed 001 states 100 where the weight is 10."""
    evaluation, budget = record.evaluation, record.card.budget
    if evaluation is None or budget is None:
        return []
    problems = scoring.check_claimed_budget_score(
        weight=record.profile.budget_weight, claimed=evaluation.claimed_budget_score, computed=budget
    )
    return [
        _finding(
            "budget_score_mismatch",
            f"{p.message}。",
            field="claimed_budget_score",
            above_weight=p.code == "budget_score_above_weight",
            **p.values,
        )
        for p in problems
    ]


# --- weights and categories -------------------------------------------------------------------------------


def _weight_findings(record: ProjectRecord, code: str) -> list[Finding]:
    return [
        _finding(code, p.message, field=GRID, **p.values)
        for p in record.weight_problems
        if WEIGHT_CODES.get(p.code) == code
    ]


def weights_total(record: ProjectRecord) -> list[Finding]:
    """Weights not adding up to the profile total (budget + 三级 weights, or the profile's own 一级 points)."""
    return _weight_findings(record, "weights_total")


def weights_rollup(record: ProjectRecord) -> list[Finding]:
    """三级 weights not summing to their 一级's (or fixed 二级's) points."""
    return _weight_findings(record, "weights_rollup")


def missing_category(record: ProjectRecord) -> list[Finding]:
    """A row without 一级/二级, and a 一级 the profile requires with no indicator (e.g. no 满意度 indicator)."""
    found = [
        _finding("missing_category", "请选择一级/二级指标。", field="category", line=line)
        for line in record.lines
        if not (line.indicator.level1 and line.indicator.level2)
    ]
    if record.lines:
        present = {line.indicator.level1 for line in record.lines}
        found += [
            _finding("missing_category", f"缺少“{c.name}”类指标，本年度规则要求填报。", field=GRID, level1=c.name)
            for c in record.profile.level1_categories.all()
            if c.required and c.name not in present
        ]
    return found


def _satisfaction_level1s(taxonomy: Mapping[str, list[str]]) -> list[str]:
    return [name for name in taxonomy if SATISFACTION_WORD in name]


def misfiled_category(record: ProjectRecord) -> list[Finding]:
    """A 一级/二级 pair the taxonomy does not have, or a 满意度 indicator filed outside the 满意度 一级."""
    taxonomy = record.taxonomy
    satisfaction = _satisfaction_level1s(taxonomy)
    found = []
    for line in record.lines:
        ind = line.indicator
        problem = scoring.check_category(level1=ind.level1, level2=ind.level2, taxonomy=taxonomy)
        if problem is not None:
            found.append(
                _finding("misfiled_category", f"{problem.message}。", field="category", line=line, **problem.values)
            )
        elif satisfaction and SATISFACTION_WORD in ind.name and ind.level1 not in satisfaction:
            detail = f"是满意度指标，却归入“{ind.level1}—{ind.level2}”，应归入“{'、'.join(satisfaction)}”。"
            found.append(
                _finding("misfiled_category", detail, field="category", line=line, level1=ind.level1, level2=ind.level2)
            )
    return found


def execution_rate_as_cost(record: ProjectRecord) -> list[Finding]:
    """预算执行率 (or another execution-rate measure) filed as a 成本 indicator (seed 000, several projects)."""
    found = []
    for line in record.lines:
        ind = line.indicator
        is_cost = COST_WORD in ind.level1 or COST_WORD in ind.level2
        if is_cost and any(word in ind.name for word in EXECUTION_RATE_WORDS):
            values = {"level1": ind.level1, "level2": ind.level2}
            found.append(_finding("execution_rate_as_cost", EXECUTION_AS_COST, field="name", line=line, **values))
    return found


# --- indicator values -----------------------------------------------------------------------------------


def non_numeric_quantitative(record: ProjectRecord) -> list[Finding]:
    """A 定量 indicator whose target, or typed actual, is not a number."""
    found = []
    for line in record.lines:
        ind = line.indicator
        if not _is_quantitative(ind):
            continue
        if ind.target_value is None:
            written = f"（现为“{ind.target_text.strip()}”）" if not _blank(ind.target_text) else "（未填写）"
            detail = f"定量指标的年度指标值须为数值{written}。"
            found.append(
                _finding("non_numeric_quantitative", detail, field="target_text", line=line, text=ind.target_text)
            )
        if ind.actual_value is None and not _blank(ind.actual_text):
            detail = f"定量指标的实际完成值须为数值（现为“{ind.actual_text.strip()}”）。"
            found.append(
                _finding("non_numeric_quantitative", detail, field="actual_text", line=line, text=ind.actual_text)
            )
    return found


def missing_unit(record: ProjectRecord) -> list[Finding]:
    return [
        _finding("missing_unit", "定量指标须填写度量单位。", field="unit", line=line)
        for line in record.lines
        if _is_quantitative(line.indicator) and _blank(line.indicator.unit)
    ]


def missing_actual(record: ProjectRecord) -> list[Finding]:
    """A 定量 indicator without 实际完成值, or a 定性 one without its 完成情况 label (seed 004 leaves 完成值 empty)."""
    labels = {id(line): problem for line, problem in record.claims if problem.code == "label_missing"}
    found = []
    for line in record.lines:
        ind = line.indicator
        if _is_quantitative(ind) and ind.actual_value is None and _blank(ind.actual_text):
            found.append(_finding("missing_actual", "定量指标未填写实际完成值", field="actual_text", line=line))
        elif id(line) in labels:
            problem = labels[id(line)]
            written = f"（实际完成值写作“{ind.actual_text.strip()}”）" if not _blank(ind.actual_text) else ""
            found.append(
                _finding(
                    "missing_actual",
                    f"{problem.message}{written}",
                    field="actual_label",
                    line=line,
                    text=ind.actual_text,
                    **problem.values,
                )
            )
    return found


def over_achievement(record: ProjectRecord) -> list[Finding]:
    """Completed at or above the profile's 目标设置过低 ratio (seed 000's reviewer: over 150%)."""
    ratio = record.profile.target_too_low_ratio
    found = []
    for line in record.lines:
        ind, result = line.indicator, line.result
        if result is None or result.completion is None:
            continue
        if not scoring.is_over_achieved(sign=ind.sign, target=ind.target_value, actual=ind.actual_value, ratio=ratio):
            continue
        actual = ind.actual_text.strip() or _num(ind.actual_value)
        target = ind.target_text.strip() or _num(ind.target_value)
        detail = (
            f"完成值 {actual} 为指标值 {target} 的 {_pct(result.completion)}，达到 {_pct(ratio)} 以上，目标设置过低"
        )
        found.append(
            _finding(
                "over_achievement",
                detail,
                field="actual_text",
                line=line,
                target=ind.target_value,
                actual=ind.actual_value,
                completion_rate=result.completion,
                ratio=ratio,
            )
        )
    return found


# --- claimed indicator scores (scoring.check_claimed_indicator_score) ------------------------------------


def _claim_findings(record: ProjectRecord, code: str) -> list[Finding]:
    return [
        _finding(code, problem.message, field=CLAIM_CODES[problem.code][1], line=line, **problem.values)
        for line, problem in record.claims
        if CLAIM_CODES[problem.code][0] == code
    ]


def score_above_weight(record: ProjectRecord) -> list[Finding]:
    """An indicator score above its weight (reported alone: the other score checks would only repeat it)."""
    return _claim_findings(record, "score_above_weight")


def score_mismatch(record: ProjectRecord) -> list[Finding]:
    """A 定量 score other than the computed one where SPEC §5.2 does not allow it."""
    return _claim_findings(record, "score_mismatch")


def missing_score(record: ProjectRecord) -> list[Finding]:
    return _claim_findings(record, "missing_score")


def qualitative_band(record: ProjectRecord) -> list[Finding]:
    """A 定性 score outside its label's band, or a label that is none of the three official ones."""
    return _claim_findings(record, "qualitative_band")


def missing_deviation_reason(record: ProjectRecord) -> list[Finding]:
    """Score below weight, or over-achievement, without 偏差原因分析及改进措施 (SPEC §4.4)."""
    return _claim_findings(record, "missing_deviation_reason")


# --- stated totals and the finance review ----------------------------------------------------------------


def total_mismatch(record: ProjectRecord) -> list[Finding]:
    """A stated 总分 that is not the sum of the stated parts (budget score + indicator scores)."""
    evaluation, card = record.evaluation, record.card
    if evaluation is None or evaluation.claimed_total is None or card.total is None:
        return []
    if any(line.score is None for line in record.lines if line.indicator.weight is not None):
        return []  # a missing score is its own finding
    parts = scoring.total_score(budget=record.stated_budget_score, indicators=[line.score for line in card.lines])
    if parts == evaluation.claimed_total:
        return []
    detail = f"填报总分 {_pts(evaluation.claimed_total)} 分，各项得分合计为 {_pts(parts)} 分"
    if card.total != parts:
        detail += f"（按规则计算为 {_pts(card.total)} 分）"
    return [
        _finding(
            "total_mismatch",
            f"{detail}。",
            field="claimed_total",
            claimed_total=evaluation.claimed_total,
            parts_total=parts,
            computed_total=card.total,
        )
    ]


def _grade_rule_text(profile) -> str:
    t = profile.grade_thresholds
    return f"优≥{_pts(t['优'])}、良≥{_pts(t['良'])}、中≥{_pts(t['中'])}"


def _grade_finding(*, claimed_grade: str, total: Decimal | None, profile, total_is_stated: bool) -> list[Finding]:
    if not claimed_grade or total is None:
        return []
    expected = scoring.grade_for(total=total, thresholds=profile.grade_thresholds)
    if expected == claimed_grade:
        return []
    which = "填报总分" if total_is_stated else "总分"
    detail = (
        f"自评等级“{claimed_grade}”与{which} {_pts(total)} 分不符，"
        f"按本年度等级标准（{_grade_rule_text(profile)}）应为“{expected}”。"
    )
    return [
        _finding(
            "grade_mismatch", detail, field="claimed_grade", claimed_grade=claimed_grade, total=total, expected=expected
        )
    ]


def grade_mismatch(record: ProjectRecord) -> list[Finding]:
    """A stated grade that the profile's thresholds do not give for the (stated, else computed) total."""
    evaluation = record.evaluation
    if evaluation is None:
        return []
    stated = evaluation.claimed_total is not None
    return _grade_finding(
        claimed_grade=evaluation.claimed_grade,
        total=evaluation.claimed_total if stated else record.card.total,
        profile=record.profile,
        total_is_stated=stated,
    )


def _self_vs_finance(*, self_grade: str, self_total: Decimal | None, review) -> list[Finding]:
    """The self grade against the finance grade, and the SPEC §5.4 自评准确 deduction once there is a 核查总分."""
    if review is None:
        return []
    parts, values = [], {"self_grade": self_grade, "finance_grade": review.grade}
    if review.grade and self_grade and review.grade != self_grade:
        parts.append(f"自评等级“{self_grade}”与财政抽查审核结果“{review.grade}”不一致")
    if review.reviewer_total is not None and self_total is not None:
        difference = scoring.self_evaluation_difference(self_total=self_total, reviewer_total=review.reviewer_total)
        deduction = scoring.self_evaluation_accuracy_deduction(
            self_total=self_total, reviewer_total=review.reviewer_total
        )
        values |= {
            "self_total": self_total,
            "reviewer_total": review.reviewer_total,
            "difference_rate": difference,
            "deduction": deduction,
        }
        if deduction > 0:
            shown = _pct(difference) if difference is not None else "—"
            parts.append(
                f"自评总分 {_pts(self_total)} 分与核查总分 {_pts(review.reviewer_total)} 分相差 {shown}，"
                f"自评准确扣 {_pts(deduction)} 分"
            )
    if not parts:
        return []
    return [_finding("self_vs_finance", f"{'；'.join(parts)}。", field="claimed_grade", **values)]


def self_vs_finance(record: ProjectRecord) -> list[Finding]:
    evaluation = record.evaluation
    if evaluation is None:
        return []
    return _self_vs_finance(self_grade=evaluation.self_grade, self_total=evaluation.self_total, review=record.review)


# Project rules in the order their findings are listed: budget, indicator rows, the grid, stated totals, finance.
RULES: list[Callable[[ProjectRecord], list[Finding]]] = [
    execution_over_budget,
    low_execution_no_reason,
    adjustment_no_reason,
    execution_rate_mismatch,
    budget_score_mismatch,
    missing_score,
    score_above_weight,
    score_mismatch,
    qualitative_band,
    missing_actual,
    non_numeric_quantitative,
    missing_unit,
    missing_deviation_reason,
    over_achievement,
    execution_rate_as_cost,
    misfiled_category,
    weights_total,
    weights_rollup,
    missing_category,
    total_mismatch,
    grade_mismatch,
    self_vs_finance,
]


# The rules that compare with the finance review (their codes are FINANCE_CODES).
FINANCE_RULES = frozenset({self_vs_finance})


def project_findings(
    project, profile=None, card: Scorecard | None = None, *, finance_results: bool = True
) -> list[Finding]:
    """Every finding of every rule on ``project`` as stored.

    Without ``finance_results`` (the reader may not see the year's finance results yet) the rules that compare
    with the finance review are not run. One scorecard, no query per indicator: give ``project`` with
    ``budget_lines``, ``indicators`` and ``evaluation__review`` loaded (findings_for does) and ``profile`` with
    its taxonomy, and nothing is read again; otherwise the missing pieces are read once each.
    """
    profile = with_taxonomy(profile or project.fiscal_year.profile)
    card = card or build_scorecard(project, profile)
    record = ProjectRecord(project, profile, card)
    rules = RULES if finance_results else [rule for rule in RULES if rule not in FINANCE_RULES]
    return [finding for rule in rules for finding in rule(record)]


# --- department-wide self-evaluations ------------------------------------------------------------------


class DepartmentRecord:
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
    detail = f"填报总分 {_pts(evaluation.claimed_total)} 分，各评分项得分合计为 {_pts(total)} 分。"
    return [
        _finding(
            "total_mismatch", detail, field="claimed_total", claimed_total=evaluation.claimed_total, parts_total=total
        )
    ]


def department_grade_mismatch(record: DepartmentRecord) -> list[Finding]:
    e = record.evaluation
    return _grade_finding(
        claimed_grade=e.claimed_grade,
        total=record.self_total,
        profile=record.profile,
        total_is_stated=e.claimed_total is not None,
    )


def department_self_vs_finance(record: DepartmentRecord) -> list[Finding]:
    return _self_vs_finance(self_grade=record.evaluation.self_grade, self_total=record.self_total, review=record.review)


def department_adjustment_rate(record: DepartmentRecord) -> list[Finding]:
    """The department's 全年预算数 moved away from 年初预算数 (seed 000: 147472.07 → 105150.54, 28.69%)."""
    e = record.evaluation
    if e.initial_wan is None or e.adjusted_wan is None:
        return []
    if not scoring.is_adjusted(initial=e.initial_wan, adjusted=e.adjusted_wan):
        return []
    rate = scoring.adjustment_rate(initial=e.initial_wan, adjusted=e.adjusted_wan)
    shown = f"，预算调整率 {_pct(rate)}" if rate is not None else "，年初无预算"
    detail = f"部门整体年初预算 {_wan(e.initial_wan)} 万元，调整后预算 {_wan(e.adjusted_wan)} 万元{shown}。"
    return [
        _finding(
            "adjustment_rate",
            detail,
            field="adjusted_wan",
            initial=e.initial_wan,
            adjusted=e.adjusted_wan,
            adjustment_rate=rate,
        )
    ]


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


# --- a year at once ----------------------------------------------------------------------------------------

DEPARTMENT_WIDE_NAME = "部门整体支出绩效自评"


@dataclass(frozen=True)
class RecordFindings:
    """The findings of one record: a project, or (``project`` None) a department-wide self-evaluation."""

    fiscal_year: object
    department: object
    unit: object
    project: Project | None
    department_evaluation: DepartmentEvaluation | None
    findings: list[Finding]

    @property
    def name(self) -> str:
        return self.project.name if self.project is not None else DEPARTMENT_WIDE_NAME


def _project_order(project):
    return (project.sort_order is None, project.sort_order or 0, project.unit.name, project.name, project.pk)


def _with_checked_rows(projects):
    """``projects`` with what the project checks read, in a fixed number of queries."""
    return projects.select_related("unit__parent", "evaluation__review").prefetch_related("budget_lines", "indicators")


def project_findings_by_id(projects) -> dict[int, list[Finding]]:
    """The findings of each project of the queryset ``projects``, by project id (a few queries in all)."""
    projects = _with_checked_rows(projects).select_related("fiscal_year")
    profiles: dict[int, RuleProfile] = {}
    found = {}
    for project in projects:
        profile_id = project.fiscal_year.profile_id
        if profile_id not in profiles:
            profiles[profile_id] = with_taxonomy(RuleProfile.objects.get(pk=profile_id))
        found[project.pk] = project_findings(project, profiles[profile_id])
    return found


def findings_for(fiscal_year, department=None, *, finance_results: bool = True) -> list[RecordFindings]:
    """The findings of every project and department-wide evaluation of ``fiscal_year`` (of ``department``).

    A handful of queries whatever the size of the year: the profile with its taxonomy, the projects with their
    units, evaluations and reviews, their budget lines and indicators, the department-wide evaluations with
    their reviews and score items. Records come department by department (by name), the department-wide one
    first, then the projects in their 序号 order (unit by unit where there is none); records without findings
    are included. Without ``finance_results`` (``policy.access.sees_finance_results`` of the reader) the
    self-vs-finance comparisons are left out (SPEC §12).
    """
    profile = with_taxonomy(RuleProfile.objects.get(pk=fiscal_year.profile_id), "department_indicators")
    projects = Project.objects.filter(fiscal_year=fiscal_year)
    departments = DepartmentEvaluation.objects.filter(fiscal_year=fiscal_year)
    if department is not None:
        projects = projects.of_department(department)
        departments = departments.filter(department=department)
    projects = _with_checked_rows(projects)
    departments = departments.select_related("department", "review").prefetch_related("score_items")

    records: dict[int, list[RecordFindings]] = {}
    names: dict[int, str] = {}
    for evaluation in departments:
        org = evaluation.department
        names[org.pk] = org.name
        records.setdefault(org.pk, []).append(
            RecordFindings(
                fiscal_year,
                org,
                org,
                None,
                evaluation,
                department_findings(evaluation, profile, finance_results=finance_results),
            )
        )
    for project in sorted(projects, key=_project_order):
        org = project.unit.department
        names[org.pk] = org.name
        records.setdefault(org.pk, []).append(
            RecordFindings(
                fiscal_year,
                org,
                project.unit,
                project,
                None,
                project_findings(project, profile, finance_results=finance_results),
            )
        )
    return [record for pk in sorted(records, key=lambda pk: (names[pk], pk)) for record in records[pk]]
