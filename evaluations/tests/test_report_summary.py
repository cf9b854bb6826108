"""市级财政支出绩效自评结果汇总表 (seed 000): the builder, the PDF and Excel renderers, and `export_report`."""

import html
import re
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from evaluations.demo import load_demo
from evaluations.models import DepartmentEvaluation, ProjectEvaluation
from evaluations.reports.summary import SummaryRow, SummarySheet, build_summary, summary_pdf, summary_xlsx
from evaluations.tests.factories import (
    DepartmentEvaluationFactory,
    FinanceReviewFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

SEEDS_DIR = Path(__file__).resolve().parents[3] / "shared" / "seeds"
DEPARTMENT = "东莞市人力资源和社会保障局"
HEADER_ROW = 3
SUBMITTED = ProjectEvaluation.Status.SUBMITTED


def _seed_000_rows():
    """(序号, 主管部门, 预算单位, 项目名称, 自评结果, 财政抽查审核结果, first opinion paragraph) of the seed file."""
    paths = sorted(SEEDS_DIR.glob("000_*.txt"))
    if not paths:
        pytest.skip(f"seed 000 is not available next to the repository ({SEEDS_DIR})")
    rows = []
    for line in paths[0].read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) != 7 or fields[0] == "序号":
            continue
        number, department, unit, name, self_grade, finance_grade, opinion = (f.strip() for f in fields)
        paragraphs = re.findall(r"<p>(.*?)</p>", opinion) or ([opinion] if opinion else [])
        first = html.unescape(paragraphs[0]).strip() if paragraphs else ""
        rows.append((int(number), department, unit, name, self_grade, finance_grade, first))
    return rows


def _export(tmp_path, *args, file_format):
    output = tmp_path / f"summary.{file_format}"
    call_command("export_report", *args, "--format", file_format, "--output", str(output))
    return output.read_bytes()


def _xlsx_rows(content):
    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(content)).active
    return ws, [
        tuple("" if v is None else v for v in row) for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
    ]


def _pdf_pages(content):
    from pypdf import PdfReader

    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(BytesIO(content)).pages]


@pytest.fixture
def demo(db):
    return load_demo()


def test_the_excel_summary_of_the_demo_department_is_seed_000_row_by_row(demo, tmp_path):
    seed = _seed_000_rows()

    content = _export(tmp_path, "summary", "--year", "2024", "--department", DEPARTMENT, file_format="xlsx")

    ws, rows = _xlsx_rows(content)
    exported = [(*row[:6], row[6].split("\n")[0] if row[6] else "") for row in rows]
    assert exported == seed
    assert [ws["A1"].value, ws["A2"].value, [c.value for c in ws[HEADER_ROW]]] == [
        "2024年度市级财政支出绩效自评结果汇总表",
        f"部门(单位)：{DEPARTMENT}",
        ["序号", "主管部门", "预算单位", "项目名称", "自评结果", "财政抽查审核结果", "财政抽查审核意见"],
    ]


def test_the_excel_summary_is_laid_out_for_printing(demo, tmp_path):
    content = _export(tmp_path, "summary", "--year", "2024", "--department", DEPARTMENT, file_format="xlsx")

    ws, rows = _xlsx_rows(content)
    last = HEADER_ROW + len(rows)
    unframed = [
        cell.coordinate
        for row in ws.iter_rows(min_row=HEADER_ROW, max_row=last)
        for cell in row
        if not (
            cell.border.left.style and cell.border.right.style and cell.border.top.style and cell.border.bottom.style
        )
    ]
    assert {
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "frozen": ws.freeze_panes,
        "print_titles": ws.print_title_rows,
        "orientation": ws.page_setup.orientation,
        "paper": ws.page_setup.paperSize,
        "header_bold": all(c.font.b for c in ws[HEADER_ROW]),
        "header_filled": all(c.fill.fgColor.rgb[-6:] == "D9E1F2" for c in ws[HEADER_ROW]),
        "opinion_wraps": ws.cell(row=HEADER_ROW + 1, column=7).alignment.wrap_text,
        "unframed": unframed,
        "number_narrower_than_opinion": ws.column_dimensions["A"].width < ws.column_dimensions["G"].width,
    } == {
        "merged": ["A1:G1", "A2:G2"],
        "frozen": "A4",
        "print_titles": "$3:$3",
        "orientation": "landscape",
        "paper": int(ws.PAPERSIZE_A4),
        "header_bold": True,
        "header_filled": True,
        "opinion_wraps": True,
        "unframed": [],
        "number_narrower_than_opinion": True,
    }


def test_the_pdf_summary_of_the_demo_department_prints_every_row_under_a_repeated_header(demo, tmp_path):
    seed = _seed_000_rows()

    content = _export(tmp_path, "summary", "--year", "2024", "--department", DEPARTMENT, file_format="pdf")

    pages = _pdf_pages(content)
    text = "".join(pages)
    total = len(pages)
    missing_names = [row[3] for row in seed if re.sub(r"\s+", "", row[3]) not in text]
    missing_openings = [row[6] for row in seed if row[6] and re.sub(r"\s+", "", row[6])[:30] not in text]
    assert {
        "title_on_first_page": "2024年度市级财政支出绩效自评结果汇总表" in pages[0],
        "organisation_on_first_page": f"部门(单位)：{DEPARTMENT}" in pages[0],
        "headers_per_page": [page.count("序号") for page in pages],
        "footers": [re.search(r"第\d+页共\d+页", page).group() for page in pages],
        "missing_names": missing_names,
        "missing_openings": missing_openings,
    } == {
        "title_on_first_page": True,
        "organisation_on_first_page": True,
        "headers_per_page": [1] * total,
        "footers": [f"第{n}页共{total}页" for n in range(1, total + 1)],
        "missing_names": [],
        "missing_openings": [],
    }
    assert total > 1


def test_a_project_name_that_looks_like_a_formula_comes_back_as_text(org, year):
    from openpyxl import load_workbook

    project = ProjectFactory(fiscal_year=year, unit=org.unit, name='=HYPERLINK("http://x","点击")', sort_order=1)
    ProjectEvaluationFactory(project=project, claimed_grade="优", status=SUBMITTED)

    content = summary_xlsx(build_summary(fiscal_year=year, department=org.department))

    cell = load_workbook(BytesIO(content)).active.cell(row=HEADER_ROW + 1, column=4)
    assert (cell.value, cell.data_type, cell.quotePrefix) == ('=HYPERLINK("http://x","点击")', "s", True)


def test_the_department_filter_leaves_out_other_departments(org, year):
    ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=year, unit=org.unit, name="日常办学经费"), status=SUBMITTED
    )
    ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=year, unit=org.foreign_unit, name="实验中学项目"), status=SUBMITTED
    )

    sheet = build_summary(fiscal_year=year, department=org.department)

    assert (sheet.organisation_line, [(r.department, r.unit, r.project_name) for r in sheet.rows]) == (
        f"部门(单位)：{DEPARTMENT}",
        [(DEPARTMENT, "东莞市技师学院", "日常办学经费")],
    )


def test_the_whole_city_summary_goes_department_by_department_under_the_bureau(org, year):
    ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=year, unit=org.unit, name="日常办学经费"), status=SUBMITTED
    )
    ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=year, unit=org.foreign_unit, name="实验中学项目"), status=SUBMITTED
    )

    sheet = build_summary(fiscal_year=year)

    assert (sheet.organisation_line, [(r.number, r.department, r.project_name) for r in sheet.rows]) == (
        "部门(单位)：东莞市财政局",
        [(1, DEPARTMENT, "日常办学经费"), (2, "东莞市教育局", "实验中学项目")],
    )


def test_rows_follow_the_explicit_order_then_go_unit_by_unit_with_the_department_wide_row_of_its_own(org, year):
    ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=year, unit=org.unit, name="乙项目"), claimed_grade="良", status=SUBMITTED
    )
    ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=year, unit=org.other_unit, name="甲项目", sort_order=3),
        claimed_grade="优",
        status=SUBMITTED,
    )
    ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=year, unit=org.department, name="丙项目"), status=SUBMITTED
    )
    DepartmentEvaluationFactory(
        fiscal_year=year,
        department=org.department,
        claimed_grade="良",
        sort_order=1,
        status=DepartmentEvaluation.Status.SUBMITTED,
    )

    sheet = build_summary(fiscal_year=year, department=org.department)

    assert [(r.number, r.unit, r.project_name, r.self_grade) for r in sheet.rows] == [
        (1, DEPARTMENT, "部门整体支出绩效自评", "良"),
        (2, "东莞市社会保险基金管理中心", "甲项目", "优"),
        (3, DEPARTMENT, "丙项目", ""),
        (4, "东莞市技师学院", "乙项目", "良"),
    ]


def test_only_completed_reviews_still_in_the_sample_show_a_finance_result(org, year):
    reviews = {
        "已完成": {"status": "completed", "grade": "良", "opinion_html": "<p>一、执行</p><p>二、建议</p>"},
        "审核中": {"status": "draft", "grade": "", "opinion_html": "<p>草稿意见</p>"},
        "已移出": {"status": "completed", "grade": "中", "opinion_html": "<p>移出</p>", "excluded": True},
    }
    for order, (name, review) in enumerate(reviews.items(), start=1):
        evaluation = ProjectEvaluationFactory(
            project=ProjectFactory(fiscal_year=year, unit=org.unit, name=name, sort_order=order),
            status=ProjectEvaluation.Status.APPROVED,
        )
        FinanceReviewFactory(evaluation=evaluation, **review)

    sheet = build_summary(fiscal_year=year, department=org.department)

    assert [(r.project_name, r.finance_grade, r.opinion_html, r.opinion_paragraphs) for r in sheet.rows] == [
        ("已完成", "良", "<p>一、执行</p><p>二、建议</p>", ("一、执行", "二、建议")),
        ("审核中", "", "", ()),
        ("已移出", "", "", ()),
    ]


def test_only_records_that_reached_submission_are_rows_of_the_sheet(org, year):
    Status = ProjectEvaluation.Status
    for order, status in enumerate(Status.values, start=1):
        ProjectEvaluationFactory(
            project=ProjectFactory(fiscal_year=year, unit=org.unit, name=f"项目-{status}", sort_order=order),
            status=status,
            return_reason="退回" if status == Status.RETURNED else "",
        )
    ProjectFactory(fiscal_year=year, unit=org.unit, name="没有自评的项目")
    DepartmentEvaluationFactory(
        fiscal_year=year, department=org.department, status=DepartmentEvaluation.Status.UNSUBMITTED
    )

    sheet = build_summary(fiscal_year=year, department=org.department)

    assert [row.project_name for row in sheet.rows] == [
        "项目-submitted",
        "项目-approved",
        "项目-spot_checked",
        "项目-published",
        "项目-incomplete",
    ]


def test_a_reader_who_may_not_see_finance_results_gets_both_finance_columns_as_not_published(org, year):
    evaluation = ProjectEvaluationFactory(
        project=ProjectFactory(fiscal_year=year, unit=org.unit, name="已抽查项目"),
        status=ProjectEvaluation.Status.SPOT_CHECKED,
        claimed_grade="优",
    )
    FinanceReviewFactory(evaluation=evaluation, status="completed", grade="良", opinion_html="<p>审核意见正文</p>")

    sheet = build_summary(fiscal_year=year, department=org.department, finance_results=False)

    _, rows = _xlsx_rows(summary_xlsx(sheet))
    pdf_text = "".join(_pdf_pages(summary_pdf(sheet)))
    assert (rows, "审核意见正文" in pdf_text, "已抽查项目优未公开未公开" in pdf_text) == (
        [(1, DEPARTMENT, "东莞市技师学院", "已抽查项目", "优", "未公开", "未公开")],
        False,
        True,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2024", "--department", "东莞市不存在局"], "2024 年度没有名为“东莞市不存在局”的主管部门。"),
        (["--year", "2031", "--department", DEPARTMENT], "没有 2031 年度的数据。"),
        (
            ["--year", "2024"],
            "2024 年度有多个财政局：东莞市财政局、广州市番禺区财政局、烈山区财政局。"
            "请用 --bureau 或 --department 指定。",
        ),
        (["--year", "2024", "--bureau", "东莞市财政局", "--project", "1"], "--project 只用于 project-table"),
    ],
)
def test_the_summary_export_refuses_unknown_or_ambiguous_choices_in_chinese(demo, tmp_path, args, message):
    with pytest.raises(CommandError) as raised:
        _export(tmp_path, "summary", *args, file_format="pdf")

    assert str(raised.value).startswith(message)


def test_the_bureau_option_picks_the_whole_city_summary(demo, tmp_path):
    content = _export(tmp_path, "summary", "--year", "2024", "--bureau", "东莞市财政局", file_format="xlsx")

    ws, rows = _xlsx_rows(content)
    assert (ws["A2"].value, len(rows)) == ("部门(单位)：东莞市财政局", 36)


def test_a_project_table_export_names_the_candidates_when_the_project_is_ambiguous(demo, tmp_path):
    with pytest.raises(CommandError) as raised:
        _export(
            tmp_path,
            "project-table",
            "--year",
            "2024",
            "--department",
            DEPARTMENT,
            "--project",
            "中职学校国家助学金",
            file_format="pdf",
        )

    assert re.sub(r"\d+ ", "N ", str(raised.value)) == (
        "“中职学校国家助学金”对应 N 个项目，请改用编号："
        "N 中职学校国家助学金（东莞市人力资源和社会保障局）；N 中职学校国家助学金（东莞市技师学院）"
    )


def _long_sheet(count):
    """A sheet of ``count`` rows with opinions of one to five paragraphs, some with digits and percentages."""
    paragraphs = (
        "一、项目资金到位及时，预算执行率达到97.45%，资金使用符合相关管理办法规定，会计核算规范，未发现截留挤占挪用资金的情况。",
        "二、绩效目标设定基本明确，产出指标与效益指标能够反映项目实施内容，但部分指标值设置偏低。",
        "三、自评报告内容较为完整，佐证材料基本齐全，但满意度调查样本数量偏少（仅30份），建议进一步规范调查程序。",
    )
    rows = []
    for number in range(1, count + 1):
        opinion = tuple(paragraphs[(number + k) % 3] for k in range(1 + number % 5))
        rows.append(
            SummaryRow(
                number=number,
                department="东莞市某主管部门",
                unit=f"东莞市某主管部门下属第{number % 7}单位",
                project_name=f"第{number:04d}号重点民生项目",
                self_grade="优",
                finance_grade="良",
                opinion_html="".join(f"<p>{p}</p>" for p in opinion),
                opinion_paragraphs=opinion,
            )
        )
    return SummarySheet(
        fiscal_year=2024,
        title="2024年度市级财政支出绩效自评结果汇总表",
        organisation_line="部门(单位)：东莞市财政局",
        rows=tuple(rows),
    )


def test_a_long_summary_laid_out_in_parallel_chunks_reads_as_one_document(settings, monkeypatch):
    """Past PARALLEL_MIN_ROWS the PDF is laid out in chunks on two processes: planned pages, so no chunk ends
    on a part-empty page, every row once and in order, one header a page, numbers running on."""
    from evaluations.reports import summary
    from evaluations.reports.pdf import render_pdf

    sheet = _long_sheet(120)
    one_call = _pdf_pages(render_pdf("reports/summary.html", summary._context(sheet)))
    monkeypatch.setattr(summary, "PARALLEL_MIN_ROWS", 50)
    monkeypatch.setattr(summary, "CHUNK_PAGES", 5)

    pages = _pdf_pages(summary.summary_pdf(sheet))

    total = len(pages)
    names = [re.findall(r"第(\d{4})号重点民生项目", page) for page in pages]
    assert {
        "title_pages": [n for n, page in enumerate(pages, 1) if sheet.title in page],
        "headers_per_page": [page.count("财政抽查审核意见") for page in pages],
        "footers": [re.search(r"第\d+页共\d+页", page).group() for page in pages],
        "rows_in_order": [int(n) for page in names for n in page],
        "pages_as_planned": total == len(summary.plan_pages(sheet)),
        "at_most_one_page_more_than_one_call": total <= len(one_call) + 1,
    } == {
        "title_pages": [1],
        "headers_per_page": [1] * total,
        "footers": [f"第{n}页共{total}页" for n in range(1, total + 1)],
        "rows_in_order": list(range(1, 121)),
        "pages_as_planned": True,
        "at_most_one_page_more_than_one_call": True,
    }
