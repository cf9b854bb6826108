"""Flat import templates (SPEC §10.1): the downloadable template, and workbooks built like the ones admins fill in,
saved and reopened with data_only=True, imported through django-import-export all or nothing."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from accounts.models import Organisation
from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from evaluations.models import EvaluationTransition, ProjectEvaluation
from evaluations.tests.factories import IndicatorFactory, ProjectFactory
from imports.readers.flat import import_flat, is_flat_workbook
from imports.readers.flat_template import flat_template_xlsx
from imports.records import CREATED, ERROR, UNCHANGED, UPDATED, WARNING
from imports.resources.indicator_sheet import IndicatorResource
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

DEPARTMENT = "东莞市人力资源和社会保障局"
UNIT = "东莞市技师学院"
PROJECT = {
    "年度": 2024,
    "主管部门": DEPARTMENT,
    "预算单位": UNIT,
    "项目名称": "职业技能培训经费",
    "项目编码": "44190022T000000001",
    "项目类型": "常年项目",
    "项目负责人": "张三",
    "财务负责人": "李四",
    "联系电话": "0769-22222222",
    "项目概况/实施内容": "开展职业技能培训，提升劳动者就业能力。",
    "预期目标": "完成培训 3000 人次。",
    "实际完成情况": "完成培训 3150 人次。",
    "执行率偏低原因": "/",
    "预算调整理由": "年中追加培训任务。",
    "本年财政拨款年初预算数": 579.83,
    "本年财政拨款全年预算数": "600.5",
    "本年财政拨款全年执行数": 579.83,
    "上年结转资金年初预算数": 0,
    "上年结转资金全年预算数": "１２.３４",
    "上年结转资金全年执行数": "12.34",
    "总分": 95.5,
    "自评等级": "优",
    "评价结论": "项目完成情况良好。",
    "存在问题": "培训后跟踪不足。",
    "改进措施": "建立跟踪回访机制。",
}
KEY = {"年度": 2024, "预算单位": UNIT, "项目名称": "职业技能培训经费"}
INDICATORS = [
    {
        **KEY,
        "一级指标": "产出指标",
        "二级指标": "数量指标",
        "三级指标": "培训人次",
        "指标性质": "≥",
        "年度指标值": 3000,
        "度量单位": "人次",
        "实际完成值": 3150,
        "分值": 20,
        "得分": 20,
    },
    {
        **KEY,
        "一级指标": "产出指标",
        "二级指标": "质量指标",
        "三级指标": "培训合格率",
        "年度指标值": "≥95%",
        "实际完成值": "９６.５",
        "分值": "20",
        "得分": "20.00",
    },
    {
        **KEY,
        "一级指标": "效益指标",
        "二级指标": "社会效益指标",
        "三级指标": "促进就业",
        "指标性质": "定性",
        "年度指标值": "有效促进",
        "实际完成值": "达成年度指标",
        "分值": 20,
        "得分": 18,
        "偏差原因分析及改进措施": "部分学员尚未就业。",
    },
    {
        **KEY,
        "一级指标": "满意度指标",
        "二级指标": "服务对象满意度指标",
        "三级指标": "学员满意度",
        "指标性质": "≥",
        "年度指标值": "90",
        "度量单位": "%",
        "实际完成值": "100.00%",
        "分值": 30,
        "得分": 31.5,
        "偏差原因分析及改进措施": "—",
    },
]
MODELS = (Organisation, FiscalYear, Project, BudgetLine, Indicator, ProjectEvaluation)
ENGLISH = re.compile(r"[A-Za-z]{3,}")
QUOTED = re.compile(r"“[^”]*”")


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def reload(workbook: Workbook) -> Workbook:
    """Save and reopen as an upload is opened: data_only, not read-only."""
    buffer = BytesIO()
    workbook.save(buffer)
    return load_workbook(BytesIO(buffer.getvalue()), data_only=True)


def template(profile: str = "national") -> Workbook:
    return load_workbook(BytesIO(flat_template_xlsx(RuleProfile.objects.get(code=profile))))


def fill(worksheet, rows):
    headers = [cell.value for cell in worksheet[1]]
    for row in rows:
        assert set(row) <= set(headers), set(row) - set(headers)
        worksheet.append([row.get(header) for header in headers])


def flat(projects=(), indicators=(), *, profile="national") -> Workbook:
    workbook = template(profile)
    fill(workbook["项目"], projects)
    fill(workbook["绩效指标"], indicators)
    return reload(workbook)


def sheets(**tables) -> Workbook:
    """A workbook of sheets given as (headers, rows of values)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, (headers, rows) in tables.items():
        worksheet = workbook.create_sheet(title)
        worksheet.append(headers)
        for row in rows:
            worksheet.append(row)
    return reload(workbook)


def run(workbook, org, *, dry_run=False, year=None):
    return import_flat(workbook, bureau=org.bureau, year=year, dry_run=dry_run)


def problems(outcome, severity=ERROR):
    return [(p.sheet, p.row, p.column, p.message) for p in outcome.problems if p.severity == severity]


# --- template -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "funds"),
    [
        ("national", ["本年财政拨款", "上年结转资金", "其他资金"]),
        ("sichuan", ["财政资金", "财政专户管理资金", "单位资金", "其他资金"]),
    ],
)
def test_template_has_the_profile_columns_styled_and_explained(profile, funds):
    workbook = template(profile)
    projects, indicators, notes = (workbook[name] for name in ("项目", "绩效指标", "填写说明"))
    headers = [cell.value for cell in projects[1]]
    fund_columns = [f"{source}{measure}" for source in funds for measure in ("年初预算数", "全年预算数", "全年执行数")]

    assert headers[:14] == [
        "年度",
        "主管部门",
        "预算单位",
        "项目名称",
        "项目编码",
        "项目类型",
        "项目负责人",
        "财务负责人",
        "联系电话",
        "项目概况/实施内容",
        "预期目标",
        "实际完成情况",
        "执行率偏低原因",
        "预算调整理由",
    ]
    assert headers[14:] == [*fund_columns, "总分", "自评等级", "评价结论", "存在问题", "改进措施"]
    assert [cell.value for cell in indicators[1]] == [
        "年度",
        "主管部门",
        "预算单位",
        "项目名称",
        "项目编码",
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "年度指标值",
        "度量单位",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ]
    assert all(cell.font.bold for cell in projects[1]) and all(cell.font.bold for cell in indicators[1])
    assert (projects.freeze_panes, indicators.freeze_panes) == ("A2", "A2")
    assert projects.column_dimensions["D"].width >= 20
    explained = {row[1] for row in notes.iter_rows(values_only=True)}
    assert {*headers, "三级指标", "分值"} <= explained
    text = " ".join(str(v) for row in notes.iter_rows(values_only=True) for v in row if v)
    assert all(word in text for word in ("万元", "≥", "定性", "指标名称", "调整后预算数", "达成年度指标"))


def test_template_text_is_formula_safe():
    profile = RuleProfile.objects.get(code="national")
    profile.fund_sources.create(name="=HYPERLINK(1)", order=9)

    workbook = load_workbook(BytesIO(flat_template_xlsx(profile)))

    cells = [cell for row in workbook["项目"].iter_rows() for cell in row if cell.value]
    assert {cell.data_type for cell in cells} == {"s"}
    quoted = [(cell.value, cell.quotePrefix) for cell in cells if cell.value.startswith("=")]
    assert quoted and all(quote for _, quote in quoted)
    assert ("=HYPERLINK(1)年初预算数", True) in quoted


def test_template_headers_import_back(org, year):
    workbook = reload(template())

    outcome = run(workbook, org)

    assert is_flat_workbook(workbook)
    assert outcome.kind == "flat"
    assert problems(outcome, WARNING) == []
    assert [p.message for p in outcome.errors] == ["文件中没有可导入的数据：导入模板的表头下面没有填写任何行。"]


def test_other_workbooks_are_not_flat():
    summary = sheets(
        汇总表=(
            ["序号", "主管部门", "预算单位", "项目名称", "自评结果", "财政抽查审核结果"],
            [[1, "甲", "乙", "丙", "优", ""]],
        )
    )
    standard = sheets(自评表=(["项目名称", "培训经费"], [["一级指标", "二级指标", "三级指标", "指标性质"]]))

    assert not is_flat_workbook(summary)
    assert not is_flat_workbook(standard)


# --- a filled template --------------------------------------------------------------------------------------------


def test_filled_template_imports_every_value(org, year):
    """Long on purpose: one filled template, and every value of it checked where it is stored."""
    outcome = run(flat([PROJECT], INDICATORS), org)

    assert outcome.errors == [] and outcome.committed
    assert [(c.action, c.kind) for c in outcome.changes] == [(CREATED, "项目")] + [(CREATED, "绩效指标")] * 4
    project = Project.objects.get()
    assert (project.fiscal_year, project.unit, project.name, project.code, project.project_type) == (
        year,
        org.unit,
        "职业技能培训经费",
        "44190022T000000001",
        "recurring",
    )
    assert (project.manager, project.finance_manager, project.phone) == ("张三", "李四", "0769-22222222")
    assert (project.content, project.goal_expected, project.goal_actual) == (
        PROJECT["项目概况/实施内容"],
        "完成培训 3000 人次。",
        "完成培训 3150 人次。",
    )
    assert (project.execution_reason, project.adjustment_reason) == ("", "年中追加培训任务。")
    assert (project.conclusion, project.problems, project.improvements) == (
        "项目完成情况良好。",
        "培训后跟踪不足。",
        "建立跟踪回访机制。",
    )
    assert [
        (line.fund_source, line.order, line.initial_wan, line.adjusted_wan, line.executed_wan)
        for line in project.budget_lines.all()
    ] == [
        ("本年财政拨款", 0, Decimal("579.83"), Decimal("600.5"), Decimal("579.83")),
        ("上年结转资金", 1, Decimal(0), Decimal("12.34"), Decimal("12.34")),
    ]
    assert str(project.budget_lines.first().initial_wan) == "579.830000"
    rows = [
        (
            i.order,
            i.level1,
            i.level2,
            i.name,
            i.sign,
            i.target_text,
            i.target_value,
            i.unit,
            i.actual_text,
            i.actual_value,
            i.actual_label,
            i.weight,
            i.claimed_score,
            i.deviation_reason,
        )
        for i in project.indicators.all()
    ]
    assert rows == [
        (
            0,
            "产出指标",
            "数量指标",
            "培训人次",
            "≥",
            "3000",
            Decimal(3000),
            "人次",
            "3150",
            Decimal(3150),
            "",
            20,
            20,
            "",
        ),
        (
            1,
            "产出指标",
            "质量指标",
            "培训合格率",
            "≥",
            "≥95%",
            Decimal(95),
            "%",
            "96.5",
            Decimal("96.5"),
            "",
            20,
            20,
            "",
        ),
        (
            2,
            "效益指标",
            "社会效益指标",
            "促进就业",
            "定性",
            "有效促进",
            None,
            "",
            "达成年度指标",
            None,
            "达成年度指标",
            20,
            18,
            "部分学员尚未就业。",
        ),
        (
            3,
            "满意度指标",
            "服务对象满意度指标",
            "学员满意度",
            "≥",
            "90",
            Decimal(90),
            "%",
            "100.00%",
            Decimal(100),
            "",
            30,
            Decimal("31.5"),
            "",
        ),
    ]
    evaluation = ProjectEvaluation.objects.get(project=project)
    assert (evaluation.claimed_total, evaluation.claimed_grade, evaluation.status) == (Decimal("95.5"), "优", "draft")
    # Computed beside the claim and stored: 10 × 592.17 / 612.84 + the claimed scores 20 + 20 + 18 + 31.5.
    assert (evaluation.computed_total, evaluation.profile) == (Decimal("99.16"), year.profile)


def test_score_above_weight_is_imported_as_written(org, year):
    run(flat([PROJECT], INDICATORS), org)

    indicator = Indicator.objects.get(name="学员满意度")
    assert (indicator.weight, indicator.claimed_score) == (Decimal(30), Decimal("31.5"))


def test_dry_run_writes_nothing_and_previews_everything(org):
    before = counts()

    outcome = run(flat([{**PROJECT, "主管部门": "东莞市某局", "预算单位": "某中心"}], []), org, dry_run=True)

    assert counts() == before
    assert not outcome.committed and outcome.errors == []
    assert [(c.action, c.kind) for c in outcome.changes] == [(CREATED, "年度"), (CREATED, "项目")]
    assert outcome.new_organisations == ["主管部门：东莞市某局", "预算单位：某中心"]


def test_commit_then_reimport_changes_nothing(org, year):
    workbook = flat([PROJECT], INDICATORS)
    run(workbook, org)
    before = counts()
    stamps = list(Project.objects.values_list("version", "updated_at"))

    outcome = run(workbook, org)

    assert outcome.committed and outcome.errors == []
    assert {c.action for c in outcome.changes} == {UNCHANGED} and len(outcome.changes) == 5
    assert counts() == before
    assert list(Project.objects.values_list("version", "updated_at")) == stamps
    assert EvaluationTransition.objects.count() == 0  # the open year's evaluations start as drafts


def test_changed_values_are_updated_and_named(org, year):
    run(flat([PROJECT], INDICATORS), org)
    changed = [dict(row) for row in INDICATORS]
    changed[0]["实际完成值"] = 2900
    changed[0]["得分"] = "19.33"

    outcome = run(flat([{**PROJECT, "项目负责人": "王五", "本年财政拨款全年执行数": "590"}], changed), org)

    assert [(c.action, c.kind, c.fields) for c in outcome.changes if c.action != UNCHANGED] == [
        (UPDATED, "项目", ("项目负责人", "项目资金")),
        (UPDATED, "绩效指标", ("实际完成值", "得分")),
    ]
    project = Project.objects.get()
    assert (project.manager, project.version) == ("王五", 1)
    assert project.budget_lines.get(fund_source="本年财政拨款").executed_wan == Decimal(590)
    assert Indicator.objects.get(name="培训人次").actual_value == Decimal(2900)
    assert ProjectEvaluation.objects.get().computed_total == Decimal("98.66")  # 9.83 + 19.33 + 20 + 18 + 31.5


def test_blank_cells_keep_and_dashes_clear_project_fields(org, year):
    run(flat([PROJECT], []), org)

    outcome = run(flat([{**KEY, "主管部门": DEPARTMENT, "项目负责人": "/", "总分": None}], []), org)

    project = Project.objects.get()
    assert [(c.action, c.fields) for c in outcome.changes] == [(UPDATED, ("项目负责人",))]
    assert (project.manager, project.finance_manager, project.goal_expected) == ("", "李四", "完成培训 3000 人次。")
    assert project.budget_lines.count() == 2
    assert ProjectEvaluation.objects.get().claimed_total == Decimal("95.5")


def test_indicators_beyond_the_sheet_are_deleted_with_a_warning(org, year):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="职业技能培训经费")
    for n, name in enumerate(["旧指标一", "旧指标二", "旧指标三"]):
        IndicatorFactory(project=project, order=n, name=name)
    rows = [INDICATORS[0]]

    outcome = run(flat([], rows), org)

    assert [(c.action, c.kind) for c in outcome.changes] == [(UPDATED, "绩效指标")]
    assert list(project.indicators.values_list("name", flat=True)) == ["培训人次"]
    assert problems(outcome, WARNING) == [
        (
            "绩效指标",
            2,
            "",
            "项目“职业技能培训经费”在系统中还有 2 条指标不在本表中（“旧指标二”、“旧指标三”），导入后将删除",
        )
    ]


# --- all or nothing -----------------------------------------------------------------------------------------------


def test_one_bad_row_of_a_thousand_writes_nothing(org, year):
    projects = [{**PROJECT, "项目名称": f"项目{p}", "项目编码": ""} for p in range(10)]
    indicators = [
        {
            "年度": 2024,
            "预算单位": UNIT,
            "项目名称": f"项目{n // 100}",
            "一级指标": "产出指标",
            "二级指标": "数量指标",
            "三级指标": f"指标{n}",
            "年度指标值": "≥100",
            "度量单位": "人",
            "实际完成值": 100,
            "分值": "abc" if n == 699 else 1,
            "得分": 1,
        }
        for n in range(1000)
    ]
    workbook = flat(projects, indicators)
    before = counts()

    outcome = run(workbook, org)

    assert counts() == before
    assert not outcome.committed
    assert problems(outcome) == [("绩效指标", 701, "分值", "“分值”列的“abc”不是数字")]


def test_an_error_on_the_project_sheet_keeps_the_indicators_out_too(org, year):
    workbook = flat([PROJECT, {**PROJECT, "项目名称": "第二个项目", "项目编码": "", "总分": "九十"}], INDICATORS)
    before = counts()

    outcome = run(workbook, org)

    assert counts() == before
    assert problems(outcome) == [("项目", 3, "总分", "“总分”列的“九十”不是数字")]


def test_without_the_outer_rollback_import_export_keeps_the_good_rows(org, year):
    """The pitfall the reader guards against: import-export rolls back validation errors only when asked to."""
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="职业技能培训经费")
    workbook = flat([], [INDICATORS[0], {**INDICATORS[1], "分值": "abc"}])
    import tablib

    from imports.readers.flat import _flat_sheets, _read_sheet
    from imports.records import Outcome
    from imports.resources.base import FlatContext

    ws, header_row, kind, cells = next(found for found in _flat_sheets(workbook) if found[0].title == "绩效指标")
    sheet = _read_sheet(ws, header_row, kind, cells)
    assert isinstance(sheet.dataset, tablib.Dataset)
    context = FlatContext(bureau=org.bureau, outcome=Outcome(kind="flat"))

    def attempt(**options):
        resource = IndicatorResource(context=context, labels=sheet.labels, row_numbers=sheet.row_numbers)
        return resource.import_data(sheet.dataset, dry_run=False, use_transactions=True, **options)

    result = attempt(rollback_on_validation_errors=True)
    assert (result.has_validation_errors(), project.indicators.count()) == (True, 0)
    attempt(rollback_on_validation_errors=False)
    assert project.indicators.count() == 1
