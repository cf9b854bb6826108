"""Fixtures shared by the finance-review tests (services and pages)."""

from decimal import Decimal

import pytest

from evaluations.finance_review.services import review_complete, review_save, sample_draw
from evaluations.models import FinanceReview, ProjectEvaluation
from evaluations.tests.factories import OPINION
from evaluations.workflow.services import evaluation_recalculate

Status = ProjectEvaluation.Status


@pytest.fixture
def approved(submittable_evaluation):
    """日常办学经费 of 技师学院, approved by its department: budget score 9.50, total 99.50, 优."""
    submittable_evaluation.status = Status.APPROVED
    submittable_evaluation.save(update_fields=["status"])
    return evaluation_recalculate(evaluation=submittable_evaluation)


@pytest.fixture
def review(cast, year, approved):
    """The approved evaluation drawn into the year's sample (ratio 100%)."""
    sample_draw(fiscal_year=year, actor=cast.finance_reviewer, ratio=Decimal(1), rules=[], seed=1)
    return FinanceReview.objects.get(evaluation=approved)


@pytest.fixture
def completed(cast, review):
    """That review graded 良 with OPINION and completed."""
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html=OPINION,
        reviewer_total=None,
        checked_scores={},
    )
    return review_complete(review=review, actor=cast.finance_reviewer)
