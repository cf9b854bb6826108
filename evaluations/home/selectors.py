"""Reads for the home page: what is waiting for this user."""

from dataclasses import dataclass, field

from django.db.models import Count

from accounts.models import Organisation
from budgets.models import FiscalYear
from budgets.scopes import fiscal_years_visible_to, projects_visible_to
from evaluations.models import ProjectEvaluation
from policy.access import waiting_list_kind

Status = ProjectEvaluation.Status
# How many records of each waiting list the home page shows before linking to the full list.
HOME_LIST_LIMIT = 10


@dataclass
class HomeSummary:
    role_label: str
    organisation: Organisation | None
    open_years: list = field(default_factory=list)
    status_counts: dict = field(default_factory=dict)
    project_count: int = 0
    # (title, explanation, projects, link to the full list)
    waiting: list = field(default_factory=list)
    # A unit's own waiting lists show the department's reasons for returning.
    shows_return_reasons: bool = False


# Each role's waiting lists: (status, title, explanation, ordering), in the order the home page shows them.
WAITING_LISTS = {
    "unit": (
        (
            Status.RETURNED,
            "已退回，待修改",
            "主管部门退回的自评，请按退回原因修改后重新提交。",
            "-evaluation__updated_at",
        ),
        (Status.DRAFT, "草稿，待提交", "尚未提交的自评。", "-updated_at"),
    ),
    "department": (
        (Status.SUBMITTED, "待审核", "本部门及所属单位已提交、等待审核的自评。", "evaluation__submitted_at"),
    ),
    "finance": ((Status.APPROVED, "部门已审核，待财政抽查", "主管部门已审核通过的自评。", "-evaluation__approved_at"),),
}


def _waiting_lists(user, projects):
    """(title, explanation, projects, query of the full list) of each waiting list of the user's role."""
    rows = projects.select_related("unit", "fiscal_year", "evaluation")
    return [
        (title, explanation, rows.filter(evaluation__status=status).order_by(ordering), f"?status={status}")
        for status, title, explanation, ordering in WAITING_LISTS.get(waiting_list_kind(user), ())
    ]


def home_summary_for(user) -> HomeSummary:
    organisation = user.organisation
    summary = HomeSummary(
        role_label=user.get_role_display(),
        organisation=organisation,
        shows_return_reasons=waiting_list_kind(user) == "unit",
    )
    if organisation is None:
        return summary
    summary.open_years = list(fiscal_years_visible_to(user).filter(status=FiscalYear.Status.OPEN).order_by("-year"))
    projects = projects_visible_to(user)
    counts = dict(
        projects.values_list("evaluation__status").annotate(n=Count("pk")).values_list("evaluation__status", "n")
    )
    summary.project_count = sum(counts.values())
    summary.status_counts = {status.label: counts[status] for status in Status if counts.get(status)}
    summary.waiting = [
        (title, explanation, list(queryset[:HOME_LIST_LIMIT]), queryset.count(), query)
        for title, explanation, queryset, query in _waiting_lists(user, projects)
    ]
    return summary
