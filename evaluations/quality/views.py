"""智能审核 findings listed per year and department, filterable, exportable to Excel (SPEC §11)."""

from io import BytesIO

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from accounts.models import Organisation
from budgets.scopes import fiscal_years_visible_to
from evaluations.quality.engine import findings_for
from evaluations.quality.findings import ERROR, FINANCE_CODES, HINT, RULE_LABELS
from evaluations.workflow.versions import whole_number
from policy.access import department_scope, require, sees_finance_results, sees_whole_bureau

COLUMNS = ("序号", "主管部门", "预算单位", "项目", "级别", "规则", "说明")
DISPLAY_LIMIT = 2000  # rows on the page; the Excel export has them all


def _choices(request):
    """The year, department, rule and severity asked for, limited to what the user may see."""
    user = request.user
    require(user, "evaluations.view_quality", message="只有主管部门和财政局可以查看审核结果清单。")
    years = fiscal_years_visible_to(user).order_by("-year")
    asked = whole_number(request.GET.get("year"))
    fiscal_year = years.filter(year=asked).first() if asked is not None else years.first()
    if fiscal_year is None:
        raise Http404("没有可查看的年度。")
    departments = Organisation.objects.departments().filter(parent=fiscal_year.finance_bureau).order_by("name")
    department = department_scope(user)
    if department is not None:
        departments = departments.filter(pk=department.pk)
    else:
        chosen = whole_number(request.GET.get("department"))
        department = departments.filter(pk=chosen).first() if chosen is not None else None
    # The self-vs-finance comparisons are finance results: hidden, rule and all, until the reader may see them.
    finance_results = sees_finance_results(user, fiscal_year)
    rules = {code: label for code, label in RULE_LABELS.items() if finance_results or code not in FINANCE_CODES}
    code = request.GET.get("code", "")
    severity = request.GET.get("severity", "")
    return {
        "years": years,
        "fiscal_year": fiscal_year,
        "departments": departments,
        "department": department,
        "whole_bureau": sees_whole_bureau(user),
        "finance_results": finance_results,
        "rule_labels": rules,
        "code": code if code in rules else "",
        "severity": severity if severity in (ERROR, HINT) else "",
    }


def _rows(choices):
    rows = []
    records = findings_for(choices["fiscal_year"], choices["department"], finance_results=choices["finance_results"])
    for record in records:
        for finding in record.findings:
            if choices["code"] and finding.code != choices["code"]:
                continue
            if choices["severity"] and finding.severity != choices["severity"]:
                continue
            rows.append((record, finding))
    return rows


@login_required
def finding_list(request):
    choices = _choices(request)
    rows = _rows(choices)
    if request.GET.get("format") == "xlsx":
        return _xlsx_response(choices, rows)
    counts = {}
    for _, finding in rows:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    return render(
        request,
        "evaluations/finding_list.html",
        {
            **choices,
            "rows": rows[:DISPLAY_LIMIT],
            "total": len(rows),
            "truncated": len(rows) > DISPLAY_LIMIT,
            "counts": [(code, label, counts[code]) for code, label in choices["rule_labels"].items() if code in counts],
            "rules": choices["rule_labels"].items(),
            "severities": (ERROR, HINT),
            "query": request.GET.urlencode(),
        },
    )


def _xlsx_response(choices, rows):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from evaluations.reports.excel import a4_print_setup, thin_border, write_cell

    wb = Workbook()
    ws = wb.active
    ws.title = "智能审核"
    scope = choices["department"] or choices["fiscal_year"].finance_bureau
    title = f"{choices['fiscal_year'].year}年度智能审核结果（{scope}）"
    write_cell(ws, 1, 1, title, style={"font": Font(bold=True, size=14)})
    body = {"border": thin_border(), "alignment": Alignment(vertical="top", wrap_text=True)}
    header = {**body, "font": Font(bold=True)}
    for column, title in enumerate(COLUMNS, start=1):
        write_cell(ws, 2, column, title, style=header)
    for number, (record, finding) in enumerate(rows, start=1):
        values = (
            number,
            record.department.name,
            record.unit.name,
            record.name,
            finding.severity,
            finding.label,
            finding.message,
        )
        for column, value in enumerate(values, start=1):
            write_cell(ws, number + 2, column, value, style=body)
    for column, width in enumerate((6, 22, 24, 30, 6, 22, 70), start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A3"
    a4_print_setup(ws, landscape=True, title_rows="2:2")
    buffer = BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{title}.xlsx")
    return response
