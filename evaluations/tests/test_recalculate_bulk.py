"""evaluations_recalculate (imports) stores exactly what evaluation_recalculate stores, one project at a time."""

from contextlib import ExitStack

import pytest

from budgets.models import FiscalYear
from evaluations.demo import load_demo
from evaluations.models import ProjectEvaluation
from evaluations.workflow.services import COMPUTED_FIELDS, evaluation_recalculate, evaluations_recalculate
from policy.locks import year_unlocked

pytestmark = pytest.mark.django_db


def _stored():
    return {e.pk: tuple(getattr(e, name) for name in COMPUTED_FIELDS) for e in ProjectEvaluation.objects.all()}


def _every_year_unlocked(stack):
    """The demo's published years are locked; this comparison rewrites every year's computed fields."""
    for year in FiscalYear.objects.all():
        stack.enter_context(year_unlocked(year))


def test_the_bulk_recalculation_equals_the_single_one_on_every_demo_project(django_assert_max_num_queries):
    load_demo()
    with ExitStack() as stack:
        _every_year_unlocked(stack)
        for evaluation in ProjectEvaluation.objects.select_related("project__fiscal_year__profile"):
            evaluation_recalculate(evaluation=evaluation)
        one_by_one = _stored()
        ProjectEvaluation.objects.update(
            computed_total=None, computed_grade="", computed_budget_score=None, computed_indicator_score=None
        )
        count = ProjectEvaluation.objects.count()

        with django_assert_max_num_queries(count + 10):
            stored = evaluations_recalculate(evaluations=ProjectEvaluation.objects.all())

    assert (stored, _stored()) == (count, one_by_one)
