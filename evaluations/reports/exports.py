"""Large outputs in the background (SPEC §9): the city's summary sheet, or every project table of a department.

A request creates a ReportExport and queues the task ``export_report`` (below) once the transaction commits;
with no Redis configured Celery runs it in-process. The file is written to storage and attached only when it
is complete, so a half-written file is never offered; a failure keeps its reason and can be retried.

An export that stops showing signs of life is not left "生成中" for ever (issue 15, finding 4): each start and
progress report sets its heartbeat, and looking at an export whose heartbeat is older than
settings.EXPORT_STALE_AFTER marks it failed with the reason, so it can be retried (``mark_stale``). Each run
names itself by its start time (``started_at``): a run given up as stale, or replaced by a retry or by a second
delivery of its task, finds the export no longer its own at its next progress report and stops, and never
attaches its file.
"""

import logging
import re
import zipfile
from datetime import timedelta
from io import BytesIO

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, Exists, F, Q, Value, When
from django.utils import timezone

from budgets.models import Project
from evaluations.models import DepartmentEvaluation, ProjectEvaluation, ReportExport
from evaluations.workflow.services import WorkflowError
from policy.access import sees_finance_results

logger = logging.getLogger(__name__)
Status = ReportExport.Status
UNAVAILABLE = "后台任务服务暂不可用，请稍后重试或联系管理员。"
# A run whose worker process dies is delivered again (acks late); after this many starts it is given up.
MAX_ATTEMPTS = 3
# An unexpected error's own text (often an English library message) is for the log, not the user.
INTERNAL = (
    "后台出现内部错误，详情已记入系统日志（导出编号 {number}）。请点击“重试”；仍然失败时请联系管理员并告知导出编号。"
)
INTERRUPTED = (
    "导出在生成过程中多次中断（可能是内容过多、后台进程内存不足），已停止自动重试。请按主管部门分别导出，或联系管理员。"
)
# The task's time limits (seconds): past the soft one the run stops and says so; the hard one kills it.
SOFT_TIME_LIMIT, TIME_LIMIT = 15 * 60, 20 * 60
TOO_LONG = f"导出超过 {SOFT_TIME_LIMIT // 60} 分钟仍未完成，已停止。请按主管部门分别导出，或联系管理员。"
# What a run reads back of its export (not the relations, which the task loaded once).
_STATE = ["status", "progress", "attempts", "error", "file", "filename", "finished_at", "heartbeat_at", "started_at"]


def stale_after() -> timedelta:
    return timedelta(seconds=settings.EXPORT_STALE_AFTER)


def stale_time_text() -> str:
    """settings.EXPORT_STALE_AFTER as the user reads it: "5 分钟", or "90 秒"."""
    seconds = settings.EXPORT_STALE_AFTER
    return f"{seconds // 60} 分钟" if seconds % 60 == 0 else f"{seconds} 秒"


def stalled_reason() -> str:
    return f"导出超过 {stale_time_text()}没有进展（后台进程可能已中断），已停止。可以点击“重试”重新生成。"


def never_started_reason() -> str:
    return f"导出排队超过 {stale_time_text()}仍未开始（后台任务服务可能已中断），已停止。可以点击“重试”重新生成。"


def mark_stale(exports=None) -> int:
    """Mark failed, with the reason, each of ``exports`` (default: all) that shows no sign of life.

    Stale: running with no progress report for settings.EXPORT_STALE_AFTER (its worker died or hangs), or queued
    that long while no export anywhere is making progress (its message was lost, or no worker takes it; one
    queued behind live exports is only waiting its turn). One conditional UPDATE, so a worker reporting
    progress at the same moment wins: its row no longer matches. Returns how many were marked.
    Side effects: status 排队中/生成中 → 失败, error = the reason; progress is kept to show where it stopped.
    """
    cutoff = timezone.now() - stale_after()
    alive = ReportExport.objects.filter(status=Status.RUNNING, heartbeat_at__gte=cutoff)
    stale = Q(status=Status.RUNNING) | (Q(status=Status.PENDING) & ~Exists(alive))
    exports = ReportExport.objects.all() if exports is None else exports
    candidates = exports.filter(stale, heartbeat_at__lt=cutoff)
    if not candidates.exists():  # the usual answer, from a read: the poll asks every 2 s
        return 0
    marked = candidates.update(
        status=Status.FAILED,
        error=Case(When(status=Status.RUNNING, then=Value(stalled_reason())), default=Value(never_started_reason())),
    )
    if marked:
        logger.warning("%s export(s) showed no progress for %s and were marked failed", marked, stale_after())
    return marked


def _queue(export: ReportExport) -> None:
    """Send the task once the caller's transaction commits: at once when there is none (a view; no
    ATOMIC_REQUESTS), so the caller can read the outcome from ``export`` when this returns."""

    def send():
        try:
            export_report.delay(export_id=export.pk)
        except Exception:  # any broker failure means the same to the user: try again later
            logger.exception("queueing export %s failed", export.pk)
            if ReportExport.objects.filter(pk=export.pk, status=Status.PENDING).update(
                status=Status.FAILED, error=UNAVAILABLE
            ):
                export.status, export.error = Status.FAILED, UNAVAILABLE

    transaction.on_commit(send)


def export_request(*, owner, kind: str, fmt: str, fiscal_year, department=None) -> ReportExport:
    """Ask for an output to be built in the background; returns the ReportExport.

    Called outside a transaction, the task is sent before this returns, and a broker that cannot take it
    leaves the export 失败 with UNAVAILABLE (in the database and in the returned object), so the page can say
    at once that nothing started.
    """
    export = ReportExport.objects.create(
        owner=owner, kind=kind, format=fmt, fiscal_year=fiscal_year, department=department
    )
    _queue(export)
    return export


def export_retry(*, export: ReportExport, actor) -> ReportExport:
    """Queue a failed export again, or one that has shown no progress for settings.EXPORT_STALE_AFTER.

    Side effects: status → 排队中, error, progress and attempts cleared, heartbeat now; then queued as in
    ``export_request`` (a broker that cannot take it leaves it 失败 again, with UNAVAILABLE).
    """
    if export.owner_id != actor.pk:
        raise WorkflowError("只能重试自己申请的导出。")
    mark_stale(ReportExport.objects.filter(pk=export.pk))
    # Conditional, so two clicks (two tabs) queue it once.
    requeued = ReportExport.objects.filter(pk=export.pk, status=Status.FAILED).update(
        status=Status.PENDING, error="", progress=0, attempts=0, heartbeat_at=timezone.now()
    )
    export.refresh_from_db(fields=_STATE)
    if not requeued:
        raise WorkflowError("只有失败的导出可以重试。")
    _queue(export)
    return export


class _NoLongerThisRun(Exception):
    """The export was given up as stale, retried, or taken over by another delivery: this run stops."""


def _progress(export: ReportExport, percent: int) -> None:
    """Report progress, which is also the heartbeat; stop the run if the export is no longer its own."""
    mine = ReportExport.objects.filter(pk=export.pk, status=Status.RUNNING, started_at=export.started_at)
    if not mine.update(progress=min(max(percent, 0), 99), heartbeat_at=timezone.now()):
        raise _NoLongerThisRun


def _summary_sheet(export: ReportExport):
    """The export's summary sheet, with the finance results only if its owner may see them now (SPEC §12)."""
    from evaluations.reports.summary import build_summary

    return build_summary(
        fiscal_year=export.fiscal_year,
        department=export.department,
        finance_results=sees_finance_results(export.owner, export.fiscal_year),
    )


def _summary(export: ReportExport) -> tuple[bytes, str]:
    from evaluations.reports.summary import summary_pdf, summary_xlsx

    sheet = _summary_sheet(export)
    _progress(export, 30)
    content = summary_pdf(sheet) if export.format == ReportExport.Format.PDF else summary_xlsx(sheet)
    scope = export.department or export.fiscal_year.finance_bureau
    return content, f"{export.fiscal_year.year}年度市级财政支出绩效自评结果汇总表（{scope}）.{export.format}"


# Characters that would change an entry's folder or be refused by some unzip tool (Windows' set, and controls).
_UNSAFE_IN_ENTRY = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
ENTRY_PART_LIMIT = 80


def entry_part(text: str) -> str:
    """One folder or file name inside the zip, from a name a user typed (a unit's, a project's).

    The separators and the characters an unzip tool refuses become "_", and a name cannot start with a dot:
    a project named ``../../tmp/x`` stays a file inside its unit's folder (issue 15, finding 3).
    """
    cleaned = _UNSAFE_IN_ENTRY.sub("_", text or "").strip().lstrip(".").strip()
    return cleaned[:ENTRY_PART_LIMIT] or "未命名"


def _project_tables(export: ReportExport) -> tuple[bytes, str]:
    """Every table of the scope as one zip: each project's 项目支出绩效自评表, each department's
    部门整体支出绩效自评表 and the scope's 汇总表, by department and unit — of the records that reached 已提交
    only, like every official output (SPEC §13)."""
    from evaluations.reports.department_table import department_table_pdf, department_table_xlsx
    from evaluations.reports.project_table import project_table_pdf, project_table_xlsx
    from evaluations.reports.summary import summary_pdf, summary_xlsx

    pdf = export.format == ReportExport.Format.PDF
    render = project_table_pdf if pdf else project_table_xlsx
    render_department = department_table_pdf if pdf else department_table_xlsx
    projects = Project.objects.filter(
        fiscal_year=export.fiscal_year, evaluation__status__in=ProjectEvaluation.REACHED_SUBMISSION
    ).select_related("unit__parent", "fiscal_year__profile", "evaluation")
    departments = DepartmentEvaluation.objects.filter(
        fiscal_year=export.fiscal_year, status__in=DepartmentEvaluation.REACHED_SUBMISSION
    ).select_related("department")
    if export.department is not None:
        projects = projects.of_department(export.department)
        departments = departments.filter(department=export.department)
    projects = list(projects.order_by("unit__name", "sort_order", "name", "pk"))
    departments = list(departments.order_by("department__name"))
    steps = len(projects) + len(departments) + 1
    scope = export.department or export.fiscal_year.finance_bureau
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n, project in enumerate(projects, start=1):
            name = f"{entry_part(project.unit.name)}/{project.pk}-{entry_part(project.name)}.{export.format}"
            archive.writestr(name, render(project))
            _progress(export, n * 100 // steps)
        for n, evaluation in enumerate(departments, start=len(projects) + 1):
            name = f"{entry_part(evaluation.department.name)}/部门整体支出绩效自评表.{export.format}"
            archive.writestr(name, render_department(evaluation))
            _progress(export, n * 100 // steps)
        sheet = _summary_sheet(export)
        archive.writestr(
            f"市级财政支出绩效自评结果汇总表.{export.format}", summary_pdf(sheet) if pdf else summary_xlsx(sheet)
        )
    return buffer.getvalue(), f"{export.fiscal_year.year}年度绩效自评表（{scope}）.zip"


BUILDERS = {ReportExport.Kind.SUMMARY: _summary, ReportExport.Kind.PROJECT_TABLES: _project_tables}


def _failed(export: ReportExport, reason: str) -> ReportExport:
    """Mark ``export`` failed with ``reason`` — if it is still this run's (not finished, retried or taken over)."""
    ReportExport.objects.filter(pk=export.pk, status=Status.RUNNING, started_at=export.started_at).update(
        status=Status.FAILED, error=reason
    )
    export.refresh_from_db(fields=_STATE)
    return export


def export_run(*, export: ReportExport) -> ReportExport:
    """Build the export's file and attach it; safe to run again for the same export.

    A run starts only from 排队中 or 生成中: a task delivered twice (its worker was killed, so Redis handed it
    out again) rebuilds an unfinished export from the start and leaves a finished one alone, and one whose
    export was marked failed (stale) does nothing — the user's 重试 queues it anew. The file is built whole in
    memory and written to storage only then, in the transaction that marks the export done and only if the
    export is still this run's, so a half-written file is never attached, nor one of a run given up; a partial
    file left by a process killed while writing it is removed on the next run.
    Side effects: status 生成中 → 已完成 with the file, or → 失败 with the reason; progress and heartbeat
    updated as it goes.
    """
    now = timezone.now()
    claimed = ReportExport.objects.filter(pk=export.pk, status__in=[Status.PENDING, Status.RUNNING]).update(
        status=Status.RUNNING, progress=0, error="", attempts=F("attempts") + 1, started_at=now, heartbeat_at=now
    )
    export.refresh_from_db(fields=_STATE)
    if not claimed:
        logger.info("export %s is %s; the task does nothing", export.pk, export.status)
        return export
    if export.attempts > MAX_ATTEMPTS:
        logger.error("export %s interrupted %s times; not started again", export.pk, export.attempts - 1)
        return _failed(export, INTERRUPTED)
    try:
        content, filename = BUILDERS[export.kind](export)
    except _NoLongerThisRun:
        logger.warning("export %s is no longer this run's (stale, retried or taken over); stopped", export.pk)
        export.refresh_from_db(fields=_STATE)
        return export
    except SoftTimeLimitExceeded:
        logger.exception("export %s ran out of time", export.pk)
        return _failed(export, TOO_LONG)
    except Exception as error:  # our own reasons are kept for the user; anything else goes to the log only
        logger.exception("export %s failed", export.pk)
        reason = str(error) if isinstance(error, WorkflowError) else INTERNAL.format(number=export.pk)
        return _failed(export, f"生成失败：{reason}")
    with transaction.atomic():
        # Attach only if the export is still this run's: not finished by another delivery meanwhile, nor
        # given up as stale (the user was told it failed), nor retried (the new run will attach its own).
        mine = ReportExport.objects.select_for_update().filter(
            pk=export.pk, status=Status.RUNNING, started_at=export.started_at
        )
        if not list(mine.values_list("pk", flat=True)):
            logger.warning("export %s is no longer this run's; its file is not attached", export.pk)
            export.refresh_from_db(fields=_STATE)
            return export
        if export.file:
            export.file.delete(save=False)
        name = export.file.field.generate_filename(export, f"export-{export.pk}.{filename.rsplit('.', 1)[1]}")
        if export.file.storage.exists(name):  # what a run killed while writing the file left behind
            export.file.storage.delete(name)
        export.file.save(name.rsplit("/", 1)[-1], ContentFile(content), save=False)
        export.filename = filename
        export.status, export.progress, export.finished_at = Status.DONE, 100, timezone.now()
        export.save(update_fields=["file", "filename", "status", "progress", "finished_at"])
    return export


# Acknowledged only when done, and put back on the queue if its pool process dies (also the defaults in
# settings, stated here because they are only safe for a task that may run twice). The hard time limit must
# stay below the broker's visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS).
@shared_task(
    # The name it has always had on the queue (Celery finds it through evaluations/tasks.py).
    name="evaluations.tasks.export_report",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=2,
    default_retry_delay=10,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def export_report(*, export_id: int):
    """Build one ReportExport; a repeated delivery rebuilds an unfinished export and leaves a finished or failed
    one alone."""
    export = (
        ReportExport.objects.filter(pk=export_id)
        .select_related("fiscal_year", "department", "owner__organisation")
        .first()
    )
    if export is None:
        logger.warning("export %s no longer exists", export_id)
        return
    export_run(export=export)
