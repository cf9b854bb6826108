"""市级财政支出绩效自评结果汇总表 (附件2, seed 000): one builder, a PDF and an Excel renderer that only lay it out."""

import math
from dataclasses import dataclass
from io import BytesIO

from accounts.models import Organisation
from budgets.models import FiscalYear, Project
from evaluations.models import DepartmentEvaluation, FinanceReview
from evaluations.richtext import opinion_paragraphs, sanitise_opinion

from .excel import a4_print_setup, thin_border, write_cell
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


def _review_result(review: FinanceReview | None) -> tuple[str, str]:
    """(grade, sanitised opinion) of a review that counts: completed and still in the sample."""
    if review is None or review.excluded or review.status != FinanceReview.Status.COMPLETED:
        return "", ""
    return review.grade, sanitise_opinion(review.opinion_html)


def _department_of(unit: Organisation) -> Organisation:
    return unit if unit.kind == Organisation.Kind.DEPARTMENT else unit.parent


def _order_key(*, department, unit, sort_order, department_wide, name, pk):
    """Department by department; inside one, explicit 序号 first, then unit by unit (the department's own first)."""
    within = (
        (0, sort_order, not department_wide, "", "", pk)
        if sort_order is not None
        else (1, 0, not department_wide, unit.pk != department.pk, unit.name, name, pk)
    )
    return (department.name, department.pk, within)


def build_summary(*, fiscal_year: FiscalYear, department: Organisation | None = None) -> SummarySheet:
    """The summary sheet of ``fiscal_year``, for one 主管部门 or (without ``department``) the whole bureau."""
    projects = Project.objects.filter(fiscal_year=fiscal_year).select_related("unit__parent", "evaluation__review")
    department_evaluations = DepartmentEvaluation.objects.filter(fiscal_year=fiscal_year).select_related(
        "department", "review"
    )
    if department is not None:
        projects = projects.of_department(department)
        department_evaluations = department_evaluations.filter(department=department)

    entries = []
    for evaluation in department_evaluations:
        dept = evaluation.department
        key = _order_key(
            department=dept,
            unit=dept,
            sort_order=evaluation.sort_order,
            department_wide=True,
            name=DEPARTMENT_WIDE_NAME,
            pk=evaluation.pk,
        )
        review = getattr(evaluation, "review", None)
        entries.append((key, dept, dept, DEPARTMENT_WIDE_NAME, evaluation.self_grade, review))
    for project in projects:
        dept = _department_of(project.unit)
        evaluation = getattr(project, "evaluation", None)
        key = _order_key(
            department=dept,
            unit=project.unit,
            sort_order=project.sort_order,
            department_wide=False,
            name=project.name,
            pk=project.pk,
        )
        self_grade = evaluation.self_grade if evaluation else ""
        review = getattr(evaluation, "review", None) if evaluation else None
        entries.append((key, dept, project.unit, project.name, self_grade, review))
    entries.sort(key=lambda entry: entry[0])

    rows = []
    for number, (_, dept, unit, name, self_grade, review) in enumerate(entries, start=1):
        finance_grade, opinion = _review_result(review)
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


def summary_pdf(sheet: SummarySheet) -> bytes:
    """A4 landscape, the header row repeated on every page, opinions with their paragraphs."""
    return render_pdf("reports/summary.html", {"sheet": sheet})


# Excel column widths (in characters; a Chinese character counts two) and the rows above the data.
COLUMN_WIDTHS = (6, 16, 18, 24, 7, 9, 90)
TITLE_ROW, ORGANISATION_ROW, HEADER_ROW = 1, 2, 3
LINE_HEIGHT_PT = 13.5
MAX_ROW_HEIGHT_PT = 409  # Excel's limit


def _display_width(text: str) -> int:
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _row_height(cells, widths) -> float:
    """Points for the tallest wrapped cell: Excel does not fit wrapped rows written by openpyxl."""
    lines = 1
    for value, width in zip(cells, widths, strict=True):
        if not isinstance(value, str) or not value:
            continue
        usable = max(width - 1, 1)
        lines = max(lines, sum(max(1, math.ceil(_display_width(p) / usable)) for p in value.split("\n")))
    return min(MAX_ROW_HEIGHT_PT, lines * LINE_HEIGHT_PT + 4)


def summary_xlsx(sheet: SummarySheet) -> bytes:
    """The same sheet as the PDF: merged title, 部门(单位) line, framed header frozen and printed on every page."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总表"
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
    # 序号, 自评结果 and 财政抽查审核结果 are centred; names and the opinion read from the left.
    column_styles = [centred_style, left_style, left_style, left_style, centred_style, centred_style, left_style]

    write_cell(
        ws,
        TITLE_ROW,
        1,
        sheet.title,
        style={"font": Font(name="宋体", size=16, bold=True), "alignment": Alignment(horizontal="center")},
    )
    ws.merge_cells(f"A{TITLE_ROW}:{last_letter}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 30
    write_cell(ws, ORGANISATION_ROW, 1, sheet.organisation_line, style={"font": body_font})
    ws.merge_cells(f"A{ORGANISATION_ROW}:{last_letter}{ORGANISATION_ROW}")
    ws.row_dimensions[ORGANISATION_ROW].height = 20

    for column, header in enumerate(sheet.headers, start=1):
        write_cell(ws, HEADER_ROW, column, header, style=header_style)
    ws.row_dimensions[HEADER_ROW].height = _row_height(sheet.headers, COLUMN_WIDTHS)

    for offset, row in enumerate(sheet.rows, start=1):
        row_number = HEADER_ROW + offset
        cells = row.cells
        for column, (value, style) in enumerate(zip(cells, column_styles, strict=True), start=1):
            write_cell(ws, row_number, column, value, style=style)
        ws.row_dimensions[row_number].height = _row_height(cells, COLUMN_WIDTHS)

    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    a4_print_setup(ws, landscape=True, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
