"""Unusable uploads, built in memory, for the safety tests and for tests of the whole import flow.

``BAD_FILES`` maps a name to ``(builder, fragment)``: ``builder()`` returns the file's bytes and the
UnusableWorkbook raised for it has ``fragment`` in its message. Builders that test a limit read it from the
Django settings when called, so a test that lowers the limit with the ``settings`` fixture gets a small file.
"""

import zipfile
from io import BytesIO

import openpyxl
from django.conf import settings

from imports import safety

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"


def valid_xlsx() -> bytes:
    """A small workbook with a merged title and a formula, as openpyxl writes it."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "项目支出绩效自评表"
    sheet["A1"] = "项目支出绩效自评表"
    sheet.merge_cells("A1:D1")
    sheet["A2"], sheet["B2"] = "年度预算数", 120
    sheet["A3"], sheet["B3"] = "执行数", 96
    sheet["B4"] = "=B3/B2"
    return _save(workbook)


def _save(workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rezip(source: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """Copy a zip, replacing and adding members."""
    replace, add = replace or {}, add or {}
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, replace.get(info.filename, old.read(info)))
        for name, content in add.items():
            new.writestr(name, content)
    return out.getvalue()


def _sheet_xml(body: str, *, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<worksheet xmlns="{MAIN_NS}">{body}</worksheet>').encode()


def _inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# --- not a zip at all -------------------------------------------------------------------------------------


def empty_file() -> bytes:
    return b""


def oversize() -> bytes:
    """A genuine workbook padded with a stored member to one byte past the upload limit."""
    limit = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", safety.IMPORT_MAX_UPLOAD_BYTES)
    out = BytesIO(valid_xlsx())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(limit + 1))
    return out.getvalue()


def plain_text() -> bytes:
    return "这不是表格，只是一段说明文字。\n".encode()


def csv_file() -> bytes:
    return "项目名称,年度预算数,执行数\n办公楼维修,120,96\n".encode("gb18030")


def html_page() -> bytes:
    """What many systems export under a .xls name."""
    return (
        '<html><head><meta charset="utf-8"></head><body><table>'
        "<tr><td>项目名称</td><td>年度预算数</td></tr></table></body></html>"
    ).encode()


def pdf_file() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def ole2_file() -> bytes:
    """The compound-file header that password-protected .xlsx and old .xls files start with."""
    return safety.OLE2_SIGNATURE + b"\x00" * 504


# --- a zip, but not a usable one --------------------------------------------------------------------------


def truncated_xlsx() -> bytes:
    data = valid_xlsx()
    return data[: len(data) // 2]


def zip_bomb() -> bytes:
    """One member of zeros a megabyte past the uncompressed limit (~200 MB), written in chunks."""
    limit = getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", safety.IMPORT_MAX_UNCOMPRESSED_BYTES)
    out = BytesIO(valid_xlsx())
    chunk = bytes(safety.MiB)
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("xl/media/zeros.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(limit // len(chunk) + 1):
            member.write(chunk)
    return out.getvalue()


def zip_bomb_ratio() -> bytes:
    """One member small enough for the total limit but shrunk a thousandfold."""
    out = BytesIO(valid_xlsx())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", bytes(safety.BOMB_MEMBER_BYTES + 1))
    return out.getvalue()


def too_many_members() -> bytes:
    limit = getattr(settings, "IMPORT_MAX_ZIP_MEMBERS", safety.IMPORT_MAX_ZIP_MEMBERS)
    return _rezip(valid_xlsx(), add={f"customXml/item{i}.xml": b"<a/>" for i in range(limit)})


def encrypted_member() -> bytes:
    """A workbook whose directory marks a member as zip-encrypted (general-purpose flag bit 0)."""
    data = bytearray(valid_xlsx())
    with zipfile.ZipFile(BytesIO(bytes(data))) as archive:
        info = archive.getinfo(SHEET)
    data[info.header_offset + 6] |= 0x1  # flags of the local file header
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + name_length] == SHEET.encode():
            data[central + 8] |= 0x1
            break
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def docx_like() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("说明.txt", "压缩包里只有一段文字")
    return out.getvalue()


# --- a workbook with hostile or useless content -----------------------------------------------------------


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    prolog = "<!DOCTYPE worksheet [\n" + "\n".join(entities) + "\n]>\n"
    sheet = _sheet_xml(f'<sheetData><row r="1">{_inline_cell("A1", "&lol9;")}</row></sheetData>', prolog=prolog)
    return _rezip(valid_xlsx(), replace={SHEET: sheet})


def external_entity() -> bytes:
    prolog = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    sheet = _sheet_xml(f'<sheetData><row r="1">{_inline_cell("A1", "&xxe;")}</row></sheetData>', prolog=prolog)
    return _rezip(valid_xlsx(), replace={SHEET: sheet})


def merged_bomb() -> bytes:
    """A few hundred bytes whose one merged range covers the whole sheet: 17 billion cells in openpyxl."""
    body = f'<sheetData><row r="1">{_inline_cell("A1", "标题")}</row></sheetData>'
    body += '<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'
    return _rezip(valid_xlsx(), replace={SHEET: _sheet_xml(body)})


def hyperlink_bomb() -> bytes:
    """The same through a hyperlink over a range, in a worksheet part with an unusual name (openpyxl follows
    the relationships to any name) and spelled with a character reference (expat decodes it)."""
    body = f'<sheetData><row r="1">{_inline_cell("A1", "链接")}</row></sheetData>'
    body += '<hyperlinks><hyperlink ref="A1:&#88;FD1048576" location="Sheet1!A1"/></hyperlinks>'
    source = valid_xlsx()
    rels = "xl/_rels/workbook.xml.rels"
    with zipfile.ZipFile(BytesIO(source)) as archive:
        relationships = archive.read(rels).replace(b"/xl/worksheets/sheet1.xml", b"/xl/worksheets/data.bin")
    return _rezip(source, replace={rels: relationships}, add={"xl/worksheets/data.bin": _sheet_xml(body)})


def too_many_cells() -> bytes:
    limit = getattr(settings, "IMPORT_MAX_CELLS", safety.IMPORT_MAX_CELLS)
    body = '<sheetData><row r="1">' + "<c/>" * (limit + 1) + "</row></sheetData>"
    return _rezip(valid_xlsx(), replace={SHEET: _sheet_xml(body)})


def empty_workbook() -> bytes:
    return _save(openpyxl.Workbook())


def blank_cells_only() -> bytes:
    """Cells that exist (formatted, whitespace) but hold nothing."""
    workbook = openpyxl.Workbook()
    workbook.active["B2"] = "   "
    workbook.active["C3"].number_format = "0.00"
    workbook.create_sheet("空表")
    return _save(workbook)


def broken_sheet_xml() -> bytes:
    """Well-zipped, but the worksheet is not XML openpyxl can read."""
    return _rezip(valid_xlsx(), replace={SHEET: b"<worksheet><sheetData><row>"})


NOT_XLSX = "文件不是 Excel 工作簿（.xlsx）"
PASSWORD = "密码"
ZIP_BOMB = "压缩炸弹"
UNSAFE_XML = "不安全的 XML 内容"
EMPTY = "工作簿是空的"

BAD_FILES = {
    "empty_file": (empty_file, "文件是空的"),
    "oversize": (oversize, "超过了导入上限"),
    "plain_text": (plain_text, "CSV 或纯文本"),
    "csv": (csv_file, "CSV 或纯文本"),
    "html": (html_page, "网页（HTML）"),
    "pdf": (pdf_file, "PDF 文档"),
    "ole2_password_or_xls": (ole2_file, "工作簿设置了打开密码，或是旧版 .xls 格式"),
    "truncated_zip": (truncated_xlsx, "文件已损坏或不完整"),
    "zip_bomb": (zip_bomb, ZIP_BOMB),
    "zip_bomb_ratio": (zip_bomb_ratio, ZIP_BOMB),
    "too_many_members": (too_many_members, "部件数量异常"),
    "encrypted_member": (encrypted_member, PASSWORD),
    "docx": (docx_like, "Word 文档（.docx）"),
    "plain_zip": (plain_zip, "普通的 zip 压缩包"),
    "billion_laughs": (billion_laughs, UNSAFE_XML),
    "external_entity": (external_entity, UNSAFE_XML),
    "merged_bomb": (merged_bomb, "合并单元格或超链接覆盖的范围过大"),
    "hyperlink_bomb": (hyperlink_bomb, "合并单元格或超链接覆盖的范围过大"),
    "too_many_cells": (too_many_cells, "单元格过多"),
    "broken_sheet_xml": (broken_sheet_xml, "无法读取该工作簿"),
    "empty_workbook": (empty_workbook, EMPTY),
    "blank_cells_only": (blank_cells_only, EMPTY),
}
