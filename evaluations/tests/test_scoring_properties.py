from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.department_formulas import (
    dept_budget_completion,
    dept_compilation_accuracy,
    dept_dynamic_adjustment,
    dept_execution_progress,
    dept_expenditure_control,
    dept_goal_achievement,
    dept_violations,
)
from domain.grades import (
    GRADE_EXCELLENT,
    GRADE_FAIR,
    GRADE_GOOD,
    GRADE_POOR,
    grade_for,
    self_evaluation_accuracy_deduction,
)
from domain.scoring import (
    ReverseRule,
    budget_score,
    indicator_score,
    qualitative_band,
    qualitative_label_for,
    total_score,
)
from domain.signs import QUALITATIVE_LABELS


def decimals(low, high, places):
    return st.decimals(min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False)


# Weights are points entered with 2 decimals; amounts, targets and actuals are exact to 6 (SPEC §4.2).
weights = decimals(0, 1000, 2)
numbers = decimals(-(10**6), 10**6, 6)
amounts = decimals(0, 10**6, 6)
rates = decimals(-1, 2, 6)
points = decimals(0, 100, 2)
grade_profiles = st.sampled_from([(90, 80, 60), (80, 70, 60)])
quantitative_signs = st.sampled_from(["≥", ">", "=", "≤", "<", "＝", "＞", "＜", ">=", "<="])
GRADE_RANK = {GRADE_POOR: 0, GRADE_FAIR: 1, GRADE_GOOD: 2, GRADE_EXCELLENT: 3}


def has_at_most_two_places(value):
    return value.as_tuple().exponent >= -2


@given(
    sign=quantitative_signs,
    weight=weights,
    target=numbers,
    actual=numbers,
    ratio=decimals(1, 3, 2),
    reverse_rule=st.sampled_from(list(ReverseRule)),
)
def test_indicator_score_stays_between_zero_and_weight_with_two_places(
    sign, weight, target, actual, ratio, reverse_rule
):
    result = indicator_score(
        sign=sign,
        weight=weight,
        target=target,
        actual=actual,
        reverse_rule=reverse_rule,
        over_achievement_ratio=ratio,
    )

    assert 0 <= result.score <= weight
    assert has_at_most_two_places(result.score)


@given(data=st.data(), weight=weights)
def test_qualitative_label_for_a_score_maps_back_to_a_band_holding_it(data, weight):
    score = data.draw(decimals(0, weight, 2))

    label = qualitative_label_for(score=score, weight=weight)

    assert label in QUALITATIVE_LABELS
    assert qualitative_band(label=label, weight=weight).contains(score)


@given(data=st.data(), weight=weights, adjusted=decimals("0.000001", 10**6, 6))
def test_budget_score_is_monotone_in_execution(data, weight, adjusted):
    low = data.draw(decimals(-10, 2 * 10**6, 6))
    high = data.draw(decimals(low, 2 * 10**6, 6))

    scores = [budget_score(weight=weight, adjusted=adjusted, executed=b).score for b in (low, high)]

    assert 0 <= scores[0] <= scores[1] <= weight


@given(low=decimals(0, 100, 2), high=decimals(0, 100, 2), profile=grade_profiles)
def test_grade_is_monotone_in_the_total(low, high, profile):
    low, high = sorted((low, high))
    thresholds = dict(zip((GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR), map(Decimal, profile), strict=True))

    ranks = [GRADE_RANK[grade_for(total=total, thresholds=thresholds)] for total in (low, high)]

    assert ranks[0] <= ranks[1]


@given(budget=st.none() | points, indicators=st.lists(st.none() | points, max_size=12))
def test_total_score_has_two_places_and_ignores_missing_scores(budget, indicators):
    total = total_score(budget=budget, indicators=indicators)

    assert total == sum((x for x in [budget, *indicators] if x is not None), Decimal(0))
    assert has_at_most_two_places(total)


@given(self_total=decimals(0, 100, 2), reviewer_total=decimals(0, 100, 2))
def test_self_evaluation_accuracy_deduction_is_one_of_the_four_steps(self_total, reviewer_total):
    deduction = self_evaluation_accuracy_deduction(self_total=self_total, reviewer_total=reviewer_total)

    assert deduction in {Decimal(0), Decimal(4), Decimal(8), Decimal(10)}


def within(value, limit):
    return 0 <= value <= limit and has_at_most_two_places(value)


@given(data=st.data(), total=st.integers(0, 200), limit=points)
def test_dept_goal_achievement_stays_within_its_points(data, total, limit):
    achieved = data.draw(st.integers(0, total))

    assert within(dept_goal_achievement(achieved=achieved, total=total, points=limit), limit)


@given(adjustment=numbers, initial=amounts, limit=points)
def test_dept_compilation_accuracy_stays_within_its_points(adjustment, initial, limit):
    result = dept_compilation_accuracy(adjustment_amount=adjustment, initial_budget=initial, points=limit)

    assert within(result, limit)


@given(deviation=rates, limit=points)
def test_dept_expenditure_control_stays_within_its_points(deviation, limit):
    assert within(dept_expenditure_control(deviation=deviation, points=limit), limit)


@given(cancelled=amounts, written_off=amounts, annual_budget=amounts, limit=points)
def test_dept_dynamic_adjustment_stays_within_its_points(cancelled, written_off, annual_budget, limit):
    result = dept_dynamic_adjustment(
        cancelled=cancelled, written_off=written_off, annual_budget=annual_budget, points=limit
    )

    assert within(result, limit)


@given(june=rates, september=rates, november=rates)
def test_dept_execution_progress_stays_within_ten(june, september, november):
    assert within(dept_execution_progress(june=june, september=september, november=november), Decimal(10))


@given(december=rates, limit=points)
def test_dept_budget_completion_stays_within_its_points(december, limit):
    assert within(dept_budget_completion(december=december, points=limit), limit)


@given(findings=st.integers(0, 1000), limit=points, per_finding=decimals(0, 5, 2))
def test_dept_violations_stay_within_their_points(findings, limit, per_finding):
    assert within(dept_violations(findings=findings, points=limit, per_finding=per_finding), limit)
