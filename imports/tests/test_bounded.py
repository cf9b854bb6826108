"""Bounded parsing (issue 15, finding 1): every count openpyxl would build objects for has a limit, checked while
the parts stream through expat, so an exhaustion workbook is refused quickly and small before openpyxl opens it.

Each test below failed on the code before the limits: the files opened (or were refused only by openpyxl itself,
after building everything). bench/hostile_uploads.py measures the same files at full size.
"""

import resource
import time
import zipfile
from io import BytesIO, StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from imports import safety
from imports.models import ImportRecord
from imports.safety import UnusableWorkbook, inspect, open_workbook
from imports.tests import corpus

MAIN = corpus.MAIN_NS
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _sheet(body: str = "", *, before_data: str = "") -> bytes:
    first = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    xml = f'<worksheet xmlns="{MAIN}">{before_data}<sheetData>{first}{body}</sheetData></worksheet>'
    return corpus._rezip(corpus.valid_xlsx(), replace={corpus.SHEET: xml.encode()})


def empty_rows(count: int) -> bytes:
    """Rows with a height and no cells: openpyxl keeps an object for each (finding 1's 2.6 MB workbook)."""
    return _sheet("".join(f'<row r="{r}" ht="20" customHeight="1"/>' for r in range(2, count + 2)))


def shared_strings(count: int) -> bytes:
    source = zipfile.ZipFile(BytesIO(corpus.valid_xlsx()))
    types = source.read("[Content_Types].xml").replace(
        b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>'.encode()
    )
    items = "".join(f"<si><t>{i}</t></si>" for i in range(count))
    sst = f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">{items}</sst>'.encode()
    return corpus._rezip(corpus.valid_xlsx(), replace={"[Content_Types].xml": types}, add={"xl/sharedStrings.xml": sst})


def cell_formats(count: int) -> bytes:
    styles = (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
        f'<borders count="1"><border/></borders><cellXfs count="{count}">'
        + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>' * count
        + "</cellXfs></styleSheet>"
    )
    return corpus._rezip(corpus.valid_xlsx(), replace={"xl/styles.xml": styles.encode()})


def column_records(count: int) -> bytes:
    cols = "".join(f'<col min="{i}" max="{i}" width="9"/>' for i in range(1, count + 1))
    return _sheet(before_data=f"<cols>{cols}</cols>")


def defined_names(count: int) -> bytes:
    source = zipfile.ZipFile(BytesIO(corpus.valid_xlsx()))
    names = "".join(f'<definedName name="n{i}">Sheet!$A$1</definedName>' for i in range(count))
    workbook = source.read("xl/workbook.xml").replace(
        b"</sheets>", f"</sheets><definedNames>{names}</definedNames>".encode()
    )
    return corpus._rezip(corpus.valid_xlsx(), replace={"xl/workbook.xml": workbook})


def many_sheets(count: int) -> bytes:
    source = zipfile.ZipFile(BytesIO(corpus.valid_xlsx()))
    entries = "".join(f'<sheet name="s{i}" sheetId="{i + 2}" r:id="rId1"/>' for i in range(count))
    workbook = source.read("xl/workbook.xml").replace(b"</sheets>", entries.encode() + b"</sheets>")
    return corpus._rezip(corpus.valid_xlsx(), replace={"xl/workbook.xml": workbook})


def unknown_elements(count: int) -> bytes:
    return _sheet('<row r="2">' + "<x/>" * count + "</row>")


def stray_elements(count: int) -> bytes:
    """Unknown elements straight in the worksheet, outside sheetData: openpyxl keeps every one."""
    xml = f'<worksheet xmlns="{MAIN}">' + "<x/>" * count + "<sheetData/></worksheet>"
    return corpus._rezip(corpus.valid_xlsx(), replace={corpus.SHEET: xml.encode()})


def big_part(size: int) -> bytes:
    """One worksheet past the part limit that does not shrink much (random text), so it is not a zip bomb."""
    import random

    rng = random.Random(15)  # noqa: S311 - a reproducible filler, not a secret
    text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(size))
    return _sheet(f'<row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row>')


# name: (builder at a count past the lowered limit, the setting and its lowered value, the words of the refusal)
LIMITS = {
    "rows": (lambda: empty_rows(2_000), "IMPORT_MAX_ROWS", 1_000, "行记录"),
    "shared strings": (lambda: shared_strings(2_000), "IMPORT_MAX_SHARED_STRINGS", 1_000, "文字条目"),
    "cell formats": (lambda: cell_formats(2_000), "IMPORT_MAX_STYLES", 1_000, "单元格格式"),
    "column records": (lambda: column_records(2_000), "IMPORT_MAX_COLUMN_RECORDS", 1_000, "列格式记录"),
    "defined names": (lambda: defined_names(2_000), "IMPORT_MAX_RULES", 1_000, "名称定义"),
    "sheets": (lambda: many_sheets(300), "IMPORT_MAX_SHEETS", 255, "工作表过多"),
    "elements": (lambda: unknown_elements(20_000), "IMPORT_MAX_XML_ELEMENTS", 10_000, "内部记录"),
    # Elements openpyxl keeps as a tree (anything outside rows and shared strings), here straight in the worksheet.
    "structure": (lambda: stray_elements(2_000), "IMPORT_MAX_STRUCTURE_ELEMENTS", 1_000, "表格数据以外的内部记录"),
    # One row holding a whole tree: openpyxl builds it all before it reads the row.
    "one row": (lambda: unknown_elements(2_000), "IMPORT_MAX_RECORD_ELEMENTS", 1_000, "有一行（或一个文字条目）"),
}


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_each_count_past_its_limit_is_refused_before_openpyxl_with_the_limit_and_what_to_do(name, settings):
    build, setting, value, words = LIMITS[name]
    setattr(settings, setting, value)
    with pytest.raises(UnusableWorkbook) as refused:
        open_workbook(build(), filename=f"{name}.xlsx")
    message = refused.value.message
    assert words in message
    assert f"上限 {value:,} 个" in message
    assert "请" in message  # says what to do


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_the_same_files_under_their_limits_are_not_refused_by_them(name, settings):
    build, setting, value, words = LIMITS[name]
    setattr(settings, setting, value * 100)
    try:
        open_workbook(build())
    except UnusableWorkbook as refused:  # openpyxl may still dislike a hand-made part; never for this count
        assert words not in refused.message


def test_a_part_past_the_part_limit_is_refused_by_its_declared_size_with_the_sizes_in_mb(settings):
    settings.IMPORT_MAX_PART_BYTES = 1024 * 1024
    with pytest.raises(UnusableWorkbook) as refused:
        inspect(big_part(1_200_000))
    assert "xl/worksheets/sheet1.xml" in refused.value.message
    assert "上限 1 MB" in refused.value.message


def test_a_zip_bomb_is_still_called_a_zip_bomb_before_the_part_limit():
    build, fragment = corpus.BAD_FILES["zip_bomb_ratio"]
    with pytest.raises(UnusableWorkbook) as refused:
        inspect(build())
    assert fragment in refused.value.message


def test_the_scan_stops_at_the_limit_instead_of_reading_the_rest(settings):
    """A count past its limit ends the scan there: ten times the records do not take ten times as long."""
    settings.IMPORT_MAX_ROWS = 1_000
    timings = []
    for count in (20_000, 200_000):
        data = empty_rows(count)
        start = time.perf_counter()
        with pytest.raises(UnusableWorkbook):
            inspect(data)
        timings.append(time.perf_counter() - start)
    assert timings[1] < 5 * timings[0] + 0.05


def test_inspection_counts_what_a_legitimate_workbook_holds():
    found = inspect(corpus.valid_xlsx())
    assert found.counts["sheets"] == 1
    assert found.cells == 6
    assert found.counts["rows"] == 4


def test_the_limits_are_stated_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for setting, _what, _advice in safety.RECORD_LIMITS.values():
        assert setting in readme, setting
    assert "IMPORT_MAX_PART_BYTES" in readme


# --- finding 1's own workbook, at full size, through the page and the command -------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module")
def million_rows() -> bytes:
    """The reported file: a million row records with a height, 2.6 MB on disk (46 s and +800 MB before)."""
    rows = b"".join(b'<row r="%d" ht="20" customHeight="1"/>' % r for r in range(2, 1_000_002))
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    return corpus._rezip(corpus.valid_xlsx(), replace={corpus.SHEET: head + rows + b"</sheetData></worksheet>"})


@pytest.mark.django_db
def test_the_million_row_workbook_is_refused_through_the_page_quickly_and_small(client, cast, million_rows):
    client.force_login(cast.admin)
    before, start = _peak_mb(), time.perf_counter()
    response = client.post(
        reverse("imports:list"), {"file": SimpleUploadedFile("rows.xlsx", million_rows)}, follow=True
    )
    elapsed, grown = time.perf_counter() - start, _peak_mb() - before
    record = ImportRecord.objects.get()
    assert record.status == ImportRecord.Status.REFUSED
    assert "行记录（包括只设置了行高或格式的空行）过多" in response.content.decode()
    # Generous bounds for a shared CI machine; the bench prints the real figures (about 0.5 s, +10 MB).
    assert elapsed < 5
    assert grown < 200


@pytest.mark.django_db
def test_the_million_row_workbook_is_refused_by_the_command_with_exit_status_2(cast, tmp_path, million_rows):
    path = tmp_path / "rows.xlsx"
    path.write_bytes(million_rows)
    err = StringIO()
    start = time.perf_counter()
    with pytest.raises(SystemExit) as exited:
        call_command("import_excel", str(path), "--bureau", "东莞市财政局", stdout=StringIO(), stderr=err)
    assert exited.value.code == 2
    assert "行记录" in err.getvalue()
    assert time.perf_counter() - start < 5


@pytest.mark.django_db
def test_a_body_past_the_upload_limit_is_refused_by_its_length_before_anything_reads_it(client, cast, settings):
    """Before, Django streamed the whole body to a temporary file (the CSRF check parses it) before the form
    could refuse the file as too large."""
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    client.force_login(cast.admin)
    response = client.post(
        reverse("imports:list"), {"file": SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + bytes(2 * 1024 * 1024))}
    )
    page = response.content.decode()
    assert response.status_code == 413
    assert "上传的内容太大" in page and "这次提交有 2 MB" in page
    assert ImportRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_body_within_the_limit_reaches_the_form(client, cast):
    client.force_login(cast.admin)
    response = client.post(reverse("imports:list"), {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert response.status_code == 200
    assert "请上传 .xlsx 格式" in response.content.decode()
