"""One flow for every kind of workbook: open safely → detect the kind → read → dry run or commit, all or nothing."""

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from history.context import acting_as
from imports import jobs, progress
from imports.apply import apply_result
from imports.models import ImportRecord
from imports.records import ERROR, Outcome, Problem
from imports.safety import UnusableWorkbook, inspect, open_workbook

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
    progress.stage(5, "打开并检查工作簿")
    workbook = open_workbook(data, filename=filename)
    progress.stage(20, "识别表样")
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


class AlreadyHandled(Exception):
    """A commit that is not this caller's to make: the file was imported, is being imported, or cannot be.
    ``message`` (Chinese) says by whom and when."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def upload(uploaded_file, *, user, bureau, year: int | None = None) -> ImportRecord:
    """Keep the uploaded file with a new import record and its dry-run preview (or why it is unusable).

    The checks before parsing run here whatever the size; a workbook of more than IMPORT_BACKGROUND_CELLS
    cells is then checked in the background (imports.jobs) and the record reads 正在检查 until it is done."""
    data = uploaded_file.read()
    record = ImportRecord(
        uploaded_by=user,
        finance_bureau=bureau,
        original_name=(uploaded_file.name or "upload.xlsx")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        year_override=year,
        status=ImportRecord.Status.CHECKING,
    )
    try:
        record.cells = inspect(data).cells
    except UnusableWorkbook as refused:
        record.status = ImportRecord.Status.REFUSED
        record.preview = {"unusable": refused.message, "problems": [], "changes": []}
    record.file.save("upload.xlsx", ContentFile(data), save=False)
    if record.status == ImportRecord.Status.CHECKING and jobs.is_large(record):
        record.started_at = timezone.now()
        record.save()
        jobs.queue_check(record)
    else:
        record.save()
        if record.status == ImportRecord.Status.CHECKING:
            preview(record, data)
    return record


def preview(record: ImportRecord, data: bytes | None = None) -> None:
    """The dry run of ``record``'s file, stored on the record: 已预览, or 无法导入 with the reasons."""
    if data is None:
        with record.file.open("rb") as stored:
            data = stored.read()
    try:
        outcome = run(
            data,
            filename=record.original_name,
            bureau=record.finance_bureau,
            year=record.year_override,
            user=record.uploaded_by,
        )
    except UnusableWorkbook as refused:
        status, changes = (
            ImportRecord.Status.REFUSED,
            {"preview": {"unusable": refused.message, "problems": [], "changes": []}},
        )
    else:
        refused = outcome.errors or not outcome.kind
        status = ImportRecord.Status.REFUSED if refused else ImportRecord.Status.PREVIEWED
        changes = {"kind": outcome.kind, "year": outcome.year, "preview": outcome.as_dict()}
    # Only while still being checked: a check ended as stale meanwhile stays ended.
    ImportRecord.objects.filter(pk=record.pk, status=ImportRecord.Status.CHECKING).update(status=status, **changes)
    record.refresh_from_db()


def commit(record: ImportRecord, *, user) -> Outcome | None:
    """Import a previewed file for real, from the copy kept with its record; all or nothing.

    Exactly one commit of a record runs: the first claims it (已预览 → 正在导入, naming the user) and every other,
    however close in time, gets AlreadyHandled saying who imported it and when. Returns the Outcome, or None
    when the file is large and is written in the background (the record reads 正在导入 until then)."""
    claimed = ImportRecord.objects.filter(pk=record.pk, status=ImportRecord.Status.PREVIEWED).update(
        status=ImportRecord.Status.COMMITTING, committed_by=user, started_at=timezone.now(), result={}
    )
    record.refresh_from_db()
    if not claimed:
        raise AlreadyHandled(handled_message(record))
    if jobs.is_large(record):
        jobs.queue_commit(record)
        return None
    return finish_commit(record.pk)


def finish_commit(record_id: int) -> Outcome | None:
    """Write a claimed record's file. The record stays locked while it is written, so a second delivery of the
    background task waits and then finds it done; None when there was nothing (left) to do."""
    try:
        with transaction.atomic():
            record = (
                ImportRecord.objects.select_for_update(of=("self",))
                .select_related("finance_bureau", "committed_by")
                .filter(pk=record_id, status=ImportRecord.Status.COMMITTING)
                .first()
            )
            if record is None:
                return None
            with record.file.open("rb") as stored:
                data = stored.read()
            outcome = run(
                data,
                filename=record.original_name,
                bureau=record.finance_bureau,
                year=record.year_override,
                commit=True,
                user=record.committed_by,
            )
            record.result = outcome.as_dict()
            if outcome.committed:
                record.status = ImportRecord.Status.COMMITTED
                record.committed_at = timezone.now()
            else:
                record.status = ImportRecord.Status.PREVIEWED
            record.save(update_fields=["result", "status", "committed_at"])
            return outcome
    except BaseException:
        # Nothing was written (one transaction); the preview may be confirmed again.
        ImportRecord.objects.filter(pk=record_id, status=ImportRecord.Status.COMMITTING).update(
            status=ImportRecord.Status.PREVIEWED
        )
        raise


def handled_message(record: ImportRecord) -> str:
    """Why ``record`` cannot be committed now, naming who did what when (for a commit that lost the race)."""
    who = record.committed_by.get_full_name() or record.committed_by.username if record.committed_by else "他人"
    if record.status == ImportRecord.Status.COMMITTED:
        when = timezone.localtime(record.committed_at) if record.committed_at else None
        at = f"于 {when:%Y-%m-%d %H:%M}" if when else ""
        return f"这个文件已经由 {who} {at}导入，本次没有再次写入。如需再次导入，请重新上传。"
    if record.status == ImportRecord.Status.COMMITTING:
        when = timezone.localtime(record.started_at) if record.started_at else None
        at = f"（{when:%H:%M} 开始）" if when else ""
        return f"这个文件正在由 {who} 导入{at}，本次没有再次写入。请稍后刷新本页查看结果。"
    if record.status == ImportRecord.Status.CHECKING:
        return "这个文件还在检查中，检查完成后才能导入。"
    reason = (record.preview or {}).get("unusable")
    return f"这个文件不能导入：{reason}" if reason else "这个文件有错误，不能导入：请修改后重新上传。"
