"""Retention of uploaded import files (issue 15, finding 5): refused and abandoned uploads do not pile up forever.

- A refused upload's file is deleted IMPORT_REFUSED_RETENTION_DAYS after the upload.
- A preview never committed is closed IMPORT_PREVIEW_RETENTION_DAYS after the upload: it becomes refused, with the
  reason shown on its page, and its file is deleted (so it can no longer be committed from a missing file).
- A committed import keeps its file for good: it is the evidence of what was written.
- A file under imports/ that no record names and that is older than a day (left by an upload that crashed between
  saving the file and saving its record) is deleted.

The import record itself always stays, as the fact that someone uploaded something, with its preview (problems,
reason) and a note of when its file was deleted. Files are deleted through the field's storage, by the names the
records hold or the storage lists, never by paths built from anything a user typed. Safe to run twice at once:
each record is changed by a conditional update, and a file is deleted only after its record stopped naming it.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from imports.models import ImportRecord

logger = logging.getLogger(__name__)

FOLDER = "imports"
# An upload saves its file a moment before its record: younger unnamed files may still be on their way.
ORPHAN_GRACE = timedelta(days=1)


def expired_preview_reason(days: int) -> str:
    return f"预览超过 {days} 天未确认导入，上传的文件已按保留期限删除，不能再导入；如需导入请重新上传。"


@dataclass
class Summary:
    dry_run: bool = False
    refused: int = 0  # refused records whose file was deleted
    previews: int = 0  # previews never committed, now refused and without their file
    orphans: int = 0  # files no record named
    files: int = 0  # files deleted in all
    bytes: int = 0  # bytes freed

    @property
    def records(self) -> int:
        return self.refused + self.previews

    def as_dict(self) -> dict:
        return {**asdict(self), "records": self.records}

    def describe(self) -> str:
        """One Chinese sentence for the command and the log."""
        counts = (
            f"删除文件 {self.files} 个，释放 {_human(self.bytes)}；"
            f"更新导入记录 {self.records} 条（无法导入的 {self.refused} 条，超期未导入的预览 {self.previews} 条）；"
            f"无记录的遗留文件 {self.orphans} 个。"
        )
        if self.dry_run:
            return "试运行，没有删除或修改任何内容。将会" + counts
        return counts


def purge(now: datetime | None = None, dry_run: bool = False) -> Summary:
    """Apply the retention periods as of ``now``; with ``dry_run`` only count what would go."""
    now = now or timezone.now()
    summary = Summary(dry_run=dry_run)
    refused_days = settings.IMPORT_REFUSED_RETENTION_DAYS
    preview_days = settings.IMPORT_PREVIEW_RETENTION_DAYS
    stamp = now.isoformat()

    expired_refused = ImportRecord.objects.filter(
        status=ImportRecord.Status.REFUSED, created_at__lt=now - timedelta(days=refused_days)
    ).exclude(file="")
    # Read before changing any: SQLite does not isolate a running query from the updates made beside it.
    for record in list(expired_refused.only("pk", "status", "file", "preview")):
        preview = {**record.preview, "purged_at": stamp}
        if _release(record, {"preview": preview}, summary):
            summary.refused += 1

    reason = expired_preview_reason(preview_days)
    expired_previews = ImportRecord.objects.filter(
        status=ImportRecord.Status.PREVIEWED, created_at__lt=now - timedelta(days=preview_days)
    )
    for record in list(expired_previews.only("pk", "status", "file", "preview")):
        preview = {**record.preview, "unusable": reason, "purged_at": stamp}
        if _release(record, {"preview": preview, "status": ImportRecord.Status.REFUSED}, summary):
            summary.previews += 1

    _purge_orphans(now, summary)
    logger.info("导入文件保留期限清理：%s", summary.describe())
    return summary


def _storage():
    return ImportRecord._meta.get_field("file").storage


def _release(record: ImportRecord, changes: dict, summary: Summary) -> bool:
    """Stop ``record`` naming its file (with ``changes``), then delete the file unless another record names it."""
    name = record.file.name or ""
    if summary.dry_run:
        if name and not ImportRecord.objects.filter(file=name).exclude(pk=record.pk).exists():
            _delete(name, summary)
        return True
    # Only if nobody changed the record meanwhile (a commit, another purge): otherwise leave it to the next run.
    updated = ImportRecord.objects.filter(pk=record.pk, status=record.status, file=name).update(file="", **changes)
    if not updated:
        return False
    if name and not ImportRecord.objects.filter(file=name).exists():
        _delete(name, summary)
    return True


def _delete(name: str, summary: Summary) -> bool:
    """Delete one stored file (or, in a dry run, count it); a file already gone counts for nothing."""
    storage = _storage()
    if not name.startswith(f"{FOLDER}/"):
        logger.warning("导入文件保留期限清理：跳过不在 %s/ 下的文件 %r", FOLDER, name)
        return False
    try:
        if not storage.exists(name):
            return False
        size = storage.size(name)
        if not summary.dry_run:
            storage.delete(name)
    except OSError:
        # Left for the next run: no record names it any more, so the sweep of unnamed files will find it.
        logger.exception("导入文件保留期限清理：无法删除 %s", name)
        return False
    summary.files += 1
    summary.bytes += size
    return True


def _purge_orphans(now: datetime, summary: Summary) -> None:
    storage = _storage()
    named = set(ImportRecord.objects.exclude(file="").values_list("file", flat=True))
    try:
        if not storage.exists(FOLDER):
            return
        stored = list(_walk(storage, FOLDER))
    except NotImplementedError:
        logger.warning("导入文件保留期限清理：存储不支持列出文件，跳过无记录的遗留文件。")
        return
    for name in stored:
        if name in named:
            continue
        try:
            modified = storage.get_modified_time(name)
        except NotImplementedError:
            return
        except OSError:
            continue
        if modified < now - ORPHAN_GRACE and _delete(name, summary):
            summary.orphans += 1


def _walk(storage, folder: str):
    directories, files = storage.listdir(folder)
    for file_name in files:
        yield f"{folder}/{file_name}"
    for directory in directories:
        yield from _walk(storage, f"{folder}/{directory}")


def _human(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    power, unit = next((power, unit) for power, unit in ((3, "GB"), (2, "MB"), (1, "KB")) if size >= 1024**power)
    return f"{size / 1024**power:.1f} {unit}（{size} 字节）"
