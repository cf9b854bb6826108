"""The 反向 rule above target is the year's profile's (SPEC §5.2, issue 16 finding 7).

The same ≤ row (target 10, actual 15, weight 20) scores 10/15 × 20 = 13.33 under the national profile (the
national text's ratio) and (1 − 5/10) × 20 = 10.00 under the Sichuan profile (the provincial linear rule),
through every path that computes a score: the form's save, its live preview, the scorecard and the checks.
"""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.models import RuleProfile
from budgets.tests.test_views import edit_url, posted_data
from evaluations.models import ProjectEvaluation
from evaluations.quality.engine import project_findings
from evaluations.scorecard import build_scorecard
from evaluations.tests.factories import (
    BudgetLineFactory,
    FiscalYearFactory,
    IndicatorFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

RATIO_SCORE, LINEAR_SCORE = Decimal("13.33"), Decimal("10.00")


@pytest.fixture
def sichuan_year(org):
    return FiscalYearFactory(finance_bureau=org.bureau, year=2023, profile=RuleProfile.objects.get(code="sichuan"))


def _cost_project(fiscal_year, unit, *, actual=None, claimed=None):
    """A project whose one indicator is a 成本指标 written ≤10 万元, weight 20."""
    project = ProjectFactory(fiscal_year=fiscal_year, unit=unit, name="信息系统运维")
    ProjectEvaluationFactory(project=project)
    BudgetLineFactory(project=project)
    IndicatorFactory(
        project=project,
        order=0,
        level2="成本指标",
        name="运维成本",
        sign="≤",
        target_text="≤10",
        target_value=Decimal(10),
        unit="万元",
        actual_text="" if actual is None else str(actual),
        actual_value=actual,
        weight=Decimal(20),
        claimed_score=claimed,
    )
    return project


@pytest.fixture
def projects(org, year, sichuan_year):
    """The same ≤ row in the national-profile year (2024) and the Sichuan-profile year (2023), no actual yet."""
    return {"national": _cost_project(year, org.unit), "sichuan": _cost_project(sichuan_year, org.unit)}


def test_the_two_shipped_profiles_score_a_reverse_row_above_target_differently_when_the_form_is_saved(
    client, cast, projects
):
    client.force_login(cast.unit_filler)
    for project in projects.values():
        page = client.get(edit_url(project))
        data = posted_data(page, {"indicators-0-actual_text": "15", "action": "save"})
        assert client.post(edit_url(project), data).status_code == 302

    stored = {
        layout: ProjectEvaluation.objects.get(project=project).computed_indicator_score
        for layout, project in projects.items()
    }
    assert stored == {"national": RATIO_SCORE, "sichuan": LINEAR_SCORE}


def test_the_live_preview_scores_a_reverse_row_by_the_years_profile(client, cast, projects):
    client.force_login(cast.unit_filler)
    computed = {}
    for layout, project in projects.items():
        data = posted_data(client.get(edit_url(project)), {"indicators-0-actual_text": "15"})
        response = client.post(reverse("budgets:project_preview", args=[project.pk]), data)
        computed[layout] = json.loads(response.content)["rows"][0]["computed"]

    assert computed == {"national": "13.33", "sichuan": "10.00"}


def test_the_scorecard_follows_the_profile_an_admin_switched(org, year):
    project = _cost_project(year, org.unit, actual=Decimal(15))
    profile = year.profile
    before = build_scorecard(project).lines[0].score

    profile.reverse_rule = RuleProfile.ReverseRule.LINEAR
    profile.save(update_fields=["reverse_rule"])
    project.fiscal_year.refresh_from_db()

    assert (before, build_scorecard(project).lines[0].score) == (RATIO_SCORE, LINEAR_SCORE)


def test_the_quality_check_compares_a_claimed_reverse_score_with_the_profiles_rule(org, year, sichuan_year):
    found = {}
    for layout, fiscal_year in {"national": year, "sichuan": sichuan_year}.items():
        for claimed in (RATIO_SCORE, LINEAR_SCORE):
            project = _cost_project(fiscal_year, org.unit, actual=Decimal(15), claimed=claimed)
            project.indicators.update(deviation_reason="运维合同价格上涨")
            codes = [f.code for f in project_findings(project) if f.code == "score_mismatch"]
            found[layout, claimed] = codes
            project.delete()

    assert found == {
        ("national", RATIO_SCORE): [],
        ("national", LINEAR_SCORE): ["score_mismatch"],  # below the ratio score, and not over-achieved
        ("sichuan", LINEAR_SCORE): [],
        ("sichuan", RATIO_SCORE): ["score_mismatch"],  # above the linear score
    }
