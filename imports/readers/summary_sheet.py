"""The 市级财政支出绩效自评结果汇总表 (seed 000) as a workbook: found by its header row, repeated headers skipped."""

import re

from openpyxl.utils import get_column_letter

from imports.grid import Grid, normalise_label
from imports.records import ERROR, WARNING, Problem, ReadResult, SummaryRecord
from imports.wording import GRADE_LIST, GRADE_WORDINGS, GRADES
from indicators.parsing import is_placeholder, parse_decimal

# Each column's accepted headers (compared after normalise_label). 序号 and the finance columns are optional.
COLUMNS = {
    "number": ("序号",),
    "department": ("主管部门", "主管部门名称"),
    "unit": ("预算单位", "单位名称", "实施单位", "预算单位名称"),
    "project_name": ("项目名称", "项目"),
    "self_grade": ("自评结果", "自评等级", "自评结论"),
    "finance_grade": ("财政抽查审核结果", "财政审核结果", "抽查审核结果", "财政抽查结果"),
    "opinion": ("财政抽查审核意见", "财政审核意见", "抽查审核意见", "审核意见"),
}
REQUIRED = ("department", "unit", "project_name", "self_grade")
YEAR = re.compile(r"(20\d{2})\s*年度?")
TITLE = re.compile(r"绩效自评结果汇总表")


def _header_columns(grid: Grid, row: int) -> dict[str, int] | None:
    found = {}
    for cell in grid.row_cells(row):
        label = normalise_label(cell.text)
        for key, headers in COLUMNS.items():
            if key not in found and label in headers:
                found[key] = cell.column
    return found if all(key in found for key in REQUIRED) else None


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
        for row in grid.rows():
            if row <= header_row or _header_columns(grid, row):
                continue  # spacer rows and the header repeated at every printed page
            # Names as written (full-width brackets kept); grades and placeholders compared in folded form.
            texts = {key: grid.raw_text(row, column) for key, column in columns.items()}
            texts["self_grade"] = grid.text(row, columns["self_grade"])
            if "finance_grade" in columns:
                texts["finance_grade"] = grid.text(row, columns["finance_grade"])
            where = {"sheet": grid.title, "row": row}
            if not texts["project_name"]:
                if any(texts.get(k) for k in ("department", "unit", "self_grade")):
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
            result.summary_rows.append(
                SummaryRecord(
                    number=int(number) if number is not None and number == number.to_integral_value() else None,
                    department=texts["department"],
                    unit=texts["unit"] or texts["department"],
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
