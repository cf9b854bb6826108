"""Summary sheets of other localities (issue 16): 主管部门 on a line above a two-row header whose merged
预算执行情况 holds the amounts, then 执行率, 自评得分, 自评等级; a 合计 row and signature lines under the table."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook

from accounts.models import Organisation
from budgets.models import Project
from evaluations.models import DepartmentEvaluation, ProjectEvaluation
from imports import service
from imports.models import ImportRecord
from imports.readers.summary_sheet import is_summary_workbook, read_summary_sheet
from imports.records import CREATED, ERROR, UNCHANGED, UPDATED, WARNING
from imports.tests.workbooks import SheetWriter, reload

TITLE = "2022年度项目支出绩效自评结果汇总表"
SUB_HEADERS = ("年初预算数", "全年预算数", "全年执行数")
ROWS = (
    (1, "校舍维修", "某县第一中学", 100, 120, 114, "95.00%", 92.5, "优"),
    (2, "学生资助", "某县教育局", "50.5", "50.5", "40.4", 0.8, "85", "良"),
)


def _county_sheet(
    *,
    department_line="主管部门（盖章）：某县教育局",
    unit_header="实施单位",
    sub_headers=SUB_HEADERS,
    rows=ROWS,
    merged=True,
    money_line="单位：万元",
    rate_header="执行率",
    footer=True,
):
    """The county's sheet: title, 主管部门 line, 金额单位 line, two header rows, data, 合计, signatures."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = "汇总表"
    sheet = SheetWriter(ws)
    columns = ["序号", "项目名称", *([unit_header] if unit_header else [])]
    width = len(columns) + 3 + 4
    sheet.put(1, TITLE, span=width).next()
    if department_line:
        sheet.put(1, department_line, span=4)
    if money_line:
        sheet.put(width - 1, money_line, span=2)
    sheet.next()
    for column, label in enumerate(columns, 1):
        sheet.put(column, label, rowspan=2 if merged else 1)
    first = len(columns) + 1
    sheet.put(first, "预算执行情况", span=3 if merged else 1)
    for offset, label in enumerate(sub_headers):
        sheet.put(first + offset, label, row=sheet.row + 1)
    for offset, label in enumerate((rate_header, "自评得分", "自评等级", "备注"), first + 3):
        sheet.put(offset, label, rowspan=2 if merged else 1)
    sheet.next(2)
    for number, name, unit, *rest in rows:
        sheet.line(number, name, *([unit] if unit_header else []), *rest)
    if footer:
        sheet.line("合计", None, *([None] if unit_header else []), 150.5, 170.5, 154.4, "90.56%")
        sheet.put(1, "填报人：张三        联系电话：0000-1234567        日期：2023年3月1日", span=width).next()
    return reload(workbook)


def _rows(result):
    return [
        (
            r.number,
            r.department,
            r.unit,
            r.project_name,
            r.initial_wan,
            r.adjusted_wan,
            r.executed_wan,
            r.execution_rate,
            r.self_score,
            r.self_grade,
        )
        for r in result.summary_rows
    ]


COUNTY_ROWS = [
    (
        1,
        "某县教育局",
        "某县第一中学",
        "校舍维修",
        Decimal(100),
        Decimal(120),
        Decimal(114),
        Decimal("0.95"),
        Decimal("92.5"),
        "优",
    ),
    (
        2,
        "某县教育局",
        "某县教育局",
        "学生资助",
        Decimal("50.5"),
        Decimal("50.5"),
        Decimal("40.4"),
        Decimal("0.8"),
        Decimal(85),
        "良",
    ),
]


def test_a_county_summary_sheet_is_detected_as_a_summary_sheet():
    workbook = _county_sheet()

    assert (is_summary_workbook(workbook), service.detect(workbook)) == (True, ImportRecord.Kind.SUMMARY)


def test_the_department_above_the_header_applies_to_every_row_and_the_total_and_signatures_are_not_rows():
    result = read_summary_sheet(_county_sheet())

    assert (result.year, result.problems, _rows(result)) == (2022, [], COUNTY_ROWS)


@pytest.mark.parametrize(
    ("sub_headers", "merged"),
    [
        (("年初", "全年", "执行"), True),
        (("年初预算", "调整后预算", "实际支出"), True),
        (("年初预算数（万元）", "全年预算数（A）", "全年执行数（B）"), False),
    ],
)
def test_the_amount_columns_are_found_under_each_of_their_wordings(sub_headers, merged):
    result = read_summary_sheet(_county_sheet(sub_headers=sub_headers, merged=merged))

    assert (result.problems, _rows(result)) == ([], COUNTY_ROWS)


@pytest.mark.parametrize(
    "line",
    ["主管部门：某县教育局", "单位名称：某县教育局", "主管部门（盖章）:某县教育局      单位：万元"],
)
def test_the_department_line_is_read_in_each_of_its_wordings(line):
    result = read_summary_sheet(_county_sheet(department_line=line))

    assert [(r.department, r.unit) for r in result.summary_rows] == [
        ("某县教育局", "某县第一中学"),
        ("某县教育局", "某县教育局"),
    ]


def test_the_department_may_stand_in_the_cell_after_its_label():
    workbook = _county_sheet(department_line="主管部门（盖章）：")
    workbook.active["E2"] = "某县教育局"

    result = read_summary_sheet(reload(workbook))

    assert [r.department for r in result.summary_rows] == ["某县教育局", "某县教育局"]


def test_without_a_unit_column_every_project_belongs_to_the_department_itself():
    rows = tuple((number, name, None, *rest) for number, name, _, *rest in ROWS)

    result = read_summary_sheet(_county_sheet(unit_header=None, rows=rows))

    assert [(r.department, r.unit, r.project_name) for r in result.summary_rows] == [
        ("某县教育局", "某县教育局", "校舍维修"),
        ("某县教育局", "某县教育局", "学生资助"),
    ]


def test_a_rate_under_a_percent_header_is_a_percentage_even_without_the_sign():
    rows = (
        (1, "校舍维修", "某县第一中学", 100, 120, 114, 95, 92.5, "优"),
        (2, "学生资助", "某县教育局", 50.5, 50.5, 40.4, "80.00", 85, "良"),
    )

    result = read_summary_sheet(_county_sheet(rows=rows, rate_header="执行率（%）"))

    assert (result.problems, [r.execution_rate for r in result.summary_rows]) == (
        [],
        [Decimal("0.95"), Decimal("0.8")],
    )


def test_amounts_in_yuan_are_converted_to_wan_with_a_warning():
    rows = ((1, "校舍维修", "某县第一中学", 1000000, 1200000, 1140000, "95.00%", 92.5, "优"),)

    result = read_summary_sheet(_county_sheet(rows=rows, money_line="金额单位：元", footer=False))

    assert [(p.severity, p.message) for p in result.problems] == [(WARNING, "金额单位为元：已换算为万元导入。")]
    row = result.summary_rows[0]
    assert (row.initial_wan, row.adjusted_wan, row.executed_wan) == (Decimal(100), Decimal(120), Decimal(114))


def test_a_sheet_that_names_no_department_is_refused_saying_where_to_write_it():
    result = read_summary_sheet(_county_sheet(department_line=None))

    assert [(p.severity, p.sheet, p.row, p.message) for p in result.problems] == [
        (
            ERROR,
            "汇总表",
            3,
            "没有写明主管部门：表头（第 3 行）没有“主管部门”列，表头上方也没有“主管部门：……”一行。"
            "请在表头上方加一行“主管部门：（主管部门全称）”，或在表中加一列“主管部门”，然后重新导入。",
        )
    ]


def test_a_negative_amount_is_refused():
    rows = ((1, "校舍维修", "某县第一中学", -5, 120, 114, "95.00%", 92.5, "优"),)

    result = read_summary_sheet(_county_sheet(rows=rows, footer=False))

    assert [(p.severity, p.column, p.message) for p in result.problems] == [
        (ERROR, "D", "年初预算数“-5”是负数：金额不能为负，请改正后重新导入。")
    ]


def _bureau():
    return Organisation.objects.create(name="某县财政局", kind=Organisation.Kind.FINANCE_BUREAU)


def _bytes(workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_county_summary_sheet_is_stored_and_importing_it_again_changes_nothing():
    bureau = _bureau()
    content = _bytes(_county_sheet())

    outcome = service.run(content, bureau=bureau, commit=True)
    again = service.run(content, bureau=bureau, commit=True)

    stored = [
        (
            e.project.unit.name,
            e.project.unit.parent.name,
            e.project.name,
            e.project.sort_order,
            e.stated_initial_wan,
            e.stated_adjusted_wan,
            e.stated_executed_wan,
            e.stated_execution_rate,
            e.claimed_total,
            e.claimed_grade,
        )
        for e in ProjectEvaluation.objects.select_related("project__unit__parent").order_by("project__sort_order")
    ]
    assert (outcome.kind, outcome.year, outcome.errors, outcome.committed) == ("summary", 2022, [], True)
    assert [(c.action, c.label) for c in outcome.changes if c.kind == "汇总表行"] == [
        (CREATED, "某县第一中学 / 校舍维修"),
        (CREATED, "某县教育局 / 学生资助"),
    ]
    assert stored == [
        ("某县第一中学", "某县教育局", "校舍维修", 1, 100, 120, 114, Decimal("0.95"), Decimal("92.5"), "优"),
        (
            "某县教育局",
            "某县财政局",
            "学生资助",
            2,
            Decimal("50.5"),
            Decimal("50.5"),
            Decimal("40.4"),
            Decimal("0.8"),
            85,
            "良",
        ),
    ]
    assert (again.errors, again.count(UNCHANGED), again.count(CREATED) + again.count(UPDATED)) == ([], 2, 0)


@pytest.mark.django_db
def test_a_changed_amount_is_an_update_naming_its_column():
    bureau = _bureau()
    service.run(_bytes(_county_sheet()), bureau=bureau, commit=True)
    rows = ((1, "校舍维修", "某县第一中学", 100, 120, 118, "98.33%", 92.5, "优"), ROWS[1])

    outcome = service.run(_bytes(_county_sheet(rows=rows)), bureau=bureau, commit=True)

    assert [(c.action, c.label, c.fields) for c in outcome.changes if c.action == UPDATED] == [
        (UPDATED, "某县第一中学 / 校舍维修", ("全年执行数", "执行率"))
    ]
    evaluation = ProjectEvaluation.objects.get(project__name="校舍维修")
    assert (evaluation.stated_executed_wan, evaluation.stated_execution_rate) == (118, Decimal("0.9833"))


@pytest.mark.django_db
def test_the_department_wide_row_stores_its_amounts_and_score_on_the_department_evaluation():
    rows = (
        (1, "部门整体支出绩效自评", None, 3000, 3200, 3104, "97.00%", 95, "优"),
        ROWS[1],
    )

    outcome = service.run(_bytes(_county_sheet(rows=rows, footer=False)), bureau=_bureau(), commit=True)

    evaluation = DepartmentEvaluation.objects.get()
    assert (outcome.errors, evaluation.department.name) == ([], "某县教育局")
    assert (
        evaluation.initial_wan,
        evaluation.adjusted_wan,
        evaluation.executed_wan,
        evaluation.claimed_total,
        evaluation.claimed_grade,
        evaluation.sort_order,
    ) == (3000, 3200, 3104, 95, "优", 1)
    assert Project.objects.count() == 1


def _plain(*lines):
    workbook = Workbook()
    for line in lines:
        workbook.active.append(list(line))
    return reload(workbook)


def test_a_bare_list_of_projects_under_a_summary_title_and_department_line_is_a_summary_sheet():
    workbook = _plain(
        ["2022年度项目支出绩效自评结果汇总表"],
        ["主管部门：某县教育局"],
        ["序号", "项目名称", "自评等级"],
        [1, "校舍维修", "优秀"],
    )

    result = read_summary_sheet(workbook)

    assert (is_summary_workbook(workbook), [(r.department, r.unit, r.self_grade) for r in result.summary_rows]) == (
        True,
        [("某县教育局", "某县教育局", "优")],
    )


def test_a_statement_listing_its_projects_is_not_a_summary_sheet():
    workbook = _plain(["关于2024年度预算绩效情况说明"], ["序号", "项目名称", "自评结果"], [1, "某项目", "优"])

    assert is_summary_workbook(workbook) is False
