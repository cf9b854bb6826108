"""Downloads of the publishable tables, wherever the data is shown (SPEC §9): built in the request when small."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Organisation
from budgets.models import Project
from budgets.scopes import fiscal_years_visible_to
from evaluations.models import DepartmentEvaluation, ReportExport
from evaluations.reports.exports import UNAVAILABLE, export_request, export_retry, mark_stale, stale_time_text
from evaluations.workflow.actions import UNSTORABLE, UNSTORABLE_MESSAGE
from evaluations.workflow.services import WorkflowError
from evaluations.workflow.versions import whole_number
from policy.access import can, department_scope, get_object_for_user, require, sees_finance_results

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{filename}.{fmt}")
    return response


def _format(fmt: str) -> str:
    if fmt not in CONTENT_TYPES:
        raise Http404("不支持的格式。")
    return fmt


@login_required
def summary_download(request, year, fmt):
    """市级财政支出绩效自评结果汇总表 of a year: the bureau's (finance, admin) or one department's."""
    from evaluations.reports.summary import build_summary, summary_pdf, summary_xlsx

    fmt = _format(fmt)
    user = request.user
    fiscal_year = get_object_or_404(fiscal_years_visible_to(user), year=year)
    require(user, "evaluations.view_summary", fiscal_year, "只有主管部门和财政局可以下载汇总表。")
    department = department_scope(user)
    if department is None:
        chosen = request.GET.get("department", "")
        if chosen:
            department = get_object_or_404(
                Organisation.objects.departments(),
                pk=whole_number(chosen) or 0,
                parent=fiscal_year.finance_bureau,
            )
    sheet = build_summary(
        fiscal_year=fiscal_year, department=department, finance_results=sees_finance_results(user, fiscal_year)
    )
    content = summary_pdf(sheet) if fmt == "pdf" else summary_xlsx(sheet)
    name = f"{fiscal_year.year}年度市级财政支出绩效自评结果汇总表（{department or fiscal_year.finance_bureau}）"
    return _download(content, fmt, name)


@login_required
def project_table_download(request, pk, fmt):
    """项目支出绩效自评表 of one project in its profile's layout."""
    from evaluations.reports.project_table import project_table_pdf, project_table_xlsx

    fmt = _format(fmt)
    project = get_object_for_user(
        request.user,
        Project.objects.select_related("unit__parent", "fiscal_year__profile", "evaluation"),
        "budgets.view_project",
        pk=pk,
    )
    content = project_table_pdf(project) if fmt == "pdf" else project_table_xlsx(project)
    return _download(content, fmt, f"{project.fiscal_year.year}年度项目支出绩效自评表-{project.name}")


@login_required
def department_table_download(request, pk, fmt):
    """部门整体支出绩效自评表 of one department and year."""
    from evaluations.reports.department_table import department_table_pdf, department_table_xlsx

    fmt = _format(fmt)
    evaluation = get_object_for_user(
        request.user,
        DepartmentEvaluation.objects.select_related("department", "fiscal_year"),
        "evaluations.view_departmentevaluation",
        pk=pk,
    )
    render = department_table_pdf if fmt == "pdf" else department_table_xlsx
    content = render(evaluation, finance_results=sees_finance_results(request.user, evaluation.fiscal_year))
    name = f"{evaluation.fiscal_year.year}年度部门整体支出绩效自评表-{evaluation.department.name}"
    return _download(content, fmt, name)


# --- background exports ---------------------------------------------------------------------------------------


def _may_export(user, fiscal_year, department):
    """Bureau staff export their bureau or one of its departments; a department reviewer their own only."""
    if not can(user, "evaluations.view_summary", fiscal_year):
        return False
    scope = department_scope(user)
    if scope is not None:
        return department is not None and department.pk == scope.pk
    return department is None or department.parent_id == fiscal_year.finance_bureau_id


@login_required
@require_POST
def export_start(request):
    """Queue a large output: the whole city's summary, or every project table of a department (a zip)."""
    asked_year = whole_number(request.POST.get("year")) or 0
    fiscal_year = get_object_or_404(fiscal_years_visible_to(request.user), year=asked_year)
    kind = request.POST.get("kind", "")
    fmt = request.POST.get("format", "")
    if kind not in ReportExport.Kind.values or fmt not in ReportExport.Format.values:
        raise Http404("不支持的导出。")
    require(request.user, "evaluations.view_exports", message="您无权导出该范围的报表。")
    if request.POST.get("department"):
        asked_department = whole_number(request.POST["department"]) or 0
        department = get_object_or_404(Organisation.objects.departments(), pk=asked_department)
    else:
        department = department_scope(request.user)
    if not _may_export(request.user, fiscal_year, department):
        raise PermissionDenied("您无权导出该范围的报表。")
    # No ATOMIC_REQUESTS: the task is sent (or refused by the broker) before export_request returns.
    export = export_request(owner=request.user, kind=kind, fmt=fmt, fiscal_year=fiscal_year, department=department)
    _say_how_queueing_went(request, export, f"已开始生成“{export}”，完成后可在“我的下载”中下载。")
    return redirect("reports:exports")


def _say_how_queueing_went(request, export: ReportExport, started: str) -> None:
    """``started``, or — if the broker refused the task, or (in-process) it already failed — that it did not."""
    export.refresh_from_db(fields=["status", "error"])
    if export.status != ReportExport.Status.FAILED:
        messages.success(request, started)
    elif export.error == UNAVAILABLE:
        messages.error(request, "后台任务服务暂不可用，导出没有开始。请稍后重试或联系管理员。")
    else:
        messages.error(request, f"“{export}”生成失败，原因见下表。")


def _own_exports(user):
    return ReportExport.objects.filter(owner=user).select_related("fiscal_year", "department")


def _own_exports_now(user):
    """The user's exports as they stand, those that stopped showing progress marked failed first."""
    mark_stale(
        ReportExport.objects.filter(owner=user, status__in=[ReportExport.Status.PENDING, ReportExport.Status.RUNNING])
    )
    return _own_exports(user)


@login_required
def export_list(request):
    """My downloads: every export the user asked for, with its progress; files only once complete."""
    exports = _own_exports_now(request.user)[:50]
    return render(request, "evaluations/exports.html", {"exports": exports, "stale_time": stale_time_text()})


@login_required
def export_status(request):
    """The progress of the user's exports, for the page's script to update the bars."""
    return JsonResponse(
        {
            "exports": [
                {
                    "id": e.pk,
                    "status": e.status,
                    "label": e.get_status_display(),
                    "progress": e.progress,
                    "error": e.error,
                }
                for e in _own_exports_now(request.user)[:50]
            ]
        }
    )


@login_required
def export_download(request, pk):
    export = get_object_or_404(_own_exports(request.user), pk=pk)
    if export.status != ReportExport.Status.DONE or not export.file:
        raise Http404("文件尚未生成。")
    content_type = "application/zip" if export.filename.endswith(".zip") else CONTENT_TYPES[export.format]
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.filename, content_type=content_type)


@login_required
@require_POST
def export_retry_view(request, pk):
    export = get_object_or_404(_own_exports(request.user), pk=pk)
    try:
        export_retry(export=export, actor=request.user)
    except WorkflowError as refused:
        messages.error(request, str(refused))
    else:
        _say_how_queueing_went(request, export, "已重新开始生成。")
    return redirect("reports:exports")


# --- narrative reports: drafted from the data, edited in the page, exported as PDF (SPEC §9) -----------------

MAX_SECTION_CHARS = 20_000


def _posted_texts(request, count):
    return [request.POST.get(f"section-{n}", "")[:MAX_SECTION_CHARS] for n in range(count)]


def _narrative_page(
    request, report, render_pdf, filename: str, heading: str, back: str, *, may_save: bool = False, status: int = 200
):
    """A narrative report as read: its PDF (``?format=pdf``, drawn by ``render_pdf``) or the page that edits it."""
    from evaluations.reports import narrative

    if request.GET.get("format") == "pdf":
        return _download(render_pdf(report), "pdf", filename)
    return render(
        request,
        "reports/narrative_edit.html",
        {
            "report": report,
            "heading": heading,
            "back": back,
            "sections": [(n, narrative.section_text(s)) for n, s in enumerate(report.sections)],
            "placeholders": report.placeholders,
            "may_save": may_save,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_report(request, pk):
    """项目支出绩效自评报告: the unit's saved text or the draft; the unit edits and saves it while the project is
    editable; anyone who may see the project downloads it as PDF, as shown or as just edited."""
    from evaluations.reports import narrative

    project = get_object_for_user(
        request.user, Project.objects.select_related("evaluation", "unit"), "budgets.view_project", pk=pk
    )
    evaluation = getattr(project, "evaluation", None)
    if evaluation is None:
        raise Http404("该项目还没有自评记录。")
    may_edit = can(request.user, "budgets.change_project", project)
    report = narrative.project_report(project)
    filename = f"{report.year}年度{project.name}项目支出绩效自评报告"
    if request.method == "POST":
        texts = _posted_texts(request, len(report.sections))
        edited = narrative.with_texts(report, texts)
        if request.POST.get("action") == "save":
            if not may_edit:
                raise PermissionDenied("只有本单位填报人可以在填报期间修改自评报告。")
            if any(UNSTORABLE in t for t in texts):
                # The database stores no NUL; the page comes back with what was typed, nothing saved.
                messages.error(request, UNSTORABLE_MESSAGE)
                heading = f"{project.name} · 项目支出绩效自评报告"
                back = reverse("budgets:project_detail", args=[project.pk])
                return _narrative_page(
                    request, edited, narrative.render_project_report, filename, heading, back, may_save=True, status=400
                )
            evaluation.report_sections = dict(zip(narrative.SECTION_KEYS, (t.strip() for t in texts), strict=True))
            evaluation.save(update_fields=["report_sections", "updated_at"])
            messages.success(request, "自评报告已保存。")
            return redirect("reports:project_report", pk=project.pk)
        return _download(narrative.render_project_report(edited), "pdf", filename)
    heading = f"{project.name} · 项目支出绩效自评报告"
    back = reverse("budgets:project_detail", args=[project.pk])
    return _narrative_page(request, report, narrative.render_project_report, filename, heading, back, may_save=may_edit)


@login_required
@require_http_methods(["GET", "POST"])
def department_statement(request, year, department_pk):
    """预算绩效情况说明 of a department: drafted from the year's data, edited in the page, exported as PDF."""
    from evaluations.reports import narrative

    user = request.user
    fiscal_year = get_object_or_404(fiscal_years_visible_to(user), year=year)
    require(user, "evaluations.view_summary", fiscal_year, "只有主管部门和财政局可以生成预算绩效情况说明。")
    department = get_object_or_404(
        Organisation.objects.departments(), pk=department_pk, parent=fiscal_year.finance_bureau
    )
    scope = department_scope(user)
    if scope is not None and department.pk != scope.pk:
        raise PermissionDenied("只能生成本部门的情况说明。")
    statement = narrative.draft_department_statement(fiscal_year, department)
    filename = f"{department.name}关于{fiscal_year.year}年度预算绩效情况说明"
    if request.method == "POST":
        edited = narrative.with_texts(statement, _posted_texts(request, len(statement.sections)))
        return _download(narrative.render_department_statement(edited), "pdf", filename)
    heading = f"{department.name} · {statement.title}"
    return _narrative_page(
        request, statement, narrative.render_department_statement, filename, heading, reverse("department:list")
    )
