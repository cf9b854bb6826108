"""Projects: the list, the self-evaluation form with its live preview, the read-only table, copying a year."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import RequestConfig

from budgets.models import FiscalYear, Project
from budgets.scopes import fiscal_years_visible_to, projects_visible_to
from domain import formatting, scoring, signs
from evaluations.filling.filters import ProjectFilter
from evaluations.filling.forms import (
    BudgetLineFormSet,
    LibrarySearchForm,
    NewProjectForm,
    ProjectForm,
    indicator_formset_class,
)
from evaluations.filling.selectors import project_list_rows
from evaluations.filling.services import (
    ProjectLockedError,
    project_copy_from,
    project_create,
    project_save,
)
from evaluations.filling.tables import ProjectTable
from evaluations.finance_review.services import REVIEWABLE, can_see_finance_result
from evaluations.models import ProjectEvaluation
from evaluations.quality.engine import project_findings
from evaluations.quality.validation import submission_problems
from evaluations.scorecard import build_scorecard, score_rows
from evaluations.workflow.services import StaleEditError, SubmissionRefused, WorkflowError, evaluation_submit
from evaluations.workflow.versions import BoundedLazyPaginator, whole_number
from indicators.scopes import library_indicators_for
from policy.access import can, get_object_for_user, sees_finance_results
from policy.locks import YearLocked
from policy.rules import is_finance_reviewer

PAGE_SIZES = (10, 25, 50, 100)
# Spare blank rows at the end of the indicator grid; "添加一行" adds one more (works without JavaScript).
SPARE_ROWS = 1
MAX_SPARE_ROWS = 20


def _project_queryset():
    return Project.objects.select_related("unit", "unit__parent", "fiscal_year", "fiscal_year__profile", "evaluation")


@login_required
def project_list(request):
    """Every project the user may see, filtered, sorted and paginated at a constant number of queries."""
    project_filter = ProjectFilter(request.GET, queryset=project_list_rows(request.user), user=request.user)
    table = ProjectTable(project_filter.qs)
    try:
        per_page = int(request.GET.get("per_page", 25))
    except ValueError:
        per_page = 25
    per_page = per_page if per_page in PAGE_SIZES else 25
    # LazyPaginator: no COUNT(*) over the whole list for every page (django-tables2 issue #669); bounded pages.
    RequestConfig(request, paginate={"per_page": per_page, "paginator_class": BoundedLazyPaginator}).configure(table)
    open_years = [fy for fy in fiscal_years_visible_to(request.user) if fy.status == FiscalYear.Status.OPEN]
    return render(
        request,
        "budgets/project_list.html",
        {
            "filter": project_filter,
            "table": table,
            "page_sizes": PAGE_SIZES,
            "per_page": per_page,
            "open_years": open_years,
            "can_add": can(request.user, "budgets.add_project"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request):
    """A unit filler starts a project of an open year: a name first, the rest on the form."""
    if not can(request.user, "budgets.add_project"):
        raise PermissionDenied("只有单位填报人可以新建项目。")
    years = fiscal_years_visible_to(request.user).filter(status=FiscalYear.Status.OPEN)
    form = NewProjectForm(request.POST or None, years=years)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_create(
                fiscal_year=form.cleaned_data["fiscal_year"],
                unit=request.user.organisation,
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
            )
        except IntegrityError:
            form.add_error("name", "本单位该年度已有同名项目（或项目编码重复）。")
        else:
            messages.success(request, f"已新建项目“{project.name}”，请继续填写。")
            return redirect("budgets:project_edit", pk=project.pk)
    return render(request, "budgets/project_new.html", {"form": form})


def _build_forms(project, data=None, extra=SPARE_ROWS):
    profile = project.fiscal_year.profile
    form = ProjectForm(data, instance=project, prefix="project")
    budget_formset = BudgetLineFormSet(data, instance=project, prefix="budget")
    indicator_formset = indicator_formset_class(extra)(
        data,
        instance=project,
        prefix="indicators",
        profile=profile,
        queryset=project.indicators.select_related("library_indicator").order_by("order", "pk"),
    )
    return form, budget_formset, indicator_formset


def _problems_by_place(problems):
    """Problems grouped for the template: by header field, budget field, indicator id and field, weights."""
    grouped = {"project": {}, "budget": {}, "indicator": {}, "weights": []}
    for p in problems:
        if p.where == "weights":
            grouped["weights"].append(p.message)
        elif p.where == "indicator":
            grouped["indicator"].setdefault(p.indicator_id, {}).setdefault(p.field, []).append(p.message)
        else:
            grouped[p.where].setdefault(p.field, []).append(p.message)
    return grouped


def _render_form(request, project, forms_, *, problems=(), status=200):
    form, budget_formset, indicator_formset = forms_
    profile = project.fiscal_year.profile
    card = build_scorecard(project, profile)
    return render(
        request,
        "budgets/project_form.html",
        {
            "project": project,
            "profile": profile,
            "sichuan": profile.layout == profile.Layout.SICHUAN,
            "form": form,
            "budget_formset": budget_formset,
            "indicator_formset": indicator_formset,
            "card": card,
            "computed_by_id": {
                line.indicator.pk: _fmt(line.result.score)
                for line in card.lines
                if line.result and line.result.score is not None
            },
            "problems": _problems_by_place(problems),
            "problem_count": len(problems),
            "version": project.version,
            "transitions": project.evaluation.transitions.select_related("actor"),
        },
        status=status,
    )


def _editable_project(request, pk):
    """The project if the user may edit it; a read-only redirect target (or 404/403) otherwise."""
    project = get_object_for_user(request.user, _project_queryset(), "budgets.view_project", pk=pk)
    if not can(request.user, "budgets.change_project", project):
        read_only = (
            project.evaluation.status not in ProjectEvaluation.EDITABLE
            or project.fiscal_year.status in FiscalYear.LOCKED
        )
        if read_only and project.unit_id == request.user.organisation_id:
            return project, False
        raise PermissionDenied("您无权修改该项目。")
    return project, True


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk):
    """The one-page self-evaluation form. Save as draft at any time; 提交 checks SPEC §5 first."""
    project, editable = _editable_project(request, pk)
    if not editable:
        if project.fiscal_year.status in FiscalYear.LOCKED:
            messages.info(request, str(YearLocked(project.fiscal_year)))
        else:
            messages.info(request, f"该项目的自评当前为“{project.evaluation.get_status_display()}”，只能查看。")
        return redirect("budgets:project_detail", pk=project.pk)

    if request.method == "GET":
        try:
            extra = min(max(int(request.GET.get("rows", SPARE_ROWS)), SPARE_ROWS), MAX_SPARE_ROWS)
        except ValueError:
            extra = SPARE_ROWS
        problems = submission_problems(project) if request.GET.get("check") else ()
        return _render_form(request, project, _build_forms(project, extra=extra), problems=problems)

    forms_ = _build_forms(project, request.POST)
    form, budget_formset, indicator_formset = forms_
    if not (form.is_valid() and budget_formset.is_valid() and indicator_formset.is_valid()):
        messages.error(request, "有内容未能保存，请按标出的提示修改后再保存。")
        return _render_form(request, project, forms_, status=422)
    try:
        expected_version = int(request.POST.get("version", -1))
    except ValueError:
        expected_version = -1
    try:
        project = project_save(
            project=project,
            expected_version=expected_version,
            form=form,
            budget_formset=budget_formset,
            indicator_formset=indicator_formset,
        )
    except StaleEditError as error:
        messages.error(request, str(error))
        return _render_form(request, project, forms_, status=409)
    except ProjectLockedError as error:
        messages.error(request, str(error))
        return redirect("budgets:project_detail", pk=project.pk)

    action = request.POST.get("action", "save")
    edit_url = reverse("budgets:project_edit", args=[project.pk])
    if action == "add_row":
        spare = (whole_number(request.POST.get("spare_rows")) or SPARE_ROWS) + 1
        return redirect(f"{edit_url}?rows={min(spare, MAX_SPARE_ROWS)}#indicator-grid")
    if action == "submit":
        try:
            evaluation_submit(evaluation=project.evaluation, actor=request.user)
        except SubmissionRefused as refused:
            messages.error(request, f"草稿已保存。{refused}")
            return redirect(f"{edit_url}?check=1")
        except WorkflowError as error:
            messages.error(request, str(error))
            return redirect(edit_url)
        messages.success(request, "已提交主管部门审核。")
        return redirect("budgets:project_detail", pk=project.pk)
    messages.success(request, "草稿已保存。")
    return redirect(edit_url)


@login_required
@require_POST
def project_preview(request, pk):
    """Live scores of the form as typed (nothing is saved): the page's script calls this on every change."""
    project, editable = _editable_project(request, pk)
    if not editable:
        raise PermissionDenied("该项目不能再修改。")
    profile = project.fiscal_year.profile
    project_form, budget_formset, indicator_formset = _build_forms(project, request.POST)
    if project_form.is_valid():
        project = project_form.save(commit=False)  # in memory only: the live check sees the reasons as typed
    budget_lines = [f.save(commit=False) if f.is_valid() else f.instance for f in budget_formset.forms]
    rows, prefixes = [], []
    for form in indicator_formset.forms:
        if not form.is_valid() or (indicator_formset.can_delete and form.cleaned_data.get("DELETE")):
            continue
        if not form.instance.pk and not (form.has_changed() and form.has_content()):
            continue
        rows.append(form.save(commit=False))
        prefixes.append(form.prefix)
    card = score_rows(profile=profile, budget_lines=budget_lines, indicators=rows)
    payload = _preview_payload(card, profile, prefixes, project)
    prefix_of_row = dict(zip(map(id, rows), prefixes, strict=True))
    shown = sees_finance_results(request.user, project.fiscal_year)
    payload["findings"] = _live_findings(project, profile, card, prefix_of_row, finance_results=shown)
    return JsonResponse(payload)


# Project fields whose findings the form shows beside the field; the rest go to the list above the grid.
LIVE_PROJECT_FIELDS = {"execution_reason", "adjustment_reason", "goal_expected", "goal_actual"}


def _live_findings(project, profile, card, prefix_of_row, *, finance_results):
    """The quality checks on the form as typed, each placed at the input it concerns (its element id), or
    with an empty target when it concerns the grid or the budget as a whole."""
    found = []
    for finding in project_findings(project, profile, card, finance_results=finance_results):
        if finding.row is not None:
            prefix = prefix_of_row.get(id(finding.row))
            field = "category" if finding.field in ("level1", "level2") else finding.field
            target = f"id_{prefix}-{field}" if prefix and field else ""
        else:
            target = f"id_project-{finding.field}" if finding.field in LIVE_PROJECT_FIELDS else ""
        found.append(
            {
                "code": finding.code,
                "severity": finding.severity,
                # Beside its field the row is evident; in the list above the grid the indicator is named.
                "message": finding.detail if target else finding.message,
                "target": target,
            }
        )
    return found


def _fmt(value):
    return formatting.amount(value, empty="")


def _row_hint(line):
    indicator, result = line.indicator, line.result
    if indicator.sign == signs.SIGN_QUALITATIVE and indicator.actual_label and indicator.weight is not None:
        return scoring.qualitative_band(label=indicator.actual_label, weight=indicator.weight).describe()
    if result and result.over_achieved:
        return f"完成率 {formatting.percent(result.completion)}，高于指标值较多：须说明偏差原因，可适度调减分值"
    if result and scoring.FLAG_NOT_NUMERIC in result.flags and indicator.target_value is None and indicator.target_text:
        # A missing actual is normal while filling; a target that is not a number is worth saying at once.
        return "定量指标的指标值须为数值（如 95 或 ≥95%），否则无法计算得分"
    return ""


def _preview_payload(card, profile, prefixes, project):
    budget = card.budget
    flags = budget.flags if budget else ()
    return {
        "totals": {
            "initial": _fmt(card.totals.initial),
            "adjusted": _fmt(card.totals.adjusted),
            "executed": _fmt(card.totals.executed),
        },
        "budget": {
            "rate": formatting.percent(budget.rate) if budget and budget.rate is not None else "—",
            "score": _fmt(budget.score) if budget and budget.score is not None else "—",
            "flags": list(flags),
        },
        "reasons": {
            "execution": scoring.FLAG_EXECUTION_REASON_REQUIRED in flags,
            "adjustment": scoring.FLAG_ADJUSTMENT_REASON_REQUIRED in flags,
        },
        "rows": [
            {
                "prefix": prefix,
                "computed": _fmt(line.result.score) if line.result and line.result.score is not None else "",
                "hint": _row_hint(line),
            }
            for prefix, line in zip(prefixes, card.lines, strict=True)
        ],
        "level1": [
            {
                "name": total.name,
                "profile_weight": _fmt(total.profile_weight),
                "weight": _fmt(total.weight),
                "score": _fmt(total.score),
                "ok": total.profile_weight is None or total.weight == total.profile_weight,
            }
            for total in card.level1_totals
        ],
        "weight_total": _fmt(profile.budget_weight + sum((t.weight for t in card.level1_totals), 0)),
        "total": _fmt(card.total) if card.total is not None else "—",
        "grade": card.grade or "—",
    }


@login_required
def project_detail(request, pk):
    """The standard table as filled, read-only, with the record's history and the actions the user may take."""
    project = get_object_for_user(request.user, _project_queryset(), "budgets.view_project", pk=pk)
    profile = project.fiscal_year.profile
    year_locked = project.fiscal_year.status in FiscalYear.LOCKED
    return render(
        request,
        "budgets/project_detail.html",
        {
            "project": project,
            "evaluation": project.evaluation,
            "profile": profile,
            "card": build_scorecard(project, profile),
            "transitions": project.evaluation.transitions.select_related("actor"),
            "finance_result_visible": can_see_finance_result(request.user, project.evaluation),
            "year_lock": str(YearLocked(project.fiscal_year)) if year_locked else "",
            "may_sample": is_finance_reviewer(request.user)
            and not year_locked
            and project.evaluation.status in REVIEWABLE
            and getattr(project.evaluation, "review", None) is None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_copy(request):
    """Start this year's projects from last year's: the unit's projects of earlier years not yet copied."""
    if not can(request.user, "budgets.add_project"):
        raise PermissionDenied("只有单位填报人可以复制项目。")
    open_years = list(fiscal_years_visible_to(request.user).filter(status=FiscalYear.Status.OPEN).order_by("-year"))
    if not open_years:
        messages.info(request, "目前没有填报中的年度。")
        return redirect("budgets:project_list")
    target = open_years[0]
    own = projects_visible_to(request.user).select_related("fiscal_year")
    already = set(own.filter(fiscal_year=target).values_list("name", flat=True))
    candidates = [
        p
        for p in own.filter(fiscal_year__year__lt=target.year).order_by("-fiscal_year__year", "name")
        if p.name not in already
    ]
    if request.method == "POST":
        chosen = whole_number(request.POST.get("project")) or 0
        source = get_object_or_404(own, pk=chosen, fiscal_year__year__lt=target.year)
        if source.name in already:
            messages.error(request, f"{target.year}年度已有同名项目“{source.name}”。")
            return redirect("budgets:project_copy")
        project = project_copy_from(source=source, fiscal_year=target)
        messages.success(
            request, f"已从{source.fiscal_year.year}年度复制“{project.name}”，请填写本年度的预算和完成情况。"
        )
        return redirect("budgets:project_edit", pk=project.pk)
    return render(request, "budgets/project_copy.html", {"target": target, "candidates": candidates})


@login_required
def library_search(request):
    """指标库 entries matching the typed name (and category), for the form's picker; 400 for a crafted query."""
    if not can(request.user, "budgets.add_project"):
        raise Http404
    search = LibrarySearchForm(request.GET)
    if not search.is_valid():
        return JsonResponse({"results": [], "errors": search.errors}, status=400)
    q, level1, level2 = (search.cleaned_data[name] for name in ("q", "level1", "level2"))
    entries = library_indicators_for(request.user).filter(is_active=True)
    if q:
        entries = entries.filter(name__icontains=q)
    if level1:
        entries = entries.filter(level1=level1)
    if level2:
        entries = entries.filter(level2=level2)
    return JsonResponse(
        {
            "results": [
                {
                    "id": e.pk,
                    "name": e.name,
                    "level1": e.level1,
                    "level2": e.level2,
                    "sign": e.sign,
                    "unit": e.unit,
                    "target": e.suggested_target,
                }
                for e in entries.order_by("name")[:20]
            ]
        }
    )
