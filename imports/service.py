"""One flow for every kind of workbook: open safely → detect the kind → read → dry run or commit, all or nothing."""

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from history.context import acting_as
from imports.apply import apply_result
from imports.models import ImportRecord
from imports.records import ERROR, Outcome, Problem
from imports.safety import UnusableWorkbook, open_workbook

KIND_LABELS = dict(ImportRecord.Kind.choices)


@dataclass
class Detected:
    kind: str  # ImportRecord.Kind value, "" when nothing importable was recognised
    workbook: object


def detect(workbook) -> str:
    """The kind of workbook, by content: the summary sheet's header row, a flat template's headers, a
    项目支出绩效自评表 or a 部门整体支出绩效自评表 found by its labels (a workbook holding both is "standard": its
    department-wide tables are imported with its project tables)."""
    from imports.readers.flat import is_flat_workbook
    from imports.readers.summary_sheet import is_summary_workbook

    # A template's 项目 sheet has 主管部门 / 预算单位 / 项目名称 / 自评等级 too: the template goes first (its
    # fund or 三级指标 columns never appear in a summary sheet or a standard table).
    if is_flat_workbook(workbook):
        return ImportRecord.Kind.FLAT
    if is_summary_workbook(workbook):
        return ImportRecord.Kind.SUMMARY
    from imports.readers.standard_table import read_standard_tables

    found = read_standard_tables(workbook)
    if found.projects or found.errors:
        return ImportRecord.Kind.STANDARD
    from imports.readers.department_table import is_department_workbook

    if is_department_workbook(workbook):
        return ImportRecord.Kind.DEPARTMENT
    return ImportRecord.Kind.UNKNOWN


def run(
    data: bytes, *, filename: str = "", bureau, year: int | None = None, commit: bool = False, user=None
) -> Outcome:
    """Import ``data`` for ``bureau``; only a preview unless ``commit``. Raises UnusableWorkbook for files that
    cannot be read at all."""
    workbook = open_workbook(data, filename=filename)
    # Every history row the import writes names the file and who imported it (audit/context.py).
    with acting_as(user, reason=f"Excel 导入：{filename}" if filename else "Excel 导入"):
        return _run(workbook, bureau=bureau, year=year, commit=commit, user=user)


def _run(workbook, *, bureau, year, commit, user) -> Outcome:
    kind = detect(workbook)
    if kind == ImportRecord.Kind.UNKNOWN:
        outcome = Outcome(kind="", year=year, bureau=bureau.name)
        outcome.problems.append(
            Problem(
                ERROR,
                "没有在工作簿中找到可导入的内容：既不是导入模板，也没有项目支出绩效自评表、部门整体支出绩效自评表"
                "或自评结果汇总表（按标题和表头识别，例如“项目名称”“一级指标”“自评结果”）。",
            )
        )
        return outcome
    if kind == ImportRecord.Kind.FLAT:
        from imports.readers.flat import import_flat

        return import_flat(workbook, bureau=bureau, year=year, dry_run=not commit, user=user)
    from imports.readers.department_table import read_department_tables

    if kind == ImportRecord.Kind.SUMMARY:
        from imports.readers.summary_sheet import read_summary_sheet

        result = read_summary_sheet(workbook)
    elif kind == ImportRecord.Kind.DEPARTMENT:
        result = read_department_tables(workbook)
    else:
        from imports.readers.standard_table import read_standard_tables

        result = read_standard_tables(workbook)
        departments = read_department_tables(workbook)
        result.departments = departments.departments
        result.problems += departments.problems
        result.year = result.year or departments.year
    return apply_result(result, bureau=bureau, year=year, dry_run=not commit)


def upload(uploaded_file, *, user, bureau, year: int | None = None) -> ImportRecord:
    """Keep the uploaded file with a new import record and store its dry-run preview (or why it is unusable)."""
    data = uploaded_file.read()
    record = ImportRecord(
        uploaded_by=user,
        finance_bureau=bureau,
        original_name=(uploaded_file.name or "upload.xlsx")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        year_override=year,
    )
    try:
        outcome = run(data, filename=record.original_name, bureau=bureau, year=year, user=user)
    except UnusableWorkbook as refused:
        record.status = ImportRecord.Status.REFUSED
        record.preview = {"unusable": refused.message, "problems": [], "changes": []}
    else:
        record.kind = outcome.kind
        record.year = outcome.year
        record.preview = outcome.as_dict()
        if outcome.errors or not outcome.kind:
            record.status = ImportRecord.Status.REFUSED
    record.file.save("upload.xlsx", ContentFile(data), save=False)
    record.save()
    return record


def commit(record: ImportRecord, *, user) -> Outcome:
    """Import a previewed file for real, from the copy kept with its record."""
    with record.file.open("rb") as stored:
        data = stored.read()
    outcome = run(
        data,
        filename=record.original_name,
        bureau=record.finance_bureau,
        year=record.year_override,
        commit=True,
        user=user,
    )
    with transaction.atomic():
        record.result = outcome.as_dict()
        if outcome.committed:
            record.status = ImportRecord.Status.COMMITTED
            record.committed_at = timezone.now()
        record.save(update_fields=["result", "status", "committed_at"])
    return outcome
