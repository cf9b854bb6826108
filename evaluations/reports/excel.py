"""openpyxl helpers shared by the Excel renderers: formula-safe text, styles, number formats, print set-up.

openpyxl is imported inside the functions that need it: it is slow to import.
"""

from decimal import Decimal

# A text cell beginning with one of these would be read as a formula (or DDE) by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
AMOUNT_FORMAT = "#,##0.00"  # 万元, 2 decimals
RATE_FORMAT = "0.00%"
POINTS_FORMAT = "0.00"


def safe_text(value) -> str:
    """Text for a cell, escaped so that no spreadsheet evaluates it: a leading = + - @ gets a quote."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_cell(ws, row: int, column: int, value, *, number_format: str | None = None, style=None):
    """Write one cell keeping numbers numeric (Decimal → number with a format) and text as plain strings.

    Text is stored with data_type "s" explicitly, so a string that looks like a formula stays a string even
    after the quote is added (defence in depth against formula injection).
    """
    cell = ws.cell(row=row, column=column)
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        cell.value = value
        if number_format:
            cell.number_format = number_format
    elif value is None:
        cell.value = None
    else:
        cell.value = safe_text(value)
        cell.data_type = "s"
    if style is not None:
        for attribute, setting in style.items():
            setattr(cell, attribute, setting)
    return cell


def thin_border():
    from openpyxl.styles import Border, Side

    side = Side(style="thin", color="000000")
    return Border(left=side, right=side, top=side, bottom=side)


def a4_print_setup(ws, *, landscape: bool, title_rows: str | None = None):
    """A4, orientation, fit to one page wide, repeated title rows."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4


class GridWriter:
    """Writes a sheet's bordered grid row by row: wrapped 宋体 cells, a value spanning a range merged over it
    and every cell of the range styled. Both standard tables' Excel builders write through it."""

    def __init__(self, ws):
        from openpyxl.styles import Font

        self.ws = ws
        self.row = 1
        self.border = thin_border()
        self.font = Font(name="宋体", size=10)
        self.bold = Font(name="宋体", size=10, bold=True)

    def put(self, column, value, *, span=1, rowspan=1, fmt=None, bold=False, align="center", row=None):
        """Write ``value`` at (``row`` or the current row, ``column``) over ``span`` columns and ``rowspan`` rows."""
        from openpyxl.styles import Alignment

        row = self.row if row is None else row
        write_cell(self.ws, row, column, None if value == "" else value, number_format=fmt)
        alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        for r in range(row, row + rowspan):
            for c in range(column, column + span):
                cell = self.ws.cell(row=r, column=c)
                cell.border = self.border
                cell.alignment = alignment
                cell.font = self.bold if bold else self.font
        if span > 1 or rowspan > 1:
            self.ws.merge_cells(
                start_row=row, start_column=column, end_row=row + rowspan - 1, end_column=column + span - 1
            )
