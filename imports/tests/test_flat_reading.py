"""Flat import templates (SPEC §10.1), how a workbook is read: headers as written (aliases, suffixes), values
written every way, how rows find their year, unit and project, and messages naming where each problem is."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from accounts.models import Organisation
from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from evaluations.demo import load_demo
from evaluations.reports.project_table import project_table_xlsx
from evaluations.reports.summary import build_summary, summary_xlsx
from evaluations.tests.factories import BudgetLineFactory, FiscalYearFactory, ProjectFactory
from imports import service
from imports.readers.flat import is_flat_workbook
from imports.records import CREATED, UNCHANGED, WARNING
from imports.resources.columns import normalise_header
from imports.tests.test_flat import (
    DEPARTMENT,
    ENGLISH,
    INDICATORS,
    KEY,
    PROJECT,
    QUOTED,
    UNIT,
    counts,
    fill,
    flat,
    problems,
    reload,
    run,
    sheets,
    template,
)
from indicators.models import Indicator

pytestmark = pytest.mark.django_db


# --- what files really hold ---------------------------------------------------------------------------------------


def test_header_aliases_and_suffixes(org, year):
    """Long on purpose: one sheet written with every header variant, read as the canonical columns."""
    workbook = sheets(
        项目=(
            [
                "年 度",
                "主管部门",
                "实施单位",
                "项目",
                "当年财政拨款\n年初预算数（万元）",
                "本年财政拨款调整后预算数(万元)",
                "本年财政拨款预算执行数",
            ],
            [[2024, DEPARTMENT, UNIT, "职业技能培训经费", 100, 120, "110.5"]],
        ),
        绩效指标=(
            [
                "年度",
                "实施单位",
                "项目",
                "一级绩效指标",
                "二级绩效指标",
                "指标名称",
                "指标性质",
                "指标值",
                "度量单位",
                "完成值",
                "权 重",
                "自评得分",
                "未完成原因分析",
            ],
            [
                [
                    2024,
                    UNIT,
                    "职业技能培训经费",
                    "产出指标",
                    "数量指标",
                    "培训人次",
                    "≥",
                    3000,
                    "人次",
                    2900,
                    20,
                    "19.33",
                    "报名不足",
                ]
            ],
        ),
    )

    outcome = run(workbook, org)

    assert outcome.errors == [] and problems(outcome, WARNING) == []
    line = BudgetLine.objects.get()
    assert (line.fund_source, line.initial_wan, line.adjusted_wan, line.executed_wan) == (
        "本年财政拨款",
        Decimal(100),
        Decimal(120),
        Decimal("110.5"),
    )
    indicator = Indicator.objects.get()
    assert (indicator.name, indicator.weight, indicator.claimed_score, indicator.deviation_reason) == (
        "培训人次",
        Decimal(20),
        Decimal("19.33"),
        "报名不足",
    )


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("三级指标名称", "三级指标"),
        ("一级指标\n（50分）", "一级指标"),
        ("偏差原因", "偏差原因分析及改进措施"),
        ("全年执行数（B）", "全年执行数"),
        ("本年财政拨款 全年预算数（A）", "本年财政拨款全年预算数"),
        ("项目名称＊", "项目名称"),
    ],
)
def test_header_normalisation(written, canonical):
    assert normalise_header(written) == canonical


def test_sign_number_and_unit_from_one_cell_and_numbers_written_every_way(org, year):
    ProjectFactory(fiscal_year=year, unit=org.unit, name="职业技能培训经费")
    rows = [
        {
            **KEY,
            "一级指标": "产出指标",
            "二级指标": "质量指标",
            "三级指标": "合格率",
            "年度指标值": "≥95%",
            "实际完成值": "９６",
        },
        {
            **KEY,
            "一级指标": "产出指标",
            "二级指标": "时效指标",
            "三级指标": "及时率",
            "年度指标值": "＝１００％",
            "实际完成值": "100.00%",
        },
        {
            **KEY,
            "一级指标": "产出指标",
            "二级指标": "成本指标",
            "三级指标": "人均成本",
            "指标性质": "<=",
            "年度指标值": "1,200",
            "度量单位": "元",
            "实际完成值": "1,150.5",
        },
        {
            **KEY,
            "一级指标": "产出指标",
            "二级指标": "数量指标",
            "三级指标": "空白",
            "年度指标值": "/",
            "实际完成值": "—",
            "分值": "／",
        },
    ]
    workbook = template()
    fill(workbook["绩效指标"], rows)
    workbook["绩效指标"]["L2"].number_format = "0.00%"
    workbook["绩效指标"]["L2"].value = 0.965

    outcome = run(reload(workbook), org)

    assert outcome.errors == []
    assert [
        (i.sign, i.target_text, i.target_value, i.unit, i.actual_text, i.actual_value, i.weight)
        for i in Indicator.objects.order_by("order")
    ] == [
        ("≥", "≥95%", Decimal(95), "%", "96.5%", Decimal("96.5"), None),
        ("=", "=100%", Decimal(100), "%", "100.00%", Decimal(100), None),
        ("≤", "1,200", Decimal(1200), "元", "1,150.5", Decimal("1150.5"), None),
        ("", "", None, "", "", None, None),
    ]


def test_qualitative_actuals_map_to_labels_or_stay_text_with_a_warning(org, year):
    ProjectFactory(fiscal_year=year, unit=org.unit, name="职业技能培训经费")
    base = {**KEY, "一级指标": "效益指标", "二级指标": "社会效益指标", "指标性质": "定性", "年度指标值": "明显提升"}
    rows = [
        {**base, "三级指标": "甲", "实际完成值": "达成预期指标"},
        {**base, "三级指标": "乙", "实际完成值": "基本达成"},
        {**base, "三级指标": "丙", "实际完成值": "群众反映良好"},
    ]

    outcome = run(flat([], rows), org)

    assert [(i.actual_label, i.actual_text) for i in Indicator.objects.order_by("order")] == [
        ("达成年度指标", "达成预期指标"),
        ("部分达成年度指标并具有一定效果", "基本达成"),
        ("", "群众反映良好"),
    ]
    assert problems(outcome, WARNING) == [
        (
            "绩效指标",
            4,
            "实际完成值",
            "定性指标的“实际完成值”“群众反映良好”不是标准的完成情况（达成年度指标 / 部分达成年度指标并具有一定效果 / "
            "未达成年度指标且效果较差），按原文保留，请在系统中选择完成情况",
        )
    ]


def test_new_departments_and_units_are_created_and_listed(org, year):
    rows = [
        {**PROJECT, "项目编码": "", "主管部门": "东莞市某局", "预算单位": "某中心"},
        {**PROJECT, "项目编码": "", "主管部门": "东莞市某局", "预算单位": "", "项目名称": "部门本级项目"},
        {**PROJECT, "项目编码": "", "主管部门": DEPARTMENT, "预算单位": "东莞市社会保险基金管理中心"},
    ]

    outcome = run(flat(rows, []), org)

    assert outcome.new_organisations == ["主管部门：东莞市某局", "预算单位：某中心"]
    department = Organisation.objects.get(name="东莞市某局")
    assert (department.kind, department.parent) == ("department", org.bureau)
    assert Organisation.objects.get(name="某中心").parent == department
    assert sorted(Project.objects.values_list("unit__name", flat=True)) == sorted(
        ["东莞市社会保险基金管理中心", "东莞市某局", "某中心"]
    )


def test_a_new_year_takes_the_latest_profile(org):
    FiscalYearFactory(finance_bureau=org.bureau, year=2023, profile=RuleProfile.objects.get(code="sichuan"))
    row = {**PROJECT, "年度": "2022年", "财政资金年初预算数": "８８"}
    workbook = template("sichuan")
    fill(workbook["项目"], [{k: v for k, v in row.items() if not k.startswith(("本年", "上年"))}])

    outcome = run(reload(workbook), org)

    year = FiscalYear.objects.get(year=2022)
    assert (year.profile.code, outcome.year) == ("sichuan", 2022)
    assert (outcome.changes[0].action, outcome.changes[0].kind) == (CREATED, "年度")
    assert BudgetLine.objects.get().initial_wan == Decimal(88)


def test_the_year_argument_overrides_the_column(org, year):
    outcome = run(flat([{**PROJECT, "年度": 2019}], [{**INDICATORS[0], "年度": ""}]), org, year=2024)

    assert outcome.errors == [] and outcome.year == 2024
    assert Project.objects.get().fiscal_year == year
    assert Indicator.objects.count() == 1


def test_a_project_is_found_by_its_code(org, year):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="旧名称", code="44190022T000000001")
    BudgetLineFactory(project=project)

    outcome = run(flat([PROJECT], [{**INDICATORS[0], "项目名称": "", "项目编码": "44190022T000000001"}]), org)

    assert outcome.errors == []
    assert list(Project.objects.values_list("pk", "name")) == [(project.pk, "职业技能培训经费")]
    assert outcome.changes[0].fields[:1] == ("项目名称",)
    assert Indicator.objects.get().project == project


def test_a_name_differing_only_in_full_width_forms_is_the_same_project(org, year):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="职业技能培训（一期）")

    outcome = run(flat([{**KEY, "主管部门": DEPARTMENT, "项目名称": "职业技能培训(一期) "}], []), org)

    assert [(c.action, c.label, c.fields) for c in outcome.changes] == [
        (UNCHANGED, "东莞市技师学院 / 职业技能培训（一期）", ())
    ]
    assert list(Project.objects.values_list("pk", "name")) == [(project.pk, "职业技能培训（一期）")]


def test_lookups_are_cached_not_made_per_row(org, year, django_assert_max_num_queries):
    projects = [{**PROJECT, "项目名称": f"项目{p}", "项目编码": ""} for p in range(20)]
    indicators = [{**INDICATORS[0], "项目名称": f"项目{n // 10}", "三级指标": f"指标{n}"} for n in range(200)]
    workbook = flat(projects, indicators)
    run(workbook, org)

    # 28 queries whatever the number of rows: organisations, years, projects, indicators, savepoints.
    with django_assert_max_num_queries(30):
        outcome = run(workbook, org, dry_run=True)

    assert outcome.count(UNCHANGED) == 220


def test_merged_project_cells_cover_their_indicator_rows(org, year):
    ProjectFactory(fiscal_year=year, unit=org.unit, name="职业技能培训经费")
    workbook = template()
    rows = [dict(INDICATORS[0]), {**INDICATORS[1], "预算单位": None, "项目名称": None}]
    fill(workbook["绩效指标"], rows)
    workbook["绩效指标"].merge_cells("C2:C3")
    workbook["绩效指标"].merge_cells("D2:D3")

    outcome = run(reload(workbook), org)

    assert outcome.errors == [] and Indicator.objects.count() == 2


# --- messages -----------------------------------------------------------------------------------------------------


def test_problems_name_sheet_row_and_column_in_chinese(org, year):
    workbook = flat(
        [PROJECT, {**PROJECT, "项目名称": None, "项目编码": ""}, {**PROJECT, "项目编码": "", "项目类型": "长期"}],
        [
            INDICATORS[0],
            {**INDICATORS[1], "项目名称": "不存在的项目"},
            {**INDICATORS[2], "分值": "abc", "指标性质": "大约"},
            {**INDICATORS[3], "一级指标": None},
        ],
    )

    outcome = run(workbook, org)

    assert problems(outcome) == [
        ("项目", 3, "项目名称", "没有填写“项目名称”"),
        ("项目", 4, "", "与第 2 行是同一个项目（重复的行）"),
        ("项目", 4, "项目类型", "“项目类型”列的“长期”无法识别，应为 常年项目 或 一次性项目"),
        (
            "绩效指标",
            3,
            "项目名称",
            "第 3 行：找不到 2024 年度“东莞市技师学院”的项目“不存在的项目”（请先在“项目”表中列出）",
        ),
        ("绩效指标", 4, "分值", "“分值”列的“abc”不是数字"),
        ("绩效指标", 4, "指标性质", "“指标性质”列的“大约”无法识别，应为 ≥、>、=、≤、< 或 定性"),
        ("绩效指标", 5, "一级指标", "没有填写“一级指标”"),
    ]
    assert not [p for p in outcome.problems if ENGLISH.search(QUOTED.sub("", p.message))]
    assert counts()["Project"] == 0


def test_messages_use_the_headers_as_written(org, year):
    ProjectFactory(fiscal_year=year, unit=org.unit, name="职业技能培训经费")
    workbook = sheets(
        绩效指标=(
            ["年度", "实施单位", "项目", "一级绩效指标", "二级绩效指标", "指标名称", "权重"],
            [[2024, UNIT, "职业技能培训经费", "产出指标", "数量指标", "培训人次", "二十"]],
        )
    )

    outcome = run(workbook, org)

    assert problems(outcome) == [("绩效指标", 2, "权重", "“权重”列的“二十”不是数字")]


def test_a_fund_source_outside_the_profile_is_refused(org, year):
    workbook = sheets(
        项目=(
            ["年度", "主管部门", "预算单位", "项目名称", "财政资金年初预算数", "年度资金总额年初预算数"],
            [[2024, DEPARTMENT, UNIT, "职业技能培训经费", 10, 10]],
        )
    )

    outcome = run(workbook, org)

    assert problems(outcome) == [
        (
            "项目",
            2,
            "财政资金年初预算数",
            "“财政资金年初预算数”列的资金来源“财政资金”不在 2024 年度的规则方案“全国通用（财预〔2020〕10号）”中"
            "（应为 本年财政拨款、上年结转资金、其他资金）",
        )
    ]
    assert problems(outcome, WARNING) == [
        ("项目", 1, "年度资金总额年初预算数", "“年度资金总额年初预算数”是合计，由系统按各资金来源计算，不导入")
    ]


def test_exported_tables_and_summary_sheets_are_not_flat():
    load_demo()
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    exported = [summary_xlsx(build_summary(fiscal_year=year))]
    exported += [project_table_xlsx(p) for p in Project.objects.exclude(indicators=None).order_by("pk")[:12]]

    assert [is_flat_workbook(load_workbook(BytesIO(data), data_only=True)) for data in exported] == [False] * 13


def test_the_service_detects_and_imports_a_flat_workbook(org, year):
    buffer = BytesIO()
    template_book = template()
    fill(template_book["项目"], [PROJECT])
    template_book.save(buffer)

    outcome = service.run(buffer.getvalue(), filename="导入.xlsx", bureau=org.bureau, commit=True)

    assert (outcome.kind, outcome.committed, outcome.count(CREATED)) == ("flat", True, 1)
