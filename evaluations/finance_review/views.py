"""The finance reviewer's pages: the year's review board with the draw, one review, finalising the year."""

import django_tables2 as tables
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Organisation
from budgets.models import FiscalYear, ProfileLevel1
from budgets.scopes import fiscal_years_visible_to
from domain import formatting
from evaluations.department_wide.services import department_evaluation_recalculate
from evaluations.finance_review.forms import HUNDRED, DrawForm, IndicatorCheckForm, ReasonForm, ReviewForm
from evaluations.finance_review.services import (
    REVIEWABLE,
    accuracy_of,
    draft_opinion,
    review_complete,
    review_reopen,
    review_save,
    rule_label,
    sample_add,
    sample_draw,
    sample_remove,
)
from evaluations.models import DepartmentEvaluation, FinanceReview, Grade, ProjectEvaluation, SpotCheckSample
from evaluations.quality.engine import project_findings
from evaluations.richtext import sanitise_opinion
from evaluations.scorecard import build_scorecard
from evaluations.workflow.actions import perform
from evaluations.workflow.lifecycle import (
    fiscal_year_close,
    fiscal_year_finalise,
    fiscal_year_publish,
    fiscal_year_reopen,
    open_items,
    open_reviews,
)
from evaluations.workflow.services import WorkflowError
from evaluations.workflow.versions import BoundedLazyPaginator, posted_version, whole_number
from policy.access import can, get_object_for_user
from policy.rules import is_finance_reviewer

Status = ProjectEvaluation.Status
# How many records of each open list the finalising page shows before saying how many more there are.
CONFIRM_LIST_LIMIT = 20


class ReviewBoardTable(tables.Table):
    department = tables.Column(verbose_name="主管部门", accessor="project__unit__department", orderable=False)
    unit = tables.Column(verbose_name="预算单位", accessor="project__unit__name")
    project = tables.Column(verbose_name="项目名称", accessor="project__name")
    self_grade = tables.Column(verbose_name="自评结果", accessor="self_grade", orderable=False)
    rate = tables.Column(verbose_name="执行率", empty_values=(), orderable=False, attrs={"td": {"class": "num"}})
    sample = tables.Column(verbose_name="抽查样本", empty_values=(), orderable=False)
    finance_grade = tables.Column(verbose_name="财政抽查审核结果", accessor="review__grade", orderable=False)
    findings = tables.Column(verbose_name="审核提示", empty_values=(), orderable=False, attrs={"td": {"class": "num"}})
    action = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta:
        attrs = {"class": "grid"}
        empty_text = "该年度还没有部门已审核的项目。"
        per_page_field = "unchecked_per_page"

    def render_rate(self, record):
        card = build_scorecard(record.project, record.project.fiscal_year.profile)
        record.card = card
        return formatting.percent(card.budget.rate) if card.budget and card.budget.rate is not None else "—"

    def render_sample(self, record):
        review = getattr(record, "review", None)
        if review is None:
            return "—"
        if review.excluded:
            return format_html('<span class="muted">已移出：{}</span>', review.excluded_reason)
        return format_html(
            '{}<br><small class="muted">{}</small>', review.get_selection_display(), review.selection_reason
        )

    def render_findings(self, record):
        card = getattr(record, "card", None) or build_scorecard(record.project, record.project.fiscal_year.profile)
        return len(project_findings(record.project, card=card))

    def render_action(self, record):
        review = getattr(record, "review", None)
        if review is not None and not review.excluded:
            label = "查看" if review.status == FinanceReview.Status.COMPLETED else "审核"
            return format_html(
                '<a class="button" href="{}">{}（{}）</a>',
                reverse("finance:review", args=[review.pk]),
                label,
                review.get_status_display(),
            )
        return format_html('<a href="{}">查看自评表</a>', reverse("budgets:project_detail", args=[record.project_id]))


def _finance_only(user):
    if not is_finance_reviewer(user):
        raise PermissionDenied("只有财政审核员可以进行财政抽查审核。")


def _year_for(request):
    years = fiscal_years_visible_to(request.user).order_by("-year")
    chosen = request.GET.get("year")
    if chosen:
        return get_object_or_404(years, year=whole_number(chosen) or 0), years
    # EXISTS stops at the first approved record of a year; a join with DISTINCT read all of them (20 ms at
    # 10,000 projects, bench/profile_pages.py).
    approved = ProjectEvaluation.objects.filter(project__fiscal_year=OuterRef("pk"), status__in=REVIEWABLE)
    with_records = years.filter(Exists(approved))
    return (with_records.first() or years.first()), years


def _board_filtered(request, rows):
    """The board's rows cut by the page's filters (in / out of the sample, grade, department), and the filters."""
    status_filter = request.GET.get("sample", "")
    if status_filter == "in":
        rows = rows.filter(review__isnull=False, review__excluded=False)
    elif status_filter == "out":
        rows = rows.filter(Q(review__isnull=True) | Q(review__excluded=True))
    grade_filter = request.GET.get("grade", "")
    if grade_filter in Grade.values:
        rows = rows.filter(review__grade=grade_filter)
    department_filter = request.GET.get("department", "")
    department_id = whole_number(department_filter)
    if department_id is not None:
        rows = rows.filter(Q(project__unit_id=department_id) | Q(project__unit__parent_id=department_id))
    return rows, {"sample": status_filter, "grade": grade_filter, "department": department_filter}


@login_required
def review_board(request):
    """Every approved evaluation of the year by department and unit, with its sample and review status."""
    _finance_only(request.user)
    year, years = _year_for(request)
    if year is None:
        return render(request, "evaluations/review_board.html", {"year": None, "years": years})
    # population() without its budget sums: the board takes the rate from each row's scorecard, and a GROUP BY
    # over every column of 2,900 approved records cost 45–95 ms per page and again for the count (load test).
    approved = ProjectEvaluation.objects.filter(project__fiscal_year=year, status__in=REVIEWABLE)
    rows = (
        approved.select_related("project__unit__parent", "project__fiscal_year__profile", "review")
        .prefetch_related(
            "project__budget_lines",
            "project__indicators",
            Prefetch("project__fiscal_year__profile__level1_categories", queryset=ProfileLevel1.objects.all()),
            # The quality checks (审核提示 column) read the 二级 taxonomy too.
            "project__fiscal_year__profile__level1_categories__level2_categories",
        )
        .order_by("project__sort_order", "project__unit__name", "project__name", "pk")
    )
    rows, filters = _board_filtered(request, rows)
    table = ReviewBoardTable(rows)
    tables.RequestConfig(request, paginate={"per_page": 25, "paginator_class": BoundedLazyPaginator}).configure(table)
    departments = Organisation.objects.departments().filter(parent=year.finance_bureau).order_by("name")
    sample = getattr(year, "sample", None)
    reviews = FinanceReview.objects.filter(evaluation__project__fiscal_year=year)
    counts = {
        "population": approved.count(),
        "sampled": reviews.filter(excluded=False).count(),
        "completed": reviews.filter(excluded=False, status=FinanceReview.Status.COMPLETED).count(),
        "open": open_reviews(year).count(),
    }
    return render(
        request,
        "evaluations/review_board.html",
        {
            "year": year,
            "years": years,
            "table": table,
            "sample": sample,
            "sample_rules": [rule_label(rule) for rule in (sample.rules if sample else [])],
            "counts": counts,
            "draw_form": DrawForm(departments=departments, initial={"seed": sample.random_seed if sample else None}),
            "departments": departments,
            "filters": filters,
            "grades": Grade.choices,
            "locked": year.status in FiscalYear.LOCKED,
            "may_close": can(request.user, "evaluations.close_fiscalyear", year),
            "may_finalise": can(request.user, "evaluations.finalise_fiscalyear", year),
            "may_publish": can(request.user, "evaluations.publish_fiscalyear", year),
            "may_reopen": can(request.user, "evaluations.reopen_fiscalyear", year),
        },
    )


@login_required
@require_POST
def sample_draw_view(request, year):
    fiscal_year = get_object_or_404(fiscal_years_visible_to(request.user), year=year)
    _finance_only(request.user)
    departments = Organisation.objects.departments().filter(parent=fiscal_year.finance_bureau)
    form = DrawForm(request.POST, departments=departments)
    board = f"{reverse('finance:board')}?year={fiscal_year.year}"
    if not form.is_valid():
        messages.error(request, "抽样条件有误：" + "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(board)
    try:
        sample, draw = sample_draw(
            fiscal_year=fiscal_year,
            actor=request.user,
            ratio=form.cleaned_data["ratio_percent"] / HUNDRED,
            rules=form.rules(),
            seed=form.cleaned_data["seed"],
        )
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"已从 {draw.population_size} 个项目中抽取 {len(draw.forced) + len(draw.random_ids)} 个"
            f"（规则必选 {len(draw.forced)} 个，随机 {len(draw.random_ids)} 个），随机种子 {sample.random_seed}。",
        )
    return redirect(board)


@login_required
@require_POST
def sample_add_view(request, pk):
    _finance_only(request.user)
    evaluation = get_object_for_user(
        request.user,
        ProjectEvaluation.objects.select_related("project__fiscal_year"),
        "evaluations.view_projectevaluation",
        pk=pk,
    )
    done = f"已将“{evaluation.project.name}”加入抽查样本。"
    review = perform(request, sample_add, done, posted=("reason",), evaluation=evaluation)
    if review is None:
        return redirect("budgets:project_detail", pk=evaluation.project_id)
    return redirect("finance:review", pk=review.pk)


def _review_for(request, pk):
    queryset = FinanceReview.objects.select_related(
        "evaluation__project__unit__parent", "evaluation__project__fiscal_year__profile", "department_evaluation"
    )
    return get_object_for_user(request.user, queryset, "evaluations.view_financereview", pk=pk)


def _indicator_forms(project, review, data=None):
    checked = {s.indicator_id: s for s in review.indicator_scores.all()}
    forms_ = []
    for indicator in project.indicators.all():
        if indicator.is_blank:
            continue
        existing = checked.get(indicator.pk)
        initial = {"checked_score": existing.checked_score, "remark": existing.remark} if existing else {}
        forms_.append(IndicatorCheckForm(data, prefix=f"ind-{indicator.pk}", initial=initial, indicator=indicator))
    return forms_


def _form_with_opinion(request, opinion_html: str) -> ReviewForm:
    """The posted ReviewForm shown again with ``opinion_html`` in its editor."""
    data = request.POST.copy()
    data["opinion_html"] = opinion_html
    return ReviewForm(data)


def _store_inputs(request, review, form, **kwargs) -> None:
    """review_save with what the valid ReviewForm holds: grade, opinion and typed total (``kwargs``: the rest)."""
    data = form.cleaned_data
    review_save(
        review=review,
        actor=request.user,
        grade=data["grade"],
        opinion_html=data["opinion_html"],
        reviewer_total=data["reviewer_total"],
        **kwargs,
    )


def _save_review(request, review, card, form, indicator_forms, *, complete: bool):
    """Save the reviewer's valid inputs (and, ``complete``, complete the review); where the page goes next."""
    checked = {
        f.indicator.pk: (f.cleaned_data["checked_score"], f.cleaned_data["remark"].strip())
        for f in indicator_forms
        if f.cleaned_data.get("checked_score") is not None
    }
    project = review.evaluation.project
    try:
        _store_inputs(request, review, form, checked_scores=checked, card=card, version=posted_version(request))
        if complete:
            review_complete(review=review, actor=request.user)
            messages.success(request, f"已完成“{project.name}”的财政抽查审核。")
            return _board_for(project.fiscal_year)
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "审核草稿已保存。")
    return redirect("finance:review", pk=review.pk)


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request, pk):
    """One sampled project: the table as submitted, the findings, the accuracy, and the reviewer's inputs."""
    review = _review_for(request, pk)
    if review.evaluation_id is None:
        return redirect(
            "department:detail",
            year=review.department_evaluation.fiscal_year.year,
            department_pk=review.department_evaluation.department_id,
        )
    evaluation = review.evaluation
    project = evaluation.project
    profile = project.fiscal_year.profile
    card = build_scorecard(project, profile)
    year_locked = project.fiscal_year.status in FiscalYear.LOCKED
    read_only = review.status == FinanceReview.Status.COMPLETED or year_locked or review.excluded

    initial = {"grade": review.grade, "reviewer_total": review.reviewer_total, "opinion_html": review.opinion_html}
    form = ReviewForm(request.POST or None, initial=initial)
    indicator_forms = _indicator_forms(project, review, request.POST or None)

    if request.method == "POST":
        if read_only:
            messages.error(request, "该审核当前只读。")
            return redirect("finance:review", pk=review.pk)
        action = request.POST.get("action", "save")
        if action == "draft_opinion":
            # The draft replaces nothing that is saved: it comes back in the editor for the reviewer to edit.
            form = _form_with_opinion(request, draft_opinion(project=project, card=card))
            messages.info(request, "已根据数据起草审核意见，请修改完善后保存。")
        elif form.is_valid() and all(f.is_valid() for f in indicator_forms):
            return _save_review(request, review, card, form, indicator_forms, complete=action == "complete")
        else:
            # What comes back into the editor is cleaned first: the editor puts it into the page as HTML.
            form = _form_with_opinion(request, sanitise_opinion(request.POST.get("opinion_html", "")))
            form.is_valid()
            messages.error(request, "有内容未能保存，请按提示修改。")

    review.refresh_from_db()
    return render(
        request,
        "evaluations/review_detail.html",
        {
            "review": review,
            "evaluation": evaluation,
            "project": project,
            "profile": profile,
            "card": card,
            "findings": project_findings(project, profile, card),
            "accuracy": accuracy_of(review),
            "form": form,
            "indicator_forms": indicator_forms,
            "read_only": read_only,
            "year_locked": year_locked,
            "reason_form": ReasonForm(),
            "transitions": evaluation.transitions.select_related("actor"),
        },
    )


@login_required
@require_POST
def review_reopen_view(request, pk):
    review = _review_for(request, pk)
    perform(request, review_reopen, "审核已重新打开。", posted=("reason",), review=review)
    return redirect("finance:review", pk=review.pk)


@login_required
@require_POST
def review_remove_view(request, pk):
    review = _review_for(request, pk)
    if perform(request, sample_remove, "已移出抽查样本，原因已记录。", posted=("reason",), review=review) is None:
        return redirect("finance:review", pk=review.pk)
    return _board_for(review.evaluation.project.fiscal_year)


def _board_for(fiscal_year):
    return redirect(f"{reverse('finance:board')}?year={fiscal_year.year}")


def _bureau_year(request, year) -> FiscalYear:
    """The finance reviewer's own bureau's ``year`` (403 for any other role, 404 for a year not theirs)."""
    _finance_only(request.user)
    return get_object_or_404(fiscal_years_visible_to(request.user), year=year)


def _year_action(request, fiscal_year, action, done: str, **kwargs):
    """Run one lifecycle service on ``fiscal_year`` and go back to the board with its message."""
    moved = perform(
        request,
        action,
        lambda year: done.format(year=year.year, status=year.get_status_display()),
        fiscal_year=fiscal_year,
        **kwargs,
    )
    return _board_for(moved or fiscal_year)


@login_required
@require_POST
def year_close_view(request, year):
    """填报中 → 财政审核中."""
    return _year_action(
        request, _bureau_year(request, year), fiscal_year_close, "{year}年度填报阶段已结束，进入{status}阶段。"
    )


@login_required
@require_http_methods(["GET", "POST"])
def year_finalise_view(request, year):
    """定稿: a confirmation page listing what is still open (SPEC §13), then the finalising on confirmation."""
    fiscal_year = _bureau_year(request, year)
    if request.method == "POST" and request.POST.get("confirm") == "1":
        return _year_action(request, fiscal_year, fiscal_year_finalise, "{year}年度已定稿，全部记录已锁定。")
    if not can(request.user, "evaluations.finalise_fiscalyear", fiscal_year):
        messages.error(request, f"该年度当前为“{fiscal_year.get_status_display()}”，不能定稿。")
        return _board_for(fiscal_year)
    items = open_items(fiscal_year)
    return render(
        request,
        "evaluations/year_finalise.html",
        {
            "year": fiscal_year,
            "items": items,
            "counts": items.counts,
            "total": items.total,
            "has_sample": SpotCheckSample.objects.filter(fiscal_year=fiscal_year).exists(),
            "list_limit": CONFIRM_LIST_LIMIT,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def year_publish_view(request, year):
    """公开: only after 定稿, with a confirmation page of its own."""
    fiscal_year = _bureau_year(request, year)
    if request.method == "POST" and request.POST.get("confirm") == "1":
        return _year_action(
            request, fiscal_year, fiscal_year_publish, "{year}年度{status}：单位和部门可看到财政抽查审核结果。"
        )
    if not can(request.user, "evaluations.publish_fiscalyear", fiscal_year):
        messages.error(request, "请先定稿，再公开。")
        return _board_for(fiscal_year)
    results = ProjectEvaluation.objects.filter(
        project__fiscal_year=fiscal_year, status__in=(Status.APPROVED, Status.SPOT_CHECKED)
    )
    reviewed = FinanceReview.objects.filter(
        evaluation__project__fiscal_year=fiscal_year, status=FinanceReview.Status.COMPLETED, excluded=False
    )
    return render(
        request,
        "evaluations/year_publish.html",
        {
            "year": fiscal_year,
            "result_count": results.count(),
            "reviewed_count": reviewed.count(),
            "unsubmitted_count": ProjectEvaluation.objects.filter(
                project__fiscal_year=fiscal_year, status__in=(Status.UNSUBMITTED, Status.INCOMPLETE)
            ).count(),
        },
    )


@login_required
@require_POST
def year_reopen_view(request, year):
    """Reopen a finalised or published year, with the reason audited."""
    return _year_action(
        request,
        _bureau_year(request, year),
        fiscal_year_reopen,
        "{year}年度已重新打开（{status}），原因已记录。",
        posted=("reason",),
    )


def _save_department_review(request, review, evaluation, form) -> None:
    """Save (creating it on the first save) and, when asked, complete the review of a department-wide evaluation."""
    try:
        if review.pk is None:
            review.save()
        _store_inputs(request, review, form, checked_scores={}, version=posted_version(request) if review.pk else None)
        if request.POST.get("action") == "complete":
            review_complete(review=review, actor=request.user)
        # 自评准确 on the department's score sheet follows the reviewer's total.
        department_evaluation_recalculate(evaluation=evaluation)
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "已保存部门整体自评的财政抽查审核。")


@login_required
@require_http_methods(["GET", "POST"])
def department_review(request, pk):
    """The finance review of a department-wide self-evaluation: grade, 评价组抽查得分, opinion (SPEC §5.4, §7)."""
    _finance_only(request.user)
    evaluation = get_object_for_user(
        request.user,
        DepartmentEvaluation.objects.select_related("fiscal_year__profile", "department"),
        "evaluations.view_departmentevaluation",
        pk=pk,
    )
    # Nothing is written by looking: the review row is created on the first save.
    review = FinanceReview.objects.filter(department_evaluation=evaluation).first() or FinanceReview(
        department_evaluation=evaluation,
        selection=FinanceReview.Selection.MANUAL,
        selection_reason="部门整体支出绩效自评",
    )
    # A department-wide evaluation is reviewed only once submitted (SPEC §13).
    not_submitted = evaluation.status not in DepartmentEvaluation.REVIEWABLE
    read_only = (
        review.status != FinanceReview.Status.DRAFT
        or evaluation.fiscal_year.status in FiscalYear.LOCKED
        or not_submitted
    )
    initial = {"grade": review.grade, "reviewer_total": review.reviewer_total, "opinion_html": review.opinion_html}
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if read_only:
            messages.error(request, "部门尚未提交该自评，提交后才能审核。" if not_submitted else "该审核当前只读。")
        elif form.is_valid():
            _save_department_review(request, review, evaluation, form)
            return redirect("finance:department_review", pk=evaluation.pk)
    if review.pk:
        review.refresh_from_db()
    return render(
        request,
        "evaluations/review_department.html",
        {
            "evaluation": evaluation,
            "review": review,
            "form": form,
            "read_only": read_only,
            "not_submitted": not_submitted,
            "accuracy": accuracy_of(review),
        },
    )
