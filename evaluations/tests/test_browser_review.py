"""The finance review in a real browser: draw, review with a drafted and edited opinion, finalise and publish
(each through its confirmation page), and the unit reading its finance grade and opinion. Screenshots land in
var/screenshots/<test name>/."""

import pytest
from playwright.sync_api import expect

from budgets.models import FiscalYear
from evaluations.models import FinanceReview, ProjectEvaluation
from evaluations.tests.factories import (
    FiscalYearFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    UserFactory,
    make_submittable,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EDITED = "项目完成了年度培训任务，产出达到预期。"


@pytest.fixture
def approved_year(org):
    year = FiscalYearFactory(finance_bureau=org.bureau, year=2025, status=FiscalYear.Status.CLOSED)
    for name in ("技能培训补贴", "实训设备购置"):
        project = make_submittable(ProjectFactory(fiscal_year=year, unit=org.unit, name=name))
        ProjectEvaluationFactory(project=project, status=ProjectEvaluation.Status.APPROVED)
    UserFactory(username="finance", role="finance_reviewer", organisation=org.bureau, full_name="财政审核员")
    UserFactory(username="unit", role="unit_filler", organisation=org.unit, full_name="技师学院填报人")
    return year


def test_finance_samples_reviews_publishes_and_the_unit_reads_the_opinion(
    live_server, page, screenshot, approved_year, log_in
):
    base = live_server.url

    # Draw half of the two approved projects with a recorded seed.
    log_in("finance")
    page.goto(f"{base}/finance/?year=2025")
    page.fill("#id_ratio_percent", "50")
    page.fill("#id_seed", "7")
    page.click("form.draw-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已从 2 个项目中抽取 1 个")
    expect(page.locator(".review-summary")).to_contain_text("随机种子 7")
    screenshot("1-finance-board-after-draw")
    sampled = FinanceReview.objects.get().evaluation.project

    # Review it: the drafted opinion comes back in the editor; the reviewer completes the 产出 paragraph.
    page.click("a.button:has-text('审核')")
    expect(page.locator("h1")).to_contain_text(sampled.name)
    page.click("button[value=draft_opinion]")
    first = page.locator(".editor-area p").first
    expect(first).to_have_text(
        "1. 预算执行情况：市级财政年初预算金额100.00万元，实际下达预算金额100.00万元，实际支出金额95.00万元，"
        "预算执行率95.00%。"
    )
    page.locator(".editor-area p", has_text="2. 产出方面：").click()
    page.keyboard.press("End")
    page.keyboard.type(EDITED)
    page.check("input[name=grade][value=良]")
    page.fill("#id_reviewer_total", "95")
    screenshot("2-finance-review-with-drafted-opinion")
    page.click("button[value=complete]")
    expect(page.locator(".messages")).to_contain_text(f"已完成“{sampled.name}”的财政抽查审核")

    # Finalise and publish the year, each through its confirmation page.
    page.click("a.button:has-text('年度定稿')")
    expect(page.locator("h1")).to_have_text("2025年度定稿：请确认")
    expect(page.locator("main")).to_contain_text("没有未完成的记录。")
    screenshot("3-finance-finalise-confirmation")
    page.click("button:has-text('确认定稿')")
    expect(page.locator(".messages")).to_contain_text("2025年度已定稿，全部记录已锁定。")
    page.click("a.button:has-text('公开')")
    expect(page.locator("h1")).to_have_text("2025年度公开：请确认")
    page.click("button:has-text('确认公开')")
    expect(page.locator(".messages")).to_contain_text("2025年度已公开")
    screenshot("4-finance-board-published")
    page.click("header form button[type=submit]")

    # The unit sees the grade and the edited opinion with its paragraphs.
    log_in("unit")
    page.goto(f"{base}/projects/{sampled.pk}/")
    expect(page.locator(".finance-result h2")).to_contain_text("财政抽查审核结果：良")
    expect(page.locator(".finance-result .opinion p").nth(1)).to_have_text(f"2. 产出方面：{EDITED}")
    screenshot("5-unit-reads-the-opinion")

    review = FinanceReview.objects.get()
    assert (
        review.status,
        review.grade,
        review.reviewer_total,
        sampled.evaluation.__class__.objects.get(pk=review.evaluation_id).status,
    ) == ("completed", "良", 95, "published")
