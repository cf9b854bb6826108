"""The scorecard applies the rules to a stored project: claimed scores count, computed ones fill the gaps."""

from decimal import Decimal

import pytest

from evaluations.scorecard import Level1Total, build_scorecard
from evaluations.tests.factories import BudgetLineFactory, IndicatorFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org, year):
    return ProjectFactory(fiscal_year=year, unit=org.unit)


def test_the_total_row_sums_every_fund_source_and_ignores_empty_cells(project):
    BudgetLineFactory(
        project=project,
        fund_source="本年财政拨款",
        initial_wan=Decimal("100"),
        adjusted_wan=Decimal("80"),
        executed_wan=Decimal("72"),
    )
    BudgetLineFactory(
        project=project,
        fund_source="上年结转资金",
        initial_wan=None,
        adjusted_wan=Decimal("20"),
        executed_wan=Decimal("18"),
    )
    BudgetLineFactory(project=project, fund_source="其他资金", initial_wan=None, adjusted_wan=None, executed_wan=None)

    card = build_scorecard(project)

    assert (card.totals.initial, card.totals.adjusted, card.totals.executed, card.budget.score) == (
        Decimal("100"),
        Decimal("100"),
        Decimal("90"),
        Decimal("9.00"),
    )


def test_claimed_scores_count_and_computed_scores_fill_rows_without_one(project):
    BudgetLineFactory(project=project, adjusted_wan=Decimal("100"), executed_wan=Decimal("100"))
    IndicatorFactory(
        project=project,
        weight=Decimal("50"),
        target_value=Decimal("100"),
        actual_value=Decimal("80"),
        claimed_score=None,
    )
    IndicatorFactory(
        project=project,
        level1="效益指标",
        level2="社会效益指标",
        sign="定性",
        target_value=None,
        actual_value=None,
        actual_label="达成年度指标",
        weight=Decimal("30"),
        claimed_score=Decimal("27"),
    )
    IndicatorFactory(
        project=project,
        level1="满意度指标",
        level2="服务对象满意度指标",
        weight=Decimal("10"),
        target_value=Decimal("90"),
        actual_value=Decimal("95"),
        claimed_score=Decimal("9"),
    )

    card = build_scorecard(project)

    assert ([line.score for line in card.lines], card.total, card.grade) == (
        [Decimal("40.00"), Decimal("27"), Decimal("9")],
        Decimal("86.00"),
        "良",
    )


def test_level1_totals_follow_the_profile_order_and_report_the_profile_weight(project):
    IndicatorFactory(project=project, weight=Decimal("45"), claimed_score=Decimal("45"))
    IndicatorFactory(
        project=project,
        level1="满意度指标",
        level2="服务对象满意度指标",
        weight=Decimal("10"),
        claimed_score=Decimal("8"),
    )

    card = build_scorecard(project)

    assert card.level1_totals == [
        Level1Total(name="产出指标", profile_weight=Decimal("50.00"), weight=Decimal("45.00"), score=Decimal("45.00")),
        Level1Total(name="效益指标", profile_weight=Decimal("30.00"), weight=Decimal("0"), score=Decimal("0")),
        Level1Total(name="满意度指标", profile_weight=Decimal("10.00"), weight=Decimal("10.00"), score=Decimal("8.00")),
    ]


def test_a_project_with_only_its_budget_has_no_total_yet(project):
    BudgetLineFactory(project=project, adjusted_wan=Decimal("100"), executed_wan=Decimal("97"))

    card = build_scorecard(project)

    assert (card.budget.score, card.total, card.grade) == (Decimal("9.70"), None, "")


def test_a_zero_budget_is_not_scored_and_is_flagged(project):
    BudgetLineFactory(project=project, initial_wan=Decimal("0"), adjusted_wan=Decimal("0"), executed_wan=Decimal("0"))
    IndicatorFactory(project=project)

    card = build_scorecard(project)

    assert (card.budget.score, card.total, card.flags) == (None, Decimal("50.00"), ["budget_zero"])


def test_a_bare_number_target_without_a_sign_is_scored_as_positive(project):
    """Issue 16, finding 2: national tables print "100" with no 计算符号; such a row was not scored at all, so its
    computed score was missing and nothing checked the claim. It keeps its empty sign and is scored as ≥."""
    unsigned = IndicatorFactory(
        project=project,
        sign="",
        target_text="100",
        target_value=Decimal("100"),
        actual_value=Decimal("80"),
        weight=Decimal("50"),
        claimed_score=None,
    )
    words = IndicatorFactory(
        project=project,
        sign="",
        target_text="较好",
        target_value=None,
        actual_value=None,
        weight=Decimal("10"),
        claimed_score=None,
    )

    lines = {line.indicator.pk: line for line in build_scorecard(project).lines}

    assert lines[unsigned.pk].result.score == Decimal("40.00")
    assert lines[unsigned.pk].score == Decimal("40.00")
    assert lines[words.pk].result is None
    unsigned.refresh_from_db()
    assert unsigned.sign == ""
