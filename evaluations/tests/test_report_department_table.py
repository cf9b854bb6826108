"""部门整体支出绩效自评表 as PDF and Excel: the published seed score sheets come out with every item and score."""

import json
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.management import CommandError, call_command

from evaluations.demo import DEMO_DATA_DIR, load_demo
from evaluations.models import DepartmentEvaluation
from evaluations.reports.department_table import (
    build_department_table,
    department_table_pdf,
    department_table_xlsx,
)
from policy.locks import year_unlocked

pytestmark = pytest.mark.django_db

ANJU = "遂宁市安居区人力资源和社会保障局"
PANYU = "广州市番禺区人力资源和社会保障局"
LABELS = [
    "部门整体支出绩效自评表",
    "主管部门",
    "部门预算资金（万元）",
    "年初预算数",
    "全年预算数",
    "全年执行数",
    "其中：基本支出",
    "其中：项目支出",
    "预算执行率",
    "年度总体目标",
    "绩效指标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标分值",
    "指标解释",
    "计分标准",
    "自评得分",
    "备注",
    "合计",
    "履职效能",
    "管理效率",
    "评价结论",
    "存在问题",
    "改进措施",
]


def _seed_items(seed: str, department: str) -> list[dict]:
    data = json.loads((DEMO_DATA_DIR / f"seed_{seed}.json").read_text(encoding="utf-8"))
    (evaluation,) = [e for e in data["department_evaluations"] if e["department"] == department]
    return evaluation["items"]


def _points(text):
    return None if text is None else Decimal(text)


def _with_points(name, points):
    return name if points is None else f"{name}（{format(Decimal(points).normalize(), 'f')}分）"


def _completed(items, evaluation):
    """The seed's items, with the points seed 003 does not print taken from the profile's indicator system."""
    indicators = {i.name: i for i in evaluation.fiscal_year.profile.department_indicators.all()}
    completed = []
    for item in items:
        indicator = indicators[item["name"]]
        completed.append(
            item
            | {
                "points": item["points"] or str(indicator.points),
                "level2_points": item["level2_points"] or str(indicator.level2_points),
            }
        )
    return completed


def _expected_rows(items):
    """(一级, 二级, 三级, 分值, 自评得分) per item as Excel holds them: merged cells only on their first row."""
    rows, previous = [], (None, None)
    for item in items:
        level1 = _with_points(item["level1"], item["level1_points"])
        level2 = _with_points(item["level2"], item["level2_points"])
        rows.append(
            (
                level1 if item["level1"] != previous[0] else None,
                level2 if (item["level1"], item["level2"]) != previous else None,
                item["name"],
                _points(item["points"]),
                _points(item["score"]),
            )
        )
        previous = (item["level1"], item["level2"])
    return rows


def _evaluation(department):
    return DepartmentEvaluation.objects.get(department__name=department)


def _worksheet(content):
    from openpyxl import load_workbook

    return load_workbook(BytesIO(content)).active


def _item_rows(ws, count):
    """The score sheet's item rows: those below the 一级指标 header row."""
    (header_row,) = [row[0].row for row in ws.iter_rows() if row[0].value == "一级指标"]
    rows = []
    for row in ws.iter_rows(min_row=header_row + 1, max_row=header_row + count, max_col=7, values_only=True):
        level1, level2, name, points, _, _, score = row
        rows.append((level1, level2, name, None if points is None else Decimal(str(points)), score))
    return [(a, b, c, d, None if e is None else Decimal(str(e))) for a, b, c, d, e in rows]


def _pdf_text(content):
    from pypdf import PdfReader

    return "".join(re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(BytesIO(content)).pages)


@pytest.fixture
def demo(db):
    return load_demo()


@pytest.mark.parametrize(("seed", "department"), [("004", ANJU), ("003", PANYU)])
def test_the_excel_score_sheet_holds_every_item_of_the_seed(demo, seed, department):
    evaluation = _evaluation(department)
    items = _completed(_seed_items(seed, department), evaluation)

    ws = _worksheet(department_table_xlsx(evaluation))

    assert _item_rows(ws, len(items)) == _expected_rows(items)


@pytest.mark.parametrize(("seed", "department"), [("004", ANJU), ("003", PANYU)])
def test_the_pdf_prints_every_label_item_and_score(demo, seed, department):
    evaluation = _evaluation(department)
    items = _completed(_seed_items(seed, department), evaluation)
    table = build_department_table(evaluation)

    text = _pdf_text(department_table_pdf(evaluation))

    expected = [*LABELS, department, table.total_score_text]
    for item in items:
        expected += [item["name"], _with_points(item["level1"], item["level1_points"])]
        expected += [_with_points(item["level2"], item["level2_points"])]
        expected += [format(Decimal(item["points"]).normalize(), "f")]
        expected += [format(Decimal(item["score"]).normalize(), "f")] if item["score"] else []
    assert [label for label in expected if label not in text] == []


def test_the_anju_table_carries_the_budget_block_and_the_stated_total(demo):
    table = build_department_table(_evaluation(ANJU))

    assert (
        [(f.label, f.text) for f in table.budget + table.breakdown],
        table.execution_rate_text,
        table.total_points_text,
        table.total_score_text,
        table.total_note,
    ) == (
        [
            ("年初预算数", "978.11"),
            ("全年预算数", "978.11"),
            ("全年执行数", "978.11"),
            ("其中：基本支出", "725.15"),
            ("其中：项目支出", "252.96"),
        ],
        "100.00%",
        "100",
        "89",
        "自评准确由财政评价组打分，部门自评满分 90 分。",
    )


def test_the_excel_budget_block_keeps_amounts_numeric_with_two_decimals(demo):
    ws = _worksheet(department_table_xlsx(_evaluation(ANJU)))

    (label_row,) = [row[0].row for row in ws.iter_rows() if row[0].value == "部门预算资金（万元）"]
    amounts = [ws.cell(row=label_row + 1, column=c) for c in (2, 4, 6)]
    rate = ws.cell(row=label_row + 1, column=7)
    assert [(c.value, c.number_format) for c in amounts] + [(rate.value, rate.number_format)] == [
        (978.11, "#,##0.00"),
        (978.11, "#,##0.00"),
        (978.11, "#,##0.00"),
        (1, "0.00%"),
    ]


def test_a_stated_total_that_differs_from_the_lines_is_printed_graded_and_noted(demo):
    table = build_department_table(_evaluation(PANYU))

    assert (table.total_score_text, table.grade, table.total_note) == ("99.66", "优", "各项自评得分合计 73.66 分。")


def test_a_note_that_looks_like_a_formula_comes_back_as_text(demo):
    evaluation = _evaluation(ANJU)
    item = evaluation.score_items.order_by("indicator__order").first()
    item.note = "=1+1"
    # The demo year is published (locked): the test's own data change passes the lock explicitly.
    with year_unlocked(evaluation.fiscal_year):
        item.save(update_fields=["note"])

    ws = _worksheet(department_table_xlsx(evaluation))

    notes = [row[7] for row in ws.iter_rows() if row[7].value and "1+1" in str(row[7].value)]
    assert [(cell.value, cell.data_type, cell.quotePrefix) for cell in notes] == [("=1+1", "s", True)]


@pytest.mark.parametrize("file_format", ["pdf", "xlsx"])
def test_the_command_writes_the_department_table(demo, tmp_path, file_format):
    output = tmp_path / f"department.{file_format}"

    call_command(
        "export_report", "department-table", "--year", "2023", "--department", ANJU,
        "--format", file_format, "--output", str(output),
    )  # fmt: skip

    content = output.read_bytes()
    if file_format == "pdf":
        assert (content[:5], "安居区人力资源和社会保障局" in _pdf_text(content)) == (b"%PDF-", True)
    else:
        assert _worksheet(content).cell(row=2, column=2).value == ANJU


def test_the_command_needs_a_department(demo, tmp_path):
    with pytest.raises(CommandError, match="须用 --department 指定主管部门"):
        call_command(
            "export_report", "department-table", "--year", "2023", "--format", "pdf",
            "--output", str(tmp_path / "x.pdf"),
        )  # fmt: skip


def test_the_command_refuses_a_department_without_an_evaluation_that_year(demo, tmp_path):
    with pytest.raises(CommandError, match="“烈山区人社局”没有 2024 年度的部门整体支出绩效自评。"):
        call_command(
            "export_report", "department-table", "--year", "2024", "--department", "烈山区人社局",
            "--format", "pdf", "--output", str(tmp_path / "x.pdf"),
        )  # fmt: skip
