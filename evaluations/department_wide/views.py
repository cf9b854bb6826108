"""Views of the department-wide self-evaluation (部门整体支出绩效自评, SPEC §7).

A department reviewer fills and submits their own department's evaluation; a finance reviewer of the bureau
returns or approves it. Every page gets its object for the user first (404 when there is none, 403 when it is
someone else's); every state change is a POST that calls one service in evaluations.department_wide.services.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.scopes import departments_visible_to
from budgets.models import DepartmentIndicator, FiscalYear
from budgets.scopes import fiscal_years_visible_to
from domain import formatting, scoring
from evaluations.department_wide.forms import DepartmentEditForm
from evaluations.department_wide.services import (
    DepartmentSubmissionRefused,
    department_evaluation_approve,
    department_evaluation_return,
    department_evaluation_save,
    department_evaluation_save_and_submit,
    department_evaluation_start,
    department_evaluation_submit,
)
from evaluations.department_wide.sheet import (
    BUDGET_FIELDS,
    FORMULA_INPUTS,
    RATE_FIELDS,
    build_sheet,
    field_label,
    finance_review,
    inputs_for,
    submission_problems,
)
from evaluations.models import DepartmentEvaluation
from evaluations.richtext import opinion_paragraphs
from evaluations.scopes import department_evaluations_visible_to
from evaluations.workflow.actions import perform
from evaluations.workflow.services import StaleEditError, WorkflowError
from evaluations.workflow.versions import posted_version, whole_number
from policy.access import (
    can,
    department_scope,
    fills_department_evaluations,
    get_object_for_user,
    require,
    sees_finance_results,
)

Status = DepartmentEvaluation.Status


# --- reads ------------------------------------------------------------------------------------------


def _department_evaluations():
    # A department's parent is its bureau: the year number then names exactly one fiscal year.
    return DepartmentEvaluation.objects.select_related(
        "fiscal_year__profile", "fiscal_year__finance_bureau", "department__parent", "updated_by"
    ).filter(department__parent_id=F("fiscal_year__finance_bureau_id"))


def _get_for_user(user, perm, year, department_pk) -> DepartmentEvaluation:
    return get_object_for_user(
        user, _department_evaluations(), perm, fiscal_year__year=year, department_id=department_pk
    )


def visible_department_evaluations(user):
    """The department-wide evaluations ``user`` may list: their department's, or their whole bureau's."""
    return _department_evaluations().filter(pk__in=department_evaluations_visible_to(user).values("pk"))


def _withheld_formula(user, evaluation):
    """The formula whose score and workings show the finance review (自评准确), while ``user`` may not see it."""
    if sees_finance_results(user, evaluation.fiscal_year):
        return None
    return DepartmentIndicator.Formula.SELF_EVALUATION_ACCURACY


def _urls(evaluation):
    kwargs = {"year": evaluation.fiscal_year.year, "department_pk": evaluation.department_id}
    names = ("detail", "edit", "submit", "return", "approve")
    return {name: reverse(f"department:{name}", kwargs=kwargs) for name in names}


def _wan(value) -> str:
    return formatting.amount(value, grouped=False)


def _pct(rate) -> str:
    return formatting.percent(rate)


@dataclass
class Figure:
    label: str
    value: str
    note: str = ""


def budget_figures(evaluation: DepartmentEvaluation) -> list[Figure]:
    """The budget block as shown: amounts in 万元 with 2 decimals, the rates that follow from them."""
    e = evaluation
    figures = [Figure(field_label(name).replace("（万元）", ""), _wan(getattr(e, name))) for name in BUDGET_FIELDS]
    rate = adjustment = None
    if e.adjusted_wan is not None and e.executed_wan is not None:
        rate = scoring.execution_rate(adjusted=e.adjusted_wan, executed=e.executed_wan)
    adjustment_note = ""
    if e.initial_wan is not None and e.adjusted_wan is not None:
        adjustment = scoring.adjustment_rate(initial=e.initial_wan, adjusted=e.adjusted_wan)
        if adjustment is None and scoring.is_adjusted(initial=e.initial_wan, adjusted=e.adjusted_wan):
            adjustment_note = "年初预算为 0，年中安排预算"
    figures += [
        Figure("执行率", _pct(rate)),
        Figure("预算调整率", _pct(adjustment), adjustment_note),
    ]
    return figures


def input_figures(evaluation: DepartmentEvaluation, sheet) -> list[Figure]:
    """The formula inputs the profile's system reads, as typed, with the items that read them."""
    figures = []
    indicators = [line.indicator for line in sheet.lines]
    for name in inputs_for(indicators):
        value = getattr(evaluation, name)
        if name in RATE_FIELDS:
            shown = _pct(value)
        elif name.endswith("_wan"):
            shown = "—" if value is None else f"{_wan(value)} 万元"
        else:
            shown = "—" if value is None else f"{value} 个"
        readers = "、".join(i.name for i in indicators if name in FORMULA_INPUTS.get(i.formula, ()))
        figures.append(Figure(field_label(name), shown, f"用于：{readers}" if readers else ""))
    return figures


# --- the list ---------------------------------------------------------------------------------------


@dataclass
class YearRow:
    fiscal_year: FiscalYear
    evaluation: DepartmentEvaluation | None


@login_required
def department_evaluation_list(request):
    """A department reviewer's evaluations year by year; a finance reviewer's whole bureau, by year."""
    user = request.user
    require(
        user,
        "evaluations.department_list",
        message="部门整体支出绩效自评由主管部门填写、财政部门审核，您的角色无权查看。",
    )
    evaluations = (
        visible_department_evaluations(user)
        .select_related("review")
        .order_by("-fiscal_year__year", "sort_order", "department__name")
    )
    years = fiscal_years_visible_to(user).order_by("-year")
    if department_scope(user) is not None:
        by_year = {e.fiscal_year_id: e for e in evaluations}
        rows = [YearRow(year, by_year.get(year.pk)) for year in years.select_related("profile")]
        return render(request, "evaluations/department_list.html", {"year_rows": rows, "mode": "department"})
    years = list(years)
    selected = next((y for y in years if str(y.year) == request.GET.get("year", "")), None)
    missing = []
    if selected is not None:
        evaluations = evaluations.filter(fiscal_year=selected)
        started = evaluations.values("department_id")
        missing = list(
            departments_visible_to(user).exclude(pk__in=started).order_by("name").values_list("name", flat=True)
        )
    return render(
        request,
        "evaluations/department_list.html",
        {"evaluations": evaluations, "years": years, "selected": selected, "missing": missing, "mode": "bureau"},
    )


@login_required
@require_POST
def department_evaluation_start_view(request, year):
    """Start (or open) the user's department's evaluation of an open year."""
    user = request.user
    if not fills_department_evaluations(user):
        raise PermissionDenied("部门整体支出绩效自评由主管部门审核人填写。")
    fiscal_year = get_object_or_404(fiscal_years_visible_to(user).select_related("profile"), year=year)
    try:
        evaluation, created = department_evaluation_start(fiscal_year=fiscal_year, actor=user)
    except WorkflowError as refused:
        messages.error(request, str(refused))
        return redirect("department:list")
    if created:
        messages.success(request, f"已开始填写{fiscal_year.year}年度部门整体支出绩效自评。")
    return redirect(_urls(evaluation)["edit"])


# --- one evaluation ---------------------------------------------------------------------------------


@dataclass
class HistoryRow:
    transition: object
    from_label: str
    to_label: str


def _history(evaluation) -> list[HistoryRow]:
    """The audit records, with the department workflow's labels (the codes are shared with projects, the
    labels are not: a finance approval is “已审核”, not “部门已审核”)."""
    labels = dict(Status.choices)
    transitions = evaluation.transitions.select_related("actor").order_by("created_at", "pk")
    return [HistoryRow(t, labels.get(t.from_status, ""), labels.get(t.to_status, "")) for t in transitions]


@login_required
def department_evaluation_detail(request, year, department_pk):
    """The read-only evaluation: budget block, narratives, inputs, score sheet, history and the actions allowed."""
    evaluation = _get_for_user(request.user, "evaluations.view_departmentevaluation", year, department_pk)
    sheet = build_sheet(evaluation)
    # The finance review (grade, 核查总分, opinion) is shown once the policy shows the year's results (SPEC §12).
    review = finance_review(evaluation) if sees_finance_results(request.user, evaluation.fiscal_year) else None
    return render(
        request,
        "evaluations/department_detail.html",
        {
            "evaluation": evaluation,
            "review": review,
            "opinion": opinion_paragraphs(review.opinion_html) if review else [],
            "reviewable_statuses": DepartmentEvaluation.REVIEWABLE,
            "withheld_formula": _withheld_formula(request.user, evaluation),
            "sheet": sheet,
            "budget": budget_figures(evaluation),
            "inputs": input_figures(evaluation, sheet),
            "history": _history(evaluation),
            "urls": _urls(evaluation),
        },
    )


def _render_edit(request, evaluation, form, sheet, *, previewed=False, conflict=None):
    """The edit page; ``previewed`` says ``sheet`` was computed from the page's unsaved input."""
    # 409 Conflict when the save was refused because someone else saved first.
    return render(
        request,
        "evaluations/department_edit.html",
        {
            "evaluation": evaluation,
            "form": form,
            "sheet": sheet,
            "rows": form.rows(sheet),
            "previewed": previewed,
            "conflict": conflict,
            "withheld_formula": _withheld_formula(request.user, evaluation),
            "urls": _urls(evaluation),
        },
        status=409 if conflict else 200,
    )


@login_required
def department_evaluation_edit(request, year, department_pk):
    """The one-page form. "保存草稿" saves whatever is valid; "提交" saves and submits, or neither."""
    evaluation = _get_for_user(request.user, "evaluations.view_departmentevaluation", year, department_pk)
    urls = _urls(evaluation)
    if not can(request.user, "evaluations.edit_departmentevaluation", evaluation):
        if not can(request.user, "evaluations.change_departmentevaluation", evaluation):
            raise PermissionDenied("您无权修改该部门整体自评。")
        messages.error(request, f"该自评当前状态为“{evaluation.get_status_display()}”，不能修改。")
        return redirect(urls["detail"])
    sheet = build_sheet(evaluation)

    if request.method != "POST":
        form = DepartmentEditForm(evaluation=evaluation, sheet=sheet)
        if request.GET.get("check") == "submit":
            form.show_problems(submission_problems(evaluation, sheet))
        return _render_edit(request, evaluation, form, sheet)

    form = DepartmentEditForm(evaluation=evaluation, sheet=sheet, data=request.POST)
    if not form.is_valid():
        messages.error(request, f"未保存：有 {form.error_count} 处填写有误，已在下方标出。")
        return _render_edit(request, evaluation, form, sheet)
    # What the page would score with the user's input, shown whenever it comes back to them.
    preview = build_sheet(evaluation, values=form.values(), claims=form.claims())
    submitting = request.POST.get("action") == "submit"
    service = department_evaluation_save_and_submit if submitting else department_evaluation_save
    try:
        service(
            evaluation=evaluation,
            actor=request.user,
            version=form.version,
            values=form.values(),
            claims=form.claims(),
        )
    except StaleEditError as stale:
        return _edit_conflict(request, evaluation, form, stale, preview)
    except DepartmentSubmissionRefused as refused:
        messages.error(request, f"{refused}内容也没有保存，请修改后再提交，或先“保存草稿”。")
        form.show_problems(refused.problems)
        return _render_edit(request, evaluation, form, preview, previewed=True)
    except WorkflowError as refused:
        messages.error(request, str(refused))
        return redirect(urls["detail"])
    if submitting:
        messages.success(request, "已提交，等待财政部门审核。")
        return redirect(urls["detail"])
    evaluation.refresh_from_db(fields=["version"])
    messages.success(request, f"已保存草稿（第 {evaluation.version} 版），计算得分已按保存的数据更新。")
    return redirect(urls["edit"])


def _edit_conflict(request, evaluation, form, stale: StaleEditError, preview):
    """Refuse a save from an older version, keep the user's input, and let them overwrite knowingly."""
    current = stale.current
    current_sheet = build_sheet(current)
    differences = form.differences_from(current, current_sheet)
    # The page now carries the current version: saving again overwrites, after the user has seen the warning.
    data = request.POST.copy()
    data["version"] = str(current.version)
    rebased = DepartmentEditForm(evaluation=current, sheet=current_sheet, data=data)
    rebased.is_valid()
    conflict = {"message": str(stale), "differences": differences}
    return _render_edit(request, current, rebased, preview, previewed=True, conflict=conflict)


@login_required
@require_POST
def department_evaluation_submit_view(request, year, department_pk):
    """Submit the evaluation as saved; when it is incomplete, show what is missing on the form."""
    # Who may submit is checked here; whether the state allows it, by the service (with its own message).
    evaluation = _get_for_user(request.user, "evaluations.change_departmentevaluation", year, department_pk)
    urls = _urls(evaluation)
    version = request.POST.get("version", "")
    try:
        department_evaluation_submit(evaluation=evaluation, actor=request.user, version=whole_number(version))
    except DepartmentSubmissionRefused as refused:
        messages.error(request, f"{refused}请按标出的提示补充后再提交。")
        return redirect(f"{urls['edit']}?check=submit")
    except WorkflowError as refused:
        messages.error(request, str(refused))
        return redirect(urls["detail"])
    messages.success(request, "已提交，等待财政部门审核。")
    return redirect(urls["detail"])


def _decide(request, year, department_pk, service, posted, done):
    """The finance reviewer's return or approval: ``service`` with the posted field and version, then the page."""
    evaluation = _get_for_user(request.user, "evaluations.review_departmentevaluation", year, department_pk)
    perform(
        request,
        service,
        done.format(department=evaluation.department),
        posted=(posted,),
        evaluation=evaluation,
        version=posted_version(request),
    )
    return redirect(_urls(evaluation)["detail"])


@login_required
@require_POST
def department_evaluation_return_view(request, year, department_pk):
    return _decide(request, year, department_pk, department_evaluation_return, "reason", "已退回{department}修改。")


@login_required
@require_POST
def department_evaluation_approve_view(request, year, department_pk):
    return _decide(request, year, department_pk, department_evaluation_approve, "comment", "已审核通过。")
