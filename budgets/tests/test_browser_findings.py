"""智能审核 in the filling form: a finding appears beside its field as the user types and goes when fixed."""

import pytest
from playwright.sync_api import expect

from budgets.models import FiscalYear
from evaluations.tests.factories import FiscalYearFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_score_above_its_weight_is_flagged_beside_the_score_and_cleared_when_fixed(
    live_server, page, screenshot, org
):
    FiscalYearFactory(finance_bureau=org.bureau, year=2025, status=FiscalYear.Status.OPEN)
    UserFactory(username="unit", role="unit_filler", organisation=org.unit)
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "unit")
    page.fill("#id_password", "demo1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/projects/new/")
    page.fill("#id_name", "职业技能培训")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("项目支出绩效自评表")

    page.select_option("select[name=indicators-0-category]", "产出指标|数量指标")
    page.fill("input[name=indicators-0-name]", "培训人次")
    page.select_option("select[name=indicators-0-sign]", "≥")
    page.fill("input[name=indicators-0-target_text]", "3000")
    page.fill("input[name=indicators-0-unit]", "人次")
    page.fill("input[name=indicators-0-actual_text]", "3150")
    page.fill("input[name=indicators-0-weight]", "10")
    page.fill("input[name=indicators-0-claimed_score]", "15")
    beside_score = page.locator(
        "tr[data-prefix=indicators-0] td:has(input[name=indicators-0-claimed_score]) [data-live-finding]"
    )
    expect(beside_score).to_have_attribute("data-live-finding", "score_above_weight")
    expect(beside_score).to_contain_text("15")
    screenshot("1-finding-beside-the-score")

    page.fill("input[name=indicators-0-claimed_score]", "10")
    expect(page.locator("[data-live-finding=score_above_weight]")).to_have_count(0)
    screenshot("2-finding-gone")

    # Typing a unit away brings the missing-unit finding beside the unit, and typing it back clears it.
    page.fill("input[name=indicators-0-unit]", "")
    beside_unit = page.locator("td:has(input[name=indicators-0-unit]) [data-live-finding=missing_unit]")
    expect(beside_unit).to_have_count(1)
    page.fill("input[name=indicators-0-unit]", "人次")
    expect(page.locator("[data-live-finding=missing_unit]")).to_have_count(0)
