"""Writes to projects: create, save the whole form, copy from the previous year."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from budgets.models import BudgetLine, FiscalYear, Project
from evaluations.models import ProjectEvaluation
from evaluations.workflow.services import StaleEditError, evaluation_recalculate
from indicators.models import Indicator

INDICATOR_FIELDS = ["order", "library_indicator", *Indicator.VALUE_FIELDS]
# What a copy from last year's project carries besides the name: who runs it and what it is for, not results.
COPIED_HEADER_FIELDS = (
    "code",
    "project_type",
    "manager",
    "finance_manager",
    "phone",
    "background",
    "content",
    "goal_expected",
)


class ProjectLockedError(Exception):
    """The project's evaluation is no longer editable by the unit."""


def _ensure_fund_rows(project: Project) -> None:
    """One budget line per fund source of the profile, in profile order (existing rows are kept)."""
    existing = set(project.budget_lines.values_list("fund_source", flat=True))
    BudgetLine.objects.bulk_create(
        BudgetLine(project=project, fund_source=source.name, order=source.order)
        for source in project.fiscal_year.profile.fund_sources.all()
        if source.name not in existing
    )


@transaction.atomic
def project_create(*, fiscal_year: FiscalYear, unit, name: str, **fields) -> Project:
    """Create a project with its empty fund rows and a draft self-evaluation.

    Side effects: creates the Project, one BudgetLine per profile fund source and a ProjectEvaluation.
    """
    project = Project.objects.create(fiscal_year=fiscal_year, unit=unit, name=name, **fields)
    _ensure_fund_rows(project)
    evaluation = ProjectEvaluation.objects.create(project=project, profile=fiscal_year.profile)
    evaluation_recalculate(evaluation=evaluation)
    return project


@transaction.atomic
def project_save(*, project: Project, expected_version: int, form, budget_formset, indicator_formset) -> Project:
    """Save the whole self-evaluation form at once, refusing it if the project changed since it was opened.

    Side effects: bumps Project.version; saves header, budget lines and indicator rows (ordered by their
    ORDER field, deleted rows removed, untouched blank rows skipped); recomputes the evaluation's totals.
    """
    evaluation = ProjectEvaluation.objects.select_for_update().get(project=project)
    if evaluation.status not in ProjectEvaluation.EDITABLE:
        raise ProjectLockedError(f"该项目的自评当前为“{evaluation.get_status_display()}”，不能再修改。")
    bumped = Project.objects.filter(pk=project.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if not bumped:
        current = Project.objects.get(pk=project.pk)
        raise StaleEditError(
            f"保存失败：该项目已于 {timezone.localtime(current.updated_at):%Y-%m-%d %H:%M} 被他人修改。"
            "您填写的内容仍保留在页面上，请打开新窗口查看最新内容，核对后再保存。",
            current=current,
        )
    # The form's instance still carries the version it was opened with; saving it must not undo the bump.
    form.instance.version = expected_version + 1
    # Only what was changed is written, so the audit trail holds one row per real change, not per save.
    if form.has_changed():
        project = form.save()
    BudgetLine.objects.bulk_update(
        [f.save(commit=False) for f in budget_formset.forms if f.has_changed()],
        ["initial_wan", "adjusted_wan", "executed_wan"],
    )

    deleted = set(indicator_formset.deleted_forms)
    Indicator.objects.filter(pk__in=[f.instance.pk for f in deleted if f.instance.pk], project=project).delete()
    # Untouched blank rows (the form's spare rows) are not saved.
    rows = [
        f
        for f in indicator_formset.forms
        if f not in deleted and (f.instance.pk or (f.has_changed() and f.has_content()))
    ]
    rows.sort(key=lambda f: (f.cleaned_data.get("ORDER") is None, f.cleaned_data.get("ORDER") or 0))
    new, existing = [], []
    for position, row_form in enumerate(rows):
        moved = row_form.instance.order != position
        indicator = row_form.save(commit=False)
        indicator.project = project
        indicator.order = position
        if not indicator.pk:
            new.append(indicator)
        elif moved or row_form.has_changed():
            existing.append(indicator)
    # Two statements whatever the number of rows: a 30-indicator grid saves as a 3-indicator one.
    Indicator.objects.bulk_create(new)
    Indicator.objects.bulk_update(existing, INDICATOR_FIELDS)

    project.refresh_from_db()
    evaluation_recalculate(evaluation=project.evaluation)
    return project


@transaction.atomic
def project_copy_from(*, source: Project, fiscal_year: FiscalYear) -> Project:
    """Start ``fiscal_year``'s project from last year's: header, fund rows with 年初预算数, indicators with targets.

    Actuals, scores, reasons and the conclusion are left empty: they are this year's to report. Last year's
    全年预算数 becomes nothing — the new year's budget is typed as 年初预算数 when it is known; the copy takes
    last year's 年初预算数 as a starting point.
    Side effects: creates the Project (copied_from = source), its fund rows, indicators and a draft evaluation.
    """
    project = project_create(
        fiscal_year=fiscal_year,
        unit=source.unit,
        name=source.name,
        copied_from=source,
        **{name: getattr(source, name) for name in COPIED_HEADER_FIELDS},
    )
    previous = {line.fund_source: line for line in source.budget_lines.all()}
    for line in project.budget_lines.all():
        old = previous.get(line.fund_source)
        if old and old.initial_wan is not None:
            line.initial_wan = old.initial_wan
            line.save(update_fields=["initial_wan"])
    for indicator in source.indicators.all():
        if indicator.is_blank:
            continue
        indicator.pk = None
        indicator.project = project
        indicator.actual_text = ""
        indicator.actual_value = None
        indicator.actual_label = ""
        indicator.claimed_score = None
        indicator.deviation_reason = ""
        indicator.save()
    evaluation_recalculate(evaluation=project.evaluation)
    return project
