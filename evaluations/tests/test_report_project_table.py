"""项目支出绩效自评表 as PDF and Excel: the published seed tables come out with every label, row and number."""

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

import pytest

from budgets.models import Project
from evaluations.demo import DEMO_DATA_DIR, load_demo
from evaluations.reports.project_table import (
    SICHUAN_BUDGET_HINT,
    SICHUAN_GOAL_HINT,
    build_project_table,
    project_table_pdf,
    project_table_xlsx,
)
from indicators.parsing import is_layout_row
from policy.locks import year_unlocked

pytestmark = pytest.mark.django_db

NATIONAL_PROJECTS = ["老字号", "城乡居民基本养老保险"]
SICHUAN_PROJECTS = [
    "人才发展资金",
    "社保公共服务能力建设资金",
    "基层就业和社会保障中心标准化建设项目（2023）",
    "基层就业和社会保障服务设施建设项目（2023）",
    "人事档案管理费（2023）",
    "人事考试考务费（2023）",
    "社保卡“一卡通”网络服务费（2022年、2023年）",
]
# 一级 cells as seed 001 prints them (the national profile fixes their points).
NATIONAL_LEVEL1 = {"产出指标": "产出指标(50分)", "效益指标": "效益指标(30分)", "满意度指标": "满意度指标(10分)"}


# Published values, typed so that the Excel check compares numbers and the PDF check compares printed text.
@dataclass(frozen=True)
class Amount:
    value: Decimal

    def printed(self):
        return f"{self.value:,.2f}"


@dataclass(frozen=True)
class Rate:
    value: Decimal  # a fraction

    def printed(self):
        return f"{self.value * 100:.2f}%"


@dataclass(frozen=True)
class Points:
    value: Decimal

    def printed(self):
        return format(self.value.normalize(), "f")


def _amount(text):
    return None if text is None else Amount(Decimal(text))


def _rate(text):
    return None if text is None else Rate(Decimal(text.rstrip("%")) / 100)


def _points(text):
    return None if text is None else Points(Decimal(text))


def _text(value):
    return value


# Seed 004 prints 指标性质 in full width (＝, ＞); the demo data holds the normalised sign.
SEED_004_SIGNS = {"=": "＝", ">": "＞", "<": "＜"}


def _sign(value):
    return SEED_004_SIGNS.get(value, value)


def _present(values):
    return [v for v in values if v not in (None, "")]


def _seed_row(seed, name):
    data = json.loads((DEMO_DATA_DIR / f"seed_{seed}.json").read_text(encoding="utf-8"))
    return next(row for row in data["projects"] if row["name"] == name), data["fiscal_year"]


def _spans(keys):
    """True at the first row of each run of equal keys (where a merged cell starts)."""
    return [n == 0 or keys[n] != keys[n - 1] for n in range(len(keys))]


def _indicator_rows(row, columns, level1_label=lambda name: name):
    indicators = row["indicators"]
    first1 = _spans([ind["level1"] for ind in indicators])
    first2 = _spans([(ind["level1"], ind["level2"]) for ind in indicators])
    return [
        _present(
            [level1_label(ind["level1"]) if first1[n] else None, ind["level2"] if first2[n] else None]
            # A category printed with nothing under it (no name, no weight) is layout: the table prints the
            # category alone, not the stray "达成预期指标 / 0" a published table left beside it.
            + ([] if is_layout_row(ind["name"], ind["weight"]) else [columns[key](ind[key]) for key in columns])
        )
        for n, ind in enumerate(indicators)
    ]


def expected_national(name):
    row, year = _seed_row("001", name)
    total = row["total_row"]
    budget_header = [
        "项目资金（万元）",
        "年初预算数",
        "全年预算数（A）",
        "全年执行数（B）",
        "分值",
        "执行率（B/A）",
        "得分",
    ]
    stated = [_points(total["weight"]), _rate(total["rate"]), _points(total["score"])]
    funds = []
    for n, fund in enumerate(row["funds"]):
        amounts = [_amount(fund[k]) for k in ("initial", "adjusted", "executed")]
        label = f"其中：{fund['source']}" if n == 0 else fund["source"]
        # Seed 001 repeats the total row's 分值, 执行率 and 得分 on the source that carries the budget.
        funds.append(_present([label, *amounts, *(stated if fund["adjusted"] else [])]))
    columns = {
        "name": _text,
        "target": _text,
        "actual": _text,
        "weight": _points,
        "score": _points,
        "deviation_reason": _text,
    }
    return [
        ["项目支出绩效自评表"],
        [f"（{year}年度）"],
        ["项目名称", row["name"]],
        ["主管部门", row["department"], "实施单位", row["unit"]],
        budget_header,
        _present(["年度资金总额：", *(_amount(total[k]) for k in ("initial", "adjusted", "executed")), *stated]),
        *funds,
        ["年度总体目标完成情况", "预期目标", "实际完成情况"],
        [row["goal_expected"], row["goal_actual"]],
        ["年度绩效指标完成情况"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        *_indicator_rows(row, columns, NATIONAL_LEVEL1.get),
        ["总分", _points(row["published_total_weight"]), _points(row["published_total"])],
        *([[row["summary"]]] if row["summary"] else []),
    ]


def expected_sichuan(name):
    row, year = _seed_row("004", name)
    total = row["total_row"]
    funds = []
    for n, fund in enumerate(row["funds"]):
        amounts = [_amount(fund[k]) for k in ("initial", "adjusted", "executed")]
        label = f"其中：{fund['source']}" if n == 0 else fund["source"]
        if fund["adjusted"] is None:
            rate = None
        elif fund["adjusted"] == total["adjusted"]:
            rate = _rate(total["rate"])  # the source carrying the whole budget repeats the stated rate
        else:
            rate = Rate(Decimal(0))  # the Sichuan form prints 0.00% for an empty source
        funds.append(_present([label, *amounts, rate, "/", "/"]))
    columns = {
        "name": _text,
        "sign": _sign,
        "target": _text,
        "unit": _text,
        "actual": _text,
        "weight": _points,
        "score": _points,
        "deviation_reason": _text,
    }
    return [
        [f"部门预算项目支出绩效自评表（{year}年度）"],
        ["项目名称", f"{row['code']}-{row['name']}"],
        ["主管部门", row["department"], "实施单位（盖章）", row["unit"]],
        ["项目基本情况", "1.项目年度目标完成情况"],
        ["项目年度目标", "年度目标完成情况"],
        [row["goal_expected"], row["goal_actual"] or SICHUAN_GOAL_HINT],
        ["2.项目实施内容及过程概述", row["content"]],
        [
            f"预算执行情况（{_points(total['weight']).printed()}分）",
            "年度预算数（万元）",
            "年初预算",
            "调整后预算数",
            "预算执行数",
            "预算执行率",
            "权重",
            "得分",
            "原因",
        ],
        [
            "总额",
            *(_amount(total[k]) for k in ("initial", "adjusted", "executed")),
            _rate(total["rate"]),
            _points(total["weight"]),
            _points(total["score"]),
            row["execution_reason"] or SICHUAN_BUDGET_HINT,
        ],
        *funds,
        ["绩效指标（90分）"],
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "指标值",
            "度量单位",
            "完成值",
            "权重",
            "得分",
            "未完成原因分析",
        ],
        *_indicator_rows(row, columns),
        ["合计", _points(row["published_total_weight"]), _points(row["published_total"])],
        ["评价结论", row["conclusion"]],
        ["存在问题", row["problems"]],
        ["改进措施", row["improvements"]],
        [f"项目负责人：{row['manager']}", f"财务负责人：{row['finance_manager']}"],
    ]


def _as_excel(value):
    if isinstance(value, Amount | Rate | Points):
        return value.value.normalize()
    return value


def _sheet_rows(xlsx: bytes):
    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(xlsx)).active
    rows = []
    for cells in ws.iter_rows():
        values = [
            Decimal(str(c.value)).normalize() if isinstance(c.value, int | float) else c.value
            for c in cells
            if c.value not in (None, "")
        ]
        if values:
            rows.append(values)
    return rows


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages))


def _printed(value) -> str:
    text = value.printed() if isinstance(value, Amount | Rate | Points) else value
    return re.sub(r"\s+", "", text)


def _project(name):
    return Project.objects.get(name=name)


@pytest.fixture
def demo(db):
    return load_demo()


@pytest.mark.parametrize("name", NATIONAL_PROJECTS)
def test_the_national_excel_table_holds_every_cell_of_seed_001(demo, name):
    rows = _sheet_rows(project_table_xlsx(_project(name)))

    assert rows == [[_as_excel(v) for v in row] for row in expected_national(name)]


@pytest.mark.parametrize("name", SICHUAN_PROJECTS)
def test_the_sichuan_excel_table_holds_every_cell_of_seed_004(demo, name):
    rows = _sheet_rows(project_table_xlsx(_project(name)))

    assert rows == [[_as_excel(v) for v in row] for row in expected_sichuan(name)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [(name, expected_national) for name in NATIONAL_PROJECTS] + [(name, expected_sichuan) for name in SICHUAN_PROJECTS],
)
def test_the_pdf_prints_every_label_and_number_of_the_seed_table(demo, name, expected):
    text = _pdf_text(project_table_pdf(_project(name)))

    missing = [_printed(v) for row in expected(name) for v in row if _printed(v) not in text]

    assert missing == []


def test_the_pdf_has_page_numbers_and_fits_a_seed_table_on_one_a4_portrait_page(demo):
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(project_table_pdf(_project("人才发展资金"))))

    page = reader.pages[0]
    assert (len(reader.pages), round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (1, 595, 842)
    assert "第1页共1页" in re.sub(r"\s+", "", page.extract_text())


def test_amounts_print_with_two_decimals_and_thousands_separators(demo):
    text = _pdf_text(project_table_pdf(_project("城乡居民基本养老保险")))

    assert (text.count("1,010.00"), text.count("1010.00")) == (6, 0)


def test_the_excel_cells_carry_the_amount_and_rate_formats_and_merge_the_level1_column(demo):
    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(project_table_xlsx(_project("老字号")))).active
    total_row = next(r for r in ws.iter_rows() if r[1].value == "年度资金总额：")

    assert [total_row[n].number_format for n in (2, 3, 4, 6)] == ["#,##0.00", "#,##0.00", "#,##0.00", "0.00%"]
    merged = sorted(str(r) for r in ws.merged_cells.ranges if r.min_col == 1 and r.max_col == 1 and r.min_row > 10)
    assert merged == ["A14:A17", "A18:A21"]
    assert (str(ws.page_setup.paperSize), ws.page_setup.orientation) == (ws.PAPERSIZE_A4, "portrait")


def test_published_slips_stay_as_published_and_the_computed_values_are_flagged(demo):
    table = build_project_table(_project("城乡居民基本养老保险"))

    total = table.budget_rows[0]
    assert (total.score, total.computed_score, table.total_score, table.computed_total) == (
        Decimal("100.00"),
        Decimal("10.00"),
        Decimal("97.50"),
        Decimal("100.00"),
    )
    assert table.flags == [
        "填报预算执行得分 100 与计算的 10 不一致",
        "填报总分 97.5 与按规则计算的 100 不一致",
    ]


def test_a_stated_execution_rate_is_printed_and_the_computed_one_kept_beside_it(demo):
    table = build_project_table(_project("社保公共服务能力建设资金"))

    total = table.budget_rows[0]
    assert (total.rate_text, f"{total.computed_rate:.4f}", total.score_text, total.computed_score) == (
        "14.50%",
        "0.1452",
        "10",
        Decimal("1.45"),
    )


def test_the_level1_cell_shows_the_profile_points_only_where_the_profile_fixes_them(demo):
    national = build_project_table(_project("老字号"))
    sichuan = build_project_table(_project("人才发展资金"))

    assert [r.level1 for r in national.indicator_rows if r.level1_rowspan] == list(NATIONAL_LEVEL1.values())
    assert [r.level1 for r in sichuan.indicator_rows if r.level1_rowspan] == [
        "产出指标",
        "效益指标",
        "满意度指标",
        "成本指标",
    ]


def test_an_indicator_named_like_a_formula_comes_back_as_text(demo):
    from openpyxl import load_workbook

    project = _project("老字号")
    # The demo year is published (locked): the test's own data change passes the lock explicitly.
    with year_unlocked(project.fiscal_year):
        project.indicators.filter(name="运转保障率").update(name="=1+1")

    workbook = project_table_xlsx(project)

    cells = [c for row in load_workbook(BytesIO(workbook)).active.iter_rows() for c in row if c.value == "=1+1"]
    assert [(c.data_type, c.column, c.quotePrefix) for c in cells] == [("s", 3, True)]
    assert "=1+1" in _pdf_text(project_table_pdf(project))


def test_a_project_without_evaluation_or_indicators_prints_empty_cells_not_none(demo):
    project = _project("老字号")
    with year_unlocked(project.fiscal_year):
        project.evaluation.delete()
        project.indicators.all().delete()

    text = _pdf_text(project_table_pdf(project))
    rows = _sheet_rows(project_table_xlsx(project))

    assert ("None" in text, "—" in text) == (False, False)
    assert rows[-2:] == [["总分", Decimal(100)], [project.summary]]
