"""The whole filling workflow in a real browser: seed 001's 老字号 typed in, refused, fixed, returned, approved.

Screenshots land in var/screenshots/<test name>/ for a person to look at.
"""

import re

import pytest
from playwright.sync_api import expect

from budgets.models import FiscalYear, Project
from evaluations.models import ProjectEvaluation
from evaluations.tests.factories import FiscalYearFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# 老字号 as published in seed 001 (national layout), with each row entered the way the form asks for it:
# (一级|二级, 三级, 指标性质, 年度指标值, 度量单位, 实际完成值 or 定性 label, 分值, 得分)
LAOZIHAO_ROWS = [
    ("产出指标|数量指标", "运转保障率", "定性", "≤核定单位数量", "", "达成年度指标", "20", "20"),
    ("产出指标|质量指标", "经费支出合规率", "≥", "100", "%", "100", "10", "10"),
    ("产出指标|时效指标", "经费支出及时率", "≥", "100", "%", "100", "10", "10"),
    ("产出指标|成本指标", "项目单项成本", "≤", "3000000", "元", "3000000", "10", "10"),
    ("效益指标|经济效益指标", "保障机构正常运转", "定性", "较高", "", "达成年度指标", "10", "10"),
    ("效益指标|社会效益指标", "政策宣传", "定性", "较高", "", "达成年度指标", "10", "10"),
    ("满意度指标|服务对象满意度指标", "群众满意度", "≥", "100", "%", "100", "10", "10"),
]
RETURN_REASON = "请在实际完成情况中写明老字号企业的扶持家数。"


@pytest.fixture
def people(org):
    FiscalYearFactory(finance_bureau=org.bureau, year=2025, status=FiscalYear.Status.OPEN)
    return {
        "unit": UserFactory(username="unit", role="unit_filler", organisation=org.unit, full_name="技师学院填报人"),
        "dept": UserFactory(
            username="dept", role="department_reviewer", organisation=org.department, full_name="人社局审核人"
        ),
    }


def _log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _log_out(page):
    page.click("header form button[type=submit]")


def _fill_row(page, index, row):
    category, name, sign, target, unit, actual, weight, score = row
    prefix = f"indicators-{index}"
    page.select_option(f"select[name={prefix}-category]", category)
    page.fill(f"input[name={prefix}-name]", name)
    page.select_option(f"select[name={prefix}-sign]", sign)
    page.fill(f"input[name={prefix}-target_text]", target)
    page.fill(f"input[name={prefix}-unit]", unit)
    if sign == "定性":
        page.fill(f"input[name={prefix}-actual_text]", "达成预期指标")
        page.select_option(f"select[name={prefix}-actual_label]", actual)
    else:
        page.fill(f"input[name={prefix}-actual_text]", actual)
    page.fill(f"input[name={prefix}-weight]", weight)
    page.fill(f"input[name={prefix}-claimed_score]", score)


def test_laozihao_is_filled_refused_fixed_returned_and_approved(live_server, page, screenshot, people):
    base = live_server.url

    # The unit starts 老字号 from an empty form and types the published table in.
    _log_in(page, base, "unit")
    page.goto(f"{base}/projects/new/")
    page.fill("#id_name", "老字号")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("项目支出绩效自评表")
    page.fill("input[name=budget-0-initial_wan]", "579.83")
    page.fill("input[name=budget-0-adjusted_wan]", "579.83")
    page.fill("input[name=budget-0-executed_wan]", "579.83")
    page.fill("#id_project-goal_expected", "2024年老字号资金579.83万元")
    page.fill("#id_project-goal_actual", "达成预期指标")
    for index, row in enumerate(LAOZIHAO_ROWS):
        if index > 0:
            page.click("#add-row")
        _fill_row(page, index, row)
    # The scores come back from the server as the unit types: budget 10.00, the 成本 row computed at 10.00.
    expect(page.locator('[data-budget="score"]')).to_have_text("10.00")
    expect(page.locator('[data-budget="rate"]')).to_have_text("100.00%")
    expect(page.locator("tr[data-prefix=indicators-3] [data-computed]")).to_have_text("10.00")
    expect(page.locator("[data-total-score]")).to_have_text("90.00")
    screenshot("1-unit-filled-form")

    # As published, 效益 carries 20 of its 30 points: submitting is refused, next to the totals, in Chinese.
    page.click("button[value=submit]")
    expect(page.locator("#problems")).to_contain_text("效益指标的三级指标分值合计 20.00 分，应为 30.00 分")
    screenshot("2-unit-submit-refused")

    # The unit gives 政策宣传 its missing 10 points and submits again.
    page.fill("input[name=indicators-5-weight]", "20")
    page.fill("input[name=indicators-5-claimed_score]", "20")
    expect(page.locator("[data-total-score]")).to_have_text("100.00")
    page.click("button[value=submit]")
    expect(page.locator(".messages")).to_contain_text("已提交主管部门审核")
    screenshot("3-unit-submitted")
    _log_out(page)

    # The department reviewer finds it in the queue and returns it with a reason.
    _log_in(page, base, "dept")
    page.goto(f"{base}/review/")
    screenshot("4-dept-queue")
    page.click("text=老字号")
    expect(page.locator("h2.table-title")).to_contain_text("项目支出绩效自评表")
    screenshot("5-dept-reads-the-table")
    page.fill("#return-reason", RETURN_REASON)
    page.click("button.danger")
    expect(page.locator(".messages")).to_contain_text("已将“老字号”退回单位修改")
    _log_out(page)

    # The unit sees the reason on its home page and on the form, fixes the text and resubmits.
    _log_in(page, base, "unit")
    expect(page.locator("section.waiting").first).to_contain_text(RETURN_REASON)
    screenshot("6-unit-home-with-reason")
    page.click("section.waiting >> text=老字号")
    page.click("text=填报 / 修改")
    expect(page.locator(".callout.warning")).to_contain_text(RETURN_REASON)
    page.fill("#id_project-goal_actual", "达成预期指标，扶持老字号企业12家。")
    page.click("button[value=submit]")
    expect(page.locator(".messages")).to_contain_text("已提交主管部门审核")
    _log_out(page)

    # The department approves.
    _log_in(page, base, "dept")
    page.goto(f"{base}/review/")
    page.click("text=老字号")
    page.fill("#approve-comment", "同意。")
    page.click("text=审核通过")
    expect(page.locator(".messages")).to_contain_text("已审核通过“老字号”")
    project = Project.objects.get(name="老字号")
    page.goto(f"{base}/projects/{project.pk}/")
    screenshot("7-dept-approved-with-history")

    evaluation = ProjectEvaluation.objects.get(project=project)
    steps = [(t.from_status, t.to_status, t.actor.username) for t in evaluation.transitions.order_by("pk")]
    assert (evaluation.status, evaluation.computed_total, evaluation.computed_grade, steps) == (
        "approved",
        pytest.approx(100),
        "优",
        [
            ("draft", "submitted", "unit"),
            ("submitted", "returned", "dept"),
            ("returned", "submitted", "unit"),
            ("submitted", "approved", "dept"),
        ],
    )
    assert re.search(r"已审核", page.locator(".page-head").inner_text())
