"""A worksheet read for 项目支出绩效自评表 and the tables found on it: cells read as the user sees them (percentages,
numbers as written), labels split from their inline values, each table's extent, title, year and header rows."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from imports.readers.sheet import LabelledSheet, label_key
from imports.readers.standard_labels import (
    BUDGET_BY_LABEL,
    FORM_HINTS,
    INDICATOR_BY_LABEL,
    KNOWN_LABELS,
    TITLE_MARK,
    TITLE_WINDOW,
    TITLE_YEAR,
    YEAR_ROW,
)
from imports.records import WARNING
from indicators.parsing import clean_text, is_placeholder, parse_decimal


def plain_number(number: Decimal) -> str:
    """A Decimal as people write it: no exponent, no trailing zeros after the point (3000000, 97.5)."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def rate_fraction(value: object, *, percent_format: bool = False) -> tuple[Decimal | None, bool]:
    """An execution rate as a fraction: "100.00%" → 1, "97.45%" → 0.9745, a cell 0.9745 formatted as a
    percentage → 0.9745. A bare number above 2 ("97.45") is taken as a percentage; the flag says so."""
    if value is None or isinstance(value, bool):
        return None, False
    if isinstance(value, int | float | Decimal):
        number = parse_decimal(value)
        if percent_format:
            return number, False
    else:
        text = clean_text(value).replace(" ", "")
        if is_placeholder(text):
            return None, False
        number = parse_decimal(text)
        if number is None:
            return None, False
        if text.endswith("%"):
            return number / 100, False
    if number is not None and number > 2:
        return number / 100, True
    return number, False


def is_form_hint(text: str) -> bool:
    folded = re.sub(r"\s+", "", clean_text(text))
    return any(hint.search(folded) for hint in FORM_HINTS)


@dataclass
class Table:
    start: int  # the title row, or the 项目名称 row when there is no title
    anchor: int | None  # the 项目名称 row; None for a title without one
    end: int = 0
    title: str = ""
    year: int | None = None


class StandardSheet(LabelledSheet):
    """A worksheet read for 项目支出绩效自评表: cells formatted as percentages read as the user sees them."""

    def raw(self, row: int, column: int) -> str:
        """The cell as written: text stripped but not folded (names keep their full-width brackets); a number
        cell as its number ("579.83", a percentage-formatted 0.95 as "95%")."""
        value = self.grid.value(row, column)
        if value is None:
            return ""
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = parse_decimal(value)
            if self.grid.is_percent(row, column):
                return plain_number(number * 100) + "%"
            return plain_number(number)
        if isinstance(value, datetime | date):
            return value.isoformat()
        return str(value).strip()

    def rate(self, row: int, column: int | None) -> Decimal | None:
        if column is None:
            return None
        value = self.grid.value(row, column)
        rate, assumed = rate_fraction(value, percent_format=self.grid.is_percent(row, column))
        text = self.raw(row, column)
        if rate is None and value is not None and not is_placeholder(text):
            self.problem(WARNING, f"执行率“{text}”无法识别，未导入。", row, column)
        elif assumed:
            self.problem(WARNING, f"执行率“{text}”没有百分号，按 {text}% 导入。", row, column)
        return rate

    # ---- structure ----

    def right_of(self, row: int, column: int) -> tuple[str, int | None]:
        """The value cell right of a label: its text, or "" when it is empty or another label."""
        column = self.range_end(row, column) + 1
        if column > self.grid.max_column:
            return "", None
        if self.key(row, column) in KNOWN_LABELS:
            return "", column
        return self.text(row, column), column

    def header_columns(self, row: int, labels: dict[str, str]) -> dict[str, int]:
        """The columns of ``row`` whose label is in ``labels``, by field name (first column wins)."""
        found: dict[str, int] = {}
        used = set()
        for cell in self.cells(row):
            name = labels.get(label_key(cell.text))
            if name and name not in found and cell.column not in used:
                found[name] = cell.column
                used.add(cell.column)
        return found


def split_label(text: str) -> tuple[str, str | None]:
    """ "项目负责人：殷志强" → ("项目负责人", "殷志强"); a cell without a colon → (its key, None)."""
    match = re.search(r"[:：]", text)
    if match:
        return label_key(text[: match.start()]), text[match.end() :].strip()
    return label_key(text), None


# ---- finding the tables ----


def _title_cells(sheet: StandardSheet) -> dict[int, str]:
    titles = {}
    for row in range(1, sheet.grid.max_row + 1):
        for cell in sheet.cells(row):
            folded = re.sub(r"\s+", "", cell.text)
            if TITLE_MARK in folded and "汇总" not in folded and len(folded) <= 60:
                titles[row] = folded
                break
    return titles


def _anchor_rows(sheet: StandardSheet) -> list[int]:
    rows = []
    for row in range(1, sheet.grid.max_row + 1):
        if any(split_label(cell.text)[0] == "项目名称" for cell in sheet.cells(row)):
            rows.append(row)
    return rows


def _year_near(sheet: StandardSheet, first: int, last: int) -> int | None:
    for row in range(first, last + 1):
        for cell in sheet.cells(row):
            folded = re.sub(r"\s+", "", cell.text)
            match = TITLE_YEAR.search(folded) if TITLE_MARK in folded else YEAR_ROW.match(folded)
            if match:
                return int(match[1])
    return None


def _title_above(sheet: StandardSheet, titles: dict[int, str], anchor: int, previous: int) -> int | None:
    """The nearest title row above ``anchor`` within TITLE_WINDOW non-blank rows (blank spacer rows are free)."""
    seen = 0
    for row in range(anchor - 1, previous, -1):
        if row in titles:
            return row
        if not sheet.grid.is_blank_row(row):
            seen += 1
            if seen >= TITLE_WINDOW:
                break
    return None


def find_tables(sheet: StandardSheet) -> list[Table]:
    """Every table of the sheet: one per 项目名称 label, plus titles that have none (reported as errors)."""
    titles = _title_cells(sheet)
    tables: list[Table] = []
    attached: set[int] = set()
    previous = 0
    for anchor in _anchor_rows(sheet):
        above = _title_above(sheet, titles, anchor, previous)
        table = Table(start=above or anchor, anchor=anchor)
        if above:
            table.title = titles[table.start]
            attached.add(table.start)
        table.year = _year_near(sheet, table.start, anchor)
        tables.append(table)
        previous = anchor
    for row, title in titles.items():
        if row not in attached:
            tables.append(Table(start=row, anchor=None, title=title, year=_year_near(sheet, row, row + 1)))
    tables.sort(key=lambda t: t.start)
    for n, table in enumerate(tables):
        table.end = tables[n + 1].start - 1 if n + 1 < len(tables) else sheet.grid.max_row
    return tables


def budget_header(sheet: StandardSheet, table: Table) -> tuple[int, dict[str, int]] | None:
    for row in range(table.start, table.end + 1):
        columns = sheet.header_columns(row, BUDGET_BY_LABEL)
        if sum(name in columns for name in ("initial", "adjusted", "executed")) >= 2:
            return row, columns
    return None


def grid_header(sheet: StandardSheet, table: Table) -> tuple[int, dict[str, int]] | None:
    for row in range(table.start, table.end + 1):
        columns = sheet.header_columns(row, INDICATOR_BY_LABEL)
        levels = sum(name in columns for name in ("level1", "level2", "name"))
        if levels >= 2 and any(name in columns for name in ("target", "actual", "weight", "score", "sign")):
            return row, columns
    return None
