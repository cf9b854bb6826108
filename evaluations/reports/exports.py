"""Large outputs in the background (SPEC §9): the city's summary sheet, or every project table of a department.

A request creates a ReportExport and queues the task ``export_report`` (below) once the transaction commits;
with no Redis configured Celery runs it in-process. The file is written to storage and attached only when it
is complete, so a half-written file is never offered; a failure keeps its reason and can be retried.
"""

import logging
import re
import zipfile
from io import BytesIO

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
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
INTERRUPTED = (
    "导出在生成过程中多次中断（可能是内容过多、后台进程内存不足），已停止自动重试。请按主管部门分别导出，或联系管理员。"
)


def _queue(export: ReportExport) -> None:
    def send():
        try:
            export_report.delay(export_id=export.pk)
        except Exception:  # any broker failure means the same to the user: try again later
            logger.exception("queueing export %s failed", export.pk)
            ReportExport.objects.filter(pk=export.pk).update(status=Status.FAILED, error=UNAVAILABLE)

    transaction.on_commit(send)


def export_request(*, owner, kind: str, fmt: str, fiscal_year, department=None) -> ReportExport:
    """Ask for an output to be built in the background; returns the queued ReportExport."""
    export = ReportExport.objects.create(
        owner=owner, kind=kind, format=fmt, fiscal_year=fiscal_year, department=department
    )
    _queue(export)
    return export


def export_retry(*, export: ReportExport, actor) -> ReportExport:
    """Queue a failed export again. Side effects: status → 排队中, error and progress cleared."""
    if export.owner_id != actor.pk:
        raise WorkflowError("只能重试自己申请的导出。")
    if export.status != Status.FAILED:
        raise WorkflowError("只有失败的导出可以重试。")
    export.status, export.error, export.progress, export.attempts = Status.PENDING, "", 0, 0
    export.save(update_fields=["status", "error", "progress", "attempts"])
    _queue(export)
    return export


def _progress(export: ReportExport, percent: int) -> None:
    # Only while running: a second delivery of the task must not move the bar of a finished export.
    ReportExport.objects.filter(pk=export.pk, status=Status.RUNNING).update(progress=min(max(percent, 0), 99))


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
    """Mark ``export`` failed with ``reason`` — unless another delivery of its task has finished it meanwhile."""
    export.status, export.error = Status.FAILED, reason
    ReportExport.objects.filter(pk=export.pk).exclude(status=Status.DONE).update(status=export.status, error=reason)
    return export


def export_run(*, export: ReportExport) -> ReportExport:
    """Build the export's file and attach it; safe to run again for the same export.

    A task delivered twice (its worker was killed, so Redis handed it out again) finds a finished export and
    leaves it alone, or rebuilds an unfinished one from the start. The file is built whole in memory and
    written to storage only then, in the transaction that marks the export done, so a half-written file is
    never attached; a partial file left by a process killed while writing it is removed on the next run.
    Side effects: status 生成中 → 已完成 with the file, or → 失败 with the reason; progress updated as it goes.
    """
    if export.status == Status.DONE:
        logger.info("export %s is already done; the repeated task does nothing", export.pk)
        return export
    ReportExport.objects.filter(pk=export.pk).update(attempts=F("attempts") + 1)
    export.refresh_from_db(fields=["attempts"])
    if export.attempts > MAX_ATTEMPTS:
        logger.error("export %s interrupted %s times; not started again", export.pk, export.attempts - 1)
        return _failed(export, INTERRUPTED)
    export.status, export.progress, export.error = Status.RUNNING, 0, ""
    export.save(update_fields=["status", "progress", "error"])
    try:
        content, filename = BUILDERS[export.kind](export)
    except Exception as error:  # the reason is kept for the user, the trace for the log
        logger.exception("export %s failed", export.pk)
        return _failed(export, f"生成失败：{error}")
    with transaction.atomic():
        # Two deliveries of the same task may run at once: the first to get here keeps its file.
        if ReportExport.objects.select_for_update().get(pk=export.pk).status == Status.DONE:
            export.refresh_from_db()
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
    soft_time_limit=15 * 60,
    time_limit=20 * 60,
)
def export_report(*, export_id: int):
    """Build one ReportExport; a repeated delivery leaves a finished export alone and rebuilds an unfinished one."""
    export = (
        ReportExport.objects.filter(pk=export_id)
        .select_related("fiscal_year", "department", "owner__organisation")
        .first()
    )
    if export is None:
        logger.warning("export %s no longer exists", export_id)
        return
    export_run(export=export)
