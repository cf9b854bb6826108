from decimal import ROUND_DOWN, Decimal

import pytest

from domain.decimals import round2
from domain.department_formulas import (
    dept_budget_completion,
    dept_goal_achievement,
)
from domain.grades import grade_for, self_evaluation_accuracy_deduction, self_evaluation_difference
from domain.scoring import (
    Band,
    BudgetResult,
    IndicatorResult,
    ReverseRule,
    adjustment_rate,
    budget_score,
    execution_rate,
    indicator_score,
    is_adjusted,
    qualitative_band,
    qualitative_label_for,
    total_score,
)
from domain.signs import (
    LABEL_ACHIEVED,
    LABEL_NOT_ACHIEVED,
    LABEL_PARTIAL,
    POSITIVE_SIGNS,
    REVERSE_SIGNS,
    SIGN_EQ,
    SIGN_GE,
    SIGN_GT,
    SIGN_LE,
    SIGN_LT,
    SIGN_QUALITATIVE,
    normalise_sign,
)

W = Decimal(20)


def scored(sign, target, actual, weight=W, reverse_rule=ReverseRule.LINEAR, **kwargs):
    """Score one row; the 反向 rule matters only for a ≤ / < row above its target (tests of it name theirs)."""
    return indicator_score(
        sign=sign,
        weight=weight,
        target=Decimal(target),
        actual=Decimal(actual),
        reverse_rule=reverse_rule,
        **kwargs,
    )


# round2 and signs


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.345", "2.35"), ("2.344", "2.34"), ("0.125", "0.13"), ("-2.345", "-2.35"), ("7", "7.00")],
)
def test_round2_rounds_half_up_to_two_places(value, expected):
    result = round2(Decimal(value))

    assert (result, str(result)) == (Decimal(expected), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("≥", SIGN_GE),
        (">=", SIGN_GE),
        ("＞＝", SIGN_GE),
        ("≧", SIGN_GE),
        (">", SIGN_GT),
        ("＞", SIGN_GT),
        ("=", SIGN_EQ),
        ("＝", SIGN_EQ),
        ("≤", SIGN_LE),
        ("<=", SIGN_LE),
        ("＜＝", SIGN_LE),
        ("≦", SIGN_LE),
        ("<", SIGN_LT),
        ("＜", SIGN_LT),
        ("定性", SIGN_QUALITATIVE),
        (" ≥ ", SIGN_GE),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalise_sign_maps_every_written_form(text, expected):
    assert normalise_sign(text) == expected


def test_normalise_sign_refuses_an_unknown_sign_in_chinese():
    with pytest.raises(ValueError, match="无法识别的指标性质“约”"):
        normalise_sign("约")


# budget block


def test_execution_rate_of_seed_000_rounds_to_97_45_percent():
    rate = execution_rate(adjusted=Decimal("8674.58"), executed=Decimal("8453.36"))

    assert round2(rate * 100) == Decimal("97.45")


def test_execution_rate_is_none_without_a_budget():
    assert execution_rate(adjusted=Decimal(0), executed=Decimal(5)) is None


def test_adjustment_rate_of_seed_000_rounds_half_up_to_28_70_where_the_seed_truncates_to_28_69():
    rate = adjustment_rate(initial=Decimal("147472.07"), adjusted=Decimal("105150.54"))

    # 42321.53 / 147472.07 = 0.286979…: the published 28.69% is truncated, not rounded.
    assert (round2(rate * 100), (rate * 100).quantize(Decimal("0.01"), ROUND_DOWN)) == (
        Decimal("28.70"),
        Decimal("28.69"),
    )


def test_adjustment_rate_is_none_for_a_budget_first_granted_during_the_year():
    assert adjustment_rate(initial=Decimal(0), adjusted=Decimal("5.60")) is None


@pytest.mark.parametrize(
    ("initial", "adjusted", "expected"),
    [("9.00", "133.63", True), ("0", "5.60", True), ("133.63", "133.63", False), ("0", "0", False)],
)
def test_is_adjusted_when_the_budget_differs_from_the_initial_one(initial, adjusted, expected):
    assert is_adjusted(initial=Decimal(initial), adjusted=Decimal(adjusted)) is expected


def test_budget_score_gives_full_points_for_full_execution():
    result = budget_score(weight=Decimal(10), adjusted=Decimal("133.63"), executed=Decimal("133.63"))

    assert result == BudgetResult(rate=Decimal(1), score=Decimal("10.00"), flags=())


def test_budget_score_of_seed_000_row_2():
    expected_rate = Decimal("8453.36") / Decimal("8674.58")

    result = budget_score(weight=Decimal(10), adjusted=Decimal("8674.58"), executed=Decimal("8453.36"))

    assert result == BudgetResult(rate=expected_rate, score=Decimal("9.74"), flags=())


def test_budget_score_of_seed_003_gives_9_69_for_96_92_percent():
    result = budget_score(weight=Decimal(10), adjusted=Decimal(100), executed=Decimal("96.92"))

    assert result == BudgetResult(rate=Decimal("0.9692"), score=Decimal("9.69"), flags=())


def test_budget_score_is_not_scored_and_flagged_without_a_budget():
    result = budget_score(weight=Decimal(10), adjusted=Decimal(0), executed=Decimal(0))

    assert result == BudgetResult(rate=None, score=None, flags=("budget_zero",))


def test_budget_score_flags_spending_without_a_budget_as_over_executed():
    result = budget_score(weight=Decimal(10), adjusted=Decimal(0), executed=Decimal(3))

    assert result == BudgetResult(rate=None, score=None, flags=("budget_zero", "over_executed"))


def test_budget_score_caps_over_execution_at_the_weight_and_flags_it():
    result = budget_score(weight=Decimal(10), adjusted=Decimal(100), executed=Decimal(110))

    assert result == BudgetResult(rate=Decimal("1.1"), score=Decimal("10.00"), flags=("over_executed",))


def test_budget_score_requires_a_reason_below_the_threshold():
    result = budget_score(weight=Decimal(10), adjusted=Decimal(100), executed=Decimal("89.99"))

    assert result == BudgetResult(
        rate=Decimal("0.8999"),
        score=Decimal("9.00"),
        flags=("execution_reason_required",),
    )


def test_budget_score_needs_no_reason_at_exactly_the_threshold():
    result = budget_score(weight=Decimal(10), adjusted=Decimal(100), executed=Decimal(90))

    assert result == BudgetResult(rate=Decimal("0.9"), score=Decimal("9.00"), flags=())


def test_budget_score_uses_the_profile_reason_threshold():
    result = budget_score(
        weight=Decimal(10), adjusted=Decimal(100), executed=Decimal(85), reason_threshold=Decimal("0.8")
    )

    assert result == BudgetResult(rate=Decimal("0.85"), score=Decimal("8.50"), flags=())


def test_budget_score_counts_a_negative_execution_as_zero():
    result = budget_score(weight=Decimal(10), adjusted=Decimal(100), executed=Decimal(-5))

    assert result == BudgetResult(
        rate=Decimal(0),
        score=Decimal("0.00"),
        flags=("execution_reason_required",),
    )


@pytest.mark.parametrize(
    ("initial", "expected_flags"),
    [("9.00", ("adjustment_reason_required",)), ("0", ("adjustment_reason_required",)), ("133.63", ())],
)
def test_budget_score_requires_a_reason_for_an_adjusted_budget(initial, expected_flags):
    result = budget_score(
        weight=Decimal(10), adjusted=Decimal("133.63"), executed=Decimal("133.63"), initial=Decimal(initial)
    )

    assert result.flags == expected_flags


def test_budget_score_refuses_a_negative_weight():
    with pytest.raises(ValueError, match="分值不能为负数"):
        budget_score(weight=Decimal(-1), adjusted=Decimal(100), executed=Decimal(100))


# indicators, SPEC §5.2 table


@pytest.mark.parametrize("sign", POSITIVE_SIGNS)
def test_positive_indicator_gets_full_weight_when_the_target_is_met(sign):
    result = scored(sign, "100", "100")

    assert result == IndicatorResult(score=W, completion=Decimal(1), over_achieved=False, flags=())


@pytest.mark.parametrize("sign", POSITIVE_SIGNS)
def test_positive_indicator_scores_pro_rata_below_the_target(sign):
    assert scored(sign, "100", "75") == IndicatorResult(
        score=Decimal("15.00"), completion=Decimal("0.75"), over_achieved=False, flags=()
    )


def test_positive_indicator_rounds_the_pro_rata_score_half_up():
    # 1 / 8 × 1 = 0.125
    assert scored(SIGN_GE, "8", "1", weight=Decimal(1)).score == Decimal("0.13")


@pytest.mark.parametrize("sign", POSITIVE_SIGNS)
def test_positive_indicator_with_a_zero_target_gets_full_weight(sign):
    assert scored(sign, "0", "5") == IndicatorResult(score=W, completion=None, over_achieved=False, flags=())


@pytest.mark.parametrize("sign", POSITIVE_SIGNS)
def test_positive_indicator_counts_a_negative_actual_as_zero(sign):
    assert scored(sign, "100", "-5") == IndicatorResult(
        score=Decimal("0.00"), completion=Decimal(0), over_achieved=False, flags=()
    )


def test_equal_indicator_scores_as_positive_with_a_non_zero_target():
    results = [scored(SIGN_EQ, "100", actual).score for actual in ("100", "80", "110")]

    assert results == [W, Decimal("16.00"), W]


@pytest.mark.parametrize(("actual", "expected"), [("0", W), ("-3", W), ("1", Decimal(0))])
def test_equal_indicator_with_a_zero_target_wants_nothing(actual, expected):
    assert scored(SIGN_EQ, "0", actual) == IndicatorResult(
        score=expected, completion=None, over_achieved=False, flags=()
    )


@pytest.mark.parametrize("sign", REVERSE_SIGNS)
@pytest.mark.parametrize(
    ("actual", "expected_score", "expected_completion"),
    [
        ("5", "10", "0.5"),
        ("10", "10", "1"),
        ("15", "5.00", "1.5"),
        ("17.5", "2.50", "1.75"),
        ("20", "0", "2"),
        ("35", "0", "3.5"),
        ("-4", "10", "0"),
    ],
)
def test_reverse_indicator_loses_points_between_target_and_twice_the_target(
    sign, actual, expected_score, expected_completion
):
    result = scored(sign, "10", actual, weight=Decimal(10), reverse_rule=ReverseRule.LINEAR)

    assert result == IndicatorResult(
        score=Decimal(expected_score), completion=Decimal(expected_completion), over_achieved=False, flags=()
    )


@pytest.mark.parametrize("sign", REVERSE_SIGNS)
@pytest.mark.parametrize(("actual", "expected"), [("0", W), ("-1", W), ("0.01", Decimal(0))])
def test_reverse_indicator_with_a_zero_target_wants_nothing(sign, actual, expected):
    result = scored(sign, "0", actual)

    assert result == IndicatorResult(score=expected, completion=None, over_achieved=False, flags=())


# The 反向 rule above the target is the profile's (SPEC §5.2): linear (provincial) or ratio (the national text).


@pytest.mark.parametrize("sign", REVERSE_SIGNS)
@pytest.mark.parametrize(
    ("target", "actual", "linear", "ratio"),
    [
        ("10", "10", "10", "10"),  # A = T: full marks by either rule
        ("10", "12.5", "7.50", "8.00"),  # T < A < 2T
        ("10", "15", "5.00", "6.67"),  # T < A < 2T, T / A × w rounded half-up
        ("10", "20", "0", "5.00"),  # A = 2T: nothing left by the linear rule, half by the ratio
        ("10", "35", "0", "2.86"),  # A > 2T
        ("0", "0", "10", "10"),  # T = 0: full marks for nothing …
        ("0", "0.01", "0", "0"),  # … and none for anything
        ("10", "-4", "10", "10"),  # a negative actual counts as 0, under the target
        ("0", "-4", "10", "10"),  # … also against a zero target
    ],
)
@pytest.mark.parametrize("rule", list(ReverseRule))
def test_reverse_indicator_above_target_is_scored_by_the_profiles_rule(sign, target, actual, linear, ratio, rule):
    expected = {ReverseRule.LINEAR: linear, ReverseRule.RATIO: ratio}[rule]

    result = scored(sign, target, actual, weight=Decimal(10), reverse_rule=rule)

    assert (result.score, result.over_achieved) == (Decimal(expected), False)


def test_the_ratio_rule_gives_a_reverse_indicator_with_a_negative_target_nothing():
    assert scored(SIGN_LE, "-5", "0", weight=Decimal(10), reverse_rule=ReverseRule.RATIO).score == Decimal(0)


def test_the_reverse_rule_is_also_accepted_as_its_stored_text():
    assert scored(SIGN_LT, "10", "40", reverse_rule="ratio").score == Decimal("5.00")


@pytest.mark.parametrize(("rule", "error"), [("proportional", ValueError), ("", ValueError), (None, TypeError)])
def test_an_unknown_reverse_rule_is_refused(rule, error):
    with pytest.raises(error, match="反向指标计分规则"):
        scored(SIGN_LE, "10", "15", reverse_rule=rule)


def test_indicator_score_has_no_default_reverse_rule():
    with pytest.raises(TypeError):
        indicator_score(sign=SIGN_LE, weight=W, target=Decimal(10), actual=Decimal(15))


def test_reverse_indicator_is_never_over_achieved():
    assert scored(SIGN_LE, "10", "1").over_achieved is False


def test_qualitative_indicator_leaves_the_score_to_the_unit():
    result = indicator_score(sign="定性", weight=W, target=None, actual=None, reverse_rule=ReverseRule.RATIO)

    assert result == IndicatorResult(score=None, completion=None, over_achieved=False, flags=())


@pytest.mark.parametrize(("target", "actual"), [(None, Decimal(5)), (Decimal(5), None), (None, None)])
def test_quantitative_indicator_without_numbers_is_flagged_not_numeric(target, actual):
    result = indicator_score(sign="≥", weight=W, target=target, actual=actual, reverse_rule=ReverseRule.RATIO)

    assert result == IndicatorResult(score=None, completion=None, over_achieved=False, flags=("not_numeric",))


def test_indicator_score_normalises_a_full_width_sign():
    assert scored("＝", "100", "80").score == Decimal("16.00")


@pytest.mark.parametrize("sign", [*POSITIVE_SIGNS, SIGN_EQ])
def test_over_achievement_is_flagged_at_exactly_the_ratio(sign):
    assert scored(sign, "100", "120") == IndicatorResult(
        score=W, completion=Decimal("1.2"), over_achieved=True, flags=("over_achieved",)
    )


@pytest.mark.parametrize("sign", [*POSITIVE_SIGNS, SIGN_EQ])
def test_over_achievement_is_not_flagged_just_below_the_ratio(sign):
    assert scored(sign, "100", "119.99") == IndicatorResult(
        score=W, completion=Decimal("1.1999"), over_achieved=False, flags=()
    )


@pytest.mark.parametrize(("actual", "expected"), [("120", False), ("149.99", False), ("150", True)])
def test_over_achievement_follows_a_profile_ratio_of_1_5(actual, expected):
    result = scored(SIGN_GE, "100", actual, over_achievement_ratio=Decimal("1.5"))

    assert result.over_achieved is expected


def test_indicator_score_refuses_a_negative_weight():
    with pytest.raises(ValueError, match="分值不能为负数"):
        scored(SIGN_GE, "10", "10", weight=Decimal(-1))


def test_indicator_score_refuses_a_blank_sign():
    with pytest.raises(ValueError, match="指标性质为空"):
        scored("", "10", "10")


# qualitative bands


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        (LABEL_ACHIEVED, Band(low=Decimal(16), high=Decimal(20), high_inclusive=True)),
        (LABEL_PARTIAL, Band(low=Decimal(12), high=Decimal(16), high_inclusive=False)),
        (LABEL_NOT_ACHIEVED, Band(low=Decimal(0), high=Decimal(12), high_inclusive=False)),
    ],
)
def test_qualitative_band_of_each_label(label, expected):
    assert qualitative_band(label=label, weight=W) == expected


@pytest.mark.parametrize(
    ("score", "achieved", "partial", "not_achieved"),
    [
        ("20", True, False, False),
        ("16", True, False, False),
        ("15.99", False, True, False),
        ("12", False, True, False),
        ("11.99", False, False, True),
        ("0", False, False, True),
    ],
)
def test_qualitative_bands_meet_at_0_8_and_0_6_of_the_weight(score, achieved, partial, not_achieved):
    membership = [
        qualitative_band(label=label, weight=W).contains(Decimal(score))
        for label in (LABEL_ACHIEVED, LABEL_PARTIAL, LABEL_NOT_ACHIEVED)
    ]

    assert membership == [achieved, partial, not_achieved]


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("20", LABEL_ACHIEVED),
        ("16", LABEL_ACHIEVED),
        ("15.99", LABEL_PARTIAL),
        ("12", LABEL_PARTIAL),
        ("11.99", LABEL_NOT_ACHIEVED),
        ("0", LABEL_NOT_ACHIEVED),
    ],
)
def test_qualitative_label_for_a_score(score, expected):
    assert qualitative_label_for(score=Decimal(score), weight=W) == expected


def test_qualitative_label_for_refuses_a_score_above_the_weight():
    with pytest.raises(ValueError, match=r"应在 0 至 20\.00 分之间"):
        qualitative_label_for(score=Decimal(21), weight=W)


def test_qualitative_band_refuses_an_unknown_label():
    with pytest.raises(ValueError, match="无法识别的定性指标完成情况“达成预期指标”"):
        qualitative_band(label="达成预期指标", weight=W)


# total and grade


def test_total_of_seed_004_talent_fund_is_95_and_excellent():
    indicators = [Decimal(x) for x in ("20", "10", "20", "17", "8", "10")]

    total = total_score(budget=Decimal(10), indicators=indicators)

    assert (total, grade_for(total=total)) == (Decimal("95.00"), "优")


def test_total_counts_missing_scores_as_zero():
    assert total_score(budget=None, indicators=[Decimal("12.5"), None, Decimal("7.25")]) == Decimal("19.75")


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        ("100", "优"),
        ("90", "优"),
        ("89.99", "良"),
        ("80", "良"),
        ("79.99", "中"),
        ("60", "中"),
        ("59.99", "差"),
    ],
)
def test_grade_by_the_default_thresholds(total, expected):
    assert grade_for(total=Decimal(total)) == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [("80", "优"), ("79.99", "良"), ("70", "良"), ("69.99", "中"), ("60", "中"), ("59.99", "差")],
)
def test_grade_by_an_80_70_60_profile(total, expected):
    thresholds = {"优": Decimal(80), "良": Decimal(70), "中": Decimal(60)}

    assert grade_for(total=Decimal(total), thresholds=thresholds) == expected


# self-evaluation accuracy (SPEC §5.4)


def test_self_evaluation_difference_is_relative_to_the_reviewer():
    assert self_evaluation_difference(self_total=Decimal(89), reviewer_total=Decimal(100)) == Decimal("0.11")


def test_self_evaluation_difference_is_none_without_a_reviewer_score():
    assert self_evaluation_difference(self_total=Decimal(89), reviewer_total=Decimal(0)) is None


@pytest.mark.parametrize(
    ("self_total", "expected"),
    [
        ("100", "0"),
        ("105", "0"),
        ("95", "0"),
        ("105.01", "4"),
        ("93", "4"),
        ("110", "4"),
        ("110.01", "8"),
        ("85", "8"),
        ("120", "8"),
        ("80", "8"),
        ("120.01", "10"),
        ("70", "10"),
    ],
)
def test_self_evaluation_accuracy_deduction_includes_each_upper_bound(self_total, expected):
    deduction = self_evaluation_accuracy_deduction(
        self_total=Decimal(self_total),
        reviewer_total=Decimal(100),
    )

    assert deduction == Decimal(expected)


@pytest.mark.parametrize(("self_total", "expected"), [("0", "0"), ("5", "10")])
def test_self_evaluation_accuracy_deduction_against_a_zero_reviewer_score(self_total, expected):
    deduction = self_evaluation_accuracy_deduction(self_total=Decimal(self_total), reviewer_total=Decimal(0))

    assert deduction == Decimal(expected)


# floats are refused


@pytest.mark.parametrize(
    "call",
    [
        lambda: round2(2.345),
        lambda: execution_rate(adjusted=100.0, executed=Decimal(1)),
        lambda: budget_score(weight=Decimal(10), adjusted=Decimal(100), executed=96.92),
        lambda: indicator_score(sign="≥", weight=Decimal(10), target=0.95, actual=Decimal(1), reverse_rule="ratio"),
        lambda: qualitative_band(label=LABEL_ACHIEVED, weight=20.0),
        lambda: total_score(budget=Decimal(10), indicators=[17.5]),
        lambda: grade_for(total=90.0),
        lambda: self_evaluation_accuracy_deduction(self_total=89.0, reviewer_total=Decimal(90)),
        lambda: dept_budget_completion(december=0.9692),
        lambda: dept_goal_achievement(achieved=3.0, total=4),
    ],
)
def test_float_input_is_refused(call):
    with pytest.raises(TypeError):
        call()
