"""The report renderers' safety: WeasyPrint fetches only project static files; spreadsheets get no formulas."""

from decimal import Decimal
from io import BytesIO

import pytest

from evaluations.reports.excel import cell_text, set_text, write_cell
from evaluations.reports.pdf import BASE_URL, RefusedFetch, static_file_for


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:1/x.png",
        "https://example.com/static/reports/report.css",
        "data:text/plain,secret",
        f"{BASE_URL}../../../etc/passwd",
        f"{BASE_URL}reports/../../config/settings.py",
        f"{BASE_URL}reports/no-such-file.css",
    ],
)
def test_the_report_fetcher_refuses_everything_but_project_static_files(url):
    with pytest.raises(RefusedFetch):
        static_file_for(url)


def test_the_report_fetcher_serves_the_project_stylesheet():
    path = static_file_for(f"{BASE_URL}reports/report.css")

    assert (path.name, '第 " counter(page)' in path.read_text(encoding="utf-8")) == ("report.css", True)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ('=HYPERLINK("http://x","点击")', ('=HYPERLINK("http://x","点击")', True)),
        ("+1+1", ("+1+1", True)),
        ("-2", ("-2", True)),
        ("@SUM(A1)", ("@SUM(A1)", True)),
        ("预算执行率", ("预算执行率", False)),
        ("名\x00称\x07\x1f", ("名称", False)),
        ("a\tb\nc\rd", ("a\tb\nc\rd", False)),
    ],
)
def test_text_that_would_be_a_formula_is_kept_exact_and_marked_for_the_quote_prefix(value, stored):
    assert cell_text(value) == stored


def test_cells_keep_numbers_numeric_and_text_as_text_after_a_round_trip():
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    write_cell(ws, 1, 1, Decimal("579.83"), number_format="#,##0.00")
    write_cell(ws, 1, 2, "=1+1")
    write_cell(ws, 1, 3, None)
    buffer = BytesIO()
    wb.save(buffer)

    cells = load_workbook(BytesIO(buffer.getvalue())).active[1]

    assert [(c.value, c.data_type, c.number_format, c.quotePrefix) for c in cells[:2]] == [
        (579.83, "n", "#,##0.00", False),
        ("=1+1", "s", "General", True),
    ]


def test_every_character_openpyxl_refuses_is_dropped_from_a_cell_text():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    refused = "".join(chr(code) for code in range(0x10000) if ILLEGAL_CHARACTERS_RE.match(chr(code)))

    assert refused and cell_text(f"名{refused}称") == ("名称", False)


def test_a_write_only_cell_gets_the_exact_text_and_the_quote_prefix():
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([set_text(WriteOnlyCell(ws), "=1+2"), set_text(WriteOnlyCell(ws), "预算\x00执行率")])
    buffer = BytesIO()
    wb.save(buffer)

    cells = load_workbook(BytesIO(buffer.getvalue())).active[1]

    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [("=1+2", "s", True), ("预算执行率", "s", False)]
