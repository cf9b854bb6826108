"""Large imports in the background: the check (dry run) of a big upload and the commit of a big preview.

A workbook of more than IMPORT_BACKGROUND_CELLS cells (tens of thousands of rows) is not checked or written
inside a web request: the record is set 正在检查 / 正在导入 and a Celery task does the work, reporting its
stage and percentage through imports.progress; the page refreshes until it is done. Without Redis Celery runs
the task in-process, so the same code path works on a laptop.

A worker lost mid-task does not leave a record 正在… forever: the next look at a record with no sign of life for
IMPORT_STALE_AFTER seconds ends it (`expire_if_stale`). A lost check is refused (upload again); a lost commit
goes back to 已预览 — its transaction died with the worker, so nothing was written — and may be confirmed again.
A commit that is still running holds its record's row lock, which `expire_if_stale` tests without waiting.
"""

import logging
from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from imports import progress
from imports.models import ImportRecord

logger = logging.getLogger(__name__)
Status = ImportRecord.Status

# Defaults of the settings of the same name.
IMPORT_BACKGROUND_CELLS = 20_000
IMPORT_STALE_AFTER = 10 * 60  # seconds

UNAVAILABLE_CHECK = "后台任务服务暂不可用，文件没有检查，也没有写入任何数据：请稍后重新上传，或联系管理员。"
UNAVAILABLE_COMMIT = "后台任务服务暂不可用，导入没有开始，没有写入任何数据：请稍后再点“确认导入”，或联系管理员。"
STALE_CHECK = (
    "后台检查超过 {minutes} 分钟没有进展（后台进程可能已中断），已停止；没有写入任何数据。请重新上传这个文件。"
)
STALE_COMMIT = (
    "上次导入在后台超过 {minutes} 分钟没有进展（后台进程可能已中断），已停止；导入在一个事务中进行，"
    "中断时没有写入任何数据。可以再次点击“确认导入”。"
)


def setting(name: str) -> int:
    return getattr(settings, name, globals()[name])


def is_large(record: ImportRecord) -> bool:
    return record.cells > setting("IMPORT_BACKGROUND_CELLS")


def stale_minutes() -> int:
    return max(1, round(setting("IMPORT_STALE_AFTER") / 60))


def queue_check(record: ImportRecord) -> None:
    """Check ``record``'s file in the background once the current transaction commits."""
    _queue(check_upload, record, Status.CHECKING, Status.REFUSED, {"preview": _unusable(UNAVAILABLE_CHECK)})


def queue_commit(record: ImportRecord) -> None:
    """Write ``record``'s file in the background once the current transaction commits."""
    _queue(commit_upload, record, Status.COMMITTING, Status.PREVIEWED, {"result": {"interrupted": UNAVAILABLE_COMMIT}})


def _queue(task, record: ImportRecord, waiting: str, failed: str, why: dict) -> None:
    def send():
        try:
            task.delay(record.pk)
        except Exception:  # any broker failure means the same to the admin: not started, try again later
            logger.exception("queueing import %s failed", record.pk)
            ImportRecord.objects.filter(pk=record.pk, status=waiting).update(status=failed, **why)

    transaction.on_commit(send)


def _unusable(message: str) -> dict:
    return {"unusable": message, "problems": [], "changes": []}


@shared_task(name="imports.check_upload")
def check_upload(record_id: int) -> None:
    from imports import service

    record = ImportRecord.objects.filter(pk=record_id, status=Status.CHECKING).first()
    if record is None:  # done, or ended as stale, before this delivery
        return
    with progress.tracking(record.pk):
        service.preview(record)
    progress.clear(record.pk)


@shared_task(name="imports.commit_upload")
def commit_upload(record_id: int) -> None:
    from imports import service

    try:
        with progress.tracking(record_id):
            service.finish_commit(record_id)
    finally:
        progress.clear(record_id)


def expire_if_stale(record: ImportRecord) -> bool:
    """End ``record``'s background work if it shows no sign of life; True when it did (``record`` is refreshed)."""
    if not record.in_progress:
        return False
    last = record.started_at or record.created_at
    report = progress.read(record.pk)
    if report:
        last = max(last, datetime.fromtimestamp(report["at"], tz=UTC))
    if timezone.now() - last < timedelta(seconds=setting("IMPORT_STALE_AFTER")):
        return False
    minutes = stale_minutes()
    if record.status == Status.CHECKING:
        ended = ImportRecord.objects.filter(pk=record.pk, status=Status.CHECKING, started_at=record.started_at).update(
            status=Status.REFUSED, preview=_unusable(STALE_CHECK.format(minutes=minutes))
        )
    else:
        try:
            with transaction.atomic():
                # A commit still running holds this row: then it is alive, however quiet.
                still = ImportRecord.objects.filter(
                    pk=record.pk, status=Status.COMMITTING, started_at=record.started_at
                )
                ended = len(still.select_for_update(nowait=True).values_list("pk", flat=True)) and still.update(
                    status=Status.PREVIEWED, result={"interrupted": STALE_COMMIT.format(minutes=minutes)}
                )
        except DatabaseError:
            return False
    if ended:
        logger.warning("import %s: background %s had no sign of life; ended", record.pk, record.status)
        progress.clear(record.pk)
    record.refresh_from_db()
    return bool(ended)
