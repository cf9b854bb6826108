"""The audit trail on each record page, and the auditor's export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.export import Scope, TooManyRows, write_workbook
from audit.forms import ExportForm
from audit.records import department_trail, project_trail
from budgets.models import Project
from budgets.scopes import fiscal_years_visible_to
from evaluations.department_wide.views import _department_evaluations
from policy.access import can, get_object_for_user

PAGE_SIZE = 50


def _page(request, found):
    return Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_GET
def project_history(request, pk):
    project = get_object_for_user(
        request.user, Project.objects.select_related("unit", "fiscal_year"), "budgets.view_project", pk=pk
    )
    return render(
        request,
        "audit/history.html",
        {
            "title": project.name,
            "context_line": f"{project.fiscal_year.year}年度 · {project.unit}",
            "project": project,
            "page": _page(request, project_trail(request.user, project)),
        },
    )


@login_required
@require_GET
def department_history(request, year, department_pk):
    evaluation = get_object_for_user(
        request.user,
        _department_evaluations(),
        "evaluations.view_departmentevaluation",
        fiscal_year__year=year,
        department_id=department_pk,
    )
    return render(
        request,
        "audit/history.html",
        {
            "title": f"{evaluation.department} 部门整体支出绩效自评",
            "context_line": f"{evaluation.fiscal_year.year}年度",
            "department_evaluation": evaluation,
            "page": _page(request, department_trail(request.user, evaluation)),
        },
    )


@login_required
@require_GET
def export(request):
    """The form, or (with a valid scope) the workbook of every change in it."""
    if not can(request.user, "audit.open_export"):
        raise PermissionDenied("您无权导出变更记录。")
    years = fiscal_years_visible_to(request.user)
    form = ExportForm(request.GET or None, user=request.user, years=years)
    error = None
    if form.is_bound and form.is_valid():
        fiscal_year = form.cleaned_data["year"]
        if not can(request.user, "audit.export", fiscal_year):
            raise PermissionDenied("您无权导出该年度的变更记录。")
        scope = Scope(
            fiscal_year=fiscal_year,
            department=form.cleaned_data.get("department"),
            since=form.cleaned_data["since"],
            until=form.cleaned_data["until"],
        )
        try:
            handle, _count = write_workbook(request.user, scope)
        except TooManyRows:
            error = "变更记录超过一张工作表的行数上限，请缩小日期范围或按主管部门分别导出。"
        else:
            stamp = timezone.localtime().strftime("%Y%m%d%H%M")
            scope_name = f"（{scope.department}）" if scope.department else ""
            name = f"{fiscal_year.year}年度变更记录{scope_name}_{stamp}.xlsx"
            return FileResponse(handle, as_attachment=True, filename=name)
    return render(request, "audit/export.html", {"form": form, "error": error}, status=400 if error else 200)
