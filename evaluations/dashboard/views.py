"""The statistics page (统计分析) for department reviewers and the finance bureau's staff."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from evaluations.dashboard.figures import build_dashboard, chart_data, dashboard_years, default_year
from policy.access import groups_by_unit, require


def _selected_year(request, years):
    """The year named by ``?year=`` (404 when the bureau has no such year), else the default."""
    wanted = request.GET.get("year", "").strip()
    if not wanted:
        return default_year(request.user, years)
    selected = next((year for year in years if str(year.year) == wanted), None)
    if selected is None:
        raise Http404("没有该年度。")
    return selected


@login_required
def dashboard_index(request):
    """Charts of one fiscal year, every figure also as a table: the page is complete without JavaScript."""
    require(request.user, "evaluations.view_dashboard", message="统计分析面向主管部门审核人、财政审核员和管理员。")
    years = dashboard_years(request.user)
    fiscal_year = _selected_year(request, years)
    dashboard = build_dashboard(user=request.user, fiscal_year=fiscal_year) if fiscal_year else None
    context = {
        "years": years,
        "dashboard": dashboard,
        "charts": chart_data(dashboard) if dashboard else None,
        "by_unit": groups_by_unit(request.user),
    }
    return render(request, "evaluations/dashboard.html", context)
