"""Reads for the home page."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from budgets.models import FiscalYear, Project
from evaluations.models import ProjectEvaluation

from .models import Organisation, User


@dataclass
class HomeSummary:
    role_label: str
    organisation: Organisation | None
    open_years: list = field(default_factory=list)
    status_counts: dict = field(default_factory=dict)
    project_count: int = 0


def visible_projects(user):
    """The projects ``user`` may see; none for an account without an organisation (deny by default)."""
    if not user.is_authenticated or user.organisation_id is None:
        return Project.objects.none()
    if user.role == User.Role.UNIT_FILLER:
        return Project.objects.filter(unit_id=user.organisation_id)
    if user.role == User.Role.DEPARTMENT_REVIEWER:
        return Project.objects.filter(Q(unit_id=user.organisation_id) | Q(unit__parent_id=user.organisation_id))
    if user.role in (User.Role.FINANCE_REVIEWER, User.Role.ADMIN):
        return Project.objects.filter(fiscal_year__finance_bureau_id=user.organisation_id)
    return Project.objects.none()


def home_summary_for(user) -> HomeSummary:
    organisation = user.organisation
    summary = HomeSummary(role_label=user.get_role_display(), organisation=organisation)
    if organisation is None:
        return summary
    bureau = organisation.finance_bureau
    summary.open_years = list(
        FiscalYear.objects.filter(finance_bureau=bureau, status=FiscalYear.Status.OPEN).order_by("-year")
    )
    projects = visible_projects(user)
    summary.project_count = projects.count()
    counts = dict(
        projects.values_list("evaluation__status").annotate(n=Count("pk")).values_list("evaluation__status", "n")
    )
    # In workflow order, with the Chinese label; projects without an evaluation record count as drafts.
    counts[ProjectEvaluation.Status.DRAFT] = counts.get(ProjectEvaluation.Status.DRAFT, 0) + counts.pop(None, 0)
    summary.status_counts = {status.label: counts[status] for status in ProjectEvaluation.Status if counts.get(status)}
    return summary
