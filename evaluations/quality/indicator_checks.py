"""Project rules on the indicator grid (SPEC §4.4, §5.2): weights and categories, indicator values, and the
claimed indicator scores.

Each rule takes a ProjectRecord and returns its Findings. The score and weight checks translate the Problems
of domain.rule_checks (CLAIM_CODES, WEIGHT_CODES); the rest read the rows directly.
"""

from collections.abc import Mapping

from domain import rule_checks, scoring, signs
from evaluations.quality.findings import GRID, Finding, blank, make_finding, num, pct, pts
from evaluations.quality.project_record import ProjectRecord

# Words that mark an execution-rate indicator (seed 000: "预算执行率作为反映预算完成情况的指标不能作为成本指标").
EXECUTION_RATE_WORDS = ("执行率", "预算执行", "资金执行", "支出进度", "支出率")


COST_WORD = "成本"
EXECUTION_AS_COST = "反映预算执行情况，不能作为成本指标（预算执行率已在预算执行部分计分），应设置科学合理的成本指标。"
SATISFACTION_WORD = "满意度"


# rule_checks.check_claimed_indicator_score's problem codes → (engine code, indicator field).
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


def _is_quantitative(indicator) -> bool:
    return bool(indicator.sign) and indicator.sign != signs.SIGN_QUALITATIVE


def _weight_findings(record: ProjectRecord, code: str) -> list[Finding]:
    return [
        make_finding(code, p.message, field=GRID, **p.values)
        for p in record.weight_problems
        if WEIGHT_CODES.get(p.code) == code
    ]


def weights_total(record: ProjectRecord) -> list[Finding]:
    """Weights not adding up to the profile total (budget + 三级 weights, or the profile's own 一级 points)."""
    return _weight_findings(record, "weights_total")


def weights_rollup(record: ProjectRecord) -> list[Finding]:
    """三级 weights not summing to their 一级's (or fixed 二级's) points."""
    return _weight_findings(record, "weights_rollup")


def _missing_level1(level1) -> Finding | None:
    """The finding for a required 一级 with no indicator, by the points the profile gives it.

    A 满意度 一级 is an error only where the profile fixes its points above 0 (national: 10 of 100). Where its
    points are free (Sichuan: the 三级 weights only have to fill 90) some layouts have no 满意度 block at all
    (a 工资性支出 table), so its absence is a hint; where the profile fixes 0 points nothing is lost. Every other
    required 一级 is an error whatever its points.
    """
    if SATISFACTION_WORD in level1.name and not (level1.weight is not None and level1.weight > 0):
        if level1.weight is not None:
            return None
        detail = (
            f"缺少“{level1.name}”类指标。本年度规则未给“{level1.name}”设定分值，"
            "表样没有满意度部分的（如工资性支出表）可不填报，请核实。"
        )
        return make_finding(
            "missing_satisfaction_unweighted", detail, field=GRID, level1=level1.name, weight=level1.weight
        )
    return make_finding(
        "missing_category", f"缺少“{level1.name}”类指标，本年度规则要求填报。", field=GRID, level1=level1.name
    )


def _missing_level1s(record: ProjectRecord) -> list[Finding]:
    if not record.lines:
        return []
    present = {line.indicator.level1 for line in record.lines}
    found = [_missing_level1(c) for c in record.profile.level1_categories.all() if c.required and c.name not in present]
    return [finding for finding in found if finding is not None]


def missing_category(record: ProjectRecord) -> list[Finding]:
    """A row without 一级/二级, and a 一级 the profile requires with no indicator (e.g. no 满意度 indicator)."""
    found = [
        make_finding("missing_category", "请选择一级/二级指标。", field="category", line=line)
        for line in record.lines
        if not (line.indicator.level1 and line.indicator.level2)
    ]
    return found + [f for f in _missing_level1s(record) if f.code == "missing_category"]


def missing_satisfaction_unweighted(record: ProjectRecord) -> list[Finding]:
    """No 满意度 indicator where the profile leaves the 满意度 一级's points free: a hint (see _missing_level1)."""
    return [f for f in _missing_level1s(record) if f.code == "missing_satisfaction_unweighted"]


def _satisfaction_level1s(taxonomy: Mapping[str, list[str]]) -> list[str]:
    return [name for name in taxonomy if SATISFACTION_WORD in name]


def misfiled_category(record: ProjectRecord) -> list[Finding]:
    """A 一级/二级 pair the taxonomy does not have, or a 满意度 indicator filed outside the 满意度 一级."""
    taxonomy = record.taxonomy
    satisfaction = _satisfaction_level1s(taxonomy)
    found = []
    for line in record.lines:
        ind = line.indicator
        problem = rule_checks.check_category(level1=ind.level1, level2=ind.level2, taxonomy=taxonomy)
        if problem is not None:
            found.append(
                make_finding("misfiled_category", f"{problem.message}。", field="category", line=line, **problem.values)
            )
        elif satisfaction and SATISFACTION_WORD in ind.name and ind.level1 not in satisfaction:
            detail = f"是满意度指标，却归入“{ind.level1}—{ind.level2}”，应归入“{'、'.join(satisfaction)}”。"
            found.append(
                make_finding(
                    "misfiled_category", detail, field="category", line=line, level1=ind.level1, level2=ind.level2
                )
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
            found.append(make_finding("execution_rate_as_cost", EXECUTION_AS_COST, field="name", line=line, **values))
    return found


def non_numeric_quantitative(record: ProjectRecord) -> list[Finding]:
    """A 定量 indicator whose target, or typed actual, is not a number."""
    found = []
    for line in record.lines:
        ind = line.indicator
        if not _is_quantitative(ind):
            continue
        if ind.target_value is None:
            written = f"（现为“{ind.target_text.strip()}”）" if not blank(ind.target_text) else "（未填写）"
            detail = f"定量指标的年度指标值须为数值{written}。"
            found.append(
                make_finding("non_numeric_quantitative", detail, field="target_text", line=line, text=ind.target_text)
            )
        if ind.actual_value is None and not blank(ind.actual_text):
            detail = f"定量指标的实际完成值须为数值（现为“{ind.actual_text.strip()}”）。"
            found.append(
                make_finding("non_numeric_quantitative", detail, field="actual_text", line=line, text=ind.actual_text)
            )
    return found


def missing_unit(record: ProjectRecord) -> list[Finding]:
    return [
        make_finding("missing_unit", "定量指标须填写度量单位。", field="unit", line=line)
        for line in record.lines
        if _is_quantitative(line.indicator) and blank(line.indicator.unit)
    ]


def missing_actual(record: ProjectRecord) -> list[Finding]:
    """A 定量 indicator without 实际完成值, or a 定性 one without its 完成情况 label (seed 004 leaves 完成值 empty)."""
    labels = {id(line): problem for line, problem in record.claims if problem.code == "label_missing"}
    found = []
    for line in record.lines:
        ind = line.indicator
        if _is_quantitative(ind) and ind.actual_value is None and blank(ind.actual_text):
            found.append(make_finding("missing_actual", "定量指标未填写实际完成值", field="actual_text", line=line))
        elif id(line) in labels:
            problem = labels[id(line)]
            written = f"（实际完成值写作“{ind.actual_text.strip()}”）" if not blank(ind.actual_text) else ""
            found.append(
                make_finding(
                    "missing_actual",
                    f"{problem.message}{written}",
                    field="actual_label",
                    line=line,
                    text=ind.actual_text,
                    **problem.values,
                )
            )
    return found


def _has_target(indicator) -> bool:
    return indicator.target_value is not None or not blank(indicator.target_text)


def _has_actual(indicator) -> bool:
    return indicator.actual_value is not None or not blank(indicator.actual_text) or bool(indicator.actual_label)


def full_score_without_values(record: ProjectRecord) -> list[Finding]:
    """Full marks (得分 = 分值 > 0) on a row with neither a 年度指标值 nor a 实际完成值: a score nothing supports."""
    found = []
    for line in record.lines:
        ind = line.indicator
        if ind.weight is None or ind.weight <= 0 or ind.claimed_score != ind.weight:
            continue
        if _has_target(ind) or _has_actual(ind):
            continue
        detail = f"得分 {pts(ind.claimed_score)} 分为满分（分值 {pts(ind.weight)} 分），但没有年度指标值和实际完成值。"
        found.append(
            make_finding(
                "full_score_without_values",
                detail,
                field="claimed_score",
                line=line,
                claimed=ind.claimed_score,
                weight=ind.weight,
            )
        )
    return found


def _read_as_positive(record: ProjectRecord):
    """The rows without 计算符号 whose 年度指标值 is a number: read as 正向 (≥), as the importer reads them."""
    return [
        line
        for line in record.lines
        if not line.indicator.sign and signs.scoring_sign("", line.indicator.target_value) == signs.SIGN_GE
    ]


def _written(text: str, value) -> str:
    return text.strip() or num(value)


def sign_missing_read_as_positive(record: ProjectRecord) -> list[Finding]:
    """A 定量 row stored without 计算符号 (a bare number target): scored as 正向, for the unit to confirm."""
    found = []
    for line in _read_as_positive(record):
        ind = line.indicator
        target = _written(ind.target_text, ind.target_value)
        detail = f"未写计算符号，按正向计分（年度指标值“{target}”按“{signs.SIGN_GE}{target}”计）。"
        found.append(
            make_finding(
                "sign_missing_read_as_positive",
                detail,
                field="sign",
                line=line,
                sign=signs.SIGN_GE,
                target=ind.target_value,
            )
        )
    return found


def unsigned_score_differs(record: ProjectRecord) -> list[Finding]:
    """On a row without 计算符号, a claimed score other than the 正向 score its numbers give (SPEC §5.2).

    As for a signed row, a score below the computed one is allowed only for over-achievement with a reason.
    """
    found = []
    for line in _read_as_positive(record):
        ind = line.indicator
        result = line.result  # scored as 正向 by the scorecard (domain.signs.scoring_sign)
        if result is None or result.score is None or ind.actual_value is None or ind.claimed_score is None:
            continue
        claimed, computed = ind.claimed_score, result.score
        if claimed == computed or (claimed < computed and result.over_achieved and not blank(ind.deviation_reason)):
            continue
        target, actual = _written(ind.target_text, ind.target_value), _written(ind.actual_text, ind.actual_value)
        detail = (
            f"未写计算符号，按正向（{signs.SIGN_GE}）计算：实际完成值“{actual}”、年度指标值“{target}”、"
            f"分值 {pts(ind.weight)} 分应得 {pts(computed)} 分，填报得分 {pts(claimed)} 分。"
        )
        found.append(
            make_finding(
                "unsigned_score_differs",
                detail,
                field="claimed_score",
                line=line,
                claimed=claimed,
                weight=ind.weight,
                computed=computed,
                target=ind.target_value,
                actual=ind.actual_value,
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
        if not scoring.is_over_achieved(
            sign=signs.scoring_sign(ind.sign, ind.target_value),
            target=ind.target_value,
            actual=ind.actual_value,
            ratio=ratio,
        ):
            continue
        actual = ind.actual_text.strip() or num(ind.actual_value)
        target = ind.target_text.strip() or num(ind.target_value)
        detail = f"完成值 {actual} 为指标值 {target} 的 {pct(result.completion)}，达到 {pct(ratio)} 以上，目标设置过低"
        found.append(
            make_finding(
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


def _claim_findings(record: ProjectRecord, code: str) -> list[Finding]:
    return [
        make_finding(code, problem.message, field=CLAIM_CODES[problem.code][1], line=line, **problem.values)
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
