"""Tables from other localities (issue 16): the form's leftovers and printed instructions are layout, not the unit's
data. Each workbook is built here with openpyxl in the shape the testers found; each test failed before the change.
"""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook

from imports.readers.standard_table import read_standard_tables
from imports.tests.workbooks import SheetWriter, reload

FUNDS = (("年度资金总额", (90, 89.97, 89.97)), ("其中：本年财政拨款", (90, 89.97, 89.97)))


def _national(
    ws,
    *,
    grid_rows,
    conclusion=("评价结论", "项目完成良好，自评得分 95 分。"),
    extra=(),
    funds=FUNDS,
    department="某县交通运输局",
    unit="某县公路管理所",
):
    """A national-layout table (title, header, funds, the grid given, 总分, conclusion fields)."""
    w = SheetWriter(ws)
    w.put(1, "项目支出绩效自评表", span=9).next()
    w.put(1, "（2021年度）", span=9).next()
    w.put(1, "项目名称").put(2, "农村公路养护资金", span=8).next()
    w.put(1, "主管部门").put(2, department, span=3).put(5, "实施单位").put(6, unit, span=4).next()
    w.line("项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
    (total_label, total), *rows = funds
    w.line(None, total_label, *total, 10, "100%", 10)
    for label, amounts in rows:
        w.line(None, label, *amounts)
    w.put(1, "年度总体目标").put(2, "预期目标", span=4).put(6, "实际完成情况", span=4).next()
    w.put(2, "完成 120 公里养护。", span=4).put(6, "完成 126 公里养护。", span=4).next()
    w.line("绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析")
    for row in grid_rows:
        w.line(None, *row)
    w.line("总分", None, None, None, None, None, 100, 95)
    for label, text in (conclusion, *extra):
        w.put(1, label).put(2, text, span=8).next()
    return w


GRID = [
    ("产出指标", "数量指标", "养护里程", "≥120公里", "126公里", 25, 25),
    ("产出指标", "质量指标", "优良路率", "≥80%", "85%", 25, 25),
    ("效益指标", "社会效益指标", "通行条件改善", "明显改善", "达成年度指标", 20, 18),
    ("效益指标", "经济效益指标"),  # a 二级 printed with nothing under it
    ("效益指标", "生态效益指标", "指标1", "", "", "", ""),  # the form's placeholder, left as printed
    ("效益指标", "可持续影响指标", "……"),
    ("效益指标", "可持续影响指标", "养护机制", "长效", "达成年度指标", 10, 10),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "93%", 10, 10),
    ("满意度指标", "服务对象满意度指标", "指标2：/"),
]


def _read(build):
    workbook = Workbook()
    build(workbook.active)
    return read_standard_tables(reload(workbook))


# ---- finding 1: rows without a weight are not indicators ------------------------------------------------------


def test_placeholders_and_empty_categories_are_not_indicators_and_the_preview_says_so():
    result = _read(lambda ws: _national(ws, grid_rows=GRID))

    assert not result.errors, result.errors
    [record] = result.projects
    assert [i.name for i in record.indicators] == ["养护里程", "优良路率", "通行条件改善", "养护机制", "群众满意度"]
    assert sum(i.weight for i in record.indicators) == Decimal(90)
    notes = [p.message for p in result.warnings]
    assert "二级指标“经济效益指标”没有三级指标和分值，未导入。" in notes
    assert "这一行只有表样的“指标1”、没有分值，是表样留下的行，未导入。" in notes
    assert "这一行只有表样的“……”、没有分值，是表样留下的行，未导入。" in notes
    assert "这一行只有表样的“指标2：/”、没有分值，是表样留下的行，未导入。" in notes


def test_a_named_indicator_without_a_weight_is_still_imported():
    """Only a row with neither a name of its own nor a weight is layout: a real name without a weight is data
    (the quality checks report the missing weight)."""
    rows = [*GRID[:2], ("效益指标", "社会效益指标", "带动就业", "≥50人", "56人", None, None)]
    [record] = _read(lambda ws: _national(ws, grid_rows=rows)).projects
    assert [i.name for i in record.indicators][-1] == "带动就业"
    assert record.indicators[-1].weight is None


def test_a_row_without_a_name_but_with_a_score_is_layout_and_named_in_the_preview():
    rows = [*GRID[:2], ("效益指标", "生态效益指标", None, None, "达成年度指标", None, 0)]
    result = _read(lambda ws: _national(ws, grid_rows=rows))
    [record] = result.projects
    assert len(record.indicators) == 2
    assert "这一行没有指标名称、没有分值，是表样留下的行，未导入。" in [p.message for p in result.warnings]


# ---- finding 4: the form's printed instructions are not the unit's text ---------------------------------------

INSTRUCTIONS = {
    "评价结论": "结合自评情况，说明项目自评总分、等级及评价结论。",
    "存在问题": "说明项目实施中存在的主要问题",
    "改进措施": "针对存在的问题，提出改进措施",
}


def test_instruction_texts_of_the_conclusion_fields_are_read_as_empty():
    extra = [("存在问题", INSTRUCTIONS["存在问题"]), ("改进措施", INSTRUCTIONS["改进措施"])]
    [record] = _read(
        lambda ws: _national(ws, grid_rows=GRID[:3], conclusion=("评价结论", INSTRUCTIONS["评价结论"]), extra=extra)
    ).projects
    assert (record.conclusion, record.problems, record.improvements) == ("", "", "")


@pytest.mark.parametrize(
    "text",
    [
        "简要分析存在的问题及原因",
        "根据存在问题提出下一步改进措施及建议",
        "对照年度目标，说明相关任务目标的完成情况（100字以内）",
        "（限200字）",
        "简要说明项目实施情况",
    ],
)
def test_common_instruction_variants_are_read_as_empty(text):
    [record] = _read(lambda ws: _national(ws, grid_rows=GRID[:3], extra=[("存在问题", text)])).projects
    assert record.problems == ""


@pytest.mark.parametrize(
    "text",
    [
        "针对存在的问题，我单位将加强养护巡查，建立台账。",
        "分析存在的问题主要是资金到位慢",
        "存在问题：部分路段养护不及时，群众反映 3 次。",
        "结合自评情况，说明本项目自评总分 95 分，等级为优。",
    ],
)
def test_a_units_own_sentence_that_looks_like_an_instruction_is_kept(text):
    [record] = _read(lambda ws: _national(ws, grid_rows=GRID[:3], extra=[("存在问题", text)])).projects
    assert record.problems == text


# ---- finding 3: a 年度资金总额 that contradicts its fund rows is kept and reported ------------------------------


def _with_funds(total, *funds):
    """The national table of GRID with the given 年度资金总额 amounts and fund rows (label, amounts)."""
    return lambda ws: _national(ws, grid_rows=GRID[:3], funds=(("年度资金总额", total), *funds))


def test_a_total_that_contradicts_its_fund_rows_is_kept_as_published_and_reported():
    result = _read(_with_funds((0, 0, 0), ("其中：本年财政拨款", (90, 89.97, 89.97))))

    [record] = result.projects
    assert [(f.source, f.initial, f.adjusted, f.executed) for f in record.funds] == [
        ("本年财政拨款", Decimal(90), Decimal("89.97"), Decimal("89.97"))
    ]
    assert (record.stated_initial_wan, record.stated_adjusted_wan, record.stated_executed_wan) == (0, 0, 0)
    assert (
        "年度资金总额（0.00 / 0.00 / 0.00）与各资金来源合计（90.00 / 89.97 / 89.97）不一致："
        "按原表保留，计分按各资金来源合计。" in [p.message for p in result.warnings]
    )


@pytest.mark.parametrize(
    "total",
    [(90, 89.97, 89.97), (90.001, 89.9699, 89.97), (None, 89.97, None)],
    ids=["equal", "rounded", "partly blank"],
)
def test_a_total_that_agrees_with_its_fund_rows_is_not_kept(total):
    result = _read(_with_funds(total, ("其中：本年财政拨款", (90, 89.97, 89.97))))

    [record] = result.projects
    assert (record.stated_initial_wan, record.stated_adjusted_wan, record.stated_executed_wan) == (None, None, None)
    assert not [p for p in result.warnings if "年度资金总额" in p.message]


def test_a_table_that_fills_in_only_its_total_gives_the_amounts_to_the_years_own_funds():
    result = _read(_with_funds((50, 48, 45), ("其中：本年财政拨款", (None, None, None)), ("上年结转资金", (None,) * 3)))

    [record] = result.projects
    assert [(f.source, f.initial, f.adjusted, f.executed) for f in record.funds] == [
        ("本年财政拨款", Decimal(50), Decimal(48), Decimal(45)),
        ("上年结转资金", None, None, None),
    ]
    assert record.stated_adjusted_wan is None
    assert "只填写了年度资金总额、各资金来源为空：金额按“本年财政拨款”导入。" in [p.message for p in result.warnings]


def _xlsx(build) -> bytes:
    workbook = Workbook()
    build(workbook.active)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_the_stated_total_is_stored_printed_and_checked_and_a_corrected_table_clears_it():
    from accounts.models import Organisation
    from budgets.models import Project
    from evaluations.quality.engine import project_findings
    from evaluations.reports.project_table import build_project_table
    from imports import service

    bureau = Organisation.objects.create(name="某县财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    contradicting = _with_funds((0, 0, 0), ("其中：本年财政拨款", (90, 89.97, 89.97)))

    outcome = service.run(_xlsx(contradicting), bureau=bureau, commit=True)

    assert not outcome.errors, outcome.errors
    project = Project.objects.get(name="农村公路养护资金")
    evaluation = project.evaluation
    assert (evaluation.stated_initial_wan, evaluation.stated_adjusted_wan, evaluation.stated_executed_wan) == (0, 0, 0)
    table = build_project_table(project)
    total, fund = table.budget_rows[:2]
    assert (total.initial_text, total.adjusted_text, total.executed_text) == ("0.00", "0.00", "0.00")
    assert (fund.initial_text, fund.adjusted_text, fund.executed_text) == ("90.00", "89.97", "89.97")
    assert "年度资金总额 0.00 与各资金来源合计 89.97 不一致" in table.flags
    found = [(f.code, f.detail) for f in project_findings(project) if f.code == "budget_total_mismatch"]
    assert found == [
        (
            "budget_total_mismatch",
            "年度资金总额与各资金来源合计不一致：年初预算数写作 0.00 万元（合计 90.00 万元）、"
            "全年预算数写作 0.00 万元（合计 89.97 万元）、全年执行数写作 0.00 万元（合计 89.97 万元）；"
            "计分按各资金来源合计。",
        )
    ]
    assert any("年度资金总额与各资金来源合计不符" in p.message for p in outcome.warnings)

    corrected = service.run(_xlsx(_national_default), bureau=bureau, commit=True)

    evaluation.refresh_from_db()
    assert "项目资金" in corrected.changes[-1].fields
    assert (evaluation.stated_initial_wan, evaluation.stated_adjusted_wan, evaluation.stated_executed_wan) == (
        None,
        None,
        None,
    )


def _national_default(ws):
    _national(ws, grid_rows=GRID[:3])


# ---- finding 5: a blank 主管部门 where the 实施单位 is a department itself ---------------------------------------


def _without_department(unit):
    return lambda ws: _national(ws, grid_rows=GRID[:3], department=None, unit=unit)


@pytest.mark.django_db
def test_a_unit_without_a_department_is_taken_as_its_own_department_with_a_warning():
    from accounts.models import Organisation
    from budgets.models import Project
    from imports import service

    bureau = Organisation.objects.create(name="某县财政局", kind=Organisation.Kind.FINANCE_BUREAU)

    outcome = service.run(_xlsx(_without_department("某县交通运输局")), bureau=bureau, commit=True)

    assert (outcome.committed, outcome.errors) == (True, [])
    project = Project.objects.get(name="农村公路养护资金")
    assert (project.unit.name, project.unit.kind, project.unit.parent) == (
        "某县交通运输局",
        Organisation.Kind.DEPARTMENT,
        bureau,
    )
    assert (
        "项目“农村公路养护资金”没有写明主管部门：实施单位“某县交通运输局”按主管部门导入（主管部门本身也是预算单位）。"
        "如它隶属于某个主管部门，请在表中填写主管部门后重新导入。"
    ) in [p.message for p in outcome.warnings]
    assert "主管部门：某县交通运输局" in outcome.new_organisations


@pytest.mark.django_db
def test_a_unit_named_alone_is_the_bureaus_one_unit_of_that_name_or_an_error_when_there_are_several():
    from accounts.models import Organisation
    from budgets.models import Project
    from imports import service

    bureau = Organisation.objects.create(name="某县财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    transport = Organisation.objects.create(name="某县交通运输局", parent=bureau, kind=Organisation.Kind.DEPARTMENT)
    unit = Organisation.objects.create(name="某县公路管理所", parent=transport, kind=Organisation.Kind.UNIT)

    known = service.run(_xlsx(_without_department("某县公路管理所")), bureau=bureau, commit=True)
    other = Organisation.objects.create(name="某县水利局", parent=bureau, kind=Organisation.Kind.DEPARTMENT)
    Organisation.objects.create(name="某县公路管理所", parent=other, kind=Organisation.Kind.UNIT)
    ambiguous = service.run(_xlsx(_without_department("某县公路管理所")), bureau=bureau, commit=True)

    assert (known.committed, Project.objects.get(name="农村公路养护资金").unit) == (True, unit)
    assert ambiguous.committed is False
    assert [p.message for p in ambiguous.errors] == [
        "项目“农村公路养护资金”没有写明主管部门，而本财政局下有多个名为“某县公路管理所”的单位："
        "请在表中填写主管部门后重新导入。"
    ]


# ---- the preview: each table as it will be stored, and why it was read in its layout --------------------------


def test_the_preview_shows_each_table_as_it_will_be_stored_and_how_its_layout_was_chosen(client, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from imports import service

    contradicting = _with_funds((0, 0, 0), ("其中：本年财政拨款", (90, 89.97, 89.97)))
    record = service.upload(
        SimpleUploadedFile("某县自评表.xlsx", _xlsx(contradicting)),
        user=cast.admin,
        bureau=cast.admin.organisation.finance_bureau,
    )
    client.force_login(cast.admin)
    page = client.get(reverse("imports:detail", args=[record.pk])).content.decode()

    [table] = record.preview["tables"]
    assert table["label"] == "某县公路管理所 / 农村公路养护资金"
    assert table["read_as"] == "按项目支出绩效自评表（全国表样）读取：标题“项目支出绩效自评表”（第 1 行）。"
    assert table["funds"] == [["本年财政拨款", "90.00", "89.97", "89.97"]]
    assert table["stated_total"] == ["0.00", "0.00", "0.00"]
    assert table["indicators"][0] == ["产出指标", "数量指标", "养护里程", "≥", "≥120公里", "126公里", "25", "25"]
    assert (table["total"], len(table["indicators"])) == ("95", 3)
    for shown in (
        "各表将保存的内容（1 张）",
        "按项目支出绩效自评表（全国表样）读取",
        "年度资金总额（按原表）",
        "养护里程",
        "≥120公里",
    ):
        assert shown in page


def test_an_untitled_table_says_which_header_decided_its_layout():
    def untitled(ws):
        _national(ws, grid_rows=GRID[:3])
        ws.cell(row=1, column=1).value = ws.cell(row=2, column=1).value = None

    [record] = _read(untitled).projects
    assert record.read_as == "按项目支出绩效自评表（全国表样）读取：第 3 行起的表格没有标题，指标表头没有“指标性质”列。"


def test_an_unsigned_number_target_is_shown_as_read_as_positive_in_the_preview():
    from imports.apply.projects import table_preview

    rows = [("产出指标", "数量指标", "养护里程", "120", "126", 25, 25)]
    [record] = _read(lambda ws: _national(ws, grid_rows=rows)).projects
    assert table_preview(record, "x")["indicators"][0][3] == "未写（按正向计分）"
