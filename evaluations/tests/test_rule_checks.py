"""domain.rule_checks: claimed indicator scores, the 三级 weight roll-up and the indicator total."""

from decimal import Decimal

import pytest

from domain.rule_checks import (
    Problem,
    WeightLine,
    check_claimed_indicator_score,
    check_indicator_total,
    check_weight_rollup,
)
from domain.scoring import (
    ReverseRule,
    indicator_score,
)
from domain.signs import (
    LABEL_ACHIEVED,
    LABEL_PARTIAL,
    SIGN_GE,
    SIGN_QUALITATIVE,
)

W = Decimal(20)


def scored(sign, target, actual, weight=W, **kwargs):
    return indicator_score(
        sign=sign,
        weight=weight,
        target=Decimal(target),
        actual=Decimal(actual),
        reverse_rule=ReverseRule.LINEAR,
        **kwargs,
    )


# claimed scores


def check(claimed, *, sign=SIGN_GE, computed=None, label=None, reason=""):
    return check_claimed_indicator_score(
        sign=sign,
        weight=W,
        claimed=None if claimed is None else Decimal(claimed),
        computed=computed,
        label=label,
        deviation_reason=reason,
    )


def test_claimed_full_score_that_matches_the_computed_one_has_no_problem():
    assert check("20", computed=scored(SIGN_GE, "100", "100")) == []


def test_claimed_score_missing():
    assert check(None, computed=scored(SIGN_GE, "100", "100")) == [
        Problem("score_missing", "未填写得分（分值 20.00 分）")
    ]


@pytest.mark.parametrize("claimed", ["25", "-1"])
def test_claimed_score_out_of_range_is_reported_alone(claimed):
    assert check(claimed, computed=scored(SIGN_GE, "100", "100")) == [
        Problem("score_out_of_range", f"得分 {Decimal(claimed):.2f} 分超出范围，应在 0 至 20.00 分之间")
    ]


def test_claimed_qualitative_score_needs_a_label():
    assert check("20", sign=SIGN_QUALITATIVE) == [Problem("label_missing", "定性指标未选择完成情况")]


def test_claimed_qualitative_label_must_be_an_official_one():
    assert check("20", sign=SIGN_QUALITATIVE, label="达成预期指标") == [
        Problem(
            "label_unknown",
            "无法识别的定性指标完成情况“达成预期指标”，应为："
            "达成年度指标、部分达成年度指标并具有一定效果、未达成年度指标且效果较差",
        )
    ]


def test_claimed_qualitative_score_outside_its_band_names_the_band():
    problems = check("15", sign=SIGN_QUALITATIVE, label=LABEL_ACHIEVED, reason="宣传不足")

    assert problems == [
        Problem("score_outside_band", "得分 15.00 分与“达成年度指标”不符，应在 16.00 至 20.00 分之间"),
    ]


def test_claimed_qualitative_score_at_the_top_of_a_half_open_band_is_refused():
    problems = check("16", sign=SIGN_QUALITATIVE, label=LABEL_PARTIAL, reason="宣传不足")

    assert problems == [
        Problem(
            "score_outside_band",
            "得分 16.00 分与“部分达成年度指标并具有一定效果”不符，应在 12.00 至 16.00 分之间（不含 16.00 分）",
        )
    ]


def test_claimed_qualitative_score_inside_its_band_with_a_reason_is_accepted():
    assert check("17", sign=SIGN_QUALITATIVE, label=LABEL_ACHIEVED, reason="宣传不足") == []


def test_claimed_qualitative_score_below_weight_needs_a_reason():
    assert check("17", sign=SIGN_QUALITATIVE, label=LABEL_ACHIEVED) == [
        Problem("deviation_reason_required", "得分 17.00 分低于分值 20.00 分，须填写偏差原因分析及改进措施")
    ]


def test_claimed_score_above_the_computed_one_is_refused():
    problems = check("18", computed=scored(SIGN_GE, "100", "75"), reason="部分对象未申报")

    assert problems == [Problem("score_above_computed", "得分 18.00 分高于按完成值计算的 15.00 分")]


def test_claimed_score_below_the_computed_one_is_refused_without_over_achievement():
    problems = check("14", computed=scored(SIGN_GE, "100", "75"), reason="从严打分")

    assert problems == [
        Problem(
            "score_below_computed_without_reason",
            "得分 14.00 分低于按完成值计算的 15.00 分，只有完成值高于指标值较多时才可调减",
        )
    ]


def test_claimed_score_lowered_for_over_achievement_with_a_reason_is_accepted():
    assert check("16", computed=scored(SIGN_GE, "100", "150"), reason="目标设置过低") == []


def test_claimed_score_lowered_for_over_achievement_without_a_reason_is_refused():
    problems = check("16", computed=scored(SIGN_GE, "100", "150"), reason="  ")

    assert problems == [
        Problem(
            "score_below_computed_without_reason",
            "得分 16.00 分低于按完成值计算的 20.00 分，须填写偏差原因",
        ),
        Problem(
            "deviation_reason_required",
            "得分 16.00 分低于分值 20.00 分；完成值高于指标值较多（完成率 150.00%），须填写偏差原因分析及改进措施",
        ),
    ]


def test_over_achievement_at_full_score_still_needs_a_reason():
    assert check("20", computed=scored(SIGN_GE, "100", "150")) == [
        Problem(
            "deviation_reason_required",
            "完成值高于指标值较多（完成率 150.00%），须填写偏差原因分析及改进措施",
        )
    ]


def test_claimed_score_equal_to_a_computed_score_below_weight_needs_a_reason():
    assert check("15", computed=scored(SIGN_GE, "100", "75")) == [
        Problem("deviation_reason_required", "得分 15.00 分低于分值 20.00 分，须填写偏差原因分析及改进措施")
    ]


def test_claimed_score_of_a_non_numeric_indicator_is_only_checked_for_its_reason():
    computed = indicator_score(sign=SIGN_GE, weight=W, target=None, actual=Decimal(3), reverse_rule=ReverseRule.RATIO)

    assert check("12", computed=computed, reason="数据缺失") == []


# weight roll-up

NATIONAL = {"产出指标": Decimal(50), "效益指标": Decimal(30), "满意度指标": Decimal(10)}


def lines(*rows):
    return [WeightLine(l1, l2, None if weight is None else Decimal(weight)) for l1, l2, weight in rows]


NATIONAL_LINES = lines(
    ("产出指标", "数量指标", "30"),
    ("产出指标", "质量指标", "20"),
    ("效益指标", "社会效益指标", "30"),
    ("满意度指标", "服务对象满意度指标", "10"),
)


def test_weight_rollup_of_a_national_project_has_no_problem():
    assert check_weight_rollup(budget_weight=Decimal(10), level1_weights=NATIONAL, lines=NATIONAL_LINES) == []


def test_weight_rollup_of_seed_004_talent_fund_with_cost_as_level1_has_no_problem():
    level1_weights = {
        "产出指标": Decimal(50),
        "效益指标": Decimal(20),
        "满意度指标": Decimal(10),
        "成本指标": Decimal(10),
    }
    talent = lines(
        ("产出指标", "数量指标", "20"),
        ("产出指标", "质量指标", "10"),
        ("产出指标", "时效指标", "20"),
        ("效益指标", "可持续影响指标", "20"),
        ("满意度指标", "满意度指标", "10"),
        ("成本指标", "经济成本指标", "10"),
    )

    problems = check_weight_rollup(budget_weight=Decimal(10), level1_weights=level1_weights, lines=talent)

    assert problems == []


def test_weight_rollup_reports_a_profile_that_does_not_add_up():
    level1_weights = {**NATIONAL, "产出指标": Decimal(45)}
    rows = lines(
        ("产出指标", "数量指标", "45"),
        ("效益指标", "社会效益指标", "30"),
        ("满意度指标", "服务对象满意度指标", "10"),
    )

    assert check_weight_rollup(budget_weight=Decimal(10), level1_weights=level1_weights, lines=rows) == [
        Problem(
            "profile_total_mismatch",
            "预算执行分值 10.00 分与一级指标分值合计 85.00 分之和为 95.00 分，应为 100.00 分",
        )
    ]


def test_weight_rollup_reports_each_level1_that_does_not_add_up_even_without_lines():
    rows = lines(
        ("产出指标", "数量指标", "45"),
        ("产出指标", "质量指标", None),
        ("效益指标", "社会效益指标", "30"),
    )

    assert check_weight_rollup(budget_weight=Decimal(10), level1_weights=NATIONAL, lines=rows) == [
        Problem("level1_weight_mismatch", "产出指标的三级指标分值合计 45.00 分，应为 50.00 分"),
        Problem("level1_weight_mismatch", "满意度指标的三级指标分值合计 0.00 分，应为 10.00 分"),
    ]


def test_weight_rollup_reports_lines_under_an_unknown_level1_once():
    rows = [*NATIONAL_LINES, *lines(("成本指标", "经济成本指标", "4"), ("成本指标", "社会成本指标", "6"))]

    assert check_weight_rollup(budget_weight=Decimal(10), level1_weights=NATIONAL, lines=rows) == [
        Problem("unknown_level1", "一级指标“成本指标”不在本年度规则中，其三级指标分值合计 10.00 分")
    ]


def test_weight_rollup_checks_level2_only_when_given():
    level2_weights = {
        ("产出指标", "数量指标"): Decimal(25),
        ("产出指标", "质量指标"): Decimal(25),
        ("效益指标", "社会效益指标"): Decimal(30),
    }

    problems = check_weight_rollup(
        budget_weight=Decimal(10),
        level1_weights=NATIONAL,
        lines=NATIONAL_LINES,
        level2_weights=level2_weights,
    )

    assert problems == [
        Problem("level2_weight_mismatch", "产出指标—数量指标的三级指标分值合计 30.00 分，应为 25.00 分"),
        Problem("level2_weight_mismatch", "产出指标—质量指标的三级指标分值合计 20.00 分，应为 25.00 分"),
        Problem(
            "unknown_level2",
            "二级指标“满意度指标—服务对象满意度指标”不在本年度规则中，其三级指标分值合计 10.00 分",
        ),
    ]


# indicator total (profiles whose 一级 points are free)


def test_indicator_total_passes_when_the_weights_fill_what_the_budget_leaves():
    lines = [WeightLine("产出指标", "数量指标", Decimal(50)), WeightLine("成本指标", "经济成本指标", Decimal(40))]

    assert check_indicator_total(budget_weight=Decimal(10), lines=lines) == []


def test_indicator_total_names_both_sums_when_they_differ():
    lines = [WeightLine("产出指标", "数量指标", Decimal(50)), WeightLine("成本指标", "经济成本指标", None)]

    assert check_indicator_total(budget_weight=Decimal(10), lines=lines) == [
        Problem(
            "indicator_total_mismatch", "三级指标分值合计 50.00 分，应为 90.00 分（总分 100.00 分减预算执行 10.00 分）"
        )
    ]
