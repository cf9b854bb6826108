"""In the browser: a unit changes a value and deletes an indicator; its trail shows who did what, and the
finance reviewer sees the same changes in the export."""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from budgets.models import FiscalYear
from evaluations.tests.factories import (
    FiscalYearFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    UserFactory,
    make_submittable,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_units_changes_show_in_the_trail_and_in_the_auditors_export(live_server, page, screenshot, org, log_in):
    year = FiscalYearFactory(finance_bureau=org.bureau, year=2025, status=FiscalYear.Status.OPEN)
    UserFactory(username="unit", full_name="王填报", role="unit_filler", organisation=org.unit)
    UserFactory(username="finance", full_name="李审核", role="finance_reviewer", organisation=org.bureau)
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="职业技能培训")
    ProjectEvaluationFactory(project=project)
    make_submittable(project)
    base = live_server.url

    log_in("unit")
    page.goto(f"{base}/projects/{project.pk}/edit/")
    row = page.locator("tr[data-prefix]", has=page.locator("input[value=培训人数]"))
    row.locator("input[name$=actual_text]").fill("120")
    page.locator("tr[data-prefix]", has=page.locator("input[value=就业质量提升]")).locator(
        "input[name$=DELETE]"
    ).check()
    page.click("button:has-text('保存草稿')")
    expect(page.locator("body")).to_contain_text("已保存")
    page.goto(f"{base}/projects/{project.pk}/")
    page.click("text=变更记录")

    trail = page.locator("table.audit-trail")
    newest = trail.locator("tbody.audit-entry").first
    expect(newest).to_contain_text("王填报（unit）")
    changed = trail.locator("tbody.audit-entry", has_text="绩效指标：培训人数").filter(has_text="修改").first
    expect(changed.locator("td.new").first).to_have_text("120")
    expect(changed).to_contain_text("王填报（unit）")
    expect(trail).to_contain_text("绩效指标：就业质量提升")
    expect(trail).to_contain_text("该记录已删除")
    screenshot("1-trail")

    page.click("form[action$='logout/'] button")
    log_in("finance")
    page.goto(f"{base}/audit/export/")
    page.select_option("#id_year", "2025")
    with page.expect_download() as download:
        page.click("main button[type=submit]")
    sheet = load_workbook(BytesIO(Path(download.value.path()).read_bytes()))["变更记录"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert ["王填报（unit）", "修改", "绩效指标", "培训人数", org.unit.name, "职业技能培训", "实际完成值"] in [
        r[1:8] for r in rows
    ]
    assert any(r[2] == "删除" and r[4] == "就业质量提升" for r in rows)
    screenshot("2-export-form")
