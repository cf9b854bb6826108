"""A worksheet as a grid of cleaned values, merged ranges filled from their top-left cell.

Readers find tables by their labels, never by cell addresses; merged cells (a 一级 label over six rows, a
title across the sheet) read the same in every cell they cover. Only values are kept: formulas come as their
cached results (the workbook is opened with data_only=True).
"""

from dataclasses import dataclass
from decimal import Decimal

from openpyxl.utils import get_column_letter

from indicators.parsing import clean_text


@dataclass(frozen=True)
class Cell:
    row: int  # 1-based
    column: int  # 1-based
    value: object  # as openpyxl read it (number, text, date …), merged ranges filled in

    @property
    def text(self) -> str:
        return clean_text(self.value)

    @property
    def letter(self) -> str:
        return get_column_letter(self.column)


class Grid:
    def __init__(self, worksheet):
        self.title = worksheet.title
        # Only the cells the file holds (openpyxl's cell map), never the max_row × max_column rectangle: one
        # cell at XFD1048576 would make that 17 billion iterations.
        values: dict[tuple[int, int], object] = {}
        # Numbers formatted as percentages: 0.95 shown as "95%" is read as the user sees it.
        self.percent: set[tuple[int, int]] = set()
        for key, cell in worksheet._cells.items():
            value = cell.value
            if value is None or value == "":
                continue
            values[key] = value
            numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
            if numeric and "%" in (cell.number_format or ""):
                self.percent.add(key)
        self.max_row = max((r for r, _ in values), default=0)
        self.max_column = max((c for _, c in values), default=0)
        self.merged: dict[tuple[int, int], tuple[int, int]] = {}  # cell → top-left of its merged range
        merged_ranges = worksheet.merged_cells.ranges if hasattr(worksheet, "merged_cells") else ()
        for merged in merged_ranges:
            top_left = (merged.min_row, merged.min_col)
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    self.merged[(r, c)] = top_left
        self._values = values
        # The columns of each row that show a value (directly or through a merged range), in order.
        by_row: dict[int, set[int]] = {}
        for r, c in values:
            by_row.setdefault(r, set()).add(c)
        for (r, c), top_left in self.merged.items():
            if top_left in values:
                by_row.setdefault(r, set()).add(c)
        self._columns = {r: sorted(cs) for r, cs in by_row.items()}
        self.max_row = max(self.max_row, max(self._columns, default=0))
        self.max_column = max(self.max_column, max((cs[-1] for cs in self._columns.values()), default=0))

    def value(self, row: int, column: int):
        key = self.merged.get((row, column), (row, column))
        return self._values.get(key)

    def is_percent(self, row: int, column: int) -> bool:
        return self.merged.get((row, column), (row, column)) in self.percent

    def text(self, row: int, column: int) -> str:
        return clean_text(self.value(row, column))

    def raw_text(self, row: int, column: int) -> str:
        """The text as written (surrounding blanks removed, full-width forms kept): for names, which are stored
        as the file writes them; compare them with clean_text."""
        value = self.value(row, column)
        return "" if value is None else str(value).strip()

    def cell(self, row: int, column: int) -> Cell:
        return Cell(row, column, self.value(row, column))

    def is_merged_continuation(self, row: int, column: int) -> bool:
        """True for a cell covered by a merge that starts elsewhere (not its top-left)."""
        top_left = self.merged.get((row, column))
        return top_left is not None and top_left != (row, column)

    def row_texts(self, row: int) -> list[str]:
        """The texts of ``row``, one per column (merged cells repeated across their range)."""
        columns = self._columns.get(row)
        return [self.text(row, c) for c in range(1, columns[-1] + 1)] if columns else []

    def row_cells(self, row: int, *, distinct: bool = True) -> list[Cell]:
        """Non-empty cells of ``row``; with ``distinct``, a merged range counts once (at its first column)."""
        cells = []
        for column in self._columns.get(row, ()):
            if distinct and self.merged.get((row, column), (row, column))[1] != column:
                continue
            value = self.value(row, column)
            if value is not None and clean_text(value) != "":
                cells.append(Cell(row, column, value))
        return cells

    def is_blank_row(self, row: int) -> bool:
        return not self.row_cells(row)

    def rows(self) -> list[int]:
        """The rows that hold anything, in order."""
        return sorted(self._columns)

    def find(self, predicate, *, start_row: int = 1, end_row: int | None = None) -> Cell | None:
        """The first cell (row by row, left to right) whose cleaned text satisfies ``predicate``."""
        last = end_row or self.max_row
        for row in self.rows():
            if row < start_row or row > last:
                continue
            for cell in self.row_cells(row):
                if predicate(normalise_label(cell.text)):
                    return cell
        return None


def normalise_label(text: str) -> str:
    """A label as compared: full-width folded (already by clean_text), blanks and line breaks removed,
    "(50分)"-style suffixes and bracketed letters kept out: "产\\n出\\n指\\n标（50分）" → "产出指标"."""
    import re

    squeezed = re.sub(r"\s+", "", text)
    squeezed = re.sub(r"[（(]\s*\d+(\.\d+)?\s*分\s*[)）]", "", squeezed)
    return squeezed
