"""Limits the database itself enforces on self-evaluations, finance reviews and indicators (SPEC §3, §4.4, §8).

The indicator constraints live in indicators.models; they are tested here, beside the scores they guard.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from evaluations.models import FinanceReview, ProjectEvaluation
from evaluations.tests.factories import DepartmentEvaluationFactory, FinanceReviewFactory, IndicatorFactory
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

Status = ProjectEvaluation.Status


@pytest.fixture
def department_evaluation(org, year):
    return DepartmentEvaluationFactory(fiscal_year=year, department=org.department)


# --- self-evaluations -------------------------------------------------------------------------------


def test_a_returned_evaluation_without_a_reason_is_refused(evaluation):
    evaluation.status = Status.RETURNED

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        evaluation.save(update_fields=["status"])

    stored = ProjectEvaluation.objects.get(pk=evaluation.pk)
    assert ("evaluation_returned_has_reason" in str(refused.value), stored.status, stored.return_reason) == (
        True,
        Status.DRAFT,
        "",
    )


def test_a_returned_evaluation_with_a_reason_is_accepted(evaluation):
    evaluation.status, evaluation.return_reason = Status.RETURNED, "请补充满意度调查样本。"

    evaluation.save(update_fields=["status", "return_reason"])

    stored = ProjectEvaluation.objects.get(pk=evaluation.pk)
    assert (stored.status, stored.return_reason) == (Status.RETURNED, "请补充满意度调查样本。")


# --- finance reviews --------------------------------------------------------------------------------


def test_a_finance_review_of_both_a_project_and_a_department_is_refused(evaluation, department_evaluation):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        FinanceReviewFactory(evaluation=evaluation, department_evaluation=department_evaluation)

    assert ("financereview_reviews_exactly_one_thing" in str(refused.value), FinanceReview.objects.count()) == (
        True,
        0,
    )


def test_a_finance_review_of_nothing_is_refused(db):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        FinanceReviewFactory(evaluation=None, department_evaluation=None)

    assert ("financereview_reviews_exactly_one_thing" in str(refused.value), FinanceReview.objects.count()) == (
        True,
        0,
    )


def test_a_finance_review_of_one_project_or_one_department_is_accepted(evaluation, department_evaluation):
    FinanceReviewFactory(evaluation=evaluation)
    FinanceReviewFactory(department_evaluation=department_evaluation)

    reviewed = sorted(str(review) for review in FinanceReview.objects.all())

    assert reviewed == [
        "财政抽查：东莞市人力资源和社会保障局 2024年度部门整体支出绩效自评",
        "财政抽查：日常办学经费（草稿）",
    ]


def test_a_completed_finance_review_without_a_grade_is_refused(evaluation):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        FinanceReviewFactory(evaluation=evaluation, status=FinanceReview.Status.COMPLETED, grade="")

    assert ("financereview_completed_has_grade" in str(refused.value), FinanceReview.objects.count()) == (True, 0)


def test_a_finance_review_still_in_progress_may_have_no_grade_and_a_completed_one_has_one(
    evaluation, department_evaluation
):
    FinanceReviewFactory(evaluation=evaluation, status=FinanceReview.Status.DRAFT, grade="")
    FinanceReviewFactory(department_evaluation=department_evaluation, status=FinanceReview.Status.COMPLETED, grade="良")

    rows = sorted(FinanceReview.objects.values_list("status", "grade"))

    assert rows == [("completed", "良"), ("draft", "")]


# --- indicators -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", ["≥", ">", "=", "≤", "<", ""])
def test_a_qualitative_label_on_an_indicator_that_is_not_qualitative_is_refused(evaluation, sign):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        IndicatorFactory(project=evaluation.project, sign=sign, actual_label="达成年度指标")

    assert ("indicator_label_only_for_qualitative" in str(refused.value), Indicator.objects.count()) == (True, 0)


def test_a_qualitative_indicator_carries_its_label(evaluation):
    IndicatorFactory(
        project=evaluation.project,
        name="群众满意度",
        sign="定性",
        target_value=None,
        actual_value=None,
        actual_label="部分达成年度指标并具有一定效果",
    )

    assert list(Indicator.objects.values_list("name", "sign", "actual_label")) == [
        ("群众满意度", "定性", "部分达成年度指标并具有一定效果")
    ]


def test_a_negative_indicator_weight_is_refused(evaluation):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        IndicatorFactory(project=evaluation.project, weight=Decimal("-0.01"), claimed_score=None)

    assert ("indicator_weight_non_negative" in str(refused.value), Indicator.objects.count()) == (True, 0)


def test_a_zero_or_missing_indicator_weight_is_accepted(evaluation):
    # A blank spacer row as published in seed 001 has no weight at all.
    IndicatorFactory(project=evaluation.project, order=0, weight=Decimal(0), claimed_score=Decimal(0))
    IndicatorFactory(project=evaluation.project, order=1, name="", sign="", weight=None, claimed_score=None)

    assert list(evaluation.project.indicators.values_list("weight", flat=True)) == [Decimal("0.00"), None]
