"""Downloads of the publishable tables, wherever the data is shown (SPEC §9): built in the request when small."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header

from accounts.models import Organisation, User
from accounts.permissions import get_object_for_user
from budgets.models import Project
from budgets.selectors import fiscal_years_visible_to

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
    department = None
    if user.role == User.Role.DEPARTMENT_REVIEWER:
        department = user.organisation
    elif user.role in (User.Role.FINANCE_REVIEWER, User.Role.ADMIN):
        chosen = request.GET.get("department", "")
        if chosen:
            department = get_object_or_404(
                Organisation.objects.departments(),
                pk=chosen if chosen.isdigit() else 0,
                parent=fiscal_year.finance_bureau,
            )
    else:
        raise PermissionDenied("只有主管部门和财政局可以下载汇总表。")
    sheet = build_summary(fiscal_year=fiscal_year, department=department)
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
