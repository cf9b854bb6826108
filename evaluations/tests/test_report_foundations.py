"""The report renderers' safety: WeasyPrint fetches only project static files; spreadsheets get no formulas."""

from decimal import Decimal
from io import BytesIO

import pytest

from evaluations.reports.excel import safe_text, write_cell
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
        ('=HYPERLINK("http://x","点击")', '\'=HYPERLINK("http://x","点击")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("预算执行率", "预算执行率"),
    ],
)
def test_text_that_would_be_a_formula_is_quoted(value, stored):
    assert safe_text(value) == stored


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

    assert [(c.value, c.data_type, c.number_format) for c in cells[:2]] == [
        (579.83, "n", "#,##0.00"),
        ("'=1+1", "s", "General"),
    ]
