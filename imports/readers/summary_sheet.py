"""A 绩效自评结果汇总表 as a workbook: found by its header row, repeated headers skipped.

Two layouts are read. Seed 000's (市级财政支出绩效自评结果汇总表): 主管部门 / 预算单位 / 项目名称 / 自评结果 and the
finance spot check's columns, one header row. And the one other localities publish: 主管部门 on a line above the
header ("主管部门（盖章）：某县教育局"), a two-row header whose merged "预算执行情况" holds 年初预算数 / 全年预算数 /
全年执行数, then 执行率, 自评得分, 自评等级, 备注; a 合计 row and signature lines (填报人, 联系电话, 日期) below.
"""

import re

from openpyxl.utils import get_column_letter

from imports.grid import Grid, normalise_label
from imports.readers.standard_sheet import rate_fraction
from imports.records import ERROR, WARNING, Problem, ReadResult, SummaryRecord
from imports.wording import GRADE_LIST, GRADE_WORDINGS, GRADES
from indicators.parsing import is_placeholder, parse_decimal

# Each column's accepted headers (compared after _column_label). 序号 and the finance columns are optional.
COLUMNS = {
    "number": ("序号",),
    "department": ("主管部门", "主管部门名称"),
    "unit": ("预算单位", "单位名称", "实施单位", "预算单位名称", "实施单位名称"),
    "project_name": ("项目名称", "项目"),
    "self_grade": ("自评结果", "自评等级", "自评结论", "自评等次"),
    "finance_grade": ("财政抽查审核结果", "财政审核结果", "抽查审核结果", "财政抽查结果"),
    "opinion": ("财政抽查审核意见", "财政审核意见", "抽查审核意见", "审核意见"),
    # The 预算执行情况 block, written under its merged label (or on its own) in 万元.
    "initial": ("年初预算数", "年初预算", "年初", "年初预算金额"),
    "adjusted": ("全年预算数", "全年预算", "全年", "调整后预算", "调整后预算数", "全年预算金额"),
    "executed": ("全年执行数", "执行数", "执行", "实际支出", "实际支出数", "预算执行数", "全年实际支出"),
    "rate": ("执行率", "预算执行率", "资金执行率"),
    # Not a bare 得分: a 项目支出绩效自评表's fund block prints 执行率 / 得分 under its 项目名称 row.
    "self_score": ("自评得分", "自评分数", "自评总分"),
}
AMOUNTS = {"initial": "年初预算数", "adjusted": "全年预算数", "executed": "全年执行数"}
# Seed 000's header: every row names its department and unit.
REQUIRED = ("department", "unit", "project_name", "self_grade")
# Another locality's: the project and its self-evaluation, with at least one column only a summary sheet has
# (a 项目支出绩效自评表 writes 项目名称 beside its value, never beside 自评等级 and 执行率 in one row).
SUMMARY_ONLY = ("department", "unit", "initial", "adjusted", "executed", "rate")
YEAR = re.compile(r"(20\d{2})\s*年度?")
TITLE = re.compile(r"绩效自评结果汇总表")
SUMMARY_TITLE = re.compile(r"汇总表")
# "（万元）", "(A)", "（B/A）", "(%)" after a column's name.
LABEL_SUFFIX = re.compile(r"[(（][^()（）]{0,8}[)）]$")
# The line above the header naming the department: "主管部门（盖章）：某县教育局", "单位名称:某县教育局".
DEPARTMENT_LINE = re.compile(
    r"^(?:主管部门|主管单位|部门名称|单位名称|填报单位)(?:名称)?\s*(?:[(（]\s*(?:盖章|公章)\s*[)）])?\s*[:：]\s*(.*)$"
)
# What may follow the department on the same line: "单位：万元", "金额单位：万元", a date.
LINE_TAIL = re.compile(r"\s+(?:(?:金额)?单位\s*[:：]|填报日期|日期\s*[:：]).*$")
# The lines under the table that are not rows: signatures, contacts, notes.
SIGNATURE = re.compile(
    r"^(?:填报人|填表人|制表人|经办人|审核人|复核人|负责人|单位负责人|部门负责人|财务负责人|分管领导|主要领导|"
    r"联系人|联系电话|电话|日期|填报日期|填表日期|注|说明|备注)\s*[:：]"
)
TOTAL = re.compile(r"^(?:合计|总计|小计)|(?:合计|总计|小计)$")
AMOUNT_UNIT = re.compile(r"(?:金额)?单位[:：(（]*(万元|千元|元)(?![\u4e00-\u9fff])")
HEADER_UNIT = re.compile(r"\((万元|千元|元)\)")
SCALES = {"万元": 1, "千元": 10, "元": 10000}
# Every column label, and the merged label over the amounts: a row of nothing else is (part of) the header.
GROUPS = {"预算执行情况", "资金执行情况", "预算执行", "执行情况"}
LABELS = {label for labels in COLUMNS.values() for label in labels} | GROUPS | {"备注"}


def _column_label(text: str) -> str:
    label = normalise_label(text)
    while LABEL_SUFFIX.search(label):
        label = LABEL_SUFFIX.sub("", label)
    return label


def _match_columns(grid: Grid, row: int) -> dict[str, int]:
    found = {}
    for cell in grid.row_cells(row):
        label = _column_label(cell.text)
        for key, headers in COLUMNS.items():
            if key not in found and label in headers:
                found[key] = cell.column
                break
    return found


def _is_header(found: dict[str, int]) -> bool:
    """Seed 000's header, or a project and its self-evaluation beside a column only a summary sheet has."""
    if all(key in found for key in REQUIRED):
        return True
    graded = "self_grade" in found or "self_score" in found
    return "project_name" in found and graded and any(key in found for key in SUMMARY_ONLY)


def _titled(grid: Grid, header_row: int) -> bool:
    """Whether the lines above ``header_row`` call the sheet a 汇总表 or name its 主管部门 on a line of its own."""
    for row in grid.rows():
        if row >= header_row:
            return False
        for cell in grid.row_cells(row):
            if SUMMARY_TITLE.search(cell.text) or DEPARTMENT_LINE.match(grid.raw_text(row, cell.column)):
                return True
    return False


def _header_columns(grid: Grid, row: int, *, titled: bool | None = None) -> dict[str, int] | None:
    """The columns of a header row, with the row below when it is the header's second row (the 预算执行情况
    block's 年初预算数 / 全年预算数 / 全年执行数 under their merged label).

    序号 / 项目名称 / 自评结果 alone is a header only under a 汇总表 title or a 主管部门 line (``titled``, looked up
    when None): a statement's list of projects is not a summary sheet."""
    found = _match_columns(grid, row)
    if "project_name" not in found:
        return None
    # The second row counts only under the first row's merged 预算执行情况 (or a blank): never under a value.
    below = _match_columns(grid, row + 1)
    for key, column in below.items():
        above = _column_label(grid.text(row, column))
        if key not in found and column not in found.values() and (not above or above in GROUPS):
            found[key] = column
    if _is_header(found):
        return found
    graded = "self_grade" in found or "self_score" in found
    if graded and "number" in found and (_titled(grid, row) if titled is None else titled):
        return found
    return None


def find_header(grid: Grid, *, max_rows: int = 30) -> tuple[int, dict[str, int]] | None:
    for row in grid.rows():
        if row > max_rows:
            break
        columns = _header_columns(grid, row)
        if columns:
            return row, columns
    return None


def is_summary_workbook(workbook) -> bool:
    return any(find_header(Grid(ws)) for ws in workbook.worksheets)


def _grade(text: str, column: str, where: dict, problems: list, letter: str) -> str:
    if not text or is_placeholder(text):
        return ""
    if text in GRADES:
        return text
    mapped = GRADE_WORDINGS.get(text)
    if mapped:
        problems.append(Problem(WARNING, f"{column}“{text}”按“{mapped}”导入。", column=letter, **where))
        return mapped
    problems.append(Problem(ERROR, f"{column}“{text}”不是{GRADE_LIST}之一。", column=letter, **where))
    return ""


def _year_from_title(grid: Grid, header_row: int) -> int | None:
    for row in range(1, header_row):
        for cell in grid.row_cells(row):
            match = YEAR.search(cell.text)
            if match:
                return int(match[1])
    return None


def _department_line(grid: Grid, header_row: int) -> str:
    """The 主管部门 a line above the header names ("主管部门（盖章）：某县教育局", or the name in the next cell)."""
    for row in grid.rows():
        if row >= header_row:
            break
        cells = grid.row_cells(row)
        for index, cell in enumerate(cells):
            match = DEPARTMENT_LINE.match(grid.raw_text(row, cell.column))
            if not match:
                continue
            name = LINE_TAIL.sub("", match[1]).strip()
            if not name and index + 1 < len(cells):
                following = grid.raw_text(row, cells[index + 1].column)
                name = "" if re.search(r"[:：]", following) else following
            if name:
                return name
    return ""


def _amount_scale(grid: Grid, header_row: int, columns: dict[str, int]) -> str:
    """The unit the sheet's amounts are in ("万元", "千元" or "元"): a 金额单位 line above the header or the
    amount columns' headers ("年初预算数（元）"); 万元 when neither says."""
    for row in grid.rows():
        if row >= header_row:
            break
        for cell in grid.row_cells(row):
            match = AMOUNT_UNIT.search(re.sub(r"\s+", "", cell.text))
            if match:
                return match[1]
    for key in AMOUNTS:
        for row in (header_row, header_row + 1):
            text = re.sub(r"\s+", "", grid.text(row, columns[key])) if key in columns else ""
            match = HEADER_UNIT.search(text)
            if match and _column_label(text) in COLUMNS[key]:
                return match[1]
    return "万元"


def _label_row(grid: Grid, row: int) -> bool:
    """A header's second row written without merged cells (only 年初预算数 / 全年预算数 / 全年执行数), or a row of
    column labels."""
    cells = grid.row_cells(row)
    return bool(cells) and all(_column_label(cell.text) in LABELS for cell in cells)


def _not_a_row(grid: Grid, row: int, columns: dict[str, int]) -> bool:
    """The 合计 row and the lines under the table (填报人, 联系电话, 日期, 注) are not projects."""
    labels = [normalise_label(grid.text(row, columns[key])) for key in ("number", "project_name") if key in columns]
    if any(TOTAL.search(label) for label in labels if label):
        return True
    name = normalise_label(grid.text(row, columns["project_name"]))
    if name and not SIGNATURE.match(name):
        return False
    return any(SIGNATURE.match(normalise_label(cell.text)) for cell in grid.row_cells(row))


class _RowReader:
    """Reads the numbers of one sheet's rows, reporting what it cannot read."""

    def __init__(self, grid: Grid, header_row: int, columns: dict[str, int], problems: list):
        self.grid, self.columns, self.problems = grid, columns, problems
        unit = _amount_scale(grid, header_row, columns)
        self.scale = SCALES[unit]
        if self.scale != 1 and any(key in columns for key in AMOUNTS):
            message = f"金额单位为{unit}：已换算为万元导入。"
            problems.append(Problem(WARNING, message, sheet=grid.title, row=header_row))
        rate_column = columns.get("rate")
        # "执行率（%）" over bare numbers: 97.45 is 97.45%, and 1 is 1%.
        self.rate_in_percent = rate_column is not None and any(
            "%" in grid.text(r, rate_column) and _column_label(grid.text(r, rate_column)) in COLUMNS["rate"]
            for r in (header_row, header_row + 1)
        )

    def _where(self, row: int, key: str) -> dict:
        return {"sheet": self.grid.title, "row": row, "column": get_column_letter(self.columns[key])}

    def amount(self, row: int, key: str):
        if key not in self.columns:
            return None
        value = self.grid.value(row, self.columns[key])
        text = self.grid.raw_text(row, self.columns[key])
        if value is None or is_placeholder(text):
            return None
        number = parse_decimal(value)
        if number is None:
            message = f"{AMOUNTS[key]}“{text}”不是数字，未导入：请改为数字（单位万元），或留空。"
            self.problems.append(Problem(WARNING, message, **self._where(row, key)))
            return None
        if number < 0:
            message = f"{AMOUNTS[key]}“{text}”是负数：金额不能为负，请改正后重新导入。"
            self.problems.append(Problem(ERROR, message, **self._where(row, key)))
            return None
        return number / self.scale if self.scale != 1 else number

    def rate(self, row: int):
        if "rate" not in self.columns:
            return None
        column = self.columns["rate"]
        value, text = self.grid.value(row, column), self.grid.text(row, column)
        if value is None or is_placeholder(text):
            return None
        percent_format = self.grid.is_percent(row, column)
        if self.rate_in_percent and not percent_format and not text.endswith("%"):
            number = parse_decimal(value)
            rate, assumed = (None if number is None else number / 100), False
        else:
            rate, assumed = rate_fraction(value, percent_format=percent_format)
        if rate is None:
            message = f"执行率“{text}”无法识别，未导入：请写成百分数（如 95.50%）或小数（如 0.955）。"
            self.problems.append(Problem(WARNING, message, **self._where(row, "rate")))
        elif assumed:
            self.problems.append(
                Problem(WARNING, f"执行率“{text}”没有百分号，按 {text}% 导入。", **self._where(row, "rate"))
            )
        return rate

    def score(self, row: int):
        if "self_score" not in self.columns:
            return None
        value = self.grid.value(row, self.columns["self_score"])
        text = self.grid.raw_text(row, self.columns["self_score"])
        if value is None or is_placeholder(text):
            return None
        number = parse_decimal(value)
        if number is None:
            message = f"自评得分“{text}”不是数字，未导入：请改为分数（如 92.5），或留空。"
            self.problems.append(Problem(WARNING, message, **self._where(row, "self_score")))
        return number


def read_summary_sheet(workbook) -> ReadResult:
    result = ReadResult(kind="summary")
    for worksheet in workbook.worksheets:
        grid = Grid(worksheet)
        header = find_header(grid)
        if header is None:
            continue
        header_row, columns = header
        letters = {key: get_column_letter(column) for key, column in columns.items()}
        result.year = result.year or _year_from_title(grid, header_row)
        # A sheet of one department names it once, above the header, instead of in a column.
        sheet_department = _department_line(grid, header_row)
        if "department" not in columns and not sheet_department:
            result.problems.append(
                Problem(
                    ERROR,
                    f"没有写明主管部门：表头（第 {header_row} 行）没有“主管部门”列，表头上方也没有“主管部门：……”一行。"
                    "请在表头上方加一行“主管部门：（主管部门全称）”，或在表中加一列“主管部门”，然后重新导入。",
                    sheet=grid.title,
                    row=header_row,
                )
            )
        numbers = _RowReader(grid, header_row, columns, result.problems)
        for row in grid.rows():
            if row <= header_row or _header_columns(grid, row, titled=True) or _label_row(grid, row):
                continue  # spacer rows, the header's second row and the header repeated at every printed page
            if _not_a_row(grid, row, columns):
                continue
            # Names as written (full-width brackets kept); grades and placeholders compared in folded form.
            texts = {key: grid.raw_text(row, column) for key, column in columns.items()}
            texts["self_grade"] = grid.text(row, columns["self_grade"]) if "self_grade" in columns else ""
            if "finance_grade" in columns:
                texts["finance_grade"] = grid.text(row, columns["finance_grade"])
            where = {"sheet": grid.title, "row": row}
            if not texts["project_name"]:
                if any(texts.get(k) for k in ("department", "unit", "self_grade", "self_score")):
                    result.problems.append(
                        Problem(
                            ERROR,
                            "这一行没有项目名称。",
                            column=letters["project_name"],
                            **where,
                        )
                    )
                continue
            number = parse_decimal(grid.value(row, columns["number"])) if "number" in columns else None
            opinion = grid.value(row, columns["opinion"]) if "opinion" in columns else None
            department = texts.get("department") or sheet_department
            result.summary_rows.append(
                SummaryRecord(
                    number=int(number) if number is not None and number == number.to_integral_value() else None,
                    department=department,
                    unit=texts.get("unit") or department,
                    project_name=texts["project_name"],
                    self_grade=_grade(
                        texts["self_grade"], "自评结果", where, result.problems, letters.get("self_grade", "")
                    ),
                    finance_grade=_grade(
                        texts.get("finance_grade", ""),
                        "财政抽查审核结果",
                        where,
                        result.problems,
                        letters.get("finance_grade", ""),
                    ),
                    # Paragraphs kept: one per line (or the HTML as written); sanitised when stored.
                    opinion_html="" if opinion is None or is_placeholder(opinion) else str(opinion).strip(),
                    initial_wan=numbers.amount(row, "initial"),
                    adjusted_wan=numbers.amount(row, "adjusted"),
                    executed_wan=numbers.amount(row, "executed"),
                    execution_rate=numbers.rate(row),
                    self_score=numbers.score(row),
                    **where,
                )
            )
    result.summary_rows = _numbered(result.summary_rows)
    _refuse_duplicates(result)
    return result


def _refuse_duplicates(result: ReadResult) -> None:
    """One row per project: a second row for the same 预算单位 and 项目名称 would overwrite the first."""
    seen = {}
    for row in result.summary_rows:
        key = (normalise_label(row.department), normalise_label(row.unit), normalise_label(row.project_name))
        first = seen.setdefault(key, row)
        if first is not row:
            result.problems.append(
                Problem(
                    ERROR,
                    f"“{row.unit} / {row.project_name}”在第 {first.row} 行已经出现过：同一项目只能有一行。",
                    sheet=row.sheet,
                    row=row.row,
                )
            )


def _numbered(rows: list[SummaryRecord]) -> list[SummaryRecord]:
    """Rows without a 序号 keep the order of the file (numbered after the last one seen)."""
    last = 0
    for row in rows:
        if row.number is None:
            row.number = last + 1
        last = row.number
    return rows
