"""The one door through which an uploaded workbook is opened.

`open_workbook` takes the uploaded bytes and either returns an openpyxl Workbook (loaded with
``data_only=True`` so formulas read as their cached values, and not read-only so merged cells are known)
or raises `UnusableWorkbook`, whose ``message`` tells an admin in Chinese what is wrong and what to do.
Nothing else escapes it, whatever the file holds.

Checks, cheapest first: size, file signature, the zip directory (member count, declared sizes, encryption,
which parts are present), then one streaming pass of expat over every member to refuse DTDs and to count
the cells openpyxl would create (openpyxl turns every cell of a merged or hyperlinked range into an object:
a 1 KB file merging A1:XFD1048576 would otherwise take the server down), then openpyxl itself, then
emptiness. openpyxl parses worksheets through defusedxml when it is installed; this module refuses to run
without it.
"""

from __future__ import annotations

import contextlib
import logging
import zipfile
from dataclasses import dataclass
from io import BytesIO
from xml.parsers import expat

import openpyxl
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from openpyxl.utils.cell import range_boundaries

logger = logging.getLogger(__name__)

MiB = 1024 * 1024

# Defaults of the settings of the same name.
IMPORT_MAX_UPLOAD_BYTES = 20 * MiB
IMPORT_MAX_UNCOMPRESSED_BYTES = 200 * MiB
IMPORT_MAX_ZIP_MEMBERS = 10_000
IMPORT_MAX_PART_BYTES = 100 * MiB  # one decompressed part (a worksheet, the shared strings …)
IMPORT_MAX_CELLS = 1_000_000  # <c> elements over all parts (openpyxl keeps ~0.5 KB per cell)
IMPORT_MAX_MERGED_CELLS = 200_000  # cells covered by merged and hyperlinked ranges (~15 µs each in openpyxl)
IMPORT_MAX_ROWS = 150_000  # <row> records over all worksheets, with or without cells
IMPORT_MAX_COLUMN_RECORDS = 20_000  # <col> width/format records
IMPORT_MAX_SHARED_STRINGS = 1_000_000  # <si> entries of the shared-string table
IMPORT_MAX_STYLES = 64_000  # formats, fonts, fills, borders, number formats, named styles (Excel's own cap)
IMPORT_MAX_SHEETS = 255
IMPORT_MAX_RULES = 20_000  # data validations, conditional formats and defined names
IMPORT_MAX_XML_ELEMENTS = 6_000_000  # every element of every part: the parse time itself is bounded
IMPORT_MAX_STRUCTURE_ELEMENTS = 300_000  # elements outside rows and shared strings (openpyxl holds them as trees)
IMPORT_MAX_RECORD_ELEMENTS = 100_000  # elements inside one row or one shared string

# A member this large that also shrank more than this many times is treated as a zip bomb.
BOMB_MEMBER_BYTES = 10 * MiB
BOMB_RATIO = 100

_MAX_ROW, _MAX_COLUMN = 1_048_576, 16_384

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

EMPTY_FILE = "文件是空的（0 字节）：请确认选择了正确的 Excel 文件后重新上传。"
TOO_LARGE = (
    "文件太大（{size} MB），超过了导入上限 {limit} MB：请删除无关的工作表和图片后另存为 .xlsx，"
    "或拆分成几个文件分别导入。"
)
PROTECTED_OR_XLS = "工作簿设置了打开密码，或是旧版 .xls 格式：请去掉密码并另存为 .xlsx 后再导入。"
NOT_XLSX = (
    "文件不是 Excel 工作簿（.xlsx）：{what}。请在 Excel 或 WPS 中打开原表格，另存为“Excel 工作簿（*.xlsx）”后再导入。"
)
CORRUPT = "文件已损坏或不完整，无法作为 .xlsx 打开：请在 Excel 中打开后重新保存，或重新获取原文件后再导入。"
TOO_MANY_MEMBERS = (
    "文件内部的部件数量异常（{count:,} 个，上限 {limit:,} 个），不像正常的 Excel 工作簿，已拒绝导入："
    "请在 Excel 中另存为新的 .xlsx 后再试。"
)
ZIP_BOMB = "文件解压后体积异常巨大（疑似“压缩炸弹”），已拒绝导入：请确认文件来源，在 Excel 中另存为新的 .xlsx 后再试。"
ENCRYPTED_MEMBERS = "文件内部经过加密（设置了密码）：请去掉密码并另存为 .xlsx 后再导入。"
UNSAFE_XML = (
    "文件包含不安全的 XML 内容（DTD 或实体声明），可能是恶意构造的文件，已拒绝导入："
    "请确认文件来源，在 Excel 中另存为新的 .xlsx 后再试。"
)
TOO_MANY_RECORDS = "工作簿中的{what}过多（超过上限 {limit:,} 个），无法安全打开，已在读取前拒绝：{advice}"
TOO_BIG_RECORD = (
    "工作簿中有一行（或一个文字条目）包含的内部记录超过上限 {limit:,} 个，无法安全打开：正常的一行最多 16,384 个"
    "单元格。请把有用的内容复制到一个新工作簿，另存为 .xlsx 后再导入。"
)
PART_TOO_LARGE = (
    "工作簿中的“{part}”解压后有 {size} MB，超过单个部件的上限 {limit} MB，无法安全打开："
    "请删除无关的工作表和空白区域的格式，另存为 .xlsx 后再导入，或拆分成几个文件分别导入。"
)
TOO_MANY_MERGED = (
    "工作簿中合并单元格或超链接覆盖的范围过大（约 {count:,} 个单元格，上限 {limit:,} 个），无法安全打开："
    "请取消整行、整列的合并，另存为 .xlsx 后再导入。"
)
UNREADABLE = "无法读取该工作簿：文件可能已损坏，或由不兼容的软件生成。请在 Excel 中打开并另存为 .xlsx 后再导入。"
EMPTY_WORKBOOK = (
    "工作簿是空的：所有工作表都没有可读取的内容。请确认选择了正确的文件；如果表格里只有公式，"
    "请先在 Excel 中打开并保存一次，让计算结果写入文件。"
)


class UnusableWorkbook(Exception):
    """The upload cannot be imported. ``message`` is for the admin (Chinese); ``detail`` is for the log."""

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


def open_workbook(data: bytes, *, filename: str = "") -> openpyxl.Workbook:
    """Open uploaded .xlsx bytes, or raise UnusableWorkbook. ``filename`` is only used in log lines."""
    data = bytes(data)
    inspect(data)
    workbook = _load(data, filename)
    if not any(_has_content(sheet) for sheet in workbook.worksheets):
        raise UnusableWorkbook(EMPTY_WORKBOOK)
    return workbook


def inspect(data: bytes) -> Inspection:
    """Every check before openpyxl: size, signature, the zip directory, one bounded streaming pass over every part.

    Raises UnusableWorkbook; quick and small whatever the file holds (the limits above bound the work)."""
    _require_defusedxml()
    _check_size(data)
    _check_signature(data)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except Exception as exc:
        raise UnusableWorkbook(CORRUPT, detail=repr(exc)) from exc
    with archive:
        _check_directory(archive)
        return _scan_parts(archive)


def _limit(name: str) -> int:
    return getattr(settings, name, globals()[name])


def _require_defusedxml() -> None:
    """openpyxl silently falls back to the unprotected stdlib parser when defusedxml is missing."""
    from openpyxl import xml
    from openpyxl.xml import functions

    if not xml.DEFUSEDXML or not functions.iterparse.__module__.startswith("defusedxml"):
        raise ImproperlyConfigured(
            "openpyxl is not using defusedxml: install defusedxml (requirements.txt) and do not set "
            "OPENPYXL_DEFUSEDXML=False; uploaded workbooks are not opened without it."
        )


def _mb(size: int) -> str:
    return f"{size / MiB:.3g}"


def check_size(size: int) -> None:
    """Refuse an empty or too large upload by its size alone (before its bytes are read)."""
    if not size:
        raise UnusableWorkbook(EMPTY_FILE)
    limit = _limit("IMPORT_MAX_UPLOAD_BYTES")
    if size > limit:
        raise UnusableWorkbook(TOO_LARGE.format(size=_mb(size), limit=_mb(limit)))


def _check_size(data: bytes) -> None:
    check_size(len(data))


def _check_signature(data: bytes) -> None:
    if data.startswith(OLE2_SIGNATURE):
        raise UnusableWorkbook(PROTECTED_OR_XLS)
    if not data.startswith(ZIP_SIGNATURES):
        raise UnusableWorkbook(NOT_XLSX.format(what=_guess_kind(data)))


def _guess_kind(data: bytes) -> str:
    """A few words on what a non-zip upload looks like, for the message."""
    head = data[:2048]
    for signature, what in (
        (b"%PDF", "看起来是 PDF 文档"),
        (b"Rar!", "看起来是 RAR 压缩包"),
        (b"7z\xbc\xaf\x27\x1c", "看起来是 7z 压缩包"),
        (b"\x89PNG", "看起来是 PNG 图片"),
        (b"\xff\xd8\xff", "看起来是 JPEG 图片"),
    ):
        if head.startswith(signature):
            return what
    if b"\x00" in head:
        return "无法识别的文件类型"
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("<!doctype html", "<html")) or "<html" in text or "<table" in text:
        return "看起来是网页（HTML）文件，常见于系统导出的“假 .xls”"
    if text.startswith("<?xml") or text.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text:
            return "看起来是 Excel 2003 XML 表格"
        return "看起来是 XML 文件"
    return "看起来是 CSV 或纯文本文件"


def _check_directory(archive: zipfile.ZipFile) -> None:
    """Judge the zip by its central directory alone, before anything is decompressed."""
    members = archive.infolist()
    limit = _limit("IMPORT_MAX_ZIP_MEMBERS")
    if len(members) > limit:
        raise UnusableWorkbook(TOO_MANY_MEMBERS.format(count=len(members), limit=limit))
    if any(info.flag_bits & 0x1 for info in members):
        raise UnusableWorkbook(ENCRYPTED_MEMBERS)
    total = sum(info.file_size for info in members)
    if total > _limit("IMPORT_MAX_UNCOMPRESSED_BYTES"):
        raise UnusableWorkbook(ZIP_BOMB, detail=f"{total} bytes uncompressed")
    for info in members:
        if info.file_size > BOMB_MEMBER_BYTES and info.file_size > BOMB_RATIO * info.compress_size:
            raise UnusableWorkbook(ZIP_BOMB, detail=f"{info.filename}: {info.compress_size} -> {info.file_size}")
    part_limit = _limit("IMPORT_MAX_PART_BYTES")
    for info in members:
        if info.file_size > part_limit:
            part = info.filename[-80:]
            raise UnusableWorkbook(PART_TOO_LARGE.format(part=part, size=_mb(info.file_size), limit=_mb(part_limit)))
    names = {info.filename.lower() for info in members}
    if "[content_types].xml" in names and "xl/workbook.xml" in names:
        return
    if "word/document.xml" in names:
        what = "这是 Word 文档（.docx）"
    elif "ppt/presentation.xml" in names:
        what = "这是 PowerPoint 演示文稿（.pptx）"
    elif "mimetype" in names and "content.xml" in names:
        what = "这是 OpenDocument 文件（如 WPS/LibreOffice 的 .ods）"
    else:
        what = "这是一个普通的 zip 压缩包，里面没有 Excel 工作簿"
    raise UnusableWorkbook(NOT_XLSX.format(what=what))


_BLANK_ROWS = "请删除表格下方和右侧的空白行列及其格式（选中后用“删除”，不是“清除内容”），另存为 .xlsx 后再导入。"
_SPLIT = "请删除无关的工作表，或拆分成几个文件分别导入。"

# What the scan counts and the limit of each: (setting, what it is called in the refusal, what to do). A count
# stops the scan the moment it passes its limit, so a file of millions of records is refused after reading as
# many records as the limit allows, before openpyxl builds anything.
RECORD_LIMITS = {
    "cells": (
        "IMPORT_MAX_CELLS",
        "单元格",
        "请删除无关的工作表和空白区域的格式，另存为 .xlsx 后再导入，或拆分成几个文件分别导入。",
    ),
    "rows": ("IMPORT_MAX_ROWS", "行记录（包括只设置了行高或格式的空行）", _BLANK_ROWS),
    "columns": ("IMPORT_MAX_COLUMN_RECORDS", "列格式记录", _BLANK_ROWS),
    "strings": ("IMPORT_MAX_SHARED_STRINGS", "文字条目（共享字符串）", _SPLIT),
    "styles": (
        "IMPORT_MAX_STYLES",
        "单元格格式（格式、字体、填充、边框、数字格式）",
        "请把有用的内容复制到一个新工作簿（只粘贴数值和必要格式），另存为 .xlsx 后再导入。",
    ),
    "sheets": ("IMPORT_MAX_SHEETS", "工作表", _SPLIT),
    "rules": (
        "IMPORT_MAX_RULES",
        "数据有效性、条件格式和名称定义",
        "请删除多余的数据有效性、条件格式和名称，另存为 .xlsx 后再导入。",
    ),
    "elements": ("IMPORT_MAX_XML_ELEMENTS", "内部记录", "文件内容远超正常的自评表，" + _SPLIT),
    # openpyxl streams rows and shared strings (each is dropped once read) but keeps every other element of a part
    # as a tree while it reads it: those are bounded all together, and each row or string on its own.
    "structure": (
        "IMPORT_MAX_STRUCTURE_ELEMENTS",
        "表格数据以外的内部记录（格式、图形、批注等）",
        "请把有用的内容复制到一个新工作簿（只粘贴数值和必要格式），另存为 .xlsx 后再导入。",
    ),
}
# The parts openpyxl reads record by record: worksheet rows inside sheetData, strings inside the shared-string table.
_STREAMS = {"sheetData", "sst"}
_STREAMED = {"row", "si"}

# Element local names → the count they add to ("elements" counts every element).
_COUNTED = {
    "c": "cells",
    "row": "rows",
    "col": "columns",
    "si": "strings",
    **dict.fromkeys(("xf", "font", "fill", "border", "numFmt", "dxf", "cellStyle"), "styles"),
    "sheet": "sheets",
    **dict.fromkeys(("dataValidation", "cfRule", "definedName"), "rules"),
}


@dataclass
class Inspection:
    """What the checks before openpyxl found: the counts, for deciding whether the import runs in the background."""

    counts: dict[str, int]
    ranged: int  # cells covered by merged and hyperlinked ranges

    @property
    def cells(self) -> int:
        return self.counts["cells"]


class _PartScanner:
    """Counts, over all parts, the records openpyxl will build objects for; refuses any DTD.

    Every member is fed to expat, the parser openpyxl reads worksheets with (any name may hold a worksheet:
    openpyxl follows the relationships). A member expat cannot parse is left alone: openpyxl cannot parse
    it as a worksheet either, and binds merged and hyperlinked ranges only after a complete parse.
    """

    def __init__(self):
        self.counts = dict.fromkeys(RECORD_LIMITS, 0)
        self.limits = {key: _limit(setting) for key, (setting, _what, _advice) in RECORD_LIMITS.items()}
        self.ranged = 0
        self.ranged_limit = _limit("IMPORT_MAX_MERGED_CELLS")
        self.record_limit = _limit("IMPORT_MAX_RECORD_ELEMENTS")

    def scan(self, stream) -> None:
        # Where the parser is: the depth of the current element, of the stream (sheetData, sst) it is in and of
        # the streamed record (a row, a shared string) it is in, 0 when outside; the element count at that record.
        self.depth = self.stream_depth = self.record_depth = self.record_start = 0
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        parser.EntityDeclHandler = self._refuse_dtd
        parser.ExternalEntityRefHandler = self._refuse_dtd
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        with contextlib.suppress(expat.ExpatError):  # not XML: openpyxl cannot read it as a worksheet either
            parser.ParseFile(stream)

    @staticmethod
    def _refuse_dtd(*args):
        raise UnusableWorkbook(UNSAFE_XML, detail="DTD in a part")

    def _count(self, key: str) -> None:
        count = self.counts[key] = self.counts[key] + 1
        if count > self.limits[key]:
            _setting, what, advice = RECORD_LIMITS[key]
            raise UnusableWorkbook(
                TOO_MANY_RECORDS.format(what=what, limit=self.limits[key], advice=advice),
                detail=f"more than {self.limits[key]} {key}",
            )

    def _start(self, name, attributes):
        self._count("elements")
        local = name.rpartition(" ")[2]
        self.depth += 1
        if self.record_depth:
            if self.counts["elements"] - self.record_start > self.record_limit:
                raise UnusableWorkbook(
                    TOO_BIG_RECORD.format(limit=self.record_limit), detail=f"{local} in a record past the limit"
                )
        elif self.stream_depth and local in _STREAMED:
            self.record_depth, self.record_start = self.depth, self.counts["elements"]
        elif not self.stream_depth and local in _STREAMS:
            self.stream_depth = self.depth
        else:
            self._count("structure")
        key = _COUNTED.get(local)
        if key is not None:
            self._count(key)
        elif local == "mergeCell" or (local == "hyperlink" and ":" in attributes.get("ref", "")):
            self.ranged += _area(attributes.get("ref", ""))
            if self.ranged > self.ranged_limit:
                raise UnusableWorkbook(TOO_MANY_MERGED.format(count=self.ranged, limit=self.ranged_limit))

    def _end(self, name):
        if self.depth == self.record_depth:
            self.record_depth = 0
        elif self.depth == self.stream_depth:
            self.stream_depth = 0
        self.depth -= 1


def _area(ref: str) -> int:
    """Cells in a range reference; an open-ended one ("A:A") counts to the sheet's edge."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except Exception:  # openpyxl fails on it too, before creating anything
        return 0
    columns = abs((max_col or _MAX_COLUMN) - (min_col or 1)) + 1
    rows = abs((max_row or _MAX_ROW) - (min_row or 1)) + 1
    return columns * rows


def _scan_parts(archive: zipfile.ZipFile) -> Inspection:
    scanner = _PartScanner()
    for info in archive.infolist():
        try:
            with archive.open(info) as stream:
                scanner.scan(stream)
        except UnusableWorkbook:
            raise
        except Exception as exc:  # bad CRC, unknown compression method, truncated data …
            raise UnusableWorkbook(CORRUPT, detail=f"{info.filename}: {exc!r}") from exc
    return Inspection(counts=scanner.counts, ranged=scanner.ranged)


def _load(data: bytes, filename: str) -> openpyxl.Workbook:
    from defusedxml import DefusedXmlException

    try:
        return openpyxl.load_workbook(BytesIO(data), data_only=True)
    except Exception as exc:
        causes = _causes(exc)  # openpyxl re-raises parse errors as a ValueError "from" the original
        if any(isinstance(cause, DefusedXmlException) for cause in causes):
            raise UnusableWorkbook(UNSAFE_XML, detail=repr(exc.__cause__ or exc)) from exc
        if any(isinstance(cause, zipfile.BadZipFile) for cause in causes):
            raise UnusableWorkbook(CORRUPT, detail=repr(exc)) from exc
        detail = " <- ".join(f"{type(cause).__name__}: {cause}" for cause in causes)[:500]
        logger.warning("openpyxl could not open uploaded workbook %r: %s", filename, detail)
        raise UnusableWorkbook(UNREADABLE, detail=detail) from exc


def _causes(exc: BaseException) -> list[BaseException]:
    chain = []
    while exc is not None and exc not in chain and len(chain) < 10:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _has_content(worksheet) -> bool:
    # worksheet._cells holds only the cells present in the file; iter_rows() would walk the whole
    # rectangle up to the farthest cell, which can be billions of empty positions.
    for cell in worksheet._cells.values():
        value = cell.value
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return True
    return False
