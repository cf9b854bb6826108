"""The import flow in a real browser: upload → preview with its problems → confirm → committed, nothing twice."""

from io import BytesIO

import pytest
from openpyxl import Workbook

from budgets.models import Project
from evaluations.models import FinanceReview
from evaluations.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HEADERS = ["序号", "主管部门", "预算单位", "项目名称", "自评结果", "财政抽查审核结果", "财政抽查审核意见"]


def _summary_file(tmp_path, *rows, name="2024汇总表.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总表"
    ws.append(["2024年度市级财政支出绩效自评结果汇总表"])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def _log_in(page, live_server, org):
    UserFactory(username="admin", role="admin", organisation=org.bureau, full_name="系统管理员")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_an_admin_uploads_previews_and_confirms_a_summary_sheet(live_server, page, org, tmp_path, screenshot):
    path = _summary_file(
        tmp_path,
        [
            1,
            "东莞市人力资源和社会保障局",
            "东莞市技师学院",
            "实训基地建设",
            "优",
            "良",
            "一、资金到位\n二、建议细化指标",
        ],
        [2, "东莞市人力资源和社会保障局", "东莞市新设中心", "就业见习补贴", "良好", "", ""],
    )
    _log_in(page, live_server, org)

    page.click("text=数据导入")
    page.set_input_files("#id_file", str(path))
    page.click("main button[type=submit]")
    page.wait_for_selector("text=预览（尚未写入）")
    screenshot("preview")
    preview = page.locator("main").inner_text()
    nothing_yet = Project.objects.filter(name="实训基地建设").exists()

    page.click("text=确认导入")
    page.wait_for_selector("text=导入结果")
    screenshot("committed")

    assert (
        "预算单位：东莞市新设中心（东莞市人力资源和社会保障局）" in preview,
        "自评结果“良好”按“良”导入。" in preview,
        nothing_yet,
        page.locator(".messages").inner_text().startswith("已导入：新增"),
        FinanceReview.objects.get(evaluation__project__name="实训基地建设").opinion_html,
        page.locator("text=确认导入").count(),
    ) == (True, True, False, True, "<p>一、资金到位</p><p>二、建议细化指标</p>", 0)


def test_a_file_with_errors_shows_them_by_row_and_cannot_be_confirmed(live_server, page, org, tmp_path, screenshot):
    path = _summary_file(tmp_path, [1, "东莞市人力资源和社会保障局", "东莞市技师学院", "实训基地建设", "甲等", "", ""])
    _log_in(page, live_server, org)

    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(path))
    page.click("main button[type=submit]")
    page.wait_for_selector("table.problems")
    screenshot("refused")

    assert (
        page.locator("table.problems tbody tr").inner_text().split("\t"),
        page.locator("text=确认导入").count(),
        Project.objects.filter(name="实训基地建设").exists(),
    ) == (["错误", "汇总表", "3", "E", "自评结果“甲等”不是优、良、中、差之一。"], 0, False)
