"""部门整体支出绩效自评表 (SPEC §7, §9): the budget block, the goal, the score sheet and the narratives.

``build_department_table`` reads one department-wide evaluation into a plain dataclass tree; the PDF and Excel
renderers only lay that tree out. Every score comes from ``build_sheet``: a line prints the score the department
claimed where it gave one, else the computed one. The 合计 prints the total the department stated where it stated
one (so a published table comes out as published); when that differs from the sum of the lines, the 备注 says so.
An evaluation imported from a table with an indicator system of its own prints that table's lines as it stated
them (``DepartmentScoreItem.order``): its own items with their labels, points and claimed scores beside the
year's items it listed.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from itertools import groupby

from domain import grades, scoring
from evaluations.department_wide.sheet import Sheet, build_sheet
from evaluations.models import DepartmentEvaluation, DepartmentScoreItem
from evaluations.reports.excel import GridWriter
from evaluations.reports.project_table import amount_text, points_text, rate_text

TITLE = "部门整体支出绩效自评表"
# The score sheet's columns: 一级, 二级, 三级, 分值, 指标解释, 计分标准, 自评得分, 备注.
COLUMNS = 8


@dataclass(frozen=True)
class BudgetFigure:
    label: str
    amount: Decimal | None

    @property
    def text(self) -> str:
        return amount_text(self.amount)


@dataclass(frozen=True)
class ScoreRow:
    """One 三级 item; ``level1_rowspan``/``level2_rowspan`` are 0 on rows covered by the cell above."""

    level1: str  # 一级 with its points, e.g. 部门预算管理（80分）
    level1_rowspan: int
    level2: str
    level2_rowspan: int
    name: str
    points: Decimal
    explanation: str
    rule: str
    score: Decimal | None  # 自评得分: claimed where given, else computed; blank where the department does not score
    note: str

    @property
    def points_text(self) -> str:
        return points_text(self.points)

    @property
    def score_text(self) -> str:
        return points_text(self.score)


@dataclass(frozen=True)
class Passage:
    """A labelled block of prose (履职效能, 评价结论, …) split into its paragraphs."""

    label: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class DepartmentTable:
    title: str
    year: int
    department: str
    # 年初预算数, 全年预算数, 全年执行数 and, below, 其中：基本支出, 其中：项目支出 (万元).
    budget: tuple[BudgetFigure, ...]
    breakdown: tuple[BudgetFigure, ...]
    execution_rate: Decimal | None
    goal: Passage
    rows: tuple[ScoreRow, ...]
    total_points: Decimal
    total_score: Decimal | None
    grade: str
    total_note: str
    narratives: tuple[Passage, ...]  # 履职效能, 管理效率
    conclusions: tuple[Passage, ...]  # 评价结论, 存在问题, 改进措施

    @property
    def closing(self) -> tuple[Passage, ...]:
        """What follows the score sheet: the narratives, then the conclusions."""
        return self.narratives + self.conclusions

    @property
    def execution_rate_text(self) -> str:
        return rate_text(self.execution_rate)

    @property
    def total_points_text(self) -> str:
        return points_text(self.total_points)

    @property
    def total_score_text(self) -> str:
        return points_text(self.total_score)

    @property
    def grade_text(self) -> str:
        return f"自评等级：{self.grade}" if self.grade else ""


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _passage(label: str, text: str) -> Passage:
    return Passage(label=label, paragraphs=_paragraphs(text))


def _with_points(name: str, points: Decimal | None) -> str:
    return f"{name}（{points_text(points)}分）" if points is not None else name


def _grade(evaluation: DepartmentEvaluation, sheet_grade: str) -> str:
    """The grade of the total the table prints: as stated, else that of the stated total, else the sheet's."""
    return grades.reported_grade(
        claimed_grade=evaluation.claimed_grade,
        claimed_total=evaluation.claimed_total,
        computed_grade=sheet_grade,
        thresholds=evaluation.fiscal_year.profile.grade_thresholds,
    )


def _profile_rows(sheet: Sheet) -> tuple[ScoreRow, ...]:
    """The year's system, line by line."""
    return tuple(
        ScoreRow(
            level1=_with_points(line.indicator.level1, line.indicator.level1_points),
            level1_rowspan=line.level1_rowspan,
            level2=_with_points(line.indicator.level2, line.indicator.level2_points),
            level2_rowspan=line.level2_rowspan,
            name=line.indicator.name,
            points=line.indicator.points,
            explanation=line.indicator.explanation,
            rule=line.indicator.rule,
            score=line.score if line.self_scored else None,
            note=line.note,
        )
        for line in sheet.lines
    )


def _stated_rows(sheet: Sheet, stated: list[DepartmentScoreItem]) -> tuple[ScoreRow, ...]:
    """The lines of a table with its own system, in its order and as it stated them: an own item's score is the
    one claimed; a line of the year's system scores as the sheet does."""
    lines = {line.indicator.pk: line for line in sheet.lines}
    rows = []
    for item in stated:
        line = lines.get(item.indicator_id)
        if line is None:
            score, explanation, rule, note = item.claimed_score, "", "", item.note
        else:
            indicator = line.indicator
            score = line.score if line.self_scored else None
            explanation, rule, note = indicator.explanation, indicator.rule, line.note
        points = item.points if item.points is not None or line is None else line.indicator.points
        rows.append((item, score, points, explanation, rule, note))
    spans1 = _spans([row[0].level1 for row in rows])
    spans2 = _spans([(row[0].level1, row[0].level2) for row in rows])
    return tuple(
        ScoreRow(
            level1=_with_points(item.level1, item.level1_points),
            level1_rowspan=span1,
            level2=_with_points(item.level2, item.level2_points),
            level2_rowspan=span2,
            name=item.name,
            points=points,
            explanation=explanation,
            rule=rule,
            score=score,
            note=note,
        )
        for (item, score, points, explanation, rule, note), span1, span2 in zip(rows, spans1, spans2, strict=True)
    )


def _spans(keys: list) -> list[int]:
    """Each run of equal keys as its length on its first row, 0 on the rows it covers."""
    spans = []
    for _, run in groupby(keys):
        length = len(list(run))
        spans += [length] + [0] * (length - 1)
    return spans


def build_department_table(evaluation: DepartmentEvaluation, *, finance_results: bool = True) -> DepartmentTable:
    """The table of ``evaluation`` as stored: what both renderers lay out (finance review scores only with
    ``finance_results``, SPEC §12)."""
    e = evaluation
    sheet = build_sheet(e, finance_results=finance_results)
    stated = sorted((item for item in e.score_items.all() if item.order is not None), key=lambda item: item.order)
    notes = []
    if stated:
        rows = _stated_rows(sheet, stated)
        printed = {item.indicator_id for item in stated}
        not_self_scored = [i for i in sheet.not_self_scored if i.pk in printed]
        scores = [row.score for row in rows if row.score is not None]
        summed_total = scoring.total_score(budget=None, indicators=scores) if scores else None
        total_points = sum((row.points for row in rows if row.points is not None), Decimal(0))
        self_scored_points = total_points - sum((i.points for i in not_self_scored), Decimal(0))
        sheet_grade = (
            grades.grade_for(total=summed_total, thresholds=e.fiscal_year.profile.grade_thresholds)
            if summed_total is not None
            else ""
        )
    else:
        rows = _profile_rows(sheet)
        not_self_scored, summed_total, sheet_grade = sheet.not_self_scored, sheet.total, sheet.grade
        total_points, self_scored_points = sheet.all_points, sheet.self_scored_points
    total_score = e.claimed_total if e.claimed_total is not None else summed_total
    if not_self_scored:
        names = "、".join(indicator.name for indicator in not_self_scored)
        notes.append(f"{names}由财政评价组打分，部门自评满分 {points_text(self_scored_points)} 分。")
    if e.claimed_total is not None and summed_total != e.claimed_total:
        summed = "—" if summed_total is None else f"{points_text(summed_total)} 分"
        notes.append(f"各项自评得分合计 {summed}。")
    rate = None
    if e.adjusted_wan is not None and e.executed_wan is not None:
        rate = scoring.execution_rate(adjusted=e.adjusted_wan, executed=e.executed_wan)
    return DepartmentTable(
        title=TITLE,
        year=e.fiscal_year.year,
        department=e.department.name,
        budget=(
            BudgetFigure("年初预算数", e.initial_wan),
            BudgetFigure("全年预算数", e.adjusted_wan),
            BudgetFigure("全年执行数", e.executed_wan),
        ),
        breakdown=(
            BudgetFigure("其中：基本支出", e.basic_expenditure_wan),
            BudgetFigure("其中：项目支出", e.project_expenditure_wan),
        ),
        execution_rate=rate,
        goal=_passage("年度总体目标", e.goal),
        rows=rows,
        total_points=total_points,
        total_score=total_score,
        grade=_grade(e, sheet_grade),
        total_note="".join(notes),
        narratives=(_passage("履职效能", e.performance_narrative), _passage("管理效率", e.management_narrative)),
        conclusions=(
            _passage("评价结论", e.conclusion),
            _passage("存在问题", e.problems),
            _passage("改进措施", e.improvements),
        ),
    )


def _load(evaluation: DepartmentEvaluation) -> DepartmentEvaluation:
    """The evaluation with everything the sheet reads, in a handful of queries."""
    return (
        DepartmentEvaluation.objects.select_related("department", "fiscal_year__profile", "review")
        .prefetch_related("score_items", "fiscal_year__profile__department_indicators")
        .get(pk=evaluation.pk)
    )


def department_table_pdf(evaluation: DepartmentEvaluation, *, finance_results: bool = True) -> bytes:
    """A4 portrait; the score sheet's header repeated on every page; rows kept whole where they fit."""
    from evaluations.reports.pdf import render_pdf

    table = build_department_table(_load(evaluation), finance_results=finance_results)
    return render_pdf("reports/department_table.html", {"table": table})


# ---- Excel -------------------------------------------------------------------------------------------------

# Column widths in characters (a Chinese character counts two): 一级 … 备注.
WIDTHS = (13, 12, 11, 7, 20, 30, 8, 24)
LINE_HEIGHT_PT = 13.5
MAX_ROW_HEIGHT_PT = 409  # Excel's limit


def _display_width(text: str) -> int:
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _lines(text: str, width: float) -> int:
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(_display_width(part) / usable)) for part in text.split("\n"))


class _Grid(GridWriter):
    """The department table's grid: each row sized to the longest text written in it."""

    def __init__(self, ws):
        super().__init__(ws)
        self.lines = 1

    def put(self, column, value, *, span=1, rowspan=1, fmt=None, bold=False, align="center"):
        super().put(column, value, span=span, rowspan=rowspan, fmt=fmt, bold=bold, align=align)
        if rowspan == 1 and isinstance(value, str) and value:
            self.lines = max(self.lines, _lines(value, sum(WIDTHS[column - 1 : column - 1 + span])))

    def next(self, *, minimum: float = 0):
        height = max(self.lines * LINE_HEIGHT_PT + 4, minimum)
        self.ws.row_dimensions[self.row].height = min(MAX_ROW_HEIGHT_PT, height)
        self.row += 1
        self.lines = 1


def _xlsx_passage(grid: _Grid, passage: Passage):
    """The label merged down the passage's rows, one row per paragraph (a cell holds at most 409 pt)."""
    paragraphs = passage.paragraphs or ("",)
    grid.put(1, passage.label, rowspan=len(paragraphs), bold=True)
    for paragraph in paragraphs:
        grid.put(2, paragraph, span=COLUMNS - 1, align="left")
        grid.next(minimum=24)


def _xlsx_budget(grid, table) -> None:
    """主管部门, then the budget block: headings, amounts, then the breakdown of 执行数."""
    from evaluations.reports.excel import AMOUNT_FORMAT, RATE_FORMAT

    put, nxt = grid.put, grid.next
    put(1, "主管部门", bold=True)
    put(2, table.department, span=COLUMNS - 1, align="left")
    nxt()
    put(1, "部门预算资金（万元）", rowspan=3, bold=True)
    put(2, table.budget[0].label, span=2, bold=True)
    put(4, table.budget[1].label, span=2, bold=True)
    put(6, table.budget[2].label, bold=True)
    put(7, "预算执行率", span=2, bold=True)
    nxt()
    put(2, table.budget[0].amount if table.budget[0].amount is not None else "", span=2, fmt=AMOUNT_FORMAT)
    put(4, table.budget[1].amount if table.budget[1].amount is not None else "", span=2, fmt=AMOUNT_FORMAT)
    put(6, table.budget[2].amount if table.budget[2].amount is not None else "", fmt=AMOUNT_FORMAT)
    put(7, table.execution_rate if table.execution_rate is not None else "", span=2, fmt=RATE_FORMAT)
    nxt()
    basic, project = table.breakdown
    put(2, basic.label, span=2, bold=True)
    put(4, basic.amount if basic.amount is not None else "", span=2, fmt=AMOUNT_FORMAT)
    put(6, project.label, bold=True)
    put(7, project.amount if project.amount is not None else "", span=2, fmt=AMOUNT_FORMAT)
    nxt()


def _xlsx_indicators(grid, table) -> None:
    """The indicator block: its two heading rows, a row per indicator, the 合计 row."""
    put, nxt = grid.put, grid.next
    put(1, "绩效指标", span=3, bold=True)
    for column, label in ((4, "指标分值"), (5, "指标解释"), (6, "计分标准"), (7, "自评得分"), (8, "备注")):
        put(column, label, rowspan=2, bold=True)
    nxt()
    for column, label in enumerate(("一级指标", "二级指标", "三级指标"), start=1):
        put(column, label, bold=True)
    nxt()
    for row in table.rows:
        if row.level1_rowspan:
            put(1, row.level1, rowspan=row.level1_rowspan)
        if row.level2_rowspan:
            put(2, row.level2, rowspan=row.level2_rowspan)
        put(3, row.name)
        # Points as the seeds print them (10, 9.69): General, like the PDF.
        put(4, row.points)
        put(5, row.explanation, align="left")
        put(6, row.rule, align="left")
        put(7, row.score if row.score is not None else "")
        put(8, row.note, align="left")
        nxt()
    put(1, "合计", span=3, bold=True)
    put(4, table.total_points, bold=True)
    put(5, table.grade_text, span=2)
    put(7, table.total_score if table.total_score is not None else "", bold=True)
    put(8, table.total_note, align="left")
    nxt()


def department_table_xlsx(evaluation: DepartmentEvaluation, *, finance_results: bool = True) -> bytes:
    """The same table as the PDF: merged cells, borders, wrapped text, number formats, A4 portrait set-up."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from evaluations.reports.excel import a4_print_setup, write_cell

    table = build_department_table(_load(evaluation), finance_results=finance_results)
    wb = Workbook()
    ws = wb.active
    ws.title = "部门整体支出绩效自评表"
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    grid = _Grid(ws)

    write_cell(
        ws,
        1,
        1,
        f"{table.title}（{table.year}年度）",
        style={"font": Font(name="宋体", size=16, bold=True), "alignment": Alignment(horizontal="center")},
    )
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=COLUMNS)
    ws.row_dimensions[1].height = 30
    grid.row = 2

    _xlsx_budget(grid, table)
    _xlsx_passage(grid, table.goal)

    header_first = grid.row
    _xlsx_indicators(grid, table)
    for passage in table.closing:
        _xlsx_passage(grid, passage)

    a4_print_setup(ws, landscape=False, title_rows=f"{header_first}:{header_first + 1}")
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
