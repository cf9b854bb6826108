"""市级财政支出绩效自评结果汇总表 (附件2, seed 000): one builder, a PDF and an Excel renderer that only lay it out."""

import itertools
import math
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from accounts.models import Organisation
from budgets.models import FiscalYear, Project
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation, reported_grade_sql
from evaluations.reports.excel import QuotedFormats
from evaluations.reports.pdf import render_pdf
from evaluations.richtext import opinion_paragraphs

# 项目名称 of the department-wide self-evaluation's row (seed 000, row 1).
DEPARTMENT_WIDE_NAME = "部门整体支出绩效自评"
HEADERS = ("序号", "主管部门", "预算单位", "项目名称", "自评结果", "财政抽查审核结果", "财政抽查审核意见")
# What the two finance columns print for a reader who may not see the year's finance results yet (SPEC §12).
NOT_PUBLISHED = "未公开"


@dataclass(frozen=True)
class SummaryRow:
    number: int  # 序号 as printed: 1..n
    department: str  # 主管部门
    unit: str  # 预算单位
    project_name: str
    self_grade: str  # 自评结果
    finance_grade: str  # 财政抽查审核结果 (empty unless a completed, non-excluded review; 未公开 when withheld)
    opinion_html: str  # 财政抽查审核意见 as stored (sanitised on save; the PDF template sanitises it again)
    opinion_paragraphs: tuple[str, ...]  # its text, paragraph by paragraph (what Excel shows)
    finance_withheld: bool = False  # the reader may not see the year's finance results yet: both cells 未公开

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
            NOT_PUBLISHED if self.finance_withheld else "\n".join(self.opinion_paragraphs),
        )


@dataclass(frozen=True)
class SummarySheet:
    fiscal_year: int
    title: str
    organisation_line: str  # 部门(单位)：…
    rows: tuple[SummaryRow, ...]
    headers: tuple[str, ...] = HEADERS


def _review_result(excluded, status, grade, opinion_html) -> tuple[str, str]:
    """(grade, opinion) of a review that counts: completed and still in the sample (None: no review)."""
    if status is None or excluded or status != FinanceReview.Status.COMPLETED:
        return "", ""
    return grade, opinion_html.strip()


@dataclass(frozen=True)
class _Org:
    """The two fields of an Organisation the sheet needs (read with values_list: no model instances)."""

    pk: int
    name: str


def _entry(department, unit, name, sort_order, pk, self_grade, review, *, department_wide: bool):
    """One row to be, behind its sort key: department by department; inside one, explicit 序号 first, then unit
    by unit (the department's own first)."""
    within = (
        (0, sort_order, not department_wide, "", "", pk)
        if sort_order is not None
        else (1, 0, not department_wide, unit.pk != department.pk, unit.name, name, pk)
    )
    return ((department.name, department.pk, within), department, unit, name, self_grade, review)


REVIEW_FIELDS = ("excluded", "status", "grade", "opinion_html")


def _sorted_entries(projects, department_evaluations, review_fields) -> list[tuple]:
    """(sort key, department, unit, name, reported grade, review fields) of every row, in the sheet's order."""
    organisations = {}

    def org(pk, name):
        found = organisations.get(pk)
        if found is None:
            found = organisations[pk] = _Org(pk, name)
        return found

    entries = []
    evaluation_rows = department_evaluations.annotate(
        reported_grade=reported_grade_sql(profile="fiscal_year__profile__")
    ).values_list(
        "pk",
        "sort_order",
        "reported_grade",
        "department_id",
        "department__name",
        *(f"review__{field}" for field in review_fields),
    )
    for pk, sort_order, reported_grade, dept_pk, dept_name, *review in evaluation_rows:
        dept = org(dept_pk, dept_name)
        entries.append(
            _entry(dept, dept, DEPARTMENT_WIDE_NAME, sort_order, pk, reported_grade, review, department_wide=True)
        )
    project_rows = projects.annotate(
        reported_grade=reported_grade_sql(fields="evaluation__", profile="fiscal_year__profile__")
    ).values_list(
        "pk",
        "name",
        "sort_order",
        "unit_id",
        "unit__name",
        "unit__kind",
        "unit__parent_id",
        "unit__parent__name",
        "reported_grade",
        *(f"evaluation__review__{field}" for field in review_fields),
    )
    for row in project_rows:
        pk, name, sort_order, unit_pk, unit_name, unit_kind, parent_pk, parent_name = row[:8]
        reported_grade, *review = row[8:]
        unit = org(unit_pk, unit_name)
        dept = unit if unit_kind == Organisation.Kind.DEPARTMENT else org(parent_pk, parent_name)
        entries.append(_entry(dept, unit, name, sort_order, pk, reported_grade, review, department_wide=False))
    entries.sort(key=lambda entry: entry[0])
    return entries


def build_summary(
    *, fiscal_year: FiscalYear, department: Organisation | None = None, finance_results: bool = True
) -> SummarySheet:
    """The summary sheet of ``fiscal_year``, for one 主管部门 or (without ``department``) the whole bureau.

    It lists only the records that reached 已提交 (SPEC §13): a draft never submitted is no row of it. Without
    ``finance_results`` (``policy.access.sees_finance_results`` of the reader) the reviews are not even read and
    both finance columns print 未公开, the layout unchanged. Two queries of plain tuples (a summary runs to
    thousands of rows: model instances cost more than the rest).
    """
    projects = Project.objects.filter(
        fiscal_year=fiscal_year, evaluation__status__in=ProjectEvaluation.REACHED_SUBMISSION
    )
    department_evaluations = DepartmentEvaluation.objects.filter(
        fiscal_year=fiscal_year, status__in=DepartmentEvaluation.REACHED_SUBMISSION
    )
    if department is not None:
        projects = projects.of_department(department)
        department_evaluations = department_evaluations.filter(department=department)
    entries = _sorted_entries(projects, department_evaluations, REVIEW_FIELDS if finance_results else ())

    rows = []
    for number, (_, dept, unit, name, self_grade, review) in enumerate(entries, start=1):
        finance_grade, opinion = _review_result(*review) if finance_results else (NOT_PUBLISHED, "")
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
                finance_withheld=not finance_results,
            )
        )
    owner = department.name if department is not None else fiscal_year.finance_bureau.name
    return SummarySheet(
        fiscal_year=fiscal_year.year,
        title=f"{fiscal_year.year}年度市级财政支出绩效自评结果汇总表",
        organisation_line=f"部门(单位)：{owner}",
        rows=tuple(rows),
    )


# The PDF's geometry, mirrored from static/reports/summary.css (A4 landscape, its margins, the table's font and
# padding), for planning its pages. Column widths are set here and written into the template's <col>s.
COLUMN_PERCENTS = (4.5, 11, 11, 14, 5.5, 6, 48)
PAGE_CONTENT_MM = (297 - 12 - 12, 210 - 14 - 16)
FONT_MM = 8.5 * 25.4 / 72
LINE_MM = 1.4 * FONT_MM
CELL_PADDING_MM = (1.0, 1.2)  # vertical, horizontal
BORDER_MM = 0.6 * 25.4 / 72
PARAGRAPH_GAP_MM = 1.0
TITLE_BLOCK_MM = 20.0  # h1 (15 pt) and the 部门(单位) line with their margins, rounded up
PAGE_SLACK_MM = 1.5  # left free on every planned page: a planned page must never overflow


_NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’%.,;:?!)]}")


def _spare(paragraph: str) -> int:
    return 1 if not _NO_LINE_START.isdisjoint(paragraph) else 0


def _estimated_height_mm(cells) -> float:
    """The height of a table row holding ``cells`` (text; paragraphs split by newlines), never under-estimated.

    A CJK character is 1 em wide and an ASCII one half of that; lines break anywhere (CJK text and
    overflow-wrap: anywhere), so a paragraph takes ceil(width / line) lines, counted with one character more
    when it holds punctuation that may not start a line (the line-breaking rules may push a character down).
    """
    tallest = 0.0
    for value, percent in zip(cells, COLUMN_PERCENTS, strict=True):
        text = str(value) if value is not None else ""
        usable = percent / 100 * PAGE_CONTENT_MM[0] - 2 * CELL_PADDING_MM[1] - BORDER_MM
        per_line = max(1, math.floor(usable / FONT_MM))
        paragraphs = [p for p in text.split("\n") if p] or [""]
        lines = sum(max(1, math.ceil((_display_width(p) / 2 + _spare(p)) / per_line)) for p in paragraphs)
        height = lines * LINE_MM + (len(paragraphs) - 1) * PARAGRAPH_GAP_MM
        tallest = max(tallest, height)
    return tallest + 2 * CELL_PADDING_MM[0] + BORDER_MM


def plan_pages(sheet: SummarySheet) -> list[int]:
    """Index of the first row of every page, packing rows as WeasyPrint would (a row is never split)."""
    header = _estimated_height_mm(sheet.headers)
    page = PAGE_CONTENT_MM[1] - PAGE_SLACK_MM - header
    available = page - TITLE_BLOCK_MM
    starts, used = [0], 0.0
    for index, row in enumerate(sheet.rows):
        height = _estimated_height_mm(row.cells)
        if used and used + height > available:
            starts.append(index)
            available, used = page, 0.0
        used += height
    return starts


# Above this many rows the PDF is laid out in chunks on two processes (WeasyPrint is single-threaded).
PARALLEL_MIN_ROWS = 800
PDF_WORKERS = 2
CHUNK_PAGES = 36  # a chunk's layout stays well under 500 MB per process; several chunks even out the two cores


def summary_pdf(sheet: SummarySheet) -> bytes:
    """A4 landscape, the header row repeated on every page, opinions with their paragraphs."""
    if len(sheet.rows) < PARALLEL_MIN_ROWS:
        return render_pdf("reports/summary.html", _context(sheet))
    return _summary_pdf_in_chunks(sheet)


def _context(sheet: SummarySheet, **extra) -> dict:
    return {"sheet": sheet, "column_widths": COLUMN_PERCENTS, "page_starts": frozenset(), **extra}


def _write_pdf(html: str) -> bytes:
    """WeasyPrint on one rendered chunk, in a worker process (Django set up by the pool's initializer)."""
    from weasyprint import HTML

    from evaluations.reports.pdf import BASE_URL, _fetcher

    return HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).write_pdf()


def _summary_pdf_in_chunks(sheet: SummarySheet) -> bytes:
    """Pages planned here, laid out in chunks of whole pages in parallel, joined, then stamped "第 N 页 共 M 页".

    plan_pages packs the rows into pages from their text (it never under-estimates a row), and every planned
    page starts with a forced break, so the joined chunks read as one document: no part-empty page where one
    chunk ends, the title and 部门(单位) line once at the top. The page numbers come from one more WeasyPrint
    document of M empty pages carrying only the footer of report.css, laid over the joined pages.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from dataclasses import replace

    import django
    from django.template.loader import render_to_string
    from pypdf import PdfReader, PdfWriter

    starts = plan_pages(sheet)
    count = max(PDF_WORKERS, math.ceil(len(starts) / CHUNK_PAGES))
    per_chunk = math.ceil(len(starts) / count)
    chunk_starts = starts[::per_chunk]
    bounds = [*chunk_starts, len(sheet.rows)]
    pages = [
        render_to_string(
            "reports/summary.html",
            _context(
                replace(sheet, rows=sheet.rows[first:last]),
                continued=index > 0,
                unnumbered=True,
                page_starts=frozenset(sheet.rows[i].number for i in starts if first < i < last),
            ),
        )
        for index, (first, last) in enumerate(itertools.pairwise(bounds))
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


def _display_width(text: str) -> int:
    """Columns ``text`` takes in Excel: one for ASCII, two for CJK characters and full-width punctuation.

    Counted from the UTF-8 length (1 byte for ASCII, 3 for CJK) in C rather than character by character: this
    runs for every cell of sheets with thousands of rows.
    """
    return (len(text.encode()) + len(text)) // 2


def _row_height(cells, widths) -> float:
    """Points for the tallest wrapped cell: Excel does not fit wrapped rows written by openpyxl."""
    lines = 1
    for value, width in zip(cells, widths, strict=True):
        if not value or not isinstance(value, str):
            continue
        usable = max(width - 1, 1)
        if "\n" not in value:
            needed = -(-_display_width(value) // usable)
        else:
            needed = sum(max(1, -(-_display_width(p) // usable)) for p in value.split("\n"))
        lines = max(lines, needed)
    return min(MAX_ROW_HEIGHT_PT, lines * LINE_HEIGHT_PT + 4)


def _page_setup(ws) -> None:
    """Column widths, A4 landscape one page wide, the header repeated on every printed page and frozen."""
    for index, width in enumerate(COLUMN_WIDTHS):
        ws.set_column(index, index, width)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many long as needed
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4)
    ws.repeat_rows(HEADER_ROW - 1)
    ws.set_footer("&C第 &P 页 共 &N 页")
    ws.freeze_panes(HEADER_ROW, 0)


def summary_xlsx(sheet: SummarySheet) -> bytes:
    """The same sheet as the PDF: merged title, 部门(单位) line, framed header frozen and printed on every page.

    Written with XlsxWriter in constant-memory mode rather than openpyxl: the summary of a city runs to
    thousands of framed, wrapped rows, and openpyxl's write-only mode pays for each styled cell in Python
    (about 1.6 times its plain speed), while XlsxWriter writes a formatted row in one call — the only way to
    stay within 1.5 times openpyxl's unstyled write (bench/bench_reports.py). Every cell is written with its
    explicit type: numbers as numbers, text always as a string (never turned into a formula, number or URL), a
    formula-like text with the quote-prefix style (QuotedFormats).
    """
    import xlsxwriter

    buffer = BytesIO()
    options = {
        "constant_memory": True,
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    with xlsxwriter.Workbook(buffer, options) as wb:
        ws = wb.add_worksheet("汇总表")
        formats = QuotedFormats(wb)
        body = {"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "vcenter", "border": 1}
        header = formats.add({**body, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
        centred = formats.add({**body, "align": "center"})
        left = formats.add({**body, "align": "left"})
        title = formats.add({"font_name": "宋体", "font_size": 16, "bold": True, "align": "center"})
        organisation = formats.add({"font_name": "宋体", "font_size": 10})
        # 序号, 自评结果 and 财政抽查审核结果 are centred; names and the opinion read from the left.
        column_formats = (centred, left, left, left, centred, centred, left)

        _page_setup(ws)
        last_column = len(sheet.headers) - 1
        ws.set_row(TITLE_ROW - 1, 30)
        formats.merge(ws, TITLE_ROW - 1, 0, TITLE_ROW - 1, last_column, sheet.title, title)
        ws.set_row(ORGANISATION_ROW - 1, 20)
        formats.merge(
            ws, ORGANISATION_ROW - 1, 0, ORGANISATION_ROW - 1, last_column, sheet.organisation_line, organisation
        )
        ws.set_row(HEADER_ROW - 1, _row_height(sheet.headers, COLUMN_WIDTHS))
        for column, text in enumerate(sheet.headers):
            formats.write(ws, HEADER_ROW - 1, column, text, header)

        write_string, write_number, set_row, text_of = ws.write_string, ws.write_number, ws.set_row, formats.text
        for row_index, row in enumerate(sheet.rows, start=HEADER_ROW):
            values = row.cells
            set_row(row_index, _row_height(values, COLUMN_WIDTHS))
            for column, (value, cell_format) in enumerate(zip(values, column_formats, strict=True)):
                if isinstance(value, int | Decimal) and not isinstance(value, bool):
                    write_number(row_index, column, value, cell_format)
                else:
                    write_string(row_index, column, *text_of(value, cell_format))
    return buffer.getvalue()
