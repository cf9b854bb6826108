"""Building test workbooks the way units produce them: merged cells, values as text or numbers, several tables."""

from io import BytesIO

from openpyxl import Workbook, load_workbook


def reload(workbook) -> Workbook:
    """Save and open again as an import does (data_only, not read-only): what a reader really gets."""
    buffer = BytesIO()
    workbook.save(buffer)
    return load_workbook(BytesIO(buffer.getvalue()), data_only=True)


def load(data: bytes) -> Workbook:
    return load_workbook(BytesIO(data), data_only=True)


def copy_sheet(source, target, *, row_offset: int = 0):
    """Copy the values, number formats and merged ranges of ``source`` into ``target``, ``row_offset`` rows down."""
    for row in source.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            copied = target.cell(row=cell.row + row_offset, column=cell.column, value=cell.value)
            copied.number_format = cell.number_format
    for merged in source.merged_cells.ranges:
        target.merge_cells(
            start_row=merged.min_row + row_offset,
            start_column=merged.min_col,
            end_row=merged.max_row + row_offset,
            end_column=merged.max_col,
        )


class SheetWriter:
    """Writes a table row by row: ``put`` a value, optionally merged over ``span`` columns and ``rowspan`` rows."""

    def __init__(self, worksheet, row: int = 1):
        self.ws = worksheet
        self.row = row

    def put(self, column: int, value, *, span: int = 1, rowspan: int = 1, row: int | None = None, fmt: str = ""):
        row = self.row if row is None else row
        cell = self.ws.cell(row=row, column=column, value=value)
        if fmt:
            cell.number_format = fmt
        if span > 1 or rowspan > 1:
            self.ws.merge_cells(
                start_row=row, start_column=column, end_row=row + rowspan - 1, end_column=column + span - 1
            )
        return self

    def line(self, *values, start: int = 1):
        """One row of single cells (None leaves a cell empty), then move to the next row."""
        for column, value in enumerate(values, start):
            if value is not None:
                self.ws.cell(row=self.row, column=column, value=value)
        self.row += 1
        return self

    def next(self, rows: int = 1):
        self.row += rows
        return self
