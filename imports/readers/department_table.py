"""The 部门整体支出绩效自评表 (SPEC §7, kind "department"): every table of a workbook, found by its labels.

Read as our exporter writes it (evaluations.reports.department_table) and as hand-made files vary it:

* a title 部门整体支出绩效自评表 (or 部门整体绩效评价表, 部门整体支出绩效评价得分表 …) with its year (in the
  title, before it, or on a row of its own: （2024年度）, 2017年…, 2017 年度…, full-width digits);
* the department: 主管部门 (or 部门名称 / 预算部门 / 填报单位), its value to the right or after "：";
* the budget block: 年初预算数 / 全年预算数 (调整后预算数) / 全年执行数 (预算执行数) with the amounts below the
  headings or to their right, and 其中：基本支出 / 其中：项目支出 with theirs to the right (or in the 全年执行数
  column when they are row labels of the block);
* the score sheet: 一级 / 二级 / 三级指标, 指标分值, 自评得分, 备注 (扣分说明), its header on one row or two, the
  一级 and 二级 cells merged down or written once, "（50分）" after the names (an item's is its 分值 where the
  table has no 分值 column or leaves it blank), spacer rows and the header repeated
  at a page break skipped; the 二级 names the item where a system has no 三级 column. It ends at 合计 (总分),
  whose 自评得分 is the total as stated and whose "自评等级：优" (or a 自评等级 row) the grade;
* the passages 年度总体目标, 履职效能, 管理效率, 评价结论, 存在问题, 改进措施: a row label with its text to the
  right, merged down over one row per paragraph or continued on rows whose label cell is empty, or the text
  under the label, or "评价结论：……" in one cell.

A table starts at its title, or at a 主管部门 label where it has none, and runs to the next table or to the next
项目支出绩效自评表. A score sheet with 年度指标值 / 实际完成值 columns is a project table's and never read here.
Numbers are parsed (text, full width, "万元" / "分" suffixes) but never corrected. The reader does not know the
year's indicator system: imports.apply matches the items to it by name and keeps the others as the table's own.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl.utils import get_column_letter

from evaluations.reports.excel import FORMULA_STARTS
from imports.readers.sheet import EMPTY_TEXTS, LabelledSheet, label_key, lookup
from imports.readers.standard_labels import TITLE_MARK as PROJECT_TITLE_MARK
from imports.readers.standard_sheet import plain_number
from imports.records import ERROR, WARNING, DepartmentItemRecord, DepartmentRecord, ReadResult
from imports.wording import fold, grade_in_text, grade_named
from indicators.parsing import clean_text, is_placeholder, parse_decimal

# 部门整体支出绩效自评表, 部门整体绩效评价表, 部门整体支出绩效评价得分表, 部门整体支出绩效自评结果表 …
TITLE = re.compile(r"部门整体(?:支出)?绩效(?:自评|自我评价|评价)(?:情况)?(?:得分|评分|结果)?(?:一览)?表")
# A title mark inside these is a document about the table (seed 003's 自评表说明), not the table.
NOT_TITLE = ("说明", "报告", "汇总")
# Matched on text folded to ASCII (clean_text): "2017年", "2017 年度", "（２０１７年度）", "（2017）".
TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年|\(\s*((?:19|20)\d{2})\s*\)")
YEAR_ROW = re.compile(r"^\(?(?:(?:评价|自评|填报|所属)?年度[:：]?)?((?:19|20)\d{2})(?:年度?)?\)?$")
TITLE_WINDOW = 3  # non-blank rows below a title searched for its year

# Labels are compared after sheet.label_key: full width folded, blanks, "(万元)", "其中：" and leading
# numbering ("(三)", "1.") removed.
DEPARTMENT_LABELS = ("主管部门", "主管部门名称", "部门名称", "预算部门", "预算部门名称", "填报单位", "单位名称")
BUDGET_HEADINGS = {
    "initial_wan": ("年初预算数", "年初预算", "年初数", "年初部门预算数"),
    "adjusted_wan": ("全年预算数", "调整后预算数", "调整后预算", "全年预算"),
    "executed_wan": ("全年执行数", "预算执行数", "全年执行", "执行数", "实际执行数", "实际支出数", "全年支出数"),
}
BREAKDOWN_LABELS = {
    "basic_expenditure_wan": ("基本支出", "基本支出执行数"),
    "project_expenditure_wan": ("项目支出", "项目支出执行数"),
}
PASSAGE_LABELS = {
    "goal": ("年度总体目标", "部门整体支出绩效目标", "年度绩效目标", "总体目标", "年度目标", "部门年度总体目标"),
    "performance_narrative": ("履职效能", "履职效能分析"),
    "management_narrative": ("管理效率", "管理效率分析"),
    "conclusion": ("评价结论", "自评结论", "总体评价结论"),
    "problems": ("存在问题", "存在的问题", "存在的主要问题", "主要问题"),
    "improvements": ("改进措施", "改进建议", "下一步改进措施", "整改措施"),
}
GRADE_LABELS = ("自评等级", "等级", "评价等级", "绩效等级", "自评结果")
GRID_COLUMNS = {
    "level1": ("一级指标", "一级", "一级指标名称"),
    "level2": ("二级指标", "二级", "二级指标名称"),
    "name": ("三级指标", "三级", "三级指标名称", "指标名称"),
    "points": ("指标分值", "分值", "权重", "标准分值", "指标权重"),
    "explanation": ("指标解释", "指标说明", "评价要点", "指标内涵"),
    "rule": ("计分标准", "评分标准", "计分方法", "评分方法", "评分细则", "评分规则"),
    "score": ("自评得分", "得分", "自评分", "自评分数", "自评分值"),
    "note": ("备注", "扣分说明", "扣分原因", "说明", "扣分原因及改进措施", "扣分原因说明", "情况说明"),
}
# Columns only a project table's score sheet has.
PROJECT_GRID_LABELS = ("年度指标值", "指标值", "实际完成值", "完成值", "目标值", "实际值", "指标性质", "全年实际值")
TOTAL_LABELS = ("合计", "总分", "总计", "得分合计", "合计得分", "自评总分")
OTHER_LABELS = ("部门预算资金", "部门预算", "预算执行率", "执行率", "绩效指标", "部门整体支出绩效指标")
# The signature lines under a table: they end the passage above them.
SIGNATURE_LABELS = ("填报人", "联系电话", "填报日期", "审核人", "单位负责人", "部门负责人", "财务负责人", "经办人")


BUDGET_BY_LABEL = lookup(BUDGET_HEADINGS)
BREAKDOWN_BY_LABEL = lookup(BREAKDOWN_LABELS)
PASSAGE_BY_LABEL = lookup(PASSAGE_LABELS)
GRID_BY_LABEL = lookup(GRID_COLUMNS)
KNOWN_LABELS = (
    set(DEPARTMENT_LABELS)
    | set(BUDGET_BY_LABEL)
    | set(BREAKDOWN_BY_LABEL)
    | set(PASSAGE_BY_LABEL)
    | set(GRID_BY_LABEL)
    | set(GRADE_LABELS)
    | set(TOTAL_LABELS)
    | set(OTHER_LABELS)
    | set(SIGNATURE_LABELS)
)
# The points written after a name: "投入（20分）", "相关性(5分)", "相关性 5分", "（分值：5分）", full width or not.
_NUMBER = r"[0-9０-９]+(?:[.．][0-9０-９]+)?"
POINTS_IN_LABEL = re.compile(
    rf"\s*(?:[（(【\[]\s*(?:分值|权重|满分)?\s*[:：]?\s*(?P<bracketed>{_NUMBER})\s*分\s*[)）】\]]"
    rf"|(?<![0-9０-９.．])(?P<bare>{_NUMBER})\s*分)\s*$"
)


def _split(text: str) -> tuple[str, str | None]:
    """ "评价结论：……" → ("评价结论", "……"); "其中：基本支出" → ("基本支出", None); a cell without a colon →
    (its key, None)."""
    text = re.sub(r"^\s*其中\s*[:：]\s*", "", text)
    match = re.search(r"[:：]", text)
    if match:
        return label_key(text[: match.start()]), text[match.end() :].strip()
    return label_key(text), None


def _unescaped(text: str) -> str:
    """A text as the unit wrote it: our older Excel exports put a quote before a leading = + - @ (formula safety;
    they now write the exact text with the quote-prefix style), so such a quote is taken off."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _points_in_label(text: str) -> tuple[str, Decimal | None]:
    """A name and the points written after it: "相关性(5分)" → ("相关性", 5); ("相关性", None) without points (a
    label that is only points stays as it is)."""
    match = POINTS_IN_LABEL.search(text)
    if match is None or not text[: match.start()].strip():
        return text, None
    return text[: match.start()].rstrip(), parse_decimal(clean_text(match["bracketed"] or match["bare"]))


def _level(text: str) -> tuple[str, Decimal | None]:
    """An 一级 / 二级 name without its points and line breaks, and those points: "产\\n出（50分）" → ("产出", 50)."""
    return _points_in_label("".join(text.split()))


def _grade(text: str) -> str:
    """优 良 中 差 from a cell ("良", "良好", "自评等级：良"); "" when it names none."""
    folded = re.sub(r"\s+", "", clean_text(text))
    return grade_named(folded) or grade_in_text(folded)


@dataclass
class StatedItemRecord(DepartmentItemRecord):
    """An item with the points its 一级 and 二级 labels state ("投入（20分）"): a table with an indicator system of
    its own is stored as written."""

    level1_points: Decimal | None = None
    level2_points: Decimal | None = None


@dataclass
class _Table:
    start: int  # the title row, or the department row of an untitled table
    title: str = ""
    end: int = 0
    department_rows: list[int] = field(default_factory=list)


class _Sheet(LabelledSheet):
    """A worksheet read for 部门整体支出绩效自评表."""

    def raw(self, row: int, column: int) -> str:
        """The cell as written (names keep their full-width brackets), the export's formula quote removed."""
        return _unescaped(self.grid.raw_text(row, column))

    def header_columns(self, row: int) -> dict[str, int]:
        """The score sheet's columns named in ``row``, by field (first column wins)."""
        found: dict[str, int] = {}
        for cell in self.cells(row):
            name = GRID_BY_LABEL.get(label_key(cell.text))
            if name and name not in found and cell.column not in found.values():
                found[name] = cell.column
        return found

    def is_project_header(self, row: int) -> bool:
        return any(label_key(cell.text) in PROJECT_GRID_LABELS for cell in self.cells(row))

    def grid_header(self, row: int) -> dict[str, int] | None:
        """The columns of a department score sheet whose header ends on ``row``: 一级, 三级 (or 二级) and 自评得分,
        with the columns named only on the row above (a two-row header); None for any other row."""
        columns = self.header_columns(row)
        if "level1" not in columns or not ({"name", "level2"} & columns.keys()):
            return None
        above = row - 1
        if above >= 1 and not self.grid.is_blank_row(above):
            if self.is_project_header(above):
                return None
            for name, column in self.header_columns(above).items():
                if name not in columns and column not in columns.values():
                    columns[name] = column
        if "score" not in columns or self.is_project_header(row):
            return None
        return columns


# ---- finding the tables ----


def _is_title(text: str) -> bool:
    """A title line, not a sentence mentioning the table ("详见部门整体支出绩效自评表。")."""
    folded = re.sub(r"\s+", "", text)
    if not TITLE.search(folded) or len(folded) > 60:
        return False
    return not any(word in folded for word in (*NOT_TITLE, "。", ",", "详见", "附后"))


def _is_foreign(sheet: _Sheet, row: int) -> bool:
    """The start of a 项目支出绩效自评表: its title or its 项目名称 row."""
    for cell in sheet.cells(row):
        folded = re.sub(r"\s+", "", cell.text)
        if (PROJECT_TITLE_MARK in folded and len(folded) <= 60) or _split(cell.text)[0] == "项目名称":
            return True
    return False


def _department_row(sheet: _Sheet, row: int) -> bool:
    return any(_split(cell.text)[0] in DEPARTMENT_LABELS for cell in sheet.cells(row))


def find_tables(sheet: _Sheet) -> list[_Table]:
    """Every table of the sheet: one per title, and one per department label of a sheet without titles (a second
    department label starts a new table only after the score sheet of the first)."""
    tables: list[_Table] = []
    foreign_rows: list[int] = []
    current: _Table | None = None
    foreign = False  # inside a project table: its 主管部门 row starts nothing here
    seen_grid = False
    for row in sheet.grid.rows():
        first = next(iter(sheet.cells(row)), None)
        title = first.text if first is not None and _is_title(first.text) else None
        if title is not None:
            current, foreign, seen_grid = _Table(start=row, title=re.sub(r"\s+", "", title)), False, False
            tables.append(current)
        elif _is_foreign(sheet, row):
            current, foreign = None, True
            foreign_rows.append(row)
        elif _department_row(sheet, row) and not foreign:
            if current is None or seen_grid:
                current, seen_grid = _Table(start=row), False
                tables.append(current)
            current.department_rows.append(row)
        elif current is not None and sheet.grid_header(row):
            seen_grid = True
    for n, table in enumerate(tables):
        ends = [r - 1 for r in foreign_rows if r > table.start][:1]
        if n + 1 < len(tables):
            ends.append(tables[n + 1].start - 1)
        table.end = min(ends, default=sheet.grid.max_row)
    return tables


# ---- reading one table ----


class _Reader:
    def __init__(self, sheet: _Sheet, table: _Table):
        self.sheet = sheet
        self.table = table
        self.grid_rows: set[int] = set()  # the score sheet's rows: no passage or field is looked for there
        self.where = f"第 {table.start} 行的部门整体支出绩效自评表"

    def read(self) -> DepartmentRecord | None:
        sheet, table = self.sheet, self.table
        header = self._grid_header()
        if header is None:
            if table.title and (table.department_rows or self._has_budget_block()):
                sheet.problem(
                    ERROR,
                    f"{self.where}没有绩效指标表格（一级指标、三级指标、自评得分），表格可能不完整，该表未导入。",
                    table.start,
                )
            return None  # a title in running text, or a 主管部门 row of something else
        record = DepartmentRecord(department="", year=self._year(), sheet=sheet.title, row=table.start)
        errors = len([p for p in sheet.problems if p.severity == ERROR])
        if not self._read_items(record, *header):
            return None
        self._read_fields(record)
        if not record.department:
            sheet.problem(ERROR, f"{self.where}没有填写主管部门，该表未导入。", table.start)
            return None
        if len([p for p in sheet.problems if p.severity == ERROR]) > errors:
            return None  # the problems say which values could not be read
        return record

    def _grid_header(self) -> tuple[int, dict[str, int]] | None:
        for row in range(self.table.start, self.table.end + 1):
            columns = self.sheet.grid_header(row)
            if columns:
                return row, columns
        return None

    def _has_budget_block(self) -> bool:
        return any(
            label_key(cell.text) in BUDGET_BY_LABEL
            for row in range(self.table.start, self.table.end + 1)
            for cell in self.sheet.cells(row)
        )

    def year_of_table(self) -> int | None:
        """The year of a department table (None for a title in running text or another table's rows)."""
        return self._year() if self.table.title or self._grid_header() else None

    def _year(self) -> int | None:
        table, grid = self.table, self.sheet.grid
        match = TITLE_YEAR.search(clean_text(table.title))
        if match:
            return int(match[1] or match[2])
        seen = 0
        for row in grid.rows():
            if row < table.start - 1 or row > table.end:
                continue
            for cell in self.sheet.cells(row):
                folded = re.sub(r"\s+", "", cell.text)
                match = YEAR_ROW.match(folded) or (TITLE_YEAR.search(folded) if TITLE.search(folded) else None)
                if match:
                    return int(next(group for group in match.groups() if group))
            if row >= table.start:
                seen += 1
                if seen > TITLE_WINDOW:
                    break
        return None

    # ---- the score sheet ----

    def _label_columns(self, columns: dict[str, int]) -> int:
        return max(columns.get(name, 1) for name in ("level1", "level2", "name"))

    def _is_total_row(self, row: int, columns: dict[str, int]) -> int | None:
        """The column of the 合计 / 总分 label, when ``row`` is the score sheet's total row."""
        for cell in self.sheet.cells(row):
            if cell.column <= self._label_columns(columns) and _split(cell.text)[0] in TOTAL_LABELS:
                return cell.column
        return None

    def _same_range(self, row: int, column: int | None, other: int | None) -> bool:
        """Whether two columns of ``row`` are one merged cell."""
        merged = self.sheet.grid.merged
        return column is not None and other is not None and merged.get((row, column), 0) == merged.get((row, other))

    def _ends_sheet(self, row: int, columns: dict[str, int]) -> bool:
        """A passage label (履职效能, 评价结论 …) first on a row whose text spans the item name column and which
        has no points or score: the score sheet is over though it has no 合计 row (levels of some systems bear
        the passages' names, so the label alone does not end it)."""
        sheet = self.sheet
        cells = sheet.cells(row)
        if not cells or _split(cells[0].text)[0] not in set(PASSAGE_BY_LABEL) | set(GRADE_LABELS):
            return False
        for name in ("points", "score"):
            column = columns.get(name)
            if column is not None and parse_decimal(sheet.grid.value(row, column)) is not None:
                return False
        name_column = columns.get("name") or columns.get("level2")
        if name_column is None or sheet.grid.value(row, name_column) is None:
            return True
        top_left = sheet.grid.merged.get((row, name_column))
        return top_left is not None and (top_left[1] < name_column or sheet.range_end(row, name_column) > name_column)

    def _read_items(self, record: DepartmentRecord, header: int, columns: dict[str, int]) -> bool:
        sheet = self.sheet
        self.grid_rows.add(header)
        if header > 1 and self.sheet.header_columns(header - 1):
            self.grid_rows.add(header - 1)  # the upper row of a two-row header
        level1 = level2 = ""
        level1_points = level2_points = None
        total_row = None
        seen: dict[tuple[str, str, str], int] = {}
        for row in range(header + 1, self.table.end + 1):
            if sheet.grid.is_blank_row(row):
                continue
            label_column = self._is_total_row(row, columns)
            if label_column is not None:
                total_row = row
                self.grid_rows.add(row)
                self._read_total(record, row, label_column, columns)
                break
            if sheet.grid_header(row) or sheet.header_columns(row).keys() >= {"level1", "score"}:
                self.grid_rows.add(row)  # the header repeated at a page break
                continue
            if self._ends_sheet(row, columns):
                break
            self.grid_rows.add(row)
            written1, points1 = _level(sheet.text(row, columns["level1"]))
            if written1 and written1 != level1:
                level1, level2, level1_points, level2_points = written1, "", points1, None
            written2, points2 = _level(sheet.text(row, columns.get("level2")))
            if written2:
                level2, level2_points = written2, points2
            item = self._item(row, columns, level1, level2, written2)
            if item is None:
                continue  # a spacer row under merged category cells
            item.level1_points, item.level2_points = level1_points, level2_points
            key = (level1, level2, fold(item.name))
            if key in seen:
                sheet.problem(
                    ERROR,
                    f"指标“{item.name}”在表中出现了两次（第 {seen[key]} 行和第 {row} 行）。",
                    row,
                    columns.get("name"),
                )
                continue
            seen[key] = row
            if not level1:
                sheet.problem(WARNING, f"指标“{item.name}”的一级指标为空。", row, columns["level1"])
            record.items.append(item)
        return self._complete(record, header, total_row)

    def _item(self, row: int, columns: dict[str, int], level1: str, level2: str, written2: str):
        """The item of a score sheet row (its 三级, or its own 二级 where the system has no 三级); None for a
        row without a name (an ERROR when it has points, a score or a note)."""
        sheet = self.sheet
        level2_column = columns.get("level2")
        # Where a system has no 三级 (no column, or 二级 and 三级 merged), the 二级 on its own row is the item.
        own_level2 = bool(written2) and not sheet.grid.is_merged_continuation(row, level2_column)
        name_column = columns.get("name")
        merged_with_level2 = self._same_range(row, name_column, level2_column)
        name, named_points = _points_in_label("" if merged_with_level2 else sheet.text(row, name_column))
        if not name and own_level2:
            name, named_points = _level(sheet.text(row, level2_column))
        points = sheet.number(row, columns.get("points"), f"指标“{name or level2}”的分值")
        score = sheet.number(row, columns.get("score"), f"指标“{name or level2}”的自评得分")
        note = sheet.text(row, columns.get("note"))
        if not name:
            if points is not None or score is not None or note:
                sheet.problem(ERROR, "这一行有分值或得分，但没有指标名称。", row, columns.get("name"))
            return None
        if named_points is not None and points is None:
            points = named_points  # the table gives an item's points in its name only ("相关性(5分)")
        elif named_points is not None and named_points != points:
            sheet.problem(
                WARNING,
                f"指标“{name}”的名称中写的分值 {plain_number(named_points)} 与分值列的 {plain_number(points)} "
                "不同：按分值列导入。",
                row,
                columns.get("points"),
            )
        return StatedItemRecord(
            level1=level1,
            level2=level2,
            name=name,
            points=points,
            claimed_score=score,
            note=note,
            row=row,
            column=get_column_letter(name_column or level2_column or columns["level1"]),
        )

    def _complete(self, record: DepartmentRecord, header: int, total_row: int | None) -> bool:
        """Whether the score sheet read has items and ends at its 合计 row (an ERROR saying which it lacks)."""
        if not record.items:
            self.sheet.problem(ERROR, f"{self.where}的绩效指标表格下没有指标行，该表未导入。", header)
            return False
        if total_row is None:
            self.sheet.problem(
                ERROR,
                f"{self.where}的绩效指标表格没有“合计”行，表格可能不完整（在第 {max(self.grid_rows)} 行之后中断），"
                "该表未导入。",
                max(self.grid_rows),
            )
            return False
        return True

    def _read_total(self, record: DepartmentRecord, row: int, label_column: int, columns: dict[str, int]):
        """合计: the 自评得分 column's value (or a number after "合计："), and the grade written on the row."""
        sheet = self.sheet
        label_end = sheet.range_end(row, label_column)
        score_column = columns.get("score")
        inline = _split(sheet.raw(row, label_column))[1]
        if score_column and score_column > label_end:
            record.claimed_total = sheet.number(row, score_column, "合计的自评得分")
        elif inline and parse_decimal(inline) is not None:
            record.claimed_total = parse_decimal(inline)
        for cell in sheet.cells(row):
            if cell.column > label_end and cell.column not in (score_column, columns.get("points")):
                grade = _grade(cell.text)
                if grade:
                    record.claimed_grade = grade
                    break

    # ---- fields and passages ----

    def _read_fields(self, record: DepartmentRecord):
        sheet, table = self.sheet, self.table
        budget_columns: dict[str, int] = {}
        departments: dict[str, str] = {}
        grade = ""
        for row in range(table.start, table.end + 1):
            if row in self.grid_rows:
                continue
            cells = sheet.cells(row)
            for index, cell in enumerate(cells):
                label, inline = _split(cell.text)
                if label in DEPARTMENT_LABELS and label not in departments:
                    value = _split(sheet.raw(row, cell.column))[1] if inline is not None else self._right(row, cell)
                    if value:
                        departments[label] = value
                elif label in BUDGET_BY_LABEL:
                    budget_columns.setdefault(BUDGET_BY_LABEL[label], cell.column)
                    self._budget(record, BUDGET_BY_LABEL[label], row, cell, inline, heading=True)
                elif label in BREAKDOWN_BY_LABEL:
                    self._breakdown(record, BREAKDOWN_BY_LABEL[label], row, cell, inline, budget_columns)
                elif label in GRADE_LABELS and not grade:
                    value = inline if inline is not None else self._right(row, cell)
                    grade = _grade(value or "")
                elif index == 0 and label in PASSAGE_BY_LABEL:
                    name = PASSAGE_BY_LABEL[label]
                    if not getattr(record, name) and not sheet.grid.is_merged_continuation(row, cell.column):
                        setattr(record, name, self._passage(row, cell))
        record.department = next((departments[label] for label in DEPARTMENT_LABELS if label in departments), "")
        if not record.claimed_grade:
            record.claimed_grade = grade
        if not record.claimed_grade:
            record.claimed_grade = grade_in_text(clean_text(record.conclusion))

    def _right(self, row: int, cell) -> str:
        """The text right of a label (past its merged range): "" when it is empty or another label."""
        sheet = self.sheet
        column = sheet.range_end(row, cell.column) + 1
        if column > sheet.grid.max_column or sheet.key(row, column) in KNOWN_LABELS:
            return ""
        return sheet.text(row, column)

    def _budget(self, record: DepartmentRecord, name: str, row: int, cell, inline: str | None, *, heading: bool):
        """An amount beside its heading: after "：", to the right, or (a heading row) on the next row below."""
        sheet = self.sheet
        if getattr(record, name) is not None:
            return
        what = f"“{_split(cell.text)[0]}”的金额"
        if inline:
            value = parse_decimal(inline.removesuffix("万元"))
            if value is None and not is_placeholder(inline):
                sheet.problem(ERROR, f"{what}“{inline}”不是数字，无法导入。", row, cell.column)
            setattr(record, name, value)
            return
        column = sheet.range_end(row, cell.column) + 1
        beside = sheet.grid.value(row, column) if column <= sheet.grid.max_column else None
        if beside is not None and sheet.key(row, column) not in KNOWN_LABELS:
            setattr(record, name, sheet.number(row, column, what))
            return
        if not heading:
            return
        for below in range(row + 1, min(row + 3, self.table.end) + 1):
            if below in self.grid_rows:
                return
            if sheet.grid.is_blank_row(below):
                continue
            if sheet.grid.merged.get((below, cell.column)) == sheet.grid.merged.get((row, cell.column), ()):
                continue  # the heading merged down over two rows: its amount is under the merge
            if sheet.key(below, cell.column) not in KNOWN_LABELS:
                setattr(record, name, sheet.number(below, cell.column, what))
            return

    def _breakdown(self, record, name: str, row: int, cell, inline: str | None, budget_columns: dict[str, int]):
        """其中：基本支出 / 项目支出: the 全年执行数 column's amount where the label is a row label of the budget
        block (left of its amounts), else the amount beside the label."""
        executed = budget_columns.get("executed_wan")
        first = min(budget_columns.values(), default=None)
        row_label = inline is None and executed and first and cell.column < first
        if row_label and self.sheet.grid.value(row, executed) is not None:
            setattr(record, name, self.sheet.number(row, executed, f"“{_split(cell.text)[0]}”的全年执行数"))
            return
        self._budget(record, name, row, cell, inline, heading=False)

    def _passage(self, row: int, cell) -> str:
        """A passage's paragraphs, one per line: the text right of the label on each row the label spans and on
        the rows below whose label cell is empty; else the text under the label."""
        sheet, grid = self.sheet, self.sheet.grid
        label_end = sheet.range_end(row, cell.column)
        paragraphs = []
        inline = _split(sheet.raw(row, cell.column))[1]
        if inline and inline not in EMPTY_TEXTS:
            paragraphs.append(inline)
        top_left = grid.merged.get((row, cell.column), (row, cell.column))
        below = row
        while below <= self.table.end and below not in self.grid_rows:
            if below != row and grid.merged.get((below, cell.column)) != top_left:
                first = next(iter(sheet.cells(below)), None)
                if first is None:
                    below += 1
                    continue  # a spacer row: the passage may go on below it
                if first.column <= label_end or _split(first.text)[0] in SIGNATURE_LABELS:
                    break  # the next label, or the signatures under the table
            for right in sheet.cells(below):
                if right.column > label_end:
                    text = sheet.text(below, right.column)
                    if text:
                        paragraphs.append(text)
            below += 1
        if not paragraphs and inline is None:
            paragraphs = self._under(row, cell)
        return "\n".join(paragraphs)

    def _under(self, row: int, cell) -> list[str]:
        """The text on the rows under a label standing alone on its row, up to the next label."""
        sheet = self.sheet
        paragraphs = []
        for below in range(row + 1, self.table.end + 1):
            if below in self.grid_rows:
                break
            cells = sheet.cells(below)
            if not cells:
                continue
            if sheet.grid.merged.get((below, cell.column)) == sheet.grid.merged.get((row, cell.column), ()):
                continue
            label, inline = _split(cells[0].text)
            if label in KNOWN_LABELS or (inline is not None and label in PASSAGE_BY_LABEL):
                break
            paragraphs += [sheet.text(below, c.column) for c in cells if sheet.text(below, c.column)]
        return paragraphs


def read_department_tables(workbook) -> ReadResult:
    """Every 部门整体支出绩效自评表 of ``workbook`` (openpyxl, data_only=True), one DepartmentRecord each."""
    result = ReadResult(kind="department")
    years: dict[int, tuple[str, int]] = {}
    for worksheet in workbook.worksheets:
        sheet = _Sheet(worksheet, result.problems)
        for table in find_tables(sheet):
            reader = _Reader(sheet, table)
            record = reader.read()
            if record is not None:
                result.departments.append(record)
            # The year of a table that could not be read still names the workbook's year in the preview.
            year = record.year if record is not None else reader.year_of_table()
            if year is not None:
                years.setdefault(year, (sheet.title, table.start))
    result.settle_year(years, "部门整体支出绩效自评表")
    return result


def is_department_workbook(workbook) -> bool:
    """Whether ``workbook`` holds at least one 部门整体支出绩效自评表 (or one that could not be read)."""
    found = read_department_tables(workbook)
    return bool(found.departments or found.errors)
