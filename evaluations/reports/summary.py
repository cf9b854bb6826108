"""市级财政支出绩效自评结果汇总表 (附件2, seed 000): one builder, a PDF and an Excel renderer that only lay it out."""

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from accounts.models import Organisation
from budgets.models import FiscalYear, Project
from evaluations.models import DepartmentEvaluation, FinanceReview
from evaluations.richtext import opinion_paragraphs, sanitise_opinion

from .excel import a4_print_setup, safe_text, thin_border
from .pdf import render_pdf

# 项目名称 of the department-wide self-evaluation's row (seed 000, row 1).
DEPARTMENT_WIDE_NAME = "部门整体支出绩效自评"
HEADERS = ("序号", "主管部门", "预算单位", "项目名称", "自评结果", "财政抽查审核结果", "财政抽查审核意见")


@dataclass(frozen=True)
class SummaryRow:
    number: int  # 序号 as printed: 1..n
    department: str  # 主管部门
    unit: str  # 预算单位
    project_name: str
    self_grade: str  # 自评结果
    finance_grade: str  # 财政抽查审核结果 (empty unless a completed, non-excluded review)
    opinion_html: str  # 财政抽查审核意见, sanitised
    opinion_paragraphs: tuple[str, ...]

    @property
    def cells(self) -> tuple:
        """The seven columns as laid out in Excel (the opinion as its paragraphs on separate lines)."""
        return (
            self.number,
            self.department,
            self.unit,
            self.project_name,
            self.self_grade,
            self.finance_grade,
            "\n".join(self.opinion_paragraphs),
        )


@dataclass(frozen=True)
class SummarySheet:
    fiscal_year: int
    title: str
    organisation_line: str  # 部门(单位)：…
    rows: tuple[SummaryRow, ...]
    headers: tuple[str, ...] = HEADERS


def _review_result(excluded, status, grade, opinion_html) -> tuple[str, str]:
    """(grade, sanitised opinion) of a review that counts: completed and still in the sample (None: no review)."""
    if status is None or excluded or status != FinanceReview.Status.COMPLETED:
        return "", ""
    return grade, sanitise_opinion(opinion_html)


@dataclass(frozen=True)
class _Org:
    """The two fields of an Organisation the sheet needs (read with values_list: no model instances)."""

    pk: int
    name: str


def _order_key(*, department, unit, sort_order, department_wide, name, pk):
    """Department by department; inside one, explicit 序号 first, then unit by unit (the department's own first)."""
    within = (
        (0, sort_order, not department_wide, "", "", pk)
        if sort_order is not None
        else (1, 0, not department_wide, unit.pk != department.pk, unit.name, name, pk)
    )
    return (department.name, department.pk, within)


REVIEW_FIELDS = ("excluded", "status", "grade", "opinion_html")


def build_summary(*, fiscal_year: FiscalYear, department: Organisation | None = None) -> SummarySheet:
    """The summary sheet of ``fiscal_year``, for one 主管部门 or (without ``department``) the whole bureau.

    Two queries of plain tuples (a summary runs to thousands of rows: model instances cost more than the rest).
    """
    projects = Project.objects.filter(fiscal_year=fiscal_year)
    department_evaluations = DepartmentEvaluation.objects.filter(fiscal_year=fiscal_year)
    if department is not None:
        projects = projects.of_department(department)
        department_evaluations = department_evaluations.filter(department=department)

    organisations = {}

    def org(pk, name):
        found = organisations.get(pk)
        if found is None:
            found = organisations[pk] = _Org(pk, name)
        return found

    entries = []
    evaluation_rows = department_evaluations.values_list(
        "pk",
        "sort_order",
        "claimed_grade",
        "computed_grade",
        "department_id",
        "department__name",
        *(f"review__{field}" for field in REVIEW_FIELDS),
    )
    for pk, sort_order, claimed_grade, computed_grade, dept_pk, dept_name, *review in evaluation_rows:
        dept = org(dept_pk, dept_name)
        key = _order_key(
            department=dept,
            unit=dept,
            sort_order=sort_order,
            department_wide=True,
            name=DEPARTMENT_WIDE_NAME,
            pk=pk,
        )
        entries.append((key, dept, dept, DEPARTMENT_WIDE_NAME, claimed_grade or computed_grade, review))
    project_rows = projects.values_list(
        "pk",
        "name",
        "sort_order",
        "unit_id",
        "unit__name",
        "unit__kind",
        "unit__parent_id",
        "unit__parent__name",
        "evaluation__pk",
        "evaluation__claimed_grade",
        "evaluation__computed_grade",
        *(f"evaluation__review__{field}" for field in REVIEW_FIELDS),
    )
    for row in project_rows:
        pk, name, sort_order, unit_pk, unit_name, unit_kind, parent_pk, parent_name = row[:8]
        evaluation_pk, claimed_grade, computed_grade, *review = row[8:]
        unit = org(unit_pk, unit_name)
        dept = unit if unit_kind == Organisation.Kind.DEPARTMENT else org(parent_pk, parent_name)
        key = _order_key(
            department=dept,
            unit=unit,
            sort_order=sort_order,
            department_wide=False,
            name=name,
            pk=pk,
        )
        self_grade = (claimed_grade or computed_grade) if evaluation_pk is not None else ""
        entries.append((key, dept, unit, name, self_grade, review))
    entries.sort(key=lambda entry: entry[0])

    rows = []
    for number, (_, dept, unit, name, self_grade, review) in enumerate(entries, start=1):
        finance_grade, opinion = _review_result(*review)
        rows.append(
            SummaryRow(
                number=number,
                department=dept.name,
                unit=unit.name,
                project_name=name,
                self_grade=self_grade or "",
                finance_grade=finance_grade,
                opinion_html=opinion,
                opinion_paragraphs=tuple(opinion_paragraphs(opinion)) if opinion else (),
            )
        )
    owner = department.name if department is not None else fiscal_year.finance_bureau.name
    return SummarySheet(
        fiscal_year=fiscal_year.year,
        title=f"{fiscal_year.year}年度市级财政支出绩效自评结果汇总表",
        organisation_line=f"部门(单位)：{owner}",
        rows=tuple(rows),
    )


# Above this many rows the PDF is laid out in chunks on two processes (WeasyPrint is single-threaded).
PARALLEL_MIN_ROWS = 800
PDF_WORKERS = 2
CHUNK_ROWS = 250  # a chunk's layout stays well under 500 MB per process; several chunks even out the two cores


def summary_pdf(sheet: SummarySheet) -> bytes:
    """A4 landscape, the header row repeated on every page, opinions with their paragraphs."""
    if len(sheet.rows) < PARALLEL_MIN_ROWS:
        return render_pdf("reports/summary.html", {"sheet": sheet})
    return _summary_pdf_in_chunks(sheet)


def _write_pdf(html: str) -> bytes:
    """WeasyPrint on one rendered chunk, in a worker process (Django set up by the pool's initializer)."""
    from weasyprint import HTML

    from .pdf import BASE_URL, _fetcher

    return HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).write_pdf()


def _summary_pdf_in_chunks(sheet: SummarySheet) -> bytes:
    """Row chunks laid out in parallel without page numbers, joined, then stamped "第 N 页 共 M 页".

    Each chunk starts on a new page (a chunk's last page may be part empty); the title and 部门(单位) line are
    printed once, above the first chunk. The page numbers come from one more WeasyPrint document of M empty
    pages carrying only the footer of report.css, laid over the joined pages, so they look as in a one-call PDF.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from dataclasses import replace

    import django
    from django.template.loader import render_to_string
    from pypdf import PdfReader, PdfWriter

    count = max(PDF_WORKERS, math.ceil(len(sheet.rows) / CHUNK_ROWS))
    size = math.ceil(len(sheet.rows) / count)
    chunk_rows = [sheet.rows[start : start + size] for start in range(0, len(sheet.rows), size)]
    pages = [
        render_to_string(
            "reports/summary.html",
            {"sheet": replace(sheet, rows=rows), "continued": index > 0, "unnumbered": True},
        )
        for index, rows in enumerate(chunk_rows)
    ]
    if multiprocessing.current_process().daemon:
        # A Celery prefork child is daemonic and may not start processes: lay the chunks out one after the
        # other here (still bounded in memory, one chunk at a time).
        chunks = [PdfReader(BytesIO(_write_pdf(page))) for page in pages]
        total = sum(len(chunk.pages) for chunk in chunks)
        numbers = PdfReader(BytesIO(_write_pdf(_page_numbers_html(total))))
    else:
        # spawn: never fork a process holding database connections and threads; workers only set Django up.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=PDF_WORKERS, mp_context=context, initializer=django.setup) as pool:
            chunks = [PdfReader(BytesIO(pdf)) for pdf in pool.map(_write_pdf, pages)]
            total = sum(len(chunk.pages) for chunk in chunks)
            numbers = PdfReader(BytesIO(pool.submit(_write_pdf, _page_numbers_html(total)).result()))

    writer = PdfWriter()
    for chunk in chunks:
        writer.append(chunk)
    for page, footer in zip(writer.pages, numbers.pages, strict=True):
        page.merge_page(footer)
    writer.add_metadata(dict(chunks[0].metadata or {}))
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _page_numbers_html(total: int) -> str:
    """``total`` empty pages with the summary's page set-up: only the footer "第 N 页 共 M 页" is printed."""
    pages = '<div class="page-number-only"></div>' * total
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="reports/report.css"><link rel="stylesheet" href="reports/summary.css">'
        "<style>.page-number-only + .page-number-only { break-before: page; }</style>"
        f'</head><body class="summary">{pages}</body></html>'
    )


# Excel column widths (in characters; a Chinese character counts two) and the rows above the data.
COLUMN_WIDTHS = (6, 16, 18, 24, 7, 9, 90)
TITLE_ROW, ORGANISATION_ROW, HEADER_ROW = 1, 2, 3
LINE_HEIGHT_PT = 13.5
MAX_ROW_HEIGHT_PT = 409  # Excel's limit


# Everything up to U+2E7F counts one column; CJK and the rest two (runs of narrow characters are cut out).
_NARROW_RUNS = re.compile("[\x00-\u2e7f]+")


def _display_width(text: str) -> int:
    return len(text) + len(_NARROW_RUNS.sub("", text))


def _row_height(cells, widths) -> float:
    """Points for the tallest wrapped cell: Excel does not fit wrapped rows written by openpyxl."""
    lines = 1
    for value, width in zip(cells, widths, strict=True):
        if not isinstance(value, str) or not value:
            continue
        usable = max(width - 1, 1)
        lines = max(lines, sum(max(1, math.ceil(_display_width(p) / usable)) for p in value.split("\n")))
    return min(MAX_ROW_HEIGHT_PT, lines * LINE_HEIGHT_PT + 4)


def _styled_cell(ws, style: dict):
    """A WriteOnlyCell with ``style``; reused for row after row (write-only append writes it at once)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws)
    for attribute, setting in style.items():
        setattr(cell, attribute, setting)
    return cell


def _set_value(cell, value):
    """What excel.write_cell does: numbers stay numeric, text is always a (formula-safe) string cell."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        cell.value = value
    else:
        cell.value = safe_text(value)
        cell.data_type = "s"
    return cell


def summary_xlsx(sheet: SummarySheet) -> bytes:
    """The same sheet as the PDF: merged title, 部门(单位) line, framed header frozen and printed on every page.

    Written in openpyxl's write-only mode (rows streamed, styles shared): merges, row heights, column widths,
    frozen panes and print set-up are all allowed there as long as they are set before the rows they touch.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("汇总表")
    ws.PAPERSIZE_A4 = Worksheet.PAPERSIZE_A4  # a4_print_setup reads it; only normal worksheets define it
    last_column = len(sheet.headers)
    last_letter = get_column_letter(last_column)
    for index, width in enumerate(COLUMN_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    border = thin_border()
    body_font = Font(name="宋体", size=10)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    header_style = {
        "font": Font(name="宋体", size=10, bold=True),
        "alignment": centred,
        "border": border,
        "fill": PatternFill("solid", fgColor="D9E1F2"),
    }
    centred_style = {"font": body_font, "alignment": centred, "border": border}
    left_style = {"font": body_font, "alignment": left, "border": border}
    title_style = {"font": Font(name="宋体", size=16, bold=True), "alignment": Alignment(horizontal="center")}
    organisation_style = {"font": body_font}
    # 序号, 自评结果 and 财政抽查审核结果 are centred; names and the opinion read from the left.
    column_styles = (centred_style, left_style, left_style, left_style, centred_style, centred_style, left_style)

    ws.merged_cells.add(f"A{TITLE_ROW}:{last_letter}{TITLE_ROW}")
    ws.merged_cells.add(f"A{ORGANISATION_ROW}:{last_letter}{ORGANISATION_ROW}")
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    a4_print_setup(ws, landscape=True, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"

    ws.row_dimensions[TITLE_ROW].height = 30
    ws.append([_set_value(_styled_cell(ws, title_style), sheet.title)])
    ws.row_dimensions[ORGANISATION_ROW].height = 20
    ws.append([_set_value(_styled_cell(ws, organisation_style), sheet.organisation_line)])
    ws.row_dimensions[HEADER_ROW].height = _row_height(sheet.headers, COLUMN_WIDTHS)
    ws.append([_set_value(_styled_cell(ws, header_style), header) for header in sheet.headers])

    row_cells = [_styled_cell(ws, style) for style in column_styles]
    row_dimensions = ws.row_dimensions
    for row_number, row in enumerate(sheet.rows, start=HEADER_ROW + 1):
        values = row.cells
        row_dimensions[row_number].height = _row_height(values, COLUMN_WIDTHS)
        ws.append([_set_value(cell, value) for cell, value in zip(row_cells, values, strict=True)])
        del row_dimensions[row_number]  # written with its row; no need to keep thousands of them

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
