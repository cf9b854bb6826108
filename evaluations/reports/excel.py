"""Helpers shared by the Excel writers: formula-safe text, styles, number formats, print set-up.

Every text cell of every xlsx the project writes goes through ``cell_text``: the cell holds the exact text (a
string cell, never a formula), and a text a spreadsheet would otherwise take for a formula gets the cell style's
quote prefix (quotePrefix), the same as typing ' before it in Excel: Excel and WPS show the text as written, with
no visible apostrophe, and keep it text when the cell is edited. openpyxl cells take it through ``set_text`` /
``write_cell``, XlsxWriter cells through ``QuotedFormats``.

openpyxl is imported inside the functions that need it: it is slow to import.
"""

import re
from decimal import Decimal

# A text cell beginning with one of these would be read as a formula (or DDE) by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters no xlsx can hold: the C0 controls but tab, line feed and carriage return (openpyxl's
# ILLEGAL_CHARACTERS_RE, which raises IllegalCharacterError on them), and the XML non-characters.
ILLEGAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
AMOUNT_FORMAT = "#,##0.00"  # 万元, 2 decimals
RATE_FORMAT = "0.00%"
POINTS_FORMAT = "0.00"


def cell_text(value) -> tuple[str, bool]:
    """(the text a cell holds for ``value``, whether the cell needs the quote-prefix style).

    The text is exact but for the control characters no xlsx can hold, which are dropped so that an export
    never fails on a name pasted with one; a text beginning with = + - @ (or tab / CR) needs the quote prefix.
    """
    text = "" if value is None else str(value)
    if not text.isprintable():  # a fast test first: the summary sheet writes tens of thousands of cells
        text = ILLEGAL_CHARACTERS.sub("", text)
    return text, text.startswith(FORMULA_STARTS)


def set_text(cell, value):
    """Put ``value`` in an openpyxl cell (or WriteOnlyCell) as text that no spreadsheet evaluates.

    openpyxl makes a formula of a str beginning with "=" (and an error of "#N/A"), so the type is set back to
    string after the value; a formula-like text gets the quote-prefix style instead of a visible apostrophe.
    """
    text, quote = cell_text(value)
    cell.value = text
    cell.data_type = "s"
    if quote or cell.quotePrefix:
        cell.quotePrefix = quote
    return cell


def write_cell(ws, row: int, column: int, value, *, number_format: str | None = None, style=None):
    """Write one cell keeping numbers numeric (Decimal → number with a format) and text as plain strings.

    Text goes through ``set_text``: stored with data_type "s" explicitly, so a string that looks like a
    formula stays a string, and shown as written thanks to the quote-prefix style.
    """
    cell = ws.cell(row=row, column=column)
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        cell.value = value
        if number_format:
            cell.number_format = number_format
    elif value is None:
        cell.value = None
    else:
        set_text(cell, value)
    if style is not None:
        for attribute, setting in style.items():
            setattr(cell, attribute, setting)
    return cell


class QuotedFormats:
    """XlsxWriter's side of ``cell_text``: each format is added with its quote-prefixed twin, and text is written
    with the twin when it needs the quote prefix. (Set the workbook's strings_to_formulas to False as well.)"""

    def __init__(self, workbook):
        self.workbook = workbook
        self.twins = {}

    def add(self, properties=None):
        """``workbook.add_format(properties)``, remembering its twin with quote_prefix."""
        properties = dict(properties or {})
        cell_format = self.workbook.add_format(properties)
        self.twins[cell_format] = self.workbook.add_format({**properties, "quote_prefix": True})
        return cell_format

    def text(self, value, cell_format):
        """(the exact text, the format to write it with): ``cell_format`` or its quote-prefixed twin."""
        text, quote = cell_text(value)
        return text, self.twins[cell_format] if quote else cell_format

    def write(self, ws, row: int, column: int, value, cell_format):
        """Write ``value`` as a string cell (never a formula, number or URL)."""
        text, chosen = self.text(value, cell_format)
        return ws.write_string(row, column, text, chosen)

    def merge(self, ws, first_row: int, first_column: int, last_row: int, last_column: int, value, cell_format):
        """Merge the range and write ``value`` into it as a string cell."""
        text, chosen = self.text(value, cell_format)
        ws.merge_range(first_row, first_column, last_row, last_column, "", chosen)
        return ws.write_string(first_row, first_column, text, chosen)


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
