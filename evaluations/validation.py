"""What must hold before a project self-evaluation can be submitted (SPEC §4–§5), field by field.

Draft saves are never refused for these; submit is. Each problem names the place it concerns so the form
can show it next to the field. The rules themselves come from evaluations.scoring.
"""

from dataclasses import dataclass

from evaluations import scoring
from evaluations.scorecard import Scorecard, build_scorecard

# Where a problem is shown on the form.
PROJECT, BUDGET, INDICATOR, WEIGHTS = "project", "budget", "indicator", "weights"

_CLAIM_FIELDS = {
    "score_missing": "claimed_score",
    "score_out_of_range": "claimed_score",
    "score_above_computed": "claimed_score",
    "score_below_computed_without_reason": "claimed_score",
    "score_outside_band": "claimed_score",
    "label_missing": "actual_label",
    "label_unknown": "actual_label",
    "deviation_reason_required": "deviation_reason",
}


@dataclass(frozen=True)
class FieldProblem:
    where: str
    field: str
    code: str
    message: str
    indicator_id: int | None = None


def _pct(rate) -> str:
    return f"{scoring.round2(rate * 100)}%"


def _wan(amount) -> str:
    return f"{scoring.round2(amount)}"


def _header_problems(project) -> list[FieldProblem]:
    required = [
        ("name", "请填写项目名称。"),
        ("goal_expected", "请填写年度总体目标的预期目标。"),
        ("goal_actual", "请填写年度总体目标的实际完成情况。"),
    ]
    return [
        FieldProblem(PROJECT, field, f"{field}_missing", message)
        for field, message in required
        if not getattr(project, field).strip()
    ]


def _budget_problems(project, card: Scorecard, profile) -> list[FieldProblem]:
    problems = []
    totals, budget = card.totals, card.budget
    if totals.adjusted is None or totals.adjusted == 0:
        problems.append(
            FieldProblem(BUDGET, "adjusted_wan", "budget_zero", "全年预算数（A）为 0 或未填写，无法计算预算执行率。")
        )
    if totals.executed is None:
        problems.append(FieldProblem(BUDGET, "executed_wan", "executed_missing", "请填写全年执行数（B）。"))
    if budget is None:
        return problems
    if scoring.FLAG_OVER_EXECUTED in budget.flags:
        message = f"全年执行数 {_wan(totals.executed)} 万元超过全年预算数 {_wan(totals.adjusted)} 万元。"
        problems.append(FieldProblem(BUDGET, "executed_wan", "over_executed", message))
    if scoring.FLAG_EXECUTION_REASON_REQUIRED in budget.flags and not project.execution_reason.strip():
        message = f"预算执行率 {_pct(budget.rate)} 低于 {_pct(profile.execution_reason_threshold)}，须说明原因。"
        problems.append(FieldProblem(PROJECT, "execution_reason", "execution_reason_required", message))
    if scoring.FLAG_ADJUSTMENT_REASON_REQUIRED in budget.flags and not project.adjustment_reason.strip():
        message = (
            f"全年预算数 {_wan(totals.adjusted)} 万元与年初预算数 {_wan(totals.initial or 0)} 万元不同"
            "（年中追加或调减），须说明理由。"
        )
        problems.append(FieldProblem(PROJECT, "adjustment_reason", "adjustment_reason_required", message))
    return problems


def _indicator_problems(card: Scorecard) -> list[FieldProblem]:
    problems = []
    for line in card.lines:
        ind = line.indicator
        if ind.is_blank:
            continue

        def add(field, code, message, _id=ind.pk):
            problems.append(FieldProblem(INDICATOR, field, code, message, indicator_id=_id))

        if not (ind.level1 and ind.level2):
            add("category", "category_missing", "请选择一级/二级指标。")
        if not ind.name.strip():
            add("name", "name_missing", "请填写三级指标名称。")
        if not ind.sign:
            add("sign", "sign_missing", "请选择指标性质（≥、>、=、≤、< 或定性）。")
        if ind.weight is None:
            add("weight", "weight_missing", "请填写分值。")
        if ind.sign and ind.sign != scoring.SIGN_QUALITATIVE:
            if ind.target_value is None:
                add("target_text", "target_not_numeric", "定量指标的年度指标值须为数值。")
            if not ind.unit.strip():
                add("unit", "unit_missing", "定量指标须填写度量单位。")
            if ind.actual_value is None:
                add("actual_text", "actual_not_numeric", "定量指标的实际完成值须为数值。")
        if ind.sign and ind.weight is not None:
            for problem in scoring.check_claimed_indicator_score(
                sign=ind.sign,
                weight=ind.weight,
                claimed=ind.claimed_score,
                computed=line.result,
                label=ind.actual_label or None,
                deviation_reason=ind.deviation_reason,
            ):
                add(_CLAIM_FIELDS.get(problem.code, "claimed_score"), problem.code, problem.message)
    return problems


def _weight_problems(card: Scorecard, profile) -> list[FieldProblem]:
    lines = [
        scoring.WeightLine(ln.indicator.level1, ln.indicator.level2, ln.indicator.weight)
        for ln in card.lines
        if not ln.indicator.is_blank
    ]
    if not lines:
        return [FieldProblem(WEIGHTS, "", "no_indicators", "请至少填写一项绩效指标。")]
    categories = list(profile.level1_categories.all())
    fixed = {c.name: c.weight for c in categories if c.weight is not None}
    if len(fixed) == len(categories):
        found = scoring.check_weight_rollup(
            budget_weight=profile.budget_weight, level1_weights=fixed, lines=lines, total=profile.total_points
        )
    else:
        found = scoring.check_indicator_total(
            budget_weight=profile.budget_weight, lines=lines, total=profile.total_points
        )
        known = {c.name for c in categories}
        found += [
            scoring.Problem("unknown_level1", f"一级指标“{name}”不在本年度规则中。")
            for name in dict.fromkeys(line.level1 for line in lines)
            if name and name not in known
        ]
    present = {line.level1 for line in lines}
    found += [
        scoring.Problem("level1_missing", f"缺少“{c.name}”类指标，本年度规则要求填报。")
        for c in categories
        if c.required and c.name not in present
    ]
    return [FieldProblem(WEIGHTS, "", p.code, p.message) for p in found]


def submission_problems(project, profile=None) -> list[FieldProblem]:
    """Everything that stops ``project`` (as saved) from being submitted; empty when it may go."""
    profile = profile or project.fiscal_year.profile
    card = build_scorecard(project, profile)
    return (
        _header_problems(project)
        + _budget_problems(project, card, profile)
        + _indicator_problems(card)
        + _weight_problems(card, profile)
    )
