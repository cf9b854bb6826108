"""The 部门整体支出绩效自评表 (SPEC §7) through the whole import: our exports read back and import unchanged, into
an empty city they rebuild the same tables, hand-made variants read, cut-off or foreign tables are refused."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from accounts.models import Organisation, User
from budgets.models import FiscalYear, Project, RuleProfile
from evaluations.demo import load_demo
from evaluations.department_wide.sheet import build_sheet
from evaluations.models import DepartmentEvaluation, DepartmentScoreItem, EvaluationTransition
from evaluations.reports.department_table import build_department_table, department_table_xlsx
from evaluations.reports.project_table import project_table_xlsx
from evaluations.reports.summary import build_summary, summary_xlsx
from evaluations.tests.factories import UserFactory
from evaluations.workflow.lifecycle import fiscal_year_reopen
from imports import service
from imports.models import ImportRecord
from imports.readers.department_table import read_department_tables
from imports.readers.flat import is_flat_workbook
from imports.readers.flat_template import flat_template_xlsx
from imports.readers.standard_table import read_standard_tables
from imports.readers.summary_sheet import is_summary_workbook
from imports.records import CREATED, ERROR, UNCHANGED, UPDATED
from imports.tests.workbooks import SheetWriter, copy_sheet, load, reload

pytestmark = pytest.mark.django_db

# Seeds 003 and 004 publish a department-wide table; seed 000's department has one too (its grade from the
# summary sheet, its scores left to compute).
SEED_BUREAUS = {"000": "东莞市财政局", "003": "广州市番禺区财政局", "004": "遂宁市安居区财政局"}
ANJU = "遂宁市安居区人力资源和社会保障局"
PANYU = "广州市番禺区人力资源和社会保障局"
KIND = "部门整体自评"


def _counts():
    models = (Organisation, FiscalYear, Project, DepartmentEvaluation, DepartmentScoreItem, EvaluationTransition)
    return {model.__name__: model.objects.count() for model in models}


def _evaluations(seed: str) -> list[DepartmentEvaluation]:
    evaluations = DepartmentEvaluation.objects.filter(fiscal_year__finance_bureau__name=SEED_BUREAUS[seed])
    return list(evaluations.order_by("pk"))


def _evaluation(department: str) -> DepartmentEvaluation:
    return DepartmentEvaluation.objects.select_related("fiscal_year__finance_bureau").get(department__name=department)


def _stored(evaluation: DepartmentEvaluation) -> dict:
    """Every stored value of the evaluation and its score lines."""
    evaluation = DepartmentEvaluation.objects.get(pk=evaluation.pk)
    fields = {f.name: getattr(evaluation, f.name) for f in DepartmentEvaluation._meta.concrete_fields}
    items = [
        (item.indicator.name, item.claimed_score, item.computed_score, item.note)
        for item in evaluation.score_items.select_related("indicator").order_by("indicator__order")
    ]
    return {"fields": fields, "items": items}


def _save(workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row_of(ws, text: str, column: int | None = None) -> int:
    """The row of the cell holding exactly ``text`` (in ``column``, when given)."""
    (row,) = {
        cell.row
        for row in ws.iter_rows()
        for cell in row
        if cell.value == text and (column is None or cell.column == column)
    }
    return row


def _edited(data: bytes, edit) -> bytes:
    """The workbook with ``edit(worksheet)`` applied, saved again."""
    workbook = load_workbook(BytesIO(data))
    edit(workbook.active)
    return _save(workbook)


def _cut(data: bytes, last_row: int) -> bytes:
    """The table as a file cut off after ``last_row``: values and merged ranges above it only."""
    source = load(data).active
    workbook = Workbook()
    target = workbook.active
    target.title = source.title
    for row in source.iter_rows(max_row=last_row):
        for cell in row:
            if cell.value is not None:
                target.cell(row=cell.row, column=cell.column, value=cell.value)
    for merged in source.merged_cells.ranges:
        if merged.max_row <= last_row:
            target.merge_cells(str(merged))
    return _save(workbook)


def _anju_export() -> bytes:
    """The seed-004 table, exported from a freshly loaded demo."""
    load_demo()
    return department_table_xlsx(_evaluation(ANJU))


@pytest.fixture
def demo():
    load_demo()


LOCKED_2023 = (
    "2023年度已公开，记录已锁定，不能修改；如需更正，请财政审核员说明原因后重新打开该年度。 没有导入任何数据。"
)


def _reopen(evaluation: DepartmentEvaluation) -> None:
    """The demo's 2023 year is published (locked): its finance reviewer reopens it to correct it (SPEC §13)."""
    fiscal_year_reopen(
        fiscal_year=evaluation.fiscal_year, actor=User.objects.get(username="anju-finance"), reason="更正部门整体自评"
    )


@pytest.fixture
def anju(demo):
    """The seed-004 department evaluation and its exported table."""
    evaluation = _evaluation(ANJU)
    return evaluation, department_table_xlsx(evaluation)


# ---- round trip ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEED_BUREAUS)
def test_every_exported_department_table_imports_back_unchanged(demo, seed):
    evaluations = _evaluations(seed)
    before = _counts()
    stored = [_stored(e) for e in evaluations]

    outcomes = [
        service.run(department_table_xlsx(e), bureau=e.fiscal_year.finance_bureau, commit=True) for e in evaluations
    ]

    assert evaluations
    assert [(o.kind, o.year, [(c.action, c.kind) for c in o.changes], o.problems) for o in outcomes] == [
        ("department", e.fiscal_year.year, [(UNCHANGED, KIND)], []) for e in evaluations
    ]
    assert [o.committed for o in outcomes] == [True] * len(evaluations)
    assert _counts() == before
    assert [_stored(e) for e in evaluations] == stored


@pytest.mark.parametrize("seed", SEED_BUREAUS)
def test_exported_department_tables_rebuild_the_same_tables_in_an_empty_city(demo, seed):
    evaluations = _evaluations(seed)
    bureau = Organisation.objects.create(name=f"空白{seed}财政局", kind=Organisation.Kind.FINANCE_BUREAU)

    outcomes = [service.run(department_table_xlsx(e), bureau=bureau, commit=True) for e in evaluations]

    rebuilt = [
        DepartmentEvaluation.objects.get(fiscal_year__finance_bureau=bureau, department__name=e.department.name)
        for e in evaluations
    ]
    assert [([(c.action, c.kind) for c in o.changes], o.new_organisations, o.errors) for o in outcomes] == [
        ([(CREATED, "年度"), (CREATED, KIND)], [f"主管部门：{e.department.name}"], []) for e in evaluations
    ]
    assert [r.fiscal_year.profile for r in rebuilt] == [e.fiscal_year.profile for e in evaluations]
    assert [build_department_table(r) for r in rebuilt] == [build_department_table(e) for e in evaluations]


def test_a_rebuilt_table_imports_back_unchanged_in_its_new_city(anju):
    _, data = anju
    bureau = Organisation.objects.create(name="空白财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    service.run(data, bureau=bureau, commit=True)
    rebuilt = DepartmentEvaluation.objects.get(fiscal_year__finance_bureau=bureau)
    before = _counts()

    outcome = service.run(department_table_xlsx(rebuilt), bureau=bureau, commit=True)

    assert ([(c.action, c.kind) for c in outcome.changes], outcome.problems) == ([(UNCHANGED, KIND)], [])
    assert _counts() == before


def test_a_dry_run_previews_the_creation_and_writes_nothing(anju):
    _, data = anju
    bureau = Organisation.objects.create(name="空白财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    before = _counts()

    outcome = service.run(data, bureau=bureau)

    profile = RuleProfile.objects.get(code="sichuan")
    assert (outcome.committed, [(c.action, c.kind, c.label) for c in outcome.changes]) == (
        False,
        [(CREATED, "年度", f"2023 年度（{profile}）"), (CREATED, KIND, f"{ANJU} / 部门整体支出绩效自评")],
    )
    assert outcome.new_organisations == [f"主管部门：{ANJU}"]
    assert _counts() == before


# ---- changes -----------------------------------------------------------------------------------------------------


def test_changed_values_update_the_evaluation_and_name_the_fields(anju):
    evaluation, data = anju
    version = evaluation.version

    def edit(ws):
        ws.cell(row=_row_of(ws, "评价结论", 1), column=2).value = "绩效目标基本完成。\n资金使用合规。"
        item = _row_of(ws, "应用反馈", 3)
        ws.cell(row=item, column=7).value = 4
        ws.cell(row=item, column=8).value = "按时反馈应用绩效结果报告。"
        ws.cell(row=_row_of(ws, "合计", 1), column=7).value = 90
        ws.cell(row=4, column=6).value = 970.5  # 全年执行数

    changed = _edited(data, edit)
    stored = _stored(evaluation)

    refused = service.run(changed, bureau=evaluation.fiscal_year.finance_bureau, commit=True)

    # The published year is refused whole; once reopened, the same file updates the evaluation.
    assert (refused.committed, [(p.severity, p.message) for p in refused.problems], _stored(evaluation)) == (
        False,
        [(ERROR, LOCKED_2023)],
        stored,
    )
    _reopen(evaluation)

    outcome = service.run(changed, bureau=evaluation.fiscal_year.finance_bureau, commit=True)

    assert [(c.action, c.kind, c.fields) for c in outcome.changes] == [
        (UPDATED, KIND, ("全年执行数", "评价结论", "总分", "等级", "自评得分（应用反馈）", "备注（应用反馈）"))
    ]
    updated = _evaluation(ANJU)
    item = updated.score_items.get(indicator__name="应用反馈")
    assert (updated.executed_wan, updated.conclusion, updated.claimed_total, updated.claimed_grade) == (
        Decimal("970.5"),
        "绩效目标基本完成。\n资金使用合规。",
        Decimal(90),
        "良",  # as the file states it, though 90 points would be 优
    )
    assert (item.claimed_score, item.note, updated.version) == (Decimal(4), "按时反馈应用绩效结果报告。", version + 1)
    assert [c.action for c in service.run(changed, bureau=updated.fiscal_year.finance_bureau).changes] == [UNCHANGED]


def test_values_the_file_leaves_blank_keep_what_is_stored(anju):
    evaluation, data = anju
    stored = _stored(evaluation)

    def edit(ws):
        ws.cell(row=_row_of(ws, "存在问题", 1), column=2).value = None
        ws.cell(row=4, column=2).value = None  # 年初预算数
        ws.cell(row=_row_of(ws, "目标制定", 3), column=7).value = None
        ws.cell(row=_row_of(ws, "合计", 1), column=7).value = "—"

    outcome = service.run(_edited(data, edit), bureau=evaluation.fiscal_year.finance_bureau, commit=True)

    assert ([c.action for c in outcome.changes], outcome.problems) == ([UNCHANGED], [])
    assert _stored(evaluation) == stored


def test_points_other_than_the_systems_are_reported_and_the_systems_kept(anju):
    evaluation, data = anju

    def edit(ws):
        ws.cell(row=_row_of(ws, "违规记录", 3), column=4).value = "８"

    outcome = service.run(_edited(data, edit), bureau=evaluation.fiscal_year.finance_bureau, commit=True)

    assert [c.action for c in outcome.changes] == [UNCHANGED]
    assert [(p.severity, p.message, p.row, p.column) for p in outcome.problems] == [
        ("提示", "指标“违规记录”的分值 8 与 2023 年度规则方案的分值 10 不同：按规则方案计分。", 16, "C")
    ]


def test_a_score_for_an_item_the_finance_bureau_scores_is_kept_as_written_and_reported(anju):
    evaluation, data = anju

    def edit(ws):
        ws.cell(row=_row_of(ws, "自评准确", 3), column=7).value = 9

    hint = ("提示", "指标“自评准确”由财政评价组打分，部门自评时不打分：表中的得分 9 按原文导入，不计入自评总分。")
    changed = _edited(data, edit)
    stored = _stored(evaluation)

    refused = service.run(changed, bureau=evaluation.fiscal_year.finance_bureau, commit=True)

    # The published year is refused whole (SPEC §13), where it was once imported with a warning.
    assert (refused.committed, [(p.severity, p.message) for p in refused.problems], _stored(evaluation)) == (
        False,
        [hint, (ERROR, LOCKED_2023)],
        stored,
    )
    _reopen(evaluation)

    outcome = service.run(changed, bureau=evaluation.fiscal_year.finance_bureau, commit=True)

    item = _evaluation(ANJU).score_items.get(indicator__name="自评准确")
    assert [(c.action, c.fields) for c in outcome.changes] == [(UPDATED, ("自评得分（自评准确）",))]
    assert [(p.severity, p.message) for p in outcome.problems] == [hint]
    assert (item.claimed_score, _evaluation(ANJU).computed_total) == (Decimal(9), evaluation.computed_total)


def test_an_item_outside_the_years_indicator_system_refuses_the_table_and_writes_nothing(anju):
    evaluation, data = anju
    before, stored = _counts(), _stored(evaluation)

    def edit(ws):
        ws.cell(row=_row_of(ws, "目标制定", 3), column=3).value = "目标管理"
        ws.cell(row=_row_of(ws, "评价结论", 1), column=2).value = "改过的结论。"

    outcome = service.run(_edited(data, edit), bureau=evaluation.fiscal_year.finance_bureau, commit=True)

    assert [(p.severity, p.message, p.sheet, p.row, p.column) for p in outcome.problems] == [
        (
            ERROR,
            f"指标“目标管理”不在 2023 年度规则方案“{evaluation.fiscal_year.profile}”的部门整体指标体系中，"
            f"“{ANJU}”的部门整体支出绩效自评表未导入。",
            "部门整体支出绩效自评表",
            9,
            "C",
        )
    ]
    assert (outcome.committed, _counts(), _stored(evaluation)) == (False, before, stored)


def test_a_table_cut_off_inside_its_score_sheet_is_an_error_and_writes_nothing(anju):
    evaluation, data = anju
    cut = _cut(data, _row_of(load(data).active, "执行进度", 3))
    bureau = Organisation.objects.create(name="空白财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    before, stored = _counts(), _stored(evaluation)

    outcomes = [service.run(cut, bureau=b, commit=True) for b in (evaluation.fiscal_year.finance_bureau, bureau)]

    assert [(o.kind, o.committed, o.changes, [(p.severity, p.row) for p in o.problems]) for o in outcomes] == [
        ("department", False, [], [(ERROR, 14)]) for _ in outcomes
    ]
    assert "没有“合计”行" in outcomes[0].problems[0].message
    assert (_counts(), _stored(evaluation)) == (before, stored)


def test_a_table_cut_off_before_its_score_sheet_is_an_error():
    data = _cut(_anju_export(), 6)

    result = read_department_tables(load(data))

    assert (result.departments, [(p.severity, p.row) for p in result.problems]) == ([], [(ERROR, 1)])
    assert "没有绩效指标表格" in result.problems[0].message


def test_an_upload_of_a_department_table_is_recorded_as_one(anju):
    evaluation, data = anju
    bureau = evaluation.fiscal_year.finance_bureau
    admin = UserFactory(username="importer", role="admin", organisation=bureau, is_staff=True, is_superuser=True)

    record = service.upload(SimpleUploadedFile("部门整体.xlsx", data), user=admin, bureau=bureau)

    assert (record.kind, record.get_kind_display(), record.status, record.year) == (
        ImportRecord.Kind.DEPARTMENT,
        "部门整体支出绩效自评表",
        ImportRecord.Status.PREVIEWED,
        2023,
    )


# ---- reading -----------------------------------------------------------------------------------------------------


def test_the_reader_gives_what_the_database_holds(anju):
    evaluation, data = anju

    result = read_department_tables(load(data))

    (record,) = result.departments
    table = build_department_table(evaluation)
    assert (result.kind, result.year, result.problems) == ("department", 2023, [])
    assert (record.department, record.year, record.sheet, record.row) == (ANJU, 2023, "部门整体支出绩效自评表", 1)
    assert [getattr(record, f) for f in ("initial_wan", "adjusted_wan", "executed_wan")] == [Decimal("978.11")] * 3
    assert (record.basic_expenditure_wan, record.project_expenditure_wan) == (Decimal("725.15"), Decimal("252.96"))
    assert {name: getattr(record, name) for name in ("goal", "conclusion", "problems", "improvements")} == {
        name: getattr(evaluation, name) for name in ("goal", "conclusion", "problems", "improvements")
    }
    assert record.performance_narrative.splitlines() == list(table.narratives[0].paragraphs)
    assert record.management_narrative.splitlines() == list(table.narratives[1].paragraphs)
    assert (record.claimed_total, record.claimed_grade) == (Decimal(89), "良")
    assert [(i.level1, i.level2, i.name, i.points, i.claimed_score, i.note) for i in record.items] == [
        (
            line.indicator.level1,
            line.indicator.level2,
            line.indicator.name,
            line.indicator.points,
            line.claimed,
            line.note,
        )
        for line in build_sheet(evaluation).lines
    ]


def test_two_tables_on_one_sheet_and_another_on_its_own_sheet_are_all_found(demo):
    panyu, anju = (department_table_xlsx(_evaluation(name)) for name in (PANYU, ANJU))
    workbook = Workbook()
    stacked = workbook.active
    stacked.title = "两张表"
    first = load(panyu).active
    copy_sheet(first, stacked)
    copy_sheet(load(anju).active, stacked, row_offset=first.max_row + 3)
    copy_sheet(load(anju).active, workbook.create_sheet("安居"))

    result = read_department_tables(reload(workbook))

    assert [(r.department, r.year, r.sheet, r.row, len(r.items)) for r in result.departments] == [
        (PANYU, 2024, "两张表", 1, 10),
        (ANJU, 2023, "两张表", first.max_row + 4, 12),
        (ANJU, 2023, "安居", 1, 12),
    ]
    assert [p.severity for p in result.problems] == ["提示"]  # two years in one workbook
    assert result.departments[0].management_narrative == _read(panyu).management_narrative
    assert result.departments[1] == _at(_read(anju), sheet="两张表", row=first.max_row + 4)


def _read(data: bytes):
    (record,) = read_department_tables(load(data)).departments
    return record


def _at(record, *, sheet: str, row: int):
    """The record as found elsewhere: its place and its items' rows moved."""
    shift = row - record.row
    record.sheet, record.row = sheet, row
    for item in record.items:
        item.row += shift
    return record


def _variant(ws):
    """A hand-made table: no merges in the score sheet, label variants, full-width digits, numbers as text, spacer
    rows, "（N分）" and vertical labels, a header repeated at a page break, the passages written three ways."""
    w = SheetWriter(ws)
    w.put(1, "部门整体支出绩效自评表", span=6).next()
    w.put(1, "（２０２４年度）", span=6).next()
    w.line("部门名称（盖章）", " 东莞市人力资源和社会保障局 ")
    w.next()  # spacer
    w.line("预算情况（万元）", "年初预算数", "调整后预算数", "预算执行数", "预算执行率")
    w.line(None, "１,２００.５", "1180万元", 1150.25, "97.48%")
    w.line("其中：基本支出", None, None, "800.25")
    w.line("其中：项目支出", None, None, 350)
    w.line("年度总体目标")
    w.put(1, "保障就业和社会保障工作。", span=6).next()
    w.line("一级指标", "二级指标", "三级指标", "分值", "得分", "扣分说明")
    w.line("部\n门\n预\n算\n管\n理\n（80分）", "预算编制（30分）", "目标制定", "１０", "１０分", "")
    w.line(None, None, "目标实现", 10, "9.5", "个别数量指标超过目标 30%。")
    w.next()  # spacer
    w.line(None, None, "编制准确", "10", 10)
    w.line("一级指标", "二级指标", "三级指标", "分值", "得分", "扣分说明")  # the header at a page break
    w.line(None, "预算执行（30分）", "支出控制", 10, 10)
    w.line("自评质量", "自评质量", "自评准确", 10, "—")
    w.line("总分", None, None, 100, "３９.５")
    w.line("自评等级", "良好")
    w.line("评价结论：目标基本实现。")
    w.line("存在问题")
    w.put(1, "一是目标不够细化。", span=6).next()
    w.put(1, "二是执行进度偏慢。", span=6).next()
    w.line("改进措施", "细化目标。")
    w.line(None, "加快执行。")
    w.next()
    w.line("填报人：张三", None, "联系电话：123")


def test_a_hand_made_table_with_label_variants_and_full_width_numbers_reads():
    workbook = Workbook()
    _variant(workbook.active)

    result = read_department_tables(reload(workbook))

    assert result.problems == []
    (record,) = result.departments
    assert (record.department, record.year) == ("东莞市人力资源和社会保障局", 2024)
    assert (record.initial_wan, record.adjusted_wan, record.executed_wan) == (
        Decimal("1200.5"),
        Decimal(1180),
        Decimal("1150.25"),
    )
    assert (record.basic_expenditure_wan, record.project_expenditure_wan) == (Decimal("800.25"), Decimal(350))
    assert (record.goal, record.conclusion, record.problems, record.improvements) == (
        "保障就业和社会保障工作。",
        "目标基本实现。",
        "一是目标不够细化。\n二是执行进度偏慢。",
        "细化目标。\n加快执行。",
    )
    assert (record.performance_narrative, record.management_narrative) == ("", "")
    assert (record.claimed_total, record.claimed_grade) == (Decimal("39.5"), "良")
    assert [(i.level1, i.level2, i.name, i.points, i.claimed_score, i.note, i.row) for i in record.items] == [
        ("部门预算管理", "预算编制", "目标制定", Decimal(10), Decimal(10), "", 12),
        ("部门预算管理", "预算编制", "目标实现", Decimal(10), Decimal("9.5"), "个别数量指标超过目标 30%。", 13),
        ("部门预算管理", "预算编制", "编制准确", Decimal(10), Decimal(10), "", 15),
        ("部门预算管理", "预算执行", "支出控制", Decimal(10), Decimal(10), "", 17),
        ("自评质量", "自评质量", "自评准确", Decimal(10), None, "", 18),
    ]


def test_a_hand_made_table_imports_into_the_years_system_and_keeps_the_rest(org):
    FiscalYear.objects.create(
        finance_bureau=org.bureau, year=2024, profile=RuleProfile.objects.get(code="sichuan"), status="open"
    )
    workbook = Workbook()
    _variant(workbook.active)

    outcome = service.run(_save(workbook), bureau=org.bureau, commit=True)

    evaluation = DepartmentEvaluation.objects.get(department=org.department)
    assert ([(c.action, c.kind) for c in outcome.changes], outcome.new_organisations) == ([(CREATED, KIND)], [])
    missing = "“动态调整”、“执行进度”、“预算完成”、“违规记录”、“自评公开”、“结果整改”、“应用反馈”"
    assert [p.message for p in outcome.problems] == [
        f"“{org.department.name}”的自评表中没有指标{missing}：这些指标没有导入得分，已有的得分不变。"
    ]
    claimed = dict(
        evaluation.score_items.filter(claimed_score__isnull=False).values_list("indicator__name", "claimed_score")
    )
    assert claimed == {"目标制定": 10, "目标实现": Decimal("9.5"), "编制准确": 10, "支出控制": 10}
    assert (evaluation.claimed_total, evaluation.claimed_grade, evaluation.status) == (
        Decimal("39.5"),
        "良",
        "published",
    )


def test_unreadable_and_negative_numbers_are_errors_naming_cell_and_value():
    workbook = Workbook()
    _variant(workbook.active)
    workbook.active["E13"] = "九分"
    workbook.active["D6"] = -5

    result = read_department_tables(reload(workbook))

    assert result.departments == []
    assert [(p.severity, p.message, p.row, p.column) for p in result.problems] == [
        (ERROR, "指标“目标实现”的自评得分“九分”不是数字，无法导入。", 13, "E"),
        (ERROR, "“预算执行数”的金额“-5”是负数，无法导入。", 6, "D"),
    ]


# ---- detection -----------------------------------------------------------------------------------------------


def test_our_project_tables_summary_sheet_and_flat_template_are_not_department_tables(demo):
    project_tables = [
        project_table_xlsx(p)
        for p in Project.objects.filter(fiscal_year__finance_bureau__name__in=["烈山区财政局", "遂宁市安居区财政局"])
        .exclude(indicators=None)
        .order_by("pk")
    ]
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    others = {
        "summary": [summary_xlsx(build_summary(fiscal_year=year))],
        "flat": [flat_template_xlsx(RuleProfile.objects.get(code=code)) for code in ("national", "sichuan")],
        "standard": project_tables,
    }

    found = {kind: [read_department_tables(load(data)) for data in files] for kind, files in others.items()}
    detected = {kind: {service.detect(load(data)) for data in files} for kind, files in others.items()}

    assert project_tables
    assert {kind: [(r.departments, r.problems) for r in results] for kind, results in found.items()} == {
        kind: [([], [])] * len(files) for kind, files in others.items()
    }
    assert detected == {"summary": {"summary"}, "flat": {"flat"}, "standard": {"standard"}}


def test_our_department_tables_are_taken_for_nothing_else(demo):
    tables = [department_table_xlsx(e) for seed in SEED_BUREAUS for e in _evaluations(seed)]

    workbooks = [load(data) for data in tables]

    assert len(tables) == 3
    assert [
        (service.detect(wb), is_flat_workbook(wb), is_summary_workbook(wb), read_standard_tables(wb).projects)
        for wb in workbooks
    ] == [("department", False, False, [])] * 3


def test_project_and_department_tables_in_one_workbook_import_together(demo):
    projects = Project.objects.filter(fiscal_year__finance_bureau__name=SEED_BUREAUS["004"])
    project = projects.exclude(indicators=None).order_by("pk").first()
    workbook = Workbook()
    copy_sheet(load(project_table_xlsx(project)).active, workbook.active)
    copy_sheet(load(department_table_xlsx(_evaluation(ANJU))).active, workbook.create_sheet("部门整体"))
    before = _counts()

    outcome = service.run(_save(workbook), bureau=project.fiscal_year.finance_bureau, commit=True)

    assert (outcome.kind, [(c.action, c.kind) for c in outcome.changes], outcome.errors) == (
        "standard",
        [(UNCHANGED, "项目"), (UNCHANGED, KIND)],
        [],
    )
    assert _counts() == before
