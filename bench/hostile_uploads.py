"""Benchmark of the upload safety checks (issue 15): exhaustion workbooks at full size, through the upload page
and through `manage.py import_excel`, against openpyxl opening the same file as the importer would.

Every file here is small on disk and enormous once parsed: a million row records, six million shared strings,
half a million cell formats, column records, defined names, a million empty cells, a soup of unknown elements.
For each it prints the time and the extra peak memory (VmHWM, reset before each file) of

- the page: an admin posting the file to the 数据导入 page through Django's test client (the whole request);
- the command: ``import_excel PATH`` (a dry run, as an admin would try it first);
- raw openpyxl: ``load_workbook(data_only=True)`` in a child process, stopped after ``--raw-timeout`` seconds.

Goal (issue 15): every such file refused in under 5 s with under 200 MB extra memory, page and command.
Usage: ``SECRET_KEY=x .venv/bin/python bench/hostile_uploads.py [--raw-timeout 60] [--only rows,styles]``
(runs against a throwaway SQLite test database; the files are written to a temporary folder and removed).
"""

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from io import BytesIO, StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
FIRST_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
STATIC_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _base() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "项目支出绩效自评表"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rezip(replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    source = zipfile.ZipFile(BytesIO(_base()))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info.filename)))
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def _sheet(body: bytes) -> bytes:
    return _rezip(replace={"xl/worksheets/sheet1.xml": HEAD + FIRST_ROW + body + b"</sheetData></worksheet>"})


def _shared_strings(count: int) -> bytes:
    source = zipfile.ZipFile(BytesIO(_base()))
    types = source.read("[Content_Types].xml").replace(
        b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>'.encode()
    )
    strings = b"".join(b"<si><t>%d</t></si>" % i for i in range(count))
    sst = f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'.encode() + strings + b"</sst>"
    return _rezip(replace={"[Content_Types].xml": types}, add={"xl/sharedStrings.xml": sst})


def _styles(count: int) -> bytes:
    rng = random.Random(15)  # noqa: S311 - varied so that the part does not shrink like a zip bomb
    xfs = b"".join(
        b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0"/>' % rng.getrandbits(16) for _ in range(count)
    )
    styles = (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
        f'<borders count="1"><border/></borders><cellXfs count="{count}">'.encode()
        + xfs
        + b"</cellXfs></styleSheet>"
    )
    return _rezip(replace={"xl/styles.xml": styles})


def _defined_names(count: int) -> bytes:
    source = zipfile.ZipFile(BytesIO(_base()))
    workbook = source.read("xl/workbook.xml")
    names = b"<definedNames>" + b"".join(b'<definedName name="n%d">Sheet!$A$1</definedName>' % i for i in range(count))
    workbook = workbook.replace(b"</sheets>", b"</sheets>" + names + b"</definedNames>")
    return _rezip(replace={"xl/workbook.xml": workbook})


def _letters(column: int) -> bytes:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column).encode()


def _columns(count: int) -> bytes:
    cols = b"".join(b'<col min="%d" max="%d" width="9"/>' % (i, i) for i in range(1, count + 1))
    sheet = f'<worksheet xmlns="{MAIN}"><cols>'.encode() + cols + b"</cols><sheetData>" + FIRST_ROW
    return _rezip(replace={"xl/worksheets/sheet1.xml": sheet + b"</sheetData></worksheet>"})


def _element_soup(count: int, *, in_row: bool = True) -> bytes:
    rng = random.Random(15)  # noqa: S311 - a reproducible filler, not a secret
    body = b"".join(b'<x a="%08x"/>' % rng.getrandbits(32) for _ in range(count))
    if not in_row:
        sheet = f'<worksheet xmlns="{MAIN}">'.encode() + body + b"<sheetData>" + FIRST_ROW + b"</sheetData></worksheet>"
        return _rezip(replace={"xl/worksheets/sheet1.xml": sheet})
    return _sheet(b'<row r="2">' + body + b"</row>")


HOSTILE = {
    "rows: 1,000,000 <row ht customHeight> records": lambda: _sheet(
        b"".join(b'<row r="%d" ht="20" customHeight="1"/>' % i for i in range(2, 1_000_002))
    ),
    "shared strings: 6,000,000": lambda: _shared_strings(6_000_000),
    "shared strings: 3,000,000 (one part under 100 MB)": lambda: _shared_strings(3_000_000),
    "cell formats: 500,000 <xf>": lambda: _styles(500_000),
    "column records: 1,000,000 <col>": lambda: _columns(1_000_000),
    "defined names: 500,000": lambda: _defined_names(500_000),
    "empty cells: 3,000,000 <c> in 20,000 rows": lambda: _sheet(
        b"".join(
            b'<row r="%d">' % r + b"".join(b'<c r="%s%d"/>' % (_letters(c), r) for c in range(1, 151)) + b"</row>"
            for r in range(2, 20_002)
        )
    ),
    "unknown elements: 3,500,000 in one row": lambda: _element_soup(3_500_000),
    "unknown elements: 3,500,000 outside the rows": lambda: _element_soup(3_500_000, in_row=False),
}


def _peak_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _raw(path: Path, timeout: float) -> str:
    code = (
        "import sys, time, openpyxl\n"
        "from pathlib import Path\n"
        "def peak():\n"
        "    return next(int(l.split()[1]) for l in Path('/proc/self/status').read_text().splitlines()"
        " if l.startswith('VmHWM:')) / 1024\n"
        "before = peak(); start = time.perf_counter()\n"
        f"openpyxl.load_workbook({str(path)!r}, data_only=True)\n"
        "print(f'{time.perf_counter() - start:.1f} s, +{peak() - before:.0f} MB')\n"
    )
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return f"not done after {timeout:.0f} s"
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def _measure(fn):
    import gc

    gc.collect()
    _peak_reset()
    before = _rss_mb()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, _peak_mb() - before, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-timeout", type=float, default=60)
    parser.add_argument("--only", default="", help="comma-separated words; runs the files whose name has one")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.urls import reverse

    from accounts.models import Organisation, User
    from imports.models import ImportRecord

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    chosen = {
        name: build for name, build in HOSTILE.items() if not args.only or any(w in name for w in args.only.split(","))
    }
    try:
        with (
            tempfile.TemporaryDirectory() as folder,
            override_settings(
                MEDIA_ROOT=folder,
                ALLOWED_HOSTS=["*"],
                STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_STORAGE}},
            ),
        ):
            bureau = Organisation.objects.create(name="基准市财政局", kind=Organisation.Kind.FINANCE_BUREAU)
            admin = User.objects.create_user("bench-admin", password="x", organisation=bureau, role=User.Role.ADMIN)
            client = Client()
            client.force_login(admin)
            url = reverse("imports:list")
            print(f"{'file':<52} {'size':>8}  {'page':>22}  {'command':>22}  raw openpyxl")
            for name, build in chosen.items():
                data = build()
                path = Path(folder) / "hostile.xlsx"
                path.write_bytes(data)

                last_pk = ImportRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

                def post(data=data, last_pk=last_pk):
                    response = client.post(url, {"file": _upload(data)})
                    record = ImportRecord.objects.filter(pk__gt=last_pk).order_by("-pk").first()
                    page = response.content.decode()
                    form_error = "超过了导入上限" if "超过了导入上限" in page else "(no record)"
                    reason = (record.preview.get("unusable") or "") if record else form_error
                    return response.status_code, record.status if record else "—", reason

                page_time, page_mb, (_status, record_status, reason) = _measure(post)
                out = StringIO()
                command_time, command_mb, _ = _measure(lambda path=path, out=out: _command(call_command, path, out))
                refused = "refused" if record_status == ImportRecord.Status.REFUSED else record_status
                print(
                    f"{name:<52} {len(data) / 2**20:>6.1f}MB  "
                    f"{page_time:>6.2f} s +{page_mb:>4.0f} MB {refused:<7}  "
                    f"{command_time:>6.2f} s +{command_mb:>4.0f} MB          "
                    f"{_raw(path, args.raw_timeout)}"
                )
                print(f"{'':<52} {reason[:48]}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("hostile.xlsx", data)


def _command(call_command, path: Path, out) -> None:
    with contextlib.suppress(SystemExit):
        call_command("import_excel", str(path), stdout=out, stderr=out)


if __name__ == "__main__":
    main()
