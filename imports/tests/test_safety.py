import random
import zipfile
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ImproperlyConfigured

from imports import safety
from imports.safety import UnusableWorkbook, open_workbook
from imports.tests import corpus

# Limits lowered so the files that test them stay small; the builders read the limits when called.
LOWERED = {
    "oversize": {"IMPORT_MAX_UPLOAD_BYTES": 4096},
    "too_many_members": {"IMPORT_MAX_ZIP_MEMBERS": 200},
    "too_many_cells": {"IMPORT_MAX_CELLS": 1000},
}


@pytest.mark.parametrize("name", sorted(corpus.BAD_FILES))
def test_bad_file_is_refused_with_a_clear_message(name, settings):
    for setting, value in LOWERED.get(name, {}).items():
        setattr(settings, setting, value)
    build, fragment = corpus.BAD_FILES[name]
    with pytest.raises(UnusableWorkbook) as refused:
        open_workbook(build(), filename=f"{name}.xlsx")
    assert fragment in refused.value.message
    assert refused.value.message == str(refused.value)


def test_valid_workbook_opens_with_merged_cells_and_values():
    workbook = open_workbook(bytearray(corpus.valid_xlsx()), filename="自评表.xlsx")
    sheet = workbook.active
    assert sheet.title == "项目支出绩效自评表"
    assert [str(cell_range) for cell_range in sheet.merged_cells.ranges] == ["A1:D1"]
    assert sheet["A1"].value == "项目支出绩效自评表"
    assert (sheet["B2"].value, sheet["B3"].value) == (120, 96)
    # data_only: openpyxl writes no cached result, so the formula cell reads as empty, never as "=B3/B2".
    assert sheet["B4"].value is None


def test_formula_reads_as_its_cached_value():
    cells = '<c r="A1"><v>120</v></c><c r="B1"><f>A1*0.8</f><v>96</v></c>'
    sheet_xml = corpus._sheet_xml(f'<sheetData><row r="1">{cells}</row></sheetData>')
    workbook = open_workbook(corpus._rezip(corpus.valid_xlsx(), replace={corpus.SHEET: sheet_xml}))
    assert workbook.active["B1"].value == 96


@pytest.mark.parametrize("name", ["external_entity", "billion_laughs"])
def test_entities_are_refused_by_openpyxl_too(name, monkeypatch):
    """Without the pre-scan, openpyxl's defusedxml parser refuses the DTD and the message is the same."""
    monkeypatch.setattr(safety, "_scan_parts", lambda archive: None)
    with pytest.raises(UnusableWorkbook) as refused:
        open_workbook(corpus.BAD_FILES[name][0]())
    assert "不安全的 XML 内容" in refused.value.message
    assert "Forbidden" in refused.value.detail


def test_external_entity_never_reaches_a_cell(monkeypatch):
    passwd = Path("/etc/passwd")
    first_line = passwd.read_text(errors="replace").splitlines()[0] if passwd.exists() else "root:x:0:0"
    for scan in (safety._scan_parts, lambda archive: None):
        monkeypatch.setattr(safety, "_scan_parts", scan)
        with pytest.raises(UnusableWorkbook) as refused:
            open_workbook(corpus.external_entity())
        assert first_line not in refused.value.message
        assert first_line not in refused.value.detail


def test_open_ended_ranges_count_to_the_edge_of_the_sheet():
    assert safety._area("A1:B2") == 4
    assert safety._area("B2:A1") == 4
    assert safety._area("A:A") == 1_048_576
    assert safety._area("1:2") == 2 * 16_384
    assert safety._area("not a range") == 0


def test_size_limit_is_stated_in_megabytes():
    with pytest.raises(UnusableWorkbook) as refused:
        open_workbook(b"PK\x03\x04" + bytes(safety.IMPORT_MAX_UPLOAD_BYTES))
    assert "上限 20 MB" in refused.value.message


def test_refuses_to_run_without_defusedxml(monkeypatch):
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    with pytest.raises(ImproperlyConfigured):
        open_workbook(corpus.valid_xlsx())


def test_defusedxml_is_active():
    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")


def _damage(data: bytes, rng: random.Random) -> bytes:
    damaged = bytearray(data)
    if rng.random() < 0.3:
        damaged = damaged[: rng.randrange(1, len(damaged))]
    for _ in range(rng.randint(1, 8)):
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
    return bytes(damaged)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_damaged_copies_of_a_valid_workbook_raise_only_unusable_workbook():
    valid = corpus.valid_xlsx()
    rng = random.Random(20240611)  # noqa: S311 - reproducible damage, not secrecy
    for _ in range(150):
        try:
            open_workbook(_damage(valid, rng))
        except UnusableWorkbook as refused:
            assert refused.message


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_damaged_parts_inside_a_sound_zip_raise_only_unusable_workbook():
    """Damage the XML itself, so that openpyxl, not the zip layer, meets it."""
    valid = corpus.valid_xlsx()
    parts = ["[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", corpus.SHEET]
    with zipfile.ZipFile(BytesIO(valid)) as archive:
        originals = {name: archive.read(name) for name in parts}
    rng = random.Random(7)  # noqa: S311 - reproducible damage, not secrecy
    outcomes = set()
    for _ in range(150):
        name = rng.choice(parts)
        try:
            open_workbook(corpus._rezip(valid, replace={name: _damage(originals[name], rng)}))
            outcomes.add("opened")
        except UnusableWorkbook as refused:
            outcomes.add(refused.message)
    assert len(outcomes) > 1
