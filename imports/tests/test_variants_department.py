"""部门整体支出绩效自评表 published by other localities and in older years (issue 16): their title wordings give
the year, and a table with an indicator system of its own imports as it states it and exports back the same."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook

from budgets.models import FiscalYear, RuleProfile
from evaluations.models import DepartmentEvaluation, DepartmentScoreItem
from evaluations.reports.department_table import build_department_table, department_table_xlsx
from imports import service
from imports.readers.department_table import is_department_workbook, read_department_tables
from imports.records import CREATED, ERROR, UNCHANGED, UPDATED, WARNING
from imports.tests.workbooks import SheetWriter, load, reload

pytestmark = pytest.mark.django_db

DEPARTMENT = "东莞市人力资源和社会保障局"
KIND = "部门整体自评"


def _save(workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _table_2017(ws, *, title: str = "2017年部门整体支出绩效评价得分表", scores=None, names=None):
    """A table of another system: no 分值 column, the points written in the labels ("投入（20分）", "相关性(5分)",
    "在职人员控制率 5分"), 一级 and 二级 merged down; one item (自评公开) is also an item of the Sichuan system."""
    scores = scores or {}
    names = names or {}
    w = SheetWriter(ws)
    w.put(1, title, span=5).next()
    w.line("主管部门", DEPARTMENT)
    w.line("部门预算资金（万元）", "年初预算数", "全年预算数", "全年执行数")
    w.line(None, 1000, 980, 950)
    w.line("一级指标", "二级指标", "三级指标", "自评得分", "备注")
    first = w.row
    w.put(1, "投入（20分）", rowspan=3).put(2, "目标设置（5分）")
    w.line(None, None, names.get("相关性", "相关性(5分)"), scores.get("相关性", 5))
    w.put(2, "预算配置（15分）", rowspan=2)
    w.line(None, None, "预算编制科学性（10分）", "9.5", "部分项目预算编制不够细化。")
    w.line(None, None, "在职人员控制率 5分", 5)
    assert w.row == first + 3
    w.put(1, "过程（30分）", rowspan=2)
    w.line(None, "信息公开（2分）", "自评公开(2分)", 2)
    w.line(None, "预算执行（28分）", "预算执行率（２８分）", "27.3")
    w.line("合计", None, None, "48.8")
    w.line("评价结论：目标基本实现。")


def _workbook(**options) -> bytes:
    workbook = Workbook()
    workbook.active.title = "得分表"
    _table_2017(workbook.active, **options)
    return _save(workbook)


def _sichuan_2017(org) -> FiscalYear:
    return FiscalYear.objects.create(
        finance_bureau=org.bureau, year=2017, profile=RuleProfile.objects.get(code="sichuan"), status="open"
    )


def _stored_lines(evaluation: DepartmentEvaluation) -> list[tuple]:
    """The lines of the table as stored, in its order: (profile indicator or None, labels, points, score, note)."""
    lines = DepartmentScoreItem.objects.filter(evaluation=evaluation, order__isnull=False).order_by("order")
    return [
        (
            line.indicator.name if line.indicator else None,
            line.level1,
            line.level1_points,
            line.level2,
            line.level2_points,
            line.name,
            line.points,
            line.claimed_score,
            line.note,
        )
        for line in lines.select_related("indicator")
    ]


OWN_WARNING = (
    f"“{DEPARTMENT}”的部门整体支出绩效自评表：该表的指标体系与本年度方案不同，按表中所列指标导入（5 项）；"
    "其中“相关性”、“预算编制科学性”、“在职人员控制率”、“预算执行率”4 项不在 2017 年度规则方案“{profile}”中，"
    "作为该表自有的指标保存，分值和得分按表中所列。"
)


# ---- titles and years --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("2017年部门整体支出绩效评价得分表", 2017),
        ("2017 年度部门整体绩效评价表", 2017),
        ("２０１８年部门整体支出绩效自评表", 2018),
        ("部门整体支出绩效评价得分表（2016年度）", 2016),
        ("部门整体绩效评价表（2019）", 2019),
    ],
)
def test_every_common_title_wording_is_a_department_table_and_gives_its_year(title, year):
    workbook = Workbook()
    _table_2017(workbook.active, title=title)

    result = read_department_tables(reload(workbook))

    assert ([record.year for record in result.departments], result.year) == ([year], year)
    assert is_department_workbook(reload(workbook)) is True


@pytest.mark.parametrize("title", ["部门整体支出绩效评价得分表", "部门整体支出绩效自评表", "部门整体绩效评价表"])
def test_a_title_without_a_year_takes_the_year_written_on_the_row_below(title):
    workbook = Workbook()
    _table_2017(workbook.active, title=title)
    workbook.active.insert_rows(2)
    workbook.active["A2"] = "（２０１７年度）"

    result = read_department_tables(reload(workbook))

    assert [(record.year, record.row, record.department) for record in result.departments] == [(2017, 1, DEPARTMENT)]


def test_a_workbook_titled_2017_imports_into_2017_without_being_told_the_year(org):
    outcome = service.run(_workbook(), bureau=org.bureau, commit=True)

    assert ([p.message for p in outcome.problems if p.severity == ERROR], outcome.year) == ([], 2017)
    assert DepartmentEvaluation.objects.get().fiscal_year.year == 2017


# ---- points written in the labels ----------------------------------------------------------------------------


def test_points_written_in_the_labels_are_the_items_and_levels_points():
    workbook = Workbook()
    _table_2017(workbook.active)

    (record,) = read_department_tables(reload(workbook)).departments

    assert [(i.level1, i.level1_points, i.level2, i.level2_points, i.name, i.points) for i in record.items] == [
        ("投入", 20, "目标设置", 5, "相关性", 5),
        ("投入", 20, "预算配置", 15, "预算编制科学性", 10),
        ("投入", 20, "预算配置", 15, "在职人员控制率", 5),
        ("过程", 30, "信息公开", 2, "自评公开", 2),
        ("过程", 30, "预算执行", 28, "预算执行率", 28),
    ]


def test_a_points_column_that_disagrees_with_the_label_is_kept_and_reported():
    workbook = Workbook()
    w = SheetWriter(workbook.active)
    w.line("部门整体支出绩效自评表（2017年度）")
    w.line("主管部门", DEPARTMENT)
    w.line("一级指标", "二级指标", "分值", "自评得分")
    w.line("决策（20分）", "目标设置(5分)", 6, 5)
    w.line(None, "预算编制（15分）", None, 15)
    w.line("合计", None, 21, 20)

    result = read_department_tables(reload(workbook))

    (record,) = result.departments
    assert [(i.level2, i.name, i.points, i.claimed_score) for i in record.items] == [
        ("目标设置", "目标设置", Decimal(6), Decimal(5)),
        ("预算编制", "预算编制", Decimal(15), Decimal(15)),
    ]
    assert [(p.severity, p.message, p.row, p.column) for p in result.problems] == [
        (WARNING, "指标“目标设置”的名称中写的分值 5 与分值列的 6 不同：按分值列导入。", 4, "C")
    ]


# ---- a system of its own ---------------------------------------------------------------------------------------


def test_a_table_with_its_own_system_imports_as_it_states_it(org):
    year = _sichuan_2017(org)

    outcome = service.run(_workbook(), bureau=org.bureau, year=2017, commit=True)

    evaluation = DepartmentEvaluation.objects.get(department=org.department)
    assert [(c.action, c.kind) for c in outcome.changes] == [(CREATED, KIND)]
    assert [(p.severity, p.message) for p in outcome.problems] == [(WARNING, OWN_WARNING.format(profile=year.profile))]
    note = "部分项目预算编制不够细化。"
    assert _stored_lines(evaluation) == [
        (None, "投入", 20, "目标设置", 5, "相关性", 5, 5, ""),
        (None, "投入", 20, "预算配置", 15, "预算编制科学性", 10, Decimal("9.5"), note),
        (None, "投入", 20, "预算配置", 15, "在职人员控制率", 5, 5, ""),
        ("自评公开", "过程", 30, "信息公开", 2, "自评公开", 2, 2, ""),
        (None, "过程", 30, "预算执行", 28, "预算执行率", 28, Decimal("27.3"), ""),
    ]
    assert (evaluation.claimed_total, evaluation.executed_wan) == (Decimal("48.8"), Decimal(950))


def test_a_table_with_its_own_system_exports_back_as_stated(org):
    _sichuan_2017(org)
    service.run(_workbook(), bureau=org.bureau, year=2017, commit=True)
    evaluation = DepartmentEvaluation.objects.get(department=org.department)

    table = build_department_table(evaluation)
    exported = read_department_tables(load(department_table_xlsx(evaluation)))

    rows = [(r.level1, r.level1_rowspan, r.level2, r.level2_rowspan, r.name, r.points, r.score) for r in table.rows]
    assert rows == [
        ("投入（20分）", 3, "目标设置（5分）", 1, "相关性", 5, 5),
        ("投入（20分）", 0, "预算配置（15分）", 2, "预算编制科学性", 10, Decimal("9.5")),
        ("投入（20分）", 0, "预算配置（15分）", 0, "在职人员控制率", 5, 5),
        ("过程（30分）", 2, "信息公开（2分）", 1, "自评公开", 2, 2),
        ("过程（30分）", 0, "预算执行（28分）", 1, "预算执行率", 28, Decimal("27.3")),
    ]
    assert (table.total_points, table.total_score, table.total_note) == (Decimal(50), Decimal("48.8"), "")
    (record,) = exported.departments
    assert [(i.level1, i.level2, i.name, i.points, i.claimed_score) for i in record.items] == [
        ("投入", "目标设置", "相关性", 5, 5),
        ("投入", "预算配置", "预算编制科学性", 10, Decimal("9.5")),
        ("投入", "预算配置", "在职人员控制率", 5, 5),
        ("过程", "信息公开", "自评公开", 2, 2),
        ("过程", "预算执行", "预算执行率", 28, Decimal("27.3")),
    ]


def test_the_file_and_its_export_import_again_unchanged(org):
    _sichuan_2017(org)
    service.run(_workbook(), bureau=org.bureau, year=2017, commit=True)
    evaluation = DepartmentEvaluation.objects.get(department=org.department)
    stored = _stored_lines(evaluation)

    again = service.run(_workbook(), bureau=org.bureau, year=2017, commit=True)
    exported = service.run(department_table_xlsx(evaluation), bureau=org.bureau, commit=True)

    assert [(c.action, c.fields) for c in again.changes] == [(UNCHANGED, ())]
    assert [(c.action, c.fields) for c in exported.changes] == [(UNCHANGED, ())]
    assert _stored_lines(evaluation) == stored


def test_a_changed_score_and_a_renamed_item_of_its_own_system_update_the_evaluation(org):
    _sichuan_2017(org)
    service.run(_workbook(), bureau=org.bureau, year=2017, commit=True)
    evaluation = DepartmentEvaluation.objects.get(department=org.department)
    changed = _workbook(scores={"相关性": 4}, names={"相关性": "目标合理性（5分）"})
    rescored = _workbook(scores={"相关性": 4})

    renamed = service.run(changed, bureau=org.bureau, year=2017, commit=True)
    restored = service.run(rescored, bureau=org.bureau, year=2017, commit=True)

    assert [(c.action, c.fields) for c in renamed.changes] == [(UPDATED, ("表中指标（目标合理性、相关性）",))]
    assert [(c.action, c.fields) for c in restored.changes] == [(UPDATED, ("表中指标（相关性、目标合理性）",))]
    assert _stored_lines(evaluation)[0] == (None, "投入", 20, "目标设置", 5, "相关性", 5, 4, "")
    rescored_again = service.run(_workbook(), bureau=org.bureau, year=2017, commit=True)
    assert [(c.action, c.fields) for c in rescored_again.changes] == [(UPDATED, ("自评得分（相关性）",))]


def test_a_table_of_an_older_system_imports_into_a_new_year(org):
    outcome = service.run(_workbook(title="部门整体支出绩效评价得分表（2017年度）"), bureau=org.bureau, commit=True)

    evaluation = DepartmentEvaluation.objects.get(department=org.department)
    assert [(c.action, c.kind) for c in outcome.changes] == [(CREATED, "年度"), (CREATED, KIND)]
    # The profile whose department system names the most of its items (自评公开: Sichuan's) becomes the year's.
    assert evaluation.fiscal_year.profile.code == "sichuan"
    assert [line[0] for line in _stored_lines(evaluation)] == [None, None, None, "自评公开", None]
    assert [row.name for row in build_department_table(evaluation).rows] == [
        "相关性",
        "预算编制科学性",
        "在职人员控制率",
        "自评公开",
        "预算执行率",
    ]


# ---- bad input ---------------------------------------------------------------------------------------------------


def test_an_unreadable_score_in_a_table_of_its_own_system_is_an_error_and_writes_nothing(org):
    _sichuan_2017(org)

    outcome = service.run(_workbook(scores={"相关性": "五分"}), bureau=org.bureau, year=2017, commit=True)

    assert [(p.severity, p.message, p.row, p.column) for p in outcome.problems] == [
        (ERROR, "指标“相关性”的自评得分“五分”不是数字，无法导入。", 6, "D")
    ]
    assert (outcome.committed, DepartmentEvaluation.objects.count(), DepartmentScoreItem.objects.count()) == (
        False,
        0,
        0,
    )


def test_an_own_item_name_too_long_to_keep_is_an_error_and_writes_nothing(org):
    _sichuan_2017(org)
    long_name = "很长的指标名称" * 30

    outcome = service.run(_workbook(names={"相关性": long_name}), bureau=org.bureau, year=2017, commit=True)

    assert [(p.severity, p.message, p.row, p.column) for p in outcome.problems if p.severity == ERROR] == [
        (ERROR, f"指标名称“{long_name}”超过 200 个字，无法保存。", 6, "C")
    ]
    assert (outcome.committed, DepartmentEvaluation.objects.count(), DepartmentScoreItem.objects.count()) == (
        False,
        0,
        0,
    )


def test_an_unknown_item_in_a_table_of_the_years_own_categories_still_refuses_it(org):
    _sichuan_2017(org)
    workbook = Workbook()
    w = SheetWriter(workbook.active)
    w.line("部门整体支出绩效自评表（2017年度）")
    w.line("主管部门", DEPARTMENT)
    w.line("一级指标", "二级指标", "三级指标", "分值", "自评得分")
    w.line("部门预算管理", "预算编制", "目标制定", 10, 10)
    w.line("部门预算管理", "预算编制", "目标管理", 10, 9)
    w.line("合计", None, None, 20, 19)

    outcome = service.run(_save(workbook), bureau=org.bureau, commit=True)

    assert [(p.severity, p.row, p.column) for p in outcome.problems] == [(ERROR, 5, "C")]
    assert outcome.problems[0].message.startswith("指标“目标管理”不在 2017 年度规则方案")
    assert (outcome.committed, DepartmentEvaluation.objects.count()) == (False, 0)
