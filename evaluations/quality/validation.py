"""What must hold before a project self-evaluation can be submitted (SPEC §4–§5), field by field.

Draft saves are never refused for these; submit is. Each problem names the place it concerns so the form
can show it next to the field. Two sources: the form's own completeness checks (a header text, the budget
amounts, an indicator's name, sign and weight, at least one indicator), and every 错误 finding of the quality
rule engine (evaluations.quality.engine), so that each rule exists once.
"""

from dataclasses import dataclass

from evaluations.quality.engine import project_findings
from evaluations.quality.findings import GRID, Finding
from evaluations.quality.project_record import with_taxonomy
from evaluations.scorecard import Scorecard, build_scorecard

# Where a problem is shown on the form.
PROJECT, BUDGET, INDICATOR, WEIGHTS = "project", "budget", "indicator", "weights"
# Engine findings on these fields belong to the budget block.
BUDGET_FIELDS = ("initial_wan", "adjusted_wan", "executed_wan")


@dataclass(frozen=True)
class FieldProblem:
    where: str
    field: str
    code: str
    message: str
    indicator_id: int | None = None


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


def _budget_problems(card: Scorecard) -> list[FieldProblem]:
    problems = []
    totals = card.totals
    if totals.adjusted is None or totals.adjusted == 0:
        problems.append(
            FieldProblem(BUDGET, "adjusted_wan", "budget_zero", "全年预算数（A）为 0 或未填写，无法计算预算执行率。")
        )
    if totals.executed is None:
        problems.append(FieldProblem(BUDGET, "executed_wan", "executed_missing", "请填写全年执行数（B）。"))
    return problems


def _indicator_problems(card: Scorecard) -> list[FieldProblem]:
    problems = []
    for line in card.lines:
        ind = line.indicator
        if ind.is_blank:
            continue

        def add(field, code, message, _id=ind.pk):
            problems.append(FieldProblem(INDICATOR, field, code, message, indicator_id=_id))

        if not ind.name.strip():
            add("name", "name_missing", "请填写三级指标名称。")
        if not ind.sign:
            add("sign", "sign_missing", "请选择指标性质（≥、>、=、≤、< 或定性）。")
        if ind.weight is None:
            add("weight", "weight_missing", "请填写分值。")
    if not any(not line.indicator.is_blank for line in card.lines):
        problems.append(FieldProblem(WEIGHTS, "", "no_indicators", "请至少填写一项绩效指标。"))
    return problems


def _placed(finding: Finding) -> FieldProblem:
    """An engine finding at its place on the form: an indicator row, the budget block, the grid, or a header field."""
    if finding.indicator_id is not None:
        where, field = INDICATOR, finding.field
    elif finding.field in BUDGET_FIELDS:
        where, field = BUDGET, finding.field
    elif finding.field == GRID:
        where, field = WEIGHTS, ""
    else:
        where, field = PROJECT, finding.field
    return FieldProblem(where, field, finding.code, finding.detail, indicator_id=finding.indicator_id)


def submission_problems(project, profile=None) -> list[FieldProblem]:
    """Everything that stops ``project`` (as saved) from being submitted; empty when it may go."""
    profile = with_taxonomy(profile or project.fiscal_year.profile)
    card = build_scorecard(project, profile)
    errors = [_placed(f) for f in project_findings(project, profile, card) if f.blocks_submission]
    order = {PROJECT: 0, BUDGET: 1, INDICATOR: 2, WEIGHTS: 3}
    own = _header_problems(project) + _budget_problems(card) + _indicator_problems(card)
    # Place by place (header, budget, indicator rows, the grid), each place's own checks first; stable within.
    return sorted(own + errors, key=lambda p: order[p.where])
