"""domain.department_formulas: the computable department-wide items (SPEC §7, seed 004)."""

from decimal import Decimal

import pytest

from domain.department_formulas import (
    dept_budget_completion,
    dept_compilation_accuracy,
    dept_dynamic_adjustment,
    dept_execution_progress,
    dept_expenditure_control,
    dept_goal_achievement,
    dept_violations,
)


@pytest.mark.parametrize(
    ("achieved", "total", "expected"),
    [(3, 4, "7.50"), (2, 3, "6.67"), (0, 5, "0"), (0, 0, "10")],
)
def test_dept_goal_achievement_is_the_share_of_quantity_indicators_achieved(achieved, total, expected):
    assert dept_goal_achievement(achieved=achieved, total=total) == Decimal(expected)


def test_dept_goal_achievement_refuses_more_achieved_than_counted():
    with pytest.raises(ValueError, match="不能多于"):
        dept_goal_achievement(achieved=5, total=4)


@pytest.mark.parametrize(
    ("adjustment", "initial", "expected"),
    [
        ("0", "978.11", "10"),
        ("2", "100", "8.00"),
        ("5", "100", "5.00"),
        ("-5", "100", "5.00"),
        ("10", "100", "0.00"),
        ("10.01", "100", "0"),
        ("0", "0", "10"),
        ("1", "0", "0"),
    ],
)
def test_dept_compilation_accuracy_loses_everything_at_a_tenth_adjusted(adjustment, initial, expected):
    result = dept_compilation_accuracy(adjustment_amount=Decimal(adjustment), initial_budget=Decimal(initial))

    assert result == Decimal(expected)


@pytest.mark.parametrize(
    ("deviation", "expected"),
    [("0", "10"), ("0.10", "10"), ("-0.10", "10"), ("0.1001", "5"), ("0.20", "5"), ("0.2001", "0")],
)
def test_dept_expenditure_control_by_deviation_band(deviation, expected):
    assert dept_expenditure_control(deviation=Decimal(deviation)) == Decimal(expected)


@pytest.mark.parametrize(
    ("cancelled", "written_off", "expected"),
    [
        ("30", "10", "7.50"),
        ("0", "5", "5.00"),
        ("0", "10", "0.00"),
        ("0", "11", "0"),
        ("0", "0", "10"),
        ("5", "0", "10"),
    ],
)
def test_dept_dynamic_adjustment_in_each_case(cancelled, written_off, expected):
    result = dept_dynamic_adjustment(
        cancelled=Decimal(cancelled), written_off=Decimal(written_off), annual_budget=Decimal(100)
    )

    assert result == Decimal(expected)


def test_dept_dynamic_adjustment_gives_nothing_for_write_offs_without_a_budget():
    result = dept_dynamic_adjustment(cancelled=Decimal(0), written_off=Decimal(1), annual_budget=Decimal(0))

    assert result == Decimal(0)


@pytest.mark.parametrize(
    ("june", "september", "november", "expected"),
    [
        ("0.40", "0.675", "0.825", "10.00"),
        ("0.55", "0.80", "0.95", "10.00"),
        ("0.20", "0", "0", "1.50"),
        ("0.20", "0.675", "0.825", "8.50"),
        ("0.40", "0.54", "0.80", "9.11"),
        ("0", "0", "0", "0.00"),
    ],
)
def test_dept_execution_progress_is_3_4_3_at_target_and_pro_rata_below(june, september, november, expected):
    result = dept_execution_progress(
        june=Decimal(june),
        september=Decimal(september),
        november=Decimal(november),
    )

    assert result == Decimal(expected)


@pytest.mark.parametrize(
    ("december", "expected"),
    [("1", "10"), ("1.05", "10"), ("0.9692", "9.69"), ("0", "0")],
)
def test_dept_budget_completion_is_pro_rata_to_december_execution(december, expected):
    assert dept_budget_completion(december=Decimal(december)) == Decimal(expected)


@pytest.mark.parametrize(("findings", "expected"), [(0, "10"), (3, "8.50"), (20, "0"), (25, "0")])
def test_dept_violations_cost_half_a_point_each_down_to_zero(findings, expected):
    assert dept_violations(findings=findings) == Decimal(expected)
