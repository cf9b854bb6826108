"""scale_city, the load test's data generator, on a small city: what it writes, and what it refuses."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organisation, User
from bench.scale_city import Command
from budgets.models import BudgetLine, Project
from evaluations.models import FinanceReview, ProjectEvaluation
from evaluations.scorecard import build_scorecard
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

SMALL = {"departments": 2, "units_per_department": 2, "projects_per_unit": 10, "finance_reviewers": 1}


def test_a_small_city_has_its_organisations_projects_indicators_sample_and_accounts():
    call_command(Command(), yes=True, **SMALL, sample_share=0.5)

    budget_units = Organisation.objects.budget_units()
    assert (Organisation.objects.count(), budget_units.count()) == (1 + 2 + 4, 2 + 4)
    assert Project.objects.count() == budget_units.count() * 10
    assert ProjectEvaluation.objects.count() == Project.objects.count()
    assert Indicator.objects.count() == Project.objects.count() * 10
    assert BudgetLine.objects.count() == Project.objects.count() * 3
    assert FinanceReview.objects.exists()
    # The stored computed totals are the scorecard's, so the pages show consistent numbers.
    for project in Project.objects.select_related("evaluation", "fiscal_year__profile"):
        assert project.evaluation.computed_total == build_scorecard(project, project.fiscal_year.profile).total
    # Every generated account signs in with the documented password, and the audit trail says where rows came from.
    assert all(user.check_password("load1234") for user in User.objects.all())
    assert set(Project.history.values_list("history_change_reason", flat=True)) == {"生成压测数据"}


def test_it_writes_only_when_told_and_only_into_an_empty_database():
    with pytest.raises(CommandError, match="--yes"):
        call_command(Command(), **SMALL)
    assert not Organisation.objects.exists()

    call_command(Command(), yes=True, **SMALL)
    with pytest.raises(CommandError, match="空数据库"):
        call_command(Command(), yes=True, **SMALL)
